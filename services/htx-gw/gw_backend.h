/*
 * gw_backend: what the HTTP front hands an admitted request to, and how
 * the answer comes back.
 *
 * For: one small interface between the front (gw_http.c) and whatever
 * carries a request to an application: the pooled HTX sessions to
 * upstreamd (the real backend, gw_backend_htx, written separately) or
 * the in-process echo app of gw_backend_local.c (tests and development
 * only: `--backend echo`).
 * Not for: HTTP framing (the front owns Content-Length/chunked, hop-by-hop
 * headers, Date, Server, keep-alive) or admission (gw_admit).
 *
 * Flow of one request:
 *
 *   front                               backend
 *   r = ops->start(be, &req, &cb, arg)  copies what it needs from req
 *   ops->body(r, p, n) ...               BN_OK, or GW_BE_FULL: the front
 *                                        stops reading the client until
 *                                        cb.on_writable()
 *   ops->end(r)                          request body complete
 *                                        cb.on_head(status, headers, len)
 *                                        cb.on_body(p, n) ...
 *   ops->pause(r, 1) / (r, 0)            front's output to the client is
 *                                        backed up / drained: no on_body
 *                                        while paused
 *                                        cb.on_end() or cb.on_error(kind)
 *
 * Rules that keep both sides simple:
 * - A backend never calls a callback from inside one of its ops (it
 *   defers through the event loop), so the front never re-enters itself.
 * - After on_end() or on_error() the handle is gone: the front must not
 *   use r again.  on_error() may come at any time, also before on_head()
 *   (then the front answers 502 for GW_BE_ERR_NO_UPSTREAM, 504 for
 *   GW_BE_ERR_TIMEOUT, 502 otherwise) or after it (then the front can
 *   only cut the client connection).
 * - ops->cancel(r) is the front giving up (client gone, timeouts): the
 *   backend frees r and calls nothing more for it.
 * - Pointers passed into start(), body() and the callbacks are valid only
 *   during that call.  The response status is passed verbatim (a 404 from
 *   the app stays 404).
 * - Request bodies and response bodies stream: neither side may need a
 *   whole body in memory (the echo backend does, bounded by the front's
 *   body limit, which is fine for a test app).
 */
#ifndef GW_BACKEND_H
#define GW_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* One header line, not NUL-terminated. */
struct gw_hdr {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
};

/* An admitted request as it is forwarded (ticket already removed). */
struct gw_fwd_req {
	const char		*method;	/* "GET", ... (NUL-terminated) */
	const char		*target;	/* origin-form, may hold a query */
	size_t			 target_len;
	const struct gw_hdr	*hdrs;	/* end-to-end headers only */
	size_t			 nhdrs;
	int64_t			 content_length; /* -1: unknown (chunked) */
	const char		*client_ip;	/* NUL-terminated */
	uint64_t		 conn_id;	/* for logs */
	int			 idempotent; /* may be retried elsewhere */
};

enum gw_be_err {
	GW_BE_ERR_NO_UPSTREAM = 1,	/* none reachable: 502 */
	GW_BE_ERR_TIMEOUT,		/* upstream too slow: 504 */
	GW_BE_ERR_UPSTREAM,		/* upstream broke the exchange: 502 */
	GW_BE_ERR_INTERNAL,		/* our own fault: 500 */
};

/* body(): accepted, but stop sending until on_writable(). */
#define GW_BE_FULL	1

struct gw_bereq;

struct gw_bereq_cb {
	/* Response head.  content_length -1: unknown length (stream). */
	void	(*on_head)(void *arg, int status, const struct gw_hdr *h,
		    size_t nh, int64_t content_length);
	void	(*on_body)(void *arg, const uint8_t *p, size_t n);
	void	(*on_end)(void *arg);
	void	(*on_error)(void *arg, enum gw_be_err kind);
	/* After body() said GW_BE_FULL: more request body may come. */
	void	(*on_writable)(void *arg);
};

struct gw_backend;

struct gw_backend_ops {
	const char	*name;
	/* NULL on failure (then the front answers 500). */
	struct gw_bereq	*(*start)(struct gw_backend *be,
			    const struct gw_fwd_req *req,
			    const struct gw_bereq_cb *cb, void *arg);
	/* BN_OK, GW_BE_FULL, or a negative code (front cancels). */
	int		 (*body)(struct gw_bereq *r, const uint8_t *p,
			    size_t n);
	int		 (*end)(struct gw_bereq *r);
	void		 (*pause)(struct gw_bereq *r, int paused);
	void		 (*cancel)(struct gw_bereq *r);
	/* Requests in flight (for Status and drain). */
	size_t		 (*inflight)(const struct gw_backend *be);
	void		 (*free)(struct gw_backend *be);
};

/* Every backend starts with this, so the front can find its ops. */
struct gw_backend {
	const struct gw_backend_ops	*ops;
};

/*
 * The echo app (gw_backend_local.c), for tests and development only:
 * answers every request 200 text/plain with its method, target,
 * headers and body, as
 *   method=GET\ntarget=/x?y\nheader=name: value\n...\nbody-length=N\n\n
 * followed by the body bytes.  Special targets, so the front's status
 * and streaming paths can be tested without HTX: /status/NNN answers
 * NNN; /bytes/N answers N bytes of 'x' (chunked, no Content-Length);
 * /error/502 and /error/504 fail the request with those kinds; a
 * delay=MS query parameter delays the answer.
 */
struct gw_backend *gw_backend_echo_new(struct event_base *base);

#endif /* GW_BACKEND_H */
