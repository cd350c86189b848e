/*
 * up_config: upstreamd's configuration (section `upstreamd`) and flags.
 *
 * For: the typed struct the other up_* modules read, its field table for
 * libcommon's config loader, and upstreamd's command line (flags
 * override the file).  Not for: anything at run time; after
 * up_config_load() the struct is only read (SIGHUP loads a fresh one and
 * takes only the app's keys from it).  Strings in it are owned by the
 * struct and released by up_config_free().
 */
#ifndef UP_CONFIG_H
#define UP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/config.h"
#include "betanet/crypto.h"

#define UP_LISTEN_MAX		16
#define UP_GATEWAYS_MAX		1024

struct up_config {
	/* from the `upstreamd` section (flags override) */
	struct bn_config_strlist listen;	/* HOST:PORT, [V6]:PORT */
	struct bn_config_strlist listen_legacy;
	char			*key;		/* node private key file */
	char			*socket;	/* admin socket */
	int			 allow_compat;
	struct bn_config_strlist allowed_gateways;	/* 64 hex each */
	int			 allow_any_gateway;	/* empty list: any */
	struct bn_config_strlist plugins;	/* .so files */
	char			*plugin_dir;
	struct bn_config_strlist templates;	/* template roots */
	struct bn_config_strlist statics;	/* PREFIX=DIR */
	char			*origin;	/* http://127.0.0.1:PORT */
	int			 app_echo;	/* POST /echo */
	int64_t			 max_sessions;
	int64_t			 max_streams;
	uint64_t		 max_message;	/* bytes */
	uint64_t		 handshake_timeout;	/* ms */
	uint64_t		 idle_timeout;	/* ms, 0: none */
	uint64_t		 drain_timeout;	/* ms */
	/* the `common` section */
	struct bn_common_config	 common;
	/* resolved */
	char			 socket_path[108];	/* "" : no admin socket */
	uint8_t			 (*gateways)[BN_KEY_LEN];
	size_t			 ngateways;
};

extern const struct bn_config_field up_config_fields[];

/*
 * bn_daemon_configure() (daemon.h: argv, the file named by --config,
 * then the flags over it), then check (SIGHUP calls it again with the
 * same argv).  BN_OK; BN_DAEMON_EXIT when --help or --version was
 * printed (exit 0); a negative error with one line in errbuf (exit 2).
 * Call up_config_free() whatever happened.
 */
int	up_config_load(struct up_config *c, int argc, char **argv,
	    char *errbuf, size_t errlen);
void	up_config_free(struct up_config *c);

#endif /* UP_CONFIG_H */
