/*
 * gw_http: the HTTP/1.1 front of htx-gw.  See gw_http.h.
 *
 * Why http-parser and our own connection code rather than libevent's
 * evhttp: evhttp reads a whole request body before calling us (no
 * streaming to the backend, no admission before the body), has one
 * timeout for every phase (we need header, body, idle and send timeouts
 * apart, against slowloris), answers header limits with 400 where we
 * must say 431 and body limits only after reading, offers no hook to
 * hold a pipelined request until the one before it is answered, and
 * adds its own header handling we would have to undo (smuggling checks
 * must be ours, in one place: gw_request.c).  http-parser is a small,
 * maintained tokenizer that pauses where we ask, which gives all of
 * that with a few hundred lines here.
 *
 * One connection runs one exchange at a time: the parser pauses after a
 * request is read and resumes only when its response is complete, so
 * pipelined requests are answered strictly in order and a client cannot
 * make us buffer more than the kernel and one read window.  Reading is
 * also bounded by a read high watermark; a client that does not read
 * its responses (output over out_high) pauses the backend's response
 * stream until the output drains.
 *
 * Timeouts: a new connection or one waiting for its next request has
 * the idle timeout; from the first byte of a request its whole head must
 * arrive within the header timeout (absolute, so trickling bytes does
 * not help a slowloris); while the body is read, each read must come
 * within the body timeout; output must make progress within the send
 * timeout.  Waiting for ticketd and the backend has their own deadlines.
 *
 * Closing: a response with Connection: close is flushed, then the write
 * side is shut down and the input read and discarded for a short while
 * (lingering close, as nginx does), so a client still sending a body we
 * refused gets our 413 rather than a reset.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "betanet/err.h"
#include "betanet/log.h"
#include "gw_admit.h"
#include "gw_http.h"

#define GW_MAX_LISTENERS	16
#define GW_READ_HIGH		(64 * 1024)
#define GW_LINGER_MS		2000
#define GW_FEED_MAX		(16 * 1024)

struct gw_conn;

struct gw_server {
	struct event_base	*base;
	struct gw_limits	 lim;
	struct gw_backend	*be;
	struct gw_admit		*adm;
	struct evconnlistener	*ls[GW_MAX_LISTENERS];
	size_t			 nls;
	struct gw_conn		*conns;		/* list head */
	size_t			 nconns;
	uint64_t		 next_id;
	uint64_t		 refused;	/* over max_conns */
	int			 draining;
	void			(*drain_done)(void *);
	void			*drain_arg;
	time_t			 date_t;
	char			 date[80];	/* Date, Server lines */
	size_t			 date_len;
};

struct gw_conn {
	struct gw_server	*srv;
	struct gw_conn		*prev;
	struct gw_conn		*next;
	struct bufferevent	*bev;
	struct event		*tmr;
	struct event		*kick;
	struct gw_parser	 parser;
	uint64_t		 id;
	char			 ip[INET6_ADDRSTRLEN];
	int			 fresh;		/* no request yet */
	int			 admitted;
	uint64_t		 admitted_ms;
	struct gw_admit_pending	*pend;
	struct gw_admit_cand	 cand;
	/* the current exchange */
	struct gw_request	*req;		/* the parser's */
	int			 head_ready;	/* on_head seen, unhandled */
	int			 end_ready;	/* on_end seen, unhandled */
	int			 req_done;	/* whole request read */
	int			 head_armed;	/* header timer running */
	int			 body_on;	/* we want body bytes */
	int			 buffer_body;	/* body to c->body, not be */
	int			 need_form;	/* admission waits on body */
	int			 preadmit_over;	/* that body outgrew the cap */
	uint64_t		 req_start_ms;	/* first byte of this request */
	struct evbuffer		*body;
	struct gw_bereq		*be;
	int			 be_full;
	int			 be_paused;
	int			 be_failed;
	int			 resp_started;
	int			 resp_chunked;
	int			 resp_nobody;
	int			 sent_continue;
	int			 skip_end;	/* answered; on_end pending */
	int			 close_after;
	int			 peer_eof;
	int			 closing;	/* flushing the last bytes */
	int			 lingering;
	int			 wr_on;		/* EV_WRITE on: backed up */
	int			 dead;
};

static void conn_process(struct gw_conn *c);
static void conn_forward(struct gw_conn *c);
static void conn_exchange_done(struct gw_conn *c);
static void conn_next(struct gw_conn *c);

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Our Date and Server lines, remade once a second. */
static const char *
server_date(struct gw_server *s, size_t *len)
{
	time_t t = time(NULL);
	struct tm tm;

	if (t != s->date_t && gmtime_r(&t, &tm) != NULL) {
		s->date_len = strftime(s->date, sizeof(s->date),
		    "Date: %a, %d %b %Y %H:%M:%S GMT\r\nServer: betanet\r\n",
		    &tm);
		s->date_t = t;
	}
	*len = s->date_len;
	return s->date;
}

static const char *
status_text(int status)
{
	const char *t = http_status_str((enum http_status)status);

	return t[0] == '<' ? "Status" : t;
}

/* ---- lifetime ------------------------------------------------------- */

static void
conn_arm(struct gw_conn *c, uint64_t ms)
{
	struct timeval tv;

	if (ms == 0) {
		evtimer_del(c->tmr);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->tmr, &tv);
}

static void
conn_free(struct gw_conn *c)
{
	struct gw_server *s = c->srv;

	if (c->pend != NULL)
		gw_admit_cancel(c->pend);
	if (c->be != NULL)
		s->be->ops->cancel(c->be);
	gw_admit_cand_clear(&c->cand);
	gw_parser_clear(&c->parser);
	if (c->body != NULL)
		evbuffer_free(c->body);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->tmr != NULL)
		event_free(c->tmr);
	if (c->kick != NULL)
		event_free(c->kick);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
	if (s->draining && s->nconns == 0 && s->drain_done != NULL) {
		void (*done)(void *) = s->drain_done;

		s->drain_done = NULL;
		done(s->drain_arg);
	}
}

/*
 * Drop the connection.  Safe anywhere: the object is freed from the
 * event loop, and nothing calls back into it in between.
 */
static void
conn_abort(struct gw_conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (c->pend != NULL) {
		gw_admit_cancel(c->pend);
		c->pend = NULL;
	}
	if (c->be != NULL) {
		c->srv->be->ops->cancel(c->be);
		c->be = NULL;
	}
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->tmr);
	event_active(c->kick, EV_TIMEOUT, 0);
}

static void
conn_kick(struct gw_conn *c)
{
	if (!c->dead)
		event_active(c->kick, EV_TIMEOUT, 0);
}

/*
 * Write the queued output now, in this turn of the loop.  EV_WRITE is
 * enabled only while the socket does not take everything (which also
 * runs the send timeout); so a small response costs one writev and no
 * epoll_ctl.  A write error leaves the bytes queued and EV_WRITE on:
 * the bufferevent then meets the error and reports it (conn_event_cb).
 */
static void
conn_flush(struct gw_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->dead || c->wr_on || evbuffer_get_length(out) == 0)
		return;
	/* A socket bufferevent freezes its output's start; we are not
	 * inside one of its writes, so drain it here ourselves. */
	evbuffer_unfreeze(out, 1);
	(void)evbuffer_write(out, bufferevent_getfd(c->bev));
	evbuffer_freeze(out, 1);
	if (evbuffer_get_length(out) > 0) {
		c->wr_on = 1;
		bufferevent_enable(c->bev, EV_WRITE);
	}
}

/* Output is flushed: half-close and read what the client still sends. */
static void
conn_linger(struct gw_conn *c)
{
	c->lingering = 1;
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_enable(c->bev, EV_READ);
	conn_arm(c, GW_LINGER_MS);
}

/* Close once the queued output is written. */
static void
conn_close_flush(struct gw_conn *c)
{
	if (c->closing || c->dead)
		return;
	c->closing = 1;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_flush(c);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_linger(c);
	else
		evtimer_del(c->tmr);	/* the send timeout bounds it */
}

/* ---- writing -------------------------------------------------------- */

static int
hdr_skip(const struct gw_hdr *h)
{
	static const char *const skip[] = {
		"connection", "keep-alive", "proxy-connection", "te",
		"trailer", "transfer-encoding", "upgrade", "content-length",
		"date", "server", NULL,
	};
	size_t i;

	for (i = 0; skip[i] != NULL; i++)
		if (gw_str_ieq(h->name, h->name_len, skip[i]))
			return 1;
	/* Never let a backend split our response. */
	for (i = 0; i < h->name_len; i++)
		if (h->name[i] <= ' ' || h->name[i] == ':' ||
		    h->name[i] == 127)
			return 1;
	for (i = 0; i < h->value_len; i++)
		if (h->value[i] == '\r' || h->value[i] == '\n' ||
		    h->value[i] == '\0')
			return 1;
	return h->name_len == 0;
}

static int
req_is_head(const struct gw_conn *c)
{
	return c->req != NULL && c->req->method == HTTP_HEAD;
}

static int
req_minor(const struct gw_conn *c)
{
	return c->req != NULL ? (int)c->req->minor : 1;
}

/* Status line, headers, our headers, framing and Connection. */
static void
write_head(struct gw_conn *c, int status, const struct gw_hdr *h,
    size_t nh, int64_t clen)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *d;
	char line[96];
	size_t i, dlen;
	int n;

	c->resp_started = 1;
	c->resp_nobody = req_is_head(c) || status == 204 || status == 304;
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
	    status_text(status));
	evbuffer_add(out, line, n > 0 && (size_t)n < sizeof(line) ?
	    (size_t)n : 0);
	for (i = 0; i < nh; i++) {
		if (hdr_skip(&h[i]))
			continue;
		evbuffer_add(out, h[i].name, h[i].name_len);
		evbuffer_add(out, ": ", 2);
		evbuffer_add(out, h[i].value, h[i].value_len);
		evbuffer_add(out, "\r\n", 2);
	}
#define ADD_LIT(s)	evbuffer_add(out, s, sizeof(s) - 1)
	d = server_date(c->srv, &dlen);
	evbuffer_add(out, d, dlen);
	c->resp_chunked = 0;
	if (clen >= 0 && status != 204) {
		n = snprintf(line, sizeof(line), "Content-Length: %lld\r\n",
		    (long long)clen);
		evbuffer_add(out, line, n > 0 && (size_t)n < sizeof(line) ?
		    (size_t)n : 0);
	} else if (!c->resp_nobody) {
		if (req_minor(c) >= 1) {
			ADD_LIT("Transfer-Encoding: chunked\r\n");
			c->resp_chunked = 1;
		} else
			c->close_after = 1;	/* close-delimited */
	}
	if (c->close_after || c->srv->draining)
		ADD_LIT("Connection: close\r\n\r\n");
	else if (req_minor(c) == 0)
		ADD_LIT("Connection: keep-alive\r\n\r\n");
	else
		ADD_LIT("\r\n");
#undef ADD_LIT
	if (c->srv->draining)
		c->close_after = 1;
}

/* A response of our own: status, a one-line text body, done. */
static void
conn_respond(struct gw_conn *c, int status, const char *reason)
{
	struct gw_hdr h[2];
	char ra[16], body[160];
	size_t nh = 0;
	int n;

	n = snprintf(body, sizeof(body), "%s\n", reason);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = 0;
	h[nh].name = "Content-Type";
	h[nh].name_len = 12;
	h[nh].value = "text/plain; charset=utf-8";
	h[nh++].value_len = 25;
	if (status == 503) {
		snprintf(ra, sizeof(ra), "%u", c->srv->lim.retry_after_s);
		h[nh].name = "Retry-After";
		h[nh].name_len = 11;
		h[nh].value = ra;
		h[nh++].value_len = strlen(ra);
	}
	/*
	 * A body we did not read would be taken for the next request; a
	 * request without one is still to be finished by the parser.
	 */
	if (!c->req_done && c->req != NULL && !c->req->has_body &&
	    !c->close_after && gw_parser_phase(&c->parser) == GW_PP_BODY)
		c->skip_end = 1;
	else if (!c->req_done)
		c->close_after = 1;
	write_head(c, status, h, nh, n);
	if (!c->resp_nobody)
		evbuffer_add(bufferevent_get_output(c->bev), body, (size_t)n);
	conn_exchange_done(c);
}

static void
conn_refuse(struct gw_conn *c, int status, const char *reason)
{
	bn_log_event(BN_LOG_INFO, "http_refuse",
	    "status=%d reason=\"%s\" peer=%s conn=%llu", status, reason,
	    c->ip, (unsigned long long)c->id);
	if (c->be != NULL) {
		c->srv->be->ops->cancel(c->be);
		c->be = NULL;
	}
	if (c->resp_started) {
		conn_abort(c);
		return;
	}
	conn_respond(c, status, reason);
}

/* ---- backend callbacks ---------------------------------------------- */

static void
be_on_head(void *arg, int status, const struct gw_hdr *h, size_t nh,
    int64_t clen)
{
	struct gw_conn *c = arg;

	if (status < 200 || status > 599) {
		c->srv->be->ops->cancel(c->be);
		c->be = NULL;
		conn_refuse(c, 502, "bad upstream status");
		return;
	}
	write_head(c, status, h, nh, clen);
}

static void
be_on_body(void *arg, const uint8_t *p, size_t n)
{
	struct gw_conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->resp_nobody || n == 0)
		return;
	if (c->resp_chunked)
		evbuffer_add_printf(out, "%zx\r\n", n);
	evbuffer_add(out, p, n);
	if (c->resp_chunked)
		evbuffer_add(out, "\r\n", 2);
	conn_flush(c);
	if (!c->be_paused && evbuffer_get_length(out) > c->srv->lim.out_high) {
		c->be_paused = 1;
		c->srv->be->ops->pause(c->be, 1);
	}
}

static void
be_on_end(void *arg)
{
	struct gw_conn *c = arg;

	c->be = NULL;
	if (c->resp_chunked && !c->resp_nobody)
		evbuffer_add(bufferevent_get_output(c->bev), "0\r\n\r\n", 5);
	if (!c->req_done)
		c->close_after = 1;
	conn_exchange_done(c);
}

static void
be_on_error(void *arg, enum gw_be_err kind)
{
	struct gw_conn *c = arg;

	c->be = NULL;
	bn_log_event(BN_LOG_INFO, "upstream_error", "kind=%d conn=%llu",
	    (int)kind, (unsigned long long)c->id);
	if (c->resp_started) {
		conn_abort(c);
		return;
	}
	switch (kind) {
	case GW_BE_ERR_TIMEOUT:
		conn_respond(c, 504, "upstream timeout");
		break;
	case GW_BE_ERR_INTERNAL:
		conn_respond(c, 500, "internal error");
		break;
	default:
		conn_respond(c, 502, "no upstream available");
		break;
	}
}

static void
be_on_writable(void *arg)
{
	struct gw_conn *c = arg;

	if (c->be_full) {
		c->be_full = 0;
		gw_parser_resume(&c->parser);
		conn_kick(c);
	}
}

static const struct gw_bereq_cb be_cb = {
	.on_head = be_on_head,
	.on_body = be_on_body,
	.on_end = be_on_end,
	.on_error = be_on_error,
	.on_writable = be_on_writable,
};

/* ---- before admission ----------------------------------------------- */

/*
 * Reading a form body to find its ticket (NEED_BODY): nobody vouched for
 * this client yet, so the body is capped (gw_admit_preadmit_cap) and
 * the head plus that body must arrive within header_timeout of the
 * request's first byte, not one body_timeout per read: a client
 * dripping a byte now and then would otherwise hold us for ever.
 */
static int
conn_preadmit(const struct gw_conn *c)
{
	return c->need_form && !c->admitted;
}

static uint64_t
conn_preadmit_left(const struct gw_conn *c)
{
	uint64_t end = c->req_start_ms + c->srv->lim.header_timeout_ms;
	uint64_t now = now_ms();

	return now < end ? end - now : 1;	/* 0 would disarm */
}

/* ---- parser callbacks ----------------------------------------------- */

static void
p_on_head(void *arg, struct gw_request *req)
{
	struct gw_conn *c = arg;

	c->req = req;
	c->head_ready = 1;
}

static int
p_on_body(void *arg, const uint8_t *p, size_t n)
{
	struct gw_conn *c = arg;
	int r;

	if (c->buffer_body) {
		if (conn_preadmit(c) && n > gw_admit_preadmit_cap(
		    gw_admit_opts(c->srv->adm)) - evbuffer_get_length(c->body))
			return (c->preadmit_over = 1);
		return evbuffer_add(c->body, p, n) == 0 ? 0 :
		    (c->be_failed = 1);
	}
	if (c->be == NULL)
		return 0;	/* answered already; discard */
	r = c->srv->be->ops->body(c->be, p, n);
	if (r == GW_BE_FULL) {
		c->be_full = 1;
		return 1;
	}
	if (r < 0) {
		c->be_failed = 1;
		return 1;
	}
	return 0;
}

static void
p_on_end(void *arg)
{
	struct gw_conn *c = arg;

	c->end_ready = 1;
}

static const struct gw_parser_cb parser_cb = {
	.on_head = p_on_head,
	.on_body = p_on_body,
	.on_end = p_on_end,
};

/* ---- the exchange --------------------------------------------------- */

static void
conn_want_body(struct gw_conn *c)
{
	if (c->req->expect_continue && !c->sent_continue) {
		evbuffer_add(bufferevent_get_output(c->bev),
		    "HTTP/1.1 100 Continue\r\n\r\n", 25);
		c->sent_continue = 1;
		conn_flush(c);
	}
	c->body_on = 1;
	if (c->req->has_body)
		conn_arm(c, conn_preadmit(c) ? conn_preadmit_left(c) :
		    c->srv->lim.body_timeout_ms);
	gw_parser_resume(&c->parser);
	conn_kick(c);
}

static void
admit_done(void *arg, enum gw_admit_verdict v, const char *reason)
{
	struct gw_conn *c = arg;

	c->pend = NULL;
	gw_admit_cand_clear(&c->cand);
	if (v == GW_ADMIT_REFUSE) {
		conn_refuse(c, 403, reason);
		return;
	}
	if (v != GW_ADMIT_OK) {
		conn_refuse(c, 503, "ticket service unavailable");
		return;
	}
	c->admitted = 1;
	c->admitted_ms = now_ms();
	bn_log_event(BN_LOG_DEBUG, "admit", "peer=%s conn=%llu", c->ip,
	    (unsigned long long)c->id);
	if (c->need_form || !c->buffer_body)
		conn_forward(c);
	else
		conn_want_body(c);
}

static void
conn_verify(struct gw_conn *c)
{
	if (gw_admit_verify(c->srv->adm, &c->cand, c->ip, admit_done, c,
	    &c->pend) != BN_OK) {
		gw_admit_cand_clear(&c->cand);
		conn_refuse(c, 503, "ticket service unavailable");
		return;
	}
	conn_arm(c, 0);
}

static int
conn_is_admitted(struct gw_conn *c)
{
	const struct gw_limits *lim = &c->srv->lim;

	if (c->admitted && lim->admit_max_ms != 0 &&
	    now_ms() - c->admitted_ms > lim->admit_max_ms)
		c->admitted = 0;
	return c->admitted;
}

static void
conn_on_head(struct gw_conn *c)
{
	struct gw_request *req = c->req;
	enum gw_admit_verdict v = GW_ADMIT_OK;
	const char *reason = "";

	c->fresh = 0;
	conn_arm(c, 0);
	if (!req->keep_alive || c->srv->draining)
		c->close_after = 1;
	c->buffer_body = req->is_form && req->has_body;
	if (c->srv->adm != NULL)
		v = gw_admit_head(gw_admit_opts(c->srv->adm), req,
		    conn_is_admitted(c), &c->cand, &reason);
	switch (v) {
	case GW_ADMIT_OK:
		if (c->buffer_body)
			conn_want_body(c);
		else
			conn_forward(c);
		break;
	case GW_ADMIT_VERIFY:
		conn_verify(c);
		break;
	case GW_ADMIT_NEED_BODY:
		c->need_form = 1;
		conn_want_body(c);
		break;
	case GW_ADMIT_BAD:
		conn_refuse(c, 400, reason);
		break;
	case GW_ADMIT_REFUSE:
		conn_refuse(c, 403, reason);
		break;
	case GW_ADMIT_UNAVAILABLE:
		conn_refuse(c, 503, "ticket service unavailable");
		break;
	}
}

static void
conn_on_end(struct gw_conn *c)
{
	const char *reason = "";
	size_t len;
	uint8_t *p;

	if (c->skip_end) {
		c->skip_end = 0;
		conn_next(c);
		return;
	}
	c->req_done = 1;
	c->body_on = 0;
	conn_arm(c, 0);
	if (c->need_form && !c->admitted) {
		len = evbuffer_get_length(c->body);
		p = evbuffer_pullup(c->body, -1);
		if (gw_admit_form(gw_admit_opts(c->srv->adm), p, len,
		    &c->cand, &reason) != GW_ADMIT_VERIFY) {
			conn_refuse(c, 403, reason);
			return;
		}
		conn_verify(c);
		return;
	}
	if (c->buffer_body) {
		conn_forward(c);
		return;
	}
	if (c->be != NULL && c->srv->be->ops->end(c->be) != BN_OK)
		conn_refuse(c, 502, "upstream refused the request");
}

/* Hand the admitted request to the backend. */
static void
conn_forward(struct gw_conn *c)
{
	struct gw_server *s = c->srv;
	struct gw_request *req = c->req;
	struct gw_hdr hdrs[GW_HDR_CAP];
	struct gw_fwd_req f;
	size_t blen = 0;
	uint8_t *bp = NULL;
	int m;

	if (s->adm != NULL &&
	    gw_admit_strip(gw_admit_opts(s->adm), req) != BN_OK) {
		conn_refuse(c, 431, "request header fields too large");
		return;
	}
	if (gw_admit_forwarded(req, c->ip) != BN_OK) {
		conn_refuse(c, 431, "request header fields too large");
		return;
	}
	memset(&f, 0, sizeof(f));
	if (c->buffer_body) {
		blen = evbuffer_get_length(c->body);
		bp = evbuffer_pullup(c->body, -1);
		blen = gw_admit_strip_form((char *)bp, blen);
		f.content_length = (int64_t)blen;
	} else
		f.content_length = req->chunked ? -1 :
		    (req->content_length > 0 ? req->content_length : 0);
	m = req->method;
	f.method = req->method_str;
	f.target = gw_request_target(req, &f.target_len);
	f.nhdrs = gw_request_fwd_hdrs(req, hdrs, GW_HDR_CAP);
	f.hdrs = hdrs;
	f.client_ip = c->ip;
	f.conn_id = c->id;
	f.idempotent = (m == HTTP_GET || m == HTTP_HEAD || m == HTTP_PUT ||
	    m == HTTP_DELETE || m == HTTP_OPTIONS);
	if ((c->be = s->be->ops->start(s->be, &f, &be_cb, c)) == NULL) {
		conn_refuse(c, 500, "internal error");
		return;
	}
	if (c->buffer_body) {
		/* Bounded by max_body; FULL is advisory here. */
		if ((blen > 0 && s->be->ops->body(c->be, bp, blen) < 0) ||
		    s->be->ops->end(c->be) != BN_OK) {
			conn_refuse(c, 502, "upstream refused the request");
			return;
		}
		evbuffer_drain(c->body, evbuffer_get_length(c->body));
		return;
	}
	conn_want_body(c);
}

/* The response is complete: next request, or close. */
static void
conn_exchange_done(struct gw_conn *c)
{
	c->req = NULL;
	c->head_ready = c->end_ready = 0;
	c->head_armed = c->body_on = 0;
	c->buffer_body = c->need_form = c->preadmit_over = 0;
	c->be_full = c->be_paused = c->be_failed = 0;
	c->resp_started = c->resp_chunked = c->resp_nobody = 0;
	c->sent_continue = 0;
	gw_admit_cand_clear(&c->cand);
	evbuffer_drain(c->body, evbuffer_get_length(c->body));
	conn_flush(c);
	if (c->close_after || (!c->req_done && !c->skip_end) ||
	    c->srv->draining || (c->peer_eof &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)) {
		conn_close_flush(c);
		return;
	}
	if (c->skip_end) {
		/* Let the parser reach the end of the answered request. */
		gw_parser_resume(&c->parser);
		conn_kick(c);
		return;
	}
	conn_next(c);
}

/* Wait for the next request on a kept-alive connection. */
static void
conn_next(struct gw_conn *c)
{
	c->req_done = 0;
	gw_parser_resume(&c->parser);
	conn_arm(c, c->srv->lim.idle_timeout_ms);
	conn_kick(c);
}

/* ---- reading -------------------------------------------------------- */

static void
conn_parse_error(struct gw_conn *c, int r)
{
	int status = gw_parser_status(&c->parser);

	if (status == 0)
		status = 400;
	bn_log_event(BN_LOG_INFO, "http_reject",
	    "status=%d reason=%s peer=%s conn=%llu", status,
	    gw_parser_reason(&c->parser), c->ip, (unsigned long long)c->id);
	(void)r;
	if (c->be != NULL) {
		c->srv->be->ops->cancel(c->be);
		c->be = NULL;
	}
	if (c->pend != NULL) {
		gw_admit_cancel(c->pend);
		c->pend = NULL;
	}
	if (c->resp_started) {
		conn_abort(c);
		return;
	}
	c->close_after = 1;
	c->req_done = 0;
	conn_respond(c, status, status_text(status));
}

static void
conn_process(struct gw_conn *c)
{
	struct evbuffer *in;
	struct evbuffer_iovec v;
	enum gw_parse_phase before;
	size_t used;
	int r;

	while (!c->dead && !c->closing) {
		if (c->head_ready) {
			c->head_ready = 0;
			conn_on_head(c);
			continue;
		}
		if (c->end_ready) {
			c->end_ready = 0;
			conn_on_end(c);
			continue;
		}
		if (c->be_failed) {
			conn_refuse(c, 502, "upstream refused the request");
			continue;
		}
		if (c->preadmit_over) {
			/* Too big a form to seek a ticket in (gw_admit.h). */
			conn_refuse(c, 403, "ticket refused: missing");
			continue;
		}
		in = bufferevent_get_input(c->bev);
		if (evbuffer_peek(in, GW_FEED_MAX, NULL, &v, 1) < 1 ||
		    v.iov_len == 0)
			break;
		if (v.iov_len > GW_FEED_MAX)
			v.iov_len = GW_FEED_MAX;
		before = gw_parser_phase(&c->parser);
		r = gw_parser_feed(&c->parser, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (r < 0) {
			conn_parse_error(c, r);
			return;
		}
		if (before == GW_PP_IDLE && !c->head_armed &&
		    gw_parser_phase(&c->parser) != GW_PP_IDLE) {
			c->head_armed = 1;
			c->req_start_ms = now_ms();
			conn_arm(c, c->srv->lim.header_timeout_ms);
		}
		/* Before admission the deadline stays absolute (H2). */
		if (c->body_on && !c->end_ready && used > 0 &&
		    gw_parser_phase(&c->parser) == GW_PP_BODY &&
		    !conn_preadmit(c))
			conn_arm(c, c->srv->lim.body_timeout_ms);
		if (r == GW_PARSE_PAUSED && used == 0 && !c->head_ready &&
		    !c->end_ready && !c->be_failed && !c->preadmit_over)
			break;
	}
	if (!c->dead && !c->closing && c->peer_eof && c->be == NULL &&
	    c->pend == NULL && !c->head_ready && !c->end_ready &&
	    gw_parser_phase(&c->parser) != GW_PP_DONE)
		conn_abort(c);	/* the rest of a request will not come */
}

/* ---- libevent callbacks --------------------------------------------- */

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct gw_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->lingering || c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	conn_process(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct gw_conn *c = arg;

	if (c->dead)
		return;
	if (c->closing) {
		if (!c->lingering &&
		    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_linger(c);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		c->wr_on = 0;	/* caught up: back to direct writes */
		bufferevent_disable(bev, EV_WRITE);
	}
	if (c->be_paused && c->be != NULL) {
		c->be_paused = 0;
		c->srv->be->ops->pause(c->be, 0);
	}
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct gw_conn *c = arg;

	if (c->dead)
		return;
	if (what & BEV_EVENT_EOF) {
		c->peer_eof = 1;
		if (c->lingering || c->closing) {
			conn_free(c);
			return;
		}
		/* Answer what was fully sent (e.g. `printf ... | nc`). */
		conn_process(c);
		if (!c->dead && c->be == NULL && c->pend == NULL &&
		    !c->resp_started && evbuffer_get_length(
		    bufferevent_get_output(bev)) == 0 &&
		    gw_parser_phase(&c->parser) != GW_PP_DONE)
			conn_abort(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		bn_log_event(BN_LOG_INFO, "client_timeout",
		    "phase=send peer=%s conn=%llu", c->ip,
		    (unsigned long long)c->id);
	conn_free(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_conn *c = arg;
	const char *phase;

	if (c->lingering || c->closing) {
		conn_free(c);
		return;
	}
	switch (gw_parser_phase(&c->parser)) {
	case GW_PP_IDLE:
		phase = c->fresh ? "first_request" : "idle";
		break;
	case GW_PP_HEAD:
		phase = "header";
		break;
	default:
		phase = conn_preadmit(c) ? "preadmit" : "body";
		break;
	}
	bn_log_event(strcmp(phase, "idle") == 0 ? BN_LOG_DEBUG : BN_LOG_INFO,
	    "client_timeout", "phase=%s peer=%s conn=%llu", phase, c->ip,
	    (unsigned long long)c->id);
	conn_free(c);
}

static void
conn_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_conn *c = arg;

	if (c->dead) {
		conn_free(c);
		return;
	}
	conn_process(c);
}

static void
peer_string(const struct sockaddr *sa, char *out, size_t outlen)
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, out,
	    (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "unknown");
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct gw_server *s = arg;
	struct gw_conn *c;
	struct timeval tv;
	int one = 1;

	if (s->draining || s->nconns >= s->lim.max_conns) {
		s->refused++;
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->srv = s;
	c->id = ++s->next_id;
	c->fresh = 1;
	peer_string(sa, c->ip, sizeof(c->ip));
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->tmr = evtimer_new(s->base, conn_timer_cb, c);
	c->kick = event_new(s->base, -1, 0, conn_kick_cb, c);
	c->body = evbuffer_new();
	if (c->bev == NULL || c->tmr == NULL || c->kick == NULL ||
	    c->body == NULL) {
		if (c->bev == NULL)
			close(fd);
		bufferevent_free(c->bev);
		if (c->tmr)
			event_free(c->tmr);
		if (c->kick)
			event_free(c->kick);
		if (c->body)
			evbuffer_free(c->body);
		free(c);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	gw_parser_init(&c->parser, &s->lim, &parser_cb);
	c->parser.cb.arg = c;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, GW_READ_HIGH);
	bufferevent_setwatermark(c->bev, EV_WRITE, s->lim.out_high / 2, 0);
	tv.tv_sec = (time_t)(s->lim.send_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(s->lim.send_timeout_ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	bufferevent_enable(c->bev, EV_READ);	/* EV_WRITE: conn_flush */
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	conn_arm(c, s->lim.header_timeout_ms < s->lim.idle_timeout_ms ?
	    s->lim.header_timeout_ms : s->lim.idle_timeout_ms);
	return;
 fail:
	close(fd);
}

/* ---- the server ----------------------------------------------------- */

struct gw_server *
gw_server_new(struct event_base *base, const struct gw_limits *lim,
    struct gw_backend *be, struct gw_admit *adm)
{
	struct gw_server *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base = base;
	s->lim = *lim;
	s->be = be;
	s->adm = adm;
	/* http-parser's own cap is global; ours is per request and lower. */
	http_parser_set_max_header_size((uint32_t)(lim->max_head + 1024));
	return s;
}

int
gw_server_listen(struct gw_server *s, const char *host, uint16_t port,
    int reuse_port)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ps[8], name[INET6_ADDRSTRLEN], hq[BN_LOG_VALUE_MAX];
	int fd = -1, one = 1, r = BN_ERR_SYSTEM, e;

	if (s->nls >= GW_MAX_LISTENERS)
		return BN_ERR_LIMIT;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	if ((e = getaddrinfo(host, ps, &hints, &ai)) != 0) {
		bn_log_event(BN_LOG_ERROR, "listen_failed",
		    "addr=%s port=%u error=\"%s\"",
		    bn_log_qstr(hq, sizeof(hq), host), port, gai_strerror(e));
		return BN_ERR_SYSTEM;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) < 0) ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		e = errno;
		bn_log_event(BN_LOG_ERROR, "listen_failed",
		    "addr=%s port=%u errno=%d error=\"%s\"%s",
		    bn_log_qstr(hq, sizeof(hq), host), port, e, strerror(e),
		    e == EADDRINUSE && !reuse_port ? " hint=\"port in use; "
		    "reuse_port: true to share it\"" : "");
		goto out;
	}
	if ((s->ls[s->nls] = evconnlistener_new(s->base, accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd)) == NULL)
		goto out;
	s->nls++;
	peer_string((struct sockaddr *)&ss, name, sizeof(name));
	port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	bn_log_event(BN_LOG_INFO, "listening", ss.ss_family == AF_INET6 ?
	    "addr=[%s]:%u" : "addr=%s:%u", name, port);
	fd = -1;
	r = BN_OK;
 out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return r;
}

void
gw_server_set_limits(struct gw_server *s, const struct gw_limits *lim)
{
	s->lim = *lim;
	http_parser_set_max_header_size((uint32_t)(lim->max_head + 1024));
}

void
gw_server_drain(struct gw_server *s, void (*done)(void *), void *arg)
{
	struct gw_conn *c, *next;
	size_t i;

	s->draining = 1;
	s->drain_done = done;
	s->drain_arg = arg;
	for (i = 0; i < s->nls; i++)
		evconnlistener_disable(s->ls[i]);
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		c->close_after = 1;
		if (!c->dead && !c->closing && c->req == NULL &&
		    gw_parser_phase(&c->parser) == GW_PP_IDLE)
			conn_abort(c);
	}
	if (s->nconns == 0 && s->drain_done != NULL) {
		s->drain_done = NULL;
		done(arg);
	}
}

size_t
gw_server_nconns(const struct gw_server *s)
{
	return s->nconns;
}

void
gw_server_free(struct gw_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	s->drain_done = NULL;
	while (s->conns != NULL)
		conn_free(s->conns);
	for (i = 0; i < s->nls; i++)
		evconnlistener_free(s->ls[i]);
	free(s);
}
