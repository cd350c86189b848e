/*
 * Unit tests of gw_admit's pure half: where the ticket is taken from
 * (cookie, then query, then form body), the BN-Ticket and voucher
 * checks, stripping every carrier before forwarding, and
 * X-Forwarded-For / Forwarded.  Requests are made by the real parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/codec.h"
#include "betanet/err.h"
#include "gw_admit.h"
#include "gw_request.h"
#include "testutil.h"

static struct gw_limits lim;
static struct gw_admit_opts opts;

struct preq {
	struct gw_parser	p;
};

static void h_head(void *a, struct gw_request *r) { (void)a; (void)r; }
static int h_body(void *a, const uint8_t *p, size_t n) { return 0; }
static void h_end(void *a) { (void)a; }

/* Parse a request head; the request lives in pr->p until clear. */
static struct gw_request *
parse(struct preq *pr, const char *text)
{
	static const struct gw_parser_cb cb = { h_head, h_body, h_end, NULL };
	size_t used;

	gw_parser_init(&pr->p, &lim, &cb);
	ck_assert_int_eq(gw_parser_feed(&pr->p, (const uint8_t *)text,
	    strlen(text), &used), GW_PARSE_PAUSED);
	return gw_parser_request(&pr->p);
}

/* A fresh ticket payload in its carrier spelling. */
static void
carrier(char *out, size_t cap, enum bn_ticket_carrier kind, uint8_t *pl,
    size_t *pllen)
{
	uint8_t priv[BN_KEY_LEN], pub[BN_KEY_LEN], kid[8] = { 1, 2, 3 };
	uint8_t store[BN_TICKET_MADE_MAX];
	struct bn_buf b;

	ck_assert_int_eq(bn_x25519_keygen(priv, pub), BN_OK);
	bn_buf_fixed(&b, store, sizeof(store));
	ck_assert_int_eq(bn_ticket_make(&b, pub, kid, 1700000000), BN_OK);
	*pllen = bn_buf_len(&b);
	memcpy(pl, bn_buf_ptr(&b), *pllen);
	ck_assert_int_eq(bn_ticket_format(out, cap, kind, NULL, pl, *pllen),
	    BN_OK);
}

static void
setup(void)
{
	gw_limits_default(&lim);
	memset(&opts, 0, sizeof(opts));
	opts.tickets = 1;
}

static void
hdr_value_from(struct gw_request *r, const char *name, long from,
    char *out, size_t cap)
{
	struct gw_hdr h;
	long i = gw_request_find(r, name, from);

	if (i < 0) {
		snprintf(out, cap, "<none>");
		return;
	}
	gw_request_hdr(r, (size_t)i, &h);
	snprintf(out, cap, "%.*s", (int)h.value_len, h.value);
}

static void
hdr_value(struct gw_request *r, const char *name, char *out, size_t cap)
{
	hdr_value_from(r, name, -1, out, cap);
}

static int
count_hdr(struct gw_request *r, const char *name)
{
	long i;
	int n = 0;

	for (i = gw_request_find(r, name, -1); i >= 0;
	    i = gw_request_find(r, name, i + 1))
		n++;
	return n;
}

/* Headers named name in what would be forwarded. */
static int
fwd_count(struct gw_request *r, const char *name)
{
	struct gw_hdr h[GW_HDR_CAP];
	size_t n, i;
	int k = 0;

	n = gw_request_fwd_hdrs(r, h, GW_HDR_CAP);
	for (i = 0; i < n; i++)
		if (gw_str_ieq(h[i].name, h[i].name_len, name))
			k++;
	return k;
}

START_TEST(test_order)
{
	char ck[512], q[512], f[512], req[2048];
	uint8_t p1[200], p2[200], p3[200];
	size_t l1, l2, l3;
	struct gw_admit_cand c;
	struct preq pr;
	struct gw_request *r;
	const char *why;

	carrier(ck, sizeof(ck), BN_TICKET_CARRIER_COOKIE, p1, &l1);
	carrier(q, sizeof(q), BN_TICKET_CARRIER_QUERY, p2, &l2);
	carrier(f, sizeof(f), BN_TICKET_CARRIER_FORM, p3, &l3);

	/* Cookie wins over the query. */
	snprintf(req, sizeof(req), "GET /x?%s HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: a=1; %s\r\n\r\n", q, ck);
	r = parse(&pr, req);
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why),
	    GW_ADMIT_VERIFY);
	ck_assert_uint_eq(c.ticket_len, l1);
	ck_assert(memcmp(c.ticket, p1, l1) == 0);
	gw_parser_clear(&pr.p);

	/* Query wins over a form body; a cookie of another name is no
	 * ticket. */
	snprintf(req, sizeof(req), "POST /x?a=2&%s HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: bn1=zzz\r\nContent-Type: application/x-www-form-"
	    "urlencoded\r\nContent-Length: 5\r\n\r\n", q);
	r = parse(&pr, req);
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why),
	    GW_ADMIT_VERIFY);
	ck_assert_uint_eq(c.ticket_len, l2);
	ck_assert(memcmp(c.ticket, p2, l2) == 0);
	gw_parser_clear(&pr.p);

	/* Only a form body: wait for it, then take it from there. */
	r = parse(&pr, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: "
	    "application/x-www-form-urlencoded; charset=utf-8\r\n"
	    "Content-Length: 300\r\n\r\n");
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why),
	    GW_ADMIT_NEED_BODY);
	snprintf(req, sizeof(req), "a=1&%s&b=2", f);
	ck_assert_int_eq(gw_admit_form(&opts, (const uint8_t *)req,
	    strlen(req), &c, &why), GW_ADMIT_VERIFY);
	ck_assert_uint_eq(c.ticket_len, l3);
	ck_assert(memcmp(c.ticket, p3, l3) == 0);
	ck_assert_int_eq(gw_admit_form(&opts, (const uint8_t *)"a=1", 3, &c,
	    &why), GW_ADMIT_REFUSE);
	ck_assert_str_eq(why, "ticket refused: missing");
	gw_parser_clear(&pr.p);

	/* A form field in a GET is not looked for: missing. */
	r = parse(&pr, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why),
	    GW_ADMIT_REFUSE);
	ck_assert_str_eq(why, "ticket refused: missing");
	/* Admitted connections and --tickets off pass. */
	ck_assert_int_eq(gw_admit_head(&opts, r, 1, &c, &why), GW_ADMIT_OK);
	opts.tickets = 0;
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why), GW_ADMIT_OK);
	gw_parser_clear(&pr.p);
	gw_admit_cand_clear(&c);
}
END_TEST

START_TEST(test_malformed)
{
	struct gw_admit_cand c;
	struct preq pr;
	struct gw_request *r;
	const char *why;

	r = parse(&pr, "GET / HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: __Host-bn1=!!!\r\n\r\n");
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why),
	    GW_ADMIT_REFUSE);
	ck_assert_str_eq(why, "ticket refused: malformed");
	gw_parser_clear(&pr.p);
	/* A malformed BN-Ticket header is a 400 even when admitted. */
	r = parse(&pr, "GET / HTTP/1.1\r\nHost: h\r\n"
	    "BN-Ticket: v=v2; tok=abc\r\n\r\n");
	ck_assert_int_eq(gw_admit_head(&opts, r, 1, &c, &why), GW_ADMIT_BAD);
	opts.tickets = 0;
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why), GW_ADMIT_BAD);
	gw_parser_clear(&pr.p);
}
END_TEST

START_TEST(test_bn_ticket_header_ok)
{
	char tok[200], req[512];
	uint8_t raw[BN_TICKET_TOK_LEN];
	struct gw_admit_cand c;
	struct preq pr;
	struct gw_request *r;
	const char *why;

	memset(raw, 7, sizeof(raw));
	bn_b64url_encode(tok, raw, sizeof(raw));
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "BN-Ticket: v=v1; tok=%s; ctx=abc\r\n\r\n", tok);
	r = parse(&pr, req);
	ck_assert_int_eq(gw_admit_head(&opts, r, 1, &c, &why), GW_ADMIT_OK);
	/* Removed before forwarding. */
	ck_assert_int_eq(gw_admit_strip(&opts, r), BN_OK);
	ck_assert_int_eq(gw_request_find(r, "bn-ticket", -1), -1);
	gw_parser_clear(&pr.p);
}
END_TEST

START_TEST(test_vouchers)
{
	char ck[512], hex[BN_VOUCHER_TEXT_MAX], req[2048];
	uint8_t pl[200], raw[BN_VOUCHER_LEN];
	size_t l;
	struct gw_admit_cand c;
	struct preq pr;
	struct gw_request *r;
	const char *why;

	opts.vouchers_required = 1;
	carrier(ck, sizeof(ck), BN_TICKET_CARRIER_COOKIE, pl, &l);
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: %s\r\n\r\n", ck);
	r = parse(&pr, req);
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why),
	    GW_ADMIT_REFUSE);
	ck_assert_str_eq(why, "voucher refused: missing");
	gw_parser_clear(&pr.p);

	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: %s\r\nBN-Voucher: abcd\r\n\r\n", ck);
	r = parse(&pr, req);
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why),
	    GW_ADMIT_REFUSE);
	ck_assert_str_eq(why, "voucher refused: malformed");
	gw_parser_clear(&pr.p);

	memset(raw, 0x5a, sizeof(raw));
	bn_hex_encode(hex, raw, sizeof(raw));
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: %s\r\nbn-voucher: %s\r\n\r\n", ck, hex);
	r = parse(&pr, req);
	ck_assert_int_eq(gw_admit_head(&opts, r, 0, &c, &why),
	    GW_ADMIT_VERIFY);
	ck_assert_int_eq(c.has_voucher, 1);
	ck_assert(memcmp(c.voucher, raw, sizeof(raw)) == 0);
	/* The voucher never reaches the app. */
	ck_assert_int_eq(gw_admit_strip(&opts, r), BN_OK);
	ck_assert_int_eq(gw_request_find(r, "bn-voucher", -1), -1);
	gw_parser_clear(&pr.p);
	gw_admit_cand_clear(&c);
}
END_TEST

START_TEST(test_strip_cookie_and_query)
{
	static const struct {
		const char *cookie, *want;
	} cases[] = {
		{ "a=1; __Host-bn1=XYZ; b=2", "a=1; b=2" },
		{ "__Host-bn1=XYZ", "<none>" },
		{ "__Host-bn1=XYZ;a=1", "a=1" },
		{ "a=1;  __Host-bn1 = XYZ ", "a=1" },
		{ "a=1; b=2", "a=1; b=2" },
	};
	static const struct {
		const char *target, *want;
	} qs[] = {
		{ "/p?bn1=XYZ", "/p" },
		{ "/p?a=1&bn1=XYZ&b=2", "/p?a=1&b=2" },
		{ "/p?a=1&bn1=X&bn1=Y", "/p?a=1" },
		{ "/p?xbn1=1&bn10=2", "/p?xbn1=1&bn10=2" },
		{ "/p", "/p" },
	};
	char req[1024], v[256];
	const char *t;
	struct preq pr;
	struct gw_request *r;
	size_t i, tl;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Cookie: %s\r\nX-After: 1\r\n\r\n", cases[i].cookie);
		r = parse(&pr, req);
		ck_assert_int_eq(gw_admit_strip(&opts, r), BN_OK);
		hdr_value(r, "cookie", v, sizeof(v));
		ck_assert_msg(strcmp(v, cases[i].want) == 0, "%zu: %s", i, v);
		gw_parser_clear(&pr.p);
	}
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n",
		    qs[i].target);
		r = parse(&pr, req);
		ck_assert_int_eq(gw_admit_strip(&opts, r), BN_OK);
		t = gw_request_target(r, &tl);
		snprintf(v, sizeof(v), "%.*s", (int)tl, t);
		ck_assert_msg(strcmp(v, qs[i].want) == 0, "%zu: %s", i, v);
		gw_parser_clear(&pr.p);
	}
	/* A custom cookie name. */
	opts.cookie_name = "tk";
	r = parse(&pr, "GET / HTTP/1.1\r\nHost: h\r\nCookie: tk=1; "
	    "__Host-bn1=2\r\n\r\n");
	ck_assert_int_eq(gw_admit_strip(&opts, r), BN_OK);
	hdr_value(r, "cookie", v, sizeof(v));
	ck_assert_str_eq(v, "__Host-bn1=2");
	gw_parser_clear(&pr.p);
}
END_TEST

START_TEST(test_strip_form)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "bn1=XYZ", "" },
		{ "a=1&bn1=XYZ&b=2", "a=1&b=2" },
		{ "bn1=XYZ&a=1", "a=1" },
		{ "a=1&bn1=XYZ", "a=1" },
		{ "a=1&b=2", "a=1&b=2" },
		{ "a=1&&bn1=1", "a=1" },
	};
	char buf[64];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(buf, cases[i].in);
		n = gw_admit_strip_form(buf, strlen(buf));
		ck_assert_uint_eq(n, strlen(cases[i].want));
		ck_assert(memcmp(buf, cases[i].want, n) == 0);
	}
}
END_TEST

START_TEST(test_forwarded)
{
	char v[256];
	struct preq pr;
	struct gw_request *r;

	r = parse(&pr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_int_eq(gw_admit_forwarded(r, "192.0.2.7"), BN_OK);
	hdr_value(r, "x-forwarded-for", v, sizeof(v));
	ck_assert_str_eq(v, "192.0.2.7");
	hdr_value(r, "forwarded", v, sizeof(v));
	ck_assert_str_eq(v, "for=192.0.2.7;proto=http");
	gw_parser_clear(&pr.p);

	/* Whatever the client claims is dropped, duplicates included. */
	r = parse(&pr, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: "
	    "203.0.113.1\r\nForwarded: for=203.0.113.1\r\nx-forwarded-for: "
	    "10.0.0.1, 10.0.0.2\r\nX-Real-IP: 10.9.9.9\r\nFORWARDED: "
	    "for=10.0.0.3;proto=https\r\nX-Keep: 1\r\n\r\n");
	ck_assert_int_eq(gw_admit_forwarded(r, "2001:db8::1"), BN_OK);
	ck_assert_int_eq(count_hdr(r, "x-forwarded-for"), 1);
	ck_assert_int_eq(count_hdr(r, "forwarded"), 1);
	ck_assert_int_eq(count_hdr(r, "x-real-ip"), 0);
	ck_assert_int_eq(count_hdr(r, "x-keep"), 1);
	hdr_value(r, "x-forwarded-for", v, sizeof(v));
	ck_assert_str_eq(v, "2001:db8::1");
	hdr_value(r, "forwarded", v, sizeof(v));
	ck_assert_str_eq(v, "for=\"[2001:db8::1]\";proto=http");
	/* And what is forwarded holds only ours. */
	ck_assert_int_eq(fwd_count(r, "x-forwarded-for"), 1);
	ck_assert_int_eq(fwd_count(r, "forwarded"), 1);
	ck_assert_int_eq(fwd_count(r, "x-real-ip"), 0);
	gw_parser_clear(&pr.p);
}
END_TEST

START_TEST(test_strip_referer)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "http://a/p?bn1=XYZ", "http://a/p" },
		{ "http://a/p?x=1&bn1=XYZ&y=2", "http://a/p?x=1&y=2" },
		{ "http://a/p?bn1=X&bn1=Y#f", "http://a/p#f" },
		{ "http://a/p?x=1&bn1=X#f?bn1=1", "http://a/p?x=1#f?bn1=1" },
		{ "http://a/bn1=1?xbn1=2", "http://a/bn1=1?xbn1=2" },
		{ "http://a/p", "http://a/p" },
		{ "http://a/p?", "http://a/p" },
	};
	char req[1024], v[256];
	struct preq pr;
	struct gw_request *r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Referer: %s\r\nReferer: %s\r\n\r\n", cases[i].in,
		    cases[i].in);
		r = parse(&pr, req);
		ck_assert_int_eq(gw_admit_strip(&opts, r), BN_OK);
		ck_assert_int_eq(count_hdr(r, "referer"), 2);
		hdr_value(r, "referer", v, sizeof(v));
		ck_assert_msg(strcmp(v, cases[i].want) == 0, "%zu: %s", i, v);
		/* The second one too. */
		hdr_value_from(r, "referer",
		    gw_request_find(r, "referer", -1) + 1, v, sizeof(v));
		ck_assert_msg(strcmp(v, cases[i].want) == 0, "%zu: %s", i, v);
		gw_parser_clear(&pr.p);
	}
}
END_TEST

/* H2: a form body is read before admission only up to the cap. */
START_TEST(test_preadmit_cap)
{
	char req[1024];
	struct gw_admit_cand c;
	struct preq pr;
	struct gw_request *r;
	const char *why;
	static const struct {
		const char	*len;
		size_t		 cap;
		enum gw_admit_verdict want;
	} cases[] = {
		{ "Content-Length: 8192", 0, GW_ADMIT_NEED_BODY },
		{ "Content-Length: 8193", 0, GW_ADMIT_REFUSE },
		{ "Content-Length: 1048576", 0, GW_ADMIT_REFUSE },
		{ "Content-Length: 300", 300, GW_ADMIT_NEED_BODY },
		{ "Content-Length: 301", 300, GW_ADMIT_REFUSE },
		/* Chunked: the caller enforces the cap while reading. */
		{ "Transfer-Encoding: chunked", 300, GW_ADMIT_NEED_BODY },
	};
	size_t i;

	ck_assert_uint_eq(gw_admit_preadmit_cap(&opts),
	    GW_ADMIT_PREADMIT_BODY);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		opts.preadmit_body = cases[i].cap;
		snprintf(req, sizeof(req), "POST /x HTTP/1.1\r\nHost: h\r\n"
		    "Content-Type: application/x-www-form-urlencoded\r\n"
		    "%s\r\n\r\n", cases[i].len);
		r = parse(&pr, req);
		why = NULL;
		ck_assert_msg(gw_admit_head(&opts, r, 0, &c, &why) ==
		    cases[i].want, "%zu", i);
		if (cases[i].want == GW_ADMIT_REFUSE)
			ck_assert_str_eq(why, "ticket refused: missing");
		/* Admitted connections are not limited by it. */
		ck_assert_int_eq(gw_admit_head(&opts, r, 1, &c, &why),
		    GW_ADMIT_OK);
		gw_parser_clear(&pr.p);
	}
	ck_assert_uint_eq(gw_admit_preadmit_cap(&opts), 300);
	gw_admit_cand_clear(&c);
}
END_TEST

static Suite *
gw_admit_suite(void)
{
	Suite *s = suite_create("gw_admit");
	TCase *tc = tcase_create("admit");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_bn_ticket_header_ok);
	tcase_add_test(tc, test_vouchers);
	tcase_add_test(tc, test_strip_cookie_and_query);
	tcase_add_test(tc, test_strip_form);
	tcase_add_test(tc, test_forwarded);
	tcase_add_test(tc, test_strip_referer);
	tcase_add_test(tc, test_preadmit_cap);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(gw_admit_suite());
}
