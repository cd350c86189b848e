/*
 * Unit tests for backoff: ceilings double up to the cap, the draw spans
 * [0, ceiling], reset, saturation.
 */
#include <stdint.h>

#include "betanet/backoff.h"
#include "testutil.h"

static uint32_t
fixed_rand(void *arg)
{
	return *(uint32_t *)arg;
}

START_TEST(test_ceilings)
{
	struct bn_backoff b;
	uint32_t r = UINT32_MAX;
	static const uint32_t want[] = { 100, 200, 400, 800, 1600, 3200,
	    5000, 5000, 5000 };
	size_t i;

	bn_backoff_init(&b, 100, 5000);
	bn_backoff_set_rand(&b, fixed_rand, &r);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_uint_eq(bn_backoff_ceiling_ms(&b), want[i]);
		/* All-ones draw gives the ceiling itself. */
		ck_assert_uint_eq(bn_backoff_next_ms(&b), want[i]);
	}
	ck_assert_uint_eq(b.attempt, i);
	bn_backoff_reset(&b);
	ck_assert_uint_eq(b.attempt, 0);
	ck_assert_uint_eq(bn_backoff_next_ms(&b), 100);
}
END_TEST

START_TEST(test_jitter_range)
{
	struct bn_backoff b;
	uint32_t r = 0;

	bn_backoff_init(&b, 100, 1000);
	bn_backoff_set_rand(&b, fixed_rand, &r);
	ck_assert_uint_eq(bn_backoff_next_ms(&b), 0);
	r = UINT32_MAX / 2 + 1;			/* half way */
	ck_assert_uint_eq(bn_backoff_next_ms(&b), 100);	/* (200+1)/2 */
	/* The real source stays within the ceiling. */
	bn_backoff_init(&b, 50, 400);
	for (int i = 0; i < 200; i++) {
		uint32_t ceil = bn_backoff_ceiling_ms(&b);

		ck_assert_uint_le(bn_backoff_next_ms(&b), ceil);
	}
	ck_assert_uint_eq(bn_backoff_ceiling_ms(&b), 400);
}
END_TEST

START_TEST(test_edges)
{
	struct bn_backoff b;
	uint32_t r = UINT32_MAX;

	bn_backoff_init(&b, 0, 0);		/* base 0 -> 1, cap >= base */
	ck_assert_uint_eq(b.base_ms, 1);
	ck_assert_uint_eq(b.cap_ms, 1);
	bn_backoff_init(&b, 1000, UINT32_MAX);
	bn_backoff_set_rand(&b, fixed_rand, &r);
	b.attempt = UINT32_MAX;			/* no shift overflow */
	ck_assert_uint_eq(bn_backoff_ceiling_ms(&b), UINT32_MAX);
	ck_assert_uint_eq(bn_backoff_next_ms(&b), UINT32_MAX);
	ck_assert_uint_eq(b.attempt, UINT32_MAX);	/* saturates */
	bn_backoff_reset(&b);
	ck_assert(bn_backoff_next_deadline(&b, 5000) == 6000);
	ck_assert(bn_backoff_next_deadline(&b, UINT64_MAX - 1) ==
	    UINT64_MAX);
}
END_TEST

static Suite *
backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ceilings);
	tcase_add_test(tc, test_jitter_range);
	tcase_add_test(tc, test_edges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(backoff_suite());
}
