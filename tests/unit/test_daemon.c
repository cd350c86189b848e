/*
 * Unit tests for daemon: each flag kind, the file-then-flags order,
 * --set, list replacement and append, the hook, every command-line
 * error, --help/--version (stdout captured), and exit statuses.  Config
 * files go into a mkdtemp directory.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betanet/config.h"
#include "betanet/daemon.h"
#include "betanet/err.h"
#include "testutil.h"

struct t_cfg {
	char			*sock;
	int64_t			 workers;
	int			 compat;
	struct bn_config_strlist listen;
	struct bn_config_strlist hooked;	/* filled by the hook */
};

static const struct bn_config_field t_fields[] = {
	BN_CFG_F_STR("sock", struct t_cfg, sock, "/run/t.sock", 1, 107),
	BN_CFG_F_INT("workers", struct t_cfg, workers, "2", 0, 16),
	BN_CFG_F_BOOL("compat", struct t_cfg, compat, "false"),
	BN_CFG_F_STR_LIST("listen", struct t_cfg, listen, 3),
	BN_CFG_F_STR_LIST("hooked", struct t_cfg, hooked, 0),
	BN_CFG_F_END
};

static const struct bn_daemon_flag t_flags[] = {
	{ "socket",	"sock",		BN_DAEMON_ARG },
	{ "workers",	"workers",	BN_DAEMON_ARG },
	{ "allow-compat", "compat",	BN_DAEMON_BOOL },
	{ "listen",	"listen",	BN_DAEMON_LIST },
	{ "thing",	"thing-tag",	BN_DAEMON_HOOK },
	{ NULL,		NULL,		0 }
};

static const char t_usage[] = "usage: testd [--config FILE] ...\n";

struct fixture {
	char			 dir[64];
	char			 path[128];
	struct bn_common_config	 common;
	struct t_cfg		 cfg;
	struct bn_daemon_spec	 spec;
	char			 err[BN_CONFIG_ERR_MAX];
	int			 nhook;
	char			 hook_log[256];
};

/* Records "value/first;" and keeps the value in cfg.hooked. */
static int
t_hook(void *target, const struct bn_daemon_flag *flag, const char *value,
    int first, char *errbuf, size_t errlen)
{
	struct fixture *f = (struct fixture *)((char *)target -
	    offsetof(struct fixture, cfg));
	struct bn_config_section sec = { "testd", t_fields, target };
	size_t n = strlen(f->hook_log);
	char kv[128];

	ck_assert_str_eq(flag->key, "thing-tag");
	f->nhook++;
	snprintf(f->hook_log + n, sizeof(f->hook_log) - n, "%s/%d;", value,
	    first);
	if (strcmp(value, "fail") == 0) {
		snprintf(errbuf, errlen, "--thing: fails");
		return BN_ERR_CONFIG;
	}
	if (first)
		return bn_config_set(&sec, "hooked", value, errbuf, errlen);
	ck_assert_uint_eq(f->cfg.hooked.n, 1);
	snprintf(kv, sizeof(kv), "%s,%s", f->cfg.hooked.v[0], value);
	return bn_config_set(&sec, "hooked", kv, errbuf, errlen);
}

static void
fx_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/bn_daemon_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.yaml", f->dir);
	f->spec.name = "testd";
	f->spec.usage = t_usage;
	f->spec.section = "testd";
	f->spec.fields = t_fields;
	f->spec.flags = t_flags;
	f->spec.hook = t_hook;
	unsetenv("BETANET_PROFILE");
}

static void
fx_free(struct fixture *f)
{
	bn_config_free(bn_config_common_fields, &f->common);
	bn_config_free(t_fields, &f->cfg);
	memset(&f->common, 0, sizeof(f->common));
	memset(&f->cfg, 0, sizeof(f->cfg));
	f->nhook = 0;
	f->hook_log[0] = '\0';
}

static void
fx_done(struct fixture *f)
{
	fx_free(f);
	unlink(f->path);
	rmdir(f->dir);
}

static void
fx_write(struct fixture *f, const char *yaml)
{
	FILE *fp = fopen(f->path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(yaml, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

/* argv from a NULL-ended list: argv[0] "testd", then the words. */
static int
fx_run(struct fixture *f, const char *const *words)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"testd";
	while (*words != NULL) {
		ck_assert_int_lt(argc, 31);
		argv[argc++] = (char *)*words++;
	}
	argv[argc] = NULL;
	return bn_daemon_configure(&f->spec, &f->cfg, &f->common, argc, argv,
	    f->err, sizeof(f->err));
}

/* Run expecting an error whose line is exactly want. */
static void
fx_fail(struct fixture *f, const char *const *words, const char *want)
{
	ck_assert_int_eq(fx_run(f, words), BN_ERR_CONFIG);
	ck_assert_str_eq(f->err, want);
	ck_assert_ptr_null(strchr(f->err, '\n'));
	fx_free(f);
}

START_TEST(test_defaults_no_flags)
{
	struct fixture f;
	const char *w[] = { NULL };

	fx_init(&f);
	ck_assert_int_eq(fx_run(&f, w), BN_OK);
	ck_assert_str_eq(f.cfg.sock, "/run/t.sock");
	ck_assert_int_eq(f.cfg.workers, 2);
	ck_assert_int_eq(f.cfg.compat, 0);
	ck_assert_uint_eq(f.cfg.listen.n, 0);
	ck_assert_ptr_nonnull(f.common.run_dir);
	ck_assert_int_eq(f.nhook, 0);
	fx_done(&f);
}
END_TEST

START_TEST(test_file_then_flags)
{
	struct fixture f;
	const char *file[] = { "--config", NULL, NULL };
	const char *over[] = { "--config", NULL, "--workers", "7",
	    "--socket", "/x.sock", "--allow-compat", NULL };
	const char *before[] = { "--workers", "7", "--config", NULL, NULL };

	fx_init(&f);
	fx_write(&f, "common:\n  run_dir: /r\ntestd:\n  workers: 3\n"
	    "  sock: /f.sock\n  compat: false\n");
	file[1] = over[1] = before[3] = f.path;
	ck_assert_int_eq(fx_run(&f, file), BN_OK);
	ck_assert_int_eq(f.cfg.workers, 3);
	ck_assert_str_eq(f.cfg.sock, "/f.sock");
	ck_assert_str_eq(f.common.run_dir, "/r");
	fx_free(&f);
	ck_assert_int_eq(fx_run(&f, over), BN_OK);
	ck_assert_int_eq(f.cfg.workers, 7);
	ck_assert_str_eq(f.cfg.sock, "/x.sock");
	ck_assert_int_eq(f.cfg.compat, 1);
	fx_free(&f);
	/* a flag before --config still wins over the file */
	ck_assert_int_eq(fx_run(&f, before), BN_OK);
	ck_assert_int_eq(f.cfg.workers, 7);
	fx_done(&f);
}
END_TEST

START_TEST(test_set_and_order)
{
	struct fixture f;
	const char *set[] = { "--set", "workers=5", "--set", "compat=true",
	    NULL };
	const char *flag_last[] = { "--set", "workers=5", "--workers", "9",
	    NULL };
	const char *set_last[] = { "--workers", "9", "--set", "workers=5",
	    NULL };
	const char *eq_form[] = { "--set=sock=/a=b", NULL };

	fx_init(&f);
	ck_assert_int_eq(fx_run(&f, set), BN_OK);
	ck_assert_int_eq(f.cfg.workers, 5);
	ck_assert_int_eq(f.cfg.compat, 1);
	fx_free(&f);
	ck_assert_int_eq(fx_run(&f, flag_last), BN_OK);
	ck_assert_int_eq(f.cfg.workers, 9);
	fx_free(&f);
	ck_assert_int_eq(fx_run(&f, set_last), BN_OK);
	ck_assert_int_eq(f.cfg.workers, 5);
	fx_free(&f);
	/* the value is everything after the first '=' */
	ck_assert_int_eq(fx_run(&f, eq_form), BN_OK);
	ck_assert_str_eq(f.cfg.sock, "/a=b");
	fx_done(&f);
}
END_TEST

START_TEST(test_set_errors)
{
	struct fixture f;
	char longkey[100];
	const char *nokey[] = { "--set", "workers", NULL };
	const char *empty[] = { "--set", "=3", NULL };
	const char *toolong[] = { "--set", longkey, NULL };
	const char *unknown[] = { "--set", "bogus=1", NULL };
	const char *range[] = { "--set", "workers=17", NULL };
	const char *common[] = { "--set", "run_dir=/x", NULL };

	fx_init(&f);
	memset(longkey, 'k', 64);
	snprintf(longkey + 64, sizeof(longkey) - 64, "=1");
	fx_fail(&f, nokey, "--set workers: want KEY=VALUE");
	fx_fail(&f, empty, "--set =3: want KEY=VALUE");
	ck_assert_int_eq(fx_run(&f, toolong), BN_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(f.err, ": want KEY=VALUE"));
	fx_free(&f);
	fx_fail(&f, unknown, "testd.bogus: unknown key");
	fx_fail(&f, range, "testd.workers: must be 0..16");
	/* --set reaches the daemon's own section only */
	fx_fail(&f, common, "testd.run_dir: unknown key");
	fx_done(&f);
}
END_TEST

START_TEST(test_flag_errors)
{
	struct fixture f;
	const char *unknown[] = { "--bogus", NULL };
	const char *unknown_eq[] = { "--bogus=1", NULL };
	const char *missing[] = { "--workers", NULL };
	const char *missing_cfg[] = { "--config", NULL };
	const char *stray[] = { "--workers", "3", "extra", NULL };
	const char *badval[] = { "--workers", "x", NULL };
	const char *bool_arg[] = { "--allow-compat=yes", NULL };
	const char *ambiguous[] = { "--s", "1", NULL };

	fx_init(&f);
	fx_fail(&f, unknown, "unknown option --bogus (see testd --help)");
	fx_fail(&f, unknown_eq, "unknown option --bogus=1 (see testd --help)");
	fx_fail(&f, missing, "option --workers needs an argument");
	fx_fail(&f, missing_cfg, "option --config needs an argument");
	fx_fail(&f, stray, "unexpected argument extra");
	fx_fail(&f, badval, "testd.workers: must be an integer");
	fx_fail(&f, bool_arg,
	    "unknown option --allow-compat=yes (see testd --help)");
	/* --socket and --set: ambiguous prefix */
	fx_fail(&f, ambiguous, "unknown option --s (see testd --help)");
	fx_done(&f);
}
END_TEST

START_TEST(test_prefix_accepted)
{
	struct fixture f;
	const char *w[] = { "--work", "4", "--allow", NULL };

	fx_init(&f);
	ck_assert_int_eq(fx_run(&f, w), BN_OK);
	ck_assert_int_eq(f.cfg.workers, 4);
	ck_assert_int_eq(f.cfg.compat, 1);
	fx_done(&f);
}
END_TEST

START_TEST(test_file_errors)
{
	struct fixture f;
	const char *w[] = { "--config", NULL, "--workers", "3", NULL };
	char want[256];

	fx_init(&f);
	w[1] = f.path;
	fx_write(&f, "testd:\n  workers: 99\n");
	snprintf(want, sizeof(want), "%s:2:12: testd.workers: must be 0..16",
	    f.path);
	/* a file error is reported even though a flag would fix it */
	fx_fail(&f, w, want);
	fx_write(&f, "testd:\n  bogus: 1\n");
	snprintf(want, sizeof(want), "%s:2:3: testd.bogus: unknown key",
	    f.path);
	fx_fail(&f, w, want);
	unlink(f.path);
	ck_assert_int_eq(fx_run(&f, w), BN_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(f.err, f.path));
	fx_done(&f);
}
END_TEST

START_TEST(test_list_flags)
{
	struct fixture f;
	const char *w[] = { "--config", NULL, "--listen", "a:1,b:2",
	    "--listen", "c:3", NULL };
	const char *none[] = { "--config", NULL, NULL };
	const char *four[] = { "--listen", "a", "--listen", "b", "--listen",
	    "c", "--listen", "d", NULL };
	const char *empty[] = { "--listen", "", NULL };
	const char *ctl[] = { "--listen", "a\tb", NULL };

	fx_init(&f);
	w[1] = none[1] = f.path;
	fx_write(&f, "testd:\n  listen: [f:1, f:2]\n");
	ck_assert_int_eq(fx_run(&f, none), BN_OK);
	ck_assert_uint_eq(f.cfg.listen.n, 2);
	fx_free(&f);
	/* the first --listen replaces the file's list; no comma split */
	ck_assert_int_eq(fx_run(&f, w), BN_OK);
	ck_assert_uint_eq(f.cfg.listen.n, 2);
	ck_assert_str_eq(f.cfg.listen.v[0], "a:1,b:2");
	ck_assert_str_eq(f.cfg.listen.v[1], "c:3");
	fx_free(&f);
	fx_fail(&f, four, "testd.listen: at most 3 items");
	fx_fail(&f, empty, "testd.listen: must not be empty or contain "
	    "control characters");
	fx_fail(&f, ctl, "testd.listen: must not be empty or contain "
	    "control characters");
	fx_done(&f);
}
END_TEST

START_TEST(test_hook)
{
	struct fixture f;
	const char *w[] = { "--config", NULL, "--thing", "x", "--workers",
	    "1", "--thing", "y", NULL };
	const char *fail[] = { "--thing", "ok", "--thing", "fail", NULL };
	const char *none[] = { "--workers", "1", NULL };

	fx_init(&f);
	w[1] = f.path;
	fx_write(&f, "testd:\n  hooked: [file]\n");
	ck_assert_int_eq(fx_run(&f, w), BN_OK);
	ck_assert_int_eq(f.nhook, 2);
	ck_assert_str_eq(f.hook_log, "x/1;y/0;");
	ck_assert_uint_eq(f.cfg.hooked.n, 2);
	ck_assert_str_eq(f.cfg.hooked.v[0], "x");
	ck_assert_str_eq(f.cfg.hooked.v[1], "y");
	fx_free(&f);
	fx_fail(&f, fail, "--thing: fails");
	ck_assert_int_eq(fx_run(&f, none), BN_OK);
	ck_assert_int_eq(f.nhook, 0);
	fx_done(&f);
}
END_TEST

START_TEST(test_bad_table)
{
	struct fixture f;
	const char *w[] = { NULL };

	fx_init(&f);
	f.spec.hook = NULL;
	ck_assert_int_eq(fx_run(&f, w), BN_ERR_INTERNAL);
	ck_assert_str_eq(f.err, "--thing: bad flag table");
	fx_done(&f);
}
END_TEST

START_TEST(test_reload_same_argv)
{
	struct fixture f;
	const char *w[] = { "--listen", "a", "--workers", "6", "--thing", "z",
	    NULL };
	int i;

	fx_init(&f);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(fx_run(&f, w), BN_OK);
		ck_assert_int_eq(f.cfg.workers, 6);
		ck_assert_uint_eq(f.cfg.listen.n, 1);
		ck_assert_str_eq(f.hook_log, "z/1;");
		fx_free(&f);
	}
	fx_done(&f);
}
END_TEST

/* Run with stdout captured into out; returns bn_daemon_configure's r. */
static int
fx_run_stdout(struct fixture *f, const char *const *words, char *out,
    size_t outlen)
{
	FILE *tmp = tmpfile();
	size_t n;
	int saved, r;

	ck_assert_ptr_nonnull(tmp);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fileno(tmp), STDOUT_FILENO), 0);
	r = fx_run(f, words);
	fflush(stdout);
	ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, outlen - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return r;
}

START_TEST(test_help_version)
{
	struct fixture f;
	char out[256];
	const char *help[] = { "--help", NULL };
	const char *shorth[] = { "-h", NULL };
	const char *version[] = { "--version", NULL };
	const char *shortv[] = { "-V", NULL };
	/* help stops the scan: no file read, later errors not seen */
	const char *first[] = { "--config", "/nonexistent/t.yaml", "--help",
	    "--bogus", NULL };
	const char *late[] = { "--bogus", "--help", NULL };

	fx_init(&f);
	ck_assert_int_eq(fx_run_stdout(&f, help, out, sizeof(out)),
	    BN_DAEMON_EXIT);
	ck_assert_str_eq(out, t_usage);
	ck_assert_int_eq(fx_run_stdout(&f, shorth, out, sizeof(out)),
	    BN_DAEMON_EXIT);
	ck_assert_str_eq(out, t_usage);
	ck_assert_int_eq(fx_run_stdout(&f, version, out, sizeof(out)),
	    BN_DAEMON_EXIT);
	ck_assert_str_eq(out, "testd " BN_VERSION "\n");
	ck_assert_int_eq(fx_run_stdout(&f, shortv, out, sizeof(out)),
	    BN_DAEMON_EXIT);
	ck_assert_str_eq(out, "testd " BN_VERSION "\n");
	ck_assert_int_eq(fx_run_stdout(&f, first, out, sizeof(out)),
	    BN_DAEMON_EXIT);
	ck_assert_str_eq(out, t_usage);
	ck_assert_int_eq(fx_run_stdout(&f, late, out, sizeof(out)),
	    BN_ERR_CONFIG);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(f.err, "unknown option --bogus (see testd --help)");
	fx_done(&f);
}
END_TEST

START_TEST(test_path)
{
	char dst[12], err[128];

	ck_assert_int_eq(bn_daemon_path(dst, sizeof(dst), "/g/x.sock", "/r",
	    "t.sock", "testd.sock", err, sizeof(err)), BN_OK);
	ck_assert_str_eq(dst, "/g/x.sock");
	ck_assert_int_eq(bn_daemon_path(dst, sizeof(dst), NULL, "/r",
	    "t.sock", "testd.sock", err, sizeof(err)), BN_OK);
	ck_assert_str_eq(dst, "/r/t.sock");
	ck_assert_int_eq(bn_daemon_path(dst, sizeof(dst), "", "/r",
	    "t.sock", "testd.sock", err, sizeof(err)), BN_OK);
	ck_assert_str_eq(dst, "/r/t.sock");
	/* 11 bytes fit, 12 do not */
	ck_assert_int_eq(bn_daemon_path(dst, sizeof(dst), "/0123456789",
	    "/r", "t.sock", "testd.sock", err, sizeof(err)), BN_OK);
	ck_assert_int_eq(bn_daemon_path(dst, sizeof(dst), "/0123456789a",
	    "/r", "t.sock", "testd.sock", err, sizeof(err)), BN_ERR_CONFIG);
	ck_assert_str_eq(err, "testd.sock: path must be 1..11 bytes");
	ck_assert_int_eq(bn_daemon_path(dst, sizeof(dst), NULL, "/run/dir",
	    "t.sock", "testd.sock", err, sizeof(err)), BN_ERR_CONFIG);
	ck_assert_str_eq(err, "testd.sock: path must be 1..11 bytes");
}
END_TEST

START_TEST(test_exit_status)
{
	FILE *tmp = tmpfile();
	char out[128];
	size_t n;
	int saved;

	ck_assert_ptr_nonnull(tmp);
	ck_assert_int_eq(bn_daemon_exit_status("testd", BN_OK, ""), -1);
	ck_assert_int_eq(bn_daemon_exit_status("testd", BN_DAEMON_EXIT, ""),
	    0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	ck_assert_int_eq(bn_daemon_exit_status("testd", BN_ERR_CONFIG,
	    "testd.workers: must be 0..16"), 2);
	ck_assert_int_eq(bn_daemon_exit_status("testd", BN_ERR_ALLOC, ""), 2);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	ck_assert_str_eq(out, "testd: testd.workers: must be 0..16\n"
	    "testd: out of memory\n");
}
END_TEST

static Suite *
daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults_no_flags);
	tcase_add_test(tc, test_file_then_flags);
	tcase_add_test(tc, test_set_and_order);
	tcase_add_test(tc, test_set_errors);
	tcase_add_test(tc, test_flag_errors);
	tcase_add_test(tc, test_prefix_accepted);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_list_flags);
	tcase_add_test(tc, test_hook);
	tcase_add_test(tc, test_bad_table);
	tcase_add_test(tc, test_reload_same_argv);
	tcase_add_test(tc, test_help_version);
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_exit_status);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(daemon_suite());
}
