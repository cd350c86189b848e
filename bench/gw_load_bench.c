/*
 * gw_load_bench: HTTP/1.1 keep-alive load client for htx-gw, with one
 * fresh ticket admitted per connection.
 *
 *   gw_load_bench --connect HOST:PORT [--conns N] [--threads T]
 *       [--time SECONDS] [--path /hello/x] [--site PREFIX]
 *       [--ticket-once] [--idle N --hold SECONDS]
 *
 * Why not wrk alone: wrk's Lua API is per thread (request() is called
 * without saying which connection the request goes to), so it cannot
 * give each connection its own ticket on its first request.  This client
 * does what wrk does otherwise (N keep-alive connections, one request in
 * flight on each, closed loop, latency from the write of a request to
 * the last byte of its response) and, with --site, mints one fresh
 * ticket per connection in process (bn_ticket_make, as `betanet ticket
 * --site` does) and sends it as the ticket cookie on every request of
 * that connection, as a browser sends its cookie.  The gateway verifies
 * the ticket with ticketd on the connection's first request only (a
 * connection admitted once stays admitted), so every connection is
 * admitted by a real ticket exactly once; a reused or missing ticket
 * would be answered 403 and counted as non-200.  --ticket-once sends
 * the cookie on the first request only.  A connection the server
 * closes is reopened with a new ticket (counted as a reconnect).
 *
 * --idle N: open N connections (256 connects in flight at most), send
 * one request on each and read its answer, then print
 * `idle_ready conns=N ok=K` and hold them all open for --hold seconds
 * (or until SIGTERM/SIGINT), so a script can read the server's RSS.
 *
 * Output: one line of key=value pairs.  A benchmark, not a test: exit 0
 * unless something fails outright.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/keyfile.h"
#include "betanet/ticket.h"

#include "bench_util.h"

#define LB_IN_CAP	(64 * 1024)
#define LB_REQ_CAP	1024
#define LB_MAX_THREADS	16
#define LB_CONNECTING	256	/* idle mode: connects in flight */

struct lb_conn {
	int		 fd;
	int		 first;		/* no answer yet on it */
	size_t		 reqlen, reqoff;
	size_t		 inlen;
	uint64_t	 sent_us;
	char		 req[LB_REQ_CAP];
	char		 in[LB_IN_CAP];
};

struct lb_thread {
	pthread_t	 tid;
	int		 ep;
	size_t		 nconns;
	struct lb_conn	*conns;
	uint32_t	*lat;
	size_t		 nlat, latcap;
	uint64_t	 done, non200, errors, reconnects, admitted;
};

static struct {
	struct sockaddr_in	 sa;
	const char		*host;
	const char		*path;
	int			 have_site;
	int			 ticket_once;
	uint8_t			 site_pub[BN_KEY_LEN];
	uint8_t			 key_id[BN_TICKET_KEY_ID_LEN];
	double			 secs;
	uint64_t		 end_us;
	int			 verbose;
} g;

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* A non-blocking connect; -1 on failure. */
static int
dial(void)
{
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&g.sa, sizeof(g.sa)) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The request for c; with a ticket unless --ticket-once and not first. */
static int
build_request(struct lb_conn *c, int with_ticket)
{
	uint8_t store[BN_TICKET_MADE_MAX];
	char cookie[512];
	struct bn_buf b;
	int n;

	if (!g.have_site || !with_ticket) {
		n = snprintf(c->req, sizeof(c->req), "GET %s HTTP/1.1\r\n"
		    "Host: %s\r\n\r\n", g.path, g.host);
	} else {
		bn_buf_fixed(&b, store, sizeof(store));
		if (bn_ticket_make(&b, g.site_pub, g.key_id,
		    (uint64_t)time(NULL)) != BN_OK ||
		    bn_ticket_format(cookie, sizeof(cookie),
		    BN_TICKET_CARRIER_COOKIE, NULL, bn_buf_ptr(&b),
		    bn_buf_len(&b)) != BN_OK)
			return -1;
		n = snprintf(c->req, sizeof(c->req), "GET %s HTTP/1.1\r\n"
		    "Host: %s\r\nCookie: %s\r\n\r\n", g.path, g.host, cookie);
	}
	if (n < 0 || (size_t)n >= sizeof(c->req))
		return -1;
	c->reqlen = (size_t)n;
	return 0;
}

/* Strip the Cookie line from c->req (the --ticket-once follow-ups). */
static void
drop_ticket(struct lb_conn *c)
{
	if (g.have_site && g.ticket_once)
		(void)build_request(c, 0);
}

static int
conn_open(struct lb_thread *t, struct lb_conn *c)
{
	struct epoll_event ev;

	if ((c->fd = dial()) < 0)
		return -1;
	c->first = 1;
	c->reqoff = 0;
	c->inlen = 0;
	if (build_request(c, 1) != 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	return epoll_ctl(t->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
conn_close(struct lb_thread *t, struct lb_conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
}

static void
set_events(struct lb_thread *t, struct lb_conn *c, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is left of the request; 0, or -1 on a dead socket. */
static int
conn_write(struct lb_thread *t, struct lb_conn *c)
{
	ssize_t n;

	if (c->reqoff == 0)
		c->sent_us = bench_now_us();
	while (c->reqoff < c->reqlen) {
		n = write(c->fd, c->req + c->reqoff, c->reqlen - c->reqoff);
		if (n < 0 && errno == EAGAIN) {
			set_events(t, c, EPOLLIN | EPOLLOUT);
			return 0;
		}
		if (n <= 0)
			return -1;
		c->reqoff += (size_t)n;
	}
	set_events(t, c, EPOLLIN);
	return 0;
}

static const char *
find_crlf2(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 3 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return p + i;
	return NULL;
}

static int
line_has(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n >= k && strncasecmp(line, name, k) == 0;
}

/*
 * Length of the whole response at the start of p[0..n): 0 if it is not
 * all there yet, -1 if malformed.  Content-Length or chunked (no
 * trailers); the status is stored.
 */
static long
response_len(const char *p, size_t n, int *status)
{
	const char *end, *line, *nl, *q;
	size_t head, off;
	long clen = -1, sz;
	int chunked = 0;
	char *e;

	if ((end = find_crlf2(p, n)) == NULL)
		return n >= LB_IN_CAP ? -1 : 0;
	head = (size_t)(end - p) + 4;
	if (head < 12 || strncmp(p, "HTTP/1.", 7) != 0)
		return -1;
	*status = atoi(p + 9);
	for (line = p; line < end; line = nl + 2) {
		if ((nl = memchr(line, '\r', (size_t)(end - line) + 1)) ==
		    NULL)
			return -1;
		if (line_has(line, (size_t)(nl - line), "content-length:"))
			clen = strtol(line + 15, NULL, 10);
		else if (line_has(line, (size_t)(nl - line),
		    "transfer-encoding:"))
			chunked = 1;
	}
	if (!chunked)
		return clen < 0 ? -1 : (head + (size_t)clen <= n ?
		    (long)(head + (size_t)clen) : 0);
	for (off = head;;) {
		q = memchr(p + off, '\n', n - off);
		if (q == NULL)
			return 0;
		sz = strtol(p + off, &e, 16);
		if (e == p + off || sz < 0)
			return -1;
		off = (size_t)(q - p) + 1 + (size_t)sz + 2;
		if (off > n)
			return 0;
		if (sz == 0)
			return (long)off;
	}
}

static void
record(struct lb_thread *t, uint64_t us)
{
	uint32_t *nl;

	if (t->nlat == t->latcap) {
		t->latcap = t->latcap ? 2 * t->latcap : 65536;
		if ((nl = realloc(t->lat, t->latcap * sizeof(*nl))) == NULL) {
			t->latcap = t->nlat;
			return;
		}
		t->lat = nl;
	}
	t->lat[t->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/*
 * Read; on a complete response record it and return 1 (next request
 * due), 0 to wait, -1 when the socket is gone.
 */
static int
conn_read(struct lb_thread *t, struct lb_conn *c)
{
	ssize_t n;
	long len;
	int status = 0;

	for (;;) {
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return -1;
		c->inlen += (size_t)n;
		if (c->inlen == sizeof(c->in))
			break;
	}
	if ((len = response_len(c->in, c->inlen, &status)) < 0)
		return -1;
	if (len == 0)
		return 0;
	record(t, bench_now_us() - c->sent_us);
	t->done++;
	if (status != 200 && t->non200++ == 0 && g.verbose)
		fprintf(stderr, "gw_load_bench: first non-200 answer "
		    "(conn first=%d): %.*s\n", c->first, (int)len, c->in);
	else if (c->first && g.have_site)
		t->admitted++;
	if (c->first) {
		c->first = 0;
		drop_ticket(c);
	}
	memmove(c->in, c->in + len, c->inlen - (size_t)len);
	c->inlen -= (size_t)len;
	c->reqoff = 0;
	return 1;
}

static void
conn_broken(struct lb_thread *t, struct lb_conn *c)
{
	conn_close(t, c);
	t->errors++;
	if (stop_flag || bench_now_us() >= g.end_us)
		return;
	t->reconnects++;
	if (conn_open(t, c) != 0)
		conn_close(t, c);
}

static void *
load_thread(void *arg)
{
	struct lb_thread *t = arg;
	struct epoll_event evs[256];
	struct lb_conn *c;
	int i, n, r;

	while (!stop_flag && bench_now_us() < g.end_us) {
		n = epoll_wait(t->ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			if (c->fd < 0)
				continue;
			r = 0;
			if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) &&
			    (r = conn_read(t, c)) < 0) {
				conn_broken(t, c);
				continue;
			}
			if (c->reqoff < c->reqlen &&
			    (r == 1 || (evs[i].events & EPOLLOUT)) &&
			    conn_write(t, c) != 0)
				conn_broken(t, c);
		}
	}
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
run_load(size_t nconns, size_t nthreads)
{
	struct lb_thread th[LB_MAX_THREADS];
	uint64_t done = 0, non200 = 0, errors = 0, rec = 0, adm = 0, t0;
	uint32_t *all;
	size_t i, j, k, nlat = 0;
	double secs;

	memset(th, 0, sizeof(th));
	for (i = 0; i < nthreads; i++) {
		th[i].nconns = nconns / nthreads + (i < nconns % nthreads);
		if ((th[i].ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    (th[i].conns = calloc(th[i].nconns,
		    sizeof(struct lb_conn))) == NULL)
			return 1;
	}
	t0 = bench_now_us();
	g.end_us = t0 + (uint64_t)(g.secs * 1e6);
	for (i = 0; i < nthreads; i++) {
		for (j = 0; j < th[i].nconns; j++)
			if (conn_open(&th[i], &th[i].conns[j]) != 0) {
				fprintf(stderr, "gw_load_bench: connect: %s\n",
				    strerror(errno));
				return 1;
			}
		if (pthread_create(&th[i].tid, NULL, load_thread, &th[i]) !=
		    0)
			return 1;
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i].tid, NULL);
		done += th[i].done;
		non200 += th[i].non200;
		errors += th[i].errors;
		rec += th[i].reconnects;
		adm += th[i].admitted;
		nlat += th[i].nlat;
	}
	secs = (double)(bench_now_us() - t0) / 1e6;
	if ((all = malloc((nlat ? nlat : 1) * sizeof(*all))) == NULL)
		return 1;
	for (i = 0, k = 0; i < nthreads; i++) {
		if (th[i].nlat)
			memcpy(all + k, th[i].lat,
			    th[i].nlat * sizeof(*all));
		k += th[i].nlat;
		for (j = 0; j < th[i].nconns; j++)
			conn_close(&th[i], &th[i].conns[j]);
		free(th[i].conns);
		free(th[i].lat);
		close(th[i].ep);
	}
	qsort(all, nlat, sizeof(*all), cmp_u32);
	printf("conns=%zu threads=%zu secs=%.2f requests=%llu rps=%.0f "
	    "p50_us=%u p99_us=%u max_us=%u non200=%llu errors=%llu "
	    "reconnects=%llu admitted=%llu tickets=%s\n", nconns, nthreads,
	    secs, (unsigned long long)done, (double)done / secs,
	    nlat ? all[nlat / 2] : 0, nlat ? all[nlat * 99 / 100] : 0,
	    nlat ? all[nlat - 1] : 0, (unsigned long long)non200,
	    (unsigned long long)errors, (unsigned long long)rec,
	    (unsigned long long)adm, !g.have_site ? "none" :
	    g.ticket_once ? "first-request" : "every-request");
	free(all);
	return 0;
}

/* Idle mode: n connections, one answered request each, then hold. */
static int
run_idle(size_t n, double hold)
{
	struct lb_thread t;
	struct epoll_event evs[256];
	struct lb_conn *c;
	size_t opened = 0, answered = 0, failed = 0;
	uint64_t until;
	int i, k, r;

	memset(&t, 0, sizeof(t));
	if ((t.ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (t.conns = calloc(n, sizeof(*t.conns))) == NULL)
		return 1;
	g.end_us = bench_now_us() + 600 * 1000000ull;	/* no reconnects */
	stop_flag = 0;
	while (answered + failed < n && !stop_flag) {
		while (opened < n && opened - answered - failed <
		    LB_CONNECTING) {
			if (conn_open(&t, &t.conns[opened]) != 0) {
				fprintf(stderr, "gw_load_bench: connect %zu: "
				    "%s\n", opened, strerror(errno));
				return 1;
			}
			opened++;
		}
		k = epoll_wait(t.ep, evs, 256, 1000);
		for (i = 0; i < k; i++) {
			c = evs[i].data.ptr;
			if (c->fd < 0)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				r = conn_read(&t, c);
				if (r < 0) {
					conn_close(&t, c);
					failed++;
					continue;
				}
				if (r == 1) {
					answered++;
					set_events(&t, c, EPOLLIN);
					continue;
				}
			}
			if ((evs[i].events & EPOLLOUT) && c->reqoff <
			    c->reqlen && conn_write(&t, c) != 0) {
				conn_close(&t, c);
				failed++;
			}
		}
	}
	printf("idle_ready conns=%zu answered=%zu status200=%llu failed=%zu "
	    "admitted=%llu\n", n, answered,
	    (unsigned long long)(t.done - t.non200), failed,
	    (unsigned long long)t.admitted);
	fflush(stdout);
	until = bench_now_us() + (uint64_t)(hold * 1e6);
	while (!stop_flag && bench_now_us() < until) {
		k = epoll_wait(t.ep, evs, 256, 200);
		for (i = 0; i < k; i++) {
			c = evs[i].data.ptr;
			if (c->fd >= 0 && conn_read(&t, c) < 0) {
				conn_close(&t, c);
				failed++;
			}
		}
	}
	printf("idle_done conns=%zu closed_by_server=%zu\n", n, failed);
	for (opened = 0; opened < n; opened++)
		conn_close(&t, &t.conns[opened]);
	free(t.conns);
	free(t.lat);
	close(t.ep);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gw_load_bench --connect HOST:PORT "
	    "[--conns N] [--threads T] [--time S]\n"
	    "         [--path P] [--site PREFIX] [--ticket-once] "
	    "[--idle N --hold S]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	char err[BN_KEYFILE_ERRLEN], hostbuf[64], *colon;
	const char *site = NULL, *connect_to = NULL;
	size_t nconns = 16, nthreads = 1, idle = 0;
	double hold = 30;
	struct rlimit rl;
	struct sigaction sa;
	int i;

	g.path = "/hello/x";
	g.secs = 10;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--ticket-once") == 0) {
			g.ticket_once = 1;
			continue;
		}
		if (strcmp(a, "-v") == 0) {
			g.verbose = 1;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--connect") == 0)
			connect_to = v;
		else if (strcmp(a, "--conns") == 0)
			nconns = strtoul(v, NULL, 10);
		else if (strcmp(a, "--threads") == 0)
			nthreads = strtoul(v, NULL, 10);
		else if (strcmp(a, "--time") == 0)
			g.secs = strtod(v, NULL);
		else if (strcmp(a, "--path") == 0)
			g.path = v;
		else if (strcmp(a, "--site") == 0)
			site = v;
		else if (strcmp(a, "--idle") == 0)
			idle = strtoul(v, NULL, 10);
		else if (strcmp(a, "--hold") == 0)
			hold = strtod(v, NULL);
		else
			usage();
	}
	if (connect_to == NULL || nconns == 0 || nthreads == 0 ||
	    nthreads > LB_MAX_THREADS || nthreads > nconns || g.secs <= 0)
		usage();
	snprintf(hostbuf, sizeof(hostbuf), "%s", connect_to);
	if ((colon = strrchr(hostbuf, ':')) == NULL)
		usage();
	*colon = '\0';
	memset(&g.sa, 0, sizeof(g.sa));
	g.sa.sin_family = AF_INET;
	g.sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, hostbuf, &g.sa.sin_addr) != 1)
		usage();
	g.host = connect_to;
	if (site != NULL) {
		if (bn_keyfile_load_ticket_pub(site, g.site_pub, g.key_id,
		    err, sizeof(err)) != BN_OK) {
			fprintf(stderr, "gw_load_bench: %s\n", err);
			return 1;
		}
		g.have_site = 1;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (idle > 0)
		return run_idle(idle, hold);
	return run_load(nconns, nthreads);
}
