/*
 * td_config: ticketd's config section and command line (td_config.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/config.h"
#include "betanet/err.h"
#include "td_config.h"

static const char *const td_backends[] = { "log", "redis", NULL };

const struct bn_config_field td_config_fields[] = {
	BN_CFG_F_STR("socket", struct td_config, socket, NULL, 1, 107),
	BN_CFG_F_STR("keys", struct td_config, keys, NULL, 1, 200),
	BN_CFG_F_STR("state", struct td_config, state, NULL, 1, 200),
	BN_CFG_F_ENUM("replay_backend", struct td_config, replay_backend,
	    "log", td_backends),
	BN_CFG_F_STR("replay_url", struct td_config, replay_url,
	    "redis://127.0.0.1:6379", 9, 255),
	BN_CFG_F_INT("replay_max_entries", struct td_config,
	    replay_max_entries, "500000", 16, (int64_t)1 << 26),
	BN_CFG_F_INT("spent_max_entries", struct td_config,
	    spent_max_entries, "100000", 16, (int64_t)1 << 26),
	BN_CFG_F_DURATION("compact_interval", struct td_config,
	    compact_interval, "60s", 100, 86400000),
	BN_CFG_F_DURATION("voucher_ttl", struct td_config, voucher_ttl,
	    "168h", 60000, (int64_t)366 * 86400000),
	BN_CFG_F_INT("bucket_capacity", struct td_config, bucket_capacity,
	    "60", 1, 1000000),
	BN_CFG_F_INT("bucket_rate", struct td_config, bucket_rate, "1", 1,
	    1000000),
	BN_CFG_F_INT("max_buckets", struct td_config, max_buckets, "65536",
	    16, (int64_t)1 << 24),
	BN_CFG_F_STR_LIST("voucher_keysets", struct td_config,
	    voucher_keysets, 1024),
	BN_CFG_F_INT("workers", struct td_config, workers, "2", 0, 16),
	BN_CFG_F_INT("max_clients", struct td_config, max_clients, "4096",
	    1, 65536),
	BN_CFG_F_END
};

static const char td_usage[] =
"usage: ticketd [--config FILE] [--socket PATH] [--keys DIR] [--state DIR]\n"
"               [--set KEY=VALUE]... | --help | --version\n"
"\n"
"Verify access tickets and vouchers for the gateways (WIRE.md 5, 6, 10).\n"
"\n"
"  --config FILE   YAML file; sections `common` and `ticketd`\n"
"  --socket PATH   Unix socket (default <common.run_dir>/ticketd.sock)\n"
"  --keys DIR      site key directory (default <common.key_dir>/ticketd)\n"
"  --state DIR     replay log and spent-voucher log\n"
"                  (default <common.state_dir>/ticketd)\n"
"  --set KEY=VAL   set one `ticketd` key, e.g. --set workers=2\n"
"\n"
"Key directory (make it with `betanet ticket-keygen --out DIR/site`):\n"
"  site.key  site.pub  site.id            current key (.key mode 0600)\n"
"  previous.key previous.pub previous.id  previous key, still accepted\n"
"  next.*                                 only during a rotation\n"
"RotateKeys and SIGHUP make a new site.*, move the old one to previous.*\n"
"and drop the one before.  State directory: replay.log, spent.log.\n"
"\n"
"Exit status: 0 after SIGTERM/SIGINT (drained), 2 on a bad configuration\n"
"or key directory, 1 on a run-time failure.\n";

static const struct option td_opts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "socket",	required_argument,	NULL, 's' },
	{ "keys",	required_argument,	NULL, 'k' },
	{ "state",	required_argument,	NULL, 'S' },
	{ "set",	required_argument,	NULL, 'o' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

#define TD_MAX_SETS	32

struct td_flags {
	const char	*config, *socket, *keys, *state;
	const char	*sets[TD_MAX_SETS];
	size_t		 nsets;
};

static int
parse_flags(struct td_flags *f, int argc, char **argv, char *errbuf,
    size_t errlen)
{
	int ch;

	memset(f, 0, sizeof(*f));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":hV", td_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': f->config = optarg; break;
		case 's': f->socket = optarg; break;
		case 'k': f->keys = optarg; break;
		case 'S': f->state = optarg; break;
		case 'o':
			if (f->nsets == TD_MAX_SETS) {
				snprintf(errbuf, errlen, "too many --set");
				return BN_ERR_CONFIG;
			}
			f->sets[f->nsets++] = optarg;
			break;
		case 'h':
			fputs(td_usage, stdout);
			return 1;
		case 'V':
			printf("ticketd %s\n", BN_VERSION);
			return 1;
		case ':':
			snprintf(errbuf, errlen, "option %s needs an argument",
			    argv[optind - 1]);
			return BN_ERR_CONFIG;
		default:
			snprintf(errbuf, errlen, "unknown option %s (see "
			    "ticketd --help)", argv[optind - 1]);
			return BN_ERR_CONFIG;
		}
	}
	if (optind != argc) {
		snprintf(errbuf, errlen, "unexpected argument %s",
		    argv[optind]);
		return BN_ERR_CONFIG;
	}
	return BN_OK;
}

static int
apply_set(const struct bn_config_section *sec, const char *kv, char *errbuf,
    size_t errlen)
{
	char key[64];
	const char *eq = strchr(kv, '=');

	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		snprintf(errbuf, errlen, "--set %s: want KEY=VALUE", kv);
		return BN_ERR_CONFIG;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	return bn_config_set(sec, key, eq + 1, errbuf, errlen);
}

/* dst = given, or base + "/" + leaf; BN_ERR_CONFIG when it is too long. */
static int
resolve(char *dst, size_t dstlen, const char *given, const char *base,
    const char *leaf, const char *what, char *errbuf, size_t errlen)
{
	int n;

	if (given != NULL)
		n = snprintf(dst, dstlen, "%s", given);
	else
		n = snprintf(dst, dstlen, "%s/%s", base, leaf);
	if (n < 0 || (size_t)n >= dstlen || n == 0) {
		snprintf(errbuf, errlen, "ticketd.%s: path must be 1..%zu "
		    "bytes", what, dstlen - 1);
		return BN_ERR_CONFIG;
	}
	return BN_OK;
}

static int
check_keysets(const struct td_config *c, char *errbuf, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < c->voucher_keysets.n; i++) {
		const char *s = c->voucher_keysets.v[i];

		for (j = 0; s[j] != '\0'; j++)
			if (strchr("0123456789abcdefABCDEF", s[j]) == NULL)
				break;
		if (s[j] != '\0' || j != 64) {
			snprintf(errbuf, errlen, "ticketd.voucher_keysets[%zu]:"
			    " must be 64 hex digits", i);
			return BN_ERR_CONFIG;
		}
	}
	return BN_OK;
}

int
td_config_load(struct td_config *c, int argc, char **argv, char *errbuf,
    size_t errlen)
{
	struct td_flags f;
	struct bn_config_section secs[2];
	size_t i;
	int r;

	memset(c, 0, sizeof(*c));
#ifdef BN_TEST_HOOKS
	c->test_hooks = 1;
#endif
	if ((r = parse_flags(&f, argc, argv, errbuf, errlen)) != BN_OK)
		return r;
	secs[0] = (struct bn_config_section){ "common",
	    bn_config_common_fields, &c->common };
	secs[1] = (struct bn_config_section){ "ticketd", td_config_fields,
	    c };
	if ((r = bn_config_load(f.config, secs, 2, errbuf, errlen)) != BN_OK)
		return r;
	for (i = 0; i < f.nsets; i++)
		if ((r = apply_set(&secs[1], f.sets[i], errbuf, errlen)) !=
		    BN_OK)
			return r;
	if ((r = resolve(c->socket_path, sizeof(c->socket_path),
	    f.socket != NULL ? f.socket : c->socket, c->common.run_dir,
	    "ticketd.sock", "socket", errbuf, errlen)) != BN_OK ||
	    (r = resolve(c->key_dir, sizeof(c->key_dir),
	    f.keys != NULL ? f.keys : c->keys, c->common.key_dir, "ticketd",
	    "keys", errbuf, errlen)) != BN_OK ||
	    (r = resolve(c->state_dir, sizeof(c->state_dir),
	    f.state != NULL ? f.state : c->state, c->common.state_dir,
	    "ticketd", "state", errbuf, errlen)) != BN_OK)
		return r;
	return check_keysets(c, errbuf, errlen);
}

void
td_config_free(struct td_config *c)
{
	bn_config_free(td_config_fields, c);
	bn_config_free(bn_config_common_fields, &c->common);
}
