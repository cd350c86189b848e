/*
 * crypto: OpenSSL 3 wrappers (see crypto.h).
 *
 * Algorithms are fetched once (pthread_once) because an explicit fetch per
 * call costs more than a whole 256-byte seal.  Each bn_aead keeps one
 * EVP_CIPHER_CTX; re-initialising it with only a new nonce keeps the key
 * schedule, which is the fast path for per-frame nonces.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "betanet/crypto.h"
#include "betanet/err.h"

struct bn_aead {
	EVP_CIPHER_CTX	*ctx;
	int		 mode;		/* -1 none yet, 1 seal, 0 open */
	uint8_t		 key[BN_KEY_LEN];
};

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *alg_chacha;
static EVP_MD *alg_sha256;
static EVP_MAC *alg_hmac;
static EVP_KDF *alg_hkdf;
/*
 * HMAC-SHA-256 context with its digest already set and no key: each call
 * duplicates it, which skips looking the digest up by name (a third of
 * an HMAC of a few bytes, and the Noise handshake makes two dozen).
 * Like the algorithms, it is only read after fetch_algorithms().
 */
static EVP_MAC_CTX *hmac_sha256_tmpl;

static void
fetch_algorithms(void)
{
	OSSL_PARAM params[2];

	alg_chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	alg_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	alg_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	alg_hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (alg_hmac == NULL ||
	    (hmac_sha256_tmpl = EVP_MAC_CTX_new(alg_hmac)) == NULL)
		return;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hmac_sha256_tmpl, params) != 1) {
		EVP_MAC_CTX_free(hmac_sha256_tmpl);
		hmac_sha256_tmpl = NULL;
	}
}

static int
fetched(void)
{
	if (pthread_once(&fetch_once, fetch_algorithms) != 0)
		return 0;
	return alg_chacha != NULL && alg_sha256 != NULL &&
	    alg_hmac != NULL && alg_hkdf != NULL && hmac_sha256_tmpl != NULL;
}

static const uint8_t zero_salt[BN_HASH_LEN];

/* ---- X25519 ---- */

/*
 * The public key is X25519(priv, 9) (RFC 7748 §6.1), computed through the
 * derive path: there libcrypto runs its assembler ladder, while its own
 * public-key derivation (EVP_PKEY_new_raw_private_key) takes a slower
 * generic route on x86-64.  Same bytes either way.
 */
int
bn_x25519_public(uint8_t pub[BN_KEY_LEN], const uint8_t priv[BN_KEY_LEN])
{
	static const uint8_t base[BN_KEY_LEN] = { 9 };

	/* A clamped scalar times the base point is never zero. */
	return bn_x25519(pub, priv, base) == BN_OK ? BN_OK : BN_ERR_CRYPTO;
}

int
bn_x25519_keygen(uint8_t priv[BN_KEY_LEN], uint8_t pub[BN_KEY_LEN])
{
	int r;

	if (RAND_priv_bytes(priv, BN_KEY_LEN) != 1)
		return BN_ERR_CRYPTO;
	/* Store the key clamped, as most tools print it. */
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
	if ((r = bn_x25519_public(pub, priv)) != BN_OK)
		OPENSSL_cleanse(priv, BN_KEY_LEN);
	return r;
}

/*
 * Import one X25519 key through c (fromdata-initialised): our private key
 * when priv != NULL, else the peer's public key.
 *
 * EVP_PKEY_new_raw_private_key() would also compute our public key -- a
 * second scalar multiplication, doubling the cost of every DH -- and a
 * derive never reads it.  So the private key is imported as a pair with
 * a placeholder public half; that object lives only inside bn_x25519().
 * Both keys share c, which saves a second key-manager lookup.
 */
static EVP_PKEY *
x25519_import(EVP_PKEY_CTX *c, const uint8_t *priv, const uint8_t *pub)
{
	static const uint8_t unused_pub[BN_KEY_LEN];
	OSSL_PARAM params[3], *p = params;
	EVP_PKEY *k = NULL;

	if (priv != NULL) {
		*p++ = OSSL_PARAM_construct_octet_string(
		    OSSL_PKEY_PARAM_PRIV_KEY, (void *)priv, BN_KEY_LEN);
		pub = unused_pub;
	}
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    (void *)pub, BN_KEY_LEN);
	*p = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata(c, &k, priv != NULL ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY, params) != 1)
		return NULL;
	return k;
}

int
bn_x25519(uint8_t out[BN_KEY_LEN], const uint8_t priv[BN_KEY_LEN],
    const uint8_t peer_pub[BN_KEY_LEN])
{
	static const uint8_t zero[BN_KEY_LEN];
	EVP_PKEY *k = NULL, *p = NULL;
	EVP_PKEY_CTX *ic, *c = NULL;
	size_t len = BN_KEY_LEN;
	int r = BN_ERR_CRYPTO;

	if ((ic = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL)) == NULL)
		return BN_ERR_CRYPTO;
	if (EVP_PKEY_fromdata_init(ic) != 1 ||
	    (k = x25519_import(ic, priv, NULL)) == NULL ||
	    (p = x25519_import(ic, NULL, peer_pub)) == NULL ||
	    (c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) == NULL ||
	    EVP_PKEY_derive_init(c) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(c, p, 0) != 1)
		goto out;
	/* OpenSSL itself fails the derive on an all-zero result. */
	if (EVP_PKEY_derive(c, out, &len) != 1 || len != BN_KEY_LEN) {
		r = BN_ERR_DH_ZERO;
		goto out;
	}
	r = CRYPTO_memcmp(out, zero, BN_KEY_LEN) == 0 ? BN_ERR_DH_ZERO : BN_OK;
 out:
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_CTX_free(ic);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
	if (r != BN_OK)
		OPENSSL_cleanse(out, BN_KEY_LEN);
	return r;
}

/*
 * A prepared key: the EVP_PKEY (imported once, with the placeholder
 * public half of x25519_import()), a context that imports peers' public
 * keys, and a derive context initialised once; each derive only sets the
 * peer.  The peer stays referenced by dctx until the next derive; it is
 * public.
 */
struct bn_x25519_key {
	EVP_PKEY	*pkey;
	EVP_PKEY_CTX	*ictx;
	EVP_PKEY_CTX	*dctx;
};

struct bn_x25519_key *
bn_x25519_key_new(const uint8_t priv[BN_KEY_LEN])
{
	struct bn_x25519_key *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->ictx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(k->ictx) != 1 ||
	    (k->pkey = x25519_import(k->ictx, priv, NULL)) == NULL ||
	    (k->dctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey,
	    NULL)) == NULL ||
	    EVP_PKEY_derive_init(k->dctx) != 1) {
		bn_x25519_key_free(k);
		return NULL;
	}
	return k;
}

/*
 * EVP_PKEY_keygen() would do the same job, but it computes the public
 * half by libcrypto's generic route, which measured ~30% slower than a
 * derive with the base point (see bn_x25519_public()).  So: random
 * clamped bytes, imported, and X25519(priv, 9) through the new key.
 */
struct bn_x25519_key *
bn_x25519_key_generate(uint8_t pub[BN_KEY_LEN])
{
	static const uint8_t base[BN_KEY_LEN] = { 9 };
	struct bn_x25519_key *k = NULL;
	uint8_t priv[BN_KEY_LEN];

	if (RAND_priv_bytes(priv, BN_KEY_LEN) != 1)
		goto out;
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
	if ((k = bn_x25519_key_new(priv)) == NULL)
		goto out;
	if (bn_x25519_key_derive(k, base, pub) != BN_OK) {
		bn_x25519_key_free(k);
		k = NULL;
	}
 out:
	OPENSSL_cleanse(priv, sizeof(priv));
	return k;
}

int
bn_x25519_key_derive(struct bn_x25519_key *k,
    const uint8_t peer_pub[BN_KEY_LEN], uint8_t out[BN_KEY_LEN])
{
	static const uint8_t zero[BN_KEY_LEN];
	EVP_PKEY *p;
	size_t len = BN_KEY_LEN;
	int r = BN_ERR_CRYPTO;

	if ((p = x25519_import(k->ictx, NULL, peer_pub)) == NULL ||
	    EVP_PKEY_derive_set_peer_ex(k->dctx, p, 0) != 1)
		goto out;
	/* OpenSSL itself fails the derive on an all-zero result. */
	if (EVP_PKEY_derive(k->dctx, out, &len) != 1 || len != BN_KEY_LEN) {
		r = BN_ERR_DH_ZERO;
		goto out;
	}
	r = CRYPTO_memcmp(out, zero, BN_KEY_LEN) == 0 ? BN_ERR_DH_ZERO : BN_OK;
 out:
	EVP_PKEY_free(p);	/* dctx keeps its own reference */
	if (r != BN_OK)
		OPENSSL_cleanse(out, BN_KEY_LEN);
	return r;
}

void
bn_x25519_key_free(struct bn_x25519_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_CTX_free(k->dctx);
	EVP_PKEY_CTX_free(k->ictx);
	EVP_PKEY_free(k->pkey);		/* clears the private key */
	free(k);
}

/* ---- hashes and KDF ---- */

int
bn_sha256v(uint8_t out[BN_HASH_LEN], const struct bn_iov *iov, int iovcnt)
{
	EVP_MD_CTX *c;
	unsigned int len = 0;
	int i, r = BN_ERR_CRYPTO;

	if (!fetched() || (c = EVP_MD_CTX_new()) == NULL)
		return BN_ERR_CRYPTO;
	if (EVP_DigestInit_ex2(c, alg_sha256, NULL) != 1)
		goto out;
	for (i = 0; i < iovcnt; i++)
		if (iov[i].len > 0 &&
		    EVP_DigestUpdate(c, iov[i].base, iov[i].len) != 1)
			goto out;
	if (EVP_DigestFinal_ex(c, out, &len) == 1 && len == BN_HASH_LEN)
		r = BN_OK;
 out:
	EVP_MD_CTX_free(c);
	return r;
}

int
bn_sha256(uint8_t out[BN_HASH_LEN], const void *d, size_t len)
{
	struct bn_iov v = { d, len };

	return bn_sha256v(out, &v, 1);
}

int
bn_hmac_sha256(uint8_t out[BN_HASH_LEN], const void *key, size_t keylen,
    const void *d, size_t len)
{
	EVP_MAC_CTX *c;
	size_t olen = 0;
	int r = BN_ERR_CRYPTO;

	if (!fetched() || (c = EVP_MAC_CTX_dup(hmac_sha256_tmpl)) == NULL)
		return BN_ERR_CRYPTO;
	if (EVP_MAC_init(c, key, keylen, NULL) == 1 &&
	    EVP_MAC_update(c, d, len) == 1 &&
	    EVP_MAC_final(c, out, &olen, BN_HASH_LEN) == 1 &&
	    olen == BN_HASH_LEN)
		r = BN_OK;
	EVP_MAC_CTX_free(c);
	if (r != BN_OK)
		OPENSSL_cleanse(out, BN_HASH_LEN);
	return r;
}

/*
 * HKDF through OpenSSL's EVP_KDF "HKDF", on purpose: a composition of
 * HMAC calls would be about 1.5 us faster per call (OpenSSL 3.0 cannot
 * duplicate an HKDF context, so each call sets one up), but the suite
 * takes every KDF from the library rather than writing its own.
 */
static int
hkdf_run(int mode, uint8_t *out, size_t outlen, const uint8_t *salt,
    size_t saltlen, const uint8_t *key, size_t keylen, const void *info,
    size_t infolen)
{
	OSSL_PARAM params[6], *p = params;
	EVP_KDF_CTX *c;
	int r = BN_ERR_CRYPTO;

	if (!fetched() || (c = EVP_KDF_CTX_new(alg_hkdf)) == NULL)
		return BN_ERR_CRYPTO;
	if (salt == NULL) {
		salt = zero_salt;
		saltlen = sizeof(zero_salt);
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)key, keylen);
	if (mode != EVP_KDF_HKDF_MODE_EXPAND_ONLY)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)salt, saltlen);
	if (mode != EVP_KDF_HKDF_MODE_EXTRACT_ONLY)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(c, out, outlen, params) == 1)
		r = BN_OK;
	EVP_KDF_CTX_free(c);
	if (r != BN_OK)
		OPENSSL_cleanse(out, outlen);
	return r;
}

int
bn_hkdf(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
    const uint8_t *ikm, size_t ikmlen, const void *info, size_t infolen)
{
	if (outlen == 0 || outlen > 255 * BN_HASH_LEN)
		return BN_ERR_INVALID_ARG;
	return hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, out, outlen,
	    salt, saltlen, ikm, ikmlen, info, infolen);
}

int
bn_hkdf_extract(uint8_t prk[BN_HASH_LEN], const uint8_t *salt,
    size_t saltlen, const uint8_t *ikm, size_t ikmlen)
{
	return hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, prk, BN_HASH_LEN,
	    salt, saltlen, ikm, ikmlen, NULL, 0);
}

int
bn_hkdf_expand(uint8_t *out, size_t outlen, const uint8_t prk[BN_HASH_LEN],
    const void *info, size_t infolen)
{
	if (outlen == 0 || outlen > 255 * BN_HASH_LEN)
		return BN_ERR_INVALID_ARG;
	return hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, out, outlen, NULL, 0,
	    prk, BN_HASH_LEN, info, infolen);
}

/* ---- ChaCha20-Poly1305 ---- */

struct bn_aead *
bn_aead_new(const uint8_t key[BN_KEY_LEN])
{
	struct bn_aead *a;

	if (!fetched() || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(a);
		return NULL;
	}
	a->mode = -1;
	memcpy(a->key, key, BN_KEY_LEN);
	return a;
}

void
bn_aead_free(struct bn_aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->ctx);	/* cleanses the key schedule */
	OPENSSL_cleanse(a->key, sizeof(a->key));
	free(a);
}

int
bn_aead_set_key(struct bn_aead *a, const uint8_t key[BN_KEY_LEN])
{
	memcpy(a->key, key, BN_KEY_LEN);
	a->mode = -1;
	return BN_OK;
}

/* Arm the context for one operation: full init on a mode change. */
static int
aead_begin(struct bn_aead *a, int enc, const uint8_t *nonce,
    const uint8_t *aad, size_t aadlen)
{
	int outl;

	if (a->mode != enc) {
		if (EVP_CipherInit_ex2(a->ctx, alg_chacha, a->key, nonce, enc,
		    NULL) != 1)
			return BN_ERR_CRYPTO;
		a->mode = enc;
	} else if (EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, enc,
	    NULL) != 1)
		return BN_ERR_CRYPTO;
	if (aadlen > 0 && (aadlen > INT_MAX ||
	    EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aadlen) != 1))
		return BN_ERR_CRYPTO;
	return BN_OK;
}

int
bn_aead_sealv(struct bn_aead *a, const uint8_t nonce[BN_AEAD_NONCE_LEN],
    const uint8_t *aad, size_t aadlen, const struct bn_iov *iov, int iovcnt,
    uint8_t *out)
{
	size_t done = 0;
	int i, outl, r;

	if ((r = aead_begin(a, 1, nonce, aad, aadlen)) != BN_OK)
		goto fail;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].len == 0)
			continue;
		if (iov[i].len > INT_MAX || EVP_EncryptUpdate(a->ctx,
		    out + done, &outl, iov[i].base, (int)iov[i].len) != 1)
			goto crypto;
		done += (size_t)outl;
	}
	if (EVP_EncryptFinal_ex(a->ctx, out + done, &outl) != 1)
		goto crypto;
	done += (size_t)outl;
	if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, BN_AEAD_TAG_LEN,
	    out + done) != 1)
		goto crypto;
	return BN_OK;
 crypto:
	r = BN_ERR_CRYPTO;
 fail:
	a->mode = -1;
	OPENSSL_cleanse(out, done);	/* no partial ciphertext escapes */
	return r;
}

int
bn_aead_seal(struct bn_aead *a, const uint8_t nonce[BN_AEAD_NONCE_LEN],
    const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t ptlen,
    uint8_t *out)
{
	struct bn_iov v = { pt, ptlen };

	return bn_aead_sealv(a, nonce, aad, aadlen, &v, 1, out);
}

int
bn_aead_open(struct bn_aead *a, const uint8_t nonce[BN_AEAD_NONCE_LEN],
    const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
    uint8_t *out)
{
	uint8_t tag[BN_AEAD_TAG_LEN], fin[BN_AEAD_TAG_LEN];
	size_t ptlen;
	int outl, r;

	if (ctlen < BN_AEAD_TAG_LEN || ctlen - BN_AEAD_TAG_LEN > INT_MAX)
		return BN_ERR_INVALID_ARG;
	ptlen = ctlen - BN_AEAD_TAG_LEN;
	/* Copy the tag first: with out == ct the decrypt overwrites it. */
	memcpy(tag, ct + ptlen, BN_AEAD_TAG_LEN);
	if ((r = aead_begin(a, 0, nonce, aad, aadlen)) != BN_OK)
		goto fail;
	if (ptlen > 0 && EVP_DecryptUpdate(a->ctx, out, &outl, ct,
	    (int)ptlen) != 1) {
		r = BN_ERR_CRYPTO;
		goto fail;
	}
	if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG,
	    BN_AEAD_TAG_LEN, tag) != 1) {
		r = BN_ERR_CRYPTO;
		goto fail;
	}
	/* ChaCha20-Poly1305 finishes with no output; out may be NULL. */
	if (EVP_DecryptFinal_ex(a->ctx, fin, &outl) != 1) {
		r = BN_ERR_AUTH;
		goto fail;
	}
	return BN_OK;
 fail:
	a->mode = -1;
	OPENSSL_cleanse(out, ptlen);
	return r;
}

static int
aead_oneshot(int enc, const uint8_t key[BN_KEY_LEN],
    const uint8_t nonce[BN_AEAD_NONCE_LEN], const uint8_t *aad,
    size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
	struct bn_aead *a;
	int r;

	if ((a = bn_aead_new(key)) == NULL)
		return BN_ERR_ALLOC;
	r = enc ? bn_aead_seal(a, nonce, aad, aadlen, in, inlen, out) :
	    bn_aead_open(a, nonce, aad, aadlen, in, inlen, out);
	bn_aead_free(a);
	return r;
}

int
bn_aead_seal_key(const uint8_t key[BN_KEY_LEN],
    const uint8_t nonce[BN_AEAD_NONCE_LEN], const uint8_t *aad,
    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	return aead_oneshot(1, key, nonce, aad, aadlen, pt, ptlen, out);
}

int
bn_aead_open_key(const uint8_t key[BN_KEY_LEN],
    const uint8_t nonce[BN_AEAD_NONCE_LEN], const uint8_t *aad,
    size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *out)
{
	return aead_oneshot(0, key, nonce, aad, aadlen, ct, ctlen, out);
}

/* ---- misc ---- */

int
bn_random(void *out, size_t len)
{
	if (len > INT_MAX || RAND_bytes(out, (int)len) != 1)
		return BN_ERR_CRYPTO;
	return BN_OK;
}

int
bn_ct_eq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
bn_cleanse(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
