/*
 * gw_barstream: incremental BAR response decoder (see gw_barstream.h).
 *
 * Every item but the body passes through the meta buffer: its bytes are
 * copied there until item_end() finds the item whole, then checked and
 * kept as part of the map so far.  The body is never copied: its pieces
 * point into the caller's input, and the map keeps an empty byte string
 * in its place, so that bn_bar_response_decode() can judge the rest.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/bar.h"
#include "betanet/detcbor.h"
#include "betanet/err.h"
#include "gw_barstream.h"

#define BS_META_START	256

int
gw_barstream_init(struct gw_barstream *bs, size_t max_meta)
{
	memset(bs, 0, sizeof(*bs));
	bs->max_meta = max_meta != 0 ? max_meta : GW_BS_META_MAX;
	if (bs->max_meta < 16)
		bs->max_meta = 16;
	bs->st = GW_BS_ST_MAP;
	bn_bar_response_init(&bs->resp, bs->hdr, BN_BAR_MAX_HEADERS);
	return BN_OK;
}

void
gw_barstream_free(struct gw_barstream *bs)
{
	free(bs->meta);
	bs->meta = NULL;
	bs->st = GW_BS_ST_ERROR;
}

uint64_t
gw_barstream_body_len(const struct gw_barstream *bs)
{
	return bs->have_body ? bs->body_len : 0;
}

int
gw_barstream_finish(const struct gw_barstream *bs)
{
	if (bs->st == GW_BS_ST_DONE)
		return BN_OK;
	return bs->st == GW_BS_ST_ERROR ? BN_ERR_MALFORMED :
	    BN_ERR_INCOMPLETE;
}

/*
 * One item head at p: major type, argument, head length.  Rejects what
 * §7 rejects and can be seen from a head alone.
 */
static int
item_head(const uint8_t *p, size_t len, uint8_t *major, uint64_t *arg,
    size_t *hl)
{
	uint8_t ai;
	size_t n, i;
	uint64_t v = 0;

	if (len < 1)
		return BN_ERR_INCOMPLETE;
	*major = p[0] >> 5;
	ai = p[0] & 0x1f;
	if (*major == 6)
		return BN_ERR_CBOR_UNSUPPORTED;		/* tags */
	if (*major == 7)
		return ai >= 20 && ai <= 22 ? (*arg = ai, *hl = 1, BN_OK) :
		    (ai == 31 ? BN_ERR_CBOR_INDEFINITE :
		    BN_ERR_CBOR_UNSUPPORTED);
	if (ai < 24) {
		*arg = ai;
		*hl = 1;
		return BN_OK;
	}
	if (ai == 31)
		return BN_ERR_CBOR_INDEFINITE;
	if (ai > 27)
		return BN_ERR_MALFORMED;
	n = (size_t)1 << (ai - 24);
	if (len < 1 + n)
		return BN_ERR_INCOMPLETE;
	for (i = 0; i < n; i++)
		v = v << 8 | p[1 + i];
	if ((ai == 24 && v < 24) || (ai == 25 && v <= 0xff) ||
	    (ai == 26 && v <= 0xffff) || (ai == 27 && v <= 0xffffffffULL))
		return BN_ERR_CBOR_NONCANONICAL;
	*arg = v;
	*hl = 1 + n;
	return BN_OK;
}

/*
 * Where the one item starting at p ends, or BN_ERR_INCOMPLETE.  Lengths
 * and counts over max are BN_ERR_TOO_LARGE at once (every element takes
 * at least one byte), so nothing here can overflow.
 */
static int
item_end(const uint8_t *p, size_t len, size_t max, size_t *end)
{
	uint64_t pending[BN_CBOR_MAX_DEPTH + 1], arg;
	size_t off = 0, hl;
	uint8_t major;
	int d = 0, r;

	pending[0] = 1;
	for (;;) {
		while (d >= 0 && pending[d] == 0)
			d--;
		if (d < 0) {
			*end = off;
			return BN_OK;
		}
		if ((r = item_head(p + off, len - off, &major, &arg, &hl)) !=
		    BN_OK)
			return r;
		pending[d]--;
		off += hl;
		switch (major) {
		case 2:
		case 3:
			if (arg > max)
				return BN_ERR_TOO_LARGE;
			if (arg > len - off)
				return BN_ERR_INCOMPLETE;
			off += (size_t)arg;
			break;
		case 4:
		case 5:
			if (arg > max)
				return BN_ERR_TOO_LARGE;
			if (arg == 0)
				break;
			if (d + 1 > BN_CBOR_MAX_DEPTH)
				return BN_ERR_CBOR_DEPTH;
			pending[++d] = major == 5 ? arg * 2 : arg;
			break;
		default:
			break;
		}
	}
}

/* Room for n more bytes after metalen + itemlen. */
static int
meta_room(struct gw_barstream *bs, size_t n, size_t *got)
{
	size_t used = bs->metalen + bs->itemlen, want, cap;
	uint8_t *m;

	if (used >= bs->max_meta)
		return BN_ERR_TOO_LARGE;
	if (n > bs->max_meta - used)
		n = bs->max_meta - used;
	want = used + n;
	cap = bs->meta == NULL ? 0 : bs->metacap;
	if (want > cap) {
		cap = cap == 0 ? BS_META_START : cap;
		while (cap < want)
			cap *= 2;
		if (cap > bs->max_meta)
			cap = bs->max_meta;
		if ((m = realloc(bs->meta, cap)) == NULL)
			return BN_ERR_ALLOC;
		bs->meta = m;
		bs->metacap = cap;
	}
	*got = n;
	return BN_OK;
}

/*
 * Copy input into the pending item until it is whole (heads only for the
 * map and the body length).  *took: input bytes used.  BN_OK: the item
 * is meta[metalen, metalen + itemlen).
 */
static int
take_item(struct gw_barstream *bs, const uint8_t *p, size_t len,
    size_t *took, uint8_t *major, uint64_t *arg)
{
	size_t have = bs->itemlen, n, end = 0, hl = 0;
	uint8_t *item;
	int r;

	*took = 0;
	if ((r = meta_room(bs, len, &n)) != BN_OK)
		return r;
	item = bs->meta + bs->metalen;
	memcpy(item + have, p, n);
	if (bs->st == GW_BS_ST_MAP || bs->st == GW_BS_ST_BLEN) {
		r = item_head(item, have + n, major, arg, &hl);
		end = hl;
	} else {
		r = item_head(item, have + n, major, arg, &hl);
		if (r == BN_OK)
			r = item_end(item, have + n, bs->max_meta, &end);
	}
	if (r == BN_ERR_INCOMPLETE) {
		if (n < len || bs->metalen + have + n >= bs->max_meta)
			return BN_ERR_TOO_LARGE;
		bs->itemlen = have + n;
		*took = n;
		return r;
	}
	if (r != BN_OK)
		return r;
	*took = end - have;
	bs->itemlen = end;
	return BN_OK;
}

/* Canonical order: bytewise over the encodings, a prefix first. */
static int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

static int
finalize(struct gw_barstream *bs)
{
	int r;

	bn_bar_response_init(&bs->resp, bs->hdr, BN_BAR_MAX_HEADERS);
	if ((r = bn_bar_response_decode(bs->meta, bs->metalen, &bs->resp)) !=
	    BN_OK)
		return r;
	bs->st = GW_BS_ST_DONE;
	return GW_BS_DONE;
}

/* A value (or the body) ended: next key, or the end of the map. */
static int
next_pair(struct gw_barstream *bs)
{
	bs->pair++;
	if (bs->pair == bs->npairs)
		return finalize(bs);
	bs->st = GW_BS_ST_KEY;
	return GW_BS_MORE;
}

/* A whole pending item: judge it by state. */
static int
on_item(struct gw_barstream *bs, uint8_t major, uint64_t arg)
{
	const uint8_t *item = bs->meta + bs->metalen;
	size_t ilen = bs->itemlen, got;
	int r;

	switch (bs->st) {
	case GW_BS_ST_MAP:
		if (major != 5)
			return BN_ERR_CBOR_TYPE;
		if (arg == 0)
			return BN_ERR_MALFORMED;	/* no "s" */
		if (arg > GW_BS_MAX_PAIRS)
			return BN_ERR_LIMIT;
		bs->npairs = arg;
		bs->metalen += ilen;
		bs->itemlen = 0;
		bs->st = GW_BS_ST_KEY;
		return GW_BS_MORE;
	case GW_BS_ST_KEY:
		if ((r = bn_cbor_check(item, ilen)) != BN_OK)
			return r;
		if (bs->prevkeylen != 0) {
			r = key_cmp(bs->meta + bs->prevkey, bs->prevkeylen,
			    item, ilen);
			if (r == 0)
				return BN_ERR_CBOR_DUPLICATE;
			if (r > 0)
				return BN_ERR_CBOR_UNSORTED;
		}
		bs->prevkey = bs->metalen;
		bs->prevkeylen = ilen;
		bs->metalen += ilen;
		bs->itemlen = 0;
		bs->st = ilen == 2 && item[0] == 0x61 && item[1] == 'b' ?
		    GW_BS_ST_BLEN : GW_BS_ST_VALUE;
		return GW_BS_MORE;
	case GW_BS_ST_VALUE:
		if ((r = bn_cbor_check(item, ilen)) != BN_OK)
			return r;
		bs->metalen += ilen;
		bs->itemlen = 0;
		return next_pair(bs);
	case GW_BS_ST_BLEN:
		if (major != 2)
			return BN_ERR_CBOR_TYPE;
		bs->itemlen = 0;
		/* The map keeps an empty byte string in the body's place. */
		if ((r = meta_room(bs, 1, &got)) != BN_OK)
			return r;
		if (got != 1)
			return BN_ERR_TOO_LARGE;
		bs->meta[bs->metalen++] = 0x40;
		bs->have_body = 1;
		bs->body_len = bs->body_left = arg;
		bs->st = GW_BS_ST_BODY;
		return GW_BS_MORE;
	default:
		return BN_ERR_INTERNAL;
	}
}

static int
fail(struct gw_barstream *bs, int r)
{
	bs->st = GW_BS_ST_ERROR;
	return r;
}

int
gw_barstream_feed(struct gw_barstream *bs, const uint8_t *p, size_t len,
    size_t *used, const uint8_t **body, size_t *blen)
{
	uint8_t major = 0;
	uint64_t arg = 0;
	size_t took, n;
	int r;

	*used = 0;
	*body = NULL;
	*blen = 0;
	if (bs->st == GW_BS_ST_ERROR)
		return BN_ERR_MALFORMED;
	if (bs->st == GW_BS_ST_DONE)
		return len == 0 ? GW_BS_MORE : fail(bs, BN_ERR_TRAILING);
	for (;;) {
		if (bs->st == GW_BS_ST_BODY && bs->body_left == 0) {
			if ((r = next_pair(bs)) < 0)
				return fail(bs, r);
			if (r == GW_BS_DONE)
				return *used == len ? GW_BS_DONE :
				    fail(bs, BN_ERR_TRAILING);
			continue;
		}
		if (*used == len)
			return GW_BS_MORE;
		if (bs->st == GW_BS_ST_BODY) {
			n = len - *used;
			if (n > bs->body_left)
				n = (size_t)bs->body_left;
			*body = p + *used;
			*blen = n;
			*used += n;
			bs->body_left -= n;
			return GW_BS_BODY;
		}
		r = take_item(bs, p + *used, len - *used, &took, &major, &arg);
		*used += took;
		if (r == BN_ERR_INCOMPLETE)
			return GW_BS_MORE;
		if (r != BN_OK)
			return fail(bs, r);
		if ((r = on_item(bs, major, arg)) < 0)
			return fail(bs, r);
		if (r == GW_BS_DONE)
			return *used == len ? GW_BS_DONE :
			    fail(bs, BN_ERR_TRAILING);
	}
}
