/*
 * td_replay_log: the embedded replay / spent store: a bounded in-memory
 * hash table and an fsynced append-only log (see td_replay.h).
 *
 * File: a 16-byte header "BNTDLOG1" + 8 zero bytes, then 48-byte
 * records: u8 1, u8[3] 0, u32 expiry (unix seconds, big-endian), key(40).
 * kill -9 can only cut the last record short; such a tail belongs to an
 * insert that was never answered "new" (answers wait for fdatasync), so
 * it is cut off at load.  Any other damage stops the load: better no
 * ticketd than one that forgot what it admitted.
 *
 * Commit thread: the loop never waits for the disk.  Inserts append
 * their records and waiters to the pending batch; when no batch is in
 * flight the loop hands the pending one to the commit thread, which
 * write()s and fdatasync()s it and wakes the loop through a pipe; the
 * loop then runs that batch's done() callbacks (so an answer still
 * leaves only after its record is durable) and hands over whatever
 * piled up meanwhile.  One batch in flight at a time keeps the file in
 * insert order.  The thread touches nothing but the batch and l->fd;
 * compaction and free first wait for it and then work on the loop.
 *
 * Failure: after any failed commit (write, fdatasync) or compaction the
 * file is in a state we cannot vouch for -- a torn record at its end, a
 * rename that may not survive a crash, or l->fd on a file that was
 * renamed away -- and appending more would bury the damage (load() cuts
 * only a torn *last* record) or write to a file nobody will read.  So
 * the store fails for good: one error line, every insert still pending
 * and every later one answered TD_REPLAY_FAIL (INTERNAL), seen() says
 * "unknown", until a restart loads what the file really holds.
 *
 * Table: open addressing with linear probing.  Expired entries stay as
 * reusable slots until a sweep, which empties them and re-places the
 * entries after each hole.  The index is SHA-256 over a per-process
 * random seed and the key: anyone holding the site's public key can make
 * valid tickets with chosen cli_pub, so an unkeyed index could be ground
 * into one long probe chain.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/log.h"
#include "td_replay.h"

#define LOG_MAGIC	"BNTDLOG1"
#define LOG_HDR_LEN	16
#define REC_LEN		48
#define REC_VERSION	1

struct slot {
	uint8_t		key[TD_REPLAY_KEY_LEN];
	uint32_t	expiry;		/* 0: empty */
	uint32_t	pad;
};

struct waiter {
	td_replay_done_fn	 done;
	void			*arg;
};

/* Records and their waiters: the pending batch or the one in flight. */
struct batch {
	uint8_t			*buf;
	size_t			 len, cap;
	struct waiter		*w;
	size_t			 nw, capn;
};

struct rlog {
	struct event_base	*base;
	struct event		*commit_ev;
	struct event		*compact_ev;
	struct event		*done_ev;	/* pipefd[0]: batch durable */
	char			 path[512];
	char			 tmp[520];
	char			 dir[512];
	int			 fd;
	struct slot		*t;
	size_t			 nslots;	/* power of two */
	size_t			 used;		/* slots holding a key */
	size_t			 max;
	uint8_t			 seed[16];
	struct batch		 pend;		/* loop only */
	struct batch		 fly;		/* the thread's while busy */
	int			 busy;		/* loop: fly handed over */
	pthread_t		 th;
	int			 th_started;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* loop -> thread */
	pthread_cond_t		 dcv;		/* thread -> loop (waits) */
	int			 job;		/* under mu: fly to commit */
	int			 fin;		/* under mu: fly committed */
	int			 stop;		/* under mu */
	int			 res;		/* under mu: fly's result */
	int			 err;		/* under mu: errno on failure */
	int			 pipefd[2];
	uint64_t		 file_records;
	int			 failed;	/* loop: refuse until restart */
	struct td_replay_stats	 st;
};

static size_t
home_of(const struct rlog *l, const uint8_t *key)
{
	struct bn_iov iov[2];
	uint8_t h[BN_HASH_LEN];

	iov[0] = (struct bn_iov){ l->seed, sizeof(l->seed) };
	iov[1] = (struct bn_iov){ key, TD_REPLAY_KEY_LEN };
	if (bn_sha256v(h, iov, 2) != BN_OK)
		return 0;
	return (size_t)bn_load_u64(h) & (l->nslots - 1);
}

/*
 * Find key.  Returns its slot if held (live or expired) or else the
 * first empty slot; *reuse gets the first expired slot passed on the
 * way (or SIZE_MAX).
 */
static size_t
probe(const struct rlog *l, const uint8_t *key, uint64_t now, size_t *reuse)
{
	size_t i = home_of(l, key), mask = l->nslots - 1;
	const struct slot *s;

	*reuse = SIZE_MAX;
	for (;; i = (i + 1) & mask) {
		s = &l->t[i];
		if (s->expiry == 0)
			return i;
		if (memcmp(s->key, key, TD_REPLAY_KEY_LEN) == 0)
			return i;
		if (s->expiry <= now && *reuse == SIZE_MAX)
			*reuse = i;
	}
}

/* Place an entry known to be absent (used by sweep and load). */
static void
place(struct rlog *l, const uint8_t *key, uint32_t expiry)
{
	size_t i = home_of(l, key), mask = l->nslots - 1;

	while (l->t[i].expiry != 0)
		i = (i + 1) & mask;
	memcpy(l->t[i].key, key, TD_REPLAY_KEY_LEN);
	l->t[i].expiry = expiry;
}

static void
sweep(struct rlog *l, uint64_t now)
{
	size_t i, start = SIZE_MAX, n, mask = l->nslots - 1;
	struct slot tmp;

	for (i = 0; i < l->nslots; i++)
		if (l->t[i].expiry != 0 && l->t[i].expiry <= now) {
			memset(&l->t[i], 0, sizeof(l->t[i]));
			l->used--;
		}
	for (i = 0; i < l->nslots && start == SIZE_MAX; i++)
		if (l->t[i].expiry == 0)
			start = i;
	/* Re-place every entry once, starting after a hole (wrap-safe). */
	for (n = 0, i = (start + 1) & mask; n < l->nslots;
	    n++, i = (i + 1) & mask) {
		if (l->t[i].expiry == 0)
			continue;
		tmp = l->t[i];
		memset(&l->t[i], 0, sizeof(l->t[i]));
		place(l, tmp.key, tmp.expiry);
	}
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
sync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	if (fsync(fd) != 0)
		r = -1;
	close(fd);
	return r;
}

static void
encode_rec(uint8_t rec[REC_LEN], const uint8_t *key, uint32_t expiry)
{
	memset(rec, 0, REC_LEN);
	rec[0] = REC_VERSION;
	bn_store_u32(rec + 4, expiry);
	memcpy(rec + 8, key, TD_REPLAY_KEY_LEN);
}

/* Loop: stop using the file (see the top of this file); logs once. */
static void
store_fail(struct rlog *l, const char *op, int err)
{
	char q[BN_LOG_VALUE_MAX];

	if (l->failed)
		return;
	l->failed = 1;
	bn_log_event(BN_LOG_ERROR, "replay_store_failed", "path=%s op=%s "
	    "errno=%d action=\"refusing inserts until restart\"",
	    bn_log_qstr(q, sizeof(q), l->path), op, err);
}

/* write() and fdatasync() one batch; TD_REPLAY_NEW or _FAIL. */
static int
write_batch(int fd, const struct batch *b, int *err)
{
	if (b->len == 0)
		return TD_REPLAY_NEW;
	if (write_all(fd, b->buf, b->len) != 0 || fdatasync(fd) != 0) {
		*err = errno;
		return TD_REPLAY_FAIL;
	}
	return TD_REPLAY_NEW;
}

/* Loop: b was committed with result res; answer its waiters. */
static void
finish_batch(struct rlog *l, struct batch *b, int res, int err)
{
	struct waiter *w = b->w;
	size_t nw = b->nw, i;

	if (res != TD_REPLAY_NEW)
		store_fail(l, "commit", err);
	else if (b->len > 0) {
		l->file_records += b->len / REC_LEN;
		l->st.records += b->len / REC_LEN;
		l->st.commits++;
	}
	b->len = 0;
	/* Callbacks may insert again (into pend): detach the list first. */
	b->w = NULL;
	b->nw = b->capn = 0;
	for (i = 0; i < nw; i++)
		w[i].done(res, w[i].arg);
	free(w);
}

/* Loop: take the thread's result for the batch in flight. */
static void
collect(struct rlog *l, int block)
{
	int res, err;

	if (!l->busy)
		return;
	pthread_mutex_lock(&l->mu);
	while (block && !l->fin)
		pthread_cond_wait(&l->dcv, &l->mu);
	if (!l->fin) {
		pthread_mutex_unlock(&l->mu);
		return;
	}
	l->fin = 0;
	res = l->res;
	err = l->err;
	pthread_mutex_unlock(&l->mu);
	l->busy = 0;
	finish_batch(l, &l->fly, res, err);
}

/* Loop: hand the pending batch to the thread unless one is in flight. */
static void
kick(struct rlog *l)
{
	struct batch t;
	int res;

	if (l->busy || (l->pend.nw == 0 && l->pend.len == 0))
		return;
	if (l->failed) {		/* never append after a failure */
		finish_batch(l, &l->pend, TD_REPLAY_FAIL, 0);
		return;
	}
	if (!l->th_started) {		/* no thread: commit here */
		t = l->pend;
		l->pend = l->fly;
		l->fly = t;
		/* Two statements: write_batch() sets l->err. */
		res = write_batch(l->fd, &l->fly, &l->err);
		finish_batch(l, &l->fly, res, l->err);
		return;
	}
	t = l->pend;			/* swap: keeps both buffers */
	l->pend = l->fly;
	l->fly = t;
	l->busy = 1;
	pthread_mutex_lock(&l->mu);
	l->job = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/* Loop: no batch in flight and nothing pending: all is on disk. */
static void
commit_all(struct rlog *l)
{
	collect(l, 1);
	while (l->pend.nw > 0 || l->pend.len > 0) {
		kick(l);
		collect(l, 1);
	}
}

static void *
commit_main(void *arg)
{
	struct rlog *l = arg;
	uint8_t one = 1;
	int res, err = 0;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->stop && !l->job)
			pthread_cond_wait(&l->cv, &l->mu);
		if (!l->job)
			break;
		l->job = 0;
		pthread_mutex_unlock(&l->mu);
		res = write_batch(l->fd, &l->fly, &err);
		pthread_mutex_lock(&l->mu);
		l->res = res;
		l->err = err;
		l->fin = 1;
		pthread_cond_signal(&l->dcv);
		while (write(l->pipefd[1], &one, 1) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	kick(arg);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rlog *l = arg;
	uint8_t buf[16];

	while (read(l->pipefd[0], buf, sizeof(buf)) > 0)
		;
	collect(l, 0);
	kick(l);
}

/*
 * Write the live entries to the temp file and rename it over the log.
 * A failure fails the store (store_fail): before the rename the old log
 * would still do, but a disk that cannot take the temp file will not
 * take the next commit either, and after it l->fd may be the old,
 * unlinked file.
 */
static int
rewrite(struct rlog *l)
{
	uint8_t hdr[LOG_HDR_LEN], *buf = NULL;
	size_t i, n = 0, cap = 1024 * REC_LEN, len = 0;
	int fd = -1, r = BN_ERR_SYSTEM, renamed = 0, err;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, LOG_MAGIC, 8);
	if ((buf = malloc(cap)) == NULL)
		return BN_ERR_ALLOC;
	if ((fd = open(l->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || write_all(fd, hdr, sizeof(hdr)) != 0)
		goto out;
	for (i = 0; i < l->nslots; i++) {
		if (l->t[i].expiry == 0)
			continue;
		encode_rec(buf + len, l->t[i].key, l->t[i].expiry);
		len += REC_LEN;
		n++;
		if (len == cap) {
			if (write_all(fd, buf, len) != 0)
				goto out;
			len = 0;
		}
	}
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0 ||
	    close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(l->tmp, l->path) != 0)
		goto out;
	renamed = 1;
	if (sync_dir(l->dir) != 0)
		goto out;
	if (l->fd >= 0)
		close(l->fd);
	if ((l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		goto out;
	l->file_records = n;
	l->st.compactions++;
	r = BN_OK;
 out:
	if (r != BN_OK) {
		err = errno;
		if (fd >= 0)
			close(fd);
		if (!renamed)
			(void)unlink(l->tmp);
		store_fail(l, "compact", err);
		errno = err;
	}
	free(buf);
	return r;
}

static int
log_compact(void *impl, uint64_t now)
{
	struct rlog *l = impl;

	commit_all(l);
	if (l->failed)
		return BN_ERR_STATE;
	sweep(l, now);
	return rewrite(l);
}

static void
compact_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rlog *l = arg;
	uint64_t now = (uint64_t)time(NULL);

	commit_all(l);
	if (l->failed)
		return;
	sweep(l, now);
	/* Rewrite once the file holds about twice what is live. */
	if (l->file_records > 2 * l->used + 1024)
		(void)rewrite(l);
}

static int
log_insert(void *impl, const uint8_t *key, uint64_t expiry, uint64_t now,
    td_replay_done_fn done, void *arg)
{
	struct rlog *l = impl;
	struct batch *b = &l->pend;
	struct slot *s;
	struct waiter *nw;
	size_t i, reuse;

	if (l->failed)
		return TD_REPLAY_FAIL;
	i = probe(l, key, now, &reuse);
	s = &l->t[i];
	if (s->expiry > now)
		return TD_REPLAY_SEEN;
	if (s->expiry == 0 && reuse != SIZE_MAX)
		s = &l->t[reuse];
	if (s->expiry == 0 && l->used >= l->max) {
		sweep(l, now);
		i = probe(l, key, now, &reuse);
		s = &l->t[reuse != SIZE_MAX ? reuse : i];
		if (s->expiry == 0 && l->used >= l->max) {
			bn_log_event(BN_LOG_ERROR, "replay_full", "max=%zu",
			    l->max);
			return TD_REPLAY_FAIL;
		}
	}
	if (expiry > UINT32_MAX || expiry <= now)
		return TD_REPLAY_FAIL;
	if (b->cap - b->len < REC_LEN) {
		size_t cap = b->cap ? b->cap * 2 : 64 * REC_LEN;
		uint8_t *p = realloc(b->buf, cap);

		if (p == NULL)
			return TD_REPLAY_FAIL;
		b->buf = p;
		b->cap = cap;
	}
	if (b->nw == b->capn) {
		size_t cap = b->capn ? b->capn * 2 : 64;

		if ((nw = realloc(b->w, cap * sizeof(*nw))) == NULL)
			return TD_REPLAY_FAIL;
		b->w = nw;
		b->capn = cap;
	}
	if (s->expiry == 0)
		l->used++;
	memcpy(s->key, key, TD_REPLAY_KEY_LEN);
	s->expiry = (uint32_t)expiry;
	encode_rec(b->buf + b->len, key, (uint32_t)expiry);
	b->len += REC_LEN;
	b->w[b->nw++] = (struct waiter){ done, arg };
	if (b->nw == 1)
		event_active(l->commit_ev, EV_TIMEOUT, 0);
	return TD_REPLAY_PENDING;
}

static int
log_seen(void *impl, const uint8_t *key, uint64_t now)
{
	struct rlog *l = impl;
	size_t reuse;

	if (l->failed)
		return -1;	/* the file may not hold what we hold */
	return l->t[probe(l, key, now, &reuse)].expiry > now;
}

static void
log_stats(const void *impl, struct td_replay_stats *st)
{
	const struct rlog *l = impl;

	*st = l->st;
	st->entries = l->used;
	st->capacity = l->max;
}

static size_t
log_pending(const void *impl)
{
	const struct rlog *l = impl;

	return l->pend.nw + (l->busy ? l->fly.nw : 0);
}

static void
log_free(void *impl)
{
	struct rlog *l = impl;

	if (l == NULL)
		return;
	commit_all(l);		/* fails what is pending if the store did */
	if (l->th_started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->th, NULL);
	}
	if (l->commit_ev != NULL)
		event_free(l->commit_ev);
	if (l->compact_ev != NULL)
		event_free(l->compact_ev);
	if (l->done_ev != NULL)
		event_free(l->done_ev);
	if (l->pipefd[0] >= 0)
		close(l->pipefd[0]);
	if (l->pipefd[1] >= 0)
		close(l->pipefd[1]);
	if (l->fd >= 0)
		close(l->fd);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	pthread_cond_destroy(&l->dcv);
	free(l->t);
	free(l->pend.buf);
	free(l->pend.w);
	free(l->fly.buf);
	free(l->fly.w);
	free(l);
}

static const struct td_replay_ops log_ops = {
	.name = "log",
	.insert = log_insert,
	.seen = log_seen,
	.stats = log_stats,
	.pending = log_pending,
	.compact = log_compact,
	.free = log_free,
};

/*
 * Parsing the file, shared by load() and td_replay_log_load_buf() so the
 * fuzzer runs the startup path itself.  load_hdr() checks the header;
 * load_recs() takes the whole records in p (file offset off onwards)
 * into the table.  Both set errbuf on failure.
 */
static int
load_hdr(const struct rlog *l, const uint8_t *p, size_t len, char *errbuf,
    size_t errlen)
{
	if (len < LOG_HDR_LEN || memcmp(p, LOG_MAGIC, 8) != 0) {
		snprintf(errbuf, errlen, "%s: not a ticketd log", l->path);
		return BN_ERR_MALFORMED;
	}
	return BN_OK;
}

static int
load_recs(struct rlog *l, const uint8_t *p, size_t len, uint64_t off,
    uint64_t now, char *errbuf, size_t errlen)
{
	const uint8_t *rec;
	size_t i, reuse;
	uint32_t exp;

	for (; len >= REC_LEN; p += REC_LEN, len -= REC_LEN,
	    off += REC_LEN) {
		rec = p;
		if (rec[0] != REC_VERSION || rec[1] | rec[2] | rec[3]) {
			snprintf(errbuf, errlen, "%s: damaged record at "
			    "offset %llu", l->path, (unsigned long long)off);
			return BN_ERR_MALFORMED;
		}
		if ((exp = bn_load_u32(rec + 4)) <= now)
			continue;
		i = probe(l, rec + 8, now, &reuse);
		if (l->t[i].expiry == 0) {
			if (reuse != SIZE_MAX)
				i = reuse;
			else if (l->used >= l->max) {
				snprintf(errbuf, errlen, "%s: holds more live "
				    "entries than the %zu allowed", l->path,
				    l->max);
				return BN_ERR_LIMIT;
			} else
				l->used++;
			memcpy(l->t[i].key, rec + 8, TD_REPLAY_KEY_LEN);
		}
		if (exp > l->t[i].expiry)
			l->t[i].expiry = exp;
	}
	return BN_OK;
}

/* read() until len bytes or end of file; -1 on error. */
static ssize_t
read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read(fd, p + got, len - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

#define LOAD_CHUNK	(256 * REC_LEN)

/* Read the existing log into the table; cut a torn tail. */
static int
load(struct rlog *l, uint64_t now, char *errbuf, size_t errlen)
{
	uint8_t hdr[LOG_HDR_LEN], *buf = NULL;
	struct stat st;
	ssize_t n;
	size_t whole;
	off_t off;
	int fd, r = BN_ERR_SYSTEM;

	if ((fd = open(l->path, O_RDWR | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return BN_OK;
		snprintf(errbuf, errlen, "%s: cannot open (errno %d)",
		    l->path, errno);
		return BN_ERR_SYSTEM;
	}
	if (fstat(fd, &st) != 0)
		goto out;
	if (st.st_size < LOG_HDR_LEN) {
		r = BN_OK;	/* crashed while creating: nothing admitted */
		goto out;
	}
	n = read_full(fd, hdr, sizeof(hdr));
	if ((r = load_hdr(l, hdr, n < 0 ? 0 : (size_t)n, errbuf,
	    errlen)) != BN_OK)
		goto out;
	r = BN_ERR_SYSTEM;
	if ((buf = malloc(LOAD_CHUNK)) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	/* A chunk short of LOAD_CHUNK is the end of the file. */
	for (off = LOG_HDR_LEN;; off += (off_t)whole) {
		if ((n = read_full(fd, buf, LOAD_CHUNK)) < 0)
			goto out;
		whole = (size_t)n - (size_t)n % REC_LEN;
		if ((r = load_recs(l, buf, whole, (uint64_t)off, now, errbuf,
		    errlen)) != BN_OK)
			goto out;
		r = BN_ERR_SYSTEM;
		if (n < LOAD_CHUNK)
			break;
	}
	n -= (ssize_t)whole;
	if (n > 0) {
		off += (off_t)whole;
		bn_log_event(BN_LOG_WARN, "replay_torn_tail", "bytes=%zd", n);
		if (ftruncate(fd, off) != 0)
			goto out;
	}
	r = BN_OK;
 out:
	if (r == BN_ERR_SYSTEM)
		snprintf(errbuf, errlen, "%s: read failed (errno %d)",
		    l->path, errno);
	free(buf);
	close(fd);
	return r;
}

int
td_replay_log_load_buf(const uint8_t *p, size_t len, size_t max_entries,
    uint64_t now, struct td_replay_log_image *img, char *errbuf,
    size_t errlen)
{
	struct rlog l;
	size_t whole;
	int r;

	memset(img, 0, sizeof(*img));
	if (max_entries == 0 || max_entries > ((size_t)1 << 26)) {
		snprintf(errbuf, errlen, "replay: bad max_entries");
		return BN_ERR_INVALID_ARG;
	}
	memset(&l, 0, sizeof(l));
	snprintf(l.path, sizeof(l.path), "(image)");
	l.max = max_entries;
	for (l.nslots = 16; l.nslots < 2 * max_entries; l.nslots <<= 1)
		;
	if ((l.t = calloc(l.nslots, sizeof(*l.t))) == NULL)
		return BN_ERR_ALLOC;
	if (len < LOG_HDR_LEN) {
		img->keep = len;	/* as load(): nothing admitted */
		r = BN_OK;
		goto out;
	}
	if ((r = load_hdr(&l, p, len, errbuf, errlen)) != BN_OK)
		goto out;
	whole = (len - LOG_HDR_LEN) - (len - LOG_HDR_LEN) % REC_LEN;
	if ((r = load_recs(&l, p + LOG_HDR_LEN, whole, LOG_HDR_LEN, now,
	    errbuf, errlen)) != BN_OK)
		goto out;
	img->keep = LOG_HDR_LEN + whole;
	img->live = l.used;
 out:
	free(l.t);
	return r;
}

struct td_replay *
td_replay_log_new(struct event_base *base, const char *path,
    size_t max_entries, uint64_t compact_ms, char *errbuf, size_t errlen)
{
	struct rlog *l;
	struct timeval tv;
	char *slash;

	if (max_entries == 0 || max_entries > ((size_t)1 << 26)) {
		snprintf(errbuf, errlen, "replay: bad max_entries");
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(errbuf, errlen, "replay: out of memory");
		return NULL;
	}
	l->fd = -1;
	l->pipefd[0] = l->pipefd[1] = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	pthread_cond_init(&l->dcv, NULL);
	l->base = base;
	l->max = max_entries;
	for (l->nslots = 16; l->nslots < 2 * max_entries; l->nslots <<= 1)
		;
	if (snprintf(l->path, sizeof(l->path), "%s", path) >=
	    (int)sizeof(l->path)) {
		snprintf(errbuf, errlen, "%s: path too long", path);
		goto fail;
	}
	snprintf(l->tmp, sizeof(l->tmp), "%s.tmp", l->path);
	snprintf(l->dir, sizeof(l->dir), "%s", l->path);
	if ((slash = strrchr(l->dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(l->dir, sizeof(l->dir), ".");
	if ((l->t = calloc(l->nslots, sizeof(*l->t))) == NULL ||
	    bn_random(l->seed, sizeof(l->seed)) != BN_OK ||
	    (l->commit_ev = event_new(base, -1, 0, commit_cb, l)) == NULL ||
	    (l->compact_ev = event_new(base, -1, EV_PERSIST, compact_cb,
	    l)) == NULL)
		goto nomem;
	if (load(l, (uint64_t)time(NULL), errbuf, errlen) != BN_OK)
		goto fail;
	if (rewrite(l) != BN_OK) {
		snprintf(errbuf, errlen, "%s: cannot write (errno %d)",
		    l->path, errno);
		goto fail;
	}
	if (pipe(l->pipefd) != 0 ||
	    fcntl(l->pipefd[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(l->pipefd[1], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(l->pipefd[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(l->pipefd[1], F_SETFD, FD_CLOEXEC) != 0 ||
	    (l->done_ev = event_new(base, l->pipefd[0], EV_READ | EV_PERSIST,
	    done_cb, l)) == NULL || event_add(l->done_ev, NULL) != 0 ||
	    pthread_create(&l->th, NULL, commit_main, l) != 0) {
		snprintf(errbuf, errlen, "replay: commit thread (errno %d)",
		    errno);
		goto fail;
	}
	l->th_started = 1;
	tv.tv_sec = (time_t)(compact_ms / 1000);
	tv.tv_usec = (suseconds_t)(compact_ms % 1000) * 1000;
	event_add(l->compact_ev, &tv);
	return td_replay_wrap(&log_ops, l);
 nomem:
	snprintf(errbuf, errlen, "replay: out of memory");
 fail:
	log_free(l);
	return NULL;
}
