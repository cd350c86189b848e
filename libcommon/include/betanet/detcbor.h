/*
 * detcbor: strict deterministic CBOR (WIRE.md §7).
 *
 * Decoding is two steps.  bn_cbor_check() validates one whole item
 * against every rule of §7 (shortest form, definite lengths, sorted and
 * unique map keys, no floats/tags/other simple values, UTF-8 text, no
 * trailing bytes, depth <= 16) and is the only function that must be
 * safe on hostile input.  Then a struct bn_cbor_reader walks the checked
 * bytes; it still never reads out of bounds (it reads through bn_buf),
 * but reports BN_ERR_MALFORMED rather than a precise rule on bytes that
 * were not checked.
 *
 * Encoding appends to a bn_buf.  The caller emits map entries in
 * canonical order (bytewise order of the encoded keys: shorter text keys
 * first, then lexicographic); struct bn_cbor_map sorts entries for maps
 * whose keys are only known at run time.
 *
 * Pure: no I/O, no globals.  Strings returned by the reader point into
 * the input and stay valid as long as it does.
 */
#ifndef BETANET_DETCBOR_H
#define BETANET_DETCBOR_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/buf.h"

#define BN_CBOR_MAX_DEPTH	16

enum bn_cbor_type {
	BN_CBOR_UINT,		/* major 0 */
	BN_CBOR_NINT,		/* major 1: value is -1 - u */
	BN_CBOR_BYTES,		/* major 2 */
	BN_CBOR_TEXT,		/* major 3 */
	BN_CBOR_ARRAY,		/* major 4: n = element count */
	BN_CBOR_MAP,		/* major 5: n = pair count */
	BN_CBOR_FALSE,
	BN_CBOR_TRUE,
	BN_CBOR_NULL,
};

struct bn_cbor_item {
	enum bn_cbor_type type;
	uint64_t	 u;	/* UINT/NINT value; ARRAY/MAP count */
	const uint8_t	*p;	/* BYTES/TEXT contents (not NUL-terminated) */
	size_t		 len;	/* BYTES/TEXT length */
	const uint8_t	*raw;	/* first byte of the whole item's encoding */
};

/* Validate exactly one item filling [p, p+len).  BN_OK or the rule broken. */
int	bn_cbor_check(const uint8_t *p, size_t len);

struct bn_cbor_reader {
	struct bn_buf	 in;
};

/* Start reading checked bytes. */
void	bn_cbor_reader_init(struct bn_cbor_reader *r, const uint8_t *p,
	    size_t len);
/*
 * Read the next item's head (and, for BYTES/TEXT, its contents).  For an
 * ARRAY or MAP the reader is then positioned at its first element; use
 * bn_cbor_skip() to pass over a whole item instead.
 */
int	bn_cbor_next(struct bn_cbor_reader *r, struct bn_cbor_item *it);
/* Skip the contents of a container whose head was just read by _next. */
int	bn_cbor_skip_contents(struct bn_cbor_reader *r,
	    const struct bn_cbor_item *it);
/* Read and skip one whole item; raw and rawlen give its encoding. */
int	bn_cbor_skip(struct bn_cbor_reader *r, const uint8_t **raw,
	    size_t *rawlen);
/* 1 if a TEXT item equals the NUL-terminated string s. */
int	bn_cbor_text_eq(const struct bn_cbor_item *it, const char *s);

/* Encoding (shortest forms). */
int	bn_cbor_put_uint(struct bn_buf *b, uint64_t v);
/* The negative integer -1 - u (major type 1), as BN_CBOR_NINT reads it. */
int	bn_cbor_put_nint(struct bn_buf *b, uint64_t u);
int	bn_cbor_put_bytes(struct bn_buf *b, const void *p, size_t len);
int	bn_cbor_put_text(struct bn_buf *b, const char *s, size_t len);
int	bn_cbor_put_cstr(struct bn_buf *b, const char *s);
int	bn_cbor_put_array(struct bn_buf *b, uint64_t n);
int	bn_cbor_put_map(struct bn_buf *b, uint64_t n);
int	bn_cbor_put_bool(struct bn_buf *b, int v);
int	bn_cbor_put_null(struct bn_buf *b);

/*
 * Map builder for run-time keys: add encoded key/value pairs in any
 * order, then bn_cbor_map_finish() sorts them, rejects duplicate keys
 * (BN_ERR_CBOR_DUPLICATE) and appends the canonical map to out.
 */
struct bn_cbor_map;
struct bn_cbor_map *bn_cbor_map_new(size_t max_bytes);
void	bn_cbor_map_free(struct bn_cbor_map *m);
/* key and value are each one complete encoded item. */
int	bn_cbor_map_add(struct bn_cbor_map *m, const uint8_t *key,
	    size_t keylen, const uint8_t *val, size_t vallen);
/* Convenience: text key, then value encoded by the caller. */
int	bn_cbor_map_add_text(struct bn_cbor_map *m, const char *key,
	    size_t keylen, const uint8_t *val, size_t vallen);
int	bn_cbor_map_finish(struct bn_cbor_map *m, struct bn_buf *out);

#endif /* BETANET_DETCBOR_H */
