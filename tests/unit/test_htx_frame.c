/*
 * Unit tests for htx_frame: every recorded 1.2 frame (Python compat
 * session, native reference session, caps exchange) and every legacy 1.1
 * frame opens to its plaintext and re-seals to the same bytes; lengths
 * are judged from the header alone; failed opens leave the frame intact;
 * compat skipped-nonce tolerance; counters never wrap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_frame.h"
#include "testutil.h"

static void
ns_of(uint8_t ns[12], const uint8_t key[32])
{
	ck_assert_int_eq(bn_hkdf(ns, 12, NULL, 0, key, 32, "ns", 2), 0);
}

/* A buffer holding exactly these bytes (plus room for nothing else). */
static struct bn_buf *
buf_with(const uint8_t *p, size_t len)
{
	struct bn_buf *b = bn_buf_new(len + 16);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(bn_buf_put(b, p, len), 0);
	return b;
}

enum framing { F12, F11 };

static int
do_peek(enum framing fr, const struct bn_buf *b, size_t *need)
{
	return fr == F12 ? bn_htx_frame_peek(b, need) :
	    bn_htx11_frame_peek(b, need);
}

static int
do_open(enum framing fr, struct bn_htx_dir *d, struct bn_buf *b,
    unsigned skip, struct bn_htx_frame *f)
{
	return fr == F12 ? bn_htx_frame_open(d, b, skip, f) :
	    bn_htx11_frame_open(d, b, skip, f);
}

/*
 * The full check of one recorded frame: seal reproduces it, open gives
 * the plaintext, every prefix is INCOMPLETE (nothing changes), a
 * trailing byte is left alone, and a wrong counter fails intact.
 */
static void
check_frame(enum framing fr, const uint8_t key[32], const uint8_t ns[12],
    uint64_t counter, uint8_t type, uint32_t sid, uint16_t aad,
    const uint8_t *pt, size_t ptlen, const uint8_t *frame, size_t flen)
{
	struct bn_htx_dir d = { 0 };
	struct bn_htx_frame f;
	struct bn_buf *b;
	struct bn_iov iov[3];
	size_t need, k;
	int r;

	ck_assert_int_eq(bn_htx_dir_set(&d, key, ns), 0);

	/* Seal (1.2: scattered over three pieces) at the recorded counter. */
	b = bn_buf_new(70000);
	d.counter = counter;
	if (fr == F12) {
		iov[0].base = pt;
		iov[0].len = ptlen / 3;
		iov[1].base = pt + ptlen / 3;
		iov[1].len = ptlen / 3;
		iov[2].base = pt + 2 * (ptlen / 3);
		iov[2].len = ptlen - 2 * (ptlen / 3);
		ck_assert_int_eq(bn_htx_frame_seal(&d, type, sid, aad, iov, 3,
		    b), 0);
	} else
		ck_assert_int_eq(bn_htx11_frame_seal(&d, type, sid, pt, ptlen,
		    b), 0);
	ck_assert(d.counter == counter + 1);
	ck_assert_uint_eq(bn_buf_len(b), flen);
	ck_assert_msg(memcmp(bn_buf_ptr(b), frame, flen) == 0,
	    "sealed frame differs (type %u counter %llu)", type,
	    (unsigned long long)counter);
	bn_buf_free(b);

	/* Open. */
	b = buf_with(frame, flen);
	d.counter = counter;
	ck_assert_int_eq(do_peek(fr, b, &need), 0);
	ck_assert_uint_eq(need, flen);
	ck_assert_int_eq(do_open(fr, &d, b, 0, &f), 0);
	ck_assert(d.counter == counter + 1);
	ck_assert_uint_eq(f.type, type);
	ck_assert_uint_eq(f.stream_id, sid);
	ck_assert_uint_eq(f.aad, fr == F12 ? aad : 0);
	ck_assert_uint_eq(f.len, ptlen);
	ck_assert(ptlen == 0 || memcmp(f.payload, pt, ptlen) == 0);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	bn_buf_free(b);

	/* Every truncated prefix: INCOMPLETE, nothing consumed or changed. */
	for (k = 0; k < flen; k++) {
		b = buf_with(frame, k);
		d.counter = counter;
		r = do_peek(fr, b, &need);
		if (r == BN_OK)
			ck_assert_uint_eq(need, flen);
		else
			ck_assert_int_eq(r, BN_ERR_INCOMPLETE);
		ck_assert_int_eq(do_open(fr, &d, b, 8, &f), BN_ERR_INCOMPLETE);
		ck_assert_ptr_null(f.payload);
		ck_assert(d.counter == counter);
		ck_assert_uint_eq(bn_buf_len(b), k);
		ck_assert(k == 0 || memcmp(bn_buf_ptr(b), frame, k) == 0);
		bn_buf_free(b);
	}

	/* One trailing byte: the frame opens and exactly that byte stays. */
	b = buf_with(frame, flen);
	ck_assert_int_eq(bn_buf_put_u8(b, 0x5a), 0);
	d.counter = counter;
	ck_assert_int_eq(do_open(fr, &d, b, 0, &f), 0);
	ck_assert_uint_eq(f.len, ptlen);
	ck_assert_uint_eq(bn_buf_len(b), 1);
	ck_assert_uint_eq(bn_buf_ptr(b)[0], 0x5a);
	bn_buf_free(b);

	/* The next counter does not open it; the bytes survive the try. */
	b = buf_with(frame, flen);
	d.counter = counter + 1;
	ck_assert_int_eq(do_open(fr, &d, b, 3, &f), BN_ERR_AUTH);
	ck_assert(d.counter == counter + 1);
	ck_assert_uint_eq(bn_buf_len(b), flen);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), frame, flen), 0);
	/* ...and the right one still does, from the same buffer. */
	d.counter = counter;
	ck_assert_int_eq(do_open(fr, &d, b, 0, &f), 0);
	bn_buf_free(b);
	bn_htx_dir_clear(&d);
	ck_assert_ptr_null(d.aead);
}

/* One vector frame object: fields as the JSON files name them. */
static void
check_json_frame(json_t *fj, const uint8_t key[32], const uint8_t ns[12])
{
	uint8_t *pt, *frame;
	size_t ptlen, flen;
	json_t *a = json_object_get(fj, "aad16");

	pt = tu_json_hex(fj, "plaintext", &ptlen);
	frame = tu_json_hex(fj, "frame", &flen);
	ck_assert_uint_eq(flen, BN_HTX_OVERHEAD + ptlen);
	check_frame(F12, key, ns,
	    (uint64_t)json_integer_value(tu_json_at(fj, "counter")),
	    (uint8_t)json_integer_value(tu_json_at(fj, "type")),
	    (uint32_t)json_integer_value(tu_json_at(fj, "stream_id")),
	    a == NULL ? 0 : (uint16_t)json_integer_value(a),
	    pt, ptlen, frame, flen);
	free(pt);
	free(frame);
}

static int
is_dir(json_t *fj, const char *dir)
{
	return strcmp(tu_json_str(fj, "dir"), dir) == 0;
}

START_TEST(test_tcp12_frames)
{
	json_t *j = tu_json_load("wire_transcripts.json");
	json_t *frames = tu_json_at(j, "tcp12.frames"), *fj;
	uint8_t k0[64], kc[32], ks[32], kc1[32], nsc[12], nss[12], nsc1[12];
	uint8_t want[32];
	size_t i;

	/* Keys (WIRE.md §3) derived and recorded agree. */
	tu_json_hex_n(j, "tcp12.k0", k0, 64);
	tu_json_hex_n(j, "tcp12.client_key", kc, 32);
	tu_json_hex_n(j, "tcp12.server_key", ks, 32);
	ck_assert_int_eq(memcmp(k0, kc, 32), 0);
	ck_assert_int_eq(memcmp(k0 + 32, ks, 32), 0);
	tu_json_hex_n(j, "tcp12.client_nonce_salt", nsc, 12);
	tu_json_hex_n(j, "tcp12.server_nonce_salt", nss, 12);
	ns_of(want, kc);
	ck_assert_int_eq(memcmp(want, nsc, 12), 0);
	ns_of(want, ks);
	ck_assert_int_eq(memcmp(want, nss, 12), 0);
	/* KEY_UPDATE (compat): key' = HKDF(absent, key, "next", 32). */
	tu_json_hex_n(j, "tcp12.client_key_after_update", kc1, 32);
	ck_assert_int_eq(bn_hkdf(want, 32, NULL, 0, kc, 32, "next", 4), 0);
	ck_assert_int_eq(memcmp(want, kc1, 32), 0);
	ns_of(nsc1, kc1);

	ck_assert_uint_eq(json_array_size(frames), 11);
	for (i = 0; i < json_array_size(frames); i++) {
		fj = json_array_get(frames, i);
		if (is_dir(fj, "s2c"))
			check_json_frame(fj, ks, nss);
		else if (json_integer_value(tu_json_at(fj, "key_epoch")) == 0)
			check_json_frame(fj, kc, nsc);
		else
			check_json_frame(fj, kc1, nsc1);
	}
	json_decref(j);
}
END_TEST

START_TEST(test_native_frames)
{
	json_t *j = tu_json_load("native_vectors.json");
	json_t *frames = tu_json_at(j, "native_frames"), *fj;
	uint8_t kc[32], ks[32], kc1[32], nsc[12], nss[12], nsc1[12];
	uint8_t nonce[12], want[12], hdr[10];
	const uint8_t *key, *ns;
	uint8_t *frame;
	size_t i, flen;

	tu_json_hex_n(j, "native_keys.key_c", kc, 32);
	tu_json_hex_n(j, "native_keys.key_s", ks, 32);
	tu_json_hex_n(j, "native_keys.nonce_salt_c", nsc, 12);
	tu_json_hex_n(j, "native_keys.nonce_salt_s", nss, 12);
	tu_json_hex_n(j, "key_update.key_c_next", kc1, 32);
	tu_json_hex_n(j, "key_update.nonce_salt_c_next", nsc1, 12);
	ck_assert_uint_eq(json_array_size(frames), 11);
	for (i = 0; i < json_array_size(frames); i++) {
		fj = json_array_get(frames, i);
		if (is_dir(fj, "s2c")) {
			ck_assert_int_eq(json_integer_value(tu_json_at(fj,
			    "generation")), 0);
			key = ks, ns = nss;
		} else if (json_integer_value(tu_json_at(fj,
		    "generation")) == 0)
			key = kc, ns = nsc;
		else
			key = kc1, ns = nsc1;
		/* The recorded nonce and clear header. */
		bn_htx_nonce(nonce, ns, (uint64_t)json_integer_value(
		    tu_json_at(fj, "counter")));
		tu_json_hex_n(fj, "nonce", want, 12);
		ck_assert_int_eq(memcmp(nonce, want, 12), 0);
		frame = tu_json_hex(fj, "frame", &flen);
		tu_json_hex_n(fj, "header", hdr, 10);
		ck_assert_int_eq(memcmp(frame, hdr, 10), 0);
		free(frame);
		check_json_frame(fj, key, ns);
	}
	json_decref(j);
}
END_TEST

START_TEST(test_caps_exchange_frames)
{
	json_t *j = tu_json_load("native_vectors.json");
	json_t *frames = tu_json_at(j, "caps_exchange.frames"), *fj;
	uint8_t k0[64], kc[32], ks[32], nsc[12], nss[12], want[12];
	size_t i;

	tu_json_hex_n(j, "compat.k0", k0, 64);
	tu_json_hex_n(j, "compat.key_c", kc, 32);
	tu_json_hex_n(j, "compat.key_s", ks, 32);
	tu_json_hex_n(j, "compat.nonce_salt_c", nsc, 12);
	tu_json_hex_n(j, "compat.nonce_salt_s", nss, 12);
	ck_assert_int_eq(memcmp(k0, kc, 32), 0);
	ck_assert_int_eq(memcmp(k0 + 32, ks, 32), 0);
	ns_of(want, kc);
	ck_assert_int_eq(memcmp(want, nsc, 12), 0);
	ns_of(want, ks);
	ck_assert_int_eq(memcmp(want, nss, 12), 0);
	ck_assert_uint_eq(json_array_size(frames), 3);
	for (i = 0; i < json_array_size(frames); i++) {
		fj = json_array_get(frames, i);
		if (is_dir(fj, "s2c"))
			check_json_frame(fj, ks, nss);
		else
			check_json_frame(fj, kc, nsc);
	}
	json_decref(j);
}
END_TEST

/*
 * negative: Len out of range is refused from the 10-byte header alone;
 * bad_tag fails with the buffer intact; the session-level negatives are
 * well-formed frames that open (their rules belong to htx_session).
 */
START_TEST(test_native_negative)
{
	json_t *j = tu_json_load("native_vectors.json");
	json_t *neg = tu_json_at(j, "negative"), *n, *fj;
	struct bn_htx_dir d = { 0 };
	struct bn_htx_frame f;
	struct bn_buf *b;
	uint8_t kc[32], nsc[12], *frame;
	size_t i, k, flen, need;
	const char *name;
	int seen = 0;

	tu_json_hex_n(j, "native_keys.key_c", kc, 32);
	tu_json_hex_n(j, "native_keys.nonce_salt_c", nsc, 12);
	ck_assert_int_eq(bn_htx_dir_set(&d, kc, nsc), 0);
	for (i = 0; i < json_array_size(neg); i++) {
		n = json_array_get(neg, i);
		name = tu_json_str(n, "name");
		for (k = 0; k < json_array_size(tu_json_at(n, "frames")); k++) {
			fj = json_array_get(tu_json_at(n, "frames"), k);
			frame = tu_json_hex(fj, "frame", &flen);
			b = buf_with(frame, flen);
			if (strncmp(name, "len_too_", 8) == 0) {
				ck_assert_uint_eq(flen, BN_HTX_HDR_LEN);
				ck_assert_int_eq(bn_htx_frame_peek(b, &need),
				    BN_ERR_FRAME_LEN);
				ck_assert_uint_eq(need, 0);
				ck_assert_int_eq(bn_htx_frame_open(&d, b, 8,
				    &f), BN_ERR_FRAME_LEN);
				seen++;
			} else if (strcmp(name, "bad_tag") == 0) {
				d.counter = 0;
				ck_assert_int_eq(bn_htx_frame_open(&d, b, 0,
				    &f), BN_ERR_AUTH);
				ck_assert_int_eq(bn_htx_frame_open(&d, b, 8,
				    &f), BN_ERR_AUTH);
				ck_assert(d.counter == 0);
				seen++;
			} else
				check_json_frame(fj, kc, nsc);
			ck_assert_uint_eq(bn_buf_len(b), flen);
			ck_assert_int_eq(memcmp(bn_buf_ptr(b), frame, flen), 0);
			bn_buf_free(b);
			free(frame);
		}
	}
	ck_assert_int_eq(seen, 3);
	bn_htx_dir_clear(&d);
	json_decref(j);
}
END_TEST

/* Len bounds: 23 and 65532 pass, 22 and 65533 fail, from 3 bytes. */
START_TEST(test_len_bounds)
{
	static const struct { uint32_t len; int r; } c[] = {
		{ 0, BN_ERR_FRAME_LEN }, { 22, BN_ERR_FRAME_LEN },
		{ 23, BN_OK }, { 65532, BN_OK }, { 65533, BN_ERR_FRAME_LEN },
		{ 0xffffff, BN_ERR_FRAME_LEN },
	};
	uint8_t h[3];
	struct bn_buf v;
	size_t i, need;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bn_store_u24(h, c[i].len);
		bn_buf_view(&v, h, 3);
		ck_assert_int_eq(bn_htx_frame_peek(&v, &need), c[i].r);
		ck_assert_uint_eq(need, c[i].r == BN_OK ? c[i].len + 3 : 0);
	}
}
END_TEST

/* Largest payload: seals, opens; one byte more is TOO_LARGE. */
START_TEST(test_max_frame)
{
	struct bn_htx_dir tx = { 0 }, rx = { 0 };
	struct bn_htx_frame f;
	struct bn_buf *b = bn_buf_new(2 * BN_HTX_FRAME_MAX);
	static uint8_t big[BN_HTX_PAYLOAD_MAX + 1];
	struct bn_iov iov = { big, sizeof(big) };
	uint8_t key[32] = { 7 }, ns[12] = { 9 };

	memset(big, 0xc3, sizeof(big));
	ck_assert_int_eq(bn_htx_dir_set(&tx, key, ns), 0);
	ck_assert_int_eq(bn_htx_dir_set(&rx, key, ns), 0);
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 0, 3, 0, &iov, 1, b),
	    BN_ERR_TOO_LARGE);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	ck_assert(tx.counter == 0);
	iov.len--;
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 0, 3, 0, &iov, 1, b), 0);
	ck_assert_uint_eq(bn_buf_len(b), BN_HTX_FRAME_MAX);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 0, &f), 0);
	ck_assert_uint_eq(f.len, BN_HTX_PAYLOAD_MAX);
	ck_assert_int_eq(memcmp(f.payload, big, f.len), 0);
	/* Empty payload: the smallest frame. */
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 2, 0, 1, NULL, 0, b), 0);
	ck_assert_uint_eq(bn_buf_len(b), BN_HTX_LEN_MIN + 3);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 0, &f), 0);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_uint_eq(f.aad, 1);
	/* No room in out: nothing written, counter unchanged. */
	bn_buf_free(b);
	b = bn_buf_new(BN_HTX_OVERHEAD + 4);
	iov.len = 5;
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 0, 3, 0, &iov, 1, b),
	    BN_ERR_NO_SPACE);
	ck_assert(tx.counter == 2);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	bn_buf_free(b);
	bn_htx_dir_clear(&tx);
	bn_htx_dir_clear(&rx);
	bn_htx_dir_clear(&rx);	/* twice is fine */
}
END_TEST

/* Compat tolerance: up to `skip` counters ahead, continue from the match. */
START_TEST(test_skipped_nonces)
{
	struct bn_htx_dir tx = { 0 }, rx = { 0 };
	struct bn_htx_frame f;
	struct bn_buf *b = bn_buf_new(4096);
	struct bn_iov iov = { "payload", 7 };
	uint8_t key[32] = { 1, 2, 3 }, ns[12] = { 4, 5, 6 }, copy[64];
	size_t n;

	ck_assert_int_eq(bn_htx_dir_set(&tx, key, ns), 0);
	ck_assert_int_eq(bn_htx_dir_set(&rx, key, ns), 0);
	rx.counter = tx.counter = 100;
	/* Sealed at +3: skip 8 finds it and moves to +4. */
	tx.counter = 103;
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 0, 1, 0, &iov, 1, b), 0);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 0, &f), BN_ERR_AUTH);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 2, &f), BN_ERR_AUTH);
	ck_assert(rx.counter == 100);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 8, &f), 0);
	ck_assert(rx.counter == 104);
	ck_assert_int_eq(memcmp(f.payload, "payload", 7), 0);
	/* Sealed at +9 from 104: skip 8 fails, buffer intact. */
	tx.counter = 113;
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 0, 1, 0, &iov, 1, b), 0);
	n = bn_buf_len(b);
	memcpy(copy, bn_buf_ptr(b), n);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 8, &f), BN_ERR_AUTH);
	ck_assert(rx.counter == 104);
	ck_assert_uint_eq(bn_buf_len(b), n);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), copy, n), 0);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 9, &f), 0);
	ck_assert(rx.counter == 114);
	/* A tampered frame never opens, whatever the skip. */
	tx.counter = 114;
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 0, 1, 0, &iov, 1, b), 0);
	((uint8_t *)b->d)[b->off + 12] ^= 1;
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 8, &f), BN_ERR_AUTH);
	/* A tampered header (it is the associated data) neither. */
	((uint8_t *)b->d)[b->off + 12] ^= 1;
	((uint8_t *)b->d)[b->off + 9] ^= 1;
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 8, &f), BN_ERR_AUTH);
	((uint8_t *)b->d)[b->off + 9] ^= 1;
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 0, &f), 0);
	bn_buf_free(b);
	bn_htx_dir_clear(&tx);
	bn_htx_dir_clear(&rx);
}
END_TEST

/* The counter never wraps, and 2^64-1 is never used. */
START_TEST(test_counter_exhaustion)
{
	struct bn_htx_dir tx = { 0 }, rx = { 0 };
	struct bn_htx_frame f;
	struct bn_buf *b = bn_buf_new(4096);
	uint8_t key[32] = { 0 }, ns[12] = { 0 };

	ck_assert_int_eq(bn_htx_dir_set(&tx, key, ns), 0);
	ck_assert_int_eq(bn_htx_dir_set(&rx, key, ns), 0);
	tx.counter = rx.counter = UINT64_MAX - 1;
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 2, 0, 0, NULL, 0, b), 0);
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 2, 0, 0, NULL, 0, b),
	    BN_ERR_NONCE_EXHAUSTED);
	ck_assert_int_eq(bn_htx11_frame_seal(&tx, 1, 0, NULL, 0, b),
	    BN_ERR_NONCE_EXHAUSTED);
	ck_assert_uint_eq(bn_buf_len(b), BN_HTX_LEN_MIN + 3);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 8, &f), 0);
	ck_assert(rx.counter == UINT64_MAX);
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 2, 0, 0, NULL, 0, b),
	    BN_ERR_NONCE_EXHAUSTED);
	/* Receiving: nothing opens at 2^64-1. */
	tx.counter = UINT64_MAX - 2;
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 2, 0, 0, NULL, 0, b), 0);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 8, &f),
	    BN_ERR_NONCE_EXHAUSTED);
	rx.counter = UINT64_MAX - 4;	/* skip runs to the edge, no wrap */
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 8, &f), 0);
	ck_assert(rx.counter == UINT64_MAX - 1);
	bn_buf_free(b);
	bn_htx_dir_clear(&tx);
	bn_htx_dir_clear(&rx);
}
END_TEST

/* Opening needs a writable buffer; a view is refused, not written. */
START_TEST(test_view_refused)
{
	struct bn_htx_dir tx = { 0 }, rx = { 0 };
	struct bn_htx_frame f;
	struct bn_buf *b = bn_buf_new(4096), v;
	uint8_t key[32] = { 3 }, ns[12] = { 0 }, store[64];
	struct bn_buf fixed;

	ck_assert_int_eq(bn_htx_dir_set(&tx, key, ns), 0);
	ck_assert_int_eq(bn_htx_dir_set(&rx, key, ns), 0);
	ck_assert_int_eq(bn_htx_frame_seal(&tx, 2, 0, 0, NULL, 0, b), 0);
	bn_buf_view(&v, bn_buf_ptr(b), bn_buf_len(b));
	ck_assert_int_eq(bn_htx_frame_open(&rx, &v, 0, &f),
	    BN_ERR_INVALID_ARG);
	/* A fixed buffer is writable. */
	bn_buf_fixed(&fixed, store, sizeof(store));
	ck_assert_int_eq(bn_buf_put(&fixed, bn_buf_ptr(b), bn_buf_len(b)), 0);
	ck_assert_int_eq(bn_htx_frame_open(&rx, &fixed, 0, &f), 0);
	ck_assert_uint_eq(bn_buf_len(&fixed), 0);
	/* No key installed. */
	bn_htx_dir_clear(&rx);
	ck_assert_int_eq(bn_htx_frame_open(&rx, b, 0, &f), BN_ERR_STATE);
	ck_assert_int_eq(bn_htx_frame_seal(&rx, 2, 0, 0, NULL, 0, b),
	    BN_ERR_STATE);
	ck_assert_int_eq(bn_htx11_frame_seal(&rx, 2, 0, NULL, 0, b),
	    BN_ERR_STATE);
	bn_buf_free(b);
	bn_htx_dir_clear(&tx);
}
END_TEST

/* ---- legacy 1.1 ---- */

/* The hex after the last "= " on the line of legacy11_vectors.txt
 * that starts with prefix. */
static uint8_t *
legacy_hex(const char *prefix, size_t *len)
{
	char path[1024], line[4096], *eq;
	FILE *fp;
	uint8_t *out = NULL;

	tu_vector_path("legacy11_vectors.txt", path, sizeof(path));
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		ck_assert_ptr_nonnull(eq = strrchr(line, '='));
		out = tu_hex(eq + 2, len);
		break;
	}
	fclose(fp);
	if (out == NULL)
		ck_abort_msg("legacy vector line '%s' missing", prefix);
	return out;
}

static void
legacy_n(const char *prefix, uint8_t *out, size_t n)
{
	size_t len;
	uint8_t *p = legacy_hex(prefix, &len);

	ck_assert_uint_eq(len, n);
	memcpy(out, p, n);
	free(p);
}

static void
legacy_frame(const char *prefix, const uint8_t key[32], const uint8_t ns[12],
    uint64_t counter, uint8_t type, uint32_t sid, const void *pt,
    size_t ptlen)
{
	size_t flen;
	uint8_t *frame = legacy_hex(prefix, &flen);

	check_frame(F11, key, ns, counter, type, sid, 0, pt, ptlen, frame,
	    flen);
	free(frame);
}

START_TEST(test_legacy11_vectors)
{
	uint8_t k0[64], ns[12], nsc[12], nss[12], th[32], kc1[32], ks1[32];
	uint8_t want[64], h[32] = { 0 }, wu[4], nsc1[12];
	const uint8_t *kc = k0, *ks = k0 + 32;
	size_t i;

	legacy_n("K0 =", k0, 64);
	for (i = 0; i < 64; i++)
		ck_assert_uint_eq(k0[i], i);
	legacy_n("ns_c =", nsc, 12);
	legacy_n("ns_s =", nss, 12);
	ns_of(ns, kc);
	ck_assert_int_eq(memcmp(ns, nsc, 12), 0);
	ns_of(ns, ks);
	ck_assert_int_eq(memcmp(ns, nss, 12), 0);
	legacy_n("k0 from handshake hash", want, 64);
	ck_assert_int_eq(bn_hkdf(k0, 64, NULL, 0, h, 32, "htx inner v1", 12),
	    0);
	ck_assert_int_eq(memcmp(k0, want, 64), 0);
	for (i = 0; i < 64; i++)	/* back to the test K0 */
		k0[i] = (uint8_t)i;

	legacy_frame("client STREAM sid=1 'hello' ctr0", kc, nsc, 0,
	    BN_HTX11_STREAM, 1, "hello", 5);
	legacy_frame("server STREAM sid=1 'hello' ctr0", ks, nss, 0,
	    BN_HTX11_STREAM, 1, "hello", 5);
	legacy_frame("server STREAM sid=1 'hello' ctr1", ks, nss, 1,
	    BN_HTX11_STREAM, 1, "hello", 5);
	legacy_frame("client PING ctr1", kc, nsc, 1, BN_HTX11_PING, 0, NULL,
	    0);
	legacy_n("WINDOW_UPDATE plaintext varint(32767)", wu, 4);
	ck_assert_int_eq(memcmp(wu, "\x80\x00\x7f\xff", 4), 0);
	legacy_frame("client WINDOW_UPDATE sid=1 ctr2", kc, nsc, 2,
	    BN_HTX11_WINDOW_UPDATE, 1, wu, 4);
	memset(th, 0xaa, sizeof(th));
	legacy_frame("client KEY_UPDATE th=aa*32 ctr3", kc, nsc, 3,
	    BN_HTX11_KEY_UPDATE, 0, th, 32);
	/* The key chain: k' = HKDF(absent, k, th, 32), both directions. */
	ck_assert_int_eq(bn_hkdf(kc1, 32, NULL, 0, kc, 32, th, 32), 0);
	ck_assert_int_eq(bn_hkdf(ks1, 32, NULL, 0, ks, 32, th, 32), 0);
	legacy_n("new kc", want, 32);
	ck_assert_int_eq(memcmp(kc1, want, 32), 0);
	legacy_n("new ks", want, 32);
	ck_assert_int_eq(memcmp(ks1, want, 32), 0);
	legacy_n("new ns_c", nsc1, 12);
	ns_of(ns, kc1);
	ck_assert_int_eq(memcmp(ns, nsc1, 12), 0);
	legacy_frame("client STREAM sid=3 'x' new key ctr0", kc1, nsc1, 0,
	    BN_HTX11_STREAM, 3, "x", 1);
	/* The server's send key had not switched: its original ks, ctr 0. */
	legacy_frame("server after 40000B on sid5", ks, nss, 0,
	    BN_HTX11_WINDOW_UPDATE, 5, wu, 4);
}
END_TEST

START_TEST(test_tcp11_frames)
{
	json_t *j = tu_json_load("wire_transcripts.json");
	json_t *frames = tu_json_at(j, "tcp11.frames"), *fj;
	uint8_t k0[64], ns[12], *pt, *frame, *aad;
	const uint8_t *key;
	size_t i, ptlen, flen, alen;

	tu_json_hex_n(j, "tcp11.k0", k0, 64);
	ck_assert_uint_eq(json_array_size(frames), 2);
	for (i = 0; i < json_array_size(frames); i++) {
		fj = json_array_get(frames, i);
		key = is_dir(fj, "c2s") ? k0 : k0 + 32;
		ns_of(ns, key);
		pt = tu_json_hex(fj, "plaintext", &ptlen);
		frame = tu_json_hex(fj, "frame", &flen);
		aad = tu_json_hex(fj, "aad", &alen);
		/* The associated data is the header after Len. */
		ck_assert_int_eq(memcmp(frame + 3, aad, alen), 0);
		ck_assert_uint_eq(flen, 3 + alen + ptlen + 16);
		ck_assert_uint_eq(json_integer_value(tu_json_at(fj,
		    "length24")), ptlen + 16);
		check_frame(F11, key, ns, (uint64_t)json_integer_value(
		    tu_json_at(fj, "counter")),
		    (uint8_t)json_integer_value(tu_json_at(fj, "type")),
		    (uint32_t)json_integer_value(tu_json_at(fj, "stream_id")),
		    0, pt, ptlen, frame, flen);
		free(pt);
		free(frame);
		free(aad);
	}
	json_decref(j);
}
END_TEST

START_TEST(test_legacy11_header)
{
	static const struct {
		const char	*h;
		size_t		 n;
		int		 r;
		size_t		 need;
	} c[] = {
		{ "\x00\x00\x10\x01", 4, BN_OK, 4 + 16 },	/* PING */
		/* StreamID missing */
		{ "\x00\x00\x10\x00", 4, BN_ERR_INCOMPLETE, 0 },
		{ "\x00\x00\x10\x00\x41", 5, BN_ERR_INCOMPLETE, 0 },
		{ "\x00\x00\x10\x00\x41\x00", 6, BN_OK, 6 + 16 },
		{ "\x00\x00\x0f\x01", 4, BN_ERR_FRAME_LEN, 0 },
		{ "\x00\x00\x10\x05", 4, BN_ERR_MALFORMED, 0 },	/* type */
		{ "\x00\x00\x10\xff", 4, BN_ERR_MALFORMED, 0 },
		/* StreamID 2^32 does not fit */
		{ "\x00\x00\x10\x04\xc0\x00\x00\x01\x00\x00\x00\x00", 12,
		    BN_ERR_MALFORMED, 0 },
		{ "\x00\x00\x10\x04\xc0\x00\x00\x00\xff\xff\xff\xff", 12,
		    BN_OK, 12 + 16 },
		{ "\xff\xff\xff\x02", 4, BN_OK, 4 + 0xffffff },
	};
	struct bn_buf v;
	size_t i, need;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bn_buf_view(&v, c[i].h, c[i].n);
		ck_assert_int_eq(bn_htx11_frame_peek(&v, &need), c[i].r);
		ck_assert_uint_eq(need, c[i].need);
	}
}
END_TEST

/* A big 1.1 frame (beyond the 1.2 limit) round-trips. */
START_TEST(test_legacy11_big)
{
	struct bn_htx_dir tx = { 0 }, rx = { 0 };
	struct bn_htx_frame f;
	struct bn_buf *b = bn_buf_new(1 << 20);
	uint8_t key[32] = { 5 }, ns[12] = { 6 }, *pt;
	size_t n = 200000;

	pt = malloc(n);
	ck_assert_ptr_nonnull(pt);
	memset(pt, 0x3c, n);
	ck_assert_int_eq(bn_htx_dir_set(&tx, key, ns), 0);
	ck_assert_int_eq(bn_htx_dir_set(&rx, key, ns), 0);
	ck_assert_int_eq(bn_htx11_frame_seal(&tx, BN_HTX11_STREAM, 1u << 20,
	    pt, n, b), 0);
	ck_assert_uint_eq(bn_buf_len(b), 3 + 1 + 4 + n + 16);
	ck_assert_int_eq(bn_htx11_frame_open(&rx, b, 0, &f), 0);
	ck_assert_uint_eq(f.stream_id, 1u << 20);
	ck_assert_uint_eq(f.len, n);
	ck_assert_int_eq(memcmp(f.payload, pt, n), 0);
	ck_assert_int_eq(bn_htx11_frame_seal(&tx, 9, 0, pt, 1, b),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_htx11_frame_seal(&tx, 0, 0, pt, 0xffffff, b),
	    BN_ERR_TOO_LARGE);
	free(pt);
	bn_buf_free(b);
	bn_htx_dir_clear(&tx);
	bn_htx_dir_clear(&rx);
}
END_TEST

static Suite *
htx_frame_suite(void)
{
	Suite *s = suite_create("htx_frame");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tcp12_frames);
	tcase_add_test(tc, test_native_frames);
	tcase_add_test(tc, test_caps_exchange_frames);
	tcase_add_test(tc, test_native_negative);
	tcase_add_test(tc, test_len_bounds);
	tcase_add_test(tc, test_max_frame);
	tcase_add_test(tc, test_skipped_nonces);
	tcase_add_test(tc, test_counter_exhaustion);
	tcase_add_test(tc, test_view_refused);
	tcase_add_test(tc, test_legacy11_vectors);
	tcase_add_test(tc, test_tcp11_frames);
	tcase_add_test(tc, test_legacy11_header);
	tcase_add_test(tc, test_legacy11_big);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(htx_frame_suite());
}
