/*
 * Unit tests for crypto: the published vectors of every primitive the
 * suite uses (RFC 7748 X25519, RFC 4231 HMAC-SHA-256, RFC 5869 HKDF,
 * RFC 8439 ChaCha20-Poly1305, FIPS 180 SHA-256) and the wrapper rules
 * (all-zero DH refused, failed open wipes, in place, scatter).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "betanet/crypto.h"
#include "betanet/err.h"
#include "testutil.h"

static void
hex_n(const char *hex, uint8_t *out, size_t n)
{
	size_t len;
	uint8_t *p = tu_hex(hex, &len);

	ck_assert_uint_eq(len, n);
	memcpy(out, p, n);
	free(p);
}

static void
assert_hex(const uint8_t *got, const char *want)
{
	size_t len;
	uint8_t *w = tu_hex(want, &len);

	ck_assert_msg(memcmp(got, w, len) == 0, "want %s", want);
	free(w);
}

/* RFC 7748 §5.2: the two single vectors and 1 / 1000 iterations. */
START_TEST(test_x25519_rfc7748_5_2)
{
	static const struct { const char *k, *u, *out; } v[] = {
		{ "a546e36bf0527c9d3b16154b82465edd"
		    "62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c"
		  "726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f"
		  "32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5"
		    "c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c"
		  "31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f8"
		  "8b595a68799fa152e6f8f7647aac7957" },
	};
	uint8_t k[32], u[32], out[32];
	size_t i;

	for (i = 0; i < 2; i++) {
		hex_n(v[i].k, k, 32);
		hex_n(v[i].u, u, 32);
		ck_assert_int_eq(bn_x25519(out, k, u), 0);
		assert_hex(out, v[i].out);
	}
	/* k = u = 9; then k, u = X25519(k, u), k. */
	memset(k, 0, 32);
	k[0] = 9;
	memcpy(u, k, 32);
	for (i = 1; i <= 1000; i++) {
		ck_assert_int_eq(bn_x25519(out, k, u), 0);
		memcpy(u, k, 32);
		memcpy(k, out, 32);
		if (i == 1)
			assert_hex(k, "422c8e7a6227d7bca1350b3e2bb7279f"
			    "7897b87bb6854b783c60e80311ae3079");
	}
	assert_hex(k, "684cf59ba83309552800ef566f2f4d3c"
	    "1c3887c49360e3875f2eb94d99532c51");
}
END_TEST

/* RFC 7748 §6.1: Alice and Bob. */
START_TEST(test_x25519_rfc7748_6_1)
{
	uint8_t a[32], b[32], ap[32], bp[32], s1[32], s2[32];

	hex_n("77076d0a7318a57d3c16c17251b26645"
	    "df4c2f87ebc0992ab177fba51db92c2a",
	    a, 32);
	hex_n("5dab087e624a8a4b79e17f8b83800ee6"
	    "6f3bb1292618b6fd1c2f8b27ff88e0eb",
	    b, 32);
	ck_assert_int_eq(bn_x25519_public(ap, a), 0);
	assert_hex(ap, "8520f0098930a754748b7ddcb43ef75a"
	    "0dbf3a0d26381af4eba4a98eaa9b4e6a");
	ck_assert_int_eq(bn_x25519_public(bp, b), 0);
	assert_hex(bp, "de9edb7d7b7dc1b4d35b61c2ece43537"
	    "3f8343c85b78674dadfc7e146f882b4f");
	ck_assert_int_eq(bn_x25519(s1, a, bp), 0);
	ck_assert_int_eq(bn_x25519(s2, b, ap), 0);
	assert_hex(s1, "4a5d9d5ba4ce2de1728e3bf480350f25"
	    "e07e21c947d19e3376f09b3c1e161742");
	ck_assert_int_eq(memcmp(s1, s2, 32), 0);
}
END_TEST

/* Low-order points give the all-zero secret: refused, output wiped. */
START_TEST(test_x25519_zero)
{
	static const char *low[] = {
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"01000000000000000000000000000000"
		"00000000000000000000000000000000",
		/* order 8 (RFC 7748 §7 / cr.yp.to list) */
		"e0eb7a7c3b41b8ae1656e3faf19fc46a"
		"da098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b"
		"04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffff"
		"ffffffffffffffffffffffffffffff7f",
	};
	uint8_t priv[32], pub[32], u[32], out[32];
	size_t i;

	ck_assert_int_eq(bn_x25519_keygen(priv, pub), 0);
	/* Keys are stored clamped. */
	ck_assert_uint_eq(priv[0] & 7, 0);
	ck_assert_uint_eq(priv[31] & 0xc0, 0x40);
	for (i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		hex_n(low[i], u, 32);
		memset(out, 0xee, sizeof(out));
		ck_assert_int_eq(bn_x25519(out, priv, u), BN_ERR_DH_ZERO);
		ck_assert(bn_ct_eq(out, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
		    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32));
	}
}
END_TEST

/*
 * The prepared-key API against the same vectors: RFC 7748 §5.2 (both
 * single vectors, unclamped input bytes), §6.1 (Alice and Bob, public
 * keys via derive with u = 9), one key reused across several peers, and
 * the low-order points refused with the output wiped.
 */
START_TEST(test_x25519_key_vectors)
{
	static const struct { const char *k, *u, *out; } v[] = {
		{ "a546e36bf0527c9d3b16154b82465edd"
		    "62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c"
		  "726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f"
		  "32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5"
		    "c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c"
		  "31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f8"
		  "8b595a68799fa152e6f8f7647aac7957" },
	};
	static const uint8_t nine[32] = { 9 };
	struct bn_x25519_key *ka, *kb, *k;
	uint8_t a[32], b[32], ap[32], bp[32], s1[32], s2[32], u[32];
	size_t i;

	for (i = 0; i < 2; i++) {
		hex_n(v[i].k, a, 32);
		hex_n(v[i].u, u, 32);
		ck_assert_ptr_nonnull(k = bn_x25519_key_new(a));
		ck_assert_int_eq(bn_x25519_key_derive(k, u, s1), 0);
		assert_hex(s1, v[i].out);
		bn_x25519_key_free(k);
	}
	hex_n("77076d0a7318a57d3c16c17251b26645"
	    "df4c2f87ebc0992ab177fba51db92c2a",
	    a, 32);
	hex_n("5dab087e624a8a4b79e17f8b83800ee6"
	    "6f3bb1292618b6fd1c2f8b27ff88e0eb",
	    b, 32);
	ck_assert_ptr_nonnull(ka = bn_x25519_key_new(a));
	ck_assert_ptr_nonnull(kb = bn_x25519_key_new(b));
	/* The same key object derives again and again, peer by peer. */
	ck_assert_int_eq(bn_x25519_key_derive(ka, nine, ap), 0);
	ck_assert_int_eq(bn_x25519_key_derive(kb, nine, bp), 0);
	assert_hex(ap, "8520f0098930a754748b7ddcb43ef75a"
	    "0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_hex(bp, "de9edb7d7b7dc1b4d35b61c2ece43537"
	    "3f8343c85b78674dadfc7e146f882b4f");
	ck_assert_int_eq(bn_x25519_key_derive(ka, bp, s1), 0);
	ck_assert_int_eq(bn_x25519_key_derive(kb, ap, s2), 0);
	assert_hex(s1, "4a5d9d5ba4ce2de1728e3bf480350f25"
	    "e07e21c947d19e3376f09b3c1e161742");
	ck_assert_int_eq(memcmp(s1, s2, 32), 0);
	/* Same bytes as bn_x25519 for a peer after a refused one. */
	memset(u, 0, sizeof(u));
	ck_assert_int_eq(bn_x25519_key_derive(ka, u, s1), BN_ERR_DH_ZERO);
	ck_assert_int_eq(bn_x25519_key_derive(ka, bp, s1), 0);
	ck_assert_int_eq(bn_x25519(s2, a, bp), 0);
	ck_assert_int_eq(memcmp(s1, s2, 32), 0);
	bn_x25519_key_free(ka);
	bn_x25519_key_free(kb);
	bn_x25519_key_free(NULL);
}
END_TEST

/* A generated key: its public half and DH agree with the byte API. */
START_TEST(test_x25519_key_generate)
{
	static const char *low[] = {
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"01000000000000000000000000000000"
		"00000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46a"
		"da098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b"
		"04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffff"
		"ffffffffffffffffffffffffffffff7f",
	};
	struct bn_x25519_key *k, *k2;
	uint8_t pub[32], pub2[32], priv[32], ppub[32], s1[32], s2[32];
	uint8_t u[32];
	size_t i;

	ck_assert_ptr_nonnull(k = bn_x25519_key_generate(pub));
	ck_assert_ptr_nonnull(k2 = bn_x25519_key_generate(pub2));
	ck_assert(!bn_ct_eq(pub, pub2, 32));
	ck_assert_int_eq(bn_x25519_keygen(priv, ppub), 0);
	ck_assert_int_eq(bn_x25519_key_derive(k, ppub, s1), 0);
	ck_assert_int_eq(bn_x25519(s2, priv, pub), 0);
	ck_assert_int_eq(memcmp(s1, s2, 32), 0);
	for (i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		hex_n(low[i], u, 32);
		memset(s1, 0xee, sizeof(s1));
		ck_assert_int_eq(bn_x25519_key_derive(k, u, s1),
		    BN_ERR_DH_ZERO);
		ck_assert(bn_ct_eq(s1, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
		    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32));
	}
	/* Still usable after the refusals. */
	ck_assert_int_eq(bn_x25519_key_derive(k, pub2, s1), 0);
	ck_assert_int_eq(bn_x25519_key_derive(k2, pub, s2), 0);
	ck_assert_int_eq(memcmp(s1, s2, 32), 0);
	bn_x25519_key_free(k);
	bn_x25519_key_free(k2);
}
END_TEST

START_TEST(test_sha256)
{
	uint8_t h[32];
	struct bn_iov v[3] = { { "a", 1 }, { "", 0 }, { "bc", 2 } };

	ck_assert_int_eq(bn_sha256(h, "abc", 3), 0);
	assert_hex(h, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(bn_sha256v(h, v, 3), 0);
	assert_hex(h, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(bn_sha256(h, "", 0), 0);
	assert_hex(h, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}
END_TEST

/* RFC 4231 test cases 1, 2 and 6 (key longer than the block). */
START_TEST(test_hmac_rfc4231)
{
	uint8_t key[131], out[32];

	memset(key, 0x0b, 20);
	ck_assert_int_eq(bn_hmac_sha256(out, key, 20, "Hi There", 8), 0);
	assert_hex(out, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
	ck_assert_int_eq(bn_hmac_sha256(out, "Jefe", 4,
	    "what do ya want for nothing?", 28), 0);
	assert_hex(out, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, sizeof(key));
	ck_assert_int_eq(bn_hmac_sha256(out, key, sizeof(key),
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54), 0);
	assert_hex(out, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

/* RFC 5869 A.1-A.3: extract, expand and the combined form. */
START_TEST(test_hkdf_rfc5869)
{
	static const struct {
		size_t ikm_n, salt_n, info_n, L;
		uint8_t ikm0, salt0, info0;	/* counting bytes from here */
		int ikm_0b;			/* ikm is 0x0b repeated */
		const char *prk, *okm;
	} c[] = {
		{ 22, 13, 10, 42, 0, 0x00, 0xf0, 1,
		  "077709362c2e32df0ddc3f0dc47bba63"
		  "90b6c73bb50f9c3122ec844ad7c2b3e5",
		  "3cb25f25faacd57a90434f64d0362f2a"
		  "2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		  "34007208d5b887185865" },
		{ 80, 80, 80, 82, 0x00, 0x60, 0xb0, 0,
		  "06a6b88c5853361a06104c9ceb35b45c"
		  "ef760014904671014a193f40c15fc244",
		  "b11e398dc80327a1c8e7f78c596a4934"
		  "4f012eda2d4efad8a050cc4c19afa97c"
		  "59045a99cac7827271cb41c65e590e09"
		  "da3275600c2f09b8367793a9aca3db71"
		  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
		{ 22, 0, 0, 42, 0, 0, 0, 1,
		  "19ef24a32c717b167f33a91d6f648bdf"
		  "96596776afdb6377ac434c1c293ccb04",
		  "8da4e775a563c18f715f802a063c5a31"
		  "b8a11f5c5ee1879ec3454e5f3c738d2d"
		  "9d201395faa4b61a96c8" },
	};
	uint8_t ikm[80], salt[80], info[80], prk[32], okm[82];
	size_t i, k;

	for (i = 0; i < 3; i++) {
		for (k = 0; k < 80; k++) {
			ikm[k] = c[i].ikm_0b ? 0x0b : (uint8_t)(c[i].ikm0 + k);
			salt[k] = (uint8_t)(c[i].salt0 + k);
			info[k] = (uint8_t)(c[i].info0 + k);
		}
		ck_assert_int_eq(bn_hkdf_extract(prk, salt, c[i].salt_n, ikm,
		    c[i].ikm_n), 0);
		assert_hex(prk, c[i].prk);
		ck_assert_int_eq(bn_hkdf_expand(okm, c[i].L, prk, info,
		    c[i].info_n), 0);
		assert_hex(okm, c[i].okm);
		memset(okm, 0, sizeof(okm));
		ck_assert_int_eq(bn_hkdf(okm, c[i].L, salt, c[i].salt_n, ikm,
		    c[i].ikm_n, info, c[i].info_n), 0);
		assert_hex(okm, c[i].okm);
	}
	/* A.3's absent salt is HashLen zeros: NULL means exactly that. */
	ck_assert_int_eq(bn_hkdf(okm, 42, NULL, 0, ikm, 22, NULL, 0), 0);
	assert_hex(okm, c[2].okm);
	ck_assert_int_eq(bn_hkdf(okm, 0, NULL, 0, ikm, 22, NULL, 0),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_hkdf(okm, 255 * 32 + 1, NULL, 0, ikm, 22, NULL,
	    0), BN_ERR_INVALID_ARG);
}
END_TEST

/* RFC 8439 §2.8.2. */
static const char aead_pt[] = "Ladies and Gentlemen of the class of '99: "
    "If I could offer you only one tip for the future, sunscreen would "
    "be it.";
static const char aead_ct[] =
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116"
    "1ae10b594f09e26a7e902ecbd0600691";

static void
aead_params(uint8_t key[32], uint8_t nonce[12], uint8_t aad[12])
{
	size_t i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	hex_n("070000004041424344454647", nonce, 12);
	hex_n("50515253c0c1c2c3c4c5c6c7", aad, 12);
}

/* OpenSSL's own HKDF (EVP_KDF), the reference for bn_hkdf. */
static void
ossl_hkdf(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
    const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen)
{
	static const uint8_t zero[32];
	EVP_KDF *kdf;
	EVP_KDF_CTX *c;
	OSSL_PARAM p[5];

	ck_assert_ptr_nonnull(kdf = EVP_KDF_fetch(NULL, "HKDF", NULL));
	ck_assert_ptr_nonnull(c = EVP_KDF_CTX_new(kdf));
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)ikm, ikmlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    salt != NULL ? (void *)salt : (void *)zero,
	    salt != NULL ? saltlen : sizeof(zero));
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, infolen);
	p[4] = OSSL_PARAM_construct_end();
	ck_assert_int_eq(EVP_KDF_derive(c, out, outlen, p), 1);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
}

/*
 * bn_hkdf against OpenSSL's HKDF for random inputs: every output length
 * around the block edges and the maximum, salts absent, empty, short
 * and longer than a SHA-256 block, empty and long info.
 */
START_TEST(test_hkdf_vs_openssl)
{
	static const size_t lens[] = { 1, 31, 32, 33, 63, 64, 65, 82, 100,
	    255 * 32 };
	static const size_t slens[] = { 0, 1, 13, 32, 80, 200 };
	static uint8_t want[255 * 32], got[255 * 32];
	uint8_t salt[200], ikm[100], info[300];
	size_t i, j, il;

	ck_assert_int_eq(bn_random(salt, sizeof(salt)), 0);
	ck_assert_int_eq(bn_random(ikm, sizeof(ikm)), 0);
	ck_assert_int_eq(bn_random(info, sizeof(info)), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (j = 0; j <= sizeof(slens) / sizeof(slens[0]); j++) {
			il = (i * 37 + j * 11) % sizeof(info);
			/* j == count: the NULL (absent) salt */
			if (j == sizeof(slens) / sizeof(slens[0])) {
				ossl_hkdf(want, lens[i], NULL, 0, ikm,
				    i * 9 % sizeof(ikm), info, il);
				ck_assert_int_eq(bn_hkdf(got, lens[i], NULL,
				    0, ikm, i * 9 % sizeof(ikm), info, il), 0);
			} else {
				ossl_hkdf(want, lens[i], salt, slens[j], ikm,
				    i * 9 % sizeof(ikm), info, il);
				ck_assert_int_eq(bn_hkdf(got, lens[i], salt,
				    slens[j], ikm, i * 9 % sizeof(ikm), info,
				    il), 0);
			}
			ck_assert_int_eq(memcmp(got, want, lens[i]), 0);
		}
}
END_TEST

START_TEST(test_aead_rfc8439)
{
	uint8_t key[32], nonce[12], aad[12], out[256], buf[256], *ct;
	size_t ptlen = strlen(aead_pt), ctlen;
	struct bn_aead *a;
	struct bn_iov iov[3];

	ck_assert_uint_eq(ptlen, 114);
	aead_params(key, nonce, aad);
	ct = tu_hex(aead_ct, &ctlen);
	ck_assert_uint_eq(ctlen, ptlen + 16);
	ck_assert_ptr_nonnull(a = bn_aead_new(key));

	/* Seal and open, twice each (the context is reused). */
	ck_assert_int_eq(bn_aead_seal(a, nonce, aad, 12,
	    (const uint8_t *)aead_pt, ptlen, out), 0);
	ck_assert_int_eq(memcmp(out, ct, ctlen), 0);
	ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, ct, ctlen, buf), 0);
	ck_assert_int_eq(memcmp(buf, aead_pt, ptlen), 0);
	ck_assert_int_eq(bn_aead_seal(a, nonce, aad, 12,
	    (const uint8_t *)aead_pt, ptlen, out), 0);
	ck_assert_int_eq(memcmp(out, ct, ctlen), 0);

	/* In place, both ways. */
	memcpy(buf, aead_pt, ptlen);
	ck_assert_int_eq(bn_aead_seal(a, nonce, aad, 12, buf, ptlen, buf), 0);
	ck_assert_int_eq(memcmp(buf, ct, ctlen), 0);
	ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, buf, ctlen, buf), 0);
	ck_assert_int_eq(memcmp(buf, aead_pt, ptlen), 0);

	/* Scatter: three pieces (one empty) give the same bytes. */
	iov[0].base = aead_pt;
	iov[0].len = 10;
	iov[1].base = aead_pt + 10;
	iov[1].len = 0;
	iov[2].base = aead_pt + 10;
	iov[2].len = ptlen - 10;
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(bn_aead_sealv(a, nonce, aad, 12, iov, 3, out), 0);
	ck_assert_int_eq(memcmp(out, ct, ctlen), 0);
	iov[0].len = 1;
	iov[1].base = aead_pt + 1;
	iov[1].len = 63;
	iov[2].base = aead_pt + 64;
	iov[2].len = ptlen - 64;
	ck_assert_int_eq(bn_aead_sealv(a, nonce, aad, 12, iov, 3, out), 0);
	ck_assert_int_eq(memcmp(out, ct, ctlen), 0);

	/* One-shot forms. */
	ck_assert_int_eq(bn_aead_seal_key(key, nonce, aad, 12,
	    (const uint8_t *)aead_pt, ptlen, out), 0);
	ck_assert_int_eq(memcmp(out, ct, ctlen), 0);
	ck_assert_int_eq(bn_aead_open_key(key, nonce, aad, 12, ct, ctlen,
	    buf), 0);
	ck_assert_int_eq(memcmp(buf, aead_pt, ptlen), 0);

	/* Re-keying the same object. */
	key[0] ^= 1;
	ck_assert_int_eq(bn_aead_set_key(a, key), 0);
	ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, ct, ctlen, buf),
	    BN_ERR_AUTH);
	key[0] ^= 1;
	ck_assert_int_eq(bn_aead_set_key(a, key), 0);
	ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, ct, ctlen, buf), 0);
	ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, ct, 15, buf),
	    BN_ERR_INVALID_ARG);
	bn_aead_free(a);
	bn_aead_free(NULL);
	free(ct);
}
END_TEST

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Tampered tag, ciphertext, AAD or nonce: AUTH, and nothing leaks. */
START_TEST(test_aead_tamper)
{
	uint8_t key[32], nonce[12], aad[12], buf[256], *ct, t[256];
	size_t ptlen = strlen(aead_pt), ctlen, i;
	struct bn_aead *a;

	aead_params(key, nonce, aad);
	ct = tu_hex(aead_ct, &ctlen);
	ck_assert_ptr_nonnull(a = bn_aead_new(key));
	for (i = 0; i < ctlen; i++) {
		memcpy(t, ct, ctlen);
		t[i] ^= 0x40;
		memset(buf, 0xee, sizeof(buf));
		ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, t, ctlen,
		    buf), BN_ERR_AUTH);
		ck_assert(all_zero(buf, ptlen));
	}
	for (i = 0; i < 12; i++) {
		aad[i] ^= 1;
		memset(buf, 0xee, sizeof(buf));
		ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, ct, ctlen,
		    buf), BN_ERR_AUTH);
		ck_assert(all_zero(buf, ptlen));
		aad[i] ^= 1;
		nonce[i] ^= 1;
		ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, ct, ctlen,
		    buf), BN_ERR_AUTH);
		nonce[i] ^= 1;
	}
	/* Shorter AAD. */
	ck_assert_int_eq(bn_aead_open(a, nonce, aad, 11, ct, ctlen, buf),
	    BN_ERR_AUTH);
	/* In place: the failed open wipes the buffer. */
	memcpy(t, ct, ctlen);
	t[ctlen - 1] ^= 1;
	ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, t, ctlen, t),
	    BN_ERR_AUTH);
	ck_assert(all_zero(t, ptlen));
	/* One-shot open too. */
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(bn_aead_open_key(key, nonce, aad, 12, t, ctlen, buf),
	    BN_ERR_AUTH);
	ck_assert(all_zero(buf, ptlen));
	/* Still works afterwards. */
	ck_assert_int_eq(bn_aead_open(a, nonce, aad, 12, ct, ctlen, buf), 0);
	ck_assert_int_eq(memcmp(buf, aead_pt, ptlen), 0);
	bn_aead_free(a);
	free(ct);
}
END_TEST

/* Empty plaintext and empty AAD: the tag alone. */
START_TEST(test_aead_empty)
{
	uint8_t key[32] = { 1 }, nonce[12] = { 2 }, out[16], pt[1];
	struct bn_aead *a = bn_aead_new(key);

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(bn_aead_seal(a, nonce, NULL, 0, NULL, 0, out), 0);
	ck_assert_int_eq(bn_aead_open(a, nonce, NULL, 0, out, 16, pt), 0);
	out[3] ^= 1;
	ck_assert_int_eq(bn_aead_open(a, nonce, NULL, 0, out, 16, pt),
	    BN_ERR_AUTH);
	bn_aead_free(a);
}
END_TEST

START_TEST(test_ct_eq_random)
{
	uint8_t a[64], b[64];
	size_t i;

	ck_assert_int_eq(bn_random(a, sizeof(a)), 0);
	memcpy(b, a, sizeof(a));
	ck_assert_int_eq(bn_ct_eq(a, b, sizeof(a)), 1);
	ck_assert_int_eq(bn_ct_eq(a, b, 0), 1);
	for (i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x80;
		ck_assert_int_eq(bn_ct_eq(a, b, sizeof(a)), 0);
		b[i] ^= 0x80;
	}
	ck_assert_int_eq(bn_random(b, sizeof(b)), 0);
	ck_assert_int_eq(bn_ct_eq(a, b, sizeof(a)), 0);	/* 2^-512 */
	bn_cleanse(a, sizeof(a));
	ck_assert(all_zero(a, sizeof(a)));
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_x25519_rfc7748_5_2);
	tcase_add_test(tc, test_x25519_rfc7748_6_1);
	tcase_add_test(tc, test_x25519_zero);
	tcase_add_test(tc, test_x25519_key_vectors);
	tcase_add_test(tc, test_x25519_key_generate);
	tcase_add_test(tc, test_sha256);
	tcase_add_test(tc, test_hmac_rfc4231);
	tcase_add_test(tc, test_hkdf_rfc5869);
	tcase_add_test(tc, test_hkdf_vs_openssl);
	tcase_add_test(tc, test_aead_rfc8439);
	tcase_add_test(tc, test_aead_tamper);
	tcase_add_test(tc, test_aead_empty);
	tcase_add_test(tc, test_ct_eq_random);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(crypto_suite());
}
