/*
 * td_replay: backend dispatch (td_replay.h).
 */
#include <stdlib.h>

#include "betanet/err.h"
#include "td_replay.h"

struct td_replay {
	const struct td_replay_ops	*ops;
	void				*impl;
};

struct td_replay *
td_replay_wrap(const struct td_replay_ops *ops, void *impl)
{
	struct td_replay *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ops->free(impl);
		return NULL;
	}
	r->ops = ops;
	r->impl = impl;
	return r;
}

int
td_replay_insert(struct td_replay *r, const uint8_t key[TD_REPLAY_KEY_LEN],
    uint64_t expiry, uint64_t now, td_replay_done_fn done, void *arg)
{
	return r->ops->insert(r->impl, key, expiry, now, done, arg);
}

int
td_replay_seen(struct td_replay *r, const uint8_t key[TD_REPLAY_KEY_LEN],
    uint64_t now)
{
	return r->ops->seen != NULL ? r->ops->seen(r->impl, key, now) : -1;
}

void
td_replay_get_stats(const struct td_replay *r, struct td_replay_stats *st)
{
	r->ops->stats(r->impl, st);
}

const char *
td_replay_backend(const struct td_replay *r)
{
	return r->ops->name;
}

size_t
td_replay_pending(const struct td_replay *r)
{
	return r->ops->pending(r->impl);
}

int
td_replay_compact(struct td_replay *r, uint64_t now)
{
	return r->ops->compact != NULL ? r->ops->compact(r->impl, now) :
	    BN_ERR_STATE;
}

void
td_replay_free(struct td_replay *r)
{
	if (r == NULL)
		return;
	r->ops->free(r->impl);
	free(r);
}
