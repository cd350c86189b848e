/*
 * gw_request: the request parser of htx-gw.  See gw_request.h.
 *
 * http-parser does the tokenizing (methods, versions, chunk sizes,
 * Content-Length digits, header token characters).  What it does not do,
 * or does too leniently for a gateway in front of other parsers, is
 * checked here:
 *   - obs-fold and bare LF in the head: a raw scan of the head bytes
 *     before http-parser sees them (it would silently unfold);
 *   - our own limits per line, per head and on the header count;
 *   - Transfer-Encoding other than exactly "chunked", TE with
 *     Content-Length, TE on HTTP/1.0, a missing or repeated Host,
 *     unknown expectations: the request smuggling defences.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/crypto.h"
#include "betanet/err.h"
#include "gw_request.h"

/* Raw head scanner states. */
enum {
	SC_START = 0,	/* before the request line: CR/LF skipped */
	SC_LINE,
	SC_CR,
	SC_LINESTART,
	SC_END_CR,
	SC_OFF,		/* head over: body bytes are not scanned */
};

void
gw_limits_default(struct gw_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_body = 1 << 20;
	lim->max_headers = 64;
	lim->max_line = 8192;
	lim->max_head = 65536;
	lim->header_timeout_ms = 10000;
	lim->body_timeout_ms = 30000;
	lim->idle_timeout_ms = 60000;
	lim->send_timeout_ms = 30000;
	lim->admit_max_ms = 3600000;
	lim->max_conns = 10000;
	lim->out_high = 256 * 1024;
	lim->retry_after_s = 1;
}

int
gw_str_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		if (b[i] == '\0' ||
		    tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	}
	return b[i] == '\0';
}

/* ---- the arena ------------------------------------------------------ */

/*
 * Finished requests kept for reuse.  A request is about 10 KiB (the
 * header table) and a keep-alive connection makes one per request, so
 * recycling saves a calloc of that per request; and since a finished
 * request goes back here (gw_parser_resume after DONE), an idle
 * connection holds none.  One list per process: the gateway's workers
 * are processes, each single-threaded.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(BN_FUZZING)
#define GW_REQ_RECYCLE		0	/* let ASan see every stale use */
#else
#define GW_REQ_RECYCLE		1
#endif
#define GW_REQ_CACHE		64
#define GW_REQ_KEEP_ARENA	4096	/* arenas up to this size kept */

static struct gw_request	*req_cache[GW_REQ_CACHE];
static size_t			 req_ncache;

static struct gw_request *
request_new(size_t amax)
{
	struct gw_request *r;
	char *arena;
	size_t acap;

	if (req_ncache > 0) {
		r = req_cache[--req_ncache];
		arena = r->arena;
		acap = r->acap;
		/* Entries of h[] are set as headers arrive: not cleared. */
		memset(r, 0, offsetof(struct gw_request, h));
		memset(&r->nhdr, 0, sizeof(*r) -
		    offsetof(struct gw_request, nhdr));
		r->arena = arena;
		r->acap = acap;
	} else if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->content_length = -1;
	r->amax = amax;
	return r;
}

static void
request_free(struct gw_request *r)
{
	if (r == NULL)
		return;
	/* The arena held the request's ticket (cookie, query, form). */
	if (r->arena != NULL)
		bn_cleanse(r->arena, r->alen);
	if (GW_REQ_RECYCLE && req_ncache < GW_REQ_CACHE &&
	    r->acap <= GW_REQ_KEEP_ARENA) {
		req_cache[req_ncache++] = r;
		return;
	}
	free(r->arena);
	free(r);
}

/* Append n bytes; BN_ERR_NO_SPACE past amax. */
static int
arena_put(struct gw_request *r, const char *p, size_t n)
{
	size_t ncap;
	char *na;

	if (n > r->amax || r->amax - n < r->alen)
		return BN_ERR_NO_SPACE;
	if (r->acap - r->alen < n) {
		ncap = r->acap ? r->acap : 1024;
		while (ncap - r->alen < n)
			ncap *= 2;
		if (ncap > r->amax)
			ncap = r->amax;
		/* Not realloc: the old arena may hold a ticket; wipe it. */
		if ((na = malloc(ncap)) == NULL)
			return BN_ERR_ALLOC;
		if (r->arena != NULL) {
			memcpy(na, r->arena, r->alen);
			bn_cleanse(r->arena, r->alen);
			free(r->arena);
		}
		r->arena = na;
		r->acap = ncap;
	}
	memcpy(r->arena + r->alen, p, n);
	r->alen += n;
	return BN_OK;
}

/* ---- reading and editing -------------------------------------------- */

void
gw_request_hdr(const struct gw_request *r, size_t i, struct gw_hdr *out)
{
	const struct gw_hdr_ent *e = &r->h[i];

	out->name = r->arena + e->name_off;
	out->name_len = e->name_len;
	out->value = r->arena + e->value_off;
	out->value_len = e->value_len;
}

const char *
gw_request_target(const struct gw_request *r, size_t *len)
{
	*len = r->target_len;
	return r->arena + r->target_off;
}

long
gw_request_find(const struct gw_request *r, const char *name, long from)
{
	size_t i;

	for (i = from < 0 ? 0 : (size_t)from; i < r->nhdr; i++) {
		if (!r->h[i].deleted && gw_str_ieq(r->arena +
		    r->h[i].name_off, r->h[i].name_len, name))
			return (long)i;
	}
	return -1;
}

static const char *const hop_by_hop[] = {
	"connection", "keep-alive", "proxy-connection", "te", "trailer",
	"transfer-encoding", "upgrade", "content-length", "expect",
	"http2-settings", NULL,
};

static int
is_hop_by_hop(const char *name, size_t len)
{
	size_t i;

	for (i = 0; hop_by_hop[i] != NULL; i++)
		if (gw_str_ieq(name, len, hop_by_hop[i]))
			return 1;
	return 0;
}

size_t
gw_request_fwd_hdrs(const struct gw_request *r, struct gw_hdr *out,
    size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < r->nhdr && n < cap; i++) {
		if (r->h[i].deleted)
			continue;
		gw_request_hdr(r, i, &out[n]);
		if (is_hop_by_hop(out[n].name, out[n].name_len))
			continue;
		n++;
	}
	return n;
}

int
gw_request_set_target(struct gw_request *r, const char *t, size_t n)
{
	size_t off = r->alen;
	int ret;

	if ((ret = arena_put(r, t, n)) != BN_OK)
		return ret;
	r->target_off = off;
	r->target_len = n;
	return BN_OK;
}

int
gw_request_set_value(struct gw_request *r, size_t i, const char *v,
    size_t n)
{
	size_t off = r->alen;
	int ret;

	if (i >= r->nhdr)
		return BN_ERR_INVALID_ARG;
	if ((ret = arena_put(r, v, n)) != BN_OK)
		return ret;
	r->h[i].value_off = off;
	r->h[i].value_len = n;
	return BN_OK;
}

void
gw_request_del(struct gw_request *r, size_t i)
{
	if (i < r->nhdr)
		r->h[i].deleted = 1;
}

int
gw_request_add(struct gw_request *r, const char *name, const char *v,
    size_t n)
{
	struct gw_hdr_ent *e;
	size_t noff = r->alen, nlen = strlen(name);
	int ret;

	if (r->nhdr >= GW_HDR_CAP)
		return BN_ERR_NO_SPACE;
	if ((ret = arena_put(r, name, nlen)) != BN_OK ||
	    (ret = arena_put(r, v, n)) != BN_OK)
		return ret;
	e = &r->h[r->nhdr++];
	e->name_off = noff;
	e->name_len = nlen;
	e->value_off = noff + nlen;
	e->value_len = n;
	e->deleted = 0;
	return BN_OK;
}

/* ---- http-parser callbacks ------------------------------------------ */

static int
fail(struct gw_parser *p, int status, const char *reason)
{
	if (p->status == 0) {
		p->status = status;
		p->reason = reason;
	}
	return -1;
}

static int
cb_message_begin(http_parser *hp)
{
	struct gw_parser *p = hp->data;

	request_free(p->req);
	if ((p->req = request_new(p->lim->max_head + GW_ARENA_SLACK)) == NULL)
		return fail(p, 500, "alloc");
	p->req->target_off = 0;
	p->phase = GW_PP_HEAD;
	p->body_seen = 0;
	p->in_value = 0;
	return 0;
}

static int
head_put(struct gw_parser *p, const char *at, size_t n)
{
	int r;

	if (p->req->alen > p->lim->max_head ||
	    n > p->lim->max_head - p->req->alen)
		return fail(p, 431, "head_too_large");
	if ((r = arena_put(p->req, at, n)) != BN_OK)
		return fail(p, r == BN_ERR_ALLOC ? 500 : 431, "head_too_large");
	return 0;
}

static int
cb_url(http_parser *hp, const char *at, size_t n)
{
	struct gw_parser *p = hp->data;
	struct gw_request *r = p->req;

	if (r->target_len > p->lim->max_line ||
	    n > p->lim->max_line - r->target_len)
		return fail(p, 414, "uri_too_long");
	if (head_put(p, at, n) != 0)
		return -1;
	r->target_len += n;
	return 0;
}

static int
cb_header_field(http_parser *hp, const char *at, size_t n)
{
	struct gw_parser *p = hp->data;
	struct gw_request *r = p->req;
	struct gw_hdr_ent *e;

	if (p->phase != GW_PP_HEAD)
		return 0;	/* a trailer field: dropped */
	if (r->nhdr == 0 || p->in_value) {
		if (r->nhdr >= p->lim->max_headers || r->nhdr >= GW_HDR_CAP)
			return fail(p, 431, "too_many_headers");
		e = &r->h[r->nhdr++];
		memset(e, 0, sizeof(*e));
		e->name_off = r->alen;
		p->in_value = 0;
	}
	e = &r->h[r->nhdr - 1];
	if (e->name_len > p->lim->max_line ||
	    n > p->lim->max_line - e->name_len)
		return fail(p, 431, "header_line_too_long");
	if (head_put(p, at, n) != 0)
		return -1;
	e->name_len += n;
	return 0;
}

static int
cb_header_value(http_parser *hp, const char *at, size_t n)
{
	struct gw_parser *p = hp->data;
	struct gw_request *r = p->req;
	struct gw_hdr_ent *e;

	if (p->phase != GW_PP_HEAD)
		return 0;
	if (r->nhdr == 0)
		return fail(p, 400, "bad_header");
	e = &r->h[r->nhdr - 1];
	if (!p->in_value) {
		e->value_off = r->alen;
		p->in_value = 1;
	}
	if (e->name_len + e->value_len > p->lim->max_line ||
	    n > p->lim->max_line - e->name_len - e->value_len)
		return fail(p, 431, "header_line_too_long");
	if (head_put(p, at, n) != 0)
		return -1;
	e->value_len += n;
	return 0;
}

/* Trim spaces and tabs around a counted string. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static int
host_ok(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == 0 || (!isalnum(c) &&
		    strchr("-._:[]~!$&'()*+,;=%", c) == NULL))
			return 0;
	}
	return 1;
}

/* RFC 9110 token (http-parser, built non-strict, lets spaces in). */
static int
is_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0 || (!isalnum(c) &&
		    strchr("!#$%&'*+-.^_`|~", c) == NULL))
			return 0;
	}
	return n > 0;
}

/* Header checks http-parser leaves to us; fills the framing fields. */
static int
check_headers(struct gw_parser *p, struct gw_request *r)
{
	struct gw_hdr h;
	size_t i, nhost = 0, nte = 0;
	const char *v;
	size_t vn;

	for (i = 0; i < r->nhdr; i++) {
		gw_request_hdr(r, i, &h);
		v = h.value;
		vn = h.value_len;
		trim(&v, &vn);
		if (!is_token(h.name, h.name_len))
			return fail(p, 400, "bad_header_name");
		if (memchr(h.value, '\0', h.value_len) != NULL)
			return fail(p, 400, "bad_header_value");
		if (gw_str_ieq(h.name, h.name_len, "host")) {
			if (++nhost > 1 || !host_ok(v, vn))
				return fail(p, 400, "bad_host");
		} else if (gw_str_ieq(h.name, h.name_len,
		    "transfer-encoding")) {
			if (++nte > 1 || !gw_str_ieq(v, vn, "chunked"))
				return fail(p, 400, "bad_transfer_encoding");
		} else if (gw_str_ieq(h.name, h.name_len, "expect")) {
			if (!gw_str_ieq(v, vn, "100-continue"))
				return fail(p, 417, "bad_expect");
			r->expect_continue = r->minor >= 1;
		} else if (gw_str_ieq(h.name, h.name_len, "content-type")) {
			r->is_form = vn >= 33 && gw_str_ieq(v, 33,
			    "application/x-www-form-urlencoded") &&
			    (vn == 33 || v[33] == ';' || v[33] == ' ');
		}
	}
	if (r->major == 1 && r->minor >= 1 && nhost == 0)
		return fail(p, 400, "missing_host");
	if (nte > 0 && (r->minor == 0 || (p->hp.flags & F_CONTENTLENGTH)))
		return fail(p, 400, "te_and_cl");
	return 0;
}

static int
method_ok(int m)
{
	switch (m) {
	case HTTP_GET:
	case HTTP_HEAD:
	case HTTP_POST:
	case HTTP_PUT:
	case HTTP_DELETE:
	case HTTP_PATCH:
	case HTTP_OPTIONS:
		return 1;
	}
	return 0;
}

/* Absolute-form targets become origin-form (RFC 9112 §3.2.2). */
static int
normalize_target(struct gw_parser *p, struct gw_request *r)
{
	struct http_parser_url u;
	const char *t = r->arena + r->target_off;
	char *tmp;
	size_t n, plen, qlen;
	int ret;

	if (r->target_len == 0)
		return fail(p, 400, "bad_target");
	if (t[0] == '/')
		return 0;
	if (r->target_len == 1 && t[0] == '*' && r->method == HTTP_OPTIONS)
		return 0;
	http_parser_url_init(&u);
	if (http_parser_parse_url(t, r->target_len, 0, &u) != 0 ||
	    !(u.field_set & (1 << UF_SCHEMA)))
		return fail(p, 400, "bad_target");
	plen = (u.field_set & (1 << UF_PATH)) ? u.field_data[UF_PATH].len : 0;
	qlen = (u.field_set & (1 << UF_QUERY)) ?
	    u.field_data[UF_QUERY].len + 1 : 0;
	n = (plen ? plen : 1) + qlen;
	if ((tmp = malloc(n)) == NULL)
		return fail(p, 500, "alloc");
	if (plen)
		memcpy(tmp, t + u.field_data[UF_PATH].off, plen);
	else
		tmp[0] = '/';
	if (qlen) {
		tmp[plen ? plen : 1] = '?';
		memcpy(tmp + (plen ? plen : 1) + 1,
		    t + u.field_data[UF_QUERY].off, qlen - 1);
	}
	ret = gw_request_set_target(r, tmp, n);
	free(tmp);
	return ret == BN_OK ? 0 : fail(p, 414, "uri_too_long");
}

static int
cb_headers_complete(http_parser *hp)
{
	struct gw_parser *p = hp->data;
	struct gw_request *r = p->req;

	r->method = hp->method;
	r->method_str = http_method_str(hp->method);
	r->major = hp->http_major;
	r->minor = hp->http_minor;
	if (r->major != 1 || r->minor > 1)
		return fail(p, 505, "bad_version");
	if (!method_ok(r->method))
		return fail(p, 501, "method_not_implemented");
	if (check_headers(p, r) != 0 || normalize_target(p, r) != 0)
		return -1;
	r->chunked = (hp->flags & F_CHUNKED) != 0;
	if (hp->flags & F_CONTENTLENGTH) {
		if (hp->content_length > p->lim->max_body)
			return fail(p, 413, "body_too_large");
		r->content_length = (int64_t)hp->content_length;
	}
	r->has_body = r->chunked || r->content_length > 0;
	if (!r->has_body)
		r->expect_continue = 0;
	r->keep_alive = http_should_keep_alive(hp);
	/* We never switch protocols: Upgrade is hop-by-hop and dropped. */
	hp->upgrade = 0;
	p->phase = GW_PP_BODY;
	p->cb.on_head(p->cb.arg, r);
	http_parser_pause(hp, 1);
	return 0;
}

static int
cb_body(http_parser *hp, const char *at, size_t n)
{
	struct gw_parser *p = hp->data;

	if (n > p->lim->max_body || p->body_seen > p->lim->max_body - n)
		return fail(p, 413, "body_too_large");
	p->body_seen += n;
	if (p->cb.on_body(p->cb.arg, (const uint8_t *)at, n) != 0)
		http_parser_pause(hp, 1);
	return 0;
}

static int
cb_message_complete(http_parser *hp)
{
	struct gw_parser *p = hp->data;

	p->phase = GW_PP_DONE;
	p->cb.on_end(p->cb.arg);
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = cb_message_begin,
	.on_url = cb_url,
	.on_header_field = cb_header_field,
	.on_header_value = cb_header_value,
	.on_headers_complete = cb_headers_complete,
	.on_body = cb_body,
	.on_message_complete = cb_message_complete,
};

/* ---- the raw head scan ---------------------------------------------- */

/*
 * Scan head bytes http-parser is about to see; 0 or -1 (status set).
 * Stops at the blank line ending the head, so body bytes are never
 * scanned; feeding the same head bytes again after a pause is harmless
 * because a pause only happens once the scan is SC_OFF.
 */
static int
scan_head(struct gw_parser *p, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n && p->scan != SC_OFF; i++) {
		uint8_t c = d[i];

		switch (p->scan) {
		case SC_START:
			if (c != '\r' && c != '\n') {
				p->scan = SC_LINE;
				p->line1 = 1;
			}
			break;
		case SC_LINE:
			if (c == '\r') {
				p->scan = SC_CR;
				p->line1 = 0;
			} else if (c == '\n')
				return fail(p, 400, "bare_lf");
			else if (p->line1 && (c == '\t' ||
			    (c == ' ' && p->prev == ' ')))
				return fail(p, 400, "bad_request_line");
			break;
		case SC_CR:
			if (c != '\n')
				return fail(p, 400, "bare_cr");
			p->scan = SC_LINESTART;
			break;
		case SC_LINESTART:
			if (c == ' ' || c == '\t')
				return fail(p, 400, "obs_fold");
			if (c == '\n')
				return fail(p, 400, "bare_lf");
			p->scan = c == '\r' ? SC_END_CR : SC_LINE;
			break;
		case SC_END_CR:
			if (c != '\n')
				return fail(p, 400, "bare_cr");
			p->scan = SC_OFF;
			break;
		}
		p->prev = c;
	}
	return 0;
}

/* ---- the API -------------------------------------------------------- */

void
gw_parser_init(struct gw_parser *p, const struct gw_limits *lim,
    const struct gw_parser_cb *cb)
{
	memset(p, 0, sizeof(*p));
	http_parser_init(&p->hp, HTTP_REQUEST);
	p->hp.data = p;
	p->lim = lim;
	p->cb = *cb;
	p->phase = GW_PP_IDLE;
	p->scan = SC_START;
}

void
gw_parser_clear(struct gw_parser *p)
{
	request_free(p->req);
	p->req = NULL;
}

static int
status_of_errno(enum http_errno e)
{
	switch (e) {
	case HPE_HEADER_OVERFLOW:
		return 431;
	case HPE_INVALID_VERSION:
		return 505;
	default:
		return 400;
	}
}

int
gw_parser_feed(struct gw_parser *p, const uint8_t *d, size_t n,
    size_t *used)
{
	enum http_errno e;
	size_t k;

	*used = 0;
	if (p->phase == GW_PP_ERROR)
		return BN_ERR_STATE;
	if (p->phase == GW_PP_DONE || HTTP_PARSER_ERRNO(&p->hp) == HPE_PAUSED)
		return GW_PARSE_PAUSED;
	if (n == 0)
		return GW_PARSE_MORE;
	if (p->phase != GW_PP_BODY && scan_head(p, d, n) != 0)
		goto bad;
	if (p->phase == GW_PP_IDLE && p->scan != SC_START)
		p->phase = GW_PP_HEAD;
	k = http_parser_execute(&p->hp, &settings, (const char *)d, n);
	*used = k;
	e = HTTP_PARSER_ERRNO(&p->hp);
	if (e == HPE_PAUSED)
		return GW_PARSE_PAUSED;
	if (e != HPE_OK) {
		if (p->status == 0)
			fail(p, status_of_errno(e), http_errno_name(e));
		goto bad;
	}
	if (k != n) {
		fail(p, 400, "parser_stopped");
		goto bad;
	}
	return GW_PARSE_MORE;
 bad:
	p->phase = GW_PP_ERROR;
	switch (p->status) {
	case 413:
		return BN_ERR_TOO_LARGE;
	case 414:
	case 431:
		return BN_ERR_LIMIT;
	case 500:
		return BN_ERR_ALLOC;
	default:
		return BN_ERR_MALFORMED;
	}
}

void
gw_parser_resume(struct gw_parser *p)
{
	if (p->phase == GW_PP_ERROR)
		return;
	if (p->phase == GW_PP_DONE) {
		request_free(p->req);	/* finished: see gw_request.h */
		p->req = NULL;
		p->phase = GW_PP_IDLE;
		p->scan = SC_START;
	}
	http_parser_pause(&p->hp, 0);
}

int
gw_parser_status(const struct gw_parser *p)
{
	return p->status;
}

const char *
gw_parser_reason(const struct gw_parser *p)
{
	return p->reason != NULL ? p->reason : "ok";
}

enum gw_parse_phase
gw_parser_phase(const struct gw_parser *p)
{
	return p->phase;
}

struct gw_request *
gw_parser_request(struct gw_parser *p)
{
	return p->req;
}
