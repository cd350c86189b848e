/*
 * fuzz_detcbor: bn_cbor_check() on arbitrary bytes.  When it accepts,
 * the reader must walk the whole item, re-encoding each primitive must
 * give back the input byte for byte (strict det-CBOR has one encoding
 * per value), the map builder must rebuild a top-level map from its
 * pairs fed in reverse, and shorter prefixes must be INCOMPLETE.  When
 * it refuses, the reader must still stay in bounds and terminate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/detcbor.h"
#include "betanet/err.h"

#define FUZZ_MAX	(1 << 16)

static void
fail(void)
{
	abort();		/* our invariant broke: libFuzzer reports it */
}

/*
 * Re-encode one item (and its contents).  depth is the item's nesting
 * level; after the check a container never sits deeper than 16.
 */
static int
reencode(struct bn_cbor_reader *rd, struct bn_buf *out, int depth)
{
	struct bn_cbor_item it;
	uint64_t i, n;

	if (bn_cbor_next(rd, &it) != BN_OK)
		fail();
	switch (it.type) {
	case BN_CBOR_UINT:
		return bn_cbor_put_uint(out, it.u);
	case BN_CBOR_NINT:
		return bn_cbor_put_nint(out, it.u);
	case BN_CBOR_BYTES:
		return bn_cbor_put_bytes(out, it.p, it.len);
	case BN_CBOR_TEXT:
		return bn_cbor_put_text(out, (const char *)it.p, it.len);
	case BN_CBOR_FALSE:
	case BN_CBOR_TRUE:
		return bn_cbor_put_bool(out, it.type == BN_CBOR_TRUE);
	case BN_CBOR_NULL:
		return bn_cbor_put_null(out);
	case BN_CBOR_ARRAY:
	case BN_CBOR_MAP:
		if (depth > BN_CBOR_MAX_DEPTH)
			fail();
		break;
	}
	n = it.type == BN_CBOR_MAP ? it.u * 2 : it.u;
	if ((it.type == BN_CBOR_MAP ? bn_cbor_put_map(out, it.u) :
	    bn_cbor_put_array(out, it.u)) != BN_OK)
		fail();
	for (i = 0; i < n; i++)
		if (reencode(rd, out, depth + 1) != BN_OK)
			fail();
	return BN_OK;
}

/* Feed a top-level map's pairs to the builder backwards. */
static void
rebuild_map(const uint8_t *data, size_t size)
{
	struct bn_cbor_reader rd;
	struct bn_cbor_item top;
	struct bn_cbor_map *m;
	struct bn_buf *out;
	const uint8_t **k, **v;
	size_t *kl, *vl, i;

	bn_cbor_reader_init(&rd, data, size);
	if (bn_cbor_next(&rd, &top) != BN_OK || top.type != BN_CBOR_MAP)
		return;
	k = calloc(top.u + 1, sizeof(*k));
	v = calloc(top.u + 1, sizeof(*v));
	kl = calloc(top.u + 1, sizeof(*kl));
	vl = calloc(top.u + 1, sizeof(*vl));
	m = bn_cbor_map_new(size);
	out = bn_buf_new(size);
	if (k == NULL || v == NULL || kl == NULL || vl == NULL || m == NULL ||
	    out == NULL)
		goto out;
	for (i = 0; i < top.u; i++)
		if (bn_cbor_skip(&rd, &k[i], &kl[i]) != BN_OK ||
		    bn_cbor_skip(&rd, &v[i], &vl[i]) != BN_OK)
			fail();
	for (i = top.u; i > 0; i--) {
		int r = bn_cbor_map_add(m, k[i - 1], kl[i - 1], v[i - 1],
		    vl[i - 1]);

		/* a value at depth 16 inside the map is fine on its own */
		if (r != BN_OK)
			fail();
	}
	if (bn_cbor_map_finish(m, out) != BN_OK ||
	    bn_buf_len(out) != size || memcmp(bn_buf_ptr(out), data, size))
		fail();
 out:
	free(k);
	free(v);
	free(kl);
	free(vl);
	bn_cbor_map_free(m);
	bn_buf_free(out);
}

static void
accepted(const uint8_t *data, size_t size)
{
	struct bn_cbor_reader rd;
	struct bn_buf *out;
	const uint8_t *raw;
	size_t rawlen;

	bn_cbor_reader_init(&rd, data, size);
	if (bn_cbor_skip(&rd, &raw, &rawlen) != BN_OK || raw != data ||
	    rawlen != size)
		fail();
	if ((out = bn_buf_new(size)) == NULL)
		return;
	bn_cbor_reader_init(&rd, data, size);
	if (reencode(&rd, out, 1) != BN_OK || bn_buf_len(out) != size ||
	    memcmp(bn_buf_ptr(out), data, size) != 0)
		fail();
	bn_buf_free(out);
	if (bn_cbor_check(data, size - 1) != BN_ERR_INCOMPLETE ||
	    bn_cbor_check(data, size / 2) != BN_ERR_INCOMPLETE)
		fail();
	rebuild_map(data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_cbor_reader rd;

	if (size > FUZZ_MAX)
		return 0;
	if (bn_cbor_check(data, size) == BN_OK) {
		accepted(data, size);
		return 0;
	}
	/* Unchecked bytes: must neither crash nor spin. */
	bn_cbor_reader_init(&rd, data, size);
	while (bn_cbor_skip(&rd, NULL, NULL) == BN_OK)
		;
	return 0;
}
