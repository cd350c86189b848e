/*
 * td_bucket: token buckets for ticketd's rate limits (WIRE.md §5, §6).
 *
 * For: one bucket per (kind, name) -- client IP for tickets, keyset and
 * peer for vouchers -- each holding up to `capacity` tokens and refilled
 * at `rate` tokens per second.  A bucket that has refilled to capacity is
 * the same as no bucket, so idle buckets are evicted (least recently used
 * first) when room is needed and by td_buckets_sweep().  Memory is
 * bounded by max_buckets (about 160 bytes each, see td_bucket.c); when
 * every bucket is in use and none is full, a new name is refused (fail
 * closed: counted as rate limited) rather than growing the table.
 *
 * Client IPs (TD_BUCKET_IP) are keyed by network: an IPv6 address by
 * its first v6_prefix bits (default /64: one customer's subnet is one
 * client), IPv4 and IPv4-mapped IPv6 by /32; a string that is not an IP
 * literal (inet_pton) counts as the one shared "unknown" client.
 *
 * Not for: time keeping (the caller passes a monotonic now_ms) or
 * threads (single-threaded, the event loop's).  Names longer than
 * TD_BUCKET_NAME_MAX bytes are cut; callers pass IPs, hex ids, peers.
 */
#ifndef TD_BUCKET_H
#define TD_BUCKET_H

#include <stddef.h>
#include <stdint.h>

#define TD_BUCKET_NAME_MAX	64
#define TD_BUCKET_V6_PREFIX_DEFAULT	64
#define TD_BUCKET_V6_PREFIX_MIN		48
#define TD_BUCKET_V6_PREFIX_MAX		128

enum td_bucket_kind {
	TD_BUCKET_IP = 0,
	TD_BUCKET_KEYSET = 1,
	TD_BUCKET_PEER = 2,
};

struct td_buckets;

/* NULL on bad arguments or no memory. */
struct td_buckets *td_buckets_new(uint64_t capacity, uint64_t rate,
	    size_t max_buckets);
void	td_buckets_free(struct td_buckets *b);
/* IPv6 client buckets per /bits (48..128); BN_ERR_INVALID_ARG if not. */
int	td_buckets_set_v6_prefix(struct td_buckets *b, unsigned bits);

/* Take one token: 1 when allowed, 0 when rate limited. */
int	td_buckets_take(struct td_buckets *b, enum td_bucket_kind kind,
	    const char *name, uint64_t now_ms);
/* Give back a token taken for a request that was refused later. */
void	td_buckets_refund(struct td_buckets *b, enum td_bucket_kind kind,
	    const char *name, uint64_t now_ms);
/* Evict every bucket that has refilled to capacity. */
void	td_buckets_sweep(struct td_buckets *b, uint64_t now_ms);
size_t	td_buckets_in_use(const struct td_buckets *b);

#endif /* TD_BUCKET_H */
