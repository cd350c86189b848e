/*
 * td_replay: "seen once" stores for ticketd: the ticket replay window
 * (cli_pub, hour) and the spent-voucher set (WIRE.md §5, §6).
 *
 * For: one operation, insert-if-absent, whose "new" answer is durable
 * before it is reported, so an admission survives kill -9 and restarts.
 * Two backends behind one interface:
 *
 *   log    (td_replay_log.c) a bounded in-memory hash table plus an
 *          fsynced append-only file.  Inserts are batched: a commit
 *          thread does one write() and one fdatasync() per batch (group
 *          commit) while the loop keeps serving; the loop runs the
 *          batch's done() callbacks once it is durable, possibly several
 *          loop passes later.  One batch is in flight at a time, so the
 *          file stays in insert order.  A timer
 *          sweeps expired entries and rewrites the file (temp, fsync,
 *          rename, fsync dir) once it holds twice the live records.
 *          Memory: 48 bytes per slot, next_pow2(2 * max_entries) slots,
 *          allocated up front (zero pages until used); at max_entries
 *          live entries an insert fails (callers refuse: INTERNAL).
 *          A failed commit (write, fdatasync) or compaction fails the
 *          store until restart: pending and later inserts FAIL, seen()
 *          says -1, compaction stops, nothing more is appended.
 *   redis  (td_replay_redis.c) SET key 1 NX PX ttl on a shared Redis
 *          through hiredis' libevent adapter, so several ticketd
 *          processes (hosts) admit each key once.  While Redis is
 *          unreachable every insert fails at once (fail closed) and the
 *          connection is retried with capped backoff.
 *
 * Not for: deciding what a key is (td_server builds keys).  Every call
 * and every done() happens on the event loop's thread; only the log
 * backend's write()+fdatasync() runs on its commit thread, on a batch
 * the loop no longer touches.  done() is called exactly
 * once for every insert that returned TD_REPLAY_PENDING, never from
 * inside td_replay_insert(); td_replay_free() first completes what is
 * pending (log: commits it; redis: fails it).
 */
#ifndef TD_REPLAY_H
#define TD_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#define TD_REPLAY_KEY_LEN	40	/* cli_pub || u64 hour, or H(secret) */

enum td_replay_result {
	TD_REPLAY_NEW = 0,	/* inserted and durable: admit */
	TD_REPLAY_SEEN = 1,	/* already there: refuse */
	TD_REPLAY_FAIL = 2,	/* full, I/O error, backend down: refuse */
	TD_REPLAY_PENDING = 3,	/* answer comes through done() */
};

typedef void (*td_replay_done_fn)(int result, void *arg);

struct td_replay_stats {
	uint64_t	entries;	/* held now (log); 0 for redis */
	uint64_t	capacity;	/* max entries (log); 0 for redis */
	uint64_t	commits;	/* group commits (fdatasyncs) */
	uint64_t	records;	/* records committed */
	uint64_t	compactions;
};

struct event_base;
struct td_replay;

/*
 * Open (or create) the log at path, replaying it: expired records are
 * dropped, a torn last record (kill -9 mid-write) is cut off, then the
 * file is compacted.  NULL with errbuf set on failure.
 */
struct td_replay *td_replay_log_new(struct event_base *base,
	    const char *path, size_t max_entries, uint64_t compact_ms,
	    char *errbuf, size_t errlen);

/*
 * Parse a log image held in memory exactly as td_replay_log_new() parses
 * the file at startup (the same code), into a scratch table of
 * max_entries: img->keep is the length the file would be cut to (a torn
 * last record dropped), img->live the live entries (expiry > now) it
 * holds.  BN_OK; BN_ERR_MALFORMED (bad header, damaged record);
 * BN_ERR_LIMIT (more live entries than max_entries); errbuf says which.
 * For the fuzzer and tests; touches no file.
 */
struct td_replay_log_image {
	size_t		keep;
	size_t		live;
};

int	td_replay_log_load_buf(const uint8_t *p, size_t len,
	    size_t max_entries, uint64_t now, struct td_replay_log_image *img,
	    char *errbuf, size_t errlen);

/*
 * url is redis://HOST:PORT (IPv4/IPv6 literal or name).  prefix starts
 * every key ("bn:t:", "bn:v:").  Connecting starts at once and is
 * retried in the background.
 */
struct td_replay *td_replay_redis_new(struct event_base *base,
	    const char *url, const char *prefix, char *errbuf,
	    size_t errlen);

/*
 * Insert key with an absolute expiry (unix seconds) as of now (unix
 * seconds; an entry whose expiry is <= now counts as absent).  Returns
 * TD_REPLAY_SEEN, TD_REPLAY_FAIL or TD_REPLAY_PENDING (done() follows).
 */
int	td_replay_insert(struct td_replay *r,
	    const uint8_t key[TD_REPLAY_KEY_LEN], uint64_t expiry,
	    uint64_t now, td_replay_done_fn done, void *arg);

/*
 * 1 if key is held and live (log), 0 if not, -1 if unknown (redis, or a
 * log store that failed).
 */
int	td_replay_seen(struct td_replay *r,
	    const uint8_t key[TD_REPLAY_KEY_LEN], uint64_t now);

void	td_replay_get_stats(const struct td_replay *r,
	    struct td_replay_stats *st);
/* "log" or "redis". */
const char *td_replay_backend(const struct td_replay *r);
/* Inserts whose done() has not run yet. */
size_t	td_replay_pending(const struct td_replay *r);
/* Log only: sweep and compact now (tests; the timer does it too). */
int	td_replay_compact(struct td_replay *r, uint64_t now);
void	td_replay_free(struct td_replay *r);

/* Backend table (td_replay.c dispatches through it). */
struct td_replay_ops {
	const char	*name;
	int	(*insert)(void *impl, const uint8_t *key, uint64_t expiry,
		    uint64_t now, td_replay_done_fn done, void *arg);
	int	(*seen)(void *impl, const uint8_t *key, uint64_t now);
	void	(*stats)(const void *impl, struct td_replay_stats *st);
	size_t	(*pending)(const void *impl);
	int	(*compact)(void *impl, uint64_t now);
	void	(*free)(void *impl);
};

struct td_replay *td_replay_wrap(const struct td_replay_ops *ops,
	    void *impl);

#endif /* TD_REPLAY_H */
