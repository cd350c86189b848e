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

#include <event2/event.h>

#include "betanet/err.h"
#include "betanet/log.h"
#include "gw_admit.h"
#include "gw_backend.h"
#include "gw_config.h"
#include "gw_http.h"
#include "gw_workers.h"

struct gw_main {
	struct event_base	*base;
	struct gw_server	*srv;
	uint64_t		 drain_ms;
	int			 argc;
	char			**argv;
};

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

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct gw_main *m = arg;
	struct gw_config cfg = { 0 };
	enum gw_config_action act;
	struct gw_limits lim;
	char err[BN_CONFIG_ERR_MAX];

	if (gw_config_load(&cfg, m->argc, m->argv, &act, err,
	    sizeof(err)) == BN_OK) {
		gw_config_limits(&cfg, &lim);
		gw_server_set_limits(m->srv, &lim);
		bn_log_event(BN_LOG_INFO, "reloaded", NULL);
	} else
		bn_log_event(BN_LOG_ERROR, "reload_failed", "error=\"%s\"",
		    err);
	gw_config_free(&cfg);
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
	enum gw_config_action act;
	char err[BN_CONFIG_ERR_MAX];
	size_t i;
	int rc = 1;

	bn_log_init("htx-gw", NULL);
	if (gw_config_load(&cfg, argc, argv, &act, err, sizeof(err)) != BN_OK) {
		fprintf(stderr, "htx-gw: %s\n", err);
		gw_config_free(&cfg);
		return 2;
	}
	if (act != GW_CONFIG_RUN) {
		gw_config_free(&cfg);
		return 0;
	}
	if (cfg.backend == GW_BACKEND_HTX) {
		fprintf(stderr, "htx-gw: backend htx: not built yet (use "
		    "--backend echo for tests)\n");
		gw_config_free(&cfg);
		return 2;
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
	    (be = gw_backend_echo_new(m.base)) == NULL ||
	    (ao.tickets && (adm = gw_admit_new(m.base, &ao)) == NULL) ||
	    (m.srv = gw_server_new(m.base, &lim, be, adm)) == NULL)
		goto out;
	for (i = 0; i < cfg.nlisten; i++)
		if (gw_server_listen(m.srv, cfg.listen_addr[i].host,
		    cfg.listen_addr[i].port) != BN_OK)
			goto out;
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
	gw_server_free(m.srv);
	gw_admit_free(adm);
	if (be != NULL)
		be->ops->free(be);
	if (m.base != NULL)
		event_base_free(m.base);
	gw_config_free(&cfg);
	return rc;
}
