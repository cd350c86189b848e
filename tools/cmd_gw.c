/*
 * betanet gw: ask htx-gw over its admin socket (proto/htxgw.proto).
 *
 *   betanet gw status --socket PATH
 *   betanet gw drain --socket PATH --upstream HOST:PORT
 *   betanet gw reload --socket PATH
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/err.h"
#include "betanet/ipc.h"
#include "cli.h"
#include "htxgw.pb-c.h"

#define GW_TIMEOUT_MS	5000

typedef Betanet__Htxgw__HtxGwRequest	GwReq;
typedef Betanet__Htxgw__HtxGwResponse	GwResp;

const char cmd_gw_usage[] =
"usage: betanet gw status --socket PATH\n"
"       betanet gw drain --socket PATH --upstream HOST:PORT\n"
"       betanet gw reload --socket PATH\n"
"\n"
"Ask htx-gw over its admin socket (htx-gw.sock):\n"
"  status   HTTP connections, requests in flight and, per upstream,\n"
"           state (healthy|ejected|draining), RTT, sessions, in flight,\n"
"           failures and requests, one `key=value` line each\n"
"  drain    stop sending new requests to one upstream\n"
"  reload   reload the upstream list and limits (as SIGHUP)\n"
"Exit status: 0 on success, 1 on failure, 2 on bad usage.\n";

static const struct option gw_opts[] = {
	{ "socket",	required_argument,	NULL, 's' },
	{ "upstream",	required_argument,	NULL, 'u' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 }
};

/* One request, one response; the caller frees *resp. */
static int
roundtrip(const char *path, GwReq *req, GwResp **resp)
{
	ProtobufCMessage *m;

	*resp = NULL;
	if (cli_ipc_call("gw", path, &req->base,
	    &betanet__htxgw__htx_gw_response__descriptor, &m,
	    GW_TIMEOUT_MS) != 0)
		return BN_CLI_FAIL;
	*resp = (GwResp *)m;
	if ((*resp)->error != NULL && (*resp)->error->code != 0) {
		cli_err("gw", "htx-gw: %s", (*resp)->error->text);
		betanet__htxgw__htx_gw_response__free_unpacked(*resp, NULL);
		*resp = NULL;
		return BN_CLI_FAIL;
	}
	return BN_CLI_OK;
}

static const char *
state_name(Betanet__Htxgw__UpstreamState s)
{
	switch (s) {
	case BETANET__HTXGW__UPSTREAM_STATE__UPSTREAM_HEALTHY:
		return "healthy";
	case BETANET__HTXGW__UPSTREAM_STATE__UPSTREAM_EJECTED:
		return "ejected";
	case BETANET__HTXGW__UPSTREAM_STATE__UPSTREAM_DRAINING:
		return "draining";
	default:
		return "unknown";
	}
}

static void
print_status(const Betanet__Htxgw__Status *st)
{
	size_t i;

	printf("backend=%s connections=%llu in_flight=%llu upstreams=%zu\n",
	    st->backend != NULL ? st->backend : "-",
	    (unsigned long long)st->connections,
	    (unsigned long long)st->in_flight, st->n_upstreams);
	for (i = 0; i < st->n_upstreams; i++) {
		const Betanet__Htxgw__UpstreamStatus *u = st->upstreams[i];

		printf("upstream=%s state=%s rtt_ms=%lld sessions=%u "
		    "in_flight=%llu failures=%llu requests=%llu\n",
		    u->addr != NULL ? u->addr : "-", state_name(u->state),
		    (long long)u->rtt_ms, u->sessions,
		    (unsigned long long)u->in_flight,
		    (unsigned long long)u->failures,
		    (unsigned long long)u->requests);
	}
}

int
cmd_gw(int argc, char **argv)
{
	GwReq req = BETANET__HTXGW__HTX_GW_REQUEST__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Htxgw__GetStatus gs = BETANET__HTXGW__GET_STATUS__INIT;
	Betanet__Htxgw__DrainUpstream du =
	    BETANET__HTXGW__DRAIN_UPSTREAM__INIT;
	Betanet__Htxgw__ReloadConfig rc = BETANET__HTXGW__RELOAD_CONFIG__INIT;
	GwResp *resp = NULL;
	const char *sock = NULL, *ups = NULL, *verb;
	int ch, r;

	if (argc < 2)
		return cli_usage_err("gw", "want status, drain or reload");
	verb = argv[1];
	argc--;
	argv++;
	while ((ch = cli_getopt(argc, argv, "h", gw_opts)) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'u': ups = optarg; break;
		case 'h': return cli_help("gw");
		default: return BN_CLI_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_err("gw", "unexpected argument %s",
		    argv[optind]);
	if (sock == NULL)
		return cli_usage_err("gw", "--socket PATH is required");
	hdr.id = 1;
	req.header = &hdr;
	if (strcmp(verb, "status") == 0) {
		req.body_case = BETANET__HTXGW__HTX_GW_REQUEST__BODY_GET_STATUS;
		req.get_status = &gs;
	} else if (strcmp(verb, "drain") == 0) {
		if (ups == NULL)
			return cli_usage_err("gw", "drain: --upstream needed");
		du.addr = (char *)ups;
		req.body_case =
		    BETANET__HTXGW__HTX_GW_REQUEST__BODY_DRAIN_UPSTREAM;
		req.drain_upstream = &du;
	} else if (strcmp(verb, "reload") == 0) {
		req.body_case =
		    BETANET__HTXGW__HTX_GW_REQUEST__BODY_RELOAD_CONFIG;
		req.reload_config = &rc;
	} else
		return cli_usage_err("gw", "unknown verb %s", verb);
	if ((r = roundtrip(sock, &req, &resp)) != BN_CLI_OK)
		return r;
	r = BN_CLI_OK;
	switch (resp->body_case) {
	case BETANET__HTXGW__HTX_GW_RESPONSE__BODY_STATUS:
		print_status(resp->status);
		break;
	case BETANET__HTXGW__HTX_GW_RESPONSE__BODY_DRAIN:
		printf("drain=%s\n", resp->drain->ok ? "ok" : "no_such_upstream");
		r = resp->drain->ok ? BN_CLI_OK : BN_CLI_FAIL;
		break;
	case BETANET__HTXGW__HTX_GW_RESPONSE__BODY_RELOAD:
		printf("reload=%s\n", resp->reload->ok ? "ok" : "failed");
		r = resp->reload->ok ? BN_CLI_OK : BN_CLI_FAIL;
		break;
	default:
		cli_err("gw", "unexpected answer");
		r = BN_CLI_FAIL;
		break;
	}
	betanet__htxgw__htx_gw_response__free_unpacked(resp, NULL);
	return r;
}
