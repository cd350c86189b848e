/*
 * gw_backend_htx: pooled HTX sessions to upstreamd (see gw_backend_htx.h).
 *
 * Three objects: an upstream (struct hup: address, key, health, its
 * sessions), a session (struct hsess: one bn_htx_conn -- a TCP
 * connection driving one bn_htx_session, like upstreamd's connections
 * -- with the requests bound to it and the pool's idle policy) and a
 * request (struct gw_bereq: one stream).  Every callback to the front
 * goes through the request's own event (req->ev), never from inside an
 * op: errors, on_writable, and the response.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/util.h>

#include "betanet/backoff.h"
#include "betanet/bar.h"
#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/detcbor.h"
#include "betanet/err.h"
#include "betanet/htx_conn.h"
#include "betanet/htx_session.h"
#include "betanet/log.h"
#include "gw_backend_htx.h"
#include "gw_barstream.h"

#ifndef TAILQ_FOREACH_SAFE	/* glibc's sys/queue.h lacks it */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST((head));				\
	    (var) && ((tvar) = TAILQ_NEXT((var), field), 1);		\
	    (var) = (tvar))
#endif

#define HB_IN_HIGH	(256 * 1024)	/* socket input taken per read */
#define HB_OUT_HIGH	(256 * 1024)	/* session output queued in libevent */
#define HB_PIECE	(64 * 1024)	/* on_body piece */
#define HB_PER_STEP	(512 * 1024)	/* on_body bytes per loop turn */
#define HB_MAX_ATTEMPTS	3		/* sessions one request may try */
#define HB_COMPAT_MAX	(60 * 1024)	/* one compat frame */

struct hb;
struct hup;
struct hsess;

TAILQ_HEAD(reqq, gw_bereq);
TAILQ_HEAD(sessq, hsess);
TAILQ_HEAD(upq, hup);

struct hb {
	struct gw_backend	 base;
	struct event_base	*eb;
	struct gw_htx_opts	 o;
	char			 spool_dir[256];
	struct upq		 ups;
	size_t			 inflight;
	uint8_t			 scratch[HB_PIECE];
};

struct hup {
	TAILQ_ENTRY(hup)	 link;
	struct hb		*be;
	struct gw_htx_upstream	 cfg;
	char			 name[GW_HTX_NAME_MAX];
	struct sockaddr_storage	 ss;
	int			 sslen;
	enum gw_htx_up_state	 state;
	int			 removed;	/* by reload: free when empty */
	int64_t			 rtt_ms;
	struct sessq		 sessions;
	uint32_t		 nsess;
	uint64_t		 inflight;
	uint64_t		 failures;
	uint64_t		 requests;
	struct bn_backoff	 bo;
	struct event		*probe_ev;
};

struct hsess {
	TAILQ_ENTRY(hsess)	 link;
	struct hup		*up;
	struct bn_htx_conn	*hc;
	struct bn_htx_session	*s;		/* hc's, lent */
	struct event		*idle_ev;	/* ready, no requests */
	struct reqq		 reqs;
	uint32_t		 nreq;
	uint64_t		 idle_since;
	int			 ready;
	int			 compat;
	int			 closed;	/* CLOSED seen */
	int			 closing;	/* our CLOSE sent: flush, free */
	int			 was_ready;
};

struct gw_bereq {
	TAILQ_ENTRY(gw_bereq)	 link;		/* in sess->reqs */
	struct hb		*be;
	struct hup		*up;		/* counted in up->inflight */
	struct hsess		*sess;
	struct hup		*avoid;
	struct gw_bereq_cb	 cb;
	void			*arg;
	char			 method[16];
	char			*target;	/* compat text form */
	size_t			 target_len;
	int			 idempotent;
	int64_t			 clen;		/* -1: chunked */
	uint64_t		 body_in;
	uint64_t		 body_written;
	uint8_t			 pre[16];	/* map(4) "b" bytes(len) */
	size_t			 pre_len;
	size_t			 pre_off;
	uint8_t			*tail;		/* "h" ... "m" ... "u" ... */
	size_t			 tail_len;
	size_t			 tail_off;
	struct evbuffer		*body;		/* not yet taken by the session */
	int			 ended;
	int			 want_writable;
	int			 have_sid;
	uint32_t		 sid;
	int			 sent_all;	/* FIN sent */
	int			 attempts;
	/* response */
	struct gw_barstream	 bs;
	int			 compat;	/* answer is the raw payload */
	uint64_t		 resp_bytes;
	int			 resp_done;
	int			 got_fin;
	struct evbuffer		*spool;
	int			 spool_fd;
	uint64_t		 file_len;
	uint64_t		 file_off;
	uint64_t		 spooled;
	/* towards the front */
	struct event		*ev;
	struct event		*timer;
	int			 head_sent;
	int			 paused;
	int			 busy;
	int			 cancelled;
	int			 err_pending;
	enum gw_be_err		 err;
	int			 notify_writable;
};

static void	sess_kick(struct hsess *s);
static void	sess_idle_arm(struct hsess *s);
static void	sess_free(struct hsess *s);
static void	sess_lost(struct hsess *s, const char *why);
static void	req_assign(struct gw_bereq *r);
static void	req_fail(struct gw_bereq *r, enum gw_be_err kind);
static void	up_maybe_free(struct hup *up);

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
tv_ms(struct timeval *tv, uint64_t ms)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

const char *
gw_htx_up_state_name(enum gw_htx_up_state s)
{
	switch (s) {
	case GW_HTX_UP_HEALTHY:		return "healthy";
	case GW_HTX_UP_EJECTED:		return "ejected";
	case GW_HTX_UP_DRAINING:	return "draining";
	}
	return "unknown";
}

void
gw_htx_opts_default(struct gw_htx_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_streams = 64;
	o->max_sessions = 8;
	o->connect_timeout_ms = 5000;
	o->idle_timeout_ms = 60000;
	o->ping_interval_ms = 5000;
	o->response_timeout_ms = 30000;
	o->eject_base_ms = 500;
	o->eject_cap_ms = 30000;
	o->max_pending = 256 * 1024;
	o->spool_mem = 1024 * 1024;
	o->max_response = (uint64_t)4 << 30;
}

/* ---- requests: towards the front ------------------------------------ */

static void
req_schedule(struct gw_bereq *r)
{
	event_active(r->ev, EV_TIMEOUT, 1);
}

/* Unbind r from its session (and stop its stream if still open). */
static void
req_detach(struct gw_bereq *r)
{
	struct hsess *s = r->sess;

	if (s == NULL)
		return;
	if (r->have_sid && !bn_htx_session_is_closed(s->s) &&
	    (!r->got_fin || !r->sent_all))
		(void)bn_htx_session_reset_stream(s->s, r->sid);
	TAILQ_REMOVE(&s->reqs, r, link);
	s->nreq--;
	if (s->nreq == 0) {
		s->idle_since = now_ms();
		sess_idle_arm(s);
	}
	r->sess = NULL;
	r->have_sid = 0;
	sess_kick(s);
}

static void
req_unup(struct gw_bereq *r)
{
	struct hup *up = r->up;

	if (up == NULL)
		return;
	up->inflight--;
	r->up = NULL;
	up_maybe_free(up);
}

static void
req_destroy(struct gw_bereq *r)
{
	req_detach(r);
	req_unup(r);
	r->be->inflight--;
	gw_barstream_free(&r->bs);
	if (r->spool_fd != -1)
		close(r->spool_fd);
	evbuffer_free(r->spool);
	evbuffer_free(r->body);
	event_free(r->ev);
	event_free(r->timer);
	free(r->tail);
	free(r->target);
	free(r);
}

/* After a callback: nonzero when the front cancelled r inside it. */
static int
req_after_cb(struct gw_bereq *r)
{
	r->busy = 0;
	if (r->cancelled) {
		req_destroy(r);
		return 1;
	}
	return 0;
}

static void
req_fail(struct gw_bereq *r, enum gw_be_err kind)
{
	if (r->err_pending)
		return;
	req_detach(r);
	r->err_pending = 1;
	r->err = kind;
	req_schedule(r);
}

static int
spool_read(struct gw_bereq *r, size_t *n)
{
	uint64_t left = r->file_len - r->file_off;
	size_t want = left < HB_PIECE ? (size_t)left : HB_PIECE;
	ssize_t got;

	do
		got = pread(r->spool_fd, r->be->scratch, want,
		    (off_t)r->file_off);
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return BN_ERR_SYSTEM;
	*n = (size_t)got;
	return BN_OK;
}

/* The whole answer is here: head, then the spooled body, paced. */
static void
req_emit(struct gw_bereq *r)
{
	struct gw_hdr h[BN_BAR_MAX_HEADERS];
	const struct bn_bar_response *br = &r->bs.resp;
	struct evbuffer_iovec v;
	size_t i, n, budget = HB_PER_STEP;
	int status = 200;
	int64_t clen = (int64_t)r->spooled;

	if (!r->head_sent) {
		n = 0;
		if (!r->compat) {
			status = (int)br->status;
			for (i = 0; i < br->nhdr; i++) {
				h[n].name = (const char *)br->hdr[i].name;
				h[n].name_len = br->hdr[i].namelen;
				h[n].value = (const char *)br->hdr[i].value;
				h[n].value_len = br->hdr[i].valuelen;
				n++;
			}
		}
		r->head_sent = 1;
		r->busy = 1;
		r->cb.on_head(r->arg, status, h, n, clen);
		if (req_after_cb(r))
			return;
	}
	while (!r->paused && budget > 0) {
		if (evbuffer_get_length(r->spool) > 0) {
			if (evbuffer_peek(r->spool, HB_PIECE, NULL, &v, 1) < 1)
				break;
			n = v.iov_len < HB_PIECE ? v.iov_len : HB_PIECE;
			r->busy = 1;
			r->cb.on_body(r->arg, v.iov_base, n);
			if (req_after_cb(r))
				return;
			evbuffer_drain(r->spool, n);
		} else if (r->file_off < r->file_len) {
			if (spool_read(r, &n) != BN_OK) {
				bn_log_event(BN_LOG_ERROR, "spool_read_failed",
				    "errno=%d", errno);
				r->busy = 1;
				r->cb.on_error(r->arg, GW_BE_ERR_INTERNAL);
				r->cancelled = 1;
				(void)req_after_cb(r);
				return;
			}
			r->file_off += n;
			r->busy = 1;
			r->cb.on_body(r->arg, r->be->scratch, n);
			if (req_after_cb(r))
				return;
		} else {
			r->busy = 1;
			r->cb.on_end(r->arg);
			r->cancelled = 1;
			(void)req_after_cb(r);
			return;
		}
		budget -= budget < n ? budget : n;
	}
	if (!r->paused)
		req_schedule(r);
}

static void
req_work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_bereq *r = arg;

	if (r->err_pending) {
		r->busy = 1;
		r->cb.on_error(r->arg, r->err);
		r->cancelled = 1;
		(void)req_after_cb(r);
		return;
	}
	if (r->notify_writable) {
		r->notify_writable = 0;
		r->busy = 1;
		r->cb.on_writable(r->arg);
		if (req_after_cb(r))
			return;
	}
	if (r->resp_done)
		req_emit(r);
}

static void
req_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_bereq *r = arg;

	if (r->resp_done || r->err_pending)
		return;
	bn_log_event(BN_LOG_WARN, "upstream_timeout", "upstream=%s method=%s",
	    r->up != NULL ? r->up->name : "-", r->method);
	req_fail(r, GW_BE_ERR_TIMEOUT);
}

static void
req_arm_timer(struct gw_bereq *r)
{
	struct timeval tv;

	if (r->be->o.response_timeout_ms == 0 || r->resp_done)
		return;
	tv_ms(&tv, r->be->o.response_timeout_ms);
	evtimer_add(r->timer, &tv);
}

/* ---- requests: the response side ------------------------------------ */

static int
spool_open(struct gw_bereq *r)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/htx-gw-spool-XXXXXX",
	    r->be->spool_dir);
	if ((fd = mkstemp(path)) == -1)
		return BN_ERR_SYSTEM;
	(void)unlink(path);
	r->spool_fd = fd;
	return BN_OK;
}

static int
spool_add(struct gw_bereq *r, const uint8_t *p, size_t n)
{
	size_t mem = evbuffer_get_length(r->spool), take = 0;
	ssize_t w;

	if (n > r->be->o.max_response - r->spooled)
		return BN_ERR_TOO_LARGE;
	r->spooled += n;
	if (r->spool_fd == -1 && mem < r->be->o.spool_mem) {
		take = r->be->o.spool_mem - mem;
		take = take < n ? take : n;
		if (evbuffer_add(r->spool, p, take) != 0)
			return BN_ERR_ALLOC;
		p += take;
		n -= take;
	}
	if (n == 0)
		return BN_OK;
	if (r->spool_fd == -1 && spool_open(r) != BN_OK)
		return BN_ERR_SYSTEM;
	while (n > 0) {
		w = pwrite(r->spool_fd, p, n, (off_t)r->file_len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return BN_ERR_SYSTEM;
		r->file_len += (uint64_t)w;
		p += w;
		n -= (size_t)w;
	}
	return BN_OK;
}

static void
req_complete(struct gw_bereq *r)
{
	r->resp_done = 1;
	evtimer_del(r->timer);
	req_schedule(r);
}

/* Stream bytes of r's answer. */
static void
req_on_data(struct gw_bereq *r, const uint8_t *p, size_t len, int fin)
{
	const uint8_t *b;
	size_t used, blen;
	int rc;

	r->resp_bytes += len;
	if (r->resp_done) {
		if (len > 0)
			goto bad;	/* bytes after the whole message */
		goto out;
	}
	req_arm_timer(r);
	if (r->compat) {
		if (spool_add(r, p, len) != BN_OK)
			goto bad;
		if (fin)
			req_complete(r);
		goto out;
	}
	do {
		rc = gw_barstream_feed(&r->bs, p, len, &used, &b, &blen);
		p += used;
		len -= used;
		if (rc == GW_BS_BODY && spool_add(r, b, blen) != BN_OK)
			goto bad;
		if (rc == GW_BS_DONE)
			req_complete(r);
		if (rc < 0)
			goto bad;
	} while (rc == GW_BS_BODY);
	if (fin && !r->resp_done)
		goto bad;
 out:
	if (fin) {
		r->got_fin = 1;
		if (r->sent_all || r->resp_done)
			req_detach(r);
	}
	return;
 bad:
	bn_log_event(BN_LOG_WARN, "upstream_bad_response", "upstream=%s "
	    "bytes=%llu", r->up != NULL ? r->up->name : "-",
	    (unsigned long long)r->resp_bytes);
	r->got_fin = 1;
	req_fail(r, GW_BE_ERR_UPSTREAM);
}

/* ---- requests: the request side ------------------------------------- */

static void
build_pre(struct gw_bereq *r, uint64_t blen)
{
	struct bn_buf b;

	bn_buf_fixed(&b, r->pre, sizeof(r->pre));
	(void)bn_cbor_put_map(&b, 4);
	(void)bn_cbor_put_cstr(&b, "b");
	/* Head of a byte string of blen bytes: encode an empty one, fix. */
	if (blen < 24)
		(void)bn_buf_put_u8(&b, (uint8_t)(0x40 | blen));
	else if (blen <= 0xff) {
		(void)bn_buf_put_u8(&b, 0x58);
		(void)bn_buf_put_u8(&b, (uint8_t)blen);
	} else if (blen <= 0xffff) {
		(void)bn_buf_put_u8(&b, 0x59);
		(void)bn_buf_put_u16(&b, (uint16_t)blen);
	} else if (blen <= 0xffffffffULL) {
		(void)bn_buf_put_u8(&b, 0x5a);
		(void)bn_buf_put_u32(&b, (uint32_t)blen);
	} else {
		(void)bn_buf_put_u8(&b, 0x5b);
		(void)bn_buf_put_u64(&b, blen);
	}
	r->pre_len = bn_buf_len(&b);
	r->pre_off = 0;
}

/* Write what we can of [p, p+n) on r's stream; 1 when all went. */
static int
stream_write(struct gw_bereq *r, const uint8_t *p, size_t n, int fin,
    size_t *acc)
{
	int rc;

	*acc = 0;
	rc = bn_htx_session_write(r->sess->s, r->sid, p, n, fin, acc);
	if (rc != BN_OK && rc != BN_ERR_BLOCKED)
		return -1;
	return *acc == n;
}

static void
req_pump_compat(struct gw_bereq *r)
{
	struct hsess *s = r->sess;
	uint8_t *msg;
	size_t blen = evbuffer_get_length(r->body), mlen;
	int rc;

	if (!r->ended || r->sent_all)
		return;
	if (!r->have_sid) {
		if (bn_htx_session_open_stream(s->s, &r->sid) != BN_OK)
			return;
		r->have_sid = 1;
		r->up->requests++;
	}
	mlen = strlen(r->method) + 1 + r->target_len +
	    (blen > 0 ? 2 + blen : 0);
	if (mlen > HB_COMPAT_MAX || (msg = malloc(mlen)) == NULL) {
		req_fail(r, GW_BE_ERR_UPSTREAM);
		return;
	}
	snprintf((char *)msg, mlen, "%s ", r->method);
	memcpy(msg + strlen(r->method) + 1, r->target, r->target_len);
	if (blen > 0) {
		memcpy(msg + mlen - blen - 2, "\n\n", 2);
		(void)evbuffer_copyout(r->body, msg + mlen - blen, blen);
	}
	rc = bn_htx_session_send_message(s->s, r->sid, msg, mlen);
	free(msg);
	if (rc == BN_ERR_BLOCKED)
		return;
	if (rc != BN_OK) {
		req_fail(r, GW_BE_ERR_UPSTREAM);
		return;
	}
	r->body_written = blen;
	r->sent_all = 1;
	req_arm_timer(r);
}

/* Move r's request bytes into its stream as far as credit allows. */
static void
req_pump(struct gw_bereq *r)
{
	struct hsess *s = r->sess;
	struct evbuffer_iovec v;
	size_t acc;
	int rc;

	if (s == NULL || !s->ready || s->closed || r->sent_all ||
	    r->err_pending)
		return;
	if (s->compat) {
		req_pump_compat(r);
		return;
	}
	if (!r->have_sid) {
		if (bn_htx_session_open_stream(s->s, &r->sid) != BN_OK)
			return;		/* at max_streams: wait */
		r->have_sid = 1;
		r->up->requests++;
	}
	if (r->pre_len == 0) {
		if (r->clen >= 0)
			build_pre(r, (uint64_t)r->clen);
		else if (r->ended)
			build_pre(r, evbuffer_get_length(r->body));
		else
			return;
	}
	if (r->pre_off < r->pre_len) {
		rc = stream_write(r, r->pre + r->pre_off,
		    r->pre_len - r->pre_off, 0, &acc);
		r->pre_off += acc;
		if (rc != 1)
			goto blocked;
	}
	while (evbuffer_get_length(r->body) > 0) {
		if (evbuffer_peek(r->body, -1, NULL, &v, 1) < 1)
			break;
		rc = stream_write(r, v.iov_base, v.iov_len, 0, &acc);
		evbuffer_drain(r->body, acc);
		r->body_written += acc;
		if (rc != 1)
			goto blocked;
	}
	if (r->want_writable &&
	    evbuffer_get_length(r->body) < r->be->o.max_pending / 2) {
		r->want_writable = 0;
		r->notify_writable = 1;
		req_schedule(r);
	}
	if (!r->ended)
		return;
	rc = stream_write(r, r->tail + r->tail_off, r->tail_len - r->tail_off,
	    1, &acc);
	r->tail_off += acc;
	if (rc == 1) {
		r->sent_all = 1;
		req_arm_timer(r);
		if (r->got_fin)
			req_detach(r);
	} else if (rc < 0)
		req_fail(r, GW_BE_ERR_UPSTREAM);
	return;
 blocked:
	if (rc < 0)
		req_fail(r, GW_BE_ERR_UPSTREAM);
}

/* ---- sessions -------------------------------------------------------- */

static struct gw_bereq *
sess_find(struct hsess *s, uint32_t sid)
{
	struct gw_bereq *r;

	TAILQ_FOREACH(r, &s->reqs, link)
		if (r->have_sid && r->sid == sid)
			return r;
	return NULL;
}

static void
up_ok(struct hup *up)
{
	if (up->state == GW_HTX_UP_EJECTED) {
		up->state = GW_HTX_UP_HEALTHY;
		bn_log_event(BN_LOG_INFO, "upstream_healthy", "upstream=%s",
		    up->name);
	}
	bn_backoff_reset(&up->bo);
}

static void
up_fail(struct hup *up, const char *why)
{
	struct timeval tv;
	uint32_t ms;

	up->failures++;
	if (up->state == GW_HTX_UP_EJECTED && evtimer_pending(up->probe_ev,
	    NULL))
		return;		/* already waiting to re-probe */
	ms = bn_backoff_next_ms(&up->bo);
	if (up->state != GW_HTX_UP_DRAINING)
		up->state = GW_HTX_UP_EJECTED;
	bn_log_event(BN_LOG_WARN, "upstream_ejected", "upstream=%s why=%s "
	    "failures=%llu retry_ms=%u", up->name, why,
	    (unsigned long long)up->failures, ms);
	tv_ms(&tv, ms);
	evtimer_add(up->probe_ev, &tv);
}

static void
sess_dispatch(struct bn_htx_conn *hc, const struct bn_htx_event *ev,
    void *arg)
{
	struct hsess *s = arg;
	struct gw_bereq *r;

	switch (ev->type) {
	case BN_HTX_EV_HANDSHAKE_DONE:
		s->ready = s->was_ready = 1;
		s->compat = ev->profile != BN_HTX_PROFILE_NATIVE;
		if (s->compat)
			bn_log_event(BN_LOG_WARN, "upstream_compat",
			    "upstream=%s note=\"weak compat profile\"",
			    s->up->name);
		up_ok(s->up);
		if (s->nreq == 0)
			sess_idle_arm(s);
		break;
	case BN_HTX_EV_STREAM_DATA:
	case BN_HTX_EV_MESSAGE:
		if ((r = sess_find(s, ev->stream_id)) != NULL)
			req_on_data(r, ev->data, ev->len,
			    ev->type == BN_HTX_EV_MESSAGE ? 1 : ev->fin);
		break;
	case BN_HTX_EV_STREAM_RESET:
		if ((r = sess_find(s, ev->stream_id)) != NULL &&
		    !r->resp_done) {
			r->got_fin = 1;
			req_fail(r, GW_BE_ERR_UPSTREAM);
		}
		break;
	case BN_HTX_EV_PING_RTT:
		s->up->rtt_ms = s->up->rtt_ms < 0 ? (int64_t)ev->rtt_ms :
		    (s->up->rtt_ms * 3 + (int64_t)ev->rtt_ms) / 4;
		break;
	case BN_HTX_EV_CLOSED:
		s->closed = 1;
		/* Requests move on as soon as the CLOSE is out. */
		bn_htx_conn_skip_drain(hc);
		if (!s->closing)
			bn_log_event(ev->by_peer ? BN_LOG_INFO : BN_LOG_WARN,
			    "upstream_session_closed", "upstream=%s code=%u "
			    "by_peer=%d err=%d", s->up->name, ev->code,
			    ev->by_peer, ev->err);
		break;
	default:
		break;
	}
}

/* Graceful end of an unused session: CLOSE, flush, then free. */
static void
sess_close(struct hsess *s, const char *why)
{
	if (s->closing || s->closed)
		return;
	s->closing = 1;
	s->ready = 0;
	evtimer_del(s->idle_ev);
	bn_htx_conn_skip_drain(s->hc);
	bn_htx_conn_close(s->hc, BN_HTX_CLOSE_OK, why);
}

/* Once per pass: request bytes into their streams; drain and idle. */
static void
sess_pump(struct bn_htx_conn *hc, void *arg)
{
	struct hsess *s = arg;
	struct gw_bereq *r, *rn;
	uint64_t idle = s->up->be->o.idle_timeout_ms;

	if (s->ready && !s->closed)
		TAILQ_FOREACH_SAFE(r, &s->reqs, link, rn)
			req_pump(r);
	if (!s->closed && s->nreq == 0 && (s->up->state ==
	    GW_HTX_UP_DRAINING || (s->ready && idle > 0 &&
	    now_ms() >= s->idle_since + idle)))
		sess_close(s, s->up->state == GW_HTX_UP_DRAINING ? "drain" :
		    "idle");
}

static void
sess_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hsess *s = arg;

	if (s->ready && s->nreq == 0)
		sess_close(s, "idle");
}

/* Ready with no request: close idle_timeout_ms after idle_since. */
static void
sess_idle_arm(struct hsess *s)
{
	uint64_t ms = s->up->be->o.idle_timeout_ms, at, now;
	struct timeval tv;

	if (!s->ready || ms == 0)
		return;
	at = s->idle_since + ms;
	now = now_ms();
	tv_ms(&tv, at > now ? at - now : 0);
	evtimer_add(s->idle_ev, &tv);
}

static void
sess_kick(struct hsess *s)
{
	bn_htx_conn_kick(s->hc);
}

static void
sess_free(struct hsess *s)
{
	struct hup *up = s->up;

	TAILQ_REMOVE(&up->sessions, s, link);
	up->nsess--;
	bn_htx_conn_free(s->hc);	/* deferred inside its callback */
	event_free(s->idle_ev);
	free(s);
	up_maybe_free(up);
}

/*
 * The session is gone (socket, CLOSE, timeout).  Requests that sent
 * nothing the upstream could have acted on go elsewhere; idempotent
 * ones that got no answer and sent no body byte too, once; the rest
 * fail with 502.
 */
static void
sess_lost(struct hsess *s, const char *why)
{
	struct hup *up = s->up;
	struct gw_bereq *r;
	int untouched;

	if (!s->was_ready && !s->closing)
		up_fail(up, why);
	else if (!s->closing)
		up->failures++;
	s->closing = 1;
	while ((r = TAILQ_FIRST(&s->reqs)) != NULL) {
		untouched = !r->have_sid || r->pre_off == 0;
		TAILQ_REMOVE(&s->reqs, r, link);
		s->nreq--;
		r->sess = NULL;
		r->have_sid = 0;
		if (r->resp_done || r->err_pending)
			continue;
		if (r->resp_bytes == 0 && r->attempts < HB_MAX_ATTEMPTS &&
		    (untouched || (r->idempotent && r->body_written == 0 &&
		    r->attempts < 2))) {
			r->avoid = up;
			r->pre_off = r->tail_off = 0;
			r->sent_all = 0;
			req_unup(r);
			req_assign(r);
		} else
			req_fail(r, GW_BE_ERR_UPSTREAM);
	}
	sess_free(s);
}

/* The conn's last word: our CLOSE went out, or the session is lost. */
static void
sess_on_close(struct bn_htx_conn *hc, const struct bn_htx_conn_close *why,
    void *arg)
{
	struct hsess *s = arg;
	const char *r;

	if (s->closing && why->how == BN_HTX_CONN_END_CLOSED) {
		sess_free(s);
		return;
	}
	if (why->how == BN_HTX_CONN_END_CLOSED)
		r = "closed";
	else if (s->was_ready)
		r = "eof";
	else if (why->how == BN_HTX_CONN_END_CONNECT_TIMEOUT)
		r = "connect_timeout";
	else if (why->how == BN_HTX_CONN_END_EOF)
		r = "eof_in_handshake";
	else
		r = "connect_failed";
	sess_lost(s, r);
}

static struct hsess *
sess_new(struct hup *up)
{
	struct hb *be = up->be;
	struct bn_htx_config hc;
	struct bn_htx_conn_opts o;
	struct hsess *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	TAILQ_INIT(&s->reqs);
	s->up = up;
	s->idle_since = now_ms();
	if ((s->idle_ev = evtimer_new(be->eb, sess_idle_cb, s)) == NULL) {
		free(s);
		return NULL;
	}
	bn_htx_config_default(&hc);
	hc.role = BN_HTX_CLIENT;
	memcpy(hc.static_priv, be->o.static_priv, BN_KEY_LEN);
	memcpy(hc.server_pub, up->cfg.pub, BN_KEY_LEN);
	hc.offer_native = 1;
	hc.allow_compat = up->cfg.compat;
	hc.deliver_chunks = 1;
	hc.manual_credit = 0;
	hc.max_streams = up->cfg.compat ? 1 : be->o.max_streams;
	hc.handshake_timeout_ms = be->o.connect_timeout_ms;
	hc.ping_interval_ms = be->o.ping_interval_ms;
	memset(&o, 0, sizeof(o));
	o.cfg = &hc;
	o.on_event = sess_dispatch;
	o.on_pump = sess_pump;
	o.on_close = sess_on_close;
	o.arg = s;
	o.out_high = HB_OUT_HIGH;
	o.out_low = HB_OUT_HIGH / 2;
	o.in_high = HB_IN_HIGH;
	o.connect_timeout_ms = be->o.connect_timeout_ms;
	/* A connect refused at once is reported from the loop. */
	s->hc = bn_htx_conn_connect(be->eb, (struct sockaddr *)&up->ss,
	    up->sslen, &o);
	bn_cleanse(hc.static_priv, sizeof(hc.static_priv));
	if (s->hc == NULL) {
		event_free(s->idle_ev);
		free(s);
		return NULL;
	}
	s->s = bn_htx_conn_session(s->hc);
	TAILQ_INSERT_TAIL(&up->sessions, s, link);
	up->nsess++;
	return s;
}

/* ---- upstreams -------------------------------------------------------- */

static void
up_free(struct hup *up)
{
	TAILQ_REMOVE(&up->be->ups, up, link);
	event_free(up->probe_ev);
	free(up);
}

static void
up_maybe_free(struct hup *up)
{
	if (up->removed && up->nsess == 0 && up->inflight == 0)
		up_free(up);
}

static void
up_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hup *up = arg;

	if (up->removed)
		return;
	/* A session of its own; it joins the pool if it comes up. */
	if (sess_new(up) == NULL)
		up_fail(up, "alloc");
}

static struct hup *
up_new(struct hb *be, const struct gw_htx_upstream *c)
{
	struct hup *up;
	char port[8];
	struct evutil_addrinfo hints, *ai = NULL;

	if ((up = calloc(1, sizeof(*up))) == NULL)
		return NULL;
	up->be = be;
	up->cfg = *c;
	up->rtt_ms = -1;
	TAILQ_INIT(&up->sessions);
	snprintf(up->name, sizeof(up->name), strchr(c->host, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", c->host, (unsigned)c->port);
	snprintf(port, sizeof(port), "%u", (unsigned)c->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	if (evutil_getaddrinfo(c->host, port, &hints, &ai) != 0 ||
	    ai == NULL || ai->ai_addrlen > sizeof(up->ss)) {
		bn_log_event(BN_LOG_ERROR, "upstream_resolve_failed",
		    "upstream=%s", up->name);
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		free(up);
		return NULL;
	}
	memcpy(&up->ss, ai->ai_addr, ai->ai_addrlen);
	up->sslen = (int)ai->ai_addrlen;
	evutil_freeaddrinfo(ai);
	bn_backoff_init(&up->bo, be->o.eject_base_ms, be->o.eject_cap_ms);
	if ((up->probe_ev = evtimer_new(be->eb, up_probe_cb, up)) == NULL) {
		free(up);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&be->ups, up, link);
	return up;
}

/* Healthiest: lowest RTT, then fewest in flight; avoid if possible. */
static struct hup *
up_pick(struct hb *be, const struct hup *avoid)
{
	struct hup *up, *best = NULL;
	int64_t rtt, brtt = 0;
	int pass;

	for (pass = 0; pass < 2 && best == NULL; pass++)
		TAILQ_FOREACH(up, &be->ups, link) {
			if (up->state != GW_HTX_UP_HEALTHY || up->removed ||
			    (pass == 0 && up == avoid))
				continue;
			rtt = up->rtt_ms < 0 ? 0 : up->rtt_ms;
			if (best == NULL || rtt < brtt || (rtt == brtt &&
			    up->inflight < best->inflight)) {
				best = up;
				brtt = rtt;
			}
		}
	return best;
}

/* A session of up with a free stream, or a new one, or the least busy. */
static struct hsess *
up_session(struct hup *up)
{
	struct hsess *s, *least = NULL;
	uint32_t max = up->cfg.compat ? 1 : up->be->o.max_streams;

	TAILQ_FOREACH(s, &up->sessions, link) {
		if (s->closed || s->closing)
			continue;
		if (s->nreq < max)
			return s;
		if (least == NULL || s->nreq < least->nreq)
			least = s;
	}
	if (up->nsess < up->be->o.max_sessions || least == NULL)
		return sess_new(up);
	return least;
}

static void
req_assign(struct gw_bereq *r)
{
	struct hup *up;
	struct hsess *s;

	r->attempts++;
	if (r->attempts > HB_MAX_ATTEMPTS ||
	    (up = up_pick(r->be, r->avoid)) == NULL) {
		req_fail(r, GW_BE_ERR_NO_UPSTREAM);
		return;
	}
	if ((s = up_session(up)) == NULL) {
		req_fail(r, GW_BE_ERR_INTERNAL);
		return;
	}
	r->up = up;
	up->inflight++;
	r->sess = s;
	r->compat = up->cfg.compat;
	TAILQ_INSERT_TAIL(&s->reqs, r, link);
	s->nreq++;
	evtimer_del(s->idle_ev);
	sess_kick(s);
}

/* ---- ops ------------------------------------------------------------- */

/* Lower-case names, duplicates joined (", "; "; " for cookie). */
/* Lower-case copy of an HTTP header name (BAR names are lower case). */
static void
lower_copy(uint8_t *dst, const char *src, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		dst[k] = (uint8_t)(src[k] >= 'A' && src[k] <= 'Z' ?
		    src[k] + 32 : src[k]);
}

/* The slot of h's name among hdr[0..nh) (case-insensitive), or nh. */
static size_t
hdr_slot(const struct bn_bar_header *hdr, size_t nh, const struct gw_hdr *h)
{
	size_t j, k;

	for (j = 0; j < nh; j++) {
		if (hdr[j].namelen != h->name_len)
			continue;
		for (k = 0; k < h->name_len; k++)
			if (hdr[j].name[k] != (uint8_t)(h->name[k] >= 'A' &&
			    h->name[k] <= 'Z' ? h->name[k] + 32 : h->name[k]))
				break;
		if (k == h->name_len)
			return j;
	}
	return nh;
}

/* BAR carries a value with bytes >= 0x80 as a byte string. */
static int
value_is_bytes(const struct gw_hdr *h)
{
	size_t k;

	for (k = 0; k < h->value_len; k++)
		if ((unsigned char)h->value[k] >= 0x80)
			return 1;
	return 0;
}

static int
encode_tail(struct gw_bereq *r, const struct gw_fwd_req *req)
{
	struct bn_bar_header hdr[BN_BAR_MAX_HEADERS];
	size_t cap[BN_BAR_MAX_HEADERS];
	uint8_t started[BN_BAR_MAX_HEADERS];
	struct bn_bar_request br;
	struct bn_buf *out = NULL;
	uint8_t *names = NULL, *vals = NULL, *vp;
	size_t i, j, nh = 0, total = 0, noff = 0, voff;
	int rc = BN_ERR_ALLOC;

	for (i = 0; i < req->nhdrs; i++)
		total += req->hdrs[i].name_len + req->hdrs[i].value_len + 2;
	if ((names = malloc(total + 1)) == NULL ||
	    (vals = malloc(total + 1)) == NULL)
		goto out;
	/*
	 * Pass 1: one BAR header per distinct (lower-cased) name, and the
	 * room its joined value needs.  Pass 2 fills each name's slice in
	 * order, so the joined values never take more than `total` bytes
	 * however often a name repeats.
	 */
	for (i = 0; i < req->nhdrs; i++) {
		const struct gw_hdr *h = &req->hdrs[i];

		if ((j = hdr_slot(hdr, nh, h)) < nh) {
			cap[j] += 2 + h->value_len;
			hdr[j].value_is_bytes |= value_is_bytes(h);
			continue;
		}
		if (nh == BN_BAR_MAX_HEADERS) {
			rc = BN_ERR_LIMIT;
			goto out;
		}
		lower_copy(names + noff, h->name, h->name_len);
		hdr[nh].name = names + noff;
		hdr[nh].namelen = h->name_len;
		hdr[nh].valuelen = 0;
		hdr[nh].value_is_bytes = value_is_bytes(h);
		cap[nh] = h->value_len;
		noff += h->name_len;
		nh++;
	}
	for (j = 0, voff = 0; j < nh; j++) {
		hdr[j].value = vals + voff;
		voff += cap[j];
		started[j] = 0;
	}
	for (i = 0; i < req->nhdrs; i++) {
		const struct gw_hdr *h = &req->hdrs[i];

		j = hdr_slot(hdr, nh, h);
		vp = (uint8_t *)hdr[j].value + hdr[j].valuelen;
		if (started[j]) {
			memcpy(vp, hdr[j].namelen == 6 && memcmp(hdr[j].name,
			    "cookie", 6) == 0 ? "; " : ", ", 2);
			vp += 2;
			hdr[j].valuelen += 2;
		}
		memcpy(vp, h->value, h->value_len);
		hdr[j].valuelen += h->value_len;
		started[j] = 1;
	}
	bn_bar_request_init(&br, hdr, BN_BAR_MAX_HEADERS);
	br.nhdr = nh;
	br.method = bn_bar_method_from((const uint8_t *)req->method,
	    strlen(req->method));
	br.mtext = (const uint8_t *)req->method;
	br.mlen = strlen(req->method);
	br.url = (const uint8_t *)req->target;
	br.urllen = req->target_len;
	if ((out = bn_buf_new(total + req->target_len + 256)) == NULL)
		goto out;
	if ((rc = bn_bar_request_encode(&br, out)) != BN_OK)
		goto out;
	/* map(4) "b" h'' comes first; we send our own head instead. */
	if (bn_buf_len(out) < 4 || memcmp(bn_buf_ptr(out),
	    "\xa4\x61\x62\x40", 4) != 0) {
		rc = BN_ERR_INTERNAL;
		goto out;
	}
	r->tail_len = bn_buf_len(out) - 4;
	if ((r->tail = malloc(r->tail_len)) == NULL) {
		rc = BN_ERR_ALLOC;
		goto out;
	}
	memcpy(r->tail, bn_buf_ptr(out) + 4, r->tail_len);
	rc = BN_OK;
 out:
	bn_buf_free(out);
	free(names);
	free(vals);
	return rc;
}

static struct gw_bereq *
htx_start(struct gw_backend *gb, const struct gw_fwd_req *req,
    const struct gw_bereq_cb *cb, void *arg)
{
	struct hb *be = (struct hb *)gb;
	struct gw_bereq *r;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->be = be;
	r->cb = *cb;
	r->arg = arg;
	r->spool_fd = -1;
	r->clen = req->content_length;
	r->idempotent = req->idempotent;
	snprintf(r->method, sizeof(r->method), "%s", req->method);
	(void)gw_barstream_init(&r->bs, 0);
	r->body = evbuffer_new();
	r->spool = evbuffer_new();
	r->ev = event_new(be->eb, -1, 0, req_work_cb, r);
	r->timer = evtimer_new(be->eb, req_timer_cb, r);
	r->target = malloc(req->target_len + 1);
	be->inflight++;
	if (r->body == NULL || r->spool == NULL || r->ev == NULL ||
	    r->timer == NULL || r->target == NULL) {
		req_destroy(r);
		return NULL;
	}
	memcpy(r->target, req->target, req->target_len);
	r->target[req->target_len] = '\0';
	r->target_len = req->target_len;
	if ((rc = encode_tail(r, req)) != BN_OK) {
		bn_log_event(BN_LOG_INFO, "request_not_encodable",
		    "conn=%llu err=%d", (unsigned long long)req->conn_id, rc);
		req_destroy(r);
		return NULL;
	}
	req_assign(r);
	return r;
}

static int
htx_body(struct gw_bereq *r, const uint8_t *p, size_t n)
{
	if (r->err_pending || r->resp_done || r->got_fin)
		return BN_OK;	/* answered already: discard */
	if (r->clen >= 0 && n > (uint64_t)r->clen - r->body_in)
		return BN_ERR_INVALID_ARG;
	if (evbuffer_add(r->body, p, n) != 0)
		return BN_ERR_ALLOC;
	r->body_in += n;
	if (r->sess != NULL)
		sess_kick(r->sess);
	if (r->clen >= 0 && !r->compat &&
	    evbuffer_get_length(r->body) >= r->be->o.max_pending) {
		r->want_writable = 1;
		return GW_BE_FULL;
	}
	return BN_OK;
}

static int
htx_end(struct gw_bereq *r)
{
	if (r->clen >= 0 && r->body_in != (uint64_t)r->clen)
		return BN_ERR_INVALID_ARG;
	r->ended = 1;
	if (r->sess != NULL)
		sess_kick(r->sess);
	req_arm_timer(r);
	return BN_OK;
}

static void
htx_pause(struct gw_bereq *r, int paused)
{
	r->paused = paused;
	if (!paused && r->resp_done)
		req_schedule(r);
}

static void
htx_cancel(struct gw_bereq *r)
{
	if (r->busy) {
		r->cancelled = 1;
		return;
	}
	req_destroy(r);
}

static size_t
htx_inflight(const struct gw_backend *gb)
{
	return ((const struct hb *)gb)->inflight;
}

static void
htx_free(struct gw_backend *gb)
{
	struct hb *be = (struct hb *)gb;
	struct hup *up;
	struct hsess *s;
	struct gw_bereq *r;

	if (be == NULL)
		return;
	while ((up = TAILQ_FIRST(&be->ups)) != NULL) {
		up->removed = 1;
		up->inflight++;		/* keep up alive while emptying */
		while ((s = TAILQ_FIRST(&up->sessions)) != NULL) {
			while ((r = TAILQ_FIRST(&s->reqs)) != NULL) {
				TAILQ_REMOVE(&s->reqs, r, link);
				r->sess = NULL;
			}
			sess_free(s);
		}
		up_free(up);
	}
	bn_cleanse(be->o.static_priv, sizeof(be->o.static_priv));
	free(be);
}

static const struct gw_backend_ops htx_ops = {
	.name = "htx",
	.start = htx_start,
	.body = htx_body,
	.end = htx_end,
	.pause = htx_pause,
	.cancel = htx_cancel,
	.inflight = htx_inflight,
	.free = htx_free,
};

/* ---- public ---------------------------------------------------------- */

static int
up_same(const struct hup *up, const struct gw_htx_upstream *c)
{
	return strcmp(up->cfg.host, c->host) == 0 &&
	    up->cfg.port == c->port && up->cfg.compat == c->compat &&
	    bn_ct_eq(up->cfg.pub, c->pub, BN_KEY_LEN);
}

int
gw_backend_htx_set_upstreams(struct gw_backend *gb,
    const struct gw_htx_upstream *ups, size_t nups)
{
	struct hb *be = (struct hb *)gb;
	struct hup *up, *next;
	struct hsess *s, *sn;
	size_t i;
	int keep;

	TAILQ_FOREACH_SAFE(up, &be->ups, link, next) {
		if (up->removed)
			continue;
		for (keep = 0, i = 0; i < nups && !keep; i++)
			keep = up_same(up, &ups[i]);
		if (keep)
			continue;
		up->removed = 1;
		up->state = GW_HTX_UP_DRAINING;
		evtimer_del(up->probe_ev);
		bn_log_event(BN_LOG_INFO, "upstream_removed", "upstream=%s",
		    up->name);
		TAILQ_FOREACH_SAFE(s, &up->sessions, link, sn)
			sess_kick(s);
		up_maybe_free(up);
	}
	for (i = 0; i < nups; i++) {
		keep = 0;
		TAILQ_FOREACH(up, &be->ups, link)
			if (!up->removed && up_same(up, &ups[i]))
				keep = 1;
		if (keep)
			continue;
		if ((up = up_new(be, &ups[i])) == NULL)
			return BN_ERR_CONFIG;
		bn_log_event(BN_LOG_INFO, "upstream_added", "upstream=%s",
		    up->name);
		event_active(up->probe_ev, EV_TIMEOUT, 1);	/* warm up */
	}
	return BN_OK;
}

int
gw_backend_htx_drain_upstream(struct gw_backend *gb, const char *name)
{
	struct hb *be = (struct hb *)gb;
	struct hup *up;
	struct hsess *s;

	TAILQ_FOREACH(up, &be->ups, link) {
		if (up->removed || strcmp(up->name, name) != 0)
			continue;
		up->state = GW_HTX_UP_DRAINING;
		evtimer_del(up->probe_ev);
		bn_log_event(BN_LOG_INFO, "upstream_draining", "upstream=%s",
		    up->name);
		TAILQ_FOREACH(s, &up->sessions, link)
			sess_kick(s);
		return BN_OK;
	}
	return BN_ERR_NOT_FOUND;
}

void
gw_backend_htx_drain_all(struct gw_backend *gb)
{
	struct hb *be = (struct hb *)gb;
	struct hup *up;

	TAILQ_FOREACH(up, &be->ups, link)
		if (!up->removed)
			(void)gw_backend_htx_drain_upstream(gb, up->name);
}

size_t
gw_backend_htx_status(const struct gw_backend *gb,
    struct gw_htx_up_status *out, size_t max)
{
	const struct hb *be = (const struct hb *)gb;
	const struct hup *up;
	size_t n = 0;

	TAILQ_FOREACH(up, &be->ups, link) {
		if (up->removed)
			continue;
		if (n < max) {
			memset(&out[n], 0, sizeof(out[n]));
			snprintf(out[n].name, sizeof(out[n].name), "%s",
			    up->name);
			out[n].state = up->state;
			out[n].rtt_ms = up->rtt_ms;
			out[n].sessions = up->nsess;
			out[n].inflight = up->inflight;
			out[n].failures = up->failures;
			out[n].requests = up->requests;
		}
		n++;
	}
	return n;
}

struct gw_backend *
gw_backend_htx_new(struct event_base *base, const struct gw_htx_opts *o,
    const struct gw_htx_upstream *ups, size_t nups)
{
	struct hb *be;
	const char *dir;

	if ((be = calloc(1, sizeof(*be))) == NULL)
		return NULL;
	be->base.ops = &htx_ops;
	be->eb = base;
	be->o = *o;
	if (be->o.max_streams == 0)
		be->o.max_streams = 1;
	if (be->o.max_sessions == 0)
		be->o.max_sessions = 1;
	if (be->o.max_pending < 4096)
		be->o.max_pending = 4096;
	dir = o->spool_dir != NULL ? o->spool_dir : getenv("TMPDIR");
	snprintf(be->spool_dir, sizeof(be->spool_dir), "%s",
	    dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	be->o.spool_dir = be->spool_dir;
	TAILQ_INIT(&be->ups);
	if (gw_backend_htx_set_upstreams(&be->base, ups, nups) != BN_OK) {
		htx_free(&be->base);
		return NULL;
	}
	return &be->base;
}
