/*
 * Unit tests for detcbor: one hand-written byte string per rule of
 * WIRE.md §7, every truncated prefix of valid nested items, the
 * encoders' shortest forms, the map builder and the reader.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/detcbor.h"
#include "betanet/err.h"
#include "testutil.h"

/* bn_cbor_check() on a hex string. */
static int
check_hex(const char *hex)
{
	uint8_t *p;
	size_t n;
	int r;

	p = tu_hex(hex, &n);
	r = bn_cbor_check(p, n);
	free(p);
	return r;
}

struct case_ {
	const char	*hex;
	int		 want;
};

static void
run_cases(const struct case_ *c, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = check_hex(c[i].hex);
		ck_assert_msg(r == c[i].want, "%s: got %d (%s), want %d (%s)",
		    c[i].hex, r, bn_strerror(r), c[i].want,
		    bn_strerror(c[i].want));
	}
}

#define RUN(c)	run_cases(c, sizeof(c) / sizeof(c[0]))

START_TEST(test_shortest_int)
{
	static const struct case_ c[] = {
		{ "17", BN_OK },
		{ "1800", BN_ERR_CBOR_NONCANONICAL },
		{ "1817", BN_ERR_CBOR_NONCANONICAL },
		{ "1818", BN_OK },
		{ "18ff", BN_OK },
		{ "190000", BN_ERR_CBOR_NONCANONICAL },
		{ "1900ff", BN_ERR_CBOR_NONCANONICAL },
		{ "190100", BN_OK },
		{ "1a0000ffff", BN_ERR_CBOR_NONCANONICAL },
		{ "1a00010000", BN_OK },
		{ "1b00000000ffffffff", BN_ERR_CBOR_NONCANONICAL },
		{ "1b0000000100000000", BN_OK },
		{ "1bffffffffffffffff", BN_OK },
		{ "3817", BN_ERR_CBOR_NONCANONICAL },	/* negative too */
		{ "3900ff", BN_ERR_CBOR_NONCANONICAL },
		{ "3bffffffffffffffff", BN_OK },
	};
	RUN(c);
}
END_TEST

START_TEST(test_shortest_len)
{
	static const struct case_ c[] = {
		{ "580161", BN_ERR_CBOR_NONCANONICAL },
		{ "780161", BN_ERR_CBOR_NONCANONICAL },
		{ "980100", BN_ERR_CBOR_NONCANONICAL },
		{ "b8010000", BN_ERR_CBOR_NONCANONICAL },
		{ "59000100", BN_ERR_CBOR_NONCANONICAL },
		{ "9900000000", BN_ERR_CBOR_NONCANONICAL },
	};
	RUN(c);
}
END_TEST

START_TEST(test_indefinite)
{
	static const struct case_ c[] = {
		{ "9fff", BN_ERR_CBOR_INDEFINITE },
		{ "bfff", BN_ERR_CBOR_INDEFINITE },
		{ "5fff", BN_ERR_CBOR_INDEFINITE },
		{ "7fff", BN_ERR_CBOR_INDEFINITE },
		{ "819f00ff", BN_ERR_CBOR_INDEFINITE },	/* nested */
		{ "1f", BN_ERR_MALFORMED },		/* uint ai 31 */
		{ "3f", BN_ERR_MALFORMED },
		{ "ff", BN_ERR_MALFORMED },		/* stray break */
		{ "1c", BN_ERR_MALFORMED },		/* reserved ai */
		{ "5d", BN_ERR_MALFORMED },
		{ "9e", BN_ERR_MALFORMED },
	};
	RUN(c);
}
END_TEST

START_TEST(test_map_order)
{
	static const struct case_ c[] = {
		{ "a2616100616200", BN_OK },		/* {"a","b"} */
		{ "a2616200616100", BN_ERR_CBOR_UNSORTED },
		{ "a261620062616100", BN_OK },		/* "b" < "aa" */
		{ "a262616100616200", BN_ERR_CBOR_UNSORTED },
		{ "a201000000", BN_ERR_CBOR_UNSORTED },	/* 1 before 0 */
		{ "a200002000", BN_OK },		/* 0 < -1 */
		{ "a220000000", BN_ERR_CBOR_UNSORTED },
		{ "a2616100616100", BN_ERR_CBOR_DUPLICATE },
		{ "a201000101", BN_ERR_CBOR_DUPLICATE },
		{ "a281000081000000", BN_ERR_CBOR_DUPLICATE },	/* [0] twice */
		{ "a2810000810100", BN_OK },		/* [0] < [1] */
		{ "a2810100810000", BN_ERR_CBOR_UNSORTED },
		/* order is per map: an inner map restarts it */
		{ "a26161a1616200616200", BN_OK },
		/* an odd map: key without value */
		{ "a16161", BN_ERR_INCOMPLETE },
	};
	RUN(c);
}
END_TEST

START_TEST(test_unsupported)
{
	static const struct case_ c[] = {
		{ "f90000", BN_ERR_CBOR_UNSUPPORTED },
		{ "fa00000000", BN_ERR_CBOR_UNSUPPORTED },
		{ "fb0000000000000000", BN_ERR_CBOR_UNSUPPORTED },
		{ "c074323031332d30332d32315432303a30343a30305a",
		    BN_ERR_CBOR_UNSUPPORTED },
		{ "d82000", BN_ERR_CBOR_UNSUPPORTED },
		{ "8200c000", BN_ERR_CBOR_UNSUPPORTED },
		{ "f7", BN_ERR_CBOR_UNSUPPORTED },	/* undefined */
		{ "f0", BN_ERR_CBOR_UNSUPPORTED },	/* simple(16) */
		{ "e0", BN_ERR_CBOR_UNSUPPORTED },	/* simple(0) */
		{ "f818", BN_ERR_CBOR_UNSUPPORTED },
		{ "f8ff", BN_ERR_CBOR_UNSUPPORTED },	/* simple(255) */
		{ "f4", BN_OK },
		{ "f5", BN_OK },
		{ "f6", BN_OK },
	};
	RUN(c);
}
END_TEST

START_TEST(test_utf8)
{
	static const struct case_ c[] = {
		{ "62c3a9", BN_OK },		/* U+00E9 */
		{ "63e282ac", BN_OK },		/* U+20AC */
		{ "63ed9fbf", BN_OK },		/* U+D7FF */
		{ "63ee8080", BN_OK },		/* U+E000 */
		{ "64f09f9880", BN_OK },	/* U+1F600 */
		{ "64f48fbfbf", BN_OK },	/* U+10FFFF */
		{ "6100", BN_OK },		/* NUL is valid UTF-8 */
		{ "62c080", BN_ERR_ENCODING },	/* overlong NUL */
		{ "62c1bf", BN_ERR_ENCODING },	/* overlong */
		{ "63e08080", BN_ERR_ENCODING },
		{ "63e09fbf", BN_ERR_ENCODING },
		{ "64f0808080", BN_ERR_ENCODING },
		{ "64f08fbfbf", BN_ERR_ENCODING },
		{ "63eda080", BN_ERR_ENCODING },	/* U+D800 */
		{ "63edbfbf", BN_ERR_ENCODING },	/* U+DFFF */
		{ "64f4908080", BN_ERR_ENCODING },	/* U+110000 */
		{ "64f5808080", BN_ERR_ENCODING },
		{ "6180", BN_ERR_ENCODING },		/* lone continuation */
		{ "61c3", BN_ERR_ENCODING },		/* cut sequence */
		{ "62e282", BN_ERR_ENCODING },
		{ "62c328", BN_ERR_ENCODING },		/* bad continuation */
		{ "61ff", BN_ERR_ENCODING },
		{ "61fe", BN_ERR_ENCODING },
		{ "43c08000", BN_OK },		/* bytes: not UTF-8 */
		{ "42c080", BN_OK },
	};
	RUN(c);
}
END_TEST

START_TEST(test_trailing)
{
	static const struct case_ c[] = {
		{ "0000", BN_ERR_TRAILING },
		{ "a000", BN_ERR_TRAILING },
		{ "8100ff", BN_ERR_TRAILING },
		{ "", BN_ERR_INCOMPLETE },
	};
	RUN(c);
}
END_TEST

/* n nested containers, innermost empty: 81 81 ... 80 or a1 00 ... a0. */
static int
check_nested(int map, size_t n)
{
	uint8_t p[64];
	size_t i, len = 0;

	for (i = 0; i + 1 < n; i++) {
		p[len++] = map ? 0xa1 : 0x81;
		if (map)
			p[len++] = 0x00;
	}
	p[len++] = map ? 0xa0 : 0x80;
	return bn_cbor_check(p, len);
}

START_TEST(test_depth)
{
	ck_assert_int_eq(check_nested(0, 1), BN_OK);
	ck_assert_int_eq(check_nested(0, 16), BN_OK);
	ck_assert_int_eq(check_nested(0, 17), BN_ERR_CBOR_DEPTH);
	ck_assert_int_eq(check_nested(0, 20), BN_ERR_CBOR_DEPTH);
	ck_assert_int_eq(check_nested(1, 16), BN_OK);
	ck_assert_int_eq(check_nested(1, 17), BN_ERR_CBOR_DEPTH);
	/* a container as a map key counts as a level too */
	ck_assert_int_eq(check_hex(
	    "a18181818181818181818181818181818000"),
	    BN_ERR_CBOR_DEPTH);
	ck_assert_int_eq(check_hex(
	    "a181818181818181818181818181818000"),
	    BN_OK);
}
END_TEST

START_TEST(test_huge_length)
{
	static const struct case_ c[] = {
		{ "5bffffffffffffffff", BN_ERR_INCOMPLETE },
		{ "5bffffffffffffffff00", BN_ERR_INCOMPLETE },
		{ "7bffffffffffffffff00", BN_ERR_INCOMPLETE },
		{ "9bffffffffffffffff00", BN_ERR_INCOMPLETE },
		{ "bbffffffffffffffff0000", BN_ERR_INCOMPLETE },
		{ "bb8000000000000000000000", BN_ERR_INCOMPLETE },
		{ "5affffffff00", BN_ERR_INCOMPLETE },
		{ "9a0001000000", BN_ERR_INCOMPLETE },
		{ "8200", BN_ERR_INCOMPLETE },
		{ "a200006100", BN_ERR_INCOMPLETE },
	};
	RUN(c);
}
END_TEST

/* Each strict prefix of a valid item must read as "need more bytes". */
static void
assert_prefixes_incomplete(const uint8_t *p, size_t len)
{
	size_t i;
	int r;

	ck_assert_int_eq(bn_cbor_check(p, len), BN_OK);
	for (i = 0; i < len; i++) {
		r = bn_cbor_check(p, i);
		ck_assert_msg(r == BN_ERR_INCOMPLETE, "prefix %zu/%zu: %s",
		    i, len, bn_strerror(r));
	}
}

START_TEST(test_truncated_prefixes)
{
	static const char *valid[] = {
		/* {"a": [1, -500, h'0102', "é", {"x": null}], "bb": true} */
		"a2616185013901f342010262c3a9a16178f6626262f5",
		"1bffffffffffffffff",
		"3a000f4240",
		"81818181818181818181818181818180",	/* depth 16 */
	};
	uint8_t *p, big[3 + 256];
	size_t i, n;
	json_t *j;

	for (i = 0; i < 4; i++) {
		p = tu_hex(valid[i], &n);
		assert_prefixes_incomplete(p, n);
		free(p);
	}
	memcpy(big, "\x59\x01\x00", 3);
	memset(big + 3, 0xab, 256);
	assert_prefixes_incomplete(big, sizeof(big));

	j = tu_json_load("native_vectors.json");
	p = tu_json_hex(j, "native_keys.context", &n);
	assert_prefixes_incomplete(p, n);
	free(p);
	json_decref(j);
}
END_TEST

/* Keys of the native context map, in order, as the vector has them. */
START_TEST(test_context_key_order)
{
	static const char *order[] = { "l2", "l3", "l4", "l5", "template",
	    "caps_client", "caps_server" };
	struct bn_cbor_reader rd;
	struct bn_cbor_item it;
	uint8_t *p;
	size_t i, n;
	json_t *j;

	j = tu_json_load("native_vectors.json");
	p = tu_json_hex(j, "native_keys.context", &n);
	ck_assert_int_eq(bn_cbor_check(p, n), BN_OK);
	bn_cbor_reader_init(&rd, p, n);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert_int_eq(it.type, BN_CBOR_MAP);
	ck_assert_uint_eq(it.u, 7);
	for (i = 0; i < 7; i++) {
		ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
		ck_assert_msg(bn_cbor_text_eq(&it, order[i]), "key %zu", i);
		ck_assert_int_eq(bn_cbor_skip(&rd, NULL, NULL), BN_OK);
	}
	ck_assert_uint_eq(bn_buf_len(&rd.in), 0);
	free(p);
	json_decref(j);
}
END_TEST

START_TEST(test_put_uint)
{
	static const struct {
		uint64_t	 v;
		const char	*hex;
	} c[] = {
		{ 0, "00" }, { 23, "17" }, { 24, "1818" }, { 255, "18ff" },
		{ 256, "190100" }, { 65535, "19ffff" },
		{ 65536, "1a00010000" }, { 0xffffffffULL, "1affffffff" },
		{ 0x100000000ULL, "1b0000000100000000" },
		{ UINT64_MAX, "1bffffffffffffffff" },
	};
	struct bn_cbor_reader rd;
	struct bn_cbor_item it;
	uint8_t store[16], *want;
	struct bn_buf b;
	size_t i, n;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bn_buf_fixed(&b, store, sizeof(store));
		ck_assert_int_eq(bn_cbor_put_uint(&b, c[i].v), BN_OK);
		want = tu_hex(c[i].hex, &n);
		ck_assert_uint_eq(bn_buf_len(&b), n);
		ck_assert_int_eq(memcmp(bn_buf_ptr(&b), want, n), 0);
		ck_assert_int_eq(bn_cbor_check(bn_buf_ptr(&b), n), BN_OK);
		bn_cbor_reader_init(&rd, bn_buf_ptr(&b), n);
		ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
		ck_assert_int_eq(it.type, BN_CBOR_UINT);
		ck_assert(it.u == c[i].v);
		free(want);
	}
}
END_TEST

START_TEST(test_put_misc)
{
	uint8_t store[64], *w;
	struct bn_buf b;
	size_t n;

	bn_buf_fixed(&b, store, sizeof(store));
	ck_assert_int_eq(bn_cbor_put_array(&b, 8), BN_OK);
	ck_assert_int_eq(bn_cbor_put_bytes(&b, "\x01\x02", 2), BN_OK);
	ck_assert_int_eq(bn_cbor_put_cstr(&b, "a\xc3\xa9"), BN_OK);
	ck_assert_int_eq(bn_cbor_put_text(&b, NULL, 0), BN_OK);
	ck_assert_int_eq(bn_cbor_put_bool(&b, 0), BN_OK);
	ck_assert_int_eq(bn_cbor_put_bool(&b, 7), BN_OK);
	ck_assert_int_eq(bn_cbor_put_null(&b), BN_OK);
	ck_assert_int_eq(bn_cbor_put_map(&b, 0), BN_OK);
	ck_assert_int_eq(bn_cbor_put_nint(&b, 499), BN_OK);
	w = tu_hex("884201026361c3a960f4f5f6a03901f3", &n);
	ck_assert_uint_eq(bn_buf_len(&b), n);
	ck_assert_int_eq(memcmp(bn_buf_ptr(&b), w, n), 0);
	ck_assert_int_eq(bn_cbor_check(bn_buf_ptr(&b), n), BN_OK);
	free(w);

	/* invalid UTF-8 is refused and nothing is appended */
	ck_assert_int_eq(bn_cbor_put_text(&b, "\xc0\x80", 2),
	    BN_ERR_ENCODING);
	ck_assert_uint_eq(bn_buf_len(&b), n);
	/* no space: nothing half-written */
	bn_buf_fixed(&b, store, 3);
	ck_assert_int_eq(bn_cbor_put_bytes(&b, "abcd", 4), BN_ERR_NO_SPACE);
	ck_assert_uint_eq(bn_buf_len(&b), 0);
}
END_TEST

START_TEST(test_map_builder)
{
	struct bn_cbor_map *m;
	struct bn_buf *out;
	uint8_t *w;
	size_t n;

	ck_assert_ptr_nonnull(m = bn_cbor_map_new(1024));
	ck_assert_ptr_nonnull(out = bn_buf_new(1024));
	/* added out of order: template, caps_client, l3, l2, 1 */
	ck_assert_int_eq(bn_cbor_map_add_text(m, "template", 8,
	    (const uint8_t *)"\x01", 1), BN_OK);
	ck_assert_int_eq(bn_cbor_map_add_text(m, "caps_client", 11,
	    (const uint8_t *)"\x02", 1), BN_OK);
	ck_assert_int_eq(bn_cbor_map_add_text(m, "l3", 2,
	    (const uint8_t *)"\x03", 1), BN_OK);
	ck_assert_int_eq(bn_cbor_map_add_text(m, "l2", 2,
	    (const uint8_t *)"\x04", 1), BN_OK);
	ck_assert_int_eq(bn_cbor_map_add(m, (const uint8_t *)"\x01", 1,
	    (const uint8_t *)"\xf6", 1), BN_OK);
	ck_assert_int_eq(bn_cbor_map_finish(m, out), BN_OK);
	w = tu_hex("a5" "01f6" "626c3204" "626c3303"
	    "6874656d706c61746501" "6b636170735f636c69656e7402", &n);
	ck_assert_uint_eq(bn_buf_len(out), n);
	ck_assert_int_eq(memcmp(bn_buf_ptr(out), w, n), 0);
	ck_assert_int_eq(bn_cbor_check(bn_buf_ptr(out), n), BN_OK);
	free(w);

	/* a duplicate key fails at finish and appends nothing */
	bn_buf_reset(out);
	ck_assert_int_eq(bn_cbor_map_add_text(m, "l2", 2,
	    (const uint8_t *)"\x05", 1), BN_OK);
	ck_assert_int_eq(bn_cbor_map_finish(m, out), BN_ERR_CBOR_DUPLICATE);
	ck_assert_uint_eq(bn_buf_len(out), 0);
	bn_cbor_map_free(m);

	/* items must be single well-formed items */
	ck_assert_ptr_nonnull(m = bn_cbor_map_new(16));
	ck_assert_int_eq(bn_cbor_map_add(m, (const uint8_t *)"\x00\x00", 2,
	    (const uint8_t *)"\x00", 1), BN_ERR_TRAILING);
	ck_assert_int_eq(bn_cbor_map_add_text(m, "k", 1,
	    (const uint8_t *)"\xf9\x00\x00", 3), BN_ERR_CBOR_UNSUPPORTED);
	ck_assert_int_eq(bn_cbor_map_add_text(m, "\xff", 1,
	    (const uint8_t *)"\x00", 1), BN_ERR_ENCODING);
	/* the byte bound holds */
	ck_assert_int_eq(bn_cbor_map_add_text(m, "0123456789abcdef", 16,
	    (const uint8_t *)"\x00", 1), BN_ERR_NO_SPACE);
	bn_buf_reset(out);
	ck_assert_int_eq(bn_cbor_map_finish(m, out), BN_OK);
	ck_assert_uint_eq(bn_buf_len(out), 1);
	ck_assert_uint_eq(bn_buf_ptr(out)[0], 0xa0);
	bn_cbor_map_free(m);
	bn_cbor_map_free(NULL);
	bn_buf_free(out);
}
END_TEST

START_TEST(test_reader)
{
	/* {"a": [1, -500, h'0102', "é", {"x": null}], "bb": true} */
	static const char hex[] = "a2616185013901f342010262c3a9a16178f6"
	    "626262f5";
	struct bn_cbor_reader rd;
	struct bn_cbor_item it;
	const uint8_t *raw;
	size_t n, rawlen;
	uint8_t *p;

	p = tu_hex(hex, &n);
	bn_cbor_reader_init(&rd, p, n);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert_int_eq(it.type, BN_CBOR_MAP);
	ck_assert_uint_eq(it.u, 2);
	ck_assert_ptr_eq(it.raw, p);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert(bn_cbor_text_eq(&it, "a"));
	ck_assert(!bn_cbor_text_eq(&it, "b"));
	ck_assert(!bn_cbor_text_eq(&it, "aa"));
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert_int_eq(it.type, BN_CBOR_ARRAY);
	ck_assert_uint_eq(it.u, 5);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert_int_eq(it.type, BN_CBOR_UINT);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert_int_eq(it.type, BN_CBOR_NINT);
	ck_assert_uint_eq(it.u, 499);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert_int_eq(it.type, BN_CBOR_BYTES);
	ck_assert_uint_eq(it.len, 2);
	ck_assert_int_eq(memcmp(it.p, "\x01\x02", 2), 0);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert(bn_cbor_text_eq(&it, "\xc3\xa9"));
	ck_assert_int_eq(bn_cbor_skip(&rd, &raw, &rawlen), BN_OK);
	ck_assert_uint_eq(rawlen, 4);
	ck_assert_int_eq(memcmp(raw, "\xa1\x61\x78\xf6", 4), 0);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert(bn_cbor_text_eq(&it, "bb"));
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert_int_eq(it.type, BN_CBOR_TRUE);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_ERR_INCOMPLETE);

	/* skip_contents after a container head passes the whole of it */
	bn_cbor_reader_init(&rd, p, n);
	ck_assert_int_eq(bn_cbor_next(&rd, &it), BN_OK);
	ck_assert_int_eq(bn_cbor_skip_contents(&rd, &it), BN_OK);
	ck_assert_uint_eq(bn_buf_len(&rd.in), 0);

	/* on truncated bytes the reader fails and stays put */
	bn_cbor_reader_init(&rd, p, n - 1);
	ck_assert_int_eq(bn_cbor_skip(&rd, &raw, &rawlen), BN_ERR_INCOMPLETE);
	ck_assert_ptr_null(raw);
	ck_assert_uint_eq(bn_buf_len(&rd.in), n - 1);
	free(p);

	/* unchecked huge counts are refused without looping */
	p = tu_hex("9bffffffffffffffff00", &n);
	bn_cbor_reader_init(&rd, p, n);
	ck_assert_int_eq(bn_cbor_skip(&rd, NULL, NULL), BN_ERR_INCOMPLETE);
	free(p);
	p = tu_hex("bb7fffffffffffffff0000", &n);
	bn_cbor_reader_init(&rd, p, n);
	ck_assert_int_eq(bn_cbor_skip(&rd, NULL, NULL), BN_ERR_INCOMPLETE);
	free(p);
}
END_TEST

static Suite *
detcbor_suite(void)
{
	Suite *s = suite_create("detcbor");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_shortest_int);
	tcase_add_test(tc, test_shortest_len);
	tcase_add_test(tc, test_indefinite);
	tcase_add_test(tc, test_map_order);
	tcase_add_test(tc, test_unsupported);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_trailing);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_huge_length);
	tcase_add_test(tc, test_truncated_prefixes);
	tcase_add_test(tc, test_context_key_order);
	tcase_add_test(tc, test_put_uint);
	tcase_add_test(tc, test_put_misc);
	tcase_add_test(tc, test_map_builder);
	tcase_add_test(tc, test_reader);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(detcbor_suite());
}
