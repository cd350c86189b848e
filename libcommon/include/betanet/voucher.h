/*
 * voucher: the 128-byte L6 voucher and its header spellings (WIRE.md §6).
 *
 * For: taking a voucher out of a header value (b64url, padded or not, or
 * 256 hex digits) or raw bytes, and writing it back out.
 * Not for: keyset lookup, rate limits or the spent-secret store (ticketd
 * owns them).  Pure: no I/O, no clock, no allocation.  A struct
 * bn_voucher holds a spendable secret: callers wipe it with
 * bn_voucher_clear() when done.
 */
#ifndef BETANET_VOUCHER_H
#define BETANET_VOUCHER_H

#include <stddef.h>
#include <stdint.h>

#define BN_VOUCHER_KEYSET_LEN	32
#define BN_VOUCHER_SECRET_LEN	32
#define BN_VOUCHER_AGGSIG_LEN	64
#define BN_VOUCHER_LEN		(BN_VOUCHER_KEYSET_LEN + \
				 BN_VOUCHER_SECRET_LEN + BN_VOUCHER_AGGSIG_LEN)
#define BN_VOUCHER_HEADER	"BN-Voucher"

/* Room for either spelling, NUL included (257). */
#define BN_VOUCHER_TEXT_MAX	(BN_VOUCHER_LEN * 2 + 1)

struct bn_voucher {
	uint8_t		keyset_id[BN_VOUCHER_KEYSET_LEN];
	uint8_t		secret[BN_VOUCHER_SECRET_LEN];
	uint8_t		aggsig[BN_VOUCHER_AGGSIG_LEN];
};

enum bn_voucher_encoding {
	BN_VOUCHER_B64URL = 0,		/* 171 characters, no padding */
	BN_VOUCHER_HEX,			/* 256 lower-case hex digits */
};

/* Exactly BN_VOUCHER_LEN raw bytes, else BN_ERR_VOUCHER_MALFORMED. */
int	bn_voucher_parse(struct bn_voucher *v, const uint8_t *p, size_t len);

/*
 * A header value (need not be NUL-terminated; spaces and tabs around it
 * are ignored): 256 hex digits, or b64url with or without '=' padding.
 * Anything else, or a length other than 128 bytes, is
 * BN_ERR_VOUCHER_MALFORMED.  *v is cleared on failure.
 */
int	bn_voucher_parse_header(struct bn_voucher *v, const char *value,
	    size_t len);

/* The 128 wire bytes. */
void	bn_voucher_encode(uint8_t out[BN_VOUCHER_LEN],
	    const struct bn_voucher *v);

/* NUL-terminated text; BN_ERR_NO_SPACE if outcap is too small. */
int	bn_voucher_format(char *out, size_t outcap, const struct bn_voucher *v,
	    enum bn_voucher_encoding enc);

/* Wipe a voucher (it holds a spendable secret). */
void	bn_voucher_clear(struct bn_voucher *v);

#endif /* BETANET_VOUCHER_H */
