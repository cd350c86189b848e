/*
 * up_bridge: requests in, responses out, by profile (up_bridge.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betanet/bar.h"
#include "betanet/buf.h"
#include "betanet/err.h"
#include "betanet/log.h"
#include "app.h"
#include "up_bridge.h"
#include "up_conn.h"
#include "up_decode.h"
#include "up_proxy.h"
#include "up_server.h"

/* The Python server's answers are one frame: cut bigger bodies to this. */
#define UP_COMPAT_BODY_MAX	(60u << 10)
#define UP_FILE_CHUNK		(32u << 10)
#define UP_UNROUTED_HDR		"x-upstreamd-unrouted"

enum tx_phase { TX_WAIT = 0, TX_HEAD, TX_BODY, TX_TAIL, TX_DONE };

/* One response in flight on stream sid. */
struct up_tx {
	struct up_tx		*next, *prev;
	struct up_conn		*c;
	uint32_t		 sid;
	int			 phase;
	int			 body_only;	/* compat/legacy: one message */
	uint8_t			 head[16];	/* map(3) "b" bytes(len) */
	size_t			 headlen;
	uint8_t			*tail;		/* "h" {...} "s" status */
	size_t			 taillen;
	uint8_t			*body;
	size_t			 bodylen;
	int			 fd;		/* >= 0: body from a file */
	uint64_t		 filelen;
	uint64_t		 off;		/* within the current phase */
	struct up_proxy_req	*preq;
};

static struct up_tx *
tx_new(struct up_conn *c, uint32_t sid, int body_only)
{
	struct up_tx *tx;

	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return NULL;
	tx->c = c;
	tx->sid = sid;
	tx->fd = -1;
	tx->body_only = body_only;
	tx->next = c->tx;
	if (c->tx != NULL)
		c->tx->prev = tx;
	c->tx = tx;
	c->ntx++;
	return tx;
}

static void
tx_free(struct up_tx *tx)
{
	struct up_conn *c = tx->c;

	if (tx->preq != NULL)
		up_proxy_cancel(tx->preq);
	if (tx->fd >= 0)
		close(tx->fd);
	free(tx->body);
	free(tx->tail);
	if (tx->prev != NULL)
		tx->prev->next = tx->next;
	else
		c->tx = tx->next;
	if (tx->next != NULL)
		tx->next->prev = tx->prev;
	c->ntx--;
	free(tx);
}

void
up_bridge_free_all(struct up_conn *c)
{
	while (c->tx != NULL)
		tx_free(c->tx);
}

/* CBOR head of a byte string of n bytes (major type 2). */
static size_t
cbor_bytes_head(uint8_t *p, uint64_t n)
{
	int i, w;

	if (n < 24) {
		p[0] = 0x40 | (uint8_t)n;
		return 1;
	}
	if (n <= 0xff)
		w = 1;
	else if (n <= 0xffff)
		w = 2;
	else if (n <= 0xffffffffULL)
		w = 4;
	else
		w = 8;
	p[0] = 0x40 | (w == 1 ? 24 : w == 2 ? 25 : w == 4 ? 26 : 27);
	for (i = 0; i < w; i++)
		p[1 + i] = (uint8_t)(n >> (8 * (w - 1 - i)));
	return 1 + (size_t)w;
}

/*
 * The BAR response without its body: deterministic CBOR sorts "b" <
 * "h" < "s", so the encoding with an empty body is a3 61 62 40 || tail
 * and the real one is a3 61 62 || bytes-head(len) || body || tail.
 */
static int
encode_tail(const struct bn_app_response *resp, int as_bytes, uint8_t **tail,
    size_t *taillen)
{
	static const uint8_t empty_head[4] = { 0xa3, 0x61, 0x62, 0x40 };
	struct bn_bar_header h[BN_APP_RESP_HEADERS_MAX];
	struct bn_bar_response br;
	struct bn_buf *b;
	size_t i, j, n = 0;
	int r;

	*tail = NULL;
	*taillen = 0;
	bn_bar_response_init(&br, h, BN_APP_RESP_HEADERS_MAX);
	br.status = resp->status >= 100 && resp->status <= 599 ?
	    (unsigned)resp->status : 500;
	for (i = 0; i < resp->nheaders; i++) {
		const char *name = resp->headers[i].name;

		if (strcmp(name, UP_UNROUTED_HDR) == 0)
			continue;
		for (j = 0; j < n; j++)		/* BAR: one value a name */
			if (h[j].namelen == strlen(name) &&
			    memcmp(h[j].name, name, h[j].namelen) == 0)
				break;
		if (j < n)
			continue;
		h[n].name = (const uint8_t *)name;
		h[n].namelen = strlen(name);
		h[n].value = (const uint8_t *)resp->headers[i].value;
		h[n].valuelen = strlen(resp->headers[i].value);
		h[n].value_is_bytes = as_bytes;
		n++;
	}
	br.nhdr = n;
	if ((b = bn_buf_new(1u << 20)) == NULL)
		return BN_ERR_ALLOC;
	if ((r = bn_bar_response_encode(&br, b)) != BN_OK)
		goto out;
	if (bn_buf_len(b) < sizeof(empty_head) ||
	    memcmp(bn_buf_ptr(b), empty_head, sizeof(empty_head)) != 0) {
		r = BN_ERR_INTERNAL;
		goto out;
	}
	*taillen = bn_buf_len(b) - sizeof(empty_head);
	if ((*tail = malloc(*taillen)) == NULL) {
		r = BN_ERR_ALLOC;
		goto out;
	}
	memcpy(*tail, bn_buf_ptr(b) + sizeof(empty_head), *taillen);
 out:
	bn_buf_free(b);
	return r;
}

/* Take resp's body (or file) into tx; resp is left reset. */
static int
tx_set_response(struct up_tx *tx, struct bn_app_response *resp)
{
	uint64_t blen;
	int r = BN_OK;

	if (tx->body_only && resp->file_fd >= 0 &&
	    (r = bn_app_response_load_file(resp, UP_COMPAT_BODY_MAX)) !=
	    BN_OK)
		bn_app_response_reset(resp);
	if (!tx->body_only) {
		if (encode_tail(resp, 0, &tx->tail, &tx->taillen) != BN_OK &&
		    (r = encode_tail(resp, 1, &tx->tail, &tx->taillen)) !=
		    BN_OK) {
			/* Headers that BAR cannot carry: a bare 500. */
			bn_app_response_reset(resp);
			resp->status = 500;
			if ((r = encode_tail(resp, 0, &tx->tail,
			    &tx->taillen)) != BN_OK)
				goto out;
		}
		blen = resp->file_fd >= 0 ? resp->file_len : resp->body_len;
		tx->head[0] = 0xa3;
		tx->head[1] = 0x61;
		tx->head[2] = 0x62;
		tx->headlen = 3 + cbor_bytes_head(tx->head + 3, blen);
	}
	tx->body = resp->body;
	tx->bodylen = resp->body_len;
	tx->fd = resp->file_fd;
	tx->filelen = resp->file_len;
	resp->body = NULL;
	resp->body_len = 0;
	resp->file_fd = -1;
	tx->phase = tx->body_only ? TX_BODY : TX_HEAD;
	tx->off = 0;
 out:
	bn_app_response_reset(resp);
	return r;
}

/* compat/legacy: the body as one message.  1 done, 0 wait, <0 drop. */
static int
tx_write_message(struct up_tx *tx)
{
	static const char cut[] = "response too large for a compat peer";
	int r;

	r = bn_htx_session_send_message(tx->c->s, tx->sid, tx->body,
	    tx->bodylen);
	if (r == BN_ERR_TOO_LARGE && tx->bodylen > sizeof(cut)) {
		memcpy(tx->body, cut, sizeof(cut) - 1);
		tx->bodylen = sizeof(cut) - 1;
		r = bn_htx_session_send_message(tx->c->s, tx->sid, tx->body,
		    tx->bodylen);
	}
	if (r == BN_ERR_BLOCKED)
		return 0;
	return r == BN_OK ? 1 : r;
}

/* The next piece of a native response (a file: up to one chunk). */
static int
tx_piece(struct up_tx *tx, uint8_t *fbuf, const uint8_t **p, size_t *n)
{
	ssize_t got;
	uint64_t left;

	switch (tx->phase) {
	case TX_HEAD:
		*p = tx->head + tx->off;
		*n = tx->headlen - tx->off;
		return BN_OK;
	case TX_BODY:
		if (tx->fd < 0) {
			*p = tx->body + tx->off;
			*n = tx->bodylen - tx->off;
			return BN_OK;
		}
		left = tx->filelen - tx->off;
		*n = left < UP_FILE_CHUNK ? (size_t)left : UP_FILE_CHUNK;
		*p = fbuf;
		if (*n == 0)
			return BN_OK;
		do
			got = pread(tx->fd, fbuf, *n, (off_t)tx->off);
		while (got < 0 && errno == EINTR);
		if (got != (ssize_t)*n) {
			bn_log_event(BN_LOG_ERROR, "static_read", "conn=%llu "
			    "stream=%u errno=%d", (unsigned long long)
			    tx->c->id, tx->sid, got < 0 ? errno : 0);
			return BN_ERR_SYSTEM;
		}
		return BN_OK;
	default:
		*p = tx->tail + tx->off;
		*n = tx->taillen - tx->off;
		return BN_OK;
	}
}

/* native: head, body, tail as room allows.  1 done, 0 wait, <0 drop. */
static int
tx_write_stream(struct up_tx *tx)
{
	uint8_t fbuf[UP_FILE_CHUNK];
	const uint8_t *p;
	size_t n, acc;
	int r, last;

	while (tx->phase != TX_DONE) {
		if ((r = tx_piece(tx, fbuf, &p, &n)) != BN_OK)
			return r;
		last = tx->phase == TX_TAIL;
		if (n == 0 && !last) {
			tx->phase++;
			tx->off = 0;
			continue;
		}
		acc = 0;
		r = bn_htx_session_write(tx->c->s, tx->sid, p, n, last, &acc);
		if (r == BN_ERR_BLOCKED)
			return 0;
		if (r != BN_OK)
			return r;
		tx->off += acc;
		if (acc < n)
			return 0;
		/* a file goes in chunks: the phase ends at its length */
		if (tx->phase == TX_BODY && tx->fd >= 0 &&
		    tx->off < tx->filelen)
			continue;
		tx->phase++;
		tx->off = 0;
	}
	return 1;
}

/* Push one response; frees it when done or dropped. */
static void
tx_pump(struct up_tx *tx)
{
	int r;

	if (tx->phase == TX_WAIT)
		return;
	r = tx->body_only ? tx_write_message(tx) : tx_write_stream(tx);
	if (r == 0)
		return;
	if (r < 0) {
		bn_log_event(BN_LOG_INFO, "response_drop", "conn=%llu "
		    "stream=%u err=%d", (unsigned long long)tx->c->id,
		    tx->sid, r);
		if (!tx->body_only)
			(void)bn_htx_session_reset_stream(tx->c->s, tx->sid);
	}
	tx_free(tx);
}

void
up_bridge_pump(struct up_conn *c)
{
	struct up_tx *tx, *next;

	for (tx = c->tx; tx != NULL; tx = next) {
		next = tx->next;
		tx_pump(tx);
	}
}

/* Answer on a fresh tx: resp is consumed. */
static void
respond(struct up_conn *c, uint32_t sid, int body_only,
    struct bn_app_response *resp)
{
	struct up_tx *tx;

	if ((tx = tx_new(c, sid, body_only)) == NULL) {
		bn_app_response_reset(resp);
		(void)bn_htx_session_reset_stream(c->s, sid);
		return;
	}
	if (tx_set_response(tx, resp) != BN_OK) {
		tx_free(tx);
		(void)bn_htx_session_reset_stream(c->s, sid);
		return;
	}
	tx_pump(tx);
}

static void
respond_error(struct up_conn *c, uint32_t sid, int body_only, int status)
{
	struct bn_app_response resp;

	bn_app_response_init(&resp);
	if (bn_app_error(&resp, status, NULL) != BN_OK)
		resp.status = status;
	respond(c, sid, body_only, &resp);
}

static void
proxy_done(void *arg, struct bn_app_response *resp)
{
	struct up_tx *tx = arg;
	struct up_conn *c = tx->c;

	tx->preq = NULL;
	if (tx_set_response(tx, resp) != BN_OK) {
		if (!tx->body_only)
			(void)bn_htx_session_reset_stream(c->s, tx->sid);
		tx_free(tx);
	} else
		tx_pump(tx);
	up_conn_run(c);
}

static int
unrouted(const struct bn_app_response *resp)
{
	return resp->status == 404 &&
	    bn_app_response_header(resp, UP_UNROUTED_HDR) != NULL;
}

/* Run the app (or the proxy) for one decoded request. */
static void
serve(struct up_conn *c, uint32_t sid, int body_only, struct up_bridge_req *r)
{
	struct bn_app_request *req = &r->req;
	struct bn_app_response resp;
	struct up_server *srv = c->srv;
	struct up_tx *tx;
	int status;

	if ((status = up_bridge_app_request(r)) != 0) {
		respond_error(c, sid, body_only, status);
		return;
	}
	req->peer = c->peer;
	(void)bn_app_handle(srv->app, req, &resp);
	if (srv->proxy == NULL || !unrouted(&resp)) {
		respond(c, sid, body_only, &resp);
		return;
	}
	bn_app_response_reset(&resp);
	if ((tx = tx_new(c, sid, body_only)) == NULL) {
		(void)bn_htx_session_reset_stream(c->s, sid);
		return;
	}
	if ((tx->preq = up_proxy_send(srv->proxy, req, proxy_done, tx)) ==
	    NULL) {
		tx_free(tx);
		respond_error(c, sid, body_only, 502);
	}
}

static void
echo(struct up_conn *c, uint32_t sid, const uint8_t *p, size_t len)
{
	struct up_tx *tx;

	if ((tx = tx_new(c, sid, 1)) == NULL)
		return;
	if (len > 0 && (tx->body = malloc(len)) == NULL) {
		tx_free(tx);
		return;
	}
	if (len > 0)
		memcpy(tx->body, p, len);
	tx->bodylen = len;
	tx->phase = TX_BODY;
	tx_pump(tx);
}

void
up_bridge_message(struct up_conn *c, uint32_t sid, const uint8_t *p,
    size_t len)
{
	struct up_bridge_req r;
	int e, compat = c->profile == BN_HTX_PROFILE_COMPAT;

	if (c->profile == BN_HTX_PROFILE_LEGACY11) {
		echo(c, sid, p, len);
		return;
	}
	if ((e = up_bridge_decode(&r, p, len, compat)) != BN_OK) {
		bn_log_event(BN_LOG_INFO, "bad_request", "conn=%llu peer=%s "
		    "stream=%u err=%s", (unsigned long long)c->id, c->peer,
		    sid, e == BN_ERR_LIMIT ? "too_many_headers" : "malformed");
		respond_error(c, sid, compat, e == BN_ERR_LIMIT ? 431 : 400);
		return;
	}
	serve(c, sid, compat, &r);
}

void
up_bridge_reset(struct up_conn *c, uint32_t sid, int err)
{
	if (err == BN_ERR_TOO_LARGE && c->profile == BN_HTX_PROFILE_NATIVE)
		respond_error(c, sid, 0, 413);
}
