/*
 * Unit tests for voucher: raw, b64url (padded or not) and hex spellings,
 * wrong lengths, bad characters, every truncation and one extra byte.
 */
#include <stdio.h>
#include <string.h>

#include "betanet/codec.h"
#include "betanet/err.h"
#include "betanet/voucher.h"
#include "testutil.h"

static uint8_t raw[BN_VOUCHER_LEN];

static void
setup(void)
{
	size_t i;

	/* Bytes chosen so that b64url uses '-' and '_'. */
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 37 + 0xf8);
}

static void
assert_is_raw(const struct bn_voucher *v)
{
	uint8_t enc[BN_VOUCHER_LEN];

	ck_assert_int_eq(memcmp(v->keyset_id, raw, 32), 0);
	ck_assert_int_eq(memcmp(v->secret, raw + 32, 32), 0);
	ck_assert_int_eq(memcmp(v->aggsig, raw + 64, 64), 0);
	bn_voucher_encode(enc, v);
	ck_assert_int_eq(memcmp(enc, raw, sizeof(raw)), 0);
}

static int
is_zero(const struct bn_voucher *v)
{
	static const struct bn_voucher z;

	return memcmp(v, &z, sizeof(z)) == 0;
}

START_TEST(test_raw)
{
	uint8_t big[BN_VOUCHER_LEN + 1];
	struct bn_voucher v;
	size_t i;

	ck_assert_int_eq(bn_voucher_parse(&v, raw, sizeof(raw)), 0);
	assert_is_raw(&v);
	for (i = 0; i < sizeof(raw); i++) {
		memset(&v, 0xee, sizeof(v));
		ck_assert_int_eq(bn_voucher_parse(&v, raw, i),
		    BN_ERR_VOUCHER_MALFORMED);
		ck_assert(is_zero(&v));
	}
	memcpy(big, raw, sizeof(raw));
	big[BN_VOUCHER_LEN] = 0;
	ck_assert_int_eq(bn_voucher_parse(&v, big, sizeof(big)),
	    BN_ERR_VOUCHER_MALFORMED);
	bn_voucher_clear(&v);
	bn_voucher_clear(NULL);
	ck_assert(is_zero(&v));
}
END_TEST

START_TEST(test_text_roundtrip)
{
	struct bn_voucher v, w;
	char s[BN_VOUCHER_TEXT_MAX + 8], t[2 * BN_VOUCHER_TEXT_MAX];
	size_t i;

	ck_assert_int_eq(bn_voucher_parse(&v, raw, sizeof(raw)), 0);

	ck_assert_int_eq(bn_voucher_format(s, sizeof(s), &v,
	    BN_VOUCHER_B64URL), 0);
	ck_assert_uint_eq(strlen(s), 171);
	ck_assert_ptr_nonnull(strchr(s, '-'));
	ck_assert_ptr_nonnull(strchr(s, '_'));
	ck_assert_int_eq(bn_voucher_parse_header(&w, s, strlen(s)), 0);
	assert_is_raw(&w);
	/* Padded, and with spaces around it. */
	snprintf(t, sizeof(t), " \t%s=  ", s);
	ck_assert_int_eq(bn_voucher_parse_header(&w, t, strlen(t)), 0);
	assert_is_raw(&w);

	ck_assert_int_eq(bn_voucher_format(s, sizeof(s), &v, BN_VOUCHER_HEX),
	    0);
	ck_assert_uint_eq(strlen(s), 256);
	ck_assert_int_eq(bn_voucher_parse_header(&w, s, strlen(s)), 0);
	assert_is_raw(&w);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'a' && s[i] <= 'f')
			s[i] = (char)(s[i] - 'a' + 'A');
	ck_assert_int_eq(bn_voucher_parse_header(&w, s, strlen(s)), 0);
	assert_is_raw(&w);

	/* Output too small; unknown encoding. */
	ck_assert_int_eq(bn_voucher_format(s, 171, &v, BN_VOUCHER_B64URL),
	    BN_ERR_NO_SPACE);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(bn_voucher_format(s, 172, &v, BN_VOUCHER_B64URL), 0);
	ck_assert_int_eq(bn_voucher_format(s, 256, &v, BN_VOUCHER_HEX),
	    BN_ERR_NO_SPACE);
	ck_assert_int_eq(bn_voucher_format(s, sizeof(s), &v,
	    (enum bn_voucher_encoding)7), BN_ERR_INVALID_ARG);
}
END_TEST

/* Every proper prefix and one extra character of either spelling. */
START_TEST(test_truncation)
{
	struct bn_voucher v, w;
	char s[BN_VOUCHER_TEXT_MAX + 8];
	size_t i, n;
	int enc;

	ck_assert_int_eq(bn_voucher_parse(&v, raw, sizeof(raw)), 0);
	for (enc = BN_VOUCHER_B64URL; enc <= BN_VOUCHER_HEX; enc++) {
		ck_assert_int_eq(bn_voucher_format(s, sizeof(s), &v,
		    (enum bn_voucher_encoding)enc), 0);
		n = strlen(s);
		for (i = 0; i < n; i++) {
			memset(&w, 0xee, sizeof(w));
			/*
			 * A hex spelling cut to 171 or 172 digits is also
			 * b64url; it may decode, but never to this voucher.
			 */
			if (enc == BN_VOUCHER_HEX && (i == 171 || i == 172) &&
			    bn_voucher_parse_header(&w, s, i) == BN_OK) {
				ck_assert(memcmp(&w, &v, sizeof(v)) != 0);
				continue;
			}
			ck_assert_msg(bn_voucher_parse_header(&w, s, i) ==
			    BN_ERR_VOUCHER_MALFORMED, "enc %d prefix %zu",
			    enc, i);
			ck_assert(is_zero(&w));
		}
		s[n] = 'A';
		s[n + 1] = '\0';
		ck_assert_int_eq(bn_voucher_parse_header(&w, s, n + 1),
		    BN_ERR_VOUCHER_MALFORMED);
	}
}
END_TEST

START_TEST(test_bad_text)
{
	struct bn_voucher v;
	char s[BN_VOUCHER_TEXT_MAX + 8];
	uint8_t b[BN_VOUCHER_LEN + 3];

	/* 127 and 129 bytes. */
	memset(b, 0x42, sizeof(b));
	bn_b64url_encode(s, b, 127);
	ck_assert_int_eq(bn_voucher_parse_header(&v, s, strlen(s)),
	    BN_ERR_VOUCHER_MALFORMED);
	bn_b64url_encode(s, b, 129);
	ck_assert_int_eq(bn_voucher_parse_header(&v, s, strlen(s)),
	    BN_ERR_VOUCHER_MALFORMED);
	bn_hex_encode(s, b, 129);
	ck_assert_int_eq(bn_voucher_parse_header(&v, s, strlen(s)),
	    BN_ERR_VOUCHER_MALFORMED);
	/* A bad character in each spelling. */
	bn_b64url_encode(s, raw, sizeof(raw));
	s[50] = '+';
	ck_assert_int_eq(bn_voucher_parse_header(&v, s, strlen(s)),
	    BN_ERR_VOUCHER_MALFORMED);
	s[50] = '=';
	ck_assert_int_eq(bn_voucher_parse_header(&v, s, strlen(s)),
	    BN_ERR_VOUCHER_MALFORMED);
	bn_hex_encode(s, raw, sizeof(raw));
	s[255] = 'g';
	ck_assert_int_eq(bn_voucher_parse_header(&v, s, strlen(s)),
	    BN_ERR_VOUCHER_MALFORMED);
	/* All zero bytes: b64url "AAAA...", every character a hex digit. */
	memset(b, 0, sizeof(b));
	bn_b64url_encode(s, b, BN_VOUCHER_LEN);
	ck_assert_int_eq(bn_voucher_parse_header(&v, s, strlen(s)), 0);
	ck_assert_int_eq(v.secret[0] | v.aggsig[63], 0);
	ck_assert_int_eq(bn_voucher_parse_header(&v, "", 0),
	    BN_ERR_VOUCHER_MALFORMED);
	ck_assert_int_eq(bn_voucher_parse_header(&v, "   ", 3),
	    BN_ERR_VOUCHER_MALFORMED);
}
END_TEST

static Suite *
voucher_suite(void)
{
	Suite *s = suite_create("voucher");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_raw);
	tcase_add_test(tc, test_text_roundtrip);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_bad_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(voucher_suite());
}
