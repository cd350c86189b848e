/*
 * up_listener: the TCP listeners (--listen, --listen-legacy), IPv4 and
 * IPv6, each handing accepted sockets to up_conn.
 *
 * For: binding, accepting, refusing past max_sessions (closed at once
 * and counted), and stopping on drain.  Not for: sessions.  The server
 * owns the list; up_listener_free_all() closes them all.
 */
#ifndef UP_LISTENER_H
#define UP_LISTENER_H

#include <stddef.h>

struct up_server;
struct up_listener;

/* Bind HOST:PORT ("[::1]:443" for IPv6); logs event=listening. */
int	up_listener_add(struct up_server *srv, const char *addr, int legacy,
	    char *errbuf, size_t errlen);
void	up_listener_disable_all(struct up_server *srv);
void	up_listener_free_all(struct up_server *srv);

#endif /* UP_LISTENER_H */
