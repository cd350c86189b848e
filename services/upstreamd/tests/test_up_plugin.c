/*
 * Unit tests for plugin loading: a good plugin (route + before hook),
 * a missing symbol, a missing file, an ABI mismatch, a failing
 * registration that must be rolled back, a plugin directory, and files
 * or directories that others may write (refused).
 * This executable exports its symbols (ENABLE_EXPORTS) for the plugins.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betanet/err.h"
#include "app.h"
#include "testutil.h"
#include "up_plugin.h"

static int
get(struct bn_app *app, const char *target, struct bn_app_response *resp)
{
	struct bn_app_request *req = malloc(sizeof(*req));

	ck_assert_int_eq(bn_app_request_init(req, "GET", target,
	    strlen(target), NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(bn_app_handle(app, req, resp), 0);
	free(req);
	return resp->status;
}

START_TEST(test_load_ok)
{
	struct bn_app *app = bn_app_new();
	struct bn_app_response resp;
	char err[512];

	ck_assert_int_eq(bn_app_load_plugin(app,
	    BN_TEST_PLUGIN_DIR "/test_plugin.so", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(get(app, "/plugin/hello/x", &resp), 200);
	ck_assert_str_eq(bn_app_response_header(&resp, "content-type"),
	    "application/json");
	ck_assert_uint_eq(resp.body_len, strlen("{\"plugin\":\"x\"}"));
	ck_assert_int_eq(memcmp(resp.body, "{\"plugin\":\"x\"}", resp.body_len),
	    0);
	ck_assert_str_eq(bn_app_response_header(&resp, "x-test-plugin"), "1");
	bn_app_response_reset(&resp);
	/* The hook runs for every request, but errors start clean. */
	ck_assert_int_eq(get(app, "/nope", &resp), 404);
	ck_assert_ptr_null(bn_app_response_header(&resp, "x-test-plugin"));
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

START_TEST(test_missing_symbol)
{
	struct bn_app *app = bn_app_new();
	const char *path = BN_TEST_PLUGIN_DIR "/broken_plugin.so";
	char err[512];

	ck_assert_int_eq(bn_app_load_plugin(app, path, err, sizeof(err)),
	    BN_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "bn_plugin_register"));
	/* dlerror() text follows the reason. */
	ck_assert_ptr_nonnull(strstr(err, "undefined symbol"));
	bn_app_free(app);
}
END_TEST

START_TEST(test_missing_file)
{
	struct bn_app *app = bn_app_new();
	const char *path = BN_TEST_PLUGIN_DIR "/no_such_plugin.so";
	char err[512];

	ck_assert_int_eq(bn_app_load_plugin(app, path, err, sizeof(err)),
	    BN_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "cannot load"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	/* A bare name would search the library path: refused. */
	ck_assert_int_eq(bn_app_load_plugin(app, "libc.so.6", err,
	    sizeof(err)), BN_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err, "libc.so.6"));
	/* A small buffer still gets a terminated prefix. */
	ck_assert_int_eq(bn_app_load_plugin(app, path, err, 8),
	    BN_ERR_NOT_FOUND);
	ck_assert_str_eq(err, "plugin ");
	ck_assert_int_eq(bn_app_load_plugin(app, path, NULL, 0),
	    BN_ERR_NOT_FOUND);
	bn_app_free(app);
}
END_TEST

START_TEST(test_abi_mismatch)
{
	struct bn_app *app = bn_app_new();
	const char *path = BN_TEST_PLUGIN_DIR "/badabi_plugin.so";
	struct bn_app_response resp;
	char err[512];

	ck_assert_int_eq(bn_app_load_plugin(app, path, err, sizeof(err)),
	    BN_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "ABI mismatch"));
	ck_assert_int_eq(get(app, "/badabi", &resp), 404);
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

START_TEST(test_failing_register_rolled_back)
{
	struct bn_app *app = bn_app_new();
	const char *path = BN_TEST_PLUGIN_DIR "/failing_plugin.so";
	struct bn_app_response resp;
	char err[512];

	ck_assert_int_eq(bn_app_add_builtin_routes(app, 1), 0);
	ck_assert_int_eq(bn_app_load_plugin(app, path, err, sizeof(err)),
	    BN_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "bn_plugin_register failed"));
	/* Its route and its short-circuiting hook are gone... */
	ck_assert_int_eq(get(app, "/failing", &resp), 404);
	bn_app_response_reset(&resp);
	/* ...and what was there before still works. */
	ck_assert_int_eq(get(app, "/healthz", &resp), 200);
	bn_app_response_reset(&resp);
	bn_app_free(app);
}
END_TEST

START_TEST(test_load_dir)
{
	struct bn_app *app = bn_app_new();
	struct bn_app_response resp;
	char **paths;
	size_t n;
	char err[512];

	ck_assert_int_eq(up_plugin_list_dir(BN_PLUGIN_DIR, &paths, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(paths[0], BN_PLUGIN_DIR "/dashboard.so");
	ck_assert_str_eq(paths[1], BN_PLUGIN_DIR "/metrics.so");
	up_plugin_paths_free(paths, n);

	ck_assert_int_eq(bn_app_load_plugin_dir(app, BN_PLUGIN_DIR, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(get(app, "/metrics", &resp), 200);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(get(app, "/dashboard", &resp), 200);
	bn_app_response_reset(&resp);

	/* The test dir has broken plugins: loading stops, naming one. */
	ck_assert_int_ne(bn_app_load_plugin_dir(app, BN_TEST_PLUGIN_DIR, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, BN_TEST_PLUGIN_DIR "/badabi"));
	ck_assert_int_eq(bn_app_load_plugin_dir(app, "/nonexistent", err,
	    sizeof(err)), BN_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent"));
	bn_app_free(app);
}
END_TEST

/* Copy src to dst with mode (a plugin someone else could have put). */
static void
copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[8192];
	size_t n;
	FILE *in, *out;

	ck_assert_ptr_nonnull(in = fopen(src, "rb"));
	ck_assert_ptr_nonnull(out = fopen(dst, "wb"));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(chmod(dst, mode), 0);
}

START_TEST(test_refuse_writable)
{
	struct bn_app *app = bn_app_new();
	struct bn_app_response resp;
	char dir[] = "/tmp/up_plugin_XXXXXX", path[64], err[512];
	char **paths;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/test_plugin.so", dir);
	copy_file(BN_TEST_PLUGIN_DIR "/test_plugin.so", path, 0666);
	/* World-writable: refused before dlopen, the file named. */
	ck_assert_int_eq(bn_app_load_plugin(app, path, err, sizeof(err)),
	    BN_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "world-writable"));
	ck_assert_ptr_nonnull(strstr(err, "0666"));
	ck_assert_int_eq(get(app, "/plugin/hello/x", &resp), 404);
	bn_app_response_reset(&resp);
	/* Group-writable alone is as bad. */
	ck_assert_int_eq(chmod(path, 0720), 0);
	ck_assert_int_eq(bn_app_load_plugin(app, path, err, sizeof(err)),
	    BN_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err, "0720"));
	/* The same file, 0755 and ours, in a 0700 directory: loads. */
	ck_assert_int_eq(chmod(path, 0755), 0);
	ck_assert_int_eq(bn_app_load_plugin(app, path, err, sizeof(err)), 0);
	ck_assert_int_eq(get(app, "/plugin/hello/x", &resp), 200);
	bn_app_response_reset(&resp);
	bn_app_free(app);

	/* A plugin directory anyone may add files to: refused, named. */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(up_plugin_list_dir(dir, &paths, &n, err,
	    sizeof(err)), BN_ERR_INVALID_ARG);
	ck_assert_ptr_null(paths);
	ck_assert_ptr_nonnull(strstr(err, dir));
	ck_assert_ptr_nonnull(strstr(err, "0777"));
	app = bn_app_new();
	ck_assert_int_eq(bn_app_load_plugin_dir(app, dir, err, sizeof(err)),
	    BN_ERR_INVALID_ARG);
	ck_assert_int_eq(get(app, "/plugin/hello/x", &resp), 404);
	bn_app_response_reset(&resp);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(bn_app_load_plugin_dir(app, dir, err, sizeof(err)),
	    0);
	ck_assert_int_eq(get(app, "/plugin/hello/x", &resp), 200);
	bn_app_response_reset(&resp);
	bn_app_free(app);

	/* Owned by someone else (only root can hand a file away). */
	if (geteuid() == 0) {
		app = bn_app_new();
		ck_assert_int_eq(chown(path, 4242, 4242), 0);
		ck_assert_int_eq(bn_app_load_plugin(app, path, err,
		    sizeof(err)), BN_ERR_INVALID_ARG);
		ck_assert_ptr_nonnull(strstr(err, path));
		ck_assert_ptr_nonnull(strstr(err, "owned by uid 4242"));
		ck_assert_int_eq(chown(dir, 4242, 4242), 0);
		ck_assert_int_eq(up_plugin_list_dir(dir, &paths, &n, err,
		    sizeof(err)), BN_ERR_INVALID_ARG);
		ck_assert_ptr_nonnull(strstr(err, "owned by uid 4242"));
		bn_app_free(app);
	}
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
plugin_suite(void)
{
	Suite *s = suite_create("up_plugin");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_load_ok);
	tcase_add_test(tc, test_missing_symbol);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_abi_mismatch);
	tcase_add_test(tc, test_failing_register_rolled_back);
	tcase_add_test(tc, test_load_dir);
	tcase_add_test(tc, test_refuse_writable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(plugin_suite());
}
