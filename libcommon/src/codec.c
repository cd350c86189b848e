/*
 * codec: hex and base64url (see codec.h).  Table-driven; decoding never
 * reads past inlen and never writes past outcap.
 */
#include <string.h>

#include "betanet/codec.h"
#include "betanet/err.h"

static const char hexdig[] = "0123456789abcdef";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
bn_hex_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
bn_hex_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
    size_t inlen)
{
	size_t i;
	int hi, lo;

	*outlen = 0;
	if (inlen % 2 != 0)
		return BN_ERR_ENCODING;
	if (inlen / 2 > outcap)
		return BN_ERR_TOO_LARGE;
	for (i = 0; i < inlen / 2; i++) {
		if ((hi = hexval(in[2 * i])) < 0 ||
		    (lo = hexval(in[2 * i + 1])) < 0) {
			memset(out, 0, i);
			return BN_ERR_ENCODING;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = inlen / 2;
	return BN_OK;
}

int
bn_hex_decode_exact(uint8_t *out, size_t outlen, const char *in,
    size_t inlen)
{
	size_t got;

	if (inlen != 2 * outlen)
		return BN_ERR_ENCODING;
	return bn_hex_decode(out, outlen, &got, in, inlen);
}

void
bn_b64url_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
bn_b64url_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
    size_t inlen)
{
	size_t i, o = 0, n = inlen, pad = 0, need;
	uint32_t acc = 0;
	int v, bits = 0, r = BN_ERR_ENCODING;

	*outlen = 0;
	/* Padding, if any, must complete the last quantum exactly. */
	while (n > 0 && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad > 0 && (inlen % 4 != 0 || (n + pad) % 4 != 0 ||
	    (n % 4) + pad != 4))
		return BN_ERR_ENCODING;
	if (n % 4 == 1)
		return BN_ERR_ENCODING;
	need = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (need > outcap)
		return BN_ERR_TOO_LARGE;
	for (i = 0; i < n; i++) {
		if ((v = b64val(in[i])) < 0)
			goto fail;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)		/* non-zero unused low bits */
		goto fail;
	*outlen = o;
	return BN_OK;
 fail:
	memset(out, 0, o);
	return r;
}
