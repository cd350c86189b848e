/*
 * fuzz_ipc: bn_ipc_frame_decode over arbitrary chunking.
 *
 * The first input byte seeds the chunk sizes; the rest is the stream.
 * Bytes are fed into a bounded bn_buf in chunks, as a socket would
 * deliver them, and frames are taken off as they complete.  Checks:
 * decoded frames never exceed the cap, INCOMPLETE consumes nothing,
 * TOO_LARGE is final, and the frames decoded chunk by chunk are the
 * ones decoded from the whole stream at once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/err.h"
#include "betanet/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Frames of the whole stream: count and total payload bytes. */
static void
decode_all(const uint8_t *d, size_t n, size_t *frames, size_t *bytes,
    int *last)
{
	struct bn_buf v;
	const uint8_t *p;
	size_t len;

	*frames = *bytes = 0;
	bn_buf_view(&v, d, n);
	while ((*last = bn_ipc_frame_decode(&v, &p, &len)) == BN_OK) {
		if (len > BN_IPC_MAX_FRAME)
			abort();
		(*frames)++;
		*bytes += len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_buf *b;
	const uint8_t *p;
	size_t off, chunk, len, before, frames = 0, bytes = 0, wf, wb;
	uint32_t seed;
	int r = BN_ERR_INCOMPLETE, wl;

	if (size < 1)
		return 0;
	seed = data[0] * 2654435761u + 1;
	data++;
	size--;
	decode_all(data, size, &wf, &wb, &wl);
	if ((b = bn_buf_new(BN_IPC_HDR_LEN + BN_IPC_MAX_FRAME + 4096)) == NULL)
		return 0;
	for (off = 0; off < size && r != BN_ERR_TOO_LARGE;) {
		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 16) % 64;
		if (chunk > size - off)
			chunk = size - off;
		if (bn_buf_put(b, data + off, chunk) != BN_OK)
			abort();	/* never more than one frame + chunk */
		off += chunk;
		for (;;) {
			before = bn_buf_len(b);
			r = bn_ipc_frame_decode(b, &p, &len);
			if (r != BN_OK) {
				if (bn_buf_len(b) != before)
					abort();
				break;
			}
			if (len > BN_IPC_MAX_FRAME)
				abort();
			frames++;
			bytes += len;
		}
	}
	if (frames != wf || bytes != wb)
		abort();
	if ((r == BN_ERR_TOO_LARGE) != (wl == BN_ERR_TOO_LARGE))
		abort();
	bn_buf_free(b);
	return 0;
}
