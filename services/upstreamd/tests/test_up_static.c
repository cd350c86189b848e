/*
 * Unit tests for up_static through bn_app_handle(): content types, cache
 * headers, conditional requests, methods, and every path traversal we
 * could think of (each must be 403 and never carry the secret's bytes).
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betanet/err.h"
#include "app.h"
#include "testutil.h"
#include "up_static.h"

static char tmpdir[64];
static char root[128];

static void
write_file(const char *rel, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(content, f);
	fclose(f);
}

static void
link_in(const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static struct bn_app *
setup(void)
{
	struct bn_app *app;
	char path[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/up_static_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(root, sizeof(root), "%s/root", tmpdir);
	ck_assert_int_eq(mkdir(root, 0700), 0);
	snprintf(path, sizeof(path), "%s/root/sub", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file("x", "TOPSECRET-x");
	write_file("secret.txt", "TOPSECRET-secret");
	write_file("root/index.html", "<p>hi</p>");
	write_file("root/style.css", "p{}");
	write_file("root/app.js", "1;");
	write_file("root/data.json", "{}");
	write_file("root/IMG.PNG", "png");
	write_file("root/noext", "raw");
	write_file("root/sub/a.txt", "aaa");
	link_in("sub/a.txt", "root/inlink");
	link_in("../secret.txt", "root/outlink");
	link_in("..", "root/outdir");
	link_in("/tmp", "root/abslink");
	ck_assert_ptr_nonnull(app = bn_app_new());
	ck_assert_int_eq(bn_app_add_static(app, "/static", root, NULL), 0);
	ck_assert_int_eq(bn_app_add_static(app, "/assets", root, "no-cache"),
	    0);
	return app;
}

static void
teardown(struct bn_app *app)
{
	bn_app_free(app);
	ck_assert_int_eq(nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Run one request; load any file body so callers can look at it. */
static void
run(struct bn_app *app, const char *method, const char *target, size_t tlen,
    const struct bn_app_header *hs, size_t nh, struct bn_app_response *resp)
{
	struct bn_app_request *req = malloc(sizeof(*req));

	ck_assert_int_eq(bn_app_request_init(req, method, target, tlen, hs,
	    nh, NULL, 0), 0);
	ck_assert_int_eq(bn_app_handle(app, req, resp), 0);
	ck_assert_int_eq(bn_app_response_load_file(resp, 1 << 20), 0);
	free(req);
}

static void
get_ok(struct bn_app *app, const char *target, const char *body,
    const char *type)
{
	struct bn_app_response resp;

	run(app, "GET", target, strlen(target), NULL, 0, &resp);
	ck_assert_msg(resp.status == 200, "%s: %d", target, resp.status);
	ck_assert_uint_eq(resp.body_len, strlen(body));
	ck_assert_int_eq(memcmp(resp.body, body, resp.body_len), 0);
	if (type != NULL)
		ck_assert_str_eq(bn_app_response_header(&resp, "content-type"),
		    type);
	bn_app_response_reset(&resp);
}

static int
contains(const uint8_t *p, size_t len, const char *needle)
{
	size_t i, n = strlen(needle);

	for (i = 0; i + n <= len; i++)
		if (memcmp(p + i, needle, n) == 0)
			return 1;
	return 0;
}

static void
get_status(struct bn_app *app, const char *target, size_t len, int status)
{
	struct bn_app_response resp;

	run(app, "GET", target, len, NULL, 0, &resp);
	ck_assert_msg(resp.status == status, "%s: %d, want %d", target,
	    resp.status, status);
	ck_assert_int_eq(resp.file_fd, -1);
	ck_assert_msg(resp.body == NULL ||
	    !contains(resp.body, resp.body_len, "TOPSECRET"),
	    "%s leaked", target);
	bn_app_response_reset(&resp);
}

START_TEST(test_serve_and_types)
{
	struct bn_app *app = setup();
	struct bn_app_response resp;
	const char *etag, *lm;

	get_ok(app, "/static/index.html", "<p>hi</p>",
	    "text/html; charset=utf-8");
	get_ok(app, "/static/style.css", "p{}", "text/css; charset=utf-8");
	get_ok(app, "/static/app.js", "1;", "text/javascript; charset=utf-8");
	get_ok(app, "/static/data.json", "{}", "application/json");
	get_ok(app, "/static/IMG.PNG", "png", "image/png");
	get_ok(app, "/static/noext", "raw", "application/octet-stream");
	get_ok(app, "/static/sub/a.txt", "aaa", "text/plain; charset=utf-8");
	get_ok(app, "/static/sub//a.txt", "aaa", NULL);
	get_ok(app, "/static/sub/a%2etxt?v=1", "aaa", NULL);
	get_ok(app, "/static/inlink", "aaa", NULL);	/* symlink inside */

	run(app, "GET", "/static/index.html", 18, NULL, 0, &resp);
	etag = bn_app_response_header(&resp, "etag");
	lm = bn_app_response_header(&resp, "last-modified");
	ck_assert_ptr_nonnull(etag);
	ck_assert_ptr_nonnull(lm);
	ck_assert(strncmp(etag, "W/\"9-", 5) == 0);
	ck_assert_uint_eq(strlen(lm), 29);
	ck_assert(strcmp(lm + 25, " GMT") == 0);
	ck_assert_str_eq(bn_app_response_header(&resp, "cache-control"),
	    "public, max-age=60");
	ck_assert_str_eq(bn_app_response_header(&resp,
	    "x-content-type-options"), "nosniff");
	bn_app_response_reset(&resp);

	run(app, "GET", "/assets/index.html", 18, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(bn_app_response_header(&resp, "cache-control"),
	    "no-cache");
	bn_app_response_reset(&resp);
	teardown(app);
}
END_TEST

START_TEST(test_traversal)
{
	static const char *attempts[] = {
		"/static/../x",
		"/static/%2e%2e/x",
		"/static/%2E%2e%2fx",
		"/static/..%2fx",
		"/static/.%2e/x",
		"/static/%2e./x",
		"/static/a/../../x",
		"/static/sub/../../x",
		"/static/sub/%2e%2e/%2e%2e/x",
		"/static/sub%2f..%2f..%2fx",
		"/static/sub%2F..%2F..%2Fx",
		"/static/..%5cx",
		"/static/..%5Cx",
		"/static/..\\x",
		"/static/sub\\..\\..\\x",
		"/static/.",
		"/static/..",
		"/static/%2e",
		"/static/sub/..",
		"/static/%00",
		"/static/sub/a.txt%00.png",
		"/static/%2e%2e/secret.txt",
		"/static/outlink",
		"/static/outdir/x",
		"/static/outdir/secret.txt",
		"/static/abslink",
		"/static/sub/a.txt%0a",
		"/assets/../x",
	};
	static const char raw_nul[] = "/static/sub/a.txt\0.png";
	static const char raw_nul2[] = "/static/\0/../x";
	struct bn_app *app = setup();
	struct bn_app_request *req = malloc(sizeof(*req));
	size_t i;

	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++)
		get_status(app, attempts[i], strlen(attempts[i]), 403);
	/* A raw NUL never gets this far: the request itself is malformed. */
	ck_assert_int_eq(bn_app_request_init(req, "GET", raw_nul,
	    sizeof(raw_nul) - 1, NULL, 0, NULL, 0), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_app_request_init(req, "GET", raw_nul2,
	    sizeof(raw_nul2) - 1, NULL, 0, NULL, 0), BN_ERR_MALFORMED);
	free(req);
	/* HEAD gets the same answer. */
	teardown(app);
}
END_TEST

START_TEST(test_not_found_and_methods)
{
	struct bn_app *app = setup();
	struct bn_app_response resp;

	get_status(app, "/static", 7, 404);
	get_status(app, "/static/", 8, 404);
	get_status(app, "/static/sub", 11, 404);
	get_status(app, "/static/sub/", 12, 404);
	get_status(app, "/static/nope.txt", 16, 404);
	get_status(app, "/static/sub/a.txt/x", 19, 404);
	get_status(app, "/staticx/index.html", 19, 404);	/* no route */
	get_status(app, "/static/%zz", 11, 400);

	run(app, "POST", "/static/index.html", 18, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_str_eq(bn_app_response_header(&resp, "allow"), "GET, HEAD");
	bn_app_response_reset(&resp);

	run(app, "HEAD", "/static/index.html", 18, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(resp.file_fd, -1);
	ck_assert_ptr_null(resp.body);
	ck_assert_str_eq(bn_app_response_header(&resp, "content-length"), "9");
	ck_assert_ptr_nonnull(bn_app_response_header(&resp, "etag"));
	bn_app_response_reset(&resp);

	run(app, "HEAD", "/static/../x", 12, NULL, 0, &resp);
	ck_assert_int_eq(resp.status, 403);
	bn_app_response_reset(&resp);
	teardown(app);
}
END_TEST

static int
cond_status(struct bn_app *app, const char *hname, const char *hval,
    const char *h2name, const char *h2val)
{
	struct bn_app_header hs[2] = {
		{ hname, (const uint8_t *)hval, strlen(hval) },
		{ h2name, (const uint8_t *)h2val, h2val ? strlen(h2val) : 0 },
	};
	struct bn_app_response resp;
	int status;

	run(app, "GET", "/static/index.html", 18, hs, h2name ? 2 : 1, &resp);
	status = resp.status;
	if (status == 304) {
		ck_assert_ptr_null(resp.body);
		ck_assert_ptr_nonnull(bn_app_response_header(&resp, "etag"));
		ck_assert_ptr_nonnull(bn_app_response_header(&resp,
		    "cache-control"));
	}
	bn_app_response_reset(&resp);
	return status;
}

START_TEST(test_conditional)
{
	struct bn_app *app = setup();
	struct bn_app_response resp;
	char etag[80], strong[80], list[200], lm[40], old[40];

	run(app, "GET", "/static/index.html", 18, NULL, 0, &resp);
	snprintf(etag, sizeof(etag), "%s",
	    bn_app_response_header(&resp, "etag"));
	snprintf(lm, sizeof(lm), "%s",
	    bn_app_response_header(&resp, "last-modified"));
	bn_app_response_reset(&resp);
	snprintf(strong, sizeof(strong), "%s", etag + 2);
	snprintf(list, sizeof(list), "\"nope\", W/\"x\" ,%s", etag);
	up_static_http_date(86400, old, sizeof(old));

	ck_assert_int_eq(cond_status(app, "if-none-match", etag, NULL, NULL),
	    304);
	ck_assert_int_eq(cond_status(app, "if-none-match", strong, NULL,
	    NULL), 304);
	ck_assert_int_eq(cond_status(app, "if-none-match", list, NULL, NULL),
	    304);
	ck_assert_int_eq(cond_status(app, "if-none-match", "*", NULL, NULL),
	    304);
	ck_assert_int_eq(cond_status(app, "if-none-match", " * ", NULL, NULL),
	    304);
	ck_assert_int_eq(cond_status(app, "if-none-match", "\"other\"", NULL,
	    NULL), 200);
	ck_assert_int_eq(cond_status(app, "if-none-match", "", NULL, NULL),
	    200);
	ck_assert_int_eq(cond_status(app, "if-modified-since", lm, NULL,
	    NULL), 304);
	ck_assert_int_eq(cond_status(app, "if-modified-since", old, NULL,
	    NULL), 200);
	ck_assert_int_eq(cond_status(app, "if-modified-since", "garbage",
	    NULL, NULL), 200);
	/* If-None-Match decides when present, even if IMS would match. */
	ck_assert_int_eq(cond_status(app, "if-none-match", "\"other\"",
	    "if-modified-since", lm), 200);
	teardown(app);
}
END_TEST

START_TEST(test_dates)
{
	char d[40];
	long long t;

	up_static_http_date(784111777, d, sizeof(d));
	ck_assert_str_eq(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	ck_assert_int_eq(up_static_parse_date(d, strlen(d), &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(up_static_parse_date(d, strlen(d) - 1, &t),
	    BN_ERR_MALFORMED);
	ck_assert_int_eq(up_static_parse_date("Sunday, 06-Nov-94 08:49:37 GMT",
	    30, &t), BN_ERR_MALFORMED);
	ck_assert_int_eq(up_static_parse_date("Sun, 06 Xyz 1994 08:49:37 GMT",
	    29, &t), BN_ERR_MALFORMED);
	ck_assert_int_eq(up_static_parse_date("Sun, 06 Nov 1994 28:49:37 GMT",
	    29, &t), BN_ERR_MALFORMED);
}
END_TEST

START_TEST(test_sanitize)
{
	static const struct {
		const char *in;
		int r;
		const char *out;
	} v[] = {
		{ "a/b.txt", 0, "a/b.txt" },
		{ "a//b", 0, "a/b" },
		{ "/a/", 0, "a" },
		{ "a%20b", 0, "a b" },
		{ "..a", 0, "..a" },
		{ "a..", 0, "a.." },
		{ "", BN_ERR_NOT_FOUND, "" },
		{ "//", BN_ERR_NOT_FOUND, "" },
		{ "..", BN_ERR_MALFORMED, "" },
		{ "a/./b", BN_ERR_MALFORMED, "" },
		{ "%2e%2E", BN_ERR_MALFORMED, "" },
		{ "a%2fb", BN_ERR_MALFORMED, "" },
		{ "a%5cb", BN_ERR_MALFORMED, "" },
		{ "a\\b", BN_ERR_MALFORMED, "" },
		{ "a%00", BN_ERR_MALFORMED, "" },
		{ "a%7f", BN_ERR_MALFORMED, "" },
		{ "a\tb", BN_ERR_MALFORMED, "" },
		{ "a%", BN_ERR_ENCODING, "" },
		{ "a%g0", BN_ERR_ENCODING, "" },
	};
	char out[64], deep[200] = "";
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_msg(up_static_sanitize(v[i].in, strlen(v[i].in), out,
		    sizeof(out), &n) == v[i].r, "%s", v[i].in);
		if (v[i].r == 0) {
			ck_assert_str_eq(out, v[i].out);
			ck_assert_uint_eq(n, strlen(v[i].out));
		}
	}
	for (i = 0; i <= UP_STATIC_DEPTH_MAX; i++)
		strcat(deep, "a/");
	ck_assert_int_eq(up_static_sanitize(deep, strlen(deep), out,
	    sizeof(out), &n), BN_ERR_TOO_LARGE);
	ck_assert_int_eq(up_static_sanitize("abc", 3, out, 4, &n),
	    BN_ERR_TOO_LARGE);
	ck_assert_int_eq(up_static_sanitize("ab", 2, out, 4, &n), 0);
}
END_TEST

START_TEST(test_bad_mounts)
{
	struct bn_app *app = bn_app_new();

	ck_assert_int_eq(bn_app_add_static(app, "static", "/tmp", NULL),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_add_static(app, "/static/", "/tmp", NULL),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_add_static(app, "/", "/tmp", NULL),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_add_static(app, "/s", "/tmp", "a\r\nb: c"),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_add_static(app, "/s", "/nonexistent/dir",
	    NULL), BN_ERR_NOT_FOUND);
	ck_assert_str_eq(up_static_content_type("a.b/c"),
	    "application/octet-stream");
	bn_app_free(app);
}
END_TEST

static Suite *
static_suite(void)
{
	Suite *s = suite_create("up_static");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_serve_and_types);
	tcase_add_test(tc, test_traversal);
	tcase_add_test(tc, test_not_found_and_methods);
	tcase_add_test(tc, test_conditional);
	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_sanitize);
	tcase_add_test(tc, test_bad_mounts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(static_suite());
}
