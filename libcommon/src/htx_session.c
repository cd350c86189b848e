/*
 * htx_session: the HTX session state machine (WIRE.md §1-§4, §3b).
 *
 * This file holds the handshake, the caps exchange and native upgrade,
 * the key schedules of the three profiles, frame dispatch, PING,
 * KEY_UPDATE, CLOSE and timers.  Streams, flow control and the
 * round-robin sealer live in htx_stream.c.
 *
 * Input is processed one frame at a time from bn_htx_session_next_event()
 * so received bytes stay where they are (frames open in place in `in`)
 * and STREAM_DATA can point into them.  Control frames are sealed into
 * `obuf` the moment they are decided; stream data is sealed from the
 * send queues at pull time, after obuf is empty, so counters always
 * follow wire order.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/caps.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_frame.h"
#include "betanet/htx_session.h"
#include "betanet/noise_xk.h"
#include "htx_session_int.h"

static const uint8_t zero32[32];
static const uint8_t empty_data[1];

void
bn_htx_config_default(struct bn_htx_config *c)
{
	memset(c, 0, sizeof(*c));
	c->role = BN_HTX_SERVER;
	c->offer_native = 1;
	c->max_streams = 256;
	c->max_message = 16u << 20;
	c->recv_window_conn = 1u << 20;
	c->recv_window_stream = 256u << 10;
	c->max_send_stream = 256u << 10;
	c->max_send_session = 1u << 20;
	c->max_frame_data = BN_HTX_STREAM_DATA_MAX;
	c->rekey_frames = 1u << 16;
	c->rekey_bytes = 8ULL << 30;
	c->rekey_ms = 3600ULL * 1000;
	c->handshake_timeout_ms = 10000;
	c->idle_timeout_ms = 0;
	c->ping_interval_ms = 0;
	c->ping_timeout_ms = 5000;
	c->close_drain_ms = 2000;
	c->max_reassembly = 0;		/* max(max_message, 2 * window) */
	c->key_update_min_frames = BN_HTX_KEY_UPDATE_MIN_FRAMES;
}

static int
config_ok(const struct bn_htx_config *c)
{
	if (c->role != BN_HTX_CLIENT && c->role != BN_HTX_SERVER)
		return 0;
	if (c->max_streams == 0 || c->max_streams > (1u << 20))
		return 0;
	if (c->max_message == 0 || c->max_message > BN_BUF_SIZE_MAX)
		return 0;
	if (c->recv_window_conn < 2 || c->recv_window_conn > 0x7fffffffu ||
	    c->recv_window_stream < 2 || c->recv_window_stream > 0x7fffffffu)
		return 0;
	if (c->max_send_stream == 0 || c->max_send_stream > BN_BUF_SIZE_MAX ||
	    c->max_send_session == 0 ||
	    c->max_send_session > BN_BUF_SIZE_MAX / 2)
		return 0;
	if (c->max_frame_data == 0 ||
	    c->max_frame_data > BN_HTX_STREAM_DATA_MAX)
		return 0;
	if (c->rekey_frames == 0 || c->rekey_bytes == 0 ||
	    c->rekey_ms < HS_REKEY_MS_MIN)
		return 0;
	/* Legacy keys follow from public values: opt-in, as compat. */
	if (c->legacy11 && !c->allow_compat)
		return 0;
	/* Whole messages cannot wait for credit only they would return. */
	if (c->manual_credit && !c->deliver_chunks)
		return 0;
	return 1;
}

/* ---- events ---------------------------------------------------------- */

int
hs_push(struct bn_htx_session *s, const struct hs_ev *e)
{
	if (s->evq_n == HS_EVQ_LEN)
		return BN_ERR_INTERNAL;	/* bounded by construction */
	s->evq[(s->evq_head + s->evq_n) % HS_EVQ_LEN] = *e;
	s->evq_n++;
	return BN_OK;
}

static void
push_simple(struct bn_htx_session *s, uint8_t type, uint32_t sid, int err)
{
	struct hs_ev e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.sid = sid;
	e.err = err;
	(void)hs_push(s, &e);
}

/* ---- sealing --------------------------------------------------------- */

static uint8_t
type11(uint8_t t)
{
	switch (t) {
	case BN_HTX_STREAM:		return BN_HTX11_STREAM;
	case BN_HTX_WINDOW_UPDATE:	return BN_HTX11_WINDOW_UPDATE;
	case BN_HTX_PING:		return BN_HTX11_PING;
	case BN_HTX_KEY_UPDATE:		return BN_HTX11_KEY_UPDATE;
	default:			return BN_HTX11_CLOSE;
	}
}

static int
seal_raw(struct bn_htx_session *s, uint8_t type, uint32_t sid,
    uint16_t aad, const struct bn_iov *iov, int iovcnt, struct bn_buf *out)
{
	size_t plen = 0;
	int i, r;

	for (i = 0; i < iovcnt; i++)
		plen += iov[i].len;
	if (s->profile == BN_HTX_PROFILE_LEGACY11) {
		/* Legacy payloads are whole messages, never scattered. */
		const uint8_t *p = iovcnt > 0 ? iov[0].base : empty_data;

		if (iovcnt > 1)
			return BN_ERR_INTERNAL;
		r = bn_htx11_frame_seal(&s->tx, type11(type), sid, p, plen,
		    out);
	} else
		r = bn_htx_frame_seal(&s->tx, type, sid, aad, iov, iovcnt,
		    out);
	if (r != BN_OK)
		return r;
	s->tx_frames_key++;
	s->tx_bytes_key += plen;
	s->st.frames_out++;
	return BN_OK;
}

/* HKDF with an absent salt, as compat and legacy use it. */
static int
hkdf0(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
    const void *info, size_t infolen)
{
	return bn_hkdf(out, outlen, NULL, 0, ikm, ikmlen, info, infolen);
}

/* label(secret, name, L) = HKDF-Expand(secret, "betanet " || name, L) */
static int
label(uint8_t *out, size_t outlen, const uint8_t secret[32],
    const char *name)
{
	char info[32];
	size_t n = strlen(name);

	if (n > sizeof(info) - 8)
		return BN_ERR_INTERNAL;
	memcpy(info, "betanet ", 8);
	memcpy(info + 8, name, n);
	return bn_hkdf_expand(out, outlen, secret, info, 8 + n);
}

/* A direction from a native traffic secret TS_d (§4). */
static int
dir_from_ts(struct bn_htx_dir *d, const uint8_t ts[32])
{
	uint8_t key[32], salt[BN_AEAD_NONCE_LEN];
	int r;

	if ((r = label(key, sizeof(key), ts, "key")) != BN_OK ||
	    (r = label(salt, sizeof(salt), ts, "nonce")) != BN_OK)
		goto out;
	r = bn_htx_dir_set(d, key, salt);
 out:
	bn_cleanse(key, sizeof(key));
	bn_cleanse(salt, sizeof(salt));
	return r;
}

/* A direction from a compat/legacy key: NonceSalt = HKDF(key, "ns"). */
static int
dir_from_key(struct bn_htx_dir *d, const uint8_t key[32])
{
	uint8_t salt[BN_AEAD_NONCE_LEN];
	int r;

	if ((r = hkdf0(salt, sizeof(salt), key, 32, "ns", 2)) == BN_OK)
		r = bn_htx_dir_set(d, key, salt);
	bn_cleanse(salt, sizeof(salt));
	return r;
}

/* Advance our send direction (any profile) after sealing KEY_UPDATE. */
static int
tx_next_key(struct bn_htx_session *s, const uint8_t *th)
{
	uint8_t nk[32];
	int r, me = s->cfg.role == BN_HTX_CLIENT ? 0 : 1;

	switch (s->profile) {
	case BN_HTX_PROFILE_NATIVE:
		if ((r = label(nk, 32, s->sec_tx, "next")) != BN_OK)
			goto out;
		memcpy(s->sec_tx, nk, 32);
		r = dir_from_ts(&s->tx, s->sec_tx);
		break;
	case BN_HTX_PROFILE_LEGACY11:
		if ((r = hkdf0(s->chain[0], 32, s->chain[0], 32, th, 32)) !=
		    BN_OK ||
		    (r = hkdf0(s->chain[1], 32, s->chain[1], 32, th, 32)) !=
		    BN_OK)
			goto out;
		r = dir_from_key(&s->tx, s->chain[me]);
		break;
	default:
		if ((r = hkdf0(nk, 32, s->sec_tx, 32, "next", 4)) != BN_OK)
			goto out;
		memcpy(s->sec_tx, nk, 32);
		r = dir_from_key(&s->tx, s->sec_tx);
		break;
	}
	s->tx_frames_key = 0;
	s->tx_bytes_key = 0;
	s->t_key_tx = s->now;
	s->st.key_updates_out++;
 out:
	bn_cleanse(nk, sizeof(nk));
	return r;
}

/* Seal KEY_UPDATE under the current key into out, then switch. */
static int
key_update_into(struct bn_htx_session *s, struct bn_buf *out)
{
	uint8_t th[32];
	struct bn_iov iov;
	int r, n = 0;

	memset(th, 0, sizeof(th));
	if (s->profile == BN_HTX_PROFILE_LEGACY11) {
		if ((r = bn_random(th, sizeof(th))) != BN_OK)
			return r;
	}
	/* native: empty payload; compat: 32 ignored bytes (zero, as the
	 * Python client sends); legacy: th. */
	if (s->profile != BN_HTX_PROFILE_NATIVE) {
		iov.base = th;
		iov.len = sizeof(th);
		n = 1;
	}
	if ((r = seal_raw(s, BN_HTX_KEY_UPDATE, 0, 0, &iov, n, out)) == BN_OK)
		r = tx_next_key(s, th);
	bn_cleanse(th, sizeof(th));
	return r;
}

/*
 * Automatic rekey.  Never for legacy: its one key chain (§3b) diverges
 * when both ends rekey at once.  Frame and byte limits wait for
 * BN_HTX_KEY_UPDATE_MIN_FRAMES frames so a peer's flood check never
 * trips on us; the time limit is at least HS_REKEY_MS_MIN apart.
 */
static int
rekey_due(const struct bn_htx_session *s)
{
	if (s->state != HS_ST_OPEN || s->profile == BN_HTX_PROFILE_LEGACY11)
		return 0;
	if (s->now - s->t_key_tx >= s->cfg.rekey_ms)
		return 1;
	if (s->tx_frames_key < BN_HTX_KEY_UPDATE_MIN_FRAMES)
		return 0;
	return s->tx_frames_key >= s->cfg.rekey_frames ||
	    s->tx_bytes_key >= s->cfg.rekey_bytes;
}

/* Seal one frame into out, rekeying first when a limit is reached. */
int
hs_seal(struct bn_htx_session *s, uint8_t type, uint32_t sid,
    uint16_t aad, const struct bn_iov *iov, int iovcnt, struct bn_buf *out)
{
	int r;

	if (rekey_due(s) && (r = key_update_into(s, out)) != BN_OK)
		return r;
	return seal_raw(s, type, sid, aad, iov, iovcnt, out);
}

/* Seal a control frame (or compat message) into obuf. */
int
hs_seal_ctrl(struct bn_htx_session *s, uint8_t type, uint32_t sid,
    uint16_t aad, const uint8_t *p, size_t len)
{
	struct bn_iov iov;
	int r;

	if (!s->have_keys)
		return BN_ERR_STATE;
	if (s->obuf == NULL &&
	    (s->obuf = bn_buf_new(s->obuf_cap + HS_CLOSE_SLACK)) == NULL)
		return BN_ERR_ALLOC;
	if (type != BN_HTX_CLOSE && bn_buf_len(s->obuf) > s->obuf_cap)
		return BN_ERR_LIMIT;
	iov.base = len ? p : empty_data;
	iov.len = len;
	r = hs_seal(s, type, sid, aad, &iov, 1, s->obuf);
	return r;
}

/* ---- closing --------------------------------------------------------- */

static void
wipe_handshake(struct bn_htx_session *s)
{
	if (s->noise != NULL) {
		bn_noise_wipe(s->noise);
		free(s->noise);
		s->noise = NULL;
	}
	bn_cleanse(s->h, sizeof(s->h));
	bn_cleanse(s->k1, sizeof(s->k1));
	bn_cleanse(s->k2, sizeof(s->k2));
	bn_buf_free(s->caps_c);
	bn_buf_free(s->caps_s);
	s->caps_c = s->caps_s = NULL;
}

static void
set_reason(struct bn_htx_session *s, const uint8_t *p, size_t len)
{
	if (len > BN_HTX_REASON_MAX)
		len = BN_HTX_REASON_MAX;
	if (len)
		memcpy(s->reason, p, len);
	s->reason[len] = '\0';
}

/*
 * End the session.  send: seal CLOSE(code) under our send key (native,
 * or a deliberate local close); otherwise the connection just ends.
 */
static void
do_close(struct bn_htx_session *s, uint16_t code, int err, int by_peer,
    int send, const char *why)
{
	uint8_t pl[4 + BN_HTX_REASON_MAX];
	size_t rl;
	struct hs_ev e;

	if (s->state == HS_ST_CLOSED)
		return;
	rl = why ? strlen(why) : 0;
	if (!by_peer)
		set_reason(s, (const uint8_t *)(why ? why : ""), rl);
	if (rl > BN_HTX_REASON_MAX)
		rl = BN_HTX_REASON_MAX;
	s->close_code = code;
	s->close_err = err;
	s->close_by_peer = by_peer;
	s->close_at = s->now;		/* the drain counts from here */
	if (send && !by_peer && s->have_keys) {
		bn_store_u16(pl, code);
		bn_store_u16(pl + 2, (uint16_t)rl);
		if (rl)
			memcpy(pl + 4, why, rl);
		if (hs_seal_ctrl(s, BN_HTX_CLOSE, 0, 0, pl, 4 + rl) == BN_OK)
			s->close_sent = 1;
	}
	s->state = HS_ST_CLOSED;
	hs_stream_free_all(s);
	wipe_handshake(s);
	memset(&e, 0, sizeof(e));
	e.type = BN_HTX_EV_CLOSED;
	e.err = err;
	if (hs_push(s, &e) != BN_OK) {
		/* The queue is full of events for a dead session: keep the
		 * CLOSED one, it is the one that matters. */
		s->evq_n = 0;
		(void)hs_push(s, &e);
	}
}

/*
 * A protocol failure.  Native: CLOSE with code under our send key.
 * Compat, legacy and the caps exchange: the connection is simply closed
 * (the keys are not secret, §3).
 */
void
hs_fail(struct bn_htx_session *s, uint16_t code, int err, const char *why)
{
	int send = s->state == HS_ST_OPEN &&
	    s->profile == BN_HTX_PROFILE_NATIVE;

	do_close(s, code, err, 0, send, why);
}

/* ---- handshake -------------------------------------------------------- */

static int
put_hs_msg(struct bn_htx_session *s, const uint8_t *m, size_t len)
{
	if (s->obuf == NULL &&
	    (s->obuf = bn_buf_new(s->obuf_cap + HS_CLOSE_SLACK)) == NULL)
		return BN_ERR_ALLOC;
	if (bn_buf_put_u16(s->obuf, (uint16_t)len) != BN_OK ||
	    bn_buf_put(s->obuf, m, len) != BN_OK)
		return BN_ERR_NO_SPACE;
	s->st.frames_out++;
	return BN_OK;
}

static int
write_hs(struct bn_htx_session *s)
{
	uint8_t m[BN_NOISE_XK_MSG3_LEN];
	size_t n;
	int r;

	if ((r = bn_noise_write(s->noise, empty_data, 0, m, sizeof(m), &n)) ==
	    BN_OK)
		r = put_hs_msg(s, m, n);
	return r;
}

static int
compat_keys(struct bn_htx_session *s)
{
	uint8_t k0[64];
	int r, me = s->cfg.role == BN_HTX_CLIENT ? 0 : 1;

	if ((r = hkdf0(k0, sizeof(k0), s->h, sizeof(s->h), "htx inner v1",
	    12)) != BN_OK)
		goto out;
	memcpy(s->chain[0], k0, 32);
	memcpy(s->chain[1], k0 + 32, 32);
	memcpy(s->sec_tx, s->chain[me], 32);
	memcpy(s->sec_rx, s->chain[!me], 32);
	if ((r = dir_from_key(&s->tx, s->sec_tx)) != BN_OK ||
	    (r = dir_from_key(&s->rx, s->sec_rx)) != BN_OK)
		goto out;
	s->have_keys = 1;
	s->t_key_tx = s->now;
 out:
	bn_cleanse(k0, sizeof(k0));
	return r;
}

static void
handshake_done(struct bn_htx_session *s, enum bn_htx_profile p)
{
	s->profile = p;
	s->state = HS_ST_OPEN;
	/* The Python client numbers compat streams 1, 2, 3 (§3). */
	if (p == BN_HTX_PROFILE_COMPAT && s->cfg.role == BN_HTX_CLIENT)
		s->next_local_id = 1;
	s->t_key_tx = s->now;
	s->tx_frames_key = s->tx_bytes_key = 0;
	s->rx_frames_key = 0;
	s->rx_ku_seen = 0;
	wipe_handshake(s);
	push_simple(s, BN_HTX_EV_HANDSHAKE_DONE, 0, BN_OK);
}

static int
send_caps(struct bn_htx_session *s, struct bn_buf **keep)
{
	struct bn_caps c;
	int r;

	bn_caps_default(&c, s->cfg.offer_native);
	if (s->cfg.role == BN_HTX_CLIENT && s->cfg.has_template) {
		c.has_template = 1;
		memcpy(c.template_id, s->cfg.template_id, 32);
	}
	if ((*keep = bn_buf_new(4096)) == NULL)
		return BN_ERR_ALLOC;
	if ((r = bn_caps_encode(&c, *keep)) != BN_OK)
		return r;
	return hs_seal_ctrl(s, BN_HTX_STREAM, 1, 0, bn_buf_ptr(*keep),
	    bn_buf_len(*keep));
}

/* After msg3: h, k1, k2 and the compat (or legacy) keys. */
static int
after_msg3(struct bn_htx_session *s)
{
	int r;

	if ((r = bn_noise_split(s->noise, s->h, s->k1, s->k2)) != BN_OK)
		return r;
	if (s->cfg.role == BN_HTX_SERVER &&
	    (r = bn_noise_remote_static(s->noise, s->peer_static)) != BN_OK)
		return r;
	s->have_peer = 1;
	bn_noise_wipe(s->noise);
	free(s->noise);
	s->noise = NULL;
	if ((r = compat_keys(s)) != BN_OK)
		return r;
	if (s->cfg.legacy11) {
		handshake_done(s, BN_HTX_PROFILE_LEGACY11);
		return BN_OK;
	}
	s->state = HS_ST_CAPS;
	if (s->cfg.role == BN_HTX_CLIENT)
		return send_caps(s, &s->caps_c);
	return BN_OK;
}

/* One u16-prefixed handshake message: 1 processed, 0 need more. */
static int
step_handshake(struct bn_htx_session *s)
{
	uint8_t m[BN_NOISE_XK_MSG3_LEN], pbuf[1];
	uint16_t len;
	size_t want, pl;
	int r;

	if (s->in == NULL || bn_buf_peek_u16(s->in, 0, &len) != BN_OK)
		return 0;
	if (s->cfg.role == BN_HTX_CLIENT)
		want = BN_NOISE_XK_MSG2_LEN;
	else
		want = s->noise->msg_index == 0 ? BN_NOISE_XK_MSG1_LEN :
		    BN_NOISE_XK_MSG3_LEN;
	if (len != want) {
		do_close(s, BN_HTX_CLOSE_AUTH_FAILED, BN_ERR_HANDSHAKE, 0, 0,
		    "handshake length");
		return 1;
	}
	if (bn_buf_len(s->in) < 2 + want)
		return 0;
	(void)bn_buf_consume(s->in, 2);
	(void)bn_buf_get(s->in, m, want);
	s->st.frames_in++;
	r = bn_noise_read(s->noise, m, want, pbuf, sizeof(pbuf), &pl);
	if (r == BN_OK) {
		if (s->cfg.role == BN_HTX_SERVER && !bn_noise_done(s->noise))
			r = write_hs(s);		/* msg2 */
		else if (s->cfg.role == BN_HTX_CLIENT) {
			if ((r = write_hs(s)) == BN_OK)	/* msg3 */
				r = after_msg3(s);
		} else
			r = after_msg3(s);
	}
	bn_cleanse(m, sizeof(m));
	if (r != BN_OK)
		do_close(s, BN_HTX_CLOSE_AUTH_FAILED, r, 0, 0, "handshake");
	return 1;
}

/* ---- caps exchange and the native switch (§3, §4) --------------------- */

static int
native_switch(struct bn_htx_session *s, const struct bn_caps_sel *sel,
    const uint8_t template_id[32])
{
	struct bn_buf *ctx = NULL, *info = NULL;
	uint8_t outer[32], ikm[64], ekm[32], k0p[32];
	int r, me = s->cfg.role == BN_HTX_CLIENT ? 0 : 1;
	uint8_t ts[2][32];

	memset(outer, 0, sizeof(outer));
	if ((ctx = bn_buf_new(16384)) == NULL ||
	    (info = bn_buf_new(16384 + 64)) == NULL) {
		r = BN_ERR_ALLOC;
		goto out;
	}
	if ((r = bn_caps_context(sel, bn_buf_ptr(s->caps_c),
	    bn_buf_len(s->caps_c), bn_buf_ptr(s->caps_s),
	    bn_buf_len(s->caps_s), template_id, ctx)) != BN_OK)
		goto out;
	if (s->cfg.exporter != NULL && (r = s->cfg.exporter(
	    s->cfg.exporter_arg, bn_buf_ptr(ctx), bn_buf_len(ctx), outer)) !=
	    BN_OK)
		goto out;
	memcpy(ikm, s->k1, 32);
	memcpy(ikm + 32, s->k2, 32);
	if ((r = bn_buf_put(info, "betanet/1.2/inner", 17)) != BN_OK ||
	    (r = bn_buf_put(info, s->h, 32)) != BN_OK ||
	    (r = bn_buf_put(info, bn_buf_ptr(ctx), bn_buf_len(ctx))) != BN_OK)
		goto out;
	if ((r = bn_hkdf(ekm, 32, outer, 32, ikm, 64, bn_buf_ptr(info),
	    bn_buf_len(info))) != BN_OK ||
	    (r = bn_hkdf_extract(k0p, zero32, 32, ekm, 32)) != BN_OK ||
	    (r = label(ts[0], 32, k0p, "ts_c")) != BN_OK ||
	    (r = label(ts[1], 32, k0p, "ts_s")) != BN_OK)
		goto out;
	memcpy(s->sec_tx, ts[me], 32);
	memcpy(s->sec_rx, ts[!me], 32);
	if ((r = dir_from_ts(&s->tx, s->sec_tx)) != BN_OK ||
	    (r = dir_from_ts(&s->rx, s->sec_rx)) != BN_OK)
		goto out;
	/* Windows start afresh (§4). */
	s->conn_rx = s->conn_tx = 0;
	s->conn_rx_limit = s->conn_tx_limit = 65535;
 out:
	bn_cleanse(outer, sizeof(outer));
	bn_cleanse(ikm, sizeof(ikm));
	bn_cleanse(ekm, sizeof(ekm));
	bn_cleanse(k0p, sizeof(k0p));
	bn_cleanse(ts, sizeof(ts));
	bn_buf_free(ctx);
	bn_buf_free(info);
	return r;
}

static int
keep_raw(struct bn_buf **b, const uint8_t *p, size_t len)
{
	if ((*b = bn_buf_new(len ? len : 1)) == NULL)
		return BN_ERR_ALLOC;
	return bn_buf_put(*b, p, len);
}

static int
sel_equal(const struct bn_caps_sel *a, const struct bn_caps_sel *b)
{
	int i;

	for (i = 0; i < BN_CAPS_LAYERS; i++)
		if (strcmp(a->l[i], b->l[i]) != 0)
			return 0;
	return 1;
}

static void
caps_client(struct bn_htx_session *s, const struct bn_htx_frame *f)
{
	struct bn_caps ours, theirs;
	struct bn_caps_sel sel;
	struct bn_buf *sb = NULL;
	int r, native;

	if ((r = bn_caps_decode(f->payload, f->len, &theirs)) != BN_OK ||
	    (r = keep_raw(&s->caps_s, f->payload, f->len)) != BN_OK)
		goto fail;
	native = s->cfg.offer_native && theirs.native;
	if (!native && !s->cfg.allow_compat) {
		do_close(s, BN_HTX_CLOSE_VERSION_NEGOTIATION_FAILED,
		    BN_ERR_COMPAT_REFUSED, 0, 0, "peer lacks native");
		return;
	}
	if ((r = bn_caps_decode(bn_buf_ptr(s->caps_c), bn_buf_len(s->caps_c),
	    &ours)) != BN_OK)
		goto fail;
	bn_caps_select(&ours, &theirs, &sel);
	if ((sb = bn_buf_new(1024)) == NULL) {
		r = BN_ERR_ALLOC;
		goto fail;
	}
	if ((r = bn_caps_sel_encode(&sel, sb)) != BN_OK ||
	    (r = hs_seal_ctrl(s, BN_HTX_STREAM, 1, 0, bn_buf_ptr(sb),
	    bn_buf_len(sb))) != BN_OK)
		goto fail;
	if (native && (r = native_switch(s, &sel, s->cfg.has_template ?
	    s->cfg.template_id : zero32)) != BN_OK)
		goto fail;
	bn_buf_free(sb);
	handshake_done(s, native ? BN_HTX_PROFILE_NATIVE :
	    BN_HTX_PROFILE_COMPAT);
	return;
 fail:
	bn_buf_free(sb);
	do_close(s, BN_HTX_CLOSE_VERSION_NEGOTIATION_FAILED, r, 0, 0,
	    "caps exchange");
}

static void
caps_server(struct bn_htx_session *s, const struct bn_htx_frame *f)
{
	struct bn_caps cc, ours;
	struct bn_caps_sel sel, want;
	int r;

	if (s->caps_step == 0) {
		if ((r = bn_caps_decode(f->payload, f->len, &cc)) != BN_OK ||
		    (r = keep_raw(&s->caps_c, f->payload, f->len)) != BN_OK)
			goto fail;
		s->peer_native = cc.native;
		if (!(cc.native && s->cfg.offer_native) &&
		    !s->cfg.allow_compat) {
			/* §3: close without answering. */
			do_close(s, BN_HTX_CLOSE_VERSION_NEGOTIATION_FAILED,
			    BN_ERR_COMPAT_REFUSED, 0, 0, "peer lacks native");
			return;
		}
		if ((r = send_caps(s, &s->caps_s)) != BN_OK)
			goto fail;
		s->caps_step = 1;
		return;
	}
	if ((r = bn_caps_sel_decode(f->payload, f->len, &sel)) != BN_OK ||
	    (r = bn_caps_decode(bn_buf_ptr(s->caps_c), bn_buf_len(s->caps_c),
	    &cc)) != BN_OK ||
	    (r = bn_caps_decode(bn_buf_ptr(s->caps_s), bn_buf_len(s->caps_s),
	    &ours)) != BN_OK)
		goto fail;
	bn_caps_select(&cc, &ours, &want);
	if (!sel_equal(&sel, &want)) {
		r = BN_ERR_PROTOCOL;
		goto fail;
	}
	if (cc.native && ours.native) {
		if ((r = native_switch(s, &sel, cc.has_template ?
		    cc.template_id : zero32)) != BN_OK)
			goto fail;
		handshake_done(s, BN_HTX_PROFILE_NATIVE);
	} else
		handshake_done(s, BN_HTX_PROFILE_COMPAT);
	return;
 fail:
	do_close(s, BN_HTX_CLOSE_VERSION_NEGOTIATION_FAILED, r, 0, 0,
	    "caps exchange");
}

/* ---- frame dispatch ---------------------------------------------------- */

static int
rx_next_key(struct bn_htx_session *s, const struct bn_htx_frame *f)
{
	uint8_t nk[32];
	int r, peer = s->cfg.role == BN_HTX_CLIENT ? 1 : 0;

	switch (s->profile) {
	case BN_HTX_PROFILE_NATIVE:
		/* Keep the old generation for up to 3 frames (§4). */
		bn_htx_dir_clear(&s->rx_old);
		s->rx_old = s->rx;
		memset(&s->rx, 0, sizeof(s->rx));
		s->rx_old_left = 3;
		s->rx_old_at = s->now;
		if ((r = label(nk, 32, s->sec_rx, "next")) != BN_OK)
			goto out;
		memcpy(s->sec_rx, nk, 32);
		r = dir_from_ts(&s->rx, s->sec_rx);
		break;
	case BN_HTX_PROFILE_LEGACY11:
		if (f->len == 0) {
			r = BN_ERR_PROTOCOL;
			goto out;
		}
		if ((r = hkdf0(s->chain[0], 32, s->chain[0], 32, f->payload,
		    f->len)) != BN_OK ||
		    (r = hkdf0(s->chain[1], 32, s->chain[1], 32, f->payload,
		    f->len)) != BN_OK)
			goto out;
		r = dir_from_key(&s->rx, s->chain[peer]);
		break;
	default:
		if ((r = hkdf0(nk, 32, s->sec_rx, 32, "next", 4)) != BN_OK)
			goto out;
		memcpy(s->sec_rx, nk, 32);
		r = dir_from_key(&s->rx, s->sec_rx);
		break;
	}
	s->st.key_updates_in++;
 out:
	bn_cleanse(nk, sizeof(nk));
	return r;
}

/*
 * A peer's KEY_UPDATE costs a key derivation and a new AEAD context:
 * refuse one that follows the previous one closer than
 * key_update_min_frames frames and BN_HTX_KEY_UPDATE_GRACE_MS.  The
 * frame count includes this KEY_UPDATE.
 */
static int
rx_key_update_ok(struct bn_htx_session *s)
{
	uint64_t min = s->cfg.key_update_min_frames;
	int ok;

	ok = !s->rx_ku_seen || min == 0 || s->rx_frames_key > min ||
	    s->now - s->t_rx_ku >= BN_HTX_KEY_UPDATE_GRACE_MS;
	s->rx_ku_seen = 1;
	s->rx_frames_key = 0;
	s->t_rx_ku = s->now;
	return ok;
}

static void
rx_ping(struct bn_htx_session *s, const struct bn_htx_frame *f)
{
	struct hs_ev e;

	if (f->aad == 0) {
		if (hs_seal_ctrl(s, BN_HTX_PING, 0, 1, f->payload, f->len) !=
		    BN_OK)
			hs_fail(s, BN_HTX_CLOSE_POLICY_REJECTED, BN_ERR_LIMIT,
			    "control backlog");
		return;
	}
	if (!s->ping_out || f->len != BN_HTX_PING_TOKEN_LEN ||
	    !bn_ct_eq(f->payload, s->ping_token, BN_HTX_PING_TOKEN_LEN))
		return;		/* stale or unknown answer: ignore */
	s->ping_out = 0;
	memset(&e, 0, sizeof(e));
	e.type = BN_HTX_EV_PING_RTT;
	e.rtt = s->now - s->ping_sent;
	(void)hs_push(s, &e);
}

static int
parse_close(struct bn_htx_session *s, const struct bn_htx_frame *f,
    uint16_t *code)
{
	uint16_t rl;

	if (f->len < 4)
		return BN_ERR_MALFORMED;
	*code = bn_load_u16(f->payload);
	rl = bn_load_u16(f->payload + 2);
	if (rl > BN_HTX_REASON_MAX || (size_t)rl + 4 != f->len)
		return BN_ERR_MALFORMED;
	set_reason(s, f->payload + 4, rl);
	return BN_OK;
}

static void
rx_native(struct bn_htx_session *s, const struct bn_htx_frame *f)
{
	uint16_t code;
	int r;

	if (f->aad != 0 && !(f->type == BN_HTX_PING && f->aad == 1)) {
		hs_fail(s, BN_HTX_CLOSE_MALFORMED_FRAME, BN_ERR_PROTOCOL,
		    "AADfield");
		return;
	}
	switch (f->type) {
	case BN_HTX_STREAM:
		r = hs_stream_rx(s, f->stream_id, f->payload, f->len);
		break;
	case BN_HTX_WINDOW_UPDATE:
		r = hs_stream_window_update(s, f->stream_id, f->payload,
		    f->len);
		break;
	case BN_HTX_PING:
		if (f->stream_id != 0 || f->len != BN_HTX_PING_TOKEN_LEN) {
			r = BN_ERR_MALFORMED;
			break;
		}
		rx_ping(s, f);
		return;
	case BN_HTX_KEY_UPDATE:
		if (f->stream_id != 0 || f->len != 0) {
			r = BN_ERR_MALFORMED;
			break;
		}
		if (!rx_key_update_ok(s)) {
			hs_fail(s, BN_HTX_CLOSE_POLICY_REJECTED, BN_ERR_LIMIT,
			    "key update flood");
			return;
		}
		r = rx_next_key(s, f);
		break;
	case BN_HTX_CLOSE:
		if (f->stream_id != 0 ||
		    (r = parse_close(s, f, &code)) != BN_OK) {
			r = BN_ERR_MALFORMED;
			break;
		}
		do_close(s, code, BN_OK, 1, 0, NULL);
		return;
	default:
		r = BN_ERR_MALFORMED;
		break;
	}
	if (r == BN_ERR_FLOW_CONTROL)
		hs_fail(s, BN_HTX_CLOSE_FLOW_CONTROL_VIOLATION, r,
		    "flow control");
	else if (r == BN_ERR_LIMIT)
		hs_fail(s, BN_HTX_CLOSE_POLICY_REJECTED, r, "limit");
	else if (r == BN_ERR_ALLOC || r == BN_ERR_CRYPTO ||
	    r == BN_ERR_INTERNAL || r == BN_ERR_NONCE_EXHAUSTED)
		hs_fail(s, BN_HTX_CLOSE_INTERNAL_ERROR, r, "internal");
	else if (r != BN_OK)
		hs_fail(s, BN_HTX_CLOSE_MALFORMED_FRAME, r, "malformed frame");
}

static struct hs_lru *
lru_get(struct bn_htx_session *s, uint32_t sid)
{
	struct hs_lru *e = &s->lru[0];
	size_t i;

	for (i = 0; i < HS_LRU_LEN; i++) {
		if (s->lru[i].stamp != 0 && s->lru[i].sid == sid) {
			e = &s->lru[i];
			goto out;
		}
		if (s->lru[i].stamp < e->stamp)
			e = &s->lru[i];
	}
	e->sid = sid;
	e->used = 0;
	e->win = 65535;
 out:
	e->stamp = ++s->lru_clock;
	return e;
}

/*
 * Compat/legacy receive credit: we never enforce windows, but grant so a
 * Python sender (which stops on a spent window) keeps going (§3, §3b).
 */
static int
compat_credit(struct bn_htx_session *s, uint32_t sid, size_t len)
{
	struct hs_lru *e = lru_get(s, sid);
	uint8_t pl[9];
	struct bn_buf b;
	int r = BN_OK;

	if (s->profile == BN_HTX_PROFILE_LEGACY11) {
		e->win -= (int64_t)len;
		if (e->win > 32767)
			return BN_OK;
		e->win += 32767;
		bn_buf_fixed(&b, pl, sizeof(pl));
		(void)bn_buf_put_varint(&b, 32767);
		return hs_seal_ctrl(s, BN_HTX_WINDOW_UPDATE, sid, 0,
		    bn_buf_ptr(&b), bn_buf_len(&b));
	}
	len = len > UINT32_MAX / 4 ? UINT32_MAX / 4 : len;
	e->used += (uint32_t)len;
	if (e->used >= 16384) {
		pl[0] = 1;
		bn_store_u32(pl + 1, e->used);
		e->used = 0;
		r = hs_seal_ctrl(s, BN_HTX_WINDOW_UPDATE, sid, 0, pl, 5);
	}
	s->compat_conn_used += (uint32_t)len;
	if (r == BN_OK && s->compat_conn_used >= 32768) {
		pl[0] = 0;
		bn_store_u32(pl + 1, s->compat_conn_used);
		s->compat_conn_used = 0;
		r = hs_seal_ctrl(s, BN_HTX_WINDOW_UPDATE, 0, 0, pl, 5);
	}
	return r;
}

static void
rx_compat(struct bn_htx_session *s, const struct bn_htx_frame *f)
{
	struct hs_ev e;
	uint16_t code;
	int r = BN_OK;

	switch (f->type) {
	case BN_HTX_STREAM:
		if (s->profile == BN_HTX_PROFILE_LEGACY11 &&
		    s->cfg.role == BN_HTX_CLIENT && (f->stream_id & 1) == 0)
			break;	/* the echo server's pushed control frame */
		if (s->profile == BN_HTX_PROFILE_LEGACY11 &&
		    f->len > s->cfg.max_message) {
			r = BN_ERR_TOO_LARGE;
			break;
		}
		memset(&e, 0, sizeof(e));
		e.type = s->cfg.deliver_chunks ? BN_HTX_EV_STREAM_DATA :
		    BN_HTX_EV_MESSAGE;
		e.sid = f->stream_id;
		e.data = f->len ? f->payload : empty_data;
		e.len = f->len;
		e.fin = 1;
		s->in_lent = 1;
		(void)hs_push(s, &e);
		r = compat_credit(s, f->stream_id, f->len);
		break;
	case BN_HTX_WINDOW_UPDATE:
		break;		/* a compat sender never stalls */
	case BN_HTX_PING:
		if (s->profile == BN_HTX_PROFILE_LEGACY11)
			break;
		rx_ping(s, f);
		break;
	case BN_HTX_KEY_UPDATE:
		if (!rx_key_update_ok(s)) {
			hs_fail(s, BN_HTX_CLOSE_POLICY_REJECTED, BN_ERR_LIMIT,
			    "key update flood");
			return;
		}
		r = rx_next_key(s, f);
		break;
	case BN_HTX_CLOSE:
		if (parse_close(s, f, &code) != BN_OK)
			code = f->len >= 2 ? bn_load_u16(f->payload) : 0;
		do_close(s, code, BN_OK, 1, 0, NULL);
		return;
	default:
		r = BN_ERR_MALFORMED;
		break;
	}
	if (r != BN_OK)
		hs_fail(s, BN_HTX_CLOSE_MALFORMED_FRAME, r, "compat frame");
}

static uint8_t
type12(uint8_t t11)
{
	switch (t11) {
	case BN_HTX11_STREAM:		return BN_HTX_STREAM;
	case BN_HTX11_WINDOW_UPDATE:	return BN_HTX_WINDOW_UPDATE;
	case BN_HTX11_PING:		return BN_HTX_PING;
	case BN_HTX11_KEY_UPDATE:	return BN_HTX_KEY_UPDATE;
	case BN_HTX11_CLOSE:		return BN_HTX_CLOSE;
	default:			return 0xff;
	}
}

static void
drop_rx_old(struct bn_htx_session *s)
{
	bn_htx_dir_clear(&s->rx_old);
	s->rx_old_left = 0;
}

/*
 * Open the frame at the front of in.  Native after a KEY_UPDATE: for 3
 * frames, and at most HS_OLD_KEY_MS, a frame the new key does not open
 * may still open under the previous generation (§4).  A failed open
 * leaves the bytes as they were.
 */
static int
open_native(struct bn_htx_session *s, struct bn_htx_frame *f)
{
	int r;

	if (s->rx_old_left > 0 && s->now - s->rx_old_at >= HS_OLD_KEY_MS)
		drop_rx_old(s);
	r = bn_htx_frame_open(&s->rx, s->in, 0, f);
	if (s->rx_old_left == 0)
		return r;
	if (r == BN_ERR_AUTH)
		r = bn_htx_frame_open(&s->rx_old, s->in, 0, f);
	if (r == BN_OK && --s->rx_old_left == 0)
		bn_htx_dir_clear(&s->rx_old);
	return r;
}

/* One frame: 1 processed (or the session ended), 0 need more input. */
static int
step_frame(struct bn_htx_session *s)
{
	struct bn_htx_frame f;
	int legacy = s->profile == BN_HTX_PROFILE_LEGACY11;
	int native = s->state == HS_ST_OPEN &&
	    s->profile == BN_HTX_PROFILE_NATIVE;
	size_t need;
	int r;

	if (s->in == NULL)
		return 0;
	r = legacy ? bn_htx11_frame_peek(s->in, &need) :
	    bn_htx_frame_peek(s->in, &need);
	if (r == BN_ERR_INCOMPLETE)
		return 0;
	if (r == BN_OK && need > s->in_cap)
		r = BN_ERR_TOO_LARGE;
	if (r != BN_OK) {
		/* Decided from Len alone, before any body arrives. */
		hs_fail(s, BN_HTX_CLOSE_MALFORMED_FRAME, r, "frame length");
		return 1;
	}
	if (bn_buf_len(s->in) < need)
		return 0;
	if (native)
		r = open_native(s, &f);
	else if (legacy)
		r = bn_htx11_frame_open(&s->rx, s->in, 8, &f);
	else {
		uint64_t before = s->rx.counter;

		r = bn_htx_frame_open(&s->rx, s->in, 8, &f);
		if (r == BN_OK && s->rx.counter > before + 1)
			s->st.skipped_nonces += s->rx.counter - before - 1;
	}
	if (r != BN_OK) {
		hs_fail(s, BN_HTX_CLOSE_AUTH_FAILED, r, "frame did not open");
		return 1;
	}
	s->st.frames_in++;
	if (s->rx_frames_key < UINT64_MAX)
		s->rx_frames_key++;
	if (legacy)
		f.type = type12(f.type);
	if (s->state == HS_ST_CAPS) {
		if (f.type == BN_HTX_WINDOW_UPDATE)
			return 1;
		if (f.type != BN_HTX_STREAM || f.stream_id != 1) {
			hs_fail(s, BN_HTX_CLOSE_VERSION_NEGOTIATION_FAILED,
			    BN_ERR_PROTOCOL, "frame before caps");
			return 1;
		}
		if (s->cfg.role == BN_HTX_CLIENT)
			caps_client(s, &f);
		else
			caps_server(s, &f);
		return 1;
	}
	if (native)
		rx_native(s, &f);
	else
		rx_compat(s, &f);
	return 1;
}

/* ---- public API -------------------------------------------------------- */

struct bn_htx_session *
bn_htx_session_new(const struct bn_htx_config *cfg, uint64_t now_ms)
{
	struct bn_htx_session *s;
	enum bn_noise_role role;

	if (cfg == NULL || !config_ok(cfg))
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cfg = *cfg;
	/* A legacy frame (Len u24) bounds a legacy message. */
	if (cfg->legacy11 && s->cfg.max_message > HS_LEGACY_MSG_MAX)
		s->cfg.max_message = HS_LEGACY_MSG_MAX;
	if (s->cfg.max_reassembly == 0) {
		s->cfg.max_reassembly = 2 * (size_t)s->cfg.recv_window_conn;
		if (s->cfg.max_reassembly < s->cfg.max_message)
			s->cfg.max_reassembly = s->cfg.max_message;
	}
	s->close_code = -1;
	s->now = s->t_start = s->t_last_rx = s->t_key_tx = now_ms;
	s->obuf_cap = cfg->max_send_session + HS_CTRL_SLACK;
	s->in_cap = 2 * BN_HTX_FRAME_MAX;
	if (cfg->legacy11)
		s->in_cap = s->cfg.max_message + 64 + BN_HTX_FRAME_MAX;
	s->next_local_id = cfg->role == BN_HTX_CLIENT ? 3 : 2;
	if (cfg->legacy11)
		s->next_local_id = 1;
	s->wire_next_local = s->next_local_id;
	s->peer_max_id = cfg->role == BN_HTX_CLIENT ? 0 : 1;
	if ((s->noise = calloc(1, sizeof(*s->noise))) == NULL)
		goto fail;
	role = cfg->role == BN_HTX_CLIENT ? BN_NOISE_INITIATOR :
	    BN_NOISE_RESPONDER;
	if ((cfg->has_static_pub ?
	    bn_noise_xk_init_pub(s->noise, role, cfg->static_priv,
	    cfg->static_pub, cfg->role == BN_HTX_CLIENT ? cfg->server_pub :
	    NULL) :
	    bn_noise_xk_init(s->noise, role, cfg->static_priv,
	    cfg->role == BN_HTX_CLIENT ? cfg->server_pub : NULL)) != BN_OK)
		goto fail;
	if (cfg->role == BN_HTX_CLIENT) {
		memcpy(s->peer_static, cfg->server_pub, BN_KEY_LEN);
		s->have_peer = 1;
	}
	return s;
 fail:
	bn_htx_session_free(s);
	return NULL;
}

void
bn_htx_session_free(struct bn_htx_session *s)
{
	if (s == NULL)
		return;
	hs_stream_free_all(s);
	wipe_handshake(s);
	bn_htx_dir_clear(&s->tx);
	bn_htx_dir_clear(&s->rx);
	bn_htx_dir_clear(&s->rx_old);
	bn_buf_free(s->in);
	bn_buf_free(s->obuf);
	bn_buf_free(s->delivered);
	while (s->evq_n > 0) {
		bn_buf_free(s->evq[s->evq_head].own);
		s->evq_head = (s->evq_head + 1) % HS_EVQ_LEN;
		s->evq_n--;
	}
	bn_cleanse(s, sizeof(*s));
	free(s);
}

int
bn_htx_session_set_ephemeral(struct bn_htx_session *s,
    const uint8_t e_priv[BN_KEY_LEN])
{
	if (s->noise == NULL || s->msg1_sent ||
	    (s->in != NULL && bn_buf_len(s->in) > 0))
		return BN_ERR_STATE;
	return bn_noise_set_ephemeral(s->noise, e_priv);
}

struct bn_htx_dir *
bn_htx_session_test_tx_dir(struct bn_htx_session *s)
{
	return s->have_keys ? &s->tx : NULL;
}

/* Free what the last event lent, and shrink an idle input buffer. */
static void
release_lent(struct bn_htx_session *s)
{
	bn_buf_free(s->delivered);
	s->delivered = NULL;
	if (s->evq_n == 0)
		s->in_lent = 0;
	if (!s->in_lent && s->in != NULL && bn_buf_len(s->in) == 0) {
		bn_buf_free(s->in);
		s->in = NULL;
	}
}

int
bn_htx_session_feed(struct bn_htx_session *s, const uint8_t *p, size_t len,
    uint64_t now_ms, size_t *accepted)
{
	size_t n;
	int r;

	*accepted = 0;
	if (now_ms > s->now)
		s->now = now_ms;
	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	release_lent(s);
	if (s->in_lent || len == 0)
		return BN_OK;
	if (s->in == NULL && (s->in = bn_buf_new(s->in_cap)) == NULL)
		return BN_ERR_ALLOC;
	n = bn_buf_avail(s->in);
	if (n > len)
		n = len;
	if (n == 0)
		return BN_OK;
	if ((r = bn_buf_put(s->in, p, n)) != BN_OK)
		return r;
	*accepted = n;
	s->st.bytes_in += n;
	s->t_last_rx = s->now;
	return BN_OK;
}

static void
fill_event(struct bn_htx_session *s, const struct hs_ev *e,
    struct bn_htx_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = e->type;
	ev->stream_id = e->sid;
	ev->data = e->data;
	ev->len = e->len;
	ev->fin = e->fin;
	ev->err = e->err;
	ev->rtt_ms = e->rtt;
	ev->profile = s->profile;
	if (e->type == BN_HTX_EV_HANDSHAKE_DONE)
		ev->peer_static = s->peer_static;
	if (e->type == BN_HTX_EV_CLOSED) {
		ev->code = (uint16_t)s->close_code;
		ev->by_peer = s->close_by_peer;
		ev->reason = s->reason;
	}
	bn_buf_free(s->delivered);
	s->delivered = e->own;
}

static int
pop_event(struct bn_htx_session *s, struct bn_htx_event *ev)
{
	if (s->evq_n == 0)
		return 0;
	fill_event(s, &s->evq[s->evq_head], ev);
	s->evq_head = (s->evq_head + 1) % HS_EVQ_LEN;
	s->evq_n--;
	return 1;
}

static void
start_client(struct bn_htx_session *s)
{
	if (s->cfg.role != BN_HTX_CLIENT || s->msg1_sent ||
	    s->state != HS_ST_HANDSHAKE)
		return;
	s->msg1_sent = 1;
	if (write_hs(s) != BN_OK)
		do_close(s, BN_HTX_CLOSE_INTERNAL_ERROR, BN_ERR_HANDSHAKE, 0,
		    0, "handshake");
}

int
bn_htx_session_next_event(struct bn_htx_session *s,
    struct bn_htx_event *ev, uint64_t now_ms)
{
	uint32_t sid;

	memset(ev, 0, sizeof(*ev));
	if (now_ms > s->now)
		s->now = now_ms;
	release_lent(s);
	start_client(s);
	for (;;) {
		if (pop_event(s, ev))
			return 1;
		if (s->state == HS_ST_CLOSED)
			return 0;
		if (hs_stream_next_writable(s, &sid)) {
			ev->type = BN_HTX_EV_WRITABLE;
			ev->stream_id = sid;
			ev->profile = s->profile;
			return 1;
		}
		if (s->in_lent)
			return 0;
		if (s->state == HS_ST_HANDSHAKE) {
			if (!step_handshake(s))
				return 0;
		} else if (!step_frame(s))
			return 0;
	}
}

size_t
bn_htx_session_pending_output(const struct bn_htx_session *s)
{
	size_t n = s->obuf ? bn_buf_len(s->obuf) : 0;

	if (s->state != HS_ST_CLOSED)
		n += s->sq_total;
	if (s->cfg.role == BN_HTX_CLIENT && !s->msg1_sent &&
	    s->state == HS_ST_HANDSHAKE)
		n += 2 + BN_NOISE_XK_MSG1_LEN;
	return n;
}

int
bn_htx_session_pull(struct bn_htx_session *s, struct bn_buf *out,
    size_t max, size_t *np)
{
	size_t room, k, start = bn_buf_len(out);
	int r = BN_OK;

	if (np != NULL)
		*np = 0;
	start_client(s);
	room = bn_buf_avail(out);
	if (room > max)
		room = max;
	if (s->obuf != NULL && bn_buf_len(s->obuf) > 0) {
		k = bn_buf_len(s->obuf);
		if (k > room)
			k = room;
		if ((r = bn_buf_put(out, bn_buf_ptr(s->obuf), k)) != BN_OK)
			return r;
		(void)bn_buf_consume(s->obuf, k);
		room -= k;
	}
	if (s->obuf != NULL && bn_buf_len(s->obuf) == 0) {
		bn_buf_free(s->obuf);
		s->obuf = NULL;
		if (s->want_w_session == 1)
			s->want_w_session = 2;	/* WRITABLE(0) due */
	}
	if (s->obuf == NULL && s->state == HS_ST_OPEN &&
	    s->profile == BN_HTX_PROFILE_NATIVE)
		r = hs_stream_pull(s, out, room);
	if (r != BN_OK && r != BN_ERR_NO_SPACE)
		hs_fail(s, BN_HTX_CLOSE_INTERNAL_ERROR, r, "seal");
	k = bn_buf_len(out) - start;
	s->st.bytes_out += k;
	if (np != NULL)
		*np = k;
	return BN_OK;
}

int
bn_htx_session_open_stream(struct bn_htx_session *s, uint32_t *sid)
{
	struct hs_stream *st;

	*sid = 0;
	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	if (s->state != HS_ST_OPEN)
		return BN_ERR_STATE;
	if (s->profile != BN_HTX_PROFILE_NATIVE) {
		/* compat: 1, 2, 3 like the Python client; legacy: 1, 3, 5 */
		if (s->cfg.role != BN_HTX_CLIENT)
			return BN_ERR_STATE;
		if (s->next_local_id == UINT32_MAX)
			return BN_ERR_LIMIT;
		*sid = s->next_local_id;
		s->next_local_id += s->profile == BN_HTX_PROFILE_COMPAT ?
		    1 : 2;
		return BN_OK;
	}
	if (s->nstreams >= s->cfg.max_streams)
		return BN_ERR_LIMIT;
	if (s->next_local_id > UINT32_MAX - 2)
		return BN_ERR_LIMIT;
	if ((st = hs_stream_add(s, s->next_local_id)) == NULL)
		return BN_ERR_ALLOC;
	st->flags |= ST_LOCAL;
	*sid = s->next_local_id;
	s->next_local_id += 2;
	return BN_OK;
}

int
bn_htx_session_send_message(struct bn_htx_session *s, uint32_t sid,
    const uint8_t *data, size_t len)
{
	struct hs_stream *st;
	size_t acc, room, frame;
	int r;

	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	if (s->state != HS_ST_OPEN)
		return BN_ERR_STATE;
	if (s->profile != BN_HTX_PROFILE_NATIVE) {
		if (len > (s->profile == BN_HTX_PROFILE_LEGACY11 ?
		    s->cfg.max_message : BN_HTX_PAYLOAD_MAX))
			return BN_ERR_TOO_LARGE;
		frame = len + 64;
		if (frame > s->cfg.max_send_session + HS_CTRL_SLACK)
			return BN_ERR_TOO_LARGE;
		room = s->obuf ? bn_buf_len(s->obuf) : 0;
		if (room + frame > s->cfg.max_send_session + HS_CTRL_SLACK) {
			s->want_w_session = 1;
			return BN_ERR_BLOCKED;
		}
		r = hs_seal_ctrl(s, BN_HTX_STREAM, sid, 0, data, len);
		if (r != BN_OK && r != BN_ERR_LIMIT)
			hs_fail(s, BN_HTX_CLOSE_INTERNAL_ERROR, r, "seal");
		return r;
	}
	if ((st = hs_stream_find(s, sid)) == NULL ||
	    (st->flags & ST_TX_FIN_Q))
		return BN_ERR_CLOSED;
	if (len > s->cfg.max_send_stream || len > s->cfg.max_send_session)
		return BN_ERR_TOO_LARGE;
	room = s->cfg.max_send_stream - (st->sq ? bn_buf_len(st->sq) : 0);
	if (room > s->cfg.max_send_session - s->sq_total)
		room = s->cfg.max_send_session - s->sq_total;
	if (len > room) {
		st->flags |= ST_WANT_W;
		return BN_ERR_BLOCKED;
	}
	return bn_htx_session_write(s, sid, data, len, 1, &acc);
}

int
bn_htx_session_write(struct bn_htx_session *s, uint32_t sid,
    const uint8_t *data, size_t len, int fin, size_t *accepted)
{
	struct hs_stream *st;
	size_t room, qlen;
	int r;

	*accepted = 0;
	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	if (s->state != HS_ST_OPEN || s->profile != BN_HTX_PROFILE_NATIVE)
		return BN_ERR_STATE;
	if ((st = hs_stream_find(s, sid)) == NULL ||
	    (st->flags & ST_TX_FIN_Q))
		return BN_ERR_CLOSED;
	qlen = st->sq ? bn_buf_len(st->sq) : 0;
	room = s->cfg.max_send_stream - qlen;
	if (room > s->cfg.max_send_session - s->sq_total)
		room = s->cfg.max_send_session - s->sq_total;
	if (room > len)
		room = len;
	if (room > 0) {
		if (st->sq == NULL &&
		    (st->sq = bn_buf_new(s->cfg.max_send_stream)) == NULL)
			return BN_ERR_ALLOC;
		if ((r = bn_buf_put(st->sq, data, room)) != BN_OK)
			return r;
		s->sq_total += room;
	}
	*accepted = room;
	if (room < len) {
		st->flags |= ST_WANT_W;
		if (room == 0)
			return BN_ERR_BLOCKED;
	} else if (fin)
		st->flags |= ST_TX_FIN_Q;
	if (room > 0 || (st->flags & ST_TX_FIN_Q))
		hs_stream_ready_add(s, st);
	return BN_OK;
}

int
bn_htx_session_consume(struct bn_htx_session *s, uint32_t sid, size_t n)
{
	struct hs_stream *st;
	uint64_t m;
	int r;

	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	if (s->state != HS_ST_OPEN || s->profile != BN_HTX_PROFILE_NATIVE)
		return BN_OK;	/* compat grants on its own */
	if (!s->cfg.manual_credit)
		return BN_OK;
	if (sid != 0 && (st = hs_stream_find(s, sid)) != NULL) {
		/* Counters drop only once the credit is queued: a failed
		 * grant leaves it to be returned again. */
		m = n < st->rx_unret ? n : st->rx_unret;
		if (m > 0 && !(st->flags & ST_RX_FIN)) {
			if ((r = hs_grant(s, sid, (uint32_t)m)) != BN_OK)
				return r;
			st->rx_limit += m;
		}
		st->rx_unret -= m;
	}
	m = n < s->conn_rx_unret ? n : s->conn_rx_unret;
	if (m > 0) {
		if ((r = hs_grant(s, 0, (uint32_t)m)) != BN_OK)
			return r;
		s->conn_rx_limit += m;
	}
	s->conn_rx_unret -= m;
	return BN_OK;
}

int
bn_htx_session_reset_stream(struct bn_htx_session *s, uint32_t sid)
{
	struct hs_stream *st;
	int r;

	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	if (s->profile != BN_HTX_PROFILE_NATIVE)
		return BN_ERR_STATE;
	if ((st = hs_stream_find(s, sid)) == NULL)
		return BN_ERR_CLOSED;
	if (st->sq != NULL) {
		s->sq_total -= bn_buf_len(st->sq);
		bn_buf_free(st->sq);
		st->sq = NULL;
	}
	/* The caller asked for it: no STREAM_RESET event. */
	st->flags |= ST_RESET;
	if ((r = hs_stream_drop_rq(s, st)) != BN_OK) {
		hs_fail(s, BN_HTX_CLOSE_INTERNAL_ERROR, r, "credit");
		return r;
	}
	if (!(st->flags & ST_TX_FIN)) {
		st->flags |= ST_TX_FIN_Q;
		hs_stream_ready_add(s, st);
	}
	hs_stream_maybe_remove(s, st);
	return BN_OK;
}

int
bn_htx_session_ping(struct bn_htx_session *s, const uint8_t *token,
    uint64_t now_ms)
{
	int r;

	if (now_ms > s->now)
		s->now = now_ms;
	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	if (s->state != HS_ST_OPEN ||
	    s->profile == BN_HTX_PROFILE_LEGACY11 || s->ping_out)
		return BN_ERR_STATE;
	if (token != NULL)
		memcpy(s->ping_token, token, BN_HTX_PING_TOKEN_LEN);
	else if ((r = bn_random(s->ping_token, BN_HTX_PING_TOKEN_LEN)) !=
	    BN_OK)
		return r;
	if ((r = hs_seal_ctrl(s, BN_HTX_PING, 0, 0, s->ping_token,
	    BN_HTX_PING_TOKEN_LEN)) != BN_OK)
		return r;
	s->ping_out = 1;
	s->ping_sent = s->now;
	return BN_OK;
}

int
bn_htx_session_key_update(struct bn_htx_session *s)
{
	int r;

	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	if (s->state != HS_ST_OPEN)
		return BN_ERR_STATE;
	if (s->obuf == NULL &&
	    (s->obuf = bn_buf_new(s->obuf_cap + HS_CLOSE_SLACK)) == NULL)
		return BN_ERR_ALLOC;
	if ((r = key_update_into(s, s->obuf)) != BN_OK)
		hs_fail(s, BN_HTX_CLOSE_INTERNAL_ERROR, r, "key update");
	return r;
}

int
bn_htx_session_close(struct bn_htx_session *s, uint16_t code,
    const char *reason)
{
	if (s->state == HS_ST_CLOSED)
		return BN_ERR_CLOSED;
	if (reason != NULL && strlen(reason) > BN_HTX_REASON_MAX)
		return BN_ERR_INVALID_ARG;
	/* A deliberate close sends CLOSE in every profile once keys exist
	 * (the Python client does so too, wire_transcripts tcp12). */
	do_close(s, code, BN_OK, 0, s->state == HS_ST_OPEN, reason);
	return BN_OK;
}

/* close_drain_ms after the close, saturated. */
static uint64_t
drain_end(const struct bn_htx_session *s)
{
	if (s->cfg.close_drain_ms > UINT64_MAX - s->close_at)
		return UINT64_MAX;
	return s->close_at + s->cfg.close_drain_ms;
}

/* Closed, but output is still unsent or our CLOSE is draining. */
static int
draining(const struct bn_htx_session *s)
{
	return (s->obuf != NULL && bn_buf_len(s->obuf) > 0) ||
	    (s->close_sent && !s->close_by_peer);
}

uint64_t
bn_htx_session_next_timeout(const struct bn_htx_session *s)
{
	uint64_t t = UINT64_MAX, d;

#define EARLIER(x)	do { d = (x); if (d < t) t = d; } while (0)
	if (s->state == HS_ST_CLOSED) {
		/* Never a deadline in the past: the drain is a hard end. */
		if (draining(s) && s->now < drain_end(s))
			EARLIER(drain_end(s));
		return t;
	}
	if (s->state != HS_ST_OPEN) {
		if (s->cfg.handshake_timeout_ms)
			EARLIER(s->t_start + s->cfg.handshake_timeout_ms);
		return t;
	}
	if (s->cfg.idle_timeout_ms)
		EARLIER(s->t_last_rx + s->cfg.idle_timeout_ms);
	if (s->ping_out)
		EARLIER(s->ping_sent + s->cfg.ping_timeout_ms);
	else if (s->cfg.ping_interval_ms &&
	    s->profile != BN_HTX_PROFILE_LEGACY11)
		EARLIER(s->t_last_rx + s->cfg.ping_interval_ms);
	if (s->cfg.rekey_ms <= UINT64_MAX - s->t_key_tx &&
	    s->profile != BN_HTX_PROFILE_LEGACY11)
		EARLIER(s->t_key_tx + s->cfg.rekey_ms);
	if (s->rx_old_left > 0)
		EARLIER(s->rx_old_at + HS_OLD_KEY_MS);
#undef EARLIER
	return t;
}

int
bn_htx_session_tick(struct bn_htx_session *s, uint64_t now_ms)
{
	if (now_ms > s->now)
		s->now = now_ms;
	if (s->state == HS_ST_CLOSED)
		return BN_OK;
	if (s->state != HS_ST_OPEN) {
		if (s->cfg.handshake_timeout_ms &&
		    s->now - s->t_start >= s->cfg.handshake_timeout_ms)
			do_close(s, BN_HTX_CLOSE_OK, BN_ERR_TIMEOUT, 0, 0,
			    "handshake timeout");
		return BN_OK;
	}
	if (s->cfg.idle_timeout_ms &&
	    s->now - s->t_last_rx >= s->cfg.idle_timeout_ms) {
		do_close(s, BN_HTX_CLOSE_OK, BN_ERR_TIMEOUT, 0, 1, "idle");
		return BN_OK;
	}
	if (s->ping_out && s->now - s->ping_sent >= s->cfg.ping_timeout_ms) {
		/* The path no longer answers within 5 s (§4). */
		do_close(s, BN_HTX_CLOSE_PATH_INVALID, BN_ERR_TIMEOUT, 0, 1,
		    "ping timeout");
		return BN_OK;
	}
	if (!s->ping_out && s->cfg.ping_interval_ms &&
	    s->profile != BN_HTX_PROFILE_LEGACY11 &&
	    s->now - s->t_last_rx >= s->cfg.ping_interval_ms)
		(void)bn_htx_session_ping(s, NULL, s->now);
	if (s->rx_old_left > 0 && s->now - s->rx_old_at >= HS_OLD_KEY_MS)
		drop_rx_old(s);
	if (s->profile != BN_HTX_PROFILE_LEGACY11 &&
	    s->now - s->t_key_tx >= s->cfg.rekey_ms)
		(void)bn_htx_session_key_update(s);
	return BN_OK;
}

enum bn_htx_profile
bn_htx_session_profile(const struct bn_htx_session *s)
{
	return s->profile;
}

const char *
bn_htx_profile_name(enum bn_htx_profile p)
{
	switch (p) {
	case BN_HTX_PROFILE_NATIVE:	return "native";
	case BN_HTX_PROFILE_COMPAT:	return "compat";
	case BN_HTX_PROFILE_LEGACY11:	return "legacy11";
	default:			return "none";
	}
}

int
bn_htx_session_is_closed(const struct bn_htx_session *s)
{
	return s->state == HS_ST_CLOSED;
}

int
bn_htx_session_done(const struct bn_htx_session *s, uint64_t now_ms)
{
	if (s->state != HS_ST_CLOSED)
		return 0;
	return !draining(s) || now_ms >= drain_end(s);
}

int
bn_htx_session_close_code(const struct bn_htx_session *s)
{
	return s->close_code;
}

int
bn_htx_session_peer_static(const struct bn_htx_session *s,
    uint8_t pub[BN_KEY_LEN])
{
	if (!s->have_peer)
		return BN_ERR_STATE;
	memcpy(pub, s->peer_static, BN_KEY_LEN);
	return BN_OK;
}

void
bn_htx_session_stats(const struct bn_htx_session *s, struct bn_htx_stats *st)
{
	*st = s->st;
	st->streams = s->nstreams;
}

size_t
bn_htx_session_memory(const struct bn_htx_session *s)
{
	size_t n = sizeof(*s);

	if (s->noise != NULL)
		n += sizeof(*s->noise);
	if (s->in != NULL)
		n += sizeof(*s->in) + s->in->alloc;
	if (s->obuf != NULL)
		n += sizeof(*s->obuf) + s->obuf->alloc;
	if (s->delivered != NULL)
		n += sizeof(*s->delivered) + s->delivered->alloc;
	if (s->caps_c != NULL)
		n += sizeof(*s->caps_c) + s->caps_c->alloc;
	if (s->caps_s != NULL)
		n += sizeof(*s->caps_s) + s->caps_s->alloc;
	if (s->tx.aead != NULL)
		n += HS_AEAD_EST;
	if (s->rx.aead != NULL)
		n += HS_AEAD_EST;
	if (s->rx_old.aead != NULL)
		n += HS_AEAD_EST;
	return n + hs_stream_memory(s);
}
