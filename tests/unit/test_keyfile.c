/*
 * Unit tests for keyfile: keygen round trips, file modes, the private
 * key permission checks (group/other access, symlink, FIFO, directory),
 * malformed content, no-clobber and --force, and ticket site keys.
 * Everything happens in a fresh mkdtemp directory under /tmp.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/keyfile.h"
#include "betanet/ticket.h"
#include "testutil.h"

static char dir[64];

static void
setup(void)
{
	strcpy(dir, "/tmp/bn-keyfile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) != 0)
			rmdir(path);
	}
	closedir(d);
	rmdir(dir);
}

static const char *
at(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void
put_file(const char *name, const char *content, mode_t mode)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static mode_t
mode_of(const char *name)
{
	struct stat st;

	ck_assert_int_eq(stat(at(name), &st), 0);
	return st.st_mode & 07777;
}

/* Only the files we meant to write are left: no temp files. */
static int
count_files(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Read a whole small file into buf[cap]; returns its length. */
static size_t
slurp(const char *name, char *buf, size_t cap)
{
	int fd = open(at(name), O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, cap);
	ck_assert_int_ge(n, 0);
	close(fd);
	return (size_t)n;
}

START_TEST(test_keygen_roundtrip)
{
	uint8_t pub[BN_KEY_LEN], priv[BN_KEY_LEN], pub2[BN_KEY_LEN];
	uint8_t pub3[BN_KEY_LEN];
	char prefix[PATH_MAX], err[BN_KEYFILE_ERRLEN];

	snprintf(prefix, sizeof(prefix), "%s/node", dir);
	ck_assert_int_eq(bn_keyfile_keygen(prefix, 0, pub, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(mode_of("node.key"), 0600);
	ck_assert_uint_eq(mode_of("node.pub"), 0644);
	ck_assert_int_eq(count_files(), 2);
	ck_assert_int_eq(bn_keyfile_load_private(at("node.key"), priv, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(bn_x25519_public(pub2, priv), 0);
	ck_assert_int_eq(memcmp(pub, pub2, sizeof(pub)), 0);
	ck_assert_int_eq(bn_keyfile_load_hex(at("node.pub"), pub2,
	    sizeof(pub2), err, sizeof(err)), 0);
	ck_assert_int_eq(memcmp(pub, pub2, sizeof(pub)), 0);

	/* No clobbering without force; force replaces both. */
	ck_assert_int_eq(bn_keyfile_keygen(prefix, 0, pub3, err, sizeof(err)),
	    BN_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err, "exists"));
	ck_assert_int_eq(bn_keyfile_write_hex(at("node.key"), pub, 32, 0600,
	    0, err, sizeof(err)), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(count_files(), 2);
	ck_assert_int_eq(bn_keyfile_keygen(prefix, BN_KEYFILE_F_FORCE, pub3,
	    err, sizeof(err)), 0);
	ck_assert_int_ne(memcmp(pub, pub3, sizeof(pub)), 0);
	ck_assert_int_eq(bn_keyfile_load_hex(at("node.pub"), pub2,
	    sizeof(pub2), err, sizeof(err)), 0);
	ck_assert_int_eq(memcmp(pub3, pub2, sizeof(pub)), 0);
	ck_assert_uint_eq(mode_of("node.key"), 0600);
	ck_assert_int_eq(count_files(), 2);

	/* A directory that does not exist. */
	snprintf(prefix, sizeof(prefix), "%s/nope/node", dir);
	ck_assert_int_eq(bn_keyfile_keygen(prefix, 0, pub3, err, sizeof(err)),
	    BN_ERR_SYSTEM);
}
END_TEST

START_TEST(test_permissions)
{
	static const mode_t bad[] = { 0640, 0604, 0660, 0644, 0602, 0620,
	    0610, 0601, 0700 | 0040 };
	static const char hex[] = "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n";
	uint8_t priv[BN_KEY_LEN];
	char err[BN_KEYFILE_ERRLEN];
	size_t i;

	put_file("k.key", hex, 0600);
	ck_assert_int_eq(bn_keyfile_load_private(at("k.key"), priv, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(priv[31], 0x1f);
	ck_assert_int_eq(chmod(at("k.key"), 0400), 0);
	ck_assert_int_eq(bn_keyfile_load_private(at("k.key"), priv, err,
	    sizeof(err)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(chmod(at("k.key"), bad[i]), 0);
		memset(priv, 0xaa, sizeof(priv));
		ck_assert_msg(bn_keyfile_load_private(at("k.key"), priv, err,
		    sizeof(err)) == BN_ERR_KEY_PERM, "mode %o", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "UNPROTECTED PRIVATE KEY"));
		ck_assert_ptr_nonnull(strstr(err, at("k.key")));
		ck_assert_int_eq(priv[0], 0);
	}
	/* The same file is fine as public data. */
	ck_assert_int_eq(bn_keyfile_load_hex(at("k.key"), priv, sizeof(priv),
	    err, sizeof(err)), 0);

	/* A symlink to a good key is refused; so are a dir and a FIFO. */
	ck_assert_int_eq(chmod(at("k.key"), 0600), 0);
	ck_assert_int_eq(symlink("k.key", at("link.key")), 0);
	ck_assert_int_eq(bn_keyfile_load_private(at("link.key"), priv, err,
	    sizeof(err)), BN_ERR_KEY_PERM);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	ck_assert_int_eq(mkdir(at("dir.key"), 0700), 0);
	ck_assert_int_eq(bn_keyfile_load_private(at("dir.key"), priv, err,
	    sizeof(err)), BN_ERR_KEY_PERM);
	ck_assert_int_eq(mkfifo(at("fifo.key"), 0600), 0);
	ck_assert_int_eq(bn_keyfile_load_private(at("fifo.key"), priv, err,
	    sizeof(err)), BN_ERR_KEY_PERM);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	/* Errors without an errbuf are fine too. */
	ck_assert_int_eq(bn_keyfile_load_private(at("link.key"), priv, NULL,
	    0), BN_ERR_KEY_PERM);
}
END_TEST

START_TEST(test_malformed)
{
	static const struct {
		const char *content;
		int want;
		const char *msg;
	} cases[] = {
		{ "000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f", 0, NULL },
		{ "000102030405060708090A0B0C0D0E0F"
		  "101112131415161718191A1B1C1D1E1F\n", 0, NULL },
		{ "000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1g\n", BN_ERR_KEY_FORMAT,
		  "not hex" },
		{ "000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e\n", BN_ERR_KEY_FORMAT,
		  "too short" },
		{ "000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f00\n", BN_ERR_KEY_FORMAT,
		  "too long" },
		{ "000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f\n\n", BN_ERR_KEY_FORMAT,
		  "too long" },
		{ "000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f\r\n", BN_ERR_KEY_FORMAT,
		  "too long" },
		{ " 000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f", BN_ERR_KEY_FORMAT,
		  "too long" },
		{ "", BN_ERR_KEY_FORMAT, "too short" },
		{ "\n", BN_ERR_KEY_FORMAT, "too short" },
	};
	uint8_t priv[BN_KEY_LEN];
	char err[BN_KEYFILE_ERRLEN];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_file("m.key", cases[i].content, 0600);
		err[0] = '\0';
		r = bn_keyfile_load_private(at("m.key"), priv, err,
		    sizeof(err));
		ck_assert_msg(r == cases[i].want, "case %zu: %d (%s)", i, r,
		    err);
		if (cases[i].msg != NULL)
			ck_assert_msg(strstr(err, cases[i].msg) != NULL,
			    "case %zu: %s", i, err);
		if (r == 0)
			ck_assert_int_eq(priv[31], 0x1f);
	}
	ck_assert_int_eq(bn_keyfile_load_private(at("absent.key"), priv, err,
	    sizeof(err)), BN_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err, "absent.key"));
	ck_assert_int_eq(bn_keyfile_load_hex(at("absent.pub"), priv, 32, err,
	    sizeof(err)), BN_ERR_NOT_FOUND);
	ck_assert_int_eq(bn_keyfile_load_hex(at("m.key"), priv, 0, err,
	    sizeof(err)), BN_ERR_INVALID_ARG);
}
END_TEST

/* ticket-keygen files make tickets that the loaded site key verifies. */
START_TEST(test_ticket_keys)
{
	struct bn_ticket_site_key k;
	struct bn_ticket t;
	struct bn_buf b, in;
	uint8_t pub[BN_KEY_LEN], id[BN_TICKET_KEY_ID_LEN];
	uint8_t pub2[BN_KEY_LEN], id2[BN_TICKET_KEY_ID_LEN];
	uint8_t store[BN_TICKET_MADE_MAX];
	char prefix[PATH_MAX], err[BN_KEYFILE_ERRLEN];
	uint64_t hour;

	snprintf(prefix, sizeof(prefix), "%s/site", dir);
	ck_assert_int_eq(bn_keyfile_ticket_keygen(prefix, 0, pub, id, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(mode_of("site.key"), 0600);
	ck_assert_uint_eq(mode_of("site.pub"), 0644);
	ck_assert_uint_eq(mode_of("site.id"), 0644);
	ck_assert_int_eq(count_files(), 3);
	ck_assert_int_eq(bn_keyfile_load_ticket_pub(prefix, pub2, id2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(pub, pub2, sizeof(pub)), 0);
	ck_assert_int_eq(memcmp(id, id2, sizeof(id)), 0);
	ck_assert_int_eq(bn_keyfile_load_ticket_key(prefix, &k, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(k.key_id, id, sizeof(id)), 0);

	bn_buf_fixed(&b, store, sizeof(store));
	ck_assert_int_eq(bn_ticket_make(&b, pub2, id2, 1764000000), 0);
	bn_buf_view(&in, store, bn_buf_len(&b));
	ck_assert_int_eq(bn_ticket_parse(&in, &t), 0);
	ck_assert_int_eq(bn_ticket_verify(&t, &k, 1, 1764000000, &hour), 0);

	/* A widened key file is refused, and the key struct is wiped. */
	ck_assert_int_eq(chmod(at("site.key"), 0640), 0);
	ck_assert_int_eq(bn_keyfile_load_ticket_key(prefix, &k, err,
	    sizeof(err)), BN_ERR_KEY_PERM);
	ck_assert_int_eq(k.priv[0] | k.key_id[0], 0);
	ck_assert_int_eq(unlink(at("site.id")), 0);
	/* The .pub loads but the .id does not: no half result. */
	memset(pub2, 0xaa, sizeof(pub2));
	memset(id2, 0xaa, sizeof(id2));
	ck_assert_int_eq(bn_keyfile_load_ticket_pub(prefix, pub2, id2, err,
	    sizeof(err)), BN_ERR_NOT_FOUND);
	ck_assert(all_zero(pub2, sizeof(pub2)));
	ck_assert(all_zero(id2, sizeof(id2)));
	/* An .id of the wrong length. */
	put_file("site.id", "0011\n", 0644);
	ck_assert_int_eq(bn_keyfile_load_ticket_pub(prefix, pub2, id2, err,
	    sizeof(err)), BN_ERR_KEY_FORMAT);
}
END_TEST

/*
 * keygen --force where PREFIX.pub cannot be replaced (it is a directory):
 * the call fails, the old private key is byte for byte what it was, and
 * no temp file is left behind.
 */
START_TEST(test_force_keeps_old_key)
{
	char prefix[PATH_MAX], err[BN_KEYFILE_ERRLEN];
	char before[256], after[256];
	uint8_t pub[BN_KEY_LEN], id[BN_TICKET_KEY_ID_LEN];
	size_t nb, na;

	snprintf(prefix, sizeof(prefix), "%s/site", dir);
	ck_assert_int_eq(bn_keyfile_ticket_keygen(prefix, 0, pub, id, err,
	    sizeof(err)), 0);
	nb = slurp("site.key", before, sizeof(before));
	ck_assert_uint_eq(nb, 65);
	ck_assert_int_eq(unlink(at("site.pub")), 0);
	ck_assert_int_eq(mkdir(at("site.pub"), 0755), 0);
	memset(pub, 0xaa, sizeof(pub));
	ck_assert_int_ne(bn_keyfile_ticket_keygen(prefix, BN_KEYFILE_F_FORCE,
	    pub, id, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "site.pub"));
	na = slurp("site.key", after, sizeof(after));
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(before, after, nb), 0);
	ck_assert_uint_eq(mode_of("site.key"), 0600);
	ck_assert_int_eq(count_files(), 3);	/* .key .pub/ .id */
	/* Same for plain keygen. */
	ck_assert_int_ne(bn_keyfile_keygen(prefix, BN_KEYFILE_F_FORCE, pub,
	    err, sizeof(err)), 0);
	na = slurp("site.key", after, sizeof(after));
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(before, after, nb), 0);
	ck_assert_int_eq(count_files(), 3);
	/* Once .pub can be replaced, --force replaces all three. */
	ck_assert_int_eq(rmdir(at("site.pub")), 0);
	ck_assert_int_eq(bn_keyfile_ticket_keygen(prefix, BN_KEYFILE_F_FORCE,
	    pub, id, err, sizeof(err)), 0);
	na = slurp("site.key", after, sizeof(after));
	ck_assert_uint_eq(na, nb);
	ck_assert_int_ne(memcmp(before, after, nb), 0);
	ck_assert_int_eq(count_files(), 3);
}
END_TEST

/* Without --force an existing .key is refused and nothing is written. */
START_TEST(test_noforce_rollback)
{
	char prefix[PATH_MAX], err[BN_KEYFILE_ERRLEN];
	uint8_t pub[BN_KEY_LEN];

	snprintf(prefix, sizeof(prefix), "%s/site", dir);
	put_file("site.key", "precious\n", 0600);
	ck_assert_int_eq(bn_keyfile_keygen(prefix, 0, pub, err, sizeof(err)),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(count_files(), 1);
	ck_assert_int_eq(access(at("site.pub"), F_OK), -1);
}
END_TEST

static Suite *
keyfile_suite(void)
{
	Suite *s = suite_create("keyfile");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_keygen_roundtrip);
	tcase_add_test(tc, test_permissions);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_ticket_keys);
	tcase_add_test(tc, test_force_keeps_old_key);
	tcase_add_test(tc, test_noforce_rollback);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(keyfile_suite());
}
