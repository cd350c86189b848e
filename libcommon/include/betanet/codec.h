/*
 * codec: hex and base64url text encodings of byte strings.
 *
 * Encoders write a NUL-terminated string and need an output of
 * bn_hex_enc_len(n) / bn_b64url_enc_len(n) bytes (NUL included).
 * b64url output has no '=' padding (WIRE.md); the decoder accepts input
 * with or without correct padding, rejects any other character, a
 * misplaced '=', impossible lengths and non-zero unused bits (so each
 * byte string has exactly one accepted unpadded spelling).  Hex decoding
 * takes either case.  Decoders write at most outcap bytes and report the
 * length; outputs are cleared on failure.
 */
#ifndef BETANET_CODEC_H
#define BETANET_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define bn_hex_enc_len(n)	((n) * 2 + 1)
#define bn_b64url_enc_len(n)	(((n) + 2) / 3 * 4 + 1)

void	bn_hex_encode(char *out, const uint8_t *in, size_t n);
/* Decode exactly outlen bytes from a 2*outlen-character string. */
int	bn_hex_decode_exact(uint8_t *out, size_t outlen, const char *in,
	    size_t inlen);
int	bn_hex_decode(uint8_t *out, size_t outcap, size_t *outlen,
	    const char *in, size_t inlen);

void	bn_b64url_encode(char *out, const uint8_t *in, size_t n);
int	bn_b64url_decode(uint8_t *out, size_t outcap, size_t *outlen,
	    const char *in, size_t inlen);

#endif /* BETANET_CODEC_H */
