/*
 * err: fixed strings for enum bn_err (see err.h).
 */
#include "betanet/err.h"

const char *
bn_strerror(int err)
{
	switch (err) {
	case BN_OK:			return "success";
	case BN_ERR_INTERNAL:		return "internal error";
	case BN_ERR_ALLOC:		return "out of memory";
	case BN_ERR_SYSTEM:		return "system call failed";
	case BN_ERR_INVALID_ARG:	return "invalid argument";
	case BN_ERR_STATE:		return "invalid in this state";
	case BN_ERR_LIMIT:		return "limit reached";
	case BN_ERR_CRYPTO:		return "crypto library failure";
	case BN_ERR_TIMEOUT:		return "timed out";
	case BN_ERR_INCOMPLETE:		return "incomplete input";
	case BN_ERR_NO_SPACE:		return "no space in buffer";
	case BN_ERR_TRAILING:		return "trailing bytes";
	case BN_ERR_MALFORMED:		return "malformed input";
	case BN_ERR_TOO_LARGE:		return "length over limit";
	case BN_ERR_ENCODING:		return "bad encoding";
	case BN_ERR_CBOR_NONCANONICAL:	return "cbor: not shortest form";
	case BN_ERR_CBOR_INDEFINITE:	return "cbor: indefinite length";
	case BN_ERR_CBOR_UNSORTED:	return "cbor: map keys not sorted";
	case BN_ERR_CBOR_DUPLICATE:	return "cbor: duplicate map key";
	case BN_ERR_CBOR_UNSUPPORTED:	return "cbor: unsupported item";
	case BN_ERR_CBOR_DEPTH:		return "cbor: nesting too deep";
	case BN_ERR_CBOR_TYPE:		return "cbor: unexpected item type";
	case BN_ERR_AUTH:		return "authentication failed";
	case BN_ERR_DH_ZERO:		return "x25519: all-zero shared secret";
	case BN_ERR_HANDSHAKE:		return "handshake failed";
	case BN_ERR_NONCE_EXHAUSTED:	return "nonce counter exhausted";
	case BN_ERR_FRAME_LEN:		return "frame length out of range";
	case BN_ERR_PROTOCOL:		return "protocol violation";
	case BN_ERR_FLOW_CONTROL:	return "flow control violation";
	case BN_ERR_CLOSED:		return "closed";
	case BN_ERR_COMPAT_REFUSED:	return "peer lacks native profile";
	case BN_ERR_BLOCKED:		return "blocked by flow control";
	case BN_ERR_TICKET_MALFORMED:	return "ticket: malformed";
	case BN_ERR_TICKET_VERSION:	return "ticket: bad version";
	case BN_ERR_TICKET_KEY:		return "ticket: unknown key id";
	case BN_ERR_TICKET_EXPIRED:	return "ticket: expired";
	case BN_ERR_TICKET_MAC:		return "ticket: bad mac";
	case BN_ERR_VOUCHER_MALFORMED:	return "voucher: malformed";
	case BN_ERR_CONFIG:		return "configuration error";
	case BN_ERR_KEY_PERM:		return "key file readable by others";
	case BN_ERR_KEY_FORMAT:		return "key file malformed";
	case BN_ERR_NOT_FOUND:		return "not found";
	}
	return "unknown error";
}
