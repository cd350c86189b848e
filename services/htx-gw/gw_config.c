/*
 * gw_config: htx-gw's config section and command line (gw_config.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/codec.h"
#include "betanet/err.h"
#include "gw_config.h"

static const char *const gw_onoff[] = { "on", "off", NULL };
static const char *const gw_vouchers[] = { "off", "required", NULL };
static const char *const gw_backends[] = { "htx", "echo", NULL };

static const struct bn_config_field gw_upstream_fields[] = {
	BN_CFG_F_ADDR("addr", struct gw_upstream_cfg, addr, NULL),
	BN_CFG_F_STR("pub", struct gw_upstream_cfg, pub, NULL, 64, 64),
	BN_CFG_F_BOOL("compat", struct gw_upstream_cfg, compat, "false"),
	BN_CFG_F_END
};

#define F struct gw_config
static const struct bn_config_field gw_config_fields[] = {
	BN_CFG_F_STR_LIST("listen", F, listen, GW_MAX_LISTEN),
	BN_CFG_F_STR("ticketd_socket", F, ticketd_socket, "", 0, 107),
	BN_CFG_F_STR("cookie_name", F, cookie_name, BN_TICKET_COOKIE_NAME,
	    1, 64),
	BN_CFG_F_ENUM("tickets", F, tickets, "on", gw_onoff),
	BN_CFG_F_ENUM("vouchers", F, vouchers, "off", gw_vouchers),
	BN_CFG_F_STR("voucher_header", F, voucher_header, BN_VOUCHER_HEADER,
	    1, 64),
	BN_CFG_F_ENUM("backend", F, backend, "htx", gw_backends),
	BN_CFG_F_SIZE("max_body_bytes", F, max_body_bytes, "1MiB", 0,
	    (int64_t)1 << 40),
	BN_CFG_F_INT("max_headers", F, max_headers, "64", 8, GW_HDR_CAP),
	BN_CFG_F_SIZE("max_header_line", F, max_header_line, "8KiB", 1024,
	    65536),
	BN_CFG_F_SIZE("max_header_bytes", F, max_header_bytes, "64KiB", 1024,
	    1 << 20),
	BN_CFG_F_DURATION("header_timeout", F, header_timeout_ms, "10s", 100,
	    3600000),
	BN_CFG_F_DURATION("body_timeout", F, body_timeout_ms, "30s", 100,
	    3600000),
	BN_CFG_F_DURATION("idle_timeout", F, idle_timeout_ms, "60s", 100,
	    86400000),
	BN_CFG_F_DURATION("send_timeout", F, send_timeout_ms, "30s", 100,
	    3600000),
	BN_CFG_F_DURATION("admit_lifetime", F, admit_lifetime_ms, "1h", 0,
	    86400000),
	BN_CFG_F_DURATION("ticketd_timeout", F, ticketd_timeout_ms, "1s", 10,
	    60000),
	BN_CFG_F_INT("ticketd_max_inflight", F, ticketd_max_inflight, "1024",
	    1, 65536),
	BN_CFG_F_INT("retry_after", F, retry_after_s, "1", 1, 3600),
	BN_CFG_F_INT("max_connections", F, max_connections, "10000", 1,
	    1000000),
	BN_CFG_F_SIZE("output_high", F, output_high, "256KiB", 4096,
	    64 << 20),
	BN_CFG_F_DURATION("drain_timeout", F, drain_timeout_ms, "10s", 0,
	    600000),
	BN_CFG_F_INT("workers", F, workers, "1", 1, GW_MAX_WORKERS),
	BN_CFG_F_TABLE_LIST("upstreams", F, upstreams, gw_upstream_fields,
	    struct gw_upstream_cfg, GW_MAX_UPSTREAMS),
	BN_CFG_F_STR("key", F, key_file, "", 0, 4096),
	BN_CFG_F_STR("admin_socket", F, admin_socket, "", 0, 107),
	BN_CFG_F_BOOL("allow_compat", F, allow_compat, "false"),
	BN_CFG_F_INT("upstream_streams", F, upstream_streams, "64", 1, 4096),
	BN_CFG_F_INT("upstream_sessions", F, upstream_sessions, "8", 1, 1024),
	BN_CFG_F_DURATION("upstream_connect_timeout", F,
	    upstream_connect_timeout_ms, "5s", 100, 600000),
	BN_CFG_F_DURATION("upstream_idle_timeout", F,
	    upstream_idle_timeout_ms, "60s", 0, 86400000),
	BN_CFG_F_DURATION("upstream_ping_interval", F,
	    upstream_ping_interval_ms, "5s", 0, 3600000),
	BN_CFG_F_DURATION("response_timeout", F, response_timeout_ms, "30s",
	    100, 3600000),
	BN_CFG_F_DURATION("eject_base", F, eject_base_ms, "500ms", 10,
	    600000),
	BN_CFG_F_DURATION("eject_cap", F, eject_cap_ms, "30s", 10, 3600000),
	BN_CFG_F_SIZE("spool_mem", F, spool_mem, "1MiB", 4096,
	    (int64_t)1 << 30),
	BN_CFG_F_SIZE("max_response_bytes", F, max_response_bytes, "4GiB",
	    4096, (int64_t)1 << 40),
	BN_CFG_F_STR("spool_dir", F, spool_dir, "", 0, 200),
	BN_CFG_F_END
};
static const struct bn_config_field gw_upstreams_only[] = {
	BN_CFG_F_TABLE_LIST("upstreams", F, upstreams, gw_upstream_fields,
	    struct gw_upstream_cfg, GW_MAX_UPSTREAMS),
	BN_CFG_F_END
};
#undef F

static const char gw_usage[] =
"usage: htx-gw [--config FILE] [--listen HOST:PORT]... [--ticketd PATH]\n"
"              [--upstream HOST:PORT,PUBHEX]... [--tickets on|off]\n"
"              [--workers N] [--backend htx|echo] [--key FILE]\n"
"              [--admin-socket PATH] | --help | --version\n"
"\n"
"The HTTP/1.1 gateway: admits clients holding a ticket (verified by\n"
"ticketd) and carries their requests to upstreamd over HTX.\n"
"\n"
"  --config FILE      YAML file; sections `common` and `htx_gw`\n"
"  --listen HOST:PORT listen here (repeatable; [::1]:8080 for IPv6)\n"
"  --ticketd PATH     ticketd socket (default <run_dir>/ticketd.sock)\n"
"  --upstream A,PUB   upstreamd at A with node key PUB (64 hex digits)\n"
"  --tickets off      admit everyone: DEVELOPMENT ONLY\n"
"  --workers N        fork N processes sharing the port (SO_REUSEPORT)\n"
"  --backend echo     answer from an in-process echo app: TESTS ONLY\n"
"  --key FILE         gateway static key (betanet keygen); default: an\n"
"                     ephemeral key, logged as a warning\n"
"  --admin-socket P   admin socket (default <run_dir>/htx-gw.sock)\n"
"  --set KEY=VAL      set one `htx_gw` key, e.g. --set max_body_bytes=8MiB\n"
"\n"
"Signals: SIGTERM drains and exits 0; SIGHUP reloads the limits.\n"
"Exit status: 0 after SIGTERM, 2 on a bad configuration, 1 on a\n"
"run-time failure.\n";

static const struct option gw_opts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "listen",	required_argument,	NULL, 'l' },
	{ "ticketd",	required_argument,	NULL, 't' },
	{ "upstream",	required_argument,	NULL, 'u' },
	{ "tickets",	required_argument,	NULL, 'T' },
	{ "workers",	required_argument,	NULL, 'w' },
	{ "backend",	required_argument,	NULL, 'b' },
	{ "set",	required_argument,	NULL, 'o' },
	{ "key",	required_argument,	NULL, 'k' },
	{ "admin-socket", required_argument,	NULL, 'a' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

#define GW_MAX_FLAGS	64

struct gw_flags {
	const char	*config;
	const char	*listen[GW_MAX_LISTEN];
	size_t		 nlisten;
	const char	*upstream[GW_MAX_UPSTREAMS];
	size_t		 nupstream;
	const char	*sets[GW_MAX_FLAGS][2];	/* key, value */
	size_t		 nsets;
};

static int
flag_set(struct gw_flags *f, const char *key, const char *val,
    char *errbuf, size_t errlen)
{
	if (f->nsets == GW_MAX_FLAGS) {
		snprintf(errbuf, errlen, "too many flags");
		return BN_ERR_CONFIG;
	}
	f->sets[f->nsets][0] = key;
	f->sets[f->nsets++][1] = val;
	return BN_OK;
}

static int
parse_flags(struct gw_flags *f, int argc, char **argv,
    enum gw_config_action *action, char *errbuf, size_t errlen)
{
	int ch, r = BN_OK;

	memset(f, 0, sizeof(*f));
	opterr = 0;
	optind = 1;
	while (r == BN_OK &&
	    (ch = getopt_long(argc, argv, ":hV", gw_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': f->config = optarg; break;
		case 'l':
			if (f->nlisten == GW_MAX_LISTEN) {
				snprintf(errbuf, errlen, "too many --listen");
				return BN_ERR_CONFIG;
			}
			f->listen[f->nlisten++] = optarg;
			break;
		case 'u':
			if (f->nupstream == GW_MAX_UPSTREAMS) {
				snprintf(errbuf, errlen, "too many --upstream");
				return BN_ERR_CONFIG;
			}
			f->upstream[f->nupstream++] = optarg;
			break;
		case 't':
			r = flag_set(f, "ticketd_socket", optarg, errbuf,
			    errlen);
			break;
		case 'T':
			r = flag_set(f, "tickets", optarg, errbuf, errlen);
			break;
		case 'w':
			r = flag_set(f, "workers", optarg, errbuf, errlen);
			break;
		case 'b':
			r = flag_set(f, "backend", optarg, errbuf, errlen);
			break;
		case 'k':
			r = flag_set(f, "key", optarg, errbuf, errlen);
			break;
		case 'a':
			r = flag_set(f, "admin_socket", optarg, errbuf, errlen);
			break;
		case 'o':
			/* Split at apply time: argv stays whole for SIGHUP. */
			r = flag_set(f, NULL, optarg, errbuf, errlen);
			break;
		case 'h':
			fputs(gw_usage, stdout);
			*action = GW_CONFIG_HELP;
			return BN_OK;
		case 'V':
			printf("htx-gw %s\n", BN_VERSION);
			*action = GW_CONFIG_VERSION;
			return BN_OK;
		case ':':
			snprintf(errbuf, errlen, "option %s needs an argument",
			    argv[optind - 1]);
			return BN_ERR_CONFIG;
		default:
			snprintf(errbuf, errlen, "unknown option %s (see "
			    "htx-gw --help)", argv[optind - 1]);
			return BN_ERR_CONFIG;
		}
	}
	if (r == BN_OK && optind != argc) {
		snprintf(errbuf, errlen, "unexpected argument %s",
		    argv[optind]);
		return BN_ERR_CONFIG;
	}
	return r;
}

/* "HOST:PORT,PUBHEX" appended to cfg->upstreams. */
static int
add_upstream(struct gw_config *cfg, const char *s, char *errbuf,
    size_t errlen)
{
	struct gw_upstream_cfg *u, *v;
	const char *comma = strrchr(s, ',');
	char addr[BN_CONFIG_HOST_MAX + 16];
	size_t alen;

	alen = comma != NULL ? (size_t)(comma - s) : 0;
	if (comma == NULL || alen == 0 || alen >= sizeof(addr) ||
	    strlen(comma + 1) != 64) {
		snprintf(errbuf, errlen, "--upstream: want HOST:PORT,PUBHEX "
		    "(64 hex digits)");
		return BN_ERR_CONFIG;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if ((v = realloc(cfg->upstreams.v, (cfg->upstreams.n + 1) *
	    sizeof(*v))) == NULL)
		return BN_ERR_ALLOC;
	cfg->upstreams.v = v;
	u = &v[cfg->upstreams.n];
	memset(u, 0, sizeof(*u));
	if (bn_config_parse_addr(addr, &u->addr) != BN_OK) {
		snprintf(errbuf, errlen, "--upstream: bad address");
		return BN_ERR_CONFIG;
	}
	if ((u->pub = strdup(comma + 1)) == NULL)
		return BN_ERR_ALLOC;
	cfg->upstreams.n++;
	return BN_OK;
}

static int
is_token(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127 ||
		    strchr("()<>@,;:\\\"/[]?={}", s[i]) != NULL)
			return 0;
	return i > 0;
}

static int
validate(struct gw_config *cfg, char *errbuf, size_t errlen)
{
	struct gw_upstream_cfg *u;
	char *p;
	size_t i;
	int n;

	if (cfg->listen.n == 0) {
		snprintf(errbuf, errlen, "htx_gw.listen: give at least one "
		    "address (--listen HOST:PORT)");
		return BN_ERR_CONFIG;
	}
	for (i = 0; i < cfg->listen.n; i++) {
		if (bn_config_parse_addr(cfg->listen.v[i],
		    &cfg->listen_addr[i]) != BN_OK) {
			snprintf(errbuf, errlen, "htx_gw.listen[%zu]: must be "
			    "HOST:PORT or [V6]:PORT", i);
			return BN_ERR_CONFIG;
		}
	}
	cfg->nlisten = cfg->listen.n;
	if (!is_token(cfg->cookie_name) || !is_token(cfg->voucher_header)) {
		snprintf(errbuf, errlen, "htx_gw.cookie_name/voucher_header: "
		    "must be a token");
		return BN_ERR_CONFIG;
	}
	for (i = 0; i < cfg->upstreams.n; i++) {
		u = &((struct gw_upstream_cfg *)cfg->upstreams.v)[i];
		if (!u->addr.is_set || u->pub == NULL ||
		    bn_hex_decode_exact(u->pub_key, sizeof(u->pub_key),
		    u->pub, strlen(u->pub)) != BN_OK) {
			snprintf(errbuf, errlen, "htx_gw.upstreams[%zu]: needs "
			    "addr HOST:PORT and pub (64 hex digits)", i);
			return BN_ERR_CONFIG;
		}
	}
	if (cfg->backend == GW_BACKEND_HTX && cfg->upstreams.n == 0) {
		snprintf(errbuf, errlen, "htx_gw.upstreams: give at least one "
		    "(--upstream HOST:PORT,PUBHEX)");
		return BN_ERR_CONFIG;
	}
	for (i = 0; i < cfg->upstreams.n; i++) {
		u = &((struct gw_upstream_cfg *)cfg->upstreams.v)[i];
		if (u->compat && !cfg->allow_compat) {
			snprintf(errbuf, errlen, "htx_gw.upstreams[%zu]: compat "
			    "needs allow_compat: true", i);
			return BN_ERR_CONFIG;
		}
	}
	if (cfg->admin_socket[0] == '\0') {
		if ((p = malloc(256)) == NULL)
			return BN_ERR_ALLOC;
		n = snprintf(p, 256, "%s/htx-gw.sock", cfg->common.run_dir);
		free(cfg->admin_socket);
		cfg->admin_socket = p;
		if (n < 0 || n > 107) {
			snprintf(errbuf, errlen, "htx_gw.admin_socket: path "
			    "must be 1..107 bytes");
			return BN_ERR_CONFIG;
		}
	}
	if (cfg->ticketd_socket[0] == '\0') {
		if ((p = malloc(256)) == NULL)
			return BN_ERR_ALLOC;
		n = snprintf(p, 256, "%s/ticketd.sock", cfg->common.run_dir);
		free(cfg->ticketd_socket);
		cfg->ticketd_socket = p;
		if (n < 0 || n > 107) {
			snprintf(errbuf, errlen, "htx_gw.ticketd_socket: path "
			    "must be 1..107 bytes");
			return BN_ERR_CONFIG;
		}
	}
	return BN_OK;
}

static int
apply_flags(struct gw_config *cfg, const struct bn_config_section *sec,
    const struct gw_flags *f, char *errbuf, size_t errlen)
{
	char joined[GW_MAX_LISTEN * (BN_CONFIG_HOST_MAX + 16)];
	size_t i, off = 0;
	int r, n;

	for (i = 0; i < f->nsets; i++) {
		const char *key = f->sets[i][0], *val = f->sets[i][1], *eq;
		char kb[64];

		if (key == NULL) {	/* --set KEY=VALUE */
			eq = strchr(val, '=');
			if (eq == NULL || eq == val ||
			    (size_t)(eq - val) >= sizeof(kb)) {
				snprintf(errbuf, errlen,
				    "--set %s: want KEY=VALUE", val);
				return BN_ERR_CONFIG;
			}
			memcpy(kb, val, (size_t)(eq - val));
			kb[eq - val] = '\0';
			key = kb;
			val = eq + 1;
		}
		if ((r = bn_config_set(sec, key, val, errbuf, errlen)) !=
		    BN_OK)
			return r;
	}
	if (f->nlisten > 0) {
		for (i = 0; i < f->nlisten; i++) {
			n = snprintf(joined + off, sizeof(joined) - off, "%s%s",
			    i ? "," : "", f->listen[i]);
			if (n < 0 || (size_t)n >= sizeof(joined) - off) {
				snprintf(errbuf, errlen, "--listen: too long");
				return BN_ERR_CONFIG;
			}
			off += (size_t)n;
		}
		if ((r = bn_config_set(sec, "listen", joined, errbuf,
		    errlen)) != BN_OK)
			return r;
	}
	if (f->nupstream > 0) {
		bn_config_free(gw_upstreams_only, cfg);
		for (i = 0; i < f->nupstream; i++)
			if ((r = add_upstream(cfg, f->upstream[i], errbuf,
			    errlen)) != BN_OK)
				return r;
	}
	return BN_OK;
}

int
gw_config_load(struct gw_config *cfg, int argc, char **argv,
    enum gw_config_action *action, char *errbuf, size_t errlen)
{
	struct bn_config_section secs[2];
	struct gw_flags f;
	int r;

	*action = GW_CONFIG_RUN;
	if ((r = parse_flags(&f, argc, argv, action, errbuf, errlen)) !=
	    BN_OK || *action != GW_CONFIG_RUN)
		return r;
	secs[0].name = "common";
	secs[0].fields = bn_config_common_fields;
	secs[0].target = &cfg->common;
	secs[1].name = "htx_gw";
	secs[1].fields = gw_config_fields;
	secs[1].target = cfg;
	if (f.config != NULL && (cfg->config_path = strdup(f.config)) == NULL)
		return BN_ERR_ALLOC;
	if ((r = bn_config_load(f.config, secs, 2, errbuf, errlen)) != BN_OK)
		return r;
	if ((r = apply_flags(cfg, &secs[1], &f, errbuf, errlen)) != BN_OK)
		return r;
	return validate(cfg, errbuf, errlen);
}

void
gw_config_free(struct gw_config *cfg)
{
	bn_config_free(bn_config_common_fields, &cfg->common);
	bn_config_free(gw_config_fields, cfg);
	free(cfg->config_path);
	cfg->config_path = NULL;
}

void
gw_config_limits(const struct gw_config *cfg, struct gw_limits *lim)
{
	gw_limits_default(lim);
	lim->max_body = cfg->max_body_bytes;
	lim->max_headers = (size_t)cfg->max_headers;
	lim->max_line = (size_t)cfg->max_header_line;
	lim->max_head = (size_t)cfg->max_header_bytes;
	lim->header_timeout_ms = cfg->header_timeout_ms;
	lim->body_timeout_ms = cfg->body_timeout_ms;
	lim->idle_timeout_ms = cfg->idle_timeout_ms;
	lim->send_timeout_ms = cfg->send_timeout_ms;
	lim->admit_max_ms = cfg->admit_lifetime_ms;
	lim->max_conns = (size_t)cfg->max_connections;
	lim->out_high = (size_t)cfg->output_high;
	lim->retry_after_s = (uint32_t)cfg->retry_after_s;
}

void
gw_config_admit_opts(const struct gw_config *cfg, struct gw_admit_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tickets = cfg->tickets == GW_TICKETS_ON;
	o->cookie_name = cfg->cookie_name;
	o->vouchers_required = cfg->vouchers == GW_VOUCHERS_REQUIRED;
	o->voucher_header = cfg->voucher_header;
	o->ticketd_path = cfg->ticketd_socket;
	o->timeout_ms = (uint32_t)cfg->ticketd_timeout_ms;
	o->max_inflight = (size_t)cfg->ticketd_max_inflight;
}
