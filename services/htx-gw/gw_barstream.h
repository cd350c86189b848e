/*
 * gw_barstream: incremental decoder of one BAR response (WIRE.md §7, §8)
 * as it arrives on an HTX stream, for the gateway's client side.
 *
 * For: handing out the bytes of the "b" field as they arrive, without
 * ever holding the body, while holding the rest of the map (s, h, any
 * tolerated unknown key) in a small bounded buffer.  Deterministic CBOR
 * sorts "b" < "h" < "s", so the body comes FIRST and the status LAST:
 * the caller learns the status only at GW_BS_DONE and must keep (spool)
 * the body pieces until then (gw_backend_htx does, bounded).
 * Not for: requests, or the compat text form (no framing there).
 *
 * Strict, as libcommon's whole-message decoder: the map head and the
 * "b" length must be shortest form and definite, keys strictly
 * increasing in canonical order (so no duplicates), every other value
 * one complete item passing bn_cbor_check(), no byte after the map.  At
 * GW_BS_DONE the map with "b" replaced by an empty byte string goes
 * through bn_bar_response_decode(), so s and h obey exactly bar.c's
 * rules (status 100..599, lower-case header names, ...).
 *
 * Ownership: the caller owns the struct; gw_barstream_free() releases
 * the meta buffer.  Body pointers point into the caller's input; the
 * response (resp, hdr) points into the decoder until it is freed.
 */
#ifndef GW_BARSTREAM_H
#define GW_BARSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/bar.h"

#define GW_BS_META_MAX	(64 * 1024)	/* default bound of s + h + keys */
#define GW_BS_MAX_PAIRS	16

enum gw_bs_ret {
	GW_BS_MORE = 0,		/* input taken; feed more */
	GW_BS_BODY = 1,		/* *body, *blen: next piece of "b" */
	GW_BS_DONE = 2,		/* map complete: resp holds s and h */
};

enum gw_bs_state {
	GW_BS_ST_MAP,		/* map head */
	GW_BS_ST_KEY,
	GW_BS_ST_VALUE,		/* a value other than "b" */
	GW_BS_ST_BLEN,		/* the byte-string head of "b" */
	GW_BS_ST_BODY,
	GW_BS_ST_DONE,
	GW_BS_ST_ERROR,
};

struct gw_barstream {
	enum gw_bs_state	 st;
	uint64_t		 npairs;
	uint64_t		 pair;
	size_t			 max_meta;
	uint8_t			*meta;	/* pending item, then the map so far */
	size_t			 metacap;
	size_t			 metalen;	/* assembled map bytes */
	size_t			 itemlen;	/* pending item bytes after it */
	size_t			 prevkey;	/* offset of the previous key */
	size_t			 prevkeylen;	/* 0: none yet */
	uint64_t		 body_len;
	uint64_t		 body_left;
	int			 have_body;
	struct bn_bar_header	 hdr[BN_BAR_MAX_HEADERS];
	struct bn_bar_response	 resp;		/* valid after GW_BS_DONE */
};

/* max_meta 0: GW_BS_META_MAX.  Always BN_OK (memory comes lazily). */
int	gw_barstream_init(struct gw_barstream *bs, size_t max_meta);
void	gw_barstream_free(struct gw_barstream *bs);

/*
 * Take bytes from [p, p+len): *used says how many.  Returns GW_BS_MORE
 * (all taken), GW_BS_BODY (the next piece of the body in body and blen,
 * pointing into p; call again with the rest, even when it is empty),
 * GW_BS_DONE (the message is whole; bytes after it are an error), or a
 * negative bn_err: the message is malformed (the decoder stays failed).
 */
int	gw_barstream_feed(struct gw_barstream *bs, const uint8_t *p,
	    size_t len, size_t *used, const uint8_t **body, size_t *blen);
/* The stream ended (FIN): BN_OK if the message was whole, else an error. */
int	gw_barstream_finish(const struct gw_barstream *bs);
/* Length of "b" once its head was read (0 before, or without "b"). */
uint64_t gw_barstream_body_len(const struct gw_barstream *bs);

#endif /* GW_BARSTREAM_H */
