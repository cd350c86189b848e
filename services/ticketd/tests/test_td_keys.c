/*
 * Unit tests for td_keys: loading, permission checks, rotation, and
 * finishing or dropping a rotation cut short.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "betanet/err.h"
#include "betanet/keyfile.h"
#include "td_keys.h"
#include "testutil.h"

static char D[64];

static void
path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", D, name);
}

static void
setup(void)
{
	char p[128], err[256];

	snprintf(D, sizeof(D), "/tmp/td_keys_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(D));
	path(p, sizeof(p), "site");
	ck_assert_int_eq(bn_keyfile_ticket_keygen(p, 0, NULL, NULL, err,
	    sizeof(err)), BN_OK);
}

static void
teardown(void)
{
	const char *n[] = { "site", "previous", "next" };
	const char *e[] = { "key", "pub", "id" };
	char p[128];
	size_t i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			snprintf(p, sizeof(p), "%s/%s.%s", D, n[i], e[j]);
			unlink(p);
		}
	rmdir(D);
}

START_TEST(load_current_only)
{
	struct td_keys k;
	char err[256];

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(td_keys_load(&k, D, err, sizeof(err)), BN_OK);
	ck_assert_uint_eq(k.n, 1);
	td_keys_clear(&k);
}
END_TEST

START_TEST(refuses_bad_dirs)
{
	struct td_keys k;
	char err[256], p[128];

	memset(&k, 0, sizeof(k));
	path(p, sizeof(p), "site.key");
	ck_assert_int_eq(chmod(p, 0644), 0);
	ck_assert_int_eq(td_keys_load(&k, D, err, sizeof(err)),
	    BN_ERR_KEY_PERM);
	ck_assert_ptr_nonnull(strstr(err, "site.key"));
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(td_keys_load(&k, D, err, sizeof(err)),
	    BN_ERR_NOT_FOUND);
	ck_assert_int_eq(td_keys_load(&k, "/nonexistent/dir", err,
	    sizeof(err)), BN_ERR_NOT_FOUND);
}
END_TEST

START_TEST(rotate_keeps_previous)
{
	struct td_keys k;
	uint8_t old[BN_TICKET_KEY_ID_LEN];
	char err[256], p[128];
	struct stat st;

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(td_keys_load(&k, D, err, sizeof(err)), BN_OK);
	memcpy(old, k.k[0].key_id, sizeof(old));
	ck_assert_int_eq(td_keys_rotate(&k, err, sizeof(err)), BN_OK);
	ck_assert_uint_eq(k.n, 2);
	ck_assert_uint_eq(k.rotations, 1);
	ck_assert_mem_eq(k.k[1].key_id, old, sizeof(old));
	ck_assert_mem_ne(k.k[0].key_id, old, sizeof(old));
	path(p, sizeof(p), "site.key");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	path(p, sizeof(p), "next.key");
	ck_assert_int_ne(stat(p, &st), 0);
	/* A second rotation drops the oldest. */
	ck_assert_int_eq(td_keys_rotate(&k, err, sizeof(err)), BN_OK);
	ck_assert_uint_eq(k.n, 2);
	ck_assert_mem_ne(k.k[1].key_id, old, sizeof(old));
	ck_assert_mem_ne(k.k[0].key_id, old, sizeof(old));
	td_keys_clear(&k);
}
END_TEST

START_TEST(recover_cut_rotation)
{
	struct td_keys k;
	struct bn_ticket_site_key site, next;
	char err[256], p[128], q[128];

	memset(&k, 0, sizeof(k));
	path(p, sizeof(p), "site");
	ck_assert_int_eq(bn_keyfile_load_ticket_key(p, &site, err,
	    sizeof(err)), BN_OK);
	path(p, sizeof(p), "next");
	ck_assert_int_eq(bn_keyfile_ticket_keygen(p, 0, NULL, NULL, err,
	    sizeof(err)), BN_OK);
	ck_assert_int_eq(bn_keyfile_load_ticket_key(p, &next, err,
	    sizeof(err)), BN_OK);
	/* Crash after moving site.key only. */
	path(p, sizeof(p), "site.key");
	path(q, sizeof(q), "previous.key");
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(td_keys_load(&k, D, err, sizeof(err)), BN_OK);
	ck_assert_uint_eq(k.n, 2);
	ck_assert_mem_eq(k.k[0].key_id, next.key_id, 8);
	ck_assert_mem_eq(k.k[0].priv, next.priv, 32);
	ck_assert_mem_eq(k.k[1].key_id, site.key_id, 8);
	ck_assert_mem_eq(k.k[1].priv, site.priv, 32);
	td_keys_clear(&k);
}
END_TEST

START_TEST(drop_partial_keygen)
{
	struct td_keys k;
	struct bn_ticket_site_key site;
	char err[256], p[128];
	struct stat st;

	memset(&k, 0, sizeof(k));
	path(p, sizeof(p), "site");
	ck_assert_int_eq(bn_keyfile_load_ticket_key(p, &site, err,
	    sizeof(err)), BN_OK);
	path(p, sizeof(p), "next");
	ck_assert_int_eq(bn_keyfile_ticket_keygen(p, 0, NULL, NULL, err,
	    sizeof(err)), BN_OK);
	path(p, sizeof(p), "next.id");	/* keygen cut before its last file */
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(td_keys_load(&k, D, err, sizeof(err)), BN_OK);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_mem_eq(k.k[0].key_id, site.key_id, 8);
	path(p, sizeof(p), "next.key");
	ck_assert_int_ne(stat(p, &st), 0);
	td_keys_clear(&k);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("td_keys");
	TCase *tc = tcase_create("keys");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, load_current_only);
	tcase_add_test(tc, refuses_bad_dirs);
	tcase_add_test(tc, rotate_keeps_previous);
	tcase_add_test(tc, recover_cut_rotation);
	tcase_add_test(tc, drop_partial_keygen);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
