/*
 * htx_conn: an HTX session on a bufferevent (htx_conn.h).
 *
 * One run moves everything that can move, in passes: feed input, hand
 * out events, let the owner pump, pull output, write it.  A pass that
 * moved something is followed by another, so an answer decided by an
 * event goes out in the same run.  Callbacks come only from inside a
 * run (on_event, on_pump) or at its end (on_close), with c->running
 * set: that is what makes bn_htx_conn_free() and bn_htx_conn_run()
 * safe from inside them.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "betanet/buf.h"
#include "betanet/err.h"
#include "betanet/htx_conn.h"
#include "betanet/log.h"

#define HC_PULL_CHUNK		((size_t)64 << 10)
#define HC_CONNECT_TIMEOUT_MS	10000
#define HC_FLUSH_TIMEOUT_MS	2000

struct bn_htx_conn {
	struct bufferevent	*bev;		/* NULL once ended */
	struct event		*timer;		/* deadlines, and kicks */
	struct bn_htx_session	*s;
	bn_htx_conn_event_fn	 on_event;
	bn_htx_conn_pump_fn	 on_pump;
	bn_htx_conn_close_fn	 on_close;
	void			*arg;
	size_t			 out_high, out_low, in_high;
	uint64_t		 connect_by;	/* deadline while connecting */
	uint64_t		 flush_ms;	/* unsent output after close */
	uint64_t		 flush_by;	/* 0 until the session closed */
	struct bn_htx_conn_close end;	/* what on_close will say */
	uint64_t		 runs, writes_now;
	unsigned		 direct:1;	/* our socket: same-run write */
	unsigned		 connected:1;
	unsigned		 paused:1;	/* owner: do not feed */
	unsigned		 skip_drain:1;
	unsigned		 saw_closed:1;	/* CLOSED delivered */
	unsigned		 lost:1;	/* socket gone: end now */
	unsigned		 ended:1;	/* on_close given */
	unsigned		 running:1;
	unsigned		 again:1;
	unsigned		 dead:1;	/* free when the run returns */
	unsigned		 last_byte:1;	/* write watermark at 0 */
};

static void	conn_run(struct bn_htx_conn *);

uint64_t
bn_htx_conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
bn_htx_conn_end_name(enum bn_htx_conn_end how)
{
	switch (how) {
	case BN_HTX_CONN_END_CLOSED:		return "closed";
	case BN_HTX_CONN_END_EOF:		return "eof";
	case BN_HTX_CONN_END_SOCKET_ERROR:	return "socket_error";
	case BN_HTX_CONN_END_CONNECT_FAILED:	return "connect_failed";
	case BN_HTX_CONN_END_CONNECT_TIMEOUT:	return "connect_timeout";
	}
	return "unknown";
}

/* ---- teardown ----------------------------------------------------- */

static void
conn_destroy(struct bn_htx_conn *c)
{
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	bn_htx_session_free(c->s);
	free(c);
}

void
bn_htx_conn_free(struct bn_htx_conn *c)
{
	if (c == NULL)
		return;
	if (c->running) {
		/* A callback of this conn frees it: finish unwinding first. */
		c->dead = 1;
		return;
	}
	conn_destroy(c);
}

/* Close the socket and tell the owner; c may be gone on return. */
static void
conn_end(struct bn_htx_conn *c)
{
	struct bn_htx_conn_close why = c->end;

	if (!c->saw_closed)
		why.code = bn_htx_session_close_code(c->s);
	c->ended = 1;
	evtimer_del(c->timer);
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->running = 1;
	c->on_close(c, &why, c->arg);
	c->running = 0;
	if (c->dead)
		conn_destroy(c);
}

/* The socket is gone (how, err): end at the end of the run, or now. */
static void
conn_lost(struct bn_htx_conn *c, enum bn_htx_conn_end how, int err)
{
	if (c->lost || c->ended)
		return;
	c->lost = 1;
	if (!c->saw_closed) {	/* else the session's story stands */
		c->end.how = how;
		c->end.err = err;
		c->end.by_peer = how == BN_HTX_CONN_END_EOF;
	}
	if (c->running)
		c->again = 1;
	else
		conn_end(c);
}

/* ---- one run ------------------------------------------------------ */

/* Socket -> session; 1 when bytes moved. */
static int
feed_input(struct bn_htx_conn *c, uint64_t now)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	size_t acc;
	int r, any = 0;

	if (c->paused)
		return 0;
	while (evbuffer_peek(in, -1, NULL, &v, 1) >= 1 && v.iov_len > 0) {
		acc = 0;
		r = bn_htx_session_feed(c->s, v.iov_base, v.iov_len, now,
		    &acc);
		if (r == BN_ERR_CLOSED) {
			/* Nothing more will be read: drop what comes. */
			evbuffer_drain(in, evbuffer_get_length(in));
			break;
		}
		if (acc > 0) {
			evbuffer_drain(in, acc);
			any = 1;
		}
		if (r != BN_OK || acc < v.iov_len)
			break;		/* full, or events first */
	}
	return any;
}

/* Session events -> owner; 1 when any came. */
static int
deliver_events(struct bn_htx_conn *c, uint64_t now)
{
	struct bn_htx_event ev;
	int any = 0;

	while (!c->dead && bn_htx_session_next_event(c->s, &ev, now) == 1) {
		if (ev.type == BN_HTX_EV_HANDSHAKE_DONE)
			c->end.handshake_done = 1;
		else if (ev.type == BN_HTX_EV_CLOSED) {
			c->saw_closed = 1;
			c->end.code = ev.code;
			c->end.by_peer = ev.by_peer;
			c->end.err = ev.err;
		}
		c->on_event(c, &ev, c->arg);
		any = 1;
	}
	return any;
}

/* Session -> output evbuffer, up to out_high; 1 when bytes moved. */
static int
flush_output(struct bn_htx_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec v;
	struct bn_buf b;
	size_t n;
	int any = 0;

	while (evbuffer_get_length(out) < c->out_high &&
	    bn_htx_session_pending_output(c->s) > 0) {
		if (evbuffer_reserve_space(out, HC_PULL_CHUNK, &v, 1) < 1)
			break;
		bn_buf_fixed(&b, v.iov_base, v.iov_len);
		n = 0;
		(void)bn_htx_session_pull(c->s, &b, v.iov_len, &n);
		v.iov_len = n;
		evbuffer_commit_space(out, &v, 1);
		if (n == 0)
			break;
		any = 1;
	}
	return any;
}

/*
 * Write the output evbuffer now instead of on the next loop iteration:
 * one write per answer instead of an epoll_ctl, an epoll_wait, the
 * write and another epoll_ctl.  What the socket does not take is left
 * to the bufferevent (EV_WRITE on while bytes wait; a socket error
 * shows up there as BEV_EVENT_ERROR).  1 when bytes left.
 */
static int
write_out(struct bn_htx_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	int n, any = 0, want;

	if (!c->direct || !c->connected)
		return 0;	/* libevent writes (and sees the connect) */
	/* A socket bufferevent keeps its output's start frozen but for
	 * its own write callback: thaw it the same way for this write. */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0) {
		if ((n = evbuffer_write(out, fd)) > 0) {
			any = 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	evbuffer_freeze(out, 1);
	if (any)
		c->writes_now++;
	want = evbuffer_get_length(out) > 0;
	if (want != ((bufferevent_get_enabled(c->bev) & EV_WRITE) != 0)) {
		if (want)
			(void)bufferevent_enable(c->bev, EV_WRITE);
		else
			(void)bufferevent_disable(c->bev, EV_WRITE);
	}
	return any;
}

static int
flushed(const struct bn_htx_conn *c)
{
	return bn_htx_session_pending_output(c->s) == 0 &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

/*
 * Closed and flushed, and the session's close drain over (unless
 * skipped).  Unsent output may hold the end for flush_ms at most: a
 * peer that stops reading cannot keep the socket open.
 */
static int
finished(struct bn_htx_conn *c, uint64_t now)
{
	if (!bn_htx_session_is_closed(c->s))
		return 0;
	if (c->flush_by == 0)
		c->flush_by = now + c->flush_ms;
	if (!flushed(c)) {
		if (!c->last_byte) {
			/* Be told when the last byte has left. */
			bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
			c->last_byte = 1;
		}
		return now >= c->flush_by;
	}
	return c->skip_drain || bn_htx_session_done(c->s, now);
}

static void
arm_timer(struct bn_htx_conn *c, uint64_t now)
{
	uint64_t at = bn_htx_session_next_timeout(c->s);
	struct timeval tv;

	if (!c->connected && c->connect_by < at)
		at = c->connect_by;
	if (c->flush_by != 0 && c->flush_by < at && !flushed(c))
		at = c->flush_by;
	if (at == UINT64_MAX) {
		evtimer_del(c->timer);
		return;
	}
	at = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(at / 1000);
	tv.tv_usec = (suseconds_t)(at % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void
conn_pass(struct bn_htx_conn *c, uint64_t now)
{
	int progress;

	do {
		c->runs++;
		progress = feed_input(c, now);
		progress |= deliver_events(c, now);
		if (c->dead || c->lost)
			return;
		if (c->on_pump != NULL) {
			c->on_pump(c, c->arg);
			if (c->dead || c->lost)
				return;
		}
		progress |= flush_output(c);
		progress |= write_out(c);
	} while (progress);
}

static void
conn_run(struct bn_htx_conn *c)
{
	uint64_t now;

	if (c->ended)
		return;
	if (c->running) {
		c->again = 1;
		return;
	}
	c->running = 1;
	do {
		c->again = 0;
		now = bn_htx_conn_now_ms();
		if (!c->lost)
			conn_pass(c, now);
	} while (c->again && !c->dead && !c->lost);
	c->running = 0;
	if (c->dead) {
		conn_destroy(c);
		return;
	}
	if (c->lost || finished(c, now)) {
		conn_end(c);
		return;
	}
	arm_timer(c, now);
}

/* ---- libevent callbacks ------------------------------------------- */

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_run(arg);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	conn_run(arg);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bn_htx_conn *c = arg;
	int e = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		conn_run(c);
		return;
	}
	if (!c->connected) {
		bn_log_event(BN_LOG_DEBUG, "htx_conn_connect_failed",
		    "errno=%d", e);
		conn_lost(c, BN_HTX_CONN_END_CONNECT_FAILED, BN_ERR_SYSTEM);
	} else if (what & BEV_EVENT_ERROR) {
		bn_log_event(BN_LOG_DEBUG, "htx_conn_socket_error",
		    "errno=%d", e);
		conn_lost(c, BN_HTX_CONN_END_SOCKET_ERROR, BN_ERR_SYSTEM);
	} else
		conn_lost(c, BN_HTX_CONN_END_EOF, BN_ERR_CLOSED);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bn_htx_conn *c = arg;
	uint64_t now = bn_htx_conn_now_ms();

	if (c->ended)
		return;
	if (!c->connected && !c->lost && now >= c->connect_by) {
		conn_lost(c, BN_HTX_CONN_END_CONNECT_TIMEOUT, BN_ERR_TIMEOUT);
		return;
	}
	/* Early (a kick) is fine: tick acts on what is due only. */
	if (!c->lost)
		(void)bn_htx_session_tick(c->s, now);
	conn_run(c);
}

/* ---- construction ------------------------------------------------- */

static void
set_nodelay(const struct bn_htx_conn_opts *o, evutil_socket_t fd)
{
	int one = 1;

	/* Fails on a socket without it (AF_UNIX): nothing to do then. */
	if (!o->no_nodelay)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
}

/* The conn without its bufferevent; takes o->session. */
static struct bn_htx_conn *
conn_alloc(struct event_base *base, const struct bn_htx_conn_opts *o)
{
	struct bn_htx_session *s = o->session;
	struct bn_htx_conn *c = NULL;

	if (o->on_event == NULL || o->on_close == NULL ||
	    (s == NULL && o->cfg == NULL))
		goto fail;
	if (s == NULL &&
	    (s = bn_htx_session_new(o->cfg, bn_htx_conn_now_ms())) == NULL)
		goto fail;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->s = s;
	c->on_event = o->on_event;
	c->on_pump = o->on_pump;
	c->on_close = o->on_close;
	c->arg = o->arg;
	c->out_high = o->out_high != 0 ? o->out_high : BN_HTX_CONN_OUT_HIGH;
	c->out_low = o->out_low != 0 ? o->out_low : c->out_high / 4;
	if (c->out_low > c->out_high)
		c->out_low = c->out_high;
	c->in_high = o->in_high != 0 ? o->in_high : BN_HTX_CONN_IN_HIGH;
	c->flush_ms = HC_FLUSH_TIMEOUT_MS;
	c->connected = 1;
	c->connect_by = UINT64_MAX;
	c->end.code = -1;
	if ((c->timer = evtimer_new(base, conn_timer_cb, c)) == NULL)
		goto fail;
	return c;
 fail:
	if (c != NULL)
		free(c);
	bn_htx_session_free(s);
	return NULL;
}

static int
conn_attach(struct bn_htx_conn *c, struct bufferevent *bev)
{
	c->bev = bev;
	bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(bev, EV_READ, 0, c->in_high);
	bufferevent_setwatermark(bev, EV_WRITE, c->out_low, 0);
	/* Own socket: EV_WRITE only while bytes wait (see write_out()). */
	return bufferevent_enable(bev, c->direct ? EV_READ :
	    EV_READ | EV_WRITE) == 0 ? BN_OK : BN_ERR_SYSTEM;
}

void
bn_htx_conn_kick(struct bn_htx_conn *c)
{
	if (!c->ended && !c->dead)
		event_active(c->timer, EV_TIMEOUT, 1);
}

struct bn_htx_conn *
bn_htx_conn_new(struct event_base *base, evutil_socket_t fd,
    const struct bn_htx_conn_opts *o)
{
	struct bn_htx_conn *c;
	struct bufferevent *bev;

	if ((c = conn_alloc(base, o)) == NULL)
		goto fail;
	set_nodelay(o, fd);
	if ((bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	fd = -1;
	c->direct = 1;
	if (conn_attach(c, bev) != BN_OK)
		goto fail;
	bn_htx_conn_kick(c);	/* client's first flight; timer armed */
	return c;
 fail:
	if (c != NULL)
		conn_destroy(c);
	if (fd >= 0)
		evutil_closesocket(fd);
	return NULL;
}

struct bn_htx_conn *
bn_htx_conn_new_bev(struct bufferevent *bev, const struct bn_htx_conn_opts *o)
{
	struct bn_htx_conn *c;

	if ((c = conn_alloc(bufferevent_get_base(bev), o)) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	if (conn_attach(c, bev) != BN_OK) {
		conn_destroy(c);
		return NULL;
	}
	bn_htx_conn_kick(c);
	return c;
}

struct bn_htx_conn *
bn_htx_conn_connect(struct event_base *base, const struct sockaddr *sa,
    int salen, const struct bn_htx_conn_opts *o)
{
	struct bn_htx_conn *c;
	struct bufferevent *bev;
	evutil_socket_t fd = -1;
	uint64_t ms;

	if ((c = conn_alloc(base, o)) == NULL)
		return NULL;
	if ((fd = socket(sa->sa_family, SOCK_STREAM, 0)) < 0) {
		bn_log_event(BN_LOG_WARN, "htx_conn_socket", "errno=%d",
		    errno);
		goto fail;
	}
	if (evutil_make_socket_nonblocking(fd) != 0 ||
	    evutil_make_socket_closeonexec(fd) != 0)
		goto fail;
	set_nodelay(o, fd);
	if ((bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	fd = -1;
	c->direct = 1;
	if (conn_attach(c, bev) != BN_OK)
		goto fail;
	ms = o->connect_timeout_ms != 0 ? o->connect_timeout_ms :
	    HC_CONNECT_TIMEOUT_MS;
	c->connected = 0;
	c->connect_by = bn_htx_conn_now_ms() + ms;
	if (bufferevent_socket_connect(bev, sa, salen) != 0) {
		/* Refused at once: tell the owner from the loop. */
		c->lost = 1;
		c->end.how = BN_HTX_CONN_END_CONNECT_FAILED;
		c->end.err = BN_ERR_SYSTEM;
	}
	bn_htx_conn_kick(c);
	return c;
 fail:
	conn_destroy(c);
	if (fd >= 0)
		evutil_closesocket(fd);
	return NULL;
}

/* ---- owner's controls and accessors ------------------------------- */

struct bn_htx_session *
bn_htx_conn_session(const struct bn_htx_conn *c)
{
	return c->s;
}

void
bn_htx_conn_run(struct bn_htx_conn *c)
{
	conn_run(c);
}

void
bn_htx_conn_close(struct bn_htx_conn *c, uint16_t code, const char *reason)
{
	if (c->ended)
		return;
	(void)bn_htx_session_close(c->s, code, reason);
	bn_htx_conn_kick(c);
}

void
bn_htx_conn_skip_drain(struct bn_htx_conn *c)
{
	c->skip_drain = 1;
}

void
bn_htx_conn_pause_input(struct bn_htx_conn *c, int paused)
{
	int resume = c->paused && !paused;

	c->paused = paused != 0;
	if (!resume)
		return;
	/* Bytes may wait in the input with reading stopped: go again. */
	if (c->running)
		c->again = 1;
	else
		bn_htx_conn_kick(c);
}

void
bn_htx_conn_stats(const struct bn_htx_conn *c, struct bn_htx_conn_stats *st)
{
	memset(st, 0, sizeof(*st));
	bn_htx_session_stats(c->s, &st->session);
	if (c->bev != NULL) {
		st->in_buffered = evbuffer_get_length(
		    bufferevent_get_input(c->bev));
		st->out_buffered = evbuffer_get_length(
		    bufferevent_get_output(c->bev));
	}
	st->runs = c->runs;
	st->writes_now = c->writes_now;
}

size_t
bn_htx_conn_memory(const struct bn_htx_conn *c)
{
	size_t n = sizeof(*c) + bn_htx_session_memory(c->s);

	if (c->bev != NULL)
		n += evbuffer_get_length(bufferevent_get_input(c->bev)) +
		    evbuffer_get_length(bufferevent_get_output(c->bev));
	return n;
}

int
bn_htx_conn_is_connected(const struct bn_htx_conn *c)
{
	return c->bev != NULL && c->connected && !c->lost;
}
