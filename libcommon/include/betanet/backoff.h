/*
 * backoff: capped exponential backoff with full jitter.
 *
 * The delay before retry n (n = 0, 1, ...) is uniform in
 * [0, min(cap, base * 2^n)] ("full jitter"), so many clients that lost
 * the same peer at the same moment do not come back in lockstep.
 *
 * Pure: no clock, no timers, no allocation.  The caller arms its own
 * timer with the delay, and passes the time in where a deadline is
 * wanted.  The random source is injectable so tests are deterministic;
 * the default is bn_random() (OpenSSL).  A struct bn_backoff lives
 * wherever the caller puts it and needs no _free.
 */
#ifndef BETANET_BACKOFF_H
#define BETANET_BACKOFF_H

#include <stdint.h>

/* Returns 32 random bits; arg is the caller's. */
typedef uint32_t (*bn_backoff_rand_fn)(void *arg);

struct bn_backoff {
	uint32_t		 base_ms;	/* first ceiling */
	uint32_t		 cap_ms;	/* ceiling of every delay */
	uint32_t		 attempt;	/* since last reset */
	bn_backoff_rand_fn	 rand;		/* NULL: bn_random() */
	void			*rand_arg;
};

/* base_ms 0 is taken as 1; cap_ms below base_ms is raised to base_ms. */
void	bn_backoff_init(struct bn_backoff *b, uint32_t base_ms,
	    uint32_t cap_ms);
void	bn_backoff_set_rand(struct bn_backoff *b, bn_backoff_rand_fn fn,
	    void *arg);
/* Ceiling of the next delay, without drawing or counting an attempt. */
uint32_t bn_backoff_ceiling_ms(const struct bn_backoff *b);
/* Draw the next delay and count one more attempt. */
uint32_t bn_backoff_next_ms(struct bn_backoff *b);
/* now_ms + bn_backoff_next_ms(), saturating. */
uint64_t bn_backoff_next_deadline(struct bn_backoff *b, uint64_t now_ms);
/* Back to the first delay (after a success). */
void	bn_backoff_reset(struct bn_backoff *b);

#endif /* BETANET_BACKOFF_H */
