/*
 * td_stores: ticketd's stores, opened from the configuration
 * (td_stores.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "betanet/err.h"
#include "td_stores.h"

static struct td_replay *
open_log(struct event_base *base, const struct td_config *cfg,
    const char *name, size_t max, char *errbuf, size_t errlen)
{
	char path[512];

	if (snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, name) >=
	    (int)sizeof(path)) {
		snprintf(errbuf, errlen, "%s: path too long", cfg->state_dir);
		return NULL;
	}
	return td_replay_log_new(base, path, max, cfg->compact_interval,
	    errbuf, errlen);
}

int
td_stores_open(struct td_stores *st, struct event_base *base,
    const struct td_config *cfg, char *errbuf, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	if (cfg->replay_backend == TD_BACKEND_REDIS) {
		st->replay = td_replay_redis_new(base, cfg->replay_url,
		    "bn:t:", errbuf, errlen);
		if (st->replay != NULL)
			st->spent = td_replay_redis_new(base, cfg->replay_url,
			    "bn:v:", errbuf, errlen);
	} else {
		if (mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST) {
			snprintf(errbuf, errlen, "%s: cannot make (errno %d)",
			    cfg->state_dir, errno);
			return BN_ERR_SYSTEM;
		}
		st->replay = open_log(base, cfg, "replay.log",
		    (size_t)cfg->replay_max_entries, errbuf, errlen);
		if (st->replay != NULL)
			st->spent = open_log(base, cfg, "spent.log",
			    (size_t)cfg->spent_max_entries, errbuf, errlen);
	}
	if (st->replay == NULL || st->spent == NULL)
		goto fail;
	if ((st->buckets = td_buckets_new((uint64_t)cfg->bucket_capacity,
	    (uint64_t)cfg->bucket_rate, (size_t)cfg->max_buckets)) == NULL) {
		snprintf(errbuf, errlen, "buckets: out of memory");
		goto fail;
	}
	if (td_buckets_set_v6_prefix(st->buckets,
	    (unsigned)cfg->ipv6_bucket_prefix) != BN_OK) {
		snprintf(errbuf, errlen, "ticketd.ipv6_bucket_prefix: must be "
		    "%d..%d", TD_BUCKET_V6_PREFIX_MIN, TD_BUCKET_V6_PREFIX_MAX);
		goto fail;
	}
	return BN_OK;
 fail:
	td_stores_close(st);
	return BN_ERR_SYSTEM;
}

void
td_stores_close(struct td_stores *st)
{
	td_replay_free(st->replay);
	td_replay_free(st->spent);
	td_buckets_free(st->buckets);
	memset(st, 0, sizeof(*st));
}
