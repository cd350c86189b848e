/*
 * backoff: capped exponential backoff with full jitter (see backoff.h).
 *
 * The draw maps 32 random bits onto [0, ceiling] by multiply-and-shift
 * (Lemire) rather than modulo; the bias is at most ceiling / 2^32, far
 * below anything a reconnect schedule can notice, and it never loops,
 * so a fixed test source gives a fixed answer.
 */
#include <stdint.h>

#include "betanet/backoff.h"
#include "betanet/crypto.h"

/* 2^31 ms is 24 days: no ceiling needs more doublings than this. */
#define BN_BACKOFF_MAX_SHIFT	31

void
bn_backoff_init(struct bn_backoff *b, uint32_t base_ms, uint32_t cap_ms)
{
	b->base_ms = base_ms == 0 ? 1 : base_ms;
	b->cap_ms = cap_ms < b->base_ms ? b->base_ms : cap_ms;
	b->attempt = 0;
	b->rand = NULL;
	b->rand_arg = NULL;
}

void
bn_backoff_set_rand(struct bn_backoff *b, bn_backoff_rand_fn fn, void *arg)
{
	b->rand = fn;
	b->rand_arg = arg;
}

uint32_t
bn_backoff_ceiling_ms(const struct bn_backoff *b)
{
	uint64_t c;
	uint32_t shift;

	shift = b->attempt > BN_BACKOFF_MAX_SHIFT ?
	    BN_BACKOFF_MAX_SHIFT : b->attempt;
	c = (uint64_t)b->base_ms << shift;
	return c > b->cap_ms ? b->cap_ms : (uint32_t)c;
}

static uint32_t
backoff_rand(struct bn_backoff *b)
{
	uint32_t r = 0;

	if (b->rand != NULL)
		return b->rand(b->rand_arg);
	/* On a libcrypto failure fall back to the ceiling: r stays 0 -> 0
	 * would retry at once, so use all ones instead. */
	if (bn_random(&r, sizeof(r)) != 0)
		r = UINT32_MAX;
	return r;
}

uint32_t
bn_backoff_next_ms(struct bn_backoff *b)
{
	uint64_t ceil = bn_backoff_ceiling_ms(b);
	uint32_t r = backoff_rand(b);

	if (b->attempt < UINT32_MAX)
		b->attempt++;
	return (uint32_t)(((uint64_t)r * (ceil + 1)) >> 32);
}

uint64_t
bn_backoff_next_deadline(struct bn_backoff *b, uint64_t now_ms)
{
	uint32_t d = bn_backoff_next_ms(b);

	return UINT64_MAX - now_ms < d ? UINT64_MAX : now_ms + d;
}

void
bn_backoff_reset(struct bn_backoff *b)
{
	b->attempt = 0;
}
