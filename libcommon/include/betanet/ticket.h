/*
 * ticket: access tickets and BN-Ticket headers (WIRE.md §5).
 *
 * For: making a ticket payload (client side, byte-compatible with the
 * original library's make_ticket_cookie), parsing one, checking its MAC
 * against the site's active keys for a given time, putting a payload in a
 * carrier (cookie, query, form body) and taking it out again, and checking
 * the syntax of a BN-Ticket header.
 *
 * Not for: replay memory, rate limits or key storage (ticketd owns them;
 * key files are in keyfile.h).  Pure: no clock (the time is an argument),
 * no I/O, no allocation.  Every buffer stays owned by the caller; site
 * private keys are only read.
 *
 * Payload: 0x01 || cli_pub(32) || key_id(8) || nonce(32) || ticket(32) ||
 * pad, where the maker writes 24..64 pad bytes and the parser accepts any
 * payload of BN_TICKET_MIN_LEN..BN_TICKET_MAX_LEN bytes.
 */
#ifndef BETANET_TICKET_H
#define BETANET_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"

#define BN_TICKET_VERSION	1
#define BN_TICKET_KEY_ID_LEN	8
#define BN_TICKET_NONCE_LEN	32
#define BN_TICKET_MAC_LEN	32
#define BN_TICKET_PAD_MIN	24
#define BN_TICKET_PAD_MAX	64
/* Everything before the pad. */
#define BN_TICKET_FIXED_LEN	(1 + BN_KEY_LEN + BN_TICKET_KEY_ID_LEN + \
				 BN_TICKET_NONCE_LEN + BN_TICKET_MAC_LEN)
/* 129: what the original verifier demands (fixed part + minimum pad). */
#define BN_TICKET_MIN_LEN	(BN_TICKET_FIXED_LEN + BN_TICKET_PAD_MIN)
/* Longest payload bn_ticket_make() writes (169). */
#define BN_TICKET_MADE_MAX	(BN_TICKET_FIXED_LEN + BN_TICKET_PAD_MAX)
/*
 * Our own bound: the original library sets none, but nothing it makes is
 * longer than 169 bytes, and a bound keeps carriers and logs small.
 */
#define BN_TICKET_MAX_LEN	1024

/* Hours either side of now that a ticket is accepted for (WIRE.md §5). */
#define BN_TICKET_WINDOW_HOURS	1
/*
 * A ticket that fails inside the window but matches an hour within this
 * many hours of now is reported EXPIRED rather than BAD_MAC; see
 * bn_ticket_verify().
 */
#define BN_TICKET_EXPIRED_HOURS	24

#define BN_TICKET_COOKIE_NAME	"__Host-bn1"
#define BN_TICKET_PARAM_NAME	"bn1"

/* A parsed payload.  Pad bytes are skipped, only their count is kept. */
struct bn_ticket {
	uint8_t		version;
	uint8_t		cli_pub[BN_KEY_LEN];
	uint8_t		key_id[BN_TICKET_KEY_ID_LEN];
	uint8_t		nonce[BN_TICKET_NONCE_LEN];
	uint8_t		mac[BN_TICKET_MAC_LEN];		/* "ticket" in §5 */
	size_t		pad_len;
};

/* One active site key: its id and the X25519 private key. */
struct bn_ticket_site_key {
	uint8_t		key_id[BN_TICKET_KEY_ID_LEN];
	uint8_t		priv[BN_KEY_LEN];
};

/* Hour number of a unix time: floor(unix_seconds / 3600). */
uint64_t bn_ticket_hour(uint64_t unix_seconds);

/* salt = SHA256("betanet-ticket-v1" || key_id || u64(hour)). */
int	bn_ticket_salt(uint8_t salt[BN_HASH_LEN],
	    const uint8_t key_id[BN_TICKET_KEY_ID_LEN], uint64_t hour);

/* ticket = HKDF(salt(key_id, hour), shared, "", 32). */
int	bn_ticket_mac(uint8_t mac[BN_TICKET_MAC_LEN],
	    const uint8_t shared[BN_KEY_LEN],
	    const uint8_t key_id[BN_TICKET_KEY_ID_LEN], uint64_t hour);

/*
 * Append a fresh payload for the site's public key and key id, valid for
 * the hour of `now`: fresh client key, random nonce, 24..64 random pad
 * bytes.  Needs BN_TICKET_MADE_MAX bytes of room in out; on failure out
 * is unchanged.
 */
int	bn_ticket_make(struct bn_buf *out, const uint8_t site_pub[BN_KEY_LEN],
	    const uint8_t key_id[BN_TICKET_KEY_ID_LEN], uint64_t now);

/*
 * The same with the client private key, nonce and pad given: for tests
 * and reproducing recorded tickets.  pad_len may be any length that fits
 * out (it need not be 24..64).
 */
int	bn_ticket_make_with(struct bn_buf *out,
	    const uint8_t site_pub[BN_KEY_LEN],
	    const uint8_t key_id[BN_TICKET_KEY_ID_LEN], uint64_t now,
	    const uint8_t cli_priv[BN_KEY_LEN],
	    const uint8_t nonce[BN_TICKET_NONCE_LEN],
	    const uint8_t *pad, size_t pad_len);

/*
 * Parse a whole payload (everything readable in `in` is the payload, so
 * there is no trailing-bytes case).  Fewer than BN_TICKET_MIN_LEN or more
 * than BN_TICKET_MAX_LEN bytes: BN_ERR_TICKET_MALFORMED; a version byte
 * other than 1: BN_ERR_TICKET_VERSION.  Consumes the payload on success;
 * leaves `in` untouched and *t cleared on failure.
 *
 * cli_pub must be a canonical X25519 u-coordinate (RFC 7748): bit 255
 * clear and u < 2^255 - 19, else BN_ERR_TICKET_MALFORMED.  X25519 masks
 * bit 255 and reduces mod p, so a non-canonical alias would carry the
 * same MAC; refusing it here means a parsed ticket's cli_pub is canonical
 * by construction, and replay memory (ticketd) may key on the exact 32
 * cli_pub bytes (with the hour).  Every key bn_ticket_make() writes is
 * canonical.
 */
int	bn_ticket_parse(struct bn_buf *in, struct bn_ticket *t);

/*
 * Check a parsed ticket against the active site keys at unix time `now`.
 * Returns BN_OK and the hour that matched in *hour (may be NULL), or:
 *   BN_ERR_TICKET_KEY      key_id is none of keys[0..nkeys);
 *   BN_ERR_TICKET_MALFORMED cli_pub is a low-order point (X25519 gives 0)
 *                          or not canonical (see bn_ticket_parse());
 *   BN_ERR_TICKET_EXPIRED  no hour in now-1..now+1 matched, but an hour
 *                          within BN_TICKET_EXPIRED_HOURS of now did (a
 *                          client clock off by hours, or an old ticket);
 *   BN_ERR_TICKET_MAC      no hour in that wider span matched either.
 * One X25519 per call.  The three window hours are all computed and
 * compared in constant time; the wider EXPIRED search runs only after a
 * refusal, whose outcome the client already knows.  Cost (x86-64,
 * OpenSSL 3, -O2): about 110 us to accept, 290 us to refuse (the 46
 * extra HKDFs); lower BN_TICKET_EXPIRED_HOURS if refusals must be cheaper.
 */
int	bn_ticket_verify(const struct bn_ticket *t,
	    const struct bn_ticket_site_key *keys, size_t nkeys, uint64_t now,
	    uint64_t *hour);

/*
 * Carriers (WIRE.md §5).  Formatters write a NUL-terminated
 * `<name>=<b64url>` (cookie; name NULL means BN_TICKET_COOKIE_NAME) or
 * `bn1=<b64url>` (query parameter, form field) into out[outcap];
 * BN_ERR_NO_SPACE if it does not fit, BN_ERR_INVALID_ARG for a cookie
 * name that is not an RFC 6265 token.
 */
enum bn_ticket_carrier {
	BN_TICKET_CARRIER_COOKIE = 0,
	BN_TICKET_CARRIER_QUERY,
	BN_TICKET_CARRIER_FORM,
};

int	bn_ticket_format(char *out, size_t outcap,
	    enum bn_ticket_carrier carrier, const char *cookie_name,
	    const uint8_t *payload, size_t len);

/*
 * Extractors: find the ticket in a Cookie header value (cookie `name`,
 * NULL for the default), a URL query component (parameter bn1; a leading
 * '?' is skipped) or an application/x-www-form-urlencoded body (field
 * bn1), and b64url-decode it into out[outcap] (at most BN_TICKET_MAX_LEN
 * bytes are ever written).  The first occurrence wins.  Query and form
 * values are percent-decoded first, so "%3D" padding works; padding is
 * optional everywhere.  Cookie pairs are split on ';' with surrounding
 * spaces ignored, and a DQUOTEd value is unquoted.
 * Returns BN_OK, BN_ERR_NOT_FOUND when the name is absent, or
 * BN_ERR_TICKET_MALFORMED for an empty, undecodable or over-long value.
 * The payload itself is not parsed: call bn_ticket_parse().
 */
int	bn_ticket_from_cookie(uint8_t *out, size_t outcap, size_t *outlen,
	    const char *hdr, size_t hdrlen, const char *name);
int	bn_ticket_from_query(uint8_t *out, size_t outcap, size_t *outlen,
	    const char *query, size_t querylen);
int	bn_ticket_from_form(uint8_t *out, size_t outcap, size_t *outlen,
	    const char *body, size_t bodylen);

/*
 * BN-Ticket header (WIRE.md §5):
 *   v=v1; tok=<b64url, no '='>[; ctx=<1..32 token chars>]
 * Parameters in that order, separated by ';' with optional spaces; tok
 * decodes to exactly 120 bytes; len(name) + 2 + len(value) <= 256.
 * OVERSIZE is checked first, then the value is read left to right and
 * the first problem found is the reason.  The reason strings are the
 * original library's names where it has one (tests/vectors/
 * ticket_vectors.json, bn_ticket_header); "malformed" and "tok_encoding"
 * are ours.
 */
#define BN_TICKET_HDR_NAME	"BN-Ticket"
#define BN_TICKET_HDR_MAX	256
#define BN_TICKET_TOK_LEN	120
#define BN_TICKET_HDR_CTX_MAX	32

enum bn_ticket_hdr_reason {
	BN_TICKET_HDR_OK = 0,		/* "ok" */
	BN_TICKET_HDR_OVERSIZE,		/* "oversize": line over 256 bytes */
	BN_TICKET_HDR_MALFORMED,	/* "malformed": bad syntax, missing
					   or unknown parameter */
	BN_TICKET_HDR_BAD_VERSION,	/* "bad_version": v is not v1 */
	BN_TICKET_HDR_PADDING,		/* "padding": '=' in tok */
	BN_TICKET_HDR_TOK_ENCODING,	/* "tok_encoding": not b64url */
	BN_TICKET_HDR_TOK_LEN,		/* "tok_len": not 120 bytes */
	BN_TICKET_HDR_CTX,		/* "ctx": a non-token character */
	BN_TICKET_HDR_CTX_LEN,		/* "ctx_len": empty or over 32 */
};

struct bn_ticket_header {
	uint8_t		tok[BN_TICKET_TOK_LEN];
	char		ctx[BN_TICKET_HDR_CTX_MAX + 1];	/* "" if absent */
};

/*
 * Check a BN-Ticket header; name NULL means BN_TICKET_HDR_NAME.  value
 * need not be NUL-terminated.  On BN_TICKET_HDR_OK, *h (may be NULL) holds
 * the decoded token and ctx; otherwise *h is cleared.
 */
enum bn_ticket_hdr_reason bn_ticket_header_check(const char *name,
	    const char *value, size_t valuelen, struct bn_ticket_header *h);
/* Fixed lower-case string for a reason; never NULL. */
const char *bn_ticket_header_reason_str(enum bn_ticket_hdr_reason r);

#endif /* BETANET_TICKET_H */
