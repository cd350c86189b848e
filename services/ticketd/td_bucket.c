/*
 * td_bucket: token buckets (td_bucket.h).
 *
 * Chained hash table plus an LRU list.  Tokens are kept in millionths so
 * integer arithmetic refills exactly: rate tokens/s is rate * 1000 micro-
 * tokens per ms.  The index is a keyed hash (SHA-256 over a per-process
 * random key and the name): client IPs are chosen by clients, and an
 * unkeyed hash would let them pile every name into one chain.
 * Memory: struct bucket is 112 bytes on x86-64 (+ malloc overhead) and
 * one 8-byte head per two buckets, so about 150 bytes per bucket.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "td_bucket.h"

#define MICRO	1000000ULL

struct bucket {
	LIST_ENTRY(bucket)	 chain;
	TAILQ_ENTRY(bucket)	 lru;		/* head: least recently used */
	uint64_t		 tokens;	/* micro-tokens */
	uint64_t		 last_ms;
	uint8_t			 kind;
	uint8_t			 namelen;
	char			 name[TD_BUCKET_NAME_MAX];
};

LIST_HEAD(chain_head, bucket);

struct td_buckets {
	struct chain_head	*heads;
	size_t			 nheads;	/* power of two */
	size_t			 n, max;
	uint64_t		 cap;		/* micro-tokens */
	uint64_t		 per_ms;	/* micro-tokens per ms */
	uint8_t			 seed[16];
	TAILQ_HEAD(, bucket)	 lru;
};

struct td_buckets *
td_buckets_new(uint64_t capacity, uint64_t rate, size_t max_buckets)
{
	struct td_buckets *b;

	if (capacity == 0 || capacity > MICRO || rate == 0 || rate > MICRO ||
	    max_buckets == 0 || max_buckets > ((size_t)1 << 24))
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->nheads = 16;
	while (b->nheads < max_buckets / 2)
		b->nheads <<= 1;
	if ((b->heads = calloc(b->nheads, sizeof(*b->heads))) == NULL ||
	    bn_random(b->seed, sizeof(b->seed)) != BN_OK) {
		free(b->heads);
		free(b);
		return NULL;
	}
	b->max = max_buckets;
	b->cap = capacity * MICRO;
	b->per_ms = rate * (MICRO / 1000);
	TAILQ_INIT(&b->lru);
	return b;
}

void
td_buckets_free(struct td_buckets *b)
{
	struct bucket *k;

	if (b == NULL)
		return;
	while ((k = TAILQ_FIRST(&b->lru)) != NULL) {
		TAILQ_REMOVE(&b->lru, k, lru);
		free(k);
	}
	free(b->heads);
	free(b);
}

size_t
td_buckets_in_use(const struct td_buckets *b)
{
	return b->n;
}

static size_t
slot_of(const struct td_buckets *b, uint8_t kind, const char *name,
    size_t len)
{
	struct bn_iov iov[3];
	uint8_t h[BN_HASH_LEN];

	iov[0] = (struct bn_iov){ b->seed, sizeof(b->seed) };
	iov[1] = (struct bn_iov){ &kind, 1 };
	iov[2] = (struct bn_iov){ name, len };
	if (bn_sha256v(h, iov, 3) != BN_OK)
		return 0;	/* still correct, only slower */
	return (size_t)bn_load_u64(h) & (b->nheads - 1);
}

static void
refill(const struct td_buckets *b, struct bucket *k, uint64_t now_ms)
{
	uint64_t dt, add;

	if (now_ms <= k->last_ms)
		return;
	dt = now_ms - k->last_ms;
	k->last_ms = now_ms;
	/* Saturate: a long idle time must not overflow. */
	if (dt >= b->cap / b->per_ms + 1) {
		k->tokens = b->cap;
		return;
	}
	add = dt * b->per_ms;
	k->tokens = (b->cap - k->tokens < add) ? b->cap : k->tokens + add;
}

static void
evict(struct td_buckets *b, struct bucket *k)
{
	LIST_REMOVE(k, chain);
	TAILQ_REMOVE(&b->lru, k, lru);
	free(k);
	b->n--;
}

static struct bucket *
lookup(struct td_buckets *b, uint8_t kind, const char *name, int create,
    uint64_t now_ms)
{
	struct bucket *k, *old;
	size_t len = strnlen(name, TD_BUCKET_NAME_MAX), s;

	s = slot_of(b, kind, name, len);
	LIST_FOREACH(k, &b->heads[s], chain)
		if (k->kind == kind && k->namelen == len &&
		    memcmp(k->name, name, len) == 0) {
			TAILQ_REMOVE(&b->lru, k, lru);
			TAILQ_INSERT_TAIL(&b->lru, k, lru);
			refill(b, k, now_ms);
			return k;
		}
	if (!create)
		return NULL;
	if (b->n >= b->max) {
		/* Only a bucket that is full again may go. */
		old = TAILQ_FIRST(&b->lru);
		refill(b, old, now_ms);
		if (old->tokens < b->cap)
			return NULL;
		evict(b, old);
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->kind = kind;
	k->namelen = (uint8_t)len;
	memcpy(k->name, name, len);
	k->tokens = b->cap;
	k->last_ms = now_ms;
	LIST_INSERT_HEAD(&b->heads[s], k, chain);
	TAILQ_INSERT_TAIL(&b->lru, k, lru);
	b->n++;
	return k;
}

int
td_buckets_take(struct td_buckets *b, enum td_bucket_kind kind,
    const char *name, uint64_t now_ms)
{
	struct bucket *k;

	if ((k = lookup(b, (uint8_t)kind, name, 1, now_ms)) == NULL)
		return 0;	/* table full of busy buckets: fail closed */
	if (k->tokens < MICRO)
		return 0;
	k->tokens -= MICRO;
	return 1;
}

void
td_buckets_refund(struct td_buckets *b, enum td_bucket_kind kind,
    const char *name, uint64_t now_ms)
{
	struct bucket *k;

	if ((k = lookup(b, (uint8_t)kind, name, 0, now_ms)) == NULL)
		return;
	k->tokens = (b->cap - k->tokens < MICRO) ? b->cap : k->tokens + MICRO;
}

void
td_buckets_sweep(struct td_buckets *b, uint64_t now_ms)
{
	struct bucket *k, *next;

	for (k = TAILQ_FIRST(&b->lru); k != NULL; k = next) {
		next = TAILQ_NEXT(k, lru);
		refill(b, k, now_ms);
		if (k->tokens >= b->cap)
			evict(b, k);
	}
}
