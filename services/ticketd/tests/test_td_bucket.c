/*
 * Unit tests for td_bucket: capacity, refill, refund, per-kind names,
 * eviction of idle buckets and the max-buckets bound.
 */
#include <stdio.h>
#include <string.h>

#include "td_bucket.h"
#include "testutil.h"

START_TEST(capacity_and_refill)
{
	struct td_buckets *b = td_buckets_new(3, 1, 100);
	int i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a", 0), 1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a", 0), 0);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a", 999), 0);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a", 1000), 1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a", 1000), 0);
	/* Half-seconds add up. */
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a", 1500), 0);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a", 2000), 1);
	/* A refund gives one back, never above capacity. */
	td_buckets_refund(b, TD_BUCKET_IP, "a", 2000);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a", 2000), 1);
	/* Long idle: full, no overflow. */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a",
		    UINT64_MAX / 2), 1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "a",
	    UINT64_MAX / 2), 0);
	td_buckets_free(b);
}
END_TEST

START_TEST(kinds_are_separate)
{
	struct td_buckets *b = td_buckets_new(1, 1, 100);

	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "x", 0), 1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "x", 0), 0);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_PEER, "x", 0), 1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_KEYSET, "x", 0), 1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "y", 0), 1);
	ck_assert_uint_eq(td_buckets_in_use(b), 4);
	td_buckets_free(b);
}
END_TEST

START_TEST(bounded_and_evicted)
{
	struct td_buckets *b = td_buckets_new(2, 1, 16);
	char name[32];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "10.0.0.%d", i);
		ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, name, 0), 1);
	}
	ck_assert_uint_eq(td_buckets_in_use(b), 16);
	/* All busy: a new name is refused (fail closed), not added. */
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "new", 0), 0);
	ck_assert_uint_eq(td_buckets_in_use(b), 16);
	/* Once the oldest has refilled it is evicted for the new one. */
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "new", 1000), 1);
	ck_assert_uint_eq(td_buckets_in_use(b), 16);
	/* Sweep drops every bucket that is full again. */
	td_buckets_sweep(b, 1000000);
	ck_assert_uint_eq(td_buckets_in_use(b), 0);
	/* Names are cut at TD_BUCKET_NAME_MAX, not overrun. */
	{
		char longname[200];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_PEER, longname,
		    0), 1);
	}
	td_buckets_free(b);
	td_buckets_free(NULL);
}
END_TEST

START_TEST(bad_args)
{
	ck_assert_ptr_null(td_buckets_new(0, 1, 10));
	ck_assert_ptr_null(td_buckets_new(1, 0, 10));
	ck_assert_ptr_null(td_buckets_new(1, 1, 0));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("td_bucket");
	TCase *tc = tcase_create("buckets");

	tcase_add_test(tc, capacity_and_refill);
	tcase_add_test(tc, kinds_are_separate);
	tcase_add_test(tc, bounded_and_evicted);
	tcase_add_test(tc, bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
