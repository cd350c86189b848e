/*
 * Unit tests for config: defaults, every type, every error class with
 * its exact file:line:col, overrides from env and flags, hostile YAML.
 * Files are written into a mkdtemp directory.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "betanet/config.h"
#include "betanet/err.h"
#include "testutil.h"

struct t_up {
	struct bn_config_addr	 addr;
	char			*pub;
	int64_t			 weight;
};

struct t_gw {
	int64_t			 max_header_bytes;
	int			 allow_compat;
	uint64_t		 idle_timeout;
	uint64_t		 max_body;
	struct bn_config_addr	 listen;
	struct bn_config_strlist cover;
	struct bn_config_list	 upstreams;
	int			 mode;
	char			*cookie;
};

static const char *const t_modes[] = { "fast", "safe", NULL };

static const struct bn_config_field t_up_fields[] = {
	{ .key = "addr", .type = BN_CFG_ADDR,
	  .offset = BN_CFG_OFF(struct t_up, addr, struct bn_config_addr),
	  .flags = BN_CFG_REQUIRED },
	BN_CFG_F_STR("pub", struct t_up, pub, NULL, 64, 64),
	BN_CFG_F_INT("weight", struct t_up, weight, "1", 1, 100),
	BN_CFG_F_END
};

static const struct bn_config_field t_gw_fields[] = {
	BN_CFG_F_INT("max_header_bytes", struct t_gw, max_header_bytes,
	    "8192", 1024, 65536),
	BN_CFG_F_BOOL("allow_compat", struct t_gw, allow_compat, "false"),
	BN_CFG_F_DURATION("idle_timeout", struct t_gw, idle_timeout, "30s",
	    250, 3600000),
	BN_CFG_F_SIZE("max_body", struct t_gw, max_body, "1MiB", 1024,
	    (int64_t)1 << 30),
	BN_CFG_F_ADDR("listen", struct t_gw, listen, "127.0.0.1:8080"),
	BN_CFG_F_STR_LIST("cover", struct t_gw, cover, 3),
	BN_CFG_F_TABLE_LIST("upstreams", struct t_gw, upstreams, t_up_fields,
	    struct t_up, 4),
	BN_CFG_F_ENUM("mode", struct t_gw, mode, "safe", t_modes),
	BN_CFG_F_STR("cookie", struct t_gw, cookie, "__Host-bn1", 1, 64),
	BN_CFG_F_END
};

struct fixture {
	char			 dir[64];
	char			 path[128];
	struct bn_common_config	 common;
	struct t_gw		 gw;
	struct bn_config_section secs[2];
	char			 err[BN_CONFIG_ERR_MAX];
};

static void
fx_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/bn_cfg_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/b.yaml", f->dir);
	f->secs[0] = (struct bn_config_section){ "common",
	    bn_config_common_fields, &f->common };
	f->secs[1] = (struct bn_config_section){ "htx_gw", t_gw_fields,
	    &f->gw };
	unsetenv("BETANET_PROFILE");
}

static void
fx_free(struct fixture *f)
{
	bn_config_free(bn_config_common_fields, &f->common);
	bn_config_free(t_gw_fields, &f->gw);
	memset(&f->common, 0, sizeof(f->common));
	memset(&f->gw, 0, sizeof(f->gw));
}

static void
fx_done(struct fixture *f)
{
	fx_free(f);
	unlink(f->path);
	rmdir(f->dir);
	unsetenv("BETANET_PROFILE");
}

static int
load(struct fixture *f, const char *yaml)
{
	FILE *fp;

	fx_free(f);
	fp = fopen(f->path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(yaml, 1, strlen(yaml), fp), strlen(yaml));
	fclose(fp);
	return bn_config_load(f->path, f->secs, 2, f->err, sizeof(f->err));
}

/* Load yaml, expect BN_ERR_CONFIG and "<path>:<where>: <msg>". */
static void
load_fails(struct fixture *f, const char *yaml, const char *want)
{
	char exp[BN_CONFIG_ERR_MAX];

	ck_assert_int_eq(load(f, yaml), BN_ERR_CONFIG);
	snprintf(exp, sizeof(exp), "%s:%s", f->path, want);
	ck_assert_str_eq(f->err, exp);
}

START_TEST(test_defaults)
{
	struct fixture f;

	fx_init(&f);
	ck_assert_int_eq(load(&f, ""), BN_OK);
	ck_assert_str_eq(f.common.run_dir, "/run/betanet");
	ck_assert_str_eq(f.common.key_dir, "/etc/betanet/keys");
	ck_assert_str_eq(f.common.state_dir, "/var/lib/betanet");
	ck_assert_int_eq(f.common.log_level, 1);
	ck_assert_int_eq(f.common.profile, BN_PROFILE_STANDARD);
	ck_assert_int_eq(f.gw.max_header_bytes, 8192);
	ck_assert_int_eq(f.gw.allow_compat, 0);
	ck_assert(f.gw.idle_timeout == 30000);
	ck_assert(f.gw.max_body == 1048576);
	ck_assert_str_eq(f.gw.listen.host, "127.0.0.1");
	ck_assert_uint_eq(f.gw.listen.port, 8080);
	ck_assert_uint_eq(f.gw.cover.n, 0);
	ck_assert_uint_eq(f.gw.upstreams.n, 0);
	ck_assert_int_eq(f.gw.mode, 1);
	ck_assert_str_eq(f.gw.cookie, "__Host-bn1");
	/* No file at all: the same defaults. */
	fx_free(&f);
	ck_assert_int_eq(bn_config_load(NULL, f.secs, 2, f.err,
	    sizeof(f.err)), BN_OK);
	ck_assert_str_eq(f.common.run_dir, "/run/betanet");
	fx_done(&f);
}
END_TEST

START_TEST(test_full_file)
{
	struct fixture f;
	const struct t_up *u;

	fx_init(&f);
	ck_assert_int_eq(load(&f,
	    "# comment\n"
	    "common:\n"
	    "  run_dir: /tmp/run\n"
	    "  log_level: debug\n"
	    "  profile: EXTENDED\n"
	    "htx_gw:\n"
	    "  max_header_bytes: 65536\n"
	    "  allow_compat: true\n"
	    "  idle_timeout: 1m30s\n"
	    "  max_body: 64KiB\n"
	    "  listen: \"[::1]:8443\"\n"
	    "  cover: [a.example:443, b.example:443]\n"
	    "  upstreams:\n"
	    "    - addr: 10.0.0.1:9000\n"
	    "      weight: 5\n"
	    "    - {addr: \"[2001:db8::1]:9001\"}\n"
	    "  mode: fast\n"
	    "  cookie: 'bn'\n"
	    "upstreamd:\n"
	    "  anything: [goes, here]\n"), BN_OK);
	ck_assert_str_eq(f.common.run_dir, "/tmp/run");
	ck_assert_int_eq(f.common.log_level, 0);
	ck_assert_int_eq(f.common.profile, BN_PROFILE_EXTENDED);
	ck_assert_int_eq(f.gw.max_header_bytes, 65536);
	ck_assert_int_eq(f.gw.allow_compat, 1);
	ck_assert(f.gw.idle_timeout == 90000);
	ck_assert(f.gw.max_body == 65536);
	ck_assert_str_eq(f.gw.listen.host, "::1");
	ck_assert_uint_eq(f.gw.listen.port, 8443);
	ck_assert_uint_eq(f.gw.cover.n, 2);
	ck_assert_str_eq(f.gw.cover.v[1], "b.example:443");
	ck_assert_uint_eq(f.gw.upstreams.n, 2);
	u = f.gw.upstreams.v;
	ck_assert_str_eq(u[0].addr.host, "10.0.0.1");
	ck_assert_int_eq(u[0].weight, 5);
	ck_assert_str_eq(u[1].addr.host, "2001:db8::1");
	ck_assert_uint_eq(u[1].addr.port, 9001);
	ck_assert_int_eq(u[1].weight, 1);		/* element default */
	ck_assert_ptr_null(u[1].pub);
	ck_assert_int_eq(f.gw.mode, 0);
	ck_assert_str_eq(f.gw.cookie, "bn");
	fx_done(&f);
}
END_TEST

START_TEST(test_errors)
{
	struct fixture f;

	fx_init(&f);
	load_fails(&f, "htx_gw:\n  max_header_bytes: 100\n",
	    "2:21: htx_gw.max_header_bytes: must be 1024..65536");
	load_fails(&f, "htx_gw:\n  max_header_bytes: 9223372036854775808\n",
	    "2:21: htx_gw.max_header_bytes: must be 1024..65536");
	load_fails(&f, "htx_gw:\n  max_header_bytes: 12k\n",
	    "2:21: htx_gw.max_header_bytes: must be an integer");
	load_fails(&f, "htx_gw:\n  bogus: 1\n",
	    "2:3: htx_gw.bogus: unknown key");
	load_fails(&f, "common:\n  log_level: loud\n",
	    "2:14: common.log_level: must be one of debug|info|warn|error");
	load_fails(&f, "common:\n  profile: standard\n",
	    "2:12: common.profile: must be one of MINIMAL|STANDARD|EXTENDED");
	load_fails(&f, "htx_gw:\n  allow_compat: yes\n",
	    "2:17: htx_gw.allow_compat: must be true or false");
	load_fails(&f, "htx_gw:\n  idle_timeout: 5\n",
	    "2:17: htx_gw.idle_timeout: must be a duration like 250ms, 5s, "
	    "2m, 1h");
	load_fails(&f, "htx_gw:\n  idle_timeout: 100ms\n",
	    "2:17: htx_gw.idle_timeout: must be 250ms..1h");
	load_fails(&f, "htx_gw:\n  max_body: 2GiB\n",
	    "2:13: htx_gw.max_body: must be 1KiB..1GiB");
	load_fails(&f, "htx_gw:\n  max_body: 1MB\n",
	    "2:13: htx_gw.max_body: must be a size like 65536, 64KiB, 1MiB");
	load_fails(&f, "htx_gw:\n  listen: ::1:80\n",
	    "2:11: htx_gw.listen: must be host:port or [ipv6]:port with "
	    "port 1..65535");
	load_fails(&f, "htx_gw:\n  listen: [a, b]\n",
	    "2:11: htx_gw.listen: must be a single value");
	/* Unquoted [v6]:port is a YAML flow list: a syntax error. */
	load_fails(&f, "htx_gw:\n  listen: [::1]:80\n",
	    "2:12: YAML syntax error: did not find expected node content");
	load_fails(&f, "htx_gw:\n  cover: a\n",
	    "2:10: htx_gw.cover: must be a list");
	load_fails(&f, "htx_gw:\n  cover: [a, b, c, d]\n",
	    "2:20: htx_gw.cover[3]: must have at most 3 items");
	load_fails(&f, "htx_gw:\n  cover: [a, [b]]\n",
	    "2:14: htx_gw.cover[1]: must be a string");
	load_fails(&f, "htx_gw:\n  upstreams:\n    - weight: 2\n",
	    "3:7: htx_gw.upstreams[0].addr: required");
	load_fails(&f, "htx_gw:\n  upstreams:\n    - addr: h:1\n"
	    "      pub: abc\n",
	    "4:12: htx_gw.upstreams[0].pub: must be at least 64 bytes");
	load_fails(&f, "htx_gw:\n  upstreams:\n    - addr: h:1\n"
	    "      port: 3\n",
	    "4:7: htx_gw.upstreams[0].port: unknown key");
	load_fails(&f, "htx_gw:\n  cookie: \"\"\n",
	    "2:11: htx_gw.cookie: must not be empty");
	load_fails(&f, "htx_gw:\n  cookie: \"a\\nb\"\n",
	    "2:11: htx_gw.cookie: must not contain control characters");
	load_fails(&f, "htx_gw:\n  cookie: \"a\\0b\"\n",
	    "2:11: htx_gw.cookie: must not contain NUL bytes");
	load_fails(&f, "htx_gw:\n  cookie:\n",
	    "2:10: htx_gw.cookie: missing value");
	load_fails(&f, "htx_gw:\n  max_body: 1KiB\n  max_body: 2KiB\n",
	    "3:3: duplicate key max_body");
	load_fails(&f, "common: {}\ncommon: {}\n",
	    "2:1: duplicate key common");
	load_fails(&f, "htx_gw: 5\n", "1:9: htx_gw: must be a mapping");
	load_fails(&f, "other: 5\n", "1:8: other: must be a mapping");
	load_fails(&f, "- a\n- b\n",
	    "1:1: top level must be a mapping of sections");
	load_fails(&f, "htx_gw:\n  cookie: [unclosed\n",
	    "3:1: YAML syntax error: did not find expected ',' or ']'");
	load_fails(&f, "a: &x {k: 1}\nb: *x\n", "1:4: anchors are not allowed");
	load_fails(&f, "b: *x\n", "1:4: aliases are not allowed");
	load_fails(&f, "a: !!str x\n", "1:4: tags are not allowed");
	load_fails(&f, "a: {}\n---\nb: {}\n",
	    "2:1: only one YAML document is allowed");
	load_fails(&f, "? [a]\n: 1\n", "1:3: mapping keys must be scalars");
	load_fails(&f, "a: [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]\n",
	    "1:19: nesting deeper than 16");
	fx_done(&f);
}
END_TEST

START_TEST(test_file_errors)
{
	struct fixture f;
	char exp[256], *big;
	int r;

	fx_init(&f);
	snprintf(exp, sizeof(exp), "%s/none.yaml", f.dir);
	ck_assert_int_eq(bn_config_load(exp, f.secs, 2, f.err, sizeof(f.err)),
	    BN_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(f.err, "none.yaml: cannot open: "));
	ck_assert_int_eq(bn_config_load(f.dir, f.secs, 2, f.err,
	    sizeof(f.err)), BN_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(f.err, ": not a regular file"));
	/*
	 * A FIFO with no writer: refused at once, where a blocking open()
	 * would hang forever (the alarm kills the test if it does).
	 */
	snprintf(exp, sizeof(exp), "%s/fifo.yaml", f.dir);
	ck_assert_int_eq(mkfifo(exp, 0600), 0);
	alarm(5);
	ck_assert_int_eq(bn_config_load(exp, f.secs, 2, f.err, sizeof(f.err)),
	    BN_ERR_CONFIG);
	alarm(0);
	ck_assert_ptr_nonnull(strstr(f.err, "fifo.yaml: not a regular file"));
	ck_assert_int_eq(unlink(exp), 0);
	/* Size cap: exactly the limit parses, one more byte does not. */
	big = malloc(BN_CONFIG_MAX_BYTES + 2);
	memset(big, ' ', BN_CONFIG_MAX_BYTES + 1);
	memcpy(big, "common: {}", 10);
	big[BN_CONFIG_MAX_BYTES] = '\0';
	ck_assert_int_eq(load(&f, big), BN_OK);
	big[BN_CONFIG_MAX_BYTES] = ' ';
	big[BN_CONFIG_MAX_BYTES + 1] = '\0';
	load_fails(&f, big, " larger than 1048576 bytes");
	ck_assert_str_eq(strchr(f.err, ':'), ": larger than 1048576 bytes");
	free(big);
	/* The same checks from memory; errbuf may be absent. */
	r = bn_config_load_mem("mem", "x: [", 4, f.secs, 2, f.err,
	    sizeof(f.err));
	ck_assert_int_eq(r, BN_ERR_CONFIG);
	ck_assert_int_eq(strncmp(f.err, "mem:2:1: YAML syntax error", 26), 0);
	ck_assert_int_eq(bn_config_load_mem("mem", "x: [", 4, f.secs, 2,
	    NULL, 0), BN_ERR_CONFIG);
	fx_done(&f);
}
END_TEST

START_TEST(test_overrides)
{
	struct fixture f;

	fx_init(&f);
	setenv("BETANET_PROFILE", "MINIMAL", 1);
	ck_assert_int_eq(load(&f, "common:\n  profile: EXTENDED\n"), BN_OK);
	ck_assert_int_eq(f.common.profile, BN_PROFILE_MINIMAL);
	setenv("BETANET_PROFILE", "max", 1);
	load_fails(&f, "", " env BETANET_PROFILE: common.profile: "
	    "must be one of MINIMAL|STANDARD|EXTENDED");
	unsetenv("BETANET_PROFILE");
	ck_assert_int_eq(load(&f, "htx_gw:\n  cover: [x]\n"), BN_OK);
	/* Flags go through the same parser and checks. */
	ck_assert_int_eq(bn_config_set(&f.secs[1], "max_header_bytes",
	    "2048", f.err, sizeof(f.err)), BN_OK);
	ck_assert_int_eq(f.gw.max_header_bytes, 2048);
	ck_assert_int_eq(bn_config_set(&f.secs[1], "max_header_bytes", "99",
	    f.err, sizeof(f.err)), BN_ERR_CONFIG);
	ck_assert_str_eq(f.err,
	    "htx_gw.max_header_bytes: must be 1024..65536");
	ck_assert_int_eq(f.gw.max_header_bytes, 2048);	/* unchanged */
	ck_assert_int_eq(bn_config_set(&f.secs[1], "nope", "1", f.err,
	    sizeof(f.err)), BN_ERR_CONFIG);
	ck_assert_str_eq(f.err, "htx_gw.nope: unknown key");
	ck_assert_int_eq(bn_config_set(&f.secs[1], "upstreams", "x", f.err,
	    sizeof(f.err)), BN_ERR_CONFIG);
	ck_assert_int_eq(bn_config_set(&f.secs[1], "cookie", "c2", f.err,
	    sizeof(f.err)), BN_OK);
	ck_assert_str_eq(f.gw.cookie, "c2");
	ck_assert_int_eq(bn_config_set(&f.secs[1], "cover", "p:1,q:2", f.err,
	    sizeof(f.err)), BN_OK);
	ck_assert_uint_eq(f.gw.cover.n, 2);
	ck_assert_str_eq(f.gw.cover.v[0], "p:1");
	ck_assert_int_eq(bn_config_set(&f.secs[1], "cover", "p,,q", f.err,
	    sizeof(f.err)), BN_ERR_CONFIG);
	ck_assert_str_eq(f.err, "htx_gw.cover: must not be empty");
	ck_assert_uint_eq(f.gw.cover.n, 2);
	ck_assert_int_eq(bn_config_set(&f.secs[1], "cover", "", f.err,
	    sizeof(f.err)), BN_OK);
	ck_assert_uint_eq(f.gw.cover.n, 0);
	ck_assert_int_eq(bn_config_set(&f.secs[0], "log_level", "warn",
	    f.err, sizeof(f.err)), BN_OK);
	ck_assert_int_eq(f.common.log_level, 2);
	fx_done(&f);
}
END_TEST

START_TEST(test_durations_sizes)
{
	struct { const char *s; int r; uint64_t v; } d[] = {
		{ "0", BN_OK, 0 }, { "250ms", BN_OK, 250 },
		{ "5s", BN_OK, 5000 }, { "2m", BN_OK, 120000 },
		{ "1h", BN_OK, 3600000 }, { "1h2m3s4ms", BN_OK, 3723004 },
		{ "0s", BN_OK, 0 }, { "10m5ms", BN_OK, 600005 },
		{ "", BN_ERR_MALFORMED, 0 }, { "5", BN_ERR_MALFORMED, 0 },
		{ "s", BN_ERR_MALFORMED, 0 }, { "-1s", BN_ERR_MALFORMED, 0 },
		{ "1.5s", BN_ERR_MALFORMED, 0 }, { "5 s", BN_ERR_MALFORMED, 0 },
		{ "5sec", BN_ERR_MALFORMED, 0 }, { "1d", BN_ERR_MALFORMED, 0 },
		{ "5s ", BN_ERR_MALFORMED, 0 },
		{ "18446744073709551615ms", BN_OK, UINT64_MAX },
		{ "18446744073709551616ms", BN_ERR_TOO_LARGE, 0 },
		{ "18446744073709551615s", BN_ERR_TOO_LARGE, 0 },
		{ "18446744073709551615ms1ms", BN_ERR_TOO_LARGE, 0 },
	}, z[] = {
		{ "0", BN_OK, 0 }, { "65536", BN_OK, 65536 },
		{ "512B", BN_OK, 512 }, { "64KiB", BN_OK, 65536 },
		{ "1MiB", BN_OK, 1048576 }, { "2GiB", BN_OK, 2147483648ULL },
		{ "1TiB", BN_OK, 1ULL << 40 },
		{ "", BN_ERR_MALFORMED, 0 }, { "1KB", BN_ERR_MALFORMED, 0 },
		{ "1k", BN_ERR_MALFORMED, 0 }, { "-1", BN_ERR_MALFORMED, 0 },
		{ "1 MiB", BN_ERR_MALFORMED, 0 },
		{ "KiB", BN_ERR_MALFORMED, 0 },
		{ "16777216TiB", BN_ERR_TOO_LARGE, 0 },
	};
	struct bn_config_addr a;
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		ck_assert_msg(bn_config_parse_duration_ms(d[i].s, &v) ==
		    d[i].r, "duration %s", d[i].s);
		ck_assert_msg(v == d[i].v, "duration %s", d[i].s);
	}
	for (i = 0; i < sizeof(z) / sizeof(z[0]); i++) {
		ck_assert_msg(bn_config_parse_size(z[i].s, &v) == z[i].r,
		    "size %s", z[i].s);
		ck_assert_msg(v == z[i].v, "size %s", z[i].s);
	}
	ck_assert_int_eq(bn_config_parse_addr("example.com:443", &a), BN_OK);
	ck_assert_str_eq(a.host, "example.com");
	ck_assert_uint_eq(a.port, 443);
	ck_assert_int_eq(bn_config_parse_addr("[::1]:8080", &a), BN_OK);
	ck_assert_str_eq(a.host, "::1");
	ck_assert_int_eq(bn_config_parse_addr("0.0.0.0:65535", &a), BN_OK);
	ck_assert_int_eq(bn_config_parse_addr("h:0", &a), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("h:65536", &a),
	    BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("h:", &a), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr(":80", &a), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("h", &a), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("h:8x", &a), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("::1:80", &a), BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("[::1]80", &a),
	    BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("[nothex]:80", &a),
	    BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("[::1:80", &a),
	    BN_ERR_MALFORMED);
	ck_assert_int_eq(bn_config_parse_addr("a b:80", &a), BN_ERR_MALFORMED);
	ck_assert_uint_eq(a.port, 0);
	ck_assert_int_eq(a.is_set, 0);
}
END_TEST

/* Billion laughs never gets past the first anchor. */
START_TEST(test_billion_laughs)
{
	static const char y[] =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
	struct fixture f;

	fx_init(&f);
	load_fails(&f, y, "1:4: anchors are not allowed");
	fx_done(&f);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_durations_sizes);
	tcase_add_test(tc, test_billion_laughs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(config_suite());
}
