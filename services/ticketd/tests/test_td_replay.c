/*
 * Unit tests for td_replay_log: insert-if-absent, group commit, restart,
 * torn tails, damage, expiry, the max-entries bound, compaction, a
 * failed commit or compaction failing the store; and td_ticket_expiry().
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "betanet/err.h"
#include "td_replay.h"
#include "td_server.h"
#include "testutil.h"

struct fx {
	char			 dir[64];
	char			 path[128];
	struct event_base	*base;
	int			 results[256];
	int			 ndone;
};

static struct fx F;

static void
setup(void)
{
	memset(&F, 0, sizeof(F));
	snprintf(F.dir, sizeof(F.dir), "/tmp/td_replay_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(F.dir));
	snprintf(F.path, sizeof(F.path), "%s/replay.log", F.dir);
	ck_assert_ptr_nonnull(F.base = event_base_new());
}

static void
teardown(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s.tmp", F.path);
	unlink(p);
	unlink(F.path);
	rmdir(F.dir);
	event_base_free(F.base);
}

static void
done_cb(int res, void *arg)
{
	int *slot = arg;

	*slot = res;
	F.ndone++;
}

/*
 * Run the loop until every insert is answered: the log store commits on
 * its own thread, so done() comes one or more iterations later.
 */
static void
run_loop(struct td_replay *r)
{
	int i;

	event_base_loop(F.base, EVLOOP_NONBLOCK);
	for (i = 0; i < 5000 && td_replay_pending(r) > 0; i++) {
		usleep(1000);
		event_base_loop(F.base, EVLOOP_NONBLOCK);
	}
}

static struct td_replay *
open_log(size_t max)
{
	char err[256];
	struct td_replay *r = td_replay_log_new(F.base, F.path, max, 60000,
	    err, sizeof(err));

	if (r == NULL)
		fprintf(stderr, "open: %s\n", err);
	return r;
}

static void
key_of(uint8_t k[TD_REPLAY_KEY_LEN], unsigned i)
{
	memset(k, 0, TD_REPLAY_KEY_LEN);
	k[0] = (uint8_t)(i >> 8);
	k[1] = (uint8_t)i;
	k[39] = 0xaa;
}

static off_t
fsize(void)
{
	struct stat st;

	ck_assert_int_eq(stat(F.path, &st), 0);
	return st.st_size;
}

START_TEST(insert_then_seen)
{
	struct td_replay *r = open_log(100);
	uint8_t k[TD_REPLAY_KEY_LEN];
	uint64_t now = 1000000;

	ck_assert_ptr_nonnull(r);
	key_of(k, 1);
	ck_assert_int_eq(td_replay_seen(r, k, now), 0);
	ck_assert_int_eq(td_replay_insert(r, k, now + 10, now, done_cb,
	    &F.results[0]), TD_REPLAY_PENDING);
	/* Not answered before the commit runs. */
	ck_assert_int_eq(F.ndone, 0);
	ck_assert_int_eq(td_replay_pending(r), 1);
	/* Held in memory at once: a racing duplicate is already SEEN. */
	ck_assert_int_eq(td_replay_insert(r, k, now + 10, now, done_cb,
	    &F.results[1]), TD_REPLAY_SEEN);
	run_loop(r);
	ck_assert_int_eq(F.ndone, 1);
	ck_assert_int_eq(F.results[0], TD_REPLAY_NEW);
	ck_assert_int_eq(td_replay_seen(r, k, now), 1);
	ck_assert_str_eq(td_replay_backend(r), "log");
	td_replay_free(r);
}
END_TEST

START_TEST(group_commit)
{
	struct td_replay *r = open_log(1000);
	struct td_replay_stats st;
	uint8_t k[TD_REPLAY_KEY_LEN];
	unsigned i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < 200; i++) {
		key_of(k, i);
		ck_assert_int_eq(td_replay_insert(r, k, 2000, 1000, done_cb,
		    &F.results[i % 256]), TD_REPLAY_PENDING);
	}
	run_loop(r);
	ck_assert_int_eq(F.ndone, 200);
	td_replay_get_stats(r, &st);
	ck_assert_uint_eq(st.commits, 1);
	ck_assert_uint_eq(st.records, 200);
	ck_assert_uint_eq(st.entries, 200);
	ck_assert_uint_eq(st.capacity, 1000);
	td_replay_free(r);
}
END_TEST

START_TEST(survives_restart)
{
	struct td_replay *r = open_log(100);
	uint8_t k[TD_REPLAY_KEY_LEN];
	uint64_t now = (uint64_t)time(NULL);

	key_of(k, 7);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[0]), TD_REPLAY_PENDING);
	run_loop(r);
	/* Simulate kill -9: no free, just reopen a second instance. */
	{
		struct td_replay *r2 = open_log(100);

		ck_assert_ptr_nonnull(r2);
		ck_assert_int_eq(td_replay_seen(r2, k, now), 1);
		ck_assert_int_eq(td_replay_insert(r2, k, now + 100, now,
		    done_cb, &F.results[1]), TD_REPLAY_SEEN);
		td_replay_free(r2);
	}
	td_replay_free(r);
}
END_TEST

START_TEST(torn_tail_cut)
{
	struct td_replay *r = open_log(100);
	uint8_t k[TD_REPLAY_KEY_LEN], junk[20];
	uint64_t now = (uint64_t)time(NULL);
	off_t size;
	int fd;

	key_of(k, 3);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[0]), TD_REPLAY_PENDING);
	run_loop(r);
	td_replay_free(r);
	size = fsize();
	ck_assert_int_eq(size, 16 + 48);
	memset(junk, 1, sizeof(junk));	/* a record cut short */
	ck_assert_int_ge(fd = open(F.path, O_WRONLY | O_APPEND), 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	ck_assert_ptr_nonnull(r = open_log(100));
	ck_assert_int_eq(td_replay_seen(r, k, now), 1);
	ck_assert_int_eq(fsize(), size);
	td_replay_free(r);
}
END_TEST

START_TEST(damage_refused)
{
	struct td_replay *r = open_log(100);
	uint8_t k[TD_REPLAY_KEY_LEN], bad = 9;
	uint64_t now = (uint64_t)time(NULL);
	char err[256];
	int fd;

	key_of(k, 3);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[0]), TD_REPLAY_PENDING);
	run_loop(r);
	td_replay_free(r);
	ck_assert_int_ge(fd = open(F.path, O_WRONLY), 0);
	ck_assert_int_eq(pwrite(fd, &bad, 1, 16), 1);	/* version byte */
	close(fd);
	ck_assert_ptr_null(td_replay_log_new(F.base, F.path, 100, 60000, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "damaged record"));
	/* Not a log at all. */
	ck_assert_int_ge(fd = open(F.path, O_WRONLY | O_TRUNC), 0);
	ck_assert_int_eq(write(fd, "hello world, not a log", 22), 22);
	close(fd);
	ck_assert_ptr_null(td_replay_log_new(F.base, F.path, 100, 60000, err,
	    sizeof(err)));
}
END_TEST

START_TEST(expiry_and_bound)
{
	struct td_replay *r = open_log(16);
	struct td_replay_stats st;
	uint8_t k[TD_REPLAY_KEY_LEN];
	uint64_t now = 5000;
	unsigned i;

	for (i = 0; i < 16; i++) {
		key_of(k, i);
		ck_assert_int_eq(td_replay_insert(r, k, now + 10, now, done_cb,
		    &F.results[i]), TD_REPLAY_PENDING);
	}
	run_loop(r);
	/* Full: fail closed rather than grow. */
	key_of(k, 100);
	ck_assert_int_eq(td_replay_insert(r, k, now + 10, now, done_cb,
	    &F.results[100]), TD_REPLAY_FAIL);
	/* Once the old ones expire there is room again... */
	ck_assert_int_eq(td_replay_insert(r, k, now + 30, now + 10, done_cb,
	    &F.results[100]), TD_REPLAY_PENDING);
	/* ...and an expired key may be admitted again. */
	key_of(k, 0);
	ck_assert_int_eq(td_replay_seen(r, k, now + 10), 0);
	ck_assert_int_eq(td_replay_insert(r, k, now + 30, now + 10, done_cb,
	    &F.results[101]), TD_REPLAY_PENDING);
	run_loop(r);
	ck_assert_int_eq(F.results[100], TD_REPLAY_NEW);
	/* The sweep freed what expired: room for 14 more, not 15. */
	for (i = 2; i < 16; i++) {
		key_of(k, 200 + i);
		ck_assert_int_eq(td_replay_insert(r, k, now + 30, now + 10,
		    done_cb, &F.results[i]), TD_REPLAY_PENDING);
	}
	run_loop(r);
	td_replay_get_stats(r, &st);
	ck_assert_uint_eq(st.entries, 16);
	key_of(k, 300);
	ck_assert_int_eq(td_replay_insert(r, k, now + 30, now + 10, done_cb,
	    &F.results[0]), TD_REPLAY_FAIL);
	/* Bad expiries are refused. */
	key_of(k, 999);
	ck_assert_int_eq(td_replay_insert(r, k, now + 10, now + 10, done_cb,
	    &F.results[0]), TD_REPLAY_FAIL);
	td_replay_free(r);
}
END_TEST

START_TEST(compaction)
{
	struct td_replay *r = open_log(1000);
	uint8_t k[TD_REPLAY_KEY_LEN];
	uint64_t now = (uint64_t)time(NULL);
	unsigned i;

	for (i = 0; i < 100; i++) {
		key_of(k, i);
		/* 90 short-lived, 10 long-lived */
		ck_assert_int_eq(td_replay_insert(r, k, now + (i < 90 ? 5 :
		    1000), now, done_cb, &F.results[i]), TD_REPLAY_PENDING);
	}
	run_loop(r);
	ck_assert_int_eq(fsize(), 16 + 100 * 48);
	ck_assert_int_eq(td_replay_compact(r, now + 6), BN_OK);
	ck_assert_int_eq(fsize(), 16 + 10 * 48);
	/* Appends go to the new file. */
	key_of(k, 500);
	ck_assert_int_eq(td_replay_insert(r, k, now + 1000, now, done_cb,
	    &F.results[0]), TD_REPLAY_PENDING);
	run_loop(r);
	ck_assert_int_eq(fsize(), 16 + 11 * 48);
	td_replay_free(r);
	ck_assert_ptr_nonnull(r = open_log(1000));
	ck_assert_int_eq(td_replay_seen(r, k, now), 1);
	key_of(k, 95);
	ck_assert_int_eq(td_replay_seen(r, k, now), 1);
	td_replay_free(r);
}
END_TEST

/*
 * The store's own descriptor for F.path, found through /proc/self/fd:
 * the seam for making its writes fail without a test hook in the code.
 */
static int
log_fd(void)
{
	char real[PATH_MAX], link[300], got[PATH_MAX];
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int fd = -1;

	ck_assert_ptr_nonnull(realpath(F.path, real));
	ck_assert_ptr_nonnull(d = opendir("/proc/self/fd"));
	while ((de = readdir(d)) != NULL) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		if ((n = readlink(link, got, sizeof(got) - 1)) <= 0)
			continue;
		got[n] = '\0';
		if (strcmp(got, real) == 0) {
			ck_assert_int_eq(fd, -1);	/* exactly one */
			fd = atoi(de->d_name);
		}
	}
	closedir(d);
	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(commit_fail_is_final)
{
	struct td_replay *r = open_log(100);
	uint8_t k[TD_REPLAY_KEY_LEN];
	uint64_t now = (uint64_t)time(NULL);
	int fd, saved, full;

	ck_assert_ptr_nonnull(r);
	key_of(k, 1);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[0]), TD_REPLAY_PENDING);
	run_loop(r);
	ck_assert_int_eq(F.results[0], TD_REPLAY_NEW);
	ck_assert_int_eq(fsize(), 16 + 48);
	/* The disk fills up: the next commit's write() fails (ENOSPC). */
	fd = log_fd();
	ck_assert_int_ge(saved = dup(fd), 0);
	ck_assert_int_ge(full = open("/dev/full", O_WRONLY), 0);
	ck_assert_int_eq(dup2(full, fd), fd);
	close(full);
	key_of(k, 2);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[1]), TD_REPLAY_PENDING);
	run_loop(r);
	ck_assert_int_eq(F.ndone, 2);
	ck_assert_int_eq(F.results[1], TD_REPLAY_FAIL);
	/* The disk is back, but the store stays failed until restart... */
	ck_assert_int_eq(dup2(saved, fd), fd);
	close(saved);
	key_of(k, 3);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[2]), TD_REPLAY_FAIL);
	key_of(k, 1);
	ck_assert_int_eq(td_replay_seen(r, k, now), -1);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[2]), TD_REPLAY_FAIL);
	ck_assert_int_eq(td_replay_compact(r, now), BN_ERR_STATE);
	run_loop(r);
	ck_assert_int_eq(F.ndone, 2);
	/* ...and appends nothing more. */
	ck_assert_int_eq(fsize(), 16 + 48);
	td_replay_free(r);
	/* A restart loads what the file holds and works again. */
	ck_assert_ptr_nonnull(r = open_log(100));
	key_of(k, 1);
	ck_assert_int_eq(td_replay_seen(r, k, now), 1);
	key_of(k, 2);
	ck_assert_int_eq(td_replay_seen(r, k, now), 0);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[3]), TD_REPLAY_PENDING);
	run_loop(r);
	ck_assert_int_eq(F.results[3], TD_REPLAY_NEW);
	ck_assert_int_eq(fsize(), 16 + 2 * 48);
	td_replay_free(r);
}
END_TEST

START_TEST(compact_fail_is_final)
{
	struct td_replay *r = open_log(100);
	uint8_t k[TD_REPLAY_KEY_LEN];
	uint64_t now = (uint64_t)time(NULL);
	char tmp[160];

	ck_assert_ptr_nonnull(r);
	key_of(k, 1);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[0]), TD_REPLAY_PENDING);
	run_loop(r);
	ck_assert_int_eq(F.results[0], TD_REPLAY_NEW);
	/* The temp file cannot be made (a directory sits on its name). */
	snprintf(tmp, sizeof(tmp), "%s.tmp", F.path);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	ck_assert_int_eq(td_replay_compact(r, now), BN_ERR_SYSTEM);
	ck_assert_int_eq(rmdir(tmp), 0);
	key_of(k, 2);
	ck_assert_int_eq(td_replay_insert(r, k, now + 100, now, done_cb,
	    &F.results[1]), TD_REPLAY_FAIL);
	ck_assert_int_eq(td_replay_seen(r, k, now), -1);
	ck_assert_int_eq(td_replay_compact(r, now), BN_ERR_STATE);
	ck_assert_int_eq(fsize(), 16 + 48);
	td_replay_free(r);
	ck_assert_int_eq(F.ndone, 1);
	ck_assert_ptr_nonnull(r = open_log(100));
	key_of(k, 1);
	ck_assert_int_eq(td_replay_seen(r, k, now), 1);
	td_replay_free(r);
}
END_TEST

START_TEST(ticket_expiry)
{
	uint64_t h = 500000;

	/* Accepted early in hour h-1: remembered until hour h+1 ends. */
	ck_assert_uint_eq(td_ticket_expiry(h, (h - 1) * 3600),
	    (h + 2) * 3600);
	/* Accepted late in hour h+1: at least two hours. */
	ck_assert_uint_eq(td_ticket_expiry(h, (h + 2) * 3600 - 1),
	    (h + 2) * 3600 - 1 + TD_REPLAY_TTL_S);
}
END_TEST
/* A log image of n records (key_of(i), expiry), optionally torn. */
static uint8_t *
make_image(unsigned n, uint32_t expiry, size_t torn, size_t *len)
{
	uint8_t *img, *rec;
	unsigned i;

	*len = 16 + (size_t)n * 48 + torn;
	ck_assert_ptr_nonnull(img = calloc(1, *len));
	memcpy(img, "BNTDLOG1", 8);
	for (i = 0; i < n; i++) {
		rec = img + 16 + (size_t)i * 48;
		rec[0] = 1;
		rec[4] = (uint8_t)(expiry >> 24);
		rec[5] = (uint8_t)(expiry >> 16);
		rec[6] = (uint8_t)(expiry >> 8);
		rec[7] = (uint8_t)expiry;
		key_of(rec + 8, i);
	}
	memset(img + *len - torn, 1, torn);
	return img;
}

static void
write_file(const uint8_t *p, size_t len)
{
	int fd;

	ck_assert_int_ge(fd = open(F.path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), 0);
	ck_assert_int_eq(write(fd, p, len), (ssize_t)len);
	close(fd);
}

/*
 * The file loader reads in chunks; the buffer parser (what the fuzzer
 * runs) must agree with it across chunk boundaries: a torn tail after
 * 600 records is cut, every record is there.
 */
START_TEST(load_buf_matches_file)
{
	struct td_replay_log_image im;
	uint64_t now = (uint64_t)time(NULL);
	uint8_t k[TD_REPLAY_KEY_LEN], *img;
	struct td_replay *r;
	char err[256];
	size_t len, cut;
	unsigned i;

	img = make_image(600, (uint32_t)now + 1000, 20, &len);
	ck_assert_int_eq(td_replay_log_load_buf(img, len, 1000, now, &im,
	    err, sizeof(err)), BN_OK);
	ck_assert_uint_eq(im.keep, 16 + 600 * 48);
	ck_assert_uint_eq(im.live, 600);
	/*
	 * Every prefix: short of a header is an empty log (a crash while
	 * creating it), else whole records are kept and the rest cut.
	 */
	for (cut = 0; cut <= len; cut++) {
		ck_assert_int_eq(td_replay_log_load_buf(img, cut, 1000, now,
		    &im, err, sizeof(err)), BN_OK);
		ck_assert_uint_eq(im.keep, cut < 16 ? cut :
		    16 + (cut - 16) / 48 * 48);
		ck_assert_uint_eq(im.live, cut < 16 ? 0 : (cut - 16) / 48);
	}
	/* A header that is not ours. */
	img[0] = 'X';
	ck_assert_int_eq(td_replay_log_load_buf(img, len, 1000, now, &im,
	    err, sizeof(err)), BN_ERR_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err, "not a ticketd log"));
	img[0] = 'B';
	ck_assert_int_eq(td_replay_log_load_buf(img, len, 599, now, &im, err,
	    sizeof(err)), BN_ERR_LIMIT);
	ck_assert_int_eq(td_replay_log_load_buf(img, len, 1000,
	    now + 1000, &im, err, sizeof(err)), BN_OK);
	ck_assert_uint_eq(im.live, 0);
	write_file(img, len);
	ck_assert_ptr_nonnull(r = open_log(1000));
	for (i = 0; i < 600; i++) {
		key_of(k, i);
		ck_assert_int_eq(td_replay_seen(r, k, now), 1);
	}
	td_replay_free(r);
	/* Damage past the first chunk stops both. */
	img[16 + 400 * 48 + 2] = 1;
	ck_assert_int_eq(td_replay_log_load_buf(img, len, 1000, now, &im,
	    err, sizeof(err)), BN_ERR_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err, "offset 19216"));
	write_file(img, len);
	ck_assert_ptr_null(td_replay_log_new(F.base, F.path, 1000, 60000, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "damaged record at offset 19216"));
	free(img);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("td_replay");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, insert_then_seen);
	tcase_add_test(tc, group_commit);
	tcase_add_test(tc, survives_restart);
	tcase_add_test(tc, torn_tail_cut);
	tcase_add_test(tc, damage_refused);
	tcase_add_test(tc, expiry_and_bound);
	tcase_add_test(tc, compaction);
	tcase_add_test(tc, commit_fail_is_final);
	tcase_add_test(tc, compact_fail_is_final);
	tcase_add_test(tc, ticket_expiry);
	tcase_add_test(tc, load_buf_matches_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
