/*
 * fuzz_bar: BAR request and response decoding (and the compat text
 * form) on arbitrary bytes.  A decoded message must re-encode, decode
 * again to the same fields, and re-encode to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/bar.h"
#include "betanet/detcbor.h"
#include "betanet/err.h"

#define FUZZ_MAX	(1 << 16)

static void
fail(void)
{
	abort();
}

static int
mem_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void
headers_eq(const struct bn_bar_header *a, size_t na,
    const struct bn_bar_header *b, size_t nb)
{
	size_t i;

	if (na != nb)
		fail();
	for (i = 0; i < na; i++)
		if (!mem_eq(a[i].name, a[i].namelen, b[i].name,
		    b[i].namelen) || !mem_eq(a[i].value, a[i].valuelen,
		    b[i].value, b[i].valuelen) ||
		    a[i].value_is_bytes != b[i].value_is_bytes)
			fail();
}

static void
request_eq(const struct bn_bar_request *a, const struct bn_bar_request *b)
{
	if (a->method != b->method ||
	    (a->method == BN_BAR_METHOD_UNKNOWN &&
	    !mem_eq(a->mtext, a->mlen, b->mtext, b->mlen)) ||
	    !mem_eq(a->url, a->urllen, b->url, b->urllen) ||
	    !mem_eq(a->body, a->bodylen, b->body, b->bodylen))
		fail();
	headers_eq(a->hdr, a->nhdr, b->hdr, b->nhdr);
}

static void
request_roundtrip(const struct bn_bar_request *req)
{
	struct bn_bar_header h2[BN_BAR_MAX_HEADERS];
	struct bn_bar_request req2;
	struct bn_buf *o1 = bn_buf_new(2 * FUZZ_MAX), *o2 = bn_buf_new(2 *
	    FUZZ_MAX);

	if (o1 == NULL || o2 == NULL)
		goto out;
	bn_bar_request_init(&req2, h2, BN_BAR_MAX_HEADERS);
	if (bn_bar_request_encode(req, o1) != BN_OK ||
	    bn_bar_request_decode(bn_buf_ptr(o1), bn_buf_len(o1),
	    &req2) != BN_OK)
		fail();
	request_eq(req, &req2);
	if (bn_bar_request_encode(&req2, o2) != BN_OK ||
	    !mem_eq(bn_buf_ptr(o1), bn_buf_len(o1), bn_buf_ptr(o2),
	    bn_buf_len(o2)))
		fail();
 out:
	bn_buf_free(o1);
	bn_buf_free(o2);
}

static void
response_roundtrip(const struct bn_bar_response *resp)
{
	struct bn_bar_header h2[BN_BAR_MAX_HEADERS];
	struct bn_bar_response resp2;
	struct bn_buf *o = bn_buf_new(2 * FUZZ_MAX);

	if (o == NULL)
		return;
	bn_bar_response_init(&resp2, h2, BN_BAR_MAX_HEADERS);
	if (bn_bar_response_encode(resp, o) != BN_OK ||
	    bn_bar_response_decode(bn_buf_ptr(o), bn_buf_len(o),
	    &resp2) != BN_OK || resp2.status != resp->status ||
	    !mem_eq(resp->body, resp->bodylen, resp2.body, resp2.bodylen))
		fail();
	headers_eq(resp->hdr, resp->nhdr, resp2.hdr, resp2.nhdr);
	bn_buf_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_bar_header h[BN_BAR_MAX_HEADERS];
	struct bn_bar_request req;
	struct bn_bar_response resp;

	if (size > FUZZ_MAX)
		return 0;
	bn_bar_request_init(&req, h, BN_BAR_MAX_HEADERS);
	if (bn_bar_request_decode(data, size, &req) == BN_OK)
		request_roundtrip(&req);
	else if (req.url != NULL || req.nhdr != 0)
		fail();		/* no half result on error */
	if (bn_bar_request_parse_text(data, size, &req) == BN_OK)
		request_roundtrip(&req);
	bn_bar_response_init(&resp, h, BN_BAR_MAX_HEADERS);
	if (bn_bar_response_decode(data, size, &resp) == BN_OK)
		response_roundtrip(&resp);
	return 0;
}
