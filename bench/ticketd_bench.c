/*
 * ticketd_bench: VerifyTicket answers per second over ticketd.sock, with
 * the durable replay store on, next to raw X25519 operations per second
 * on one core (the bound: every admission costs one X25519).
 *
 * usage: ticketd_bench [--ticketd PATH] [--redis-server PATH] [--n N]
 *
 * For each configuration (log store with workers 0, 1, 2; Redis store
 * with workers 1 when redis-server is found) it starts a fresh ticketd
 * in a temp directory and measures: 1 client, one request at a time;
 * then 16 clients, each keeping 16 requests in flight (pipelining).
 * Every ticket is fresh, so every answer is an admission (X25519 +
 * 3 HKDF + replay insert + group-committed fdatasync).  Prints one line
 * per run: answers/s, p50 and p99 latency, and % of the X25519 bound.
 *
 * The bound is X25519 operations per CPU-second of one thread (timed on
 * CLOCK_THREAD_CPUTIME_ID, so a busy neighbour on this shared host does
 * not deflate it), sampled before every configuration.  Each pipelined
 * line also gives ticketd's CPU use (/proc/PID/stat, all threads) and
 * this client's: answers per ticketd CPU-second is the figure that does
 * not depend on what else the host runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/keyfile.h"
#include "betanet/ticket.h"

#include "bench_util.h"
#include "ticketd.pb-c.h"

#define NCLIENTS	16
#define WINDOW		16

struct tkt {
	uint8_t		*frame;		/* u32 len || TicketdRequest */
	size_t		 len;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
verify_per_s(const uint8_t pub[32], const struct bn_ticket_site_key *k)
{
	uint8_t p[BN_TICKET_MADE_MAX];
	struct bn_buf b;
	struct bn_ticket t;
	uint64_t now = (uint64_t)time(NULL), h;
	double t0, te;
	long n = 0;

	bn_buf_fixed(&b, p, sizeof(p));
	bn_ticket_make(&b, pub, k->key_id, now);
	bn_ticket_parse(&b, &t);
	t0 = bench_thread_cpu_s();
	do {
		for (int i = 0; i < 50; i++, n++)
			bn_ticket_verify(&t, k, 1, now, &h);
	} while ((te = bench_thread_cpu_s()) - t0 < 1.0);
	return (double)n / (te - t0);
}

static void
make_tickets(struct tkt *tk, size_t n, const uint8_t pub[32],
    const uint8_t id[8])
{
	Betanet__Ticketd__TicketdRequest r =
	    BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Header h = BETANET__HEADER__INIT;
	Betanet__Ticketd__VerifyTicket v = BETANET__TICKETD__VERIFY_TICKET__INIT;
	uint8_t p[BN_TICKET_MADE_MAX];
	struct bn_buf b;
	size_t i, len;

	r.header = &h;
	r.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_TICKET;
	r.verify_ticket = &v;
	v.client_ip = "192.0.2.1";
	for (i = 0; i < n; i++) {
		bn_buf_fixed(&b, p, sizeof(p));
		bn_ticket_make(&b, pub, id, (uint64_t)time(NULL));
		v.payload.data = p;
		v.payload.len = bn_buf_len(&b);
		h.id = i;
		len = betanet__ticketd__ticketd_request__get_packed_size(&r);
		tk[i].frame = malloc(4 + len);
		bn_store_u32(tk[i].frame, (uint32_t)len);
		betanet__ticketd__ticketd_request__pack(&r, tk[i].frame + 4);
		tk[i].len = 4 + len;
	}
}

static int
uds(const char *path)
{
	struct sockaddr_un sun;
	int fd, i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (i = 0; i < 2000; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		usleep(5000);
	}
	return -1;
}

struct cl {
	int		 fd;
	uint8_t		 in[65536];
	size_t		 inlen;
	size_t		 inflight;
};

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * nclients connections, each with up to window requests in flight, over
 * tickets [0, n).  Fills answers/s, p50, p99 (ms); returns refused count.
 */
static long
drive(const char *sock, struct tkt *tk, size_t base, size_t n, int nclients,
    int window, double *rate, double *p50, double *p99)
{
	struct cl *c = calloc((size_t)nclients, sizeof(*c));
	struct pollfd *pf = calloc((size_t)nclients, sizeof(*pf));
	double *sent_at = calloc(n, sizeof(double)), *lat = calloc(n,
	    sizeof(double)), t0;
	size_t next = 0, done = 0;
	long refused = 0;
	int k;

	for (k = 0; k < nclients; k++)
		c[k].fd = uds(sock);
	t0 = now_s();
	while (done < n) {
		for (k = 0; k < nclients; k++) {
			while (c[k].inflight < (size_t)window && next < n) {
				sent_at[next] = now_s();
				if (write(c[k].fd, tk[base + next].frame,
				    tk[base + next].len) !=
				    (ssize_t)tk[base + next].len)
					abort();	/* bench: fine */
				next++;
				c[k].inflight++;
			}
			pf[k].fd = c[k].fd;
			pf[k].events = POLLIN;
		}
		if (poll(pf, (nfds_t)nclients, 10000) <= 0)
			break;
		for (k = 0; k < nclients; k++) {
			ssize_t r;

			if (!(pf[k].revents & POLLIN))
				continue;
			r = read(c[k].fd, c[k].in + c[k].inlen,
			    sizeof(c[k].in) - c[k].inlen);
			if (r <= 0)
				goto out;
			c[k].inlen += (size_t)r;
			while (c[k].inlen >= 4) {
				size_t len = bn_load_u32(c[k].in);
				Betanet__Ticketd__TicketdResponse *m;

				if (c[k].inlen < 4 + len)
					break;
				m = betanet__ticketd__ticketd_response__unpack(
				    NULL, len, c[k].in + 4);
				if (m != NULL && m->header != NULL &&
				    m->header->id >= base &&
				    m->header->id - base < n) {
					lat[done++] = now_s() -
					    sent_at[m->header->id - base];
					if (m->ticket == NULL ||
					    m->ticket->reason != 0)
						refused++;
				}
				betanet__ticketd__ticketd_response__free_unpacked(
				    m, NULL);
				memmove(c[k].in, c[k].in + 4 + len,
				    c[k].inlen - 4 - len);
				c[k].inlen -= 4 + len;
				c[k].inflight--;
			}
		}
	}
 out:
	*rate = (double)done / (now_s() - t0);
	qsort(lat, done, sizeof(double), cmp_d);
	*p50 = done ? lat[done / 2] * 1e3 : 0;
	*p99 = done ? lat[done * 99 / 100] * 1e3 : 0;
	for (k = 0; k < nclients; k++)
		close(c[k].fd);
	free(c);
	free(pf);
	free(sent_at);
	free(lat);
	return refused + (long)(n - done);
}

static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int
wait_line(const char *log, const char *needle, int count)
{
	char buf[8192];
	int i, n;

	for (i = 0; i < 2000; i++) {
		FILE *f = fopen(log, "r");
		size_t len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		char *p = buf;

		if (f)
			fclose(f);
		buf[len] = '\0';
		for (n = 0; (p = strstr(p, needle)) != NULL; p++)
			n++;
		if (n >= count)
			return 0;
		usleep(5000);
	}
	return -1;
}

int
main(int argc, char **argv)
{
	char exe[PATH_MAX], ticketd[PATH_MAX + 32], redis[PATH_MAX] =
	    "/usr/bin/redis-server", dir[] = "/tmp/bn-bench-XXXXXX";
	char keys[300], prefix[320], err[256];
	uint8_t pub[32], id[8];
	struct bn_ticket_site_key sk;
	struct tkt *tk;
	size_t n = 20000, n1, i;
	double x, v;
	ssize_t el;
	int a, cfg;

	if ((el = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		return 1;
	exe[el] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(ticketd, sizeof(ticketd), "%s/services/ticketd/ticketd", exe);
	for (a = 1; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "--ticketd") == 0)
			snprintf(ticketd, sizeof(ticketd), "%s", argv[a + 1]);
		else if (strcmp(argv[a], "--redis-server") == 0)
			snprintf(redis, sizeof(redis), "%s", argv[a + 1]);
		else if (strcmp(argv[a], "--n") == 0)
			n = strtoul(argv[a + 1], NULL, 10);
	}
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	mkdir(keys, 0700);
	snprintf(prefix, sizeof(prefix), "%s/site", keys);
	if (bn_keyfile_ticket_keygen(prefix, 0, pub, id, err, sizeof(err)) !=
	    0 || bn_keyfile_load_ticket_key(prefix, &sk, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "keygen: %s\n", err);
		return 1;
	}
	x = bench_x25519_per_s(1.0);
	v = verify_per_s(pub, &sk);
	printf("raw X25519 (1 core): %.0f ops per CPU-s; bn_ticket_verify "
	    "alone: %.0f per CPU-s (%.0f us)\n", x, v, 1e6 / v);
	n1 = n / 4;
	tk = calloc(n + n1, sizeof(*tk));
	make_tickets(tk, n + n1, pub, id);
	printf("%-22s %-26s %10s %8s %8s %8s\n", "store/workers",
	    "clients", "answers/s", "p50 ms", "p99 ms", "% X25519");
	for (cfg = 0; cfg < 4; cfg++) {
		char sock[320], state[320], log[320], w[32], port[16];
		char url[64], set2[96], rlog[320];
		const int workers[] = { 0, 1, 2, 1 };
		int use_redis = cfg == 3;
		pid_t pid, rpid = 0;
		double rate, p50, p99, sc, cc, t0;
		long bad;

		if (use_redis && access(redis, X_OK) != 0) {
			printf("redis: %s not found, skipped\n", redis);
			break;
		}
		snprintf(sock, sizeof(sock), "%s/td%d.sock", dir, cfg);
		snprintf(state, sizeof(state), "%s/state%d", dir, cfg);
		snprintf(log, sizeof(log), "%s/td%d.log", dir, cfg);
		snprintf(w, sizeof(w), "workers=%d", workers[cfg]);
		snprintf(port, sizeof(port), "%d", 20000 + (getpid() % 20000));
		snprintf(url, sizeof(url), "replay_url=redis://127.0.0.1:%s",
		    port);
		snprintf(set2, sizeof(set2), "replay_backend=%s", use_redis ?
		    "redis" : "log");
		snprintf(rlog, sizeof(rlog), "%s/redis.log", dir);
		if (use_redis) {
			char *rargv[] = { redis, "--port", port, "--bind",
			    "127.0.0.1", "--save", "", "--appendonly", "no",
			    NULL };

			rpid = spawn(rargv, rlog);
			wait_line(rlog, "Ready to accept", 1);
		}
		{
			char *targv[] = { ticketd, "--socket", sock, "--keys",
			    keys, "--state", state, "--set", w, "--set", set2,
			    "--set", url, "--set", "bucket_capacity=1000000",
			    "--set", "bucket_rate=1000000", NULL };

			pid = spawn(targv, log);
		}
		if (wait_line(log, "event=listening", 1) != 0 || (use_redis &&
		    wait_line(log, "redis_connected", 2) != 0)) {
			fprintf(stderr, "ticketd did not start; see %s\n", log);
			return 1;
		}
		bad = drive(sock, tk, 0, n1, 1, 1, &rate, &p50, &p99);
		printf("%-8s workers=%-5d %-26s %10.0f %8.3f %8.3f %7.0f%%%s\n",
		    use_redis ? "redis" : "log", workers[cfg],
		    "1 (sequential)", rate, p50, p99, 100 * rate / x,
		    bad ? " REFUSALS!" : "");
		x = bench_x25519_per_s(0.3);	/* the bound, next to the run */
		sc = bench_pid_cpu_s(pid);
		cc = bench_self_cpu_s();
		t0 = now_s();
		bad = drive(sock, tk, n1, n, NCLIENTS, WINDOW, &rate, &p50,
		    &p99);
		t0 = now_s() - t0;
		sc = bench_pid_cpu_s(pid) - sc;
		cc = bench_self_cpu_s() - cc;
		printf("%-8s workers=%-5d %-26s %10.0f %8.3f %8.3f %7.0f%%%s\n",
		    use_redis ? "redis" : "log", workers[cfg],
		    "16 x 16 in flight", rate, p50, p99, 100 * rate / x,
		    bad ? " REFUSALS!" : "");
		printf("    X25519 %.0f per CPU-s; ticketd %.0f%% CPU = %.0f "
		    "answers per ticketd CPU-s (%.0f%% of X25519); client "
		    "%.0f%% CPU\n", x, 100 * sc / t0, sc > 0 ? (double)n / sc :
		    0, sc > 0 ? 100 * (double)n / sc / x : 0, 100 * cc / t0);
		fflush(stdout);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		if (rpid > 0) {
			kill(rpid, SIGTERM);
			waitpid(rpid, NULL, 0);
		}
	}
	for (i = 0; i < n + n1; i++)
		free(tk[i].frame);
	free(tk);
	bn_cleanse(&sk, sizeof(sk));
	return 0;
}
