/*
 * Unit tests for bar: the native and tcp12 vectors decode and re-encode
 * to the same bytes, every truncated prefix and a trailing byte, the
 * policy rules of WIRE.md §8 and the Python gateway's text form.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/bar.h"
#include "betanet/detcbor.h"
#include "betanet/err.h"
#include "testutil.h"

#define HDRS	8

static void
assert_mem(const uint8_t *p, size_t n, const char *s)
{
	ck_assert_uint_eq(n, strlen(s));
	ck_assert(n == 0 || memcmp(p, s, n) == 0);
}

static void
assert_buf_eq(struct bn_buf *b, const uint8_t *p, size_t n)
{
	ck_assert_uint_eq(bn_buf_len(b), n);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), p, n), 0);
}

/* Prefixes are INCOMPLETE, a trailing byte is TRAILING. */
static void
assert_framing(const uint8_t *p, size_t n, int is_req)
{
	struct bn_bar_header h[HDRS];
	struct bn_bar_request req;
	struct bn_bar_response resp;
	uint8_t *q;
	size_t i;
	int r;

	bn_bar_request_init(&req, h, HDRS);
	bn_bar_response_init(&resp, h, HDRS);
	for (i = 0; i < n; i++) {
		r = is_req ? bn_bar_request_decode(p, i, &req) :
		    bn_bar_response_decode(p, i, &resp);
		ck_assert_msg(r == BN_ERR_INCOMPLETE, "prefix %zu: %s", i,
		    bn_strerror(r));
	}
	q = malloc(n + 1);
	memcpy(q, p, n);
	q[n] = 0xf6;
	r = is_req ? bn_bar_request_decode(q, n + 1, &req) :
	    bn_bar_response_decode(q, n + 1, &resp);
	ck_assert_int_eq(r, BN_ERR_TRAILING);
	ck_assert_ptr_null(req.url);
	ck_assert_ptr_eq(req.hdr, h);
	free(q);
}

static void
assert_req_roundtrip(const struct bn_bar_request *req, const uint8_t *p,
    size_t n)
{
	struct bn_buf *b = bn_buf_new(4096);

	ck_assert_int_eq(bn_bar_request_encode(req, b), BN_OK);
	assert_buf_eq(b, p, n);
	bn_buf_free(b);
}

START_TEST(test_request_vectors)
{
	json_t *j = tu_json_load("native_vectors.json");
	struct bn_bar_header h[HDRS];
	struct bn_bar_request req;
	uint8_t *p;
	size_t n;

	p = tu_json_hex(j, "messages.request_stream3.bytes", &n);
	bn_bar_request_init(&req, h, HDRS);
	ck_assert_int_eq(bn_bar_request_decode(p, n, &req), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_GET);
	assert_mem(req.mtext, req.mlen, "GET");
	assert_mem(req.url, req.urllen, "/hello/vector");
	ck_assert_uint_eq(req.nhdr, 1);
	assert_mem(h[0].name, h[0].namelen, "accept");
	assert_mem(h[0].value, h[0].valuelen, "text/plain");
	ck_assert_int_eq(h[0].value_is_bytes, 0);
	ck_assert_uint_eq(req.bodylen, 0);
	ck_assert_ptr_eq(bn_bar_header_find(h, req.nhdr, "accept"), &h[0]);
	ck_assert_ptr_null(bn_bar_header_find(h, req.nhdr, "accep"));
	assert_req_roundtrip(&req, p, n);
	assert_framing(p, n, 1);
	free(p);

	p = tu_json_hex(j, "messages.request_stream5.bytes", &n);
	ck_assert_int_eq(bn_bar_request_decode(p, n, &req), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_GET);
	assert_mem(req.url, req.urllen, "/hello/after-rekey");
	ck_assert_uint_eq(req.nhdr, 0);
	assert_req_roundtrip(&req, p, n);
	assert_framing(p, n, 1);
	free(p);
	json_decref(j);
}
END_TEST

START_TEST(test_response_vectors)
{
	static const char *names[] = { "messages.response_stream3.bytes",
	    "messages.response_stream5.bytes" };
	static const char *bodies[] = { "hello vector", "hello after-rekey" };
	json_t *j = tu_json_load("native_vectors.json");
	struct bn_bar_header h[HDRS];
	struct bn_bar_response resp;
	struct bn_buf *b = bn_buf_new(4096);
	uint8_t *p;
	size_t i, n;

	bn_bar_response_init(&resp, h, HDRS);
	for (i = 0; i < 2; i++) {
		p = tu_json_hex(j, names[i], &n);
		ck_assert_int_eq(bn_bar_response_decode(p, n, &resp), BN_OK);
		ck_assert_uint_eq(resp.status, 200);
		assert_mem(resp.body, resp.bodylen, bodies[i]);
		ck_assert_uint_eq(resp.nhdr, i == 0 ? 1 : 0);
		if (i == 0) {
			assert_mem(h[0].name, h[0].namelen, "content-type");
			assert_mem(h[0].value, h[0].valuelen, "text/plain");
		}
		bn_buf_reset(b);
		ck_assert_int_eq(bn_bar_response_encode(&resp, b), BN_OK);
		assert_buf_eq(b, p, n);
		assert_framing(p, n, 0);
		free(p);
	}
	bn_buf_free(b);
	json_decref(j);
}
END_TEST

/* Plaintext of the tcp12 frame whose note is `note`. */
static uint8_t *
tcp12_plaintext(json_t *root, const char *note, size_t *len)
{
	json_t *frames = tu_json_at(root, "tcp12.frames");
	size_t i;

	for (i = 0; i < json_array_size(frames); i++) {
		json_t *f = json_array_get(frames, i);

		if (strcmp(tu_json_str(f, "note"), note) == 0)
			return tu_json_hex(f, "plaintext", len);
	}
	ck_abort_msg("no tcp12 frame %s", note);
	return NULL;
}

START_TEST(test_tcp12_vectors)
{
	json_t *j = tu_json_load("wire_transcripts.json");
	struct bn_bar_header h[HDRS];
	struct bn_bar_request req;
	uint8_t *p;
	size_t n;

	bn_bar_request_init(&req, h, HDRS);
	p = tcp12_plaintext(j, "request, BAR det-CBOR {m,u,h,b}", &n);
	ck_assert_int_eq(bn_bar_request_decode(p, n, &req), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_GET);
	assert_mem(req.url, req.urllen, "/hello/bar");
	ck_assert_uint_eq(req.nhdr, 0);
	ck_assert_uint_eq(req.bodylen, 0);
	assert_req_roundtrip(&req, p, n);
	assert_framing(p, n, 1);
	free(p);

	p = tcp12_plaintext(j, "request, text form", &n);
	ck_assert_int_eq(bn_bar_request_parse_text(p, n, &req), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_GET);
	assert_mem(req.url, req.urllen, "/hello/x");
	ck_assert_uint_eq(req.bodylen, 0);
	/* the text form is not CBOR and the CBOR form is not text */
	ck_assert_int_ne(bn_bar_request_decode(p, n, &req), BN_OK);
	free(p);
	p = tcp12_plaintext(j, "request under the next client key "
	    "(counter restarts at 0)", &n);
	ck_assert_int_eq(bn_bar_request_parse_text(p, n, &req), BN_OK);
	assert_mem(req.url, req.urllen, "/hello/after-rekey");
	free(p);
	json_decref(j);
}
END_TEST

/*
 * Decode hex into *keep (freeing the previous one): a decoded message
 * borrows its input, so the bytes must live as long as we look at it.
 */
static int
req_hex(const char *hex, struct bn_bar_request *req, uint8_t **keep)
{
	size_t n;

	free(*keep);
	*keep = tu_hex(hex, &n);
	return bn_bar_request_decode(*keep, n, req);
}

START_TEST(test_request_rules)
{
	uint8_t *keep = NULL;
	static const struct {
		const char	*hex;
		int		 want;
	} c[] = {
		{ "a2616d634745546175612f", BN_OK },
		{ "a36168a1664163636570746178616d634745546175612f",
		    BN_ERR_MALFORMED },			/* "Accept" */
		{ "a36168a1606178616d634745546175612f", BN_ERR_MALFORMED },
		{ "a36168a1616101616d634745546175612f", BN_ERR_CBOR_TYPE },
		{ "a36168a1016161616d634745546175612f", BN_ERR_CBOR_TYPE },
		{ "a16175612f", BN_ERR_MALFORMED },	/* no "m" */
		{ "a1616d63474554", BN_ERR_MALFORMED },	/* no "u" */
		{ "a2616d434745546175612f", BN_ERR_CBOR_TYPE },
		{ "a361626178616d634745546175612f", BN_ERR_CBOR_TYPE },
		{ "a36168816161616d634745546175612f", BN_ERR_CBOR_TYPE },
		{ "82616d63474554", BN_ERR_CBOR_TYPE },
		/* unknown top-level keys, text or not, are ignored */
		{ "a50505616d634745546175612f61788201a16179f6627a7a01", BN_OK },
		/* det-CBOR first: "u" before "m" */
		{ "a26175612f616d63474554", BN_ERR_CBOR_UNSORTED },
	};
	struct bn_bar_header h[HDRS];
	struct bn_bar_request req;
	size_t i;
	int r;

	bn_bar_request_init(&req, h, HDRS);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r = req_hex(c[i].hex, &req, &keep);
		ck_assert_msg(r == c[i].want, "case %zu: %s", i,
		    bn_strerror(r));
		if (r != BN_OK)
			ck_assert_ptr_null(req.mtext);
	}
	free(keep);
}
END_TEST

START_TEST(test_methods)
{
	uint8_t *keep = NULL;
	struct bn_bar_header h[HDRS];
	struct bn_bar_request req;
	struct bn_buf *b = bn_buf_new(256);
	uint8_t *p;
	size_t n;

	bn_bar_request_init(&req, h, HDRS);
	/* unknown method: decodes, kept as text, re-encoded as sent */
	ck_assert_int_eq(req_hex("a2616d64425245576175642f706f74", &req,
	    &keep), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_METHOD_UNKNOWN);
	assert_mem(req.mtext, req.mlen, "BREW");
	ck_assert_int_eq(bn_bar_request_encode(&req, b), BN_OK);
	ck_assert_int_eq(bn_bar_request_decode(bn_buf_ptr(b), bn_buf_len(b),
	    &req), BN_OK);
	assert_mem(req.mtext, req.mlen, "BREW");

	/* "DEL" is DELETE and re-encodes canonically */
	ck_assert_int_eq(req_hex("a2616d6344454c6175622f78", &req, &keep),
	    BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_DELETE);
	bn_buf_reset(b);
	ck_assert_int_eq(bn_bar_request_encode(&req, b), BN_OK);
	p = tu_hex("a46162406168a0616d6644454c4554456175622f78", &n);
	assert_buf_eq(b, p, n);
	free(p);

	ck_assert_int_eq(bn_bar_method_from((const uint8_t *)"OPTIONS", 7),
	    BN_BAR_OPTIONS);
	ck_assert_int_eq(bn_bar_method_from((const uint8_t *)"get", 3),
	    BN_BAR_METHOD_UNKNOWN);
	ck_assert_int_eq(bn_bar_method_from((const uint8_t *)"", 0),
	    BN_BAR_METHOD_UNKNOWN);
	ck_assert_str_eq(bn_bar_method_name(BN_BAR_PATCH), "PATCH");
	ck_assert_ptr_null(bn_bar_method_name(BN_BAR_METHOD_UNKNOWN));
	ck_assert_ptr_null(bn_bar_method_name((enum bn_bar_method)99));
	bn_buf_free(b);
	free(keep);
}
END_TEST

START_TEST(test_header_limit)
{
	uint8_t *keep = NULL;
	static const char hex[] =
	    "a36168a3616161316162613261636133616d634745546175612f";
	struct bn_bar_header h[3];
	struct bn_bar_request req;

	bn_bar_request_init(&req, h, 2);
	ck_assert_int_eq(req_hex(hex, &req, &keep), BN_ERR_LIMIT);
	bn_bar_request_init(&req, NULL, 5);
	ck_assert_int_eq(req_hex(hex, &req, &keep), BN_ERR_LIMIT);
	bn_bar_request_init(&req, h, 3);
	ck_assert_int_eq(req_hex(hex, &req, &keep), BN_OK);
	ck_assert_uint_eq(req.nhdr, 3);
	assert_mem(h[2].name, h[2].namelen, "c");
	assert_mem(h[2].value, h[2].valuelen, "3");
	free(keep);
}
END_TEST

START_TEST(test_bytes_header)
{
	static const char hex[] = "a4616244626f64796168a26161617465782d62696e"
	    "4200ff616d634745546175612f";
	struct bn_bar_header h[HDRS];
	struct bn_bar_request req;
	uint8_t *p;
	size_t n;

	bn_bar_request_init(&req, h, HDRS);
	p = tu_hex(hex, &n);
	ck_assert_int_eq(bn_bar_request_decode(p, n, &req), BN_OK);
	ck_assert_uint_eq(req.nhdr, 2);
	ck_assert_int_eq(h[0].value_is_bytes, 0);
	ck_assert_int_eq(h[1].value_is_bytes, 1);
	ck_assert_uint_eq(h[1].valuelen, 2);
	ck_assert_int_eq(memcmp(h[1].value, "\x00\xff", 2), 0);
	assert_mem(req.body, req.bodylen, "body");
	assert_req_roundtrip(&req, p, n);
	assert_framing(p, n, 1);
	free(p);
}
END_TEST

static int
resp_hex(const char *hex, struct bn_bar_response *resp, uint8_t **keep)
{
	size_t n;

	free(*keep);
	*keep = tu_hex(hex, &n);
	return bn_bar_response_decode(*keep, n, resp);
}

START_TEST(test_response_rules)
{
	uint8_t *keep = NULL;
	struct bn_bar_header h[HDRS];
	struct bn_bar_response resp;

	bn_bar_response_init(&resp, h, HDRS);
	ck_assert_int_eq(resp_hex("a1617318cc", &resp, &keep),
	    BN_OK);
	ck_assert_uint_eq(resp.status, 204);
	ck_assert_uint_eq(resp.nhdr, 0);
	ck_assert_uint_eq(resp.bodylen, 0);
	ck_assert_int_eq(resp_hex("a1616240", &resp, &keep),
	    BN_ERR_MALFORMED);
	ck_assert_int_eq(resp_hex("a1617363323030", &resp, &keep),
	    BN_ERR_CBOR_TYPE);
	ck_assert_int_eq(resp_hex("a161731863", &resp, &keep),
	    BN_ERR_MALFORMED);
	ck_assert_int_eq(resp_hex("a16173190258", &resp, &keep),
	    BN_ERR_MALFORMED);
	ck_assert_int_eq(resp_hex("a1617320", &resp, &keep),
	    BN_ERR_CBOR_TYPE);
	ck_assert_uint_eq(resp.status, 0);
	/* unknown "q" is ignored; headers sorted as sent */
	ck_assert_int_eq(resp_hex("a46162446e6f70656168a263782d6241016c636f6e"
	    "74656e742d747970656a746578742f706c61696e6171006173190194",
	    &resp, &keep), BN_OK);
	ck_assert_uint_eq(resp.status, 404);
	ck_assert_uint_eq(resp.nhdr, 2);
	assert_mem(h[0].name, h[0].namelen, "x-b");
	ck_assert_int_eq(h[0].value_is_bytes, 1);
	assert_mem(resp.body, resp.bodylen, "nope");
	free(keep);
}
END_TEST

START_TEST(test_encode_rules)
{
	struct bn_bar_header h[3];
	struct bn_bar_request req;
	struct bn_bar_response resp;
	struct bn_buf *b = bn_buf_new(256);
	uint8_t *p, small[8];
	struct bn_buf sb;
	size_t n;

	memset(h, 0, sizeof(h));
	h[0].name = (const uint8_t *)"zeta";
	h[0].namelen = 4;
	h[0].value = (const uint8_t *)"1";
	h[0].valuelen = 1;
	h[1].name = (const uint8_t *)"a";
	h[1].namelen = 1;
	h[1].value = (const uint8_t *)"\x00";
	h[1].valuelen = 1;
	h[1].value_is_bytes = 1;
	h[2].name = (const uint8_t *)"bb";
	h[2].namelen = 2;
	h[2].value = (const uint8_t *)"2";
	h[2].valuelen = 1;
	bn_bar_request_init(&req, h, 3);
	req.nhdr = 3;
	req.method = BN_BAR_POST;
	req.url = (const uint8_t *)"/u";
	req.urllen = 2;
	req.body = (const uint8_t *)"x";
	req.bodylen = 1;
	/* headers come out sorted: "a" < "bb" < "zeta" */
	ck_assert_int_eq(bn_bar_request_encode(&req, b), BN_OK);
	p = tu_hex("a4616241786168a3616141006262626132647a6574616131616d64504f"
	    "53546175622f75", &n);
	assert_buf_eq(b, p, n);
	ck_assert_int_eq(bn_cbor_check(bn_buf_ptr(b), bn_buf_len(b)), BN_OK);
	free(p);

	/* duplicate name, upper case, bad UTF-8: nothing is appended */
	h[2].name = (const uint8_t *)"a";
	h[2].namelen = 1;
	ck_assert_int_eq(bn_bar_request_encode(&req, b),
	    BN_ERR_CBOR_DUPLICATE);
	ck_assert_uint_eq(bn_buf_len(b), n);
	h[2].name = (const uint8_t *)"Bb";
	h[2].namelen = 2;
	ck_assert_int_eq(bn_bar_request_encode(&req, b), BN_ERR_INVALID_ARG);
	h[2].name = (const uint8_t *)"bb";
	h[2].value = (const uint8_t *)"\xff";
	ck_assert_int_eq(bn_bar_request_encode(&req, b), BN_ERR_ENCODING);
	ck_assert_uint_eq(bn_buf_len(b), n);
	req.method = (enum bn_bar_method)42;
	ck_assert_int_eq(bn_bar_request_encode(&req, b), BN_ERR_INVALID_ARG);
	req.method = BN_BAR_METHOD_UNKNOWN;
	req.mtext = NULL;
	req.mlen = 3;
	ck_assert_int_eq(bn_bar_request_encode(&req, b), BN_ERR_INVALID_ARG);
	ck_assert_uint_eq(bn_buf_len(b), n);

	/* no space */
	req.method = BN_BAR_GET;
	req.mlen = 0;
	req.nhdr = 0;
	bn_buf_fixed(&sb, small, sizeof(small));
	ck_assert_int_eq(bn_bar_request_encode(&req, &sb), BN_ERR_NO_SPACE);
	ck_assert_uint_eq(bn_buf_len(&sb), 0);

	bn_bar_response_init(&resp, NULL, 0);
	resp.status = 99;
	ck_assert_int_eq(bn_bar_response_encode(&resp, b), BN_ERR_INVALID_ARG);
	resp.status = 200;
	bn_buf_reset(b);
	ck_assert_int_eq(bn_bar_response_encode(&resp, b), BN_OK);
	p = tu_hex("a36162406168a0617318c8", &n);
	assert_buf_eq(b, p, n);
	free(p);
	bn_buf_free(b);
}
END_TEST

static int
text(const char *s, struct bn_bar_request *req)
{
	return bn_bar_request_parse_text((const uint8_t *)s, strlen(s), req);
}

START_TEST(test_parse_text)
{
	static const char *bad[] = {
		"", "GET", "GET ", "get /x", "GET /x\nfoo", "GET /x y",
		"GET /x\n", "GET /x\r\n\r\n", " /x", "GET  /x",
		"ABCDEFGHIJKLMNOPQ /x", "GET /x\n\rbody", "G-T /x",
		"GET /\xa0x", "GET /x\x7f", "GET /x\tz",
	};
	static const uint8_t bin[] = "POST /up\n\n\x00\n\n\xff";
	struct bn_bar_request req;
	size_t i;

	bn_bar_request_init(&req, NULL, 0);
	ck_assert_int_eq(text("GET /hello/x", &req), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_GET);
	assert_mem(req.url, req.urllen, "/hello/x");
	ck_assert_uint_eq(req.nhdr, 0);
	ck_assert_int_eq(text("POST /p?q=1\n\nbody text", &req), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_POST);
	assert_mem(req.url, req.urllen, "/p?q=1");
	assert_mem(req.body, req.bodylen, "body text");
	ck_assert_int_eq(text("POST /p\n\n", &req), BN_OK);
	ck_assert_uint_eq(req.bodylen, 0);
	ck_assert_int_eq(text("DEL /x", &req), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_DELETE);
	ck_assert_int_eq(text("BREW /pot", &req), BN_OK);
	ck_assert_int_eq(req.method, BN_BAR_METHOD_UNKNOWN);
	assert_mem(req.mtext, req.mlen, "BREW");
	ck_assert_int_eq(text("ABCDEFGHIJKLMNOP /x", &req), BN_OK);
	ck_assert_int_eq(bn_bar_request_parse_text(bin, sizeof(bin) - 1,
	    &req), BN_OK);
	ck_assert_uint_eq(req.bodylen, 4);
	ck_assert_int_eq(memcmp(req.body, "\x00\n\n\xff", 4), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(text(bad[i], &req) == BN_ERR_MALFORMED,
		    "accepted %s", bad[i]);
		ck_assert_ptr_null(req.url);
	}
}
END_TEST

static Suite *
bar_suite(void)
{
	Suite *s = suite_create("bar");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_request_vectors);
	tcase_add_test(tc, test_response_vectors);
	tcase_add_test(tc, test_tcp12_vectors);
	tcase_add_test(tc, test_request_rules);
	tcase_add_test(tc, test_methods);
	tcase_add_test(tc, test_header_limit);
	tcase_add_test(tc, test_bytes_header);
	tcase_add_test(tc, test_response_rules);
	tcase_add_test(tc, test_encode_rules);
	tcase_add_test(tc, test_parse_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(bar_suite());
}
