/*
 * fuzz_gw_admin: one htx-gw.sock frame through gw_adminsock_decode(),
 * the decoder the admin socket's on_request() runs on every frame.  What
 * it accepts must be consistent (a known method or an error to answer
 * with; DrainUpstream with an address to look up) and must pack again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "htxgw.pb-c.h"

#include "betanet/err.h"
#include "gw_adminsock.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_admin_req r;
	uint8_t *re;
	size_t len;

	if (gw_adminsock_decode(&r, data, size) != BN_OK) {
		if (r.m != NULL)
			abort();
		return 0;
	}
	if (r.m == NULL || (r.err != 0) != (r.err_text != NULL) ||
	    (r.kind == GW_ADMIN_UNKNOWN && r.err == 0))
		abort();
	if (r.kind == GW_ADMIN_DRAIN && r.err == 0) {
		if (r.addr == NULL)
			abort();
		sink += strlen(r.addr);
	}
	len = betanet__htxgw__htx_gw_request__get_packed_size(r.m);
	if ((re = malloc(len ? len : 1)) != NULL) {
		if (betanet__htxgw__htx_gw_request__pack(r.m, re) != len)
			abort();
		free(re);
	}
	gw_adminsock_req_clear(&r);
	return 0;
}
