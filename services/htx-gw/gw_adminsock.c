/*
 * gw_adminsock: the admin socket (gw_adminsock.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htxgw.pb-c.h"

#include "betanet/err.h"
#include "betanet/ipc.h"
#include "betanet/log.h"
#include "gw_adminsock.h"
#include "gw_backend.h"
#include "gw_backend_htx.h"
#include "gw_config.h"
#include "gw_http.h"

#define GW_ADMIN_CLIENTS	32

typedef Betanet__Htxgw__HtxGwRequest	AdminReq;
typedef Betanet__Htxgw__HtxGwResponse	AdminResp;

struct gw_adminsock {
	struct gw_adminsock_ctx	 ctx;
	struct bn_ipc_server	*ipc;
};

static void
send_resp(struct bn_ipc_conn *c, AdminResp *resp)
{
	if (bn_ipc_conn_send_msg(c, &resp->base) == BN_ERR_ALLOC)
		bn_ipc_conn_close(c);
}

static void
send_error(struct bn_ipc_conn *c, uint64_t id, Betanet__ErrorCode code,
    const char *text)
{
	AdminResp resp = BETANET__HTXGW__HTX_GW_RESPONSE__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Error err = BETANET__ERROR__INIT;

	hdr.id = id;
	err.code = code;
	err.text = (char *)text;
	resp.header = &hdr;
	resp.error = &err;
	send_resp(c, &resp);
}

static void
do_status(struct gw_adminsock *a, struct bn_ipc_conn *ic, AdminResp *resp)
{
	Betanet__Htxgw__Status st = BETANET__HTXGW__STATUS__INIT;
	Betanet__Htxgw__UpstreamStatus us[GW_MAX_UPSTREAMS];
	Betanet__Htxgw__UpstreamStatus *usp[GW_MAX_UPSTREAMS];
	struct gw_htx_up_status hs[GW_MAX_UPSTREAMS];
	size_t i, n = 0;

	st.connections = gw_server_nconns(a->ctx.srv);
	if (a->ctx.be != NULL) {
		st.in_flight = a->ctx.be->ops->inflight(a->ctx.be);
		st.backend = (char *)"htx";
		n = gw_backend_htx_status(a->ctx.be, hs, GW_MAX_UPSTREAMS);
		n = n < GW_MAX_UPSTREAMS ? n : GW_MAX_UPSTREAMS;
	} else
		st.backend = (char *)"echo";
	for (i = 0; i < n; i++) {
		betanet__htxgw__upstream_status__init(&us[i]);
		us[i].addr = hs[i].name;
		us[i].state = (Betanet__Htxgw__UpstreamState)hs[i].state;
		us[i].rtt_ms = hs[i].rtt_ms;
		us[i].sessions = hs[i].sessions;
		us[i].in_flight = hs[i].inflight;
		us[i].failures = hs[i].failures;
		us[i].requests = hs[i].requests;
		usp[i] = &us[i];
	}
	st.n_upstreams = n;
	st.upstreams = usp;
	resp->body_case = BETANET__HTXGW__HTX_GW_RESPONSE__BODY_STATUS;
	resp->status = &st;
	send_resp(ic, resp);
}

int
gw_adminsock_decode(struct gw_admin_req *r, const uint8_t *p, size_t len)
{
	AdminReq *m;

	memset(r, 0, sizeof(*r));
	if ((m = betanet__htxgw__htx_gw_request__unpack(NULL, len, p)) ==
	    NULL)
		return BN_ERR_MALFORMED;
	r->m = m;
	r->id = m->header != NULL ? m->header->id : 0;
	switch (m->body_case) {
	case BETANET__HTXGW__HTX_GW_REQUEST__BODY_GET_STATUS:
		r->kind = GW_ADMIN_STATUS;
		break;
	case BETANET__HTXGW__HTX_GW_REQUEST__BODY_DRAIN_UPSTREAM:
		r->kind = GW_ADMIN_DRAIN;
		if ((r->addr = m->drain_upstream->addr) == NULL) {
			r->err = BETANET__ERROR_CODE__ERROR_INVALID;
			r->err_text = "no such upstream";
		}
		break;
	case BETANET__HTXGW__HTX_GW_REQUEST__BODY_RELOAD_CONFIG:
		r->kind = GW_ADMIN_RELOAD;
		break;
	default:
		r->kind = GW_ADMIN_UNKNOWN;
		r->err = BETANET__ERROR_CODE__ERROR_UNKNOWN_METHOD;
		r->err_text = "unknown request";
		break;
	}
	return BN_OK;
}

void
gw_adminsock_req_clear(struct gw_admin_req *r)
{
	if (r->m != NULL)
		betanet__htxgw__htx_gw_request__free_unpacked(r->m, NULL);
	memset(r, 0, sizeof(*r));
}

static void
on_request(struct bn_ipc_conn *ic, const uint8_t *p, size_t len, void *arg)
{
	struct gw_adminsock *a = arg;
	struct gw_admin_req r;
	AdminResp resp = BETANET__HTXGW__HTX_GW_RESPONSE__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Htxgw__DrainResult dr = BETANET__HTXGW__DRAIN_RESULT__INIT;
	Betanet__Htxgw__ReloadResult rr = BETANET__HTXGW__RELOAD_RESULT__INIT;

	if (gw_adminsock_decode(&r, p, len) != BN_OK) {
		bn_log_event(BN_LOG_INFO, "admin_malformed", "len=%zu", len);
		send_error(ic, 0, BETANET__ERROR_CODE__ERROR_MALFORMED,
		    "not an HtxGwRequest");
		return;
	}
	hdr.id = r.id;
	resp.header = &hdr;
	if (r.err == 0 && r.kind == GW_ADMIN_DRAIN && a->ctx.be == NULL) {
		r.err = BETANET__ERROR_CODE__ERROR_INVALID;
		r.err_text = "no such upstream";
	}
	if (r.err != 0) {
		send_error(ic, hdr.id, (Betanet__ErrorCode)r.err, r.err_text);
		goto out;
	}
	switch (r.kind) {
	case GW_ADMIN_STATUS:
		do_status(a, ic, &resp);
		break;
	case GW_ADMIN_DRAIN:
		dr.ok = gw_backend_htx_drain_upstream(a->ctx.be, r.addr) ==
		    BN_OK;
		resp.body_case = BETANET__HTXGW__HTX_GW_RESPONSE__BODY_DRAIN;
		resp.drain = &dr;
		send_resp(ic, &resp);
		break;
	case GW_ADMIN_RELOAD:
		rr.ok = a->ctx.reload(a->ctx.reload_arg) == BN_OK;
		rr.error = (char *)(rr.ok ? "" : "reload failed (see log)");
		resp.body_case = BETANET__HTXGW__HTX_GW_RESPONSE__BODY_RELOAD;
		resp.reload = &rr;
		send_resp(ic, &resp);
		break;
	case GW_ADMIN_UNKNOWN:
		break;		/* r.err is set */
	}
 out:
	gw_adminsock_req_clear(&r);
}

struct gw_adminsock *
gw_adminsock_new(struct event_base *base, const char *path,
    const struct gw_adminsock_ctx *ctx)
{
	struct bn_ipc_server_cb cb;
	struct gw_adminsock *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->ctx = *ctx;
	memset(&cb, 0, sizeof(cb));
	cb.on_request = on_request;
	cb.arg = a;
	if ((a->ipc = bn_ipc_server_new(base, path, 0660, GW_ADMIN_CLIENTS,
	    &cb)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
gw_adminsock_free(struct gw_adminsock *a)
{
	if (a == NULL)
		return;
	bn_ipc_server_free(a->ipc);
	free(a);
}
