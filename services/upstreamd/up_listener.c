/*
 * up_listener: TCP listeners (up_listener.h).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "betanet/config.h"
#include "betanet/err.h"
#include "betanet/log.h"
#include "up_conn.h"
#include "up_listener.h"
#include "up_server.h"

struct up_listener {
	struct up_listener	*next;
	struct up_server	*srv;
	struct evconnlistener	*lev;
	int			 legacy;
	char			 addr[BN_CONFIG_HOST_MAX + 16];
};

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct up_listener *l = arg;
	struct up_server *srv = l->srv;

	if (srv->draining) {
		evutil_closesocket(fd);
		return;
	}
	if (srv->nconns >= (size_t)srv->cfg->max_sessions) {
		srv->ctr.sessions_refused++;
		bn_log_event(BN_LOG_WARN, "session_refused", "reason=max_sessions"
		    " limit=%lld", (long long)srv->cfg->max_sessions);
		evutil_closesocket(fd);
		return;
	}
	/* up_conn (htx_conn) sets TCP_NODELAY. */
	if (up_conn_new(srv, fd, sa, salen, l->legacy) == NULL)
		bn_log_event(BN_LOG_ERROR, "conn_alloc", "reason=no_memory");
}

static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct up_listener *l = arg;

	/* EMFILE and the like: keep listening, the next accept may work. */
	bn_log_event(BN_LOG_WARN, "accept_error", "addr=%s errno=%d",
	    l->addr, EVUTIL_SOCKET_ERROR());
}

int
up_listener_add(struct up_server *srv, const char *addr, int legacy,
    char *errbuf, size_t errlen)
{
	struct bn_config_addr ca;
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct up_listener *l;
	socklen_t sl;

	if (bn_config_parse_addr(addr, &ca) != BN_OK) {
		snprintf(errbuf, errlen, "upstreamd.listen: %s: must be "
		    "HOST:PORT", addr);
		return BN_ERR_CONFIG;
	}
	memset(&ss, 0, sizeof(ss));
	if (evutil_inet_pton(AF_INET, ca.host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ca.port);
		sl = sizeof(*s4);
	} else if (evutil_inet_pton(AF_INET6, ca.host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ca.port);
		sl = sizeof(*s6);
	} else {
		snprintf(errbuf, errlen, "upstreamd.listen: %s: host must be "
		    "an IPv4 or IPv6 address", addr);
		return BN_ERR_CONFIG;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return BN_ERR_ALLOC;
	}
	l->srv = srv;
	l->legacy = legacy;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	l->lev = evconnlistener_new_bind(srv->base, on_accept, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&ss, (int)sl);
	if (l->lev == NULL) {
		snprintf(errbuf, errlen, "listen %s: %s", addr,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		free(l);
		return BN_ERR_SYSTEM;
	}
	evconnlistener_set_error_cb(l->lev, on_accept_error);
	l->next = srv->listeners;
	srv->listeners = l;
	bn_log_event(BN_LOG_INFO, "listening", "addr=%s proto=%s pub=%s",
	    addr, legacy ? "legacy11" : "htx", srv->node_pub_hex);
	return BN_OK;
}

void
up_listener_disable_all(struct up_server *srv)
{
	struct up_listener *l;

	for (l = srv->listeners; l != NULL; l = l->next)
		evconnlistener_disable(l->lev);
}

void
up_listener_free_all(struct up_server *srv)
{
	struct up_listener *l, *next;

	for (l = srv->listeners; l != NULL; l = next) {
		next = l->next;
		evconnlistener_free(l->lev);
		free(l);
	}
	srv->listeners = NULL;
}
