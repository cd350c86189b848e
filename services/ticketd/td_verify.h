/*
 * td_verify: the X25519 part of ticket verification, off the hot path of
 * the event loop.
 *
 * For: running bn_ticket_parse() + bn_ticket_verify() for queued jobs
 * and handing each job back on the loop's thread.  Two modes, chosen
 * by ticketd.workers:
 *   0   in the loop, in batches of TD_VERIFY_BATCH jobs; between batches
 *       the loop polls its sockets (a zero timer, not event_active, so
 *       libevent runs I/O first), so one busy client adds at most one
 *       batch (~3 ms) of delay to the others;
 *   N   N worker threads take jobs from a queue; finished jobs go back
 *       through a pipe that wakes the loop.
 * bench/ticketd_bench.c measures both; see README.md for the choice.
 *
 * Not for: replay or rate limits (td_server does them on the loop).  A
 * job holds copies of the site private keys: td_verify wipes them
 * before done() runs.  Jobs belong to the caller; submit lends them
 * until done().
 */
#ifndef TD_VERIFY_H
#define TD_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "betanet/ticket.h"
#include "td_keys.h"

#define TD_VERIFY_BATCH		32

struct td_vjob {
	TAILQ_ENTRY(td_vjob)		 entry;
	/* in */
	uint8_t				 payload[BN_TICKET_MAX_LEN];
	size_t				 len;
	struct bn_ticket_site_key	 keys[TD_KEYS_MAX];
	size_t				 nkeys;
	uint64_t			 now;		/* unix seconds */
	/* out */
	int				 result;	/* BN_OK or bn_err */
	struct bn_ticket		 t;
	uint64_t			 hour;
	/* the caller's */
	void				*arg;
};

TAILQ_HEAD(td_vjob_q, td_vjob);

typedef void (*td_verify_done_fn)(struct td_vjob *j, void *arg);

struct event_base;
struct td_verify;

struct td_verify *td_verify_new(struct event_base *base, int nworkers,
	    td_verify_done_fn done, void *arg);
void	td_verify_submit(struct td_verify *v, struct td_vjob *j);
/* Jobs submitted whose done() has not run. */
size_t	td_verify_inflight(const struct td_verify *v);
/* Stops the workers; jobs not finished are dropped without done(). */
void	td_verify_free(struct td_verify *v);

/* The work itself (also used by tests). */
void	td_verify_run(struct td_vjob *j);

#endif /* TD_VERIFY_H */
