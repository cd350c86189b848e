/*
 * up_config: upstreamd's config section and command line (up_config.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/codec.h"
#include "betanet/config.h"
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

static const struct option up_opts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "listen",	required_argument,	NULL, 'l' },
	{ "listen-legacy", required_argument,	NULL, 'L' },
	{ "key",	required_argument,	NULL, 'k' },
	{ "allow-compat", no_argument,		NULL, 'C' },
	{ "plugin",	required_argument,	NULL, 'p' },
	{ "plugin-dir",	required_argument,	NULL, 'P' },
	{ "templates",	required_argument,	NULL, 't' },
	{ "static",	required_argument,	NULL, 's' },
	{ "origin",	required_argument,	NULL, 'o' },
	{ "socket",	required_argument,	NULL, 'S' },
	{ "set",	required_argument,	NULL, 'x' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

#define UP_MAX_FLAGS	64

/* Flags in order: (key, value) pairs applied with bn_config_set(). */
struct up_flags {
	const char	*config, *socket;
	const char	*key[UP_MAX_FLAGS];
	const char	*val[UP_MAX_FLAGS];
	size_t		 n;
	/* list flags replace the file's list on their first use */
	int		 seen_list[8];
};

static int
add_flag(struct up_flags *f, const char *key, const char *val,
    char *errbuf, size_t errlen)
{
	if (f->n == UP_MAX_FLAGS) {
		snprintf(errbuf, errlen, "too many flags");
		return BN_ERR_CONFIG;
	}
	f->key[f->n] = key;
	f->val[f->n] = val;
	f->n++;
	return BN_OK;
}

static int
parse_flags(struct up_flags *f, int argc, char **argv, char *errbuf,
    size_t errlen)
{
	const char *eq;
	int ch, r = BN_OK;

	memset(f, 0, sizeof(*f));
	opterr = 0;
	optind = 1;
	while (r == BN_OK && (ch = getopt_long(argc, argv, ":hV", up_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': f->config = optarg; break;
		case 'S': f->socket = optarg; break;
		case 'l': r = add_flag(f, "listen", optarg, errbuf, errlen);
			break;
		case 'L': r = add_flag(f, "listen_legacy", optarg, errbuf,
			    errlen);
			break;
		case 'k': r = add_flag(f, "key", optarg, errbuf, errlen); break;
		case 'C': r = add_flag(f, "allow_compat", "true", errbuf,
			    errlen);
			break;
		case 'p': r = add_flag(f, "plugins", optarg, errbuf, errlen);
			break;
		case 'P': r = add_flag(f, "plugin_dir", optarg, errbuf,
			    errlen);
			break;
		case 't': r = add_flag(f, "templates", optarg, errbuf,
			    errlen);
			break;
		case 's': r = add_flag(f, "static", optarg, errbuf, errlen);
			break;
		case 'o': r = add_flag(f, "origin", optarg, errbuf, errlen);
			break;
		case 'x':
			if ((eq = strchr(optarg, '=')) == NULL ||
			    eq == optarg) {
				snprintf(errbuf, errlen, "--set %s: want "
				    "KEY=VALUE", optarg);
				return BN_ERR_CONFIG;
			}
			r = add_flag(f, optarg, NULL, errbuf, errlen);
			break;
		case 'h':
			fputs(up_usage, stdout);
			return 1;
		case 'V':
			printf("upstreamd %s\n", BN_VERSION);
			return 1;
		case ':':
			snprintf(errbuf, errlen, "option %s needs an argument",
			    argv[optind - 1]);
			return BN_ERR_CONFIG;
		default:
			snprintf(errbuf, errlen, "unknown option %s (see "
			    "upstreamd --help)", argv[optind - 1]);
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

/* Append one item to a string list (a repeated list flag). */
static int
list_append(struct bn_config_strlist *l, const char *v, size_t max)
{
	char **nv, *s;

	if (l->n >= max)
		return BN_ERR_LIMIT;
	if ((s = strdup(v)) == NULL)
		return BN_ERR_ALLOC;
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return BN_ERR_ALLOC;
	}
	nv[l->n++] = s;
	l->v = nv;
	return BN_OK;
}

static struct bn_config_strlist *
list_field(struct up_config *c, const char *key, size_t *max, int *slot)
{
	static const char *const keys[] = { "listen", "listen_legacy",
	    "plugins", "templates", "static" };
	struct bn_config_strlist *const lists[] = { &c->listen,
	    &c->listen_legacy, &c->plugins, &c->templates, &c->statics };
	const size_t maxes[] = { UP_LISTEN_MAX, UP_LISTEN_MAX, 64, 16, 32 };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i], key) == 0) {
			*max = maxes[i];
			*slot = (int)i;
			return lists[i];
		}
	}
	return NULL;
}

static void
list_clear(struct bn_config_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
apply_flags(struct up_config *c, struct up_flags *f,
    const struct bn_config_section *sec, char *errbuf, size_t errlen)
{
	struct bn_config_strlist *l;
	char key[64];
	const char *val, *eq;
	size_t i, max;
	int slot, r;

	for (i = 0; i < f->n; i++) {
		val = f->val[i];
		if (val == NULL) {		/* --set KEY=VALUE */
			eq = strchr(f->key[i], '=');
			if ((size_t)(eq - f->key[i]) >= sizeof(key)) {
				snprintf(errbuf, errlen, "--set: key too long");
				return BN_ERR_CONFIG;
			}
			memcpy(key, f->key[i], (size_t)(eq - f->key[i]));
			key[eq - f->key[i]] = '\0';
			if ((r = bn_config_set(sec, key, eq + 1, errbuf,
			    errlen)) != BN_OK)
				return r;
			continue;
		}
		if ((l = list_field(c, f->key[i], &max, &slot)) == NULL) {
			if ((r = bn_config_set(sec, f->key[i], val, errbuf,
			    errlen)) != BN_OK)
				return r;
			continue;
		}
		if (!f->seen_list[slot]) {
			list_clear(l);
			f->seen_list[slot] = 1;
		}
		if ((r = list_append(l, val, max)) != BN_OK) {
			snprintf(errbuf, errlen, "upstreamd.%s: at most %zu "
			    "items", f->key[i], max);
			return BN_ERR_CONFIG;
		}
	}
	return BN_OK;
}

static int
check(struct up_config *c, const char *socket_flag, char *errbuf,
    size_t errlen)
{
	const char *sock;
	size_t i;
	int n;

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
	sock = socket_flag != NULL ? socket_flag : c->socket;
	if (sock != NULL && strcmp(sock, "none") == 0)
		return BN_OK;
	if (sock != NULL)
		n = snprintf(c->socket_path, sizeof(c->socket_path), "%s",
		    sock);
	else
		n = snprintf(c->socket_path, sizeof(c->socket_path),
		    "%s/upstreamd.sock", c->common.run_dir);
	if (n <= 0 || (size_t)n >= sizeof(c->socket_path)) {
		snprintf(errbuf, errlen, "upstreamd.socket: path must be "
		    "1..%zu bytes", sizeof(c->socket_path) - 1);
		return BN_ERR_CONFIG;
	}
	return BN_OK;
}

int
up_config_load(struct up_config *c, int argc, char **argv, char *errbuf,
    size_t errlen)
{
	struct up_flags f;
	struct bn_config_section secs[2];
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = parse_flags(&f, argc, argv, errbuf, errlen)) != BN_OK)
		return r;
	if (f.config != NULL && strlen(f.config) >= sizeof(c->config_path)) {
		snprintf(errbuf, errlen, "--config: path too long");
		return BN_ERR_CONFIG;
	}
	if (f.config != NULL)
		snprintf(c->config_path, sizeof(c->config_path), "%s",
		    f.config);
	secs[0] = (struct bn_config_section){ "common",
	    bn_config_common_fields, &c->common };
	secs[1] = (struct bn_config_section){ "upstreamd", up_config_fields,
	    c };
	if ((r = bn_config_load(f.config, secs, 2, errbuf, errlen)) != BN_OK)
		return r;
	if ((r = apply_flags(c, &f, &secs[1], errbuf, errlen)) != BN_OK)
		return r;
	return check(c, f.socket, errbuf, errlen);
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
