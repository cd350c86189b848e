/*
 * ipc: Unix-socket services, WIRE.md §10.
 *
 * Every message is `u32 length || payload`, length at most
 * BN_IPC_MAX_FRAME (1 MiB).  The payload is a protobuf message, but this
 * module never parses it: request ids are given by the caller, and the
 * client learns a response's id from a caller-supplied callback.
 *
 * Two layers:
 *
 * 1. Pure framing (no sockets, no allocation): bn_ipc_frame_encode() and
 *    bn_ipc_frame_decode().  The fuzz target and the unit tests call
 *    these; the libevent layer uses the same decoder.
 *
 * 2. libevent edges (this module and the daemons' main.c are the only
 *    code that sees libevent):
 *
 *    - struct bn_ipc_server: listens on a Unix socket, reads frames from
 *      each client with a bufferevent and hands every complete frame to
 *      on_request().  The handler answers with bn_ipc_conn_send(), now
 *      or later.  A malformed or oversized frame closes that one
 *      connection (logged at info: a client fault); the others go on.
 *      A client whose replies back up past BN_IPC_OUT_HIGH, or that has
 *      max_outstanding requests not yet answered, is not read until
 *      its output drains to BN_IPC_OUT_LOW and answers come (watermark
 *      backpressure, as in libevent's le-proxy.c); a reply that would
 *      take its queued output past BN_IPC_OUT_CAP closes it instead.
 *      Every request is expected to get exactly one reply: each frame
 *      sent on a connection answers one outstanding request.
 *
 *      Deadlines (struct bn_ipc_server_opts): a frame whose first byte
 *      (or the previous frame) came frame_timeout_ms ago and is still
 *      incomplete, output that makes no progress for write_timeout_ms,
 *      and optionally a connection idle for idle_timeout_ms close the
 *      connection (logged at info), so silent clients cannot hold the
 *      max_clients slots.  A client may shutdown(SHUT_WR) after its
 *      last request: reading stops, its outstanding requests are still
 *      answered and the output drained (within write_timeout_ms), then
 *      the connection closes.
 *
 *    - struct bn_ipc_client: connects, and on loss reconnects with
 *      capped exponential backoff and full jitter (backoff.h).  It never
 *      queues: a request made while disconnected fails at once with
 *      BN_ERR_CLOSED, so a gateway fails closed at once instead of
 *      waiting on a dead peer.  In-flight requests are matched to
 *      responses by id, each has its own deadline (BN_ERR_TIMEOUT), and
 *      all of them fail with BN_ERR_CLOSED when the connection drops.
 *
 * Ownership.  The server owns its connections.  A handler that answers
 * later takes a reference with bn_ipc_conn_ref() and drops it with
 * bn_ipc_conn_unref() when done; once the peer is gone (or the server is
 * freed) the connection object stays valid but closed, and
 * bn_ipc_conn_send() on it returns BN_ERR_CLOSED and drops the reply.
 * Payload pointers handed to callbacks are valid only during the call.
 * All of it is single-threaded: call everything from the event loop's
 * thread.  Neither the server nor the client may be freed from inside
 * one of its own callbacks.
 */
#ifndef BETANET_IPC_H
#define BETANET_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "betanet/buf.h"

#define BN_IPC_HDR_LEN		4
#define BN_IPC_MAX_FRAME	((size_t)1 << 20)	/* payload bytes */
/* Server: stop reading a client when this much output is queued... */
#define BN_IPC_OUT_HIGH		((size_t)4 << 20)
/* ...and read again once it falls to this. */
#define BN_IPC_OUT_LOW		((size_t)1 << 20)
/*
 * Hard cap on one client's queued output: bn_ipc_conn_send() that would
 * pass it closes the connection and returns BN_ERR_LIMIT (the client is
 * not reading; replies to requests read before the pause still come).
 */
#define BN_IPC_OUT_CAP		(2 * BN_IPC_OUT_HIGH)

/*
 * Append the frame for payload[0..len) to out.  BN_ERR_TOO_LARGE when
 * len > BN_IPC_MAX_FRAME, BN_ERR_NO_SPACE when out is full (out is then
 * unchanged).
 */
int	bn_ipc_frame_encode(struct bn_buf *out, const uint8_t *payload,
	    size_t len);

/*
 * Take one frame off the front of in.  On BN_OK *payload and *len lend the
 * payload (valid until in is next modified) and the frame is consumed.
 * BN_ERR_INCOMPLETE: the whole frame is not there yet (nothing
 * consumed).  BN_ERR_TOO_LARGE: the header alone declares more than
 * BN_IPC_MAX_FRAME: close the connection.  Empty payloads are valid (an
 * all-default protobuf message encodes to zero bytes).
 */
int	bn_ipc_frame_decode(struct bn_buf *in, const uint8_t **payload,
	    size_t *len);

struct event_base;
struct bn_ipc_server;
struct bn_ipc_conn;
struct bn_ipc_client;

struct bn_ipc_server_cb {
	/* One complete frame from a client (required). */
	void	(*on_request)(struct bn_ipc_conn *c, const uint8_t *payload,
		    size_t len, void *arg);
	/* The connection closed; it is no longer open (optional). */
	void	(*on_close)(struct bn_ipc_conn *c, void *arg);
	void	*arg;
};

/* Server tuning; 0 in any field means its default. */
struct bn_ipc_server_opts {
	/* An incomplete frame may take this long (0: 30000). */
	uint32_t	frame_timeout_ms;
	/*
	 * Close a connection with no partial frame, nothing queued and
	 * nothing outstanding after this long (0: never; our clients keep
	 * one long-lived connection, and closing it races a new request).
	 */
	uint32_t	idle_timeout_ms;
	/*
	 * Queued output that makes no progress, and a half-closed client's
	 * wait for its replies, may take this long (0: 60000).
	 */
	uint32_t	write_timeout_ms;
	/* Unanswered requests before reading pauses (0: 1024). */
	size_t		max_outstanding;
};

/*
 * Listen on path.  An existing socket there is removed only when nobody
 * answers on it (a stale one from a crashed run); a live socket or any
 * other kind of file is an error.  The socket is created with mode
 * (e.g. 0660; through the umask, no chmod by path), so nobody connects
 * under a looser mode.  At most max_clients connections are open at
 * once; more are accepted and closed at once (and logged).  NULL on
 * failure, with the reason logged.  bn_ipc_server_new() uses the default
 * options.
 */
struct bn_ipc_server *bn_ipc_server_new(struct event_base *base,
	    const char *path, mode_t mode, size_t max_clients,
	    const struct bn_ipc_server_cb *cb);
struct bn_ipc_server *bn_ipc_server_new_with(struct event_base *base,
	    const char *path, mode_t mode, size_t max_clients,
	    const struct bn_ipc_server_opts *opts,
	    const struct bn_ipc_server_cb *cb);
/* Close every connection, stop listening, unlink the socket we made. */
void	bn_ipc_server_free(struct bn_ipc_server *s);
size_t	bn_ipc_server_nclients(const struct bn_ipc_server *s);

/*
 * Queue one frame to the client; it answers one outstanding request.
 * BN_ERR_CLOSED when the connection has closed (the reply is dropped),
 * BN_ERR_TOO_LARGE over the frame cap, BN_ERR_LIMIT when it would take
 * the queued output past BN_IPC_OUT_CAP (the connection is then closed).
 */
int	bn_ipc_conn_send(struct bn_ipc_conn *c, const uint8_t *payload,
	    size_t len);
/*
 * The same for a protobuf-c message (every daemon's response type):
 * packs it and sends it.  BN_ERR_ALLOC when packing space is short;
 * the framing stays protobuf-agnostic, this is only the common case.
 */
struct ProtobufCMessage;
int	bn_ipc_conn_send_msg(struct bn_ipc_conn *c,
	    const struct ProtobufCMessage *m);
/* Bytes queued to the client, and requests it has not had answers to. */
size_t	bn_ipc_conn_queued(const struct bn_ipc_conn *c);
size_t	bn_ipc_conn_outstanding(const struct bn_ipc_conn *c);
/* Close now; queued output is dropped.  Safe inside on_request(). */
void	bn_ipc_conn_close(struct bn_ipc_conn *c);
int	bn_ipc_conn_is_open(const struct bn_ipc_conn *c);
/* Process-unique number for logs (conn=). */
uint64_t bn_ipc_conn_id(const struct bn_ipc_conn *c);
void	bn_ipc_conn_ref(struct bn_ipc_conn *c);
void	bn_ipc_conn_unref(struct bn_ipc_conn *c);

/*
 * Result of one request: err is BN_OK with the response, or
 * BN_ERR_TIMEOUT (deadline passed) or BN_ERR_CLOSED (connection lost, or
 * client freed) with resp NULL.  Called exactly once per accepted
 * request, never from inside bn_ipc_client_request().
 */
typedef void (*bn_ipc_done_fn)(int err, const uint8_t *resp, size_t len,
	    void *arg);

struct bn_ipc_client_cb {
	/*
	 * Read the request id out of a response payload (required).  A
	 * nonzero return means the response is malformed: the connection is
	 * dropped and reconnected.  A well-formed response whose id is not
	 * in flight (a late answer after a timeout) is ignored.
	 */
	int	(*get_id)(const uint8_t *payload, size_t len, uint64_t *id,
		    void *arg);
	/* Connected (1) or lost (0) (optional). */
	void	(*on_state)(struct bn_ipc_client *c, int connected,
		    void *arg);
	void	*arg;
};

struct bn_ipc_client_opts {
	uint32_t	backoff_base_ms;	/* 0: 100 */
	uint32_t	backoff_cap_ms;		/* 0: 10000 */
	uint32_t	connect_timeout_ms;	/* 0: 2000 */
	size_t		max_inflight;		/* 0: 1024 */
	size_t		max_output;	/* bytes queued; 0: 8 MiB */
};

/*
 * Make a client for the socket at path and start connecting (opts may
 * be NULL for the defaults).  NULL on failure (path too long, no
 * memory).
 */
struct bn_ipc_client *bn_ipc_client_new(struct event_base *base,
	    const char *path, const struct bn_ipc_client_opts *opts,
	    const struct bn_ipc_client_cb *cb);
/* In-flight requests get done(BN_ERR_CLOSED) first. */
void	bn_ipc_client_free(struct bn_ipc_client *c);
int	bn_ipc_client_is_connected(const struct bn_ipc_client *c);
size_t	bn_ipc_client_inflight(const struct bn_ipc_client *c);

/*
 * Send one request whose response will carry id.  On BN_OK done() will
 * be called exactly once, within timeout_ms (0: no deadline).  On any
 * error done() is never called: BN_ERR_CLOSED (not connected),
 * BN_ERR_LIMIT (max_inflight or max_output reached), BN_ERR_TOO_LARGE,
 * BN_ERR_INVALID_ARG (id already in flight, or done NULL),
 * BN_ERR_ALLOC.
 */
int	bn_ipc_client_request(struct bn_ipc_client *c, uint64_t id,
	    const uint8_t *payload, size_t len, uint32_t timeout_ms,
	    bn_ipc_done_fn done, void *arg);

#endif /* BETANET_IPC_H */
