/*
 * gw_config: the `htx_gw` section of the configuration file and the
 * command-line flags of htx-gw, checked in one place.
 *
 * For: reading `common` + `htx_gw` through libcommon's config tables,
 * applying flags over them (flags win), validating what the tables
 * cannot (listen addresses, upstream keys, header names), and handing
 * out the limits and admission options the modules take.
 * Not for: opening sockets or anything else at run time.
 *
 * Ownership: a loaded struct gw_config owns its strings and lists until
 * gw_config_free().  Pointers in the gw_admit_opts it fills stay valid
 * as long as the config.
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/config.h"
#include "betanet/crypto.h"
#include "gw_admit.h"
#include "gw_request.h"

#define GW_MAX_LISTEN		16
#define GW_MAX_UPSTREAMS	64
#define GW_MAX_WORKERS		64

enum gw_backend_kind { GW_BACKEND_HTX = 0, GW_BACKEND_ECHO = 1 };
enum gw_vouchers { GW_VOUCHERS_OFF = 0, GW_VOUCHERS_REQUIRED = 1 };
enum gw_tickets { GW_TICKETS_ON = 0, GW_TICKETS_OFF = 1 };

struct gw_upstream_cfg {
	struct bn_config_addr	addr;
	char			*pub;		/* 64 hex digits */
	int			 compat;	/* Python server: allow_compat */
	uint8_t			 pub_key[BN_KEY_LEN]; /* after validate */
};

struct gw_config {
	struct bn_common_config	 common;
	struct bn_config_strlist listen;	/* "host:port" each */
	struct bn_config_addr	 listen_addr[GW_MAX_LISTEN];
	size_t			 nlisten;
	char			*ticketd_socket; /* "": <run_dir>/ticketd.sock */
	char			*cookie_name;
	int			 tickets;
	int			 vouchers;
	char			*voucher_header;
	int			 backend;
	uint64_t		 max_body_bytes;
	uint64_t		 preadmit_body_bytes;
	int64_t			 max_headers;
	uint64_t		 max_header_line;
	uint64_t		 max_header_bytes;
	uint64_t		 header_timeout_ms;
	uint64_t		 body_timeout_ms;
	uint64_t		 idle_timeout_ms;
	uint64_t		 send_timeout_ms;
	uint64_t		 admit_lifetime_ms;
	uint64_t		 ticketd_timeout_ms;
	int64_t			 ticketd_max_inflight;
	int64_t			 retry_after_s;
	int64_t			 max_connections;
	uint64_t		 output_high;
	uint64_t		 drain_timeout_ms;
	int64_t			 workers;
	int			 reuse_port;	/* forced on by workers > 1 */
	struct bn_config_list	 upstreams;	/* struct gw_upstream_cfg */
	/* The HTX backend (gw_backend_htx.h). */
	char			*key_file;	/* "": ephemeral key */
	char			*admin_socket;	/* "": <run_dir>/htx-gw.sock */
	int			 allow_compat;
	int64_t			 upstream_streams;
	int64_t			 upstream_sessions;
	uint64_t		 upstream_connect_timeout_ms;
	uint64_t		 upstream_idle_timeout_ms;
	uint64_t		 upstream_ping_interval_ms;
	uint64_t		 response_timeout_ms;
	uint64_t		 eject_base_ms;
	uint64_t		 eject_cap_ms;
	uint64_t		 spool_mem;
	uint64_t		 max_response_bytes;
	char			*spool_dir;	/* "": $TMPDIR or /tmp */
};

/*
 * bn_daemon_configure() (daemon.h: the flags, then the file they name,
 * then the flags again over it), then validation.  cfg must be zeroed.
 * BN_OK; BN_DAEMON_EXIT when --help/--version was printed (exit 0); a
 * negative error with one line in errbuf (exit 2).  Call
 * gw_config_free() whatever happened.
 */
int	gw_config_load(struct gw_config *cfg, int argc, char **argv,
	    char *errbuf, size_t errlen);
void	gw_config_free(struct gw_config *cfg);

void	gw_config_limits(const struct gw_config *cfg, struct gw_limits *lim);
void	gw_config_admit_opts(const struct gw_config *cfg,
	    struct gw_admit_opts *o);

#endif /* GW_CONFIG_H */
