/*
 * Integration tests of htx-gw with real processes: ticketd (production
 * binary, a site key made like `betanet ticket-keygen`), one or two
 * upstreamd with the gw_plugin test routes, and htx-gw with the HTX
 * backend; clients are curl and raw sockets on loopback.
 *
 * Usage: it_gw TEST (see tests[] at the bottom).  Every wait is bounded.
 */
#define _GNU_SOURCE	/* strcasestr */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/keyfile.h"
#include "betanet/ticket.h"
#include "harness.h"

#define T_MS		20000	/* any single wait */
#define BIG_UP		(50u << 20)
#define BIG_DOWN	(50u << 20)

struct up {
	struct hx_daemon d;
	int		 port;
	char		 key[600], log[400], sock[400];
	uint8_t		 pub[BN_KEY_LEN];
	char		 pubhex[2 * BN_KEY_LEN + 1];
};

struct fx {
	char		 dir[256];
	char		 keys[300], state[300], tsock[300], tlog[300];
	char		 site[320], gwkey[300], gwlog[300], gwsock[300];
	char		 gwlog2[300];
	struct hx_daemon td;
	struct up	 up[2];
	int		 nup;
	struct hx_daemon gw, gw2;
	int		 port;
};

static struct fx *live;

static void
cleanup_live(void)
{
	int i;

	if (live == NULL)
		return;
	hx_cleanup(&live->gw);
	hx_cleanup(&live->gw2);
	for (i = 0; i < 2; i++)
		hx_cleanup(&live->up[i].d);
	hx_cleanup(&live->td);
	if (getenv("BN_IT_KEEP") == NULL)
		hx_rmrf(live->dir);
	live = NULL;
}

static int
td_start(struct fx *f)
{
	char *argv[] = { TICKETD_BIN, "--socket", f->tsock, "--keys", f->keys,
	    "--state", f->state, NULL };

	if (hx_spawn(&f->td, f->tlog, argv) != 0)
		return -1;
	return hx_wait_log(&f->td, "event=listening", T_MS);
}

static int
up_start(struct fx *f, int i)
{
	struct up *u = &f->up[i];
	char listen[64], plugin[400];
	char *argv[] = { UPSTREAMD_BIN, "--key", u->key, "--listen", listen,
	    "--socket", u->sock, "--plugin", plugin, "--set",
	    "max_message=64MiB", "--allow-any-gateway", NULL };

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", u->port);
	snprintf(plugin, sizeof(plugin), "%s/gw_plugin.so", GW_PLUGIN_DIR);
	if (u->d.argv[0] != NULL)
		return hx_respawn(&u->d) == 0 ?
		    hx_wait_log(&u->d, "event=listening", T_MS) : -1;
	if (hx_spawn(&u->d, u->log, argv) != 0)
		return -1;
	return hx_wait_log(&u->d, "event=listening", T_MS);
}

static int
gw_start(struct fx *f, struct hx_daemon *d, const char *log,
    const char *const *extra)
{
	char *argv[HX_MAX_ARGS + 1], listen[64], ups[2][128];
	size_t n = 0, i;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->port);
	argv[n++] = HTXGW_BIN;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--ticketd";
	argv[n++] = f->tsock;
	argv[n++] = "--key";
	argv[n++] = f->gwkey;
	argv[n++] = "--admin-socket";
	argv[n++] = f->gwsock;
	argv[n++] = "--set";
	argv[n++] = "max_body_bytes=64MiB";
	for (i = 0; i < (size_t)f->nup; i++) {
		snprintf(ups[i], sizeof(ups[i]), "127.0.0.1:%d,%s",
		    f->up[i].port, f->up[i].pubhex);
		argv[n++] = "--upstream";
		argv[n++] = ups[i];
	}
	for (i = 0; extra != NULL && extra[i] != NULL && n < HX_MAX_ARGS;
	    i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	if (hx_spawn(d, log, argv) != 0)
		return -1;
	return hx_wait_log(d, "event=listening", T_MS);
}

/* Directory, keys, ticketd, nup upstreamd, the gateway. */
static int
fx_init(struct fx *f, const char *tag, int nup, const char *const *extra)
{
	char err[BN_KEYFILE_ERRLEN], prefix[500];
	uint8_t pub[BN_KEY_LEN], id[BN_TICKET_KEY_ID_LEN];
	int i;

	memset(f, 0, sizeof(*f));
	if (hx_tmpdir(f->dir, sizeof(f->dir), tag) != 0)
		return -1;
	live = f;
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->tsock, sizeof(f->tsock), "%s/ticketd.sock", f->dir);
	snprintf(f->tlog, sizeof(f->tlog), "%s/ticketd.log", f->dir);
	snprintf(f->site, sizeof(f->site), "%s/site", f->keys);
	snprintf(f->gwlog, sizeof(f->gwlog), "%s/gw.log", f->dir);
	snprintf(f->gwlog2, sizeof(f->gwlog2), "%s/gw2.log", f->dir);
	snprintf(f->gwsock, sizeof(f->gwsock), "%s/htx-gw.sock", f->dir);
	snprintf(f->gwkey, sizeof(f->gwkey), "%s/gw.key", f->dir);
	if (mkdir(f->keys, 0700) != 0 || mkdir(f->state, 0700) != 0 ||
	    bn_keyfile_ticket_keygen(f->site, 0, pub, id, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "ticket keygen: %s\n", err);
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "%s/gw", f->dir);
	if (bn_keyfile_keygen(prefix, 0, pub, err, sizeof(err)) != 0)
		return -1;
	f->nup = nup;
	for (i = 0; i < nup; i++) {
		struct up *u = &f->up[i];

		snprintf(prefix, sizeof(prefix), "%s/node%d", f->dir, i);
		snprintf(u->key, sizeof(u->key), "%s.key", prefix);
		snprintf(u->log, sizeof(u->log), "%s/up%d.log", f->dir, i);
		snprintf(u->sock, sizeof(u->sock), "%s/up%d.sock", f->dir, i);
		if (bn_keyfile_keygen(prefix, 0, u->pub, err,
		    sizeof(err)) != 0)
			return -1;
		bn_hex_encode(u->pubhex, u->pub, BN_KEY_LEN);
		u->port = hx_free_port();
		if (up_start(f, i) != 0) {
			fprintf(stderr, "upstreamd %d did not start\n", i);
			return -1;
		}
	}
	f->port = hx_free_port();
	if (td_start(f) != 0) {
		fprintf(stderr, "ticketd did not start\n");
		return -1;
	}
	if (gw_start(f, &f->gw, f->gwlog, extra) != 0) {
		fprintf(stderr, "htx-gw did not start\n");
		return -1;
	}
	return 0;
}

/* `betanet ticket --site ... --carrier c`, trimmed. */
static int
ticket(struct fx *f, const char *carrier, char *out, size_t outlen)
{
	char *argv[] = { BETANET_BIN, "ticket", "--site", f->site,
	    "--carrier", (char *)carrier, NULL };
	size_t n;

	if (hx_run(argv, out, outlen, NULL, 0, T_MS) != 0)
		return -1;
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return n > 0 ? 0 : -1;
}

/* ---- raw HTTP client ------------------------------------------------ */

static int
tcp_connect(int port)
{
	struct sockaddr_in sa;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct resp {
	int		 status;
	char		*buf;		/* head + body, NUL-terminated */
	size_t		 len;
	char		*body;
	size_t		 bodylen;
};

static void
resp_free(struct resp *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Content-Length of a head, or -1. */
static long
head_clen(const char *head, size_t hlen)
{
	const char *p = head;

	while (p != NULL && p < head + hlen) {
		if (strncasecmp(p, "content-length:", 15) == 0)
			return strtol(p + 15, NULL, 10);
		if ((p = strstr(p, "\r\n")) != NULL)
			p += 2;
	}
	return -1;
}

/*
 * Read one response on fd (Content-Length framed, or to EOF), within
 * timeout_ms.  0, or -1 (timeout, EOF before a head, too big).
 */
static int
read_resp(int fd, struct resp *r, int head_only, int timeout_ms)
{
	size_t cap = 1 << 16;
	uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char *e, *nb;
	long clen = -2;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if ((r->buf = malloc(cap + 1)) == NULL)
		return -1;
	for (;;) {
		r->buf[r->len] = '\0';
		if (clen == -2 && (e = strstr(r->buf, "\r\n\r\n")) != NULL) {
			r->body = e + 4;
			clen = head_only ? 0 : head_clen(r->buf,
			    (size_t)(e - r->buf));
			if (sscanf(r->buf, "HTTP/1.%*d %d", &r->status) != 1)
				return -1;
		}
		if (clen >= 0 && r->body != NULL &&
		    r->len - (size_t)(r->body - r->buf) >= (size_t)clen) {
			r->bodylen = (size_t)clen;
			return 0;
		}
		if (r->len == cap) {
			size_t off = r->body != NULL ?
			    (size_t)(r->body - r->buf) : 0;

			if (cap > (200u << 20) ||
			    (nb = realloc(r->buf, cap * 2 + 1)) == NULL)
				return -1;
			r->buf = nb;
			cap *= 2;
			if (r->body != NULL)
				r->body = r->buf + off;
		}
		if (hx_now_ms() >= end ||
		    poll(&pfd, 1, (int)(end - hx_now_ms())) <= 0)
			return -1;
		n = read(fd, r->buf + r->len, cap - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (r->body != NULL && clen == -1) {
				r->bodylen = r->len -
				    (size_t)(r->body - r->buf);
				return 0;
			}
			return -1;
		}
		r->len += (size_t)n;
	}
}

/* One request on a new connection; the response in r. */
static int
http(int port, const char *req, size_t reqlen, struct resp *r)
{
	int fd, rc = -1;

	memset(r, 0, sizeof(*r));
	if ((fd = tcp_connect(port)) == -1)
		return -1;
	if (hx_write_all(fd, req, reqlen, T_MS) == 0)
		rc = read_resp(fd, r, strncmp(req, "HEAD ", 5) == 0, T_MS);
	close(fd);
	return rc;
}

static int
get(int port, const char *path, const char *extra_hdrs, struct resp *r)
{
	char req[8192];
	int n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n%s"
	    "Connection: close\r\n\r\n", path, extra_hdrs ? extra_hdrs : "");
	return http(port, req, (size_t)n, r);
}

/* ---- tests ------------------------------------------------------------ */

/* The full chain with curl, as the README shows it. */
static int
t_chain(void)
{
	static struct fx f;
	char cookie[512], hdr[600], url[128], out[4096];
	char *argv[] = { CURL_BIN, "-s", "-H", hdr, url, NULL };

	HX_CHECK(fx_init(&f, "gw-chain", 1, NULL) == 0, "fixture");
	HX_CHECK(ticket(&f, "cookie", cookie, sizeof(cookie)) == 0, "ticket");
	snprintf(hdr, sizeof(hdr), "Cookie: %s", cookie);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hello/world", f.port);
	HX_CHECK(hx_run(argv, out, sizeof(out), NULL, 0, T_MS) == 0, "curl");
	HX_CHECK(strcmp(out, "hello world") == 0, "got [%s]", out);
	cleanup_live();
	return 0;
}

/* Cookie, query and form tickets: admitted once, replay refused. */
static int
t_tickets(void)
{
	static struct fx f;
	struct resp r;
	char t[512], h[600], req[2048];
	int n;

	HX_CHECK(fx_init(&f, "gw-tickets", 1, NULL) == 0, "fixture");
	/* No ticket. */
	HX_CHECK(get(f.port, "/gw/echo", NULL, &r) == 0, "get");
	HX_CHECK(r.status == 403, "no ticket: %d", r.status);
	resp_free(&r);
	/* Cookie, then the same cookie on a new connection. */
	HX_CHECK(ticket(&f, "cookie", t, sizeof(t)) == 0, "ticket");
	snprintf(h, sizeof(h), "Cookie: a=1; %s; b=2\r\n", t);
	HX_CHECK(get(f.port, "/gw/echo", h, &r) == 0, "get");
	HX_CHECK(r.status == 200, "cookie: %d", r.status);
	HX_CHECK(strstr(r.body, "bn1") == NULL, "ticket leaked: %s", r.body);
	HX_CHECK(strstr(r.body, "h=cookie: a=1; b=2") != NULL,
	    "cookie not kept: %s", r.body);
	HX_CHECK(strstr(r.body, "h=x-forwarded-for: 127.0.0.1") != NULL,
	    "no xff: %s", r.body);
	resp_free(&r);
	HX_CHECK(get(f.port, "/gw/echo", h, &r) == 0, "get");
	HX_CHECK(r.status == 403, "cookie replay: %d", r.status);
	resp_free(&r);
	/* Query. */
	HX_CHECK(ticket(&f, "query", t, sizeof(t)) == 0, "ticket");
	snprintf(req, sizeof(req), "/gw/echo?x=1&%s&y=2", t);
	HX_CHECK(get(f.port, req, NULL, &r) == 0, "get");
	HX_CHECK(r.status == 200, "query: %d", r.status);
	HX_CHECK(strstr(r.body, "bn1") == NULL, "ticket leaked: %s", r.body);
	HX_CHECK(strstr(r.body, "query=x=1&y=2") != NULL, "query: %s",
	    r.body);
	resp_free(&r);
	HX_CHECK(get(f.port, req, NULL, &r) == 0, "get");
	HX_CHECK(r.status == 403, "query replay: %d", r.status);
	resp_free(&r);
	/* Form body. */
	HX_CHECK(ticket(&f, "form", t, sizeof(t)) == 0, "ticket");
	n = snprintf(req, sizeof(req), "POST /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\na=1&%s",
	    strlen(t) + 4, t);
	HX_CHECK(http(f.port, req, (size_t)n, &r) == 0, "post");
	HX_CHECK(r.status == 200, "form: %d", r.status);
	HX_CHECK(strstr(r.body, "bn1") == NULL, "ticket leaked: %s", r.body);
	HX_CHECK(strstr(r.body, "method=POST") != NULL, "%s", r.body);
	resp_free(&r);
	HX_CHECK(http(f.port, req, (size_t)n, &r) == 0, "post");
	HX_CHECK(r.status == 403, "form replay: %d", r.status);
	resp_free(&r);
	cleanup_live();
	return 0;
}

/* ticketd killed: 503 + Retry-After; back within 2 s of its restart. */
static int
t_ticketd_down(void)
{
	static struct fx f;
	struct resp r;
	char t[512], h[600];
	uint64_t t0;
	int ok = 0;

	HX_CHECK(fx_init(&f, "gw-tdown", 1, NULL) == 0, "fixture");
	HX_CHECK(hx_kill9(&f.td) == 0, "kill ticketd");
	HX_CHECK(ticket(&f, "cookie", t, sizeof(t)) == 0, "ticket");
	snprintf(h, sizeof(h), "Cookie: %s\r\n", t);
	HX_CHECK(get(f.port, "/hello/x", h, &r) == 0, "get");
	HX_CHECK(r.status == 503, "ticketd down: %d", r.status);
	HX_CHECK(strcasestr(r.buf, "\r\nretry-after:") != NULL,
	    "no Retry-After: %s", r.buf);
	resp_free(&r);
	HX_CHECK(hx_respawn(&f.td) == 0 &&
	    hx_wait_log(&f.td, "event=listening", T_MS) == 0, "restart");
	t0 = hx_now_ms();
	while (hx_now_ms() - t0 < 2000 && !ok) {
		HX_CHECK(ticket(&f, "cookie", t, sizeof(t)) == 0, "ticket");
		snprintf(h, sizeof(h), "Cookie: %s\r\n", t);
		HX_CHECK(get(f.port, "/hello/x", h, &r) == 0, "get");
		ok = r.status == 200;
		resp_free(&r);
		if (!ok)
			hx_sleep_ms(100);
	}
	HX_CHECK(ok, "not admitted within 2 s of ticketd's restart");
	cleanup_live();
	return 0;
}

/* Crafted requests: 400, 413, 431. */
static int
t_limits(void)
{
	static const char *const extra[] = { "--tickets", "off", "--set",
	    "max_body_bytes=1KiB", NULL };
	static struct fx f;
	struct resp r;
	char *req;
	size_t n, i;

	HX_CHECK(fx_init(&f, "gw-limits", 1, extra) == 0, "fixture");
	HX_CHECK(http(f.port, "GET /x HTTP/1.1\r\nHost t\r\n\r\n", 27,
	    &r) == 0, "bad header");
	HX_CHECK(r.status == 400, "bad header: %d", r.status);
	resp_free(&r);
	HX_CHECK(http(f.port, "GE T / HTTP/1.1\r\n\r\n", 19, &r) == 0, "line");
	HX_CHECK(r.status == 400, "bad line: %d", r.status);
	resp_free(&r);
	req = malloc(64 * 1024);
	n = (size_t)snprintf(req, 4096, "POST /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 2048\r\n\r\n");
	memset(req + n, 'a', 2048);
	HX_CHECK(http(f.port, req, n + 2048, &r) == 0, "413");
	HX_CHECK(r.status == 413, "big body: %d", r.status);
	resp_free(&r);
	n = (size_t)snprintf(req, 4096, "GET / HTTP/1.1\r\nHost: t\r\n");
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf(req + n, 64, "X-H%zu: v\r\n", i);
	n += (size_t)snprintf(req + n, 64, "\r\n");
	HX_CHECK(http(f.port, req, n, &r) == 0, "431 count");
	HX_CHECK(r.status == 431, "70 headers: %d", r.status);
	resp_free(&r);
	n = (size_t)snprintf(req, 4096, "GET / HTTP/1.1\r\nX-Long: ");
	memset(req + n, 'b', 9000);
	n += 9000;
	n += (size_t)snprintf(req + n, 64, "\r\n\r\n");
	HX_CHECK(http(f.port, req, n, &r) == 0, "431 line");
	HX_CHECK(r.status == 431, "long line: %d", r.status);
	resp_free(&r);
	free(req);
	cleanup_live();
	return 0;
}

/* Statuses, headers and methods pass through as they are. */
static int
t_passthrough(void)
{
	static const char *const extra[] = { "--tickets", "off", NULL };
	static const char *const methods[] = { "PUT", "DELETE", "PATCH",
	    "OPTIONS", "POST" };
	static const int codes[] = { 404, 201, 302, 500, 503 };
	static struct fx f;
	struct resp r;
	char req[512], want[64], path[64];
	size_t i;
	int n;

	HX_CHECK(fx_init(&f, "gw-pass", 1, extra) == 0, "fixture");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(path, sizeof(path), "/gw/status/%d", codes[i]);
		HX_CHECK(get(f.port, path, NULL, &r) == 0, "get");
		HX_CHECK(r.status == codes[i], "%d became %d", codes[i],
		    r.status);
		HX_CHECK(strcasestr(r.buf, "\r\nx-test: yes\r\n") != NULL,
		    "x-test lost: %s", r.buf);
		HX_CHECK(strcasestr(r.buf, "\r\nlocation: /elsewhere\r\n") !=
		    NULL, "location lost: %s", r.buf);
		resp_free(&r);
	}
	HX_CHECK(get(f.port, "/no/such/route", NULL, &r) == 0, "get");
	HX_CHECK(r.status == 404, "unknown route: %d", r.status);
	resp_free(&r);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		n = snprintf(req, sizeof(req), "%s /gw/echo HTTP/1.1\r\n"
		    "Host: t\r\nX-Custom: Abc\r\nContent-Length: 5\r\n"
		    "Connection: close\r\n\r\nhello", methods[i]);
		HX_CHECK(http(f.port, req, (size_t)n, &r) == 0, "%s",
		    methods[i]);
		HX_CHECK(r.status == 200, "%s: %d", methods[i], r.status);
		snprintf(want, sizeof(want), "method=%s\n", methods[i]);
		HX_CHECK(strstr(r.body, want) != NULL, "%s arrived as: %s",
		    methods[i], r.body);
		HX_CHECK(strstr(r.body, "h=x-custom: Abc\n") != NULL,
		    "header: %s", r.body);
		HX_CHECK(strstr(r.body, "len=5\n") != NULL, "body: %s",
		    r.body);
		resp_free(&r);
	}
	n = snprintf(req, sizeof(req), "HEAD /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n");
	HX_CHECK(http(f.port, req, (size_t)n, &r) == 0, "HEAD");
	HX_CHECK(r.status == 200 && r.bodylen == 0 && r.len ==
	    (size_t)(r.body - r.buf), "HEAD: %d, %zu bytes after head",
	    r.status, r.len - (size_t)(r.body - r.buf));
	resp_free(&r);
	/* Chunked request body. */
	n = snprintf(req, sizeof(req), "POST /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	    "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
	HX_CHECK(http(f.port, req, (size_t)n, &r) == 0, "chunked");
	HX_CHECK(r.status == 200 && strstr(r.body, "len=5\n") != NULL,
	    "chunked: %d %s", r.status, r.body);
	resp_free(&r);
	cleanup_live();
	return 0;
}

static void
pattern(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 13));
}

static long
vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(fp);
	return kb;
}

/* 50 MiB up and down through the gateway, checked by SHA-256. */
static int
t_big(void)
{
	static const char *const extra[] = { "--tickets", "off", NULL };
	static struct fx f;
	struct resp r;
	uint8_t *p, hash[BN_HASH_LEN], got[BN_HASH_LEN];
	char hex[2 * BN_HASH_LEN + 1], want[100], path[64], head[256];
	int fd, n;

	HX_CHECK(fx_init(&f, "gw-big", 1, extra) == 0, "fixture");
	HX_CHECK((p = malloc(BIG_UP)) != NULL, "alloc");
	pattern(p, BIG_UP);
	p[12345] ^= 0x55;
	bn_sha256(hash, p, BIG_UP);
	bn_hex_encode(hex, hash, sizeof(hash));
	n = snprintf(head, sizeof(head), "PUT /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: %u\r\nConnection: close\r\n\r\n", BIG_UP);
	HX_CHECK((fd = tcp_connect(f.port)) != -1, "connect");
	HX_CHECK(hx_write_all(fd, head, (size_t)n, T_MS) == 0 &&
	    hx_write_all(fd, p, BIG_UP, 60000) == 0, "upload");
	HX_CHECK(read_resp(fd, &r, 0, 60000) == 0, "upload response");
	close(fd);
	snprintf(want, sizeof(want), "sha256=%s\n", hex);
	HX_CHECK(r.status == 200 && strstr(r.body, want) != NULL,
	    "upload: %d %s", r.status, r.body);
	resp_free(&r);
	fprintf(stderr, "gateway VmHWM after 50 MiB upload: %ld KiB\n",
	    vm_hwm_kb(f.gw.pid));
	pattern(p, BIG_DOWN);
	bn_sha256(hash, p, BIG_DOWN);
	snprintf(path, sizeof(path), "/gw/big/%u", BIG_DOWN);
	HX_CHECK(get(f.port, path, NULL, &r) == 0, "download");
	HX_CHECK(r.status == 200 && r.bodylen == BIG_DOWN, "download: %d %zu",
	    r.status, r.bodylen);
	bn_sha256(got, r.body, r.bodylen);
	HX_CHECK(memcmp(got, hash, sizeof(hash)) == 0, "download hash");
	resp_free(&r);
	fprintf(stderr, "gateway VmHWM after 50 MiB download: %ld KiB\n",
	    vm_hwm_kb(f.gw.pid));
	free(p);
	cleanup_live();
	return 0;
}

/*
 * Two upstreams, one killed with requests in flight: every GET answered
 * 200 (retried elsewhere), POSTs 200 or 502, nothing hangs; then all
 * new requests are served by the survivor.
 */
#define KILL_N	60
static int
t_kill(void)
{
	static const char *const extra[] = { "--tickets", "off", NULL };
	static struct fx f;
	struct resp r;
	int fds[KILL_N], i, n, ok = 0, bad = 0, s502 = 0;
	char req[256];

	HX_CHECK(fx_init(&f, "gw-kill", 2, extra) == 0, "fixture");
	/* Warm both upstreams. */
	for (i = 0; i < 10; i++) {
		HX_CHECK(get(f.port, "/hello/w", NULL, &r) == 0, "warm");
		HX_CHECK(r.status == 200, "warm: %d", r.status);
		resp_free(&r);
	}
	for (i = 0; i < KILL_N; i++) {
		HX_CHECK((fds[i] = tcp_connect(f.port)) != -1, "connect");
		if (i % 3 == 2)
			n = snprintf(req, sizeof(req), "POST /gw/echo HTTP/1.1"
			    "\r\nHost: t\r\nContent-Length: 3\r\nConnection: "
			    "close\r\n\r\nabc");
		else
			n = snprintf(req, sizeof(req), "GET /gw/slow/50 "
			    "HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
		HX_CHECK(hx_write_all(fds[i], req, (size_t)n, T_MS) == 0,
		    "send");
	}
	hx_sleep_ms(100);
	HX_CHECK(hx_kill9(&f.up[0].d) == 0, "kill");
	for (i = 0; i < KILL_N; i++) {
		if (read_resp(fds[i], &r, 0, 15000) != 0) {
			bad++;
			fprintf(stderr, "request %d: no answer\n", i);
		} else if (r.status == 200)
			ok++;
		else if (r.status == 502 && i % 3 == 2)
			s502++;
		else {
			bad++;
			fprintf(stderr, "request %d: %d\n", i, r.status);
		}
		resp_free(&r);
		close(fds[i]);
	}
	fprintf(stderr, "kill: %d ok, %d 502 (POST), %d bad\n", ok, s502, bad);
	HX_CHECK(bad == 0, "%d requests lost or hung", bad);
	for (i = 0; i < 20; i++) {
		HX_CHECK(get(f.port, "/hello/after", NULL, &r) == 0, "after");
		HX_CHECK(r.status == 200, "after kill: %d", r.status);
		resp_free(&r);
	}
	/* Both down: 502 at once, no hang. */
	HX_CHECK(hx_kill9(&f.up[1].d) == 0, "kill 2");
	hx_sleep_ms(200);
	HX_CHECK(get(f.port, "/hello/none", NULL, &r) == 0, "none");
	HX_CHECK(r.status == 502, "no upstream: %d", r.status);
	resp_free(&r);
	/* One back: served again after the re-probe backoff. */
	HX_CHECK(up_start(&f, 1) == 0, "restart");
	{
		uint64_t t0 = hx_now_ms();
		int back = 0;

		while (!back && hx_now_ms() - t0 < 15000) {
			HX_CHECK(get(f.port, "/hello/back", NULL, &r) == 0,
			    "back");
			back = r.status == 200;
			resp_free(&r);
			if (!back)
				hx_sleep_ms(200);
		}
		HX_CHECK(back, "upstream not re-admitted");
	}
	cleanup_live();
	return 0;
}

/* 200 concurrent keep-alive clients, three requests each. */
#define CONC_N	200
static int
t_concurrent(void)
{
	static const char *const extra[] = { "--tickets", "off", NULL };
	static const char req[] = "GET /hello/k HTTP/1.1\r\nHost: t\r\n\r\n";
	static struct fx f;
	struct resp r;
	int fds[CONC_N], i, round;

	HX_CHECK(hx_raise_nofile(1024) == 0, "nofile");
	HX_CHECK(fx_init(&f, "gw-conc", 2, extra) == 0, "fixture");
	for (i = 0; i < CONC_N; i++)
		HX_CHECK((fds[i] = tcp_connect(f.port)) != -1, "connect %d",
		    i);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < CONC_N; i++)
			HX_CHECK(hx_write_all(fds[i], req, sizeof(req) - 1,
			    T_MS) == 0, "send");
		for (i = 0; i < CONC_N; i++) {
			HX_CHECK(read_resp(fds[i], &r, 0, T_MS) == 0,
			    "client %d round %d: no answer", i, round);
			HX_CHECK(r.status == 200 && r.bodylen == 7 &&
			    memcmp(r.body, "hello k", 7) == 0,
			    "client %d: %d", i, r.status);
			resp_free(&r);
		}
	}
	for (i = 0; i < CONC_N; i++)
		close(fds[i]);
	cleanup_live();
	return 0;
}

/* Slowloris: many idle half-headers; normal clients still served. */
static int
t_slowloris(void)
{
	static const char *const extra[] = { "--tickets", "off", NULL };
	static const char part[] = "GET / HTTP/1.1\r\nHost: t\r\nX-A: ";
	static struct fx f;
	struct resp r;
	int *fds, i, n = 2000, opened = 0;
	uint64_t t0;

	if (hx_raise_nofile((size_t)n * 2 + 200) != 0) {
		n = 400;
		fprintf(stderr, "RLIMIT_NOFILE: only %d slow clients\n", n);
		HX_CHECK(hx_raise_nofile((size_t)n * 2 + 200) == 0, "nofile");
	}
	HX_CHECK(fx_init(&f, "gw-slow", 1, extra) == 0, "fixture");
	fds = calloc((size_t)n, sizeof(*fds));
	for (i = 0; i < n; i++) {
		if ((fds[i] = tcp_connect(f.port)) == -1)
			break;
		opened++;
		(void)hx_write_all(fds[i], part, sizeof(part) - 1, 1000);
	}
	fprintf(stderr, "slowloris: %d slow connections\n", opened);
	HX_CHECK(opened == n, "only %d connections", opened);
	t0 = hx_now_ms();
	for (i = 0; i < 50; i++) {
		HX_CHECK(get(f.port, "/hello/s", NULL, &r) == 0,
		    "normal client %d not served", i);
		HX_CHECK(r.status == 200, "normal: %d", r.status);
		resp_free(&r);
	}
	fprintf(stderr, "50 normal requests beside them in %llu ms\n",
	    (unsigned long long)(hx_now_ms() - t0));
	for (i = 0; i < opened; i++)
		close(fds[i]);
	free(fds);
	cleanup_live();
	return 0;
}

/* Occurrences of needle in hay. */
static int
count_str(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* No sanitizer report and still running. */
static int
gw_clean(struct hx_daemon *d)
{
	return d->pid != 0 && kill(d->pid, 0) == 0 &&
	    hx_log_count(d, "Sanitizer") == 0 &&
	    hx_log_count(d, "runtime error:") == 0;
}

/*
 * C1: 60 headers of one name, 900 bytes each (under the 64-header and
 * 8 KiB-line limits), joined by the HTX backend into one field: the app
 * sees exactly one x-a, the 60 values joined with ", ".
 */
#define BH_N	60
#define BH_LEN	900
static int
t_bigheaders(void)
{
	static struct fx f;
	struct resp r;
	char t[512], *req, *want, v[BH_LEN + 1];
	size_t n = 0, w, i;

	HX_CHECK(fx_init(&f, "gw-bighdr", 1, NULL) == 0, "fixture");
	HX_CHECK(ticket(&f, "cookie", t, sizeof(t)) == 0, "ticket");
	HX_CHECK((req = malloc(BH_N * (BH_LEN + 16) + 1024)) != NULL &&
	    (want = malloc(BH_N * (BH_LEN + 2) + 64)) != NULL, "alloc");
	n = (size_t)sprintf(req, "GET /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "Cookie: %s\r\nConnection: close\r\n", t);
	w = (size_t)sprintf(want, "h=x-a: ");
	for (i = 0; i < BH_N; i++) {
		memset(v, 'a' + (int)(i % 26), BH_LEN);
		memcpy(v, "v", 1);
		v[1] = (char)('0' + i / 10);
		v[2] = (char)('0' + i % 10);
		v[BH_LEN] = '\0';
		n += (size_t)sprintf(req + n, "X-A: %s\r\n", v);
		w += (size_t)sprintf(want + w, "%s%s", i > 0 ? ", " : "", v);
	}
	n += (size_t)sprintf(req + n, "\r\n");
	sprintf(want + w, "\n");
	HX_CHECK(http(f.port, req, n, &r) == 0, "request");
	HX_CHECK(r.status == 200, "status %d: %.200s", r.status, r.buf);
	HX_CHECK(count_str(r.body, "h=x-a:") == 1, "%d x-a headers",
	    count_str(r.body, "h=x-a:"));
	HX_CHECK(strstr(r.body, want) != NULL, "joined value differs");
	resp_free(&r);
	/* The gateway is still there, and said nothing. */
	HX_CHECK(get(f.port, "/hello/after", t, &r) == 0, "after");
	resp_free(&r);
	HX_CHECK(gw_clean(&f.gw), "gateway died or sanitizer report in %s",
	    f.gwlog);
	free(req);
	free(want);
	cleanup_live();
	return 0;
}

/* H1: what the client says about forwarding never reaches the app. */
static int
t_forwarded(void)
{
	static struct fx f;
	struct resp r;
	char t[512], h[2048];

	HX_CHECK(fx_init(&f, "gw-fwd", 1, NULL) == 0, "fixture");
	HX_CHECK(ticket(&f, "cookie", t, sizeof(t)) == 0, "ticket");
	snprintf(h, sizeof(h), "Cookie: %s\r\n"
	    "X-Forwarded-For: 6.6.6.6\r\nx-forwarded-for: 7.7.7.7, 8.8.8.8\r\n"
	    "Forwarded: for=6.6.6.6\r\nFORWARDED: for=7.7.7.7;proto=https\r\n"
	    "X-Real-IP: 6.6.6.6\r\n", t);
	HX_CHECK(get(f.port, "/gw/echo", h, &r) == 0, "get");
	HX_CHECK(r.status == 200, "status %d", r.status);
	HX_CHECK(count_str(r.body, "h=x-forwarded-for: ") == 1 &&
	    strstr(r.body, "h=x-forwarded-for: 127.0.0.1\n") != NULL,
	    "x-forwarded-for: %s", r.body);
	HX_CHECK(count_str(r.body, "h=forwarded: ") == 1 &&
	    strstr(r.body, "h=forwarded: for=127.0.0.1;proto=http\n") !=
	    NULL, "forwarded: %s", r.body);
	HX_CHECK(strstr(r.body, "x-real-ip") == NULL, "x-real-ip: %s", r.body);
	HX_CHECK(strstr(r.body, "6.6.6.6") == NULL &&
	    strstr(r.body, "7.7.7.7") == NULL &&
	    strstr(r.body, "8.8.8.8") == NULL, "client's claim: %s", r.body);
	resp_free(&r);
	cleanup_live();
	return 0;
}

/* L1: a Referer with bn1= in its query does not carry a ticket on. */
static int
t_referer(void)
{
	static struct fx f;
	struct resp r;
	char t[512], q[512], h[2048];

	HX_CHECK(fx_init(&f, "gw-ref", 1, NULL) == 0, "fixture");
	HX_CHECK(ticket(&f, "cookie", t, sizeof(t)) == 0 &&
	    ticket(&f, "query", q, sizeof(q)) == 0, "ticket");
	snprintf(h, sizeof(h), "Cookie: %s\r\nReferer: "
	    "http://site.example/page?a=1&%s&b=2\r\n", t, q);
	HX_CHECK(get(f.port, "/gw/echo", h, &r) == 0, "get");
	HX_CHECK(r.status == 200, "status %d", r.status);
	HX_CHECK(strstr(r.body, "bn1") == NULL, "ticket leaked: %s", r.body);
	HX_CHECK(strstr(r.body, "h=referer: http://site.example/page?a=1&b=2"
	    "\n") != NULL, "referer: %s", r.body);
	resp_free(&r);
	cleanup_live();
	return 0;
}

/*
 * H2: before admission a form body is read only up to
 * preadmit_body_bytes; a bigger one needs its ticket in the cookie or
 * query.
 */
static int
t_preadmit(void)
{
	static const char *const extra[] = { "--set",
	    "preadmit_body_bytes=1KiB", NULL };
	static const char form[] = "Content-Type: "
	    "application/x-www-form-urlencoded\r\n";
	static struct fx f;
	struct resp r;
	char t[512], req[4096], *body;
	int fd, n;
	size_t i;

	HX_CHECK(fx_init(&f, "gw-preadmit", 1, extra) == 0, "fixture");
	/* 1 MiB announced: refused on the head alone, no body sent. */
	n = snprintf(req, sizeof(req), "POST /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "%sContent-Length: 1048576\r\n\r\n", form);
	HX_CHECK((fd = tcp_connect(f.port)) != -1, "connect");
	HX_CHECK(hx_write_all(fd, req, (size_t)n, T_MS) == 0, "send");
	HX_CHECK(read_resp(fd, &r, 0, 5000) == 0, "no answer before the body");
	HX_CHECK(r.status == 403 && strstr(r.body, "ticket refused: missing")
	    != NULL, "1 MiB form: %d %s", r.status, r.body);
	resp_free(&r);
	close(fd);
	/* Chunked, past the cap and never finished: refused all the same. */
	n = snprintf(req, sizeof(req), "POST /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "%sTransfer-Encoding: chunked\r\n\r\n600\r\n", form);
	memset(req + n, 'a', 0x600);
	n += 0x600;
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n600\r\n");
	HX_CHECK((fd = tcp_connect(f.port)) != -1, "connect");
	HX_CHECK(hx_write_all(fd, req, (size_t)n, T_MS) == 0, "send");
	HX_CHECK(read_resp(fd, &r, 0, 5000) == 0, "chunked: no answer");
	HX_CHECK(r.status == 403, "chunked form: %d", r.status);
	resp_free(&r);
	close(fd);
	/* A form ticket in a form over the cap is not looked for. */
	HX_CHECK(ticket(&f, "form", t, sizeof(t)) == 0, "ticket");
	HX_CHECK((body = malloc(2048 + 1)) != NULL, "alloc");
	n = snprintf(body, 2049, "%s&", t);
	for (i = (size_t)n; i < 2048; i++)
		body[i] = 'x';
	body[2048] = '\0';
	n = snprintf(req, sizeof(req), "POST /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "%sContent-Length: 2048\r\nConnection: close\r\n\r\n%s", form,
	    body);
	HX_CHECK(http(f.port, req, (size_t)n, &r) == 0, "post");
	HX_CHECK(r.status == 403, "form ticket in a big form: %d", r.status);
	resp_free(&r);
	/* A big form with the ticket in the cookie: admitted, forwarded. */
	HX_CHECK(ticket(&f, "cookie", t, sizeof(t)) == 0, "ticket");
	memcpy(body, "a=1&", 4);
	memset(body + 4, 'x', 2048 - 4);
	n = snprintf(req, sizeof(req), "POST /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "Cookie: %s\r\n%sContent-Length: 2048\r\nConnection: close\r\n"
	    "\r\n%s", t, form, body);
	HX_CHECK(http(f.port, req, (size_t)n, &r) == 0, "post");
	HX_CHECK(r.status == 200 && strstr(r.body, "len=2048\n") != NULL,
	    "cookie + big form: %d %s", r.status, r.body);
	resp_free(&r);
	free(body);
	HX_CHECK(gw_clean(&f.gw), "gateway: %s", f.gwlog);
	cleanup_live();
	return 0;
}

/*
 * H2: a client dripping a form body a byte at a time, without a ticket,
 * is dropped at header_timeout after its first byte (absolute), however
 * often it sends.
 */
static int
t_drip(void)
{
	static const char *const extra[] = { "--set", "header_timeout=2s",
	    "--set", "body_timeout=30s", NULL };
	static const char head[] = "POST /gw/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 1000\r\n\r\n";
	static struct fx f;
	struct pollfd pfd;
	uint64_t t0, took = 0;
	char buf[256];
	ssize_t n;
	int fd, closed = 0;

	HX_CHECK(fx_init(&f, "gw-drip", 1, extra) == 0, "fixture");
	HX_CHECK((fd = tcp_connect(f.port)) != -1, "connect");
	t0 = hx_now_ms();
	HX_CHECK(hx_write_all(fd, head, sizeof(head) - 1, T_MS) == 0, "head");
	while (!closed && hx_now_ms() - t0 < 10000) {
		hx_sleep_ms(200);
		if (write(fd, "a", 1) != 1) {
			closed = 1;
			break;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) > 0 &&
		    ((n = read(fd, buf, sizeof(buf))) <= 0))
			closed = 1;
	}
	took = hx_now_ms() - t0;
	close(fd);
	fprintf(stderr, "drip: dropped after %llu ms\n",
	    (unsigned long long)took);
	HX_CHECK(closed, "still open after %llu ms", (unsigned long long)took);
	HX_CHECK(took >= 1500 && took < 4500, "dropped after %llu ms, want "
	    "~2000", (unsigned long long)took);
	HX_CHECK(hx_log_count(&f.gw, "phase=preadmit") == 1, "no "
	    "client_timeout phase=preadmit in %s", f.gwlog);
	cleanup_live();
	return 0;
}

/* L3: without reuse_port a second gateway cannot take a busy port. */
static int
t_bind_conflict(void)
{
	static const char *const extra[] = { "--tickets", "off", NULL };
	const char *ex2[5] = { "--tickets", "off", "--admin-socket", NULL,
	    NULL };
	static struct fx f;
	struct resp r;
	char sock2[400];

	HX_CHECK(fx_init(&f, "gw-bind", 1, extra) == 0, "fixture");
	snprintf(sock2, sizeof(sock2), "%s/gw2.sock", f.dir);
	ex2[3] = sock2;
	HX_CHECK(gw_start(&f, &f.gw2, f.gwlog2, ex2) == -1,
	    "second gateway bound a port in use");
	HX_CHECK(f.gw2.status == 1, "exit status %d, want 1", f.gw2.status);
	HX_CHECK(hx_log_count(&f.gw2, "event=listen_failed") > 0 &&
	    hx_log_count(&f.gw2, "Address already in use") > 0,
	    "no clear listen_failed line in %s", f.gwlog2);
	HX_CHECK(get(f.port, "/hello/b", NULL, &r) == 0 && r.status == 200,
	    "the first gateway still serves");
	resp_free(&r);
	cleanup_live();
	return 0;
}

/* Two gateway processes on one port (SO_REUSEPORT, reuse_port: true). */
static int
t_reuseport(void)
{
	static const char *const extra[] = { "--tickets", "off", "--set",
	    "reuse_port=true", NULL };
	const char *ex2[7] = { "--tickets", "off", "--set", "reuse_port=true",
	    "--admin-socket", NULL, NULL };
	static struct fx f;
	struct resp r;
	char sock2[400];
	int i;

	HX_CHECK(fx_init(&f, "gw-reuse", 1, extra) == 0, "fixture");
	snprintf(sock2, sizeof(sock2), "%s/gw2.sock", f.dir);
	ex2[5] = sock2;
	HX_CHECK(gw_start(&f, &f.gw2, f.gwlog2, ex2) == 0, "second gw");
	for (i = 0; i < 40; i++) {
		HX_CHECK(get(f.port, "/hello/r", NULL, &r) == 0, "get %d", i);
		HX_CHECK(r.status == 200, "get: %d", r.status);
		resp_free(&r);
	}
	HX_CHECK(hx_kill9(&f.gw) == 0, "kill first");
	for (i = 0; i < 10; i++) {
		HX_CHECK(get(f.port, "/hello/r", NULL, &r) == 0, "after %d", i);
		HX_CHECK(r.status == 200, "after: %d", r.status);
		resp_free(&r);
	}
	cleanup_live();
	return 0;
}

/* `betanet gw status` over the admin socket; SIGHUP; SIGTERM. */
static int
t_admin(void)
{
	static const char *const extra[] = { "--tickets", "off", NULL };
	static struct fx f;
	struct resp r;
	char out[8192], err[1024];
	char *argv[] = { BETANET_BIN, "gw", "status", "--socket", NULL,
	    NULL };

	HX_CHECK(fx_init(&f, "gw-admin", 2, extra) == 0, "fixture");
	HX_CHECK(get(f.port, "/hello/a", NULL, &r) == 0 && r.status == 200,
	    "get");
	resp_free(&r);
	argv[4] = f.gwsock;
	HX_CHECK(hx_run(argv, out, sizeof(out), err, sizeof(err), T_MS) == 0,
	    "gw status: %s", err);
	HX_CHECK(strstr(out, "backend=htx") != NULL, "%s", out);
	HX_CHECK(strstr(out, "state=healthy") != NULL, "%s", out);
	HX_CHECK(hx_signal(&f.gw, SIGHUP) == 0, "hup");
	HX_CHECK(hx_wait_log(&f.gw, "event=reloaded", T_MS) == 0, "reload");
	HX_CHECK(get(f.port, "/hello/a", NULL, &r) == 0 && r.status == 200,
	    "after hup");
	resp_free(&r);
	HX_CHECK(hx_signal(&f.gw, SIGTERM) == 0, "term");
	HX_CHECK(hx_wait_exit(&f.gw, T_MS) == 0, "exit 0 after SIGTERM");
	cleanup_live();
	return 0;
}

static const struct {
	const char	*name;
	int		(*fn)(void);
} tests[] = {
	{ "chain",	t_chain },
	{ "tickets",	t_tickets },
	{ "ticketd_down", t_ticketd_down },
	{ "limits",	t_limits },
	{ "passthrough", t_passthrough },
	{ "big",	t_big },
	{ "kill",	t_kill },
	{ "concurrent",	t_concurrent },
	{ "slowloris",	t_slowloris },
	{ "reuseport",	t_reuseport },
	{ "admin",	t_admin },
	{ "bigheaders",	t_bigheaders },
	{ "forwarded",	t_forwarded },
	{ "referer",	t_referer },
	{ "preadmit",	t_preadmit },
	{ "drip",	t_drip },
	{ "bind_conflict", t_bind_conflict },
};

int
main(int argc, char **argv)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 2) {
		fprintf(stderr, "usage: it_gw TEST\n");
		return 2;
	}
	atexit(cleanup_live);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(tests[i].name, argv[1]) == 0)
			return tests[i].fn();
	fprintf(stderr, "it_gw: unknown test %s\n", argv[1]);
	return 2;
}
