/*
 * ticket: access tickets, their carriers and the BN-Ticket header
 * (see ticket.h, WIRE.md §5).
 */
#include <string.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/ticket.h"

#define SALT_LABEL	"betanet-ticket-v1"

/* Longest carrier value we look at: a padded max payload, '=' as %3D. */
#define B64_MAX		(bn_b64url_enc_len(BN_TICKET_MAX_LEN) + 2 * 3)

uint64_t
bn_ticket_hour(uint64_t unix_seconds)
{
	return unix_seconds / 3600;
}

int
bn_ticket_salt(uint8_t salt[BN_HASH_LEN],
    const uint8_t key_id[BN_TICKET_KEY_ID_LEN], uint64_t hour)
{
	uint8_t h[8];
	struct bn_iov iov[3];

	bn_store_u64(h, hour);
	iov[0].base = SALT_LABEL;
	iov[0].len = sizeof(SALT_LABEL) - 1;
	iov[1].base = key_id;
	iov[1].len = BN_TICKET_KEY_ID_LEN;
	iov[2].base = h;
	iov[2].len = sizeof(h);
	return bn_sha256v(salt, iov, 3);
}

int
bn_ticket_mac(uint8_t mac[BN_TICKET_MAC_LEN],
    const uint8_t shared[BN_KEY_LEN],
    const uint8_t key_id[BN_TICKET_KEY_ID_LEN], uint64_t hour)
{
	uint8_t salt[BN_HASH_LEN];
	int r;

	if ((r = bn_ticket_salt(salt, key_id, hour)) != BN_OK)
		goto out;
	r = bn_hkdf(mac, BN_TICKET_MAC_LEN, salt, sizeof(salt), shared,
	    BN_KEY_LEN, "", 0);
 out:
	if (r != BN_OK)
		bn_cleanse(mac, BN_TICKET_MAC_LEN);
	return r;
}

int
bn_ticket_make_with(struct bn_buf *out, const uint8_t site_pub[BN_KEY_LEN],
    const uint8_t key_id[BN_TICKET_KEY_ID_LEN], uint64_t now,
    const uint8_t cli_priv[BN_KEY_LEN],
    const uint8_t nonce[BN_TICKET_NONCE_LEN], const uint8_t *pad,
    size_t pad_len)
{
	uint8_t cli_pub[BN_KEY_LEN], shared[BN_KEY_LEN];
	uint8_t mac[BN_TICKET_MAC_LEN], *p;
	int r;

	if (pad_len > 0 && pad == NULL)
		return BN_ERR_INVALID_ARG;
	if (pad_len > bn_buf_avail(out) ||
	    bn_buf_avail(out) - pad_len < BN_TICKET_FIXED_LEN)
		return BN_ERR_NO_SPACE;
	/* shared = X25519(cli_priv, ticket_pub) */
	if ((r = bn_x25519_public(cli_pub, cli_priv)) != BN_OK ||
	    (r = bn_x25519(shared, cli_priv, site_pub)) != BN_OK ||
	    (r = bn_ticket_mac(mac, shared, key_id,
	    bn_ticket_hour(now))) != BN_OK)
		goto out;
	if ((r = bn_buf_reserve(out, BN_TICKET_FIXED_LEN + pad_len,
	    &p)) != BN_OK)
		goto out;
	*p++ = BN_TICKET_VERSION;
	memcpy(p, cli_pub, BN_KEY_LEN);
	p += BN_KEY_LEN;
	memcpy(p, key_id, BN_TICKET_KEY_ID_LEN);
	p += BN_TICKET_KEY_ID_LEN;
	memcpy(p, nonce, BN_TICKET_NONCE_LEN);
	p += BN_TICKET_NONCE_LEN;
	memcpy(p, mac, BN_TICKET_MAC_LEN);
	p += BN_TICKET_MAC_LEN;
	if (pad_len > 0)
		memcpy(p, pad, pad_len);
 out:
	bn_cleanse(shared, sizeof(shared));
	bn_cleanse(mac, sizeof(mac));
	return r;
}

/* Uniform in [lo, hi] (hi - lo < 256) by rejection sampling one byte. */
static int
random_between(size_t lo, size_t hi, size_t *v)
{
	size_t span = hi - lo + 1, limit = 256 - 256 % span;
	uint8_t b;
	int r;

	do {
		if ((r = bn_random(&b, 1)) != BN_OK)
			return r;
	} while (b >= limit);
	*v = lo + b % span;
	return BN_OK;
}

int
bn_ticket_make(struct bn_buf *out, const uint8_t site_pub[BN_KEY_LEN],
    const uint8_t key_id[BN_TICKET_KEY_ID_LEN], uint64_t now)
{
	uint8_t cli_priv[BN_KEY_LEN], cli_pub[BN_KEY_LEN];
	uint8_t nonce[BN_TICKET_NONCE_LEN], pad[BN_TICKET_PAD_MAX];
	size_t pad_len;
	int r;

	/* Room for the longest pad, so success does not depend on luck. */
	if (bn_buf_avail(out) < BN_TICKET_MADE_MAX)
		return BN_ERR_NO_SPACE;
	if ((r = bn_x25519_keygen(cli_priv, cli_pub)) != BN_OK ||
	    (r = bn_random(nonce, sizeof(nonce))) != BN_OK ||
	    (r = random_between(BN_TICKET_PAD_MIN, BN_TICKET_PAD_MAX,
	    &pad_len)) != BN_OK ||
	    (r = bn_random(pad, pad_len)) != BN_OK)
		goto out;
	r = bn_ticket_make_with(out, site_pub, key_id, now, cli_priv, nonce,
	    pad, pad_len);
 out:
	bn_cleanse(cli_priv, sizeof(cli_priv));
	return r;
}

/*
 * Is u (little-endian, RFC 7748) a canonical encoding: bit 255 clear and
 * u < p = 2^255 - 19?  X25519 masks bit 255 and reduces mod p, so without
 * this check up to four encodings (u, u + p for u < 19, and both with
 * bit 255 set) give the same shared secret and so the same MAC, and a
 * captured ticket could be replayed under a "different" cli_pub.  Keys
 * are public: no need for constant time.
 */
static int
cli_pub_canonical(const uint8_t u[BN_KEY_LEN])
{
	size_t i;

	if (u[BN_KEY_LEN - 1] & 0x80)
		return 0;
	/* p = ed ff .. ff 7f (little-endian): u >= p only just below 2^255. */
	if (u[BN_KEY_LEN - 1] != 0x7f)
		return 1;
	for (i = BN_KEY_LEN - 2; i > 0; i--)
		if (u[i] != 0xff)
			return 1;
	return u[0] < 0xed;
}

int
bn_ticket_parse(struct bn_buf *in, struct bn_ticket *t)
{
	struct bn_buf v;
	size_t len = bn_buf_len(in);
	int r;

	memset(t, 0, sizeof(*t));
	if (len < BN_TICKET_MIN_LEN || len > BN_TICKET_MAX_LEN) {
		r = BN_ERR_TICKET_MALFORMED;
		goto out;
	}
	/* Read through a view so that `in` moves only on success. */
	bn_buf_view(&v, bn_buf_ptr(in), len);
	if ((r = bn_buf_get_u8(&v, &t->version)) != BN_OK)
		goto out;
	if (t->version != BN_TICKET_VERSION) {
		r = BN_ERR_TICKET_VERSION;
		goto out;
	}
	if ((r = bn_buf_get(&v, t->cli_pub, sizeof(t->cli_pub))) != BN_OK ||
	    (r = bn_buf_get(&v, t->key_id, sizeof(t->key_id))) != BN_OK ||
	    (r = bn_buf_get(&v, t->nonce, sizeof(t->nonce))) != BN_OK ||
	    (r = bn_buf_get(&v, t->mac, sizeof(t->mac))) != BN_OK)
		goto out;
	/* Replay memory keys on these exact bytes: one encoding per key. */
	if (!cli_pub_canonical(t->cli_pub)) {
		r = BN_ERR_TICKET_MALFORMED;
		goto out;
	}
	t->pad_len = bn_buf_len(&v);
	r = bn_buf_consume(in, len);
 out:
	if (r == BN_ERR_INCOMPLETE)	/* cannot happen after the size check */
		r = BN_ERR_TICKET_MALFORMED;
	if (r != BN_OK)
		memset(t, 0, sizeof(*t));
	return r;
}

static const struct bn_ticket_site_key *
find_key(const struct bn_ticket_site_key *keys, size_t nkeys,
    const uint8_t key_id[BN_TICKET_KEY_ID_LEN])
{
	size_t i;

	/* key ids are public: an early exit leaks nothing. */
	for (i = 0; i < nkeys; i++)
		if (memcmp(keys[i].key_id, key_id, BN_TICKET_KEY_ID_LEN) == 0)
			return &keys[i];
	return NULL;
}

/*
 * Outside the window: does any hour within BN_TICKET_EXPIRED_HOURS match?
 * Runs only for a ticket already refused, so an early exit is fine.
 */
static int
refusal_reason(const struct bn_ticket *t, const uint8_t shared[BN_KEY_LEN],
    uint64_t hour)
{
	uint8_t expect[BN_TICKET_MAC_LEN];
	uint64_t d;
	int r = BN_ERR_TICKET_MAC, i;

	for (d = BN_TICKET_WINDOW_HOURS + 1; d <= BN_TICKET_EXPIRED_HOURS;
	    d++) {
		for (i = 0; i < 2; i++) {
			if (i == 0 && hour < d)
				continue;
			if ((r = bn_ticket_mac(expect, shared, t->key_id,
			    i == 0 ? hour - d : hour + d)) != BN_OK)
				goto out;
			if (bn_ct_eq(expect, t->mac, sizeof(expect))) {
				r = BN_ERR_TICKET_EXPIRED;
				goto out;
			}
			r = BN_ERR_TICKET_MAC;
		}
	}
 out:
	bn_cleanse(expect, sizeof(expect));
	return r;
}

int
bn_ticket_verify(const struct bn_ticket *t,
    const struct bn_ticket_site_key *keys, size_t nkeys, uint64_t now,
    uint64_t *hour)
{
	const struct bn_ticket_site_key *k;
	uint8_t shared[BN_KEY_LEN], expect[BN_TICKET_MAC_LEN];
	uint64_t h = bn_ticket_hour(now), hr, matched = 0, mask;
	int r, d, eq, any = 0;

	if (hour != NULL)
		*hour = 0;
	if (t->version != BN_TICKET_VERSION)
		return BN_ERR_TICKET_VERSION;
	/* Also here, for a struct filled in without bn_ticket_parse(). */
	if (!cli_pub_canonical(t->cli_pub))
		return BN_ERR_TICKET_MALFORMED;
	if ((k = find_key(keys, nkeys, t->key_id)) == NULL)
		return BN_ERR_TICKET_KEY;
	/* One X25519 per verify; each hour costs one HKDF. */
	if ((r = bn_x25519(shared, k->priv, t->cli_pub)) != BN_OK) {
		if (r == BN_ERR_DH_ZERO)
			r = BN_ERR_TICKET_MALFORMED;
		goto out;
	}
	/* Every window hour is computed and compared: no early exit. */
	for (d = -BN_TICKET_WINDOW_HOURS; d <= BN_TICKET_WINDOW_HOURS; d++) {
		if (d < 0 && h < (uint64_t)-d)
			continue;
		hr = h + (uint64_t)(int64_t)d;
		if ((r = bn_ticket_mac(expect, shared, t->key_id, hr)) != BN_OK)
			goto out;
		eq = bn_ct_eq(expect, t->mac, sizeof(expect));
		mask = 0 - (uint64_t)eq;
		matched |= mask & hr;
		any |= eq;
	}
	if (any) {
		if (hour != NULL)
			*hour = matched;
		r = BN_OK;
	} else
		r = refusal_reason(t, shared, h);
 out:
	bn_cleanse(shared, sizeof(shared));
	bn_cleanse(expect, sizeof(expect));
	return r;
}

/* RFC 7230 tchar (also RFC 6265's cookie-name token). */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int
bn_ticket_format(char *out, size_t outcap, enum bn_ticket_carrier carrier,
    const char *cookie_name, const uint8_t *payload, size_t len)
{
	const char *name;
	size_t nlen, i, b64len;

	if (outcap > 0)
		out[0] = '\0';
	if (len > BN_TICKET_MAX_LEN)
		return BN_ERR_INVALID_ARG;
	switch (carrier) {
	case BN_TICKET_CARRIER_COOKIE:
		name = cookie_name != NULL ? cookie_name :
		    BN_TICKET_COOKIE_NAME;
		break;
	case BN_TICKET_CARRIER_QUERY:
	case BN_TICKET_CARRIER_FORM:
		name = BN_TICKET_PARAM_NAME;
		break;
	default:
		return BN_ERR_INVALID_ARG;
	}
	if ((nlen = strlen(name)) == 0)
		return BN_ERR_INVALID_ARG;
	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)name[i]))
			return BN_ERR_INVALID_ARG;
	/* name '=' b64url NUL, with b64url's exact unpadded length. */
	b64len = len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
	if (outcap < nlen + 1 || outcap - nlen - 1 < b64len + 1)
		return BN_ERR_NO_SPACE;
	memcpy(out, name, nlen);
	out[nlen] = '=';
	bn_b64url_encode(out + nlen + 1, payload, len);
	return BN_OK;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void
trim_ows(const char **s, size_t *n)
{
	while (*n > 0 && is_ows((*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*s)[*n - 1]))
		(*n)--;
}

/*
 * Find `name` among the sep-separated name=value pairs of s[0..n).  With
 * trim, spaces around pairs, names and values are ignored (cookies).
 */
static int
find_pair(const char *s, size_t n, char sep, int trim, const char *name,
    const char **val, size_t *vlen)
{
	size_t nlen = strlen(name), plen, klen;
	const char *p, *end, *eq, *k;

	while (n > 0) {
		p = s;
		if ((end = memchr(s, sep, n)) != NULL) {
			plen = (size_t)(end - s);
			s = end + 1;
			n -= plen + 1;
		} else {
			plen = n;
			n = 0;
		}
		if ((eq = memchr(p, '=', plen)) == NULL)
			continue;
		k = p;
		klen = (size_t)(eq - p);
		*val = eq + 1;
		*vlen = plen - klen - 1;
		if (trim) {
			trim_ows(&k, &klen);
			trim_ows(val, vlen);
		}
		if (klen == nlen && memcmp(k, name, nlen) == 0)
			return BN_OK;
	}
	*val = NULL;
	*vlen = 0;
	return BN_ERR_NOT_FOUND;
}

static int
decode_value(uint8_t *out, size_t outcap, size_t *outlen, const char *v,
    size_t vlen)
{
	if (outcap > BN_TICKET_MAX_LEN)
		outcap = BN_TICKET_MAX_LEN;
	if (vlen == 0 ||
	    bn_b64url_decode(out, outcap, outlen, v, vlen) != BN_OK)
		return BN_ERR_TICKET_MALFORMED;
	return BN_OK;
}

int
bn_ticket_from_cookie(uint8_t *out, size_t outcap, size_t *outlen,
    const char *hdr, size_t hdrlen, const char *name)
{
	const char *v;
	size_t vlen;
	int r;

	*outlen = 0;
	if ((r = find_pair(hdr, hdrlen, ';', 1, name != NULL ? name :
	    BN_TICKET_COOKIE_NAME, &v, &vlen)) != BN_OK)
		return r;
	/* RFC 6265 allows cookie-value = DQUOTE *cookie-octet DQUOTE. */
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	}
	return decode_value(out, outcap, outlen, v, vlen);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode (and '+' to space, for forms) into tmp[cap]. */
static int
pct_decode(char *tmp, size_t cap, size_t *tlen, const char *v, size_t vlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < vlen; i++) {
		if (o == cap)
			return BN_ERR_TICKET_MALFORMED;
		if (v[i] == '%') {
			if (vlen - i < 3 || (hi = hexval(v[i + 1])) < 0 ||
			    (lo = hexval(v[i + 2])) < 0)
				return BN_ERR_TICKET_MALFORMED;
			tmp[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			tmp[o++] = v[i] == '+' ? ' ' : v[i];
	}
	*tlen = o;
	return BN_OK;
}

static int
from_urlencoded(uint8_t *out, size_t outcap, size_t *outlen, const char *s,
    size_t n)
{
	char tmp[B64_MAX];
	const char *v;
	size_t vlen, tlen;
	int r;

	*outlen = 0;
	if ((r = find_pair(s, n, '&', 0, BN_TICKET_PARAM_NAME, &v,
	    &vlen)) != BN_OK)
		return r;
	if ((r = pct_decode(tmp, sizeof(tmp), &tlen, v, vlen)) != BN_OK)
		goto out;
	r = decode_value(out, outcap, outlen, tmp, tlen);
 out:
	/* tmp held the encoded ticket, which is a bearer credential. */
	bn_cleanse(tmp, sizeof(tmp));
	return r;
}

int
bn_ticket_from_query(uint8_t *out, size_t outcap, size_t *outlen,
    const char *query, size_t querylen)
{
	const char *frag;

	if (querylen > 0 && query[0] == '?') {
		query++;
		querylen--;
	}
	if ((frag = memchr(query, '#', querylen)) != NULL)
		querylen = (size_t)(frag - query);
	return from_urlencoded(out, outcap, outlen, query, querylen);
}

int
bn_ticket_from_form(uint8_t *out, size_t outcap, size_t *outlen,
    const char *body, size_t bodylen)
{
	return from_urlencoded(out, outcap, outlen, body, bodylen);
}

/*
 * Next ';'-separated parameter of the header, OWS-trimmed; *more says
 * whether a ';' followed it (so a trailing ';' is caught).
 */
static int
next_param(const char **s, size_t *n, const char **k, size_t *klen,
    const char **v, size_t *vlen, int *more)
{
	const char *p = *s, *end, *eq;
	size_t plen;

	if ((end = memchr(p, ';', *n)) != NULL) {
		plen = (size_t)(end - p);
		*s = end + 1;
		*n -= plen + 1;
		*more = 1;
	} else {
		plen = *n;
		*s += plen;
		*n = 0;
		*more = 0;
	}
	trim_ows(&p, &plen);
	if ((eq = memchr(p, '=', plen)) == NULL)
		return -1;
	*k = p;
	*klen = (size_t)(eq - p);
	*v = eq + 1;
	*vlen = plen - *klen - 1;
	return 0;
}

static int
key_is(const char *k, size_t klen, const char *want)
{
	return klen == strlen(want) && memcmp(k, want, klen) == 0;
}

static enum bn_ticket_hdr_reason
check_tok(const char *v, size_t vlen, struct bn_ticket_header *h)
{
	/* Room for more than 120 bytes, so that long tokens say tok_len. */
	uint8_t tok[BN_TICKET_TOK_LEN + 3];
	size_t n;
	int r;

	enum bn_ticket_hdr_reason why = BN_TICKET_HDR_OK;

	if (memchr(v, '=', vlen) != NULL)
		return BN_TICKET_HDR_PADDING;
	r = bn_b64url_decode(tok, sizeof(tok), &n, v, vlen);
	if (r == BN_ERR_TOO_LARGE)
		why = BN_TICKET_HDR_TOK_LEN;
	else if (r != BN_OK)
		why = BN_TICKET_HDR_TOK_ENCODING;
	else if (n != BN_TICKET_TOK_LEN)
		why = BN_TICKET_HDR_TOK_LEN;
	else
		memcpy(h->tok, tok, sizeof(h->tok));
	bn_cleanse(tok, sizeof(tok));
	return why;
}

static enum bn_ticket_hdr_reason
check_ctx(const char *v, size_t vlen, struct bn_ticket_header *h)
{
	size_t i;

	for (i = 0; i < vlen; i++)
		if (!is_tchar((unsigned char)v[i]))
			return BN_TICKET_HDR_CTX;
	if (vlen == 0 || vlen > BN_TICKET_HDR_CTX_MAX)
		return BN_TICKET_HDR_CTX_LEN;
	memcpy(h->ctx, v, vlen);
	h->ctx[vlen] = '\0';
	return BN_TICKET_HDR_OK;
}

/* Visible ASCII and HTAB only; obs-text and controls are malformed. */
static int
header_chars_ok(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
		    (unsigned char)v[i] >= 0x7f)
			return 0;
	return 1;
}

enum bn_ticket_hdr_reason
bn_ticket_header_check(const char *name, const char *value, size_t valuelen,
    struct bn_ticket_header *hout)
{
	struct bn_ticket_header h;
	enum bn_ticket_hdr_reason why = BN_TICKET_HDR_MALFORMED;
	const char *k, *v;
	size_t nlen, klen, vlen;
	int more;

	memset(&h, 0, sizeof(h));
	if (hout != NULL)
		memset(hout, 0, sizeof(*hout));
	nlen = strlen(name != NULL ? name : BN_TICKET_HDR_NAME);
	if (nlen > BN_TICKET_HDR_MAX || valuelen > BN_TICKET_HDR_MAX ||
	    nlen + 2 + valuelen > BN_TICKET_HDR_MAX) {
		why = BN_TICKET_HDR_OVERSIZE;
		goto out;
	}
	if (!header_chars_ok(value, valuelen))
		goto out;
	/* v=v1 */
	if (next_param(&value, &valuelen, &k, &klen, &v, &vlen, &more) != 0 ||
	    !key_is(k, klen, "v"))
		goto out;
	if (!key_is(v, vlen, "v1")) {
		why = BN_TICKET_HDR_BAD_VERSION;
		goto out;
	}
	/* tok=<b64url> */
	if (!more ||
	    next_param(&value, &valuelen, &k, &klen, &v, &vlen, &more) != 0 ||
	    !key_is(k, klen, "tok"))
		goto out;
	if ((why = check_tok(v, vlen, &h)) != BN_TICKET_HDR_OK)
		goto out;
	/* [ctx=<token>], and nothing after it */
	if (more) {
		why = BN_TICKET_HDR_MALFORMED;
		if (next_param(&value, &valuelen, &k, &klen, &v, &vlen,
		    &more) != 0 || !key_is(k, klen, "ctx"))
			goto out;
		if ((why = check_ctx(v, vlen, &h)) != BN_TICKET_HDR_OK)
			goto out;
		if (more) {
			why = BN_TICKET_HDR_MALFORMED;
			goto out;
		}
	}
	if (hout != NULL)
		*hout = h;
 out:
	bn_cleanse(&h, sizeof(h));
	return why;
}

const char *
bn_ticket_header_reason_str(enum bn_ticket_hdr_reason r)
{
	switch (r) {
	case BN_TICKET_HDR_OK:		return "ok";
	case BN_TICKET_HDR_OVERSIZE:	return "oversize";
	case BN_TICKET_HDR_MALFORMED:	return "malformed";
	case BN_TICKET_HDR_BAD_VERSION:	return "bad_version";
	case BN_TICKET_HDR_PADDING:	return "padding";
	case BN_TICKET_HDR_TOK_ENCODING:return "tok_encoding";
	case BN_TICKET_HDR_TOK_LEN:	return "tok_len";
	case BN_TICKET_HDR_CTX:		return "ctx";
	case BN_TICKET_HDR_CTX_LEN:	return "ctx_len";
	}
	return "unknown";
}
