/*
 * buf: bounded byte buffers (see buf.h).
 *
 * Growth doubles the store, capped at max_size; before growing, consumed
 * bytes at the front are compacted away when that frees enough room, so a
 * long-lived stream buffer (feed, consume, feed...) stays at the size of
 * its largest backlog rather than of everything it ever carried.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "betanet/buf.h"
#include "betanet/err.h"

#define BN_BUF_F_VIEW	0x1	/* read-only view of caller memory */
#define BN_BUF_F_FIXED	0x2	/* caller store: never realloc or free */

#define BN_BUF_MIN_ALLOC 256

struct bn_buf *
bn_buf_new(size_t max_size)
{
	struct bn_buf *b;

	if (max_size > BN_BUF_SIZE_MAX)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->max_size = max_size;
	return b;
}

void
bn_buf_free(struct bn_buf *b)
{
	if (b == NULL)
		return;
	if (!(b->flags & (BN_BUF_F_VIEW | BN_BUF_F_FIXED)) && b->d != NULL) {
		OPENSSL_cleanse(b->d, b->alloc);
		free(b->d);
	}
	free(b);
}

void
bn_buf_view(struct bn_buf *b, const void *p, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->cd = p;
	b->size = len;
	b->alloc = len;
	b->max_size = len;
	b->flags = BN_BUF_F_VIEW;
}

void
bn_buf_fixed(struct bn_buf *b, void *p, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->d = p;
	b->cd = p;
	b->alloc = cap;
	b->max_size = cap;
	b->flags = BN_BUF_F_FIXED;
}

size_t
bn_buf_len(const struct bn_buf *b)
{
	return b->size - b->off;
}

const uint8_t *
bn_buf_ptr(const struct bn_buf *b)
{
	return b->cd == NULL ? NULL : b->cd + b->off;
}

size_t
bn_buf_avail(const struct bn_buf *b)
{
	if (b->flags & BN_BUF_F_VIEW)
		return 0;
	return b->max_size - (b->size - b->off);
}

/*
 * Wiping: the whole allocation is wiped on reset and free; consume_end
 * and compaction wipe the bytes they drop, and the first write after the
 * store was read empty wipes it, so consumed secrets do not linger.
 */
void
bn_buf_reset(struct bn_buf *b)
{
	if (!(b->flags & BN_BUF_F_VIEW) && b->d != NULL)
		OPENSSL_cleanse(b->d, b->alloc);
	b->off = b->size = 0;
	if (b->flags & BN_BUF_F_VIEW)
		b->alloc = 0;
}

int
bn_buf_consume(struct bn_buf *b, size_t len)
{
	if (len > b->size - b->off)
		return BN_ERR_INCOMPLETE;
	b->off += len;
	/*
	 * Consumed bytes are neither wiped nor moved here: pointers lent
	 * by _get_ptr (an opened frame's plaintext) stay valid until the
	 * next write, which compacts and wipes them (buf_make_room).
	 */
	return BN_OK;
}

int
bn_buf_consume_end(struct bn_buf *b, size_t len)
{
	if (len > b->size - b->off)
		return BN_ERR_INCOMPLETE;
	b->size -= len;
	if (!(b->flags & BN_BUF_F_VIEW) && b->d != NULL && len > 0)
		OPENSSL_cleanse(b->d + b->size, len);
	return BN_OK;
}

/* Make room for len more bytes at the end; the data may move. */
static int
buf_make_room(struct bn_buf *b, size_t len)
{
	size_t used = b->size - b->off, want;
	uint8_t *nd;

	if (b->flags & BN_BUF_F_VIEW)
		return BN_ERR_NO_SPACE;
	/* Subtraction, never addition: used <= max_size always holds. */
	if (len > b->max_size - used)
		return BN_ERR_NO_SPACE;
	/* An emptied store restarts at 0 (wiping what was read). */
	if (len <= b->alloc - b->size && !(b->off > 0 && used == 0))
		return BN_OK;
	if (b->off > 0 && len <= b->alloc - used) {
		memmove(b->d, b->d + b->off, used);
		/* [used, size) now holds stale copies: wipe them. */
		OPENSSL_cleanse(b->d + used, b->size - used);
		b->off = 0;
		b->size = used;
		return BN_OK;
	}
	if (b->flags & BN_BUF_F_FIXED)
		return BN_ERR_NO_SPACE;	/* cannot happen given max==cap */
	want = b->alloc < BN_BUF_MIN_ALLOC ? BN_BUF_MIN_ALLOC : b->alloc;
	while (want - used < len)
		want = want > BN_BUF_SIZE_MAX / 2 ? BN_BUF_SIZE_MAX : want * 2;
	if (want > b->max_size)
		want = b->max_size;
	if ((nd = malloc(want)) == NULL)
		return BN_ERR_ALLOC;
	if (used > 0)
		memcpy(nd, b->d + b->off, used);
	if (b->d != NULL) {
		OPENSSL_cleanse(b->d, b->alloc);
		free(b->d);
	}
	b->d = nd;
	b->cd = nd;
	b->alloc = want;
	b->off = 0;
	b->size = used;
	return BN_OK;
}

int
bn_buf_reserve(struct bn_buf *b, size_t len, uint8_t **dp)
{
	int r;

	*dp = NULL;
	if ((r = buf_make_room(b, len)) != BN_OK)
		return r;
	*dp = b->d + b->size;
	b->size += len;
	return BN_OK;
}

int
bn_buf_put(struct bn_buf *b, const void *v, size_t len)
{
	uint8_t *p;
	int r;

	if (len == 0)
		return BN_OK;
	if ((r = bn_buf_reserve(b, len, &p)) != BN_OK)
		return r;
	memcpy(p, v, len);
	return BN_OK;
}

int
bn_buf_put_u8(struct bn_buf *b, uint8_t v)
{
	return bn_buf_put(b, &v, 1);
}

int
bn_buf_put_u16(struct bn_buf *b, uint16_t v)
{
	uint8_t t[2];

	bn_store_u16(t, v);
	return bn_buf_put(b, t, sizeof(t));
}

int
bn_buf_put_u24(struct bn_buf *b, uint32_t v)
{
	uint8_t t[3];

	if (v > 0xffffff)
		return BN_ERR_INVALID_ARG;
	bn_store_u24(t, v);
	return bn_buf_put(b, t, sizeof(t));
}

int
bn_buf_put_u32(struct bn_buf *b, uint32_t v)
{
	uint8_t t[4];

	bn_store_u32(t, v);
	return bn_buf_put(b, t, sizeof(t));
}

int
bn_buf_put_u64(struct bn_buf *b, uint64_t v)
{
	uint8_t t[8];

	bn_store_u64(t, v);
	return bn_buf_put(b, t, sizeof(t));
}

size_t
bn_varint_size(uint64_t v)
{
	if (v < (1ULL << 6))
		return 1;
	if (v < (1ULL << 14))
		return 2;
	if (v < (1ULL << 30))
		return 4;
	if (v < (1ULL << 62))
		return 8;
	return 0;
}

int
bn_buf_put_varint(struct bn_buf *b, uint64_t v)
{
	uint8_t t[8];
	size_t n = bn_varint_size(v), i;

	if (n == 0)
		return BN_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	t[0] |= (uint8_t)((n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3) << 6);
	return bn_buf_put(b, t, n);
}

int
bn_buf_get_ptr(struct bn_buf *b, const uint8_t **vp, size_t len)
{
	*vp = NULL;
	if (len > b->size - b->off)
		return BN_ERR_INCOMPLETE;
	*vp = b->cd + b->off;
	b->off += len;
	return BN_OK;
}

int
bn_buf_get(struct bn_buf *b, void *v, size_t len)
{
	const uint8_t *p;
	int r;

	if ((r = bn_buf_get_ptr(b, &p, len)) != BN_OK)
		return r;
	if (v != NULL && len > 0)
		memcpy(v, p, len);
	return BN_OK;
}

int
bn_buf_peek_u8(const struct bn_buf *b, size_t at, uint8_t *v)
{
	*v = 0;
	if (at >= b->size - b->off)
		return BN_ERR_INCOMPLETE;
	*v = b->cd[b->off + at];
	return BN_OK;
}

static int
buf_peek_n(const struct bn_buf *b, size_t at, size_t n, const uint8_t **pp)
{
	size_t have = b->size - b->off;

	*pp = NULL;
	if (at > have || n > have - at)
		return BN_ERR_INCOMPLETE;
	*pp = b->cd + b->off + at;
	return BN_OK;
}

int
bn_buf_peek_u16(const struct bn_buf *b, size_t at, uint16_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = buf_peek_n(b, at, 2, &p)) == BN_OK)
		*v = bn_load_u16(p);
	return r;
}

int
bn_buf_peek_u24(const struct bn_buf *b, size_t at, uint32_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = buf_peek_n(b, at, 3, &p)) == BN_OK)
		*v = bn_load_u24(p);
	return r;
}

int
bn_buf_peek_u32(const struct bn_buf *b, size_t at, uint32_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = buf_peek_n(b, at, 4, &p)) == BN_OK)
		*v = bn_load_u32(p);
	return r;
}

int
bn_buf_get_u8(struct bn_buf *b, uint8_t *v)
{
	return bn_buf_get(b, v, 1);
}

int
bn_buf_get_u16(struct bn_buf *b, uint16_t *v)
{
	int r;

	if ((r = bn_buf_peek_u16(b, 0, v)) == BN_OK)
		b->off += 2;
	return r;
}

int
bn_buf_get_u24(struct bn_buf *b, uint32_t *v)
{
	int r;

	if ((r = bn_buf_peek_u24(b, 0, v)) == BN_OK)
		b->off += 3;
	return r;
}

int
bn_buf_get_u32(struct bn_buf *b, uint32_t *v)
{
	int r;

	if ((r = bn_buf_peek_u32(b, 0, v)) == BN_OK)
		b->off += 4;
	return r;
}

int
bn_buf_get_u64(struct bn_buf *b, uint64_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = buf_peek_n(b, 0, 8, &p)) != BN_OK)
		return r;
	*v = bn_load_u64(p);
	b->off += 8;
	return BN_OK;
}

int
bn_buf_get_varint(struct bn_buf *b, uint64_t *v)
{
	const uint8_t *p;
	size_t n, i;
	uint64_t x;
	int r;

	*v = 0;
	if ((r = buf_peek_n(b, 0, 1, &p)) != BN_OK)
		return r;
	n = (size_t)1 << (p[0] >> 6);
	if ((r = buf_peek_n(b, 0, n, &p)) != BN_OK)
		return r;
	x = p[0] & 0x3f;
	for (i = 1; i < n; i++)
		x = (x << 8) | p[i];
	*v = x;
	b->off += n;
	return BN_OK;
}
