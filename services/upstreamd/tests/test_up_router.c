/*
 * Unit tests for up_router (matching, params, blueprints, 404/405/Allow,
 * HEAD) and for request parsing (bn_app_request_init) and up_pct_decode.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "app.h"
#include "testutil.h"
#include "up_router.h"

static int
h_a(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	return 0;
}

static int
h_b(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *resp, void *arg)
{
	return 0;
}

static struct bn_app_request *
mkreq(const char *method, const char *target)
{
	struct bn_app_request *req = malloc(sizeof(*req));

	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(bn_app_request_init(req, method, target,
	    strlen(target), NULL, 0, NULL, 0), BN_OK);
	return req;
}

static enum up_match
match(struct up_router *rt, const char *method, const char *target,
    const struct up_route **out, unsigned *allow,
    struct bn_app_request **reqp)
{
	struct bn_app_request *req = mkreq(method, target);
	enum up_match m = up_router_match(rt, req, out, allow);

	if (reqp != NULL)
		*reqp = req;
	else
		free(req);
	return m;
}

START_TEST(test_literal_and_params)
{
	struct up_router *rt = up_router_new();
	struct bn_app_request *req;
	const struct up_route *r;
	unsigned allow;

	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, "/", h_a, NULL),
	    0);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, "/healthz", h_a,
	    NULL), 0);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL,
	    "/user/{id}/posts/{post}", h_b, (void *)1), 0);

	ck_assert_int_eq(match(rt, "GET", "/", &r, &allow, NULL), UP_MATCH_OK);
	ck_assert_int_eq(r->nseg, 0);
	ck_assert_int_eq(match(rt, "GET", "/healthz?x=1", &r, &allow, NULL),
	    UP_MATCH_OK);
	/* Literals compare after percent-decoding. */
	ck_assert_int_eq(match(rt, "GET", "/health%7a", &r, &allow, NULL),
	    UP_MATCH_OK);
	ck_assert_int_eq(match(rt, "GET", "/healthz/", &r, &allow, NULL),
	    UP_MATCH_NO_PATH);
	ck_assert_int_eq(match(rt, "GET", "/healthzz", &r, &allow, NULL),
	    UP_MATCH_NO_PATH);

	ck_assert_int_eq(match(rt, "GET", "/user/42/posts/a%20b", &r, &allow,
	    &req), UP_MATCH_OK);
	ck_assert_ptr_eq(r->arg, (void *)1);
	ck_assert_uint_eq(req->nparams, 2);
	ck_assert_str_eq(bn_app_request_param(req, "id"), "42");
	ck_assert_str_eq(bn_app_request_param(req, "post"), "a b");
	ck_assert_uint_eq(req->params[1].value_len, 3);
	ck_assert_ptr_null(bn_app_request_param(req, "nope"));
	free(req);

	/* Bad escapes and NULs never match a segment. */
	ck_assert_int_eq(match(rt, "GET", "/user/%zz/posts/1", &r, &allow,
	    NULL), UP_MATCH_NO_PATH);
	ck_assert_int_eq(match(rt, "GET", "/user/a%00b/posts/1", &r, &allow,
	    NULL), UP_MATCH_NO_PATH);
	ck_assert_int_eq(match(rt, "GET", "/user//posts/1", &r, &allow,
	    NULL), UP_MATCH_OK);	/* an empty param is still a param */
	up_router_free(rt);
}
END_TEST

START_TEST(test_bad_patterns)
{
	struct up_router *rt = up_router_new();
	static const char *bad[] = { "", "x", "//", "/a//b", "/a/", "/{}",
	    "/{a", "/{a-b}", "/a%20", "/a?b", "/a#", "/{a}{b}",
	    "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(up_router_add(rt, BN_APP_GET, NULL, bad[i], h_a,
		    NULL) == BN_ERR_INVALID_ARG, "accepted %s", bad[i]);
	ck_assert_int_eq(up_router_add(rt, BN_APP_METHOD_OTHER, NULL, "/a",
	    h_a, NULL), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, "api", "/a", h_a,
	    NULL), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, "/api/", "/a", h_a,
	    NULL), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, "/a", NULL,
	    NULL), BN_ERR_INVALID_ARG);
	ck_assert_uint_eq(up_router_count(rt), 0);
	for (i = 0; i < UP_ROUTER_ROUTES_MAX; i++)
		ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, "/a", h_a,
		    NULL), 0);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, "/a", h_a, NULL),
	    BN_ERR_LIMIT);
	up_router_truncate(rt, 1);
	ck_assert_uint_eq(up_router_count(rt), 1);
	up_router_free(rt);
	up_router_free(NULL);
}
END_TEST

START_TEST(test_blueprint_prefix)
{
	struct up_router *rt = up_router_new();
	const struct up_route *r;
	unsigned allow;

	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, "/api", "/info", h_a,
	    NULL), 0);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, "/api/v1", "/", h_b,
	    NULL), 0);
	ck_assert_int_eq(match(rt, "GET", "/api/info", &r, &allow, NULL),
	    UP_MATCH_OK);
	ck_assert_ptr_eq(r->fn, h_a);
	ck_assert_int_eq(match(rt, "GET", "/info", &r, &allow, NULL),
	    UP_MATCH_NO_PATH);
	ck_assert_int_eq(match(rt, "GET", "/api/v1", &r, &allow, NULL),
	    UP_MATCH_OK);
	ck_assert_ptr_eq(r->fn, h_b);
	up_router_free(rt);
}
END_TEST

START_TEST(test_405_allow_and_head)
{
	struct up_router *rt = up_router_new();
	const struct up_route *r;
	unsigned allow;
	char text[64];

	ck_assert_int_eq(up_router_add(rt, BN_APP_POST, NULL, "/x", h_b,
	    NULL), 0);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, "/x", h_a,
	    NULL), 0);
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, "/y", h_a,
	    NULL), 0);
	ck_assert_int_eq(up_router_add(rt, BN_APP_HEAD, NULL, "/y", h_b,
	    NULL), 0);

	ck_assert_int_eq(match(rt, "DELETE", "/x", &r, &allow, NULL),
	    UP_MATCH_NO_METHOD);
	ck_assert_ptr_null(r);
	up_router_allow_text(allow, text, sizeof(text));
	ck_assert_str_eq(text, "GET, HEAD, POST");
	ck_assert_int_eq(match(rt, "BREW", "/x", &r, &allow, NULL),
	    UP_MATCH_NO_METHOD);
	ck_assert_int_eq(match(rt, "BREW", "/nope", &r, &allow, NULL),
	    UP_MATCH_NO_PATH);
	ck_assert_uint_eq(allow, 0);

	/* HEAD falls back to GET; an explicit HEAD route wins. */
	ck_assert_int_eq(match(rt, "HEAD", "/x", &r, &allow, NULL),
	    UP_MATCH_OK);
	ck_assert_ptr_eq(r->fn, h_a);
	ck_assert_int_eq(match(rt, "HEAD", "/y", &r, &allow, NULL),
	    UP_MATCH_OK);
	ck_assert_ptr_eq(r->fn, h_b);
	ck_assert_int_eq(match(rt, "POST", "/x", &r, &allow, NULL),
	    UP_MATCH_OK);
	ck_assert_ptr_eq(r->fn, h_b);

	up_router_allow_text(0x7f, text, sizeof(text));
	ck_assert_str_eq(text, "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
	up_router_allow_text(0x7f, text, 12);
	ck_assert_str_eq(text, "GET, HEAD");
	up_router_free(rt);
}
END_TEST

START_TEST(test_segment_limit)
{
	struct up_router *rt = up_router_new();
	const struct up_route *r;
	unsigned allow;
	char target[256] = "", pat[256] = "";
	size_t i;

	for (i = 0; i < BN_APP_SEGMENTS_MAX; i++) {
		strcat(target, "/a");
		strcat(pat, "/a");
	}
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, pat, h_a, NULL),
	    0);
	ck_assert_int_eq(match(rt, "GET", target, &r, &allow, NULL),
	    UP_MATCH_OK);
	strcat(target, "/a");
	strcat(pat, "/a");
	ck_assert_int_eq(up_router_add(rt, BN_APP_GET, NULL, pat, h_a, NULL),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(match(rt, "GET", target, &r, &allow, NULL),
	    UP_MATCH_NO_PATH);
	up_router_free(rt);
}
END_TEST

START_TEST(test_pct_decode)
{
	static const char *bad[] = { "%", "%4", "%zz", "%4g", "a%" };
	char out[16];
	size_t n, i, len;
	const char *in = "a%41%2fb%2E";

	ck_assert_int_eq(up_pct_decode(in, strlen(in), out, sizeof(out), &n),
	    0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(out, "aA/b.");
	ck_assert_int_eq(up_pct_decode("a+b", 3, out, sizeof(out), &n), 0);
	ck_assert_str_eq(out, "a+b");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(up_pct_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out), &n), BN_ERR_ENCODING);
	/* Every prefix either decodes or is a broken escape, never more. */
	len = strlen(in);
	for (i = 0; i <= len; i++) {
		int r = up_pct_decode(in, i, out, sizeof(out), &n);

		ck_assert(r == 0 || r == BN_ERR_ENCODING);
		if (r == 0)
			ck_assert_uint_le(n, i);
	}
	ck_assert_int_eq(up_pct_decode("abcd", 4, out, 4, &n),
	    BN_ERR_NO_SPACE);
	ck_assert_int_eq(up_pct_decode("abc", 3, out, 4, &n), 0);
	ck_assert_int_eq(up_pct_decode("", 0, out, 0, &n), BN_ERR_NO_SPACE);
}
END_TEST

START_TEST(test_request_init)
{
	struct bn_app_request *req = malloc(sizeof(*req));
	struct bn_app_header hs[2] = {
		{ "content-type", (const uint8_t *)"text/plain", 10 },
		{ "x-a", (const uint8_t *)"", 0 },
	};
	struct bn_app_header upper = { "X-A", (const uint8_t *)"v", 1 };
	char *big;
	static const char *methods[] = { "GET", "HEAD", "POST", "PUT",
	    "DELETE", "PATCH", "OPTIONS" };
	size_t i;

	for (i = 0; i < 7; i++) {
		ck_assert_int_eq(bn_app_request_init(req, methods[i], "/", 1,
		    NULL, 0, NULL, 0), 0);
		ck_assert_int_eq(req->method, (int)i);
		ck_assert_str_eq(bn_app_method_name(req->method), methods[i]);
	}
	ck_assert_int_eq(bn_app_request_init(req, "DEL", "/", 1, NULL, 0,
	    NULL, 0), 0);
	ck_assert_int_eq(req->method, BN_APP_DELETE);
	ck_assert_int_eq(bn_app_request_init(req, "get", "/", 1, NULL, 0,
	    NULL, 0), 0);
	ck_assert_int_eq(req->method, BN_APP_METHOD_OTHER);
	ck_assert_str_eq(req->method_text, "get");
	ck_assert_int_eq(bn_app_request_init(req, "", "/", 1, NULL, 0, NULL,
	    0), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_app_request_init(req, "G T", "/", 1, NULL, 0,
	    NULL, 0), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_app_request_init(req, "AAAAAAAAAAAAAAAAA", "/", 1,
	    NULL, 0, NULL, 0), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_app_request_init(req, "GET", "x", 1, NULL, 0,
	    NULL, 0), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_app_request_init(req, "GET", "", 0, NULL, 0,
	    NULL, 0), BN_ERR_MALFORMED);

	ck_assert_int_eq(bn_app_request_init(req, "POST", "/a/b?x=1&y", 10,
	    hs, 2, (const uint8_t *)"body", 4), 0);
	ck_assert_str_eq(req->path, "/a/b");
	ck_assert_uint_eq(req->path_len, 4);
	ck_assert_str_eq(req->query, "x=1&y");
	ck_assert_ptr_eq(bn_app_request_header(req, "x-a"), &hs[1]);
	ck_assert_ptr_null(bn_app_request_header(req, "x-b"));
	ck_assert_uint_eq(req->body_len, 4);
	ck_assert_int_eq(bn_app_request_init(req, "GET", "/", 1, &upper, 1,
	    NULL, 0), BN_ERR_MALFORMED);

	/* A raw NUL (or any byte not visible ASCII) is malformed. */
	ck_assert_int_eq(bn_app_request_init(req, "GET", "/a\0b", 4, NULL, 0,
	    NULL, 0), BN_ERR_MALFORMED);

	big = malloc(BN_APP_PATH_MAX + 2);
	memset(big, 'a', BN_APP_PATH_MAX + 2);
	big[0] = '/';
	ck_assert_int_eq(bn_app_request_init(req, "GET", big, BN_APP_PATH_MAX,
	    NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(bn_app_request_init(req, "GET", big,
	    BN_APP_PATH_MAX + 1, NULL, 0, NULL, 0), BN_ERR_TOO_LARGE);
	big[1] = '?';
	ck_assert_int_eq(bn_app_request_init(req, "GET", big,
	    BN_APP_QUERY_MAX + 2, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(bn_app_request_init(req, "GET", big,
	    BN_APP_QUERY_MAX + 3, NULL, 0, NULL, 0), BN_ERR_TOO_LARGE);
	free(big);
	free(req);
}
END_TEST

static Suite *
router_suite(void)
{
	Suite *s = suite_create("up_router");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_literal_and_params);
	tcase_add_test(tc, test_bad_patterns);
	tcase_add_test(tc, test_blueprint_prefix);
	tcase_add_test(tc, test_405_allow_and_head);
	tcase_add_test(tc, test_segment_limit);
	tcase_add_test(tc, test_pct_decode);
	tcase_add_test(tc, test_request_init);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(router_suite());
}
