/*
 * buf: bounded byte buffers, the only way parsers read untrusted input.
 *
 * Modelled on OpenSSH's sshbuf.  A buffer holds bytes [off, size) of a
 * store; reads consume from off, writes append at size.  Every buffer has
 * a max_size fixed when it is made: a write past it fails with
 * BN_ERR_NO_SPACE and a read past the data fails with BN_ERR_INCOMPLETE,
 * leaving the buffer unchanged.  Integers are big-endian; varints are
 * QUIC's (RFC 9000 §16, shortest form not required on read).
 *
 * Three kinds of buffer:
 *   bn_buf_new(max)           owns a heap store that grows up to max;
 *   bn_buf_view(b, p, len)    read-only view of caller bytes (no alloc);
 *   bn_buf_fixed(b, p, cap)   writes into a caller array of cap bytes.
 * Views and fixed buffers live wherever the caller puts the struct and
 * need no _free.  bn_buf_free() wipes the store before freeing it, so a
 * buffer may hold secrets.
 *
 * Pointers lent out (bn_buf_ptr, bn_buf_reserve, bn_buf_get_ptr) are valid
 * until the next call that modifies the buffer.
 */
#ifndef BETANET_BUF_H
#define BETANET_BUF_H

#include <stddef.h>
#include <stdint.h>

struct bn_buf {
	uint8_t		*d;		/* store; NULL until first write */
	const uint8_t	*cd;		/* read pointer base (== d unless view) */
	size_t		 off;		/* read position */
	size_t		 size;		/* end of data */
	size_t		 alloc;		/* bytes allocated at d */
	size_t		 max_size;	/* hard bound on size - off + ... */
	unsigned	 flags;		/* BN_BUF_F_* (private) */
};

/* Largest max_size any buffer may have (fits a u32 length and then some). */
#define BN_BUF_SIZE_MAX	((size_t)1 << 30)

struct bn_buf *bn_buf_new(size_t max_size);
void	bn_buf_free(struct bn_buf *b);
void	bn_buf_view(struct bn_buf *b, const void *p, size_t len);
void	bn_buf_fixed(struct bn_buf *b, void *p, size_t cap);

/* Bytes available to read, and a pointer to them. */
size_t	bn_buf_len(const struct bn_buf *b);
const uint8_t *bn_buf_ptr(const struct bn_buf *b);
/* Room left for writing before max_size. */
size_t	bn_buf_avail(const struct bn_buf *b);

/* Drop everything (wiping the whole store); the store is kept for reuse. */
void	bn_buf_reset(struct bn_buf *b);
/*
 * Skip len readable bytes / drop len bytes from the end.  On a writable
 * buffer dropped bytes are wiped: consume_end wipes the tail at once;
 * consumed bytes stay in place (they may still be lent out) until the
 * next write, which compacts and wipes them, or reset or free.
 */
int	bn_buf_consume(struct bn_buf *b, size_t len);
int	bn_buf_consume_end(struct bn_buf *b, size_t len);

/* Append len bytes of room, returning where to write them. */
int	bn_buf_reserve(struct bn_buf *b, size_t len, uint8_t **dp);

int	bn_buf_put(struct bn_buf *b, const void *v, size_t len);
int	bn_buf_put_u8(struct bn_buf *b, uint8_t v);
int	bn_buf_put_u16(struct bn_buf *b, uint16_t v);
int	bn_buf_put_u24(struct bn_buf *b, uint32_t v);
int	bn_buf_put_u32(struct bn_buf *b, uint32_t v);
int	bn_buf_put_u64(struct bn_buf *b, uint64_t v);
/* QUIC varint, shortest form; v must be < 2^62. */
int	bn_buf_put_varint(struct bn_buf *b, uint64_t v);

/* Copy len bytes out (v may be NULL to skip them). */
int	bn_buf_get(struct bn_buf *b, void *v, size_t len);
/* Lend len bytes in place and consume them. */
int	bn_buf_get_ptr(struct bn_buf *b, const uint8_t **vp, size_t len);
int	bn_buf_get_u8(struct bn_buf *b, uint8_t *v);
int	bn_buf_get_u16(struct bn_buf *b, uint16_t *v);
int	bn_buf_get_u24(struct bn_buf *b, uint32_t *v);
int	bn_buf_get_u32(struct bn_buf *b, uint32_t *v);
int	bn_buf_get_u64(struct bn_buf *b, uint64_t *v);
int	bn_buf_get_varint(struct bn_buf *b, uint64_t *v);

/* Read without consuming, at offset `at` from the read position. */
int	bn_buf_peek_u8(const struct bn_buf *b, size_t at, uint8_t *v);
int	bn_buf_peek_u16(const struct bn_buf *b, size_t at, uint16_t *v);
int	bn_buf_peek_u24(const struct bn_buf *b, size_t at, uint32_t *v);
int	bn_buf_peek_u32(const struct bn_buf *b, size_t at, uint32_t *v);

/* Encoded size of a QUIC varint (1, 2, 4 or 8); 0 if v >= 2^62. */
size_t	bn_varint_size(uint64_t v);

/* Plain big-endian helpers for fixed headers already bounds-checked. */
static inline uint16_t bn_load_u16(const uint8_t *p)
{ return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t bn_load_u24(const uint8_t *p)
{ return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }
static inline uint32_t bn_load_u32(const uint8_t *p)
{ return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
    ((uint32_t)p[2] << 8) | p[3]; }
static inline uint64_t bn_load_u64(const uint8_t *p)
{ return ((uint64_t)bn_load_u32(p) << 32) | bn_load_u32(p + 4); }
static inline void bn_store_u16(uint8_t *p, uint16_t v)
{ p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void bn_store_u24(uint8_t *p, uint32_t v)
{ p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v; }
static inline void bn_store_u32(uint8_t *p, uint32_t v)
{ p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static inline void bn_store_u64(uint8_t *p, uint64_t v)
{ bn_store_u32(p, (uint32_t)(v >> 32)); bn_store_u32(p + 4, (uint32_t)v); }

#endif /* BETANET_BUF_H */
