/*
 * fuzz_session: libFuzzer target for htx_session.
 *
 * The first byte picks a mode:
 *   0  a server fed the input as raw bytes from its first byte;
 *   1  a client (after writing msg1) fed the input as raw bytes;
 *   2  native, 3 compat, 4 legacy 1.1: a real in-process handshake with
 *      fixed keys, then the input is a list of frame recipes the client
 *      seals with its real keys and the server receives, so the fuzzer
 *      reaches the stream, flow-control and KEY_UPDATE logic behind the
 *      AEAD; some recipes instead make the server act (write, ping,
 *      rekey, pull) or inject raw bytes.
 * Input arrives in fuzz-chosen pieces.  Must never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_frame.h"
#include "betanet/htx_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t cs[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t ss[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
static const uint8_t ce[32] = { 0x11, 0x22, 0x33 };
static const uint8_t se[32] = { 0x44, 0x55, 0x66 };

static void
drain(struct bn_htx_session *s, uint64_t now)
{
	struct bn_htx_event ev;
	volatile uint8_t sink = 0;
	int n = 0;

	while (bn_htx_session_next_event(s, &ev, now) == 1 && n++ < 100000) {
		/* Touch delivered bytes so ASan checks the pointers. */
		if (ev.len > 0)
			sink ^= ev.data[0] ^ ev.data[ev.len - 1];
		if (ev.type == BN_HTX_EV_CLOSED && ev.reason != NULL)
			sink ^= (uint8_t)strlen(ev.reason);
	}
	(void)sink;
}

static void
feed(struct bn_htx_session *s, const uint8_t *p, size_t len, size_t piece,
    uint64_t now)
{
	size_t acc, n;
	int stuck = 0;

	while (len > 0 && stuck < 3) {
		n = len < piece ? len : piece;
		if (bn_htx_session_feed(s, p, n, now, &acc) != BN_OK)
			return;
		p += acc;
		len -= acc;
		stuck = acc == 0 ? stuck + 1 : 0;
		drain(s, now);
	}
}

static void
flush(struct bn_htx_session *from, struct bn_htx_session *to, uint64_t now)
{
	struct bn_buf *b = bn_buf_new(1 << 22);
	size_t n;

	if (b == NULL)
		return;
	drain(from, now);
	do {
		(void)bn_htx_session_pull(from, b, SIZE_MAX, &n);
	} while (n > 0 && bn_buf_avail(b) > 0);
	if (to != NULL)
		feed(to, bn_buf_ptr(b), bn_buf_len(b), SIZE_MAX, now);
	bn_buf_free(b);
}

static void
configs(struct bn_htx_config *cc, struct bn_htx_config *sc)
{
	bn_htx_config_default(cc);
	bn_htx_config_default(sc);
	cc->role = BN_HTX_CLIENT;
	memcpy(cc->static_priv, cs, 32);
	(void)bn_x25519_public(cc->server_pub, ss);
	sc->role = BN_HTX_SERVER;
	memcpy(sc->static_priv, ss, 32);
	/* Small limits so the fuzzer reaches them. */
	cc->max_message = sc->max_message = 100000;
	cc->max_streams = sc->max_streams = 16;
	cc->rekey_frames = sc->rekey_frames = 7;
	sc->max_send_session = 200000;
	sc->max_frame_data = 3000;
}

static void
raw_mode(const uint8_t *data, size_t size, int client)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_session *s;
	uint8_t b0 = size > 0 ? data[0] : 0;
	size_t piece = (size_t)b0 + 1;

	configs(&cc, &sc);
	sc.allow_compat = b0 & 1;
	if ((s = bn_htx_session_new(client ? &cc : &sc, 0)) == NULL)
		return;
	flush(s, NULL, 0);
	feed(s, data, size, piece, 1);
	flush(s, NULL, 2);
	(void)bn_htx_session_tick(s, 20000);
	drain(s, 20000);
	bn_htx_session_free(s);
}

/*
 * Recipes: op u8, then per op.  0: frame (type u8, sid u8, aad u8,
 * len u16, payload); 1: STREAM with a well-formed header (sid u8,
 * flags u8, off u16, len u16, data); 2: raw bytes (len u8); 3: server
 * writes on a stream (sid u8, len u16); 4: server PING; 5: server
 * KEY_UPDATE; 6: client KEY_UPDATE; 7: time passes (u16 ms); 8: server
 * consume (sid u8, n u16); 9: client tx counter skips ahead (u8).
 */
static void
recipes(struct bn_htx_session *c, struct bn_htx_session *s,
    const uint8_t *p, size_t n)
{
	struct bn_buf in, *b = bn_buf_new(1 << 17);
	static uint8_t zero[65536];
	uint8_t op, hdr[11], t, sid, aad;
	uint16_t len, off;
	uint64_t now = 10;
	struct bn_htx_dir *d;
	struct bn_iov iov[2];
	size_t acc;

	if (b == NULL)
		return;
	bn_buf_view(&in, p, n);
	while (bn_buf_get_u8(&in, &op) == BN_OK &&
	    !bn_htx_session_is_closed(s)) {
		bn_buf_reset(b);
		d = bn_htx_session_test_tx_dir(c);
		switch (op % 10) {
		case 0:
			if (bn_buf_get_u8(&in, &t) ||
			    bn_buf_get_u8(&in, &sid) ||
			    bn_buf_get_u8(&in, &aad) ||
			    bn_buf_get_u16(&in, &len))
				goto out;
			if (len > bn_buf_len(&in))
				len = (uint16_t)bn_buf_len(&in);
			iov[0].base = bn_buf_ptr(&in);
			iov[0].len = len;
			(void)bn_buf_consume(&in, len);
			if (d == NULL || bn_htx_frame_seal(d, t % 6, sid,
			    aad % 3, iov, 1, b) != BN_OK)
				break;
			feed(s, bn_buf_ptr(b), bn_buf_len(b), SIZE_MAX, now);
			break;
		case 1:
			if (bn_buf_get_u8(&in, &sid) ||
			    bn_buf_get_u8(&in, &t) ||
			    bn_buf_get_u16(&in, &off) ||
			    bn_buf_get_u16(&in, &len))
				goto out;
			hdr[0] = t & 0x81 ? (t & 1) : t;
			bn_store_u64(hdr + 1, off);
			len %= 40000;
			bn_store_u16(hdr + 9, len);
			iov[0].base = hdr;
			iov[0].len = sizeof(hdr);
			iov[1].base = zero;
			iov[1].len = len;
			if (d == NULL || bn_htx_frame_seal(d, 0, sid, 0, iov, 2,
			    b) != BN_OK)
				break;
			feed(s, bn_buf_ptr(b), bn_buf_len(b), SIZE_MAX, now);
			break;
		case 2:
			if (bn_buf_get_u8(&in, &t))
				goto out;
			len = t < bn_buf_len(&in) ? t :
			    (uint16_t)bn_buf_len(&in);
			feed(s, bn_buf_ptr(&in), len, 5, now);
			(void)bn_buf_consume(&in, len);
			break;
		case 3:
			if (bn_buf_get_u8(&in, &sid) ||
			    bn_buf_get_u16(&in, &len))
				goto out;
			if (bn_htx_session_profile(s) == BN_HTX_PROFILE_NATIVE)
				(void)bn_htx_session_write(s, sid, zero, len,
				    len & 1, &acc);
			else
				(void)bn_htx_session_send_message(s, sid, zero,
				    len);
			flush(s, c, now);
			break;
		case 4:
			(void)bn_htx_session_ping(s, NULL, now);
			flush(s, c, now);
			break;
		case 5:
			(void)bn_htx_session_key_update(s);
			flush(s, c, now);
			break;
		case 6:
			(void)bn_htx_session_key_update(c);
			flush(c, s, now);
			break;
		case 7:
			if (bn_buf_get_u16(&in, &len))
				goto out;
			now += len;
			(void)bn_htx_session_tick(s, now);
			drain(s, now);
			break;
		case 8:
			if (bn_buf_get_u8(&in, &sid) ||
			    bn_buf_get_u16(&in, &len))
				goto out;
			(void)bn_htx_session_consume(s, sid, len);
			break;
		case 9:
			if (bn_buf_get_u8(&in, &t))
				goto out;
			if (d != NULL)
				d->counter += t % 12;
			break;
		}
		flush(s, NULL, now);
	}
 out:
	flush(s, c, now);
	bn_buf_free(b);
}

static void
session_mode(const uint8_t *data, size_t size, int mode)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_session *c = NULL, *s = NULL;
	int i;

	configs(&cc, &sc);
	if (mode == 3) {
		cc.offer_native = 0;
		cc.allow_compat = sc.allow_compat = 1;
	} else if (mode == 4) {
		cc.legacy11 = sc.legacy11 = 1;
		cc.allow_compat = sc.allow_compat = 1;	/* legacy is opt-in */
	}
	if ((c = bn_htx_session_new(&cc, 0)) == NULL ||
	    (s = bn_htx_session_new(&sc, 0)) == NULL ||
	    bn_htx_session_set_ephemeral(c, ce) != BN_OK ||
	    bn_htx_session_set_ephemeral(s, se) != BN_OK)
		goto out;
	for (i = 0; i < 4; i++) {
		flush(c, s, 0);
		flush(s, c, 0);
	}
	if (bn_htx_session_profile(s) == BN_HTX_PROFILE_NONE)
		goto out;
	recipes(c, s, data, size);
 out:
	bn_htx_session_free(c);
	bn_htx_session_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		raw_mode(data + 1, size - 1, 0);
		break;
	case 1:
		raw_mode(data + 1, size - 1, 1);
		break;
	default:
		session_mode(data + 1, size - 1, data[0] % 5);
		break;
	}
	return 0;
}
