/*
 * bar: BAR request and response messages (WIRE.md §8).
 *
 * Request  {"m": text, "u": text, "h": {name: text|bytes}, "b": bytes}
 * Response {"s": uint, "h": {name: text|bytes}, "b": bytes}
 * as deterministic CBOR (WIRE.md §7); "h" and "b" may be absent on input
 * and are always written on output (as the published vectors do).
 *
 * Decoding is zero-copy, in the manner of picohttpparser: the caller
 * lends an array of struct bn_bar_header (hdr, maxhdr) and every pointer
 * in a decoded message points into the input, which must outlive it.
 * More headers than maxhdr is BN_ERR_LIMIT.  Decoding also accepts the
 * Python gateway's text form ("GET <path>", "POST <path>\n\n<body>")
 * through bn_bar_request_parse_text().
 *
 * Policy, so that the application can answer 400/405 itself:
 *  - a method other than GET HEAD POST PUT DELETE PATCH OPTIONS (or
 *    "DEL", read as DELETE) decodes fine as BN_BAR_METHOD_UNKNOWN, with
 *    the text as sent in mtext/mlen;
 *  - a header name with an upper-case ASCII letter is BN_ERR_MALFORMED;
 *  - a missing "m"/"u"/"s", or a value of the wrong type, is an error;
 *  - unknown top-level keys are tolerated and ignored (a newer peer may
 *    add some); unknown headers are kept like any other.
 * Any non-zero return means "malformed message: 400".
 *
 * Encoding writes canonical bytes from the same structs: known methods
 * by their canonical name (so "DEL" re-encodes as "DELETE"), headers
 * sorted, a duplicate header name is BN_ERR_CBOR_DUPLICATE.
 *
 * Pure: no I/O, no globals.  Only encoding allocates (a temporary map
 * builder for the headers).
 */
#ifndef BETANET_BAR_H
#define BETANET_BAR_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/buf.h"

#define BN_BAR_MAX_HEADERS	64	/* suggested size of a header array */

enum bn_bar_method {
	BN_BAR_METHOD_UNKNOWN = 0,	/* see mtext */
	BN_BAR_GET,
	BN_BAR_HEAD,
	BN_BAR_POST,
	BN_BAR_PUT,
	BN_BAR_DELETE,
	BN_BAR_PATCH,
	BN_BAR_OPTIONS,
};

struct bn_bar_header {
	const uint8_t	*name;		/* lower-case UTF-8, not NUL-ended */
	size_t		 namelen;
	const uint8_t	*value;
	size_t		 valuelen;
	int		 value_is_bytes; /* CBOR bytes, else text */
};

struct bn_bar_request {
	enum bn_bar_method	 method;
	const uint8_t		*mtext;	/* method as sent */
	size_t			 mlen;
	const uint8_t		*url;
	size_t			 urllen;
	struct bn_bar_header	*hdr;	/* caller's array... */
	size_t			 maxhdr;	/* ...of this many entries */
	size_t			 nhdr;	/* entries in use */
	const uint8_t		*body;
	size_t			 bodylen;
};

struct bn_bar_response {
	unsigned		 status;	/* 100..599 */
	struct bn_bar_header	*hdr;
	size_t			 maxhdr;
	size_t			 nhdr;
	const uint8_t		*body;
	size_t			 bodylen;
};

/* Clear a message and lend it a header array (hdr may be NULL if max 0). */
void	bn_bar_request_init(struct bn_bar_request *req,
	    struct bn_bar_header *hdr, size_t maxhdr);
void	bn_bar_response_init(struct bn_bar_response *resp,
	    struct bn_bar_header *hdr, size_t maxhdr);

/*
 * Decode one whole message filling [p, p+len).  The header array given
 * to _init is kept; everything else is overwritten (and cleared on
 * error).
 */
int	bn_bar_request_decode(const uint8_t *p, size_t len,
	    struct bn_bar_request *req);
int	bn_bar_response_decode(const uint8_t *p, size_t len,
	    struct bn_bar_response *resp);
/*
 * The Python gateway's compat text form: "<METHOD> <path>" optionally
 * followed by "\n\n<body>".  The path is non-empty visible ASCII
 * (0x21..0x7e); the method is 1..16 letters A-Z.  No headers.
 */
int	bn_bar_request_parse_text(const uint8_t *p, size_t len,
	    struct bn_bar_request *req);

/* Append the canonical encoding to out; out is unchanged on error. */
int	bn_bar_request_encode(const struct bn_bar_request *req,
	    struct bn_buf *out);
int	bn_bar_response_encode(const struct bn_bar_response *resp,
	    struct bn_buf *out);

/* Canonical name of a method, NULL for BN_BAR_METHOD_UNKNOWN. */
const char *bn_bar_method_name(enum bn_bar_method m);
/* Method from its text ("DEL" is DELETE); UNKNOWN if none matches. */
enum bn_bar_method bn_bar_method_from(const uint8_t *p, size_t len);

/* First header with this (lower-case) name, or NULL. */
const struct bn_bar_header *bn_bar_header_find(
	    const struct bn_bar_header *hdr, size_t nhdr, const char *name);

#endif /* BETANET_BAR_H */
