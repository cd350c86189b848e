/*
 * fuzz_up_bridge: one whole stream message through up_bridge_decode()
 * and up_bridge_app_request(), what up_bridge_message() runs before the
 * application sees a request.  The first byte picks the profile (bit 0:
 * compat, where the text form `GET /p` is accepted too).  A request that
 * is built must point into the message or into r, and stay within the
 * app's bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "up_decode.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct up_bridge_req *r;
	const struct bn_app_request *q;
	size_t i;
	int compat, st;

	if (size < 1)
		return 0;
	compat = data[0] & 1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return 0;
	if (up_bridge_decode(r, data + 1, size - 1, compat) != BN_OK)
		goto out;
	if (r->br.nhdr > BN_BAR_MAX_HEADERS)
		abort();
	st = up_bridge_app_request(r);
	if (st != 0) {
		if (st != 400 && st != 414 && st != 431)
			abort();
		goto out;
	}
	q = &r->req;
	if (q->nheaders > BN_BAR_MAX_HEADERS)
		abort();
	for (i = 0; i < q->nheaders; i++) {
		sink += strlen(q->headers[i].name);
		if (q->headers[i].value_len > 0)
			sink += q->headers[i].value[q->headers[i].value_len -
			    1];
	}
	if (q->body_len > 0)
		sink += q->body[q->body_len - 1];
	sink += strlen(q->method_text) + q->path_len;
 out:
	free(r);
	return 0;
}
