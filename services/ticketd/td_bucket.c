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
 *
 * Client IPs are keyed by network, not by spelling: a client holds a
 * whole IPv6 /64 (or more), and a bucket per address would give it 2^64
 * fresh buckets -- and would let it crowd everyone else out of the
 * table.  So the name of an IP bucket is a family byte and the address
 * cut to its prefix (IPv6: v6_prefix bits, IPv4 and IPv4-mapped IPv6:
 * /32), in binary.  What inet_pton cannot read is one shared "unknown"
 * bucket rather than a bucket per string.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "td_bucket.h"

#define MICRO	1000000ULL
#define IP_UNKNOWN	'?'	/* family bytes of an IP bucket's name */
#define IP_V4		'4'
#define IP_V6		'6'

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
	unsigned		 v6_prefix;	/* bits of an IPv6 key */
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
	b->v6_prefix = TD_BUCKET_V6_PREFIX_DEFAULT;
	TAILQ_INIT(&b->lru);
	return b;
}

int
td_buckets_set_v6_prefix(struct td_buckets *b, unsigned bits)
{
	if (bits < TD_BUCKET_V6_PREFIX_MIN || bits > TD_BUCKET_V6_PREFIX_MAX)
		return BN_ERR_INVALID_ARG;
	b->v6_prefix = bits;
	return BN_OK;
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
slot_of(const struct td_buckets *b, uint8_t kind, const uint8_t *name,
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

/* An IP bucket's name (see the top of this file) into out; its length. */
static size_t
ip_name(const struct td_buckets *b, const char *ip, uint8_t *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	struct in6_addr a6;
	struct in_addr a4;
	unsigned i, bits;
	uint8_t mask;

	if (inet_pton(AF_INET, ip, &a4) == 1) {
		out[0] = IP_V4;
		memcpy(out + 1, &a4, 4);
		return 5;
	}
	if (inet_pton(AF_INET6, ip, &a6) != 1) {
		out[0] = IP_UNKNOWN;
		return 1;
	}
	if (memcmp(a6.s6_addr, mapped, sizeof(mapped)) == 0) {
		out[0] = IP_V4;		/* ::ffff:a.b.c.d is a.b.c.d */
		memcpy(out + 1, a6.s6_addr + 12, 4);
		return 5;
	}
	out[0] = IP_V6;
	for (i = 0; i < 16; i++) {
		bits = b->v6_prefix > 8 * i ? b->v6_prefix - 8 * i : 0;
		mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
		out[1 + i] = a6.s6_addr[i] & mask;
	}
	return 17;
}

/* The name a (kind, name) bucket is kept under, into out; its length. */
static size_t
key_of(const struct td_buckets *b, uint8_t kind, const char *name,
    uint8_t out[TD_BUCKET_NAME_MAX])
{
	size_t len;

	if (kind == TD_BUCKET_IP)
		return ip_name(b, name, out);
	len = strnlen(name, TD_BUCKET_NAME_MAX);
	memcpy(out, name, len);
	return len;
}

static struct bucket *
lookup(struct td_buckets *b, uint8_t kind, const char *text, int create,
    uint64_t now_ms)
{
	struct bucket *k, *old;
	uint8_t name[TD_BUCKET_NAME_MAX];
	size_t len = key_of(b, kind, text, name), s;

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
