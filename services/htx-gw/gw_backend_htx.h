/*
 * gw_backend_htx: the real backend of htx-gw -- pooled, multiplexed HTX
 * client sessions to upstreamd (WIRE.md §1-§4, §8).
 *
 * For: carrying each admitted request (gw_backend.h) as one BAR request
 * on its own stream of a native HTX session, and its BAR response back;
 * several upstreams, each with a bounded pool of sessions, each session
 * with a bounded number of concurrent streams; health (connect and
 * handshake failures, RTT from PING), ejection with capped exponential
 * backoff and jittered re-probing, choice of the healthiest upstream,
 * one retry elsewhere for idempotent requests whose session died before
 * any body byte was sent and before any answer came; compat upstreams
 * (the Python library's server) in the text form.
 * Not for: HTTP (the front), admission, the admin socket (gw_adminsock
 * reads the status through gw_backend_htx_status()).
 *
 * Bodies.  BAR puts the body inside the CBOR map, and deterministic CBOR
 * sorts "b" before "h", "m", "u" and "s", so:
 *  - a request body of known length streams: the map head and the
 *    body's length go first, then the body as the front hands it over
 *    (GW_BE_FULL above max_pending bytes waiting for session credit),
 *    then h, m, u.  A chunked request body (length unknown) is collected
 *    whole first -- bounded by the front's max_body -- since its length
 *    must come before it;
 *  - a response's status and headers come after its body, so the body
 *    cannot be passed on before the status is known.  It is spooled: in
 *    memory up to spool_mem bytes per request, then in an unlinked file
 *    in spool_dir (at most max_response bytes, else 502).  Once the map
 *    is whole the head goes to the front and the body follows from the
 *    spool, paced by pause().  Gateway memory per request stays bounded
 *    by spool_mem + max_pending + the session's windows.
 *
 * Ownership: the backend copies its options and upstream list; it owns
 * its sessions, requests, spool files and timers, all freed by ops->free.
 */
#ifndef GW_BACKEND_HTX_H
#define GW_BACKEND_HTX_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/crypto.h"
#include "gw_backend.h"

#define GW_HTX_NAME_MAX	80	/* "host:port" */

struct gw_htx_upstream {
	char		 host[256];
	uint16_t	 port;
	uint8_t		 pub[BN_KEY_LEN];
	int		 compat;	/* the Python library's server */
};

struct gw_htx_opts {
	uint8_t		 static_priv[BN_KEY_LEN];	/* our gateway key */
	uint32_t	 max_streams;		/* per session (default 64) */
	uint32_t	 max_sessions;		/* per upstream (default 8) */
	uint64_t	 connect_timeout_ms;	/* connect + handshake (5 s) */
	uint64_t	 idle_timeout_ms;	/* unused session closed (60 s) */
	uint64_t	 ping_interval_ms;	/* keepalive PING (5 s) */
	uint64_t	 response_timeout_ms;	/* silence from upstream (30 s) */
	uint32_t	 eject_base_ms;		/* first re-probe (500 ms) */
	uint32_t	 eject_cap_ms;		/* (30 s) */
	size_t		 max_pending;		/* request bytes queued (256 KiB) */
	size_t		 spool_mem;		/* per response (1 MiB) */
	uint64_t	 max_response;		/* spooled bytes (4 GiB) */
	const char	*spool_dir;		/* NULL: $TMPDIR or /tmp */
};

/* Defaults as documented above; the key is left zero. */
void	gw_htx_opts_default(struct gw_htx_opts *o);

/* NULL on a bad address or out of memory.  Nothing connects yet. */
struct gw_backend *gw_backend_htx_new(struct event_base *base,
	    const struct gw_htx_opts *o, const struct gw_htx_upstream *ups,
	    size_t nups);

/*
 * Reload: upstreams in the new list (same host, port and key) are kept
 * with their sessions; new ones are added; the others drain and go.
 */
int	gw_backend_htx_set_upstreams(struct gw_backend *be,
	    const struct gw_htx_upstream *ups, size_t nups);
/* Stop sending new requests to "host:port"; BN_ERR_NOT_FOUND if none. */
int	gw_backend_htx_drain_upstream(struct gw_backend *be, const char *name);
/* Drain every upstream (SIGTERM); in-flight requests finish. */
void	gw_backend_htx_drain_all(struct gw_backend *be);

enum gw_htx_up_state {
	GW_HTX_UP_HEALTHY,
	GW_HTX_UP_EJECTED,	/* failing; re-probed after a backoff */
	GW_HTX_UP_DRAINING,	/* no new requests */
};

struct gw_htx_up_status {
	char		 name[GW_HTX_NAME_MAX];
	enum gw_htx_up_state state;
	int64_t		 rtt_ms;	/* -1: not measured yet */
	uint32_t	 sessions;
	uint64_t	 inflight;
	uint64_t	 failures;	/* connect/handshake/session losses */
	uint64_t	 requests;	/* sent to it in total */
};

/* Fill up to max entries; returns the number of upstreams. */
size_t	gw_backend_htx_status(const struct gw_backend *be,
	    struct gw_htx_up_status *out, size_t max);
const char *gw_htx_up_state_name(enum gw_htx_up_state s);

#endif /* GW_BACKEND_HTX_H */
