/*
 * fuzz_td_request: one ticketd.sock frame through
 * td_server_decode_request(), the function td_server's on_request()
 * runs on every frame.  A request it accepts must be self-consistent
 * (kind, item count within 1..TD_MAX_BATCH, no NULL item) and its items
 * must survive what ticket_start()/voucher_start() read from them: the
 * payload bytes, the client_ip / peer strings and bn_voucher_parse().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "betanet/voucher.h"
#include "td_server.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void
walk_ticket(const Betanet__Ticketd__VerifyTicket *t)
{
	size_t i;

	if (t == NULL)
		abort();
	for (i = 0; i < t->payload.len; i++)
		sink += t->payload.data[i];
	if (t->client_ip != NULL)
		sink += strlen(t->client_ip);
	sink += (size_t)t->test_now;
}

static void
walk_voucher(const Betanet__Ticketd__VerifyVoucher *v)
{
	struct bn_voucher bv;

	if (v == NULL)
		abort();
	if (bn_voucher_parse(&bv, v->voucher.data, v->voucher.len) == BN_OK)
		bn_voucher_clear(&bv);
	if (v->peer != NULL)
		sink += strlen(v->peer);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_request r;
	uint8_t *re;
	size_t i, len;

	if (td_server_decode_request(&r, data, size) != BN_OK) {
		if (r.m != NULL)
			abort();
		return 0;
	}
	if (r.m == NULL || (r.err != 0) != (r.err_text != NULL))
		abort();
	if (r.err == 0 && r.kind <= TD_REQ_VOUCHER_BATCH) {
		if (r.n == 0 || r.n > TD_MAX_BATCH || r.items == NULL)
			abort();
		for (i = 0; i < r.n; i++) {
			if (r.kind == TD_REQ_TICKET ||
			    r.kind == TD_REQ_TICKET_BATCH)
				walk_ticket(r.items[i]);
			else
				walk_voucher(r.items[i]);
		}
	}
	if (r.kind == TD_REQ_UNKNOWN && r.err == 0)
		abort();
	/* What was decoded packs again (replies echo parts of it). */
	len = betanet__ticketd__ticketd_request__get_packed_size(r.m);
	if ((re = malloc(len ? len : 1)) != NULL) {
		if (betanet__ticketd__ticketd_request__pack(r.m, re) != len)
			abort();
		free(re);
	}
	td_server_request_clear(&r);
	return 0;
}
