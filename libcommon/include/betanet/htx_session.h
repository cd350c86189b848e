/*
 * htx_session: one HTX session as a pure state machine (WIRE.md §1-§4):
 * the Noise XK handshake, the caps exchange with the features.native
 * upgrade, compat and native keys, streams, flow control, PING,
 * KEY_UPDATE, CLOSE, and the legacy 1.1 framing (§3b).
 *
 * What it does not do: sockets, timers, logging, BAR parsing.  The
 * caller moves bytes and time in and out:
 *
 *	bn_htx_session_feed(s, bytes, len, now, &accepted);  socket -> session
 *	while (bn_htx_session_next_event(s, &ev, now) == 1)
 *		handle(ev);		 may write/send_message/consume/close
 *	bn_htx_session_pull(s, out, max);	 session -> socket
 *	arm a timer for bn_htx_session_next_timeout(s); call _tick() on it.
 *
 * Input is processed lazily, one frame per event pulled, so a session
 * never holds more than one maximal frame of unread input plus what the
 * receive windows allow.  Stream data is sealed lazily too: write()
 * copies into a bounded per-stream queue and pull() seals straight from
 * it (scatter seal, no intermediate copy), round-robin across streams,
 * cut to the granted credit.  Control frames (handshake, caps, PING,
 * WINDOW_UPDATE, KEY_UPDATE, CLOSE) and compat messages are sealed when
 * they are decided, so they go out in the order the calls were made.
 *
 * Profiles: NATIVE (both caps carry features.native; §4 keys; enforced
 * flow control and stream rules), COMPAT (the Python library; K0 keys,
 * one frame = one message, tolerant flow control, up to 8 skipped
 * nonces; refused unless allow_compat), LEGACY11 (the 1.1 framing of a
 * separate listener: same handshake and K0, no caps exchange; it needs
 * allow_compat too, and it never rekeys on its own: the shared key chain
 * of §3b diverges when both ends rekey at once, so only an explicit
 * bn_htx_session_key_update() advances it).  Log a compat or legacy
 * session as weak: its keys follow from public values.
 *
 * Ownership: the session copies its config.  Pointers in events point
 * into the session and are valid until the next call to
 * bn_htx_session_next_event(), _feed() or _free() on that session (other
 * calls, including write/send_message/pull, leave them valid).
 * bn_htx_session_free() wipes every key.
 *
 * Not thread-safe: one session, one thread at a time.
 */
#ifndef BETANET_HTX_SESSION_H
#define BETANET_HTX_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"

struct bn_htx_dir;

enum bn_htx_role {
	BN_HTX_CLIENT,		/* gateway, Noise initiator */
	BN_HTX_SERVER,		/* upstream, Noise responder */
};

enum bn_htx_profile {
	BN_HTX_PROFILE_NONE,	/* handshake not finished */
	BN_HTX_PROFILE_NATIVE,
	BN_HTX_PROFILE_COMPAT,
	BN_HTX_PROFILE_LEGACY11,
};

/* CLOSE codes (WIRE.md §4). */
enum bn_htx_close_code {
	BN_HTX_CLOSE_OK = 0,
	BN_HTX_CLOSE_VERSION_NEGOTIATION_FAILED = 1,
	BN_HTX_CLOSE_AUTH_FAILED = 2,
	BN_HTX_CLOSE_PATH_INVALID = 3,
	BN_HTX_CLOSE_REPLAY = 4,
	BN_HTX_CLOSE_FLOW_CONTROL_VIOLATION = 5,
	BN_HTX_CLOSE_OLD_KEY_FRAME = 6,
	BN_HTX_CLOSE_MALFORMED_FRAME = 7,
	BN_HTX_CLOSE_INTERNAL_ERROR = 8,
	BN_HTX_CLOSE_POLICY_REJECTED = 9,
	BN_HTX_CLOSE_UNSUPPORTED_FEATURE = 10,
};

#define BN_HTX_REASON_MAX	256	/* CLOSE reason bytes */
#define BN_HTX_PING_TOKEN_LEN	8
#define BN_HTX_STREAM_HDR_LEN	11	/* Flags u8 Offset u64 DataLen u16 */
/* Most Data bytes one native STREAM frame can carry. */
#define BN_HTX_STREAM_DATA_MAX	(65535 - 10 - 16 - BN_HTX_STREAM_HDR_LEN)

/*
 * Optional outer-TLS exporter (WIRE.md §4): write
 * TLS-Exporter("betanet/1.2/inner", context, 32) into out and return
 * BN_OK.  Called once, at the native switch, with the key context.
 * NULL means no outer TLS (outer = 32 zero bytes).
 */
typedef int (*bn_htx_exporter_fn)(void *arg, const uint8_t *context,
    size_t len, uint8_t out[32]);

struct bn_htx_config {
	enum bn_htx_role role;
	uint8_t		 static_priv[BN_KEY_LEN];
	/*
	 * Our static public key, computed once by the daemon: saves one
	 * X25519 per handshake.  Must match static_priv when set.
	 */
	int		 has_static_pub;
	uint8_t		 static_pub[BN_KEY_LEN];
	uint8_t		 server_pub[BN_KEY_LEN];  /* client: upstream's key */

	int		 offer_native;	/* send features.native (default 1) */
	int		 allow_compat;	/* accept a peer without (default 0) */
	int		 legacy11;	/* the 1.1 framing (§3b); needs
					   allow_compat (weak by design) */
	int		 has_template;	/* client: send "template" in caps */
	uint8_t		 template_id[32];
	bn_htx_exporter_fn exporter;	/* NULL: no outer TLS */
	void		*exporter_arg;

	/*
	 * Delivery: 0 (default) gives one MESSAGE event per whole message
	 * (reassembled up to max_message); 1 gives STREAM_DATA chunks as
	 * frames arrive, so a 100 MiB body never sits in the session.
	 */
	int		 deliver_chunks;
	/*
	 * Receive credit (native): 0 (default) grants credit on its own as
	 * data is delivered, keeping recv_window_* outstanding; 1 grants
	 * only what the caller returns with bn_htx_session_consume(), for
	 * backpressure towards a slow consumer.  Needs deliver_chunks = 1:
	 * a whole-message consumer could never return the credit a
	 * message larger than the stream window needs to complete, so
	 * bn_htx_session_new() refuses manual_credit without it.
	 */
	int		 manual_credit;

	uint32_t	 max_streams;		/* concurrent, both sides */
	size_t		 max_message;		/* MESSAGE delivery bound */
	uint32_t	 recv_window_conn;	/* outstanding credit target */
	uint32_t	 recv_window_stream;
	size_t		 max_send_stream;	/* queued, unsent bytes */
	size_t		 max_send_session;
	size_t		 max_frame_data;	/* Data bytes per frame */

	uint64_t	 rekey_frames;		/* frames sent under one key */
	uint64_t	 rekey_bytes;		/* payload bytes, one key */
	uint64_t	 rekey_ms;		/* age of one key */

	uint64_t	 handshake_timeout_ms;	/* 0: none */
	uint64_t	 idle_timeout_ms;	/* 0: none */
	uint64_t	 ping_interval_ms;	/* 0: no keepalive PING */
	uint64_t	 ping_timeout_ms;	/* answer due (WIRE: 5 s) */
	uint64_t	 close_drain_ms;	/* after our CLOSE (2 s) */

	/*
	 * MESSAGE delivery: bytes all partial messages of the session may
	 * hold together (0, the default: max(max_message,
	 * 2 * recv_window_conn)).  A frame that would pass it resets its
	 * stream (STREAM_RESET, BN_ERR_TOO_LARGE; the rest is discarded
	 * and credited), so max_streams unfinished messages cannot pin
	 * max_streams * max_message.  Buffer growth may hold up to twice
	 * this in heap.
	 */
	size_t		 max_reassembly;
	/*
	 * A peer's KEY_UPDATE that comes less than
	 * BN_HTX_KEY_UPDATE_GRACE_MS after its previous one and after
	 * fewer than this many frames closes the session with
	 * POLICY_REJECTED (each costs a key derivation: a flood burns
	 * CPU).  The first KEY_UPDATE is always accepted.  Default
	 * BN_HTX_KEY_UPDATE_MIN_FRAMES, which our own automatic rekey
	 * never undercuts; 0 turns the check off.
	 */
	uint32_t	 key_update_min_frames;
};

/*
 * Our automatic rekey (rekey_frames, rekey_bytes) waits for at least
 * this many frames under one key, whatever the config says; the time
 * limit (rekey_ms, at least 1 s) needs no frames.
 */
#define BN_HTX_KEY_UPDATE_MIN_FRAMES	16
#define BN_HTX_KEY_UPDATE_GRACE_MS	500

/* Defaults: server role, native only, see htx_session.c for values. */
void	bn_htx_config_default(struct bn_htx_config *c);

enum bn_htx_event_type {
	BN_HTX_EV_NONE,
	/* profile decided; peer_static set; streams may now be opened. */
	BN_HTX_EV_HANDSHAKE_DONE,
	/*
	 * the peer opened stream_id (native; first frame on it).  A peer
	 * opens a stream with an empty frame when it writes on a higher
	 * one first (IDs reach the wire in order): no data event follows
	 * such a frame.
	 */
	BN_HTX_EV_STREAM_OPEN,
	/* deliver_chunks: data/len (maybe 0) of stream_id; fin ends it. */
	BN_HTX_EV_STREAM_DATA,
	/* whole message of stream_id in data/len (fin always 1). */
	BN_HTX_EV_MESSAGE,
	/*
	 * stream_id will deliver no more data: err says why
	 * (BN_ERR_TOO_LARGE: the message passed max_message; the rest is
	 * discarded and credited).  Its send side stays usable (e.g. to
	 * answer 413).
	 */
	BN_HTX_EV_STREAM_RESET,
	/* send queue room for stream_id (0: the session's) is back. */
	BN_HTX_EV_WRITABLE,
	/* our PING was answered after rtt_ms. */
	BN_HTX_EV_PING_RTT,
	/*
	 * The session is over.  code: the CLOSE code (sent or received),
	 * by_peer: the peer sent it, err: our bn_err reason for a local
	 * close (BN_OK for a clean one), reason: NUL-terminated text
	 * (peer bytes are passed as received, up to 256; escape them
	 * before logging).  Keep pulling output until it is empty, then
	 * close the socket once bn_htx_session_done() says so.
	 */
	BN_HTX_EV_CLOSED,
};

struct bn_htx_event {
	enum bn_htx_event_type type;
	uint32_t	 stream_id;
	const uint8_t	*data;		/* see the lifetime rule above */
	size_t		 len;
	int		 fin;
	enum bn_htx_profile profile;	/* HANDSHAKE_DONE */
	const uint8_t	*peer_static;	/* HANDSHAKE_DONE: 32 bytes */
	uint64_t	 rtt_ms;	/* PING_RTT */
	uint16_t	 code;		/* CLOSED */
	int		 by_peer;	/* CLOSED */
	int		 err;		/* CLOSED, STREAM_RESET */
	const char	*reason;	/* CLOSED */
};

struct bn_htx_stats {
	uint64_t	 frames_in, frames_out;
	uint64_t	 bytes_in, bytes_out;	/* wire bytes */
	uint64_t	 key_updates_in, key_updates_out;
	uint64_t	 skipped_nonces;	/* compat tolerance used */
	uint32_t	 streams;		/* live now */
};

struct bn_htx_session;

/*
 * A session at the start of its handshake; NULL on a bad config or out
 * of memory.  The client writes msg1 on its first pull().
 */
struct bn_htx_session *bn_htx_session_new(const struct bn_htx_config *cfg,
	    uint64_t now_ms);
void	bn_htx_session_free(struct bn_htx_session *s);

/*
 * Append up to len received bytes; *accepted says how many were taken
 * (less than len when the input buffer is full or events are still
 * pending: pull events, then feed the rest).  Nothing is processed here.
 * BN_ERR_CLOSED once the session is closed (the bytes are dropped).
 */
int	bn_htx_session_feed(struct bn_htx_session *s, const uint8_t *p,
	    size_t len, uint64_t now_ms, size_t *accepted);
/*
 * Process input until an event is ready: 1 and *ev filled, or 0 when
 * more input is needed.  Protocol errors never return an error: they
 * become a CLOSE (queued for pull) and a CLOSED event.
 */
int	bn_htx_session_next_event(struct bn_htx_session *s,
	    struct bn_htx_event *ev, uint64_t now_ms);

/*
 * Append at most max bytes of wire output to out (also bounded by out's
 * room).  Returns BN_OK; *n (may be NULL) gets the bytes appended.
 */
int	bn_htx_session_pull(struct bn_htx_session *s, struct bn_buf *out,
	    size_t max, size_t *n);
/* Bytes waiting to be sealed or pulled (0: output fully flushed). */
size_t	bn_htx_session_pending_output(const struct bn_htx_session *s);

/*
 * Streams.  open_stream: native client 3, 5, ...; native server 2, 4,
 * ...; compat client 1, 2, 3 (as the Python client); legacy client 1, 3,
 * 5.  IDs never repeat.  BN_ERR_STATE before HANDSHAKE_DONE or for a
 * compat/legacy server, BN_ERR_LIMIT at max_streams.
 */
int	bn_htx_session_open_stream(struct bn_htx_session *s, uint32_t *sid);
/*
 * Copy up to len bytes into stream sid's send queue; *accepted gets how
 * many (a WRITABLE event follows when room returns).  fin ends the
 * stream's send side once all of data is accepted.  BN_ERR_BLOCKED when
 * nothing fit, BN_ERR_CLOSED after fin or close.  Native only: compat
 * and legacy take whole messages through send_message.
 */
int	bn_htx_session_write(struct bn_htx_session *s, uint32_t sid,
	    const uint8_t *data, size_t len, int fin, size_t *accepted);
/*
 * A whole message with FIN: all or nothing (BN_ERR_BLOCKED when the
 * queues cannot take all of it now, BN_ERR_TOO_LARGE when they never
 * could, or for compat beyond one frame).  In compat and legacy this is
 * one frame on sid (a server answers on the request's sid).
 */
int	bn_htx_session_send_message(struct bn_htx_session *s, uint32_t sid,
	    const uint8_t *data, size_t len);
/*
 * manual_credit: return n delivered bytes of sid (0: connection only) as
 * credit; queues WINDOW_UPDATEs right away (stream scope, then the
 * connection).  Clamped to what was delivered and not yet returned.
 */
int	bn_htx_session_consume(struct bn_htx_session *s, uint32_t sid,
	    size_t n);
/*
 * Local abort of stream sid (WIRE.md has no RST frame): drop its queued
 * output, end our side with FIN at the current offset (the peer sees a
 * truncated message), and discard (while crediting) whatever the peer
 * still sends on it until its FIN.
 */
int	bn_htx_session_reset_stream(struct bn_htx_session *s, uint32_t sid);

/* PING with token (NULL: random); one outstanding at a time. */
int	bn_htx_session_ping(struct bn_htx_session *s,
	    const uint8_t *token, uint64_t now_ms);
/*
 * KEY_UPDATE now for our send direction (any profile).  A peer closes
 * the session on KEY_UPDATEs closer than key_update_min_frames frames
 * and BN_HTX_KEY_UPDATE_GRACE_MS apart (after the first).
 */
int	bn_htx_session_key_update(struct bn_htx_session *s);
/*
 * Send CLOSE (code, reason of at most 256 bytes, may be NULL) and stop:
 * queued stream data not yet sealed is dropped, so flush first
 * (pending_output) for a graceful end.  A CLOSED event follows.
 */
int	bn_htx_session_close(struct bn_htx_session *s, uint16_t code,
	    const char *reason);

/*
 * Timers: deadline (ms, UINT64_MAX if none) and the call to make then.
 * Once closed, the deadline is the end of the drain (close_drain_ms
 * after the close) while that is still ahead and done() is not yet
 * true; UINT64_MAX after it.
 */
uint64_t bn_htx_session_next_timeout(const struct bn_htx_session *s);
int	bn_htx_session_tick(struct bn_htx_session *s, uint64_t now_ms);

/* Accessors. */
enum bn_htx_profile bn_htx_session_profile(const struct bn_htx_session *s);
const char *bn_htx_profile_name(enum bn_htx_profile p);
int	bn_htx_session_is_closed(const struct bn_htx_session *s);
/*
 * Close the socket now: closed, and output flushed (and, after our own
 * CLOSE, the drain time over), or close_drain_ms passed since the
 * close whatever is still unsent (a peer that stops reading cannot
 * hold the session).
 */
int	bn_htx_session_done(const struct bn_htx_session *s, uint64_t now_ms);
/* The close code (sent or received); -1 while open. */
int	bn_htx_session_close_code(const struct bn_htx_session *s);
/* Peer's static key after the handshake (BN_ERR_STATE before). */
int	bn_htx_session_peer_static(const struct bn_htx_session *s,
	    uint8_t pub[BN_KEY_LEN]);
void	bn_htx_session_stats(const struct bn_htx_session *s,
	    struct bn_htx_stats *st);
/*
 * Heap bytes this session holds (its struct, buffers, streams; not
 * libcrypto's AEAD contexts, counted as a fixed estimate each).
 */
size_t	bn_htx_session_memory(const struct bn_htx_session *s);

/*
 * Test hooks (vectors, fuzzing); not for daemons.  set_ephemeral must
 * come before the first pull (client) or feed (server).  test_tx_dir
 * lends the session's current send direction so a test can seal frames
 * a peer would (it advances that counter); NULL before keys exist.
 */
int	bn_htx_session_set_ephemeral(struct bn_htx_session *s,
	    const uint8_t e_priv[BN_KEY_LEN]);
struct bn_htx_dir *bn_htx_session_test_tx_dir(struct bn_htx_session *s);

#endif /* BETANET_HTX_SESSION_H */
