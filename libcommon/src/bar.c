/*
 * bar: BAR messages (see bar.h, WIRE.md §8).
 *
 * Decoding checks the whole message with bn_cbor_check() first, so the
 * walk below only has to judge types and BAR rules, never CBOR syntax.
 * Top-level keys are all one byte long, so their canonical order is
 * plain ASCII order: "b" < "h" < "m" < "s" < "u".
 */
#include <string.h>

#include "betanet/bar.h"
#include "betanet/detcbor.h"
#include "betanet/err.h"

#define BAR_SEEN_M	0x1
#define BAR_SEEN_U	0x2
#define BAR_SEEN_S	0x4

#define BAR_TEXT_MAX_METHOD	16

static const char *const method_names[] = {
	NULL, "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
};
#define BAR_NMETHODS	(sizeof(method_names) / sizeof(method_names[0]))

const char *
bn_bar_method_name(enum bn_bar_method m)
{
	if ((size_t)m >= BAR_NMETHODS)
		return NULL;
	return method_names[m];
}

enum bn_bar_method
bn_bar_method_from(const uint8_t *p, size_t len)
{
	size_t i;

	if (len == 3 && memcmp(p, "DEL", 3) == 0)
		return BN_BAR_DELETE;
	for (i = 1; i < BAR_NMETHODS; i++)
		if (strlen(method_names[i]) == len &&
		    memcmp(p, method_names[i], len) == 0)
			return (enum bn_bar_method)i;
	return BN_BAR_METHOD_UNKNOWN;
}

void
bn_bar_request_init(struct bn_bar_request *req, struct bn_bar_header *hdr,
    size_t maxhdr)
{
	memset(req, 0, sizeof(*req));
	req->hdr = hdr;
	req->maxhdr = hdr == NULL ? 0 : maxhdr;
}

void
bn_bar_response_init(struct bn_bar_response *resp,
    struct bn_bar_header *hdr, size_t maxhdr)
{
	memset(resp, 0, sizeof(*resp));
	resp->hdr = hdr;
	resp->maxhdr = hdr == NULL ? 0 : maxhdr;
}

const struct bn_bar_header *
bn_bar_header_find(const struct bn_bar_header *hdr, size_t nhdr,
    const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0)
		return NULL;
	for (i = 0; i < nhdr; i++)
		if (hdr[i].namelen == n && memcmp(hdr[i].name, name, n) == 0)
			return &hdr[i];
	return NULL;
}

/* Header names are non-empty and carry no upper-case ASCII (§8). */
static int
name_ok(const uint8_t *p, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			return 0;
	return 1;
}

/* Decoding (input already passed bn_cbor_check) */

static int
get_typed(struct bn_cbor_reader *rd, enum bn_cbor_type type,
    struct bn_cbor_item *it)
{
	int r;

	if ((r = bn_cbor_next(rd, it)) != BN_OK)
		return r;
	return it->type == type ? BN_OK : BN_ERR_CBOR_TYPE;
}

static int
get_header(struct bn_cbor_reader *rd, struct bn_bar_header *h)
{
	struct bn_cbor_item name, val;
	int r;

	if ((r = get_typed(rd, BN_CBOR_TEXT, &name)) != BN_OK ||
	    (r = bn_cbor_next(rd, &val)) != BN_OK)
		return r;
	if (!name_ok(name.p, name.len))
		return BN_ERR_MALFORMED;
	if (val.type != BN_CBOR_TEXT && val.type != BN_CBOR_BYTES)
		return BN_ERR_CBOR_TYPE;
	h->name = name.p;
	h->namelen = name.len;
	h->value = val.p;
	h->valuelen = val.len;
	h->value_is_bytes = val.type == BN_CBOR_BYTES;
	return BN_OK;
}

/* "h": sorted and unique already (checked), so just collect. */
static int
get_headers(struct bn_cbor_reader *rd, struct bn_bar_header *hdr,
    size_t maxhdr, size_t *nhdr)
{
	struct bn_cbor_item it;
	uint64_t i;
	int r;

	if ((r = get_typed(rd, BN_CBOR_MAP, &it)) != BN_OK)
		return r;
	if (it.u > maxhdr)
		return BN_ERR_LIMIT;
	for (i = 0; i < it.u; i++)
		if ((r = get_header(rd, &hdr[i])) != BN_OK)
			return r;
	*nhdr = (size_t)it.u;
	return BN_OK;
}

static int
get_body(struct bn_cbor_reader *rd, const uint8_t **body, size_t *bodylen)
{
	struct bn_cbor_item it;
	int r;

	if ((r = get_typed(rd, BN_CBOR_BYTES, &it)) != BN_OK)
		return r;
	*body = it.p;
	*bodylen = it.len;
	return BN_OK;
}

/*
 * Check the bytes, open the top-level map and return its pair count.
 * A key that is not text is no BAR key: the caller skips it.
 */
static int
open_message(struct bn_cbor_reader *rd, const uint8_t *p, size_t len,
    uint64_t *npairs)
{
	struct bn_cbor_item top;
	int r;

	*npairs = 0;
	if ((r = bn_cbor_check(p, len)) != BN_OK)
		return r;
	bn_cbor_reader_init(rd, p, len);
	if ((r = get_typed(rd, BN_CBOR_MAP, &top)) != BN_OK)
		return r;
	*npairs = top.u;
	return BN_OK;
}

static int
get_key(struct bn_cbor_reader *rd, struct bn_cbor_item *key)
{
	int r;

	if ((r = bn_cbor_next(rd, key)) != BN_OK)
		return r;
	return bn_cbor_skip_contents(rd, key);
}

static int
req_pair(struct bn_cbor_reader *rd, struct bn_bar_request *req,
    unsigned *seen)
{
	struct bn_cbor_item key, it;
	int r;

	if ((r = get_key(rd, &key)) != BN_OK)
		return r;
	if (bn_cbor_text_eq(&key, "m")) {
		if ((r = get_typed(rd, BN_CBOR_TEXT, &it)) != BN_OK)
			return r;
		req->mtext = it.p;
		req->mlen = it.len;
		req->method = bn_bar_method_from(it.p, it.len);
		*seen |= BAR_SEEN_M;
	} else if (bn_cbor_text_eq(&key, "u")) {
		if ((r = get_typed(rd, BN_CBOR_TEXT, &it)) != BN_OK)
			return r;
		req->url = it.p;
		req->urllen = it.len;
		*seen |= BAR_SEEN_U;
	} else if (bn_cbor_text_eq(&key, "h"))
		return get_headers(rd, req->hdr, req->maxhdr, &req->nhdr);
	else if (bn_cbor_text_eq(&key, "b"))
		return get_body(rd, &req->body, &req->bodylen);
	else
		return bn_cbor_skip(rd, NULL, NULL);	/* tolerated */
	return BN_OK;
}

/* Clear a request but keep the caller's header array. */
static void
req_clear(struct bn_bar_request *req)
{
	struct bn_bar_header *hdr = req->hdr;
	size_t maxhdr = req->maxhdr;

	bn_bar_request_init(req, hdr, maxhdr);
}

int
bn_bar_request_decode(const uint8_t *p, size_t len,
    struct bn_bar_request *req)
{
	struct bn_cbor_reader rd;
	unsigned seen = 0;
	uint64_t n, i;
	int r;

	req_clear(req);
	if ((r = open_message(&rd, p, len, &n)) != BN_OK)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = req_pair(&rd, req, &seen)) != BN_OK)
			goto out;
	if (seen != (BAR_SEEN_M | BAR_SEEN_U))
		r = BN_ERR_MALFORMED;
 out:
	if (r != BN_OK)
		req_clear(req);
	return r;
}

static int
resp_pair(struct bn_cbor_reader *rd, struct bn_bar_response *resp,
    unsigned *seen)
{
	struct bn_cbor_item key, it;
	int r;

	if ((r = get_key(rd, &key)) != BN_OK)
		return r;
	if (bn_cbor_text_eq(&key, "s")) {
		if ((r = get_typed(rd, BN_CBOR_UINT, &it)) != BN_OK)
			return r;
		if (it.u < 100 || it.u > 599)
			return BN_ERR_MALFORMED;
		resp->status = (unsigned)it.u;
		*seen |= BAR_SEEN_S;
	} else if (bn_cbor_text_eq(&key, "h"))
		return get_headers(rd, resp->hdr, resp->maxhdr, &resp->nhdr);
	else if (bn_cbor_text_eq(&key, "b"))
		return get_body(rd, &resp->body, &resp->bodylen);
	else
		return bn_cbor_skip(rd, NULL, NULL);	/* tolerated */
	return BN_OK;
}

static void
resp_clear(struct bn_bar_response *resp)
{
	struct bn_bar_header *hdr = resp->hdr;
	size_t maxhdr = resp->maxhdr;

	bn_bar_response_init(resp, hdr, maxhdr);
}

int
bn_bar_response_decode(const uint8_t *p, size_t len,
    struct bn_bar_response *resp)
{
	struct bn_cbor_reader rd;
	unsigned seen = 0;
	uint64_t n, i;
	int r;

	resp_clear(resp);
	if ((r = open_message(&rd, p, len, &n)) != BN_OK)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = resp_pair(&rd, resp, &seen)) != BN_OK)
			goto out;
	if (seen != BAR_SEEN_S)
		r = BN_ERR_MALFORMED;
 out:
	if (r != BN_OK)
		resp_clear(resp);
	return r;
}

/* Compat text form */

static int
text_method(const uint8_t *p, size_t len, size_t *mlen)
{
	size_t i;

	for (i = 0; i < len && i <= BAR_TEXT_MAX_METHOD; i++) {
		if (p[i] == ' ')
			break;
		if (p[i] < 'A' || p[i] > 'Z')
			return BN_ERR_MALFORMED;
	}
	if (i == 0 || i == len || i > BAR_TEXT_MAX_METHOD)
		return BN_ERR_MALFORMED;
	*mlen = i;
	return BN_OK;
}

/*
 * The path runs to the first byte that is not visible ASCII (it came
 * from an HTTP request-target); only "\n\n<body>" may follow it.  This
 * also keeps it valid UTF-8, so the request re-encodes as BAR.
 */
static size_t
text_path_len(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f)
			break;
	return i;
}

int
bn_bar_request_parse_text(const uint8_t *p, size_t len,
    struct bn_bar_request *req)
{
	size_t mlen = 0, plen, rest;
	int r;

	req_clear(req);
	if ((r = text_method(p, len, &mlen)) != BN_OK)
		goto out;
	rest = len - mlen - 1;
	plen = text_path_len(p + mlen + 1, rest);
	r = BN_ERR_MALFORMED;
	if (plen == 0)
		goto out;
	if (plen < rest) {
		if (rest - plen < 2 || p[mlen + 1 + plen] != '\n' ||
		    p[mlen + 2 + plen] != '\n')
			goto out;
		req->body = p + mlen + 3 + plen;
		req->bodylen = rest - plen - 2;
	}
	req->mtext = p;
	req->mlen = mlen;
	req->method = bn_bar_method_from(p, mlen);
	req->url = p + mlen + 1;
	req->urllen = plen;
	r = BN_OK;
 out:
	if (r != BN_OK)
		req_clear(req);
	return r;
}

/* Encoding */

/* A (pointer, length) pair the caller filled in: NULL only when empty. */
static int
span_ok(const void *p, size_t len)
{
	return p != NULL || len == 0;
}

static int
put_header_value(struct bn_buf *tmp, const struct bn_bar_header *h)
{
	bn_buf_reset(tmp);
	if (h->value_is_bytes)
		return bn_cbor_put_bytes(tmp, h->value, h->valuelen);
	return bn_cbor_put_text(tmp, (const char *)h->value, h->valuelen);
}

static int
add_headers(struct bn_cbor_map *m, const struct bn_bar_header *hdr,
    size_t nhdr, size_t max)
{
	struct bn_buf *tmp;
	size_t i;
	int r = BN_OK;

	if ((tmp = bn_buf_new(max)) == NULL)
		return BN_ERR_ALLOC;
	for (i = 0; i < nhdr; i++) {
		if (hdr[i].name == NULL || !name_ok(hdr[i].name,
		    hdr[i].namelen) || !span_ok(hdr[i].value,
		    hdr[i].valuelen)) {
			r = BN_ERR_INVALID_ARG;
			goto out;
		}
		if ((r = put_header_value(tmp, &hdr[i])) != BN_OK ||
		    (r = bn_cbor_map_add_text(m, (const char *)hdr[i].name,
		    hdr[i].namelen, bn_buf_ptr(tmp), bn_buf_len(tmp))) != BN_OK)
			goto out;
	}
 out:
	bn_buf_free(tmp);
	return r;
}

/* "h": the headers as one canonical map (sorted, no duplicates). */
static int
put_headers(struct bn_buf *out, const struct bn_bar_header *hdr,
    size_t nhdr)
{
	struct bn_cbor_map *m;
	size_t max = bn_buf_avail(out);
	int r;

	if ((r = bn_cbor_put_cstr(out, "h")) != BN_OK)
		return r;
	if (nhdr == 0)
		return bn_cbor_put_map(out, 0);
	if (max > BN_BUF_SIZE_MAX)
		max = BN_BUF_SIZE_MAX;
	if ((m = bn_cbor_map_new(max)) == NULL)
		return BN_ERR_ALLOC;
	if ((r = add_headers(m, hdr, nhdr, max)) == BN_OK)
		r = bn_cbor_map_finish(m, out);
	bn_cbor_map_free(m);
	return r;
}

static int
put_text_pair(struct bn_buf *out, const char *key, const uint8_t *p,
    size_t len)
{
	int r;

	if ((r = bn_cbor_put_cstr(out, key)) != BN_OK)
		return r;
	return bn_cbor_put_text(out, (const char *)p, len);
}

static int
req_put(const struct bn_bar_request *req, struct bn_buf *out)
{
	const char *name = bn_bar_method_name(req->method);
	const uint8_t *m = (const uint8_t *)name;
	size_t mlen = name == NULL ? req->mlen : strlen(name);
	int r;

	if (name == NULL)
		m = req->mtext;
	if ((r = bn_cbor_put_map(out, 4)) != BN_OK ||
	    (r = bn_cbor_put_cstr(out, "b")) != BN_OK ||
	    (r = bn_cbor_put_bytes(out, req->body, req->bodylen)) != BN_OK ||
	    (r = put_headers(out, req->hdr, req->nhdr)) != BN_OK ||
	    (r = put_text_pair(out, "m", m, mlen)) != BN_OK ||
	    (r = put_text_pair(out, "u", req->url, req->urllen)) != BN_OK)
		return r;
	return BN_OK;
}

int
bn_bar_request_encode(const struct bn_bar_request *req, struct bn_buf *out)
{
	size_t before = bn_buf_len(out);
	int r;

	if ((size_t)req->method >= BAR_NMETHODS ||
	    !span_ok(req->mtext, req->mlen) ||
	    !span_ok(req->url, req->urllen) ||
	    !span_ok(req->body, req->bodylen) ||
	    !span_ok(req->hdr, req->nhdr))
		return BN_ERR_INVALID_ARG;
	if ((r = req_put(req, out)) != BN_OK)
		(void)bn_buf_consume_end(out, bn_buf_len(out) - before);
	return r;
}

int
bn_bar_response_encode(const struct bn_bar_response *resp,
    struct bn_buf *out)
{
	size_t before = bn_buf_len(out);
	int r;

	if (resp->status < 100 || resp->status > 599 ||
	    !span_ok(resp->body, resp->bodylen) ||
	    !span_ok(resp->hdr, resp->nhdr))
		return BN_ERR_INVALID_ARG;
	if ((r = bn_cbor_put_map(out, 3)) != BN_OK ||
	    (r = bn_cbor_put_cstr(out, "b")) != BN_OK ||
	    (r = bn_cbor_put_bytes(out, resp->body, resp->bodylen)) != BN_OK ||
	    (r = put_headers(out, resp->hdr, resp->nhdr)) != BN_OK ||
	    (r = bn_cbor_put_cstr(out, "s")) != BN_OK ||
	    (r = bn_cbor_put_uint(out, resp->status)) != BN_OK)
		(void)bn_buf_consume_end(out, bn_buf_len(out) - before);
	return r;
}
