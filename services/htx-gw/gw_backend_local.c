/*
 * gw_backend_local: the in-process echo app behind `--backend echo`.
 *
 * FOR TESTS AND DEVELOPMENT ONLY: it lets the HTTP front, admission and
 * the integration tests run end to end without HTX or upstreamd.  It
 * answers what it was sent (see gw_backend.h for the text form and the
 * special targets), so a test can check exactly what the gateway
 * forwards: method, target, headers (ticket stripped, X-Forwarded-For
 * added) and body.
 *
 * It honours the gw_backend.h rules like a real backend: every callback
 * is deferred through the event loop, responses stream in 16 KiB pieces
 * and stop while the front has paused it, and a request cancelled from
 * inside a callback is freed only once that callback has returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "betanet/err.h"
#include "gw_backend.h"

#define ECHO_PIECE	(16 * 1024)
#define ECHO_PER_STEP	(256 * 1024)
#define ECHO_DELAY_MAX	60000

enum echo_mode { ECHO_TEXT, ECHO_BYTES, ECHO_FAIL };

struct echo_backend {
	struct gw_backend	 base;
	struct event_base	*eb;
	size_t			 inflight;
};

struct gw_bereq {
	struct echo_backend	*be;
	struct gw_bereq_cb	 cb;
	void			*arg;
	struct evbuffer		*out;	/* response body still to send */
	struct evbuffer		*rbody;	/* request body */
	struct event		*ev;
	enum echo_mode		 mode;
	int			 status;
	enum gw_be_err		 err;
	uint64_t		 remaining;	/* ECHO_BYTES */
	uint64_t		 delay_ms;
	uint64_t		 body_len;
	int			 ended;
	int			 head_sent;
	int			 paused;
	int			 busy;		/* inside a callback */
	int			 cancelled;
};

static void
req_free(struct gw_bereq *r)
{
	r->be->inflight--;
	evbuffer_free(r->out);
	evbuffer_free(r->rbody);
	event_free(r->ev);
	free(r);
}

static void
req_schedule(struct gw_bereq *r, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(r->ev, &tv);
}

/* Returns nonzero when r was cancelled inside the callback (r freed). */
static int
after_cb(struct gw_bereq *r)
{
	r->busy = 0;
	if (r->cancelled) {
		req_free(r);
		return 1;
	}
	return 0;
}

static void
req_step(evutil_socket_t fd, short what, void *arg)
{
	struct gw_bereq *r = arg;
	struct gw_bereq_cb cb = r->cb;
	void *cbarg = r->arg;
	struct gw_hdr h = { "Content-Type", 12, "text/plain", 10 };
	uint8_t piece[ECHO_PIECE];
	size_t n, sent = 0;

	if (r->mode == ECHO_FAIL) {
		enum gw_be_err e = r->err;

		req_free(r);
		cb.on_error(cbarg, e);
		return;
	}
	if (!r->head_sent) {
		r->head_sent = 1;
		r->busy = 1;
		cb.on_head(cbarg, r->status, &h, 1, r->mode == ECHO_BYTES ?
		    -1 : (int64_t)evbuffer_get_length(r->out));
		if (after_cb(r))
			return;
	}
	while (!r->paused && sent < ECHO_PER_STEP) {
		if (r->mode == ECHO_BYTES) {
			n = r->remaining < sizeof(piece) ?
			    (size_t)r->remaining : sizeof(piece);
			memset(piece, 'x', n);
			r->remaining -= n;
		} else
			n = (size_t)evbuffer_remove(r->out, piece,
			    sizeof(piece));
		if (n == 0)
			break;
		r->busy = 1;
		cb.on_body(cbarg, piece, n);
		if (after_cb(r))
			return;
		sent += n;
	}
	if (r->paused)
		return;
	if (r->remaining > 0 || evbuffer_get_length(r->out) > 0) {
		req_schedule(r, 0);
		return;
	}
	req_free(r);
	cb.on_end(cbarg);
}

/* Digits of s[0..n) as a number up to max; -1 if not all digits. */
static int64_t
parse_num(const char *s, size_t n, int64_t max)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 12)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

static void
parse_target(struct gw_bereq *r, const char *t, size_t n)
{
	const char *q = memchr(t, '?', n), *d;
	size_t plen = q != NULL ? (size_t)(q - t) : n, dl;
	int64_t v;

	if (plen > 8 && memcmp(t, "/status/", 8) == 0 &&
	    (v = parse_num(t + 8, plen - 8, 599)) >= 200)
		r->status = (int)v;
	else if (plen > 7 && memcmp(t, "/bytes/", 7) == 0 &&
	    (v = parse_num(t + 7, plen - 7, (int64_t)1 << 40)) >= 0) {
		r->mode = ECHO_BYTES;
		r->remaining = (uint64_t)v;
	} else if (plen == 10 && memcmp(t, "/error/50", 9) == 0 &&
	    (t[9] == '2' || t[9] == '4')) {
		r->mode = ECHO_FAIL;
		r->err = t[9] == '2' ? GW_BE_ERR_NO_UPSTREAM :
		    GW_BE_ERR_TIMEOUT;
	}
	if (q == NULL)
		return;
	for (d = q + 1; d < t + n; d++) {
		if ((d == q + 1 || d[-1] == '&') &&
		    (size_t)(t + n - d) > 6 && memcmp(d, "delay=", 6) == 0) {
			dl = strcspn(d + 6, "&");
			if (dl > (size_t)(t + n - d - 6))
				dl = (size_t)(t + n - d - 6);
			v = parse_num(d + 6, dl, ECHO_DELAY_MAX);
			if (v > 0)
				r->delay_ms = (uint64_t)v;
		}
	}
}

static struct gw_bereq *
echo_start(struct gw_backend *gb, const struct gw_fwd_req *req,
    const struct gw_bereq_cb *cb, void *arg)
{
	struct echo_backend *be = (struct echo_backend *)gb;
	struct gw_bereq *r;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->be = be;
	r->cb = *cb;
	r->arg = arg;
	r->status = 200;
	r->out = evbuffer_new();
	r->rbody = evbuffer_new();
	r->ev = evtimer_new(be->eb, req_step, r);
	if (r->out == NULL || r->rbody == NULL || r->ev == NULL) {
		if (r->out)
			evbuffer_free(r->out);
		if (r->rbody)
			evbuffer_free(r->rbody);
		if (r->ev)
			event_free(r->ev);
		free(r);
		return NULL;
	}
	be->inflight++;
	parse_target(r, req->target, req->target_len);
	if (r->mode != ECHO_TEXT)
		return r;
	evbuffer_add_printf(r->out, "method=%s\ntarget=%.*s\n", req->method,
	    (int)req->target_len, req->target);
	for (i = 0; i < req->nhdrs; i++)
		evbuffer_add_printf(r->out, "header=%.*s: %.*s\n",
		    (int)req->hdrs[i].name_len, req->hdrs[i].name,
		    (int)req->hdrs[i].value_len, req->hdrs[i].value);
	return r;
}

static int
echo_body(struct gw_bereq *r, const uint8_t *p, size_t n)
{
	if (r->ended)
		return BN_ERR_STATE;
	r->body_len += n;
	if (r->mode == ECHO_TEXT && evbuffer_add(r->rbody, p, n) != 0)
		return BN_ERR_ALLOC;
	return BN_OK;
}

static int
echo_end(struct gw_bereq *r)
{
	if (r->ended)
		return BN_ERR_STATE;
	r->ended = 1;
	if (r->mode == ECHO_TEXT) {
		evbuffer_add_printf(r->out, "body-length=%llu\n\n",
		    (unsigned long long)r->body_len);
		evbuffer_add_buffer(r->out, r->rbody);
	}
	req_schedule(r, r->delay_ms);
	return BN_OK;
}

static void
echo_pause(struct gw_bereq *r, int paused)
{
	r->paused = paused;
	if (!paused && r->ended && !r->busy)
		req_schedule(r, 0);
}

static void
echo_cancel(struct gw_bereq *r)
{
	if (r->busy) {
		r->cancelled = 1;
		return;
	}
	req_free(r);
}

static size_t
echo_inflight(const struct gw_backend *gb)
{
	return ((const struct echo_backend *)gb)->inflight;
}

static void
echo_free(struct gw_backend *gb)
{
	free(gb);
}

static const struct gw_backend_ops echo_ops = {
	.name = "echo",
	.start = echo_start,
	.body = echo_body,
	.end = echo_end,
	.pause = echo_pause,
	.cancel = echo_cancel,
	.inflight = echo_inflight,
	.free = echo_free,
};

struct gw_backend *
gw_backend_echo_new(struct event_base *base)
{
	struct echo_backend *be;

	if ((be = calloc(1, sizeof(*be))) == NULL)
		return NULL;
	be->base.ops = &echo_ops;
	be->eb = base;
	return &be->base;
}
