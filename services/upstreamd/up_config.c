/*
 * up_config: upstreamd's config section and command line (up_config.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/codec.h"
#include "betanet/config.h"
#include "betanet/daemon.h"
#include "betanet/err.h"
#include "up_config.h"

const struct bn_config_field up_config_fields[] = {
	BN_CFG_F_STR_LIST("listen", struct up_config, listen, UP_LISTEN_MAX),
	BN_CFG_F_STR_LIST("listen_legacy", struct up_config, listen_legacy,
	    UP_LISTEN_MAX),
	BN_CFG_F_STR("key", struct up_config, key, NULL, 1, 255),
	BN_CFG_F_STR("socket", struct up_config, socket, NULL, 1, 107),
	BN_CFG_F_BOOL("allow_compat", struct up_config, allow_compat, "false"),
	BN_CFG_F_STR_LIST("allowed_gateways", struct up_config,
	    allowed_gateways, UP_GATEWAYS_MAX),
	BN_CFG_F_BOOL("allow_any_gateway", struct up_config,
	    allow_any_gateway, "false"),
	BN_CFG_F_STR_LIST("plugins", struct up_config, plugins, 64),
	BN_CFG_F_STR("plugin_dir", struct up_config, plugin_dir, NULL, 1,
	    255),
	BN_CFG_F_STR_LIST("templates", struct up_config, templates, 16),
	BN_CFG_F_STR_LIST("static", struct up_config, statics, 32),
	BN_CFG_F_STR("origin", struct up_config, origin, NULL, 8, 255),
	BN_CFG_F_BOOL("app.echo", struct up_config, app_echo, "true"),
	BN_CFG_F_INT("max_sessions", struct up_config, max_sessions, "20000",
	    1, 1000000),
	BN_CFG_F_INT("max_streams", struct up_config, max_streams, "256", 1,
	    65536),
	BN_CFG_F_SIZE("max_message", struct up_config, max_message, "16MiB",
	    1024, (int64_t)1 << 30),
	BN_CFG_F_DURATION("handshake_timeout", struct up_config,
	    handshake_timeout, "10s", 100, 600000),
	BN_CFG_F_DURATION("idle_timeout", struct up_config, idle_timeout,
	    "300s", 0, 86400000),
	BN_CFG_F_DURATION("drain_timeout", struct up_config, drain_timeout,
	    "10s", 0, 600000),
	BN_CFG_F_END
};

static const char up_usage[] =
"usage: upstreamd --key FILE [--listen HOST:PORT]... [--listen-legacy\n"
"                 HOST:PORT]... [--config FILE] [--allow-compat]\n"
"                 [--allowed-gateway HEX]... [--allow-any-gateway]\n"
"                 [--plugin FILE]... [--plugin-dir DIR] [--templates DIR]...\n"
"                 [--static PREFIX=DIR]... [--origin URL] [--socket PATH]\n"
"                 [--set KEY=VALUE]... | --help | --version\n"
"\n"
"Terminate HTX sessions (WIRE.md 1-4) and run the application.\n"
"\n"
"  --key FILE          node private key (betanet keygen; mode 0600)\n"
"  --listen HOST:PORT  HTX listener, native (and compat if allowed)\n"
"  --listen-legacy H:P listener for the 1.1 framing (echo, WIRE.md 3b)\n"
"  --config FILE       YAML file; sections `common` and `upstreamd`\n"
"  --allow-compat      accept the Python library's compat profile (weak)\n"
"  --allowed-gateway HEX\n"
"                      a gateway's public key (64 hex digits) that may\n"
"                      open sessions; repeatable (allowed_gateways)\n"
"  --allow-any-gateway let anyone holding the node's public key open\n"
"                      sessions, bypassing the gateway and its tickets\n"
"                      (required when allowed_gateways is empty)\n"
"  --plugin FILE       load a plugin (.so); repeatable\n"
"  --plugin-dir DIR    load every *.so in DIR\n"
"  --templates DIR     a template root; repeatable\n"
"  --static PFX=DIR    serve DIR at URL prefix PFX; repeatable\n"
"  --origin URL        reverse-proxy unrouted paths to http://127.0.0.1:P\n"
"  --socket PATH       admin socket (default <common.run_dir>/upstreamd.sock;\n"
"                      \"none\" for no admin socket)\n"
"  --set KEY=VAL       set one `upstreamd` key, e.g. --set max_streams=64\n"
"\n"
"SIGTERM: stop accepting, finish requests (drain_timeout), exit 0.\n"
"SIGHUP: reload templates, plugins and the app's config keys.\n"
"Exit status: 0 after SIGTERM, 2 on a bad configuration or key file,\n"
"1 on a run-time failure.\n";

static const struct bn_daemon_flag up_flags[] = {
	{ "listen",	"listen",		BN_DAEMON_LIST },
	{ "listen-legacy", "listen_legacy",	BN_DAEMON_LIST },
	{ "key",	"key",			BN_DAEMON_ARG },
	{ "allow-compat", "allow_compat",	BN_DAEMON_BOOL },
	{ "allowed-gateway", "allowed_gateways", BN_DAEMON_LIST },
	{ "allow-any-gateway", "allow_any_gateway", BN_DAEMON_BOOL },
	{ "plugin",	"plugins",		BN_DAEMON_LIST },
	{ "plugin-dir",	"plugin_dir",		BN_DAEMON_ARG },
	{ "templates",	"templates",		BN_DAEMON_LIST },
	{ "static",	"static",		BN_DAEMON_LIST },
	{ "origin",	"origin",		BN_DAEMON_ARG },
	{ "socket",	"socket",		BN_DAEMON_ARG },
	{ NULL,		NULL,			0 }
};

static const struct bn_daemon_spec up_spec = {
	.name = "upstreamd", .usage = up_usage, .section = "upstreamd",
	.fields = up_config_fields, .flags = up_flags,
};

static int
check(struct up_config *c, char *errbuf, size_t errlen)
{
	size_t i;

	if (c->key == NULL) {
		snprintf(errbuf, errlen, "upstreamd.key: required (--key FILE)");
		return BN_ERR_CONFIG;
	}
	if (c->listen.n == 0 && c->listen_legacy.n == 0) {
		snprintf(errbuf, errlen, "upstreamd.listen: need at least one "
		    "listener (--listen HOST:PORT)");
		return BN_ERR_CONFIG;
	}
	for (i = 0; i < c->statics.n; i++) {
		const char *s = c->statics.v[i];

		if (s[0] != '/' || strchr(s, '=') == NULL ||
		    strchr(s, '=')[1] == '\0') {
			snprintf(errbuf, errlen, "upstreamd.static[%zu]: must "
			    "be /PREFIX=DIR", i);
			return BN_ERR_CONFIG;
		}
	}
	if (c->origin != NULL && strncmp(c->origin, "http://", 7) != 0) {
		snprintf(errbuf, errlen, "upstreamd.origin: must be "
		    "http://HOST:PORT");
		return BN_ERR_CONFIG;
	}
	/*
	 * No list means no gateway check at all: anyone who knows the
	 * node's public key skips the gateway's tickets.  That must be
	 * asked for by name, never be the default.
	 */
	if (c->allowed_gateways.n == 0 && !c->allow_any_gateway) {
		snprintf(errbuf, errlen, "upstreamd.allowed_gateways: empty; "
		    "list the gateways' public keys (--allowed-gateway HEX) "
		    "or set allow_any_gateway (--allow-any-gateway)");
		return BN_ERR_CONFIG;
	}
	if (c->allowed_gateways.n > 0 && (c->gateways = calloc(
	    c->allowed_gateways.n, sizeof(*c->gateways))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return BN_ERR_CONFIG;
	}
	for (i = 0; i < c->allowed_gateways.n; i++) {
		const char *h = c->allowed_gateways.v[i];

		if (strlen(h) != 2 * BN_KEY_LEN ||
		    bn_hex_decode_exact(c->gateways[i], BN_KEY_LEN, h,
		    strlen(h)) != BN_OK) {
			snprintf(errbuf, errlen, "upstreamd.allowed_gateways"
			    "[%zu]: must be 64 hex digits", i);
			return BN_ERR_CONFIG;
		}
		c->ngateways++;
	}
	if (c->socket != NULL && strcmp(c->socket, "none") == 0)
		return BN_OK;
	return bn_daemon_path(c->socket_path, sizeof(c->socket_path),
	    c->socket, c->common.run_dir, "upstreamd.sock", "upstreamd.socket",
	    errbuf, errlen);
}

int
up_config_load(struct up_config *c, int argc, char **argv, char *errbuf,
    size_t errlen)
{
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = bn_daemon_configure(&up_spec, c, &c->common, argc, argv,
	    errbuf, errlen)) != BN_OK)
		return r;
	return check(c, errbuf, errlen);
}

void
up_config_free(struct up_config *c)
{
	free(c->gateways);
	c->gateways = NULL;
	c->ngateways = 0;
	bn_config_free(up_config_fields, c);
	bn_config_free(bn_config_common_fields, &c->common);
}
