/*
 * fuzz_caps: caps and selection decoding on arbitrary bytes.  Decoded
 * caps must re-encode and decode to the same struct; an accepted
 * selection must re-encode to exactly the input (it has one canonical
 * form); selection and context building must work on what decoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/caps.h"
#include "betanet/detcbor.h"
#include "betanet/err.h"

#define FUZZ_MAX	(1 << 16)

static void
fail(void)
{
	abort();
}

static void
caps_eq(const struct bn_caps *a, const struct bn_caps *b)
{
	size_t l, i;

	if (a->native != b->native || a->has_template != b->has_template ||
	    (a->has_template && memcmp(a->template_id, b->template_id, 32)))
		fail();
	for (l = 0; l < BN_CAPS_LAYERS; l++) {
		if (a->nproto[l] != b->nproto[l])
			fail();
		for (i = 0; i < a->nproto[l]; i++)
			if (strcmp(a->proto[l][i], b->proto[l][i]) != 0)
				fail();
	}
}

static void
caps_accepted(const uint8_t *data, size_t size, const struct bn_caps *c)
{
	static const uint8_t zero[32];
	struct bn_caps c2, def;
	struct bn_caps_sel sel;
	struct bn_buf *o = bn_buf_new(4 * FUZZ_MAX);

	if (o == NULL)
		return;
	if (bn_caps_encode(c, o) != BN_OK ||
	    bn_caps_decode(bn_buf_ptr(o), bn_buf_len(o), &c2) != BN_OK)
		fail();
	caps_eq(c, &c2);
	bn_caps_default(&def, 1);
	bn_caps_select(c, &def, &sel);
	bn_buf_reset(o);
	if (bn_caps_context(&sel, data, size, data, size, zero, o) != BN_OK ||
	    (bn_cbor_check(bn_buf_ptr(o), bn_buf_len(o)) != BN_OK &&
	    bn_cbor_check(bn_buf_ptr(o), bn_buf_len(o)) != BN_ERR_CBOR_DEPTH))
		fail();
	bn_buf_free(o);
}

static void
sel_accepted(const uint8_t *data, size_t size, const struct bn_caps_sel *s)
{
	struct bn_buf *o = bn_buf_new(FUZZ_MAX);

	if (o == NULL)
		return;
	if (bn_caps_sel_encode(s, o) != BN_OK || bn_buf_len(o) != size ||
	    memcmp(bn_buf_ptr(o), data, size) != 0)
		fail();
	bn_buf_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_caps c;
	struct bn_caps_sel s;

	if (size > FUZZ_MAX)
		return 0;
	if (bn_caps_decode(data, size, &c) == BN_OK)
		caps_accepted(data, size, &c);
	if (bn_caps_sel_decode(data, size, &s) == BN_OK)
		sel_accepted(data, size, &s);
	return 0;
}
