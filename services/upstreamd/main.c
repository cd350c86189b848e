/*
 * upstreamd: the node a gateway tunnels into.
 *
 * SYNOPSIS
 *	upstreamd --key FILE --listen HOST:PORT [--listen-legacy HOST:PORT]
 *	    [--config FILE] [--allow-compat] [--plugin FILE] [--origin URL]
 *	    ... (upstreamd --help)
 *
 * DESCRIPTION
 *	Terminates HTX sessions (WIRE.md §1-§4: native, and compat or the
 *	legacy 1.1 framing when allowed), decodes BAR requests (§8) and
 *	runs the application: routes, plugins, templates, static files and
 *	a reverse proxy of a local origin.  Admin service on upstreamd.sock
 *	(proto/upstreamd.proto).  This file only wires the modules.
 *
 * SECURITY
 *	The node key file must be 0600.  compat and legacy sessions are
 *	weak (their keys follow from public values) and are logged as
 *	security=weak.  allowed_gateways restricts who may open sessions;
 *	with none listed upstreamd refuses to start unless
 *	allow_any_gateway says anyone may skip the gateway's tickets.
 *	Plugins run as the daemon: they must not be writable by others.
 *
 * EXIT STATUS
 *	0 after SIGTERM/SIGINT once in-flight requests are answered (or the
 *	drain timeout passed); 2 for a bad configuration or key file (one
 *	line on stderr); 1 for a run-time failure.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "betanet/daemon.h"
#include "betanet/err.h"
#include "betanet/log.h"
#include "up_admin.h"
#include "up_config.h"
#include "up_server.h"

static void
on_drained(void *arg)
{
	event_base_loopbreak(arg);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct up_server *srv = arg;
	char err[512];

	if (sig == SIGHUP)
		(void)up_server_reload(srv, err, sizeof(err));
	else
		up_server_drain(srv, on_drained, srv->base);
}

int
main(int argc, char **argv)
{
	struct up_config cfg;
	struct up_server srv;
	struct up_admin *admin = NULL;
	struct event_base *base = NULL;
	struct event *sig[4] = { NULL, NULL, NULL, NULL };
	const int signo[4] = { SIGTERM, SIGINT, SIGHUP, 0 };
	char err[512];
	int r, i, rc = 1, started = 0;

	memset(&srv, 0, sizeof(srv));
	bn_log_init("upstreamd", NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = bn_daemon_exit_status("upstreamd", up_config_load(&cfg, argc,
	    argv, err, sizeof(err)), err)) >= 0) {
		up_config_free(&cfg);
		return r;
	}
	bn_log_set_level((enum bn_log_level)cfg.common.log_level);
	if ((base = event_base_new()) == NULL)
		goto out;
	started = 1;
	if (cfg.socket_path[0] != '\0' && (admin = up_admin_new(&srv, base,
	    cfg.socket_path)) == NULL) {
		fprintf(stderr, "upstreamd: admin socket %s: cannot listen\n",
		    cfg.socket_path);
		goto out;
	}
	if ((r = up_server_start(&srv, base, &cfg, argc, argv, err,
	    sizeof(err))) != BN_OK) {
		fprintf(stderr, "upstreamd: %s\n", err);
		rc = r == BN_ERR_CONFIG ? 2 : 1;
		goto out;
	}
	for (i = 0; signo[i] != 0; i++)
		if ((sig[i] = evsignal_new(base, signo[i], on_signal, &srv)) ==
		    NULL || event_add(sig[i], NULL) != 0)
			goto out;
	rc = event_base_dispatch(base) < 0 ? 1 : 0;
	bn_log_event(BN_LOG_INFO, "exit", "status=%d", rc);
 out:
	for (i = 0; i < 4; i++)
		if (sig[i] != NULL)
			event_free(sig[i]);
	up_admin_free(admin);
	if (started)
		up_server_stop(&srv);
	if (base != NULL)
		event_base_free(base);
	up_config_free(&cfg);
	return rc;
}
