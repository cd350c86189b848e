/*
 * up_conn: one connection, one HTX session (up_conn.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/util.h>

#include "betanet/codec.h"
#include "betanet/err.h"
#include "betanet/htx_conn.h"
#include "betanet/log.h"
#include "up_bridge.h"
#include "up_conn.h"
#include "up_server.h"

static void conn_event(struct bn_htx_conn *, const struct bn_htx_event *,
    void *);
static void conn_pump(struct bn_htx_conn *, void *);
static void conn_close(struct bn_htx_conn *, const struct bn_htx_conn_close *,
    void *);

static void
format_peer(char *out, size_t outlen, const struct sockaddr *sa, int salen)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6 &&
	    (size_t)salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		if (evutil_inet_ntop(AF_INET6, &s6->sin6_addr, host,
		    sizeof(host)) == NULL)
			snprintf(host, sizeof(host), "?");
		snprintf(out, outlen, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET &&
	    (size_t)salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const void *)sa;

		if (evutil_inet_ntop(AF_INET, &s4->sin_addr, host,
		    sizeof(host)) == NULL)
			snprintf(host, sizeof(host), "?");
		snprintf(out, outlen, "%s:%u", host, ntohs(s4->sin_port));
	} else
		snprintf(out, outlen, "unknown");
}

struct up_conn *
up_conn_new(struct up_server *srv, evutil_socket_t fd,
    const struct sockaddr *sa, int salen, int legacy)
{
	struct bn_htx_conn_opts o;
	struct bn_htx_config hc;
	struct up_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	c->srv = srv;
	c->legacy = legacy != 0;
	c->id = ++srv->next_conn_id;
	c->opened_ms = up_now_ms();
	format_peer(c->peer, sizeof(c->peer), sa, salen);
	up_server_htx_config(srv, legacy, &hc);
	memset(&o, 0, sizeof(o));
	o.cfg = &hc;
	o.on_event = conn_event;
	o.on_pump = conn_pump;
	o.on_close = conn_close;
	o.arg = c;
	o.out_high = UP_OUT_HIGH;
	o.out_low = UP_OUT_LOW;
	o.in_high = UP_IN_HIGH;
	c->hc = bn_htx_conn_new(srv->base, fd, &o);	/* takes fd */
	bn_cleanse(hc.static_priv, sizeof(hc.static_priv));
	if (c->hc == NULL) {
		free(c);
		return NULL;
	}
	c->s = bn_htx_conn_session(c->hc);
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	srv->nprofile[BN_HTX_PROFILE_NONE]++;
	srv->ctr.sessions_total++;
	bn_log_event(BN_LOG_DEBUG, "conn_accept", "conn=%llu peer=%s "
	    "listener=%s", (unsigned long long)c->id, c->peer,
	    legacy ? "legacy" : "htx");
	return c;
}

void
up_conn_free(struct up_conn *c, const char *reason)
{
	struct up_server *srv;
	struct bn_htx_stats st;
	int code;

	if (c == NULL)
		return;
	srv = c->srv;
	bn_htx_session_stats(c->s, &st);
	code = bn_htx_session_close_code(c->s);
	if (c->close_reason[0] != '\0')
		reason = c->close_reason;
	bn_log_event(BN_LOG_INFO, "session_close", "conn=%llu peer=%s "
	    "profile=%s reason=%s code=%d age_ms=%llu requests=%llu "
	    "bytes_in=%llu bytes_out=%llu", (unsigned long long)c->id,
	    c->peer, bn_htx_profile_name(c->profile), reason, code,
	    (unsigned long long)(up_now_ms() - c->opened_ms),
	    (unsigned long long)c->requests,
	    (unsigned long long)st.bytes_in, (unsigned long long)st.bytes_out);
	srv->ctr.bytes_in += st.bytes_in;
	srv->ctr.bytes_out += st.bytes_out;
	up_bridge_free_all(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nconns--;
	srv->nprofile[c->profile]--;
	bn_htx_conn_free(c->hc);	/* deferred inside its callback */
	free(c);
	up_server_conn_gone(srv);
}

static int
allowed_gateway(const struct up_server *srv, const uint8_t *pub)
{
	size_t i;
	int ok = 0;

	if (srv->cfg->ngateways == 0)
		return 1;
	for (i = 0; i < srv->cfg->ngateways; i++)
		ok |= bn_ct_eq(srv->cfg->gateways[i], pub, BN_KEY_LEN);
	return ok;
}

static void
on_handshake(struct up_conn *c, const struct bn_htx_event *ev)
{
	struct up_server *srv = c->srv;
	char pubhex[2 * BN_KEY_LEN + 1];
	int weak = ev->profile != BN_HTX_PROFILE_NATIVE;

	srv->nprofile[c->profile]--;
	c->profile = ev->profile;
	srv->nprofile[c->profile]++;
	c->open = 1;
	memcpy(c->peer_pub, ev->peer_static, BN_KEY_LEN);
	bn_hex_encode(pubhex, c->peer_pub, BN_KEY_LEN);
	if (weak)
		srv->ctr.sessions_weak++;
	bn_log_event(BN_LOG_INFO, "session_open", "conn=%llu peer=%s "
	    "profile=%s%s client_pub=%s", (unsigned long long)c->id, c->peer,
	    bn_htx_profile_name(c->profile), weak ? " security=weak" : "",
	    pubhex);
	if (!allowed_gateway(srv, c->peer_pub)) {
		srv->ctr.gateways_rejected++;
		bn_log_event(BN_LOG_INFO, "gateway_reject", "conn=%llu "
		    "peer=%s client_pub=%s", (unsigned long long)c->id,
		    c->peer, pubhex);
		snprintf(c->close_reason, sizeof(c->close_reason),
		    "gateway_not_allowed");
		(void)bn_htx_session_close(c->s, BN_HTX_CLOSE_POLICY_REJECTED,
		    "gateway not allowed");
	}
}

static void
on_closed(struct up_conn *c, const struct bn_htx_event *ev)
{
	c->closed = 1;
	if (c->close_reason[0] != '\0')
		return;
	if (ev->by_peer)
		snprintf(c->close_reason, sizeof(c->close_reason),
		    "peer_close");
	else if (ev->err != BN_OK)
		snprintf(c->close_reason, sizeof(c->close_reason), "%s",
		    bn_strerror(ev->err));
	else
		snprintf(c->close_reason, sizeof(c->close_reason), "local");
	/* bn_strerror text may hold spaces: keep the log value one token. */
	for (char *p = c->close_reason; *p != '\0'; p++)
		if (*p == ' ' || *p == '=' || *p == '"')
			*p = '_';
}

static void
dispatch(struct up_conn *c, const struct bn_htx_event *ev)
{
	switch (ev->type) {
	case BN_HTX_EV_HANDSHAKE_DONE:
		on_handshake(c, ev);
		break;
	case BN_HTX_EV_MESSAGE:
		c->requests++;
		c->srv->ctr.requests++;
		up_bridge_message(c, ev->stream_id, ev->data, ev->len);
		break;
	case BN_HTX_EV_STREAM_RESET:
		up_bridge_reset(c, ev->stream_id, ev->err);
		break;
	case BN_HTX_EV_WRITABLE:
		up_bridge_pump(c);
		break;
	case BN_HTX_EV_CLOSED:
		on_closed(c, ev);
		break;
	default:
		break;
	}
}

static void
conn_event(struct bn_htx_conn *hc, const struct bn_htx_event *ev, void *arg)
{
	dispatch(arg, ev);
}

/* Once per pass, after the events: input pause and the drain's CLOSE. */
static void
conn_pump(struct bn_htx_conn *hc, void *arg)
{
	struct up_conn *c = arg;

	/*
	 * compat and legacy peers are not held back by flow control: stop
	 * taking their requests while max_streams answers are queued.
	 */
	bn_htx_conn_pause_input(hc, c->profile != BN_HTX_PROFILE_NATIVE &&
	    c->ntx >= (uint32_t)c->srv->cfg->max_streams);
	/* Drain: CLOSE once every answer is sealed and pulled (close()
	 * drops queued stream data); the drain timer bounds the wait. */
	if (c->draining && c->ntx == 0 &&
	    bn_htx_session_pending_output(c->s) == 0 &&
	    !bn_htx_session_is_closed(c->s)) {
		(void)bn_htx_session_close(c->s, BN_HTX_CLOSE_OK, "shutdown");
		snprintf(c->close_reason, sizeof(c->close_reason), "shutdown");
	}
}

static void
conn_close(struct bn_htx_conn *hc, const struct bn_htx_conn_close *why,
    void *arg)
{
	struct up_conn *c = arg;
	const char *r = bn_htx_conn_end_name(why->how);

	if (why->how == BN_HTX_CONN_END_EOF && !c->open)
		r = "eof_in_handshake";
	if (c->close_reason[0] == '\0')
		snprintf(c->close_reason, sizeof(c->close_reason), "%s", r);
	up_conn_free(c, r);
}

void
up_conn_run(struct up_conn *c)
{
	bn_htx_conn_run(c->hc);
}

void
up_conn_drain(struct up_conn *c)
{
	c->draining = 1;
	/* Closed and flushed is enough: the server is going away. */
	bn_htx_conn_skip_drain(c->hc);
	up_conn_run(c);
}

size_t
up_conn_memory(const struct up_conn *c)
{
	return sizeof(*c) + bn_htx_conn_memory(c->hc);
}
