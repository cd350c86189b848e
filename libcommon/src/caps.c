/*
 * caps: capability maps, selection and native key context (see caps.h,
 * WIRE.md §3-4).
 *
 * Maps are written key by key in canonical order (RFC 8949 §4.2.1:
 * "l2" < "l3" < "l4" < "l5" < "features" < "template", then the 11-byte
 * keys "caps_client" < "caps_server"), so no map builder is needed here.
 * Decoding runs bn_cbor_check() first and then walks the checked bytes.
 */
#include <string.h>

#include "betanet/caps.h"
#include "betanet/detcbor.h"
#include "betanet/err.h"

static const char *const layer_key[BN_CAPS_LAYERS] = {
	"l2", "l3", "l4", "l5"
};

void
bn_caps_default(struct bn_caps *c, int native)
{
	memset(c, 0, sizeof(*c));
	c->nproto[0] = 1;
	strcpy(c->proto[0][0], "betanet/htx/1.2.0");
	c->nproto[1] = 1;
	strcpy(c->proto[1][0], "betanet/mesh/1.2.0");
	c->native = native != 0;
}

static int
put_layer(struct bn_buf *out, const struct bn_caps *c, size_t l)
{
	size_t i;
	int r;

	if (c->nproto[l] > BN_CAPS_MAX_PROTOS)
		return BN_ERR_INVALID_ARG;
	if ((r = bn_cbor_put_cstr(out, layer_key[l])) != BN_OK ||
	    (r = bn_cbor_put_array(out, c->nproto[l])) != BN_OK)
		return r;
	for (i = 0; i < c->nproto[l]; i++)
		if ((r = bn_cbor_put_text(out, c->proto[l][i],
		    strnlen(c->proto[l][i], BN_CAPS_MAX_NAME))) != BN_OK)
			return r;
	return BN_OK;
}

static int
caps_put(const struct bn_caps *c, struct bn_buf *out)
{
	size_t l;
	int r;

	if ((r = bn_cbor_put_map(out, BN_CAPS_LAYERS + (c->native != 0) +
	    (c->has_template != 0))) != BN_OK)
		return r;
	for (l = 0; l < BN_CAPS_LAYERS; l++)
		if ((r = put_layer(out, c, l)) != BN_OK)
			return r;
	if (c->native &&
	    ((r = bn_cbor_put_cstr(out, "features")) != BN_OK ||
	    (r = bn_cbor_put_map(out, 1)) != BN_OK ||
	    (r = bn_cbor_put_cstr(out, "native")) != BN_OK ||
	    (r = bn_cbor_put_bool(out, 1)) != BN_OK))
		return r;
	if (c->has_template &&
	    ((r = bn_cbor_put_cstr(out, "template")) != BN_OK ||
	    (r = bn_cbor_put_bytes(out, c->template_id, 32)) != BN_OK))
		return r;
	return BN_OK;
}

/* Append the caps map; on failure out is as it was. */
int
bn_caps_encode(const struct bn_caps *c, struct bn_buf *out)
{
	size_t before = bn_buf_len(out);
	int r;

	if ((r = caps_put(c, out)) != BN_OK)
		(void)bn_buf_consume_end(out, bn_buf_len(out) - before);
	return r;
}

/* Copy a checked TEXT item into a NUL-terminated name slot. */
static int
copy_name(const struct bn_cbor_item *it, char dst[BN_CAPS_MAX_NAME + 1])
{
	if (it->type != BN_CBOR_TEXT)
		return BN_ERR_CBOR_TYPE;
	if (it->len > BN_CAPS_MAX_NAME)
		return BN_ERR_LIMIT;
	if (it->len > 0 && memchr(it->p, '\0', it->len) != NULL)
		return BN_ERR_MALFORMED;	/* would truncate silently */
	if (it->len > 0)
		memcpy(dst, it->p, it->len);
	dst[it->len] = '\0';
	return BN_OK;
}

static int
layer_index(const struct bn_cbor_item *key)
{
	int l;

	for (l = 0; l < BN_CAPS_LAYERS; l++)
		if (bn_cbor_text_eq(key, layer_key[l]))
			return l;
	return -1;
}

static int
get_layer(struct bn_cbor_reader *rd, struct bn_caps *c, int l)
{
	struct bn_cbor_item it;
	uint64_t i;
	int r;

	if ((r = bn_cbor_next(rd, &it)) != BN_OK)
		return r;
	if (it.type != BN_CBOR_ARRAY)
		return BN_ERR_CBOR_TYPE;
	if (it.u > BN_CAPS_MAX_PROTOS)
		return BN_ERR_LIMIT;
	for (i = 0; i < it.u; i++) {
		struct bn_cbor_item name;

		if ((r = bn_cbor_next(rd, &name)) != BN_OK ||
		    (r = copy_name(&name, c->proto[l][i])) != BN_OK)
			return r;
	}
	c->nproto[l] = (uint8_t)it.u;
	return BN_OK;
}

/* features: only an exact CBOR true for "native" counts. */
static int
get_features(struct bn_cbor_reader *rd, struct bn_caps *c)
{
	struct bn_cbor_item it, key, val;
	uint64_t i;
	int r;

	if ((r = bn_cbor_next(rd, &it)) != BN_OK)
		return r;
	if (it.type != BN_CBOR_MAP)
		return bn_cbor_skip_contents(rd, &it);
	for (i = 0; i < it.u; i++) {
		if ((r = bn_cbor_next(rd, &key)) != BN_OK ||
		    (r = bn_cbor_skip_contents(rd, &key)) != BN_OK ||
		    (r = bn_cbor_next(rd, &val)) != BN_OK ||
		    (r = bn_cbor_skip_contents(rd, &val)) != BN_OK)
			return r;
		if (bn_cbor_text_eq(&key, "native"))
			c->native = val.type == BN_CBOR_TRUE;
	}
	return BN_OK;
}

static int
get_template(struct bn_cbor_reader *rd, struct bn_caps *c)
{
	struct bn_cbor_item it;
	int r;

	if ((r = bn_cbor_next(rd, &it)) != BN_OK)
		return r;
	if (it.type != BN_CBOR_BYTES || it.len != sizeof(c->template_id))
		return BN_ERR_MALFORMED;
	memcpy(c->template_id, it.p, it.len);
	c->has_template = 1;
	return BN_OK;
}

/* One key/value pair of the caps map; seen collects the layers found. */
static int
get_caps_pair(struct bn_cbor_reader *rd, struct bn_caps *c, unsigned *seen)
{
	struct bn_cbor_item key;
	int r, l;

	if ((r = bn_cbor_next(rd, &key)) != BN_OK ||
	    (r = bn_cbor_skip_contents(rd, &key)) != BN_OK)
		return r;
	if ((l = layer_index(&key)) >= 0) {
		*seen |= 1U << l;
		return get_layer(rd, c, l);
	}
	if (bn_cbor_text_eq(&key, "features"))
		return get_features(rd, c);
	if (bn_cbor_text_eq(&key, "template"))
		return get_template(rd, c);
	return bn_cbor_skip(rd, NULL, NULL);	/* unknown: a newer peer */
}

int
bn_caps_decode(const uint8_t *p, size_t len, struct bn_caps *c)
{
	struct bn_cbor_reader rd;
	struct bn_cbor_item top;
	unsigned seen = 0;
	uint64_t i;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = bn_cbor_check(p, len)) != BN_OK)
		goto out;
	bn_cbor_reader_init(&rd, p, len);
	if ((r = bn_cbor_next(&rd, &top)) != BN_OK)
		goto out;
	if (top.type != BN_CBOR_MAP) {
		r = BN_ERR_CBOR_TYPE;
		goto out;
	}
	for (i = 0; i < top.u; i++)
		if ((r = get_caps_pair(&rd, c, &seen)) != BN_OK)
			goto out;
	if (seen != (1U << BN_CAPS_LAYERS) - 1)
		r = BN_ERR_MALFORMED;
 out:
	if (r != BN_OK)
		memset(c, 0, sizeof(*c));
	return r;
}

/*
 * Names compare as unsigned char (C11 7.24.4), i.e. bytewise; the bound
 * keeps a caller-built name without its NUL inside its slot.
 */
static int
name_cmp(const char *a, const char *b)
{
	return strncmp(a, b, BN_CAPS_MAX_NAME);
}

/* Greatest (bytewise) name offered by both, or "" if none. */
static void
select_layer(const struct bn_caps *a, const struct bn_caps *b, size_t l,
    char out[BN_CAPS_MAX_NAME + 1])
{
	const char *best = "";
	size_t i, j, n;

	for (i = 0; i < a->nproto[l] && i < BN_CAPS_MAX_PROTOS; i++)
		for (j = 0; j < b->nproto[l] && j < BN_CAPS_MAX_PROTOS; j++)
			if (name_cmp(a->proto[l][i], b->proto[l][j]) == 0 &&
			    name_cmp(a->proto[l][i], best) > 0)
				best = a->proto[l][i];
	n = strnlen(best, BN_CAPS_MAX_NAME);
	memcpy(out, best, n);
	out[n] = '\0';
}

void
bn_caps_select(const struct bn_caps *client, const struct bn_caps *server,
    struct bn_caps_sel *sel)
{
	size_t l;

	memset(sel, 0, sizeof(*sel));
	for (l = 0; l < BN_CAPS_LAYERS; l++)
		select_layer(client, server, l, sel->l[l]);
}

/* The four "lN": s pairs, shared by the selection and the context. */
static int
put_sel_pairs(const struct bn_caps_sel *sel, struct bn_buf *out)
{
	size_t l;
	int r;

	for (l = 0; l < BN_CAPS_LAYERS; l++)
		if ((r = bn_cbor_put_cstr(out, layer_key[l])) != BN_OK ||
		    (r = bn_cbor_put_text(out, sel->l[l],
		    strnlen(sel->l[l], BN_CAPS_MAX_NAME))) != BN_OK)
			return r;
	return BN_OK;
}

int
bn_caps_sel_encode(const struct bn_caps_sel *sel, struct bn_buf *out)
{
	size_t before = bn_buf_len(out);
	int r;

	if ((r = bn_cbor_put_map(out, BN_CAPS_LAYERS)) != BN_OK ||
	    (r = put_sel_pairs(sel, out)) != BN_OK)
		(void)bn_buf_consume_end(out, bn_buf_len(out) - before);
	return r;
}

/* Exactly {"l2": text, "l3": text, "l4": text, "l5": text}. */
int
bn_caps_sel_decode(const uint8_t *p, size_t len, struct bn_caps_sel *sel)
{
	struct bn_cbor_reader rd;
	struct bn_cbor_item it;
	size_t l;
	int r;

	memset(sel, 0, sizeof(*sel));
	if ((r = bn_cbor_check(p, len)) != BN_OK)
		goto out;
	bn_cbor_reader_init(&rd, p, len);
	if ((r = bn_cbor_next(&rd, &it)) != BN_OK)
		goto out;
	if (it.type != BN_CBOR_MAP || it.u != BN_CAPS_LAYERS) {
		r = it.type != BN_CBOR_MAP ? BN_ERR_CBOR_TYPE :
		    BN_ERR_MALFORMED;
		goto out;
	}
	/* Checked keys are sorted and unique: l2..l5 in that order. */
	for (l = 0; l < BN_CAPS_LAYERS; l++) {
		if ((r = bn_cbor_next(&rd, &it)) != BN_OK)
			goto out;
		if (!bn_cbor_text_eq(&it, layer_key[l])) {
			r = BN_ERR_MALFORMED;
			goto out;
		}
		if ((r = bn_cbor_next(&rd, &it)) != BN_OK ||
		    (r = copy_name(&it, sel->l[l])) != BN_OK)
			goto out;
	}
 out:
	if (r != BN_OK)
		memset(sel, 0, sizeof(*sel));
	return r;
}

static int
put_raw_map(struct bn_buf *out, const char *key, const uint8_t *p,
    size_t len)
{
	int r;

	/* Embedded verbatim, so it must already be one det-CBOR map. */
	if ((r = bn_cbor_check(p, len)) != BN_OK)
		return r;
	if ((p[0] >> 5) != 5)
		return BN_ERR_CBOR_TYPE;
	if ((r = bn_cbor_put_cstr(out, key)) != BN_OK)
		return r;
	return bn_buf_put(out, p, len);
}

int
bn_caps_context(const struct bn_caps_sel *sel, const uint8_t *caps_client,
    size_t cclen, const uint8_t *caps_server, size_t cslen,
    const uint8_t template_id[32], struct bn_buf *out)
{
	size_t before = bn_buf_len(out);
	int r;

	if ((r = bn_cbor_put_map(out, BN_CAPS_LAYERS + 3)) != BN_OK ||
	    (r = put_sel_pairs(sel, out)) != BN_OK ||
	    (r = bn_cbor_put_cstr(out, "template")) != BN_OK ||
	    (r = bn_cbor_put_bytes(out, template_id, 32)) != BN_OK ||
	    (r = put_raw_map(out, "caps_client", caps_client,
	    cclen)) != BN_OK ||
	    (r = put_raw_map(out, "caps_server", caps_server,
	    cslen)) != BN_OK)
		(void)bn_buf_consume_end(out, bn_buf_len(out) - before);
	return r;
}
