/*
 * fuzz_frame: arbitrary bytes into the 1.2 and legacy 1.1 frame openers,
 * and fuzz-chosen plaintext through seal then open.
 *
 * The receive keys are those of the recorded sessions (native_vectors
 * key_c / nonce_salt_c for 1.2, legacy11_vectors K0[0:32] / ns_c for
 * 1.1), so the seed corpus made from those frames really opens and the
 * fuzzer can explore past the tag check.  Invariants checked:
 *   - open either consumes exactly the frame peek announced, or fails
 *     and leaves the buffer byte for byte as it was;
 *   - the counter moves only on success, to at most skip+1 ahead;
 *   - seal then open gives back the plaintext, type, StreamID, AADfield.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_frame.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

static const uint8_t key12[32] = {
	0x7e, 0x6f, 0x46, 0x67, 0x36, 0x33, 0x52, 0x4a, 0x3c, 0xe7, 0xa9, 0x94,
	0x20, 0xac, 0xbf, 0x9c, 0x96, 0xf0, 0x28, 0xf7, 0x6d, 0xc1, 0x6e, 0x0c,
	0x41, 0x18, 0xf2, 0x00, 0xea, 0x53, 0x18, 0x38,
};
static const uint8_t ns12[12] = {
	0x66, 0x1d, 0x54, 0xc4, 0x9d, 0xc6, 0x83, 0x90, 0x72, 0x76, 0x12, 0x88,
};
static const uint8_t ns11[12] = {
	0x60, 0xc8, 0x80, 0x62, 0xf8, 0x32, 0x49, 0xfb, 0x98, 0x19, 0x5c, 0x0b,
};

typedef int (*peek_fn)(const struct bn_buf *, size_t *);
typedef int (*open_fn)(struct bn_htx_dir *, struct bn_buf *, unsigned,
    struct bn_htx_frame *);

/* Open frames off the front of data until something stops us. */
static void
open_stream(const uint8_t *data, size_t size, const uint8_t *key,
    const uint8_t *ns, unsigned skip, peek_fn peek, open_fn open)
{
	struct bn_htx_dir d = { 0 };
	struct bn_htx_frame f;
	struct bn_buf *b, *copy;
	uint64_t before;
	size_t need, len;
	int r, pr;

	CHECK(bn_htx_dir_set(&d, key, ns) == 0);
	CHECK((b = bn_buf_new(size + 1)) != NULL);
	CHECK((copy = bn_buf_new(size + 1)) != NULL);
	CHECK(bn_buf_put(b, data, size) == 0);
	for (;;) {
		len = bn_buf_len(b);
		bn_buf_reset(copy);
		CHECK(bn_buf_put(copy, bn_buf_ptr(b), len) == 0);
		before = d.counter;
		pr = peek(b, &need);
		r = open(&d, b, skip, &f);
		if (r != BN_OK) {
			CHECK(f.payload == NULL && f.len == 0);
			CHECK(d.counter == before);
			CHECK(bn_buf_len(b) == len);
			CHECK(len == 0 ||
			    memcmp(bn_buf_ptr(b), bn_buf_ptr(copy), len) == 0);
			if (pr != BN_OK)
				CHECK(r == pr);
			else if (need > len)
				CHECK(r == BN_ERR_INCOMPLETE);
			break;
		}
		CHECK(pr == BN_OK && need <= len);
		CHECK(bn_buf_len(b) == len - need);
		CHECK(d.counter > before && d.counter - before <= skip + 1);
		CHECK(f.len < need);
	}
	bn_buf_free(copy);
	bn_buf_free(b);
	bn_htx_dir_clear(&d);
}

/* Seal data[..] as a payload and open it again, 1.2 and 1.1. */
static void
round_trip(const uint8_t *data, size_t size)
{
	struct bn_htx_dir tx = { 0 }, rx = { 0 };
	struct bn_htx_frame f;
	struct bn_iov iov[3];
	struct bn_buf *b;
	size_t n = size > BN_HTX_PAYLOAD_MAX ? BN_HTX_PAYLOAD_MAX : size;
	size_t c1 = size > 0 ? data[0] % (n + 1) : 0, c2;
	uint32_t sid = size > 4 ? (uint32_t)data[1] << 24 | data[2] << 16 |
	    data[3] << 8 | data[4] : 7;
	uint8_t type = size > 5 ? data[5] : 0;
	uint16_t aad = size > 6 ? (uint16_t)(data[6] * 257) : 0;

	c2 = size > 1 ? c1 + data[size - 1] % (n - c1 + 1) : c1;
	CHECK(bn_htx_dir_set(&tx, key12, ns12) == 0);
	CHECK(bn_htx_dir_set(&rx, key12, ns12) == 0);
	tx.counter = rx.counter = size;
	CHECK((b = bn_buf_new(2 * BN_HTX11_FRAME_MAX)) != NULL);
	iov[0].base = data;
	iov[0].len = c1;
	iov[1].base = data + c1;
	iov[1].len = c2 - c1;
	iov[2].base = data + c2;
	iov[2].len = n - c2;
	CHECK(bn_htx_frame_seal(&tx, type, sid, aad, iov, 3, b) == 0);
	CHECK(bn_buf_len(b) == n + BN_HTX_OVERHEAD);
	CHECK(bn_htx_frame_open(&rx, b, 0, &f) == 0);
	CHECK(f.type == type && f.stream_id == sid && f.aad == aad);
	CHECK(f.len == n && (n == 0 || memcmp(f.payload, data, n) == 0));
	CHECK(bn_buf_len(b) == 0 && rx.counter == tx.counter);

	/* 1.1: whole input, any of the five types. */
	type %= 5;
	CHECK(bn_htx11_frame_seal(&tx, type, sid, data, size, b) == 0);
	CHECK(bn_htx11_frame_open(&rx, b, 0, &f) == 0);
	CHECK(f.type == type && f.len == size);
	CHECK(f.stream_id == (type == BN_HTX11_STREAM ||
	    type == BN_HTX11_WINDOW_UPDATE ? sid : 0));
	CHECK(size == 0 || memcmp(f.payload, data, size) == 0);
	CHECK(bn_buf_len(b) == 0);
	bn_buf_free(b);
	bn_htx_dir_clear(&tx);
	bn_htx_dir_clear(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* K0 of legacy11_vectors.txt is 00 01 .. 3f: key_c is 00 .. 1f. */
	uint8_t key11[32];
	unsigned skip = size > 0 ? data[size - 1] % 10 : 0;
	int i;

	for (i = 0; i < 32; i++)
		key11[i] = (uint8_t)i;
	open_stream(data, size, key12, ns12, skip, bn_htx_frame_peek,
	    bn_htx_frame_open);
	open_stream(data, size, key11, ns11, skip, bn_htx11_frame_peek,
	    bn_htx11_frame_open);
	round_trip(data, size);
	return 0;
}
