/*
 * htx_stream: native streams of an HTX session (WIRE.md §4): the stream
 * table, STREAM and WINDOW_UPDATE rules, receive credit, the bounded
 * send queues and the round-robin sealer.
 *
 * Streams are allocated when opened and freed as soon as both sides
 * have sent FIN and nothing is left to deliver, so an idle session holds
 * no stream memory at all (the hash table goes too).  Flow control uses
 * absolute offsets: a side may send up to *_limit, and a WINDOW_UPDATE
 * raises the limit; the window is limit - offset.
 *
 * MESSAGE reassembly is credited as it arrives (withholding connection
 * credit until a message completes could deadlock two streams), so it
 * is bounded separately: all partial messages of a session together
 * stay within max_reassembly, and a frame that would pass it resets its
 * stream.  Our own streams reach the wire in ID order (a peer refuses a
 * new ID below one it has seen): a stream written before a lower one
 * first opens the lower ones with empty frames.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "betanet/htx_frame.h"
#include "betanet/htx_session.h"
#include "htx_session_int.h"

#define INIT_WINDOW_STREAM	32768	/* §4, fresh at the native switch */
#define WINDOW_MAX		0x7fffffffULL

static const uint8_t no_data[1];

/* ---- table ------------------------------------------------------------- */

struct hs_stream *
hs_stream_find(const struct bn_htx_session *s, uint32_t id)
{
	struct hs_stream *st;

	if (s->tab == NULL)
		return NULL;
	for (st = s->tab[(id >> 1) & s->tab_mask]; st != NULL; st = st->hnext)
		if (st->id == id)
			return st;
	return NULL;
}

struct hs_stream *
hs_stream_add(struct bn_htx_session *s, uint32_t id)
{
	struct hs_stream *st;
	uint32_t n = 8;

	if (s->tab == NULL) {
		while (n < s->cfg.max_streams && n < 1024)
			n <<= 1;
		if ((s->tab = calloc(n, sizeof(*s->tab))) == NULL)
			return NULL;
		s->tab_mask = n - 1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->id = id;
	st->rx_limit = INIT_WINDOW_STREAM;
	st->tx_limit = INIT_WINDOW_STREAM;
	st->hnext = s->tab[(id >> 1) & s->tab_mask];
	s->tab[(id >> 1) & s->tab_mask] = st;
	s->nstreams++;
	return st;
}

static void
ready_del(struct bn_htx_session *s, struct hs_stream *st)
{
	if (!(st->flags & ST_READY))
		return;
	if (st->rnext == st)
		s->ready = NULL;
	else {
		st->rprev->rnext = st->rnext;
		st->rnext->rprev = st->rprev;
		if (s->ready == st)
			s->ready = st->rnext;
	}
	st->rnext = st->rprev = NULL;
	st->flags &= ~ST_READY;
}

/* Append st at the tail of the ready ring. */
void
hs_stream_ready_add(struct bn_htx_session *s, struct hs_stream *st)
{
	if (st->flags & ST_READY)
		return;
	st->flags |= ST_READY;
	if (s->ready == NULL) {
		st->rnext = st->rprev = st;
		s->ready = st;
		return;
	}
	st->rnext = s->ready;
	st->rprev = s->ready->rprev;
	st->rprev->rnext = st;
	s->ready->rprev = st;
}

static void
stream_free(struct bn_htx_session *s, struct hs_stream *st)
{
	if (st->sq != NULL) {
		s->sq_total -= bn_buf_len(st->sq);
		bn_buf_free(st->sq);
	}
	if (st->rq != NULL) {
		s->rq_total -= bn_buf_len(st->rq);
		bn_buf_free(st->rq);
	}
	if (st->flags & ST_W_PENDING)
		s->nwritable--;
	free(st);
}

/* Drop st once both FINs are through and nothing waits to be delivered. */
void
hs_stream_maybe_remove(struct bn_htx_session *s, struct hs_stream *st)
{
	struct hs_stream **pp;

	if ((st->flags & (ST_RX_FIN | ST_TX_FIN)) != (ST_RX_FIN | ST_TX_FIN) ||
	    st->rq != NULL)
		return;
	ready_del(s, st);
	for (pp = &s->tab[(st->id >> 1) & s->tab_mask]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == st) {
			*pp = st->hnext;
			break;
		}
	}
	stream_free(s, st);
	if (--s->nstreams == 0) {
		free(s->tab);
		s->tab = NULL;
	}
}

void
hs_stream_free_all(struct bn_htx_session *s)
{
	struct hs_stream *st, *next;
	uint32_t i;

	if (s->tab != NULL) {
		for (i = 0; i <= s->tab_mask; i++) {
			for (st = s->tab[i]; st != NULL; st = next) {
				next = st->hnext;
				stream_free(s, st);
			}
		}
		free(s->tab);
	}
	s->tab = NULL;
	s->ready = NULL;
	s->nstreams = 0;
	s->nwritable = 0;
	s->sq_total = 0;
	s->rq_total = 0;
}

/* An ID of the peer's parity: client odd from 3, server even from 2. */
int
hs_stream_is_peer_id(const struct bn_htx_session *s, uint32_t id)
{
	if (s->cfg.role == BN_HTX_CLIENT)
		return id >= 2 && (id & 1) == 0;
	return id >= 3 && (id & 1) == 1;
}

/* Could the peer have named this stream yet (§4 WINDOW_UPDATE rule)? */
static int
id_in_use_range(const struct bn_htx_session *s, uint32_t id)
{
	if (hs_stream_is_peer_id(s, id))
		return id <= s->peer_max_id;
	if (id < 2)
		return 0;
	return id < s->next_local_id;
}

size_t
hs_stream_memory(const struct bn_htx_session *s)
{
	const struct hs_stream *st;
	size_t n = 0;
	uint32_t i;

	if (s->tab == NULL)
		return 0;
	n += (size_t)(s->tab_mask + 1) * sizeof(*s->tab);
	for (i = 0; i <= s->tab_mask; i++) {
		for (st = s->tab[i]; st != NULL; st = st->hnext) {
			n += sizeof(*st);
			if (st->sq != NULL)
				n += sizeof(*st->sq) + st->sq->alloc;
			if (st->rq != NULL)
				n += sizeof(*st->rq) + st->rq->alloc;
		}
	}
	return n;
}

/* ---- receive ----------------------------------------------------------- */

/* Queue WINDOW_UPDATE: scope 1 for sid, scope 0 when sid is 0. */
int
hs_grant(struct bn_htx_session *s, uint32_t sid, uint32_t credit)
{
	uint8_t pl[5];

	pl[0] = sid != 0;
	bn_store_u32(pl + 1, credit);
	return hs_seal_ctrl(s, BN_HTX_WINDOW_UPDATE, sid, 0, pl, sizeof(pl));
}

/*
 * Automatic credit: once less than half of the target window is left,
 * top it up to the target (stream first, then the connection, as the
 * native vector orders them).
 */
static int
auto_credit(struct bn_htx_session *s, struct hs_stream *st)
{
	uint64_t avail, t;
	int r;

	t = s->cfg.recv_window_stream;
	if (st != NULL && !(st->flags & ST_RX_FIN)) {
		avail = st->rx_limit - st->rx_off;
		if (avail <= t / 2) {
			if ((r = hs_grant(s, st->id, (uint32_t)(t - avail))) !=
			    BN_OK)
				return r;
			st->rx_limit += t - avail;
		}
	}
	t = s->cfg.recv_window_conn;
	avail = s->conn_rx_limit - s->conn_rx;
	if (avail <= t / 2) {
		if ((r = hs_grant(s, 0, (uint32_t)(t - avail))) != BN_OK)
			return r;
		s->conn_rx_limit += t - avail;
	}
	return BN_OK;
}

/* Return credit for n bytes nobody will consume (discarded data). */
static int
credit_discarded(struct bn_htx_session *s, struct hs_stream *st, size_t n)
{
	int r;

	if (!s->cfg.manual_credit)
		return auto_credit(s, st);
	if (n == 0)
		return BN_OK;
	if (!(st->flags & ST_RX_FIN)) {
		if ((r = hs_grant(s, st->id, (uint32_t)n)) != BN_OK)
			return r;
		st->rx_limit += n;
	}
	if ((r = hs_grant(s, 0, (uint32_t)n)) != BN_OK)
		return r;
	s->conn_rx_limit += n;
	return BN_OK;
}

/*
 * Drop st's partial message.  With manual credit its bytes counted as
 * delivered, yet the caller will never see them: take them back from
 * the unreturned counters and credit them here, or the connection
 * window shrinks for good.
 */
int
hs_stream_drop_rq(struct bn_htx_session *s, struct hs_stream *st)
{
	size_t have, m = 0;

	if (st->rq == NULL)
		return BN_OK;
	have = bn_buf_len(st->rq);
	s->rq_total -= have;
	bn_buf_free(st->rq);
	st->rq = NULL;
	if (!s->cfg.manual_credit || have == 0)
		return BN_OK;
	m = have < st->rx_unret ? have : (size_t)st->rx_unret;
	st->rx_unret -= m;
	s->conn_rx_unret -= m < s->conn_rx_unret ? m : s->conn_rx_unret;
	return credit_discarded(s, st, m);
}

static void
push_ev(struct bn_htx_session *s, uint8_t type, uint32_t sid,
    const uint8_t *d, size_t len, int fin, struct bn_buf *own, int err)
{
	struct hs_ev e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.sid = sid;
	e.data = d;
	e.len = len;
	e.fin = (uint8_t)fin;
	e.own = own;
	e.err = err;
	(void)hs_push(s, &e);
}

/*
 * MESSAGE delivery: reassemble up to max_message (and the session's
 * max_reassembly for all partial messages), then hand it over.
 */
static int
deliver_message(struct bn_htx_session *s, struct hs_stream *st,
    const uint8_t *d, size_t n, int fin)
{
	size_t have = st->rq ? bn_buf_len(st->rq) : 0;
	int r;

	if (n > s->cfg.max_message - have ||
	    n > s->cfg.max_reassembly - s->rq_total) {
		/* Too big for us: stop delivering, keep crediting. */
		st->flags |= ST_RESET;
		push_ev(s, BN_HTX_EV_STREAM_RESET, st->id, NULL, 0, 0, NULL,
		    BN_ERR_TOO_LARGE);
		if ((r = hs_stream_drop_rq(s, st)) != BN_OK)
			return r;
		return credit_discarded(s, st, n);
	}
	if (n > 0) {
		if (st->rq == NULL &&
		    (st->rq = bn_buf_new(s->cfg.max_message)) == NULL)
			return BN_ERR_ALLOC;
		if ((r = bn_buf_put(st->rq, d, n)) != BN_OK)
			return r;
		s->rq_total += n;
	}
	if (fin) {
		if (st->rq != NULL) {
			s->rq_total -= bn_buf_len(st->rq);
			push_ev(s, BN_HTX_EV_MESSAGE, st->id,
			    bn_buf_ptr(st->rq), bn_buf_len(st->rq), 1, st->rq,
			    BN_OK);
		} else
			push_ev(s, BN_HTX_EV_MESSAGE, st->id, no_data, 0, 1,
			    NULL, BN_OK);
		st->rq = NULL;
	}
	return BN_OK;
}

/* Checks for a stream the peer opens with this frame (§4). */
static int
open_peer_stream(struct bn_htx_session *s, uint32_t sid, uint64_t off,
    size_t n, struct hs_stream **stp)
{
	struct hs_stream *st;

	*stp = NULL;
	if (!hs_stream_is_peer_id(s, sid) || sid <= s->peer_max_id)
		return BN_ERR_MALFORMED;	/* ours, or closed: after FIN */
	if (off != 0)
		return BN_ERR_MALFORMED;
	if (n > INIT_WINDOW_STREAM || n > s->conn_rx_limit - s->conn_rx)
		return BN_ERR_FLOW_CONTROL;
	if (s->nstreams >= s->cfg.max_streams)
		return BN_ERR_LIMIT;
	if ((st = hs_stream_add(s, sid)) == NULL)
		return BN_ERR_ALLOC;
	s->peer_max_id = sid;
	push_ev(s, BN_HTX_EV_STREAM_OPEN, sid, NULL, 0, 0, NULL, BN_OK);
	*stp = st;
	return BN_OK;
}

/* A native STREAM frame: Flags u8 || Offset u64 || DataLen u16 || Data */
int
hs_stream_rx(struct bn_htx_session *s, uint32_t sid, const uint8_t *p,
    size_t len)
{
	struct hs_stream *st;
	uint64_t off;
	size_t n;
	uint8_t flags;
	int r, fin;

	if (sid == 0 || sid == 1 || len < BN_HTX_STREAM_HDR_LEN)
		return BN_ERR_MALFORMED;
	flags = p[0];
	off = bn_load_u64(p + 1);
	n = bn_load_u16(p + 9);
	if ((flags & 0xfe) != 0 || n != len - BN_HTX_STREAM_HDR_LEN)
		return BN_ERR_MALFORMED;
	fin = flags & 1;
	p += BN_HTX_STREAM_HDR_LEN;
	if ((st = hs_stream_find(s, sid)) == NULL) {
		if ((r = open_peer_stream(s, sid, off, n, &st)) != BN_OK)
			return r;
	}
	if ((st->flags & ST_RX_FIN) || off != st->rx_off)
		return BN_ERR_MALFORMED;
	if (n > st->rx_limit - st->rx_off || n > s->conn_rx_limit - s->conn_rx)
		return BN_ERR_FLOW_CONTROL;
	st->rx_off += n;
	s->conn_rx += n;
	if (fin)
		st->flags |= ST_RX_FIN;
	if (st->flags & ST_RESET)
		r = credit_discarded(s, st, n);
	else {
		if (s->cfg.deliver_chunks) {
			/* An empty frame without FIN only opens the stream. */
			if (n > 0 || fin) {
				push_ev(s, BN_HTX_EV_STREAM_DATA, sid,
				    n ? p : no_data, n, fin, NULL, BN_OK);
				s->in_lent = 1;
			}
			r = BN_OK;
		} else
			r = deliver_message(s, st, p, n, fin);
		if (r == BN_OK && !(st->flags & ST_RESET)) {
			if (s->cfg.manual_credit) {
				st->rx_unret += n;
				s->conn_rx_unret += n;
			} else
				r = auto_credit(s, st);
		}
	}
	hs_stream_maybe_remove(s, st);
	return r;
}

/* WINDOW_UPDATE: Scope u8 || Credit u32 (§4 rules). */
int
hs_stream_window_update(struct bn_htx_session *s, uint32_t sid,
    const uint8_t *p, size_t len)
{
	struct hs_stream *st;
	uint32_t credit;
	uint8_t scope;

	if (len != 5)
		return BN_ERR_MALFORMED;
	scope = p[0];
	credit = bn_load_u32(p + 1);
	if (scope > 1 || credit == 0 || (scope == 0) != (sid == 0) ||
	    sid == 1)
		return BN_ERR_MALFORMED;
	if (scope == 0) {
		if (s->conn_tx_limit - s->conn_tx + credit > WINDOW_MAX)
			return BN_ERR_FLOW_CONTROL;
		s->conn_tx_limit += credit;
		return BN_OK;
	}
	if (!id_in_use_range(s, sid))
		return BN_ERR_MALFORMED;
	if ((st = hs_stream_find(s, sid)) == NULL)
		return BN_OK;		/* closed: ignored */
	if (st->tx_limit - st->tx_off + credit > WINDOW_MAX)
		return BN_ERR_FLOW_CONTROL;
	st->tx_limit += credit;
	if ((st->sq != NULL && bn_buf_len(st->sq) > 0) ||
	    ((st->flags & ST_TX_FIN_Q) && !(st->flags & ST_TX_FIN)))
		hs_stream_ready_add(s, st);
	return BN_OK;
}

/* ---- send -------------------------------------------------------------- */

int
hs_stream_next_writable(struct bn_htx_session *s, uint32_t *sid)
{
	struct hs_stream *st;
	uint32_t i;

	if (s->want_w_session == 2) {
		s->want_w_session = 0;
		*sid = 0;
		return 1;
	}
	if (s->nwritable == 0 || s->tab == NULL)
		return 0;
	for (i = 0; i <= s->tab_mask; i++) {
		for (st = s->tab[i]; st != NULL; st = st->hnext) {
			if (st->flags & ST_W_PENDING) {
				st->flags &= ~ST_W_PENDING;
				s->nwritable--;
				*sid = st->id;
				return 1;
			}
		}
	}
	s->nwritable = 0;
	return 0;
}

/*
 * Seal one STREAM frame of st (at most n Data bytes) into out.  The
 * 11-byte header and the queued data go to the AEAD as two pieces.
 */
static int
seal_chunk(struct bn_htx_session *s, struct hs_stream *st, size_t n,
    int fin, struct bn_buf *out)
{
	uint8_t hdr[BN_HTX_STREAM_HDR_LEN];
	struct bn_iov iov[2];
	int r;

	hdr[0] = fin ? 1 : 0;
	bn_store_u64(hdr + 1, st->tx_off);
	bn_store_u16(hdr + 9, (uint16_t)n);
	iov[0].base = hdr;
	iov[0].len = sizeof(hdr);
	iov[1].base = n ? bn_buf_ptr(st->sq) : no_data;
	iov[1].len = n;
	if ((r = hs_seal(s, BN_HTX_STREAM, st->id, 0, iov, 2, out)) != BN_OK)
		return r;
	if (n > 0) {
		(void)bn_buf_consume(st->sq, n);
		s->sq_total -= n;
	}
	st->tx_off += n;
	s->conn_tx += n;
	if (fin)
		st->flags |= ST_TX_FIN;
	if (st->flags & ST_LOCAL) {
		st->flags |= ST_TX_OPEN;
		if (st->id >= s->wire_next_local)
			s->wire_next_local = st->id + 2;
	}
	if (st->flags & ST_WANT_W) {
		st->flags &= ~ST_WANT_W;
		if (!(st->flags & ST_TX_FIN_Q)) {
			st->flags |= ST_W_PENDING;
			s->nwritable++;
		}
	}
	return BN_OK;
}

/*
 * Before the first frame of local stream st: open every lower local
 * stream not yet on the wire with an empty STREAM frame (Flags 0,
 * Offset 0, DataLen 0), lowest first, since the peer refuses a new ID
 * below one it has seen (§4).  Each ID is passed once per session.
 * BN_ERR_NO_SPACE when room runs out; the rest follows on a later pull.
 */
static int
open_lower(struct bn_htx_session *s, struct hs_stream *st,
    struct bn_buf *out, size_t *room)
{
	const size_t fixed = HS_KU_FRAME + BN_HTX_OVERHEAD +
	    BN_HTX_STREAM_HDR_LEN;
	uint8_t hdr[BN_HTX_STREAM_HDR_LEN];
	struct hs_stream *lo;
	struct bn_iov iov;
	size_t before;
	int r;

	memset(hdr, 0, sizeof(hdr));
	iov.base = hdr;
	iov.len = sizeof(hdr);
	while (s->wire_next_local < st->id) {
		lo = hs_stream_find(s, s->wire_next_local);
		if (lo != NULL && !(lo->flags & ST_TX_OPEN)) {
			if (*room < fixed)
				return BN_ERR_NO_SPACE;
			before = bn_buf_len(out);
			if ((r = hs_seal(s, BN_HTX_STREAM, lo->id, 0, &iov, 1,
			    out)) != BN_OK)
				return r;
			*room -= bn_buf_len(out) - before;
			lo->flags |= ST_TX_OPEN;
		}
		s->wire_next_local += 2;
	}
	return BN_OK;
}

/*
 * Seal stream data into out, at most room bytes, round-robin: each
 * ready stream gets one frame per turn.  Stops when the connection
 * window or room runs out; a stream out of its own credit leaves the
 * ring until a WINDOW_UPDATE brings it back.
 */
int
hs_stream_pull(struct bn_htx_session *s, struct bn_buf *out, size_t room)
{
	const size_t fixed = HS_KU_FRAME + BN_HTX_OVERHEAD +
	    BN_HTX_STREAM_HDR_LEN;
	struct hs_stream *st;
	size_t qlen, n, before;
	uint64_t c;
	int r, fin;

	while ((st = s->ready) != NULL) {
		if ((st->flags & (ST_LOCAL | ST_TX_OPEN)) == ST_LOCAL &&
		    st->id > s->wire_next_local) {
			r = open_lower(s, st, out, &room);
			if (r == BN_ERR_NO_SPACE)
				return BN_OK;
			if (r != BN_OK)
				return r;
		}
		qlen = st->sq ? bn_buf_len(st->sq) : 0;
		n = qlen;
		if ((c = st->tx_limit - st->tx_off) < n)
			n = (size_t)c;
		if ((c = s->conn_tx_limit - s->conn_tx) < n)
			n = (size_t)c;
		if (n > s->cfg.max_frame_data)
			n = s->cfg.max_frame_data;
		if (room < fixed + (n ? 1 : 0))
			return BN_OK;
		if (n > room - fixed)
			n = room - fixed;
		fin = (st->flags & ST_TX_FIN_Q) && n == qlen;
		if (n == 0 && !fin) {
			if (qlen > 0 && st->tx_limit == st->tx_off) {
				ready_del(s, st);	/* wait for credit */
				continue;
			}
			return BN_OK;		/* connection window spent */
		}
		before = bn_buf_len(out);
		if ((r = seal_chunk(s, st, n, fin, out)) != BN_OK)
			return r;
		room -= bn_buf_len(out) - before;
		if (st->sq != NULL && bn_buf_len(st->sq) == 0) {
			bn_buf_free(st->sq);
			st->sq = NULL;
		}
		if (st->sq == NULL && (!(st->flags & ST_TX_FIN_Q) ||
		    (st->flags & ST_TX_FIN)))
			ready_del(s, st);
		else
			s->ready = st->rnext;	/* next stream's turn */
		hs_stream_maybe_remove(s, st);
	}
	return BN_OK;
}
