/*
 * gw_adminsock: htx-gw's admin socket, htx-gw.sock (WIRE.md §10,
 * proto/htxgw.proto).
 *
 * For: GetStatus (HTTP connections, requests in flight, per-upstream
 * health from gw_backend_htx_status()), DrainUpstream, ReloadConfig (the
 * same reload as SIGHUP, through the callback main.c gives).
 * Not for: deciding anything; it reads and forwards.
 *
 * Ownership: the context is copied; the server, backend and callback
 * must outlive the admin socket.  be may be NULL (echo backend: no
 * upstreams to show or drain).
 */
#ifndef GW_ADMINSOCK_H
#define GW_ADMINSOCK_H

struct event_base;
struct gw_server;
struct gw_backend;

struct gw_adminsock_ctx {
	struct gw_server	*srv;
	struct gw_backend	*be;		/* HTX backend, or NULL */
	int			(*reload)(void *arg);	/* BN_OK or error */
	void			*reload_arg;
};

struct gw_adminsock;

/* Listen on path (mode 0660); NULL on failure (logged). */
struct gw_adminsock *gw_adminsock_new(struct event_base *base,
	    const char *path, const struct gw_adminsock_ctx *ctx);
void	gw_adminsock_free(struct gw_adminsock *a);

#endif /* GW_ADMINSOCK_H */
