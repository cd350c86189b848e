/*
 * crypto: thin wrappers over OpenSSL 3 for the primitives the suite uses.
 *
 * X25519, SHA-256, HMAC-SHA-256, HKDF (RFC 5869) and ChaCha20-Poly1305
 * (RFC 8439).  No primitive is implemented here; every byte of crypto
 * math comes from libcrypto.  Functions return BN_OK or a negative
 * bn_err (BN_ERR_CRYPTO when libcrypto fails, BN_ERR_AUTH when a tag does
 * not verify, BN_ERR_DH_ZERO for an all-zero X25519 result).  Outputs
 * are wiped on failure.
 *
 * The algorithm objects (EVP_CIPHER, EVP_MAC, ...) are fetched once per
 * process and then only read; a struct bn_aead holds one key schedule
 * and may be used by one thread at a time.
 */
#ifndef BETANET_CRYPTO_H
#define BETANET_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define BN_KEY_LEN		32
#define BN_HASH_LEN		32
#define BN_AEAD_NONCE_LEN	12
#define BN_AEAD_TAG_LEN		16

typedef uint8_t bn_key32[BN_KEY_LEN];

struct bn_iov {
	const void	*base;
	size_t		 len;
};

/* X25519 (RFC 7748).  priv is clamped on use, as RFC 7748 says. */
int	bn_x25519_keygen(uint8_t priv[BN_KEY_LEN], uint8_t pub[BN_KEY_LEN]);
int	bn_x25519_public(uint8_t pub[BN_KEY_LEN],
	    const uint8_t priv[BN_KEY_LEN]);
/* Fails with BN_ERR_DH_ZERO when the shared secret is all zero. */
int	bn_x25519(uint8_t out[BN_KEY_LEN], const uint8_t priv[BN_KEY_LEN],
	    const uint8_t peer_pub[BN_KEY_LEN]);

/*
 * A private key kept ready inside libcrypto, for a key that meets
 * several peers (a daemon's static key, a site key): bn_x25519() imports
 * the raw bytes on every call, which is about 8% of a DH.  The bytes
 * come out the same as bn_x25519() with the same private key.  A key
 * owns libcrypto objects and may be used by one thread at a time;
 * bn_x25519_key_free() wipes and releases it (NULL is fine).
 * bn_x25519_key_generate() makes a fresh clamped key and writes its
 * public half.  Derive fails with BN_ERR_DH_ZERO on an all-zero result,
 * as bn_x25519() does.
 */
struct bn_x25519_key *bn_x25519_key_new(const uint8_t priv[BN_KEY_LEN]);
struct bn_x25519_key *bn_x25519_key_generate(uint8_t pub[BN_KEY_LEN]);
int	bn_x25519_key_derive(struct bn_x25519_key *k,
	    const uint8_t peer_pub[BN_KEY_LEN], uint8_t out[BN_KEY_LEN]);
void	bn_x25519_key_free(struct bn_x25519_key *k);

/* SHA-256 of the concatenation of iovcnt pieces. */
int	bn_sha256v(uint8_t out[BN_HASH_LEN], const struct bn_iov *iov,
	    int iovcnt);
int	bn_sha256(uint8_t out[BN_HASH_LEN], const void *d, size_t len);
int	bn_hmac_sha256(uint8_t out[BN_HASH_LEN], const void *key,
	    size_t keylen, const void *d, size_t len);

/*
 * HKDF-SHA-256.  A NULL salt means 32 zero bytes ("absent", WIRE.md).
 * bn_hkdf is extract-then-expand; outlen is at most 255 * 32.
 */
int	bn_hkdf(uint8_t *out, size_t outlen, const uint8_t *salt,
	    size_t saltlen, const uint8_t *ikm, size_t ikmlen,
	    const void *info, size_t infolen);
int	bn_hkdf_extract(uint8_t prk[BN_HASH_LEN], const uint8_t *salt,
	    size_t saltlen, const uint8_t *ikm, size_t ikmlen);
int	bn_hkdf_expand(uint8_t *out, size_t outlen,
	    const uint8_t prk[BN_HASH_LEN], const void *info, size_t infolen);

/*
 * ChaCha20-Poly1305.  Seal writes ptlen bytes of ciphertext then the
 * 16-byte tag to out; open takes ctlen = plaintext + 16 and writes
 * ctlen - 16 bytes.  out may equal the input (in place); it must not
 * overlap it otherwise.  A failed open leaves out wiped.
 */
struct bn_aead *bn_aead_new(const uint8_t key[BN_KEY_LEN]);
void	bn_aead_free(struct bn_aead *a);
int	bn_aead_set_key(struct bn_aead *a, const uint8_t key[BN_KEY_LEN]);
int	bn_aead_seal(struct bn_aead *a, const uint8_t nonce[BN_AEAD_NONCE_LEN],
	    const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t ptlen,
	    uint8_t *out);
/* Scatter form: plaintext is the concatenation of iov[0..iovcnt). */
int	bn_aead_sealv(struct bn_aead *a,
	    const uint8_t nonce[BN_AEAD_NONCE_LEN], const uint8_t *aad,
	    size_t aadlen, const struct bn_iov *iov, int iovcnt, uint8_t *out);
int	bn_aead_open(struct bn_aead *a, const uint8_t nonce[BN_AEAD_NONCE_LEN],
	    const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
	    uint8_t *out);

/* One-shot forms for a key used a few times (the Noise handshake). */
int	bn_aead_seal_key(const uint8_t key[BN_KEY_LEN],
	    const uint8_t nonce[BN_AEAD_NONCE_LEN], const uint8_t *aad,
	    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out);
int	bn_aead_open_key(const uint8_t key[BN_KEY_LEN],
	    const uint8_t nonce[BN_AEAD_NONCE_LEN], const uint8_t *aad,
	    size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *out);

int	bn_random(void *out, size_t len);
/* Constant-time equality: 1 if equal, 0 if not (CRYPTO_memcmp). */
int	bn_ct_eq(const void *a, const void *b, size_t len);
void	bn_cleanse(void *p, size_t len);

#endif /* BETANET_CRYPTO_H */
