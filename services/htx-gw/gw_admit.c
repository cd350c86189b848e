/*
 * gw_admit: ticket and voucher admission for htx-gw.  See gw_admit.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/ipc.h"
#include "betanet/log.h"
#include "gw_admit.h"
#include "ticketd.pb-c.h"

#define TICKETD_REQ_MAX	2048

struct gw_admit {
	struct gw_admit_opts	 o;
	char			*cookie_name;
	char			*voucher_header;
	char			*ticketd_path;
	struct bn_ipc_client	*ipc;
	uint64_t		 next_id;
};

struct gw_admit_pending {
	gw_admit_done_fn	 done;	/* NULL once cancelled */
	void			*arg;
	int			 outstanding;
	enum gw_admit_verdict	 v;
	const char		*reason;
};

/* Indexed by the ticketd Reason enum (proto/ticketd.proto). */
static const char *const reason_str[] = {
	"ok",
	"ticket refused: malformed",
	"ticket refused: bad version",
	"ticket refused: unknown key",
	"ticket refused: expired",
	"ticket refused: bad mac",
	"ticket refused: replay",
	"ticket refused: rate limited",
	"voucher refused: malformed",
	"voucher refused: unknown keyset",
	"voucher refused: spent",
	"voucher refused: rate limited",
	"refused: internal error",
};

void
gw_admit_cand_clear(struct gw_admit_cand *c)
{
	bn_cleanse(c, sizeof(*c));
}

size_t
gw_admit_preadmit_cap(const struct gw_admit_opts *o)
{
	return o->preadmit_body != 0 ? o->preadmit_body :
	    GW_ADMIT_PREADMIT_BODY;
}

/* ---- finding the ticket --------------------------------------------- */

static enum gw_admit_verdict
carrier_result(int r, struct gw_admit_cand *c, size_t len,
    const char **reason)
{
	if (r == BN_OK) {
		c->ticket_len = len;
		c->has_ticket = 1;
		return GW_ADMIT_VERIFY;
	}
	if (r == BN_ERR_NOT_FOUND)
		return GW_ADMIT_NEED_BODY;	/* "keep looking" */
	*reason = "ticket refused: malformed";
	return GW_ADMIT_REFUSE;
}

static enum gw_admit_verdict
find_voucher(const struct gw_admit_opts *o, const struct gw_request *r,
    struct gw_admit_cand *c, const char **reason)
{
	struct bn_voucher v;
	struct gw_hdr h;
	long i;

	i = gw_request_find(r, o->voucher_header != NULL ?
	    o->voucher_header : BN_VOUCHER_HEADER, -1);
	if (i < 0) {
		*reason = "voucher refused: missing";
		return GW_ADMIT_REFUSE;
	}
	gw_request_hdr(r, (size_t)i, &h);
	if (bn_voucher_parse_header(&v, h.value, h.value_len) != BN_OK) {
		*reason = "voucher refused: malformed";
		return GW_ADMIT_REFUSE;
	}
	bn_voucher_encode(c->voucher, &v);
	bn_voucher_clear(&v);
	c->has_voucher = 1;
	return GW_ADMIT_OK;
}

enum gw_admit_verdict
gw_admit_head(const struct gw_admit_opts *o, const struct gw_request *r,
    int admitted, struct gw_admit_cand *c, const char **reason)
{
	enum gw_admit_verdict v;
	struct gw_hdr h;
	const char *t, *q;
	size_t tlen, len = 0;
	long i;
	int ret;

	memset(c, 0, sizeof(*c));
	*reason = "";
	for (i = gw_request_find(r, BN_TICKET_HDR_NAME, -1); i >= 0;
	    i = gw_request_find(r, BN_TICKET_HDR_NAME, i + 1)) {
		gw_request_hdr(r, (size_t)i, &h);
		if (bn_ticket_header_check(NULL, h.value, h.value_len,
		    NULL) != BN_TICKET_HDR_OK) {
			*reason = "malformed BN-Ticket header";
			return GW_ADMIT_BAD;
		}
	}
	if (!o->tickets || admitted)
		return GW_ADMIT_OK;
	if (o->vouchers_required &&
	    (v = find_voucher(o, r, c, reason)) != GW_ADMIT_OK)
		return v;
	for (i = gw_request_find(r, "cookie", -1); i >= 0;
	    i = gw_request_find(r, "cookie", i + 1)) {
		gw_request_hdr(r, (size_t)i, &h);
		ret = bn_ticket_from_cookie(c->ticket, sizeof(c->ticket),
		    &len, h.value, h.value_len, o->cookie_name);
		v = carrier_result(ret, c, len, reason);
		if (v != GW_ADMIT_NEED_BODY)
			return v;
	}
	t = gw_request_target(r, &tlen);
	if ((q = memchr(t, '?', tlen)) != NULL) {
		ret = bn_ticket_from_query(c->ticket, sizeof(c->ticket), &len,
		    q, tlen - (size_t)(q - t));
		v = carrier_result(ret, c, len, reason);
		if (v != GW_ADMIT_NEED_BODY)
			return v;
	}
	/* The body is read before admission: only a small one (H2). */
	if (r->is_form && r->has_body && (r->chunked ||
	    (uint64_t)r->content_length <= gw_admit_preadmit_cap(o)))
		return GW_ADMIT_NEED_BODY;
	*reason = "ticket refused: missing";
	return GW_ADMIT_REFUSE;
}

enum gw_admit_verdict
gw_admit_form(const struct gw_admit_opts *o, const uint8_t *body,
    size_t blen, struct gw_admit_cand *c, const char **reason)
{
	enum gw_admit_verdict v;
	size_t len = 0;
	int ret;

	ret = bn_ticket_from_form(c->ticket, sizeof(c->ticket), &len,
	    (const char *)body, blen);
	v = carrier_result(ret, c, len, reason);
	if (v == GW_ADMIT_NEED_BODY) {
		*reason = "ticket refused: missing";
		return GW_ADMIT_REFUSE;
	}
	return v;
}

/* ---- stripping ------------------------------------------------------ */

static void
trim_ows(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/*
 * Copy the sep-separated pairs of in[0..n) to out, leaving out those
 * named `name` (with cookie: OWS-trimmed, joined by "; ").  The length
 * written; out needs n bytes.
 */
static size_t
drop_pairs(char *out, const char *in, size_t n, char sep, int cookie,
    const char *name)
{
	size_t o = 0, plen, klen, nlen = strlen(name);
	const char *p, *end, *eq, *k;

	while (n > 0) {
		p = in;
		if ((end = memchr(in, sep, n)) != NULL) {
			plen = (size_t)(end - in);
			in = end + 1;
			n -= plen + 1;
		} else {
			plen = n;
			n = 0;
		}
		if (cookie)
			trim_ows(&p, &plen);
		if (plen == 0)
			continue;
		k = p;
		eq = memchr(p, '=', plen);
		klen = eq != NULL ? (size_t)(eq - p) : plen;
		if (cookie)
			trim_ows(&k, &klen);
		if (klen == nlen && memcmp(k, name, nlen) == 0)
			continue;
		if (o > 0) {
			out[o++] = sep;
			if (cookie)
				out[o++] = ' ';
		}
		memmove(out + o, p, plen);
		o += plen;
	}
	return o;
}

static int
strip_cookies(const struct gw_admit_opts *o, struct gw_request *r)
{
	const char *name = o->cookie_name != NULL ? o->cookie_name :
	    BN_TICKET_COOKIE_NAME;
	struct gw_hdr h;
	char *tmp;
	size_t n;
	long i;
	int ret = BN_OK;

	for (i = gw_request_find(r, "cookie", -1); i >= 0 && ret == BN_OK;
	    i = gw_request_find(r, "cookie", i + 1)) {
		gw_request_hdr(r, (size_t)i, &h);
		/* "; " may replace ";": at most one more byte per pair. */
		if ((tmp = malloc(h.value_len * 2 + 1)) == NULL)
			return BN_ERR_ALLOC;
		n = drop_pairs(tmp, h.value, h.value_len, ';', 1, name);
		if (n == 0)
			gw_request_del(r, (size_t)i);
		else if (n != h.value_len || memcmp(tmp, h.value, n) != 0)
			ret = gw_request_set_value(r, (size_t)i, tmp, n);
		bn_cleanse(tmp, h.value_len * 2 + 1);
		free(tmp);
	}
	return ret;
}

static int
strip_query(struct gw_request *r)
{
	const char *t, *q;
	size_t tlen, plen, n;
	char *tmp;
	int ret = BN_OK;

	t = gw_request_target(r, &tlen);
	if ((q = memchr(t, '?', tlen)) == NULL)
		return BN_OK;
	plen = (size_t)(q - t);
	if ((tmp = malloc(tlen + 1)) == NULL)
		return BN_ERR_ALLOC;
	memcpy(tmp, t, plen + 1);
	n = drop_pairs(tmp + plen + 1, q + 1, tlen - plen - 1, '&', 0,
	    BN_TICKET_PARAM_NAME);
	n = n == 0 ? plen : plen + 1 + n;	/* "?" only with a query */
	if (n != tlen)
		ret = gw_request_set_target(r, tmp, n);
	bn_cleanse(tmp, tlen + 1);
	free(tmp);
	return ret;
}

/*
 * A browser sends the page it came from as Referer, query and all: a
 * page reached with ?bn1=... would hand the ticket to the app on the
 * next request.  Drop bn1 from each Referer's query (up to any '#').
 */
static int
strip_referers(struct gw_request *r)
{
	struct gw_hdr h;
	const char *q, *frag;
	size_t plen, qlen, n;
	char *tmp;
	long i;
	int ret = BN_OK;

	for (i = gw_request_find(r, "referer", -1); i >= 0 && ret == BN_OK;
	    i = gw_request_find(r, "referer", i + 1)) {
		gw_request_hdr(r, (size_t)i, &h);
		if ((q = memchr(h.value, '?', h.value_len)) == NULL)
			continue;
		plen = (size_t)(q - h.value);
		frag = memchr(q, '#', h.value_len - plen);
		qlen = (frag != NULL ? (size_t)(frag - q) : h.value_len -
		    plen) - 1;
		if ((tmp = malloc(h.value_len + 1)) == NULL)
			return BN_ERR_ALLOC;
		memcpy(tmp, h.value, plen + 1);
		n = drop_pairs(tmp + plen + 1, q + 1, qlen, '&', 0,
		    BN_TICKET_PARAM_NAME);
		n = n == 0 ? plen : plen + 1 + n;	/* "?" if a query */
		if (frag != NULL) {
			memcpy(tmp + n, frag, h.value_len - plen - 1 - qlen);
			n += h.value_len - plen - 1 - qlen;
		}
		if (n != h.value_len)
			ret = gw_request_set_value(r, (size_t)i, tmp, n);
		bn_cleanse(tmp, h.value_len + 1);
		free(tmp);
	}
	return ret;
}

int
gw_admit_strip(const struct gw_admit_opts *o, struct gw_request *r)
{
	long i;
	int ret;

	if ((ret = strip_cookies(o, r)) != BN_OK ||
	    (ret = strip_query(r)) != BN_OK ||
	    (ret = strip_referers(r)) != BN_OK)
		return ret;
	while ((i = gw_request_find(r, BN_TICKET_HDR_NAME, -1)) >= 0)
		gw_request_del(r, (size_t)i);
	while ((i = gw_request_find(r, o->voucher_header != NULL ?
	    o->voucher_header : BN_VOUCHER_HEADER, -1)) >= 0)
		gw_request_del(r, (size_t)i);
	return BN_OK;
}

size_t
gw_admit_strip_form(char *body, size_t len)
{
	return drop_pairs(body, body, len, '&', 0, BN_TICKET_PARAM_NAME);
}

static void
del_all(struct gw_request *r, const char *name)
{
	long i;

	for (i = gw_request_find(r, name, -1); i >= 0;
	    i = gw_request_find(r, name, i + 1))
		gw_request_del(r, (size_t)i);
}

/*
 * Nothing in front of us is trusted to say who the client is: a client
 * appending its own X-Forwarded-For or Forwarded would have the app
 * (rate limits, logs, allow lists) believe any address it likes.
 */
int
gw_admit_forwarded(struct gw_request *r, const char *client_ip)
{
	char el[96];
	int n, ret;

	/* Every client-identity header an app might trust: we are the edge. */
	del_all(r, "x-forwarded-for");
	del_all(r, "forwarded");
	del_all(r, "x-real-ip");
	del_all(r, "x-forwarded-proto");
	del_all(r, "x-forwarded-host");
	del_all(r, "x-forwarded-port");
	del_all(r, "x-client-ip");
	del_all(r, "true-client-ip");
	del_all(r, "cf-connecting-ip");
	if ((ret = gw_request_add(r, "X-Forwarded-For", client_ip,
	    strlen(client_ip))) != BN_OK)
		return ret;
	/* RFC 7239 §6: an IPv6 node is "[...]" and must be quoted. */
	n = snprintf(el, sizeof(el), strchr(client_ip, ':') != NULL ?
	    "for=\"[%s]\";proto=http" : "for=%s;proto=http", client_ip);
	if (n < 0 || (size_t)n >= sizeof(el))
		return BN_ERR_NO_SPACE;
	return gw_request_add(r, "Forwarded", el, (size_t)n);
}

/* ---- ticketd -------------------------------------------------------- */

static int
resp_get_id(const uint8_t *p, size_t len, uint64_t *id, void *arg)
{
	Betanet__Ticketd__TicketdResponse *m;

	if ((m = betanet__ticketd__ticketd_response__unpack(NULL, len,
	    p)) == NULL)
		return -1;
	*id = m->header != NULL ? m->header->id : 0;
	betanet__ticketd__ticketd_response__free_unpacked(m, NULL);
	return 0;
}

static void
on_state(struct bn_ipc_client *c, int connected, void *arg)
{
	bn_log_event(connected ? BN_LOG_INFO : BN_LOG_WARN,
	    connected ? "ticketd_connected" : "ticketd_lost", NULL);
}

struct gw_admit *
gw_admit_new(struct event_base *base, const struct gw_admit_opts *o)
{
	struct bn_ipc_client_cb cb = { resp_get_id, on_state, NULL };
	struct bn_ipc_client_opts io;
	struct gw_admit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->o = *o;
	a->cookie_name = strdup(o->cookie_name != NULL ? o->cookie_name :
	    BN_TICKET_COOKIE_NAME);
	a->voucher_header = strdup(o->voucher_header != NULL ?
	    o->voucher_header : BN_VOUCHER_HEADER);
	a->ticketd_path = o->ticketd_path != NULL ?
	    strdup(o->ticketd_path) : NULL;
	a->o.cookie_name = a->cookie_name;
	a->o.voucher_header = a->voucher_header;
	a->o.ticketd_path = a->ticketd_path;
	if (a->cookie_name == NULL || a->voucher_header == NULL)
		goto fail;
	if (o->tickets) {
		memset(&io, 0, sizeof(io));
		io.max_inflight = o->max_inflight;
		io.backoff_cap_ms = 2000;	/* back within 2 s of a restart */
		if (a->ticketd_path == NULL || (a->ipc = bn_ipc_client_new(base,
		    a->ticketd_path, &io, &cb)) == NULL)
			goto fail;
	}
	return a;
 fail:
	gw_admit_free(a);
	return NULL;
}

void
gw_admit_free(struct gw_admit *a)
{
	if (a == NULL)
		return;
	if (a->ipc != NULL)
		bn_ipc_client_free(a->ipc);
	free(a->cookie_name);
	free(a->voucher_header);
	free(a->ticketd_path);
	free(a);
}

const struct gw_admit_opts *
gw_admit_opts(const struct gw_admit *a)
{
	return &a->o;
}

int
gw_admit_connected(const struct gw_admit *a)
{
	return a->ipc != NULL && bn_ipc_client_is_connected(a->ipc);
}

/* Reason of a decoded answer; NULL when it is not an answer of kind. */
static int
answer_reason(const uint8_t *resp, size_t len, int want_ticket)
{
	Betanet__Ticketd__TicketdResponse *m;
	int reason = -1;

	if ((m = betanet__ticketd__ticketd_response__unpack(NULL, len,
	    resp)) == NULL)
		return -1;
	if (m->error != NULL && m->error->code != BETANET__ERROR_CODE__ERROR_NONE)
		reason = -1;
	else if (want_ticket && m->body_case ==
	    BETANET__TICKETD__TICKETD_RESPONSE__BODY_TICKET)
		reason = (int)m->ticket->reason;
	else if (!want_ticket && m->body_case ==
	    BETANET__TICKETD__TICKETD_RESPONSE__BODY_VOUCHER)
		reason = (int)m->voucher->reason;
	betanet__ticketd__ticketd_response__free_unpacked(m, NULL);
	return reason;
}

static void
pending_answer(struct gw_admit_pending *p, int err, const uint8_t *resp,
    size_t len, int is_ticket)
{
	enum gw_admit_verdict v = GW_ADMIT_OK;
	const char *why = "";
	int reason;

	if (err != BN_OK ||
	    (reason = answer_reason(resp, len, is_ticket)) < 0) {
		v = GW_ADMIT_UNAVAILABLE;
		why = "ticket service unavailable";
	} else if (reason != BETANET__TICKETD__REASON__OK) {
		v = GW_ADMIT_REFUSE;
		why = (size_t)reason < sizeof(reason_str) /
		    sizeof(reason_str[0]) ? reason_str[reason] : "refused";
	}
	/* A definite refusal outranks "unavailable"; the ticket's first. */
	if (v == GW_ADMIT_REFUSE && (p->v != GW_ADMIT_REFUSE || is_ticket)) {
		p->v = v;
		p->reason = why;
	} else if (v == GW_ADMIT_UNAVAILABLE && p->v == GW_ADMIT_OK) {
		p->v = v;
		p->reason = why;
	}
	if (--p->outstanding > 0)
		return;
	if (p->done != NULL)
		p->done(p->arg, p->v, p->reason);
	free(p);
}

static void
ticket_done(int err, const uint8_t *resp, size_t len, void *arg)
{
	pending_answer(arg, err, resp, len, 1);
}

static void
voucher_done(int err, const uint8_t *resp, size_t len, void *arg)
{
	pending_answer(arg, err, resp, len, 0);
}

static int
send_req(struct gw_admit *a, Betanet__Ticketd__TicketdRequest *m,
    bn_ipc_done_fn done, void *arg)
{
	Betanet__Header hdr = BETANET__HEADER__INIT;
	uint8_t buf[TICKETD_REQ_MAX];
	size_t n;
	int r;

	hdr.id = ++a->next_id;
	m->header = &hdr;
	if ((n = betanet__ticketd__ticketd_request__get_packed_size(m)) >
	    sizeof(buf))
		return BN_ERR_TOO_LARGE;
	betanet__ticketd__ticketd_request__pack(m, buf);
	r = bn_ipc_client_request(a->ipc, hdr.id, buf, n, a->o.timeout_ms,
	    done, arg);
	bn_cleanse(buf, n);
	return r;
}

int
gw_admit_verify(struct gw_admit *a, const struct gw_admit_cand *c,
    const char *client_ip, gw_admit_done_fn done, void *arg,
    struct gw_admit_pending **out)
{
	Betanet__Ticketd__TicketdRequest m = BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Ticketd__VerifyTicket vt = BETANET__TICKETD__VERIFY_TICKET__INIT;
	Betanet__Ticketd__VerifyVoucher vv = BETANET__TICKETD__VERIFY_VOUCHER__INIT;
	struct gw_admit_pending *p;
	int r;

	*out = NULL;
	if (a->ipc == NULL || !c->has_ticket ||
	    !bn_ipc_client_is_connected(a->ipc))
		return BN_ERR_CLOSED;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return BN_ERR_ALLOC;
	p->done = done;
	p->arg = arg;
	p->v = GW_ADMIT_OK;
	p->reason = "";
	vt.payload.data = (uint8_t *)(uintptr_t)c->ticket;
	vt.payload.len = c->ticket_len;
	vt.client_ip = (char *)(uintptr_t)client_ip;
	m.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_TICKET;
	m.verify_ticket = &vt;
	p->outstanding = 1;
	if ((r = send_req(a, &m, ticket_done, p)) != BN_OK) {
		free(p);
		return r;
	}
	if (c->has_voucher) {
		vv.voucher.data = (uint8_t *)(uintptr_t)c->voucher;
		vv.voucher.len = sizeof(c->voucher);
		vv.peer = (char *)(uintptr_t)client_ip;
		m.body_case =
		    BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_VOUCHER;
		m.verify_voucher = &vv;
		p->outstanding++;
		if (send_req(a, &m, voucher_done, p) != BN_OK) {
			/* The ticket answer will carry the verdict. */
			p->outstanding--;
			p->v = GW_ADMIT_UNAVAILABLE;
			p->reason = "ticket service unavailable";
		}
	}
	*out = p;
	return BN_OK;
}

void
gw_admit_cancel(struct gw_admit_pending *p)
{
	if (p != NULL)
		p->done = NULL;
}
