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

#include <stddef.h>
#include <stdint.h>

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
struct Betanet__Htxgw__HtxGwRequest;

enum gw_admin_kind {
	GW_ADMIN_STATUS,
	GW_ADMIN_DRAIN,
	GW_ADMIN_RELOAD,
	GW_ADMIN_UNKNOWN,
};

/*
 * One admin frame, decoded and checked as far as it can be without the
 * gateway's state.  addr (DRAIN) points into m.  err is 0, or the
 * Betanet__ErrorCode it is answered with (err_text, static).
 */
struct gw_admin_req {
	struct Betanet__Htxgw__HtxGwRequest *m;	/* owned */
	uint64_t		 id;		/* header.id, or 0 */
	enum gw_admin_kind	 kind;
	const char		*addr;
	int			 err;
	const char		*err_text;
};

/*
 * Decode one frame (what the socket runs on each): BN_OK when it is an
 * HtxGwRequest (r->err may be set), then free r with
 * gw_adminsock_req_clear(); BN_ERR_MALFORMED when it is not.  Pure.
 */
int	gw_adminsock_decode(struct gw_admin_req *r, const uint8_t *p,
	    size_t len);
void	gw_adminsock_req_clear(struct gw_admin_req *r);

/* Listen on path (mode 0660); NULL on failure (logged). */
struct gw_adminsock *gw_adminsock_new(struct event_base *base,
	    const char *path, const struct gw_adminsock_ctx *ctx);
void	gw_adminsock_free(struct gw_adminsock *a);

#endif /* GW_ADMINSOCK_H */
