/*
 * err: the one error space of the suite.
 *
 * Every fallible function returns BN_OK (0) or one negative enum bn_err
 * code; bn_strerror() maps each code to a fixed string.  errno never
 * leaves the function that saw it: the call site logs errno= and returns
 * BN_ERR_SYSTEM.  Add codes at the end of their group, never renumber.
 */
#ifndef BETANET_ERR_H
#define BETANET_ERR_H

enum bn_err {
	BN_OK = 0,

	/* generic */
	BN_ERR_INTERNAL = -1,		/* our own invariant broke */
	BN_ERR_ALLOC = -2,		/* out of memory */
	BN_ERR_SYSTEM = -3,		/* a syscall failed; errno logged */
	BN_ERR_INVALID_ARG = -4,	/* caller passed nonsense */
	BN_ERR_STATE = -5,		/* call not valid in this state */
	BN_ERR_LIMIT = -6,		/* a configured bound was reached */
	BN_ERR_CRYPTO = -7,		/* an OpenSSL call failed */
	BN_ERR_TIMEOUT = -8,		/* a deadline passed */

	/* parsing untrusted bytes */
	BN_ERR_INCOMPLETE = -20,	/* need more bytes: wait */
	BN_ERR_NO_SPACE = -21,		/* write past max_size */
	BN_ERR_TRAILING = -22,		/* bytes left after a whole item */
	BN_ERR_MALFORMED = -23,		/* syntax error: close */
	BN_ERR_TOO_LARGE = -24,		/* declared length over a limit */
	BN_ERR_ENCODING = -25,		/* bad b64url / hex / UTF-8 */

	/* deterministic CBOR, WIRE.md §7 */
	BN_ERR_CBOR_NONCANONICAL = -40,	/* not shortest form */
	BN_ERR_CBOR_INDEFINITE = -41,
	BN_ERR_CBOR_UNSORTED = -42,	/* map keys out of order */
	BN_ERR_CBOR_DUPLICATE = -43,	/* duplicate map key */
	BN_ERR_CBOR_UNSUPPORTED = -44,	/* float, tag, other simple */
	BN_ERR_CBOR_DEPTH = -45,	/* nesting over 16 */
	BN_ERR_CBOR_TYPE = -46,		/* item of an unexpected type */

	/* crypto and handshake */
	BN_ERR_AUTH = -60,		/* AEAD tag did not verify */
	BN_ERR_DH_ZERO = -61,		/* X25519 gave the all-zero point */
	BN_ERR_HANDSHAKE = -62,		/* Noise message out of order/size */
	BN_ERR_NONCE_EXHAUSTED = -63,	/* counter would wrap: rekey */

	/* HTX session, WIRE.md §2-4 */
	BN_ERR_FRAME_LEN = -80,		/* Len out of range */
	BN_ERR_PROTOCOL = -81,		/* peer broke a session rule */
	BN_ERR_FLOW_CONTROL = -82,	/* peer overran a window */
	BN_ERR_CLOSED = -83,		/* session or stream closed */
	BN_ERR_COMPAT_REFUSED = -84,	/* peer lacks native, compat off */
	BN_ERR_BLOCKED = -85,		/* no send credit now: retry later */

	/* tickets and vouchers, WIRE.md §5-6 */
	BN_ERR_TICKET_MALFORMED = -100,
	BN_ERR_TICKET_VERSION = -101,
	BN_ERR_TICKET_KEY = -102,	/* unknown key_id */
	BN_ERR_TICKET_EXPIRED = -103,	/* no hour in window matched... */
	BN_ERR_TICKET_MAC = -104,	/* ...see bn_ticket_verify() */
	BN_ERR_VOUCHER_MALFORMED = -105,

	/* files and configuration */
	BN_ERR_CONFIG = -120,		/* details in the config error */
	BN_ERR_KEY_PERM = -121,		/* key file readable by others */
	BN_ERR_KEY_FORMAT = -122,	/* key file content malformed */
	BN_ERR_NOT_FOUND = -123,	/* file or item absent */
};

/* Fixed string for a code; never NULL, never allocates. */
const char *bn_strerror(int err);

#endif /* BETANET_ERR_H */
