/*
 * noise_xk: Noise (revision 34) HandshakeState, SymmetricState and
 * CipherState for Noise_*_25519_ChaChaPoly_SHA256 (see noise_xk.h).
 *
 * Each pattern is a row of a table: which static keys are pre-messages
 * and the tokens of each message.  bn_noise_write()/bn_noise_read() walk
 * the tokens of the next message one by one, as the specification's
 * WriteMessage/ReadMessage do.  Sizes are checked before any state
 * changes, so a wrong length fails cleanly; any failure after that wipes
 * the machine, which then answers BN_ERR_HANDSHAKE forever.
 *
 * HKDF here is the Noise one (section 4.3), written with HMAC-SHA256 as
 * the specification does: temp = HMAC(ck, ikm), out1 = HMAC(temp, 0x01),
 * out2 = HMAC(temp, out1 || 0x02).  That is RFC 5869 with salt = ck and
 * empty info, but it also takes the zero-length ikm of Split().
 */
#include <string.h>

#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/noise_xk.h"

#define HAVE_S		0x01	/* s_priv / s_pub */
#define HAVE_E		0x02	/* e_key / e_pub (fixed or generated) */
#define HAVE_RS		0x04
#define HAVE_RE		0x08

static const uint8_t x25519_base[BN_KEY_LEN] = { 9 };	/* RFC 7748 */

enum token {
	T_END = 0, T_E, T_S, T_EE, T_ES, T_SE, T_SS,
};

#define MAX_MSGS	3
#define MAX_TOKENS	6

struct pattern {
	const char	*name;		/* full protocol name */
	uint8_t		 init_s;	/* initiator has a static key */
	uint8_t		 resp_s;	/* responder has a static key */
	uint8_t		 pre_init_s;	/* -> s ... (initiator's s is known) */
	uint8_t		 pre_resp_s;	/* <- s ... (responder's s is known) */
	uint8_t		 nmsgs;
	uint8_t		 tok[MAX_MSGS][MAX_TOKENS];
};

/* Noise specification §7.4 (interactive) and §7.3 (one-way). */
static const struct pattern patterns[] = {
	[BN_NOISE_NN] = { "Noise_NN_25519_ChaChaPoly_SHA256", 0, 0, 0, 0, 2, {
		{ T_E },
		{ T_E, T_EE } } },
	[BN_NOISE_KN] = { "Noise_KN_25519_ChaChaPoly_SHA256", 1, 0, 1, 0, 2, {
		{ T_E },
		{ T_E, T_EE, T_SE } } },
	[BN_NOISE_NK] = { "Noise_NK_25519_ChaChaPoly_SHA256", 0, 1, 0, 1, 2, {
		{ T_E, T_ES },
		{ T_E, T_EE } } },
	[BN_NOISE_KK] = { "Noise_KK_25519_ChaChaPoly_SHA256", 1, 1, 1, 1, 2, {
		{ T_E, T_ES, T_SS },
		{ T_E, T_EE, T_SE } } },
	[BN_NOISE_NX] = { "Noise_NX_25519_ChaChaPoly_SHA256", 0, 1, 0, 0, 2, {
		{ T_E },
		{ T_E, T_EE, T_S, T_ES } } },
	[BN_NOISE_KX] = { "Noise_KX_25519_ChaChaPoly_SHA256", 1, 1, 1, 0, 2, {
		{ T_E },
		{ T_E, T_EE, T_SE, T_S, T_ES } } },
	[BN_NOISE_XN] = { "Noise_XN_25519_ChaChaPoly_SHA256", 1, 0, 0, 0, 3, {
		{ T_E },
		{ T_E, T_EE },
		{ T_S, T_SE } } },
	[BN_NOISE_IN] = { "Noise_IN_25519_ChaChaPoly_SHA256", 1, 0, 0, 0, 2, {
		{ T_E, T_S },
		{ T_E, T_EE, T_SE } } },
	[BN_NOISE_XK] = { "Noise_XK_25519_ChaChaPoly_SHA256", 1, 1, 0, 1, 3, {
		{ T_E, T_ES },
		{ T_E, T_EE },
		{ T_S, T_SE } } },
	[BN_NOISE_IK] = { "Noise_IK_25519_ChaChaPoly_SHA256", 1, 1, 0, 1, 2, {
		{ T_E, T_ES, T_S, T_SS },
		{ T_E, T_EE, T_SE } } },
	[BN_NOISE_XX] = { "Noise_XX_25519_ChaChaPoly_SHA256", 1, 1, 0, 0, 3, {
		{ T_E },
		{ T_E, T_EE, T_S, T_ES },
		{ T_S, T_SE } } },
	[BN_NOISE_IX] = { "Noise_IX_25519_ChaChaPoly_SHA256", 1, 1, 0, 0, 2, {
		{ T_E, T_S },
		{ T_E, T_EE, T_SE, T_S, T_ES } } },
	[BN_NOISE_N] = { "Noise_N_25519_ChaChaPoly_SHA256", 0, 1, 0, 1, 1, {
		{ T_E, T_ES } } },
	[BN_NOISE_K] = { "Noise_K_25519_ChaChaPoly_SHA256", 1, 1, 1, 1, 1, {
		{ T_E, T_ES, T_SS } } },
	[BN_NOISE_X] = { "Noise_X_25519_ChaChaPoly_SHA256", 1, 1, 0, 1, 1, {
		{ T_E, T_ES, T_S, T_SS } } },
};

#define NPATTERNS	(sizeof(patterns) / sizeof(patterns[0]))

static const struct pattern *
pattern_of(const struct bn_noise *x)
{
	return &patterns[x->pattern];
}

const char *
bn_noise_protocol_name(enum bn_noise_pattern p)
{
	if ((unsigned)p >= NPATTERNS)
		return NULL;
	return patterns[p].name;
}

int
bn_noise_pattern_from_name(const char *name, enum bn_noise_pattern *p)
{
	size_t i;

	for (i = 0; i < NPATTERNS; i++) {
		if (strcmp(name, patterns[i].name) == 0) {
			*p = (enum bn_noise_pattern)i;
			return BN_OK;
		}
	}
	return BN_ERR_INVALID_ARG;
}

/* ---- SymmetricState and CipherState (Noise §5.1, §5.2) ---- */

/* Noise ChaChaPoly nonce: 32 zero bits then the 64-bit n, little-endian. */
static void
noise_nonce(uint8_t nonce[BN_AEAD_NONCE_LEN], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

static int
mix_hash(struct bn_noise *x, const uint8_t *d, size_t len)
{
	struct bn_iov v[2] = { { x->h, BN_HASH_LEN }, { d, len } };

	return bn_sha256v(x->h, v, 2);
}

/* Noise HKDF(ck, ikm) with two outputs (Noise §4.3). */
static int
noise_hkdf2(const uint8_t ck[BN_HASH_LEN], const uint8_t *ikm, size_t ikmlen,
    uint8_t out1[BN_HASH_LEN], uint8_t out2[BN_HASH_LEN])
{
	uint8_t temp[BN_HASH_LEN], in[BN_HASH_LEN + 1];
	int r;

	if ((r = bn_hmac_sha256(temp, ck, BN_HASH_LEN, ikm, ikmlen)) != 0)
		goto out;
	in[0] = 0x01;
	if ((r = bn_hmac_sha256(out1, temp, sizeof(temp), in, 1)) != 0)
		goto out;
	memcpy(in, out1, BN_HASH_LEN);
	in[BN_HASH_LEN] = 0x02;
	r = bn_hmac_sha256(out2, temp, sizeof(temp), in, sizeof(in));
 out:
	bn_cleanse(temp, sizeof(temp));
	bn_cleanse(in, sizeof(in));
	return r;
}

static int
mix_key(struct bn_noise *x, const uint8_t ikm[BN_KEY_LEN])
{
	uint8_t ck[BN_HASH_LEN], k[BN_HASH_LEN];
	int r;

	if ((r = noise_hkdf2(x->ck, ikm, BN_KEY_LEN, ck, k)) != 0)
		goto out;
	memcpy(x->ck, ck, sizeof(ck));
	memcpy(x->k, k, sizeof(k));	/* HASHLEN 32: no truncation */
	x->has_k = 1;
	x->n = 0;
 out:
	bn_cleanse(ck, sizeof(ck));
	bn_cleanse(k, sizeof(k));
	return r;
}

/* out gets len (+16 with a key) bytes; pt and out must not overlap. */
static int
encrypt_and_hash(struct bn_noise *x, const uint8_t *pt, size_t len,
    uint8_t *out)
{
	uint8_t nonce[BN_AEAD_NONCE_LEN];
	int r;

	if (!x->has_k) {
		if (len > 0)
			memcpy(out, pt, len);
		return mix_hash(x, out, len);
	}
	if (x->n == UINT64_MAX)
		return BN_ERR_NONCE_EXHAUSTED;
	noise_nonce(nonce, x->n);
	if ((r = bn_aead_seal_key(x->k, nonce, x->h, BN_HASH_LEN, pt, len,
	    out)) != 0)
		return r;
	x->n++;
	return mix_hash(x, out, len + BN_AEAD_TAG_LEN);
}

/* ct is len bytes (incl. the tag when keyed); out gets the plaintext. */
static int
decrypt_and_hash(struct bn_noise *x, const uint8_t *ct, size_t len,
    uint8_t *out)
{
	uint8_t nonce[BN_AEAD_NONCE_LEN], h[BN_HASH_LEN];
	int r;

	if (!x->has_k) {
		if (len > 0)
			memcpy(out, ct, len);
		return mix_hash(x, ct, len);
	}
	if (x->n == UINT64_MAX)
		return BN_ERR_NONCE_EXHAUSTED;
	/* The hash takes the ciphertext, which out may overwrite. */
	memcpy(h, x->h, sizeof(h));
	if ((r = mix_hash(x, ct, len)) != 0)
		return r;
	noise_nonce(nonce, x->n);
	if ((r = bn_aead_open_key(x->k, nonce, h, sizeof(h), ct, len,
	    out)) != 0)
		return r;
	x->n++;
	return BN_OK;
}

/* ---- HandshakeState (Noise §5.3) ---- */

/*
 * Release the prepared ephemeral key if this struct made it; a copy (see
 * noise_xk.h) only forgets it.
 */
static void
drop_ephemeral(struct bn_noise *x)
{
	if (x->e_key != NULL && x->e_owner == x)
		bn_x25519_key_free(x->e_key);
	x->e_key = NULL;
	x->e_owner = NULL;
}

/* Wipe every secret; keep only what is needed to say "failed". */
static int
fail(struct bn_noise *x)
{
	enum bn_noise_pattern p = x->pattern;
	enum bn_noise_role role = x->role;

	drop_ephemeral(x);
	bn_cleanse(x, sizeof(*x));
	x->pattern = p;
	x->role = role;
	x->failed = 1;
	return BN_ERR_HANDSHAKE;
}

void
bn_noise_wipe(struct bn_noise *x)
{
	drop_ephemeral(x);
	bn_cleanse(x, sizeof(*x));
}

int
bn_noise_init(struct bn_noise *x, enum bn_noise_pattern pattern,
    enum bn_noise_role role, const uint8_t *prologue, size_t plen,
    const uint8_t *s_priv, const uint8_t *rs)
{
	uint8_t s_pub[BN_KEY_LEN];
	int r;

	if (s_priv != NULL && (r = bn_x25519_public(s_pub, s_priv)) != 0) {
		bn_cleanse(x, sizeof(*x));
		x->failed = 1;
		return r;
	}
	r = bn_noise_init_pub(x, pattern, role, prologue, plen, s_priv,
	    s_priv != NULL ? s_pub : NULL, rs);
	bn_cleanse(s_pub, sizeof(s_pub));
	return r;
}

int
bn_noise_init_pub(struct bn_noise *x, enum bn_noise_pattern pattern,
    enum bn_noise_role role, const uint8_t *prologue, size_t plen,
    const uint8_t *s_priv, const uint8_t *s_pub, const uint8_t *rs)
{
	const struct pattern *pt;
	const char *name;
	size_t nlen;
	int init = role == BN_NOISE_INITIATOR, r;

	bn_cleanse(x, sizeof(*x));
	x->failed = 1;		/* until initialised */
	if ((unsigned)pattern >= NPATTERNS ||
	    (role != BN_NOISE_INITIATOR && role != BN_NOISE_RESPONDER) ||
	    (prologue == NULL && plen > 0) ||
	    (s_priv == NULL) != (s_pub == NULL))
		return BN_ERR_INVALID_ARG;
	pt = &patterns[pattern];
	/* Our static key exactly when the pattern gives us one. */
	if ((init ? pt->init_s : pt->resp_s) != (s_priv != NULL))
		return BN_ERR_INVALID_ARG;
	/* The peer's static key exactly when it is a pre-message. */
	if ((init ? pt->pre_resp_s : pt->pre_init_s) != (rs != NULL))
		return BN_ERR_INVALID_ARG;
	x->failed = 0;
	x->pattern = pattern;
	x->role = role;
	if (s_priv != NULL) {
		memcpy(x->s_priv, s_priv, BN_KEY_LEN);
		memcpy(x->s_pub, s_pub, BN_KEY_LEN);
		x->have |= HAVE_S;
	}
	if (rs != NULL) {
		memcpy(x->rs, rs, BN_KEY_LEN);
		x->have |= HAVE_RS;
	}

	/* InitializeSymmetric(protocol_name) */
	name = pt->name;
	nlen = strlen(name);
	if (nlen <= BN_HASH_LEN)
		memcpy(x->h, name, nlen);	/* rest stays zero: padding */
	else if ((r = bn_sha256(x->h, name, nlen)) != 0)
		goto out;
	memcpy(x->ck, x->h, BN_HASH_LEN);

	if ((r = mix_hash(x, prologue, plen)) != 0)
		goto out;
	/* Pre-messages: the initiator's first, then the responder's. */
	if (pt->pre_init_s &&
	    (r = mix_hash(x, init ? x->s_pub : x->rs, BN_KEY_LEN)) != 0)
		goto out;
	if (pt->pre_resp_s &&
	    (r = mix_hash(x, init ? x->rs : x->s_pub, BN_KEY_LEN)) != 0)
		goto out;
	r = BN_OK;
 out:
	if (r != BN_OK) {
		bn_cleanse(x, sizeof(*x));
		x->failed = 1;
	}
	return r;
}

int
bn_noise_xk_init(struct bn_noise *x, enum bn_noise_role role,
    const uint8_t s_priv[BN_KEY_LEN], const uint8_t *rs)
{
	return bn_noise_init(x, BN_NOISE_XK, role, NULL, 0, s_priv, rs);
}

int
bn_noise_xk_init_pub(struct bn_noise *x, enum bn_noise_role role,
    const uint8_t s_priv[BN_KEY_LEN], const uint8_t s_pub[BN_KEY_LEN],
    const uint8_t *rs)
{
	return bn_noise_init_pub(x, BN_NOISE_XK, role, NULL, 0, s_priv, s_pub,
	    rs);
}

int
bn_noise_set_ephemeral(struct bn_noise *x, const uint8_t e_priv[BN_KEY_LEN])
{
	int r;

	if (x->failed)
		return BN_ERR_HANDSHAKE;
	if (x->msg_index != 0 || (x->have & HAVE_E))
		return BN_ERR_STATE;
	if ((x->e_key = bn_x25519_key_new(e_priv)) == NULL)
		return BN_ERR_ALLOC;
	x->e_owner = x;
	/* X25519(e, 9): the same bytes as bn_x25519_public(). */
	if ((r = bn_x25519_key_derive(x->e_key, x25519_base,
	    x->e_pub)) != BN_OK) {
		drop_ephemeral(x);
		return r;
	}
	x->have |= HAVE_E;
	return BN_OK;
}

int
bn_noise_done(const struct bn_noise *x)
{
	return !x->failed && x->msg_index >= pattern_of(x)->nmsgs;
}

int
bn_noise_writing(const struct bn_noise *x)
{
	if (x->failed || bn_noise_done(x))
		return 0;
	return (x->msg_index % 2 == 0) == (x->role == BN_NOISE_INITIATOR);
}

/*
 * Size of the next message without its payload, and whether the payload
 * will be encrypted: walks the tokens as the real pass will.
 */
static size_t
msg_overhead(const struct bn_noise *x, int *keyed)
{
	const uint8_t *t = pattern_of(x)->tok[x->msg_index];
	size_t len = 0;
	int k = x->has_k, i;

	for (i = 0; i < MAX_TOKENS && t[i] != T_END; i++) {
		if (t[i] == T_E)
			len += BN_KEY_LEN;
		else if (t[i] == T_S)
			len += BN_KEY_LEN + (k ? BN_AEAD_TAG_LEN : 0);
		else
			k = 1;
	}
	*keyed = k;
	return len + (k ? BN_AEAD_TAG_LEN : 0);
}

/* es, se, ee, ss: which of our keys meets which of theirs. */
static int
token_dh(struct bn_noise *x, enum token t)
{
	uint8_t dh[BN_KEY_LEN];
	const uint8_t *mine, *theirs;
	unsigned need;
	int init = x->role == BN_NOISE_INITIATOR, r;

	/* mine == NULL: our ephemeral, through x->e_key. */
	switch (t) {
	case T_EE:
		mine = NULL, theirs = x->re, need = HAVE_E | HAVE_RE;
		break;
	case T_SS:
		mine = x->s_priv, theirs = x->rs, need = HAVE_S | HAVE_RS;
		break;
	case T_ES:	/* initiator's e, responder's s */
		if (init)
			mine = NULL, theirs = x->rs,
			    need = HAVE_E | HAVE_RS;
		else
			mine = x->s_priv, theirs = x->re,
			    need = HAVE_S | HAVE_RE;
		break;
	case T_SE:	/* initiator's s, responder's e */
		if (init)
			mine = x->s_priv, theirs = x->re,
			    need = HAVE_S | HAVE_RE;
		else
			mine = NULL, theirs = x->rs,
			    need = HAVE_E | HAVE_RS;
		break;
	default:
		return BN_ERR_INTERNAL;
	}
	if ((x->have & need) != need)
		return BN_ERR_INTERNAL;	/* the table guarantees this */
	if (mine == NULL && x->e_key == NULL)
		return BN_ERR_INTERNAL;
	r = mine != NULL ? bn_x25519(dh, mine, theirs) :
	    bn_x25519_key_derive(x->e_key, theirs, dh);
	if (r != BN_OK)
		goto out;
	r = mix_key(x, dh);
 out:
	bn_cleanse(dh, sizeof(dh));
	return r;
}

int
bn_noise_write(struct bn_noise *x, const uint8_t *payload, size_t plen,
    uint8_t *out, size_t outcap, size_t *outlen)
{
	const uint8_t *t;
	size_t len, off = 0;
	int keyed, i, r;

	*outlen = 0;
	if (x->failed)
		return BN_ERR_HANDSHAKE;
	if (!bn_noise_writing(x) || (payload == NULL && plen > 0))
		return fail(x);
	len = msg_overhead(x, &keyed);
	if (plen > BN_NOISE_MAX_MSG - len || outcap < len + plen)
		return fail(x);

	t = pattern_of(x)->tok[x->msg_index];
	for (i = 0; i < MAX_TOKENS && t[i] != T_END; i++) {
		switch (t[i]) {
		case T_E:	/* e */
			if (!(x->have & HAVE_E)) {
				if ((x->e_key = bn_x25519_key_generate(
				    x->e_pub)) == NULL) {
					r = BN_ERR_CRYPTO;
					goto out;
				}
				x->e_owner = x;
				x->have |= HAVE_E;
			}
			memcpy(out + off, x->e_pub, BN_KEY_LEN);
			if ((r = mix_hash(x, x->e_pub, BN_KEY_LEN)) != 0)
				goto out;
			off += BN_KEY_LEN;
			break;
		case T_S:	/* s */
			if ((r = encrypt_and_hash(x, x->s_pub, BN_KEY_LEN,
			    out + off)) != 0)
				goto out;
			off += BN_KEY_LEN + (x->has_k ? BN_AEAD_TAG_LEN : 0);
			break;
		default:	/* ee, es, se, ss */
			if ((r = token_dh(x, t[i])) != 0)
				goto out;
			break;
		}
	}
	/* payload */
	if ((r = encrypt_and_hash(x, payload, plen, out + off)) != 0)
		goto out;
	off += plen + (x->has_k ? BN_AEAD_TAG_LEN : 0);
	if (off != len + plen) {
		r = BN_ERR_INTERNAL;
		goto out;
	}
	x->msg_index++;
	if (bn_noise_done(x))
		drop_ephemeral(x);
	*outlen = off;
	r = BN_OK;
 out:
	if (r != BN_OK) {
		bn_cleanse(out, outcap < len + plen ? outcap : len + plen);
		return fail(x);
	}
	return BN_OK;
}

int
bn_noise_read(struct bn_noise *x, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t cap, size_t *plen)
{
	uint8_t rs[BN_KEY_LEN];
	const uint8_t *t;
	size_t need, pl = 0, off = 0, slen;
	int keyed, i, r = BN_ERR_INTERNAL;

	*plen = 0;
	if (x->failed)
		return BN_ERR_HANDSHAKE;
	if (bn_noise_done(x) || bn_noise_writing(x))
		return fail(x);
	need = msg_overhead(x, &keyed);
	if (len < need || len > BN_NOISE_MAX_MSG || msg == NULL)
		return fail(x);
	pl = len - need;
	if (pl > cap || (payload == NULL && pl > 0))
		return fail(x);

	t = pattern_of(x)->tok[x->msg_index];
	for (i = 0; i < MAX_TOKENS && t[i] != T_END; i++) {
		switch (t[i]) {
		case T_E:	/* e */
			memcpy(x->re, msg + off, BN_KEY_LEN);
			x->have |= HAVE_RE;
			if ((r = mix_hash(x, x->re, BN_KEY_LEN)) != 0)
				goto out;
			off += BN_KEY_LEN;
			break;
		case T_S:	/* s */
			slen = BN_KEY_LEN + (x->has_k ? BN_AEAD_TAG_LEN : 0);
			if ((r = decrypt_and_hash(x, msg + off, slen,
			    rs)) != 0)
				goto out;
			memcpy(x->rs, rs, BN_KEY_LEN);
			x->have |= HAVE_RS;
			off += slen;
			break;
		default:	/* ee, es, se, ss */
			if ((r = token_dh(x, t[i])) != 0)
				goto out;
			break;
		}
	}
	/* payload */
	if ((r = decrypt_and_hash(x, msg + off, len - off, payload)) != 0)
		goto out;
	x->msg_index++;
	if (bn_noise_done(x))
		drop_ephemeral(x);
	*plen = pl;
	r = BN_OK;
 out:
	bn_cleanse(rs, sizeof(rs));
	if (r != BN_OK) {
		if (pl > 0)
			bn_cleanse(payload, pl);
		return fail(x);
	}
	return BN_OK;
}

int
bn_noise_split(const struct bn_noise *x, uint8_t h[BN_HASH_LEN],
    uint8_t k1[BN_KEY_LEN], uint8_t k2[BN_KEY_LEN])
{
	int r;

	if (x->failed)
		return BN_ERR_HANDSHAKE;
	if (!bn_noise_done(x))
		return BN_ERR_STATE;
	/* Split(): HKDF(ck, zero-length input, 2) */
	if ((r = noise_hkdf2(x->ck, (const uint8_t *)"", 0, k1, k2)) != 0) {
		bn_cleanse(k1, BN_KEY_LEN);
		bn_cleanse(k2, BN_KEY_LEN);
		return r;
	}
	memcpy(h, x->h, BN_HASH_LEN);
	return BN_OK;
}

int
bn_noise_remote_static(const struct bn_noise *x, uint8_t rs[BN_KEY_LEN])
{
	if (x->failed)
		return BN_ERR_HANDSHAKE;
	if (!(x->have & HAVE_RS))
		return BN_ERR_STATE;
	memcpy(rs, x->rs, BN_KEY_LEN);
	return BN_OK;
}
