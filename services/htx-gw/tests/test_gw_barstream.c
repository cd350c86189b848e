/*
 * Unit tests of gw_barstream, the incremental BAR response decoder:
 * the published response vectors fed whole, byte by byte and at every
 * split; every truncated prefix incomplete; a trailing byte refused;
 * every §7 rule broken once; and the result compared with libcommon's
 * whole-message decoder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/bar.h"
#include "betanet/buf.h"
#include "betanet/err.h"
#include "gw_barstream.h"
#include "testutil.h"

struct result {
	int		 rc;		/* BN_OK, or the first error */
	int		 done;
	uint8_t		*body;
	size_t		 bodylen;
	unsigned	 status;
	size_t		 nhdr;
};

/* Feed msg in pieces of at most step bytes (0: one split at `split`). */
static void
run(const uint8_t *msg, size_t len, size_t step, size_t split,
    struct gw_barstream *bs, struct result *res)
{
	size_t off = 0, n, used;
	const uint8_t *b;
	size_t blen;
	int r;

	memset(res, 0, sizeof(*res));
	res->body = malloc(len + 1);
	ck_assert_int_eq(gw_barstream_init(bs, 0), BN_OK);
	while (off < len || res->rc == 0) {
		if (step != 0)
			n = len - off < step ? len - off : step;
		else
			n = off < split ? split - off : len - off;
		do {
			r = gw_barstream_feed(bs, msg + off, n, &used, &b,
			    &blen);
			ck_assert_uint_le(used, n);
			off += used;
			n -= used;
			if (r == GW_BS_BODY) {
				memcpy(res->body + res->bodylen, b, blen);
				res->bodylen += blen;
			} else if (r == GW_BS_DONE)
				res->done = 1;
			else if (r < 0) {
				res->rc = r;
				return;
			}
		} while (r == GW_BS_BODY);
		if (off == len)
			break;
	}
	if (res->done) {
		res->status = bs->resp.status;
		res->nhdr = bs->resp.nhdr;
	}
}

static void
check_same_as_whole(const uint8_t *msg, size_t len)
{
	struct bn_bar_header hdr[BN_BAR_MAX_HEADERS];
	struct bn_bar_response whole;
	struct gw_barstream bs;
	struct result res;
	size_t step, i;

	bn_bar_response_init(&whole, hdr, BN_BAR_MAX_HEADERS);
	ck_assert_int_eq(bn_bar_response_decode(msg, len, &whole), BN_OK);
	for (step = 0; step <= len; step++) {
		run(msg, len, step, step, &bs, &res);
		ck_assert_int_eq(res.rc, BN_OK);
		ck_assert_int_eq(res.done, 1);
		ck_assert_int_eq(gw_barstream_finish(&bs), BN_OK);
		ck_assert_uint_eq(res.status, whole.status);
		ck_assert_uint_eq(res.nhdr, whole.nhdr);
		for (i = 0; i < whole.nhdr; i++) {
			ck_assert_mem_eq(bs.resp.hdr[i].name, whole.hdr[i].name,
			    whole.hdr[i].namelen);
			ck_assert_mem_eq(bs.resp.hdr[i].value,
			    whole.hdr[i].value, whole.hdr[i].valuelen);
		}
		ck_assert_uint_eq(res.bodylen, whole.bodylen);
		ck_assert_uint_eq(gw_barstream_body_len(&bs), whole.bodylen);
		if (whole.bodylen > 0)
			ck_assert_mem_eq(res.body, whole.body, whole.bodylen);
		free(res.body);
		gw_barstream_free(&bs);
	}
}

/* Every strict prefix is incomplete; one more byte is refused. */
static void
check_prefixes_and_trailing(const uint8_t *msg, size_t len)
{
	struct gw_barstream bs;
	struct result res;
	uint8_t *longer;
	size_t cut;

	for (cut = 0; cut < len; cut++) {
		run(msg, cut, 1, 0, &bs, &res);
		ck_assert_int_eq(res.rc, BN_OK);
		ck_assert_int_eq(res.done, 0);
		ck_assert_int_eq(gw_barstream_finish(&bs), BN_ERR_INCOMPLETE);
		free(res.body);
		gw_barstream_free(&bs);
	}
	longer = malloc(len + 1);
	memcpy(longer, msg, len);
	longer[len] = 0x00;
	run(longer, len + 1, 0, 0, &bs, &res);	/* in one piece */
	ck_assert_int_eq(res.rc, BN_ERR_TRAILING);
	free(res.body);
	gw_barstream_free(&bs);
	run(longer, len + 1, 0, len, &bs, &res);	/* in a second feed */
	ck_assert_int_eq(res.rc, BN_ERR_TRAILING);
	ck_assert_int_ne(gw_barstream_finish(&bs), BN_OK);
	free(res.body);
	gw_barstream_free(&bs);
	free(longer);
}

static const char *const vec_names[] = {
	"messages.response_stream3.bytes",
	"messages.response_stream5.bytes",
};

START_TEST(test_vectors)
{
	json_t *j = tu_json_load("native_vectors.json");
	uint8_t *p;
	size_t n, i;

	for (i = 0; i < sizeof(vec_names) / sizeof(vec_names[0]); i++) {
		p = tu_json_hex(j, vec_names[i], &n);
		check_same_as_whole(p, n);
		check_prefixes_and_trailing(p, n);
		free(p);
	}
	json_decref(j);
}
END_TEST

/* Encode a response with libcommon, body of n bytes. */
static uint8_t *
make_resp(unsigned status, size_t bodylen, int nh, size_t *len)
{
	struct bn_bar_header hdr[8];
	struct bn_bar_response r;
	struct bn_buf *b = bn_buf_new(bodylen + 4096);
	static const char *names[] = { "content-type", "location", "x-a",
	    "set-cookie", "etag", "x-b", "x-c", "x-d" };
	uint8_t *body = malloc(bodylen + 1), *out;
	int i;

	for (size_t k = 0; k < bodylen; k++)
		body[k] = (uint8_t)(k * 7 + 3);
	bn_bar_response_init(&r, hdr, 8);
	r.status = status;
	for (i = 0; i < nh; i++) {
		hdr[i].name = (const uint8_t *)names[i];
		hdr[i].namelen = strlen(names[i]);
		hdr[i].value = (const uint8_t *)"value";
		hdr[i].valuelen = 5;
		hdr[i].value_is_bytes = i == 2;
	}
	r.nhdr = (size_t)nh;
	r.body = body;
	r.bodylen = bodylen;
	ck_assert_int_eq(bn_bar_response_encode(&r, b), BN_OK);
	*len = bn_buf_len(b);
	out = malloc(*len);
	memcpy(out, bn_buf_ptr(b), *len);
	bn_buf_free(b);
	free(body);
	return out;
}

START_TEST(test_encoded)
{
	static const size_t lens[] = { 0, 1, 23, 24, 255, 256, 65535, 65536,
	    70000 };
	struct gw_barstream bs;
	struct result res;
	uint8_t *m;
	size_t n, i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		m = make_resp(i % 2 ? 404 : 201, lens[i], (int)(i % 8), &n);
		if (n < 400) {
			check_same_as_whole(m, n);
			check_prefixes_and_trailing(m, n);
		} else {
			/* Big: a few step sizes only. */
			run(m, n, 1, 0, &bs, &res);
			ck_assert_int_eq(res.done, 1);
			ck_assert_uint_eq(res.bodylen, lens[i]);
			free(res.body);
			gw_barstream_free(&bs);
			run(m, n, 4096, 0, &bs, &res);
			ck_assert_int_eq(res.done, 1);
			ck_assert_uint_eq(res.status, i % 2 ? 404 : 201);
			ck_assert_uint_eq(res.bodylen, lens[i]);
			ck_assert_uint_eq(res.body[lens[i] - 1],
			    (uint8_t)((lens[i] - 1) * 7 + 3));
			free(res.body);
			gw_barstream_free(&bs);
		}
		free(m);
	}
}
END_TEST

/* Malformed messages: each breaks one rule; fed whole and bytewise. */
static const struct {
	const char	*hex;
	const char	*why;
} bad[] = {
	{ "a0", "empty map: no s" },
	{ "a1617318c7", "status 199 ok? no: 199 is fine" },
	{ "a26162406168a0", "no s" },
	{ "80", "not a map" },
	{ "bf617318c8ff", "indefinite map" },
	{ "b8016173 18c8", "map count not shortest" },
	{ "a261731 8c8616240", "s before b: unsorted" },
	{ "a2617318c8617318c8", "duplicate s" },
	{ "a2615f40617318c8", "non-shortest b? key order ok, len 0" },
	{ "a2616258014161 7318c8", "b length not shortest" },
	{ "a261625f41614161ff617318c8", "indefinite b" },
	{ "a2616241616173 f97c00", "float status" },
	{ "a16173c218c8", "tagged status" },
	{ "a161731863", "status 99" },
	{ "a161731902 58", "status 600" },
	{ "a26168a16141616161 7318c8", "upper-case header name" },
	{ "a261681 a0617318c8", "h ok, fine (control)" },
	{ "a2616801617318c8", "h not a map" },
	{ "a2616260617318c8", "b as text" },
	{ "a161737818c8", "status as text head" },
	{ "a1617362ff00", "invalid utf-8 in s text" },
	{ "a1627373 18c8", "unknown key only: no s" },
	{ "a1617318c8", "control: good" },
};

static size_t
unhex(const char *s, uint8_t *out)
{
	char clean[256];
	size_t n = 0, k = 0, i;
	unsigned v;

	for (i = 0; s[i] != '\0' && k + 1 < sizeof(clean); i++)
		if (s[i] != ' ')
			clean[k++] = s[i];
	clean[k] = '\0';
	for (i = 0; i + 1 < k; i += 2) {
		ck_assert_int_eq(sscanf(clean + i, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

START_TEST(test_malformed)
{
	struct bn_bar_header hdr[BN_BAR_MAX_HEADERS];
	struct bn_bar_response whole;
	struct gw_barstream bs;
	struct result res;
	uint8_t m[64];
	size_t n, i;
	int wr;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = unhex(bad[i].hex, m);
		bn_bar_response_init(&whole, hdr, BN_BAR_MAX_HEADERS);
		wr = bn_bar_response_decode(m, n, &whole);
		/* Whole: the same verdict as libcommon's decoder. */
		run(m, n, 0, 0, &bs, &res);
		if (wr == BN_OK)
			ck_assert_msg(res.done && res.rc == 0, "%s", bad[i].why);
		else
			ck_assert_msg(!res.done || res.rc != 0 ||
			    gw_barstream_finish(&bs) != BN_OK, "%s: accepted",
			    bad[i].why);
		free(res.body);
		gw_barstream_free(&bs);
		/* Byte by byte: never accepted when the whole one is not. */
		run(m, n, 1, 0, &bs, &res);
		if (wr != BN_OK)
			ck_assert_msg(gw_barstream_finish(&bs) != BN_OK,
			    "%s: bytewise accepted", bad[i].why);
		else
			ck_assert_int_eq(gw_barstream_finish(&bs), BN_OK);
		free(res.body);
		gw_barstream_free(&bs);
	}
}
END_TEST

START_TEST(test_limits)
{
	struct gw_barstream bs;
	uint8_t m[300];
	const uint8_t *b;
	size_t used, blen, i;
	int r;

	/* A header map larger than max_meta is refused, not buffered. */
	ck_assert_int_eq(gw_barstream_init(&bs, 64), BN_OK);
	m[0] = 0xa2;
	m[1] = 0x61;
	m[2] = 'h';
	m[3] = 0xa1;
	m[4] = 0x61;
	m[5] = 'x';
	m[6] = 0x78;
	m[7] = 200;
	for (i = 8; i < sizeof(m); i++)
		m[i] = 'a';
	r = gw_barstream_feed(&bs, m, sizeof(m), &used, &b, &blen);
	ck_assert_int_eq(r, BN_ERR_TOO_LARGE);
	gw_barstream_free(&bs);
	/* More than GW_BS_MAX_PAIRS pairs. */
	ck_assert_int_eq(gw_barstream_init(&bs, 0), BN_OK);
	m[0] = 0xb1;
	r = gw_barstream_feed(&bs, m, 1, &used, &b, &blen);
	ck_assert_int_eq(r, BN_ERR_LIMIT);
	/* Failed stays failed. */
	r = gw_barstream_feed(&bs, m, 1, &used, &b, &blen);
	ck_assert_int_lt(r, 0);
	gw_barstream_free(&bs);
	/* A huge declared body streams (no allocation by its length). */
	ck_assert_int_eq(gw_barstream_init(&bs, 0), BN_OK);
	{
		static const uint8_t h[] = { 0xa2, 0x61, 'b', 0x5b, 0, 0, 0,
		    1, 0, 0, 0, 0 };
		r = gw_barstream_feed(&bs, h, sizeof(h), &used, &b, &blen);
		ck_assert_int_eq(r, GW_BS_MORE);
		ck_assert_uint_eq(gw_barstream_body_len(&bs),
		    (uint64_t)1 << 32);
		r = gw_barstream_feed(&bs, m, 10, &used, &b, &blen);
		ck_assert_int_eq(r, GW_BS_BODY);
		ck_assert_uint_eq(blen, 10);
		ck_assert_int_eq(gw_barstream_finish(&bs), BN_ERR_INCOMPLETE);
	}
	gw_barstream_free(&bs);
}
END_TEST

static Suite *
gw_barstream_suite(void)
{
	Suite *s = suite_create("gw_barstream");
	TCase *tc = tcase_create("barstream");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_encoded);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(gw_barstream_suite());
}
