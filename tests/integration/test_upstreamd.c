/*
 * Integration tests for upstreamd: start the real daemon in a temp
 * directory and drive it over TCP with a C client built on libcommon's
 * session engine (struct tc below: a blocking socket, poll() and
 * bn_htx_session) and with `betanet stream`.
 *
 * usage: it_upstreamd TEST   (see the table at the bottom)
 * Exit 0 pass, 1 fail, 77 skipped.  Loopback only; every loop is
 * bounded in count and every wait in time.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "betanet/bar.h"
#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_session.h"
#include "betanet/keyfile.h"
#include "harness.h"
#include "upstreamd.pb-c.h"

#define T_MS		20000
#define TC_MAX_OUT	1024
#define TC_MAX_MSG	1024
#define BIG		(4u << 20)

enum tc_mode { TC_NATIVE, TC_COMPAT, TC_LEGACY };

struct tc_out {
	uint32_t	 sid;
	struct bn_buf	*b;
	size_t		 off;
};

struct tc_msg {
	uint32_t	 sid;
	uint8_t		*p;
	size_t		 len;
};

/* A test client: one session on a blocking socket. */
struct tc {
	int		 fd;
	enum tc_mode	 mode;
	struct bn_htx_session *s;
	uint8_t		 in[65536];
	size_t		 inoff, inlen;
	int		 open, closed, eof;
	uint16_t	 close_code;
	struct tc_out	 out[TC_MAX_OUT];
	size_t		 nout;
	struct tc_msg	 msg[TC_MAX_MSG];
	size_t		 nmsg;
};

struct fx {
	char		 dir[256], key[320], pubf[320], log[320], sock[320];
	char		 www[320], tpl[320];
	char		 pubhex[65];
	uint8_t		 pub[BN_KEY_LEN];
	int		 port, lport;
	char		 ports[16], lports[16];
	struct hx_daemon d;
};

/* ---- client ------------------------------------------------------ */

static int
tcp_connect(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
tc_free(struct tc *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nout; i++)
		bn_buf_free(c->out[i].b);
	for (i = 0; i < c->nmsg; i++)
		free(c->msg[i].p);
	bn_htx_session_free(c->s);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void
tc_events(struct tc *c)
{
	struct bn_htx_event ev;
	struct tc_msg *m;

	while (bn_htx_session_next_event(c->s, &ev, hx_now_ms()) == 1) {
		switch (ev.type) {
		case BN_HTX_EV_HANDSHAKE_DONE:
			c->open = 1;
			break;
		case BN_HTX_EV_MESSAGE:
			/* legacy: skip a pushed control frame (stream 2) */
			if (c->nmsg == TC_MAX_MSG || (c->mode == TC_LEGACY &&
			    ev.stream_id % 2 == 0))
				break;
			m = &c->msg[c->nmsg];
			if ((m->p = malloc(ev.len ? ev.len : 1)) == NULL)
				break;
			memcpy(m->p, ev.data, ev.len);
			m->len = ev.len;
			m->sid = ev.stream_id;
			c->nmsg++;
			break;
		case BN_HTX_EV_CLOSED:
			c->closed = 1;
			c->close_code = ev.code;
			break;
		default:
			break;
		}
	}
}

static void
tc_pump(struct tc *c)
{
	struct tc_out *o;
	size_t i, acc;
	int r;

	for (i = 0; i < c->nout; i++) {
		o = &c->out[i];
		if (o->b == NULL || o->off == bn_buf_len(o->b) + 1)
			continue;
		if (c->mode != TC_NATIVE) {
			r = bn_htx_session_send_message(c->s, o->sid,
			    bn_buf_ptr(o->b), bn_buf_len(o->b));
			if (r == BN_OK)
				o->off = bn_buf_len(o->b) + 1;
			continue;
		}
		acc = 0;
		r = bn_htx_session_write(c->s, o->sid, bn_buf_ptr(o->b) +
		    o->off, bn_buf_len(o->b) - o->off, 1, &acc);
		o->off += acc;
		if (r == BN_OK && o->off == bn_buf_len(o->b))
			o->off++;		/* done, FIN sent */
	}
}

static int
tc_flush(struct tc *c)
{
	uint8_t chunk[65536];
	struct bn_buf b;
	size_t n;

	for (;;) {
		bn_buf_fixed(&b, chunk, sizeof(chunk));
		n = 0;
		(void)bn_htx_session_pull(c->s, &b, sizeof(chunk), &n);
		if (n == 0)
			return 0;
		if (hx_write_all(c->fd, chunk, n, T_MS) != 0)
			return -1;
	}
}

/* One round: events, writes, output, then up to wait_ms for input. */
static int
tc_step(struct tc *c, int wait_ms)
{
	struct pollfd pfd;
	size_t acc;
	ssize_t n;
	uint64_t now;

	tc_events(c);
	tc_pump(c);
	if (tc_flush(c) != 0)
		return -1;
	if (c->inoff == c->inlen) {
		if (c->eof)
			return -1;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait_ms) <= 0) {
			(void)bn_htx_session_tick(c->s, hx_now_ms());
			return 0;
		}
		n = read(c->fd, c->in, sizeof(c->in));
		if (n <= 0) {
			c->eof = 1;
			return -1;
		}
		c->inoff = 0;
		c->inlen = (size_t)n;
	}
	now = hx_now_ms();
	while (c->inoff < c->inlen) {
		acc = 0;
		if (bn_htx_session_feed(c->s, c->in + c->inoff,
		    c->inlen - c->inoff, now, &acc) != BN_OK)
			return -1;
		if (acc == 0)
			break;
		c->inoff += acc;
	}
	return 0;
}

/* A session as the static key priv (NULL: a fresh one). */
static struct tc *
tc_open_as(int port, const uint8_t pub[BN_KEY_LEN], enum tc_mode mode,
    const uint8_t *priv)
{
	struct bn_htx_config hc;
	uint8_t epub[BN_KEY_LEN];
	struct tc *c;
	uint64_t end = hx_now_ms() + T_MS;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->mode = mode;
	bn_htx_config_default(&hc);
	hc.role = BN_HTX_CLIENT;
	memcpy(hc.server_pub, pub, BN_KEY_LEN);
	hc.offer_native = mode == TC_NATIVE;
	hc.allow_compat = mode != TC_NATIVE;
	hc.legacy11 = mode == TC_LEGACY;
	hc.max_streams = 20000;
	hc.max_message = 64u << 20;
	if (priv != NULL)
		memcpy(hc.static_priv, priv, BN_KEY_LEN);
	else
		(void)bn_x25519_keygen(hc.static_priv, epub);
	c->s = bn_htx_session_new(&hc, hx_now_ms());
	bn_cleanse(hc.static_priv, sizeof(hc.static_priv));
	if (c->s == NULL || (c->fd = tcp_connect(port)) < 0) {
		c->fd = -1;
		tc_free(c);
		return NULL;
	}
	while (!c->open && !c->closed && hx_now_ms() < end)
		if (tc_step(c, 50) != 0)
			break;
	if (!c->open) {
		tc_free(c);
		return NULL;
	}
	return c;
}

static struct tc *
tc_open(int port, const uint8_t pub[BN_KEY_LEN], enum tc_mode mode)
{
	return tc_open_as(port, pub, mode, NULL);
}

/* Queue one message on a new stream; its sid, or 0. */
static uint32_t
tc_send(struct tc *c, const uint8_t *p, size_t len)
{
	uint32_t sid;

	if (c->nout == TC_MAX_OUT ||
	    bn_htx_session_open_stream(c->s, &sid) != BN_OK)
		return 0;
	if ((c->out[c->nout].b = bn_buf_new(len + 1)) == NULL ||
	    bn_buf_put(c->out[c->nout].b, p, len) != BN_OK)
		return 0;
	c->out[c->nout].sid = sid;
	c->out[c->nout].off = 0;
	c->nout++;
	tc_pump(c);
	return sid;
}

static uint32_t
tc_send_bar(struct tc *c, const char *method, const char *url,
    const char *hname, const char *hval, const uint8_t *body, size_t blen)
{
	struct bn_bar_header h[1];
	struct bn_bar_request req;
	struct bn_buf *b;
	uint32_t sid = 0;

	bn_bar_request_init(&req, h, 1);
	req.method = bn_bar_method_from((const uint8_t *)method,
	    strlen(method));
	req.mtext = (const uint8_t *)method;
	req.mlen = strlen(method);
	req.url = (const uint8_t *)url;
	req.urllen = strlen(url);
	if (hname != NULL) {
		h[0].name = (const uint8_t *)hname;
		h[0].namelen = strlen(hname);
		h[0].value = (const uint8_t *)hval;
		h[0].valuelen = strlen(hval);
		h[0].value_is_bytes = 0;
		req.nhdr = 1;
	}
	req.body = body;
	req.bodylen = blen;
	if ((b = bn_buf_new(blen + 65536)) == NULL)
		return 0;
	if (bn_bar_request_encode(&req, b) == BN_OK)
		sid = tc_send(c, bn_buf_ptr(b), bn_buf_len(b));
	bn_buf_free(b);
	return sid;
}

static int
tc_wait(struct tc *c, size_t nmsg, int timeout_ms)
{
	uint64_t end = hx_now_ms() + (uint64_t)timeout_ms;

	while (c->nmsg < nmsg && !c->closed && hx_now_ms() < end)
		if (tc_step(c, 50) != 0)
			break;
	tc_events(c);
	return c->nmsg >= nmsg ? 0 : -1;
}

static struct tc_msg *
tc_find(struct tc *c, uint32_t sid)
{
	size_t i;

	for (i = 0; i < c->nmsg; i++)
		if (c->msg[i].sid == sid)
			return &c->msg[i];
	return NULL;
}

/* Status, one header and the body of a BAR response. */
struct reply {
	unsigned	 status;
	char		 hval[256];
	const uint8_t	*body;
	size_t		 bodylen;
};

static int
decode_reply(const struct tc_msg *m, const char *hname, struct reply *r)
{
	struct bn_bar_header h[BN_BAR_MAX_HEADERS];
	struct bn_bar_response resp;
	const struct bn_bar_header *f;

	memset(r, 0, sizeof(*r));
	bn_bar_response_init(&resp, h, BN_BAR_MAX_HEADERS);
	if (m == NULL || bn_bar_response_decode(m->p, m->len, &resp) != 0)
		return -1;
	r->status = resp.status;
	r->body = resp.body;
	r->bodylen = resp.bodylen;
	if (hname != NULL && (f = bn_bar_header_find(resp.hdr, resp.nhdr,
	    hname)) != NULL && f->valuelen < sizeof(r->hval))
		memcpy(r->hval, f->value, f->valuelen);
	return 0;
}

/* One request on a fresh stream of c, waited for. */
static int
request(struct tc *c, const char *method, const char *url,
    const char *hname, const char *hval, const uint8_t *body, size_t blen,
    const char *want_hdr, struct reply *r)
{
	uint32_t sid = tc_send_bar(c, method, url, hname, hval, body, blen);

	if (sid == 0 || tc_wait(c, c->nmsg + 1, T_MS) != 0)
		return -1;
	return decode_reply(tc_find(c, sid), want_hdr, r);
}

/* ---- fixture ----------------------------------------------------- */

/*
 * HX_CHECK returns at once; so that a failing test leaves no daemon
 * behind, main() cleans up whatever fixture is still live at exit.
 */
static struct fx *live_fx;
static struct hx_daemon *live_origin;

static int
fx_init(struct fx *f, const char *tag)
{
	char prefix[400], err[BN_KEYFILE_ERRLEN], path[512];

	memset(f, 0, sizeof(*f));
	if (hx_tmpdir(f->dir, sizeof(f->dir), tag) != 0)
		return -1;
	live_fx = f;
	snprintf(prefix, sizeof(prefix), "%s/node", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/node.key", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/upstreamd.log", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/upstreamd.sock", f->dir);
	snprintf(f->www, sizeof(f->www), "%s/www", f->dir);
	snprintf(f->tpl, sizeof(f->tpl), "%s/tpl", f->dir);
	if (bn_keyfile_keygen(prefix, 0, f->pub, err, sizeof(err)) != 0) {
		fprintf(stderr, "keygen: %s\n", err);
		return -1;
	}
	bn_hex_encode(f->pubhex, f->pub, BN_KEY_LEN);
	if (mkdir(f->www, 0755) != 0 || mkdir(f->tpl, 0755) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/a.txt", f->www);
	if (hx_write_file(path, "static a\n", 0644) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/page.html", f->tpl);
	if (hx_write_file(path, "<p>{{ name }}</p><div>{{ raw|safe }}</div>",
	    0644) != 0)
		return -1;
	f->port = hx_free_port();
	f->lport = hx_free_port();
	snprintf(f->ports, sizeof(f->ports), "%d", f->port);
	snprintf(f->lports, sizeof(f->lports), "%d", f->lport);
	return 0;
}

/*
 * Start upstreamd with the fixture's key, listeners and app plus extra;
 * any_gw: --allow-any-gateway (the test client is no listed gateway).
 */
static int
fx_start_gw(struct fx *f, const char *const *extra, int any_gw)
{
	char *argv[HX_MAX_ARGS + 1], listen[64], legacy[64], stat[400];
	char plugin[400];
	size_t n = 0, i;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->port);
	snprintf(legacy, sizeof(legacy), "127.0.0.1:%d", f->lport);
	snprintf(stat, sizeof(stat), "/s=%s", f->www);
	snprintf(plugin, sizeof(plugin), "%s/it_plugin.so", TEST_PLUGIN_DIR);
	argv[n++] = UPSTREAMD_BIN;
	argv[n++] = "--key";
	argv[n++] = f->key;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--listen-legacy";
	argv[n++] = legacy;
	argv[n++] = "--socket";
	argv[n++] = f->sock;
	argv[n++] = "--static";
	argv[n++] = stat;
	argv[n++] = "--templates";
	argv[n++] = f->tpl;
	argv[n++] = "--plugin";
	argv[n++] = plugin;
	if (any_gw)
		argv[n++] = "--allow-any-gateway";
	for (i = 0; extra != NULL && extra[i] != NULL && n < HX_MAX_ARGS;
	    i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	if (hx_spawn(&f->d, f->log, argv) != 0)
		return -1;
	return hx_wait_log(&f->d, "event=listening", T_MS);
}

static int
fx_start(struct fx *f, const char *const *extra)
{
	return fx_start_gw(f, extra, 1);
}

static void
fx_done(struct fx *f)
{
	live_fx = NULL;
	hx_cleanup(&f->d);
	if (getenv("BN_IT_KEEP") == NULL)
		hx_rmrf(f->dir);
}

/* `betanet stream` with args; its stdout in out. */
static int
cli_stream(struct fx *f, const char *flag, int port, const char *req,
    char *out, size_t outlen)
{
	char ports[16];
	char *argv[12];
	size_t n = 0;

	snprintf(ports, sizeof(ports), "%d", port);
	argv[n++] = BETANET_BIN;
	argv[n++] = "stream";
	if (flag != NULL)
		argv[n++] = (char *)flag;
	argv[n++] = "127.0.0.1";
	argv[n++] = ports;
	argv[n++] = f->pubhex;
	argv[n++] = (char *)req;
	argv[n] = NULL;
	return hx_run(argv, out, outlen, NULL, 0, T_MS);
}

/* A well-behaved client still gets hello. */
static int
healthy(struct fx *f)
{
	struct tc *c = tc_open(f->port, f->pub, TC_NATIVE);
	struct reply r;
	int ok;

	if (c == NULL)
		return 0;
	ok = request(c, "GET", "/hello/ok", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && r.status == 200 && r.bodylen == 8 &&
	    memcmp(r.body, "hello ok", 8) == 0;
	tc_free(c);
	return ok;
}

/* ---- tests ------------------------------------------------------- */

static int
t_basic(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	struct reply r;
	char out[4096];
	int rc = 1, x;

	if (fx_init(&f, "up-basic") != 0 || fx_start(&f, NULL) != 0)
		goto out;
	x = cli_stream(&f, NULL, f.port, "GET /hello/x", out, sizeof(out));
	HX_CHECK(x == 0 && strcmp(out, "hello x") == 0, "cli rc=%d out=%s",
	    x, out);
	x = cli_stream(&f, "-i", f.port, "GET /healthz", out, sizeof(out));
	HX_CHECK(x == 0 && strstr(out, "status: 200") != NULL, "%s", out);
	x = cli_stream(&f, NULL, f.port, "GET /nope", out, sizeof(out));
	HX_CHECK(x == 1, "404 rc=%d", x);
	HX_CHECK((c = tc_open(f.port, f.pub, TC_NATIVE)) != NULL, "connect");
	HX_CHECK(request(c, "GET", "/hello/a%20b", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && r.status == 200 && r.bodylen == 9 &&
	    memcmp(r.body, "hello a b", 9) == 0, "param %u", r.status);
	HX_CHECK(request(c, "POST", "/hello/x", NULL, NULL, NULL, 0, "allow",
	    &r) == 0 && r.status == 405 && strstr(r.hval, "GET") != NULL,
	    "405 %u %s", r.status, r.hval);
	HX_CHECK(request(c, "BREW", "/hello/x", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && (r.status == 400 || r.status == 405), "%u", r.status);
	HX_CHECK(request(c, "GET", "/plugin/hello/y", NULL, NULL, NULL, 0,
	    "x-test-plugin", &r) == 0 && r.status == 404, "it_plugin only "
	    "%u", r.status);
	HX_CHECK(request(c, "GET", "/tpl/%3Cb%3E?<i>raw</i>", NULL, NULL,
	    NULL, 0, "content-type", &r) == 0 && r.status == 200,
	    "tpl %u", r.status);
	HX_CHECK(r.bodylen == strlen("<p>&lt;b&gt;</p><div><i>raw</i></div>")
	    && memcmp(r.body, "<p>&lt;b&gt;</p><div><i>raw</i></div>",
	    r.bodylen) == 0, "escaping: %.*s", (int)r.bodylen, r.body);
	HX_CHECK(strstr(r.hval, "text/html") != NULL, "%s", r.hval);
	HX_CHECK(request(c, "POST", "/echo", "content-type", "text/x-y",
	    (const uint8_t *)"abc", 3, "content-type", &r) == 0 &&
	    r.status == 200 && r.bodylen == 3 &&
	    strcmp(r.hval, "text/x-y") == 0, "echo");
	HX_CHECK(hx_log_count(&f.d, "event=session_open") >= 3, "logs");
	rc = 0;
 out:
	tc_free(c);
	fx_done(&f);
	return rc;
}

static int
t_static(void)
{
	static const char *const bad[] = { "/s/../upstreamd.log",
	    "/s/%2e%2e/upstreamd.log", "/s/%2E%2E/node.key", "/s/a.txt%00",
	    "/s/..%2fnode.key", "/s/link/node.key", "/s/sub/../../node.key",
	    "/s/%2e%2e%2fnode.key" };
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	struct reply r;
	char etag[256], path[512];
	size_t i;
	int rc = 1;

	if (fx_init(&f, "up-static") != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/www/link", f.dir);
	if (symlink(f.dir, path) != 0 || fx_start(&f, NULL) != 0)
		goto out;
	HX_CHECK((c = tc_open(f.port, f.pub, TC_NATIVE)) != NULL, "connect");
	HX_CHECK(request(c, "GET", "/s/a.txt", NULL, NULL, NULL, 0, "etag",
	    &r) == 0 && r.status == 200 && r.bodylen == 9 &&
	    memcmp(r.body, "static a\n", 9) == 0 && r.hval[0] != '\0',
	    "static %u", r.status);
	snprintf(etag, sizeof(etag), "%s", r.hval);
	HX_CHECK(request(c, "GET", "/s/a.txt", "if-none-match", etag, NULL,
	    0, NULL, &r) == 0 && r.status == 304 && r.bodylen == 0,
	    "304: %u", r.status);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		HX_CHECK(request(c, "GET", bad[i], NULL, NULL, NULL, 0, NULL,
		    &r) == 0 && r.status == 403, "%s: %u", bad[i], r.status);
	rc = 0;
 out:
	tc_free(c);
	fx_done(&f);
	return rc;
}

static int
t_proxy(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	static struct hx_daemon origin;
	struct tc *c = NULL;
	struct reply r;
	char url[64], oport[16], odir[400], path[512], olog[400];
	const char *extra[3];
	char *argv[10];
	int rc = 1, p, i;

	memset(&origin, 0, sizeof(origin));
	live_origin = &origin;
	if (fx_init(&f, "up-proxy") != 0)
		goto out;
	p = hx_free_port();
	snprintf(oport, sizeof(oport), "%d", p);
	snprintf(odir, sizeof(odir), "%s/origin", f.dir);
	snprintf(path, sizeof(path), "%s/o.txt", odir);
	snprintf(olog, sizeof(olog), "%s/origin.log", f.dir);
	if (mkdir(odir, 0755) != 0 || hx_write_file(path, "from origin",
	    0644) != 0)
		goto out;
	argv[0] = "/usr/bin/env";
	argv[1] = "python3";
	argv[2] = "-m";
	argv[3] = "http.server";
	argv[4] = "--bind";
	argv[5] = "127.0.0.1";
	argv[6] = "--directory";
	argv[7] = odir;
	argv[8] = oport;
	argv[9] = NULL;
	if (hx_spawn(&origin, olog, argv) != 0) {
		rc = HX_SKIP;
		goto out;
	}
	if (hx_wait_log(&origin, "Serving HTTP", T_MS) != 0) {
		fprintf(stderr, "python3 http.server did not start: skip\n");
		rc = HX_SKIP;
		goto out;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", p);
	extra[0] = "--origin";
	extra[1] = url;
	extra[2] = NULL;
	if (fx_start(&f, extra) != 0)
		goto out;
	HX_CHECK((c = tc_open(f.port, f.pub, TC_NATIVE)) != NULL, "connect");
	for (i = 0; i < 5; i++)		/* keep-alive: several in a row */
		HX_CHECK(request(c, "GET", "/o.txt", NULL, NULL, NULL, 0,
		    "content-type", &r) == 0 && r.status == 200 &&
		    r.bodylen == 11 && memcmp(r.body, "from origin", 11) == 0,
		    "proxy %u", r.status);
	HX_CHECK(strstr(r.hval, "text/plain") != NULL, "type %s", r.hval);
	HX_CHECK(request(c, "GET", "/missing.txt", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && r.status == 404, "origin 404: %u", r.status);
	HX_CHECK(request(c, "GET", "/hello/z", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && r.status == 200, "routes first");
	rc = 0;
 out:
	tc_free(c);
	hx_cleanup(&origin);
	live_origin = NULL;
	fx_done(&f);
	return rc;
}

static int
t_big(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	struct reply r;
	uint8_t *big = NULL;
	char url[64], path[512];
	size_t i;
	ssize_t n;
	int rc = 1, fd;

	if (fx_init(&f, "up-big") != 0 || (big = malloc(BIG)) == NULL)
		goto out;
	for (i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 13));
	snprintf(path, sizeof(path), "%s/big.bin", f.www);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) < 0)
		goto out;
	for (i = 0; i < BIG; i += (size_t)n)
		if ((n = write(fd, big + i, BIG - i)) <= 0)
			break;
	if (close(fd) != 0 || i != BIG)
		goto out;
	if (fx_start(&f, NULL) != 0)
		goto out;
	HX_CHECK((c = tc_open(f.port, f.pub, TC_NATIVE)) != NULL, "connect");
	HX_CHECK(request(c, "POST", "/echo", NULL, NULL, big, BIG, NULL,
	    &r) == 0 && r.status == 200 && r.bodylen == BIG &&
	    memcmp(r.body, big, BIG) == 0, "4 MiB upload %u %zu", r.status,
	    r.bodylen);
	snprintf(url, sizeof(url), "/big/%u", BIG);
	HX_CHECK(request(c, "GET", url, NULL, NULL, NULL, 0, NULL, &r) == 0 &&
	    r.status == 200 && r.bodylen == BIG &&
	    memcmp(r.body, big, BIG) == 0, "4 MiB download %u", r.status);
	HX_CHECK(request(c, "GET", "/s/big.bin", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && r.status == 200 && r.bodylen == BIG &&
	    memcmp(r.body, big, BIG) == 0, "4 MiB file %u", r.status);
	rc = 0;
 out:
	free(big);
	tc_free(c);
	fx_done(&f);
	return rc;
}

static int
t_concurrent(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c[10];
	struct reply r;
	uint32_t sid[10][50];
	char url[64], want[64];
	size_t i, j;
	uint64_t end;
	int rc = 1, done;

	memset(c, 0, sizeof(c));
	if (fx_init(&f, "up-conc") != 0 || fx_start(&f, NULL) != 0)
		goto out;
	for (i = 0; i < 10; i++) {
		HX_CHECK((c[i] = tc_open(f.port, f.pub, TC_NATIVE)) != NULL,
		    "connect %zu", i);
		for (j = 0; j < 50; j++) {
			snprintf(url, sizeof(url), "/hello/s%zu-%zu", i, j);
			sid[i][j] = tc_send_bar(c[i], "GET", url, NULL, NULL,
			    NULL, 0);
			HX_CHECK(sid[i][j] != 0, "send");
		}
		HX_CHECK(tc_flush(c[i]) == 0, "flush");
	}
	end = hx_now_ms() + T_MS;
	do {
		done = 1;
		for (i = 0; i < 10; i++) {
			(void)tc_step(c[i], 5);
			done &= c[i]->nmsg == 50;
		}
	} while (!done && hx_now_ms() < end);
	for (i = 0; i < 10; i++) {
		tc_events(c[i]);
		for (j = 0; j < 50; j++) {
			snprintf(want, sizeof(want), "hello s%zu-%zu", i, j);
			HX_CHECK(decode_reply(tc_find(c[i], sid[i][j]), NULL,
			    &r) == 0 && r.status == 200 &&
			    r.bodylen == strlen(want) &&
			    memcmp(r.body, want, r.bodylen) == 0,
			    "reply %zu/%zu", i, j);
		}
	}
	rc = 0;
 out:
	for (i = 0; i < 10; i++)
		tc_free(c[i]);
	fx_done(&f);
	return rc;
}

static int
t_compat(void)
{
	const char *allow[] = { "--allow-compat", NULL };
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	char out[4096];
	uint32_t sid;
	struct tc_msg *m;
	int rc = 1, x;

	if (fx_init(&f, "up-compat") != 0 || fx_start(&f, NULL) != 0)
		goto out;
	x = cli_stream(&f, "--compat", f.port, "GET /hello/c", out,
	    sizeof(out));
	HX_CHECK(x == 2, "compat refused: rc=%d out=%s", x, out);
	HX_CHECK(healthy(&f), "native still served");
	hx_cleanup(&f.d);
	HX_CHECK(fx_start(&f, allow) == 0, "restart");
	x = cli_stream(&f, "--compat", f.port, "GET /hello/c", out,
	    sizeof(out));
	HX_CHECK(x == 0 && strcmp(out, "hello c") == 0, "compat rc=%d %s", x,
	    out);
	HX_CHECK(healthy(&f), "native on the same port");
	HX_CHECK((c = tc_open(f.port, f.pub, TC_COMPAT)) != NULL, "compat");
	sid = tc_send(c, (const uint8_t *)"POST /echo\n\nxyz", 15);
	HX_CHECK(sid != 0 && tc_wait(c, 1, T_MS) == 0, "compat echo");
	m = tc_find(c, sid);
	HX_CHECK(m != NULL && m->len == 3 && memcmp(m->p, "xyz", 3) == 0,
	    "body only");
	sid = tc_send_bar(c, "GET", "/hello/bar", NULL, NULL, NULL, 0);
	HX_CHECK(sid != 0 && tc_wait(c, 2, T_MS) == 0, "compat bar");
	m = tc_find(c, sid);
	HX_CHECK(m != NULL && m->len == 9 && memcmp(m->p, "hello bar", 9) ==
	    0, "BAR in compat answered with the body");
	HX_CHECK(hx_log_count(&f.d, "security=weak") >= 2, "weak logged");
	rc = 0;
 out:
	tc_free(c);
	fx_done(&f);
	return rc;
}

static int
t_legacy(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	struct tc_msg *m;
	char out[4096], msg[64];
	uint32_t sid[20];
	int rc = 1, x, i;

	if (fx_init(&f, "up-legacy") != 0 || fx_start(&f, NULL) != 0)
		goto out;
	x = cli_stream(&f, "--legacy", f.lport, "ping 1", out, sizeof(out));
	HX_CHECK(x == 0 && strcmp(out, "ping 1") == 0, "rc=%d %s", x, out);
	HX_CHECK((c = tc_open(f.lport, f.pub, TC_LEGACY)) != NULL, "open");
	for (i = 0; i < 20; i++) {
		snprintf(msg, sizeof(msg), "echo %d", i);
		HX_CHECK((sid[i] = tc_send(c, (const uint8_t *)msg,
		    strlen(msg))) != 0, "send");
	}
	HX_CHECK(tc_wait(c, 20, T_MS) == 0, "echoes: %zu", c->nmsg);
	for (i = 0; i < 20; i++) {
		snprintf(msg, sizeof(msg), "echo %d", i);
		m = tc_find(c, sid[i]);
		HX_CHECK(m != NULL && m->len == strlen(msg) &&
		    memcmp(m->p, msg, m->len) == 0, "echo %d", i);
	}
	HX_CHECK(healthy(&f), "native alongside");
	rc = 0;
 out:
	tc_free(c);
	fx_done(&f);
	return rc;
}

static int
t_robust(void)
{
	const char *lim[] = { "--set", "handshake_timeout=1s", NULL };
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	uint8_t junk[4096];
	int rc = 1, fd = -1, stall = -1, i, n;

	if (fx_init(&f, "up-robust") != 0 || fx_start(&f, lim) != 0)
		goto out;
	/* garbage */
	for (i = 0; i < 5; i++) {
		HX_CHECK((fd = tcp_connect(f.port)) >= 0, "connect");
		(void)bn_random(junk, sizeof(junk));
		(void)hx_write_all(fd, junk, sizeof(junk), T_MS);
		close(fd);
		fd = -1;
	}
	HX_CHECK(healthy(&f), "after garbage");
	/* stops mid-handshake: a valid msg1 length prefix and half a msg */
	HX_CHECK((stall = tcp_connect(f.port)) >= 0, "connect");
	junk[0] = 0;
	junk[1] = 48;
	HX_CHECK(hx_write_all(stall, junk, 20, T_MS) == 0, "half msg1");
	HX_CHECK(healthy(&f), "while one stalls");
	HX_CHECK(hx_wait_log(&f.d, "reason=", T_MS) == 0, "stall closed");
	/* 10,000 streams on one session */
	HX_CHECK((c = tc_open(f.port, f.pub, TC_NATIVE)) != NULL, "open");
	for (i = 0, n = 0; i < 10000 && !c->closed; i++) {
		if (tc_send_bar(c, "GET", "/hello/flood", NULL, NULL, NULL,
		    0) != 0)
			n++;
		if (i % 64 == 0 && tc_step(c, 0) != 0)
			break;
		if (c->nout == TC_MAX_OUT) {	/* recycle our bookkeeping */
			size_t k;

			for (k = 0; k < c->nout; k++)
				bn_buf_free(c->out[k].b);
			c->nout = 0;
		}
	}
	(void)tc_wait(c, (size_t)-1, 3000);
	HX_CHECK(n > 256, "opened %d streams", n);
	HX_CHECK(healthy(&f), "after the flood");
	HX_CHECK(hx_wait_exit(&f.d, 0) == -1, "still running");
	rc = 0;
 out:
	if (stall >= 0)
		close(stall);
	tc_free(c);
	fx_done(&f);
	return rc;
}

static int
t_kill9(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	char want[200], out[4096];
	int rc = 1, x;

	if (fx_init(&f, "up-kill9") != 0 || fx_start(&f, NULL) != 0)
		goto out;
	snprintf(want, sizeof(want), "pub=%s", f.pubhex);
	HX_CHECK(hx_log_count(&f.d, want) >= 1, "pub in listening line");
	HX_CHECK(healthy(&f), "before");
	HX_CHECK(hx_kill9(&f.d) == 0, "kill -9");
	HX_CHECK(hx_respawn(&f.d) == 0 &&
	    hx_wait_log(&f.d, "event=listening", T_MS) == 0, "respawn");
	HX_CHECK(hx_log_count(&f.d, want) >= 1, "same node key");
	x = cli_stream(&f, NULL, f.port, "GET /hello/again", out,
	    sizeof(out));
	HX_CHECK(x == 0 && strcmp(out, "hello again") == 0, "reconnect");
	rc = 0;
 out:
	fx_done(&f);
	return rc;
}

static int
t_sigterm(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	uint32_t sid;
	int rc = 1, x;

	if (fx_init(&f, "up-sigterm") != 0 || fx_start(&f, NULL) != 0)
		goto out;
	HX_CHECK((c = tc_open(f.port, f.pub, TC_NATIVE)) != NULL, "open");
	sid = tc_send_bar(c, "GET", "/big/2000000", NULL, NULL, NULL, 0);
	HX_CHECK(sid != 0 && tc_flush(c) == 0, "send");
	hx_sleep_ms(100);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "signal");
	HX_CHECK(tc_wait(c, 1, T_MS) == 0, "in-flight answered");
	x = hx_wait_exit(&f.d, T_MS);
	HX_CHECK(x == 0, "exit %d", x);
	rc = 0;
 out:
	tc_free(c);
	fx_done(&f);
	return rc;
}

static int
t_badkey(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	char bad[400], *argv[9], port[32];
	int rc = 1, x;

	if (fx_init(&f, "up-badkey") != 0)
		goto out;
	snprintf(port, sizeof(port), "127.0.0.1:%d", f.port);
	argv[0] = UPSTREAMD_BIN;
	argv[1] = "--key";
	argv[2] = bad;
	argv[3] = "--listen";
	argv[4] = port;
	argv[5] = "--socket";
	argv[6] = "none";
	argv[7] = "--allow-any-gateway";	/* so the key is what fails */
	argv[8] = NULL;
	snprintf(bad, sizeof(bad), "%s/missing.key", f.dir);
	x = hx_run(argv, NULL, 0, NULL, 0, T_MS);
	HX_CHECK(x == 2, "missing: %d", x);
	snprintf(bad, sizeof(bad), "%s/bad.key", f.dir);
	HX_CHECK(hx_write_file(bad, "zz\n", 0600) == 0, "write");
	x = hx_run(argv, NULL, 0, NULL, 0, T_MS);
	HX_CHECK(x == 2, "malformed: %d", x);
	HX_CHECK(chmod(f.key, 0644) == 0, "chmod");
	snprintf(bad, sizeof(bad), "%s", f.key);
	x = hx_run(argv, NULL, 0, NULL, 0, T_MS);
	HX_CHECK(x == 2, "group readable: %d", x);
	rc = 0;
 out:
	fx_done(&f);
	return rc;
}

static int
t_admin(void)
{
	Betanet__Upstreamd__UpstreamdRequest q =
	    BETANET__UPSTREAMD__UPSTREAMD_REQUEST__INIT;
	Betanet__Upstreamd__GetStatus gs = BETANET__UPSTREAMD__GET_STATUS__INIT;
	Betanet__Upstreamd__ListSessions ls =
	    BETANET__UPSTREAMD__LIST_SESSIONS__INIT;
	Betanet__Header h = BETANET__HEADER__INIT;
	Betanet__Upstreamd__UpstreamdResponse *resp = NULL;
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	uint8_t buf[256], *p = NULL;
	size_t len;
	int rc = 1, fd = -1;

	if (fx_init(&f, "up-admin") != 0 || fx_start(&f, NULL) != 0)
		goto out;
	HX_CHECK((c = tc_open(f.port, f.pub, TC_NATIVE)) != NULL, "open");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "uds");
	h.id = 7;
	q.header = &h;
	q.body_case = BETANET__UPSTREAMD__UPSTREAMD_REQUEST__BODY_GET_STATUS;
	q.get_status = &gs;
	len = betanet__upstreamd__upstreamd_request__pack(&q, buf);
	HX_CHECK(hx_frame_send(fd, buf, len, T_MS) == 0 &&
	    hx_frame_recv(fd, &p, &len, T_MS) == 0, "status");
	resp = betanet__upstreamd__upstreamd_response__unpack(NULL, len, p);
	HX_CHECK(resp != NULL && resp->header->id == 7 &&
	    resp->status != NULL && resp->status->sessions_native == 1 &&
	    resp->status->node_pub.len == 32 &&
	    memcmp(resp->status->node_pub.data, f.pub, 32) == 0, "status");
	betanet__upstreamd__upstreamd_response__free_unpacked(resp, NULL);
	free(p);
	p = NULL;
	q.body_case =
	    BETANET__UPSTREAMD__UPSTREAMD_REQUEST__BODY_LIST_SESSIONS;
	q.list_sessions = &ls;
	len = betanet__upstreamd__upstreamd_request__pack(&q, buf);
	HX_CHECK(hx_frame_send(fd, buf, len, T_MS) == 0 &&
	    hx_frame_recv(fd, &p, &len, T_MS) == 0, "list");
	resp = betanet__upstreamd__upstreamd_response__unpack(NULL, len, p);
	HX_CHECK(resp != NULL && resp->sessions != NULL &&
	    resp->sessions->n_sessions == 1 &&
	    strcmp(resp->sessions->sessions[0]->profile, "native") == 0,
	    "list");
	fprintf(stderr, "idle native session memory: %llu bytes\n",
	    (unsigned long long)resp->sessions->sessions[0]->memory_bytes);
	betanet__upstreamd__upstreamd_response__free_unpacked(resp, NULL);
	resp = NULL;
	HX_CHECK(hx_signal(&f.d, SIGHUP) == 0 &&
	    hx_wait_log(&f.d, "event=reload", T_MS) == 0, "reload");
	HX_CHECK(healthy(&f), "after reload");
	rc = 0;
 out:
	free(p);
	if (fd >= 0)
		close(fd);
	tc_free(c);
	fx_done(&f);
	return rc;
}

/*
 * M1: with no allowed_gateways upstreamd lets anyone holding the node's
 * public key skip the gateway, so it must be asked for by name
 * (--allow-any-gateway, warned about) or the daemon refuses to start.
 * With a list, only the listed keys get served.
 */
static int
t_gateways(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	struct tc *c = NULL;
	struct reply r;
	uint8_t gpriv[BN_KEY_LEN], gpub[BN_KEY_LEN];
	uint8_t opriv[BN_KEY_LEN], opub[BN_KEY_LEN];
	char ghex[2 * BN_KEY_LEN + 1], ohex[2 * BN_KEY_LEN + 1];
	char list[200], port[32], err[1024], *argv[10];
	const char *extra[3];
	int rc = 1, x, ok;

	if (fx_init(&f, "up-gw") != 0 ||
	    bn_x25519_keygen(gpriv, gpub) != BN_OK ||
	    bn_x25519_keygen(opriv, opub) != BN_OK)
		goto out;
	bn_hex_encode(ghex, gpub, BN_KEY_LEN);
	bn_hex_encode(ohex, opub, BN_KEY_LEN);
	snprintf(port, sizeof(port), "127.0.0.1:%d", f.port);
	argv[0] = UPSTREAMD_BIN;
	argv[1] = "--key";
	argv[2] = f.key;
	argv[3] = "--listen";
	argv[4] = port;
	argv[5] = "--socket";
	argv[6] = "none";
	argv[7] = NULL;
	x = hx_run(argv, NULL, 0, err, sizeof(err), T_MS);
	HX_CHECK(x == 2, "no allowed_gateways: exit %d", x);
	HX_CHECK(strstr(err, "upstreamd: upstreamd.allowed_gateways: empty")
	    == err && strstr(err, "--allow-any-gateway") != NULL &&
	    strchr(err, '\n') == err + strlen(err) - 1, "one line: %s", err);
	argv[7] = "--allowed-gateway";
	argv[8] = "abcd";
	argv[9] = NULL;
	x = hx_run(argv, NULL, 0, err, sizeof(err), T_MS);
	HX_CHECK(x == 2 && strstr(err, "allowed_gateways[0]") != NULL,
	    "bad hex: exit %d %s", x, err);

	/* Opted in: served, and the start-up log says what it means. */
	HX_CHECK(fx_start(&f, NULL) == 0, "allow-any start");
	HX_CHECK(hx_log_count(&f.d, "event=allow_any_gateway") == 1,
	    "warned");
	HX_CHECK(healthy(&f), "allow-any serves anyone");
	hx_cleanup(&f.d);

	/* A list (through --set, comma-separated): only its keys. */
	snprintf(list, sizeof(list), "allowed_gateways=%s,%s", ohex, ghex);
	extra[0] = "--set";
	extra[1] = list;
	extra[2] = NULL;
	HX_CHECK(fx_start_gw(&f, extra, 0) == 0, "listed start");
	HX_CHECK(hx_log_count(&f.d, "event=allow_any_gateway") == 0,
	    "no warning with a list");
	c = tc_open(f.port, f.pub, TC_NATIVE);
	ok = c != NULL && request(c, "GET", "/hello/x", NULL, NULL, NULL, 0,
	    NULL, &r) == 0;
	HX_CHECK(!ok, "unknown key served");
	tc_free(c);
	c = NULL;
	HX_CHECK(hx_wait_log(&f.d, "event=gateway_reject", T_MS) == 0,
	    "reject logged");
	HX_CHECK((c = tc_open_as(f.port, f.pub, TC_NATIVE, gpriv)) != NULL,
	    "listed key: open");
	HX_CHECK(request(c, "GET", "/hello/gw", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && r.status == 200 && r.bodylen == 8 &&
	    memcmp(r.body, "hello gw", 8) == 0, "listed key: %u", r.status);
	tc_free(c);
	c = NULL;
	/* allow_any_gateway does not widen a list. */
	hx_cleanup(&f.d);
	HX_CHECK(fx_start_gw(&f, extra, 1) == 0, "list + any start");
	c = tc_open(f.port, f.pub, TC_NATIVE);
	ok = c != NULL && request(c, "GET", "/hello/x", NULL, NULL, NULL, 0,
	    NULL, &r) == 0;
	HX_CHECK(!ok, "list + any: unknown key served");
	rc = 0;
 out:
	bn_cleanse(gpriv, sizeof(gpriv));
	bn_cleanse(opriv, sizeof(opriv));
	tc_free(c);
	fx_done(&f);
	return rc;
}

/*
 * An origin that logs every request head it reads ("<<head>>") and
 * answers each with "ok"; GET /bighdr gets a 100 KB response header.
 */
static const char origin_py[] =
"import socket, sys, threading\n"
"s = socket.socket()\n"
"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
"s.bind(('127.0.0.1', int(sys.argv[1])))\n"
"s.listen(64)\n"
"log = open(sys.argv[2], 'ab', 0)\n"
"print('origin ready', flush=True)\n"
"def serve(c):\n"
"    b = b''\n"
"    try:\n"
"        while True:\n"
"            d = c.recv(65536)\n"
"            if not d:\n"
"                break\n"
"            b += d\n"
"            while b'\\r\\n\\r\\n' in b:\n"
"                head, _, b = b.partition(b'\\r\\n\\r\\n')\n"
"                log.write(b'<<' + head + b'>>\\n')\n"
"                big = b''\n"
"                if b' /bighdr ' in head.split(b'\\r\\n')[0]:\n"
"                    big = b'X-Big: ' + b'a' * 100000 + b'\\r\\n'\n"
"                c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n'\n"
"                    + big + b'\\r\\nok')\n"
"    except Exception:\n"
"        pass\n"
"    c.close()\n"
"while True:\n"
"    c, _ = s.accept()\n"
"    threading.Thread(target=serve, args=(c,), daemon=True).start()\n";

/* What the origin logged, NUL-terminated, into buf. */
static void
read_origin_log(const char *path, char *buf, size_t len)
{
	FILE *fp;
	size_t n = 0;

	if ((fp = fopen(path, "rb")) != NULL) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
}

static int
count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

/*
 * H3: nothing a peer puts in a BAR request may reach the origin as
 * protocol: a target with CR/LF, space, DEL or 8-bit bytes is a 400 and
 * sends the origin nothing; a header whose value holds CR or LF is
 * dropped; an origin's oversized header block is a 502, not a stall.
 */
static int
t_smuggle(void)
{
	static struct fx f;	/* outlives an early HX_CHECK return */
	static struct hx_daemon origin;
	static const char *const bad[] = {
	    "/a HTTP/1.1\r\nHost: x\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x",
	    "/a\r\n\r\nGET /smuggled",
	    "/a\nGET /smuggled",
	    "/a\rGET /smuggled",
	    "/a b",
	    "/a\tb",
	    "/a\x7f",
	    "/caf\xc3\xa9",
	    "/a?q=\r\nX-Smuggled: 1",
	};
	static char olog[16384];
	struct tc *c = NULL;
	struct reply r;
	char url[64], oport[16], opath[400], path[400];
	const char *extra[3];
	char *argv[7];
	size_t i;
	int rc = 1, p;

	memset(&origin, 0, sizeof(origin));
	live_origin = &origin;
	if (fx_init(&f, "up-smuggle") != 0)
		goto out;
	p = hx_free_port();
	snprintf(oport, sizeof(oport), "%d", p);
	snprintf(opath, sizeof(opath), "%s/requests.log", f.dir);
	snprintf(path, sizeof(path), "%s/origin.out", f.dir);
	argv[0] = "/usr/bin/env";
	argv[1] = "python3";
	argv[2] = "-c";
	argv[3] = (char *)origin_py;
	argv[4] = oport;
	argv[5] = opath;
	argv[6] = NULL;
	if (hx_spawn(&origin, path, argv) != 0) {
		rc = HX_SKIP;
		goto out;
	}
	if (hx_wait_log(&origin, "origin ready", T_MS) != 0) {
		fprintf(stderr, "python3 origin did not start: skip\n");
		rc = HX_SKIP;
		goto out;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", p);
	extra[0] = "--origin";
	extra[1] = url;
	extra[2] = NULL;
	if (fx_start(&f, extra) != 0)
		goto out;
	HX_CHECK((c = tc_open(f.port, f.pub, TC_NATIVE)) != NULL, "connect");
	HX_CHECK(request(c, "GET", "/first?a=1", "x-good", "yes", NULL, 0,
	    NULL, &r) == 0 && r.status == 200 && r.bodylen == 2,
	    "proxied: %u", r.status);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		HX_CHECK(request(c, "GET", bad[i], NULL, NULL, NULL, 0, NULL,
		    &r) == 0 && r.status == 400, "target %zu: %u", i,
		    r.status);
	/* A header value that would end the line: dropped, not sent. */
	HX_CHECK(request(c, "GET", "/hdr1", "x-test",
	    "a\r\nX-Evil: 1\r\n\r\nGET /smuggled HTTP/1.1", NULL, 0, NULL,
	    &r) == 0 && r.status == 200, "crlf header: %u", r.status);
	HX_CHECK(request(c, "GET", "/hdr2", "x-test", "a\nX-Evil: 2", NULL,
	    0, NULL, &r) == 0 && r.status == 200, "lf header: %u", r.status);
	HX_CHECK(request(c, "GET", "/hdr3", "x-test", "a\rX-Evil: 3", NULL,
	    0, NULL, &r) == 0 && r.status == 200, "cr header: %u", r.status);
	/* libevent itself lets an obs-fold (CRLF SP) and other CTLs by. */
	HX_CHECK(request(c, "GET", "/hdr4", "x-test", "a\r\n X-Evil: 4",
	    NULL, 0, NULL, &r) == 0 && r.status == 200, "fold header: %u",
	    r.status);
	HX_CHECK(request(c, "GET", "/hdr5", "x-test", "a\x01\x1b[2J", NULL,
	    0, NULL, &r) == 0 && r.status == 200, "ctl header: %u", r.status);
	/* The origin's header block is bounded too. */
	HX_CHECK(request(c, "GET", "/bighdr", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && r.status == 502, "big origin header: %u", r.status);
	HX_CHECK(request(c, "GET", "/last", NULL, NULL, NULL, 0, NULL,
	    &r) == 0 && r.status == 200, "after: %u", r.status);
	read_origin_log(opath, olog, sizeof(olog));
	HX_CHECK(count_str(olog, "<<") == 8, "origin saw %d requests:\n%s",
	    count_str(olog, "<<"), olog);
	HX_CHECK(strstr(olog, "<<GET /first?a=1 HTTP/1.1\r\n") != NULL &&
	    strstr(olog, "\r\nx-good: yes") != NULL, "good request:\n%s",
	    olog);
	HX_CHECK(strstr(olog, "smuggled") == NULL &&
	    strstr(olog, "Smuggled") == NULL && strstr(olog, "Evil") == NULL &&
	    strstr(olog, "x-test") == NULL, "leaked:\n%s", olog);
	HX_CHECK(hx_log_count(&f.d, "event=proxy_header_dropped") == 5,
	    "drops logged");
	HX_CHECK(healthy(&f), "still healthy");
	rc = 0;
 out:
	tc_free(c);
	hx_cleanup(&origin);
	live_origin = NULL;
	fx_done(&f);
	return rc;
}

static const struct {
	const char	*name;
	int		(*fn)(void);
} tests[] = {
	{ "basic", t_basic },
	{ "static", t_static },
	{ "proxy", t_proxy },
	{ "big", t_big },
	{ "concurrent", t_concurrent },
	{ "compat", t_compat },
	{ "legacy", t_legacy },
	{ "robust", t_robust },
	{ "kill9", t_kill9 },
	{ "sigterm", t_sigterm },
	{ "badkey", t_badkey },
	{ "admin", t_admin },
	{ "gateways", t_gateways },
	{ "smuggle", t_smuggle },
};

static void
cleanup_live(void)
{
	if (live_origin != NULL)
		hx_cleanup(live_origin);
	if (live_fx != NULL)
		fx_done(live_fx);
}

int
main(int argc, char **argv)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 2) {
		fprintf(stderr, "usage: it_upstreamd TEST\n");
		return 2;
	}
	atexit(cleanup_live);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(tests[i].name, argv[1]) == 0)
			return tests[i].fn();
	fprintf(stderr, "it_upstreamd: unknown test %s\n", argv[1]);
	return 2;
}
