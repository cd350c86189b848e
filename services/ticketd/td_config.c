/*
 * td_config: ticketd's config section and command line (td_config.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/config.h"
#include "betanet/daemon.h"
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
	BN_CFG_F_INT("ipv6_bucket_prefix", struct td_config,
	    ipv6_bucket_prefix, "64", 48, 128),
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

static const struct bn_daemon_flag td_flags[] = {
	{ "socket",	"socket",	BN_DAEMON_ARG },
	{ "keys",	"keys",		BN_DAEMON_ARG },
	{ "state",	"state",	BN_DAEMON_ARG },
	{ NULL,		NULL,		0 }
};

static const struct bn_daemon_spec td_spec = {
	.name = "ticketd", .usage = td_usage, .section = "ticketd",
	.fields = td_config_fields, .flags = td_flags,
};

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
	int r;

	memset(c, 0, sizeof(*c));
#ifdef BN_TEST_HOOKS
	c->test_hooks = 1;
#endif
	if ((r = bn_daemon_configure(&td_spec, c, &c->common, argc, argv,
	    errbuf, errlen)) != BN_OK ||
	    (r = bn_daemon_path(c->socket_path, sizeof(c->socket_path),
	    c->socket, c->common.run_dir, "ticketd.sock", "ticketd.socket",
	    errbuf, errlen)) != BN_OK ||
	    (r = bn_daemon_path(c->key_dir, sizeof(c->key_dir), c->keys,
	    c->common.key_dir, "ticketd", "ticketd.keys", errbuf,
	    errlen)) != BN_OK ||
	    (r = bn_daemon_path(c->state_dir, sizeof(c->state_dir), c->state,
	    c->common.state_dir, "ticketd", "ticketd.state", errbuf,
	    errlen)) != BN_OK)
		return r;
	return check_keysets(c, errbuf, errlen);
}

void
td_config_free(struct td_config *c)
{
	bn_config_free(td_config_fields, c);
	bn_config_free(bn_config_common_fields, &c->common);
}
