/*
 * Unit tests for buf: bounds, integers, varints, growth and views.
 */
#include <string.h>

#include "betanet/buf.h"
#include "betanet/err.h"
#include "testutil.h"

START_TEST(test_put_get_ints)
{
	struct bn_buf *b = bn_buf_new(64);
	uint8_t u8;
	uint16_t u16;
	uint32_t u24, u32;
	uint64_t u64;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(bn_buf_put_u8(b, 0xab), 0);
	ck_assert_int_eq(bn_buf_put_u16(b, 0x1234), 0);
	ck_assert_int_eq(bn_buf_put_u24(b, 0x56789a), 0);
	ck_assert_int_eq(bn_buf_put_u24(b, 0x1000000), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_buf_put_u32(b, 0xdeadbeef), 0);
	ck_assert_int_eq(bn_buf_put_u64(b, 0x0102030405060708ULL), 0);
	ck_assert_uint_eq(bn_buf_len(b), 1 + 2 + 3 + 4 + 8);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), "\xab\x12\x34\x56\x78\x9a", 6), 0);
	ck_assert_int_eq(bn_buf_get_u8(b, &u8), 0);
	ck_assert_int_eq(bn_buf_get_u16(b, &u16), 0);
	ck_assert_int_eq(bn_buf_get_u24(b, &u24), 0);
	ck_assert_int_eq(bn_buf_get_u32(b, &u32), 0);
	ck_assert_int_eq(bn_buf_get_u64(b, &u64), 0);
	ck_assert_uint_eq(u8, 0xab);
	ck_assert_uint_eq(u16, 0x1234);
	ck_assert_uint_eq(u24, 0x56789a);
	ck_assert_uint_eq(u32, 0xdeadbeef);
	ck_assert(u64 == 0x0102030405060708ULL);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	ck_assert_int_eq(bn_buf_get_u8(b, &u8), BN_ERR_INCOMPLETE);
	bn_buf_free(b);
	bn_buf_free(NULL);
}
END_TEST

/* Each truncated prefix of a u64 read is INCOMPLETE and consumes nothing. */
START_TEST(test_truncated)
{
	static const uint8_t d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct bn_buf v;
	uint64_t x;
	uint32_t y;
	size_t n;

	for (n = 0; n < 8; n++) {
		bn_buf_view(&v, d, n);
		ck_assert_int_eq(bn_buf_get_u64(&v, &x), BN_ERR_INCOMPLETE);
		ck_assert(x == 0);
		ck_assert_uint_eq(bn_buf_len(&v), n);
	}
	bn_buf_view(&v, d, 3);
	ck_assert_int_eq(bn_buf_peek_u24(&v, 1, &y), BN_ERR_INCOMPLETE);
	ck_assert_int_eq(bn_buf_peek_u16(&v, 1, (uint16_t *)&x), 0);
	ck_assert_int_eq(bn_buf_peek_u16(&v, SIZE_MAX, (uint16_t *)&x),
	    BN_ERR_INCOMPLETE);
	ck_assert_int_eq(bn_buf_put_u8(&v, 1), BN_ERR_NO_SPACE);
}
END_TEST

START_TEST(test_max_size)
{
	struct bn_buf *b = bn_buf_new(10);
	uint8_t *p;

	ck_assert_int_eq(bn_buf_put(b, "0123456789", 10), 0);
	ck_assert_int_eq(bn_buf_put_u8(b, 1), BN_ERR_NO_SPACE);
	ck_assert_int_eq(bn_buf_reserve(b, SIZE_MAX, &p), BN_ERR_NO_SPACE);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(bn_buf_len(b), 10);
	/* Consuming makes room again (max bounds the backlog, not history). */
	ck_assert_int_eq(bn_buf_consume(b, 4), 0);
	ck_assert_int_eq(bn_buf_put(b, "abcd", 4), 0);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), "456789abcd", 10), 0);
	ck_assert_int_eq(bn_buf_consume(b, 11), BN_ERR_INCOMPLETE);
	ck_assert_int_eq(bn_buf_consume_end(b, 4), 0);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), "456789", 6), 0);
	bn_buf_reset(b);
	ck_assert_uint_eq(bn_buf_len(b), 0);
	bn_buf_free(b);
	ck_assert_ptr_null(bn_buf_new(BN_BUF_SIZE_MAX + 1));
}
END_TEST

START_TEST(test_growth_streaming)
{
	struct bn_buf *b = bn_buf_new(1 << 20);
	uint8_t chunk[1000], out[1000];
	int i;

	for (i = 0; i < 5000; i++) {
		memset(chunk, i & 0xff, sizeof(chunk));
		ck_assert_int_eq(bn_buf_put(b, chunk, sizeof(chunk)), 0);
		if (i % 3 == 2) {
			ck_assert_int_eq(bn_buf_get(b, out, 1000), 0);
			ck_assert_int_eq(bn_buf_get(b, NULL, 1000), 0);
			ck_assert_int_eq(bn_buf_get(b, out, 1000), 0);
			ck_assert_uint_eq(out[0], i & 0xff);
		}
	}
	/* 5000 KB passed through; the store never held more than a few. */
	ck_assert_uint_lt(b->alloc, 8192);
	bn_buf_free(b);
}
END_TEST

START_TEST(test_fixed)
{
	uint8_t store[4];
	struct bn_buf f;

	bn_buf_fixed(&f, store, sizeof(store));
	ck_assert_int_eq(bn_buf_put_u32(&f, 0x01020304), 0);
	ck_assert_int_eq(bn_buf_put_u8(&f, 5), BN_ERR_NO_SPACE);
	ck_assert_uint_eq(store[3], 4);
	ck_assert_uint_eq(bn_buf_avail(&f), 0);
}
END_TEST

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* No secret outlives its consumption in a stale corner of the store. */
START_TEST(test_wipe_stale)
{
	uint8_t store[8], out[8];
	struct bn_buf f, *b;
	size_t i;

	/*
	 * Consumed to empty: lent bytes stay readable until the next write,
	 * which restarts the store at 0 and wipes it.
	 */
	bn_buf_fixed(&f, store, sizeof(store));
	ck_assert_int_eq(bn_buf_put(&f, "SECRET!!", 8), 0);
	ck_assert_int_eq(bn_buf_consume(&f, 8), 0);
	ck_assert_int_eq(memcmp(store, "SECRET!!", 8), 0);
	ck_assert_int_eq(bn_buf_put(&f, "", 0), 0);
	ck_assert_int_eq(bn_buf_put(&f, "x", 1), 0);
	ck_assert_uint_eq(store[0], 'x');
	ck_assert(all_zero(store + 1, sizeof(store) - 1));
	bn_buf_reset(&f);
	ck_assert(all_zero(store, sizeof(store)));
	/*
	 * bn_buf_get() lends the bytes until the next modifying call; the
	 * next write compacts and wipes what was read.
	 */
	ck_assert_int_eq(bn_buf_put(&f, "SECRET!!", 8), 0);
	ck_assert_int_eq(bn_buf_get(&f, out, 8), 0);
	ck_assert_int_eq(memcmp(out, "SECRET!!", 8), 0);
	ck_assert_int_eq(bn_buf_put(&f, "ab", 2), 0);
	ck_assert_int_eq(memcmp(store, "ab", 2), 0);
	ck_assert(all_zero(store + 2, 6));
	bn_buf_reset(&f);
	/* A short write after that, then reset: nothing old survives. */
	ck_assert_int_eq(bn_buf_put(&f, "SECRET!!", 8), 0);
	ck_assert_int_eq(bn_buf_consume(&f, 8), 0);
	ck_assert_int_eq(bn_buf_put(&f, "ab", 2), 0);
	bn_buf_reset(&f);
	ck_assert(all_zero(store, sizeof(store)));
	/* Compaction leaves no stale copy past the new end. */
	ck_assert_int_eq(bn_buf_put(&f, "ABCDEF", 6), 0);
	ck_assert_int_eq(bn_buf_consume(&f, 4), 0);
	ck_assert_int_eq(bn_buf_put(&f, "xyz", 3), 0);	/* compacts */
	ck_assert_uint_eq(bn_buf_len(&f), 5);
	ck_assert_int_eq(memcmp(store, "EFxyz", 5), 0);
	ck_assert(all_zero(store + 5, 3));
	/* consume_end wipes the tail it drops. */
	bn_buf_reset(&f);
	ck_assert_int_eq(bn_buf_put(&f, "ABCDEF", 6), 0);
	ck_assert_int_eq(bn_buf_consume_end(&f, 3), 0);
	ck_assert_int_eq(memcmp(store, "ABC", 3), 0);
	ck_assert(all_zero(store + 3, 5));
	/* Heap store: reset wipes the whole allocation. */
	b = bn_buf_new(4096);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(bn_buf_put(b, "SECRET!!", 8), 0);
	ck_assert_int_eq(bn_buf_consume(b, 80), 0);
	ck_assert_int_eq(bn_buf_put_u8(b, 'x'), 0);	/* restarts, wipes */
	ck_assert(all_zero(b->d + 1, 79));
	ck_assert_int_eq(bn_buf_consume(b, 1), 0);
	ck_assert_int_eq(bn_buf_put(b, "SECRET!!", 8), 0);
	ck_assert_int_eq(bn_buf_consume_end(b, 8), 0);
	ck_assert_int_eq(bn_buf_put(b, "xy", 2), 0);
	bn_buf_reset(b);
	ck_assert(all_zero(b->d, b->alloc));
	bn_buf_free(b);
}
END_TEST

START_TEST(test_varint)
{
	/* RFC 9000 appendix A.1 examples. */
	static const struct { const char *enc; size_t n; uint64_t v; } vec[] = {
		{ "\xc2\x19\x7c\x5e\xff\x14\xe8\x8c", 8, 151288809941952652ULL },
		{ "\x9d\x7f\x3e\x7d", 4, 494878333 },
		{ "\x7b\xbd", 2, 15293 },
		{ "\x25", 1, 37 },
		{ "\x40\x25", 2, 37 },	/* non-shortest is readable */
	};
	struct bn_buf v, *b;
	uint64_t x;
	size_t i, k;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		bn_buf_view(&v, vec[i].enc, vec[i].n);
		ck_assert_int_eq(bn_buf_get_varint(&v, &x), 0);
		ck_assert(x == vec[i].v);
		for (k = 0; k < vec[i].n; k++) {
			bn_buf_view(&v, vec[i].enc, k);
			ck_assert_int_eq(bn_buf_get_varint(&v, &x),
			    BN_ERR_INCOMPLETE);
		}
	}
	b = bn_buf_new(64);
	ck_assert_int_eq(bn_buf_put_varint(b, 15293), 0);
	ck_assert_int_eq(memcmp(bn_buf_ptr(b), "\x7b\xbd", 2), 0);
	ck_assert_int_eq(bn_buf_put_varint(b, 1ULL << 62), BN_ERR_INVALID_ARG);
	ck_assert_uint_eq(bn_varint_size(63), 1);
	ck_assert_uint_eq(bn_varint_size(64), 2);
	ck_assert_uint_eq(bn_varint_size((1ULL << 30) - 1), 4);
	ck_assert_uint_eq(bn_varint_size(1ULL << 30), 8);
	bn_buf_free(b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_put_get_ints);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_max_size);
	tcase_add_test(tc, test_growth_streaming);
	tcase_add_test(tc, test_fixed);
	tcase_add_test(tc, test_varint);
	tcase_add_test(tc, test_wipe_stale);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(buf_suite());
}
