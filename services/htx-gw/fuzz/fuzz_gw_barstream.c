/*
 * fuzz_gw_barstream: the incremental BAR response decoder against
 * libcommon's whole-message decoder.  The first byte picks how the
 * input is cut into feeds; the decoder must never read out of bounds,
 * must accept exactly what bn_bar_response_decode() accepts (within its
 * own bounds: at most GW_BS_MAX_PAIRS pairs and GW_BS_META_MAX bytes
 * beside the body), and must then give the same status, headers and
 * body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/bar.h"
#include "betanet/err.h"
#include "gw_barstream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_bar_header hdr[BN_BAR_MAX_HEADERS];
	struct bn_bar_response whole;
	struct gw_barstream bs;
	const uint8_t *msg, *b;
	uint8_t *body;
	size_t len, off = 0, n, used, blen, got = 0, step, i;
	int r = GW_BS_MORE, wr, done = 0, err = 0;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 17) + 1;
	msg = data + 1;
	len = size - 1;
	if ((body = malloc(len + 1)) == NULL)
		return 0;
	bn_bar_response_init(&whole, hdr, BN_BAR_MAX_HEADERS);
	wr = bn_bar_response_decode(msg, len, &whole);
	gw_barstream_init(&bs, 0);
	while (!err && off < len) {
		n = len - off < step ? len - off : step;
		do {
			r = gw_barstream_feed(&bs, msg + off, n, &used, &b,
			    &blen);
			if (used > n)
				abort();
			off += used;
			n -= used;
			if (r == GW_BS_BODY) {
				if (blen > len - got || b < msg ||
				    b + blen > msg + len)
					abort();
				memcpy(body + got, b, blen);
				got += blen;
			} else if (r == GW_BS_DONE)
				done = 1;
			else if (r < 0)
				err = 1;
		} while (!err && r == GW_BS_BODY);
	}
	if (!err && !done && off == len) {
		/* Drain a body that ended exactly at the end of the input. */
		r = gw_barstream_feed(&bs, msg + off, 0, &used, &b, &blen);
		done = r == GW_BS_DONE;
		err = r < 0;
	}
	if (!err && done && gw_barstream_finish(&bs) != BN_OK)
		abort();
	if (wr != BN_OK && !err && done)
		abort();			/* accepted what is malformed */
	if (wr == BN_OK && done) {
		if (bs.resp.status != whole.status ||
		    bs.resp.nhdr != whole.nhdr || got != whole.bodylen ||
		    (got > 0 && memcmp(body, whole.body, got) != 0))
			abort();
		for (i = 0; i < whole.nhdr; i++)
			if (bs.resp.hdr[i].namelen != whole.hdr[i].namelen ||
			    bs.resp.hdr[i].valuelen != whole.hdr[i].valuelen ||
			    bs.resp.hdr[i].value_is_bytes !=
			    whole.hdr[i].value_is_bytes ||
			    memcmp(bs.resp.hdr[i].value, whole.hdr[i].value,
			    whole.hdr[i].valuelen) != 0)
				abort();
	}
	if (wr == BN_OK && !done && len < GW_BS_META_MAX) {
		/* Only our own pair bound may refuse a good message. */
		if (!err || (msg[0] & 0x1f) <= GW_BS_MAX_PAIRS)
			abort();
	}
	gw_barstream_free(&bs);
	free(body);
	return 0;
}
