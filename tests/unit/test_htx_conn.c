/*
 * Unit tests for htx_conn: real bn_htx_conns on socketpairs (and one
 * TCP connect) in one event_base -- messages both ways, a 4 MiB message
 * each way under backpressure (bounded evbuffers, a paused reader),
 * graceful close and EOF, garbage closing only its own conn, the
 * handshake timeout from the conn's timer, a conn freed from inside its
 * own event callback, and a refused connect.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_conn.h"
#include "betanet/htx_session.h"
#include "testutil.h"

#define BIG		((size_t)4 << 20)
#define PIECE		((size_t)64 << 10)
#define SMALL_MAX	256
#define NRX		8
#define TEST_MS		20000	/* no test needs more than a fraction */

struct rx {
	uint32_t	 sid;
	uint8_t		 d[SMALL_MAX];
	size_t		 len;		/* bytes seen (also when big) */
};

struct peer {
	struct event_base	*base;
	struct bn_htx_conn	*c;
	int			 hs_done;
	int			 ended;
	struct bn_htx_conn_close why;
	int			 closed_ev;
	/* receiving */
	struct rx		 rx[NRX];
	int			 nrx;
	int			 nmsg;		/* whole messages received */
	char			 last[SMALL_MAX + 1];
	int			 bad;		/* pattern or size mismatch */
	int			 expect_big;	/* every message: BIG, pat() */
	uint64_t		 big_got;	/* bytes of big messages */
	/* behaviour */
	int			 echo;		/* answer "re:" + message */
	int			 big_reply;	/* answer a big one with BIG */
	int			 nsend;		/* at HANDSHAKE_DONE */
	int			 send_big;	/* at HANDSHAKE_DONE */
	int			 close_after;	/* CLOSE after n messages */
	int			 free_on_hs;	/* free itself at HS_DONE */
	int			 pause_ms;	/* pause input at a big one */
	struct event		*unpause;
	/* sending a big message */
	uint32_t		 big_sid;
	size_t			 big_off;
	int			 sending;
	int			 blocked;
	/* bounds seen */
	size_t			 max_in, max_out;
	int			 paused_seen;
};

static uint8_t
pat(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 13));
}

static void
keys(uint8_t cpriv[32], uint8_t spriv[32], uint8_t spub[32])
{
	uint8_t cpub[32];

	ck_assert_int_eq(bn_x25519_keygen(cpriv, cpub), BN_OK);
	ck_assert_int_eq(bn_x25519_keygen(spriv, spub), BN_OK);
}

static void
cfgs(struct bn_htx_config *cc, struct bn_htx_config *sc)
{
	uint8_t spub[32];

	bn_htx_config_default(cc);
	bn_htx_config_default(sc);
	keys(cc->static_priv, sc->static_priv, spub);
	cc->role = BN_HTX_CLIENT;
	memcpy(cc->server_pub, spub, 32);
	sc->role = BN_HTX_SERVER;
	sc->deliver_chunks = 1;		/* the server sees chunks */
}

/* ---- the owner's side ------------------------------------------------ */

static void
sample(struct peer *p)
{
	struct bn_htx_conn_stats st;

	bn_htx_conn_stats(p->c, &st);
	if (st.in_buffered > p->max_in)
		p->max_in = st.in_buffered;
	if (st.out_buffered > p->max_out)
		p->max_out = st.out_buffered;
}

static void
big_pump(struct peer *p)
{
	struct bn_htx_session *s = bn_htx_conn_session(p->c);
	uint8_t buf[PIECE];
	size_t n, acc, i;
	int r, fin;

	while (p->sending && p->big_off < BIG) {
		n = BIG - p->big_off < PIECE ? BIG - p->big_off : PIECE;
		for (i = 0; i < n; i++)
			buf[i] = pat(p->big_off + i);
		fin = p->big_off + n == BIG;
		acc = 0;
		r = bn_htx_session_write(s, p->big_sid, buf, n, fin, &acc);
		if (r == BN_ERR_BLOCKED) {
			p->blocked++;
			return;
		}
		ck_assert_int_eq(r, BN_OK);
		p->big_off += acc;
		if (acc < n) {
			p->blocked++;
			return;
		}
	}
	p->sending = 0;
}

static void
unpause_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;

	sample(p);
	bn_htx_conn_pause_input(p->c, 0);
}

static struct rx *
rx_find(struct peer *p, uint32_t sid)
{
	int i;

	for (i = 0; i < p->nrx; i++)
		if (p->rx[i].sid == sid)
			return &p->rx[i];
	ck_assert_int_lt(p->nrx, NRX);
	memset(&p->rx[p->nrx], 0, sizeof(p->rx[0]));
	p->rx[p->nrx].sid = sid;
	return &p->rx[p->nrx++];
}

/* A whole message of sid (len bytes; small ones in r->d). */
static void
on_message(struct peer *p, uint32_t sid, struct rx *r)
{
	struct bn_htx_session *s = bn_htx_conn_session(p->c);
	char ans[SMALL_MAX + 8];
	int n;

	p->nmsg++;
	if (r->len <= SMALL_MAX) {
		memcpy(p->last, r->d, r->len);
		p->last[r->len] = '\0';
	}
	if (p->expect_big && r->len != BIG)
		p->bad++;
	if (r->len > SMALL_MAX)
		p->big_got += r->len;
	if (r->len == BIG && p->big_reply) {
		p->big_sid = sid;
		p->big_off = 0;
		p->sending = 1;
	} else if (p->echo) {
		n = snprintf(ans, sizeof(ans), "re:%s", p->last);
		ck_assert_int_eq(bn_htx_session_send_message(s, sid,
		    (const uint8_t *)ans, (size_t)n), BN_OK);
	}
	if (p->close_after > 0 && p->nmsg == p->close_after)
		bn_htx_conn_close(p->c, BN_HTX_CLOSE_OK, "bye");
}

static void
on_data(struct peer *p, uint32_t sid, const uint8_t *d, size_t len,
    int fin)
{
	struct rx *r = rx_find(p, sid);
	struct timeval tv = { 0, 0 };
	size_t i;

	if (p->pause_ms > 0 && r->len == 0 && len > 0) {
		/* Stop taking input for a while: the socket must back up. */
		bn_htx_conn_pause_input(p->c, 1);
		p->paused_seen = 1;
		tv.tv_usec = p->pause_ms * 1000;
		p->unpause = evtimer_new(p->base, unpause_cb, p);
		evtimer_add(p->unpause, &tv);
		p->pause_ms = 0;
	}
	for (i = 0; i < len; i++) {
		if (r->len + i < SMALL_MAX)
			r->d[r->len + i] = d[i];
		if (p->expect_big && d[i] != pat(r->len + i)) {
			p->bad++;
			break;
		}
	}
	r->len += len;
	if (fin) {
		on_message(p, sid, r);
		r->len = 0;
	}
}

static void
send_small(struct peer *p, int i)
{
	struct bn_htx_session *s = bn_htx_conn_session(p->c);
	char m[32];
	uint32_t sid;
	int n;

	n = snprintf(m, sizeof(m), "msg-%d", i);
	ck_assert_int_eq(bn_htx_session_open_stream(s, &sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_send_message(s, sid,
	    (const uint8_t *)m, (size_t)n), BN_OK);
}

static void
peer_event(struct bn_htx_conn *c, const struct bn_htx_event *ev, void *arg)
{
	struct peer *p = arg;
	int i;

	ck_assert_ptr_eq(c, p->c);
	switch (ev->type) {
	case BN_HTX_EV_HANDSHAKE_DONE:
		p->hs_done = 1;
		if (p->free_on_hs) {
			bn_htx_conn_free(c);
			p->c = NULL;
			return;
		}
		for (i = 0; i < p->nsend; i++)
			send_small(p, i);
		if (p->send_big) {
			ck_assert_int_eq(bn_htx_session_open_stream(
			    bn_htx_conn_session(c), &p->big_sid), BN_OK);
			p->sending = 1;
			big_pump(p);
		}
		break;
	case BN_HTX_EV_STREAM_DATA:
		on_data(p, ev->stream_id, ev->data, ev->len, ev->fin);
		break;
	case BN_HTX_EV_MESSAGE:
		on_data(p, ev->stream_id, ev->data, ev->len, 1);
		break;
	case BN_HTX_EV_WRITABLE:
		big_pump(p);
		break;
	case BN_HTX_EV_CLOSED:
		p->closed_ev++;
		break;
	default:
		break;
	}
}

static void
peer_pump(struct bn_htx_conn *c, void *arg)
{
	struct peer *p = arg;

	sample(p);
	big_pump(p);
}

static void
peer_close(struct bn_htx_conn *c, const struct bn_htx_conn_close *why,
    void *arg)
{
	struct peer *p = arg;

	ck_assert_ptr_eq(c, p->c);
	ck_assert_int_eq(p->ended, 0);
	ck_assert(!bn_htx_conn_is_connected(c));
	p->ended = 1;
	p->why = *why;
	/* The usual pattern: free from inside on_close. */
	bn_htx_conn_free(c);
	p->c = NULL;
}

/* ---- plumbing --------------------------------------------------------- */

static void
opts_for(struct bn_htx_conn_opts *o, struct peer *p,
    const struct bn_htx_config *cfg)
{
	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	o->on_event = peer_event;
	o->on_pump = peer_pump;
	o->on_close = peer_close;
	o->arg = p;
}

static void
peer_init(struct peer *p, struct event_base *base)
{
	memset(p, 0, sizeof(*p));
	p->base = base;
}

static void
peer_done(struct peer *p)
{
	if (p->unpause != NULL)
		event_free(p->unpause);
	bn_htx_conn_free(p->c);
	p->c = NULL;
}

static void
pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(evutil_make_socket_nonblocking(sv[0]), 0);
	ck_assert_int_eq(evutil_make_socket_nonblocking(sv[1]), 0);
}

/* Start a client and a server conn on the two ends of a socketpair. */
static void
start_pair(struct event_base *base, struct peer *cl, struct peer *sv,
    const struct bn_htx_conn_opts *co, const struct bn_htx_conn_opts *so)
{
	int fd[2];

	pair(fd);
	cl->c = bn_htx_conn_new(base, fd[0], co);
	sv->c = bn_htx_conn_new(base, fd[1], so);
	ck_assert_ptr_nonnull(cl->c);
	ck_assert_ptr_nonnull(sv->c);
}

static void
noop_cb(evutil_socket_t fd, short what, void *arg)
{
}

/* Run the loop until *a (and *b when set) are non-zero, or time out. */
static int
spin(struct event_base *base, const int *a, const int *b, uint64_t ms)
{
	struct timeval tv = { 0, 20000 };
	struct event *tick;
	uint64_t end = bn_htx_conn_now_ms() + ms;

	tick = event_new(base, -1, EV_PERSIST, noop_cb, NULL);
	ck_assert_ptr_nonnull(tick);
	event_add(tick, &tv);
	while (!(*a && (b == NULL || *b)) && bn_htx_conn_now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
	return *a && (b == NULL || *b);
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_messages_and_close)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_conn_opts co, so;
	struct event_base *base = event_base_new();
	struct peer cl, sv;

	cfgs(&cc, &sc);
	peer_init(&cl, base);
	peer_init(&sv, base);
	cl.nsend = 3;
	cl.close_after = 3;
	sv.echo = 1;
	opts_for(&co, &cl, &cc);
	opts_for(&so, &sv, &sc);
	start_pair(base, &cl, &sv, &co, &so);
	ck_assert(spin(base, &cl.ended, &sv.ended, TEST_MS));
	ck_assert_int_eq(cl.hs_done, 1);
	ck_assert_int_eq(sv.hs_done, 1);
	ck_assert_int_eq(sv.nmsg, 3);
	ck_assert_int_eq(cl.nmsg, 3);
	ck_assert(strncmp(cl.last, "re:msg-", 7) == 0);
	/* We closed: our CLOSE, clean. */
	ck_assert_int_eq(cl.why.how, BN_HTX_CONN_END_CLOSED);
	ck_assert_int_eq(cl.why.code, BN_HTX_CLOSE_OK);
	ck_assert_int_eq(cl.why.by_peer, 0);
	ck_assert_int_eq(cl.why.err, BN_OK);
	ck_assert_int_eq(cl.why.handshake_done, 1);
	ck_assert_int_eq(cl.closed_ev, 1);
	/* The peer's CLOSE. */
	ck_assert_int_eq(sv.why.how, BN_HTX_CONN_END_CLOSED);
	ck_assert_int_eq(sv.why.code, BN_HTX_CLOSE_OK);
	ck_assert_int_eq(sv.why.by_peer, 1);
	ck_assert_int_eq(sv.why.err, BN_OK);
	ck_assert_int_eq(sv.closed_ev, 1);
	ck_assert_int_eq(cl.bad + sv.bad, 0);
	peer_done(&cl);
	peer_done(&sv);
	event_base_free(base);
}
END_TEST

/*
 * 4 MiB each way with small watermarks, the server not reading for a
 * while: the writer blocks, the evbuffers stay within their bounds, and
 * every byte arrives in order.
 */
START_TEST(test_big_backpressure)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_conn_opts co, so;
	struct bn_htx_conn_stats st;
	struct event_base *base = event_base_new();
	struct peer cl, sv;
	size_t high = (size_t)64 << 10;

	cfgs(&cc, &sc);
	peer_init(&cl, base);
	peer_init(&sv, base);
	cl.send_big = 1;
	cl.expect_big = 1;
	sv.expect_big = 1;
	sv.big_reply = 1;
	sv.pause_ms = 150;
	opts_for(&co, &cl, &cc);
	opts_for(&so, &sv, &sc);
	co.out_high = high;
	so.out_high = high;
	so.in_high = high;
	start_pair(base, &cl, &sv, &co, &so);
	ck_assert(spin(base, &cl.nmsg, NULL, TEST_MS));
	/* Before the close: counters and memory of a live conn. */
	bn_htx_conn_stats(cl.c, &st);
	ck_assert_uint_ge(st.session.bytes_out, BIG);
	ck_assert_uint_ge(st.session.bytes_in, BIG);
	ck_assert_uint_gt(st.session.frames_out, BIG / 65536);
	ck_assert_uint_gt(st.runs, 0);
	ck_assert_uint_gt(st.writes_now, 0);
	ck_assert_uint_gt(bn_htx_conn_memory(cl.c),
	    bn_htx_session_memory(bn_htx_conn_session(cl.c)));
	bn_htx_conn_close(cl.c, BN_HTX_CLOSE_OK, "done");
	ck_assert(spin(base, &cl.ended, &sv.ended, TEST_MS));
	ck_assert_int_eq(sv.nmsg, 1);
	ck_assert_int_eq(cl.nmsg, 1);
	ck_assert_uint_eq(sv.big_got, BIG);
	ck_assert_uint_eq(cl.big_got, BIG);
	ck_assert_int_eq(cl.bad + sv.bad, 0);
	ck_assert_int_eq(sv.paused_seen, 1);
	ck_assert_int_gt(cl.blocked, 0);
	ck_assert_int_gt(sv.blocked, 0);
	/* Bounds: output evbuffer up to out_high + one pull, input up to
	 * in_high, which the paused reader did reach. */
	ck_assert_uint_le(cl.max_out, high + PIECE);
	ck_assert_uint_le(sv.max_out, high + PIECE);
	ck_assert_uint_le(sv.max_in, high);
	ck_assert_uint_ge(sv.max_in, high / 2);
	ck_assert_int_eq(cl.why.how, BN_HTX_CONN_END_CLOSED);
	ck_assert_int_eq(sv.why.by_peer, 1);
	peer_done(&cl);
	peer_done(&sv);
	event_base_free(base);
}
END_TEST

/* The peer's socket goes away without a CLOSE. */
START_TEST(test_peer_eof)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_conn_opts co, so;
	struct event_base *base = event_base_new();
	struct peer cl, sv;

	cfgs(&cc, &sc);
	peer_init(&cl, base);
	peer_init(&sv, base);
	opts_for(&co, &cl, &cc);
	opts_for(&so, &sv, &sc);
	start_pair(base, &cl, &sv, &co, &so);
	ck_assert(spin(base, &cl.hs_done, &sv.hs_done, TEST_MS));
	bn_htx_conn_free(cl.c);		/* from outside: at once */
	cl.c = NULL;
	ck_assert(spin(base, &sv.ended, NULL, TEST_MS));
	ck_assert_int_eq(sv.why.how, BN_HTX_CONN_END_EOF);
	ck_assert_int_eq(sv.why.by_peer, 1);
	ck_assert_int_eq(sv.why.err, BN_ERR_CLOSED);
	ck_assert_int_eq(sv.why.code, -1);
	ck_assert_int_eq(sv.why.handshake_done, 1);
	ck_assert_int_eq(cl.ended, 0);
	peer_done(&sv);
	event_base_free(base);
}
END_TEST

/* Garbage on one conn closes that one; its neighbour goes on. */
START_TEST(test_garbage_one_conn)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_conn_opts co, so, go;
	struct event_base *base = event_base_new();
	struct peer cl, sv, bad;
	uint8_t junk[200], b;
	int fd[2];

	cfgs(&cc, &sc);
	peer_init(&cl, base);
	peer_init(&sv, base);
	peer_init(&bad, base);
	cl.nsend = 2;
	cl.close_after = 2;
	sv.echo = 1;
	opts_for(&co, &cl, &cc);
	opts_for(&so, &sv, &sc);
	opts_for(&go, &bad, &sc);
	pair(fd);
	bad.c = bn_htx_conn_new(base, fd[1], &go);
	ck_assert_ptr_nonnull(bad.c);
	start_pair(base, &cl, &sv, &co, &so);
	memset(junk, 0x41, sizeof(junk));
	ck_assert_int_eq(write(fd[0], junk, sizeof(junk)),
	    (ssize_t)sizeof(junk));
	ck_assert(spin(base, &bad.ended, NULL, TEST_MS));
	ck_assert_int_eq(bad.why.how, BN_HTX_CONN_END_CLOSED);
	ck_assert_int_eq(bad.why.by_peer, 0);
	ck_assert_int_ne(bad.why.err, BN_OK);
	ck_assert_int_eq(bad.why.handshake_done, 0);
	/* No keys, no CLOSE: the socket just closes. */
	ck_assert_int_eq(read(fd[0], &b, 1), 0);
	close(fd[0]);
	ck_assert(spin(base, &cl.ended, &sv.ended, TEST_MS));
	ck_assert_int_eq(cl.nmsg, 2);
	ck_assert_int_eq(sv.nmsg, 2);
	ck_assert_int_eq(cl.why.err, BN_OK);
	ck_assert_int_eq(sv.why.err, BN_OK);
	peer_done(&cl);
	peer_done(&sv);
	event_base_free(base);
}
END_TEST

/* A peer that never speaks: the conn's timer ends the handshake. */
START_TEST(test_handshake_timeout)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_conn_opts so;
	struct event_base *base = event_base_new();
	struct peer sv;
	uint64_t t0;
	uint8_t b;
	int fd[2];

	cfgs(&cc, &sc);
	sc.handshake_timeout_ms = 120;
	peer_init(&sv, base);
	opts_for(&so, &sv, &sc);
	pair(fd);
	t0 = bn_htx_conn_now_ms();
	sv.c = bn_htx_conn_new(base, fd[1], &so);
	ck_assert_ptr_nonnull(sv.c);
	ck_assert(spin(base, &sv.ended, NULL, TEST_MS));
	ck_assert_uint_ge(bn_htx_conn_now_ms() - t0, 120);
	ck_assert_int_eq(sv.why.how, BN_HTX_CONN_END_CLOSED);
	ck_assert_int_eq(sv.why.err, BN_ERR_TIMEOUT);
	ck_assert_int_eq(sv.why.by_peer, 0);
	ck_assert_int_eq(sv.why.handshake_done, 0);
	ck_assert_int_eq(sv.closed_ev, 1);
	ck_assert_int_eq(read(fd[0], &b, 1), 0);
	close(fd[0]);
	peer_done(&sv);
	event_base_free(base);
}
END_TEST

/*
 * The client frees its conn from inside its own HANDSHAKE_DONE: no
 * callback follows (on_close included), nothing is touched after the
 * free (ASan), and the server sees the socket go.
 */
START_TEST(test_free_inside_event)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_conn_opts co, so;
	struct event_base *base = event_base_new();
	struct peer cl, sv;

	cfgs(&cc, &sc);
	peer_init(&cl, base);
	peer_init(&sv, base);
	cl.free_on_hs = 1;
	opts_for(&co, &cl, &cc);
	opts_for(&so, &sv, &sc);
	start_pair(base, &cl, &sv, &co, &so);
	ck_assert(spin(base, &sv.ended, NULL, TEST_MS));
	ck_assert_int_eq(cl.hs_done, 1);
	ck_assert_ptr_null(cl.c);
	ck_assert_int_eq(cl.ended, 0);
	ck_assert_int_eq(sv.why.how, BN_HTX_CONN_END_EOF);
	ck_assert_int_eq(sv.why.by_peer, 1);
	/* The loop has nothing left of the client. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	peer_done(&sv);
	event_base_free(base);
}
END_TEST

/* Client role over TCP: connect, talk, close; and a refused connect. */
struct acceptor {
	struct event_base	*base;
	struct peer		*sv;
	struct bn_htx_conn_opts	*so;
};

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct acceptor *a = arg;

	a->sv->c = bn_htx_conn_new(a->base, fd, a->so);
	ck_assert_ptr_nonnull(a->sv->c);
}

START_TEST(test_connect)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_conn_opts co, so;
	struct event_base *base = event_base_new();
	struct evconnlistener *l;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct acceptor a;
	struct peer cl, sv;

	cfgs(&cc, &sc);
	peer_init(&cl, base);
	peer_init(&sv, base);
	cl.nsend = 2;
	cl.close_after = 2;
	sv.echo = 1;
	opts_for(&co, &cl, &cc);
	opts_for(&so, &sv, &sc);
	a.base = base;
	a.sv = &sv;
	a.so = &so;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = evconnlistener_new_bind(base, accept_cb, &a,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof(sin));
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(getsockname(evconnlistener_get_fd(l),
	    (struct sockaddr *)&sin, &slen), 0);
	co.connect_timeout_ms = 5000;
	cl.c = bn_htx_conn_connect(base, (struct sockaddr *)&sin,
	    sizeof(sin), &co);
	ck_assert_ptr_nonnull(cl.c);
	ck_assert(spin(base, &cl.ended, &sv.ended, TEST_MS));
	ck_assert_int_eq(cl.nmsg, 2);
	ck_assert_int_eq(cl.why.how, BN_HTX_CONN_END_CLOSED);
	ck_assert_int_eq(cl.why.err, BN_OK);
	ck_assert_int_eq(sv.why.by_peer, 1);
	peer_done(&cl);
	peer_done(&sv);

	/* Nobody listens there any more: refused, told from the loop. */
	evconnlistener_free(l);
	peer_init(&cl, base);
	opts_for(&co, &cl, &cc);
	cl.c = bn_htx_conn_connect(base, (struct sockaddr *)&sin,
	    sizeof(sin), &co);
	ck_assert_ptr_nonnull(cl.c);
	ck_assert_int_eq(cl.ended, 0);
	ck_assert(!bn_htx_conn_is_connected(cl.c));
	ck_assert(spin(base, &cl.ended, NULL, TEST_MS));
	ck_assert_int_eq(cl.why.how, BN_HTX_CONN_END_CONNECT_FAILED);
	ck_assert_int_eq(cl.why.err, BN_ERR_SYSTEM);
	ck_assert_int_eq(cl.why.handshake_done, 0);
	ck_assert_str_eq(bn_htx_conn_end_name(cl.why.how), "connect_failed");
	peer_done(&cl);
	event_base_free(base);
}
END_TEST

/* Bad options are refused, and the session handed in is freed. */
START_TEST(test_bad_opts)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_conn_opts o;
	struct event_base *base = event_base_new();
	struct peer p;
	int fd[2];

	cfgs(&cc, &sc);
	peer_init(&p, base);
	opts_for(&o, &p, &sc);
	o.on_close = NULL;
	pair(fd);
	ck_assert_ptr_null(bn_htx_conn_new(base, fd[0], &o));
	/* A handed-in session is taken even on failure (ASan: no leak). */
	opts_for(&o, &p, NULL);
	o.on_event = NULL;
	o.session = bn_htx_session_new(&sc, 0);
	ck_assert_ptr_nonnull(o.session);
	ck_assert_ptr_null(bn_htx_conn_new(base, fd[1], &o));
	/* Both fds were taken and closed. */
	ck_assert_int_eq(close(fd[0]), -1);
	ck_assert_int_eq(close(fd[1]), -1);
	sc.max_streams = 0;		/* a config the session refuses */
	opts_for(&o, &p, &sc);
	pair(fd);
	ck_assert_ptr_null(bn_htx_conn_new(base, fd[0], &o));
	close(fd[1]);
	bn_htx_conn_free(NULL);
	event_base_free(base);
}
END_TEST

static Suite *
htx_conn_suite(void)
{
	Suite *s = suite_create("htx_conn");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_messages_and_close);
	tcase_add_test(tc, test_big_backpressure);
	tcase_add_test(tc, test_peer_eof);
	tcase_add_test(tc, test_garbage_one_conn);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_free_inside_event);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_bad_opts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return tu_run(htx_conn_suite());
}
