/*
 * Integration tests for ticketd: start the real daemon (ticketd, or
 * ticketd-test where VerifyTicket.test_now is needed) in a temp
 * directory and drive it over ticketd.sock and through the betanet CLI.
 *
 * usage: it_ticketd TEST   (see the table at the bottom)
 * Exit 0 pass, 1 fail, 77 skipped.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/keyfile.h"
#include "betanet/ticket.h"
#include "betanet/voucher.h"
#include "harness.h"
#include "ticketd.pb-c.h"

#define T_MS		20000	/* any single wait */
#define RS_OK		BETANET__TICKETD__REASON__OK
#define RS_REPLAY	BETANET__TICKETD__REASON__REPLAY

typedef Betanet__Ticketd__TicketdRequest Req;
typedef Betanet__Ticketd__TicketdResponse Resp;

struct fx {
	char		 dir[256];
	char		 keys[320], state[320], sock[320], log[320];
	uint8_t		 pub[BN_KEY_LEN];
	uint8_t		 id[BN_TICKET_KEY_ID_LEN];
	struct hx_daemon d;
};

struct tk {
	uint8_t		 p[BN_TICKET_MADE_MAX];
	size_t		 len;
};

/* ---- fixture ----------------------------------------------------- */

static int
fx_init(struct fx *f, const char *tag)
{
	char prefix[400], err[BN_KEYFILE_ERRLEN];

	memset(f, 0, sizeof(*f));
	if (hx_tmpdir(f->dir, sizeof(f->dir), tag) != 0)
		return -1;
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/ticketd.sock", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/ticketd.log", f->dir);
	snprintf(prefix, sizeof(prefix), "%s/site", f->keys);
	if (mkdir(f->keys, 0700) != 0 ||
	    bn_keyfile_ticket_keygen(prefix, 0, f->pub, f->id, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "keygen: %s\n", err);
		return -1;
	}
	return 0;
}

/* Start bin with the fixture's paths plus extra args (NULL-ended). */
static int
fx_start(struct fx *f, const char *bin, const char *const *extra)
{
	char *argv[HX_MAX_ARGS + 1];
	size_t n = 0, i;

	argv[n++] = (char *)bin;
	argv[n++] = "--socket";
	argv[n++] = f->sock;
	argv[n++] = "--keys";
	argv[n++] = f->keys;
	argv[n++] = "--state";
	argv[n++] = f->state;
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	if (hx_spawn(&f->d, f->log, argv) != 0)
		return -1;
	return hx_wait_log(&f->d, "event=listening", T_MS);
}

static void
fx_done(struct fx *f)
{
	hx_cleanup(&f->d);
	if (getenv("BN_IT_KEEP") == NULL)
		hx_rmrf(f->dir);
}

/* ---- protocol helpers -------------------------------------------- */

static int
mk_ticket(struct tk *t, const uint8_t pub[BN_KEY_LEN],
    const uint8_t id[BN_TICKET_KEY_ID_LEN], uint64_t now)
{
	struct bn_buf b;

	bn_buf_fixed(&b, t->p, sizeof(t->p));
	if (bn_ticket_make(&b, pub, id, now) != 0)
		return -1;
	t->len = bn_buf_len(&b);
	return 0;
}

static int
send_req(int fd, Req *r)
{
	size_t len = betanet__ticketd__ticketd_request__get_packed_size(r);
	uint8_t *buf = malloc(len ? len : 1);
	int rc;

	if (buf == NULL)
		return -1;
	betanet__ticketd__ticketd_request__pack(r, buf);
	rc = hx_frame_send(fd, buf, len, T_MS);
	free(buf);
	return rc;
}

static int
send_verify(int fd, uint64_t id, const struct tk *t, const char *ip,
    uint64_t test_now)
{
	Req r = BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Header h = BETANET__HEADER__INIT;
	Betanet__Ticketd__VerifyTicket v = BETANET__TICKETD__VERIFY_TICKET__INIT;

	h.id = id;
	v.payload.data = (uint8_t *)t->p;
	v.payload.len = t->len;
	v.client_ip = (char *)ip;
	v.test_now = test_now;
	r.header = &h;
	r.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_TICKET;
	r.verify_ticket = &v;
	return send_req(fd, &r);
}

static int
send_simple(int fd, uint64_t id, Betanet__Ticketd__TicketdRequest__BodyCase bc)
{
	Req r = BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Header h = BETANET__HEADER__INIT;
	Betanet__Ticketd__GetKeys gk = BETANET__TICKETD__GET_KEYS__INIT;

	h.id = id;
	r.header = &h;
	r.body_case = bc;
	r.get_keys = &gk;	/* all three bodies are empty messages */
	return send_req(fd, &r);
}

/* 0 with *out, 1 on EOF, -1 on error. */
static int
recv_resp(int fd, Resp **out, int timeout_ms)
{
	uint8_t *p;
	size_t len;
	int r;

	*out = NULL;
	if ((r = hx_frame_recv(fd, &p, &len, timeout_ms)) != 0)
		return r;
	*out = betanet__ticketd__ticketd_response__unpack(NULL, len, p);
	free(p);
	return *out != NULL ? 0 : -1;
}

/* One VerifyTicket round trip: the reason, or -1. */
static int
verify_at(int fd, const struct tk *t, const char *ip, uint64_t test_now)
{
	Resp *r;
	int reason = -1;

	if (send_verify(fd, 7, t, ip, test_now) != 0 ||
	    recv_resp(fd, &r, T_MS) != 0)
		return -1;
	if (r->header != NULL && r->header->id == 7 && r->body_case ==
	    BETANET__TICKETD__TICKETD_RESPONSE__BODY_TICKET)
		reason = r->ticket->reason;
	betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	return reason;
}

static int
verify1(int fd, const struct tk *t)
{
	return verify_at(fd, t, "192.0.2.1", 0);
}

/* ---- tests ------------------------------------------------------- */

/* `betanet ticket` + `betanet ticketd verify`: ok once, then replay. */
static int
t_cli(void)
{
	struct fx f;
	char prefix[400], tkt[512], out[4096], err[1024];
	int rc;

	HX_CHECK(fx_init(&f, "cli") == 0, "fixture");
	HX_CHECK(fx_start(&f, TICKETD_BIN, NULL) == 0, "start");
	snprintf(prefix, sizeof(prefix), "%s/site", f.keys);
	{
		char *mk[] = { BETANET_BIN, "ticket", "--site", prefix,
		    "--carrier", "query", NULL };

		rc = hx_run(mk, tkt, sizeof(tkt), err, sizeof(err), T_MS);
		HX_CHECK(rc == 0, "betanet ticket: %d %s", rc, err);
		tkt[strcspn(tkt, "\n")] = '\0';
	}
	{
		char *v[] = { BETANET_BIN, "ticketd", "verify", "--socket",
		    f.sock, "--ticket", tkt, "--ip", "192.0.2.7", NULL };

		rc = hx_run(v, out, sizeof(out), err, sizeof(err), T_MS);
		HX_CHECK(rc == 0 && strncmp(out, "ok key_id=", 10) == 0,
		    "first verify: rc=%d out=%s err=%s", rc, out, err);
		rc = hx_run(v, out, sizeof(out), err, sizeof(err), T_MS);
		HX_CHECK(rc == 1 && strstr(out, "reason=replay") != NULL,
		    "second verify: rc=%d out=%s", rc, out);
	}
	{
		char *v[] = { BETANET_BIN, "ticketd", "verify", "--socket",
		    f.sock, "--ticket", "AAAA", NULL };

		rc = hx_run(v, out, sizeof(out), err, sizeof(err), T_MS);
		HX_CHECK(rc == 1 && strstr(out, "reason=malformed"),
		    "short ticket: rc=%d out=%s", rc, out);
	}
	{
		char *s[] = { BETANET_BIN, "ticketd", "stats", "--socket",
		    f.sock, NULL };
		char *k[] = { BETANET_BIN, "ticketd", "keys", "--socket",
		    f.sock, NULL };
		char *ro[] = { BETANET_BIN, "ticketd", "rotate", "--socket",
		    f.sock, NULL };
		char *bad[] = { BETANET_BIN, "ticketd", "stats", "--socket",
		    "/nonexistent/x.sock", NULL };
		char *use[] = { BETANET_BIN, "ticketd", "verify", "--socket",
		    f.sock, NULL };

		rc = hx_run(s, out, sizeof(out), err, sizeof(err), T_MS);
		HX_CHECK(rc == 0 && strstr(out, "tickets reason=ok count=1") &&
		    strstr(out, "tickets reason=replay count=1"),
		    "stats: %d %s", rc, out);
		rc = hx_run(k, out, sizeof(out), err, sizeof(err), T_MS);
		HX_CHECK(rc == 0 && strstr(out, "current") &&
		    !strstr(out, "previous"), "keys: %d %s", rc, out);
		rc = hx_run(ro, out, sizeof(out), err, sizeof(err), T_MS);
		HX_CHECK(rc == 0 && strstr(out, "previous"), "rotate: %d %s",
		    rc, out);
		rc = hx_run(bad, out, sizeof(out), err, sizeof(err), T_MS);
		HX_CHECK(rc == 2, "no socket: %d", rc);
		rc = hx_run(use, out, sizeof(out), err, sizeof(err), T_MS);
		HX_CHECK(rc == 2, "usage: %d", rc);
	}
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "kill");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

/* Every refusal reason a ticket can get, and the socket's mode. */
static int
t_basic(void)
{
	struct fx f;
	struct tk t, u;
	struct stat st;
	uint8_t other[BN_TICKET_KEY_ID_LEN];
	int fd;

	HX_CHECK(fx_init(&f, "basic") == 0, "fixture");
	HX_CHECK(fx_start(&f, TICKETD_BIN, NULL) == 0, "start");
	HX_CHECK(stat(f.sock, &st) == 0 && (st.st_mode & 0777) == 0660,
	    "socket mode %o", st.st_mode & 0777);
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK(mk_ticket(&t, f.pub, f.id, (uint64_t)time(NULL)) == 0, "mk");
	HX_CHECK(verify1(fd, &t) == RS_OK, "fresh");
	HX_CHECK(verify1(fd, &t) == RS_REPLAY, "replay");
	/* MALFORMED: too short */
	u = t;
	u.len = BN_TICKET_MIN_LEN - 1;
	HX_CHECK(verify1(fd, &u) == BETANET__TICKETD__REASON__MALFORMED, "short");
	/* BAD_VERSION */
	HX_CHECK(mk_ticket(&u, f.pub, f.id, (uint64_t)time(NULL)) == 0, "mk");
	u.p[0] = 2;
	HX_CHECK(verify1(fd, &u) == BETANET__TICKETD__REASON__BAD_VERSION, "ver");
	/* UNKNOWN_KEY */
	memcpy(other, f.id, sizeof(other));
	other[0] ^= 1;
	HX_CHECK(mk_ticket(&u, f.pub, other, (uint64_t)time(NULL)) == 0, "mk");
	HX_CHECK(verify1(fd, &u) == BETANET__TICKETD__REASON__UNKNOWN_KEY,
	    "key");
	/* BAD_MAC */
	HX_CHECK(mk_ticket(&u, f.pub, f.id, (uint64_t)time(NULL)) == 0, "mk");
	u.p[1 + 32 + 8 + 32] ^= 1;
	HX_CHECK(verify1(fd, &u) == BETANET__TICKETD__REASON__BAD_MAC, "mac");
	/* EXPIRED: made 5 hours ago */
	HX_CHECK(mk_ticket(&u, f.pub, f.id, (uint64_t)time(NULL) - 5 * 3600) ==
	    0, "mk");
	HX_CHECK(verify1(fd, &u) == BETANET__TICKETD__REASON__EXPIRED, "exp");
	/* The production build refuses the test clock. */
	HX_CHECK(mk_ticket(&u, f.pub, f.id, (uint64_t)time(NULL)) == 0, "mk");
	HX_CHECK(verify_at(fd, &u, "192.0.2.1", (uint64_t)time(NULL)) ==
	    BETANET__TICKETD__REASON__INTERNAL, "test_now in production");
	close(fd);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "kill");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	/* Accepted survives a clean restart too. */
	HX_CHECK(hx_respawn(&f.d) == 0 &&
	    hx_wait_log(&f.d, "event=listening", T_MS) == 0, "restart");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK(verify1(fd, &t) == RS_REPLAY, "replay after restart");
	close(fd);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "kill");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

/* hour +-1 accepted, +-2 refused: the clock through test_now. */
static int
t_clock(void)
{
	struct fx f;
	struct tk t;
	uint64_t now = (uint64_t)time(NULL);
	const int64_t d[] = { -3600, 3600, -7200, 7200 };
	const int want[] = { RS_OK, RS_OK, BETANET__TICKETD__REASON__EXPIRED,
	    BETANET__TICKETD__REASON__EXPIRED };
	size_t i;
	int fd;

	HX_CHECK(fx_init(&f, "clock") == 0, "fixture");
	HX_CHECK(fx_start(&f, TICKETD_TEST_BIN, NULL) == 0, "start");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	for (i = 0; i < 4; i++) {
		/* A ticket for the hour of `now`, judged d seconds later. */
		HX_CHECK(mk_ticket(&t, f.pub, f.id, now) == 0, "mk");
		HX_CHECK(verify_at(fd, &t, "192.0.2.1",
		    (uint64_t)((int64_t)now + d[i])) == want[i],
		    "offset %lld", (long long)d[i]);
	}
	/* Accepted at hour+1, replayed at hour-1 of the same ticket. */
	HX_CHECK(mk_ticket(&t, f.pub, f.id, now) == 0, "mk");
	HX_CHECK(verify_at(fd, &t, "192.0.2.1", now + 3600) == RS_OK, "+1h");
	HX_CHECK(verify_at(fd, &t, "192.0.2.1", now - 3600) == RS_REPLAY,
	    "replay -1h");
	close(fd);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "kill");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

static int
expect_exit2(struct fx *f, const char *const *extra, const char *needle)
{
	char log[4096], *nl;

	HX_CHECK(fx_start(f, TICKETD_BIN, extra) == -1, "started anyway");
	HX_CHECK(f->d.status == 2, "exit %d", f->d.status);
	hx_log_read(&f->d, log, sizeof(log));
	nl = strchr(log, '\n');
	HX_CHECK(nl != NULL && nl[1] == '\0', "one line: %s", log);
	HX_CHECK(strstr(log, needle) != NULL, "want %s in: %s", needle, log);
	hx_cleanup(&f->d);
	return 0;
}

static int
t_bad_config(void)
{
	struct fx f;
	char p[400], cfg[400];
	const char *set[] = { "--set", "bucket_capacity=0", NULL };
	const char *v6[] = { "--set", "ipv6_bucket_prefix=47", NULL };
	const char *unk[] = { "--bogus", NULL };
	const char *file[] = { "--config", cfg, NULL };

	HX_CHECK(fx_init(&f, "badcfg") == 0, "fixture");
	snprintf(cfg, sizeof(cfg), "%s/b.yaml", f.dir);
	HX_CHECK(hx_write_file(cfg, "ticketd:\n  workers: 99\n", 0644) == 0,
	    "write");
	HX_CHECK(expect_exit2(&f, set, "bucket_capacity") == 0, "set");
	HX_CHECK(expect_exit2(&f, v6, "ipv6_bucket_prefix") == 0, "v6 prefix");
	HX_CHECK(expect_exit2(&f, unk, "bogus") == 0, "flag");
	HX_CHECK(expect_exit2(&f, file, "workers") == 0, "file");
	snprintf(p, sizeof(p), "%s/site.key", f.keys);
	HX_CHECK(chmod(p, 0644) == 0, "chmod");
	HX_CHECK(expect_exit2(&f, NULL, "site.key") == 0, "0644 key");
	HX_CHECK(unlink(p) == 0, "unlink");
	HX_CHECK(expect_exit2(&f, NULL, "site.key") == 0, "missing key");
	fx_done(&f);
	return 0;
}

/* Pipelined requests on one connection: answers echo the ids. */
static int
t_pipeline(void)
{
	struct fx f;
	struct tk t[64];
	uint8_t seen[64];
	const char *extra[] = { "--set", "bucket_capacity=1000", NULL };
	Resp *r;
	size_t i;
	int fd;

	HX_CHECK(fx_init(&f, "pipe") == 0, "fixture");
	HX_CHECK(fx_start(&f, TICKETD_BIN, extra) == 0, "start");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 64; i++) {
		HX_CHECK(mk_ticket(&t[i], f.pub, f.id, (uint64_t)time(NULL)) ==
		    0, "mk");
		HX_CHECK(send_verify(fd, 1000 + i, &t[i], "192.0.2.9", 0) == 0,
		    "send");
	}
	for (i = 0; i < 64; i++) {
		HX_CHECK(recv_resp(fd, &r, T_MS) == 0, "recv %zu", i);
		HX_CHECK(r->header && r->header->id >= 1000 &&
		    r->header->id < 1064 && !seen[r->header->id - 1000],
		    "id");
		seen[r->header->id - 1000] = 1;
		HX_CHECK(r->ticket && r->ticket->reason == RS_OK, "ok");
		betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	}
	/* A batch answers in order: fresh, replay, fresh. */
	{
		Req q = BETANET__TICKETD__TICKETD_REQUEST__INIT;
		Betanet__Header h = BETANET__HEADER__INIT;
		Betanet__Ticketd__VerifyTicketBatch b =
		    BETANET__TICKETD__VERIFY_TICKET_BATCH__INIT;
		Betanet__Ticketd__VerifyTicket v[3], *vp[3];
		struct tk n1, n2;

		HX_CHECK(mk_ticket(&n1, f.pub, f.id, time(NULL)) == 0, "mk");
		HX_CHECK(mk_ticket(&n2, f.pub, f.id, time(NULL)) == 0, "mk");
		const struct tk *src[3] = { &n1, &t[0], &n2 };
		for (i = 0; i < 3; i++) {
			betanet__ticketd__verify_ticket__init(&v[i]);
			v[i].payload.data = (uint8_t *)src[i]->p;
			v[i].payload.len = src[i]->len;
			v[i].client_ip = "192.0.2.9";
			vp[i] = &v[i];
		}
		b.n_items = 3;
		b.items = vp;
		h.id = 99;
		q.header = &h;
		q.body_case =
		    BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_TICKET_BATCH;
		q.verify_ticket_batch = &b;
		HX_CHECK(send_req(fd, &q) == 0, "send batch");
		HX_CHECK(recv_resp(fd, &r, T_MS) == 0, "recv batch");
		HX_CHECK(r->header->id == 99 && r->body_case ==
		    BETANET__TICKETD__TICKETD_RESPONSE__BODY_TICKET_BATCH &&
		    r->ticket_batch->n_items == 3, "batch shape");
		HX_CHECK(r->ticket_batch->items[0]->reason == RS_OK &&
		    r->ticket_batch->items[1]->reason == RS_REPLAY &&
		    r->ticket_batch->items[2]->reason == RS_OK, "batch order");
		betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	}
	close(fd);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "kill");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

/*
 * Malformed protobuf, oversize frame, half-written frame and 1,000
 * concurrent connections: ticketd stays up and answers good clients.
 */
static int
t_robust(void)
{
	struct fx f;
	struct tk t;
	static int fds[1000];
	const char *extra[] = { "--set", "bucket_capacity=100000", NULL };
	uint8_t junk[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x0f, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t big[4] = { 0x00, 0x20, 0x00, 0x00 };	/* 2 MiB */
	uint8_t half[14] = { 0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	Resp *r;
	uint8_t *p;
	size_t len, i, n;
	int fd, bad, halffd, ok;

	HX_CHECK(hx_raise_nofile(4096) == 0, "RLIMIT_NOFILE");
	HX_CHECK(fx_init(&f, "robust") == 0, "fixture");
	HX_CHECK(fx_start(&f, TICKETD_BIN, extra) == 0, "start");
	/* Malformed protobuf: ERROR_MALFORMED, connection still usable. */
	HX_CHECK((bad = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK(hx_frame_send(bad, junk, sizeof(junk), T_MS) == 0, "send");
	HX_CHECK(recv_resp(bad, &r, T_MS) == 0 && r->error != NULL &&
	    r->error->code == BETANET__ERROR_CODE__ERROR_MALFORMED, "malformed");
	betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	HX_CHECK(mk_ticket(&t, f.pub, f.id, time(NULL)) == 0, "mk");
	HX_CHECK(verify1(bad, &t) == RS_OK, "after malformed");
	close(bad);
	/* Oversize frame: that connection is closed. */
	HX_CHECK((bad = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK(hx_write_all(bad, big, sizeof(big), T_MS) == 0, "send");
	HX_CHECK(hx_frame_recv(bad, &p, &len, T_MS) == 1, "closed on oversize");
	close(bad);
	/* Half-written frame, left hanging while others are served. */
	HX_CHECK((halffd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK(hx_write_all(halffd, half, sizeof(half), T_MS) == 0, "half");
	/* 1,000 concurrent connections, each with one ticket. */
	for (n = 0; n < 1000; n++) {
		HX_CHECK((fds[n] = hx_uds_connect(f.sock, T_MS)) >= 0,
		    "connect %zu", n);
		HX_CHECK(mk_ticket(&t, f.pub, f.id, time(NULL)) == 0, "mk");
		HX_CHECK(send_verify(fds[n], n, &t, "192.0.2.50", 0) == 0,
		    "send %zu", n);
	}
	for (i = 0, ok = 0; i < n; i++) {
		HX_CHECK(recv_resp(fds[i], &r, T_MS) == 0, "recv %zu", i);
		ok += r->header->id == i && r->ticket != NULL &&
		    r->ticket->reason == RS_OK;
		betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	HX_CHECK(ok == 1000, "ok %d", ok);
	/* Still alive, and the half frame's client still only waits. */
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK(mk_ticket(&t, f.pub, f.id, time(NULL)) == 0, "mk");
	HX_CHECK(verify1(fd, &t) == RS_OK, "after all");
	close(fd);
	close(halffd);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "kill");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

static int
verify_voucher(int fd, const uint8_t *v, size_t len, const char *peer)
{
	Req r = BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Header h = BETANET__HEADER__INIT;
	Betanet__Ticketd__VerifyVoucher vv =
	    BETANET__TICKETD__VERIFY_VOUCHER__INIT;
	Resp *resp;
	int reason = -1;

	h.id = 5;
	vv.voucher.data = (uint8_t *)v;
	vv.voucher.len = len;
	vv.peer = (char *)peer;
	r.header = &h;
	r.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_VOUCHER;
	r.verify_voucher = &vv;
	if (send_req(fd, &r) != 0 || recv_resp(fd, &resp, T_MS) != 0)
		return -1;
	if (resp->body_case == BETANET__TICKETD__TICKETD_RESPONSE__BODY_VOUCHER)
		reason = resp->voucher->reason;
	betanet__ticketd__ticketd_response__free_unpacked(resp, NULL);
	return reason;
}

static int
t_vouchers(void)
{
	struct fx f;
	uint8_t v[BN_VOUCHER_LEN], w[BN_VOUCHER_LEN], v2[BN_VOUCHER_LEN];
	char ks[65], ks2[65], set[200];
	const char *extra[] = { "--set", set, "--set", "bucket_capacity=3",
	    NULL };
	int fd, i;

	HX_CHECK(fx_init(&f, "voucher") == 0, "fixture");
	HX_CHECK(bn_random(v, sizeof(v)) == 0 && bn_random(v2, sizeof(v2)) ==
	    0, "rand");
	bn_hex_encode(ks, v, 32);
	bn_hex_encode(ks2, v2, 32);
	snprintf(set, sizeof(set), "voucher_keysets=%s,%s", ks, ks2);
	HX_CHECK(fx_start(&f, TICKETD_BIN, extra) == 0, "start");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	/* keyset 1: two of its three tokens */
	HX_CHECK(verify_voucher(fd, v, sizeof(v), "p1") == RS_OK, "fresh");
	HX_CHECK(verify_voucher(fd, v, sizeof(v), "p2") ==
	    BETANET__TICKETD__REASON__VOUCHER_SPENT, "spent");
	HX_CHECK(verify_voucher(fd, v, 127, "p3") ==
	    BETANET__TICKETD__REASON__VOUCHER_MALFORMED, "short");
	memcpy(w, v, sizeof(w));
	w[0] ^= 1;
	HX_CHECK(verify_voucher(fd, w, sizeof(w), "p3") ==
	    BETANET__TICKETD__REASON__VOUCHER_UNKNOWN_KEYSET, "keyset");
	/* keyset 2, peer p4: 3 tokens each, the 4th is refused. */
	for (i = 0; i < 4; i++) {
		memcpy(w, v2, sizeof(w));
		HX_CHECK(bn_random(w + 32, 32) == 0, "rand");
		HX_CHECK(verify_voucher(fd, w, sizeof(w), "p4") == (i < 3 ?
		    RS_OK : BETANET__TICKETD__REASON__VOUCHER_RATE_LIMITED),
		    "bucket %d", i);
	}
	/* Per keyset: keyset 2 is empty even for a fresh peer. */
	HX_CHECK(bn_random(w + 32, 32) == 0, "rand");
	HX_CHECK(verify_voucher(fd, w, sizeof(w), "p5") ==
	    BETANET__TICKETD__REASON__VOUCHER_RATE_LIMITED, "keyset bucket");
	/* Per peer: p4 is empty even on keyset 1 ... */
	memcpy(w, v, sizeof(w));
	HX_CHECK(bn_random(w + 32, 32) == 0, "rand");
	HX_CHECK(verify_voucher(fd, w, sizeof(w), "p4") ==
	    BETANET__TICKETD__REASON__VOUCHER_RATE_LIMITED, "peer bucket");
	/* ... and that refusal gave keyset 1's token back. */
	HX_CHECK(verify_voucher(fd, w, sizeof(w), "p6") == RS_OK, "refund");
	close(fd);
	/* Spent survives kill -9. */
	HX_CHECK(hx_kill9(&f.d) == 0, "kill9");
	HX_CHECK(hx_respawn(&f.d) == 0 &&
	    hx_wait_log(&f.d, "event=listening", T_MS) == 0, "restart");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK(verify_voucher(fd, v, sizeof(v), "p7") ==
	    BETANET__TICKETD__REASON__VOUCHER_SPENT, "spent after restart");
	close(fd);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "kill");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

static int
t_rate_limit(void)
{
	struct fx f;
	struct tk t;
	const char *extra[] = { "--set", "bucket_capacity=5", NULL };
	char ip[64];
	int fd, i;

	HX_CHECK(fx_init(&f, "rate") == 0, "fixture");
	HX_CHECK(fx_start(&f, TICKETD_BIN, extra) == 0, "start");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	for (i = 0; i < 6; i++) {
		HX_CHECK(mk_ticket(&t, f.pub, f.id, time(NULL)) == 0, "mk");
		HX_CHECK(verify_at(fd, &t, "198.51.100.1", 0) == (i < 5 ? RS_OK :
		    BETANET__TICKETD__REASON__RATE_LIMITED), "ticket %d", i);
	}
	/* The limited ticket was not burnt, and other IPs are not limited. */
	HX_CHECK(verify_at(fd, &t, "198.51.100.2", 0) == RS_OK, "other ip");
	/* A new address per ticket from one IPv6 /64 is still one client. */
	for (i = 0; i < 6; i++) {
		HX_CHECK(mk_ticket(&t, f.pub, f.id, time(NULL)) == 0, "mk");
		snprintf(ip, sizeof(ip), "2001:db8:7:1:%x::%x", i * 4099, i);
		HX_CHECK(verify_at(fd, &t, ip, 0) == (i < 5 ? RS_OK :
		    BETANET__TICKETD__REASON__RATE_LIMITED), "v6 ticket %d", i);
	}
	HX_CHECK(verify_at(fd, &t, "2001:db8:7:2::1", 0) == RS_OK,
	    "other /64");
	close(fd);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "kill");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

/* SIGTERM with requests in flight: all answered, then exit 0. */
static int
t_sigterm(void)
{
	struct fx f;
	struct tk t;
	const char *extra[] = { "--set", "bucket_capacity=100000", NULL };
	Resp *r;
	int fd, i, got = 0, rc;

	HX_CHECK(fx_init(&f, "term") == 0, "fixture");
	HX_CHECK(fx_start(&f, TICKETD_BIN, extra) == 0, "start");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	for (i = 0; i < 200; i++) {
		HX_CHECK(mk_ticket(&t, f.pub, f.id, time(NULL)) == 0, "mk");
		HX_CHECK(send_verify(fd, (uint64_t)i, &t, "192.0.2.3", 0) == 0,
		    "send");
	}
	/* Wait for the first answer so the daemon is busy, then stop it. */
	HX_CHECK(recv_resp(fd, &r, T_MS) == 0, "first");
	betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	got = 1;
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "term");
	while ((rc = recv_resp(fd, &r, T_MS)) == 0) {
		/* In flight: a verdict; read after the signal: UNAVAILABLE. */
		HX_CHECK(r->ticket != NULL || (r->error != NULL &&
		    r->error->code == BETANET__ERROR_CODE__ERROR_UNAVAILABLE),
		    "answer");
		got++;
		betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	}
	HX_CHECK(rc == 1, "clean EOF");
	fprintf(stderr, "sigterm: %d of 200 answered before exit\n", got);
	close(fd);
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

/* ---- the hard ones ---------------------------------------------- */

#define K9_CYCLES	50
#define K9_FRESH	40
#define K9_MAX		(K9_CYCLES * K9_FRESH)
#define K9_WINDOW	256

struct k9 {
	struct tk	t[K9_MAX];
	int		oks[K9_MAX];	/* times answered OK: must stay <= 1 */
	int		ok_cycle[K9_MAX];	/* cycle of that OK, or -1 */
	int		answered[K9_MAX];	/* in the current cycle */
	size_t		n;
};

/*
 * 50 x: clients submit fresh tickets, tickets answered OK before the
 * last restart, and tickets whose fate is unknown (sent, unanswered);
 * ticketd is killed -9 after a random number of answers.  No ticket may
 * ever be answered OK twice, and one answered OK in an earlier run must
 * be REPLAY now.
 */
static int
t_kill9(void)
{
	static struct k9 k;
	struct fx f;
	const char *extra[] = { "--set", "bucket_capacity=1000000", "--set",
	    "bucket_rate=1000000", NULL };
	uint32_t seed = (uint32_t)time(NULL);
	size_t i, sent, want_before_kill, got;
	int c, fd, rc, admitted = 0, replays_ok = 0;
	Resp *r;

	fprintf(stderr, "kill9: seed %u\n", seed);
	srand(seed);
	HX_CHECK(fx_init(&f, "kill9") == 0, "fixture");
	for (i = 0; i < K9_MAX; i++)
		k.ok_cycle[i] = -1;
	for (c = 0; c < K9_CYCLES; c++) {
		if (c == 0)
			HX_CHECK(fx_start(&f, TICKETD_BIN, extra) == 0, "start");
		else
			HX_CHECK(hx_respawn(&f.d) == 0 && hx_wait_log(&f.d,
			    "event=listening", T_MS) == 0, "restart %d", c);
		HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
		for (i = 0; i < K9_FRESH; i++, k.n++)
			HX_CHECK(mk_ticket(&k.t[k.n], f.pub, f.id,
			    time(NULL)) == 0, "mk");
		/*
		 * Everything made so far: fresh, OK'd before, unknown.  At
		 * most K9_WINDOW in flight: ticketd stops reading a client
		 * with too many unanswered requests (ipc backpressure).
		 */
		memset(k.answered, 0, sizeof(k.answered));
		want_before_kill = (size_t)rand() % (k.n + 1);
		for (sent = 0, got = 0;; got++) {
			while (f.d.pid != 0 && sent < k.n &&
			    sent - got < K9_WINDOW) {
				HX_CHECK(send_verify(fd, sent, &k.t[sent],
				    "192.0.2.77", 0) == 0, "send");
				sent++;
			}
			if (got == want_before_kill && f.d.pid != 0)
				HX_CHECK(hx_kill9(&f.d) == 0, "kill9");
			if (got == sent || (rc = recv_resp(fd, &r, T_MS)) != 0)
				break;
			i = (size_t)r->header->id;
			HX_CHECK(i < k.n && r->ticket != NULL, "answer");
			if (r->ticket->reason == RS_OK) {
				k.oks[i]++;
				HX_CHECK(k.oks[i] == 1, "ticket %zu admitted "
				    "twice (cycles %d and %d)", i,
				    k.ok_cycle[i], c);
				k.ok_cycle[i] = c;
				admitted++;
			} else {
				HX_CHECK(r->ticket->reason == RS_REPLAY,
				    "reason %d", r->ticket->reason);
				if (k.ok_cycle[i] >= 0 && k.ok_cycle[i] < c)
					replays_ok++;
			}
			k.answered[i] = 1;
			betanet__ticketd__ticketd_response__free_unpacked(r,
			    NULL);
		}
		close(fd);
		if (f.d.pid != 0)
			HX_CHECK(hx_kill9(&f.d) == 0, "kill9");
		/* Every earlier OK sent this cycle was answered REPLAY. */
		for (i = 0; i < k.n; i++)
			HX_CHECK(!k.answered[i] || k.ok_cycle[i] == c ||
			    k.ok_cycle[i] < 0 || k.oks[i] == 1, "bookkeeping");
	}
	/* Final run: everything ever admitted is a replay now. */
	HX_CHECK(hx_respawn(&f.d) == 0 && hx_wait_log(&f.d,
	    "event=listening", T_MS) == 0, "final restart");
	HX_CHECK((fd = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	for (i = 0; i < k.n; i++)
		if (k.oks[i] == 1)
			HX_CHECK(verify_at(fd, &k.t[i], "192.0.2.77", 0) ==
			    RS_REPLAY, "ticket %zu (ok in cycle %d) not a "
			    "replay after restart", i, k.ok_cycle[i]);
	close(fd);
	fprintf(stderr, "kill9: %d cycles, %zu tickets, %d admitted once, "
	    "%d earlier admissions refused as replay\n", K9_CYCLES, k.n,
	    admitted, replays_ok);
	HX_CHECK(admitted > 0 && replays_ok > 0, "the test exercised nothing");
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "term");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	fx_done(&f);
	return 0;
}

/* The current key (pub, id) as GetKeys reports it. */
static int
get_current(int fd, uint8_t pub[BN_KEY_LEN], uint8_t id[8], size_t *nkeys)
{
	Resp *r;
	size_t i;
	int found = -1;

	if (send_simple(fd, 3, BETANET__TICKETD__TICKETD_REQUEST__BODY_GET_KEYS)
	    != 0 || recv_resp(fd, &r, T_MS) != 0)
		return -1;
	if (r->body_case == BETANET__TICKETD__TICKETD_RESPONSE__BODY_KEYS) {
		*nkeys = r->keys->n_keys;
		for (i = 0; i < r->keys->n_keys; i++)
			if (r->keys->keys[i]->current &&
			    r->keys->keys[i]->public_key.len == BN_KEY_LEN &&
			    r->keys->keys[i]->key_id.len == 8) {
				memcpy(pub, r->keys->keys[i]->public_key.data,
				    BN_KEY_LEN);
				memcpy(id, r->keys->keys[i]->key_id.data, 8);
				found = 0;
			}
	}
	betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	return found;
}

#define RL_ROUNDS	10
#define RL_PER		200

/*
 * Rotation while under load: tickets made with the key that was current
 * when the client looked are in flight when RotateKeys (or SIGHUP) runs;
 * none may be lost.
 */
static int
t_rotate_load(void)
{
	static struct tk t[RL_PER];
	struct fx f;
	const char *extra[] = { "--set", "bucket_capacity=1000000", "--set",
	    "workers=2", NULL };
	uint8_t pub[BN_KEY_LEN], id[8], id0[8];
	size_t i, nkeys;
	int round, a, b, ok;
	Resp *r;

	HX_CHECK(fx_init(&f, "rotate") == 0, "fixture");
	HX_CHECK(fx_start(&f, TICKETD_BIN, extra) == 0, "start");
	HX_CHECK((a = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK((b = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	for (round = 0; round < RL_ROUNDS; round++) {
		HX_CHECK(get_current(a, pub, id, &nkeys) == 0, "keys");
		memcpy(id0, id, 8);
		for (i = 0; i < RL_PER; i++)
			HX_CHECK(mk_ticket(&t[i], pub, id, time(NULL)) == 0,
			    "mk");
		for (i = 0; i < RL_PER / 2; i++)
			HX_CHECK(send_verify(a, i, &t[i], "192.0.2.4", 0) == 0,
			    "send");
		if (round % 2 == 0)
			HX_CHECK(send_simple(b, 9, BETANET__TICKETD__TICKETD_REQUEST__BODY_ROTATE_KEYS) == 0, "rotate");
		else
			HX_CHECK(hx_signal(&f.d, SIGHUP) == 0, "sighup");
		for (; i < RL_PER; i++)
			HX_CHECK(send_verify(a, i, &t[i], "192.0.2.4", 0) == 0,
			    "send");
		if (round % 2 == 0) {
			HX_CHECK(recv_resp(b, &r, T_MS) == 0 && r->body_case ==
			    BETANET__TICKETD__TICKETD_RESPONSE__BODY_KEYS,
			    "rotate answer");
			betanet__ticketd__ticketd_response__free_unpacked(r,
			    NULL);
		}
		for (i = 0, ok = 0; i < RL_PER; i++) {
			HX_CHECK(recv_resp(a, &r, T_MS) == 0, "recv");
			ok += r->ticket != NULL && r->ticket->reason == RS_OK;
			betanet__ticketd__ticketd_response__free_unpacked(r,
			    NULL);
		}
		HX_CHECK(ok == RL_PER, "round %d: %d of %d accepted", round,
		    ok, RL_PER);
		/* SIGHUP is asynchronous: wait until it shows. */
		HX_CHECK(hx_wait_log(&f.d, "event=keys_rotated", T_MS) == 0,
		    "rotated");
		while (hx_log_count(&f.d, "event=keys_rotated") < round + 1)
			hx_sleep_ms(5);
		HX_CHECK(get_current(a, pub, id, &nkeys) == 0 && nkeys == 2 &&
		    memcmp(id, id0, 8) != 0, "key changed");
	}
	close(a);
	close(b);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0, "term");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0, "exit %d", f.d.status);
	/* The directory holds exactly the last current + previous. */
	{
		char p[400];
		struct stat st;

		snprintf(p, sizeof(p), "%s/next.key", f.keys);
		HX_CHECK(stat(p, &st) != 0, "next.key left over");
		snprintf(p, sizeof(p), "%s/previous.key", f.keys);
		HX_CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600,
		    "previous.key mode");
	}
	fx_done(&f);
	return 0;
}

#define RR_N	300

/* Two ticketd processes on one redis-server: each ticket admitted once. */
static int
t_redis_race(void)
{
	static struct tk t[RR_N];
	static int oks[RR_N];
	struct fx f, g;
	struct hx_daemon redis;
	char port[16], url[64], set[96], rlog[400];
	const char *extra[] = { "--set", "replay_backend=redis", "--set", set,
	    "--set", "bucket_capacity=1000000", NULL };
	int a, b, p, total = 0, k, rc;
	size_t i;
	Resp *r;

	if (REDIS_SERVER_BIN[0] == '\0' || access(REDIS_SERVER_BIN, X_OK) !=
	    0) {
		fprintf(stderr, "SKIP: redis-server not installed (run "
		    "scripts/deps.sh)\n");
		return HX_SKIP;
	}
	HX_CHECK(fx_init(&f, "redis") == 0, "fixture");
	HX_CHECK((p = hx_free_port()) > 0, "port");
	snprintf(port, sizeof(port), "%d", p);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", p);
	snprintf(set, sizeof(set), "replay_url=%s", url);
	snprintf(rlog, sizeof(rlog), "%s/redis.log", f.dir);
	{
		char *argv[] = { REDIS_SERVER_BIN, "--port", port, "--bind",
		    "127.0.0.1", "--save", "", "--appendonly", "no", NULL };

		HX_CHECK(hx_spawn(&redis, rlog, argv) == 0, "redis spawn");
		HX_CHECK(hx_wait_log(&redis, "Ready to accept connections",
		    T_MS) == 0, "redis ready");
	}
	/* g: a second ticketd with its own socket and state, same keys. */
	g = f;
	snprintf(g.sock, sizeof(g.sock), "%s/ticketd2.sock", f.dir);
	snprintf(g.state, sizeof(g.state), "%s/state2", f.dir);
	snprintf(g.log, sizeof(g.log), "%s/ticketd2.log", f.dir);
	HX_CHECK(fx_start(&f, TICKETD_BIN, extra) == 0, "start 1");
	HX_CHECK(fx_start(&g, TICKETD_BIN, extra) == 0, "start 2");
	for (k = 0; k < 2000 && (hx_log_count(&f.d, "redis_connected") < 2 ||
	    hx_log_count(&g.d, "redis_connected") < 2); k++)
		hx_sleep_ms(5);
	HX_CHECK(k < 2000, "ticketd never reached redis");
	HX_CHECK((a = hx_uds_connect(f.sock, T_MS)) >= 0, "connect");
	HX_CHECK((b = hx_uds_connect(g.sock, T_MS)) >= 0, "connect");
	for (i = 0; i < RR_N; i++) {
		HX_CHECK(mk_ticket(&t[i], f.pub, f.id, time(NULL)) == 0, "mk");
		/* Alternate who hears first. */
		HX_CHECK(send_verify(i % 2 ? a : b, i, &t[i], "192.0.2.8", 0) ==
		    0 && send_verify(i % 2 ? b : a, i, &t[i], "192.0.2.8", 0) ==
		    0, "send");
	}
	for (i = 0; i < 2 * RR_N; i++) {
		HX_CHECK((rc = recv_resp(i < RR_N ? a : b, &r, T_MS)) == 0,
		    "recv %zu: %d", i, rc);
		HX_CHECK(r->ticket != NULL && r->header->id < RR_N, "answer");
		if (r->ticket->reason == RS_OK) {
			oks[r->header->id]++;
			total++;
		} else
			HX_CHECK(r->ticket->reason == RS_REPLAY, "reason %d",
			    r->ticket->reason);
		betanet__ticketd__ticketd_response__free_unpacked(r, NULL);
	}
	for (i = 0; i < RR_N; i++)
		HX_CHECK(oks[i] == 1, "ticket %zu admitted %d times", i,
		    oks[i]);
	fprintf(stderr, "redis_race: %d tickets, %d admissions\n", RR_N,
	    total);
	/* Redis down: fail closed (INTERNAL), never admit. */
	HX_CHECK(hx_signal(&redis, SIGTERM) == 0 &&
	    hx_wait_exit(&redis, T_MS) >= 0, "redis stop");
	HX_CHECK(mk_ticket(&t[0], f.pub, f.id, time(NULL)) == 0, "mk");
	HX_CHECK(verify1(a, &t[0]) == BETANET__TICKETD__REASON__INTERNAL,
	    "redis down must fail closed");
	close(a);
	close(b);
	HX_CHECK(hx_signal(&f.d, SIGTERM) == 0 && hx_signal(&g.d, SIGTERM) ==
	    0, "term");
	HX_CHECK(hx_wait_exit(&f.d, T_MS) == 0 && hx_wait_exit(&g.d, T_MS) ==
	    0, "exit %d %d", f.d.status, g.d.status);
	hx_cleanup(&g.d);
	hx_cleanup(&redis);
	fx_done(&f);
	return 0;
}

static const struct {
	const char	*name;
	int		(*fn)(void);
} tests[] = {
	{ "cli", t_cli },
	{ "basic", t_basic },
	{ "clock", t_clock },
	{ "bad_config", t_bad_config },
	{ "pipeline", t_pipeline },
	{ "robust", t_robust },
	{ "vouchers", t_vouchers },
	{ "rate_limit", t_rate_limit },
	{ "sigterm", t_sigterm },
	{ "kill9", t_kill9 },
	{ "rotate_load", t_rotate_load },
	{ "redis_race", t_redis_race },
};

int
main(int argc, char **argv)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 2) {
		fprintf(stderr, "usage: it_ticketd TEST\n");
		return 2;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(tests[i].name, argv[1]) == 0)
			return tests[i].fn();
	fprintf(stderr, "it_ticketd: unknown test %s\n", argv[1]);
	return 2;
}
