/*
 * htx_bench: how close the HTX data path and handshake come to the raw
 * OpenSSL primitives underneath them, on one core.
 *
 *   htx_bench [--only frames|handshake|sessions] [--time SECONDS]
 *
 * Section 1 (frames): bn_htx_frame_seal + bn_htx_frame_open of 256 B,
 * 1 KiB and 16 KiB payloads, next to a raw EVP ChaCha20-Poly1305 seal +
 * open of the same sizes with reused contexts (the best a caller of
 * libcrypto can do), as a percentage of raw.
 *
 * Section 2 (handshake): complete Noise XK handshakes (both sides in one
 * process, fresh ephemeral keys as in production, Split included) next
 * to raw X25519 derives through EVP with a fresh peer each time.  An XK
 * handshake costs 8 X25519 operations (2 ephemeral key generations and
 * 6 DH), so X25519/8 is its bound.
 *
 * Section 3 (sessions): request/response round trips through a native
 * client and server session in one process, 64 streams in flight.
 *
 * Rates are per second of this process's CPU time (see now()), best of
 * ten slices alternating with the baseline's (see compare()).
 * Output is a markdown table per section.  This is a benchmark, not a
 * test: it exits 0 unless something fails outright.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "betanet/buf.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/htx_frame.h"
#include "betanet/htx_session.h"
#include "betanet/noise_xk.h"

static double bench_secs = 1.5;

/*
 * CPU time of this process, not wall time: on a shared build machine a
 * preempted benchmark would otherwise charge other processes' time to
 * whichever side it happened to be measuring.  One thread, so it is the
 * time of the measured loop.
 */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define SLICES	10

struct meas {
	int		(*fn)(void *);	/* returns 0 on success */
	void		*arg;
	unsigned	 batch;
	double		 best;		/* calls per second */
};

/* One slice of m: calls per second over secs of CPU time. */
static void
slice(struct meas *m, double secs)
{
	double t0, t;
	unsigned long n = 0;
	unsigned i;

	t0 = now();
	do {
		for (i = 0; i < m->batch; i++)
			if (m->fn(m->arg) != 0) {
				fprintf(stderr, "htx_bench: operation failed\n");
				exit(1);
			}
		n += m->batch;
		t = now();
	} while (t - t0 < secs);
	if ((double)n / (t - t0) > m->best)
		m->best = (double)n / (t - t0);
}

/*
 * Measure ours and raw side by side for bench_secs each: SLICES slices
 * of each, alternating, so both see the same machine; each keeps its
 * best slice, so a slice slowed by another process does not count.
 */
static void
compare(struct meas *ours, struct meas *raw)
{
	int s;

	slice(ours, bench_secs / SLICES / 4);	/* warm up */
	slice(raw, bench_secs / SLICES / 4);
	ours->best = raw->best = 0;
	for (s = 0; s < SLICES; s++) {
		slice(raw, bench_secs / SLICES);
		slice(ours, bench_secs / SLICES);
	}
}

/* ---- section 1: frames ---- */

struct frame_arg {
	struct bn_htx_dir	 tx, rx;
	struct bn_buf		*wire;
	uint8_t			*pt;
	size_t			 len;
};

static int
frame_once(void *p)
{
	struct frame_arg *a = p;
	struct bn_htx_frame f;
	struct bn_iov iov = { a->pt, a->len };

	if (bn_htx_frame_seal(&a->tx, 0, 3, 0, &iov, 1, a->wire) != 0 ||
	    bn_htx_frame_open(&a->rx, a->wire, 0, &f) != 0 || f.len != a->len)
		return -1;
	return 0;
}

struct raw_arg {
	EVP_CIPHER_CTX	*enc, *dec;
	uint8_t		 nonce[12], hdr[10], tag[16];
	uint8_t		*pt, *ct, *out;
	size_t		 len;
	uint64_t	 ctr;
};

/* Raw EVP seal + open of one frame's worth: the floor under our code. */
static int
raw_once(void *p)
{
	struct raw_arg *a = p;
	int outl;

	a->ctr++;
	memcpy(a->nonce, &a->ctr, sizeof(a->ctr));
	if (EVP_EncryptInit_ex(a->enc, NULL, NULL, NULL, a->nonce) != 1 ||
	    EVP_EncryptUpdate(a->enc, NULL, &outl, a->hdr, 10) != 1 ||
	    EVP_EncryptUpdate(a->enc, a->ct, &outl, a->pt, (int)a->len) != 1 ||
	    EVP_EncryptFinal_ex(a->enc, a->ct + outl, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_AEAD_GET_TAG, 16,
	    a->tag) != 1)
		return -1;
	if (EVP_DecryptInit_ex(a->dec, NULL, NULL, NULL, a->nonce) != 1 ||
	    EVP_DecryptUpdate(a->dec, NULL, &outl, a->hdr, 10) != 1 ||
	    EVP_DecryptUpdate(a->dec, a->out, &outl, a->ct,
	    (int)a->len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_AEAD_SET_TAG, 16,
	    a->tag) != 1 ||
	    EVP_DecryptFinal_ex(a->dec, a->out + outl, &outl) != 1)
		return -1;
	return 0;
}

static int
bench_frames(void)
{
	static const size_t sizes[] = { 256, 1024, 16384 };
	static const double target[] = { 60, 0, 85 };
	uint8_t key[32], ns[12];
	size_t i;

	bn_random(key, sizeof(key));
	bn_random(ns, sizeof(ns));
	printf("## 1. Frame seal + open (one core)\n\n");
	printf("| payload | htx frames/s | htx MB/s | raw EVP frames/s "
	    "| raw MB/s | %% of raw | target |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct frame_arg fa;
		struct raw_arg ra;
		struct meas mo, mr;
		double ours, raw;
		char tgt[16];

		memset(&fa, 0, sizeof(fa));
		memset(&ra, 0, sizeof(ra));
		fa.len = ra.len = sizes[i];
		fa.pt = ra.pt = calloc(1, sizes[i]);
		ra.ct = malloc(sizes[i]);
		ra.out = malloc(sizes[i]);
		fa.wire = bn_buf_new(2 * BN_HTX_FRAME_MAX);
		if (fa.pt == NULL || ra.ct == NULL || ra.out == NULL ||
		    fa.wire == NULL ||
		    bn_htx_dir_set(&fa.tx, key, ns) != 0 ||
		    bn_htx_dir_set(&fa.rx, key, ns) != 0)
			return -1;
		ra.enc = EVP_CIPHER_CTX_new();
		ra.dec = EVP_CIPHER_CTX_new();
		if (ra.enc == NULL || ra.dec == NULL ||
		    EVP_EncryptInit_ex(ra.enc, EVP_chacha20_poly1305(), NULL,
		    key, ns) != 1 ||
		    EVP_DecryptInit_ex(ra.dec, EVP_chacha20_poly1305(), NULL,
		    key, ns) != 1)
			return -1;

		mo = (struct meas){ frame_once, &fa, 256, 0 };
		mr = (struct meas){ raw_once, &ra, 256, 0 };
		compare(&mo, &mr);
		ours = mo.best;
		raw = mr.best;
		if (target[i] > 0)
			snprintf(tgt, sizeof(tgt), ">= %.0f%%", target[i]);
		else
			snprintf(tgt, sizeof(tgt), "-");
		printf("| %zu B | %.0f | %.1f | %.0f | %.1f | %.1f%% | %s |\n",
		    sizes[i], ours, ours * (double)sizes[i] / 1e6, raw,
		    raw * (double)sizes[i] / 1e6, 100.0 * ours / raw, tgt);

		EVP_CIPHER_CTX_free(ra.enc);
		EVP_CIPHER_CTX_free(ra.dec);
		bn_htx_dir_clear(&fa.tx);
		bn_htx_dir_clear(&fa.rx);
		bn_buf_free(fa.wire);
		free(fa.pt);
		free(ra.ct);
		free(ra.out);
	}
	printf("\n");
	return 0;
}

/* ---- section 2: handshakes ---- */

struct hs_arg {
	uint8_t	c_priv[32], c_pub[32], s_priv[32], s_pub[32];
};

/* One whole XK handshake, both sides, as htx_session would run it. */
static int
handshake_once(void *p)
{
	struct hs_arg *a = p;
	struct bn_noise ini, res;
	uint8_t m[128], h[32], k1[32], k2[32];
	size_t n, pn;
	int r = -1;

	/* Static public keys are computed once at daemon start. */
	if (bn_noise_xk_init_pub(&ini, BN_NOISE_INITIATOR, a->c_priv,
	    a->c_pub, a->s_pub) != 0 ||
	    bn_noise_xk_init_pub(&res, BN_NOISE_RESPONDER, a->s_priv,
	    a->s_pub, NULL) != 0)
		goto out;
	if (bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n) != 0 ||
	    bn_noise_read(&res, m, n, NULL, 0, &pn) != 0 ||
	    bn_noise_write(&res, NULL, 0, m, sizeof(m), &n) != 0 ||
	    bn_noise_read(&ini, m, n, NULL, 0, &pn) != 0 ||
	    bn_noise_write(&ini, NULL, 0, m, sizeof(m), &n) != 0 ||
	    bn_noise_read(&res, m, n, NULL, 0, &pn) != 0 ||
	    bn_noise_split(&ini, h, k1, k2) != 0 ||
	    bn_noise_split(&res, h, k1, k2) != 0)
		goto out;
	r = 0;
 out:
	bn_noise_wipe(&ini);
	bn_noise_wipe(&res);
	bn_cleanse(k1, sizeof(k1));
	bn_cleanse(k2, sizeof(k2));
	return r;
}

#define NPEERS	64

struct x_arg {
	EVP_PKEY	*priv;
	EVP_PKEY	*peers[NPEERS];
	unsigned	 i;
};

/* Raw X25519: a ready private key, a different peer every time. */
static int
x25519_once(void *p)
{
	struct x_arg *a = p;
	EVP_PKEY_CTX *c;
	uint8_t out[32];
	size_t len = sizeof(out);
	int r = -1;

	if ((c = EVP_PKEY_CTX_new(a->priv, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_derive_init(c) == 1 &&
	    EVP_PKEY_derive_set_peer(c, a->peers[a->i++ % NPEERS]) == 1 &&
	    EVP_PKEY_derive(c, out, &len) == 1)
		r = 0;
	EVP_PKEY_CTX_free(c);
	return r;
}

/* One DH of ours: raw key bytes (bn_x25519) or a prepared key. */
struct dh_arg {
	uint8_t			 priv[32];
	uint8_t			 peers[NPEERS][32];
	struct bn_x25519_key	*key;
	unsigned		 i;
};

static int
dh_bytes_once(void *p)
{
	struct dh_arg *a = p;
	uint8_t out[32];

	return bn_x25519(out, a->priv, a->peers[a->i++ % NPEERS]);
}

static int
dh_key_once(void *p)
{
	struct dh_arg *a = p;
	uint8_t out[32];

	return bn_x25519_key_derive(a->key, a->peers[a->i++ % NPEERS], out);
}

/* Prepared key against raw bytes: what bn_x25519's import costs. */
static int
bench_dh_prepared(void)
{
	struct dh_arg da;
	struct meas mk, mb;
	uint8_t pub[32];
	int i;

	memset(&da, 0, sizeof(da));
	for (i = 0; i < NPEERS; i++)
		if (bn_x25519_keygen(da.priv, da.peers[i]) != 0)
			return -1;
	if (bn_x25519_keygen(da.priv, pub) != 0 ||
	    (da.key = bn_x25519_key_new(da.priv)) == NULL)
		return -1;
	mk = (struct meas){ dh_key_once, &da, 64, 0 };
	mb = (struct meas){ dh_bytes_once, &da, 64, 0 };
	compare(&mk, &mb);
	printf("| DH, prepared key (bn_x25519_key_derive) | DH, raw bytes "
	    "(bn_x25519) | prepared / raw |\n");
	printf("|---:|---:|---:|\n");
	printf("| %.0f /s (%.1f us) | %.0f /s (%.1f us) | %.1f%% |\n\n",
	    mk.best, 1e6 / mk.best, mb.best, 1e6 / mb.best,
	    100.0 * mk.best / mb.best);
	bn_x25519_key_free(da.key);
	bn_cleanse(da.priv, sizeof(da.priv));
	return 0;
}

static int
bench_handshake(void)
{
	struct hs_arg ha;
	struct x_arg xa;
	struct meas mo, mr;
	uint8_t priv[32], pub[32];
	double hs, x;
	int i;

	if (bn_x25519_keygen(ha.c_priv, ha.c_pub) != 0 ||
	    bn_x25519_keygen(ha.s_priv, ha.s_pub) != 0 ||
	    bn_x25519_keygen(priv, pub) != 0)
		return -1;
	memset(&xa, 0, sizeof(xa));
	xa.priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    32);
	for (i = 0; i < NPEERS; i++) {
		if (bn_x25519_keygen(priv, pub) != 0 ||
		    (xa.peers[i] = EVP_PKEY_new_raw_public_key(
		    EVP_PKEY_X25519, NULL, pub, 32)) == NULL)
			return -1;
	}
	if (xa.priv == NULL)
		return -1;
	mo = (struct meas){ handshake_once, &ha, 8, 0 };
	mr = (struct meas){ x25519_once, &xa, 64, 0 };
	compare(&mo, &mr);
	hs = mo.best;
	x = mr.best;
	printf("## 2. Noise XK handshakes (one core, both sides)\n\n");
	printf("| XK handshakes/s | raw X25519 ops/s | bound (X25519/8) "
	    "| %% of bound | target |\n");
	printf("|---:|---:|---:|---:|---:|\n");
	printf("| %.0f | %.0f | %.0f | %.1f%% | >= 80%% |\n\n", hs, x, x / 8,
	    100.0 * hs / (x / 8));
	if (bench_dh_prepared() != 0)
		return -1;
	EVP_PKEY_free(xa.priv);
	for (i = 0; i < NPEERS; i++)
		EVP_PKEY_free(xa.peers[i]);
	return 0;
}

/* ---- section 3: sessions ---- */

/*
 * Request/response round trips through a native client and server
 * session pumped into each other through two buffers, as a gateway and
 * an upstream would over TCP: NSTREAMS requests of 100 bytes in flight,
 * each answered with 100 bytes on its stream, and a new stream opened
 * for every answer.  Everything a daemon does per message except the
 * socket and the app: framing, sealing, opening, flow control, events.
 */
#define NSTREAMS	64
#define MSG_LEN		100

struct sess_pair {
	struct bn_htx_session	*c, *s;
	struct bn_buf		*wire;
	uint8_t			 msg[MSG_LEN];
	unsigned long		 answers;
	uint64_t		 now;
};

/* Move everything a sends into b, and run b's events. */
static int
sess_move(struct sess_pair *p, struct bn_htx_session *from,
    struct bn_htx_session *to, int to_is_server)
{
	struct bn_htx_event ev;
	const uint8_t *d;
	size_t n, acc;
	uint32_t sid;
	int r;

	for (;;) {
		if (bn_htx_session_pull(from, p->wire, 1 << 20, &n) != 0)
			return -1;
		if (bn_buf_len(p->wire) == 0)
			return 0;
		d = bn_buf_ptr(p->wire);
		n = bn_buf_len(p->wire);
		while (n > 0) {
			if (bn_htx_session_feed(to, d, n, p->now, &acc) != 0)
				return -1;
			d += acc;
			n -= acc;
			while ((r = bn_htx_session_next_event(to, &ev,
			    p->now)) == 1) {
				if (ev.type == BN_HTX_EV_CLOSED)
					return -1;
				if (ev.type != BN_HTX_EV_MESSAGE)
					continue;
				if (to_is_server) {
					if (bn_htx_session_send_message(to,
					    ev.stream_id, p->msg, MSG_LEN) != 0)
						return -1;
					continue;
				}
				p->answers++;
				if (bn_htx_session_open_stream(to, &sid) != 0 ||
				    bn_htx_session_send_message(to, sid,
				    p->msg, MSG_LEN) != 0)
					return -1;
			}
			if (r < 0)
				return -1;
		}
		bn_buf_reset(p->wire);
	}
}

static int
sess_round(void *arg)
{
	struct sess_pair *p = arg;

	if (sess_move(p, p->c, p->s, 1) != 0 ||
	    sess_move(p, p->s, p->c, 0) != 0)
		return -1;
	return 0;
}

static int
sess_setup(struct sess_pair *p)
{
	struct bn_htx_config cc, sc;
	struct bn_htx_event ev;
	uint8_t c_pub[32];
	uint32_t sid;
	int i, done = 0, r;

	memset(p, 0, sizeof(*p));
	memset(p->msg, 'x', sizeof(p->msg));
	bn_htx_config_default(&cc);
	bn_htx_config_default(&sc);
	cc.role = BN_HTX_CLIENT;
	sc.role = BN_HTX_SERVER;
	if (bn_x25519_keygen(cc.static_priv, c_pub) != 0 ||
	    bn_x25519_keygen(sc.static_priv, cc.server_pub) != 0)
		return -1;
	p->wire = bn_buf_new(16 << 20);
	p->c = bn_htx_session_new(&cc, 0);
	p->s = bn_htx_session_new(&sc, 0);
	bn_cleanse(&cc, sizeof(cc));
	bn_cleanse(&sc, sizeof(sc));
	if (p->wire == NULL || p->c == NULL || p->s == NULL)
		return -1;
	/* Handshake and caps: pump until the client reports it is done. */
	for (i = 0; i < 16 && !done; i++) {
		size_t n, acc;
		const uint8_t *d;

		if (sess_move(p, p->c, p->s, 1) != 0)
			return -1;
		if (bn_htx_session_pull(p->s, p->wire, 1 << 20, &n) != 0)
			return -1;
		d = bn_buf_ptr(p->wire);
		n = bn_buf_len(p->wire);
		while (n > 0) {
			if (bn_htx_session_feed(p->c, d, n, 0, &acc) != 0)
				return -1;
			d += acc;
			n -= acc;
			while ((r = bn_htx_session_next_event(p->c, &ev,
			    0)) == 1)
				if (ev.type == BN_HTX_EV_HANDSHAKE_DONE)
					done = 1;
		}
		bn_buf_reset(p->wire);
	}
	if (!done || bn_htx_session_profile(p->c) != BN_HTX_PROFILE_NATIVE)
		return -1;
	for (i = 0; i < NSTREAMS; i++)
		if (bn_htx_session_open_stream(p->c, &sid) != 0 ||
		    bn_htx_session_send_message(p->c, sid, p->msg,
		    MSG_LEN) != 0)
			return -1;
	return 0;
}

static int
bench_sessions(void)
{
	struct sess_pair p;
	struct meas m;
	double t0, t;
	unsigned long a0;
	int r = -1;

	if (sess_setup(&p) != 0)
		goto out;
	m = (struct meas){ sess_round, &p, 1, 0 };
	slice(&m, bench_secs / 4);	/* warm up */
	a0 = p.answers;
	t0 = now();
	slice(&m, bench_secs);
	t = now();
	printf("## 3. Native sessions, in process (one core, both sides)\n\n");
	printf("| streams in flight | request | response "
	    "| round trips/s | messages/s |\n");
	printf("|---:|---:|---:|---:|---:|\n");
	printf("| %d | %d B | %d B | %.0f | %.0f |\n\n", NSTREAMS, MSG_LEN,
	    MSG_LEN, (double)(p.answers - a0) / (t - t0),
	    2.0 * (double)(p.answers - a0) / (t - t0));
	r = 0;
 out:
	bn_htx_session_free(p.c);
	bn_htx_session_free(p.s);
	bn_buf_free(p.wire);
	return r;
}

static const struct section {
	const char	*name;
	int		(*run)(void);
} sections[] = {
	{ "frames", bench_frames },
	{ "handshake", bench_handshake },
	{ "sessions", bench_sessions },
};

static void
usage(void)
{
	fprintf(stderr, "usage: htx_bench [--only frames|handshake|sessions] "
	    "[--time SECONDS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *only = NULL;
	size_t i;
	int k, ran = 0;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--only") == 0 && k + 1 < argc)
			only = argv[++k];
		else if (strcmp(argv[k], "--time") == 0 && k + 1 < argc) {
			bench_secs = atof(argv[++k]);
			if (bench_secs <= 0)
				usage();
		} else
			usage();
	}
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (only != NULL && strcmp(only, sections[i].name) != 0)
			continue;
		ran++;
		if (sections[i].run() != 0) {
			fprintf(stderr, "htx_bench: %s failed\n",
			    sections[i].name);
			return 1;
		}
	}
	if (ran == 0)
		usage();
	return 0;
}
