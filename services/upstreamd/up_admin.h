/*
 * up_admin: upstreamd.sock, the admin service (proto/upstreamd.proto):
 * Status, ReloadApp (as SIGHUP) and ListSessions, served through
 * libcommon's ipc server (WIRE.md §10).
 *
 * For: decoding requests, reading the server's state, encoding replies.
 * Not for: changing sessions.  The socket is made 0660.
 */
#ifndef UP_ADMIN_H
#define UP_ADMIN_H

struct up_server;
struct up_admin;
struct event_base;

struct up_admin *up_admin_new(struct up_server *srv,
	    struct event_base *base, const char *path);
void	up_admin_free(struct up_admin *a);

#endif /* UP_ADMIN_H */
