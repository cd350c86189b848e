/*
 * noise_xk: Noise handshakes (revision 34) over 25519/ChaChaPoly/SHA256,
 * as a pure state machine; XK is the one the suite speaks (WIRE.md §1).
 *
 * The machine is table-driven by message patterns, so the other
 * interactive and one-way patterns of the Noise specification (NN, KN,
 * NK, KK, NX, KX, XN, IN, XK, IK, XX, IX, N, K, X) run through the same
 * code and are checked against the published vectors; only XK is used on
 * the wire.  Tokens are processed one by one as the spec names them
 * (e, s, ee, es, se, ss), like WireGuard's noise.c.
 *
 * No I/O, no clock: a handshake lives in a caller-owned struct bn_noise
 * (embed it), and bn_noise_wipe() clears every secret.  The one
 * allocation is our ephemeral key, kept ready inside libcrypto (struct
 * bn_x25519_key) for the two DHs it takes part in; it is released when
 * the handshake completes or fails and by bn_noise_wipe(), so wipe a
 * handshake you abandon before it ends.  Only the struct where the key
 * was made releases it: a copy made by assignment (to try a message on
 * a scratch state) may run while the original lives, and forgets the
 * key when it fails.
 * Any failure (bad tag, wrong length, out-of-turn call) puts the machine
 * in a failed state from which every call returns BN_ERR_HANDSHAKE.
 */
#ifndef BETANET_NOISE_XK_H
#define BETANET_NOISE_XK_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/crypto.h"

enum bn_noise_role {
	BN_NOISE_INITIATOR,
	BN_NOISE_RESPONDER,
};

enum bn_noise_pattern {
	BN_NOISE_NN, BN_NOISE_KN, BN_NOISE_NK, BN_NOISE_KK, BN_NOISE_NX,
	BN_NOISE_KX, BN_NOISE_XN, BN_NOISE_IN, BN_NOISE_XK, BN_NOISE_IK,
	BN_NOISE_XX, BN_NOISE_IX, BN_NOISE_N, BN_NOISE_K, BN_NOISE_X,
};

/* XK sizes with empty payloads (WIRE.md §1). */
#define BN_NOISE_XK_MSG1_LEN	48
#define BN_NOISE_XK_MSG2_LEN	48
#define BN_NOISE_XK_MSG3_LEN	64
#define BN_NOISE_MAX_MSG	65535

struct bn_noise {
	enum bn_noise_pattern pattern;
	enum bn_noise_role role;
	int		 msg_index;	/* next message of the pattern */
	int		 failed;
	int		 has_k;
	uint64_t	 n;		/* CipherState nonce */
	bn_key32	 k, ck;
	uint8_t		 h[BN_HASH_LEN];
	bn_key32	 s_priv, s_pub;	/* local static (if any) */
	bn_key32	 e_priv, e_pub;	/* local ephemeral (e_priv unused) */
	bn_key32	 rs, re;	/* remote static / ephemeral */
	unsigned	 have;		/* BN_NOISE_HAVE_* bits (private) */
	struct bn_x25519_key *e_key;	/* ephemeral, prepared (private) */
	const struct bn_noise *e_owner;	/* where e_key was made (private) */
};

/* Name of a pattern's protocol, e.g. "Noise_XK_25519_ChaChaPoly_SHA256". */
const char *bn_noise_protocol_name(enum bn_noise_pattern p);
/* Parse such a name; BN_ERR_INVALID_ARG for anything unsupported. */
int	bn_noise_pattern_from_name(const char *name, enum bn_noise_pattern *p);

/*
 * Start a handshake.  s_priv: our static key (NULL if the pattern has
 * none for this role); rs: the peer's static public key when the pattern
 * pre-shares it (XK initiator: the responder's key), else NULL.  The
 * prologue may be empty.
 */
int	bn_noise_init(struct bn_noise *x, enum bn_noise_pattern pattern,
	    enum bn_noise_role role, const uint8_t *prologue, size_t plen,
	    const uint8_t *s_priv, const uint8_t *rs);
/* Shorthand for XK with an empty prologue. */
int	bn_noise_xk_init(struct bn_noise *x, enum bn_noise_role role,
	    const uint8_t s_priv[BN_KEY_LEN], const uint8_t *rs);
/*
 * The same with our static public key supplied (a daemon computes it once
 * at startup): saves one X25519 per handshake, a tenth of its cost.
 * s_pub must belong to s_priv (NULL exactly when s_priv is NULL); a
 * wrong one is not detected here but makes the peer fail the handshake.
 */
int	bn_noise_init_pub(struct bn_noise *x, enum bn_noise_pattern pattern,
	    enum bn_noise_role role, const uint8_t *prologue, size_t plen,
	    const uint8_t *s_priv, const uint8_t *s_pub, const uint8_t *rs);
int	bn_noise_xk_init_pub(struct bn_noise *x, enum bn_noise_role role,
	    const uint8_t s_priv[BN_KEY_LEN], const uint8_t s_pub[BN_KEY_LEN],
	    const uint8_t *rs);
/* Use a fixed ephemeral key (tests and vectors); else one is generated. */
int	bn_noise_set_ephemeral(struct bn_noise *x,
	    const uint8_t e_priv[BN_KEY_LEN]);

/*
 * Write our next handshake message (with payload) into out[0..outcap);
 * *outlen gets its size.  Read the peer's next message and put its
 * payload in payload[0..cap).  Payload and message must not overlap.
 * Every failure, a too-small out or payload buffer included, is
 * BN_ERR_HANDSHAKE and final.
 */
int	bn_noise_write(struct bn_noise *x, const uint8_t *payload,
	    size_t plen, uint8_t *out, size_t outcap, size_t *outlen);
int	bn_noise_read(struct bn_noise *x, const uint8_t *msg, size_t len,
	    uint8_t *payload, size_t cap, size_t *plen);

/* 1 when every message of the pattern has been processed. */
int	bn_noise_done(const struct bn_noise *x);
/* Our turn to write (1) or to read (0). */
int	bn_noise_writing(const struct bn_noise *x);

/*
 * After the handshake: the final handshake hash h and Noise Split()
 * (k1 initiator->responder, k2 responder->initiator).  Copies out; the
 * caller wipes them.  The peer's static key (XK responder: the
 * initiator's key, learnt from msg3) via bn_noise_remote_static().
 */
int	bn_noise_split(const struct bn_noise *x, uint8_t h[BN_HASH_LEN],
	    uint8_t k1[BN_KEY_LEN], uint8_t k2[BN_KEY_LEN]);
int	bn_noise_remote_static(const struct bn_noise *x,
	    uint8_t rs[BN_KEY_LEN]);
void	bn_noise_wipe(struct bn_noise *x);

#endif /* BETANET_NOISE_XK_H */
