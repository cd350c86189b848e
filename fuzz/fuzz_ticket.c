/*
 * fuzz_ticket: ticket payload parsing and verification, BN-Ticket header
 * checking and the three carrier extractors, all on the same input.
 * Checks: a failed parse leaves its buffer alone and its output cleared;
 * an accepted header has a ctx of at most 32 token characters; whatever
 * a carrier yields re-formats and extracts to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/err.h"
#include "betanet/ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The site key of tests/vectors/ticket_vectors.json. */
static const struct bn_ticket_site_key site = {
	.key_id = { 0x32, 0x40, 0x64, 0x9a, 0xab, 0xcc, 0x6e, 0x12 },
	.priv = { 0x1c, 0x12, 0x3b, 0xaf, 0x19, 0xc5, 0xca, 0x0c, 0x61, 0xe4,
	    0x30, 0xb4, 0x42, 0xe1, 0xa2, 0xd5, 0x79, 0x1a, 0xe5, 0x64, 0x28,
	    0x3d, 0x84, 0x25, 0x90, 0x34, 0x85, 0x40, 0x5e, 0x73, 0xa5, 0xdf },
};

static void
fuzz_parse(const uint8_t *data, size_t size)
{
	static const struct bn_ticket zero;
	struct bn_ticket t;
	struct bn_buf b;
	uint64_t hour;
	int r;

	bn_buf_view(&b, data, size);
	r = bn_ticket_parse(&b, &t);
	if (r != BN_OK) {
		if (bn_buf_len(&b) != size || memcmp(&t, &zero, sizeof(t)))
			abort();
		return;
	}
	if (bn_buf_len(&b) != 0 || t.pad_len != size - BN_TICKET_FIXED_LEN)
		abort();
	r = bn_ticket_verify(&t, &site, 1, 1764000000, &hour);
	if (r == BN_OK && (hour < 489999 || hour > 490001))
		abort();
}

static void
fuzz_header(const char *s, size_t n)
{
	struct bn_ticket_header h;
	enum bn_ticket_hdr_reason r;

	r = bn_ticket_header_check(NULL, s, n, &h);
	if (r == BN_TICKET_HDR_OK && strlen(h.ctx) > BN_TICKET_HDR_CTX_MAX)
		abort();
	if (bn_ticket_header_reason_str(r) == NULL)
		abort();
}

static void
roundtrip(enum bn_ticket_carrier c, const uint8_t *p, size_t len)
{
	static char line[2048];
	static uint8_t out[BN_TICKET_MAX_LEN];
	size_t n;
	int r;

	if (bn_ticket_format(line, sizeof(line), c, NULL, p, len) != BN_OK)
		abort();
	if (c == BN_TICKET_CARRIER_COOKIE)
		r = bn_ticket_from_cookie(out, sizeof(out), &n, line,
		    strlen(line), NULL);
	else
		r = bn_ticket_from_query(out, sizeof(out), &n, line,
		    strlen(line));
	if (r != BN_OK || n != len || memcmp(out, p, len) != 0)
		abort();
}

static void
fuzz_carriers(const char *s, size_t n)
{
	static uint8_t out[BN_TICKET_MAX_LEN];
	size_t len;

	if (bn_ticket_from_cookie(out, sizeof(out), &len, s, n, NULL) ==
	    BN_OK)
		roundtrip(BN_TICKET_CARRIER_COOKIE, out, len);
	if (bn_ticket_from_query(out, sizeof(out), &len, s, n) == BN_OK)
		roundtrip(BN_TICKET_CARRIER_QUERY, out, len);
	if (bn_ticket_from_form(out, sizeof(out), &len, s, n) == BN_OK)
		roundtrip(BN_TICKET_CARRIER_QUERY, out, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 1 << 14)
		return 0;
	fuzz_parse(data, size);
	/* An exact-size copy, so that any over-read is caught. */
	if ((s = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	fuzz_header(s, size);
	fuzz_carriers(s, size);
	free(s);
	return 0;
}
