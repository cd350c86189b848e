/*
 * gw_config: htx-gw's config section and command line (gw_config.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/codec.h"
#include "betanet/daemon.h"
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
	BN_CFG_F_SIZE("preadmit_body_bytes", F, preadmit_body_bytes, "8KiB",
	    512, 1 << 20),
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
	BN_CFG_F_BOOL("reuse_port", F, reuse_port, "false"),
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
"  --set reuse_port=true\n"
"                     let other processes bind the same port (on with\n"
"                     --workers > 1); off, a port in use fails (exit 1)\n"
"  --backend echo     answer from an in-process echo app: TESTS ONLY\n"
"  --key FILE         gateway static key (betanet keygen); default: an\n"
"                     ephemeral key, logged as a warning\n"
"  --admin-socket P   admin socket (default <run_dir>/htx-gw.sock)\n"
"  --set KEY=VAL      set one `htx_gw` key, e.g. --set max_body_bytes=8MiB\n"
"\n"
"Before admission a form body is read only to find a bn1 field, and only\n"
"up to preadmit_body_bytes (8KiB): a larger form without the ticket in\n"
"its cookie or query is refused 403 \"ticket refused: missing\".  The\n"
"request head and that body must arrive within header_timeout (10s) of\n"
"the first byte, however the bytes trickle in.\n"
"\n"
"Signals: SIGTERM drains and exits 0; SIGHUP reloads the limits.\n"
"Exit status: 0 after SIGTERM, 2 on a bad configuration, 1 on a\n"
"run-time failure.\n";

static const struct bn_daemon_flag gw_flags[] = {
	{ "listen",	"listen",		BN_DAEMON_LIST },
	{ "ticketd",	"ticketd_socket",	BN_DAEMON_ARG },
	{ "upstream",	"upstreams",		BN_DAEMON_HOOK },
	{ "tickets",	"tickets",		BN_DAEMON_ARG },
	{ "workers",	"workers",		BN_DAEMON_ARG },
	{ "backend",	"backend",		BN_DAEMON_ARG },
	{ "key",	"key",			BN_DAEMON_ARG },
	{ "admin-socket", "admin_socket",	BN_DAEMON_ARG },
	{ NULL,		NULL,			0 }
};

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
	if (cfg->upstreams.n == GW_MAX_UPSTREAMS) {
		snprintf(errbuf, errlen, "too many --upstream");
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

/* --upstream (the only hook flag): the first drops the file's list. */
static int
gw_flag_hook(void *target, const struct bn_daemon_flag *flag,
    const char *value, int first, char *errbuf, size_t errlen)
{
	struct gw_config *cfg = target;

	if (first)
		bn_config_free(gw_upstreams_only, cfg);
	return add_upstream(cfg, value, errbuf, errlen);
}

static const struct bn_daemon_spec gw_spec = {
	.name = "htx-gw", .usage = gw_usage, .section = "htx_gw",
	.fields = gw_config_fields, .flags = gw_flags, .hook = gw_flag_hook,
};

/* *s "" (unset): <run_dir>/leaf in its place. */
static int
default_socket(char **s, const struct gw_config *cfg, const char *leaf,
    const char *what, char *errbuf, size_t errlen)
{
	char path[108], *d;
	int r;

	if ((*s)[0] != '\0')
		return BN_OK;
	if ((r = bn_daemon_path(path, sizeof(path), NULL, cfg->common.run_dir,
	    leaf, what, errbuf, errlen)) != BN_OK)
		return r;
	if ((d = strdup(path)) == NULL)
		return BN_ERR_ALLOC;
	free(*s);
	*s = d;
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
	size_t i;
	int r;

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
	if ((r = default_socket(&cfg->admin_socket, cfg, "htx-gw.sock",
	    "htx_gw.admin_socket", errbuf, errlen)) != BN_OK)
		return r;
	return default_socket(&cfg->ticketd_socket, cfg, "ticketd.sock",
	    "htx_gw.ticketd_socket", errbuf, errlen);
}

int
gw_config_load(struct gw_config *cfg, int argc, char **argv, char *errbuf,
    size_t errlen)
{
	int r;

	if ((r = bn_daemon_configure(&gw_spec, cfg, &cfg->common, argc, argv,
	    errbuf, errlen)) != BN_OK)
		return r;
	return validate(cfg, errbuf, errlen);
}

void
gw_config_free(struct gw_config *cfg)
{
	bn_config_free(bn_config_common_fields, &cfg->common);
	bn_config_free(gw_config_fields, cfg);
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
	o->preadmit_body = (size_t)cfg->preadmit_body_bytes;
}
