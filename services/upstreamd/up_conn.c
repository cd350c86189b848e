/*
 * up_conn: one connection, one HTX session (up_conn.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/err.h"
#include "betanet/log.h"
#include "up_bridge.h"
#include "up_conn.h"
#include "up_server.h"

#define UP_PULL_CHUNK	(64u << 10)

static void conn_read_cb(struct bufferevent *, void *);
static void conn_write_cb(struct bufferevent *, void *);
static void conn_event_cb(struct bufferevent *, short, void *);
static void conn_timer_cb(evutil_socket_t, short, void *);
static void arm_timer(struct up_conn *, uint64_t);

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
	struct bn_htx_config hc;
	struct up_conn *c;
	uint64_t now = up_now_ms();

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->srv = srv;
	c->legacy = legacy != 0;
	c->id = ++srv->next_conn_id;
	c->opened_ms = now;
	format_peer(c->peer, sizeof(c->peer), sa, salen);
	up_server_htx_config(srv, legacy, &hc);
	c->s = bn_htx_session_new(&hc, now);
	bn_cleanse(hc.static_priv, sizeof(hc.static_priv));
	if (c->s == NULL)
		goto fail;
	if ((c->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	fd = -1;
	if ((c->timer = evtimer_new(srv->base, conn_timer_cb, c)) == NULL)
		goto fail;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, UP_IN_HIGH);
	bufferevent_setwatermark(c->bev, EV_WRITE, UP_OUT_LOW, 0);
	/* EV_WRITE only while bytes wait for the socket: see write_out(). */
	if (bufferevent_enable(c->bev, EV_READ) != 0)
		goto fail;
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
	arm_timer(c, now);	/* the handshake timeout */
	return c;
 fail:
	if (c != NULL) {
		if (c->timer != NULL)
			event_free(c->timer);
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		bn_htx_session_free(c->s);
		free(c);
	}
	if (fd >= 0)
		evutil_closesocket(fd);
	return NULL;
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
	event_free(c->timer);
	bufferevent_free(c->bev);
	bn_htx_session_free(c->s);
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
		snprintf(c->close_reason, sizeof(c->close_reason), "peer_close");
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

/* Socket -> session; 1 when bytes moved. */
static int
feed_input(struct up_conn *c, uint64_t now)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	size_t acc = 0;
	int r;

	if (evbuffer_get_length(in) == 0)
		return 0;
	/*
	 * compat and legacy peers are not held back by flow control: stop
	 * taking their requests while max_streams answers are queued.
	 */
	if (c->profile != BN_HTX_PROFILE_NATIVE &&
	    c->ntx >= (uint32_t)c->srv->cfg->max_streams)
		return 0;
	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
		return 0;
	r = bn_htx_session_feed(c->s, v.iov_base, v.iov_len, now, &acc);
	if (r == BN_ERR_CLOSED) {
		/* Nothing more will be read: drop what the peer sends. */
		evbuffer_drain(in, evbuffer_get_length(in));
		return 0;
	}
	if (acc > 0)
		evbuffer_drain(in, acc);
	return acc > 0;
}

static int
drain_events(struct up_conn *c, uint64_t now)
{
	struct bn_htx_event ev;
	int any = 0;

	while (!c->dead && bn_htx_session_next_event(c->s, &ev, now) == 1) {
		dispatch(c, &ev);
		any = 1;
	}
	return any;
}

/* Session -> output evbuffer, up to UP_OUT_HIGH; 1 when bytes moved. */
static int
flush_output(struct up_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec v;
	struct bn_buf b;
	size_t n;
	int any = 0;

	while (evbuffer_get_length(out) < UP_OUT_HIGH &&
	    bn_htx_session_pending_output(c->s) > 0) {
		if (evbuffer_reserve_space(out, UP_PULL_CHUNK, &v, 1) < 1)
			break;
		bn_buf_fixed(&b, v.iov_base, v.iov_len);
		n = 0;
		(void)bn_htx_session_pull(c->s, &b, v.iov_len, &n);
		v.iov_len = n;
		evbuffer_commit_space(out, &v, 1);
		if (n == 0)
			break;
		any = 1;
	}
	return any;
}

/*
 * Write the output evbuffer now instead of on the next loop iteration:
 * one write per answer instead of an epoll_ctl, an epoll_wait, the
 * write and another epoll_ctl.  What the socket does not take is left
 * to the bufferevent (EV_WRITE on until it drains; a socket error shows
 * up there as BEV_EVENT_ERROR).  1 when bytes left.
 */
static int
write_out(struct up_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	int n, any = 0, want;

	/* A socket bufferevent keeps its output's start frozen but for
	 * its own write callback: thaw it the same way for this write. */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0) {
		if ((n = evbuffer_write(out, fd)) > 0) {
			any = 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	evbuffer_freeze(out, 1);
	want = evbuffer_get_length(out) > 0;
	if (want != ((bufferevent_get_enabled(c->bev) & EV_WRITE) != 0)) {
		if (want)
			(void)bufferevent_enable(c->bev, EV_WRITE);
		else
			(void)bufferevent_disable(c->bev, EV_WRITE);
	}
	return any;
}

static void
arm_timer(struct up_conn *c, uint64_t now)
{
	uint64_t at = bn_htx_session_next_timeout(c->s);
	struct timeval tv;

	if (at == UINT64_MAX) {
		evtimer_del(c->timer);
		return;
	}
	at = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(at / 1000);
	tv.tv_usec = (suseconds_t)(at % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* Closed, flushed (and drained, unless the server is going away). */
static int
finished(struct up_conn *c, uint64_t now)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (!bn_htx_session_is_closed(c->s))
		return 0;
	if (bn_htx_session_pending_output(c->s) > 0 ||
	    evbuffer_get_length(out) > 0) {
		/* Be told when the last byte has left. */
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		return 0;
	}
	return c->srv->draining || bn_htx_session_done(c->s, now);
}

void
up_conn_run(struct up_conn *c)
{
	uint64_t now;
	int progress;

	if (c->running) {
		c->again = 1;
		return;
	}
	c->running = 1;
	do {
		c->again = 0;
		now = up_now_ms();
		do {
			progress = feed_input(c, now);
			progress |= drain_events(c, now);
			if (c->dead)
				break;
			progress |= flush_output(c);
			progress |= write_out(c);
		} while (progress && !c->dead);
	} while (c->again && !c->dead);
	c->running = 0;
	/* Drain: CLOSE once every answer is sealed and pulled (close()
	 * drops queued stream data); the drain timer bounds the wait. */
	if (!c->dead && c->draining && c->ntx == 0 &&
	    bn_htx_session_pending_output(c->s) == 0 &&
	    !bn_htx_session_is_closed(c->s)) {
		(void)bn_htx_session_close(c->s, BN_HTX_CLOSE_OK, "shutdown");
		snprintf(c->close_reason, sizeof(c->close_reason), "shutdown");
		(void)drain_events(c, now);
		(void)flush_output(c);
		(void)write_out(c);
	}
	if (c->dead || finished(c, now)) {
		up_conn_free(c, "closed");
		return;
	}
	arm_timer(c, now);
}

void
up_conn_drain(struct up_conn *c)
{
	c->draining = 1;
	up_conn_run(c);
}

size_t
up_conn_memory(const struct up_conn *c)
{
	return sizeof(*c) + bn_htx_session_memory(c->s) +
	    evbuffer_get_length(bufferevent_get_input(c->bev)) +
	    evbuffer_get_length(bufferevent_get_output(c->bev));
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	up_conn_run(arg);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	up_conn_run(arg);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct up_conn *c = arg;

	(void)bn_htx_session_tick(c->s, up_now_ms());
	up_conn_run(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct up_conn *c = arg;
	const char *why = "eof";

	if (what & BEV_EVENT_ERROR)
		why = "socket_error";
	else if (!c->open)
		why = "eof_in_handshake";
	if (c->close_reason[0] == '\0')
		snprintf(c->close_reason, sizeof(c->close_reason), "%s", why);
	up_conn_free(c, why);
}
