/*
 * Unit tests for codec: hex and base64url, including every ticket
 * vector's b64url spelling and the padding rules.
 */
#include <string.h>

#include "betanet/codec.h"
#include "betanet/err.h"
#include "testutil.h"

START_TEST(test_hex)
{
	uint8_t out[8];
	char s[bn_hex_enc_len(4)];
	size_t n;

	bn_hex_encode(s, (const uint8_t *)"\x00\xff\x10\xab", 4);
	ck_assert_str_eq(s, "00ff10ab");
	ck_assert_int_eq(bn_hex_decode(out, sizeof(out), &n, "00FF10aB", 8), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(out, "\x00\xff\x10\xab", 4), 0);
	ck_assert_int_eq(bn_hex_decode(out, sizeof(out), &n, "0", 1),
	    BN_ERR_ENCODING);
	ck_assert_int_eq(bn_hex_decode(out, sizeof(out), &n, "0g", 2),
	    BN_ERR_ENCODING);
	ck_assert_int_eq(bn_hex_decode(out, 1, &n, "0000", 4),
	    BN_ERR_TOO_LARGE);
	ck_assert_int_eq(bn_hex_decode_exact(out, 2, "000", 3),
	    BN_ERR_ENCODING);
}
END_TEST

START_TEST(test_b64url_rfc4648)
{
	/* RFC 4648 §10 test vectors, in the url alphabet. */
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar" };
	static const char *enc[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
	    "Zm9vYmE", "Zm9vYmFy" };
	static const char *padded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };
	char s[32];
	uint8_t out[16];
	size_t i, n;

	for (i = 0; i < 7; i++) {
		bn_b64url_encode(s, (const uint8_t *)plain[i], strlen(plain[i]));
		ck_assert_str_eq(s, enc[i]);
		ck_assert_int_eq(bn_b64url_decode(out, sizeof(out), &n, enc[i],
		    strlen(enc[i])), 0);
		ck_assert_uint_eq(n, strlen(plain[i]));
		ck_assert_int_eq(memcmp(out, plain[i], n), 0);
		ck_assert_int_eq(bn_b64url_decode(out, sizeof(out), &n,
		    padded[i], strlen(padded[i])), 0);
		ck_assert_uint_eq(n, strlen(plain[i]));
	}
}
END_TEST

START_TEST(test_b64url_reject)
{
	static const char *bad[] = {
		"Z",		/* impossible length */
		"Zg=",		/* partial padding */
		"Zg===",	/* too much padding */
		"Zm9v=",	/* padding after a full quantum */
		"Z=g=",		/* '=' inside */
		"Zh",		/* non-zero unused bits */
		"Zm+v",		/* standard alphabet */
		"Zm/v",
		"Zm9 v",
		"Zm8==",
	};
	uint8_t out[16];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bn_b64url_decode(out, sizeof(out), &n, bad[i],
		    strlen(bad[i])) == BN_ERR_ENCODING, "accepted %s", bad[i]);
	ck_assert_int_eq(bn_b64url_decode(out, 2, &n, "Zm9v", 4),
	    BN_ERR_TOO_LARGE);
}
END_TEST

/* Every ticket vector's b64url field decodes to its payload and back. */
START_TEST(test_b64url_ticket_vectors)
{
	json_t *j = tu_json_load("ticket_vectors.json");
	json_t *arr = tu_json_at(j, "tickets");
	uint8_t out[256], *payload;
	char s[bn_b64url_enc_len(256)];
	size_t i, n, plen;

	for (i = 0; i < json_array_size(arr); i++) {
		json_t *t = json_array_get(arr, i);
		const char *b = tu_json_str(t, "b64url");

		payload = tu_json_hex(t, "payload", &plen);
		ck_assert_int_eq(bn_b64url_decode(out, sizeof(out), &n, b,
		    strlen(b)), 0);
		ck_assert_uint_eq(n, plen);
		ck_assert_int_eq(memcmp(out, payload, n), 0);
		bn_b64url_encode(s, payload, plen);
		ck_assert_str_eq(s, b);
		free(payload);
	}
	json_decref(j);
}
END_TEST

static Suite *
codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_b64url_rfc4648);
	tcase_add_test(tc, test_b64url_reject);
	tcase_add_test(tc, test_b64url_ticket_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(codec_suite());
}
