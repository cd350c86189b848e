/*
 * Unit tests for ipc: the pure framing (every truncated prefix, the
 * 1 MiB cap from the header alone), then a real libevent server and
 * client in one process: pipelined requests matched by id, a garbage
 * client dropped while a good one is served, restart and reconnect,
 * deadlines, limits, backpressure, stale sockets.
 *
 * Test protocol on top of the frames: request = id u64 || cmd || data,
 * response = id u64 || data.  cmd 'E' echoes at once, 'D' defers the
 * reply until the test releases it, 'N' never answers, 'B' answers
 * with a response too short to carry an id.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "betanet/buf.h"
#include "betanet/err.h"
#include "betanet/ipc.h"
#include "betanet/log.h"
#include "testutil.h"

/* ---- framing --------------------------------------------------------- */

START_TEST(test_frame_roundtrip)
{
	struct bn_buf *b = bn_buf_new(64);
	const uint8_t *p;
	size_t len, n, whole;
	struct bn_buf v;
	uint8_t copy[64];

	ck_assert_int_eq(bn_ipc_frame_encode(b, (const uint8_t *)"hello", 5),
	    BN_OK);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), "\0\0\0\5hello", 9), 0);
	whole = bn_buf_len(b);
	memcpy(copy, bn_buf_ptr(b), whole);
	/* Every truncated prefix: INCOMPLETE, nothing consumed. */
	for (n = 0; n < whole; n++) {
		bn_buf_view(&v, copy, n);
		ck_assert_int_eq(bn_ipc_frame_decode(&v, &p, &len),
		    BN_ERR_INCOMPLETE);
		ck_assert_ptr_null(p);
		ck_assert_uint_eq(len, 0);
		ck_assert_uint_eq(bn_buf_len(&v), n);
	}
	/* One trailing byte stays for the next frame. */
	copy[whole] = 0;
	bn_buf_view(&v, copy, whole + 1);
	ck_assert_int_eq(bn_ipc_frame_decode(&v, &p, &len), BN_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(p, "hello", 5), 0);
	ck_assert_uint_eq(bn_buf_len(&v), 1);
	ck_assert_int_eq(bn_ipc_frame_decode(&v, &p, &len), BN_ERR_INCOMPLETE);
	/* Empty payload is a valid frame. */
	bn_buf_reset(b);
	ck_assert_int_eq(bn_ipc_frame_encode(b, NULL, 0), BN_OK);
	ck_assert_int_eq(bn_ipc_frame_decode(b, &p, &len), BN_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	ck_assert_int_eq(bn_ipc_frame_encode(b, NULL, 3), BN_ERR_INVALID_ARG);
	bn_buf_free(b);
}
END_TEST

START_TEST(test_frame_limits)
{
	static const uint8_t over[4] = { 0x00, 0x10, 0x00, 0x01 };
	static const uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t small[8], *big;
	struct bn_buf v, *b;
	const uint8_t *p;
	size_t len;

	/* Refused from the 4 header bytes alone. */
	bn_buf_view(&v, over, 4);
	ck_assert_int_eq(bn_ipc_frame_decode(&v, &p, &len), BN_ERR_TOO_LARGE);
	ck_assert_uint_eq(bn_buf_len(&v), 4);
	bn_buf_view(&v, huge, 4);
	ck_assert_int_eq(bn_ipc_frame_decode(&v, &p, &len), BN_ERR_TOO_LARGE);
	bn_buf_view(&v, huge, 3);
	ck_assert_int_eq(bn_ipc_frame_decode(&v, &p, &len), BN_ERR_INCOMPLETE);
	/* Exactly 1 MiB is fine, one more byte is not. */
	big = calloc(1, BN_IPC_MAX_FRAME + 1);
	ck_assert_ptr_nonnull(big);
	b = bn_buf_new(BN_IPC_MAX_FRAME + 16);
	ck_assert_int_eq(bn_ipc_frame_encode(b, big, BN_IPC_MAX_FRAME + 1),
	    BN_ERR_TOO_LARGE);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	ck_assert_int_eq(bn_ipc_frame_encode(b, big, BN_IPC_MAX_FRAME), BN_OK);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), "\x00\x10\x00\x00", 4), 0);
	ck_assert_int_eq(bn_ipc_frame_decode(b, &p, &len), BN_OK);
	ck_assert_uint_eq(len, BN_IPC_MAX_FRAME);
	bn_buf_free(b);
	free(big);
	/* A full output buffer is left unchanged. */
	bn_buf_fixed(&v, small, sizeof(small));
	ck_assert_int_eq(bn_ipc_frame_encode(&v, (const uint8_t *)"12345", 5),
	    BN_ERR_NO_SPACE);
	ck_assert_uint_eq(bn_buf_len(&v), 0);
}
END_TEST

/* ---- libevent fixture ------------------------------------------------ */

#define MAX_DEFER	256

struct fx {
	struct event_base	*base;
	struct event		*tick;
	struct bn_ipc_server	*srv;
	struct bn_ipc_client	*cli;
	char			 dir[64];
	char			 path[96];
	/* server side */
	size_t			 handled;
	struct bn_ipc_conn	*deferred[MAX_DEFER];
	uint64_t		 deferred_id[MAX_DEFER];
	size_t			 ndeferred;
	size_t			 closes;
	/* client side */
	int			 state_up;
	int			 state_changes;
	size_t			 ndone;
	int			 last_err;
	uint64_t		 done_ids[MAX_DEFER];
	int			 done_err[MAX_DEFER];
};

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
}

static void
fx_init(struct fx *f)
{
	struct timeval tv = { 0, 5000 };

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/bn_ipc_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.sock", f->dir);
	f->base = event_base_new();
	ck_assert_ptr_nonnull(f->base);
	/* Keeps EVLOOP_ONCE from blocking for long. */
	f->tick = event_new(f->base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(f->tick, &tv);
	bn_log_set_level(BN_LOG_ERROR);
}

static void
fx_done(struct fx *f)
{
	size_t i;

	for (i = 0; i < f->ndeferred; i++)
		bn_ipc_conn_unref(f->deferred[i]);
	bn_ipc_client_free(f->cli);
	bn_ipc_server_free(f->srv);
	event_free(f->tick);
	event_base_free(f->base);
	unlink(f->path);
	rmdir(f->dir);
	bn_log_set_level(BN_LOG_INFO);
}

/* Run the loop until *flag reaches want or ms pass; returns *flag. */
static long
run_until(struct fx *f, const size_t *flag, size_t want, int ms)
{
	struct timeval start, now;

	gettimeofday(&start, NULL);
	for (;;) {
		if (*flag >= want)
			break;
		gettimeofday(&now, NULL);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_usec - start.tv_usec) / 1000 > ms)
			break;
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	return (long)*flag;
}

static void
run_for(struct fx *f, int ms)
{
	size_t never = 0;

	run_until(f, &never, 1, ms);
}

static void
srv_request(struct bn_ipc_conn *c, const uint8_t *p, size_t len, void *arg)
{
	struct fx *f = arg;
	uint8_t out[8 + 1024 * 64 + 16];
	size_t dlen;

	f->handled++;
	ck_assert_uint_ge(len, 9);
	dlen = len - 9;
	ck_assert_uint_le(dlen, sizeof(out) - 8);
	memcpy(out, p, 8);
	memcpy(out + 8, p + 9, dlen);
	switch (p[8]) {
	case 'E':
		ck_assert_int_eq(bn_ipc_conn_send(c, out, 8 + dlen), BN_OK);
		break;
	case 'D':
		ck_assert_uint_lt(f->ndeferred, MAX_DEFER);
		bn_ipc_conn_ref(c);
		f->deferred[f->ndeferred] = c;
		f->deferred_id[f->ndeferred++] = bn_load_u64(p);
		break;
	case 'B':
		ck_assert_int_eq(bn_ipc_conn_send(c, out, 3), BN_OK);
		break;
	case 'C':
		bn_ipc_conn_close(c);
		ck_assert(!bn_ipc_conn_is_open(c));
		break;
	default:
		break;
	}
}

static void
srv_close(struct bn_ipc_conn *c, void *arg)
{
	struct fx *f = arg;

	ck_assert(!bn_ipc_conn_is_open(c));
	f->closes++;
}

/* Answer every deferred request, newest first, and drop the refs. */
static size_t
release_deferred(struct fx *f)
{
	uint8_t out[8 + 32];
	size_t i, sent = 0;
	int n;

	for (i = f->ndeferred; i-- > 0;) {
		bn_store_u64(out, f->deferred_id[i]);
		n = snprintf((char *)out + 8, 32, "req-%llu",
		    (unsigned long long)f->deferred_id[i]);
		if (bn_ipc_conn_send(f->deferred[i], out, 8 + (size_t)n) ==
		    BN_OK)
			sent++;
		bn_ipc_conn_unref(f->deferred[i]);
	}
	f->ndeferred = 0;
	return sent;
}

static struct bn_ipc_server *
fx_server(struct fx *f, size_t max_clients)
{
	struct bn_ipc_server_cb cb = { srv_request, srv_close, f };

	return bn_ipc_server_new(f->base, f->path, 0600, max_clients, &cb);
}

static int
cli_get_id(const uint8_t *p, size_t len, uint64_t *id, void *arg)
{
	if (len < 8)
		return -1;
	*id = bn_load_u64(p);
	return 0;
}

static void
cli_state(struct bn_ipc_client *c, int up, void *arg)
{
	struct fx *f = arg;

	f->state_up = up;
	f->state_changes++;
}

static void
cli_done(int err, const uint8_t *resp, size_t len, void *arg)
{
	struct fx *f = arg;
	uint64_t id = 0;
	char want[32];
	int n;

	if (err == BN_OK) {
		ck_assert_uint_ge(len, 8);
		id = bn_load_u64(resp);
		n = snprintf(want, sizeof(want), "req-%llu",
		    (unsigned long long)id);
		ck_assert_uint_eq(len - 8, (size_t)n);
		ck_assert_int_eq(memcmp(resp + 8, want, (size_t)n), 0);
	} else
		ck_assert_ptr_null(resp);
	ck_assert_uint_lt(f->ndone, MAX_DEFER);
	f->done_ids[f->ndone] = id;
	f->done_err[f->ndone++] = err;
	f->last_err = err;
}

static struct bn_ipc_client *
fx_client(struct fx *f, size_t max_inflight)
{
	struct bn_ipc_client_cb cb = { cli_get_id, cli_state, f };
	struct bn_ipc_client_opts o = { .backoff_base_ms = 10,
	    .backoff_cap_ms = 40, .max_inflight = max_inflight };

	return bn_ipc_client_new(f->base, f->path, &o, &cb);
}

static int
send_req(struct fx *f, uint64_t id, char cmd, uint32_t timeout_ms)
{
	uint8_t req[8 + 1 + 32];
	int n;

	bn_store_u64(req, id);
	req[8] = (uint8_t)cmd;
	n = snprintf((char *)req + 9, 32, "req-%llu", (unsigned long long)id);
	return bn_ipc_client_request(f->cli, id, req, 9 + (size_t)n,
	    timeout_ms, cli_done, f);
}

static int
wait_up(struct fx *f)
{
	size_t up;

	for (int i = 0; i < 400 && !bn_ipc_client_is_connected(f->cli); i++)
		run_for(f, 5);
	up = (size_t)bn_ipc_client_is_connected(f->cli);
	return (int)up;
}

/* Raw client socket, non-blocking. */
static int
raw_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/* Run the loop until fd reads EOF (1) or ms pass (0). */
static int
raw_wait_eof(struct fx *f, int fd, int ms)
{
	uint8_t buf[4096];
	ssize_t n;

	for (int i = 0; i < ms / 5; i++) {
		run_for(f, 5);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return 1;
	}
	return 0;
}

START_TEST(test_pipelined)
{
	struct fx f;
	uint64_t id;
	size_t i;
	int seen[51] = { 0 };

	fx_init(&f);
	f.srv = fx_server(&f, 8);
	ck_assert_ptr_nonnull(f.srv);
	f.cli = fx_client(&f, 64);
	ck_assert_ptr_nonnull(f.cli);
	/* Not connected yet: fail at once, never queue. */
	ck_assert_int_eq(send_req(&f, 99, 'E', 0), BN_ERR_CLOSED);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(f.state_up, 1);
	for (id = 1; id <= 50; id++)
		ck_assert_int_eq(send_req(&f, id, 'D', 5000), BN_OK);
	ck_assert_int_eq(send_req(&f, 7, 'D', 5000), BN_ERR_INVALID_ARG);
	ck_assert_uint_eq(bn_ipc_client_inflight(f.cli), 50);
	ck_assert_int_eq(run_until(&f, &f.handled, 50, 2000), 50);
	/* Replies go out in reverse order; ids still match. */
	ck_assert_uint_eq(release_deferred(&f), 50);
	ck_assert_int_eq(run_until(&f, &f.ndone, 50, 2000), 50);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(f.done_err[i], BN_OK);
		ck_assert_uint_eq(f.done_ids[i], 50 - i);
		seen[f.done_ids[i]]++;
	}
	for (i = 1; i <= 50; i++)
		ck_assert_int_eq(seen[i], 1);
	ck_assert_uint_eq(bn_ipc_client_inflight(f.cli), 0);
	fx_done(&f);
}
END_TEST

START_TEST(test_garbage_client_dropped)
{
	static const uint8_t over[4] = { 0x00, 0x10, 0x00, 0x01 };
	struct fx f;
	int bad, bad2;

	fx_init(&f);
	f.srv = fx_server(&f, 8);
	f.cli = fx_client(&f, 64);
	ck_assert(wait_up(&f));
	bad = raw_connect(f.path);
	bad2 = raw_connect(f.path);
	run_for(&f, 20);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 3);
	/* Oversize from the header alone, and 0xffffffff. */
	ck_assert_int_eq(write(bad, over, 4), 4);
	ck_assert_int_eq(write(bad2, "\xff\xff\xff\xff", 4), 4);
	ck_assert_int_eq(send_req(&f, 1, 'E', 2000), BN_OK);
	ck_assert(raw_wait_eof(&f, bad, 2000));
	ck_assert(raw_wait_eof(&f, bad2, 2000));
	ck_assert_int_eq(run_until(&f, &f.ndone, 1, 2000), 1);
	ck_assert_int_eq(f.done_err[0], BN_OK);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 1);
	ck_assert_uint_eq(f.closes, 2);
	/* The good client keeps being served. */
	ck_assert_int_eq(send_req(&f, 2, 'E', 2000), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.ndone, 2, 2000), 2);
	ck_assert_int_eq(f.done_err[1], BN_OK);
	close(bad);
	close(bad2);
	fx_done(&f);
}
END_TEST

START_TEST(test_restart_reconnect)
{
	struct fx f;

	fx_init(&f);
	f.srv = fx_server(&f, 8);
	f.cli = fx_client(&f, 64);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(send_req(&f, 1, 'N', 0), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.handled, 1, 2000), 1);
	/* Server goes away: the in-flight request fails at once. */
	bn_ipc_server_free(f.srv);
	f.srv = NULL;
	ck_assert_int_eq(run_until(&f, &f.ndone, 1, 2000), 1);
	ck_assert_int_eq(f.done_err[0], BN_ERR_CLOSED);
	ck_assert_int_eq(f.state_up, 0);
	ck_assert(!bn_ipc_client_is_connected(f.cli));
	ck_assert_int_eq(send_req(&f, 2, 'E', 0), BN_ERR_CLOSED);
	run_for(&f, 100);		/* a few failed attempts */
	f.srv = fx_server(&f, 8);
	ck_assert_ptr_nonnull(f.srv);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(f.state_up, 1);
	ck_assert_int_eq(send_req(&f, 3, 'E', 2000), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.ndone, 2, 2000), 2);
	ck_assert_int_eq(f.done_err[1], BN_OK);
	ck_assert_uint_eq(f.done_ids[1], 3);
	fx_done(&f);
}
END_TEST

START_TEST(test_deadline_and_limits)
{
	struct fx f;
	uint8_t *big;

	fx_init(&f);
	f.srv = fx_server(&f, 8);
	f.cli = fx_client(&f, 2);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(send_req(&f, 1, 'N', 50), BN_OK);
	ck_assert_int_eq(send_req(&f, 2, 'N', 5000), BN_OK);
	ck_assert_int_eq(send_req(&f, 3, 'E', 0), BN_ERR_LIMIT);
	ck_assert_int_eq(bn_ipc_client_request(f.cli, 4, NULL, 0, 0, NULL,
	    NULL), BN_ERR_INVALID_ARG);
	big = calloc(1, BN_IPC_MAX_FRAME + 1);
	ck_assert_int_eq(bn_ipc_client_request(f.cli, 5, big,
	    BN_IPC_MAX_FRAME + 1, 0, cli_done, &f), BN_ERR_TOO_LARGE);
	free(big);
	ck_assert_int_eq(run_until(&f, &f.ndone, 1, 2000), 1);
	ck_assert_int_eq(f.done_err[0], BN_ERR_TIMEOUT);
	ck_assert_uint_eq(bn_ipc_client_inflight(f.cli), 1);
	/* The connection survives a timeout. */
	ck_assert_int_eq(send_req(&f, 3, 'E', 2000), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.ndone, 2, 2000), 2);
	ck_assert_int_eq(f.done_err[1], BN_OK);
	ck_assert_uint_eq(f.done_ids[1], 3);
	/* Freeing the client fails what is left. */
	bn_ipc_client_free(f.cli);
	f.cli = NULL;
	ck_assert_uint_eq(f.ndone, 3);
	ck_assert_int_eq(f.done_err[2], BN_ERR_CLOSED);
	fx_done(&f);
}
END_TEST

/* A malformed response makes the client drop and reconnect. */
START_TEST(test_bad_response)
{
	struct fx f;

	fx_init(&f);
	f.srv = fx_server(&f, 8);
	f.cli = fx_client(&f, 8);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(send_req(&f, 1, 'N', 0), BN_OK);
	ck_assert_int_eq(send_req(&f, 2, 'B', 0), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.ndone, 2, 2000), 2);
	ck_assert_int_eq(f.done_err[0], BN_ERR_CLOSED);
	ck_assert_int_eq(f.done_err[1], BN_ERR_CLOSED);
	ck_assert(wait_up(&f));
	/* A handler closing its own connection mid-dispatch. */
	ck_assert_int_eq(send_req(&f, 3, 'C', 0), BN_OK);
	ck_assert_int_eq(send_req(&f, 4, 'E', 0), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.ndone, 4, 2000), 4);
	ck_assert_int_eq(f.done_err[2], BN_ERR_CLOSED);
	ck_assert_int_eq(f.done_err[3], BN_ERR_CLOSED);
	fx_done(&f);
}
END_TEST

/* A late reply to a connection that went away is dropped safely. */
START_TEST(test_late_reply)
{
	struct fx f;

	fx_init(&f);
	f.srv = fx_server(&f, 8);
	f.cli = fx_client(&f, 8);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(send_req(&f, 1, 'D', 0), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.handled, 1, 2000), 1);
	bn_ipc_client_free(f.cli);
	f.cli = NULL;
	ck_assert_int_eq(run_until(&f, &f.closes, 1, 2000), 1);
	ck_assert(!bn_ipc_conn_is_open(f.deferred[0]));
	ck_assert_uint_eq(release_deferred(&f), 0);	/* BN_ERR_CLOSED */
	/* Same after the server itself is gone. */
	f.cli = fx_client(&f, 8);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(send_req(&f, 2, 'D', 0), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.handled, 2, 2000), 2);
	bn_ipc_server_free(f.srv);
	f.srv = NULL;
	ck_assert_uint_eq(release_deferred(&f), 0);
	fx_done(&f);
}
END_TEST

START_TEST(test_max_clients)
{
	struct fx f;
	int a, b;

	fx_init(&f);
	f.srv = fx_server(&f, 1);
	a = raw_connect(f.path);
	run_for(&f, 20);
	b = raw_connect(f.path);
	ck_assert(raw_wait_eof(&f, b, 2000));
	ck_assert(!raw_wait_eof(&f, a, 50));
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 1);
	close(a);
	close(b);
	fx_done(&f);
}
END_TEST

START_TEST(test_stale_socket)
{
	struct sockaddr_un sun;
	struct bn_ipc_server *second;
	struct stat st;
	struct fx f;
	int fd;

	fx_init(&f);
	/* A socket left behind by a dead process is replaced. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	f.srv = fx_server(&f, 4);
	ck_assert_ptr_nonnull(f.srv);
	ck_assert_int_eq(stat(f.path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* A live one is not. */
	second = fx_server(&f, 4);
	ck_assert_ptr_null(second);
	bn_ipc_server_free(f.srv);
	f.srv = NULL;
	ck_assert_int_eq(stat(f.path, &st), -1);	/* unlinked */
	/* Nor is anything that is not a socket. */
	fd = open(f.path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_ptr_null(fx_server(&f, 4));
	ck_assert_int_eq(stat(f.path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	fx_done(&f);
}
END_TEST

/*
 * Backpressure: a client that writes requests for large echoes and does
 * not read is not read either once its replies back up; when it reads,
 * everything is answered.
 */
START_TEST(test_backpressure)
{
	enum { N = 160, DATA = 64 * 1024 };
	size_t fr = 4 + 8 + 1 + DATA, total = N * fr, off = 0, got = 0;
	uint8_t *wbuf, rbuf[65536];
	struct fx f;
	ssize_t n;
	int fd, i;

	fx_init(&f);
	f.srv = fx_server(&f, 4);
	wbuf = calloc(1, total);
	for (i = 0; i < N; i++) {
		bn_store_u32(wbuf + i * fr, 8 + 1 + DATA);
		bn_store_u64(wbuf + i * fr + 4, (uint64_t)i);
		wbuf[i * fr + 12] = 'E';
	}
	fd = raw_connect(f.path);
	for (i = 0; i < 100; i++) {
		if (off < total && (n = write(fd, wbuf + off,
		    total - off)) > 0)
			off += (size_t)n;
		run_for(&f, 3);
	}
	/* Replies are bounded by the high watermark (plus socket buffers). */
	ck_assert_uint_lt(f.handled, N);
	ck_assert_uint_le(f.handled * (8 + DATA),
	    BN_IPC_OUT_HIGH + 4 * 1024 * 1024);
	for (i = 0; i < 4000 && got < N * (4 + 8 + DATA); i++) {
		if (off < total && (n = write(fd, wbuf + off,
		    total - off)) > 0)
			off += (size_t)n;
		while ((n = read(fd, rbuf, sizeof(rbuf))) > 0)
			got += (size_t)n;
		run_for(&f, 1);
	}
	ck_assert_uint_eq(f.handled, N);
	ck_assert_uint_eq(got, N * (4 + 8 + DATA));
	close(fd);
	free(wbuf);
	fx_done(&f);
}
END_TEST

/* ---- deadlines, half-close, bounded output ---------------------------- */

static struct bn_ipc_server *
fx_server_opts(struct fx *f, size_t max_clients,
    const struct bn_ipc_server_opts *o)
{
	struct bn_ipc_server_cb cb = { srv_request, srv_close, f };

	return bn_ipc_server_new_with(f->base, f->path, 0600, max_clients, o,
	    &cb);
}

/* One request frame: u32 len || id u64 || cmd || "req-<id>". */
static size_t
make_req(uint8_t *out, uint64_t id, char cmd)
{
	int n;

	bn_store_u64(out + 4, id);
	out[12] = (uint8_t)cmd;
	n = snprintf((char *)out + 13, 32, "req-%llu", (unsigned long long)id);
	bn_store_u32(out, 8 + 1 + (uint32_t)n);
	return 4 + 8 + 1 + (size_t)n;
}

/* Write all of p on a non-blocking fd, never raising SIGPIPE. */
static void
raw_send(int fd, const void *p, size_t n)
{
	ck_assert_int_eq(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/*
 * Run the loop and read fd until EOF; returns the bytes read, or -1 if
 * no EOF came within ms.
 */
static long
raw_read_to_eof(struct fx *f, int fd, uint8_t *buf, size_t cap, int ms)
{
	size_t got = 0;
	ssize_t n;

	for (int i = 0; i < ms / 2; i++) {
		run_for(f, 2);
		while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
			got += (size_t)n;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return (long)got;
	}
	return -1;
}

/*
 * A one-shot client writes its request and shuts down its sending side;
 * a handler that answers 20 ms later is still heard, then the connection
 * closes.  The same for an answer at once, and a request never answered
 * closes after the write timeout.
 */
START_TEST(test_half_close)
{
	struct fx f;
	struct bn_ipc_server_opts o = { .write_timeout_ms = 200 };
	uint8_t req[64], buf[256], want[64];
	size_t n, wn;
	long got;
	int fd;

	fx_init(&f);
	f.srv = fx_server_opts(&f, 4, &o);
	ck_assert_ptr_nonnull(f.srv);
	/* Deferred (async) answer. */
	fd = raw_connect(f.path);
	n = make_req(req, 7, 'D');
	raw_send(fd, req, n);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(run_until(&f, &f.handled, 1, 2000), 1);
	run_for(&f, 20);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 1);
	ck_assert_uint_eq(bn_ipc_conn_outstanding(f.deferred[0]), 1);
	ck_assert_uint_eq(release_deferred(&f), 1);
	got = raw_read_to_eof(&f, fd, buf, sizeof(buf), 2000);
	wn = 8 + 5;	/* id || "req-7" */
	bn_store_u32(want, (uint32_t)wn);
	bn_store_u64(want + 4, 7);
	memcpy(want + 12, "req-7", 5);
	ck_assert_int_eq(got, (long)(4 + wn));
	ck_assert_int_eq(memcmp(buf, want, 4 + wn), 0);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 0);
	ck_assert_uint_eq(f.closes, 1);
	close(fd);
	/* Answered at once, two requests pipelined before the EOF. */
	fd = raw_connect(f.path);
	n = make_req(req, 8, 'E');
	n += make_req(req + n, 9, 'E');
	raw_send(fd, req, n);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	got = raw_read_to_eof(&f, fd, buf, sizeof(buf), 2000);
	ck_assert_int_eq(got, (long)(2 * (4 + wn)));
	ck_assert_uint_eq(bn_load_u64(buf + 4), 8);
	ck_assert_uint_eq(bn_load_u64(buf + 4 + wn + 4), 9);
	close(fd);
	/* Never answered: closed by the write timeout, not held forever. */
	fd = raw_connect(f.path);
	n = make_req(req, 10, 'N');
	raw_send(fd, req, n);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(run_until(&f, &f.handled, 4, 2000), 4);
	run_for(&f, 50);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 1);
	ck_assert_int_eq(raw_read_to_eof(&f, fd, buf, sizeof(buf), 2000),
	    0);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 0);
	close(fd);
	fx_done(&f);
}
END_TEST

/*
 * Four clients that send one byte of a frame and fall silent hold every
 * slot; after the frame timeout they are closed and a real client is
 * served.  A frame trickled in a byte at a time gets no more time.
 */
START_TEST(test_slot_timeouts)
{
	struct fx f;
	struct bn_ipc_server_opts o = { .frame_timeout_ms = 200 };
	uint8_t buf[64], big[4 + 9 + 100];
	struct timeval t0, t1;
	int fds[4], extra, i;
	long ms;

	fx_init(&f);
	f.srv = fx_server_opts(&f, 4, &o);
	ck_assert_ptr_nonnull(f.srv);
	for (i = 0; i < 4; i++) {
		fds[i] = raw_connect(f.path);
		raw_send(fds[i], "", 1);
	}
	run_for(&f, 20);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 4);
	/* Full: a fifth is turned away. */
	extra = raw_connect(f.path);
	ck_assert(raw_wait_eof(&f, extra, 100));
	close(extra);
	gettimeofday(&t0, NULL);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(raw_read_to_eof(&f, fds[i], buf,
		    sizeof(buf), 2000), 0);
	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	ck_assert_int_lt(ms, 1000);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 0);
	ck_assert_uint_eq(f.closes, 4);
	/* A real client gets a slot and an answer. */
	f.cli = fx_client(&f, 8);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(send_req(&f, 1, 'E', 2000), BN_OK);
	ck_assert_int_eq(run_until(&f, &f.ndone, 1, 2000), 1);
	ck_assert_int_eq(f.done_err[0], BN_OK);
	/* It stays connected past the frame timeout: idle is fine. */
	run_for(&f, 400);
	ck_assert(bn_ipc_client_is_connected(f.cli));
	ck_assert_uint_eq(f.closes, 4);
	/* Slowloris: one byte every 50 ms still ends at the deadline. */
	memset(big, 0, sizeof(big));
	bn_store_u32(big, 9 + 100);
	fds[0] = raw_connect(f.path);
	gettimeofday(&t0, NULL);
	for (i = 0; i < (int)sizeof(big); i++) {
		if (send(fds[0], big + i, 1, MSG_NOSIGNAL) != 1)
			break;
		if (raw_wait_eof(&f, fds[0], 50))
			break;
	}
	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	ck_assert_int_lt(i, (int)sizeof(big));
	ck_assert_int_lt(ms, 800);
	ck_assert_uint_eq(f.handled, 1);
	close(fds[0]);
	for (i = 1; i < 4; i++)
		close(fds[i]);
	fx_done(&f);
}
END_TEST

/*
 * Idle timeout (off by default): a silent connection is closed, one
 * waiting for an answer is not.
 */
START_TEST(test_idle_timeout)
{
	struct fx f;
	struct bn_ipc_server_opts o = { .idle_timeout_ms = 150 };
	uint8_t buf[64];
	int fd;

	fx_init(&f);
	f.srv = fx_server_opts(&f, 4, &o);
	f.cli = fx_client(&f, 8);
	ck_assert(wait_up(&f));
	ck_assert_int_eq(send_req(&f, 1, 'D', 5000), BN_OK);
	fd = raw_connect(f.path);
	ck_assert_int_eq(raw_read_to_eof(&f, fd, buf, sizeof(buf), 2000),
	    0);
	close(fd);
	run_for(&f, 300);
	ck_assert(bn_ipc_client_is_connected(f.cli));
	ck_assert_uint_eq(release_deferred(&f), 1);
	ck_assert_int_eq(run_until(&f, &f.ndone, 1, 2000), 1);
	ck_assert_int_eq(f.done_err[0], BN_OK);
	fx_done(&f);
}
END_TEST

/*
 * Answer every deferred request with a `size`-byte reply; track the
 * largest queued output and outstanding count seen, and how the sends
 * went.
 */
static void
release_big(struct fx *f, size_t size, size_t *maxq, size_t *maxo,
    size_t *nlimit, size_t *nclosed)
{
	static uint8_t out[64 * 1024];
	size_t i;
	int r;

	ck_assert_uint_le(size, sizeof(out));
	for (i = 0; i < f->ndeferred; i++) {
		if (bn_ipc_conn_outstanding(f->deferred[i]) > *maxo)
			*maxo = bn_ipc_conn_outstanding(f->deferred[i]);
		bn_store_u64(out, f->deferred_id[i]);
		r = bn_ipc_conn_send(f->deferred[i], out, size);
		if (r == BN_ERR_LIMIT)
			(*nlimit)++;
		else if (r == BN_ERR_CLOSED)
			(*nclosed)++;
		else
			ck_assert_int_eq(r, BN_OK);
		if (bn_ipc_conn_queued(f->deferred[i]) > *maxq)
			*maxq = bn_ipc_conn_queued(f->deferred[i]);
		bn_ipc_conn_unref(f->deferred[i]);
	}
	f->ndeferred = 0;
}

/*
 * A client pipelines requests and never reads; the handler answers each
 * later with 64 KiB.  Reading stops at max_outstanding unanswered
 * requests or at the output high watermark, so the server takes in
 * only a bounded number of requests and queues a bounded amount, and the
 * stalled connection is closed by the write timeout.
 */
START_TEST(test_async_backpressure)
{
	struct fx f;
	enum { N = 200 };
	struct bn_ipc_server_opts o = { .max_outstanding = 8,
	    .write_timeout_ms = 300 };
	uint8_t *wbuf;
	size_t off = 0, total = 0, maxq = 0, maxo = 0, nlimit = 0, ncl = 0;
	ssize_t n;
	int fd, i;

	wbuf = calloc(N, 64);
	for (i = 0; i < N; i++)
		total += make_req(wbuf + total, (uint64_t)i, 'D');
	fx_init(&f);
	f.srv = fx_server_opts(&f, 4, &o);
	fd = raw_connect(f.path);
	for (i = 0; i < 300; i++) {
		if (off < total && (n = send(fd, wbuf + off, total - off,
		    MSG_NOSIGNAL)) > 0)
			off += (size_t)n;
		run_for(&f, 2);
		ck_assert_uint_le(f.ndeferred, 8);
		release_big(&f, 64 * 1024, &maxq, &maxo, &nlimit, &ncl);
	}
	ck_assert_uint_eq(off, total);		/* all sent, little read */
	ck_assert_uint_lt(f.handled, N);
	ck_assert_uint_le(maxo, 8);
	ck_assert_uint_le(maxq, BN_IPC_OUT_HIGH + 8 * (4 + 64 * 1024));
	ck_assert_uint_eq(nlimit, 0);
	/* The client never reads: the write timeout closes it. */
	ck_assert_int_eq(run_until(&f, &f.closes, 1, 3000), 1);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 0);
	close(fd);
	free(wbuf);
	fx_done(&f);
}
END_TEST

/*
 * Reading pauses at max_outstanding and must resume when answers come,
 * even when they cannot be written because the client is busy writing
 * and not reading (no write callback will come): a client that writes
 * 100 requests before reading any still gets all 100 answers.
 */
START_TEST(test_outstanding_resume)
{
	struct fx f;
	enum { N = 100 };
	struct bn_ipc_server_opts o = { .max_outstanding = 4 };
	uint8_t *wbuf, rbuf[65536];
	size_t off = 0, total = 0, got = 0, maxq = 0, maxo = 0, nl = 0;
	size_t ncl = 0;
	ssize_t n;
	int fd, i;

	wbuf = calloc(N, 64);
	for (i = 0; i < N; i++)
		total += make_req(wbuf + total, (uint64_t)i, 'D');
	fx_init(&f);
	f.srv = fx_server_opts(&f, 4, &o);
	fd = raw_connect(f.path);
	/* Write everything first, reading nothing; 16 KiB answers. */
	for (i = 0; i < 1000 && f.handled < N; i++) {
		if (off < total && (n = send(fd, wbuf + off, total - off,
		    MSG_NOSIGNAL)) > 0)
			off += (size_t)n;
		run_for(&f, 1);
		release_big(&f, 16 * 1024, &maxq, &maxo, &nl, &ncl);
	}
	ck_assert_uint_eq(f.handled, N);
	ck_assert_uint_le(maxo, 4);
	ck_assert_uint_eq(nl + ncl, 0);
	for (i = 0; i < 2000 && got < N * (4 + 16 * 1024); i++) {
		while ((n = read(fd, rbuf, sizeof(rbuf))) > 0)
			got += (size_t)n;
		run_for(&f, 1);
	}
	ck_assert_uint_eq(got, N * (4 + 16 * 1024));
	close(fd);
	free(wbuf);
	fx_done(&f);
}
END_TEST

/*
 * With many requests outstanding (the default bound), late 64 KiB replies
 * to a client that does not read hit the hard output cap: that send
 * fails with BN_ERR_LIMIT and closes the connection, and queued output
 * never passes BN_IPC_OUT_CAP.
 */
START_TEST(test_output_cap)
{
	struct fx f;
	enum { N = 200 };
	uint8_t *wbuf;
	size_t total = 0, maxq = 0, maxo = 0, nlimit = 0, ncl = 0;
	int fd, i;

	wbuf = calloc(N, 64);
	for (i = 0; i < N; i++)
		total += make_req(wbuf + total, (uint64_t)i, 'D');
	fx_init(&f);
	f.srv = fx_server(&f, 4);
	fd = raw_connect(f.path);
	raw_send(fd, wbuf, total);
	ck_assert_int_eq(run_until(&f, &f.handled, N, 2000), N);
	ck_assert_uint_eq(bn_ipc_conn_outstanding(f.deferred[0]), N);
	release_big(&f, 64 * 1024, &maxq, &maxo, &nlimit, &ncl);
	ck_assert_uint_eq(nlimit, 1);
	ck_assert_uint_gt(ncl, 0);
	ck_assert_uint_le(maxq, BN_IPC_OUT_CAP);
	ck_assert_uint_ge(maxq, BN_IPC_OUT_HIGH);
	ck_assert_uint_eq(f.closes, 1);
	ck_assert_uint_eq(bn_ipc_server_nclients(f.srv), 0);
	close(fd);
	free(wbuf);
	fx_done(&f);
}
END_TEST

/* The socket is born with the mode asked for; the umask is restored. */
START_TEST(test_socket_mode)
{
	struct fx f;
	struct bn_ipc_server_cb cb = { srv_request, srv_close, &f };
	struct stat st;
	mode_t old;

	fx_init(&f);
	old = umask(077);
	f.srv = bn_ipc_server_new(f.base, f.path, 0660, 4, &cb);
	ck_assert_ptr_nonnull(f.srv);
	ck_assert_int_eq(lstat(f.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	ck_assert_uint_eq(umask(old), 077);
	fx_done(&f);
}
END_TEST

static Suite *
ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("frame");
	TCase *ev = tcase_create("libevent");

	tcase_add_test(tc, test_frame_roundtrip);
	tcase_add_test(tc, test_frame_limits);
	suite_add_tcase(s, tc);
	tcase_set_timeout(ev, 60);
	tcase_add_test(ev, test_pipelined);
	tcase_add_test(ev, test_garbage_client_dropped);
	tcase_add_test(ev, test_restart_reconnect);
	tcase_add_test(ev, test_deadline_and_limits);
	tcase_add_test(ev, test_bad_response);
	tcase_add_test(ev, test_late_reply);
	tcase_add_test(ev, test_max_clients);
	tcase_add_test(ev, test_stale_socket);
	tcase_add_test(ev, test_backpressure);
	tcase_add_test(ev, test_half_close);
	tcase_add_test(ev, test_slot_timeouts);
	tcase_add_test(ev, test_idle_timeout);
	tcase_add_test(ev, test_async_backpressure);
	tcase_add_test(ev, test_output_cap);
	tcase_add_test(ev, test_outstanding_resume);
	tcase_add_test(ev, test_socket_mode);
	suite_add_tcase(s, ev);
	return s;
}

int
main(void)
{
	return tu_run(ipc_suite());
}
