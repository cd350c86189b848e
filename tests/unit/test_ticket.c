/*
 * Unit tests for ticket: every case of tests/vectors/ticket_vectors.json
 * (verify, make with injected keys, carriers, BN-Ticket headers), the
 * hour window, key rotation, truncation and the carrier extractors.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/ticket.h"
#include "testutil.h"

#define OFF_KEY_ID	(1 + BN_KEY_LEN)
#define OFF_NONCE	(OFF_KEY_ID + BN_TICKET_KEY_ID_LEN)
#define OFF_MAC		(OFF_NONCE + BN_TICKET_NONCE_LEN)

static json_t *vec;
static struct bn_ticket_site_key site;
static uint8_t site_pub[BN_KEY_LEN];
static uint64_t verify_time;

static void
setup(void)
{
	vec = tu_json_load("ticket_vectors.json");
	tu_json_hex_n(vec, "site.ticket_priv", site.priv, BN_KEY_LEN);
	tu_json_hex_n(vec, "site.key_id", site.key_id, BN_TICKET_KEY_ID_LEN);
	tu_json_hex_n(vec, "site.ticket_pub", site_pub, BN_KEY_LEN);
	verify_time = json_integer_value(tu_json_at(vec, "verify_time"));
}

static void
teardown(void)
{
	json_decref(vec);
}

/* Parse then verify, as a gateway does. */
static int
check_payload(const uint8_t *p, size_t len,
    const struct bn_ticket_site_key *keys, size_t nkeys, uint64_t now,
    uint64_t *hour)
{
	struct bn_buf b;
	struct bn_ticket t;
	int r;

	bn_buf_view(&b, p, len);
	if ((r = bn_ticket_parse(&b, &t)) != BN_OK)
		return r;
	ck_assert_uint_eq(bn_buf_len(&b), 0);
	return bn_ticket_verify(&t, keys, nkeys, now, hour);
}

/* Map the vectors' reason classes to our codes (EXPIRED: see ticket.h). */
static int
expected_code(const char *reason)
{
	if (strcmp(reason, "ok") == 0)
		return BN_OK;
	if (strncmp(reason, "EXPIRED", 7) == 0)
		return BN_ERR_TICKET_EXPIRED;
	if (strcmp(reason, "BAD_MAC") == 0)
		return BN_ERR_TICKET_MAC;
	if (strcmp(reason, "BAD_VERSION") == 0)
		return BN_ERR_TICKET_VERSION;
	if (strcmp(reason, "UNKNOWN_KEY") == 0)
		return BN_ERR_TICKET_KEY;
	if (strcmp(reason, "MALFORMED") == 0)
		return BN_ERR_TICKET_MALFORMED;
	ck_abort_msg("unknown reason in vectors: %s", reason);
	return 0;
}

START_TEST(test_vector_verify)
{
	json_t *arr = tu_json_at(vec, "tickets");
	size_t i, len;
	uint64_t hour;
	uint8_t *p;
	int r, want;

	for (i = 0; i < json_array_size(arr); i++) {
		json_t *t = json_array_get(arr, i);
		const char *name = tu_json_str(t, "name");

		p = tu_json_hex(t, "payload", &len);
		want = expected_code(tu_json_str(t, "reason"));
		ck_assert_str_eq(tu_json_str(t, "expect"),
		    want == BN_OK ? "accept" : "refuse");
		r = check_payload(p, len, &site, 1, verify_time, &hour);
		ck_assert_msg(r == want, "%s: got %d (%s), want %d", name, r,
		    bn_strerror(r), want);
		if (r == BN_OK)
			ck_assert_uint_eq(hour, json_integer_value(
			    tu_json_at(t, "ticket_hour")));
		free(p);
	}
}
END_TEST

/*
 * With the recorded client key, nonce and pad, our maker writes the
 * recorded payload: salt and ticket match exactly.  The vectors that were
 * damaged after making differ only where they were damaged.
 */
START_TEST(test_vector_make)
{
	json_t *arr = tu_json_at(vec, "tickets");
	uint8_t cli_priv[BN_KEY_LEN], salt[BN_HASH_LEN], want_salt[BN_HASH_LEN];
	uint8_t at[BN_TICKET_MAC_LEN], store[BN_TICKET_MAX_LEN], *p;
	uint8_t shared[BN_KEY_LEN], mac[BN_TICKET_MAC_LEN];
	struct bn_buf out;
	size_t i, j, len, diff_bits;
	uint64_t hour;

	for (i = 0; i < json_array_size(arr); i++) {
		json_t *t = json_array_get(arr, i);
		const char *name = tu_json_str(t, "name");

		p = tu_json_hex(t, "payload", &len);
		ck_assert_uint_ge(len, OFF_MAC + BN_TICKET_MAC_LEN);
		tu_json_hex_n(t, "client_priv", cli_priv, sizeof(cli_priv));
		tu_json_hex_n(t, "salt", want_salt, sizeof(want_salt));
		tu_json_hex_n(t, "access_ticket", at, sizeof(at));
		hour = json_integer_value(tu_json_at(t, "ticket_hour"));

		ck_assert_int_eq(bn_ticket_salt(salt, p + OFF_KEY_ID, hour), 0);
		ck_assert_msg(memcmp(salt, want_salt, sizeof(salt)) == 0,
		    "%s: salt", name);
		ck_assert_int_eq(bn_x25519(shared, cli_priv, site_pub), 0);
		ck_assert_int_eq(bn_ticket_mac(mac, shared, p + OFF_KEY_ID,
		    hour), 0);
		ck_assert_msg(memcmp(mac, at, sizeof(at)) == 0, "%s: ticket",
		    name);

		bn_buf_fixed(&out, store, sizeof(store));
		ck_assert_int_eq(bn_ticket_make_with(&out, site_pub,
		    p + OFF_KEY_ID, hour * 3600 + 1234, cli_priv, p + OFF_NONCE,
		    p + BN_TICKET_FIXED_LEN, len - BN_TICKET_FIXED_LEN), 0);
		ck_assert_uint_eq(bn_buf_len(&out), len);
		/* "version 2" differs in byte 0 only. */
		ck_assert_int_eq(store[0], BN_TICKET_VERSION);
		ck_assert_int_eq(p[0] == 1 || strcmp(name, "version 2") == 0,
		    1);
		ck_assert_int_eq(memcmp(store + 1, p + 1, OFF_MAC - 1), 0);
		ck_assert_int_eq(memcmp(store + OFF_MAC + BN_TICKET_MAC_LEN,
		    p + OFF_MAC + BN_TICKET_MAC_LEN,
		    len - OFF_MAC - BN_TICKET_MAC_LEN), 0);
		ck_assert_int_eq(memcmp(store + OFF_MAC, at, sizeof(at)), 0);
		/* "flipped ticket bit" differs in one bit of the ticket. */
		for (diff_bits = 0, j = 0; j < BN_TICKET_MAC_LEN; j++)
			diff_bits += __builtin_popcount(store[OFF_MAC + j] ^
			    p[OFF_MAC + j]);
		ck_assert_uint_eq(diff_bits,
		    strcmp(name, "flipped ticket bit") == 0 ? 1 : 0);
		free(p);
	}
}
END_TEST

START_TEST(test_vector_carriers)
{
	json_t *arr = tu_json_at(vec, "tickets");
	uint8_t out[BN_TICKET_MAX_LEN], *p;
	char s[2048];
	size_t i, len, n;

	for (i = 0; i < json_array_size(arr); i++) {
		json_t *t = json_array_get(arr, i);
		const char *cookie = tu_json_str(t, "cookie");
		const char *query = tu_json_str(t, "query");
		const char *form = tu_json_str(t, "form_body");

		p = tu_json_hex(t, "payload", &len);
		ck_assert_int_eq(bn_ticket_from_cookie(out, sizeof(out), &n,
		    cookie, strlen(cookie), NULL), 0);
		ck_assert_uint_eq(n, len);
		ck_assert_int_eq(memcmp(out, p, len), 0);
		ck_assert_int_eq(bn_ticket_from_query(out, sizeof(out), &n,
		    query, strlen(query)), 0);
		ck_assert_uint_eq(n, len);
		ck_assert_int_eq(memcmp(out, p, len), 0);
		ck_assert_int_eq(bn_ticket_from_form(out, sizeof(out), &n,
		    form, strlen(form)), 0);
		ck_assert_uint_eq(n, len);
		ck_assert_int_eq(memcmp(out, p, len), 0);

		ck_assert_int_eq(bn_ticket_format(s, sizeof(s),
		    BN_TICKET_CARRIER_COOKIE, NULL, p, len), 0);
		ck_assert_str_eq(s, cookie);
		ck_assert_int_eq(bn_ticket_format(s, sizeof(s),
		    BN_TICKET_CARRIER_QUERY, NULL, p, len), 0);
		ck_assert_str_eq(s, query);
		ck_assert_int_eq(bn_ticket_format(s, sizeof(s),
		    BN_TICKET_CARRIER_FORM, NULL, p, len), 0);
		ck_assert_str_eq(s, form);
		free(p);
	}
}
END_TEST

START_TEST(test_vector_header)
{
	json_t *arr = tu_json_at(vec, "bn_ticket_header");
	struct bn_ticket_header h;
	enum bn_ticket_hdr_reason r;
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		json_t *t = json_array_get(arr, i);
		const char *v = tu_json_str(t, "value");

		r = bn_ticket_header_check(NULL, v, strlen(v), &h);
		ck_assert_msg(strcmp(bn_ticket_header_reason_str(r),
		    tu_json_str(t, "library_reason")) == 0, "%s: got %s",
		    tu_json_str(t, "name"), bn_ticket_header_reason_str(r));
		ck_assert_int_eq(r == BN_TICKET_HDR_OK,
		    json_is_true(tu_json_at(t, "valid")));
		if (strcmp(tu_json_str(t, "name"), "ok with ctx") == 0)
			ck_assert_str_eq(h.ctx, "site-1");
	}
}
END_TEST

/* Reasons beyond the vectors, and every truncation of a good header. */
START_TEST(test_header_more)
{
	static const struct {
		const char *suffix;
		enum bn_ticket_hdr_reason r;
	} cases[] = {
		{ "", BN_TICKET_HDR_OK },
		{ ";", BN_TICKET_HDR_MALFORMED },
		{ "; ctx=a", BN_TICKET_HDR_OK },
		{ " ;ctx=a ", BN_TICKET_HDR_OK },
		{ "; ctx=", BN_TICKET_HDR_CTX_LEN },
		{ "; ctx=a;", BN_TICKET_HDR_MALFORMED },
		{ "; ctx=a; x=1", BN_TICKET_HDR_MALFORMED },
		{ "; x=1", BN_TICKET_HDR_MALFORMED },
		{ "; ctx", BN_TICKET_HDR_MALFORMED },
		{ "; ctx=\"a\"", BN_TICKET_HDR_CTX },
		{ "; ctx=a\x01", BN_TICKET_HDR_MALFORMED },
		{ "AA", BN_TICKET_HDR_TOK_LEN },
		{ "A", BN_TICKET_HDR_TOK_ENCODING },
		{ "+", BN_TICKET_HDR_TOK_ENCODING },
	};
	const char *ok = tu_json_str(vec, "bn_ticket_header.0.value");
	struct bn_ticket_header h;
	char v[512];
	size_t i, n = strlen(ok);
	uint8_t tok[BN_TICKET_TOK_LEN];
	size_t toklen;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(v, sizeof(v), "%s%s", ok, cases[i].suffix);
		ck_assert_msg(bn_ticket_header_check(NULL, v, strlen(v), &h) ==
		    cases[i].r, "case %zu (%s)", i, cases[i].suffix);
	}
	/* The token comes back decoded. */
	ck_assert_int_eq(bn_ticket_header_check(NULL, ok, n, &h),
	    BN_TICKET_HDR_OK);
	ck_assert_int_eq(bn_b64url_decode(tok, sizeof(tok), &toklen,
	    strstr(ok, "tok=") + 4, strlen(strstr(ok, "tok=") + 4)), 0);
	ck_assert_int_eq(memcmp(h.tok, tok, sizeof(tok)), 0);
	ck_assert_str_eq(h.ctx, "");
	/* Every proper prefix is refused. */
	for (i = 0; i < n; i++)
		ck_assert_msg(bn_ticket_header_check(NULL, ok, i, NULL) !=
		    BN_TICKET_HDR_OK, "prefix %zu accepted", i);
	ck_assert_int_eq(bn_ticket_header_check(NULL, "", 0, NULL),
	    BN_TICKET_HDR_MALFORMED);
	ck_assert_int_eq(bn_ticket_header_check(NULL, "tok=x; v=v1", 11, NULL),
	    BN_TICKET_HDR_MALFORMED);
	ck_assert_int_eq(bn_ticket_header_check(NULL, "v=v1", 4, NULL),
	    BN_TICKET_HDR_MALFORMED);
	/* The 256-byte limit counts the name. */
	snprintf(v, sizeof(v), "%s; ctx=", ok);
	memset(v + strlen(v), 'y', 32);
	v[strlen(ok) + 6 + 32] = '\0';
	ck_assert_int_eq(bn_ticket_header_check(NULL, v, strlen(v), NULL),
	    BN_TICKET_HDR_OK);
	ck_assert_int_eq(bn_ticket_header_check("X-A-Much-Longer-Header-"
	    "Name-That-Pushes-The-Line-Over-Two-Hundred-And-Fifty-Six", v,
	    strlen(v), NULL), BN_TICKET_HDR_OVERSIZE);
	ck_assert_str_eq(bn_ticket_header_reason_str(BN_TICKET_HDR_OVERSIZE),
	    "oversize");
}
END_TEST

/* Make at the last second of hour H; verify around it. */
START_TEST(test_hour_window)
{
	static const struct {
		int64_t dh;
		int want;
	} cases[] = {
		{ -1, BN_OK }, { 0, BN_OK }, { 1, BN_OK },
		{ -2, BN_ERR_TICKET_EXPIRED }, { 2, BN_ERR_TICKET_EXPIRED },
		{ -BN_TICKET_EXPIRED_HOURS, BN_ERR_TICKET_EXPIRED },
		{ BN_TICKET_EXPIRED_HOURS, BN_ERR_TICKET_EXPIRED },
		{ -BN_TICKET_EXPIRED_HOURS - 1, BN_ERR_TICKET_MAC },
		{ BN_TICKET_EXPIRED_HOURS + 1, BN_ERR_TICKET_MAC },
	};
	uint8_t store[BN_TICKET_MADE_MAX];
	struct bn_buf b;
	uint64_t H = 490000, made = H * 3600 + 3599, hour, now;
	size_t i;
	int r;

	bn_buf_fixed(&b, store, sizeof(store));
	ck_assert_int_eq(bn_ticket_make(&b, site_pub, site.key_id, made), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The ticket's hour H is `now`'s hour + dh... */
		now = (uint64_t)((int64_t)H - cases[i].dh) * 3600;
		r = check_payload(store, bn_buf_len(&b), &site, 1, now, &hour);
		ck_assert_msg(r == cases[i].want, "dh %lld: %d",
		    (long long)cases[i].dh, r);
		if (r == BN_OK)
			ck_assert_uint_eq(hour, H);
		/* ...at both ends of that hour. */
		r = check_payload(store, bn_buf_len(&b), &site, 1, now + 3599,
		    &hour);
		ck_assert_int_eq(r, cases[i].want);
	}
	/* Near the epoch, hour - 1 does not wrap. */
	bn_buf_reset(&b);
	ck_assert_int_eq(bn_ticket_make(&b, site_pub, site.key_id, 10), 0);
	ck_assert_int_eq(check_payload(store, bn_buf_len(&b), &site, 1, 20,
	    &hour), 0);
	ck_assert_uint_eq(hour, 0);
	ck_assert_int_eq(check_payload(store, bn_buf_len(&b), &site, 1,
	    3 * 3600, &hour), BN_ERR_TICKET_EXPIRED);
}
END_TEST

/* Current and previous keys are both accepted; a third is not. */
START_TEST(test_key_rotation)
{
	struct bn_ticket_site_key keys[2];
	uint8_t pub_new[BN_KEY_LEN], pub_other[BN_KEY_LEN];
	uint8_t other_priv[BN_KEY_LEN], other_id[BN_TICKET_KEY_ID_LEN];
	uint8_t store[BN_TICKET_MADE_MAX];
	struct bn_buf b;
	uint64_t hour;

	ck_assert_int_eq(bn_x25519_keygen(keys[0].priv, pub_new), 0);
	memcpy(keys[0].key_id, "newkey01", 8);
	keys[1] = site;				/* previous */
	ck_assert_int_eq(bn_x25519_keygen(other_priv, pub_other), 0);
	memcpy(other_id, "otherkey", 8);

	bn_buf_fixed(&b, store, sizeof(store));
	ck_assert_int_eq(bn_ticket_make(&b, site_pub, site.key_id,
	    verify_time), 0);
	ck_assert_int_eq(check_payload(store, bn_buf_len(&b), keys, 2,
	    verify_time, &hour), 0);
	ck_assert_int_eq(check_payload(store, bn_buf_len(&b), keys, 1,
	    verify_time, &hour), BN_ERR_TICKET_KEY);

	bn_buf_reset(&b);
	ck_assert_int_eq(bn_ticket_make(&b, pub_new, keys[0].key_id,
	    verify_time), 0);
	ck_assert_int_eq(check_payload(store, bn_buf_len(&b), keys, 2,
	    verify_time, &hour), 0);

	/* Right key id, wrong public key: the MAC cannot match. */
	bn_buf_reset(&b);
	ck_assert_int_eq(bn_ticket_make(&b, pub_other, keys[0].key_id,
	    verify_time), 0);
	ck_assert_int_eq(check_payload(store, bn_buf_len(&b), keys, 2,
	    verify_time, &hour), BN_ERR_TICKET_MAC);

	bn_buf_reset(&b);
	ck_assert_int_eq(bn_ticket_make(&b, pub_other, other_id,
	    verify_time), 0);
	ck_assert_int_eq(check_payload(store, bn_buf_len(&b), keys, 2,
	    verify_time, &hour), BN_ERR_TICKET_KEY);
	ck_assert_int_eq(check_payload(store, bn_buf_len(&b), keys, 0,
	    verify_time, &hour), BN_ERR_TICKET_KEY);
}
END_TEST

/*
 * Prefixes shorter than 129 bytes are malformed and leave the buffer and
 * the output as they were; longer ones only shorten the unauthenticated
 * pad, so they still verify.  One more byte is one more pad byte.
 */
START_TEST(test_truncation)
{
	uint8_t *p, big[BN_TICKET_MAX_LEN + 1];
	struct bn_ticket t;
	struct bn_buf b;
	size_t len, i;
	uint64_t hour;

	p = tu_json_hex(vec, "tickets.2.payload", &len);	/* 169 bytes */
	ck_assert_uint_eq(len, BN_TICKET_MADE_MAX);
	for (i = 0; i < len; i++) {
		bn_buf_view(&b, p, i);
		memset(&t, 0xaa, sizeof(t));
		if (i < BN_TICKET_MIN_LEN) {
			ck_assert_int_eq(bn_ticket_parse(&b, &t),
			    BN_ERR_TICKET_MALFORMED);
			ck_assert_uint_eq(bn_buf_len(&b), i);
			ck_assert_int_eq(t.version, 0);
			ck_assert_int_eq(t.cli_pub[0], 0);
		} else {
			ck_assert_int_eq(check_payload(p, i, &site, 1,
			    verify_time, &hour), 0);
		}
	}
	memset(big, 0x5a, sizeof(big));
	memcpy(big, p, len);
	ck_assert_int_eq(check_payload(big, len + 1, &site, 1, verify_time,
	    &hour), 0);
	ck_assert_int_eq(check_payload(big, BN_TICKET_MAX_LEN, &site, 1,
	    verify_time, &hour), 0);
	bn_buf_view(&b, big, BN_TICKET_MAX_LEN + 1);
	ck_assert_int_eq(bn_ticket_parse(&b, &t), BN_ERR_TICKET_MALFORMED);
	ck_assert_uint_eq(bn_buf_len(&b), BN_TICKET_MAX_LEN + 1);
	/* A parsed ticket with a different version byte. */
	bn_buf_view(&b, p, len);
	ck_assert_int_eq(bn_ticket_parse(&b, &t), 0);
	ck_assert_uint_eq(t.pad_len, BN_TICKET_PAD_MAX);
	t.version = 2;
	ck_assert_int_eq(bn_ticket_verify(&t, &site, 1, verify_time, &hour),
	    BN_ERR_TICKET_VERSION);
	/* A low-order client key makes X25519 give zero. */
	memset(big + 1, 0, BN_KEY_LEN);
	ck_assert_int_eq(check_payload(big, len, &site, 1, verify_time, &hour),
	    BN_ERR_TICKET_MALFORMED);
	free(p);
}
END_TEST

/*
 * X25519 ignores bit 255 and reduces u mod p, so a non-canonical cli_pub
 * carries the same MAC as the canonical one; replay memory keys on the
 * exact bytes, so both parse and verify must refuse the aliases.
 */
START_TEST(test_cli_pub_canonical)
{
	/* p + 9 = 2^255 - 10, which X25519 treats as u = 9. */
	static const uint8_t p9_lo = 0xf6, p_lo = 0xed;
	uint8_t *p, q[BN_TICKET_MADE_MAX], shared1[BN_KEY_LEN];
	uint8_t shared2[BN_KEY_LEN];
	struct bn_ticket t, t2;
	struct bn_buf b;
	size_t len;
	uint64_t hour;

	p = tu_json_hex(vec, "tickets.0.payload", &len);	/* accepted */
	ck_assert_uint_le(len, sizeof(q));
	ck_assert_int_eq(check_payload(p, len, &site, 1, verify_time, &hour),
	    BN_OK);
	/* The alias really is one: same shared secret, so the same MAC. */
	memcpy(q, p, len);
	q[BN_KEY_LEN] |= 0x80;
	ck_assert_int_eq(bn_x25519(shared1, site.priv, p + 1), BN_OK);
	ck_assert_int_eq(bn_x25519(shared2, site.priv, q + 1), BN_OK);
	ck_assert_int_eq(memcmp(shared1, shared2, BN_KEY_LEN), 0);
	/* Bit 255 set: malformed, buffer untouched, output cleared. */
	bn_buf_view(&b, q, len);
	memset(&t, 0xaa, sizeof(t));
	ck_assert_int_eq(bn_ticket_parse(&b, &t), BN_ERR_TICKET_MALFORMED);
	ck_assert_uint_eq(bn_buf_len(&b), len);
	ck_assert_int_eq(t.version, 0);
	ck_assert_int_eq(t.cli_pub[0], 0);
	ck_assert_int_eq(check_payload(q, len, &site, 1, verify_time, &hour),
	    BN_ERR_TICKET_MALFORMED);
	/* verify() refuses it too, for a struct not made by parse(). */
	bn_buf_view(&b, p, len);
	ck_assert_int_eq(bn_ticket_parse(&b, &t2), BN_OK);
	t2.cli_pub[BN_KEY_LEN - 1] ^= 0x80;
	ck_assert_int_eq(bn_ticket_verify(&t2, &site, 1, verify_time, &hour),
	    BN_ERR_TICKET_MALFORMED);
	/* u + p for u = 9: 2^255 - 10. */
	memset(q + 1, 0xff, BN_KEY_LEN);
	q[1] = p9_lo;
	q[BN_KEY_LEN] = 0x7f;
	ck_assert_int_eq(check_payload(q, len, &site, 1, verify_time, &hour),
	    BN_ERR_TICKET_MALFORMED);
	/* p itself and 2^255 - 1 are not canonical either... */
	q[1] = p_lo;
	ck_assert_int_eq(check_payload(q, len, &site, 1, verify_time, &hour),
	    BN_ERR_TICKET_MALFORMED);
	q[1] = 0xff;
	ck_assert_int_eq(check_payload(q, len, &site, 1, verify_time, &hour),
	    BN_ERR_TICKET_MALFORMED);
	/* ...but p - 1 is (it parses; as u = -1 it is low-order). */
	q[1] = p_lo - 1;
	bn_buf_view(&b, q, len);
	ck_assert_int_eq(bn_ticket_parse(&b, &t), BN_OK);
	/* Canonical with a low byte over 0xed: parses, fails on its MAC. */
	q[1] = 0xff;
	q[2] = 0xfe;
	bn_buf_view(&b, q, len);
	ck_assert_int_eq(bn_ticket_parse(&b, &t), BN_OK);
	ck_assert_int_eq(bn_ticket_verify(&t, &site, 1, verify_time, &hour),
	    BN_ERR_TICKET_MAC);
	free(p);
}
END_TEST

/* The maker's pad length is uniform over 24..64; every payload verifies. */
START_TEST(test_make_random)
{
	uint8_t store[BN_TICKET_MADE_MAX + 8];
	int seen[BN_TICKET_PAD_MAX + 1] = { 0 };
	struct bn_ticket t;
	struct bn_buf b, in;
	size_t i;
	uint64_t hour;

	for (i = 0; i < 600; i++) {
		bn_buf_fixed(&b, store, sizeof(store));
		ck_assert_int_eq(bn_ticket_make(&b, site_pub, site.key_id,
		    verify_time), 0);
		bn_buf_view(&in, bn_buf_ptr(&b), bn_buf_len(&b));
		ck_assert_int_eq(bn_ticket_parse(&in, &t), 0);
		ck_assert_uint_ge(t.pad_len, BN_TICKET_PAD_MIN);
		ck_assert_uint_le(t.pad_len, BN_TICKET_PAD_MAX);
		seen[t.pad_len] = 1;
		if (i < 20) {
			ck_assert_int_eq(bn_ticket_verify(&t, &site, 1,
			    verify_time, &hour), 0);
			ck_assert_uint_eq(hour, verify_time / 3600);
		}
	}
	/* Misses one given length with probability (40/41)^600 ~ 4e-7. */
	ck_assert_int_eq(seen[BN_TICKET_PAD_MIN], 1);
	ck_assert_int_eq(seen[BN_TICKET_PAD_MAX], 1);
	/* Not enough room: nothing is written. */
	bn_buf_fixed(&b, store, BN_TICKET_MADE_MAX - 1);
	ck_assert_int_eq(bn_ticket_make(&b, site_pub, site.key_id,
	    verify_time), BN_ERR_NO_SPACE);
	ck_assert_uint_eq(bn_buf_len(&b), 0);
}
END_TEST

static void
want_payload(int r, const uint8_t *out, size_t n, const uint8_t *p,
    size_t len, const char *what)
{
	ck_assert_msg(r == BN_OK, "%s: %d", what, r);
	ck_assert_msg(n == len && memcmp(out, p, len) == 0, "%s: bytes", what);
}

START_TEST(test_carriers)
{
	uint8_t out[BN_TICKET_MAX_LEN], *p;
	char b64[bn_b64url_enc_len(BN_TICKET_MADE_MAX)], s[1024];
	size_t len, n;
	int r;

	/* 145 bytes: padded spelling ends in "==". */
	p = tu_json_hex(vec, "tickets.1.payload", &len);
	bn_b64url_encode(b64, p, len);

	snprintf(s, sizeof(s), "a=b;__Host-bn1=%s==;c=d", b64);
	r = bn_ticket_from_cookie(out, sizeof(out), &n, s, strlen(s), NULL);
	want_payload(r, out, n, p, len, "cookie padded");
	snprintf(s, sizeof(s), "  x=1 ;  __Host-bn1 = \"%s\" ; y", b64);
	r = bn_ticket_from_cookie(out, sizeof(out), &n, s, strlen(s), NULL);
	want_payload(r, out, n, p, len, "cookie spaces, quotes");
	snprintf(s, sizeof(s), "__Host-bn10=zz; bn1=zz; site=%s; x", b64);
	r = bn_ticket_from_cookie(out, sizeof(out), &n, s, strlen(s), "site");
	want_payload(r, out, n, p, len, "cookie by name");
	r = bn_ticket_from_cookie(out, sizeof(out), &n, s, strlen(s), NULL);
	ck_assert_int_eq(r, BN_ERR_NOT_FOUND);
	ck_assert_uint_eq(n, 0);
	snprintf(s, sizeof(s), "__Host-bn1=%s; __Host-bn1=AAAA", b64);
	r = bn_ticket_from_cookie(out, sizeof(out), &n, s, strlen(s), NULL);
	want_payload(r, out, n, p, len, "first cookie wins");
	s[0] = '\0';
	ck_assert_int_eq(bn_ticket_from_cookie(out, sizeof(out), &n, s, 0,
	    NULL), BN_ERR_NOT_FOUND);
	snprintf(s, sizeof(s), "__Host-bn1=");
	ck_assert_int_eq(bn_ticket_from_cookie(out, sizeof(out), &n, s,
	    strlen(s), NULL), BN_ERR_TICKET_MALFORMED);
	snprintf(s, sizeof(s), "__Host-bn1=%s=", b64);
	ck_assert_int_eq(bn_ticket_from_cookie(out, sizeof(out), &n, s,
	    strlen(s), NULL), BN_ERR_TICKET_MALFORMED);
	snprintf(s, sizeof(s), "__Host-bn1=%s", b64);
	s[20] = '+';
	ck_assert_int_eq(bn_ticket_from_cookie(out, sizeof(out), &n, s,
	    strlen(s), NULL), BN_ERR_TICKET_MALFORMED);
	/* Output smaller than the payload. */
	snprintf(s, sizeof(s), "__Host-bn1=%s", b64);
	ck_assert_int_eq(bn_ticket_from_cookie(out, 100, &n, s, strlen(s),
	    NULL), BN_ERR_TICKET_MALFORMED);

	snprintf(s, sizeof(s), "?a=1&bn1=%s%%3D%%3d&b=2#bn1=x", b64);
	r = bn_ticket_from_query(out, sizeof(out), &n, s, strlen(s));
	want_payload(r, out, n, p, len, "query %3D");
	snprintf(s, sizeof(s), "xbn1=1&bn1=%s", b64);
	r = bn_ticket_from_query(out, sizeof(out), &n, s, strlen(s));
	want_payload(r, out, n, p, len, "query exact name");
	snprintf(s, sizeof(s), "a=1#bn1=%s", b64);
	ck_assert_int_eq(bn_ticket_from_query(out, sizeof(out), &n, s,
	    strlen(s)), BN_ERR_NOT_FOUND);
	snprintf(s, sizeof(s), "bn1=%s%%3", b64);
	ck_assert_int_eq(bn_ticket_from_query(out, sizeof(out), &n, s,
	    strlen(s)), BN_ERR_TICKET_MALFORMED);
	snprintf(s, sizeof(s), "bn1=%s%%zz", b64);
	ck_assert_int_eq(bn_ticket_from_query(out, sizeof(out), &n, s,
	    strlen(s)), BN_ERR_TICKET_MALFORMED);

	snprintf(s, sizeof(s), "name=a+b&bn1=%s==&x=", b64);
	r = bn_ticket_from_form(out, sizeof(out), &n, s, strlen(s));
	want_payload(r, out, n, p, len, "form padded");
	snprintf(s, sizeof(s), "name=a+b&bn1=%s+", b64);
	ck_assert_int_eq(bn_ticket_from_form(out, sizeof(out), &n, s,
	    strlen(s)), BN_ERR_TICKET_MALFORMED);
	ck_assert_int_eq(bn_ticket_from_form(out, sizeof(out), &n, "bn1", 3),
	    BN_ERR_NOT_FOUND);

	/* Formatting: room, names. */
	ck_assert_int_eq(bn_ticket_format(s, strlen(b64) + 12,
	    BN_TICKET_CARRIER_COOKIE, NULL, p, len), 0);
	ck_assert_int_eq(bn_ticket_format(s, strlen(b64) + 11,
	    BN_TICKET_CARRIER_COOKIE, NULL, p, len), BN_ERR_NO_SPACE);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(bn_ticket_format(s, sizeof(s),
	    BN_TICKET_CARRIER_COOKIE, "bad name", p, len), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_ticket_format(s, sizeof(s),
	    BN_TICKET_CARRIER_COOKIE, "", p, len), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_ticket_format(s, sizeof(s),
	    BN_TICKET_CARRIER_COOKIE, "site", p, len), 0);
	ck_assert_int_eq(strncmp(s, "site=", 5), 0);
	ck_assert_str_eq(s + 5, b64);
	free(p);
}
END_TEST

/* The longest value a carrier can hold decodes; one more byte does not. */
START_TEST(test_carrier_limits)
{
	static uint8_t big[BN_TICKET_MAX_LEN + 3], out[BN_TICKET_MAX_LEN + 3];
	static char s[4096];
	size_t n, k;

	memset(big, 0x11, sizeof(big));
	k = (size_t)snprintf(s, sizeof(s), "bn1=");
	bn_b64url_encode(s + k, big, BN_TICKET_MAX_LEN);
	strcat(s, "%3D%3D");
	ck_assert_int_eq(bn_ticket_from_query(out, sizeof(out), &n, s,
	    strlen(s)), 0);
	ck_assert_uint_eq(n, BN_TICKET_MAX_LEN);
	bn_b64url_encode(s + k, big, BN_TICKET_MAX_LEN + 3);
	ck_assert_int_eq(bn_ticket_from_query(out, sizeof(out), &n, s,
	    strlen(s)), BN_ERR_TICKET_MALFORMED);
	ck_assert_int_eq(bn_ticket_format(s, sizeof(s),
	    BN_TICKET_CARRIER_QUERY, NULL, big, BN_TICKET_MAX_LEN + 1),
	    BN_ERR_INVALID_ARG);
}
END_TEST

static Suite *
ticket_suite(void)
{
	Suite *s = suite_create("ticket");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vector_verify);
	tcase_add_test(tc, test_vector_make);
	tcase_add_test(tc, test_vector_carriers);
	tcase_add_test(tc, test_vector_header);
	tcase_add_test(tc, test_header_more);
	tcase_add_test(tc, test_hour_window);
	tcase_add_test(tc, test_key_rotation);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_cli_pub_canonical);
	tcase_add_test(tc, test_make_random);
	tcase_add_test(tc, test_carriers);
	tcase_add_test(tc, test_carrier_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(ticket_suite());
}
