/*
 * up_server: what every upstreamd module shares -- the node key, the
 * live config, the app, the list of connections and the counters -- and
 * the life cycle around them (start, reload, drain).
 *
 * For: wiring.  It owns the listeners (up_listener), the connections
 * (up_conn), the proxy (up_proxy) and the app; the admin socket reads
 * it.  Not for: protocol logic (up_conn and up_bridge) or parsing flags
 * (up_config).  Single-threaded: everything runs on one event_base.
 */
#ifndef UP_SERVER_H
#define UP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/crypto.h"
#include "betanet/htx_session.h"
#include "up_config.h"

struct event_base;
struct event;
struct bn_app;
struct up_conn;
struct up_listener;
struct up_proxy;

struct up_counters {
	uint64_t	 sessions_total;
	uint64_t	 sessions_weak;		/* compat + legacy */
	uint64_t	 sessions_refused;	/* max_sessions */
	uint64_t	 gateways_rejected;	/* allowed_gateways */
	uint64_t	 requests;
	uint64_t	 bytes_in, bytes_out;	/* wire, closed sessions */
};

struct up_server {
	struct event_base	*base;
	struct up_config	*cfg;		/* owned; replaced on reload */
	char			**argv;		/* lent, for reload */
	int			 argc;
	struct bn_app		*app;
	struct up_proxy		*proxy;		/* NULL without origin */
	uint8_t			 node_priv[BN_KEY_LEN];
	uint8_t			 node_pub[BN_KEY_LEN];
	char			 node_pub_hex[2 * BN_KEY_LEN + 1];
	struct up_listener	*listeners;
	struct up_conn		*conns;		/* doubly linked */
	size_t			 nconns;
	size_t			 nprofile[4];	/* by enum bn_htx_profile */
	uint64_t		 next_conn_id;
	uint64_t		 start_ms;
	struct up_counters	 ctr;
	int			 draining;
	struct event		*drain_timer;
	void			(*on_drained)(void *);
	void			*drained_arg;
};

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
uint64_t up_now_ms(void);

/*
 * Load the node key, build the app, the proxy and the listeners (each
 * logs event=listening).  errbuf gets one line; the return says how to
 * exit: BN_ERR_CONFIG (and key errors) means 2, others 1.
 */
int	up_server_start(struct up_server *srv, struct event_base *base,
	    struct up_config *cfg, int argc, char **argv, char *errbuf,
	    size_t errlen);
/* SIGHUP: reload config and app; sessions stay.  Logs the outcome. */
int	up_server_reload(struct up_server *srv, char *errbuf,
	    size_t errlen);
/*
 * SIGTERM: stop accepting, close idle sessions, let in-flight requests
 * finish within drain_timeout, then call done(arg) once.
 */
void	up_server_drain(struct up_server *srv, void (*done)(void *),
	    void *arg);
/* A connection went away: let a drain finish when it was the last. */
void	up_server_conn_gone(struct up_server *srv);
void	up_server_stop(struct up_server *srv);

/* Build an app from cfg (builtin routes, templates, static, plugins). */
int	up_server_build_app(const struct up_config *cfg, struct bn_app **out,
	    char *errbuf, size_t errlen);

/* The session config for a new connection on a (legacy) listener. */
void	up_server_htx_config(const struct up_server *srv, int legacy,
	    struct bn_htx_config *hc);

#endif /* UP_SERVER_H */
