/*
 * htx_frame: seal and open HTX frames (see htx_frame.h; WIRE.md §2, §3b).
 *
 * Opening decrypts in place in the caller's receive buffer, so `in` must
 * be writable: a buffer from bn_buf_new() or bn_buf_fixed(), never a
 * bn_buf_view() (BN_ERR_INVALID_ARG).  A failed open must leave the frame
 * intact -- the caller may retry it under another key generation, and
 * compat tries several counters -- but a failed bn_aead_open() wipes its
 * output.  So the ciphertext is saved first and put back after each
 * failed try.  The copy is of public bytes (no wipe needed) and costs one
 * memcpy per frame, a few percent of the cipher.  It lives on the stack
 * (64 KiB: every 1.2 frame fits), because a malloc/free of a 16 KiB block
 * per frame measured a quarter of the throughput; only legacy 1.1 frames
 * over 64 KiB use the heap.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_frame.h"

#define SAVE_STACK	65536	/* >= BN_HTX_FRAME_MAX - BN_HTX_HDR_LEN */
#define HTX11_LEN_MAX	0xffffff

int
bn_htx_dir_set(struct bn_htx_dir *d, const uint8_t key[BN_KEY_LEN],
    const uint8_t nonce_salt[BN_AEAD_NONCE_LEN])
{
	int r;

	if (d->aead == NULL) {
		if ((d->aead = bn_aead_new(key)) == NULL)
			return BN_ERR_ALLOC;
	} else if ((r = bn_aead_set_key(d->aead, key)) != BN_OK)
		return r;
	memcpy(d->nonce_salt, nonce_salt, BN_AEAD_NONCE_LEN);
	d->counter = 0;
	return BN_OK;
}

void
bn_htx_dir_clear(struct bn_htx_dir *d)
{
	bn_aead_free(d->aead);
	bn_cleanse(d, sizeof(*d));
	d->aead = NULL;
}

void
bn_htx_nonce(uint8_t nonce[BN_AEAD_NONCE_LEN],
    const uint8_t salt[BN_AEAD_NONCE_LEN], uint64_t counter)
{
	int i;

	memcpy(nonce, salt, BN_AEAD_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[i] ^= (uint8_t)(counter >> (8 * i));
}

/* ---- shared open logic ---- */

/*
 * Open ct[0..ctlen) (tag included) in place under counters
 * d->counter .. d->counter + skip, restoring the ciphertext after each
 * failed try.  *matched gets the counter that opened.
 */
static int
open_tries(struct bn_htx_dir *d, const uint8_t *ad, size_t adlen,
    uint8_t *ct, size_t ctlen, unsigned skip, uint64_t *matched)
{
	uint8_t nonce[BN_AEAD_NONCE_LEN], stack[SAVE_STACK], *save;
	uint64_t c;
	unsigned i;
	int r = BN_ERR_AUTH;

	if (d->aead == NULL)
		return BN_ERR_STATE;
	if (d->counter == UINT64_MAX)
		return BN_ERR_NONCE_EXHAUSTED;
	if (ctlen <= sizeof(stack))
		save = stack;
	else if ((save = malloc(ctlen)) == NULL)
		return BN_ERR_ALLOC;
	memcpy(save, ct, ctlen);
	for (i = 0; i <= skip; i++) {
		/* Never use counter 2^64-1; never wrap. */
		if (i > UINT64_MAX - 1 - d->counter)
			break;
		c = d->counter + i;
		bn_htx_nonce(nonce, d->nonce_salt, c);
		r = bn_aead_open(d->aead, nonce, ad, adlen, ct, ctlen, ct);
		if (r == BN_OK) {
			*matched = c;
			break;
		}
		memcpy(ct, save, ctlen);
		if (r != BN_ERR_AUTH)
			break;
	}
	if (save != stack)
		free(save);
	return r;
}

/* Writable pointer to the readable bytes of a non-view buffer. */
static uint8_t *
writable(struct bn_buf *in)
{
	if (in->d == NULL)
		return NULL;	/* a view, or nothing written yet */
	return in->d + in->off;
}

/* ---- 1.2 (WIRE.md §2) ---- */

int
bn_htx_frame_seal(struct bn_htx_dir *d, uint8_t type, uint32_t stream_id,
    uint16_t aad, const struct bn_iov *iov, int iovcnt, struct bn_buf *out)
{
	uint8_t nonce[BN_AEAD_NONCE_LEN], *p;
	size_t ptlen = 0, total;
	int i, r;

	if (d->aead == NULL)
		return BN_ERR_STATE;
	if (iovcnt < 0 || (iov == NULL && iovcnt > 0))
		return BN_ERR_INVALID_ARG;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].len > BN_HTX_PAYLOAD_MAX - ptlen)
			return BN_ERR_TOO_LARGE;
		ptlen += iov[i].len;
	}
	if (d->counter == UINT64_MAX)
		return BN_ERR_NONCE_EXHAUSTED;
	total = BN_HTX_OVERHEAD + ptlen;
	if ((r = bn_buf_reserve(out, total, &p)) != BN_OK)
		return r;
	/* Len counts every byte after itself. */
	bn_store_u24(p, (uint32_t)(total - 3));
	p[3] = type;
	bn_store_u32(p + 4, stream_id);
	bn_store_u16(p + 8, aad);
	bn_htx_nonce(nonce, d->nonce_salt, d->counter);
	if ((r = bn_aead_sealv(d->aead, nonce, p, BN_HTX_HDR_LEN, iov, iovcnt,
	    p + BN_HTX_HDR_LEN)) != BN_OK) {
		bn_cleanse(p, total);
		(void)bn_buf_consume_end(out, total);
		return r;
	}
	d->counter++;
	return BN_OK;
}

int
bn_htx_frame_peek(const struct bn_buf *in, size_t *need)
{
	uint32_t len;
	int r;

	*need = 0;
	if ((r = bn_buf_peek_u24(in, 0, &len)) != BN_OK)
		return r;
	if (len < BN_HTX_LEN_MIN || len > BN_HTX_FRAME_MAX - 3)
		return BN_ERR_FRAME_LEN;
	*need = (size_t)len + 3;
	return BN_OK;
}

int
bn_htx_frame_open(struct bn_htx_dir *d, struct bn_buf *in, unsigned skip,
    struct bn_htx_frame *f)
{
	uint64_t matched = 0;
	uint8_t *p;
	size_t need;
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = bn_htx_frame_peek(in, &need)) != BN_OK)
		return r;
	if (bn_buf_len(in) < need)
		return BN_ERR_INCOMPLETE;
	if ((p = writable(in)) == NULL)
		return BN_ERR_INVALID_ARG;
	if ((r = open_tries(d, p, BN_HTX_HDR_LEN, p + BN_HTX_HDR_LEN,
	    need - BN_HTX_HDR_LEN, skip, &matched)) != BN_OK)
		return r;
	f->type = p[3];
	f->stream_id = bn_load_u32(p + 4);
	f->aad = bn_load_u16(p + 8);
	f->payload = p + BN_HTX_HDR_LEN;
	f->len = need - BN_HTX_OVERHEAD;
	d->counter = matched + 1;
	/* Consuming keeps the bytes in the store: f->payload stays valid. */
	return bn_buf_consume(in, need);
}

/* ---- legacy 1.1 (WIRE.md §3b) ---- */

static int
htx11_has_sid(uint8_t type)
{
	return type == BN_HTX11_STREAM || type == BN_HTX11_WINDOW_UPDATE;
}

/*
 * Parse the clear header: Len, Type and the StreamID varint.  *hdr gets
 * the header size (3 + the AEAD associated data), *need the frame size.
 */
static int
htx11_header(const struct bn_buf *in, size_t *hdr, size_t *need,
    uint8_t *type, uint64_t *sid)
{
	struct bn_buf v;
	uint32_t len;
	int r;

	*hdr = *need = 0;
	*type = 0;
	*sid = 0;
	/* A view of what is there: short reads are INCOMPLETE. */
	bn_buf_view(&v, bn_buf_ptr(in), bn_buf_len(in));
	if ((r = bn_buf_get_u24(&v, &len)) != BN_OK ||
	    (r = bn_buf_get_u8(&v, type)) != BN_OK)
		return r;
	/* An unknown type: we cannot tell whether a StreamID follows. */
	if (*type > BN_HTX11_WINDOW_UPDATE)
		return BN_ERR_MALFORMED;
	if (htx11_has_sid(*type) && (r = bn_buf_get_varint(&v, sid)) != BN_OK)
		return r;
	if (*sid > UINT32_MAX)
		return BN_ERR_MALFORMED;
	if (len < BN_AEAD_TAG_LEN)
		return BN_ERR_FRAME_LEN;
	*hdr = bn_buf_len(in) - bn_buf_len(&v);
	*need = *hdr + len;
	return BN_OK;
}

int
bn_htx11_frame_seal(struct bn_htx_dir *d, uint8_t type, uint32_t stream_id,
    const uint8_t *pt, size_t ptlen, struct bn_buf *out)
{
	uint8_t nonce[BN_AEAD_NONCE_LEN], *p;
	size_t hdr, total, vlen;
	struct bn_buf h;
	int r;

	if (d->aead == NULL)
		return BN_ERR_STATE;
	if (type > BN_HTX11_WINDOW_UPDATE || (pt == NULL && ptlen > 0))
		return BN_ERR_INVALID_ARG;
	if (ptlen > HTX11_LEN_MAX - BN_AEAD_TAG_LEN)
		return BN_ERR_TOO_LARGE;
	if (d->counter == UINT64_MAX)
		return BN_ERR_NONCE_EXHAUSTED;
	vlen = htx11_has_sid(type) ? bn_varint_size(stream_id) : 0;
	hdr = 4 + vlen;
	total = hdr + ptlen + BN_AEAD_TAG_LEN;
	if ((r = bn_buf_reserve(out, total, &p)) != BN_OK)
		return r;
	bn_buf_fixed(&h, p, hdr);
	if ((r = bn_buf_put_u24(&h, (uint32_t)(ptlen + BN_AEAD_TAG_LEN))) ||
	    (r = bn_buf_put_u8(&h, type)) ||
	    (vlen > 0 && (r = bn_buf_put_varint(&h, stream_id))))
		goto fail;
	bn_htx_nonce(nonce, d->nonce_salt, d->counter);
	/* Associated data: the header without Len. */
	if ((r = bn_aead_seal(d->aead, nonce, p + 3, hdr - 3, pt, ptlen,
	    p + hdr)) != BN_OK)
		goto fail;
	d->counter++;
	return BN_OK;
 fail:
	bn_cleanse(p, total);
	(void)bn_buf_consume_end(out, total);
	return r;
}

int
bn_htx11_frame_peek(const struct bn_buf *in, size_t *need)
{
	uint64_t sid;
	size_t hdr;
	uint8_t type;

	return htx11_header(in, &hdr, need, &type, &sid);
}

int
bn_htx11_frame_open(struct bn_htx_dir *d, struct bn_buf *in, unsigned skip,
    struct bn_htx_frame *f)
{
	uint64_t matched = 0, sid;
	uint8_t *p, type;
	size_t hdr, need;
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = htx11_header(in, &hdr, &need, &type, &sid)) != BN_OK)
		return r;
	if (bn_buf_len(in) < need)
		return BN_ERR_INCOMPLETE;
	if ((p = writable(in)) == NULL)
		return BN_ERR_INVALID_ARG;
	if ((r = open_tries(d, p + 3, hdr - 3, p + hdr, need - hdr, skip,
	    &matched)) != BN_OK)
		return r;
	f->type = type;
	f->stream_id = (uint32_t)sid;
	f->payload = p + hdr;
	f->len = need - hdr - BN_AEAD_TAG_LEN;
	d->counter = matched + 1;
	return bn_buf_consume(in, need);
}
