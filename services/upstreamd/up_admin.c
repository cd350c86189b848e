/*
 * up_admin: the admin socket (up_admin.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstreamd.pb-c.h"

#include "betanet/err.h"
#include "betanet/htx_session.h"
#include "betanet/ipc.h"
#include "betanet/log.h"
#include "up_admin.h"
#include "up_conn.h"
#include "up_decode.h"
#include "up_server.h"

#define UP_ADMIN_CLIENTS	64

typedef Betanet__Upstreamd__UpstreamdRequest	 AdminReq;
typedef Betanet__Upstreamd__UpstreamdResponse	 AdminResp;

struct up_admin {
	struct up_server	*srv;
	struct bn_ipc_server	*ipc;
};

static void
send_resp(struct bn_ipc_conn *c, AdminResp *resp)
{
	if (bn_ipc_conn_send_msg(c, &resp->base) == BN_ERR_ALLOC) {
		bn_log_event(BN_LOG_ERROR, "reply_fail", "reason=alloc");
		bn_ipc_conn_close(c);
	}
}

static void
send_error(struct bn_ipc_conn *c, uint64_t id, Betanet__ErrorCode code,
    const char *text)
{
	AdminResp resp = BETANET__UPSTREAMD__UPSTREAMD_RESPONSE__INIT;
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
do_status(struct up_server *srv, AdminResp *resp,
    Betanet__Upstreamd__Status *st)
{
	struct bn_htx_stats hs;
	struct up_conn *c;

	st->sessions_handshake = srv->nprofile[BN_HTX_PROFILE_NONE];
	st->sessions_native = srv->nprofile[BN_HTX_PROFILE_NATIVE];
	st->sessions_compat = srv->nprofile[BN_HTX_PROFILE_COMPAT];
	st->sessions_legacy = srv->nprofile[BN_HTX_PROFILE_LEGACY11];
	st->bytes_in = srv->ctr.bytes_in;
	st->bytes_out = srv->ctr.bytes_out;
	for (c = srv->conns; c != NULL; c = c->next) {
		bn_htx_session_stats(c->s, &hs);
		st->streams += hs.streams;
		st->bytes_in += hs.bytes_in;
		st->bytes_out += hs.bytes_out;
		st->memory_bytes += up_conn_memory(c);
	}
	st->uptime_ms = up_now_ms() - srv->start_ms;
	st->node_pub.data = srv->node_pub;
	st->node_pub.len = BN_KEY_LEN;
	st->sessions_total = srv->ctr.sessions_total;
	st->requests = srv->ctr.requests;
	st->gateways_rejected = srv->ctr.gateways_rejected;
	st->sessions_refused = srv->ctr.sessions_refused;
	st->draining = srv->draining != 0;
	resp->body_case = BETANET__UPSTREAMD__UPSTREAMD_RESPONSE__BODY_STATUS;
	resp->status = st;
}

static void
do_list(struct up_server *srv, struct bn_ipc_conn *ic, AdminResp *resp,
    uint32_t limit)
{
	Betanet__Upstreamd__SessionList list =
	    BETANET__UPSTREAMD__SESSION_LIST__INIT;
	Betanet__Upstreamd__SessionInfo *info = NULL, **ptrs = NULL;
	struct bn_htx_stats hs;
	struct up_conn *c;
	uint64_t now = up_now_ms();
	size_t n = 0, max;

	max = limit;	/* up_admin_decode(): 1..UP_ADMIN_LIST_MAX */
	if (max > srv->nconns)
		max = srv->nconns;
	if (max > 0 && ((info = calloc(max, sizeof(*info))) == NULL ||
	    (ptrs = calloc(max, sizeof(*ptrs))) == NULL)) {
		free(info);
		send_error(ic, resp->header->id,
		    BETANET__ERROR_CODE__ERROR_INTERNAL, "out of memory");
		return;
	}
	for (c = srv->conns; c != NULL && n < max; c = c->next, n++) {
		Betanet__Upstreamd__SessionInfo *i = &info[n];

		betanet__upstreamd__session_info__init(i);
		bn_htx_session_stats(c->s, &hs);
		i->id = c->id;
		i->peer = c->peer;
		i->profile = (char *)bn_htx_profile_name(c->profile);
		i->age_ms = now - c->opened_ms;
		i->streams = hs.streams;
		i->bytes_in = hs.bytes_in;
		i->bytes_out = hs.bytes_out;
		if (c->open) {
			i->peer_pub.data = c->peer_pub;
			i->peer_pub.len = BN_KEY_LEN;
		}
		i->requests = c->requests;
		i->memory_bytes = up_conn_memory(c);
		ptrs[n] = i;
	}
	list.sessions = ptrs;
	list.n_sessions = n;
	list.total = srv->nconns;
	resp->body_case = BETANET__UPSTREAMD__UPSTREAMD_RESPONSE__BODY_SESSIONS;
	resp->sessions = &list;
	send_resp(ic, resp);
	free(ptrs);
	free(info);
}

static void
on_request(struct bn_ipc_conn *ic, const uint8_t *p, size_t len, void *arg)
{
	struct up_admin *a = arg;
	struct up_admin_req r;
	AdminResp resp = BETANET__UPSTREAMD__UPSTREAMD_RESPONSE__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Upstreamd__Status st = BETANET__UPSTREAMD__STATUS__INIT;
	Betanet__Upstreamd__ReloadResult rr =
	    BETANET__UPSTREAMD__RELOAD_RESULT__INIT;
	char err[512];

	if (up_admin_decode(&r, p, len) != BN_OK) {
		bn_log_event(BN_LOG_INFO, "admin_malformed", "conn=%llu "
		    "len=%zu", (unsigned long long)bn_ipc_conn_id(ic), len);
		send_error(ic, 0, BETANET__ERROR_CODE__ERROR_MALFORMED,
		    "not an UpstreamdRequest");
		return;
	}
	hdr.id = r.id;
	resp.header = &hdr;
	switch (r.kind) {
	case UP_ADMIN_STATUS:
		do_status(a->srv, &resp, &st);
		send_resp(ic, &resp);
		break;
	case UP_ADMIN_RELOAD:
		err[0] = '\0';
		rr.ok = up_server_reload(a->srv, err, sizeof(err)) == BN_OK;
		rr.error = err;
		resp.body_case =
		    BETANET__UPSTREAMD__UPSTREAMD_RESPONSE__BODY_RELOAD;
		resp.reload = &rr;
		send_resp(ic, &resp);
		break;
	case UP_ADMIN_LIST:
		do_list(a->srv, ic, &resp, r.limit);
		break;
	case UP_ADMIN_UNKNOWN:
		send_error(ic, hdr.id, (Betanet__ErrorCode)r.err, r.err_text);
		break;
	}
	up_admin_req_clear(&r);
}

struct up_admin *
up_admin_new(struct up_server *srv, struct event_base *base,
    const char *path)
{
	struct bn_ipc_server_cb cb;
	struct up_admin *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->srv = srv;
	memset(&cb, 0, sizeof(cb));
	cb.on_request = on_request;
	cb.arg = a;
	if ((a->ipc = bn_ipc_server_new(base, path, 0660,
	    UP_ADMIN_CLIENTS, &cb)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
up_admin_free(struct up_admin *a)
{
	if (a == NULL)
		return;
	bn_ipc_server_free(a->ipc);
	free(a);
}
