/*
 * Unit tests for td_bucket: capacity, refill, refund, per-kind names,
 * eviction of idle buckets, the max-buckets bound, and client IPs keyed
 * by network (IPv6 prefix, IPv4 /32, one "unknown" bucket).
 */
#include <stdio.h>
#include <string.h>

#include "betanet/err.h"
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

	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "192.0.2.1", 0), 1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "192.0.2.1", 0), 0);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_PEER, "192.0.2.1", 0),
	    1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_KEYSET, "192.0.2.1",
	    0), 1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "192.0.2.2", 0), 1);
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
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "10.0.1.1", 0), 0);
	ck_assert_uint_eq(td_buckets_in_use(b), 16);
	/* Once the oldest has refilled it is evicted for the new one. */
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_IP, "10.0.1.1", 1000),
	    1);
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

static int
take_ip(struct td_buckets *b, const char *ip)
{
	return td_buckets_take(b, TD_BUCKET_IP, ip, 0);
}

START_TEST(ip_keys)
{
	struct td_buckets *b = td_buckets_new(1, 1, 100);
	char name[64];
	int i;

	ck_assert_ptr_nonnull(b);
	/* One IPv6 /64 is one client, however it spells its addresses. */
	ck_assert_int_eq(take_ip(b, "2001:db8:1:2::1"), 1);
	ck_assert_int_eq(take_ip(b, "2001:db8:1:2:ffff:ffff:ffff:ffff"), 0);
	ck_assert_int_eq(take_ip(b, "2001:0db8:0001:0002:0000:0000:0000:0009"),
	    0);
	ck_assert_int_eq(take_ip(b, "2001:DB8:1:2::5"), 0);
	ck_assert_int_eq(take_ip(b, "2001:db8:1:3::1"), 1);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "2001:db8:1:2:%x:%x::%x", i,
		    i * 7, i * 13);
		ck_assert_int_eq(take_ip(b, name), 0);
	}
	ck_assert_uint_eq(td_buckets_in_use(b), 2);
	/* A refund through another address of the /64 reaches the same. */
	td_buckets_refund(b, TD_BUCKET_IP, "2001:db8:1:2::abcd", 0);
	ck_assert_int_eq(take_ip(b, "2001:db8:1:2::1"), 1);
	/* IPv4 per address; an IPv4-mapped IPv6 address is the same. */
	ck_assert_int_eq(take_ip(b, "192.0.2.1"), 1);
	ck_assert_int_eq(take_ip(b, "192.0.2.1"), 0);
	ck_assert_int_eq(take_ip(b, "::ffff:192.0.2.1"), 0);
	ck_assert_int_eq(take_ip(b, "192.0.2.2"), 1);
	ck_assert_uint_eq(td_buckets_in_use(b), 4);
	/* What inet_pton does not read is one shared bucket. */
	ck_assert_int_eq(take_ip(b, "not-an-ip"), 1);
	ck_assert_int_eq(take_ip(b, "also not"), 0);
	ck_assert_int_eq(take_ip(b, ""), 0);
	ck_assert_int_eq(take_ip(b, "unknown"), 0);
	ck_assert_int_eq(take_ip(b, "fe80::1%eth0"), 0);
	ck_assert_int_eq(take_ip(b, "[2001:db8:9::1]"), 0);
	ck_assert_int_eq(take_ip(b, "192.0.2.3 "), 0);
	ck_assert_int_eq(take_ip(b, "192.0.2.300"), 0);
	ck_assert_uint_eq(td_buckets_in_use(b), 5);
	/* Other kinds keep their names as they are. */
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_PEER, "not-an-ip", 0),
	    1);
	ck_assert_int_eq(td_buckets_take(b, TD_BUCKET_PEER, "also not", 0),
	    1);
	td_buckets_free(b);
}
END_TEST

START_TEST(ipv6_prefix)
{
	struct td_buckets *b = td_buckets_new(1, 1, 100);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(td_buckets_set_v6_prefix(b, 47), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(td_buckets_set_v6_prefix(b, 129),
	    BN_ERR_INVALID_ARG);
	/* /48: a whole site is one client. */
	ck_assert_int_eq(td_buckets_set_v6_prefix(b, 48), BN_OK);
	ck_assert_int_eq(take_ip(b, "2001:db8:1:2::1"), 1);
	ck_assert_int_eq(take_ip(b, "2001:db8:1:ffff::1"), 0);
	ck_assert_int_eq(take_ip(b, "2001:db8:2::1"), 1);
	td_buckets_free(b);
	/* /60 cuts inside a byte: the last nibble of the 4th group goes. */
	ck_assert_ptr_nonnull(b = td_buckets_new(1, 1, 100));
	ck_assert_int_eq(td_buckets_set_v6_prefix(b, 60), BN_OK);
	ck_assert_int_eq(take_ip(b, "2001:db8:1:20::1"), 1);
	ck_assert_int_eq(take_ip(b, "2001:db8:1:2f:ffff::1"), 0);
	ck_assert_int_eq(take_ip(b, "2001:db8:1:30::1"), 1);
	td_buckets_free(b);
	/* /128: per address. */
	ck_assert_ptr_nonnull(b = td_buckets_new(1, 1, 100));
	ck_assert_int_eq(td_buckets_set_v6_prefix(b, 128), BN_OK);
	ck_assert_int_eq(take_ip(b, "2001:db8::1"), 1);
	ck_assert_int_eq(take_ip(b, "2001:db8::1"), 0);
	ck_assert_int_eq(take_ip(b, "2001:db8::2"), 1);
	/* IPv4 stays /32 whatever the IPv6 prefix. */
	ck_assert_int_eq(take_ip(b, "198.51.100.1"), 1);
	ck_assert_int_eq(take_ip(b, "198.51.100.2"), 1);
	td_buckets_free(b);
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
	tcase_add_test(tc, ip_keys);
	tcase_add_test(tc, ipv6_prefix);
	tcase_add_test(tc, bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
