/*
 * fuzz_up_admin: one upstreamd.sock frame through up_admin_decode(), the
 * decoder up_admin's on_request() runs on every frame.  What it accepts
 * must be consistent (a known method or an error to answer with, a
 * ListSessions limit within 1..UP_ADMIN_LIST_MAX) and must pack again.
 */
#include <stdint.h>
#include <stdlib.h>

#include "upstreamd.pb-c.h"

#include "betanet/err.h"
#include "up_decode.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct up_admin_req r;
	uint8_t *re;
	size_t len;

	if (up_admin_decode(&r, data, size) != BN_OK) {
		if (r.m != NULL)
			abort();
		return 0;
	}
	if (r.m == NULL || (r.err != 0) != (r.kind == UP_ADMIN_UNKNOWN) ||
	    (r.err != 0) != (r.err_text != NULL))
		abort();
	if (r.kind == UP_ADMIN_LIST &&
	    (r.limit == 0 || r.limit > UP_ADMIN_LIST_MAX))
		abort();
	len = betanet__upstreamd__upstreamd_request__get_packed_size(r.m);
	if ((re = malloc(len ? len : 1)) != NULL) {
		if (betanet__upstreamd__upstreamd_request__pack(r.m, re) != len)
			abort();
		free(re);
	}
	up_admin_req_clear(&r);
	return 0;
}
