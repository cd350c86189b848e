/*
 * Unit tests for app dispatch: built-in routes, hook order and
 * short-circuit, error handlers, 405/Allow, HEAD, handler failures,
 * response helpers, counters, and the metrics and dashboard plugins
 * (loaded from BN_PLUGIN_DIR; this executable exports its symbols).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "app.h"
#include "testutil.h"

static struct bn_app_response resp;

static int
call(struct bn_app *app, const char *method, const char *target,
    const char *body)
{
	struct bn_app_request *req = malloc(sizeof(*req));
	static const struct bn_app_header ct = { "content-type",
	    (const uint8_t *)"text/x-test", 11 };

	ck_assert_int_eq(bn_app_request_init(req, method, target,
	    strlen(target), &ct, 1, (const uint8_t *)body,
	    body ? strlen(body) : 0), 0);
	ck_assert_int_eq(bn_app_handle(app, req, &resp), 0);
	free(req);
	return resp.status;
}

static void
body_is(const char *want)
{
	ck_assert_uint_eq(resp.body_len, strlen(want));
	ck_assert(resp.body_len == 0 ||
	    memcmp(resp.body, want, resp.body_len) == 0);
}

static char *
body_str(void)
{
	char *s = malloc(resp.body_len + 1);

	memcpy(s, resp.body, resp.body_len);
	s[resp.body_len] = '\0';
	return s;
}

START_TEST(test_builtins)
{
	struct bn_app *app = bn_app_new();

	ck_assert_int_eq(bn_app_add_builtin_routes(app, 1), 0);
	ck_assert_int_eq(call(app, "GET", "/hello/x", NULL), 200);
	body_is("hello x");
	ck_assert_str_eq(bn_app_response_header(&resp, "content-type"),
	    "text/plain; charset=utf-8");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/hello/w%C3%B6rld", NULL), 200);
	body_is("hello w\xc3\xb6rld");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/healthz", NULL), 200);
	body_is("ok");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "POST", "/echo", "ping\r\nbytes"), 200);
	body_is("ping\r\nbytes");
	ck_assert_str_eq(bn_app_response_header(&resp, "content-type"),
	    "text/x-test");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "POST", "/echo", NULL), 200);
	body_is("");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/echo", NULL), 405);
	ck_assert_str_eq(bn_app_response_header(&resp, "allow"), "POST");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "POST", "/healthz", NULL), 405);
	ck_assert_str_eq(bn_app_response_header(&resp, "allow"), "GET, HEAD");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "BREW", "/healthz", NULL), 405);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "BREW", "/nope", NULL), 400);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/nope", NULL), 404);
	body_is("Not Found");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "HEAD", "/hello/abc", NULL), 200);
	ck_assert_ptr_null(resp.body);
	ck_assert_str_eq(bn_app_response_header(&resp, "content-length"), "9");
	bn_app_response_reset(&resp);
	bn_app_free(app);

	/* app.echo: false */
	app = bn_app_new();
	ck_assert_int_eq(bn_app_add_builtin_routes(app, 0), 0);
	ck_assert_int_eq(call(app, "POST", "/echo", "x"), 404);
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

/* Hooks write their tag into a trace so the order can be checked. */
struct trace {
	char	s[64];
};

static void
tr(void *arg, const char *tag)
{
	struct trace *t = arg;

	strncat(t->s, tag, sizeof(t->s) - strlen(t->s) - 1);
}

static int
b1(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	tr(arg, "b1,");
	return BN_APP_CONTINUE;
}

static int
b2(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	tr(arg, "b2,");
	if (strcmp(req->path, "/blocked") == 0) {
		bn_app_text(r, 403, "blocked by hook");
		return BN_APP_DONE;
	}
	if (strcmp(req->path, "/hookfail") == 0)
		return BN_ERR_INTERNAL;
	return BN_APP_CONTINUE;
}

static int
a1(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	tr(arg, "a1,");
	return bn_app_response_set_header(r, "x-after", "1");
}

static int
a2(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	tr(arg, "a2");
	/* After hooks may rewrite the answer. */
	if (strcmp(req->path, "/rewrite") == 0)
		return bn_app_text(r, 201, "rewritten");
	return 0;
}

static int
h_route(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	tr(arg, "h,");
	return bn_app_text(r, 200, "route");
}

static int
h_fail(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	bn_app_text(r, 200, "half done");
	bn_app_response_set_header(r, "x-partial", "1");
	return BN_ERR_INTERNAL;
}

static int
h_teapot(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	return bn_app_abort(r, 418);
}

START_TEST(test_hooks_order)
{
	struct bn_app *app = bn_app_new();
	struct trace t = { "" };

	ck_assert_int_eq(bn_app_before(app, b1, &t), 0);
	ck_assert_int_eq(bn_app_before(app, b2, &t), 0);
	ck_assert_int_eq(bn_app_after(app, a1, &t), 0);
	ck_assert_int_eq(bn_app_after(app, a2, &t), 0);
	ck_assert_int_eq(bn_app_route(app, BN_APP_GET, "/r", h_route, &t), 0);
	ck_assert_int_eq(bn_app_route(app, BN_APP_GET, "/rewrite", h_route,
	    &t), 0);
	ck_assert_int_eq(bn_app_route(app, BN_APP_GET, "/blocked", h_route,
	    &t), 0);

	ck_assert_int_eq(call(app, "GET", "/r", NULL), 200);
	ck_assert_str_eq(t.s, "b1,b2,h,a1,a2");
	body_is("route");
	ck_assert_str_eq(bn_app_response_header(&resp, "x-after"), "1");
	bn_app_response_reset(&resp);

	t.s[0] = '\0';
	ck_assert_int_eq(call(app, "GET", "/blocked", NULL), 403);
	ck_assert_str_eq(t.s, "b1,b2,a1,a2");	/* no handler */
	body_is("blocked by hook");
	ck_assert_str_eq(bn_app_response_header(&resp, "x-after"), "1");
	bn_app_response_reset(&resp);

	t.s[0] = '\0';
	ck_assert_int_eq(call(app, "GET", "/rewrite", NULL), 201);
	body_is("rewritten");
	bn_app_response_reset(&resp);

	t.s[0] = '\0';
	ck_assert_int_eq(call(app, "GET", "/hookfail", NULL), 500);
	ck_assert_str_eq(t.s, "b1,b2,a1,a2");
	bn_app_response_reset(&resp);

	t.s[0] = '\0';
	ck_assert_int_eq(call(app, "GET", "/nope", NULL), 404);
	ck_assert_str_eq(t.s, "b1,b2,a1,a2");	/* after hooks see errors */
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

static int
eh_404(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, int status, void *arg)
{
	ck_assert_int_eq(r->status, 404);	/* default answer in place */
	return bn_app_error(r, 404, "missing");
}

static int
eh_any(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, int status, void *arg)
{
	char msg[32];

	snprintf(msg, sizeof(msg), "any %d", status);
	return bn_app_html(r, status, msg, strlen(msg));
}

static int
eh_broken(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, int status, void *arg)
{
	return BN_ERR_INTERNAL;
}

START_TEST(test_error_handlers)
{
	struct bn_app *app = bn_app_new();

	ck_assert_int_eq(bn_app_route(app, BN_APP_GET, "/fail", h_fail, NULL),
	    0);
	ck_assert_int_eq(bn_app_route(app, BN_APP_GET, "/teapot", h_teapot,
	    NULL), 0);
	/* Without handlers: plain defaults, partial answers dropped. */
	ck_assert_int_eq(call(app, "GET", "/fail", NULL), 500);
	body_is("Internal Server Error");
	ck_assert_ptr_null(bn_app_response_header(&resp, "x-partial"));
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/teapot", NULL), 418);
	body_is("Unknown");
	bn_app_response_reset(&resp);

	ck_assert_int_eq(bn_app_error_handler(app, 404, eh_404, NULL), 0);
	ck_assert_int_eq(bn_app_error_handler(app, 0, eh_any, NULL), 0);
	ck_assert_int_eq(bn_app_error_handler(app, 200, eh_any, NULL),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(call(app, "GET", "/nope", NULL), 404);
	body_is("missing");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/teapot", NULL), 418);
	body_is("any 418");
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/fail", NULL), 500);
	body_is("any 500");
	bn_app_response_reset(&resp);
	/* 405 keeps its Allow whatever the handler did. */
	ck_assert_int_eq(call(app, "POST", "/fail", NULL), 405);
	body_is("any 405");
	ck_assert_str_eq(bn_app_response_header(&resp, "allow"), "GET, HEAD");
	bn_app_response_reset(&resp);
	/* A failing handler gives a plain 500, no loop. */
	ck_assert_int_eq(bn_app_error_handler(app, 404, eh_broken, NULL), 0);
	ck_assert_int_eq(call(app, "GET", "/nope", NULL), 500);
	body_is("Internal Server Error");
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

START_TEST(test_blueprint)
{
	struct bn_app *app = bn_app_new();
	struct trace t = { "" };
	const struct bn_app_route_def defs[] = {
		{ BN_APP_GET, "/info", h_route, &t },
		{ BN_APP_POST, "/items/{id}", h_route, &t },
	};
	const struct bn_app_route_def bad[] = {
		{ BN_APP_GET, "/ok", h_route, &t },
		{ BN_APP_GET, "bad", h_route, &t },
	};

	ck_assert_int_eq(bn_app_blueprint(app, "/api", defs, 2), 0);
	ck_assert_int_eq(call(app, "GET", "/api/info", NULL), 200);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "POST", "/api/items/7", NULL), 200);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/info", NULL), 404);
	bn_app_response_reset(&resp);
	/* All or nothing. */
	ck_assert_int_eq(bn_app_blueprint(app, "/v2", bad, 2),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(call(app, "GET", "/v2/ok", NULL), 404);
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

START_TEST(test_helpers)
{
	struct bn_app_response r;
	char *s = NULL;
	size_t len = 0;
	size_t i;

	bn_app_response_init(&r);
	ck_assert_int_eq(bn_app_redirect(&r, "/next", 0), 0);
	ck_assert_int_eq(r.status, 302);
	ck_assert_str_eq(bn_app_response_header(&r, "location"), "/next");
	ck_assert_int_eq(bn_app_redirect(&r, "/a\r\nset-cookie: x", 0),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_redirect(&r, "/a\nb", 301), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_redirect(&r, "", 0), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_redirect(&r, "/x", 200), BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_redirect(&r, "https://e.x/", 308), 0);
	ck_assert_int_eq(r.status, 308);
	ck_assert_str_eq(bn_app_response_header(&r, "location"),
	    "https://e.x/");
	ck_assert_int_eq(bn_app_response_set_header(&r, "x-a", "a\rb"),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_response_set_header(&r, "X-A", "v"),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_response_set_header(&r, "x a", "v"),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_response_add_header(&r, "x-d", "1"), 0);
	ck_assert_int_eq(bn_app_response_add_header(&r, "x-d", "2"), 0);
	ck_assert_int_eq(bn_app_response_set_header(&r, "x-d", "3"), 0);
	ck_assert_str_eq(bn_app_response_header(&r, "x-d"), "3");
	ck_assert_uint_eq(r.nheaders, 2);
	bn_app_response_reset(&r);
	for (i = 0; i < BN_APP_RESP_HEADERS_MAX; i++)
		ck_assert_int_eq(bn_app_response_add_header(&r, "x", "y"), 0);
	ck_assert_int_eq(bn_app_response_add_header(&r, "x", "y"),
	    BN_ERR_LIMIT);
	bn_app_response_reset(&r);

	ck_assert_int_eq(bn_app_json(&r, 0, "{\"ok\":true}"), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(bn_app_response_header(&r, "content-type"),
	    "application/json");
	ck_assert_int_eq(bn_app_error(&r, 503, ""), 0);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(memcmp(r.body, "Service Unavailable", r.body_len), 0);
	ck_assert_int_eq(bn_app_text(&r, 99, "x"), BN_ERR_INVALID_ARG);
	bn_app_response_reset(&r);

	ck_assert_int_eq(bn_app_json_str(&s, &len, "a\"b\\c\n\x01", 7), 0);
	ck_assert_str_eq(s, "\"a\\\"b\\\\c\\u000a\\u0001\"");
	ck_assert_uint_eq(len, strlen(s));
	ck_assert_int_eq(bn_app_json_str(&s, &len, "", 0), 0);
	ck_assert_str_eq(s + len - 2, "\"\"");
	free(s);
}
END_TEST

START_TEST(test_counters)
{
	struct bn_app *app = bn_app_new();
	uint64_t v;
	char name[32];
	size_t i;

	ck_assert_int_eq(bn_app_counter_get(app, "c", &v), BN_ERR_NOT_FOUND);
	ck_assert_int_eq(bn_app_counter_add(app, "c", 2), 0);
	ck_assert_int_eq(bn_app_counter_add(app, "c", 3), 0);
	ck_assert_int_eq(bn_app_counter_get(app, "c", &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(bn_app_counter_set(app, "c", 1), 0);
	ck_assert_int_eq(bn_app_counter_get(app, "c", &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(bn_app_counter_add(app, "bad name", 1),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(bn_app_counter_add(app, "9x", 1), BN_ERR_INVALID_ARG);
	for (i = 1; i < BN_APP_COUNTERS_MAX; i++) {
		snprintf(name, sizeof(name), "c%zu", i);
		ck_assert_int_eq(bn_app_counter_add(app, name, 1), 0);
	}
	ck_assert_int_eq(bn_app_counter_add(app, "one_more", 1),
	    BN_ERR_LIMIT);
	bn_app_free(app);
}
END_TEST

static uint64_t
fake_clock(void *arg)
{
	uint64_t *t = arg;

	*t += 2;	/* every reading is 2 ms later */
	return *t;
}

static int
h_slow(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	uint64_t *t = arg;

	*t += 10;
	return bn_app_text(r, 200, "slow");
}

static int
h_boom(struct bn_app *app, const struct bn_app_request *req,
    struct bn_app_response *r, void *arg)
{
	return BN_ERR_INTERNAL;
}

static const char *
metric_line(const char *text, const char *name)
{
	static char line[128];
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ') {
			snprintf(line, sizeof(line), "%.*s",
			    (int)strcspn(p, "\n"), p);
			return line;
		}
		p += n;
	}
	return "";
}

START_TEST(test_metrics_plugin)
{
	struct bn_app *app = bn_app_new();
	uint64_t clock = 1000;
	char err[512], *text;
	int i;

	bn_app_set_clock(app, fake_clock, &clock);
	ck_assert_int_eq(bn_app_add_builtin_routes(app, 1), 0);
	ck_assert_int_eq(bn_app_route(app, BN_APP_GET, "/slow", h_slow,
	    &clock), 0);
	ck_assert_int_eq(bn_app_route(app, BN_APP_GET, "/boom", h_boom, NULL),
	    0);
	ck_assert_int_eq(bn_app_load_plugin(app, BN_PLUGIN_DIR "/metrics.so",
	    err, sizeof(err)), 0);

	/* 3 echoes of 5 bytes, 1 hello, 1 404, 1 500, 1 slow. */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(call(app, "POST", "/echo", "12345"), 200);
		bn_app_response_reset(&resp);
	}
	ck_assert_int_eq(call(app, "GET", "/hello/abc", NULL), 200);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/nope", NULL), 404);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/boom", NULL), 500);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/slow", NULL), 200);
	bn_app_response_reset(&resp);

	ck_assert_int_eq(call(app, "GET", "/metrics", NULL), 200);
	ck_assert_str_eq(bn_app_response_header(&resp, "content-type"),
	    "text/plain; version=0.0.4; charset=utf-8");
	text = body_str();
	/* /metrics itself is the 8th request. */
	ck_assert_str_eq(metric_line(text, "betanet_requests_total"),
	    "betanet_requests_total 8");
	ck_assert_str_eq(metric_line(text, "betanet_errors_total"),
	    "betanet_errors_total 1");
	ck_assert_str_eq(metric_line(text, "betanet_bytes_in_total"),
	    "betanet_bytes_in_total 15");
	/* 15 echoed + "hello abc" 9 + "Not Found" 9 + 21 + "slow" 4 */
	ck_assert_str_eq(metric_line(text, "betanet_bytes_out_total"),
	    "betanet_bytes_out_total 58");
	/* Each request: start reading, after-hook reading 2 ms later;
	 * /slow adds 10: (6 * 2 + 12) / 7 = 3.429. */
	ck_assert_str_eq(metric_line(text, "betanet_response_ms_avg"),
	    "betanet_response_ms_avg 3.429");
	ck_assert_str_eq(metric_line(text, "betanet_response_ms_last"),
	    "betanet_response_ms_last 12");
	ck_assert_ptr_nonnull(strstr(text,
	    "# HELP betanet_requests_total "));
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE betanet_requests_total counter\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE betanet_response_ms_avg gauge\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE betanet_errors_total counter\n"));
	free(text);
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

START_TEST(test_dashboard_plugin)
{
	struct bn_app *app = bn_app_new();
	char err[512], *text;

	/* Built-in template, no metrics plugin: zeros. */
	ck_assert_int_eq(bn_app_load_plugin(app,
	    BN_PLUGIN_DIR "/dashboard.so", err, sizeof(err)), 0);
	ck_assert_int_eq(call(app, "GET", "/dashboard", NULL), 200);
	ck_assert_str_eq(bn_app_response_header(&resp, "content-type"),
	    "text/html; charset=utf-8");
	text = body_str();
	ck_assert_ptr_nonnull(strstr(text, "<title>Betanet upstream</title>"));
	ck_assert_ptr_nonnull(strstr(text, "id=\"requests\">0<"));
	free(text);
	bn_app_response_reset(&resp);
	bn_app_free(app);

	/* Shipped template file, with metrics. */
	app = bn_app_new();
	ck_assert_int_eq(bn_app_add_template_root(app, BN_UP_TEMPLATES_DIR),
	    0);
	ck_assert_int_eq(bn_app_load_plugin(app, BN_PLUGIN_DIR "/metrics.so",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(bn_app_load_plugin(app,
	    BN_PLUGIN_DIR "/dashboard.so", err, sizeof(err)), 0);
	ck_assert_int_eq(bn_app_add_builtin_routes(app, 1), 0);
	ck_assert_int_eq(call(app, "POST", "/echo", "abcd"), 200);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(call(app, "GET", "/dashboard", NULL), 200);
	text = body_str();
	ck_assert_ptr_nonnull(strstr(text, "http-equiv=\"refresh\""));
	ck_assert_ptr_nonnull(strstr(text, "id=\"requests\">2<"));
	ck_assert_ptr_nonnull(strstr(text, "id=\"bytes_in\">4<"));
	ck_assert_ptr_nonnull(strstr(text, "id=\"bytes_out\">4<"));
	free(text);
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

/*
 * The target is visible ASCII only: a CR or LF in it would otherwise
 * reach the origin's request line through the proxy (a second request).
 */
START_TEST(test_target_bytes)
{
	struct bn_app_request *req = malloc(sizeof(*req));
	static const char *const bad[] = {
	    "/a HTTP/1.1\r\nHost: x\r\n\r\nGET /smuggled",
	    "/a\r\nX: y", "/a\n", "/a\r", "/a b", "/a\tb", "/a\x7f",
	    "/caf\xc3\xa9", "/a?q=\r\nX: y", "/a?q= ", "/a?\x80",
	};
	char t[4];
	size_t i;
	int c;

	ck_assert_ptr_nonnull(req);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(bn_app_request_init(req, "GET", bad[i],
		    strlen(bad[i]), NULL, 0, NULL, 0), BN_ERR_MALFORMED);
	/* A NUL inside the given length is refused as well. */
	ck_assert_int_eq(bn_app_request_init(req, "GET", "/a\0b", 4, NULL,
	    0, NULL, 0), BN_ERR_MALFORMED);
	/* Every byte: only 0x21..0x7e pass, in the path and the query. */
	for (c = 0; c < 256; c++) {
		int want = c > 0x20 && c < 0x7f ? BN_OK : BN_ERR_MALFORMED;

		t[0] = '/';
		t[1] = (char)c;
		ck_assert_int_eq(bn_app_request_init(req, "GET", t, 2, NULL,
		    0, NULL, 0), want);
		t[1] = '?';
		t[2] = (char)c;
		ck_assert_int_eq(bn_app_request_init(req, "GET", t, 3, NULL,
		    0, NULL, 0), want);
	}
	free(req);
}
END_TEST

static Suite *
app_suite(void)
{
	Suite *s = suite_create("up_app");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_builtins);
	tcase_add_test(tc, test_target_bytes);
	tcase_add_test(tc, test_hooks_order);
	tcase_add_test(tc, test_error_handlers);
	tcase_add_test(tc, test_blueprint);
	tcase_add_test(tc, test_helpers);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_metrics_plugin);
	tcase_add_test(tc, test_dashboard_plugin);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(app_suite());
}
