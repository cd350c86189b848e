/*
 * ticketd: verify access tickets and vouchers for the gateways.
 *
 * SYNOPSIS
 *	ticketd [--config FILE] [--socket PATH] [--keys DIR] [--state DIR]
 *	    [--set KEY=VALUE]...
 *
 * DESCRIPTION
 *	Owns the site's ticket keys, the replay window and the spent
 *	vouchers, and the rate-limit buckets; answers TicketdRequests on a
 *	Unix socket (proto/ticketd.proto, WIRE.md §5, §6, §10).  This file
 *	only wires the modules together, as Postfix's anvil does.
 *
 * SECURITY
 *	Private key files must be 0600.  The socket is made 0660: whoever
 *	may connect may ask for verdicts and rotate keys, never read a
 *	private key.  An admission is answered only after it is durable.
 *
 * EXIT STATUS
 *	0 after SIGTERM/SIGINT once every request in flight is answered; 2
 *	for a bad configuration or key directory (one line on stderr); 1
 *	for a run-time failure.
 */
#include <signal.h>
#include <stdio.h>

#include <event2/event.h>

#include "betanet/daemon.h"
#include "betanet/log.h"
#include "td_config.h"
#include "td_keys.h"
#include "td_replay.h"
#include "td_server.h"
#include "td_stores.h"

static void
on_drained(void *arg)
{
	event_base_loopbreak(arg);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct td_server *s = arg;

	if (sig == SIGHUP)
		(void)td_server_rotate(s);
	else
		td_server_drain(s, on_drained, td_server_base(s));
}

int
main(int argc, char **argv)
{
	struct td_config cfg;
	struct td_keys keys = { .n = 0 };
	struct td_stores st = { NULL, NULL, NULL };
	struct td_server *srv = NULL;
	struct event_base *base = NULL;
	struct event *sig[3] = { NULL, NULL, NULL };
	const int signo[3] = { SIGTERM, SIGINT, SIGHUP };
	char err[512];
	int r, i, rc = 1;

	bn_log_init("ticketd", NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = bn_daemon_exit_status("ticketd", td_config_load(&cfg, argc,
	    argv, err, sizeof(err)), err)) >= 0) {
		td_config_free(&cfg);
		return r;
	}
	bn_log_set_level((enum bn_log_level)cfg.common.log_level);
	if (td_keys_load(&keys, cfg.key_dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "ticketd: %s\n", err);
		rc = 2;
		goto out;
	}
	if ((base = event_base_new()) == NULL ||
	    td_stores_open(&st, base, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "ticketd: %s\n", base ? err : "no event base");
		goto out;
	}
	if ((srv = td_server_new(base, &(struct td_server_deps){ &cfg, &keys,
	    st.replay, st.spent, st.buckets })) == NULL)
		goto out;
	for (i = 0; i < 3; i++)
		if ((sig[i] = evsignal_new(base, signo[i], on_signal, srv)) ==
		    NULL || event_add(sig[i], NULL) != 0)
			goto out;
	bn_log_event(BN_LOG_INFO, "listening", "path=%s backend=%s keys=%zu "
	    "workers=%lld", bn_log_qstr(err, sizeof(err), cfg.socket_path),
	    td_replay_backend(st.replay), keys.n, (long long)cfg.workers);
	rc = event_base_dispatch(base) < 0 ? 1 : 0;
	bn_log_event(BN_LOG_INFO, "exit", "status=%d", rc);
 out:
	for (i = 0; i < 3; i++)
		if (sig[i] != NULL)
			event_free(sig[i]);
	td_server_free(srv);
	td_stores_close(&st);
	if (base != NULL)
		event_base_free(base);
	td_keys_clear(&keys);
	td_config_free(&cfg);
	return rc;
}
