/*
 * htx_session_int: private state shared by htx_session.c (handshake,
 * keys, frame dispatch, timers) and htx_stream.c (stream table, send
 * queues, flow control, the round-robin sealer).  Not installed.
 */
#ifndef BETANET_HTX_SESSION_INT_H
#define BETANET_HTX_SESSION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/buf.h"
#include "betanet/htx_frame.h"
#include "betanet/htx_session.h"
#include "betanet/noise_xk.h"

#define HS_EVQ_LEN	8	/* one frame makes at most 3 events */
#define HS_LRU_LEN	4	/* compat/legacy credit counters */
#define HS_KU_FRAME	(BN_HTX_OVERHEAD)	/* native KEY_UPDATE */
#define HS_CTRL_SLACK	65536	/* control frames beyond max_send_session */
#define HS_CLOSE_SLACK	512	/* room always kept for our CLOSE */
#define HS_LEGACY_MSG_MAX	(0xffffff - 64)
#define HS_AEAD_EST	512	/* heap of one libcrypto AEAD context */
#define HS_OLD_KEY_MS	5000	/* previous rx generation, at most */
#define HS_REKEY_MS_MIN	1000	/* rekey_ms floor (> KU grace) */

/* Session states. */
enum {
	HS_ST_HANDSHAKE,	/* Noise messages */
	HS_ST_CAPS,		/* caps exchange under compat keys */
	HS_ST_OPEN,
	HS_ST_CLOSED,
};

/* Stream flags. */
#define ST_LOCAL	0x01	/* we opened it */
#define ST_RX_FIN	0x02	/* peer's FIN received */
#define ST_TX_FIN_Q	0x04	/* our FIN queued */
#define ST_TX_FIN	0x08	/* our FIN sealed */
#define ST_RESET	0x10	/* local abort or over max_message */
#define ST_READY	0x20	/* in the ready ring */
#define ST_WANT_W	0x40	/* a write was cut short */
#define ST_W_PENDING	0x80	/* WRITABLE event due */
#define ST_TX_OPEN	0x100	/* local: a frame of it is sealed */

struct hs_stream {
	uint32_t	 id;
	unsigned	 flags;
	struct hs_stream *hnext;		/* hash chain */
	struct hs_stream *rnext, *rprev;	/* ready ring */
	uint64_t	 rx_off;	/* Data bytes received = next Offset */
	uint64_t	 rx_limit;	/* offset the peer may send up to */
	uint64_t	 rx_unret;	/* manual: delivered, not returned */
	uint64_t	 tx_off;	/* Data bytes sealed */
	uint64_t	 tx_limit;	/* offset we may seal up to */
	struct bn_buf	*sq;		/* send queue */
	struct bn_buf	*rq;		/* MESSAGE reassembly */
};

struct hs_ev {
	uint8_t		 type;
	uint8_t		 fin;
	uint32_t	 sid;
	const uint8_t	*data;
	size_t		 len;
	struct bn_buf	*own;		/* buffer data lives in, if ours */
	int		 err;
	uint64_t	 rtt;
};

struct hs_lru {
	uint32_t	 sid;
	uint32_t	 used;		/* compat: since last grant */
	int64_t		 win;		/* legacy: window left */
	uint64_t	 stamp;
};

struct bn_htx_session {
	struct bn_htx_config cfg;
	int		 state;
	int		 caps_step;	/* server: 0 caps, 1 selection due */
	int		 msg1_sent;	/* client */
	enum bn_htx_profile profile;
	uint64_t	 now, t_start, t_last_rx, t_key_tx;

	struct bn_noise	*noise;		/* only during the handshake */
	uint8_t		 peer_static[BN_KEY_LEN];
	int		 have_peer;
	uint8_t		 h[BN_HASH_LEN], k1[BN_KEY_LEN], k2[BN_KEY_LEN];
	struct bn_buf	*caps_c, *caps_s;	/* raw, until the switch */
	int		 peer_native;

	struct bn_htx_dir tx, rx, rx_old;
	int		 have_keys;
	int		 rx_old_left;	/* native overlap frames left */
	uint64_t	 rx_old_at;	/* when rx_old was kept */
	uint64_t	 rx_frames_key;	/* frames opened since peer's KU */
	uint64_t	 t_rx_ku;	/* peer's last KEY_UPDATE */
	int		 rx_ku_seen;
	uint8_t		 sec_tx[32], sec_rx[32];	/* TS_d or compat key */
	uint8_t		 chain[2][32];	/* legacy kc, ks */
	uint64_t	 tx_frames_key, tx_bytes_key;

	struct bn_buf	*in;		/* unread input */
	size_t		 in_cap;
	struct bn_buf	*obuf;		/* sealed, not yet pulled */
	size_t		 obuf_cap;
	struct bn_buf	*delivered;	/* MESSAGE buffer lent to the caller */
	int		 in_lent;	/* queued events point into in */

	struct hs_ev	 evq[HS_EVQ_LEN];
	unsigned	 evq_head, evq_n;

	/* streams (htx_stream.c) */
	struct hs_stream **tab;
	uint32_t	 tab_mask;
	uint32_t	 nstreams;
	struct hs_stream *ready;	/* ring head */
	uint32_t	 next_local_id;
	uint32_t	 wire_next_local;	/* below: all on the wire */
	uint32_t	 peer_max_id;
	uint32_t	 nwritable;
	int		 want_w_session;
	uint64_t	 conn_rx, conn_rx_limit, conn_rx_unret;
	uint64_t	 conn_tx, conn_tx_limit;
	size_t		 sq_total;
	size_t		 rq_total;	/* bytes of all partial messages */

	struct hs_lru	 lru[HS_LRU_LEN];
	uint64_t	 lru_clock;
	uint32_t	 compat_conn_used;

	int		 ping_out;
	uint8_t		 ping_token[BN_HTX_PING_TOKEN_LEN];
	uint64_t	 ping_sent;

	int		 close_code;	/* -1 while open */
	int		 close_by_peer, close_err, close_sent;
	uint64_t	 close_at;
	char		 reason[BN_HTX_REASON_MAX + 1];

	struct bn_htx_stats st;
};

/* htx_session.c */
int	hs_seal(struct bn_htx_session *s, uint8_t type, uint32_t sid,
	    uint16_t aad, const struct bn_iov *iov, int iovcnt,
	    struct bn_buf *out);
int	hs_seal_ctrl(struct bn_htx_session *s, uint8_t type, uint32_t sid,
	    uint16_t aad, const uint8_t *p, size_t len);
void	hs_fail(struct bn_htx_session *s, uint16_t code, int err,
	    const char *why);
int	hs_push(struct bn_htx_session *s, const struct hs_ev *e);

/* htx_stream.c */
struct hs_stream *hs_stream_find(const struct bn_htx_session *s,
	    uint32_t id);
struct hs_stream *hs_stream_add(struct bn_htx_session *s, uint32_t id);
void	hs_stream_maybe_remove(struct bn_htx_session *s,
	    struct hs_stream *st);
void	hs_stream_free_all(struct bn_htx_session *s);
int	hs_stream_is_peer_id(const struct bn_htx_session *s, uint32_t id);
int	hs_stream_rx(struct bn_htx_session *s, uint32_t sid,
	    const uint8_t *p, size_t len);
int	hs_stream_window_update(struct bn_htx_session *s, uint32_t sid,
	    const uint8_t *p, size_t len);
int	hs_stream_pull(struct bn_htx_session *s, struct bn_buf *out,
	    size_t room);
void	hs_stream_ready_add(struct bn_htx_session *s, struct hs_stream *st);
int	hs_stream_next_writable(struct bn_htx_session *s, uint32_t *sid);
size_t	hs_stream_memory(const struct bn_htx_session *s);
int	hs_grant(struct bn_htx_session *s, uint32_t sid, uint32_t credit);
int	hs_stream_drop_rq(struct bn_htx_session *s, struct hs_stream *st);

#endif /* BETANET_HTX_SESSION_INT_H */
