/*
 * fuzz_b64url: the codec's decoders.  Whatever b64url decodes must encode
 * back to the input without its '=' padding (one accepted spelling per
 * byte string) and decode again to the same bytes; whatever hex decodes
 * must encode back to the input in lower case.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/codec.h"
#include "betanet/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX	4096

static void
check_b64url(const char *s, size_t n)
{
	static uint8_t out[FUZZ_MAX], again[FUZZ_MAX];
	static char enc[bn_b64url_enc_len(FUZZ_MAX)];
	size_t len, len2, m = n;

	if (bn_b64url_decode(out, sizeof(out), &len, s, n) != BN_OK)
		return;
	bn_b64url_encode(enc, out, len);
	while (m > 0 && s[m - 1] == '=')
		m--;
	if (strlen(enc) != m || memcmp(enc, s, m) != 0)
		abort();
	if (bn_b64url_decode(again, sizeof(again), &len2, enc,
	    strlen(enc)) != BN_OK || len2 != len ||
	    memcmp(again, out, len) != 0)
		abort();
}

static void
check_hex(const char *s, size_t n)
{
	static uint8_t out[FUZZ_MAX];
	static char enc[bn_hex_enc_len(FUZZ_MAX)];
	size_t len, i;

	if (bn_hex_decode(out, sizeof(out), &len, s, n) != BN_OK)
		return;
	if (len != n / 2)
		abort();
	bn_hex_encode(enc, out, len);
	for (i = 0; i < n; i++)
		if (enc[i] != tolower((unsigned char)s[i]))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > FUZZ_MAX)
		return 0;
	if ((s = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	check_b64url(s, size);
	check_hex(s, size);
	free(s);
	return 0;
}
