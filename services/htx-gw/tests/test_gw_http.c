/*
 * Unit tests of the gateway's request parser (gw_request), fed crafted
 * bytes without sockets the way gw_http drives it: resume after each
 * pause, as a connection does once it has answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "gw_request.h"
#include "testutil.h"

#define MAXREQ	8

struct rec {
	int		nhead;
	int		nend;
	char		method[MAXREQ][16];
	char		target[MAXREQ][256];
	int		expect[MAXREQ];
	int		keep_alive[MAXREQ];
	int		has_body[MAXREQ];
	char		body[1 << 16];
	size_t		blen;
	size_t		body_total;
	int		pause_body;	/* ask for a pause after each piece */
};

static void
r_head(void *arg, struct gw_request *req)
{
	struct rec *r = arg;
	const char *t;
	size_t tl;

	ck_assert_int_lt(r->nhead, MAXREQ);
	snprintf(r->method[r->nhead], 16, "%s", req->method_str);
	t = gw_request_target(req, &tl);
	snprintf(r->target[r->nhead], 256, "%.*s", (int)tl, t);
	r->expect[r->nhead] = req->expect_continue;
	r->keep_alive[r->nhead] = req->keep_alive;
	r->has_body[r->nhead] = req->has_body;
	r->nhead++;
}

static int
r_body(void *arg, const uint8_t *p, size_t n)
{
	struct rec *r = arg;

	if (r->blen + n <= sizeof(r->body)) {
		memcpy(r->body + r->blen, p, n);
		r->blen += n;
	}
	r->body_total += n;
	return r->pause_body;
}

static void
r_end(void *arg)
{
	((struct rec *)arg)->nend++;
}

static struct gw_limits lim;

/*
 * Feed d[0..n) in pieces of `step` bytes, resuming after every pause.
 * Returns the parser's last result; *status the answer on error.
 */
static int
run(struct rec *r, const void *d, size_t n, size_t step, int *status)
{
	struct gw_parser_cb cb = { r_head, r_body, r_end, r };
	struct gw_parser p;
	const uint8_t *b = d;
	size_t off = 0, used, k;
	int ret = GW_PARSE_MORE;

	memset(r, 0, sizeof(*r) - sizeof(r->pause_body));
	gw_parser_init(&p, &lim, &cb);
	*status = 0;
	while (off < n) {
		k = n - off < step ? n - off : step;
		ret = gw_parser_feed(&p, b + off, k, &used);
		ck_assert_uint_le(used, k);
		off += used;
		if (ret < 0) {
			*status = gw_parser_status(&p);
			break;
		}
		if (ret == GW_PARSE_PAUSED)
			gw_parser_resume(&p);
	}
	gw_parser_clear(&p);
	return ret;
}

static int
status_of(const char *req)
{
	struct rec *r = calloc(1, sizeof(*r));
	int st;

	run(r, req, strlen(req), 1 << 20, &st);
	free(r);
	return st;
}

static void
setup(void)
{
	gw_limits_default(&lim);
}

START_TEST(test_simple_get)
{
	static const char req[] =
	    "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n";
	struct rec *r = calloc(1, sizeof(*r));
	int st;

	ck_assert_int_ge(run(r, req, strlen(req), 1 << 20, &st), 0);
	ck_assert_int_eq(r->nhead, 1);
	ck_assert_int_eq(r->nend, 1);
	ck_assert_str_eq(r->method[0], "GET");
	ck_assert_str_eq(r->target[0], "/a?b=1");
	ck_assert_int_eq(r->keep_alive[0], 1);
	ck_assert_int_eq(r->has_body[0], 0);
	/* Byte by byte gives the same. */
	ck_assert_int_ge(run(r, req, strlen(req), 1, &st), 0);
	ck_assert_int_eq(r->nend, 1);
	ck_assert_str_eq(r->target[0], "/a?b=1");
	free(r);
}
END_TEST

/* Every strict prefix is incomplete: no error, no end. */
START_TEST(test_truncated_prefixes)
{
	static const char req[] =
	    "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n3\r\nabc\r\n0\r\n\r\n";
	struct rec *r = calloc(1, sizeof(*r));
	size_t n;
	int st;

	for (n = 0; n < strlen(req); n++) {
		ck_assert_int_ge(run(r, req, n, 1 << 20, &st), 0);
		ck_assert_int_eq(st, 0);
		ck_assert_int_eq(r->nend, 0);
	}
	ck_assert_int_ge(run(r, req, n, 1 << 20, &st), 0);
	ck_assert_int_eq(r->nend, 1);
	ck_assert_uint_eq(r->blen, 3);
	free(r);
}
END_TEST

/* One trailing byte starts the next request; it is not an error. */
START_TEST(test_trailing_byte)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\nG";
	struct rec *r = calloc(1, sizeof(*r));
	int st;

	ck_assert_int_ge(run(r, req, strlen(req), 1 << 20, &st), 0);
	ck_assert_int_eq(st, 0);
	ck_assert_int_eq(r->nend, 1);
	ck_assert_int_eq(r->nhead, 1);
	free(r);
}
END_TEST

START_TEST(test_pipelining_order)
{
	static const char req[] =
	    "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
	    "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
	    "HEAD /3 HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct gw_parser_cb cb;
	struct rec *r = calloc(1, sizeof(*r));
	struct gw_parser p;
	size_t used, off = 0;
	int st, ret;

	ck_assert_int_ge(run(r, req, strlen(req), 7, &st), 0);
	ck_assert_int_eq(r->nhead, 4);
	ck_assert_int_eq(r->nend, 4);
	ck_assert_str_eq(r->target[0], "/1");
	ck_assert_str_eq(r->target[1], "/2");
	ck_assert_str_eq(r->method[2], "HEAD");
	ck_assert_str_eq(r->target[3], "/4");
	ck_assert_int_eq(r->keep_alive[3], 0);
	ck_assert_uint_eq(r->blen, 2);

	/* Nothing of request 2 is read before request 1 is resumed. */
	memset(r, 0, sizeof(*r));
	cb.on_head = r_head;
	cb.on_body = r_body;
	cb.on_end = r_end;
	cb.arg = r;
	gw_parser_init(&p, &lim, &cb);
	while (r->nend == 0) {
		ret = gw_parser_feed(&p, (const uint8_t *)req + off,
		    strlen(req) - off, &used);
		ck_assert_int_ge(ret, 0);
		off += used;
		if (r->nend == 0)
			gw_parser_resume(&p);
	}
	ck_assert_int_eq(r->nhead, 1);
	ret = gw_parser_feed(&p, (const uint8_t *)req + off,
	    strlen(req) - off, &used);
	ck_assert_int_eq(ret, GW_PARSE_PAUSED);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(r->nhead, 1);
	gw_parser_resume(&p);
	ret = gw_parser_feed(&p, (const uint8_t *)req + off,
	    strlen(req) - off, &used);
	ck_assert_int_eq(ret, GW_PARSE_PAUSED);	/* head of /2 */
	ck_assert_int_eq(r->nhead, 2);
	gw_parser_clear(&p);
	free(r);
}
END_TEST

START_TEST(test_chunked_and_length)
{
	static const char ch[] =
	    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: t\r\n\r\n";
	static const char cl[] =
	    "PUT /c HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"
	    "hello world";
	struct rec *r = calloc(1, sizeof(*r));
	int st;

	ck_assert_int_ge(run(r, ch, strlen(ch), 3, &st), 0);
	ck_assert_int_eq(r->nend, 1);
	ck_assert_uint_eq(r->blen, 11);
	ck_assert(memcmp(r->body, "hello world", 11) == 0);
	ck_assert_int_ge(run(r, cl, strlen(cl), 1 << 20, &st), 0);
	ck_assert_int_eq(r->nend, 1);
	ck_assert_str_eq(r->method[0], "PUT");
	ck_assert(memcmp(r->body, "hello world", 11) == 0);
	/* A pause asked by on_body loses nothing. */
	r->pause_body = 1;
	ck_assert_int_ge(run(r, cl, strlen(cl), 4, &st), 0);
	ck_assert_int_eq(r->nend, 1);
	ck_assert_uint_eq(r->blen, 11);
	free(r);
}
END_TEST

START_TEST(test_expect_and_forms)
{
	static const char e[] = "POST /e HTTP/1.1\r\nHost: x\r\n"
	    "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\nz";
	static const char abs[] = "GET http://example.com/p/q?x=1 HTTP/1.1\r\n"
	    "Host: example.com\r\n\r\n";
	static const char h10[] = "GET / HTTP/1.0\r\n\r\n";
	struct rec *r = calloc(1, sizeof(*r));
	int st;

	ck_assert_int_ge(run(r, e, strlen(e), 1 << 20, &st), 0);
	ck_assert_int_eq(r->expect[0], 1);
	ck_assert_int_ge(run(r, abs, strlen(abs), 1 << 20, &st), 0);
	ck_assert_str_eq(r->target[0], "/p/q?x=1");
	ck_assert_int_ge(run(r, h10, strlen(h10), 1 << 20, &st), 0);
	ck_assert_int_eq(r->nend, 1);
	ck_assert_int_eq(r->keep_alive[0], 0);
	free(r);
}
END_TEST

START_TEST(test_400)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n\r\n",			/* no Host */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET\r\n\r\n",					/* line */
		"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
		"G@T / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\nHost: x\n\n",			/* bare LF */
		"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n",
		"GET / HTTP/1.1\r\n Host: x\r\n\r\n",		/* fold */
		"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\x01" "c\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n",
		/* smuggling */
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		    "Content-Length: 3\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
		    "Content-Length: 4\r\n\r\nabcd",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
		    "Content-Length: 3\r\n\r\nabc",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3 4\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, "
		    "chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked"
		    "\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		    "\r\nzz\r\n",				/* chunk size */
		"GET x HTTP/1.1\r\nHost: x\r\n\r\n",		/* target */
		NULL,
	};
	size_t i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(status_of(bad[i]) == 400, "case %zu: %d", i,
		    status_of(bad[i]));
}
END_TEST

START_TEST(test_other_statuses)
{
	char *big;
	size_t i, off;

	ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 1048577\r\n\r\n"), 413);
	ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 1048576\r\n\r\n"), 0);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: x\r\n"
	    "Expect: gzip\r\n\r\n"), 417);
	ck_assert_int_eq(status_of("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    501);
	ck_assert_int_eq(status_of("CONNECT a:1 HTTP/1.1\r\nHost: x\r\n\r\n"),
	    501);
	ck_assert_int_eq(status_of("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);

	big = malloc(2 << 20);
	/* 64 headers pass, 65 do not. */
	for (int nh = 64; nh <= 65; nh++) {
		off = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: x\r\n");
		for (i = 1; i < (size_t)nh; i++)
			off += (size_t)sprintf(big + off, "X-%zu: y\r\n", i);
		strcpy(big + off, "\r\n");
		ck_assert_int_eq(status_of(big), nh == 64 ? 0 : 431);
	}
	/* A header line of 8 KiB passes, one byte more does not. */
	for (size_t ln = 8192; ln <= 8193; ln++) {
		off = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: x\r\nX-A: ");
		memset(big + off, 'a', ln - 3);
		strcpy(big + off + ln - 3, "\r\n\r\n");
		ck_assert_int_eq(status_of(big), ln == 8192 ? 0 : 431);
	}
	/* The whole head is bounded too (64 KiB by default). */
	off = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; i < 10; i++) {
		off += (size_t)sprintf(big + off, "X-%zu: ", i);
		memset(big + off, 'a', 8000);
		off += 8000;
		off += (size_t)sprintf(big + off, "\r\n");
	}
	strcpy(big + off, "\r\n");
	ck_assert_int_eq(status_of(big), 431);
	/* Request line over the line limit: 414. */
	off = (size_t)sprintf(big, "GET /");
	memset(big + off, 'a', 9000);
	strcpy(big + off + 9000, " HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(status_of(big), 414);
	/* Chunked body over the limit: 413 once the limit is crossed. */
	off = (size_t)sprintf(big, "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 17; i++) {
		off += (size_t)sprintf(big + off, "10000\r\n");
		memset(big + off, 'b', 0x10000);
		off += 0x10000;
		off += (size_t)sprintf(big + off, "\r\n");
	}
	strcpy(big + off, "0\r\n\r\n");
	ck_assert_int_eq(status_of(big), 413);
	free(big);
}
END_TEST

START_TEST(test_limits_configurable)
{
	lim.max_body = 4;
	lim.max_headers = 8;
	ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\n\r\nabcde"), 413);
	ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 4\r\n\r\nabcd"), 0);
	ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n"
	    "B: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\nG: 1\r\nH: 1\r\n\r\n"),
	    431);
}
END_TEST

START_TEST(test_edits)
{
	static const char req[] = "GET /a?bn1=x HTTP/1.1\r\nHost: x\r\n"
	    "Cookie: c=1\r\nConnection: keep-alive\r\nX-Y: z\r\n\r\n";
	struct rec *r = calloc(1, sizeof(*r));
	struct gw_parser_cb cb = { r_head, r_body, r_end, r };
	struct gw_parser p;
	struct gw_request *q;
	struct gw_hdr h[16];
	const char *t;
	size_t used, n, tl;

	gw_parser_init(&p, &lim, &cb);
	ck_assert_int_eq(gw_parser_feed(&p, (const uint8_t *)req,
	    strlen(req), &used), GW_PARSE_PAUSED);
	q = gw_parser_request(&p);
	ck_assert_int_eq(gw_request_find(q, "COOKIE", -1), 1);
	ck_assert_int_eq(gw_request_set_target(q, "/a", 2), BN_OK);
	t = gw_request_target(q, &tl);
	ck_assert(tl == 2 && memcmp(t, "/a", 2) == 0);
	gw_request_del(q, 1);
	ck_assert_int_eq(gw_request_find(q, "cookie", -1), -1);
	ck_assert_int_eq(gw_request_add(q, "X-New", "v", 1), BN_OK);
	/* Hop-by-hop headers are not forwarded. */
	n = gw_request_fwd_hdrs(q, h, 16);
	ck_assert_uint_eq(n, 3);
	ck_assert(gw_str_ieq(h[0].name, h[0].name_len, "host"));
	ck_assert(gw_str_ieq(h[1].name, h[1].name_len, "x-y"));
	ck_assert(gw_str_ieq(h[2].value, h[2].value_len, "v"));
	gw_parser_clear(&p);
	free(r);
}
END_TEST

/*
 * A finished request's arena held its ticket: the next request on the
 * connection (which may reuse the object) must find no trace of it.
 */
START_TEST(test_ticket_not_left_in_arena)
{
	static const char reqs[] =
	    "GET /a?bn1=SECRETQUERYTICKET HTTP/1.1\r\nHost: x\r\n"
	    "Cookie: __Host-bn1=SECRETCOOKIETICKET\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
	struct rec *r = calloc(1, sizeof(*r));
	struct gw_parser_cb cb = { r_head, r_body, r_end, r };
	struct gw_parser p;
	struct gw_request *q;
	const uint8_t *b = (const uint8_t *)reqs;
	size_t off = 0, n = strlen(reqs), used, i;
	int ret;

	gw_parser_init(&p, &lim, &cb);
	while (off < n && r->nhead < 2) {
		ret = gw_parser_feed(&p, b + off, n - off, &used);
		ck_assert_int_ge(ret, 0);
		off += used;
		if (ret == GW_PARSE_PAUSED && r->nhead < 2)
			gw_parser_resume(&p);
	}
	ck_assert_int_eq(r->nhead, 2);
	q = gw_parser_request(&p);
	ck_assert_ptr_nonnull(q);
	for (i = 0; i + 6 <= q->acap; i++)
		ck_assert_msg(memcmp(q->arena + i, "SECRET", 6) != 0,
		    "ticket bytes left at arena offset %zu", i);
	gw_parser_clear(&p);
	free(r);
}
END_TEST

static Suite *
gw_http_suite(void)
{
	Suite *s = suite_create("gw_http");
	TCase *tc = tcase_create("parser");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_simple_get);
	tcase_add_test(tc, test_truncated_prefixes);
	tcase_add_test(tc, test_trailing_byte);
	tcase_add_test(tc, test_pipelining_order);
	tcase_add_test(tc, test_chunked_and_length);
	tcase_add_test(tc, test_expect_and_forms);
	tcase_add_test(tc, test_400);
	tcase_add_test(tc, test_other_statuses);
	tcase_add_test(tc, test_limits_configurable);
	tcase_add_test(tc, test_edits);
	tcase_add_test(tc, test_ticket_not_left_in_arena);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(gw_http_suite());
}
