/*
 * td_replay_redis: the shared replay / spent store on Redis (see
 * td_replay.h).
 *
 * One key per entry, `<prefix><80 hex digits>`, set with
 * `SET key 1 NX PX ttl`: Redis runs commands one at a time, so of two
 * ticketd processes racing on the same key exactly one gets "OK" and the
 * other nil.  Commands go through hiredis' async API on our libevent
 * loop (hiredis/adapters/libevent.h), so a slow Redis never blocks other
 * clients.  How durable an "OK" is depends on Redis' own persistence
 * (appendonly + appendfsync); ticketd's promise is only as good as that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "betanet/backoff.h"
#include "betanet/codec.h"
#include "betanet/err.h"
#include "betanet/log.h"
#include "td_replay.h"

#define PREFIX_MAX	16

struct rredis {
	struct event_base	*base;
	char			 host[256];
	int			 port;
	char			 prefix[PREFIX_MAX];
	redisAsyncContext	*ac;
	int			 connected;
	int			 freeing;
	struct bn_backoff	 bo;
	struct event		*retry_ev;
	size_t			 pending;
	struct td_replay_stats	 st;
};

struct rcall {
	struct rredis		*r;
	td_replay_done_fn	 done;
	void			*arg;
};

static void start_connect(struct rredis *r);

static void
schedule_retry(struct rredis *r)
{
	uint32_t ms = bn_backoff_next_ms(&r->bo);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!r->freeing)
		event_add(r->retry_ev, &tv);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	start_connect(arg);
}

static void
connect_cb(const redisAsyncContext *ac, int status)
{
	struct rredis *r = ac->data;

	if (status != REDIS_OK) {
		bn_log_event(BN_LOG_WARN, "redis_connect_fail", "port=%d "
		    "err=%d", r->port, ac->err);
		r->ac = NULL;		/* hiredis frees it */
		schedule_retry(r);
		return;
	}
	r->connected = 1;
	bn_backoff_reset(&r->bo);
	bn_log_event(BN_LOG_INFO, "redis_connected", "port=%d prefix=%s",
	    r->port, r->prefix);
}

static void
disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct rredis *r = ac->data;

	r->ac = NULL;
	r->connected = 0;
	if (r->freeing)
		return;
	bn_log_event(BN_LOG_WARN, "redis_disconnected", "port=%d",
	    r->port);
	schedule_retry(r);
}

static void
start_connect(struct rredis *r)
{
	redisAsyncContext *ac;

	if ((ac = redisAsyncConnect(r->host, r->port)) == NULL ||
	    ac->err != 0) {
		if (ac != NULL)
			redisAsyncFree(ac);
		schedule_retry(r);
		return;
	}
	ac->data = r;
	r->ac = ac;
	redisLibeventAttach(ac, r->base);
	redisAsyncSetConnectCallback(ac, connect_cb);
	redisAsyncSetDisconnectCallback(ac, disconnect_cb);
}

static void
reply_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rcall *c = privdata;
	struct rredis *r = c->r;
	redisReply *rep = reply;
	int res = TD_REPLAY_FAIL;

	r->pending--;
	if (rep != NULL && rep->type == REDIS_REPLY_STATUS &&
	    strcmp(rep->str, "OK") == 0) {
		res = TD_REPLAY_NEW;
		r->st.records++;
	} else if (rep != NULL && rep->type == REDIS_REPLY_NIL)
		res = TD_REPLAY_SEEN;
	else if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		bn_log_event(BN_LOG_ERROR, "redis_error", "len=%zu",
		    (size_t)rep->len);
	c->done(res, c->arg);
	free(c);
}

static int
redis_insert(void *impl, const uint8_t *key, uint64_t expiry, uint64_t now,
    td_replay_done_fn done, void *arg)
{
	struct rredis *r = impl;
	char k[PREFIX_MAX + bn_hex_enc_len(TD_REPLAY_KEY_LEN)];
	struct rcall *c;
	size_t plen = strlen(r->prefix);

	if (!r->connected || r->ac == NULL || expiry <= now)
		return TD_REPLAY_FAIL;
	memcpy(k, r->prefix, plen);
	bn_hex_encode(k + plen, key, TD_REPLAY_KEY_LEN);
	if ((c = malloc(sizeof(*c))) == NULL)
		return TD_REPLAY_FAIL;
	*c = (struct rcall){ r, done, arg };
	if (redisAsyncCommand(r->ac, reply_cb, c, "SET %s 1 NX PX %llu", k,
	    (unsigned long long)(expiry - now) * 1000) != REDIS_OK) {
		free(c);
		return TD_REPLAY_FAIL;
	}
	r->pending++;
	r->st.commits++;
	return TD_REPLAY_PENDING;
}

static void
redis_stats(const void *impl, struct td_replay_stats *st)
{
	*st = ((const struct rredis *)impl)->st;
}

static size_t
redis_pending(const void *impl)
{
	return ((const struct rredis *)impl)->pending;
}

static void
redis_free(void *impl)
{
	struct rredis *r = impl;

	if (r == NULL)
		return;
	r->freeing = 1;
	if (r->ac != NULL)
		redisAsyncFree(r->ac);	/* fails what is pending */
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	free(r);
}

static const struct td_replay_ops redis_ops = {
	.name = "redis",
	.insert = redis_insert,
	.seen = NULL,
	.stats = redis_stats,
	.pending = redis_pending,
	.compact = NULL,
	.free = redis_free,
};

/* redis://HOST:PORT, HOST an IPv4/IPv6 literal ([...]) or a name. */
static int
parse_url(struct rredis *r, const char *url)
{
	const char *p, *colon;
	char *end;
	long port;
	size_t hlen;

	if (strncmp(url, "redis://", 8) != 0)
		return -1;
	p = url + 8;
	if (*p == '[') {
		if ((colon = strchr(p, ']')) == NULL || colon[1] != ':')
			return -1;
		hlen = (size_t)(colon - p - 1);
		p++;
		colon++;
	} else {
		if ((colon = strrchr(p, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - p);
	}
	if (hlen == 0 || hlen >= sizeof(r->host))
		return -1;
	memcpy(r->host, p, hlen);
	r->host[hlen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || (*end != '\0' && *end != '/') || port < 1 ||
	    port > 65535)
		return -1;
	r->port = (int)port;
	return 0;
}

struct td_replay *
td_replay_redis_new(struct event_base *base, const char *url,
    const char *prefix, char *errbuf, size_t errlen)
{
	struct rredis *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(errbuf, errlen, "redis: out of memory");
		return NULL;
	}
	r->base = base;
	if (parse_url(r, url) != 0 || strlen(prefix) >= PREFIX_MAX) {
		snprintf(errbuf, errlen, "ticketd.replay_url: must be "
		    "redis://HOST:PORT");
		free(r);
		return NULL;
	}
	snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
	bn_backoff_init(&r->bo, 100, 5000);
	if ((r->retry_ev = evtimer_new(base, retry_cb, r)) == NULL) {
		snprintf(errbuf, errlen, "redis: out of memory");
		free(r);
		return NULL;
	}
	start_connect(r);
	return td_replay_wrap(&redis_ops, r);
}
