/*
 * td_stores: open ticketd's state as the configuration says: the ticket
 * replay store and the spent-voucher store (log files under the state
 * directory, or Redis), and the rate-limit buckets.
 *
 * For: main.c, so that it only wires.  Not for: using them (td_server).
 * The caller owns the struct; td_stores_close() frees what is in it.
 */
#ifndef TD_STORES_H
#define TD_STORES_H

#include <stddef.h>

#include "td_bucket.h"
#include "td_config.h"
#include "td_replay.h"

struct td_stores {
	struct td_replay	*replay;
	struct td_replay	*spent;
	struct td_buckets	*buckets;
};

struct event_base;

/* Makes the state directory (0700) when missing.  One line in errbuf. */
int	td_stores_open(struct td_stores *st, struct event_base *base,
	    const struct td_config *cfg, char *errbuf, size_t errlen);
void	td_stores_close(struct td_stores *st);

#endif /* TD_STORES_H */
