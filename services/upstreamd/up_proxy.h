/*
 * up_proxy: reverse proxy of a local HTTP/1.1 origin for the paths no
 * route handles (origin: http://127.0.0.1:PORT).
 *
 * For: sending one app request to the origin over a small pool of
 * keep-alive connections (libevent's evhttp client: the origin is local
 * and configured by the operator) and handing back the origin's status,
 * headers and body as a struct bn_app_response.  The body is bounded by
 * max_body (upstreamd's max_message), its header block by
 * UP_PROXY_MAX_HEADERS; hop-by-hop headers are dropped both ways.  What
 * goes to the origin cannot break its framing: a target that is not
 * visible ASCII is refused and a header whose name is not a token or
 * whose value holds a control byte (CR, LF, NUL...) is dropped.
 * Not for: untrusted origins or TLS.
 *
 * Ownership: a request handle is valid until done() is called or
 * up_proxy_cancel() is called, whichever is first; done() is called at
 * most once, never from inside up_proxy_send().
 */
#ifndef UP_PROXY_H
#define UP_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"

struct event_base;
struct up_proxy;
struct up_proxy_req;

#define UP_PROXY_POOL	8	/* origin connections */
#define UP_PROXY_MAX_HEADERS	(64 * 1024)	/* origin's header block */

/* resp is filled (502/504 on failure); the callee may take its body. */
typedef void (*up_proxy_done_fn)(void *arg, struct bn_app_response *resp);

/* origin "http://HOST:PORT"; NULL with errbuf on a bad URL. */
struct up_proxy *up_proxy_new(struct event_base *base, const char *origin,
	    size_t max_body, uint64_t timeout_ms, char *errbuf,
	    size_t errlen);
void	up_proxy_free(struct up_proxy *p);
/* NULL when the request cannot be sent now (the caller answers 502). */
struct up_proxy_req *up_proxy_send(struct up_proxy *p,
	    const struct bn_app_request *req, up_proxy_done_fn done,
	    void *arg);
/* The requester is gone: done() will not be called. */
void	up_proxy_cancel(struct up_proxy_req *r);

#endif /* UP_PROXY_H */
