/*
 * td_config: ticketd's configuration (section `ticketd`) and flags.
 *
 * For: the typed struct the other td_* modules read, its field table for
 * libcommon's config loader, and the command line of ticketd (flags
 * override the file).  Not for: anything at run time; after
 * td_config_load() the struct is only read.  Strings in it are owned by
 * the struct and released by td_config_free().
 */
#ifndef TD_CONFIG_H
#define TD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/config.h"

enum td_backend {
	TD_BACKEND_LOG = 0,		/* memory + fsynced append-only log */
	TD_BACKEND_REDIS = 1,		/* SET NX PX on a shared Redis */
};

struct td_config {
	/* from the `ticketd` section */
	char			*socket;	/* NULL: <run_dir>/ticketd.sock */
	char			*keys;		/* NULL: <key_dir>/ticketd */
	char			*state;		/* NULL: <state_dir>/ticketd */
	int			 replay_backend;	/* enum td_backend */
	char			*replay_url;	/* redis://host:port[/db] */
	int64_t			 replay_max_entries;
	int64_t			 spent_max_entries;
	uint64_t		 compact_interval;	/* ms */
	uint64_t		 voucher_ttl;		/* ms */
	int64_t			 bucket_capacity;
	int64_t			 bucket_rate;		/* tokens per second */
	int64_t			 max_buckets;
	int64_t			 ipv6_bucket_prefix;	/* IPv6 client: /bits */
	struct bn_config_strlist voucher_keysets;	/* 64 hex each */
	int64_t			 workers;	/* 0: verify in the loop */
	int64_t			 max_clients;
	/* the `common` section */
	struct bn_common_config	 common;
	/* resolved paths (always set after td_config_load) */
	char			 socket_path[108];
	char			 key_dir[256];
	char			 state_dir[256];
	int			 test_hooks;	/* built with BN_TEST_HOOKS */
};

extern const struct bn_config_field td_config_fields[];

/*
 * bn_daemon_configure() (daemon.h: argv, the file named by --config,
 * then the flags and --set KEY=VALUE over it), then resolve the paths
 * and check the keysets.  Returns BN_OK, BN_DAEMON_EXIT when
 * --help/--version was printed (exit 0), or a negative error with one
 * line in errbuf (exit 2).  Call td_config_free() whatever happened.
 */
int	td_config_load(struct td_config *c, int argc, char **argv,
	    char *errbuf, size_t errlen);
void	td_config_free(struct td_config *c);

#endif /* TD_CONFIG_H */
