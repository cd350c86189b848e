/*
 * gw_http: the HTTP/1.1 front of htx-gw: listeners, client connections,
 * timeouts, admission hand-off and response writing.
 *
 * For: accepting clients on one or more addresses (SO_REUSEPORT when
 * asked, so several gateway processes share a port), running each connection
 * through gw_request's parser, admission (gw_admit) and a backend
 * (gw_backend.h), and writing the responses back in request order.
 * Not for: parsing (gw_request), ticket logic (gw_admit), reaching
 * upstreams (the backend).
 *
 * Ownership: the server owns its listeners and connections.  The
 * backend and the admission object are lent by main() and must outlive
 * the server.  Single-threaded: everything runs on one event_base.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "gw_backend.h"
#include "gw_request.h"

struct event_base;
struct gw_admit;
struct gw_server;

/* adm NULL: admission off (--tickets off).  lim is copied. */
struct gw_server *gw_server_new(struct event_base *base,
	    const struct gw_limits *lim, struct gw_backend *be,
	    struct gw_admit *adm);
/*
 * Listen on host:port (numeric or a name; port 0 picks one) with
 * SO_REUSEADDR, SO_REUSEPORT only when reuse_port (workers, or several
 * gateways on purpose: otherwise a port already in use is an error, not
 * a silent share with whoever holds it), IPV6_V6ONLY for IPv6, and log
 * `event=listening addr=HOST:PORT` with the port actually bound.
 * BN_OK, BN_ERR_SYSTEM (logged), BN_ERR_LIMIT (too many listeners).
 */
int	gw_server_listen(struct gw_server *s, const char *host,
	    uint16_t port, int reuse_port);
/* New limits for requests from now on (SIGHUP). */
void	gw_server_set_limits(struct gw_server *s, const struct gw_limits *lim);
/*
 * Stop accepting, close idle connections, let the others finish their
 * current exchange with Connection: close; done(arg) once none is left
 * (maybe at once, never from inside this call... except when there are
 * no connections: then it is called before returning).
 */
void	gw_server_drain(struct gw_server *s, void (*done)(void *), void *arg);
size_t	gw_server_nconns(const struct gw_server *s);
/* Drops every connection at once. */
void	gw_server_free(struct gw_server *s);

#endif /* GW_HTTP_H */
