/*
 * detcbor: strict deterministic CBOR (see detcbor.h, WIRE.md §7).
 *
 * bn_cbor_check() is the gatekeeper for hostile bytes.  It is iterative:
 * an explicit stack of BN_CBOR_MAX_DEPTH frames holds, per open
 * container, the items still to come and (for maps) where the previous
 * key was, so nesting costs no C stack and every byte is looked at a
 * bounded number of times.  Declared counts and lengths are compared
 * with the bytes that remain before anything else is done with them, so
 * a length of 2^64-1 is simply "more than we have" (BN_ERR_INCOMPLETE).
 *
 * Key order is RFC 8949 §4.2.1 (core deterministic): bytewise
 * lexicographic order of the encoded keys.  Because the head encodes the
 * length, that puts shorter text keys before longer ones
 * ("l2" < "template" < "caps_client").
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/detcbor.h"
#include "betanet/err.h"

#define MAJ_UINT	0
#define MAJ_NINT	1
#define MAJ_BYTES	2
#define MAJ_TEXT	3
#define MAJ_ARRAY	4
#define MAJ_MAP		5
#define MAJ_TAG		6
#define MAJ_SIMPLE	7

#define SIMPLE_FALSE	20
#define SIMPLE_TRUE	21
#define SIMPLE_NULL	22

/* A decoded head: major type and argument. */
struct cbor_head {
	unsigned	 major;
	unsigned	 ai;		/* additional information, 0..31 */
	uint64_t	 arg;
};

/* Minimum value each argument width may carry in shortest form. */
static const uint64_t head_min[4] = { 24, 0x100, 0x10000, 0x100000000ULL };

/*
 * Read one head through b.  Shortest form is enforced here, so the
 * reader is as strict as the checker about heads.
 */
static int
head_get(struct bn_buf *b, struct cbor_head *h)
{
	uint8_t ib, v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = bn_buf_get_u8(b, &ib)) != BN_OK)
		return r;
	h->major = ib >> 5;
	h->ai = ib & 0x1f;
	if (h->major == MAJ_TAG)
		return BN_ERR_CBOR_UNSUPPORTED;
	if (h->major == MAJ_SIMPLE) {
		if (h->ai == 31)
			return BN_ERR_MALFORMED;	/* stray "break" */
		if (h->ai < SIMPLE_FALSE || h->ai > SIMPLE_NULL)
			return BN_ERR_CBOR_UNSUPPORTED;
		return BN_OK;
	}
	if (h->ai < 24) {
		h->arg = h->ai;
		return BN_OK;
	}
	if (h->ai == 31)
		return h->major >= MAJ_BYTES && h->major <= MAJ_MAP ?
		    BN_ERR_CBOR_INDEFINITE : BN_ERR_MALFORMED;
	if (h->ai > 27)
		return BN_ERR_MALFORMED;	/* reserved 28..30 */
	switch (h->ai) {
	case 24:
		r = bn_buf_get_u8(b, &v8);
		v = v8;
		break;
	case 25:
		r = bn_buf_get_u16(b, &v16);
		v = v16;
		break;
	case 26:
		r = bn_buf_get_u32(b, &v32);
		v = v32;
		break;
	default:
		r = bn_buf_get_u64(b, &v);
		break;
	}
	if (r != BN_OK)
		return r;
	if (v < head_min[h->ai - 24])
		return BN_ERR_CBOR_NONCANONICAL;
	h->arg = v;
	return BN_OK;
}

/*
 * UTF-8 validation per Unicode Table 3-7: no overlongs, no surrogates,
 * nothing above U+10FFFF.
 */
static int
utf8_seq_len(const uint8_t *p, size_t left)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return (int)n;
}

static int
utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;
	int n;

	while (i < len) {
		if ((n = utf8_seq_len(p + i, len - i)) == 0)
			return 0;
		i += (size_t)n;
	}
	return 1;
}

/* One open container during bn_cbor_check(). */
struct check_frame {
	uint64_t	 left;		/* items still to come (map: 2n) */
	int		 is_map;
	size_t		 item_start;	/* offset of the current item */
	size_t		 key_off;	/* previous key, if key_len > 0 */
	size_t		 key_len;
};

struct check_state {
	const uint8_t		*p;
	struct bn_buf		 in;
	size_t			 depth;
	struct check_frame	 st[BN_CBOR_MAX_DEPTH];
};

static size_t
check_pos(const struct check_state *s)
{
	return s->in.off;
}

/* Compare encoded keys: bytewise, a proper prefix first. */
static int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c;

	if ((c = memcmp(a, b, alen < blen ? alen : blen)) != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* A map key [item_start, pos) just ended: it must follow the last one. */
static int
check_key_order(struct check_state *s, struct check_frame *f)
{
	size_t len = check_pos(s) - f->item_start;
	int c;

	if (f->key_len > 0) {
		c = key_cmp(s->p + f->key_off, f->key_len,
		    s->p + f->item_start, len);
		if (c == 0)
			return BN_ERR_CBOR_DUPLICATE;
		if (c > 0)
			return BN_ERR_CBOR_UNSORTED;
	}
	f->key_off = f->item_start;
	f->key_len = len;
	return BN_OK;
}

/*
 * An item just ended at the current depth: account for it in its
 * container, closing every container it completes.  *done is set when
 * the outermost item is complete.
 */
static int
check_item_end(struct check_state *s, int *done)
{
	struct check_frame *f;
	int r;

	*done = 0;
	while (s->depth > 0) {
		f = &s->st[s->depth - 1];
		if (f->is_map && f->left % 2 == 0 &&
		    (r = check_key_order(s, f)) != BN_OK)
			return r;
		if (--f->left > 0)
			return BN_OK;
		s->depth--;
	}
	*done = 1;
	return BN_OK;
}

/* Open a container of n entries (pairs for a map). */
static int
check_open(struct check_state *s, const struct cbor_head *h, int *done)
{
	size_t have = bn_buf_len(&s->in);
	struct check_frame *f;
	int is_map = h->major == MAJ_MAP;

	if (s->depth >= BN_CBOR_MAX_DEPTH)
		return BN_ERR_CBOR_DEPTH;
	/* Every item takes at least one byte: compare by division. */
	if (h->arg > (is_map ? have / 2 : have))
		return BN_ERR_INCOMPLETE;
	if (h->arg == 0)
		return check_item_end(s, done);
	f = &s->st[s->depth++];
	memset(f, 0, sizeof(*f));
	f->left = is_map ? h->arg * 2 : h->arg;
	f->is_map = is_map;
	*done = 0;
	return BN_OK;
}

/* Check one item starting at the current position. */
static int
check_one(struct check_state *s, int *done)
{
	struct cbor_head h;
	const uint8_t *q;
	int r;

	if (s->depth > 0)
		s->st[s->depth - 1].item_start = check_pos(s);
	if ((r = head_get(&s->in, &h)) != BN_OK)
		return r;
	switch (h.major) {
	case MAJ_ARRAY:
	case MAJ_MAP:
		return check_open(s, &h, done);
	case MAJ_BYTES:
	case MAJ_TEXT:
		if (h.arg > bn_buf_len(&s->in))
			return BN_ERR_INCOMPLETE;
		if ((r = bn_buf_get_ptr(&s->in, &q, (size_t)h.arg)) != BN_OK)
			return r;
		if (h.major == MAJ_TEXT && !utf8_valid(q, (size_t)h.arg))
			return BN_ERR_ENCODING;
		break;
	default:
		break;
	}
	return check_item_end(s, done);
}

int
bn_cbor_check(const uint8_t *p, size_t len)
{
	struct check_state s;
	int done = 0, r = BN_OK;

	memset(&s, 0, sizeof(s));
	s.p = p;
	bn_buf_view(&s.in, p, len);
	while (!done)
		if ((r = check_one(&s, &done)) != BN_OK)
			return r;
	return bn_buf_len(&s.in) == 0 ? BN_OK : BN_ERR_TRAILING;
}

/* Reader */

void
bn_cbor_reader_init(struct bn_cbor_reader *r, const uint8_t *p, size_t len)
{
	bn_buf_view(&r->in, p, len);
}

static void
item_set_type(struct bn_cbor_item *it, const struct cbor_head *h)
{
	static const enum bn_cbor_type by_major[6] = { BN_CBOR_UINT,
	    BN_CBOR_NINT, BN_CBOR_BYTES, BN_CBOR_TEXT, BN_CBOR_ARRAY,
	    BN_CBOR_MAP };

	if (h->major < 6)
		it->type = by_major[h->major];
	else if (h->ai == SIMPLE_FALSE)
		it->type = BN_CBOR_FALSE;
	else if (h->ai == SIMPLE_TRUE)
		it->type = BN_CBOR_TRUE;
	else
		it->type = BN_CBOR_NULL;
}

int
bn_cbor_next(struct bn_cbor_reader *r, struct bn_cbor_item *it)
{
	struct cbor_head h;
	const uint8_t *raw = bn_buf_ptr(&r->in);
	size_t off = r->in.off;
	int ret;

	memset(it, 0, sizeof(*it));
	if ((ret = head_get(&r->in, &h)) != BN_OK)
		goto fail;
	item_set_type(it, &h);
	it->raw = raw;
	if (h.major == MAJ_BYTES || h.major == MAJ_TEXT) {
		if (h.arg > bn_buf_len(&r->in)) {
			ret = BN_ERR_INCOMPLETE;
			goto fail;
		}
		it->len = (size_t)h.arg;
		if ((ret = bn_buf_get_ptr(&r->in, &it->p, it->len)) != BN_OK)
			goto fail;
	} else if (h.major < MAJ_TAG)
		it->u = h.arg;
	return BN_OK;
 fail:
	/* Leave the reader where it was: no half-consumed item. */
	r->in.off = off;
	memset(it, 0, sizeof(*it));
	return ret;
}

/*
 * Skip `pending` items.  Iterative: a container adds its entries to the
 * count, which can never exceed the bytes left (each item is >= 1 byte).
 */
static int
skip_items(struct bn_cbor_reader *r, uint64_t pending)
{
	struct bn_cbor_item it;
	uint64_t n;
	size_t len;
	int ret;

	while (pending > 0) {
		if ((ret = bn_cbor_next(r, &it)) != BN_OK)
			return ret;
		pending--;
		if (it.type != BN_CBOR_ARRAY && it.type != BN_CBOR_MAP)
			continue;
		len = bn_buf_len(&r->in);
		n = it.u;
		if (it.type == BN_CBOR_MAP) {
			if (n > len / 2)
				return BN_ERR_INCOMPLETE;
			n *= 2;
		}
		if (n > len || pending > len - n)
			return BN_ERR_INCOMPLETE;
		pending += n;
	}
	return BN_OK;
}

int
bn_cbor_skip_contents(struct bn_cbor_reader *r, const struct bn_cbor_item *it)
{
	size_t len = bn_buf_len(&r->in);
	uint64_t n = it->u;

	if (it->type != BN_CBOR_ARRAY && it->type != BN_CBOR_MAP)
		return BN_OK;
	if (it->type == BN_CBOR_MAP) {
		if (n > len / 2)
			return BN_ERR_INCOMPLETE;
		n *= 2;
	}
	if (n > len)
		return BN_ERR_INCOMPLETE;
	return skip_items(r, n);
}

int
bn_cbor_skip(struct bn_cbor_reader *r, const uint8_t **raw, size_t *rawlen)
{
	const uint8_t *start = bn_buf_ptr(&r->in);
	size_t off = r->in.off;
	int ret;

	if (raw != NULL)
		*raw = NULL;
	if (rawlen != NULL)
		*rawlen = 0;
	if ((ret = skip_items(r, 1)) != BN_OK) {
		r->in.off = off;
		return ret;
	}
	if (raw != NULL)
		*raw = start;
	if (rawlen != NULL)
		*rawlen = r->in.off - off;
	return BN_OK;
}

int
bn_cbor_text_eq(const struct bn_cbor_item *it, const char *s)
{
	size_t n = strlen(s);

	return it->type == BN_CBOR_TEXT && it->len == n &&
	    (n == 0 || memcmp(it->p, s, n) == 0);
}

/* Encoding */

static int
put_head(struct bn_buf *b, unsigned major, uint64_t v)
{
	uint8_t t[9];
	size_t n;

	if (v < 24) {
		t[0] = (uint8_t)(major << 5 | v);
		n = 1;
	} else if (v <= 0xff) {
		t[0] = (uint8_t)(major << 5 | 24);
		t[1] = (uint8_t)v;
		n = 2;
	} else if (v <= 0xffff) {
		t[0] = (uint8_t)(major << 5 | 25);
		bn_store_u16(t + 1, (uint16_t)v);
		n = 3;
	} else if (v <= 0xffffffffULL) {
		t[0] = (uint8_t)(major << 5 | 26);
		bn_store_u32(t + 1, (uint32_t)v);
		n = 5;
	} else {
		t[0] = (uint8_t)(major << 5 | 27);
		bn_store_u64(t + 1, v);
		n = 9;
	}
	return bn_buf_put(b, t, n);
}

/* Head and contents in one step, so a failure appends nothing. */
static int
put_string(struct bn_buf *b, unsigned major, const void *p, size_t len)
{
	size_t before = bn_buf_len(b);
	int r;

	if ((r = put_head(b, major, len)) != BN_OK)
		return r;
	if ((r = bn_buf_put(b, p, len)) != BN_OK)
		(void)bn_buf_consume_end(b, bn_buf_len(b) - before);
	return r;
}

int
bn_cbor_put_uint(struct bn_buf *b, uint64_t v)
{
	return put_head(b, MAJ_UINT, v);
}

int
bn_cbor_put_nint(struct bn_buf *b, uint64_t u)
{
	return put_head(b, MAJ_NINT, u);
}

int
bn_cbor_put_bytes(struct bn_buf *b, const void *p, size_t len)
{
	return put_string(b, MAJ_BYTES, p, len);
}

/* Text must be valid UTF-8, or we would emit what we refuse to read. */
int
bn_cbor_put_text(struct bn_buf *b, const char *s, size_t len)
{
	if (len > 0 && !utf8_valid((const uint8_t *)s, len))
		return BN_ERR_ENCODING;
	return put_string(b, MAJ_TEXT, s, len);
}

int
bn_cbor_put_cstr(struct bn_buf *b, const char *s)
{
	return bn_cbor_put_text(b, s, strlen(s));
}

int
bn_cbor_put_array(struct bn_buf *b, uint64_t n)
{
	return put_head(b, MAJ_ARRAY, n);
}

int
bn_cbor_put_map(struct bn_buf *b, uint64_t n)
{
	return put_head(b, MAJ_MAP, n);
}

int
bn_cbor_put_bool(struct bn_buf *b, int v)
{
	return bn_buf_put_u8(b, (uint8_t)(MAJ_SIMPLE << 5 |
	    (v ? SIMPLE_TRUE : SIMPLE_FALSE)));
}

int
bn_cbor_put_null(struct bn_buf *b)
{
	return bn_buf_put_u8(b, MAJ_SIMPLE << 5 | SIMPLE_NULL);
}

/*
 * Map builder.  Pairs are stored back to back in one bounded buffer;
 * entries record offsets (the buffer may move while it grows) and get
 * pointers only in bn_cbor_map_finish(), when it no longer changes.
 */
struct map_entry {
	size_t		 off;
	size_t		 keylen;
	size_t		 vallen;
	const uint8_t	*key;
};

struct bn_cbor_map {
	struct bn_buf		*data;
	struct map_entry	*ent;
	size_t			 n;
	size_t			 cap;
};

struct bn_cbor_map *
bn_cbor_map_new(size_t max_bytes)
{
	struct bn_cbor_map *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->data = bn_buf_new(max_bytes)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
bn_cbor_map_free(struct bn_cbor_map *m)
{
	if (m == NULL)
		return;
	bn_buf_free(m->data);
	free(m->ent);
	free(m);
}

static int
map_grow(struct bn_cbor_map *m)
{
	struct map_entry *e;
	size_t cap;

	if (m->n < m->cap)
		return BN_OK;
	cap = m->cap == 0 ? 8 : m->cap * 2;
	if (cap > SIZE_MAX / sizeof(*e))
		return BN_ERR_ALLOC;
	if ((e = realloc(m->ent, cap * sizeof(*e))) == NULL)
		return BN_ERR_ALLOC;
	m->ent = e;
	m->cap = cap;
	return BN_OK;
}

/* Record the pair that now ends the data buffer; undo it on failure. */
static int
map_commit(struct bn_cbor_map *m, size_t off, size_t keylen, size_t vallen)
{
	int r;

	if ((r = map_grow(m)) != BN_OK) {
		(void)bn_buf_consume_end(m->data, bn_buf_len(m->data) - off);
		return r;
	}
	m->ent[m->n].off = off;
	m->ent[m->n].keylen = keylen;
	m->ent[m->n].vallen = vallen;
	m->ent[m->n].key = NULL;
	m->n++;
	return BN_OK;
}

static int
map_put_value(struct bn_cbor_map *m, size_t off, size_t keylen,
    const uint8_t *val, size_t vallen)
{
	int r;

	if ((r = bn_cbor_check(val, vallen)) != BN_OK ||
	    (r = bn_buf_put(m->data, val, vallen)) != BN_OK) {
		(void)bn_buf_consume_end(m->data, bn_buf_len(m->data) - off);
		return r;
	}
	return map_commit(m, off, keylen, vallen);
}

int
bn_cbor_map_add(struct bn_cbor_map *m, const uint8_t *key, size_t keylen,
    const uint8_t *val, size_t vallen)
{
	size_t off = bn_buf_len(m->data);
	int r;

	if ((r = bn_cbor_check(key, keylen)) != BN_OK ||
	    (r = bn_buf_put(m->data, key, keylen)) != BN_OK)
		return r;
	return map_put_value(m, off, keylen, val, vallen);
}

int
bn_cbor_map_add_text(struct bn_cbor_map *m, const char *key, size_t keylen,
    const uint8_t *val, size_t vallen)
{
	size_t off = bn_buf_len(m->data);
	int r;

	if ((r = bn_cbor_put_text(m->data, key, keylen)) != BN_OK)
		return r;
	return map_put_value(m, off, bn_buf_len(m->data) - off, val, vallen);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;

	return key_cmp(x->key, x->keylen, y->key, y->keylen);
}

int
bn_cbor_map_finish(struct bn_cbor_map *m, struct bn_buf *out)
{
	const uint8_t *base = bn_buf_ptr(m->data);
	size_t before = bn_buf_len(out), i;
	int r;

	for (i = 0; i < m->n; i++)
		m->ent[i].key = base + m->ent[i].off;
	if (m->n > 1)
		qsort(m->ent, m->n, sizeof(*m->ent), entry_cmp);
	for (i = 1; i < m->n; i++)
		if (entry_cmp(&m->ent[i - 1], &m->ent[i]) == 0)
			return BN_ERR_CBOR_DUPLICATE;
	if ((r = bn_cbor_put_map(out, m->n)) != BN_OK)
		return r;
	for (i = 0; i < m->n; i++) {
		if ((r = bn_buf_put(out, m->ent[i].key,
		    m->ent[i].keylen + m->ent[i].vallen)) != BN_OK) {
			(void)bn_buf_consume_end(out, bn_buf_len(out) - before);
			return r;
		}
	}
	return BN_OK;
}
