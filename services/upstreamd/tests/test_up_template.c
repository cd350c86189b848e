/*
 * Unit tests for up_template: escaping, |safe, unknown variables,
 * malformed tags, bounds, file roots, name checks and the mtime cache.
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
#include "up_template.h"

static const struct bn_app_var vars[] = {
	{ "name", "<b>\"Tom\" & 'Jerry'</b>" },
	{ "n", "42" },
	{ "a.b", "dotted" },
};

static char *
render(const char *text, int *rp)
{
	char *out = NULL;
	size_t len = 0;

	*rp = up_tmpl_render(text, strlen(text), vars, 3, &out, &len);
	if (*rp == 0)
		ck_assert_uint_eq(strlen(out), len);
	else
		ck_assert_ptr_null(out);
	return out;
}

static void
expect(const char *text, const char *want)
{
	int r;
	char *out = render(text, &r);

	ck_assert_msg(r == 0, "render %s: %d", text, r);
	ck_assert_str_eq(out, want);
	free(out);
}

static void
expect_err(const char *text, int err)
{
	int r;
	char *out = render(text, &r);

	ck_assert_msg(r == err, "render %s: %d", text, r);
	free(out);
}

START_TEST(test_escape_and_safe)
{
	expect("", "");
	expect("plain { } }} text", "plain { } }} text");
	expect("{{ name }}",
	    "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
	expect("{{name}}|{{ n }}", "&lt;b&gt;&quot;Tom&quot; &amp; "
	    "&#39;Jerry&#39;&lt;/b&gt;|42");
	expect("{{ name|safe }}", "<b>\"Tom\" & 'Jerry'</b>");
	expect("{{ name | safe }}", "<b>\"Tom\" & 'Jerry'</b>");
	expect("{{name|safe}}", "<b>\"Tom\" & 'Jerry'</b>");
	expect("x{{ missing }}y", "xy");
	expect("{{ a.b }}", "dotted");
	expect("{{\tn\n}}", "42");
}
END_TEST

START_TEST(test_malformed)
{
	expect_err("{{", BN_ERR_MALFORMED);
	expect_err("{{ n", BN_ERR_MALFORMED);
	expect_err("{{ n }", BN_ERR_MALFORMED);
	expect_err("{{ }}", BN_ERR_MALFORMED);
	expect_err("{{ n | unsafe }}", BN_ERR_MALFORMED);
	expect_err("{{ n | }}", BN_ERR_MALFORMED);
	expect_err("{{ n m }}", BN_ERR_MALFORMED);
	expect_err("{{ <script> }}", BN_ERR_MALFORMED);
	expect_err("{{ n|safe|safe }}", BN_ERR_MALFORMED);
	expect_err("{{{ n }}}", BN_ERR_MALFORMED);	/* "{ n" is no name */
}
END_TEST

START_TEST(test_prefixes)
{
	/* Every prefix of a template renders or is malformed; no crash. */
	const char *t = "a{{ name | safe }}b{{n}}c";
	size_t i, len;
	char *out;
	int r;

	for (i = 0; i <= strlen(t); i++) {
		r = up_tmpl_render(t, i, vars, 3, &out, &len);
		ck_assert(r == 0 || r == BN_ERR_MALFORMED);
		free(out);
	}
}
END_TEST

START_TEST(test_bounds)
{
	struct bn_app_var big = { "x", NULL };
	char *text, *val, *out;
	size_t len, i;

	text = malloc(BN_APP_TEMPLATE_MAX + 1);
	memset(text, 'a', BN_APP_TEMPLATE_MAX + 1);
	ck_assert_int_eq(up_tmpl_render(text, BN_APP_TEMPLATE_MAX + 1, NULL,
	    0, &out, &len), BN_ERR_TOO_LARGE);
	ck_assert_int_eq(up_tmpl_render(text, BN_APP_TEMPLATE_MAX, NULL, 0,
	    &out, &len), 0);
	ck_assert_uint_eq(len, BN_APP_TEMPLATE_MAX);
	free(out);

	/* 1 MiB of '&' escaped 5x per use overflows the 4 MiB output cap. */
	val = malloc(1024 * 1024 + 1);
	memset(val, '&', 1024 * 1024);
	val[1024 * 1024] = '\0';
	big.value = val;
	ck_assert_int_eq(up_tmpl_render("{{x}}", 5, &big, 1, &out, &len),
	    BN_ERR_TOO_LARGE);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(up_tmpl_render("{{x|safe}}", 10, &big, 1, &out,
	    &len), 0);
	free(out);

	/* A tag longer than UP_TMPL_TAG_MAX is refused. */
	for (i = 0; i < BN_APP_TEMPLATE_MAX; i++)
		text[i] = ' ';
	memcpy(text, "{{", 2);
	memcpy(text + UP_TMPL_TAG_MAX + 3, "}}", 2);
	ck_assert_int_eq(up_tmpl_render(text, UP_TMPL_TAG_MAX + 5, NULL, 0,
	    &out, &len), BN_ERR_MALFORMED);
	free(text);
	free(val);
}
END_TEST

static char tmpdir[64];

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
set_mtime(const char *rel, time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tmpdir(void)
{
	ck_assert_int_eq(nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void
mk_tmpdir(void)
{
	char path[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/up_tmpl_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/root1", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/root2", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/root2/sub", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static char *
render_file(struct up_tmpl *t, const char *name, int *rp)
{
	char *out = NULL;
	size_t len;

	*rp = up_tmpl_render_file(t, name, vars, 3, &out, &len);
	return out;
}

START_TEST(test_files_and_cache)
{
	struct up_tmpl *t = up_tmpl_new();
	char path[256], *out;
	int r;

	mk_tmpdir();
	write_file("root1/a.html", "one {{ n }}");
	write_file("root2/a.html", "two");
	write_file("root2/sub/b.html", "b {{ name }}");
	write_file("secret.html", "SECRET");
	snprintf(path, sizeof(path), "%s/root1", tmpdir);
	ck_assert_int_eq(up_tmpl_add_root(t, path), 0);
	snprintf(path, sizeof(path), "%s/root2", tmpdir);
	ck_assert_int_eq(up_tmpl_add_root(t, path), 0);
	snprintf(path, sizeof(path), "%s/nope", tmpdir);
	ck_assert_int_eq(up_tmpl_add_root(t, path), BN_ERR_NOT_FOUND);
	snprintf(path, sizeof(path), "%s/secret.html", tmpdir);
	ck_assert_int_eq(up_tmpl_add_root(t, path), BN_ERR_INVALID_ARG);

	/* The first root wins; the second serves what the first lacks. */
	out = render_file(t, "a.html", &r);
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(out, "one 42");
	free(out);
	out = render_file(t, "sub/b.html", &r);
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(out, "b &lt;b&gt;&quot;Tom&quot; &amp; "
	    "&#39;Jerry&#39;&lt;/b&gt;");
	free(out);

	/* Missing is NOT_FOUND; escapes never reach the file. */
	ck_assert_ptr_null(render_file(t, "missing.html", &r));
	ck_assert_int_eq(r, BN_ERR_NOT_FOUND);
	ck_assert_ptr_null(render_file(t, "../secret.html", &r));
	ck_assert_int_eq(r, BN_ERR_INVALID_ARG);
	ck_assert_ptr_null(render_file(t, "sub/../../secret.html", &r));
	ck_assert_int_eq(r, BN_ERR_INVALID_ARG);
	snprintf(path, sizeof(path), "%s/secret.html", tmpdir);
	ck_assert_ptr_null(render_file(t, path, &r));
	ck_assert_int_eq(r, BN_ERR_INVALID_ARG);
	/* A symlink out of the root is treated as absent. */
	snprintf(path, sizeof(path), "%s/root1/link.html", tmpdir);
	ck_assert_int_eq(symlink("../secret.html", path), 0);
	ck_assert_ptr_null(render_file(t, "link.html", &r));
	ck_assert_int_eq(r, BN_ERR_NOT_FOUND);
	/* A symlink inside the root is fine. */
	snprintf(path, sizeof(path), "%s/root2/in.html", tmpdir);
	ck_assert_int_eq(symlink("sub/b.html", path), 0);
	out = render_file(t, "in.html", &r);
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(strstr(out, "b &lt;"));
	free(out);
	/* A directory is not a template. */
	ck_assert_ptr_null(render_file(t, "sub", &r));
	ck_assert_int_eq(r, BN_ERR_NOT_FOUND);

	/*
	 * Cache: same size and same mtime means the cached copy is used
	 * (proving there is a cache); a new mtime invalidates it.
	 */
	set_mtime("root1/a.html", 1000000000);
	out = render_file(t, "a.html", &r);
	ck_assert_str_eq(out, "one 42");
	free(out);
	write_file("root1/a.html", "ONE {{ n }}");
	set_mtime("root1/a.html", 1000000000);
	out = render_file(t, "a.html", &r);
	ck_assert_str_eq(out, "one 42");
	free(out);
	set_mtime("root1/a.html", 1000000001);
	out = render_file(t, "a.html", &r);
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(out, "ONE 42");
	free(out);
	/* A size change invalidates too, even with the old mtime. */
	write_file("root1/a.html", "longer {{ n }}");
	set_mtime("root1/a.html", 1000000001);
	out = render_file(t, "a.html", &r);
	ck_assert_str_eq(out, "longer 42");
	free(out);
	/* A malformed file is reported as such. */
	write_file("root1/bad.html", "{{ oops");
	ck_assert_ptr_null(render_file(t, "bad.html", &r));
	ck_assert_int_eq(r, BN_ERR_MALFORMED);
	up_tmpl_free(t);
	up_tmpl_free(NULL);
	rm_tmpdir();
}
END_TEST

START_TEST(test_cache_eviction)
{
	struct up_tmpl *t = up_tmpl_new();
	char name[64], want[64], *out;
	size_t i;
	int r;

	mk_tmpdir();
	ck_assert_int_eq(up_tmpl_add_root(t, tmpdir), 0);
	for (i = 0; i < UP_TMPL_CACHE_MAX * 2; i++) {
		snprintf(name, sizeof(name), "t%zu.html", i);
		snprintf(want, sizeof(want), "file %zu", i);
		write_file(name, want);
		out = render_file(t, name, &r);
		ck_assert_int_eq(r, 0);
		ck_assert_str_eq(out, want);
		free(out);
	}
	out = render_file(t, "t0.html", &r);
	ck_assert_str_eq(out, "file 0");
	free(out);
	up_tmpl_free(t);
	rm_tmpdir();
}
END_TEST

START_TEST(test_names)
{
	static const char *good[] = { "a.html", "a/b.html", ".hidden",
	    "a..b", "...", "x/..y" };
	static const char *bad[] = { "", "/abs", "..", ".", "../a", "a/..",
	    "a/./b", "a//b", "a/", "a\\b", "./a" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(up_tmpl_name_ok(good[i]), "refused %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!up_tmpl_name_ok(bad[i]), "took %s", bad[i]);
	ck_assert(!up_tmpl_name_ok(NULL));
}
END_TEST

static Suite *
template_suite(void)
{
	Suite *s = suite_create("up_template");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_escape_and_safe);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_files_and_cache);
	tcase_add_test(tc, test_cache_eviction);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(template_suite());
}
