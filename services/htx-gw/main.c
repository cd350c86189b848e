/*
 * htx-gw: the HTTP/1.1 gateway of the Betanet suite.
 *
 * Wiring only (CONVENTIONS.md): flags and config (exit 2 on a bad one),
 * workers, the event_base, admission (ticketd client), the backend, the
 * HTTP front and its listeners, signals.  SIGTERM/SIGINT drain (stop
 * accepting, finish in-flight exchanges) and exit 0 within
 * drain_timeout; SIGHUP reloads the limits from the same flags and file.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/daemon.h"
#include "betanet/err.h"
#include "betanet/keyfile.h"
#include "betanet/log.h"
#include "gw_adminsock.h"
#include "gw_admit.h"
#include "gw_backend.h"
#include "gw_backend_htx.h"
#include "gw_config.h"
#include "gw_http.h"
#include "gw_workers.h"

struct gw_main {
	struct event_base	*base;
	struct gw_server	*srv;
	struct gw_backend	*be;
	int			 htx;	/* be is the HTX backend */
	uint64_t		 drain_ms;
	int			 argc;
	char			**argv;
};

/* The configured upstreams, into the HTX backend (start or SIGHUP). */
static int
gw_main_upstreams(struct gw_main *m, const struct gw_config *cfg)
{
	struct gw_htx_upstream ups[GW_MAX_UPSTREAMS];
	const struct gw_upstream_cfg *u;
	size_t i, n = cfg->upstreams.n;

	if (n > GW_MAX_UPSTREAMS)
		return BN_ERR_CONFIG;
	for (i = 0; i < n; i++) {
		u = &((const struct gw_upstream_cfg *)cfg->upstreams.v)[i];
		memset(&ups[i], 0, sizeof(ups[i]));
		snprintf(ups[i].host, sizeof(ups[i].host), "%s", u->addr.host);
		ups[i].port = u->addr.port;
		memcpy(ups[i].pub, u->pub_key, BN_KEY_LEN);
		ups[i].compat = u->compat;
	}
	return gw_backend_htx_set_upstreams(m->be, ups, n);
}

/* The gateway's static key: --key FILE, or an ephemeral one. */
static int
gw_main_key(const struct gw_config *cfg, uint8_t priv[BN_KEY_LEN])
{
	uint8_t pub[BN_KEY_LEN];
	char err[BN_KEYFILE_ERRLEN], hex[2 * BN_KEY_LEN + 1];
	int r;

	if (cfg->key_file[0] != '\0') {
		r = bn_keyfile_load_private(cfg->key_file, priv, err,
		    sizeof(err));
		if (r != BN_OK) {
			fprintf(stderr, "htx-gw: %s\n", err);
			return r;
		}
		r = bn_x25519_public(pub, priv);
	} else {
		r = bn_x25519_keygen(priv, pub);
		bn_log_event(BN_LOG_WARN, "ephemeral_key", "note=\"no --key: "
		    "upstreams cannot pin this gateway\"");
	}
	if (r != BN_OK)
		return r;
	bn_hex_encode(hex, pub, sizeof(pub));
	bn_log_event(BN_LOG_INFO, "gateway_key", "pub=%s", hex);
	return BN_OK;
}

static struct gw_backend *
gw_main_backend(struct gw_main *m, const struct gw_config *cfg)
{
	struct gw_htx_opts o;

	if (cfg->backend == GW_BACKEND_ECHO)
		return gw_backend_echo_new(m->base);
	gw_htx_opts_default(&o);
	if (gw_main_key(cfg, o.static_priv) != BN_OK)
		return NULL;
	o.max_streams = (uint32_t)cfg->upstream_streams;
	o.max_sessions = (uint32_t)cfg->upstream_sessions;
	o.connect_timeout_ms = cfg->upstream_connect_timeout_ms;
	o.idle_timeout_ms = cfg->upstream_idle_timeout_ms;
	o.ping_interval_ms = cfg->upstream_ping_interval_ms;
	o.response_timeout_ms = cfg->response_timeout_ms;
	o.eject_base_ms = (uint32_t)cfg->eject_base_ms;
	o.eject_cap_ms = (uint32_t)cfg->eject_cap_ms;
	o.spool_mem = (size_t)cfg->spool_mem;
	o.max_response = cfg->max_response_bytes;
	o.spool_dir = cfg->spool_dir[0] != '\0' ? cfg->spool_dir : NULL;
	if ((m->be = gw_backend_htx_new(m->base, &o, NULL, 0)) == NULL) {
		bn_cleanse(o.static_priv, sizeof(o.static_priv));
		return NULL;
	}
	bn_cleanse(o.static_priv, sizeof(o.static_priv));
	m->htx = 1;
	if (gw_main_upstreams(m, cfg) != BN_OK) {
		m->be->ops->free(m->be);
		m->be = NULL;
		m->htx = 0;
		return NULL;
	}
	return m->be;
}

static void
on_drained(void *arg)
{
	event_base_loopexit(((struct gw_main *)arg)->base, NULL);
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct gw_main *m = arg;
	struct timeval tv = { (time_t)(m->drain_ms / 1000),
	    (suseconds_t)(m->drain_ms % 1000) * 1000 };

	bn_log_event(BN_LOG_INFO, "draining", "conns=%zu",
	    gw_server_nconns(m->srv));
	event_base_loopexit(m->base, &tv);	/* the bound */
	gw_server_drain(m->srv, on_drained, m);
}

static int	gw_main_reload(void *arg);

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)gw_main_reload(arg);
}

/* SIGHUP and the admin ReloadConfig: limits and upstreams, same flags. */
static int
gw_main_reload(void *arg)
{
	struct gw_main *m = arg;
	int rc = BN_ERR_CONFIG;
	struct gw_config cfg = { 0 };
	struct gw_limits lim;
	char err[BN_CONFIG_ERR_MAX];

	if (gw_config_load(&cfg, m->argc, m->argv, err, sizeof(err)) ==
	    BN_OK) {
		gw_config_limits(&cfg, &lim);
		gw_server_set_limits(m->srv, &lim);
		if (m->htx && gw_main_upstreams(m, &cfg) != BN_OK)
			bn_log_event(BN_LOG_ERROR, "reload_failed",
			    "error=\"upstreams\"");
		else {
			bn_log_event(BN_LOG_INFO, "reloaded", NULL);
			rc = BN_OK;
		}
	} else
		bn_log_event(BN_LOG_ERROR, "reload_failed", "error=\"%s\"",
		    err);
	gw_config_free(&cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct gw_config cfg = { 0 };
	struct gw_main m = { .argc = argc, .argv = argv };
	struct gw_admit_opts ao;
	struct gw_limits lim;
	struct gw_admit *adm = NULL;
	struct gw_backend *be = NULL;
	struct event *sig[3] = { NULL };
	struct gw_adminsock *adm_sock = NULL;
	struct gw_adminsock_ctx admin_ctx;
	char admin_path[128];
	char err[BN_CONFIG_ERR_MAX];
	size_t i;
	int rc = 1, st;

	bn_log_init("htx-gw", NULL);
	if ((st = bn_daemon_exit_status("htx-gw", gw_config_load(&cfg, argc,
	    argv, err, sizeof(err)), err)) >= 0) {
		gw_config_free(&cfg);
		return st;
	}
	bn_log_set_level((enum bn_log_level)cfg.common.log_level);
	signal(SIGPIPE, SIG_IGN);
	if (gw_workers_run((int)cfg.workers) != -1)
		goto out;
	if (cfg.tickets == GW_TICKETS_OFF)
		bn_log_event(BN_LOG_WARN, "tickets_off",
		    "note=\"admission disabled: development only\"");
	if (cfg.backend == GW_BACKEND_ECHO)
		bn_log_event(BN_LOG_WARN, "backend_echo",
		    "note=\"echo app: tests only\"");
	gw_config_limits(&cfg, &lim);
	gw_config_admit_opts(&cfg, &ao);
	m.drain_ms = cfg.drain_timeout_ms;
	if ((m.base = event_base_new()) == NULL ||
	    (be = m.be = gw_main_backend(&m, &cfg)) == NULL ||
	    (ao.tickets && (adm = gw_admit_new(m.base, &ao)) == NULL) ||
	    (m.srv = gw_server_new(m.base, &lim, be, adm)) == NULL)
		goto out;
	for (i = 0; i < cfg.nlisten; i++)
		if (gw_server_listen(m.srv, cfg.listen_addr[i].host,
		    cfg.listen_addr[i].port, cfg.reuse_port ||
		    cfg.workers > 1) != BN_OK) {
			fprintf(stderr, "htx-gw: cannot listen on %s (see "
			    "event=listen_failed)\n", cfg.listen.v[i]);
			goto out;	/* exit 1: a run-time failure */
		}
	admin_ctx.srv = m.srv;
	admin_ctx.be = m.htx ? be : NULL;
	admin_ctx.reload = gw_main_reload;
	admin_ctx.reload_arg = &m;
	if (cfg.workers > 1)
		snprintf(admin_path, sizeof(admin_path), "%s.%ld",
		    cfg.admin_socket, (long)getpid());
	else
		snprintf(admin_path, sizeof(admin_path), "%s",
		    cfg.admin_socket);
	if ((adm_sock = gw_adminsock_new(m.base, admin_path, &admin_ctx)) ==
	    NULL)
		bn_log_event(BN_LOG_WARN, "admin_socket_failed", "path=%s",
		    admin_path);
	sig[0] = evsignal_new(m.base, SIGTERM, on_term, &m);
	sig[1] = evsignal_new(m.base, SIGINT, on_term, &m);
	sig[2] = evsignal_new(m.base, SIGHUP, on_hup, &m);
	for (i = 0; i < 3; i++)
		if (sig[i] == NULL || evsignal_add(sig[i], NULL) != 0)
			goto out;
	event_base_dispatch(m.base);
	bn_log_event(BN_LOG_INFO, "exit", "conns=%zu",
	    gw_server_nconns(m.srv));
	rc = 0;
 out:
	for (i = 0; i < 3; i++)
		if (sig[i] != NULL)
			event_free(sig[i]);
	gw_adminsock_free(adm_sock);
	gw_server_free(m.srv);
	gw_admit_free(adm);
	if (be != NULL)
		be->ops->free(be);
	if (m.base != NULL)
		event_base_free(m.base);
	gw_config_free(&cfg);
	return rc;
}
