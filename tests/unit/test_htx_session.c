/*
 * Unit tests for htx_session: the recorded transcripts (native vector,
 * Python tcp12 compat, tcp11 legacy) reproduced byte for byte by our
 * client and our server, every negative case of native_vectors.json, and
 * in-process client<->server sessions (fallback, sizes, many streams,
 * KEY_UPDATE, automatic rekey, crafted bad frames, byte-at-a-time input,
 * timers, memory).
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_frame.h"
#include "betanet/htx_session.h"
#include "testutil.h"

#define MAXMSG	1024
#define LOGMAX	((size_t)64 << 20)

/* ---- event recorder ------------------------------------------------------ */

struct msg {
	uint32_t	 sid;
	uint8_t		*d;
	size_t		 len;
};

struct rec {
	int		 hs_done;
	enum bn_htx_profile prof;
	uint8_t		 peer[32];
	int		 closed, code, by_peer, err;
	char		 reason[300];
	int		 opens, rtts, writable, resets, data_events;
	int		 opens_at_first_msg;
	int		 nmsg;
	struct msg	 m[MAXMSG];
	/* chunk mode: partial messages by stream */
	int		 npart;
	struct msg	 part[MAXMSG];
	uint64_t	 now;
};

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->code = -1;
}

static void
rec_free(struct rec *r)
{
	int i;

	for (i = 0; i < r->nmsg; i++)
		free(r->m[i].d);
	for (i = 0; i < r->npart; i++)
		free(r->part[i].d);
	memset(r, 0, sizeof(*r));
}

static void
rec_add_msg(struct rec *r, uint32_t sid, const uint8_t *d, size_t len)
{
	ck_assert_int_lt(r->nmsg, MAXMSG);
	if (r->nmsg == 0)
		r->opens_at_first_msg = r->opens;
	r->m[r->nmsg].sid = sid;
	r->m[r->nmsg].d = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(r->m[r->nmsg].d);
	if (len)
		memcpy(r->m[r->nmsg].d, d, len);
	r->m[r->nmsg].len = len;
	r->nmsg++;
}

static void
rec_chunk(struct rec *r, uint32_t sid, const uint8_t *d, size_t len, int fin)
{
	struct msg *p = NULL;
	int i;

	for (i = 0; i < r->npart; i++)
		if (r->part[i].sid == sid)
			p = &r->part[i];
	if (p == NULL) {
		ck_assert_int_lt(r->npart, MAXMSG);
		p = &r->part[r->npart++];
		p->sid = sid;
		p->d = NULL;
		p->len = 0;
	}
	p->d = realloc(p->d, p->len + len + 1);
	ck_assert_ptr_nonnull(p->d);
	if (len)
		memcpy(p->d + p->len, d, len);
	p->len += len;
	if (fin) {
		rec_add_msg(r, sid, p->d, p->len);
		free(p->d);
		*p = r->part[--r->npart];
	}
}

static const struct msg *
rec_find(const struct rec *r, uint32_t sid)
{
	int i;

	for (i = 0; i < r->nmsg; i++)
		if (r->m[i].sid == sid)
			return &r->m[i];
	return NULL;
}

static void
drain(struct bn_htx_session *s, struct rec *r)
{
	struct bn_htx_event ev;
	int guard = 0;

	while (bn_htx_session_next_event(s, &ev, r->now) == 1) {
		ck_assert_int_lt(++guard, 1000000);
		switch (ev.type) {
		case BN_HTX_EV_HANDSHAKE_DONE:
			r->hs_done++;
			r->prof = ev.profile;
			memcpy(r->peer, ev.peer_static, 32);
			break;
		case BN_HTX_EV_STREAM_OPEN:
			r->opens++;
			break;
		case BN_HTX_EV_STREAM_DATA:
			r->data_events++;
			rec_chunk(r, ev.stream_id, ev.data, ev.len, ev.fin);
			break;
		case BN_HTX_EV_MESSAGE:
			ck_assert_int_eq(ev.fin, 1);
			ck_assert_ptr_nonnull(ev.data);
			rec_add_msg(r, ev.stream_id, ev.data, ev.len);
			break;
		case BN_HTX_EV_STREAM_RESET:
			r->resets++;
			break;
		case BN_HTX_EV_WRITABLE:
			r->writable++;
			break;
		case BN_HTX_EV_PING_RTT:
			r->rtts++;
			break;
		case BN_HTX_EV_CLOSED:
			ck_assert_int_eq(r->closed, 0);
			r->closed = 1;
			r->code = ev.code;
			r->by_peer = ev.by_peer;
			r->err = ev.err;
			snprintf(r->reason, sizeof(r->reason), "%s",
			    ev.reason ? ev.reason : "");
			break;
		default:
			ck_abort_msg("unexpected event %d", ev.type);
		}
	}
}

/* Feed p in pieces of at most chunk bytes, pulling events as we go. */
static void
feed(struct bn_htx_session *s, struct rec *r, const uint8_t *p, size_t len,
    size_t chunk)
{
	size_t off = 0, n, acc;
	int stuck = 0, rv;

	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		rv = bn_htx_session_feed(s, p + off, n, r->now, &acc);
		if (rv == BN_ERR_CLOSED)
			break;
		ck_assert_int_eq(rv, BN_OK);
		off += acc;
		drain(s, r);
		if (acc == 0)
			ck_assert_int_lt(++stuck, 3);
		else
			stuck = 0;
	}
	drain(s, r);
}

/* Pull everything s has; append it to log (if any) and return it. */
static struct bn_buf *
pull_all(struct bn_htx_session *s, struct bn_buf *log)
{
	struct bn_buf *b = bn_buf_new(LOGMAX);
	size_t n;

	ck_assert_ptr_nonnull(b);
	do {
		ck_assert_int_eq(bn_htx_session_pull(s, b, SIZE_MAX, &n),
		    BN_OK);
	} while (n > 0);
	if (log != NULL)
		ck_assert_int_eq(bn_buf_put(log, bn_buf_ptr(b),
		    bn_buf_len(b)), BN_OK);
	return b;
}

/* Move a's output into b; returns the bytes moved. */
static size_t
xfer(struct bn_htx_session *a, struct rec *ar, struct bn_htx_session *b,
    struct rec *br, struct bn_buf *log, size_t chunk)
{
	struct bn_buf *o;
	size_t n;

	drain(a, ar);
	o = pull_all(a, log);
	n = bn_buf_len(o);
	if (n > 0)
		feed(b, br, bn_buf_ptr(o), n, chunk);
	bn_buf_free(o);
	return n;
}

struct pair {
	struct bn_htx_session *c, *s;
	struct rec	 cr, sr;
	struct bn_buf	*c2s, *s2c;
	size_t		 chunk;
};

static void
pump(struct pair *p)
{
	int rounds = 0;

	for (;;) {
		size_t a = xfer(p->c, &p->cr, p->s, &p->sr, p->c2s, p->chunk);
		size_t b = xfer(p->s, &p->sr, p->c, &p->cr, p->s2c, p->chunk);

		if (a == 0 && b == 0)
			break;
		ck_assert_int_lt(++rounds, 100000);
	}
}

static void
pair_free(struct pair *p)
{
	bn_htx_session_free(p->c);
	bn_htx_session_free(p->s);
	bn_buf_free(p->c2s);
	bn_buf_free(p->s2c);
	rec_free(&p->cr);
	rec_free(&p->sr);
}

/* ---- keys ---------------------------------------------------------------- */

struct keys {
	uint8_t cs[32], cp[32], ce[32], ss[32], sp[32], se[32];
};

static void
keys_native(json_t *j, struct keys *k)
{
	tu_json_hex_n(j, "keys.client_static_priv", k->cs, 32);
	tu_json_hex_n(j, "keys.client_static_pub", k->cp, 32);
	tu_json_hex_n(j, "keys.client_ephemeral_priv", k->ce, 32);
	tu_json_hex_n(j, "keys.server_static_priv", k->ss, 32);
	tu_json_hex_n(j, "keys.server_static_pub", k->sp, 32);
	tu_json_hex_n(j, "keys.server_ephemeral_priv", k->se, 32);
}

static void
keys_seed(json_t *j, struct keys *k)
{
	tu_json_hex_n(j, "keys.client_static_priv", k->cs, 32);
	tu_json_hex_n(j, "public_keys.client_static_pub", k->cp, 32);
	tu_json_hex_n(j, "keys.client_ephemeral_priv", k->ce, 32);
	tu_json_hex_n(j, "keys.server_static_priv", k->ss, 32);
	tu_json_hex_n(j, "public_keys.server_static_pub", k->sp, 32);
	tu_json_hex_n(j, "keys.server_ephemeral_priv", k->se, 32);
}

static void
random_keys(struct keys *k)
{
	ck_assert_int_eq(bn_x25519_keygen(k->cs, k->cp), BN_OK);
	ck_assert_int_eq(bn_x25519_keygen(k->ss, k->sp), BN_OK);
	ck_assert_int_eq(bn_random(k->ce, 32), BN_OK);
	ck_assert_int_eq(bn_random(k->se, 32), BN_OK);
}

static void
cfgs(const struct keys *k, struct bn_htx_config *cc,
    struct bn_htx_config *sc)
{
	bn_htx_config_default(cc);
	bn_htx_config_default(sc);
	cc->role = BN_HTX_CLIENT;
	memcpy(cc->static_priv, k->cs, 32);
	memcpy(cc->server_pub, k->sp, 32);
	sc->role = BN_HTX_SERVER;
	memcpy(sc->static_priv, k->ss, 32);
}

static void
pair_new(struct pair *p, const struct keys *k,
    const struct bn_htx_config *cc, const struct bn_htx_config *sc)
{
	memset(p, 0, sizeof(*p));
	rec_init(&p->cr);
	rec_init(&p->sr);
	p->chunk = SIZE_MAX;
	p->c = bn_htx_session_new(cc, 0);
	p->s = bn_htx_session_new(sc, 0);
	ck_assert_ptr_nonnull(p->c);
	ck_assert_ptr_nonnull(p->s);
	ck_assert_int_eq(bn_htx_session_set_ephemeral(p->c, k->ce), BN_OK);
	ck_assert_int_eq(bn_htx_session_set_ephemeral(p->s, k->se), BN_OK);
	p->c2s = bn_buf_new(LOGMAX);
	p->s2c = bn_buf_new(LOGMAX);
}

static void
pair_handshake(struct pair *p)
{
	pump(p);
	ck_assert_int_eq(p->cr.hs_done, 1);
	ck_assert_int_eq(p->sr.hs_done, 1);
}

static void
assert_log(struct bn_buf *log, json_t *j, const char *path)
{
	size_t n;
	uint8_t *want = tu_json_hex(j, path, &n);

	ck_assert_uint_eq(bn_buf_len(log), n);
	ck_assert_int_eq(memcmp(bn_buf_ptr(log), want, n), 0);
	free(want);
}

/* ---- native vector ------------------------------------------------------- */

static void
native_cfgs(const struct keys *k, struct bn_htx_config *cc,
    struct bn_htx_config *sc)
{
	cfgs(k, cc, sc);
	/* The vector grants credit by hand: exactly 16 + 16 bytes (manual
	 * credit needs chunk delivery; the wire is the same). */
	cc->manual_credit = cc->deliver_chunks = 1;
	sc->manual_credit = sc->deliver_chunks = 1;
}

/* Up to the native switch, checking every handshake step. */
static void
native_open(struct pair *p, json_t *j, const struct keys *k, size_t chunk)
{
	struct bn_htx_config cc, sc;
	uint8_t pub[32];

	native_cfgs(k, &cc, &sc);
	pair_new(p, k, &cc, &sc);
	p->chunk = chunk;
	ck_assert_int_eq(bn_htx_session_profile(p->c), BN_HTX_PROFILE_NONE);
	pair_handshake(p);
	ck_assert_int_eq(p->cr.prof, BN_HTX_PROFILE_NATIVE);
	ck_assert_int_eq(p->sr.prof, BN_HTX_PROFILE_NATIVE);
	ck_assert_int_eq(memcmp(p->cr.peer, k->sp, 32), 0);
	ck_assert_int_eq(memcmp(p->sr.peer, k->cp, 32), 0);
	ck_assert_int_eq(bn_htx_session_peer_static(p->s, pub), BN_OK);
	ck_assert_int_eq(memcmp(pub, k->cp, 32), 0);
	(void)j;
}

static void
native_script(json_t *j, size_t chunk, struct bn_buf **c2s,
    struct bn_buf **s2c)
{
	struct keys k;
	struct pair p;
	uint8_t *req3, *resp3, *req5, *resp5;
	size_t l_req3, l_resp3, l_req5, l_resp5, acc;
	uint32_t sid;
	const struct msg *m;

	keys_native(j, &k);
	req3 = tu_json_hex(j, "messages.request_stream3.bytes", &l_req3);
	resp3 = tu_json_hex(j, "messages.response_stream3.bytes", &l_resp3);
	req5 = tu_json_hex(j, "messages.request_stream5.bytes", &l_req5);
	resp5 = tu_json_hex(j, "messages.response_stream5.bytes", &l_resp5);

	native_open(&p, j, &k, chunk);

	/* Request on stream 3, split at 16 bytes. */
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_uint_eq(sid, 3);
	ck_assert_int_eq(bn_htx_session_write(p.c, 3, req3, 16, 0, &acc),
	    BN_OK);
	ck_assert_uint_eq(acc, 16);
	pump(&p);
	ck_assert_int_eq(p.sr.opens, 1);
	ck_assert_int_eq(p.sr.nmsg, 0);
	ck_assert_int_eq(bn_htx_session_consume(p.s, 3, 16), BN_OK);
	pump(&p);
	ck_assert_int_eq(bn_htx_session_write(p.c, 3, req3 + 16, l_req3 - 16,
	    1, &acc), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 1);
	m = rec_find(&p.sr, 3);
	ck_assert_uint_eq(m->len, l_req3);
	ck_assert_int_eq(memcmp(m->d, req3, l_req3), 0);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, 3, resp3, l_resp3),
	    BN_OK);
	pump(&p);
	m = rec_find(&p.cr, 3);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->len, l_resp3);
	ck_assert_int_eq(memcmp(m->d, resp3, l_resp3), 0);

	/* PING "vectorPG", echoed with AADfield 1. */
	p.cr.now = p.sr.now = 40;
	ck_assert_int_eq(bn_htx_session_ping(p.c,
	    (const uint8_t *)"vectorPG", 10), BN_OK);
	ck_assert_int_eq(bn_htx_session_ping(p.c, NULL, 10), BN_ERR_STATE);
	pump(&p);
	ck_assert_int_eq(p.cr.rtts, 1);

	/* KEY_UPDATE, then stream 5 under TS_c'. */
	ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	pump(&p);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_uint_eq(sid, 5);
	ck_assert_int_eq(bn_htx_session_send_message(p.c, 5, req5, l_req5),
	    BN_OK);
	pump(&p);
	m = rec_find(&p.sr, 5);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(memcmp(m->d, req5, l_req5), 0);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, 5, resp5, l_resp5),
	    BN_OK);
	pump(&p);
	m = rec_find(&p.cr, 5);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(memcmp(m->d, resp5, l_resp5), 0);

	/* CLOSE 0 "bye": the server answers nothing. */
	ck_assert_int_eq(bn_htx_session_close(p.c, 0, "bye"), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.cr.closed, 1);
	ck_assert_int_eq(p.cr.by_peer, 0);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_int_eq(p.sr.by_peer, 1);
	ck_assert_int_eq(p.sr.code, 0);
	ck_assert_str_eq(p.sr.reason, "bye");
	ck_assert(bn_htx_session_done(p.s, 0));
	ck_assert(!bn_htx_session_done(p.c, 0));
	ck_assert(!bn_htx_session_done(p.c, 2039));
	ck_assert(bn_htx_session_done(p.c, 2040));
	ck_assert_int_eq(bn_htx_session_close_code(p.c), 0);
	ck_assert_int_eq(p.sr.resets + p.cr.resets, 0);

	*c2s = p.c2s;
	*s2c = p.s2c;
	p.c2s = p.s2c = NULL;
	pair_free(&p);
	free(req3);
	free(resp3);
	free(req5);
	free(resp5);
}

START_TEST(test_native_vector)
{
	json_t *j = tu_json_load("native_vectors.json");
	struct bn_buf *c2s, *s2c;

	native_script(j, SIZE_MAX, &c2s, &s2c);
	assert_log(c2s, j, "c2s");
	assert_log(s2c, j, "s2c");
	bn_buf_free(c2s);
	bn_buf_free(s2c);
	json_decref(j);
}
END_TEST

/* Byte-at-a-time input gives the very same bytes and events. */
START_TEST(test_native_vector_bytewise)
{
	json_t *j = tu_json_load("native_vectors.json");
	struct bn_buf *c2s, *s2c;
	size_t chunks[] = { 1, 2, 7, 23 };
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		native_script(j, chunks[i], &c2s, &s2c);
		assert_log(c2s, j, "c2s");
		assert_log(s2c, j, "s2c");
		bn_buf_free(c2s);
		bn_buf_free(s2c);
	}
	json_decref(j);
}
END_TEST

/* Open every frame of out under (key, salt) from counter 0; last one. */
static void
open_frames(const uint8_t key[32], const uint8_t salt[12],
    struct bn_buf *out, int *nframes, struct bn_htx_frame *last,
    uint8_t *lastpl)
{
	struct bn_htx_dir d;
	struct bn_htx_frame f;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(bn_htx_dir_set(&d, key, salt), BN_OK);
	*nframes = 0;
	while (bn_buf_len(out) > 0) {
		ck_assert_int_eq(bn_htx_frame_open(&d, out, 0, &f), BN_OK);
		*last = f;
		memcpy(lastpl, f.payload, f.len);
		last->payload = lastpl;
		(*nframes)++;
	}
	bn_htx_dir_clear(&d);
}

START_TEST(test_native_negative)
{
	json_t *j = tu_json_load("native_vectors.json");
	json_t *neg = tu_json_at(j, "negative");
	uint8_t key_s[32], salt_s[12], pl[65536];
	struct keys k;
	size_t i, n;

	keys_native(j, &k);
	tu_json_hex_n(j, "native_keys.key_s", key_s, 32);
	tu_json_hex_n(j, "native_keys.nonce_salt_s", salt_s, 12);
	for (i = 0; i < json_array_size(neg); i++) {
		json_t *c = json_array_get(neg, i);
		json_t *fr = json_object_get(c, "frames");
		int code = (int)json_integer_value(json_object_get(c,
		    "expected_close_code"));
		const char *name = json_string_value(json_object_get(c,
		    "name"));
		struct pair p;
		struct bn_buf *o;
		struct bn_htx_frame last;
		int nf, msgs_before, data_before;
		size_t fi;

		native_open(&p, j, &k, SIZE_MAX);
		o = pull_all(p.s, NULL);	/* nothing pending */
		ck_assert_uint_eq(bn_buf_len(o), 0);
		bn_buf_free(o);
		for (fi = 0; fi < json_array_size(fr); fi++) {
			char path[64];
			uint8_t *b;

			snprintf(path, sizeof(path), "frame");
			b = tu_json_hex(json_array_get(fr, fi), path, &n);
			msgs_before = p.sr.nmsg;
			data_before = p.sr.data_events;
			feed(p.s, &p.sr, b, n, SIZE_MAX);
			free(b);
			if (fi + 1 < json_array_size(fr))
				ck_assert_msg(!p.sr.closed, "%s early", name);
			else {
				/* the offending frame delivers nothing */
				ck_assert_int_eq(p.sr.nmsg, msgs_before);
				ck_assert_int_eq(p.sr.data_events,
				    data_before);
			}
		}
		ck_assert_msg(p.sr.closed, "%s: not closed", name);
		ck_assert_int_eq(p.sr.by_peer, 0);
		ck_assert_msg(p.sr.code == code, "%s: code %d want %d", name,
		    p.sr.code, code);
		o = pull_all(p.s, NULL);
		open_frames(key_s, salt_s, o, &nf, &last, pl);
		ck_assert_int_ge(nf, 1);
		ck_assert_uint_eq(last.type, BN_HTX_CLOSE);
		ck_assert_uint_eq(last.stream_id, 0);
		ck_assert_uint_ge(last.len, 4);
		ck_assert_int_eq(bn_load_u16(last.payload), code);
		ck_assert_uint_eq(bn_load_u16(last.payload + 2) + 4, last.len);
		bn_buf_free(o);
		/* Nothing but that CLOSE: more input is refused. */
		ck_assert_int_eq(bn_htx_session_feed(p.s, pl, 1, 0, &n),
		    BN_ERR_CLOSED);
		o = pull_all(p.s, NULL);
		ck_assert_uint_eq(bn_buf_len(o), 0);
		bn_buf_free(o);
		pair_free(&p);
	}
	json_decref(j);
}
END_TEST

/* ---- Python transcripts -------------------------------------------------- */

START_TEST(test_tcp12_transcript)
{
	json_t *j = tu_json_load("wire_transcripts.json");
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint32_t sid;
	const struct msg *m;
	static const char *req[] = { "GET /hello/x", NULL,
	    "GET /hello/after-rekey" };
	static const char *resp[] = { "hello x", "hello bar",
	    "hello after-rekey" };
	uint8_t *bar;
	size_t barlen;

	keys_seed(j, &k);
	bar = tu_hex("a46162406168a0616d6347455461756a2f68656c6c6f2f626172",
	    &barlen);
	cfgs(&k, &cc, &sc);
	/* Both sides behave like the Python library: no features.native. */
	cc.offer_native = sc.offer_native = 0;
	cc.allow_compat = sc.allow_compat = 1;
	pair_new(&p, &k, &cc, &sc);
	pair_handshake(&p);
	ck_assert_int_eq(p.cr.prof, BN_HTX_PROFILE_COMPAT);
	ck_assert_int_eq(p.sr.prof, BN_HTX_PROFILE_COMPAT);
	ck_assert_str_eq(bn_htx_profile_name(p.sr.prof), "compat");

	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_uint_eq(sid, 1);	/* the Python client reuses 1 */
	ck_assert_int_eq(bn_htx_session_send_message(p.c, 1,
	    (const uint8_t *)req[0], strlen(req[0])), BN_OK);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_uint_eq(sid, 2);
	ck_assert_int_eq(bn_htx_session_send_message(p.c, 2, bar, barlen),
	    BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 2);
	ck_assert_int_eq(memcmp(rec_find(&p.sr, 1)->d, req[0],
	    strlen(req[0])), 0);
	ck_assert_int_eq(memcmp(rec_find(&p.sr, 2)->d, bar, barlen), 0);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, 1,
	    (const uint8_t *)resp[0], strlen(resp[0])), BN_OK);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, 2,
	    (const uint8_t *)resp[1], strlen(resp[1])), BN_OK);
	pump(&p);
	ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_uint_eq(sid, 3);
	ck_assert_int_eq(bn_htx_session_send_message(p.c, 3,
	    (const uint8_t *)req[2], strlen(req[2])), BN_OK);
	pump(&p);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, 3,
	    (const uint8_t *)resp[2], strlen(resp[2])), BN_OK);
	pump(&p);
	m = rec_find(&p.cr, 3);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(memcmp(m->d, resp[2], strlen(resp[2])), 0);
	ck_assert_int_eq(p.cr.nmsg, 3);
	ck_assert_int_eq(bn_htx_session_close(p.c, 0, "bye"), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_int_eq(p.sr.by_peer, 1);
	ck_assert_str_eq(p.sr.reason, "bye");
	assert_log(p.c2s, j, "tcp12.c2s");
	assert_log(p.s2c, j, "tcp12.s2c");
	pair_free(&p);
	free(bar);
	json_decref(j);
}
END_TEST

/* Feed our server the recorded Python client bytes one by one. */
START_TEST(test_tcp12_server_bytewise)
{
	json_t *j = tu_json_load("wire_transcripts.json");
	struct bn_htx_config cc, sc;
	struct bn_htx_session *s;
	struct keys k;
	struct rec r;
	uint8_t *c2s;
	size_t n;

	keys_seed(j, &k);
	cfgs(&k, &cc, &sc);
	sc.allow_compat = 1;		/* offers native, peer does not */
	rec_init(&r);
	s = bn_htx_session_new(&sc, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(bn_htx_session_set_ephemeral(s, k.se), BN_OK);
	c2s = tu_json_hex(j, "tcp12.c2s", &n);
	feed(s, &r, c2s, n, 1);
	ck_assert_int_eq(r.prof, BN_HTX_PROFILE_COMPAT);
	ck_assert_int_eq(r.nmsg, 3);
	ck_assert_uint_eq(r.m[0].sid, 1);
	ck_assert_uint_eq(r.m[2].sid, 3);
	ck_assert_int_eq(memcmp(r.m[2].d, "GET /hello/after-rekey", 22), 0);
	ck_assert_int_eq(r.closed, 1);
	ck_assert_int_eq(r.by_peer, 1);
	free(c2s);
	rec_free(&r);
	bn_htx_session_free(s);

	/* The same server without allow_compat: refused, nothing sent. */
	sc.allow_compat = 0;
	rec_init(&r);
	s = bn_htx_session_new(&sc, 0);
	ck_assert_int_eq(bn_htx_session_set_ephemeral(s, k.se), BN_OK);
	c2s = tu_json_hex(j, "tcp12.c2s", &n);
	feed(s, &r, c2s, n, SIZE_MAX);
	ck_assert_int_eq(r.closed, 1);
	ck_assert_int_eq(r.err, BN_ERR_COMPAT_REFUSED);
	ck_assert_int_eq(r.hs_done, 0);
	{
		struct bn_buf *o = pull_all(s, NULL);
		uint8_t *s2c;
		size_t sn;

		/* only msg2 (u16 + 48 bytes), no caps, no CLOSE */
		s2c = tu_json_hex(j, "tcp12.s2c", &sn);
		ck_assert_uint_eq(bn_buf_len(o), 50);
		ck_assert_int_eq(memcmp(bn_buf_ptr(o), s2c, 50), 0);
		free(s2c);
		bn_buf_free(o);
	}
	free(c2s);
	rec_free(&r);
	bn_htx_session_free(s);
	json_decref(j);
}
END_TEST

START_TEST(test_tcp11_transcript)
{
	json_t *j = tu_json_load("wire_transcripts.json");
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint32_t sid;
	struct bn_buf *o;

	keys_seed(j, &k);
	cfgs(&k, &cc, &sc);
	cc.legacy11 = sc.legacy11 = 1;
	/* Legacy is weak by construction: opt-in through allow_compat. */
	ck_assert_ptr_null(bn_htx_session_new(&cc, 0));
	ck_assert_ptr_null(bn_htx_session_new(&sc, 0));
	cc.allow_compat = sc.allow_compat = 1;
	pair_new(&p, &k, &cc, &sc);
	pair_handshake(&p);
	ck_assert_int_eq(p.cr.prof, BN_HTX_PROFILE_LEGACY11);
	ck_assert_int_eq(p.sr.prof, BN_HTX_PROFILE_LEGACY11);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_uint_eq(sid, 1);
	ck_assert_int_eq(bn_htx_session_send_message(p.c, 1,
	    (const uint8_t *)"hello", 5), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 1);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, 1,
	    (const uint8_t *)"hello", 5), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.cr.nmsg, 1);
	ck_assert_int_eq(memcmp(p.cr.m[0].d, "hello", 5), 0);
	assert_log(p.c2s, j, "tcp11.c2s");
	assert_log(p.s2c, j, "tcp11.s2c");

	/* The echo server's pushed control frame on stream 2 is skipped. */
	ck_assert_int_eq(bn_htx_session_send_message(p.s, 2,
	    (const uint8_t *)"\xa0", 1), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.cr.nmsg, 1);
	/* KEY_UPDATE chain (§3b) both ways, then more messages. */
	ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_uint_eq(sid, 3);
	ck_assert_int_eq(bn_htx_session_send_message(p.c, 3,
	    (const uint8_t *)"x", 1), BN_OK);
	pump(&p);
	ck_assert_int_eq(bn_htx_session_key_update(p.s), BN_OK);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, 3,
	    (const uint8_t *)"y", 1), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 2);
	ck_assert_int_eq(p.cr.nmsg, 2);
	ck_assert_int_eq(p.cr.m[1].d[0], 'y');
	ck_assert(!p.cr.closed && !p.sr.closed);
	o = pull_all(p.c, NULL);
	bn_buf_free(o);
	pair_free(&p);
	json_decref(j);
}
END_TEST

/* ---- in-process sessions ------------------------------------------------ */

static uint8_t *
pattern(size_t len, unsigned seed)
{
	uint8_t *d = malloc(len ? len : 1);
	size_t i;

	ck_assert_ptr_nonnull(d);
	for (i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 8));
	return d;
}

/* Write all of data with FIN on sid, pumping while queues are full. */
static void
send_all(struct pair *p, int from_client, uint32_t sid, const uint8_t *d,
    size_t len)
{
	struct bn_htx_session *s = from_client ? p->c : p->s;
	size_t off = 0, acc;
	int r, rounds = 0;

	for (;;) {
		r = bn_htx_session_write(s, sid, d + off, len - off, 1, &acc);
		ck_assert(r == BN_OK || r == BN_ERR_BLOCKED);
		off += acc;
		if (off == len && r == BN_OK)
			break;
		pump(p);
		ck_assert_int_lt(++rounds, 1000000);
	}
}

static void
native_pair(struct pair *p, struct keys *k, struct bn_htx_config *cc,
    struct bn_htx_config *sc)
{
	pair_new(p, k, cc, sc);
	pair_handshake(p);
	ck_assert_int_eq(p->cr.prof, BN_HTX_PROFILE_NATIVE);
	ck_assert_int_eq(p->sr.prof, BN_HTX_PROFILE_NATIVE);
}

START_TEST(test_pair_sizes)
{
	static const size_t sizes[] = { 0, 1, 65 * 1024, 4 << 20 };
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	size_t i;
	int chunks;

	for (chunks = 0; chunks < 2; chunks++) {
		random_keys(&k);
		cfgs(&k, &cc, &sc);
		cc.deliver_chunks = sc.deliver_chunks = chunks;
		native_pair(&p, &k, &cc, &sc);
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint8_t *q = pattern(sizes[i], (unsigned)i);
			uint8_t *a = pattern(sizes[i], (unsigned)i + 100);
			const struct msg *m;
			uint32_t sid;

			ck_assert_int_eq(bn_htx_session_open_stream(p.c,
			    &sid), BN_OK);
			send_all(&p, 1, sid, q, sizes[i]);
			pump(&p);
			m = rec_find(&p.sr, sid);
			ck_assert_ptr_nonnull(m);
			ck_assert_uint_eq(m->len, sizes[i]);
			ck_assert(sizes[i] == 0 ||
			    memcmp(m->d, q, sizes[i]) == 0);
			send_all(&p, 0, sid, a, sizes[i]);
			pump(&p);
			m = rec_find(&p.cr, sid);
			ck_assert_ptr_nonnull(m);
			ck_assert_uint_eq(m->len, sizes[i]);
			ck_assert(sizes[i] == 0 ||
			    memcmp(m->d, a, sizes[i]) == 0);
			free(q);
			free(a);
		}
		/* Every stream finished both ways: nothing left. */
		{
			struct bn_htx_stats st;

			bn_htx_session_stats(p.c, &st);
			ck_assert_uint_eq(st.streams, 0);
			bn_htx_session_stats(p.s, &st);
			ck_assert_uint_eq(st.streams, 0);
		}
		ck_assert(!p.cr.closed && !p.sr.closed);
		pair_free(&p);
	}
}
END_TEST

START_TEST(test_compat_fallback)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint32_t sid;

	random_keys(&k);
	/* Our client (native offered) meets a compat-only server. */
	cfgs(&k, &cc, &sc);
	cc.allow_compat = 1;
	sc.offer_native = 0;
	sc.allow_compat = 1;
	pair_new(&p, &k, &cc, &sc);
	pair_handshake(&p);
	ck_assert_int_eq(p.cr.prof, BN_HTX_PROFILE_COMPAT);
	ck_assert_int_eq(p.sr.prof, BN_HTX_PROFILE_COMPAT);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_send_message(p.c, sid,
	    (const uint8_t *)"GET /", 5), BN_OK);
	ck_assert_int_eq(bn_htx_session_write(p.c, sid,
	    (const uint8_t *)"x", 1, 1, &(size_t){ 0 }), BN_ERR_STATE);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 1);
	{
		/* compat: one frame per message, at most one frame big */
		uint8_t *big = pattern(BN_HTX_PAYLOAD_MAX + 1, 1);

		ck_assert_int_eq(bn_htx_session_send_message(p.s, sid, big,
		    BN_HTX_PAYLOAD_MAX + 1), BN_ERR_TOO_LARGE);
		ck_assert_int_eq(bn_htx_session_send_message(p.s, sid, big,
		    BN_HTX_PAYLOAD_MAX), BN_OK);
		pump(&p);
		ck_assert_int_eq(p.cr.nmsg, 1);
		ck_assert_uint_eq(p.cr.m[0].len, BN_HTX_PAYLOAD_MAX);
		free(big);
	}
	pair_free(&p);

	/* Same, client without allow_compat: refused, no selection. */
	cfgs(&k, &cc, &sc);
	sc.offer_native = 0;
	sc.allow_compat = 1;
	pair_new(&p, &k, &cc, &sc);
	pump(&p);
	ck_assert_int_eq(p.cr.closed, 1);
	ck_assert_int_eq(p.cr.err, BN_ERR_COMPAT_REFUSED);
	ck_assert_int_eq(p.cr.hs_done, 0);
	ck_assert_int_eq(p.sr.hs_done, 0);
	ck_assert_int_eq(p.sr.closed, 0);
	/* msg1, msg3, caps: nothing after the server's caps */
	ck_assert_uint_eq(bn_buf_len(p.c2s), 50 + 66 + 3 + 7 + 16 +
	    (bn_buf_len(p.c2s) - 50 - 66 - 26));
	ck_assert(bn_htx_session_done(p.c, 0));
	pair_free(&p);

	/* A compat-only client meets a server without allow_compat. */
	cfgs(&k, &cc, &sc);
	cc.offer_native = 0;
	cc.allow_compat = 1;
	pair_new(&p, &k, &cc, &sc);
	pump(&p);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_int_eq(p.sr.err, BN_ERR_COMPAT_REFUSED);
	ck_assert_int_eq(p.cr.hs_done, 0);
	ck_assert_uint_eq(bn_buf_len(p.s2c), 50);	/* msg2 only */
	pair_free(&p);
}
END_TEST

START_TEST(test_many_streams)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint32_t sids[200];
	int i;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	cc.max_frame_data = sc.max_frame_data = 1000;
	native_pair(&p, &k, &cc, &sc);
	for (i = 0; i < 200; i++) {
		uint8_t *d = pattern(3000 + (size_t)i, (unsigned)i);

		ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sids[i]),
		    BN_OK);
		ck_assert_uint_eq(sids[i], 3 + 2 * (uint32_t)i);
		ck_assert_int_eq(bn_htx_session_send_message(p.c, sids[i], d,
		    3000 + (size_t)i), BN_OK);
		free(d);
	}
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 200);
	/* Round-robin: every stream got a turn before any finished. */
	ck_assert_int_eq(p.sr.opens_at_first_msg, 200);
	for (i = 0; i < 200; i++) {
		const struct msg *m = rec_find(&p.sr, sids[i]);
		uint8_t *d = pattern(3000 + (size_t)i, (unsigned)i);

		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(m->len, 3000 + (size_t)i);
		ck_assert_int_eq(memcmp(m->d, d, m->len), 0);
		free(d);
		ck_assert_int_eq(bn_htx_session_send_message(p.s, sids[i],
		    (const uint8_t *)&sids[i], 4), BN_OK);
	}
	pump(&p);
	ck_assert_int_eq(p.cr.nmsg, 200);
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(memcmp(rec_find(&p.cr, sids[i])->d,
		    &sids[i], 4), 0);
	pair_free(&p);
}
END_TEST

START_TEST(test_key_update_midstream)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_stats st;
	struct keys k;
	struct pair p;
	const size_t len = 1 << 20;
	uint8_t *a = pattern(len, 1), *b = pattern(len, 2);
	size_t offa = 0, offb = 0, acc;
	uint32_t sid;
	int round = 0;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	/* Client writes first so the stream exists on the server. */
	ck_assert_int_eq(bn_htx_session_write(p.c, sid, a, 1000, 0, &acc),
	    BN_OK);
	offa = acc;
	pump(&p);
	while (offa < len || offb < len) {
		if (offa < len) {
			(void)bn_htx_session_write(p.c, sid, a + offa,
			    len - offa, 1, &acc);
			offa += acc;
		}
		if (offb < len) {
			(void)bn_htx_session_write(p.s, sid, b + offb,
			    len - offb, 1, &acc);
			offb += acc;
		}
		xfer(p.c, &p.cr, p.s, &p.sr, NULL, SIZE_MAX);
		xfer(p.s, &p.sr, p.c, &p.cr, NULL, SIZE_MAX);
		if (++round == 2) {
			ck_assert_int_eq(bn_htx_session_key_update(p.c),
			    BN_OK);
			ck_assert_int_eq(bn_htx_session_key_update(p.s),
			    BN_OK);
		}
	}
	pump(&p);
	ck_assert_int_gt(round, 2);
	ck_assert_int_eq(p.sr.nmsg, 1);
	ck_assert_int_eq(p.cr.nmsg, 1);
	ck_assert_int_eq(memcmp(p.sr.m[0].d, a, len), 0);
	ck_assert_int_eq(memcmp(p.cr.m[0].d, b, len), 0);
	bn_htx_session_stats(p.c, &st);
	ck_assert_uint_eq(st.key_updates_out, 1);
	ck_assert_uint_eq(st.key_updates_in, 1);
	bn_htx_session_stats(p.s, &st);
	ck_assert_uint_eq(st.key_updates_out, 1);
	ck_assert_uint_eq(st.key_updates_in, 1);
	free(a);
	free(b);
	pair_free(&p);
}
END_TEST

START_TEST(test_auto_rekey)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_stats st;
	struct keys k;
	struct pair p;
	const size_t len = 200000;
	uint8_t *a = pattern(len, 3);
	uint32_t sid;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	/* 16 (BN_HTX_KEY_UPDATE_MIN_FRAMES) is the floor of automatic
	 * rekeys: a peer's flood check must never trip on them. */
	cc.rekey_frames = BN_HTX_KEY_UPDATE_MIN_FRAMES;
	cc.max_frame_data = 1000;
	sc.rekey_bytes = 5000;
	sc.max_frame_data = 1000;
	cc.rekey_ms = 1000;
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	send_all(&p, 1, sid, a, len);
	pump(&p);
	ck_assert_int_eq(memcmp(rec_find(&p.sr, sid)->d, a, len), 0);
	bn_htx_session_stats(p.c, &st);
	ck_assert_uint_ge(st.key_updates_out,
	    200 / BN_HTX_KEY_UPDATE_MIN_FRAMES - 1);
	{
		uint64_t out = st.key_updates_out;

		bn_htx_session_stats(p.s, &st);
		ck_assert_uint_eq(st.key_updates_in, out);
	}
	/* bytes: 5000 per key, but never fewer than 16 frames */
	send_all(&p, 0, sid, a, 60000);
	pump(&p);
	bn_htx_session_stats(p.s, &st);
	ck_assert_uint_ge(st.key_updates_out, 3);
	ck_assert_int_eq(memcmp(rec_find(&p.cr, sid)->d, a, 60000), 0);
	/* time: an hour (here 1 s) under one key */
	{
		uint64_t before;

		bn_htx_session_stats(p.c, &st);
		before = st.key_updates_out;
		ck_assert_uint_le(bn_htx_session_next_timeout(p.c), 1000);
		p.cr.now = p.sr.now = 1000;
		ck_assert_int_eq(bn_htx_session_tick(p.c, 1000), BN_OK);
		pump(&p);
		bn_htx_session_stats(p.c, &st);
		ck_assert_uint_eq(st.key_updates_out, before + 1);
	}
	ck_assert(!p.cr.closed && !p.sr.closed);
	free(a);
	pair_free(&p);
}
END_TEST

/* ---- crafted frames ------------------------------------------------------ */

/* Seal a frame as the client would, with its real keys. */
static struct bn_buf *
craft(struct pair *p, uint8_t type, uint32_t sid, uint16_t aad,
    const uint8_t *pl, size_t len)
{
	struct bn_htx_dir *d = bn_htx_session_test_tx_dir(p->c);
	struct bn_buf *b = bn_buf_new(1 << 17);
	struct bn_iov iov = { pl, len };

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(bn_htx_frame_seal(d, type, sid, aad, &iov, 1, b),
	    BN_OK);
	return b;
}

static size_t
stream_pl(uint8_t *out, int fin, uint64_t off, const uint8_t *d, size_t n)
{
	out[0] = fin ? 1 : 0;
	bn_store_u64(out + 1, off);
	bn_store_u16(out + 9, (uint16_t)n);
	if (n)
		memcpy(out + 11, d, n);
	return 11 + n;
}

/* Feed b to the server; it must close with code and the client hear it. */
static void
expect_close(struct pair *p, struct bn_buf *b, int code)
{
	int msgs = p->sr.nmsg, data = p->sr.data_events;

	feed(p->s, &p->sr, bn_buf_ptr(b), bn_buf_len(b), SIZE_MAX);
	bn_buf_free(b);
	ck_assert_int_eq(p->sr.closed, 1);
	ck_assert_int_eq(p->sr.code, code);
	ck_assert_int_eq(p->sr.by_peer, 0);
	ck_assert_int_eq(p->sr.nmsg, msgs);
	ck_assert_int_eq(p->sr.data_events, data);
	xfer(p->s, &p->sr, p->c, &p->cr, NULL, SIZE_MAX);
	ck_assert_int_eq(p->cr.closed, 1);
	ck_assert_int_eq(p->cr.by_peer, 1);
	ck_assert_int_eq(p->cr.code, code);
}

enum crafted {
	C_TAG, C_TRUNC, C_LEN_BIG, C_LEN_SMALL, C_CLOSED_STREAM, C_FLOW,
	C_WU_SCOPE0_ID, C_WU_SCOPE1_ID0, C_WU_ZERO, C_WU_FUTURE, C_WU_LEN,
	C_WU_OVERFLOW, C_AAD, C_PING_ID, C_PING_LEN, C_KU_PAYLOAD,
	C_CLOSE_LEN, C_TYPE, C_STREAM1, C_OUR_PARITY, C_SHORT_STREAM,
	C_DATALEN, C_CONN_FLOW, C_MAX
};

static void
crafted_case(int c)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint8_t pl[65536], *big;
	struct bn_buf *b, *b2;
	uint32_t sid;
	size_t n;
	int code = BN_HTX_CLOSE_MALFORMED_FRAME;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	sc.manual_credit = 1;
	sc.deliver_chunks = 1;
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	/* Valid traffic first gets through: a PING, say. */
	b2 = craft(&p, 2, 0, 0, (const uint8_t *)"pingpong", 8);
	feed(p.s, &p.sr, bn_buf_ptr(b2), bn_buf_len(b2), SIZE_MAX);
	bn_buf_free(b2);
	ck_assert_int_eq(p.sr.closed, 0);
	switch (c) {
	case C_TAG:
		b = craft(&p, 0, 3, 0, pl, stream_pl(pl, 1, 0,
		    (const uint8_t *)"hi", 2));
		((uint8_t *)(uintptr_t)bn_buf_ptr(b))[bn_buf_len(b) - 1] ^= 1;
		code = BN_HTX_CLOSE_AUTH_FAILED;
		break;
	case C_TRUNC:
		b = craft(&p, 0, 3, 0, pl, stream_pl(pl, 1, 0,
		    (const uint8_t *)"hi", 2));
		feed(p.s, &p.sr, bn_buf_ptr(b), bn_buf_len(b) - 1, SIZE_MAX);
		ck_assert_int_eq(p.sr.closed, 0);	/* waits */
		ck_assert_int_eq(p.sr.opens, 0);
		bn_buf_free(b);
		b = craft(&p, 0, 5, 0, pl, stream_pl(pl, 1, 0, NULL, 0));
		code = BN_HTX_CLOSE_AUTH_FAILED;
		break;
	case C_LEN_BIG:
		b = bn_buf_new(16);
		(void)bn_buf_put(b, "\xff\xff\xff\x00\x00\x00\x00\x03", 8);
		break;
	case C_LEN_SMALL:
		b = bn_buf_new(16);
		(void)bn_buf_put(b, "\x00\x00\x16", 3);
		break;
	case C_CLOSED_STREAM:
		ck_assert_int_eq(bn_htx_session_send_message(p.c, sid,
		    (const uint8_t *)"q", 1), BN_OK);
		pump(&p);
		ck_assert_int_eq(bn_htx_session_send_message(p.s, sid,
		    (const uint8_t *)"a", 1), BN_OK);
		pump(&p);
		ck_assert_int_eq(p.cr.nmsg, 1);
		b = craft(&p, 0, sid, 0, pl, stream_pl(pl, 1, 0,
		    (const uint8_t *)"x", 1));
		break;
	case C_FLOW:
		big = pattern(40000, 1);
		b = craft(&p, 0, 3, 0, pl, stream_pl(pl, 0, 0, big, 40000));
		free(big);
		code = BN_HTX_CLOSE_FLOW_CONTROL_VIOLATION;
		break;
	case C_CONN_FLOW:
		/* Two streams within their windows overrun 65535. */
		big = pattern(32768, 1);
		b = craft(&p, 0, 3, 0, pl, stream_pl(pl, 0, 0, big, 32768));
		feed(p.s, &p.sr, bn_buf_ptr(b), bn_buf_len(b), SIZE_MAX);
		bn_buf_free(b);
		b = craft(&p, 0, 5, 0, pl, stream_pl(pl, 0, 0, big, 32768));
		free(big);
		code = BN_HTX_CLOSE_FLOW_CONTROL_VIOLATION;
		break;
	case C_WU_SCOPE0_ID:
		b = craft(&p, 1, 3, 0, (const uint8_t *)"\x00\x00\x00\x00\x10",
		    5);
		break;
	case C_WU_SCOPE1_ID0:
		b = craft(&p, 1, 0, 0, (const uint8_t *)"\x01\x00\x00\x00\x10",
		    5);
		break;
	case C_WU_ZERO:
		b = craft(&p, 1, 0, 0, (const uint8_t *)"\x00\x00\x00\x00\x00",
		    5);
		break;
	case C_WU_FUTURE:
		b = craft(&p, 1, 99, 0, (const uint8_t *)"\x01\x00\x00\x00\x10",
		    5);
		break;
	case C_WU_LEN:
		b = craft(&p, 1, 0, 0, (const uint8_t *)"\x00\x00\x00\x10", 4);
		break;
	case C_WU_OVERFLOW:
		/* stream scope: 32768 + 0x7fff8000 > 2^31-1 */
		/* the server opens stream 2 so the client may credit it */
		{
			uint32_t ss;

			ck_assert_int_eq(bn_htx_session_open_stream(p.s, &ss),
			    BN_OK);
			ck_assert_uint_eq(ss, 2);
		}
		b = craft(&p, 1, 2, 0, (const uint8_t *)"\x01\x7f\xff\x80\x00",
		    5);
		code = BN_HTX_CLOSE_FLOW_CONTROL_VIOLATION;
		break;
	case C_AAD:
		b = craft(&p, 0, 3, 5, pl, stream_pl(pl, 1, 0, NULL, 0));
		break;
	case C_PING_ID:
		b = craft(&p, 2, 3, 0, (const uint8_t *)"12345678", 8);
		break;
	case C_PING_LEN:
		b = craft(&p, 2, 0, 0, (const uint8_t *)"1234567", 7);
		break;
	case C_KU_PAYLOAD:
		b = craft(&p, 3, 0, 0, (const uint8_t *)"x", 1);
		break;
	case C_CLOSE_LEN:
		b = craft(&p, 4, 0, 0, (const uint8_t *)"\x00\x00\x00\x05hi",
		    6);
		break;
	case C_TYPE:
		b = craft(&p, 9, 0, 0, NULL, 0);
		break;
	case C_STREAM1:
		b = craft(&p, 0, 1, 0, pl, stream_pl(pl, 1, 0, NULL, 0));
		break;
	case C_OUR_PARITY:
		b = craft(&p, 0, 4, 0, pl, stream_pl(pl, 1, 0, NULL, 0));
		break;
	case C_SHORT_STREAM:
		b = craft(&p, 0, 3, 0, pl, 10);
		break;
	case C_DATALEN:
		n = stream_pl(pl, 1, 0, (const uint8_t *)"abc", 3);
		bn_store_u16(pl + 9, 4);
		b = craft(&p, 0, 3, 0, pl, n);
		break;
	default:
		ck_abort();
	}
	expect_close(&p, b, code);
	pair_free(&p);
}

START_TEST(test_crafted)
{
	crafted_case(_i);
}
END_TEST

/* ---- flow control, limits, timers, memory -------------------------------- */

/* A chunk consumer that returns no credit stalls the sender exactly. */
START_TEST(test_manual_credit_backpressure)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	const size_t len = 300000;
	uint8_t *a = pattern(len, 9);
	size_t acc, got = 0;
	uint32_t sid;
	int i;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	sc.manual_credit = 1;
	sc.deliver_chunks = 1;
	cc.max_send_stream = len;
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_write(p.c, sid, a, len, 1, &acc),
	    BN_OK);
	ck_assert_uint_eq(acc, len);
	pump(&p);
	/* 32768 per stream at the switch, and not a byte more. */
	ck_assert_int_eq(p.sr.nmsg, 0);
	ck_assert_int_eq(p.sr.npart, 1);
	ck_assert_uint_eq(p.sr.part[0].len, 32768);
	for (i = 0; i < 1000 && p.sr.nmsg == 0; i++) {
		size_t now = p.sr.npart ? p.sr.part[0].len : len;

		ck_assert_int_eq(bn_htx_session_consume(p.s, sid, now - got),
		    BN_OK);
		got = now;
		pump(&p);
	}
	ck_assert_int_eq(p.sr.nmsg, 1);
	ck_assert_uint_eq(p.sr.m[0].len, len);
	ck_assert_int_eq(memcmp(p.sr.m[0].d, a, len), 0);
	free(a);
	pair_free(&p);
}
END_TEST

START_TEST(test_limits)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint8_t *a = pattern(5000, 4);
	uint32_t sid, sid2;
	size_t acc;
	int r;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	sc.max_message = 1000;
	cc.max_send_stream = 1000;
	cc.max_streams = 2;
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	/* Bounded send queue: partial acceptance, then WRITABLE. */
	ck_assert_int_eq(bn_htx_session_send_message(p.c, sid, a, 5000),
	    BN_ERR_TOO_LARGE);
	ck_assert_int_eq(bn_htx_session_write(p.c, sid, a, 5000, 1, &acc),
	    BN_OK);
	ck_assert_uint_eq(acc, 1000);
	r = bn_htx_session_write(p.c, sid, a, 10, 0, &acc);
	ck_assert_int_eq(r, BN_ERR_BLOCKED);
	pump(&p);
	ck_assert_int_ge(p.cr.writable, 1);
	send_all(&p, 1, sid, a + 1000, 4000);
	pump(&p);
	/* Over max_message: the stream is reset, the session lives on. */
	ck_assert_int_eq(p.sr.resets, 1);
	ck_assert_int_eq(p.sr.nmsg, 0);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, sid,
	    (const uint8_t *)"413", 3), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.cr.nmsg, 1);
	ck_assert(!p.sr.closed && !p.cr.closed);
	/* Local reset: our side ends (truncated), theirs is discarded. */
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_write(p.c, sid, a, 10, 0, &acc),
	    BN_OK);
	pump(&p);
	ck_assert_int_eq(bn_htx_session_reset_stream(p.c, sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_write(p.c, sid, a, 1, 0, &acc),
	    BN_ERR_CLOSED);
	pump(&p);
	ck_assert_int_eq(p.sr.resets, 1);
	ck_assert_uint_eq(rec_find(&p.sr, sid)->len, 10);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, sid, a, 500),
	    BN_OK);
	pump(&p);
	ck_assert_int_eq(p.cr.nmsg, 1);		/* only the 413 */
	ck_assert(!p.sr.closed && !p.cr.closed);
	/* max_streams */
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid2), BN_OK);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid2),
	    BN_ERR_LIMIT);
	/* bad calls */
	ck_assert_int_eq(bn_htx_session_write(p.c, 99, a, 1, 0, &acc),
	    BN_ERR_CLOSED);
	ck_assert_int_eq(bn_htx_session_close(p.c, 0, NULL), BN_OK);
	ck_assert_int_eq(bn_htx_session_close(p.c, 0, NULL), BN_ERR_CLOSED);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid2),
	    BN_ERR_CLOSED);
	pump(&p);
	ck_assert_int_eq(p.sr.closed, 1);
	free(a);
	pair_free(&p);
}
END_TEST

START_TEST(test_timers)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	struct bn_htx_session *s;
	struct rec r;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	/* Handshake timeout: silent close. */
	s = bn_htx_session_new(&sc, 100);
	ck_assert_uint_eq(bn_htx_session_next_timeout(s), 100 + 10000);
	ck_assert_int_eq(bn_htx_session_tick(s, 10099), BN_OK);
	ck_assert(!bn_htx_session_is_closed(s));
	ck_assert_int_eq(bn_htx_session_tick(s, 10100), BN_OK);
	ck_assert(bn_htx_session_is_closed(s));
	rec_init(&r);
	drain(s, &r);
	ck_assert_int_eq(r.closed, 1);
	ck_assert(bn_htx_session_done(s, 10100));
	rec_free(&r);
	bn_htx_session_free(s);

	/* Keepalive PING answered; then an unanswered one closes. */
	cc.ping_interval_ms = 1000;
	native_pair(&p, &k, &cc, &sc);
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.c), 1000);
	p.cr.now = p.sr.now = 1000;
	ck_assert_int_eq(bn_htx_session_tick(p.c, 1000), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.cr.rtts, 1);
	ck_assert_int_eq(bn_htx_session_ping(p.c, NULL, 1500), BN_OK);
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.c), 6500);
	ck_assert_int_eq(bn_htx_session_tick(p.c, 6500), BN_OK);
	drain(p.c, &p.cr);
	ck_assert_int_eq(p.cr.closed, 1);
	ck_assert_int_eq(p.cr.code, BN_HTX_CLOSE_PATH_INVALID);
	xfer(p.c, &p.cr, p.s, &p.sr, NULL, SIZE_MAX);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_int_eq(p.sr.code, BN_HTX_CLOSE_PATH_INVALID);
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.c), 6500 + 2000);
	pair_free(&p);

	/* Idle timeout closes with OK. */
	cfgs(&k, &cc, &sc);
	sc.idle_timeout_ms = 3000;
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_tick(p.s, 3000), BN_OK);
	drain(p.s, &p.sr);
	ck_assert_int_eq(p.sr.closed, 1);
	pair_free(&p);
}
END_TEST

START_TEST(test_idle_memory)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint8_t *a = pattern(200000, 5);
	uint32_t sid;
	size_t mc, ms;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	send_all(&p, 1, sid, a, 200000);
	pump(&p);
	send_all(&p, 0, sid, a, 200000);
	pump(&p);
	ck_assert_int_eq(p.cr.nmsg, 1);
	/* the next call releases the delivered message */
	drain(p.c, &p.cr);
	drain(p.s, &p.sr);
	mc = bn_htx_session_memory(p.c);
	ms = bn_htx_session_memory(p.s);
	ck_assert_msg(mc <= 16384 && ms <= 16384, "idle: c %zu s %zu", mc,
	    ms);
	free(a);
	pair_free(&p);
}
END_TEST

/* A server fed garbage from the start closes without a byte of output. */
START_TEST(test_garbage_handshake)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct bn_htx_session *s;
	struct bn_buf *o;
	struct rec r;
	uint8_t junk[200];
	size_t n;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	memset(junk, 0x41, sizeof(junk));
	for (n = 0; n <= sizeof(junk); n += 7) {
		s = bn_htx_session_new(&sc, 0);
		rec_init(&r);
		feed(s, &r, junk, n, SIZE_MAX);
		ck_assert_int_eq(r.closed, n >= 2);
		o = pull_all(s, NULL);
		ck_assert_uint_eq(bn_buf_len(o), 0);
		bn_buf_free(o);
		rec_free(&r);
		bn_htx_session_free(s);
	}
	/* A valid-length msg1 that fails to decrypt. */
	s = bn_htx_session_new(&sc, 0);
	rec_init(&r);
	junk[0] = 0;
	junk[1] = 48;
	feed(s, &r, junk, 50, SIZE_MAX);
	ck_assert_int_eq(r.closed, 1);
	rec_free(&r);
	bn_htx_session_free(s);
}
END_TEST
/* Compat tolerates up to 8 skipped nonces (§3), not 9. */
START_TEST(test_compat_skipped_nonces)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_stats st;
	struct keys k;
	struct pair p;
	uint32_t sid;
	int skip;

	for (skip = 0; skip <= 9; skip += 1) {
		random_keys(&k);
		cfgs(&k, &cc, &sc);
		cc.offer_native = 0;
		cc.allow_compat = sc.allow_compat = 1;
		pair_new(&p, &k, &cc, &sc);
		pair_handshake(&p);
		ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
		bn_htx_session_test_tx_dir(p.c)->counter += (uint64_t)skip;
		ck_assert_int_eq(bn_htx_session_send_message(p.c, sid,
		    (const uint8_t *)"req", 3), BN_OK);
		pump(&p);
		bn_htx_session_stats(p.s, &st);
		if (skip <= 8) {
			ck_assert_int_eq(p.sr.nmsg, 1);
			ck_assert_uint_eq(st.skipped_nonces, (uint64_t)skip);
			ck_assert(!p.sr.closed);
		} else {
			/* compat: just closed, no CLOSE frame */
			ck_assert_int_eq(p.sr.nmsg, 0);
			ck_assert_int_eq(p.sr.closed, 1);
			ck_assert_int_eq(p.cr.closed, 0);
		}
		pair_free(&p);
	}
}
END_TEST

/* Native: after a KEY_UPDATE the previous generation opens for 3 frames. */
START_TEST(test_native_old_generation)
{
	json_t *j = tu_json_load("native_vectors.json");
	uint8_t key0[32], salt0[12], key1[32], salt1[12];
	struct bn_htx_dir g0, g1;
	struct bn_iov iov = { "vectorPG", 8 };
	struct bn_buf *b = bn_buf_new(4096);
	struct keys k;
	struct pair p;
	int i;
	struct { struct bn_htx_dir *d; uint8_t type; int ok; } seq[] = {
		{ &g0, BN_HTX_PING, 1 },	/* gen 0, counter 0 */
		{ &g0, BN_HTX_KEY_UPDATE, 1 },	/* gen 0, counter 1 */
		{ &g0, BN_HTX_PING, 1 },	/* old gen, 1 of 3 */
		{ &g1, BN_HTX_PING, 1 },	/* new gen, 2 of 3 */
		{ &g0, BN_HTX_PING, 1 },	/* old gen, 3 of 3 */
		{ &g0, BN_HTX_PING, 0 },	/* old gen: too late */
	};

	keys_native(j, &k);
	tu_json_hex_n(j, "native_keys.key_c", key0, 32);
	tu_json_hex_n(j, "native_keys.nonce_salt_c", salt0, 12);
	tu_json_hex_n(j, "key_update.key_c_next", key1, 32);
	tu_json_hex_n(j, "key_update.nonce_salt_c_next", salt1, 12);
	memset(&g0, 0, sizeof(g0));
	memset(&g1, 0, sizeof(g1));
	ck_assert_int_eq(bn_htx_dir_set(&g0, key0, salt0), BN_OK);
	ck_assert_int_eq(bn_htx_dir_set(&g1, key1, salt1), BN_OK);
	native_open(&p, j, &k, SIZE_MAX);
	for (i = 0; i < (int)(sizeof(seq) / sizeof(seq[0])); i++) {
		bn_buf_reset(b);
		ck_assert_int_eq(bn_htx_frame_seal(seq[i].d, seq[i].type, 0, 0,
		    &iov, seq[i].type == BN_HTX_PING, b), BN_OK);
		feed(p.s, &p.sr, bn_buf_ptr(b), bn_buf_len(b), SIZE_MAX);
		ck_assert_int_eq(p.sr.closed, !seq[i].ok);
	}
	ck_assert_int_eq(p.sr.code, BN_HTX_CLOSE_AUTH_FAILED);
	bn_htx_dir_clear(&g0);
	bn_htx_dir_clear(&g1);
	bn_buf_free(b);
	pair_free(&p);
	json_decref(j);
}
END_TEST

/* ---- review fixes: each test fails on the code before the fix ----------- */

/*
 * HIGH 1: unfinished MESSAGE-mode streams cannot pin max_streams *
 * max_message: all partial messages share max_reassembly, and a frame
 * that would pass it resets its stream (credit still flows).
 */
START_TEST(test_reassembly_budget)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	const size_t per = (size_t)4 << 20, budget = (size_t)8 << 20;
	uint8_t *a = pattern(per, 6);
	uint32_t sid[8], last;
	size_t off, acc, mem;
	int i, r, rounds;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	sc.max_reassembly = budget;
	native_pair(&p, &k, &cc, &sc);
	bn_buf_free(p.c2s);		/* no log: too big */
	p.c2s = NULL;
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid[i]),
		    BN_OK);
		/* never FIN */
		for (off = 0, rounds = 0; off < per; ) {
			r = bn_htx_session_write(p.c, sid[i], a + off,
			    per - off, 0, &acc);
			ck_assert(r == BN_OK || r == BN_ERR_BLOCKED);
			off += acc;
			pump(&p);
			ck_assert_int_lt(++rounds, 100000);
		}
		pump(&p);
	}
	/* Two fill the budget exactly; the other six are reset. */
	ck_assert(!p.sr.closed && !p.cr.closed);
	ck_assert_int_eq(p.sr.opens, 8);
	ck_assert_int_eq(p.sr.resets, 6);
	ck_assert_int_eq(p.sr.nmsg, 0);
	mem = bn_htx_session_memory(p.s);
	ck_assert_msg(mem <= 2 * budget, "server holds %zu", mem);
	/* The first one completes; then a fresh message fits again. */
	ck_assert_int_eq(bn_htx_session_write(p.c, sid[0], NULL, 0, 1, &acc),
	    BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 1);
	ck_assert_uint_eq(rec_find(&p.sr, sid[0])->len, per);
	ck_assert_int_eq(memcmp(rec_find(&p.sr, sid[0])->d, a, per), 0);
	/* Reset streams still take FIN (their data is discarded). */
	for (i = 2; i < 8; i++)
		ck_assert_int_eq(bn_htx_session_write(p.c, sid[i], NULL, 0, 1,
		    &acc), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 1);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &last), BN_OK);
	send_all(&p, 1, last, a, 100000);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 2);
	ck_assert_int_eq(memcmp(rec_find(&p.sr, last)->d, a, 100000), 0);
	ck_assert(!p.sr.closed && !p.cr.closed);
	free(a);
	pair_free(&p);
}
END_TEST

/*
 * HIGH 2: after a close the drain is a hard limit: next_timeout is never
 * in the past, done() turns true at close + close_drain_ms even when the
 * peer never reads, and a close without a CLOSE frame gets that deadline
 * too.
 */
START_TEST(test_close_drain_deadline)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint8_t junk[64];
	uint64_t t, nt;
	uint32_t sid;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	native_pair(&p, &k, &cc, &sc);
	/* A frame that fails to open: CLOSE AUTH_FAILED queued at 1000. */
	memset(junk, 0, sizeof(junk));
	junk[2] = 40;
	p.sr.now = 1000;
	feed(p.s, &p.sr, junk, 43, SIZE_MAX);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_int_eq(p.sr.code, BN_HTX_CLOSE_AUTH_FAILED);
	ck_assert_uint_gt(bn_htx_session_pending_output(p.s), 0);
	/* The peer never reads. */
	for (t = 1000; t <= 1000 + 3600 * 1000; t += 250) {
		ck_assert_int_eq(bn_htx_session_tick(p.s, t), BN_OK);
		nt = bn_htx_session_next_timeout(p.s);
		ck_assert_uint_gt(nt, t);
		ck_assert_int_eq(bn_htx_session_done(p.s, t), t >= 3000);
		if (t < 3000)
			ck_assert_uint_eq(nt, 3000);
		else
			ck_assert_uint_eq(nt, UINT64_MAX);
	}
	ck_assert_uint_gt(bn_htx_session_pending_output(p.s), 0);
	pair_free(&p);

	/* compat: closed without a CLOSE frame, a reply still unsent. */
	random_keys(&k);
	cfgs(&k, &cc, &sc);
	cc.offer_native = 0;
	cc.allow_compat = sc.allow_compat = 1;
	pair_new(&p, &k, &cc, &sc);
	pair_handshake(&p);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_send_message(p.c, sid,
	    (const uint8_t *)"req", 3), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.nmsg, 1);
	ck_assert_int_eq(bn_htx_session_send_message(p.s, sid,
	    (const uint8_t *)"resp", 4), BN_OK);
	p.sr.now = 500;
	feed(p.s, &p.sr, junk, 43 + 8, SIZE_MAX);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_uint_gt(bn_htx_session_pending_output(p.s), 0);
	ck_assert(!bn_htx_session_done(p.s, 500));
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.s), 2500);
	ck_assert(!bn_htx_session_done(p.s, 2499));
	ck_assert(bn_htx_session_done(p.s, 2500));
	ck_assert_int_eq(bn_htx_session_tick(p.s, 2500), BN_OK);
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.s), UINT64_MAX);
	pair_free(&p);

	/* Flushed and closed by the peer: done at once, no deadline. */
	random_keys(&k);
	cfgs(&k, &cc, &sc);
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_close(p.c, 0, "bye"), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.by_peer, 1);
	ck_assert(bn_htx_session_done(p.s, 0));
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.s), UINT64_MAX);
	ck_assert(!bn_htx_session_done(p.c, 1999));
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.c), 2000);
	ck_assert(bn_htx_session_done(p.c, 2000));
	pair_free(&p);
}
END_TEST

/*
 * MEDIUM 3: streams written out of open order still reach the wire in ID
 * order (the lower ones opened by empty frames), both ways and in both
 * delivery modes.
 */
START_TEST(test_stream_id_order)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	uint32_t a, b, c, x, y;
	int chunks;

	for (chunks = 0; chunks <= 1; chunks++) {
		random_keys(&k);
		cfgs(&k, &cc, &sc);
		cc.deliver_chunks = sc.deliver_chunks = chunks;
		native_pair(&p, &k, &cc, &sc);
		ck_assert_int_eq(bn_htx_session_open_stream(p.c, &a), BN_OK);
		ck_assert_int_eq(bn_htx_session_open_stream(p.c, &b), BN_OK);
		ck_assert_int_eq(bn_htx_session_open_stream(p.c, &c), BN_OK);
		ck_assert_uint_eq(a, 3);
		ck_assert_uint_eq(c, 7);
		/* 7 first: 3 and 5 go out empty before it. */
		ck_assert_int_eq(bn_htx_session_send_message(p.c, c,
		    (const uint8_t *)"GET /c", 6), BN_OK);
		pump(&p);
		ck_assert(!p.sr.closed && !p.cr.closed);
		ck_assert_int_eq(p.sr.opens, 3);
		ck_assert_int_eq(p.sr.nmsg, 1);
		ck_assert_int_eq(p.sr.data_events, chunks ? 1 : 0);
		ck_assert_int_eq(bn_htx_session_send_message(p.c, b,
		    (const uint8_t *)"GET /b", 6), BN_OK);
		ck_assert_int_eq(bn_htx_session_send_message(p.c, a,
		    (const uint8_t *)"GET /a", 6), BN_OK);
		pump(&p);
		ck_assert(!p.sr.closed && !p.cr.closed);
		ck_assert_int_eq(p.sr.opens, 3);
		ck_assert_int_eq(p.sr.nmsg, 3);
		ck_assert_int_eq(memcmp(rec_find(&p.sr, a)->d, "GET /a", 6),
		    0);
		ck_assert_int_eq(memcmp(rec_find(&p.sr, b)->d, "GET /b", 6),
		    0);
		/* The server's own streams, written 4 before 2. */
		ck_assert_int_eq(bn_htx_session_open_stream(p.s, &x), BN_OK);
		ck_assert_int_eq(bn_htx_session_open_stream(p.s, &y), BN_OK);
		ck_assert_int_eq(bn_htx_session_send_message(p.s, y,
		    (const uint8_t *)"push y", 6), BN_OK);
		ck_assert_int_eq(bn_htx_session_send_message(p.s, x,
		    (const uint8_t *)"push x", 6), BN_OK);
		pump(&p);
		ck_assert(!p.sr.closed && !p.cr.closed);
		ck_assert_int_eq(p.cr.opens, 2);
		ck_assert_int_eq(p.cr.nmsg, 2);
		ck_assert_int_eq(memcmp(rec_find(&p.cr, x)->d, "push x", 6),
		    0);
		pair_free(&p);
	}
}
END_TEST

/*
 * MEDIUM 4: a burst of KEY_UPDATEs closes the session POLICY_REJECTED;
 * one after key_update_min_frames frames, or after the grace time, is
 * fine; 0 turns the check off.
 */
START_TEST(test_key_update_flood)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_stats st;
	struct keys k;
	struct pair p;
	uint32_t sid;
	int i;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	native_pair(&p, &k, &cc, &sc);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_int_eq(p.sr.code, BN_HTX_CLOSE_POLICY_REJECTED);
	ck_assert_int_eq(p.sr.err, BN_ERR_LIMIT);
	ck_assert_int_eq(p.cr.closed, 1);
	ck_assert_int_eq(p.cr.by_peer, 1);
	bn_htx_session_stats(p.s, &st);
	ck_assert_uint_eq(st.key_updates_in, 1);
	pair_free(&p);

	/* Spaced by 16 frames (PINGs here), or by the grace time: fine. */
	random_keys(&k);
	cfgs(&k, &cc, &sc);
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	pump(&p);
	for (i = 0; i < BN_HTX_KEY_UPDATE_MIN_FRAMES; i++) {
		ck_assert_int_eq(bn_htx_session_ping(p.c, NULL, 0), BN_OK);
		pump(&p);
	}
	ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	pump(&p);
	ck_assert(!p.sr.closed);
	p.cr.now = p.sr.now = BN_HTX_KEY_UPDATE_GRACE_MS;
	ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	pump(&p);
	ck_assert(!p.sr.closed);
	/* One frame short, within the grace time: refused. */
	for (i = 0; i < BN_HTX_KEY_UPDATE_MIN_FRAMES - 1; i++) {
		ck_assert_int_eq(bn_htx_session_ping(p.c, NULL, 0), BN_OK);
		pump(&p);
	}
	ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_int_eq(p.sr.code, BN_HTX_CLOSE_POLICY_REJECTED);
	pair_free(&p);

	/* Check off: the burst goes through, and so does a message. */
	random_keys(&k);
	cfgs(&k, &cc, &sc);
	sc.key_update_min_frames = 0;
	native_pair(&p, &k, &cc, &sc);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(bn_htx_session_key_update(p.c), BN_OK);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_send_message(p.c, sid,
	    (const uint8_t *)"q", 1), BN_OK);
	pump(&p);
	ck_assert(!p.sr.closed);
	ck_assert_int_eq(p.sr.nmsg, 1);
	bn_htx_session_stats(p.s, &st);
	ck_assert_uint_eq(st.key_updates_in, 40);
	pair_free(&p);
}
END_TEST

static void
consume_all(struct bn_htx_session *s, struct rec *r)
{
	struct bn_htx_event ev;

	while (bn_htx_session_next_event(s, &ev, r->now) == 1) {
		if (ev.type == BN_HTX_EV_STREAM_DATA) {
			rec_chunk(r, ev.stream_id, ev.data, ev.len, ev.fin);
			ck_assert_int_eq(bn_htx_session_consume(s,
			    ev.stream_id, ev.len), BN_OK);
		} else if (ev.type == BN_HTX_EV_CLOSED)
			r->closed = 1;
	}
}

/*
 * MEDIUM 5: manual credit needs chunk delivery (a whole-message consumer
 * could never return the credit a message over the stream window needs);
 * with chunks, a consumer that returns what it is given completes a
 * message far beyond the windows.
 */
START_TEST(test_manual_credit_config)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	const size_t len = 400000;
	uint8_t *a = pattern(len, 8);
	struct bn_buf *o;
	uint32_t sid;
	size_t acc;
	int i;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	sc.manual_credit = 1;
	ck_assert_ptr_null(bn_htx_session_new(&sc, 0));
	sc.deliver_chunks = 1;
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	cc.max_send_stream = len;
	for (i = 0, acc = 0; i < 10000 && p.sr.nmsg == 0; i++) {
		size_t n;

		if (acc < len) {
			(void)bn_htx_session_write(p.c, sid, a + acc,
			    len - acc, 1, &n);
			acc += n;
		}
		drain(p.c, &p.cr);
		o = pull_all(p.c, NULL);
		if (bn_buf_len(o) > 0) {
			size_t off = 0, m;

			while (off < bn_buf_len(o)) {
				ck_assert_int_eq(bn_htx_session_feed(p.s,
				    bn_buf_ptr(o) + off, bn_buf_len(o) - off,
				    0, &m), BN_OK);
				off += m;
				consume_all(p.s, &p.sr);
			}
		}
		bn_buf_free(o);
		consume_all(p.s, &p.sr);
		xfer(p.s, &p.sr, p.c, &p.cr, NULL, SIZE_MAX);
	}
	ck_assert_int_eq(p.sr.nmsg, 1);
	ck_assert_uint_eq(p.sr.m[0].len, len);
	ck_assert_int_eq(memcmp(p.sr.m[0].d, a, len), 0);
	ck_assert(!p.sr.closed && !p.cr.closed);
	free(a);
	pair_free(&p);
}
END_TEST

/*
 * LOW 8: a consume() whose WINDOW_UPDATE cannot be queued (control
 * backlog) returns the error and keeps the bytes owed, so a later
 * consume() returns every one of them.
 */
START_TEST(test_consume_backlog)
{
	struct bn_htx_config cc, sc;
	struct keys k;
	struct pair p;
	const size_t len = 300000;
	uint8_t *a = pattern(len, 10);
	uint32_t sid;
	size_t acc;
	int i, r;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	sc.manual_credit = sc.deliver_chunks = 1;
	sc.max_send_session = 1;	/* the control backlog: 64 KiB */
	cc.max_send_stream = len;
	native_pair(&p, &k, &cc, &sc);
	ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
	ck_assert_int_eq(bn_htx_session_write(p.c, sid, a, len, 1, &acc),
	    BN_OK);
	pump(&p);
	ck_assert_uint_eq(p.sr.part[0].len, 32768);
	/* Connection credit a byte at a time until the backlog is full. */
	for (i = 0; i < 32768; i++) {
		if ((r = bn_htx_session_consume(p.s, 0, 1)) != BN_OK)
			break;
	}
	ck_assert_int_eq(r, BN_ERR_LIMIT);
	ck_assert_int_lt(i, 32768);
	/* The stream's grant cannot be queued either: nothing returned. */
	ck_assert_int_eq(bn_htx_session_consume(p.s, sid, 100),
	    BN_ERR_LIMIT);
	pump(&p);
	ck_assert(!p.sr.closed && !p.cr.closed);
	ck_assert_uint_eq(p.sr.part[0].len, 32768);
	/* All 32768 are still owed on the stream. */
	ck_assert_int_eq(bn_htx_session_consume(p.s, sid, SIZE_MAX), BN_OK);
	pump(&p);
	ck_assert_uint_eq(p.sr.part[0].len, 65536);
	free(a);
	pair_free(&p);
}
END_TEST

/* LOW 7: legacy is weak by construction: opt-in through allow_compat. */
START_TEST(test_legacy_opt_in)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_session *s;
	struct keys k;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	cc.legacy11 = sc.legacy11 = 1;
	ck_assert_ptr_null(bn_htx_session_new(&cc, 0));
	ck_assert_ptr_null(bn_htx_session_new(&sc, 0));
	sc.allow_compat = 1;
	s = bn_htx_session_new(&sc, 0);
	ck_assert_ptr_nonnull(s);
	bn_htx_session_free(s);
}
END_TEST

/* LOW 6: the legacy input bound follows the clamped max_message. */
START_TEST(test_legacy_in_cap)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_session *s;
	struct keys k;
	uint8_t b[50];
	size_t acc;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	sc.legacy11 = sc.allow_compat = 1;
	sc.max_message = (size_t)1 << 30;	/* clamped to a u24 frame */
	s = bn_htx_session_new(&sc, 0);
	ck_assert_ptr_nonnull(s);
	memset(b, 0, sizeof(b));
	b[1] = 48;
	ck_assert_int_eq(bn_htx_session_feed(s, b, sizeof(b), 0, &acc), BN_OK);
	ck_assert_uint_eq(acc, sizeof(b));
	bn_htx_session_free(s);
}
END_TEST

/*
 * LOW 12: legacy never rekeys on its own (both ends rekeying at once
 * would split the shared key chain of §3b).
 */
START_TEST(test_legacy_no_auto_rekey)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_stats st;
	struct keys k;
	struct pair p;
	uint32_t sid;
	int i;

	random_keys(&k);
	cfgs(&k, &cc, &sc);
	cc.legacy11 = sc.legacy11 = 1;
	cc.allow_compat = sc.allow_compat = 1;
	cc.rekey_frames = sc.rekey_frames = BN_HTX_KEY_UPDATE_MIN_FRAMES;
	cc.rekey_bytes = sc.rekey_bytes = 100;
	pair_new(&p, &k, &cc, &sc);
	pair_handshake(&p);
	ck_assert_int_eq(p.cr.prof, BN_HTX_PROFILE_LEGACY11);
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.c), UINT64_MAX);
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(bn_htx_session_open_stream(p.c, &sid), BN_OK);
		ck_assert_int_eq(bn_htx_session_send_message(p.c, sid,
		    (const uint8_t *)"echo this message", 17), BN_OK);
		pump(&p);
		ck_assert_int_eq(bn_htx_session_send_message(p.s, sid,
		    (const uint8_t *)"echo this message", 17), BN_OK);
		pump(&p);
	}
	p.cr.now = p.sr.now = cc.rekey_ms;
	ck_assert_int_eq(bn_htx_session_tick(p.c, cc.rekey_ms), BN_OK);
	ck_assert_int_eq(bn_htx_session_tick(p.s, cc.rekey_ms), BN_OK);
	pump(&p);
	ck_assert_int_eq(p.cr.nmsg, 40);
	ck_assert_int_eq(p.sr.nmsg, 40);
	bn_htx_session_stats(p.c, &st);
	ck_assert_uint_eq(st.key_updates_out, 0);
	bn_htx_session_stats(p.s, &st);
	ck_assert_uint_eq(st.key_updates_out, 0);
	ck_assert(!p.sr.closed && !p.cr.closed);
	pair_free(&p);
}
END_TEST

/*
 * LOW 11: the previous receive generation goes 5 s after the KEY_UPDATE
 * even when fewer than 3 frames came (an idle session).
 */
START_TEST(test_old_generation_expires)
{
	json_t *j = tu_json_load("native_vectors.json");
	uint8_t key0[32], salt0[12];
	struct bn_htx_dir g0;
	struct bn_iov iov = { "vectorPG", 8 };
	struct bn_buf *b = bn_buf_new(4096);
	struct keys k;
	struct pair p;
	size_t before;

	keys_native(j, &k);
	tu_json_hex_n(j, "native_keys.key_c", key0, 32);
	tu_json_hex_n(j, "native_keys.nonce_salt_c", salt0, 12);
	memset(&g0, 0, sizeof(g0));
	ck_assert_int_eq(bn_htx_dir_set(&g0, key0, salt0), BN_OK);
	native_open(&p, j, &k, SIZE_MAX);
	ck_assert_int_eq(bn_htx_frame_seal(&g0, BN_HTX_KEY_UPDATE, 0, 0,
	    &iov, 0, b), BN_OK);
	p.sr.now = 100;
	feed(p.s, &p.sr, bn_buf_ptr(b), bn_buf_len(b), SIZE_MAX);
	ck_assert(!p.sr.closed);
	ck_assert_uint_eq(bn_htx_session_next_timeout(p.s), 5100);
	before = bn_htx_session_memory(p.s);
	ck_assert_int_eq(bn_htx_session_tick(p.s, 5100), BN_OK);
	ck_assert_uint_lt(bn_htx_session_memory(p.s), before);
	ck_assert_uint_gt(bn_htx_session_next_timeout(p.s), 5100);
	/* An old-generation frame now fails, though 0 of 3 were used. */
	bn_buf_reset(b);
	ck_assert_int_eq(bn_htx_frame_seal(&g0, BN_HTX_PING, 0, 0, &iov, 1,
	    b), BN_OK);
	p.sr.now = 5100;
	feed(p.s, &p.sr, bn_buf_ptr(b), bn_buf_len(b), SIZE_MAX);
	ck_assert_int_eq(p.sr.closed, 1);
	ck_assert_int_eq(p.sr.code, BN_HTX_CLOSE_AUTH_FAILED);
	bn_htx_dir_clear(&g0);
	bn_buf_free(b);
	pair_free(&p);
	json_decref(j);
}
END_TEST

Suite *htx_session_suite(void);

Suite *
htx_session_suite(void)
{
	Suite *s = suite_create("htx_session");
	TCase *tc = tcase_create("vectors");

	tcase_add_test(tc, test_native_vector);
	tcase_add_test(tc, test_native_vector_bytewise);
	tcase_add_test(tc, test_native_negative);
	tcase_add_test(tc, test_tcp12_transcript);
	tcase_add_test(tc, test_tcp12_server_bytewise);
	tcase_add_test(tc, test_tcp11_transcript);
	tcase_add_test(tc, test_native_old_generation);
	suite_add_tcase(s, tc);
	tc = tcase_create("pairs");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_pair_sizes);
	tcase_add_test(tc, test_compat_fallback);
	tcase_add_test(tc, test_compat_skipped_nonces);
	tcase_add_test(tc, test_many_streams);
	tcase_add_test(tc, test_key_update_midstream);
	tcase_add_test(tc, test_auto_rekey);
	tcase_add_loop_test(tc, test_crafted, 0, C_MAX);
	tcase_add_test(tc, test_manual_credit_backpressure);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_timers);
	tcase_add_test(tc, test_idle_memory);
	tcase_add_test(tc, test_garbage_handshake);
	tcase_add_test(tc, test_reassembly_budget);
	tcase_add_test(tc, test_close_drain_deadline);
	tcase_add_test(tc, test_stream_id_order);
	tcase_add_test(tc, test_key_update_flood);
	tcase_add_test(tc, test_manual_credit_config);
	tcase_add_test(tc, test_consume_backlog);
	tcase_add_test(tc, test_legacy_opt_in);
	tcase_add_test(tc, test_legacy_in_cap);
	tcase_add_test(tc, test_legacy_no_auto_rekey);
	tcase_add_test(tc, test_old_generation_expires);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(htx_session_suite());
}
