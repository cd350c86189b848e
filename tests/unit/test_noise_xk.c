/*
 * Unit tests for noise_xk: every published Noise vector for
 * *_25519_ChaChaPoly_SHA256 (all 15 patterns), the XK handshakes
 * recorded from the Python library and from the native reference, and
 * the failure rules (tampering, lengths, turns, low-order keys).
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/noise_xk.h"
#include "testutil.h"

/* Transport-phase CipherState (Noise §5.1): nonce 0^32 || u64le(n). */
static void
transport_nonce(uint8_t nonce[BN_AEAD_NONCE_LEN], uint64_t n)
{
	int i;

	memset(nonce, 0, BN_AEAD_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

static const uint8_t *
opt_key(json_t *v, const char *field, uint8_t out[BN_KEY_LEN])
{
	if (json_object_get(v, field) == NULL)
		return NULL;
	tu_json_hex_n(v, field, out, BN_KEY_LEN);
	return out;
}

static int nhash;

static void
run_vector(json_t *v, size_t idx)
{
	struct bn_noise ini, res, *w, *rd;
	enum bn_noise_pattern pat;
	uint8_t is[32], irs[32], rs_[32], rrs[32], ie[32], re[32];
	uint8_t h1[32], h2[32], k1a[32], k2a[32], k1b[32], k2b[32], hh[32];
	uint8_t out[1024], pl[1024], nonce[BN_AEAD_NONCE_LEN];
	uint8_t *ipro, *rpro, *payload, *ct;
	size_t iplen, rplen, plen, ctlen, olen, i, nmsg;
	uint64_t n1 = 0, n2 = 0;
	json_t *msgs;
	const char *name = tu_json_str(v, "protocol_name");
	int oneway, from_init;

	ck_assert_msg(bn_noise_pattern_from_name(name, &pat) == 0,
	    "vector %zu: %s", idx, name);
	ck_assert_str_eq(bn_noise_protocol_name(pat), name);
	oneway = pat == BN_NOISE_N || pat == BN_NOISE_K || pat == BN_NOISE_X;
	ipro = tu_json_hex(v, "init_prologue", &iplen);
	rpro = tu_json_hex(v, "resp_prologue", &rplen);
	ck_assert_int_eq(bn_noise_init(&ini, pat, BN_NOISE_INITIATOR, ipro,
	    iplen, opt_key(v, "init_static", is),
	    opt_key(v, "init_remote_static", irs)), 0);
	ck_assert_int_eq(bn_noise_init(&res, pat, BN_NOISE_RESPONDER, rpro,
	    rplen, opt_key(v, "resp_static", rs_),
	    opt_key(v, "resp_remote_static", rrs)), 0);
	tu_json_hex_n(v, "init_ephemeral", ie, 32);
	ck_assert_int_eq(bn_noise_set_ephemeral(&ini, ie), 0);
	ck_assert_int_eq(bn_noise_set_ephemeral(&ini, ie), BN_ERR_STATE);
	/* One-way responders have no ephemeral; some files omit it. */
	if (opt_key(v, "resp_ephemeral", re) != NULL)
		ck_assert_int_eq(bn_noise_set_ephemeral(&res, re), 0);

	msgs = tu_json_at(v, "messages");
	for (i = 0; i < json_array_size(msgs); i++) {
		json_t *m = json_array_get(msgs, i);

		payload = tu_json_hex(m, "payload", &plen);
		ct = tu_json_hex(m, "ciphertext", &ctlen);
		from_init = oneway || i % 2 == 0;
		if (!bn_noise_done(&ini) || !bn_noise_done(&res)) {
			/* Handshake message. */
			w = from_init ? &ini : &res;
			rd = from_init ? &res : &ini;
			ck_assert(bn_noise_writing(w));
			ck_assert(!bn_noise_writing(rd));
			ck_assert_int_eq(bn_noise_write(w, payload, plen, out,
			    sizeof(out), &olen), 0);
			ck_assert_msg(olen == ctlen &&
			    memcmp(out, ct, ctlen) == 0,
			    "%s msg %zu differs", name, i);
			ck_assert_int_eq(bn_noise_read(rd, out, olen, pl,
			    sizeof(pl), &olen), 0);
			ck_assert_uint_eq(olen, plen);
			ck_assert(plen == 0 || memcmp(pl, payload, plen) == 0);
			if (bn_noise_done(&ini)) {
				ck_assert(bn_noise_done(&res));
				ck_assert_int_eq(bn_noise_split(&ini, h1, k1a,
				    k2a), 0);
				ck_assert_int_eq(bn_noise_split(&res, h2, k1b,
				    k2b), 0);
				/* snow.txt vectors carry no hash. */
				if (opt_key(v, "handshake_hash", hh) != NULL) {
					ck_assert_int_eq(memcmp(h1, hh, 32),
					    0);
					nhash++;
				}
				ck_assert_int_eq(memcmp(h1, h2, 32), 0);
				ck_assert_int_eq(memcmp(k1a, k1b, 32), 0);
				ck_assert_int_eq(memcmp(k2a, k2b, 32), 0);
			}
		} else {
			/* Transport message: CipherState k1 or k2. */
			if (from_init)
				transport_nonce(nonce, n1++);
			else
				transport_nonce(nonce, n2++);
			ck_assert_int_eq(bn_aead_seal_key(from_init ? k1a :
			    k2a, nonce, NULL, 0, payload, plen, out), 0);
			ck_assert_uint_eq(plen + 16, ctlen);
			ck_assert_msg(memcmp(out, ct, ctlen) == 0,
			    "%s transport msg %zu differs", name, i);
			ck_assert_int_eq(bn_aead_open_key(from_init ? k1b :
			    k2b, nonce, NULL, 0, ct, ctlen, pl), 0);
			ck_assert(plen == 0 || memcmp(pl, payload, plen) == 0);
		}
		free(payload);
		free(ct);
	}
	ck_assert(bn_noise_done(&ini) && bn_noise_done(&res));
	nmsg = json_array_size(msgs);
	ck_assert_uint_gt(nmsg, 0);
	free(ipro);
	free(rpro);
	bn_noise_wipe(&ini);
	bn_noise_wipe(&res);
}

START_TEST(test_published_vectors)
{
	json_t *root = tu_json_load("noise_25519_chachapoly_sha256.json");
	json_t *vs = tu_json_at(root, "vectors");
	size_t i;

	ck_assert_uint_eq(json_array_size(vs), 30);
	nhash = 0;
	for (i = 0; i < json_array_size(vs); i++)
		run_vector(json_array_get(vs, i), i);
	ck_assert_int_eq(nhash, 15);	/* the cacophony half */
	json_decref(root);
}
END_TEST

/* Keys and messages of one XK run, from either vector file. */
struct xk_case {
	uint8_t	c_s[32], c_e[32], s_s[32], s_e[32], s_pub[32], c_pub[32];
	uint8_t	*msg[3];
	size_t	 len[3];
	uint8_t	 h[32];
};

static void
run_xk(struct xk_case *c, uint8_t k1[32], uint8_t k2[32])
{
	struct bn_noise ini, res;
	uint8_t out[128], pl[8], h[32], kb1[32], kb2[32], rs[32];
	static const size_t want[3] = { 48, 48, 64 };
	size_t olen, plen;
	int i;

	ck_assert_int_eq(bn_noise_xk_init(&ini, BN_NOISE_INITIATOR, c->c_s,
	    c->s_pub), 0);
	ck_assert_int_eq(bn_noise_xk_init(&res, BN_NOISE_RESPONDER, c->s_s,
	    NULL), 0);
	ck_assert_int_eq(bn_noise_set_ephemeral(&ini, c->c_e), 0);
	ck_assert_int_eq(bn_noise_set_ephemeral(&res, c->s_e), 0);
	ck_assert_int_eq(bn_noise_remote_static(&res, rs), BN_ERR_STATE);
	for (i = 0; i < 3; i++) {
		struct bn_noise *w = i == 1 ? &res : &ini;
		struct bn_noise *r = i == 1 ? &ini : &res;

		ck_assert_int_eq(bn_noise_split(w, h, kb1, kb2), BN_ERR_STATE);
		ck_assert_int_eq(bn_noise_write(w, NULL, 0, out, sizeof(out),
		    &olen), 0);
		ck_assert_uint_eq(olen, want[i]);
		ck_assert_uint_eq(olen, c->len[i]);
		ck_assert_int_eq(memcmp(out, c->msg[i], olen), 0);
		ck_assert_int_eq(bn_noise_read(r, c->msg[i], c->len[i], pl,
		    sizeof(pl), &plen), 0);
		ck_assert_uint_eq(plen, 0);
	}
	ck_assert_int_eq(bn_noise_split(&ini, h, k1, k2), 0);
	ck_assert_int_eq(memcmp(h, c->h, 32), 0);
	ck_assert_int_eq(bn_noise_split(&res, h, kb1, kb2), 0);
	ck_assert_int_eq(memcmp(h, c->h, 32), 0);
	ck_assert_int_eq(memcmp(k1, kb1, 32), 0);
	ck_assert_int_eq(memcmp(k2, kb2, 32), 0);
	ck_assert_int_eq(bn_noise_remote_static(&res, rs), 0);
	ck_assert_int_eq(memcmp(rs, c->c_pub, 32), 0);
	ck_assert_int_eq(bn_noise_remote_static(&ini, rs), 0);
	ck_assert_int_eq(memcmp(rs, c->s_pub, 32), 0);
	/* Nothing more to write or read once done. */
	ck_assert(!bn_noise_writing(&ini) && !bn_noise_writing(&res));
	bn_noise_wipe(&ini);
	bn_noise_wipe(&res);
}

static void
free_case(struct xk_case *c)
{
	int i;

	for (i = 0; i < 3; i++)
		free(c->msg[i]);
}

START_TEST(test_wire_transcript_xk)
{
	json_t *j = tu_json_load("wire_transcripts.json");
	struct xk_case c;
	uint8_t k1[32], k2[32], k0[64], want[64], pub[32];
	const char *sec[] = { "tcp12", "tcp11" };
	char path[64];
	int i, s;

	for (s = 0; s < 2; s++) {
		tu_json_hex_n(j, "keys.client_static_priv", c.c_s, 32);
		tu_json_hex_n(j, "keys.client_ephemeral_priv", c.c_e, 32);
		tu_json_hex_n(j, "keys.server_static_priv", c.s_s, 32);
		tu_json_hex_n(j, "keys.server_ephemeral_priv", c.s_e, 32);
		tu_json_hex_n(j, "public_keys.server_static_pub", c.s_pub, 32);
		tu_json_hex_n(j, "public_keys.client_static_pub", c.c_pub, 32);
		ck_assert_int_eq(bn_x25519_public(pub, c.s_s), 0);
		ck_assert_int_eq(memcmp(pub, c.s_pub, 32), 0);
		for (i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s.handshake.msg%d",
			    sec[s], i + 1);
			c.msg[i] = tu_json_hex(j, path, &c.len[i]);
		}
		snprintf(path, sizeof(path), "%s.handshake.handshake_hash",
		    sec[s]);
		tu_json_hex_n(j, path, c.h, 32);
		run_xk(&c, k1, k2);
		/* Compat K0 (WIRE.md §1, §3). */
		ck_assert_int_eq(bn_hkdf(k0, 64, NULL, 0, c.h, 32,
		    "htx inner v1", 12), 0);
		snprintf(path, sizeof(path), "%s.k0", sec[s]);
		tu_json_hex_n(j, path, want, 64);
		ck_assert_int_eq(memcmp(k0, want, 64), 0);
		free_case(&c);
	}
	json_decref(j);
}
END_TEST

START_TEST(test_native_vector_xk)
{
	json_t *j = tu_json_load("native_vectors.json");
	struct xk_case c;
	uint8_t k1[32], k2[32], want[32], k0[64], wk0[64];
	char path[64];
	int i;

	tu_json_hex_n(j, "keys.client_static_priv", c.c_s, 32);
	tu_json_hex_n(j, "keys.client_ephemeral_priv", c.c_e, 32);
	tu_json_hex_n(j, "keys.server_static_priv", c.s_s, 32);
	tu_json_hex_n(j, "keys.server_ephemeral_priv", c.s_e, 32);
	tu_json_hex_n(j, "keys.server_static_pub", c.s_pub, 32);
	tu_json_hex_n(j, "keys.client_static_pub", c.c_pub, 32);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "handshake.msg%d.message", i + 1);
		c.msg[i] = tu_json_hex(j, path, &c.len[i]);
	}
	tu_json_hex_n(j, "handshake.h", c.h, 32);
	run_xk(&c, k1, k2);
	tu_json_hex_n(j, "handshake.k1", want, 32);
	ck_assert_int_eq(memcmp(k1, want, 32), 0);
	tu_json_hex_n(j, "handshake.k2", want, 32);
	ck_assert_int_eq(memcmp(k2, want, 32), 0);
	ck_assert_int_eq(bn_hkdf(k0, 64, NULL, 0, c.h, 32, "htx inner v1",
	    12), 0);
	tu_json_hex_n(j, "compat.k0", wk0, 64);
	ck_assert_int_eq(memcmp(k0, wk0, 64), 0);
	free_case(&c);
	json_decref(j);
}
END_TEST

/* A fresh XK pair with random static keys. */
static void
xk_pair(struct bn_noise *ini, struct bn_noise *res)
{
	uint8_t cs[32], cp[32], ss[32], sp[32];

	ck_assert_int_eq(bn_x25519_keygen(cs, cp), 0);
	ck_assert_int_eq(bn_x25519_keygen(ss, sp), 0);
	ck_assert_int_eq(bn_noise_xk_init(ini, BN_NOISE_INITIATOR, cs, sp), 0);
	ck_assert_int_eq(bn_noise_xk_init(res, BN_NOISE_RESPONDER, ss, NULL),
	    0);
}

static void
assert_failed(struct bn_noise *x)
{
	uint8_t b[128], h[32], k1[32], k2[32];
	size_t n;

	ck_assert(!bn_noise_done(x));
	ck_assert(!bn_noise_writing(x));
	ck_assert_int_eq(bn_noise_write(x, NULL, 0, b, sizeof(b), &n),
	    BN_ERR_HANDSHAKE);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(bn_noise_read(x, b, 48, b, sizeof(b), &n),
	    BN_ERR_HANDSHAKE);
	ck_assert_int_eq(bn_noise_split(x, h, k1, k2), BN_ERR_HANDSHAKE);
	ck_assert_int_eq(bn_noise_remote_static(x, k1), BN_ERR_HANDSHAKE);
	ck_assert_int_eq(bn_noise_set_ephemeral(x, k1), BN_ERR_HANDSHAKE);
}

/* Random keys, payloads on every message, both sides agree. */
START_TEST(test_xk_random_roundtrip)
{
	struct bn_noise ini, res;
	uint8_t m[256], pl[64], h1[32], h2[32], a1[32], a2[32], b1[32], b2[32];
	size_t n, pn;

	xk_pair(&ini, &res);
	ck_assert_int_eq(bn_noise_write(&ini, (const uint8_t *)"one", 3, m,
	    sizeof(m), &n), 0);
	ck_assert_uint_eq(n, BN_NOISE_XK_MSG1_LEN + 3);
	ck_assert_int_eq(bn_noise_read(&res, m, n, pl, sizeof(pl), &pn), 0);
	ck_assert_uint_eq(pn, 3);
	ck_assert_int_eq(memcmp(pl, "one", 3), 0);
	ck_assert_int_eq(bn_noise_write(&res, (const uint8_t *)"two!", 4, m,
	    sizeof(m), &n), 0);
	ck_assert_uint_eq(n, BN_NOISE_XK_MSG2_LEN + 4);
	ck_assert_int_eq(bn_noise_read(&ini, m, n, pl, sizeof(pl), &pn), 0);
	ck_assert_int_eq(memcmp(pl, "two!", 4), 0);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n), 0);
	ck_assert_uint_eq(n, BN_NOISE_XK_MSG3_LEN);
	ck_assert_int_eq(bn_noise_read(&res, m, n, NULL, 0, &pn), 0);
	ck_assert(bn_noise_done(&ini) && bn_noise_done(&res));
	ck_assert_int_eq(bn_noise_split(&ini, h1, a1, a2), 0);
	ck_assert_int_eq(bn_noise_split(&res, h2, b1, b2), 0);
	ck_assert_int_eq(memcmp(h1, h2, 32), 0);
	ck_assert_int_eq(memcmp(a1, b1, 32), 0);
	ck_assert_int_eq(memcmp(a2, b2, 32), 0);
	ck_assert_int_ne(memcmp(a1, a2, 32), 0);
	/* Writing after done is out of turn. */
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n),
	    BN_ERR_HANDSHAKE);
	assert_failed(&ini);
	bn_noise_wipe(&res);
}
END_TEST

/* Flip each byte of msg2 and of msg3 in turn: every flip is fatal. */
START_TEST(test_xk_tamper)
{
	struct bn_noise ini, res, i2, r2;
	uint8_t m1[64], m2[64], m3[64], t[64], pl[8];
	size_t n1, n2, n3, pn, k;

	xk_pair(&ini, &res);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m1, sizeof(m1), &n1),
	    0);
	ck_assert_int_eq(bn_noise_read(&res, m1, n1, pl, sizeof(pl), &pn), 0);
	ck_assert_int_eq(bn_noise_write(&res, NULL, 0, m2, sizeof(m2), &n2),
	    0);
	for (k = 0; k < n2; k++) {
		i2 = ini;
		memcpy(t, m2, n2);
		t[k] ^= 0x01;
		ck_assert_int_eq(bn_noise_read(&i2, t, n2, pl, sizeof(pl),
		    &pn), BN_ERR_HANDSHAKE);
		assert_failed(&i2);
	}
	ck_assert_int_eq(bn_noise_read(&ini, m2, n2, pl, sizeof(pl), &pn), 0);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m3, sizeof(m3), &n3),
	    0);
	for (k = 0; k < n3; k++) {
		r2 = res;
		memcpy(t, m3, n3);
		t[k] ^= 0x80;
		ck_assert_int_eq(bn_noise_read(&r2, t, n3, pl, sizeof(pl),
		    &pn), BN_ERR_HANDSHAKE);
		assert_failed(&r2);
	}
	ck_assert_int_eq(bn_noise_read(&res, m3, n3, pl, sizeof(pl), &pn), 0);
	ck_assert(bn_noise_done(&res));
	bn_noise_wipe(&ini);
	bn_noise_wipe(&res);
}
END_TEST

/* Every length other than the right one fails, short or long. */
START_TEST(test_xk_lengths)
{
	struct bn_noise ini, res, r2;
	uint8_t m1[128], pl[128];
	size_t n1, pn, len;

	xk_pair(&ini, &res);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m1, sizeof(m1), &n1),
	    0);
	memset(m1 + n1, 0xaa, sizeof(m1) - n1);
	for (len = 0; len <= n1 + 20; len++) {
		if (len == n1)
			continue;
		r2 = res;
		ck_assert_int_eq(bn_noise_read(&r2, m1, len, pl, sizeof(pl),
		    &pn), BN_ERR_HANDSHAKE);
		assert_failed(&r2);
	}
	bn_noise_wipe(&ini);
	/* A payload that does not fit the caller's buffer. */
	xk_pair(&ini, &res);
	ck_assert_int_eq(bn_noise_write(&ini, (const uint8_t *)"12345", 5,
	    m1, sizeof(m1), &n1), 0);
	r2 = res;
	ck_assert_int_eq(bn_noise_read(&r2, m1, n1, pl, 4, &pn),
	    BN_ERR_HANDSHAKE);
	assert_failed(&r2);
	ck_assert_int_eq(bn_noise_read(&res, m1, n1, pl, 5, &pn), 0);
	ck_assert_uint_eq(pn, 5);
	bn_noise_wipe(&ini);
	bn_noise_wipe(&res);
	/* Output buffer one byte short. */
	xk_pair(&ini, &res);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m1, 47, &n1),
	    BN_ERR_HANDSHAKE);
	assert_failed(&ini);
	bn_noise_wipe(&res);
}
END_TEST

START_TEST(test_xk_out_of_turn)
{
	struct bn_noise ini, res;
	uint8_t m[128], pl[8];
	size_t n, pn;

	xk_pair(&ini, &res);
	ck_assert(bn_noise_writing(&ini));
	ck_assert(!bn_noise_writing(&res));
	/* The responder speaks first: refused, and it is dead. */
	ck_assert_int_eq(bn_noise_write(&res, NULL, 0, m, sizeof(m), &n),
	    BN_ERR_HANDSHAKE);
	assert_failed(&res);
	/* The initiator reads first. */
	memset(m, 0x11, sizeof(m));
	ck_assert_int_eq(bn_noise_read(&ini, m, 48, pl, sizeof(pl), &pn),
	    BN_ERR_HANDSHAKE);
	assert_failed(&ini);
	/* Two writes in a row. */
	xk_pair(&ini, &res);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n), 0);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n),
	    BN_ERR_HANDSHAKE);
	assert_failed(&ini);
	bn_noise_wipe(&res);
}
END_TEST

/* A low-order ephemeral (u = 0, u = 1) gives an all-zero DH: refused. */
START_TEST(test_xk_low_order)
{
	struct bn_noise ini, res;
	uint8_t m[64], pl[8];
	size_t n, pn;
	int u;

	for (u = 0; u < 2; u++) {
		xk_pair(&ini, &res);
		ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m),
		    &n), 0);
		memset(m, 0, 32);
		m[0] = (uint8_t)u;
		ck_assert_int_eq(bn_noise_read(&res, m, n, pl, sizeof(pl),
		    &pn), BN_ERR_HANDSHAKE);
		assert_failed(&res);
		bn_noise_wipe(&ini);
	}
}
END_TEST

START_TEST(test_init_args)
{
	struct bn_noise x;
	uint8_t k[32] = { 1 };
	enum bn_noise_pattern pat;

	/* XK initiator must know the responder's key; responder must not. */
	ck_assert_int_eq(bn_noise_xk_init(&x, BN_NOISE_INITIATOR, k, NULL),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_noise_xk_init(&x, BN_NOISE_INITIATOR, NULL, k),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_noise_xk_init(&x, BN_NOISE_RESPONDER, k, k),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_noise_xk_init(&x, BN_NOISE_RESPONDER, NULL, NULL),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_noise_init(&x, BN_NOISE_NN, BN_NOISE_INITIATOR,
	    NULL, 0, k, NULL), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_noise_init(&x, (enum bn_noise_pattern)99,
	    BN_NOISE_INITIATOR, NULL, 0, NULL, NULL), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_noise_init(&x, BN_NOISE_NN, BN_NOISE_INITIATOR,
	    NULL, 3, NULL, NULL), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_noise_xk_init(&x, BN_NOISE_RESPONDER, k, NULL), 0);
	ck_assert_int_eq(bn_noise_set_ephemeral(&x, k), 0);
	ck_assert_int_eq(bn_noise_set_ephemeral(&x, k), BN_ERR_STATE);
	bn_noise_wipe(&x);
	/* Names. */
	ck_assert_int_eq(bn_noise_pattern_from_name(
	    "Noise_XK_25519_ChaChaPoly_SHA256", &pat), 0);
	ck_assert_int_eq(pat, BN_NOISE_XK);
	ck_assert_int_eq(bn_noise_pattern_from_name(
	    "Noise_XK_25519_AESGCM_SHA256", &pat), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_noise_pattern_from_name(
	    "Noise_XKpsk3_25519_ChaChaPoly_SHA256", &pat), BN_ERR_INVALID_ARG);
	ck_assert_ptr_null(bn_noise_protocol_name((enum bn_noise_pattern)15));
}
END_TEST

/* The _pub variants: same bytes as computing s_pub; a wrong s_pub fails. */
START_TEST(test_init_pub)
{
	json_t *j = tu_json_load("native_vectors.json");
	struct bn_noise ini, res;
	uint8_t cs[32], cp[32], ce[32], ss[32], sp[32], se[32], m[128];
	uint8_t want[64], h[32], k1[32], k2[32], bad[32];
	size_t n, pn;

	tu_json_hex_n(j, "keys.client_static_priv", cs, 32);
	tu_json_hex_n(j, "keys.client_static_pub", cp, 32);
	tu_json_hex_n(j, "keys.client_ephemeral_priv", ce, 32);
	tu_json_hex_n(j, "keys.server_static_priv", ss, 32);
	tu_json_hex_n(j, "keys.server_static_pub", sp, 32);
	tu_json_hex_n(j, "keys.server_ephemeral_priv", se, 32);
	ck_assert_int_eq(bn_noise_xk_init_pub(&ini, BN_NOISE_INITIATOR, cs,
	    cp, sp), 0);
	ck_assert_int_eq(bn_noise_init_pub(&res, BN_NOISE_XK,
	    BN_NOISE_RESPONDER, NULL, 0, ss, sp, NULL), 0);
	ck_assert_int_eq(bn_noise_set_ephemeral(&ini, ce), 0);
	ck_assert_int_eq(bn_noise_set_ephemeral(&res, se), 0);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n), 0);
	ck_assert_int_eq(bn_noise_read(&res, m, n, NULL, 0, &pn), 0);
	ck_assert_int_eq(bn_noise_write(&res, NULL, 0, m, sizeof(m), &n), 0);
	ck_assert_int_eq(bn_noise_read(&ini, m, n, NULL, 0, &pn), 0);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n), 0);
	tu_json_hex_n(j, "handshake.msg3.message", want, 64);
	ck_assert_int_eq(memcmp(m, want, 64), 0);
	ck_assert_int_eq(bn_noise_read(&res, m, n, NULL, 0, &pn), 0);
	ck_assert_int_eq(bn_noise_split(&res, h, k1, k2), 0);
	tu_json_hex_n(j, "handshake.h", want, 32);
	ck_assert_int_eq(memcmp(h, want, 32), 0);
	bn_noise_wipe(&ini);
	bn_noise_wipe(&res);

	/* A client that lies about its public key is refused at msg3. */
	memcpy(bad, cp, 32);
	bad[5] ^= 1;
	ck_assert_int_eq(bn_noise_xk_init_pub(&ini, BN_NOISE_INITIATOR, cs,
	    bad, sp), 0);
	ck_assert_int_eq(bn_noise_xk_init_pub(&res, BN_NOISE_RESPONDER, ss,
	    sp, NULL), 0);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n), 0);
	ck_assert_int_eq(bn_noise_read(&res, m, n, NULL, 0, &pn), 0);
	ck_assert_int_eq(bn_noise_write(&res, NULL, 0, m, sizeof(m), &n), 0);
	ck_assert_int_eq(bn_noise_read(&ini, m, n, NULL, 0, &pn), 0);
	ck_assert_int_eq(bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n), 0);
	ck_assert_int_eq(bn_noise_read(&res, m, n, NULL, 0, &pn),
	    BN_ERR_HANDSHAKE);
	assert_failed(&res);
	bn_noise_wipe(&ini);

	/* s_priv and s_pub come together; a failed init stays failed. */
	ck_assert_int_eq(bn_noise_xk_init_pub(&ini, BN_NOISE_INITIATOR, cs,
	    NULL, sp), BN_ERR_INVALID_ARG);
	assert_failed(&ini);
	ck_assert_int_eq(bn_noise_init_pub(&ini, BN_NOISE_NN,
	    BN_NOISE_INITIATOR, NULL, 0, NULL, cp, NULL), BN_ERR_INVALID_ARG);
	assert_failed(&ini);
	json_decref(j);
}
END_TEST

static Suite *
noise_suite(void)
{
	Suite *s = suite_create("noise_xk");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_published_vectors);
	tcase_add_test(tc, test_wire_transcript_xk);
	tcase_add_test(tc, test_native_vector_xk);
	tcase_add_test(tc, test_xk_random_roundtrip);
	tcase_add_test(tc, test_xk_tamper);
	tcase_add_test(tc, test_xk_lengths);
	tcase_add_test(tc, test_xk_out_of_turn);
	tcase_add_test(tc, test_xk_low_order);
	tcase_add_test(tc, test_init_args);
	tcase_add_test(tc, test_init_pub);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(noise_suite());
}
