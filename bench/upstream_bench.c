/*
 * upstream_bench: load client for upstreamd over native HTX sessions.
 *
 *   upstream_bench --upstreamd PATH [--time SECONDS] [--idle N]
 *       [--inflight N] [--only rps1,rps16,rps64,hs,idle]
 *
 * Starts PATH (a release build of upstreamd) on 127.0.0.1 with a fresh
 * node key in a temp directory, then measures, with this process as the
 * client on the same host (one thread, epoll, non-blocking sockets,
 * bn_htx_session per connection):
 *   1. requests/s of GET /hello/x at 1x1, 16x16 and 64x64 (sessions x
 *      streams in flight each), with p50/p99 latency;
 *   2. handshakes/s with fresh sessions (--inflight, default 64,
 *      non-blocking connects), next to the X25519 bound measured in
 *      this run.  The responder does 4 X25519 operations per XK
 *      handshake (ephemeral public key; es, ee, se), its static public
 *      key precomputed.  The client reuses one static key with
 *      has_static_pub set, so it too does 4 (ephemeral; es, ee, se).
 *      On the 2-core host each side has one core, so the bound is
 *      X25519 ops per CPU-second on one core / 4, for the daemon and
 *      for the client alike.  X25519 is timed on this thread's CPU
 *      clock just before and just after the handshake run (so a busy
 *      neighbour does not deflate it), and the daemon's own CPU time
 *      (/proc/PID/stat) gives handshakes per daemon CPU-second: the
 *      figure that does not depend on what else runs on the host;
 *   3. upstreamd's VmRSS with N (default 10,000) idle native sessions.
 * Output is a markdown table.  A benchmark, not a test: exit 0 unless
 * something fails outright.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "betanet/bar.h"
#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_session.h"
#include "betanet/keyfile.h"

#include "bench_util.h"

#define LAT_MAX		(4u << 20)

struct bc {
	int		 fd;
	struct bn_htx_session *s;
	int		 open, dead;
	uint32_t	 inflight;
	uint64_t	 sent_at[64];	/* by stream slot */
	uint32_t	 sid_of[64];
};

struct run {
	int		 ep, port;
	pid_t		 pid;		/* upstreamd */
	uint8_t		 pub[BN_KEY_LEN];
	uint8_t		 cpriv[BN_KEY_LEN], cpub[BN_KEY_LEN];	/* client */
	uint8_t		 req[64];
	size_t		 reqlen;
	uint32_t	 streams;	/* in flight per session */
	uint64_t	 done, handshakes;
	uint32_t	*lat;		/* microseconds */
	size_t		 nlat;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static struct bc *
bc_new(struct run *r)
{
	struct bn_htx_config hc;
	struct epoll_event ev;
	struct bc *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	bn_htx_config_default(&hc);
	hc.role = BN_HTX_CLIENT;
	memcpy(hc.server_pub, r->pub, BN_KEY_LEN);
	/* One client key for the run: no X25519 for the static half. */
	memcpy(hc.static_priv, r->cpriv, BN_KEY_LEN);
	memcpy(hc.static_pub, r->cpub, BN_KEY_LEN);
	hc.has_static_pub = 1;
	c->s = bn_htx_session_new(&hc, bench_now_us() / 1000);
	bn_cleanse(hc.static_priv, sizeof(hc.static_priv));
	if (c->s == NULL || (c->fd = dial(r->port)) < 0) {
		bn_htx_session_free(c->s);
		free(c);
		return NULL;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	(void)epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev);
	return c;
}

static void
bc_free(struct run *r, struct bc *c)
{
	(void)epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	bn_htx_session_free(c->s);
	free(c);
}

/* Write what the session has; a short write on loopback is rare. */
static void
bc_flush(struct bc *c)
{
	uint8_t chunk[65536];
	struct bn_buf b;
	size_t n, off;
	ssize_t w;

	for (;;) {
		bn_buf_fixed(&b, chunk, sizeof(chunk));
		n = 0;
		(void)bn_htx_session_pull(c->s, &b, sizeof(chunk), &n);
		if (n == 0)
			return;
		for (off = 0; off < n; ) {
			w = write(c->fd, chunk + off, n - off);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno == EAGAIN)
				usleep(50);
			else {
				c->dead = 1;
				return;
			}
		}
	}
}

static void
bc_send(struct run *r, struct bc *c, uint32_t slot)
{
	uint32_t sid;

	if (bn_htx_session_open_stream(c->s, &sid) != BN_OK ||
	    bn_htx_session_send_message(c->s, sid, r->req, r->reqlen) !=
	    BN_OK) {
		c->dead = 1;
		return;
	}
	c->sid_of[slot] = sid;
	c->sent_at[slot] = bench_now_us();
	c->inflight++;
}

static void
bc_events(struct run *r, struct bc *c, int requests)
{
	struct bn_htx_event ev;
	uint32_t i;

	while (bn_htx_session_next_event(c->s, &ev, bench_now_us() / 1000) == 1) {
		if (ev.type == BN_HTX_EV_HANDSHAKE_DONE) {
			c->open = 1;
			r->handshakes++;
			for (i = 0; requests && i < r->streams; i++)
				bc_send(r, c, i);
		} else if (ev.type == BN_HTX_EV_MESSAGE) {
			for (i = 0; i < r->streams; i++)
				if (c->sid_of[i] == ev.stream_id)
					break;
			if (i == r->streams)
				continue;
			if (r->nlat < LAT_MAX)
				r->lat[r->nlat++] = (uint32_t)(bench_now_us() -
				    c->sent_at[i]);
			r->done++;
			c->inflight--;
			bc_send(r, c, i);
		} else if (ev.type == BN_HTX_EV_CLOSED)
			c->dead = 1;
	}
}

static void
bc_input(struct run *r, struct bc *c, int requests)
{
	uint8_t chunk[65536];
	size_t off, acc;
	ssize_t n;

	/* Level-triggered: a short read means the socket is empty. */
	do {
		if ((n = read(c->fd, chunk, sizeof(chunk))) <= 0)
			break;
		for (off = 0; off < (size_t)n; off += acc) {
			acc = 0;
			(void)bn_htx_session_feed(c->s, chunk + off,
			    (size_t)n - off, bench_now_us() / 1000, &acc);
			bc_events(r, c, requests);
			if (acc == 0 && c->dead)
				return;
		}
	} while ((size_t)n == sizeof(chunk));
	if (n == 0 || (n < 0 && errno != EAGAIN))
		c->dead = 1;
	bc_events(r, c, requests);
	bc_flush(c);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Section 1: sessions x streams for secs. */
static int
bench_rps(struct run *r, int nsess, uint32_t streams, double secs)
{
	struct epoll_event evs[256];
	struct bc **cs;
	double t0, t1 = 0, sc0 = 0, cc0 = 0, sc, cc;
	uint64_t done0 = 0;
	size_t lat0 = 0;
	int i, n, warm = 0;

	r->streams = streams;
	r->done = 0;
	r->nlat = 0;
	if ((cs = calloc((size_t)nsess, sizeof(*cs))) == NULL)
		return -1;
	for (i = 0; i < nsess; i++) {
		if ((cs[i] = bc_new(r)) == NULL)
			return -1;
		bc_flush(cs[i]);
	}
	t0 = now_s();
	while (now_s() - t0 < secs + 0.5) {
		if (!warm && now_s() - t0 >= 0.5) {	/* warm-up done */
			warm = 1;
			t1 = now_s();
			done0 = r->done;
			lat0 = r->nlat;
			sc0 = bench_pid_cpu_s(r->pid);
			cc0 = bench_self_cpu_s();
		}
		n = epoll_wait(r->ep, evs, 256, 100);
		for (i = 0; i < n; i++)
			bc_input(r, evs[i].data.ptr, 1);
	}
	t1 = now_s() - t1;
	sc = bench_pid_cpu_s(r->pid) - sc0;
	cc = bench_self_cpu_s() - cc0;
	qsort(r->lat + lat0, r->nlat - lat0, sizeof(uint32_t), cmp_u32);
	printf("| GET /hello/x %dx%u | %.0f req/s | p50 %.0f us | p99 %.0f "
	    "us | upstreamd %.0f%% CPU, %.1f us/req; client %.0f%% CPU, "
	    "%.1f us/req |\n", nsess, streams, (double)(r->done - done0) / t1,
	    r->nlat > lat0 ? (double)r->lat[lat0 + (r->nlat - lat0) / 2] : 0,
	    r->nlat > lat0 ? (double)r->lat[lat0 + (r->nlat - lat0) * 99 /
	    100] : 0, 100 * sc / t1, r->done > done0 ? 1e6 * sc /
	    (double)(r->done - done0) : 0, 100 * cc / t1, r->done > done0 ?
	    1e6 * cc / (double)(r->done - done0) : 0);
	fflush(stdout);
	for (i = 0; i < nsess; i++)
		bc_free(r, cs[i]);
	free(cs);
	return 0;
}

/* Section 2: fresh handshakes, inflight at a time, for secs. */
static double
bench_handshakes(struct run *r, int inflight, double secs, double *srv_cpu,
    double *cli_cpu)
{
	struct epoll_event evs[256];
	struct bc *c;
	double t0, sc0 = bench_pid_cpu_s(r->pid), cc0 = bench_self_cpu_s();
	int i, n;

	r->handshakes = 0;
	for (i = 0; i < inflight; i++)
		if ((c = bc_new(r)) != NULL)
			bc_flush(c);
	t0 = now_s();
	while (now_s() - t0 < secs) {
		n = epoll_wait(r->ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			bc_input(r, c, 0);
			if (c->open || c->dead) {
				bc_free(r, c);
				if ((c = bc_new(r)) != NULL)
					bc_flush(c);
			}
		}
	}
	t0 = now_s() - t0;
	*srv_cpu = bench_pid_cpu_s(r->pid) - sc0;
	*cli_cpu = bench_self_cpu_s() - cc0;
	return (double)r->handshakes / t0;
}

static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

/* Section 3: n idle sessions, RSS before and after. */
static int
bench_idle(struct run *r, pid_t pid, int n)
{
	struct epoll_event evs[256];
	struct bc **cs;
	long before, after;
	double t0;
	int i, k, open = 0, made = 0, pending = 0;

	if ((cs = calloc((size_t)n, sizeof(*cs))) == NULL)
		return -1;
	before = rss_kib(pid);
	t0 = now_s();
	while (open < n && now_s() - t0 < 120) {
		while (made < n && pending < 128) {
			if ((cs[made] = bc_new(r)) == NULL)
				break;
			bc_flush(cs[made++]);
			pending++;
		}
		k = epoll_wait(r->ep, evs, 256, 100);
		for (i = 0; i < k; i++) {
			struct bc *c = evs[i].data.ptr;
			int was = c->open;

			bc_input(r, c, 0);
			if (!was && c->open) {
				open++;
				pending--;
			}
		}
	}
	usleep(500000);
	after = rss_kib(pid);
	printf("| idle sessions | %d open | RSS %ld KiB before, %ld KiB "
	    "after | %.1f KiB/session |\n", open, before, after,
	    open ? (double)(after - before) / open : 0);
	fflush(stdout);
	for (i = 0; i < made; i++)
		bc_free(r, cs[i]);
	free(cs);
	return 0;
}

static pid_t
spawn(const char *bin, const char *key, int port)
{
	char listen[64];
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	if ((pid = fork()) == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		execl(bin, bin, "--key", key, "--listen", listen, "--socket",
		    "none", "--set", "idle_timeout=0", "--allow-any-gateway",
		    NULL);
		_exit(127);
	}
	return pid;
}

int
main(int argc, char **argv)
{
	struct run r;
	struct bn_bar_request req;
	struct bn_buf b;
	struct rlimit rl;
	char dir[] = "/tmp/upbench-XXXXXX", prefix[64], key[64], err[256];
	const char *bin = NULL, *only = "rps1,rps16,rps64,hs,idle";
	double secs = 3, x, x2, hs, sc, cc;
	int i, idle = 10000, fd, inflight = 64;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--upstreamd") == 0 && i + 1 < argc)
			bin = argv[++i];
		else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc)
			idle = atoi(argv[++i]);
		else if (strcmp(argv[i], "--inflight") == 0 && i + 1 < argc)
			inflight = atoi(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: upstream_bench --upstreamd PATH "
			    "[--time S] [--idle N] [--inflight N] [--only "
			    "rps1,rps16,rps64,hs,idle]\n");
			return 2;
		}
	}
	if (bin == NULL) {
		fprintf(stderr, "upstream_bench: --upstreamd PATH needed\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&r, 0, sizeof(r));
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(prefix, sizeof(prefix), "%s/node", dir);
	snprintf(key, sizeof(key), "%s/node.key", dir);
	if (bn_x25519_keygen(r.cpriv, r.cpub) != BN_OK ||
	    bn_keyfile_keygen(prefix, 0, r.pub, err, sizeof(err)) != 0) {
		fprintf(stderr, "keygen: %s\n", err);
		return 1;
	}
	bn_bar_request_init(&req, NULL, 0);
	req.method = BN_BAR_GET;
	req.url = (const uint8_t *)"/hello/x";
	req.urllen = 8;
	bn_buf_fixed(&b, r.req, sizeof(r.req));
	if (bn_bar_request_encode(&req, &b) != 0)
		return 1;
	r.reqlen = bn_buf_len(&b);
	if ((r.lat = malloc(LAT_MAX * sizeof(*r.lat))) == NULL ||
	    (r.ep = epoll_create1(0)) < 0)
		return 1;
	/* a free port: bind 0, read it, close */
	{
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);

		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		getsockname(fd, (struct sockaddr *)&sa, &sl);
		r.port = ntohs(sa.sin_port);
		close(fd);
	}
	if ((pid = spawn(bin, key, r.port)) < 0)
		return 1;
	r.pid = pid;
	usleep(300000);
	printf("| measure | result | | | |\n|---|---|---|---|---|\n");
	if ((strstr(only, "rps1") != NULL && bench_rps(&r, 1, 1, secs) != 0) ||
	    (strstr(only, "rps16") != NULL &&
	    bench_rps(&r, 16, 16, secs) != 0) ||
	    (strstr(only, "rps64") != NULL &&
	    bench_rps(&r, 64, 64, secs) != 0))
		fprintf(stderr, "upstream_bench: request run failed\n");
	if (strstr(only, "hs") != NULL) {
		x = bench_x25519_per_s(1.0);
		hs = bench_handshakes(&r, inflight, secs, &sc, &cc);
		x2 = bench_x25519_per_s(1.0);
		x = (x + x2) / 2;
		printf("| handshakes, %d in flight | %.0f /s | X25519 %.0f "
		    "ops per CPU-s (before %.0f, after %.0f); bound X25519/4 "
		    "= %.0f /s | %.0f%% of bound | upstreamd %.0f%% CPU = "
		    "%.0f handshakes per CPU-s (%.0f%% of bound); client "
		    "%.0f%% CPU |\n", inflight, hs, x, 2 * x - x2, x2, x / 4,
		    100 * hs / (x / 4), 100 * sc / secs, sc > 0 ? hs * secs /
		    sc : 0, sc > 0 ? 100 * hs * secs / sc / (x / 4) : 0,
		    100 * cc / secs);
		fflush(stdout);
	}
	if (idle > 0 && strstr(only, "idle") != NULL)
		(void)bench_idle(&r, pid, idle);
	kill(pid, SIGTERM);
	(void)waitpid(pid, NULL, 0);
	unlink(key);
	snprintf(prefix, sizeof(prefix), "%s/node.pub", dir);
	unlink(prefix);
	rmdir(dir);
	free(r.lat);
	return 0;
}
