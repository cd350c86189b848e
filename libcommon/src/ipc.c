/*
 * ipc: Unix-socket framing and the libevent server and client around it
 * (see ipc.h, WIRE.md §10).
 *
 * Both sides read the same way: peek the 4 header bytes, refuse an
 * oversized length from them alone, wait until the whole frame is in
 * the bufferevent's input, then pull it up and run the pure decoder over
 * exactly those bytes.  Peeking first keeps a 1 MiB frame arriving in
 * small reads from being pulled up (copied) once per read.  The input
 * high watermark is one whole frame, so a client can never make us
 * buffer more than that.
 *
 * Connections close in two steps when a handler closes its own
 * connection from inside on_request(): the close is marked pending and
 * finished when the read loop unwinds, so the loop never touches a freed
 * bufferevent.
 *
 * Server connection life cycle.  Every frame handed to on_request() is
 * one outstanding request until the handler sends a frame back.  Reading
 * pauses while queued output is at or above BN_IPC_OUT_HIGH or too many
 * requests are outstanding, and resumes from the write callback once
 * output is down to BN_IPC_OUT_LOW and replies have come.  A client's EOF
 * (shutdown(SHUT_WR) after its last request is legal) stops reading only:
 * the connection stays until every outstanding request is answered and
 * the output has drained, bounded by the write timeout; a peer that
 * closed outright (POLLHUP) is closed at once.  One timer per
 * connection holds whichever deadline applies: a started frame must
 * complete (frame timeout), an idle connection may be closed (idle
 * timeout, off by default), a half-closed one must finish (linger).
 * Stalled output is libevent's write timeout.
 *
 * On Linux a non-blocking connect() on a Unix socket either completes at
 * once or fails at once (EAGAIN when the backlog is full), so the client
 * has no "connecting" state and needs no connect timeout.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <protobuf-c/protobuf-c.h>

#include "betanet/backoff.h"
#include "betanet/buf.h"
#include "betanet/err.h"
#include "betanet/ipc.h"
#include "betanet/log.h"

#define IPC_BACKLOG		128
#define IPC_ACCEPT_PAUSE_MS	100	/* after EMFILE and friends */
#define IPC_STABLE_MS		1000	/* up this long: was fine */
#define IPC_DEF_BASE_MS		100
#define IPC_DEF_CAP_MS		10000
#define IPC_DEF_INFLIGHT	1024
#define IPC_MAX_INFLIGHT	((size_t)1 << 20)
#define IPC_DEF_OUTPUT		((size_t)8 << 20)
#define IPC_DEF_FRAME_MS	30000
#define IPC_DEF_WRITE_MS	60000
#define IPC_DEF_OUTSTANDING	1024

/* ---- pure framing ---------------------------------------------------- */

int
bn_ipc_frame_encode(struct bn_buf *out, const uint8_t *payload, size_t len)
{
	uint8_t *p;
	int r;

	if (len > BN_IPC_MAX_FRAME)
		return BN_ERR_TOO_LARGE;
	if (len > 0 && payload == NULL)
		return BN_ERR_INVALID_ARG;
	if ((r = bn_buf_reserve(out, BN_IPC_HDR_LEN + len, &p)) != BN_OK)
		return r;
	bn_store_u32(p, (uint32_t)len);
	if (len > 0)
		memcpy(p + BN_IPC_HDR_LEN, payload, len);
	return BN_OK;
}

int
bn_ipc_frame_decode(struct bn_buf *in, const uint8_t **payload, size_t *len)
{
	uint32_t n;
	int r;

	*payload = NULL;
	*len = 0;
	if ((r = bn_buf_peek_u32(in, 0, &n)) != BN_OK)
		return r;
	if (n > BN_IPC_MAX_FRAME)
		return BN_ERR_TOO_LARGE;
	if (bn_buf_len(in) - BN_IPC_HDR_LEN < n)
		return BN_ERR_INCOMPLETE;
	if ((r = bn_buf_consume(in, BN_IPC_HDR_LEN)) != BN_OK ||
	    (r = bn_buf_get_ptr(in, payload, n)) != BN_OK)
		return r;
	*len = n;
	return BN_OK;
}

/*
 * Look at the front of an evbuffer: BN_OK with *p, *len and *framelen
 * set when a whole frame is there (pulled up, not yet drained),
 * BN_ERR_INCOMPLETE, or BN_ERR_TOO_LARGE from the header alone.
 */
static int
evbuf_peek_frame(struct evbuffer *in, const uint8_t **p, size_t *len,
    size_t *framelen)
{
	uint8_t hdr[BN_IPC_HDR_LEN];
	const uint8_t *whole;
	struct bn_buf v;
	size_t avail = evbuffer_get_length(in);
	uint32_t n;
	int r;

	*p = NULL;
	*len = 0;
	*framelen = 0;
	if (avail < BN_IPC_HDR_LEN)
		return BN_ERR_INCOMPLETE;
	if (evbuffer_copyout(in, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		return BN_ERR_INTERNAL;
	n = bn_load_u32(hdr);
	if (n > BN_IPC_MAX_FRAME)
		return BN_ERR_TOO_LARGE;
	if (avail - BN_IPC_HDR_LEN < n)
		return BN_ERR_INCOMPLETE;
	if ((whole = evbuffer_pullup(in, BN_IPC_HDR_LEN + n)) == NULL)
		return BN_ERR_ALLOC;
	bn_buf_view(&v, whole, BN_IPC_HDR_LEN + n);
	if ((r = bn_ipc_frame_decode(&v, p, len)) != BN_OK)
		return r;
	*framelen = BN_IPC_HDR_LEN + n;
	return BN_OK;
}

/* Queue header + payload; all or nothing. */
static int
evbuf_add_frame(struct evbuffer *out, const uint8_t *payload, size_t len)
{
	uint8_t hdr[BN_IPC_HDR_LEN];

	if (len > BN_IPC_MAX_FRAME)
		return BN_ERR_TOO_LARGE;
	if (len > 0 && payload == NULL)
		return BN_ERR_INVALID_ARG;
	bn_store_u32(hdr, (uint32_t)len);
	/* Reserve first so the second add cannot fail half way. */
	if (evbuffer_expand(out, sizeof(hdr) + len) != 0 ||
	    evbuffer_add(out, hdr, sizeof(hdr)) != 0 ||
	    (len > 0 && evbuffer_add(out, payload, len) != 0))
		return BN_ERR_ALLOC;
	return BN_OK;
}

static int
ipc_sockaddr(struct sockaddr_un *sun, const char *path)
{
	size_t n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sun->sun_path))
		return BN_ERR_INVALID_ARG;
	memcpy(sun->sun_path, path, n + 1);
	return BN_OK;
}

/* ---- server ---------------------------------------------------------- */

/* What a connection's timer is armed for. */
enum conn_tmo {
	TMO_NONE = 0,
	TMO_FRAME,		/* a started frame must complete */
	TMO_IDLE,		/* nothing going on */
	TMO_LINGER,		/* peer sent EOF: answer and drain by then */
};

struct bn_ipc_conn {
	LIST_ENTRY(bn_ipc_conn)	 entry;
	struct bn_ipc_server	*srv;		/* NULL once closed */
	struct bufferevent	*bev;		/* NULL once closed */
	struct event		*tmo;		/* NULL once closed */
	struct event		*kick;		/* resume reading, from the loop */
	uint64_t		 id;
	size_t			 outstanding;	/* requests not answered */
	unsigned		 refs;
	int			 in_dispatch;
	int			 close_pending;
	int			 read_paused;
	int			 out_paused;	/* ...because of output */
	int			 read_closed;	/* peer sent EOF */
	enum conn_tmo		 tmo_kind;
};

struct bn_ipc_server {
	struct event_base	*base;
	struct evconnlistener	*lev;
	struct event		*resume;	/* re-enable accept */
	struct bn_ipc_server_cb	 cb;
	char			 path[sizeof(
			    ((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;
	ino_t			 ino;
	size_t			 max_clients;
	size_t			 nclients;
	uint64_t		 next_id;
	struct bn_ipc_server_opts o;		/* defaults filled in */
	LIST_HEAD(, bn_ipc_conn) conns;
};

static void conn_process(struct bn_ipc_conn *c);

void
bn_ipc_conn_ref(struct bn_ipc_conn *c)
{
	c->refs++;
}

void
bn_ipc_conn_unref(struct bn_ipc_conn *c)
{
	if (c == NULL)
		return;
	if (--c->refs == 0)
		free(c);
}

int
bn_ipc_conn_is_open(const struct bn_ipc_conn *c)
{
	return c->srv != NULL && !c->close_pending;
}

uint64_t
bn_ipc_conn_id(const struct bn_ipc_conn *c)
{
	return c->id;
}

size_t
bn_ipc_conn_queued(const struct bn_ipc_conn *c)
{
	if (c->bev == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

size_t
bn_ipc_conn_outstanding(const struct bn_ipc_conn *c)
{
	return c->srv != NULL ? c->outstanding : 0;
}

static void
conn_finish_close(struct bn_ipc_conn *c)
{
	struct bn_ipc_server *s = c->srv;

	LIST_REMOVE(c, entry);
	s->nclients--;
	event_free(c->tmo);
	event_free(c->kick);
	c->tmo = c->kick = NULL;
	c->tmo_kind = TMO_NONE;
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->srv = NULL;
	c->close_pending = 0;
	if (s->cb.on_close != NULL)
		s->cb.on_close(c, s->cb.arg);
	bn_ipc_conn_unref(c);		/* the server's reference */
}

void
bn_ipc_conn_close(struct bn_ipc_conn *c)
{
	if (c->srv == NULL || c->close_pending)
		return;
	if (c->in_dispatch) {
		c->close_pending = 1;
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		evtimer_del(c->tmo);
		c->tmo_kind = TMO_NONE;
		return;
	}
	conn_finish_close(c);
}

/* A client fault or a deadline: log it at info and close. */
static void
conn_drop(struct bn_ipc_conn *c, const char *reason)
{
	bn_log_event(BN_LOG_INFO, "ipc_drop", "conn=%llu reason=%s "
	    "outstanding=%zu queued=%zu", (unsigned long long)c->id, reason,
	    c->outstanding, bn_ipc_conn_queued(c));
	bn_ipc_conn_close(c);
}

static void
conn_arm(struct bn_ipc_conn *c, enum conn_tmo kind, uint32_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	c->tmo_kind = kind;
	evtimer_add(c->tmo, &tv);
}

static void
conn_disarm(struct bn_ipc_conn *c)
{
	if (c->tmo_kind != TMO_NONE) {
		c->tmo_kind = TMO_NONE;
		evtimer_del(c->tmo);
	}
}

static int
conn_must_pause(const struct bn_ipc_conn *c)
{
	return bn_ipc_conn_queued(c) >= BN_IPC_OUT_HIGH ||
	    c->outstanding >= c->srv->o.max_outstanding;
}

/*
 * A pause on output lasts until it drains to BN_IPC_OUT_LOW (hysteresis);
 * a pause on outstanding requests only until one is answered, however
 * much output waits below BN_IPC_OUT_HIGH: a client that writes all its
 * requests before reading any must not deadlock with us.
 */
static int
conn_may_resume(const struct bn_ipc_conn *c)
{
	size_t q = bn_ipc_conn_queued(c);

	return c->outstanding < c->srv->o.max_outstanding &&
	    q < BN_IPC_OUT_HIGH && (!c->out_paused || q <= BN_IPC_OUT_LOW);
}

static void
conn_pause(struct bn_ipc_conn *c)
{
	if (bn_ipc_conn_queued(c) >= BN_IPC_OUT_HIGH)
		c->out_paused = 1;
	if (!c->read_paused) {
		c->read_paused = 1;
		bufferevent_disable(c->bev, EV_READ);
	}
	/* Our side is slow, not the client: no frame or idle deadline. */
	if (!c->read_closed)
		conn_disarm(c);
}

int
bn_ipc_conn_send_msg(struct bn_ipc_conn *c, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf;
	int r;

	if (len > BN_IPC_MAX_FRAME)
		return BN_ERR_TOO_LARGE;
	if ((buf = malloc(len ? len : 1)) == NULL)
		return BN_ERR_ALLOC;
	protobuf_c_message_pack(m, buf);
	r = bn_ipc_conn_send(c, buf, len);
	free(buf);
	return r;
}

int
bn_ipc_conn_send(struct bn_ipc_conn *c, const uint8_t *payload, size_t len)
{
	struct evbuffer *out;
	size_t q;
	int r;

	if (!bn_ipc_conn_is_open(c))
		return BN_ERR_CLOSED;
	if (len > BN_IPC_MAX_FRAME)
		return BN_ERR_TOO_LARGE;
	out = bufferevent_get_output(c->bev);
	q = evbuffer_get_length(out);
	/*
	 * Reading pauses at BN_IPC_OUT_HIGH, but replies to requests read
	 * before that can still come: past the hard cap the client is not
	 * reading at all, and it loses the connection instead of our memory.
	 */
	if (q > BN_IPC_OUT_CAP || BN_IPC_OUT_CAP - q < BN_IPC_HDR_LEN + len) {
		conn_drop(c, "output_overflow");
		return BN_ERR_LIMIT;
	}
	if ((r = evbuf_add_frame(out, payload, len)) != BN_OK)
		return r;
	if (c->outstanding > 0)
		c->outstanding--;
	if (conn_must_pause(c))
		conn_pause(c);
	else if (c->read_paused && conn_may_resume(c))
		/*
		 * Paused on outstanding requests: this answer may be the one
		 * to resume on, and a client that is not reading gives no
		 * write callback, so do not wait for one.  From the loop, so
		 * on_request() never runs inside a send.
		 */
		event_active(c->kick, EV_TIMEOUT, 0);
	return BN_OK;
}

/*
 * After reading or writing: close a half-closed connection that is done,
 * or (re)arm the deadline that applies.  progressed: a whole frame was
 * taken since the last call, which restarts the frame deadline.
 */
static void
conn_settle(struct bn_ipc_conn *c, int progressed)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct bn_ipc_server_opts *o = &c->srv->o;
	size_t inlen = evbuffer_get_length(in);

	if (c->read_closed) {
		/* Nothing more can come, so a started frame never ends. */
		if (!c->read_paused && inlen > 0) {
			bn_log_event(BN_LOG_DEBUG, "ipc_eof_in_frame",
			    "conn=%llu bytes=%zu", (unsigned long long)c->id,
			    inlen);
			evbuffer_drain(in, inlen);
			inlen = 0;
		}
		/* The linger deadline was armed at EOF and still runs. */
		if (c->outstanding == 0 && inlen == 0 &&
		    bn_ipc_conn_queued(c) == 0) {
			bn_log_event(BN_LOG_DEBUG, "ipc_close", "conn=%llu "
			    "reason=eof", (unsigned long long)c->id);
			bn_ipc_conn_close(c);
		}
		return;
	}
	if (c->read_paused)
		conn_disarm(c);	/* our side is slow; see write timeout */
	else if (inlen > 0) {
		if (progressed || c->tmo_kind != TMO_FRAME)
			conn_arm(c, TMO_FRAME, o->frame_timeout_ms);
	} else if (o->idle_timeout_ms > 0) {
		if (progressed || c->tmo_kind != TMO_IDLE)
			conn_arm(c, TMO_IDLE, o->idle_timeout_ms);
	} else
		conn_disarm(c);
}

static void
conn_process(struct bn_ipc_conn *c)
{
	struct bn_ipc_server *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const uint8_t *p;
	size_t len, framelen, nframes = 0;
	int r = BN_OK;

	/* Our own reference: a close below must not free c under us. */
	bn_ipc_conn_ref(c);
	c->in_dispatch++;
	while (!c->close_pending) {
		if (conn_must_pause(c)) {
			conn_pause(c);
			break;
		}
		if ((r = evbuf_peek_frame(in, &p, &len, &framelen)) != BN_OK)
			break;
		c->outstanding++;
		nframes++;
		s->cb.on_request(c, p, len, s->cb.arg);
		evbuffer_drain(in, framelen);
	}
	c->in_dispatch--;
	if (r != BN_OK && r != BN_ERR_INCOMPLETE && !c->close_pending)
		conn_drop(c, r == BN_ERR_TOO_LARGE ? "frame_too_large" :
		    "read_error");
	if (!c->close_pending && c->srv != NULL && c->in_dispatch == 0)
		conn_settle(c, nframes > 0);
	if (c->close_pending && c->in_dispatch == 0)
		conn_finish_close(c);
	bn_ipc_conn_unref(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct bn_ipc_conn *c = arg;

	if (!c->read_paused)
		conn_process(c);
}

/*
 * Output fell to BN_IPC_OUT_LOW (to 0 once the peer sent EOF), or an
 * answer came while paused: read again if we may resume, starting with
 * what waits, and see whether a half-closed connection is done.
 */
static void
conn_wake(struct bn_ipc_conn *c)
{
	if (c->close_pending)
		return;
	if (c->read_paused) {
		if (!conn_may_resume(c))
			return;
		c->read_paused = 0;
		c->out_paused = 0;
		if (!c->read_closed)
			bufferevent_enable(c->bev, EV_READ);
	}
	conn_process(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	conn_wake(arg);
}

static void
conn_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_wake(arg);
}

/*
 * The peer shut down its sending side.  That is how a one-shot client
 * says "no more requests", so it still gets every reply: stop reading,
 * answer what was read, drain, then close (conn_settle), within the
 * write timeout.
 */
/*
 * EOF from shutdown(SHUT_WR) or from close()?  On Linux a Unix stream
 * socket whose peer is closed has both directions shut down, and poll()
 * says POLLHUP; after a mere SHUT_WR it does not.  Elsewhere this may
 * always say "half", which only costs a linger until the write timeout.
 */
static int
conn_peer_gone(struct bn_ipc_conn *c)
{
	struct pollfd pfd;

	pfd.fd = bufferevent_getfd(c->bev);
	pfd.events = POLLOUT;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

static void
conn_read_eof(struct bn_ipc_conn *c)
{
	if (conn_peer_gone(c)) {
		/* Nobody to answer: late replies get BN_ERR_CLOSED. */
		bn_log_event(BN_LOG_DEBUG, "ipc_close", "conn=%llu "
		    "reason=eof outstanding=%zu", (unsigned long long)c->id,
		    c->outstanding);
		bn_ipc_conn_close(c);
		return;
	}
	bn_log_event(BN_LOG_DEBUG, "ipc_eof", "conn=%llu outstanding=%zu "
	    "queued=%zu", (unsigned long long)c->id, c->outstanding,
	    bn_ipc_conn_queued(c));
	c->read_closed = 1;
	bufferevent_disable(c->bev, EV_READ);
	/* Call conn_write_cb when the last byte is out, not at OUT_LOW. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_arm(c, TMO_LINGER, c->srv->o.write_timeout_ms);
	conn_process(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bn_ipc_conn *c = arg;

	if (what & BEV_EVENT_ERROR) {
		bn_log_event(BN_LOG_INFO, "ipc_close", "conn=%llu reason=error "
		    "errno=%d", (unsigned long long)c->id,
		    EVUTIL_SOCKET_ERROR());
		bn_ipc_conn_close(c);
	} else if (what & BEV_EVENT_TIMEOUT)
		conn_drop(c, "write_timeout");	/* output made no progress */
	else if (what & BEV_EVENT_EOF)
		conn_read_eof(c);
}

static void
conn_tmo_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bn_ipc_conn *c = arg;
	enum conn_tmo kind = c->tmo_kind;

	c->tmo_kind = TMO_NONE;
	if (!bn_ipc_conn_is_open(c))
		return;
	switch (kind) {
	case TMO_LINGER:
		conn_drop(c, "linger_timeout");
		break;
	case TMO_FRAME:
		conn_drop(c, "frame_timeout");
		break;
	case TMO_IDLE:
		/* Armed when idle; replies or output since then: not idle. */
		if (c->outstanding > 0 || bn_ipc_conn_queued(c) > 0)
			conn_arm(c, TMO_IDLE, c->srv->o.idle_timeout_ms);
		else
			conn_drop(c, "idle_timeout");
		break;
	case TMO_NONE:
		break;
	}
}

static void
server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct bn_ipc_server *s = arg;
	struct bn_ipc_conn *c;
	struct timeval wtv = { s->o.write_timeout_ms / 1000,
	    (s->o.write_timeout_ms % 1000) * 1000 };

	if (s->nclients >= s->max_clients) {
		bn_log_event(BN_LOG_WARN, "ipc_reject", "reason=max_clients "
		    "max=%zu", s->max_clients);
		evutil_closesocket(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->tmo = evtimer_new(s->base, conn_tmo_cb, c)) == NULL ||
	    (c->kick = event_new(s->base, -1, 0, conn_kick_cb, c)) == NULL ||
	    (c->bev = bufferevent_socket_new(s->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		bn_log_event(BN_LOG_ERROR, "ipc_reject", "reason=alloc");
		if (c != NULL && c->tmo != NULL)
			event_free(c->tmo);
		if (c != NULL && c->kick != NULL)
			event_free(c->kick);
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->srv = s;
	c->refs = 1;
	c->id = ++s->next_id;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    BN_IPC_HDR_LEN + BN_IPC_MAX_FRAME);
	bufferevent_setwatermark(c->bev, EV_WRITE, BN_IPC_OUT_LOW, 0);
	/* Only output counts: it runs while bytes wait to be written. */
	bufferevent_set_timeouts(c->bev, NULL, &wtv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	LIST_INSERT_HEAD(&s->conns, c, entry);
	s->nclients++;
	conn_settle(c, 1);
	bn_log_event(BN_LOG_DEBUG, "ipc_accept", "conn=%llu clients=%zu",
	    (unsigned long long)c->id, s->nclients);
}

static void
server_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bn_ipc_server *s = arg;

	evconnlistener_enable(s->lev);
}

/* accept() failed (EMFILE...): back off rather than spin on it. */
static void
server_error_cb(struct evconnlistener *lev, void *arg)
{
	struct bn_ipc_server *s = arg;
	struct timeval tv = { 0, IPC_ACCEPT_PAUSE_MS * 1000 };

	bn_log_event(BN_LOG_ERROR, "ipc_accept_fail", "errno=%d",
	    EVUTIL_SOCKET_ERROR());
	evconnlistener_disable(s->lev);
	evtimer_add(s->resume, &tv);
}

/*
 * Remove a socket left by a crashed run.  Only a socket nobody answers
 * on is removed; a live one (connect works, or its backlog is full) and
 * any other kind of file are left alone.
 */
static int
server_unlink_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, e;

	if (lstat(sun->sun_path, &st) != 0) {
		if (errno == ENOENT)
			return BN_OK;
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "reason=lstat "
		    "errno=%d", errno);
		return BN_ERR_SYSTEM;
	}
	if (!S_ISSOCK(st.st_mode)) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail",
		    "reason=not_a_socket");
		return BN_ERR_STATE;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "reason=socket "
		    "errno=%d", errno);
		return BN_ERR_SYSTEM;
	}
	e = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ?
	    0 : errno;
	close(fd);
	if (e != ECONNREFUSED && e != ENOENT) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "reason=in_use "
		    "errno=%d", e);
		return BN_ERR_STATE;
	}
	if (e == ECONNREFUSED && unlink(sun->sun_path) != 0 &&
	    errno != ENOENT) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "reason=unlink "
		    "errno=%d", errno);
		return BN_ERR_SYSTEM;
	}
	return BN_OK;
}

static int
server_listen(struct bn_ipc_server *s, const struct sockaddr_un *sun,
    mode_t mode)
{
	struct stat st;
	mode_t old;
	int fd, r, e;

	if ((r = server_unlink_stale(sun)) != BN_OK)
		return r;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "reason=socket "
		    "errno=%d", errno);
		return BN_ERR_SYSTEM;
	}
	/*
	 * The socket is born with `mode` through the umask: a chmod() by
	 * path after bind() would follow a symlink put there in between,
	 * and fchmod() does not apply to socket inodes.  The umask is
	 * process-wide, so it is restored at once (single-threaded).
	 */
	old = umask(~mode & 0777);
	r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	umask(old);
	if (r != 0) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "reason=bind "
		    "errno=%d", e);
		close(fd);
		return BN_ERR_SYSTEM;
	}
	/* Remember what we made, to unlink only that on free. */
	if (lstat(sun->sun_path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "reason=lstat "
		    "errno=%d", errno);
		close(fd);
		return BN_ERR_SYSTEM;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	/* evconnlistener_new() calls listen(); it owns fd from here. */
	if ((s->lev = evconnlistener_new(s->base, server_accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, IPC_BACKLOG,
	    fd)) == NULL) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "reason=listen "
		    "errno=%d", errno);
		unlink(sun->sun_path);
		close(fd);
		return BN_ERR_SYSTEM;
	}
	evconnlistener_set_error_cb(s->lev, server_error_cb);
	return BN_OK;
}

struct bn_ipc_server *
bn_ipc_server_new(struct event_base *base, const char *path, mode_t mode,
    size_t max_clients, const struct bn_ipc_server_cb *cb)
{
	return bn_ipc_server_new_with(base, path, mode, max_clients, NULL, cb);
}

struct bn_ipc_server *
bn_ipc_server_new_with(struct event_base *base, const char *path,
    mode_t mode, size_t max_clients, const struct bn_ipc_server_opts *opts,
    const struct bn_ipc_server_cb *cb)
{
	struct bn_ipc_server *s;
	struct sockaddr_un sun;
	char q[BN_LOG_VALUE_MAX];

	if (base == NULL || path == NULL || cb == NULL ||
	    cb->on_request == NULL || max_clients == 0)
		return NULL;
	if (ipc_sockaddr(&sun, path) != BN_OK) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "path=%s "
		    "reason=bad_path", bn_log_qstr(q, sizeof(q), path));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base = base;
	s->cb = *cb;
	s->max_clients = max_clients;
	if (opts != NULL)
		s->o = *opts;
	if (s->o.frame_timeout_ms == 0)
		s->o.frame_timeout_ms = IPC_DEF_FRAME_MS;
	if (s->o.write_timeout_ms == 0)
		s->o.write_timeout_ms = IPC_DEF_WRITE_MS;
	if (s->o.max_outstanding == 0)
		s->o.max_outstanding = IPC_DEF_OUTSTANDING;
	LIST_INIT(&s->conns);
	memcpy(s->path, sun.sun_path, sizeof(s->path));
	if ((s->resume = evtimer_new(base, server_resume_cb, s)) == NULL ||
	    server_listen(s, &sun, mode) != BN_OK) {
		bn_log_event(BN_LOG_ERROR, "ipc_listen_fail", "path=%s",
		    bn_log_qstr(q, sizeof(q), path));
		if (s->resume != NULL)
			event_free(s->resume);
		free(s);
		return NULL;
	}
	bn_log_event(BN_LOG_INFO, "ipc_listen", "path=%s max_clients=%zu "
	    "frame_timeout_ms=%u idle_timeout_ms=%u write_timeout_ms=%u",
	    bn_log_qstr(q, sizeof(q), path), max_clients,
	    s->o.frame_timeout_ms, s->o.idle_timeout_ms,
	    s->o.write_timeout_ms);
	return s;
}

void
bn_ipc_server_free(struct bn_ipc_server *s)
{
	struct stat st;

	if (s == NULL)
		return;
	evconnlistener_free(s->lev);
	event_free(s->resume);
	while (!LIST_EMPTY(&s->conns))
		conn_finish_close(LIST_FIRST(&s->conns));
	/* Unlink only the socket we made, not a successor's. */
	if (lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}

size_t
bn_ipc_server_nclients(const struct bn_ipc_server *s)
{
	return s->nclients;
}

/* ---- client ---------------------------------------------------------- */

struct ipc_req {
	struct ipc_req		*hnext;
	struct bn_ipc_client	*cl;
	struct event		*timer;	/* NULL: no deadline */
	uint64_t		 id;
	bn_ipc_done_fn		 done;
	void			*arg;
};

struct bn_ipc_client {
	struct event_base	*base;
	struct bufferevent	*bev;		/* NULL while down */
	struct event		*retry;
	struct sockaddr_un	 sun;
	struct bn_ipc_client_cb	 cb;
	struct bn_ipc_client_opts o;
	struct bn_backoff	 bo;
	struct timeval		 up_since;
	struct ipc_req		**tab;	/* in flight, by id */
	size_t			 tabmask;
	size_t			 inflight;
};

static size_t
req_slot(const struct bn_ipc_client *c, uint64_t id)
{
	/* Fibonacci hashing: ids are often sequential. */
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & c->tabmask;
}

static struct ipc_req *
req_take(struct bn_ipc_client *c, uint64_t id)
{
	struct ipc_req **pp, *r;

	for (pp = &c->tab[req_slot(c, id)]; (r = *pp) != NULL;
	    pp = &r->hnext) {
		if (r->id == id) {
			*pp = r->hnext;
			r->hnext = NULL;
			c->inflight--;
			return r;
		}
	}
	return NULL;
}

static int
req_exists(const struct bn_ipc_client *c, uint64_t id)
{
	const struct ipc_req *r;

	for (r = c->tab[req_slot(c, id)]; r != NULL; r = r->hnext) {
		if (r->id == id)
			return 1;
	}
	return 0;
}

static void
req_finish(struct ipc_req *r, int err, const uint8_t *p, size_t len)
{
	if (r->timer != NULL)
		event_free(r->timer);
	r->done(err, p, len, r->arg);
	free(r);
}

/* Fail every request in flight; callbacks may submit new ones. */
static void
client_fail_all(struct bn_ipc_client *c, int err)
{
	struct ipc_req *list = NULL, *r;
	size_t i;

	for (i = 0; i <= c->tabmask; i++) {
		while ((r = c->tab[i]) != NULL) {
			c->tab[i] = r->hnext;
			r->hnext = list;
			list = r;
		}
	}
	c->inflight = 0;
	while ((r = list) != NULL) {
		list = r->hnext;
		req_finish(r, err, NULL, 0);
	}
}

static void
client_schedule(struct bn_ipc_client *c)
{
	uint32_t ms = bn_backoff_next_ms(&c->bo);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->retry, &tv);
}

static void
client_drop(struct bn_ipc_client *c, const char *reason)
{
	struct timeval now, up;
	char q[BN_LOG_VALUE_MAX];

	bufferevent_free(c->bev);
	c->bev = NULL;
	event_base_gettimeofday_cached(c->base, &now);
	evutil_timersub(&now, &c->up_since, &up);
	if (up.tv_sec * 1000 + up.tv_usec / 1000 >= IPC_STABLE_MS)
		bn_backoff_reset(&c->bo);
	bn_log_event(BN_LOG_WARN, "ipc_disconnect", "path=%s reason=%s "
	    "inflight=%zu", bn_log_qstr(q, sizeof(q), c->sun.sun_path),
	    reason, c->inflight);
	client_schedule(c);
	if (c->cb.on_state != NULL)
		c->cb.on_state(c, 0, c->cb.arg);
	client_fail_all(c, BN_ERR_CLOSED);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct bn_ipc_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ipc_req *r;
	const uint8_t *p;
	size_t len, framelen;
	uint64_t id;
	int e;

	while (c->bev == bev) {
		if ((e = evbuf_peek_frame(in, &p, &len, &framelen)) != BN_OK) {
			if (e != BN_ERR_INCOMPLETE)
				client_drop(c, e == BN_ERR_TOO_LARGE ?
				    "frame_too_large" : "read_error");
			return;
		}
		if (c->cb.get_id(p, len, &id, c->cb.arg) != 0) {
			client_drop(c, "bad_response");
			return;
		}
		if ((r = req_take(c, id)) != NULL) {
			bn_backoff_reset(&c->bo);
			req_finish(r, BN_OK, p, len);
		} else
			bn_log_event(BN_LOG_DEBUG, "ipc_unmatched", "id=%llu",
			    (unsigned long long)id);
		evbuffer_drain(in, framelen);
	}
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bn_ipc_client *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_drop(c, (what & BEV_EVENT_EOF) ? "eof" : "error");
}

static void
client_connect_cb(evutil_socket_t unused, short what, void *arg)
{
	struct bn_ipc_client *c = arg;
	char q[BN_LOG_VALUE_MAX];
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		bn_log_event(BN_LOG_ERROR, "ipc_connect_fail", "reason=socket "
		    "errno=%d", errno);
		client_schedule(c);
		return;
	}
	if (connect(fd, (struct sockaddr *)&c->sun, sizeof(c->sun)) != 0) {
		bn_log_event(BN_LOG_DEBUG, "ipc_connect_fail", "path=%s "
		    "errno=%d attempt=%u",
		    bn_log_qstr(q, sizeof(q), c->sun.sun_path), errno,
		    c->bo.attempt);
		close(fd);
		client_schedule(c);
		return;
	}
	if ((c->bev = bufferevent_socket_new(c->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		client_schedule(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read_cb, NULL, client_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    BN_IPC_HDR_LEN + BN_IPC_MAX_FRAME);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	event_base_gettimeofday_cached(c->base, &c->up_since);
	bn_log_event(BN_LOG_INFO, "ipc_connect", "path=%s",
	    bn_log_qstr(q, sizeof(q), c->sun.sun_path));
	if (c->cb.on_state != NULL)
		c->cb.on_state(c, 1, c->cb.arg);
}

struct bn_ipc_client *
bn_ipc_client_new(struct event_base *base, const char *path,
    const struct bn_ipc_client_opts *opts, const struct bn_ipc_client_cb *cb)
{
	struct bn_ipc_client *c;
	struct timeval now = { 0, 0 };
	size_t n = 16;

	if (base == NULL || path == NULL || cb == NULL || cb->get_id == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (ipc_sockaddr(&c->sun, path) != BN_OK)
		goto fail;
	c->base = base;
	c->cb = *cb;
	if (opts != NULL)
		c->o = *opts;
	if (c->o.backoff_base_ms == 0)
		c->o.backoff_base_ms = IPC_DEF_BASE_MS;
	if (c->o.backoff_cap_ms == 0)
		c->o.backoff_cap_ms = IPC_DEF_CAP_MS;
	if (c->o.max_inflight == 0)
		c->o.max_inflight = IPC_DEF_INFLIGHT;
	if (c->o.max_inflight > IPC_MAX_INFLIGHT)
		c->o.max_inflight = IPC_MAX_INFLIGHT;
	if (c->o.max_output == 0)
		c->o.max_output = IPC_DEF_OUTPUT;
	bn_backoff_init(&c->bo, c->o.backoff_base_ms, c->o.backoff_cap_ms);
	while (n < c->o.max_inflight)
		n <<= 1;
	c->tabmask = n - 1;
	if ((c->tab = calloc(n, sizeof(*c->tab))) == NULL ||
	    (c->retry = evtimer_new(base, client_connect_cb, c)) == NULL)
		goto fail;
	/* First attempt from the loop, so callbacks never run in here. */
	evtimer_add(c->retry, &now);
	return c;
 fail:
	free(c->tab);
	free(c);
	return NULL;
}

void
bn_ipc_client_free(struct bn_ipc_client *c)
{
	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	event_free(c->retry);
	client_fail_all(c, BN_ERR_CLOSED);
	free(c->tab);
	free(c);
}

int
bn_ipc_client_is_connected(const struct bn_ipc_client *c)
{
	return c->bev != NULL;
}

size_t
bn_ipc_client_inflight(const struct bn_ipc_client *c)
{
	return c->inflight;
}

static void
req_timeout_cb(evutil_socket_t unused, short what, void *arg)
{
	struct ipc_req *r = arg;
	struct bn_ipc_client *c = r->cl;
	char q[BN_LOG_VALUE_MAX];

	if (req_take(c, r->id) != r)
		return;	/* cannot happen: timers die first */
	bn_log_event(BN_LOG_INFO, "ipc_timeout", "path=%s id=%llu",
	    bn_log_qstr(q, sizeof(q), c->sun.sun_path),
	    (unsigned long long)r->id);
	req_finish(r, BN_ERR_TIMEOUT, NULL, 0);
}

int
bn_ipc_client_request(struct bn_ipc_client *c, uint64_t id,
    const uint8_t *payload, size_t len, uint32_t timeout_ms,
    bn_ipc_done_fn done, void *arg)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct evbuffer *out;
	struct ipc_req *r;
	size_t slot;
	int e;

	if (done == NULL || (len > 0 && payload == NULL))
		return BN_ERR_INVALID_ARG;
	if (len > BN_IPC_MAX_FRAME)
		return BN_ERR_TOO_LARGE;
	if (c->bev == NULL)
		return BN_ERR_CLOSED;
	out = bufferevent_get_output(c->bev);
	if (c->inflight >= c->o.max_inflight ||
	    BN_IPC_HDR_LEN + len > c->o.max_output ||
	    evbuffer_get_length(out) > c->o.max_output - BN_IPC_HDR_LEN - len)
		return BN_ERR_LIMIT;
	if (req_exists(c, id))
		return BN_ERR_INVALID_ARG;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return BN_ERR_ALLOC;
	r->cl = c;
	r->id = id;
	r->done = done;
	r->arg = arg;
	if (timeout_ms > 0 &&
	    ((r->timer = evtimer_new(c->base, req_timeout_cb, r)) == NULL ||
	    evtimer_add(r->timer, &tv) != 0)) {
		e = BN_ERR_ALLOC;
		goto fail;
	}
	if ((e = evbuf_add_frame(out, payload, len)) != BN_OK)
		goto fail;
	slot = req_slot(c, id);
	r->hnext = c->tab[slot];
	c->tab[slot] = r;
	c->inflight++;
	return BN_OK;
 fail:
	if (r->timer != NULL)
		event_free(r->timer);
	free(r);
	return e;
}
