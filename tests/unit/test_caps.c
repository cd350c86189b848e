/*
 * Unit tests for caps: the native and tcp12 (Python) vectors byte for
 * byte, selection, the native key context, and every rejection rule.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/caps.h"
#include "betanet/detcbor.h"
#include "betanet/err.h"
#include "testutil.h"

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

static void
assert_buf_eq(struct bn_buf *b, const uint8_t *p, size_t n)
{
	ck_assert_uint_eq(bn_buf_len(b), n);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), p, n), 0);
}

static int
decode_hex(const char *hex, struct bn_caps *c)
{
	uint8_t *p;
	size_t n;
	int r;

	p = tu_hex(hex, &n);
	r = bn_caps_decode(p, n, c);
	free(p);
	return r;
}

static int
sel_decode_hex(const char *hex, struct bn_caps_sel *sel)
{
	uint8_t *p;
	size_t n;
	int r;

	p = tu_hex(hex, &n);
	r = bn_caps_sel_decode(p, n, sel);
	free(p);
	return r;
}

/* Every prefix is INCOMPLETE, one extra byte is TRAILING. */
static void
assert_caps_framing(const uint8_t *p, size_t n, int sel)
{
	struct bn_caps c;
	struct bn_caps_sel s;
	uint8_t *q;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = sel ? bn_caps_sel_decode(p, i, &s) :
		    bn_caps_decode(p, i, &c);
		ck_assert_msg(r == BN_ERR_INCOMPLETE, "prefix %zu: %s", i,
		    bn_strerror(r));
	}
	q = malloc(n + 1);
	memcpy(q, p, n);
	q[n] = 0;
	r = sel ? bn_caps_sel_decode(q, n + 1, &s) :
	    bn_caps_decode(q, n + 1, &c);
	ck_assert_int_eq(r, BN_ERR_TRAILING);
	free(q);
}

START_TEST(test_native_vectors)
{
	struct bn_caps c, d;
	struct bn_buf *b = bn_buf_new(4096);
	uint8_t *cc, *sc;
	size_t ccn, scn;
	json_t *j = tu_json_load("native_vectors.json");

	cc = tu_json_hex(j, "caps_exchange.client_caps_cbor", &ccn);
	sc = tu_json_hex(j, "caps_exchange.server_caps_cbor", &scn);
	bn_caps_default(&c, 1);
	ck_assert_int_eq(bn_caps_encode(&c, b), BN_OK);
	assert_buf_eq(b, cc, ccn);
	bn_buf_reset(b);
	ck_assert_int_eq(bn_caps_encode(&c, b), BN_OK);
	assert_buf_eq(b, sc, scn);

	ck_assert_int_eq(bn_caps_decode(cc, ccn, &d), BN_OK);
	ck_assert_int_eq(d.native, 1);
	ck_assert_int_eq(d.has_template, 0);
	ck_assert_uint_eq(d.nproto[0], 1);
	ck_assert_str_eq(d.proto[0][0], "betanet/htx/1.2.0");
	ck_assert_uint_eq(d.nproto[1], 1);
	ck_assert_str_eq(d.proto[1][0], "betanet/mesh/1.2.0");
	ck_assert_uint_eq(d.nproto[2], 0);
	ck_assert_uint_eq(d.nproto[3], 0);
	ck_assert_int_eq(memcmp(&c, &d, sizeof(c)), 0);
	assert_caps_framing(cc, ccn, 0);
	free(cc);
	free(sc);
	bn_buf_free(b);
	json_decref(j);
}
END_TEST

START_TEST(test_tcp12_vectors)
{
	json_t *j = tu_json_load("wire_transcripts.json");
	struct bn_buf *b = bn_buf_new(4096);
	struct bn_caps c, d, s;
	struct bn_caps_sel sel, sel2;
	uint8_t *cc, *sc, *sp;
	size_t ccn, scn, spn;

	cc = tcp12_plaintext(j, "client caps (det-CBOR)", &ccn);
	sc = tcp12_plaintext(j, "server caps (det-CBOR)", &scn);
	sp = tcp12_plaintext(j, "client selection (det-CBOR)", &spn);
	bn_caps_default(&c, 0);
	ck_assert_int_eq(bn_caps_encode(&c, b), BN_OK);
	assert_buf_eq(b, cc, ccn);
	bn_buf_reset(b);
	ck_assert_int_eq(bn_caps_encode(&c, b), BN_OK);
	assert_buf_eq(b, sc, scn);

	ck_assert_int_eq(bn_caps_decode(cc, ccn, &d), BN_OK);
	ck_assert_int_eq(d.native, 0);
	ck_assert_int_eq(bn_caps_decode(sc, scn, &s), BN_OK);
	bn_caps_select(&d, &s, &sel);
	bn_buf_reset(b);
	ck_assert_int_eq(bn_caps_sel_encode(&sel, b), BN_OK);
	assert_buf_eq(b, sp, spn);
	ck_assert_int_eq(bn_caps_sel_decode(sp, spn, &sel2), BN_OK);
	ck_assert_int_eq(memcmp(&sel, &sel2, sizeof(sel)), 0);
	assert_caps_framing(cc, ccn, 0);
	assert_caps_framing(sp, spn, 1);
	free(cc);
	free(sc);
	free(sp);
	bn_buf_free(b);
	json_decref(j);
}
END_TEST

START_TEST(test_selection_and_context)
{
	json_t *j = tu_json_load("native_vectors.json");
	struct bn_buf *b = bn_buf_new(4096);
	struct bn_caps c, s;
	struct bn_caps_sel sel;
	uint8_t *cc, *sc, *sp, *ctx, tmpl[32];
	size_t ccn, scn, spn, ctxn;

	cc = tu_json_hex(j, "caps_exchange.client_caps_cbor", &ccn);
	sc = tu_json_hex(j, "caps_exchange.server_caps_cbor", &scn);
	sp = tu_json_hex(j, "caps_exchange.selection_cbor", &spn);
	ctx = tu_json_hex(j, "native_keys.context", &ctxn);
	tu_json_hex_n(j, "native_keys.template", tmpl, sizeof(tmpl));
	ck_assert_int_eq(bn_caps_decode(cc, ccn, &c), BN_OK);
	ck_assert_int_eq(bn_caps_decode(sc, scn, &s), BN_OK);
	bn_caps_select(&c, &s, &sel);
	ck_assert_str_eq(sel.l[0], "betanet/htx/1.2.0");
	ck_assert_str_eq(sel.l[1], "betanet/mesh/1.2.0");
	ck_assert_str_eq(sel.l[2], "");
	ck_assert_str_eq(sel.l[3], "");
	ck_assert_int_eq(bn_caps_sel_encode(&sel, b), BN_OK);
	assert_buf_eq(b, sp, spn);

	bn_buf_reset(b);
	ck_assert_int_eq(bn_caps_context(&sel, cc, ccn, sc, scn, tmpl, b),
	    BN_OK);
	assert_buf_eq(b, ctx, ctxn);
	ck_assert_int_eq(bn_cbor_check(bn_buf_ptr(b), bn_buf_len(b)), BN_OK);

	/* raw caps must be one det-CBOR map; out is left untouched */
	bn_buf_reset(b);
	ck_assert_int_eq(bn_caps_context(&sel, cc, ccn - 1, sc, scn, tmpl,
	    b), BN_ERR_INCOMPLETE);
	ck_assert_int_eq(bn_caps_context(&sel, cc, ccn,
	    (const uint8_t *)"\x80", 1, tmpl, b), BN_ERR_CBOR_TYPE);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	free(cc);
	free(sc);
	free(sp);
	free(ctx);
	bn_buf_free(b);
	json_decref(j);
}
END_TEST

START_TEST(test_select_rules)
{
	struct bn_caps c, s;
	struct bn_caps_sel sel;

	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	c.nproto[0] = 3;
	strcpy(c.proto[0][0], "a/1.0");
	strcpy(c.proto[0][1], "a/2.0");
	strcpy(c.proto[0][2], "a/2.0.1");
	s.nproto[0] = 3;
	strcpy(s.proto[0][0], "a/2.0");
	strcpy(s.proto[0][1], "a/1.0");
	strcpy(s.proto[0][2], "a/3.0");
	c.nproto[1] = 1;
	strcpy(c.proto[1][0], "x");
	s.nproto[1] = 1;
	strcpy(s.proto[1][0], "y");
	c.nproto[2] = 2;
	strcpy(c.proto[2][0], "\xc3\xa9");	/* bytewise: above ASCII */
	strcpy(c.proto[2][1], "z");
	s.nproto[2] = 2;
	strcpy(s.proto[2][0], "z");
	strcpy(s.proto[2][1], "\xc3\xa9");
	bn_caps_select(&c, &s, &sel);
	ck_assert_str_eq(sel.l[0], "a/2.0");
	ck_assert_str_eq(sel.l[1], "");
	ck_assert_str_eq(sel.l[2], "\xc3\xa9");
	ck_assert_str_eq(sel.l[3], "");
}
END_TEST

START_TEST(test_template_roundtrip)
{
	struct bn_buf *b = bn_buf_new(4096);
	struct bn_caps c, d;
	size_t i;

	bn_caps_default(&c, 1);
	c.has_template = 1;
	for (i = 0; i < 32; i++)
		c.template_id[i] = (uint8_t)i;
	ck_assert_int_eq(bn_caps_encode(&c, b), BN_OK);
	ck_assert_int_eq(bn_caps_decode(bn_buf_ptr(b), bn_buf_len(b), &d),
	    BN_OK);
	ck_assert_int_eq(memcmp(&c, &d, sizeof(c)), 0);
	assert_caps_framing(bn_buf_ptr(b), bn_buf_len(b), 0);

	/* an impossible count is refused and nothing is written */
	bn_buf_reset(b);
	c.nproto[0] = BN_CAPS_MAX_PROTOS + 1;
	ck_assert_int_eq(bn_caps_encode(&c, b), BN_ERR_INVALID_ARG);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	bn_buf_free(b);
}
END_TEST

START_TEST(test_decode_rules)
{
	static const struct {
		const char	*hex;
		int		 want;
		int		 native;
	} c[] = {
		{ "8101", BN_ERR_CBOR_TYPE, 0 },
		{ "a3626c32816161626c3380626c3480", BN_ERR_MALFORMED, 0 },
		{ "a4626c326161626c3380626c3480626c3580", BN_ERR_CBOR_TYPE, 0 },
		{ "a4626c3282616101626c3380626c3480626c3580",
		    BN_ERR_CBOR_TYPE, 0 },
		{ "a4626c32814161626c3380626c3480626c3580", BN_ERR_CBOR_TYPE,
		    0 },
		{ "a4626c32896270306270316270326270336270346270356270366270"
		    "37627038626c3380626c3480626c3580", BN_ERR_LIMIT, 0 },
		{ "a4626c32886270306270316270326270336270346270356270366270"
		    "37626c3380626c3480626c3580", BN_OK, 0 },
		{ "a4626c32817841787878787878787878787878787878787878787878"
		    "78787878787878787878787878787878787878787878787878787878"
		    "78787878787878787878787878787878626c3380626c3480626c3580",
		    BN_ERR_LIMIT, 0 },
		{ "a4626c32817840787878787878787878787878787878787878787878"
		    "78787878787878787878787878787878787878787878787878787878"
		    "787878787878787878787878787878626c3380626c3480626c3580",
		    BN_OK, 0 },
		{ "a4626c328163610062626c3380626c3480626c3580",
		    BN_ERR_MALFORMED, 0 },
		/* features.native must be exactly true */
		{ "a5626c32816161626c3380626c3480626c3580686665617475726573a1"
		    "666e617469766501", BN_OK, 0 },
		{ "a5626c32816161626c3380626c3480626c3580686665617475726573a1"
		    "666e6174697665f4", BN_OK, 0 },
		{ "a5626c32816161626c3380626c3480626c358068666561747572657381"
		    "f5", BN_OK, 0 },
		{ "a5626c32816161626c3380626c3480626c3580686665617475726573a2"
		    "637a7a7a8201a16161f6666e6174697665f5", BN_OK, 1 },
		/* unknown keys (text and not) are tolerated */
		{ "a90102626c32816161626c3380626c3480626c3580626c396171627a7a"
		    "a16178820102686665617475726573a1666e6174697665f56a7a7a7a7a"
		    "7a7a7a7a7a7af6", BN_OK, 1 },
		{ "a5626c32816161626c3380626c3480626c35806874656d706c617465"
		    "581f0000000000000000000000000000000000000000000000000000"
		    "0000000000",
		    BN_ERR_MALFORMED, 0 },
		{ "a5626c32816161626c3380626c3480626c35806874656d706c617465"
		    "78207878787878787878787878787878787878787878787878787878"
		    "787878787878",
		    BN_ERR_MALFORMED, 0 },
		/* det-CBOR rules come first */
		{ "a4626c3380626c3280626c3480626c3580", BN_ERR_CBOR_UNSORTED,
		    0 },
	};
	struct bn_caps caps;
	size_t i;
	int r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&caps, 0xee, sizeof(caps));
		r = decode_hex(c[i].hex, &caps);
		ck_assert_msg(r == c[i].want, "case %zu: %s", i,
		    bn_strerror(r));
		ck_assert_int_eq(caps.native, c[i].native);
	}
}
END_TEST

START_TEST(test_template_decode)
{
	struct bn_caps c;
	size_t i;

	ck_assert_int_eq(decode_hex("a5626c32816161626c3380626c3480626c3580"
	    "6874656d706c6174655820000102030405060708090a0b0c0d0e0f10111213"
	    "1415161718191a1b1c1d1e1f", &c), BN_OK);
	ck_assert_int_eq(c.has_template, 1);
	for (i = 0; i < 32; i++)
		ck_assert_uint_eq(c.template_id[i], i);
	ck_assert_str_eq(c.proto[0][0], "a");
}
END_TEST

START_TEST(test_sel_decode_rules)
{
	static const struct {
		const char	*hex;
		int		 want;
	} c[] = {
		{ "a5626c3260626c3360626c3460626c3560626c3660",
		    BN_ERR_MALFORMED },
		{ "a3626c3260626c3360626c3460", BN_ERR_MALFORMED },
		{ "a4626c3260626c3360626c3460626c3660", BN_ERR_MALFORMED },
		{ "a4626c3260626c3360626c3460626c3501", BN_ERR_CBOR_TYPE },
		{ "a4626c32784178787878787878787878787878787878787878787878"
		    "78787878787878787878787878787878787878787878787878787878"
		    "787878787878787878787878787878626c3360626c3460626c3560",
		    BN_ERR_LIMIT },
		{ "a40560626c3260626c3360626c3460", BN_ERR_MALFORMED },
		{ "8101", BN_ERR_CBOR_TYPE },
		{ "a4626c3260626c3360626c3460626c3560", BN_OK },
	};
	struct bn_caps_sel sel;
	size_t i;
	int r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r = sel_decode_hex(c[i].hex, &sel);
		ck_assert_msg(r == c[i].want, "case %zu: %s", i,
		    bn_strerror(r));
	}
}
END_TEST

static Suite *
caps_suite(void)
{
	Suite *s = suite_create("caps");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_native_vectors);
	tcase_add_test(tc, test_tcp12_vectors);
	tcase_add_test(tc, test_selection_and_context);
	tcase_add_test(tc, test_select_rules);
	tcase_add_test(tc, test_template_roundtrip);
	tcase_add_test(tc, test_decode_rules);
	tcase_add_test(tc, test_template_decode);
	tcase_add_test(tc, test_sel_decode_rules);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(caps_suite());
}
