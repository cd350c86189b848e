/*
 * htx_conn: one HTX session on one stream socket, driven by libevent --
 * the session glue of CONVENTIONS.md ("only edge modules own
 * bufferevents").  upstreamd's connections and htx-gw's pooled sessions
 * both run on it.
 *
 * For: moving bytes and time between a bufferevent and a
 * bn_htx_session (htx_session.h is pure and knows neither):
 *  - input: the socket is read up to in_high bytes; they are fed to the
 *    session as far as it accepts them, and reading stops while it does
 *    not (backpressure: the session takes bytes only as its windows
 *    allow), or while the owner pauses input;
 *  - events: every session event goes to on_event; the owner handles
 *    MESSAGE, STREAM_DATA, WRITABLE, ... and may write, send_message,
 *    open streams, close the session or free the conn from there;
 *  - output: pulled from the session into the output evbuffer up to
 *    out_high, resumed when the socket has drained it to out_low, and
 *    written in the same run (one write instead of an epoll_ctl, an
 *    epoll_wait, the write and another epoll_ctl: 7 -> 4 syscalls per
 *    request in upstreamd, bench/RESULTS.md);
 *  - time: one timer from bn_htx_session_next_timeout() that calls
 *    bn_htx_session_tick(), and for a client the connect timeout;
 *  - the end: the socket is closed once bn_htx_session_done() (CLOSE
 *    sent or received and flushed, then the close drain), or at once on
 *    EOF, a socket error, a failed or late connect; on_close then says
 *    why (struct bn_htx_conn_close).
 * Not for: anything about what the streams carry (BAR, requests),
 * pooling, retries, idle policy or logging the session's story: that
 * is the owner's.  Nothing here logs but a socket error (errno, debug).
 *
 * Ownership and re-entrancy.  The conn owns its bufferevent (and so the
 * socket) and its session.  The session is lent to the owner with
 * bn_htx_conn_session() for the life of the conn, for any
 * bn_htx_session_* call but _free, _feed, _next_event, _pull and _tick,
 * which are the conn's.  on_close comes once, as the last callback,
 * with the socket already closed; the owner then frees the conn with
 * bn_htx_conn_free(), in on_close or later (stats and the session stay
 * readable until then).  bn_htx_conn_free() may be called at any time,
 * from any callback of this or another conn included: inside one of
 * this conn's callbacks it only marks the conn, no callback follows,
 * and the conn is freed when the callback returns to the conn.  It
 * does not call on_close.
 *
 * Time is CLOCK_MONOTONIC in milliseconds (bn_htx_conn_now_ms()): pass
 * the same clock to bn_htx_session_* calls that take a now_ms.
 *
 * The process must ignore SIGPIPE (the socket is written with write(2)
 * semantics, by libevent and by the same-run write alike).
 * Not thread-safe: one conn, one event_base thread.
 */
#ifndef BETANET_HTX_CONN_H
#define BETANET_HTX_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "betanet/htx_session.h"

/* Defaults (0 in a field of struct bn_htx_conn_opts). */
#define BN_HTX_CONN_OUT_HIGH	((size_t)256 << 10)
#define BN_HTX_CONN_IN_HIGH	((size_t)128 << 10)

struct bufferevent;
struct event_base;
struct sockaddr;
struct bn_htx_conn;

/* How a connection ended. */
enum bn_htx_conn_end {
	/* The session closed (code, by_peer, err as in its CLOSED event). */
	BN_HTX_CONN_END_CLOSED,
	/* The peer closed the socket without a CLOSE. */
	BN_HTX_CONN_END_EOF,
	/* A socket error (errno logged at debug). */
	BN_HTX_CONN_END_SOCKET_ERROR,
	/* Client: the connect failed (refused, unreachable). */
	BN_HTX_CONN_END_CONNECT_FAILED,
	/* Client: the connect did not complete in connect_timeout_ms. */
	BN_HTX_CONN_END_CONNECT_TIMEOUT,
};

struct bn_htx_conn_close {
	enum bn_htx_conn_end how;
	int		 code;		/* CLOSE code sent or received; -1 */
	int		 by_peer;	/* peer's CLOSE, or the peer's EOF */
	/*
	 * BN_OK for a clean CLOSE either way; the session's reason for a
	 * local CLOSE (BN_ERR_TIMEOUT for its handshake, idle and PING
	 * timeouts); BN_ERR_CLOSED for EOF, BN_ERR_SYSTEM for a socket
	 * error or a failed connect, BN_ERR_TIMEOUT for a late connect.
	 */
	int		 err;
	int		 handshake_done; /* HANDSHAKE_DONE was delivered */
};

/*
 * An event of the session.  ev and what it points to are valid during
 * the call only.  Any call on the conn or its session is fine here,
 * bn_htx_conn_free() included.
 */
typedef void (*bn_htx_conn_event_fn)(struct bn_htx_conn *c,
    const struct bn_htx_event *ev, void *arg);
/*
 * Once per pass of a run, after the events and before output is pulled:
 * for owners that write what waits (request bodies, queued answers) or
 * adjust bn_htx_conn_pause_input().  Same rules as on_event.
 */
typedef void (*bn_htx_conn_pump_fn)(struct bn_htx_conn *c, void *arg);
/* The end (see the ownership rule above). */
typedef void (*bn_htx_conn_close_fn)(struct bn_htx_conn *c,
    const struct bn_htx_conn_close *why, void *arg);

/* What a conn runs; 0 (or NULL) in a field means its default. */
struct bn_htx_conn_opts {
	/*
	 * The session: taken (freed on failure too) when set, else made
	 * from cfg (cfg's static_priv stays the caller's to wipe).
	 */
	struct bn_htx_session	*session;
	const struct bn_htx_config *cfg;

	bn_htx_conn_event_fn	 on_event;	/* required */
	bn_htx_conn_pump_fn	 on_pump;	/* NULL: none */
	bn_htx_conn_close_fn	 on_close;	/* required */
	void			*arg;

	size_t		 out_high;	/* output evbuffer: stop pulling */
	size_t		 out_low;	/* ...resume below (out_high / 4) */
	size_t		 in_high;	/* input read ahead of the session */
	uint64_t	 connect_timeout_ms;	/* client connect (10000) */
	int		 no_nodelay;	/* 1: leave Nagle on */
};

/*
 * A conn on an already connected stream socket fd (server: from
 * accept; client: connected elsewhere).  fd is taken: closed on failure
 * and with the conn.  TCP_NODELAY is set where the socket has it.  NULL
 * on a bad option, a bad session config or out of memory.
 */
struct bn_htx_conn *bn_htx_conn_new(struct event_base *base,
	    evutil_socket_t fd, const struct bn_htx_conn_opts *o);
/*
 * A conn on a bufferevent of any kind (a TLS filter, say), connected
 * or not yet (call bufferevent_socket_connect() on it afterwards: the
 * conn takes BEV_EVENT_CONNECTED).  bev is taken, freed on failure.
 * Output goes out on libevent's schedule: the same-run write is only
 * for the conn's own socket bufferevents.
 */
struct bn_htx_conn *bn_htx_conn_new_bev(struct bufferevent *bev,
	    const struct bn_htx_conn_opts *o);
/*
 * Client: a non-blocking connect to sa; the session's first flight
 * goes out once connected.  A connect that fails, at once or later, or
 * takes longer than connect_timeout_ms ends in on_close (never from
 * inside this call).  NULL only as bn_htx_conn_new().
 */
struct bn_htx_conn *bn_htx_conn_connect(struct event_base *base,
	    const struct sockaddr *sa, int salen,
	    const struct bn_htx_conn_opts *o);
/* Close the socket and free (see the ownership rule); NULL is fine. */
void	bn_htx_conn_free(struct bn_htx_conn *c);

/* The conn's session (lent; see the ownership rule). */
struct bn_htx_session *bn_htx_conn_session(const struct bn_htx_conn *c);
/*
 * Move everything that can move now: input to the session, events to
 * the owner, output to the socket; re-arm the timer; end the conn when
 * it is over (on_close may come from inside this call).  Call it after
 * writing to the session from outside a callback.  Inside a callback
 * of this conn it only asks the running pass to go again.
 */
void	bn_htx_conn_run(struct bn_htx_conn *c);
/* Run from the event loop soon (never from inside this call). */
void	bn_htx_conn_kick(struct bn_htx_conn *c);
/*
 * CLOSE the session with code and reason (see bn_htx_session_close():
 * unsent stream data is dropped), flush, and end the conn; runs from
 * the event loop (kick), so on_close never comes from inside.
 */
void	bn_htx_conn_close(struct bn_htx_conn *c, uint16_t code,
	    const char *reason);
/*
 * Once the session is closed and flushed, end without waiting for its
 * close drain (a server going away).
 */
void	bn_htx_conn_skip_drain(struct bn_htx_conn *c);
/*
 * Stop (1) or resume (0) feeding input to the session; the socket is
 * read up to in_high meanwhile, then not at all.  For peers that flow
 * control does not hold back (compat: requests while answers queue).
 */
void	bn_htx_conn_pause_input(struct bn_htx_conn *c, int paused);

struct bn_htx_conn_stats {
	struct bn_htx_stats session;	/* frames, wire bytes, streams */
	size_t		 in_buffered;	/* read, not yet fed */
	size_t		 out_buffered;	/* pulled, not yet written */
	uint64_t	 runs;		/* passes through the run loop */
	uint64_t	 writes_now;	/* same-run writes that sent bytes */
};
void	bn_htx_conn_stats(const struct bn_htx_conn *c,
	    struct bn_htx_conn_stats *st);
/* Heap bytes: the conn, its session and what its evbuffers hold. */
size_t	bn_htx_conn_memory(const struct bn_htx_conn *c);
/* The socket is open and, for a client, connected. */
int	bn_htx_conn_is_connected(const struct bn_htx_conn *c);
/* Short token for logs: "closed", "eof", "socket_error", ... */
const char *bn_htx_conn_end_name(enum bn_htx_conn_end how);
/* CLOCK_MONOTONIC milliseconds, the clock the conn gives its session. */
uint64_t bn_htx_conn_now_ms(void);

#endif /* BETANET_HTX_CONN_H */
