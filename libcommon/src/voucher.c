/*
 * voucher: 128-byte L6 vouchers (see voucher.h, WIRE.md §6).
 */
#include <string.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/voucher.h"

int
bn_voucher_parse(struct bn_voucher *v, const uint8_t *p, size_t len)
{
	struct bn_buf b;
	int r;

	memset(v, 0, sizeof(*v));
	if (len != BN_VOUCHER_LEN) {
		r = BN_ERR_VOUCHER_MALFORMED;
		goto out;
	}
	bn_buf_view(&b, p, len);
	if ((r = bn_buf_get(&b, v->keyset_id, sizeof(v->keyset_id))) != 0 ||
	    (r = bn_buf_get(&b, v->secret, sizeof(v->secret))) != 0 ||
	    (r = bn_buf_get(&b, v->aggsig, sizeof(v->aggsig))) != 0)
		goto out;
	if (bn_buf_len(&b) != 0)
		r = BN_ERR_VOUCHER_MALFORMED;
 out:
	if (r != BN_OK) {
		bn_voucher_clear(v);
		r = BN_ERR_VOUCHER_MALFORMED;
	}
	return r;
}

int
bn_voucher_parse_header(struct bn_voucher *v, const char *value, size_t len)
{
	uint8_t raw[BN_VOUCHER_LEN];
	size_t n = 0;
	int r;

	memset(v, 0, sizeof(*v));
	while (len > 0 && (value[0] == ' ' || value[0] == '\t')) {
		value++;
		len--;
	}
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	/*
	 * 256 characters can only be hex: as b64url they would be 192
	 * bytes, so trying hex first is unambiguous.  (Hex digits are b64url
	 * characters, so a hex voucher cut to 171 or 172 characters may
	 * decode as some other b64url voucher; that one fails the keyset
	 * check like any forgery.  Refusing all-hex b64url instead would
	 * refuse real vouchers such as one of all zero bytes.)
	 */
	if (len == 2 * BN_VOUCHER_LEN &&
	    bn_hex_decode_exact(raw, sizeof(raw), value, len) == BN_OK)
		n = sizeof(raw);
	else if (bn_b64url_decode(raw, sizeof(raw), &n, value, len) != BN_OK)
		n = 0;
	r = bn_voucher_parse(v, raw, n);
	bn_cleanse(raw, sizeof(raw));
	return r;
}

void
bn_voucher_encode(uint8_t out[BN_VOUCHER_LEN], const struct bn_voucher *v)
{
	memcpy(out, v->keyset_id, sizeof(v->keyset_id));
	memcpy(out + BN_VOUCHER_KEYSET_LEN, v->secret, sizeof(v->secret));
	memcpy(out + BN_VOUCHER_KEYSET_LEN + BN_VOUCHER_SECRET_LEN,
	    v->aggsig, sizeof(v->aggsig));
}

int
bn_voucher_format(char *out, size_t outcap, const struct bn_voucher *v,
    enum bn_voucher_encoding enc)
{
	uint8_t raw[BN_VOUCHER_LEN];
	int r = BN_OK;

	if (outcap > 0)
		out[0] = '\0';
	bn_voucher_encode(raw, v);
	switch (enc) {
	case BN_VOUCHER_B64URL:
		/* 171 characters and the NUL: no '=' is written. */
		if (outcap < (sizeof(raw) * 4 + 2) / 3 + 1)
			r = BN_ERR_NO_SPACE;
		else
			bn_b64url_encode(out, raw, sizeof(raw));
		break;
	case BN_VOUCHER_HEX:
		if (outcap < bn_hex_enc_len(sizeof(raw)))
			r = BN_ERR_NO_SPACE;
		else
			bn_hex_encode(out, raw, sizeof(raw));
		break;
	default:
		r = BN_ERR_INVALID_ARG;
	}
	bn_cleanse(raw, sizeof(raw));
	return r;
}

void
bn_voucher_clear(struct bn_voucher *v)
{
	if (v != NULL)
		bn_cleanse(v, sizeof(*v));
}
