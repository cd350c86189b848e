/*
 * fuzz_voucher: raw and header-value voucher parsing.  An accepted
 * voucher formats in both spellings and parses back to the same bytes; a
 * refused one leaves the output cleared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "betanet/voucher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_roundtrip(const struct bn_voucher *v)
{
	char s[BN_VOUCHER_TEXT_MAX];
	struct bn_voucher w;
	int enc;

	for (enc = BN_VOUCHER_B64URL; enc <= BN_VOUCHER_HEX; enc++) {
		if (bn_voucher_format(s, sizeof(s), v,
		    (enum bn_voucher_encoding)enc) != BN_OK ||
		    bn_voucher_parse_header(&w, s, strlen(s)) != BN_OK ||
		    memcmp(&w, v, sizeof(w)) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bn_voucher zero;
	struct bn_voucher v;
	char *s;

	if (size > 4096)
		return 0;
	if (bn_voucher_parse(&v, data, size) == BN_OK)
		check_roundtrip(&v);
	else if (memcmp(&v, &zero, sizeof(v)) != 0)
		abort();
	if ((s = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	if (bn_voucher_parse_header(&v, s, size) == BN_OK)
		check_roundtrip(&v);
	else if (memcmp(&v, &zero, sizeof(v)) != 0)
		abort();
	free(s);
	return 0;
}
