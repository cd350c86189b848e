/*
 * td_server: ticketd.sock request handling (td_server.h).
 *
 * A request becomes a struct req with one struct item per ticket or
 * voucher.  Ticket items go to td_verify (the X25519), come back on the
 * loop, then pass the replay and bucket checks; an item is decided when
 * its store insert is durable (or refused).  The request is answered
 * when its last item is decided.  Requests hold a reference to their
 * connection, so a client that hangs up mid-request costs nothing but
 * the dropped answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "betanet/buf.h"
#include "betanet/codec.h"
#include "betanet/crypto.h"
#include "betanet/err.h"
#include "betanet/ipc.h"
#include "betanet/keyfile.h"
#include "betanet/log.h"
#include "betanet/ticket.h"
#include "betanet/voucher.h"
#include "td_server.h"
#include "td_verify.h"
#include "ticketd.pb-c.h"

#define NREASONS	(BETANET__TICKETD__REASON__INTERNAL + 1)
#define SWEEP_MS	10000
#define SPENT_LABEL	"betanet-voucher-spent"

struct req;

struct item {
	struct req		*req;
	struct td_vjob		 job;		/* tickets */
	int			 reason;	/* Betanet__Ticketd__Reason */
	int			 have_key_id;
	uint8_t			 key_id[BN_TICKET_KEY_ID_LEN];
	uint64_t		 hour;
	uint64_t		 now;
	char			 name[TD_BUCKET_NAME_MAX + 1];	/* ip/peer */
	char			 keyset[TD_BUCKET_NAME_MAX + 1];
	int			 refund;	/* bucket taken */
};

struct req {
	struct td_server	*s;
	struct bn_ipc_conn	*conn;
	uint64_t		 id;
	enum td_req_kind		 kind;
	size_t			 n, left;
	struct item		*items;
};

struct td_server {
	struct event_base	*base;
	struct td_server_deps	 d;
	struct bn_ipc_server	*ipc;
	struct td_verify	*verify;
	struct event		*sweep_ev;
	uint8_t			(*keysets)[BN_VOUCHER_KEYSET_LEN];
	size_t			 nkeysets;
	uint64_t		 tickets[NREASONS];
	uint64_t		 vouchers[NREASONS];
	size_t			 inflight;	/* requests */
	size_t			 inflight_items;
	int			 draining;
	void			(*drained)(void *);
	void			*drained_arg;
};

uint64_t
td_ticket_expiry(uint64_t hour, uint64_t now)
{
	uint64_t a = now + TD_REPLAY_TTL_S, b = (hour + 2) * 3600;

	return a > b ? a : b;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- answering --------------------------------------------------- */

static void
send_msg(struct bn_ipc_conn *c, Betanet__Ticketd__TicketdResponse *resp)
{
	if (bn_ipc_conn_send_msg(c, &resp->base) == BN_ERR_ALLOC)
		bn_log_event(BN_LOG_ERROR, "reply_fail", "reason=alloc");
}

static void
send_error(struct bn_ipc_conn *c, uint64_t id, Betanet__ErrorCode code,
    const char *text)
{
	Betanet__Ticketd__TicketdResponse resp =
	    BETANET__TICKETD__TICKETD_RESPONSE__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Error err = BETANET__ERROR__INIT;

	hdr.id = id;
	err.code = code;
	err.text = (char *)text;
	resp.header = &hdr;
	resp.error = &err;
	send_msg(c, &resp);
}

static void
fill_ticket(Betanet__Ticketd__TicketVerdict *v, struct item *it)
{
	betanet__ticketd__ticket_verdict__init(v);
	v->reason = it->reason;
	if (it->have_key_id) {
		v->key_id.data = it->key_id;
		v->key_id.len = sizeof(it->key_id);
	}
	if (it->reason == BETANET__TICKETD__REASON__OK)
		v->hour = it->hour;
}

static void
send_verdicts(struct req *q)
{
	Betanet__Ticketd__TicketdResponse resp =
	    BETANET__TICKETD__TICKETD_RESPONSE__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Ticketd__VerifyTicketBatchResult tb =
	    BETANET__TICKETD__VERIFY_TICKET_BATCH_RESULT__INIT;
	Betanet__Ticketd__VerifyVoucherBatchResult vb =
	    BETANET__TICKETD__VERIFY_VOUCHER_BATCH_RESULT__INIT;
	Betanet__Ticketd__TicketVerdict *tv = NULL, **tvp = NULL;
	Betanet__Ticketd__VoucherVerdict *vv = NULL, **vvp = NULL;
	size_t i;

	hdr.id = q->id;
	resp.header = &hdr;
	if ((tv = calloc(q->n, sizeof(*tv))) == NULL ||
	    (tvp = calloc(q->n, sizeof(*tvp))) == NULL ||
	    (vv = calloc(q->n, sizeof(*vv))) == NULL ||
	    (vvp = calloc(q->n, sizeof(*vvp))) == NULL) {
		send_error(q->conn, q->id, BETANET__ERROR_CODE__ERROR_INTERNAL,
		    "out of memory");
		goto out;
	}
	for (i = 0; i < q->n; i++) {
		fill_ticket(&tv[i], &q->items[i]);
		tvp[i] = &tv[i];
		betanet__ticketd__voucher_verdict__init(&vv[i]);
		vv[i].reason = q->items[i].reason;
		vvp[i] = &vv[i];
	}
	switch (q->kind) {
	case TD_REQ_TICKET:
		resp.body_case = BETANET__TICKETD__TICKETD_RESPONSE__BODY_TICKET;
		resp.ticket = &tv[0];
		break;
	case TD_REQ_VOUCHER:
		resp.body_case =
		    BETANET__TICKETD__TICKETD_RESPONSE__BODY_VOUCHER;
		resp.voucher = &vv[0];
		break;
	case TD_REQ_TICKET_BATCH:
		tb.n_items = q->n;
		tb.items = tvp;
		resp.body_case =
		    BETANET__TICKETD__TICKETD_RESPONSE__BODY_TICKET_BATCH;
		resp.ticket_batch = &tb;
		break;
	case TD_REQ_VOUCHER_BATCH:
		vb.n_items = q->n;
		vb.items = vvp;
		resp.body_case =
		    BETANET__TICKETD__TICKETD_RESPONSE__BODY_VOUCHER_BATCH;
		resp.voucher_batch = &vb;
		break;
	default:			/* verify_items() makes no other */
		break;
	}
	send_msg(q->conn, &resp);
 out:
	free(tv);
	free(tvp);
	free(vv);
	free(vvp);
}

static void
check_drained(struct td_server *s)
{
	void (*cb)(void *) = s->drained;

	if (s->draining && s->inflight == 0 && cb != NULL) {
		s->drained = NULL;
		cb(s->drained_arg);
	}
}

static void
req_free(struct req *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		bn_cleanse(&q->items[i].job, sizeof(q->items[i].job));
	free(q->items);
	bn_ipc_conn_unref(q->conn);
	free(q);
}

/* One item is decided; answer the request after its last one. */
static void
item_done(struct item *it, int reason)
{
	struct req *q = it->req;
	struct td_server *s = q->s;
	int voucher = q->kind == TD_REQ_VOUCHER ||
	    q->kind == TD_REQ_VOUCHER_BATCH;

	it->reason = reason;
	if (voucher)
		s->vouchers[reason]++;
	else
		s->tickets[reason]++;
	if (reason != BETANET__TICKETD__REASON__OK &&
	    bn_log_enabled(BN_LOG_DEBUG))
		bn_log_event(BN_LOG_DEBUG, voucher ? "voucher_reject" :
		    "ticket_reject", "reason=%s conn=%llu",
		    protobuf_c_enum_descriptor_get_value(
		    &betanet__ticketd__reason__descriptor, reason)->name,
		    (unsigned long long)bn_ipc_conn_id(q->conn));
	s->inflight_items--;
	if (--q->left > 0)
		return;
	send_verdicts(q);
	req_free(q);
	s->inflight--;
	check_drained(s);
}

/* ---- tickets ----------------------------------------------------- */

static int
ticket_reason(int err)
{
	switch (err) {
	case BN_OK:			return BETANET__TICKETD__REASON__OK;
	case BN_ERR_TICKET_MALFORMED:	return BETANET__TICKETD__REASON__MALFORMED;
	case BN_ERR_TICKET_VERSION:	return BETANET__TICKETD__REASON__BAD_VERSION;
	case BN_ERR_TICKET_KEY:		return BETANET__TICKETD__REASON__UNKNOWN_KEY;
	case BN_ERR_TICKET_EXPIRED:	return BETANET__TICKETD__REASON__EXPIRED;
	case BN_ERR_TICKET_MAC:		return BETANET__TICKETD__REASON__BAD_MAC;
	default:			return BETANET__TICKETD__REASON__INTERNAL;
	}
}

static void
ticket_stored(int res, void *arg)
{
	struct item *it = arg;
	struct td_server *s = it->req->s;

	if (res != TD_REPLAY_NEW && it->refund)
		td_buckets_refund(s->d.buckets, TD_BUCKET_IP, it->name,
		    mono_ms());
	item_done(it, res == TD_REPLAY_NEW ? BETANET__TICKETD__REASON__OK :
	    res == TD_REPLAY_SEEN ? BETANET__TICKETD__REASON__REPLAY :
	    BETANET__TICKETD__REASON__INTERNAL);
}

/* Back from td_verify: replay, then the bucket, then remember it. */
static void
ticket_verified(struct td_vjob *j, void *arg)
{
	struct item *it = j->arg;
	struct td_server *s = arg;
	uint8_t key[TD_REPLAY_KEY_LEN];
	int r;

	/* The payload parsed (version set): its key id is worth echoing. */
	if (j->t.version != 0) {
		memcpy(it->key_id, j->t.key_id, sizeof(it->key_id));
		it->have_key_id = 1;
	}
	if (j->result != BN_OK) {
		item_done(it, ticket_reason(j->result));
		return;
	}
	it->hour = j->hour;
	memcpy(key, j->t.cli_pub, BN_KEY_LEN);
	bn_store_u64(key + BN_KEY_LEN, j->hour);
	if (td_replay_seen(s->d.replay, key, it->now) == 1) {
		item_done(it, BETANET__TICKETD__REASON__REPLAY);
		return;
	}
	if (!td_buckets_take(s->d.buckets, TD_BUCKET_IP, it->name,
	    mono_ms())) {
		item_done(it, BETANET__TICKETD__REASON__RATE_LIMITED);
		return;
	}
	it->refund = 1;
	r = td_replay_insert(s->d.replay, key, td_ticket_expiry(j->hour,
	    it->now), it->now, ticket_stored, it);
	if (r != TD_REPLAY_PENDING)
		ticket_stored(r, it);
}

static void
ticket_start(struct td_server *s, struct item *it,
    const Betanet__Ticketd__VerifyTicket *m)
{
	struct td_vjob *j = &it->job;
	size_t i;

	snprintf(it->name, sizeof(it->name), "%s",
	    m->client_ip != NULL && m->client_ip[0] != '\0' ? m->client_ip :
	    "unknown");
	it->now = (uint64_t)time(NULL);
	if (m->test_now != 0) {
		if (!s->d.cfg->test_hooks) {
			item_done(it, BETANET__TICKETD__REASON__INTERNAL);
			return;
		}
		it->now = m->test_now;
	}
	if (m->payload.len > sizeof(j->payload)) {
		item_done(it, BETANET__TICKETD__REASON__MALFORMED);
		return;
	}
	if (m->payload.len > 0)		/* data is NULL when empty */
		memcpy(j->payload, m->payload.data, m->payload.len);
	j->len = m->payload.len;
	for (i = 0; i < s->d.keys->n; i++)
		j->keys[i] = s->d.keys->k[i];
	j->nkeys = s->d.keys->n;
	j->now = it->now;
	j->arg = it;
	td_verify_submit(s->verify, j);
}

/* ---- vouchers ---------------------------------------------------- */

static void
voucher_stored(int res, void *arg)
{
	struct item *it = arg;

	item_done(it, res == TD_REPLAY_NEW ? BETANET__TICKETD__REASON__OK :
	    res == TD_REPLAY_SEEN ? BETANET__TICKETD__REASON__VOUCHER_SPENT :
	    BETANET__TICKETD__REASON__INTERNAL);
}

static int
keyset_known(const struct td_server *s, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < s->nkeysets; i++)
		if (memcmp(s->keysets[i], id, BN_VOUCHER_KEYSET_LEN) == 0)
			return 1;
	return 0;
}

static void
voucher_start(struct td_server *s, struct item *it,
    const Betanet__Ticketd__VerifyVoucher *m)
{
	struct bn_voucher v;
	uint8_t key[TD_REPLAY_KEY_LEN];
	struct bn_iov iov[2];
	uint64_t now = (uint64_t)time(NULL), ms = mono_ms();
	int r;

	memset(key, 0, sizeof(key));
	if (bn_voucher_parse(&v, m->voucher.data, m->voucher.len) != BN_OK) {
		item_done(it, BETANET__TICKETD__REASON__VOUCHER_MALFORMED);
		return;
	}
	if (!keyset_known(s, v.keyset_id)) {
		bn_voucher_clear(&v);
		item_done(it, BETANET__TICKETD__REASON__VOUCHER_UNKNOWN_KEYSET);
		return;
	}
	bn_hex_encode(it->keyset, v.keyset_id, 31);	/* 62 hex: a name */
	snprintf(it->name, sizeof(it->name), "%s", m->peer != NULL &&
	    m->peer[0] != '\0' ? m->peer : "unknown");
	if (!td_buckets_take(s->d.buckets, TD_BUCKET_KEYSET, it->keyset, ms)) {
		bn_voucher_clear(&v);
		item_done(it, BETANET__TICKETD__REASON__VOUCHER_RATE_LIMITED);
		return;
	}
	if (!td_buckets_take(s->d.buckets, TD_BUCKET_PEER, it->name, ms)) {
		td_buckets_refund(s->d.buckets, TD_BUCKET_KEYSET, it->keyset,
		    ms);
		bn_voucher_clear(&v);
		item_done(it, BETANET__TICKETD__REASON__VOUCHER_RATE_LIMITED);
		return;
	}
	/* Only a hash of the secret goes to disk. */
	iov[0] = (struct bn_iov){ SPENT_LABEL, sizeof(SPENT_LABEL) - 1 };
	iov[1] = (struct bn_iov){ v.secret, sizeof(v.secret) };
	r = bn_sha256v(key, iov, 2);
	bn_voucher_clear(&v);
	if (r != BN_OK) {
		item_done(it, BETANET__TICKETD__REASON__INTERNAL);
		return;
	}
	r = td_replay_insert(s->d.spent, key, now + s->d.cfg->voucher_ttl /
	    1000, now, voucher_stored, it);
	if (r != TD_REPLAY_PENDING)
		voucher_stored(r, it);
}

/* ---- keys and stats ---------------------------------------------- */

static void
send_keys(struct td_server *s, struct bn_ipc_conn *c, uint64_t id)
{
	Betanet__Ticketd__TicketdResponse resp =
	    BETANET__TICKETD__TICKETD_RESPONSE__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Ticketd__Keys keys = BETANET__TICKETD__KEYS__INIT;
	Betanet__Ticketd__SiteKey sk[TD_KEYS_MAX], *skp[TD_KEYS_MAX];
	size_t i;

	for (i = 0; i < s->d.keys->n; i++) {
		betanet__ticketd__site_key__init(&sk[i]);
		sk[i].key_id.data = s->d.keys->k[i].key_id;
		sk[i].key_id.len = BN_TICKET_KEY_ID_LEN;
		sk[i].public_key.data = s->d.keys->pub[i];
		sk[i].public_key.len = BN_KEY_LEN;
		sk[i].current = i == 0;
		skp[i] = &sk[i];
	}
	keys.n_keys = s->d.keys->n;
	keys.keys = skp;
	hdr.id = id;
	resp.header = &hdr;
	resp.body_case = BETANET__TICKETD__TICKETD_RESPONSE__BODY_KEYS;
	resp.keys = &keys;
	send_msg(c, &resp);
}

static void
send_stats(struct td_server *s, struct bn_ipc_conn *c, uint64_t id)
{
	Betanet__Ticketd__TicketdResponse resp =
	    BETANET__TICKETD__TICKETD_RESPONSE__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Ticketd__Stats st = BETANET__TICKETD__STATS__INIT;
	Betanet__Ticketd__ReasonCount tc[NREASONS], vc[NREASONS];
	Betanet__Ticketd__ReasonCount *tcp[NREASONS], *vcp[NREASONS];
	struct td_replay_stats rs, ss;
	size_t i;

	for (i = 0; i < NREASONS; i++) {
		betanet__ticketd__reason_count__init(&tc[i]);
		betanet__ticketd__reason_count__init(&vc[i]);
		tc[i].reason = vc[i].reason = (Betanet__Ticketd__Reason)i;
		tc[i].count = s->tickets[i];
		vc[i].count = s->vouchers[i];
		tcp[i] = &tc[i];
		vcp[i] = &vc[i];
	}
	td_replay_get_stats(s->d.replay, &rs);
	td_replay_get_stats(s->d.spent, &ss);
	st.n_tickets = st.n_vouchers = NREASONS;
	st.tickets = tcp;
	st.vouchers = vcp;
	st.replay_entries = rs.entries;
	st.replay_capacity = rs.capacity;
	st.spent_vouchers = ss.entries;
	st.buckets_in_use = td_buckets_in_use(s->d.buckets);
	st.replay_backend = (char *)td_replay_backend(s->d.replay);
	st.replay_commits = rs.commits;
	st.replay_records = rs.records;
	st.key_rotations = s->d.keys->rotations;
	st.inflight = s->inflight;
	st.workers = (uint32_t)s->d.cfg->workers;
	hdr.id = id;
	resp.header = &hdr;
	resp.body_case = BETANET__TICKETD__TICKETD_RESPONSE__BODY_STATS;
	resp.stats = &st;
	send_msg(c, &resp);
}

int
td_server_rotate(struct td_server *s)
{
	char err[BN_KEYFILE_ERRLEN];
	char id[bn_hex_enc_len(BN_TICKET_KEY_ID_LEN)];
	int r;

	if ((r = td_keys_rotate(s->d.keys, err, sizeof(err))) != BN_OK) {
		char q[BN_LOG_VALUE_MAX];

		bn_log_event(BN_LOG_ERROR, "keys_rotate_fail", "reason=%s",
		    bn_log_qstr(q, sizeof(q), err));
		return r;
	}
	bn_hex_encode(id, s->d.keys->k[0].key_id, BN_TICKET_KEY_ID_LEN);
	bn_log_event(BN_LOG_INFO, "keys_rotated", "key_id=%s keys=%zu", id,
	    s->d.keys->n);
	return BN_OK;
}

/* ---- dispatch ---------------------------------------------------- */

static struct req *
req_new(struct td_server *s, struct bn_ipc_conn *c, uint64_t id,
    enum td_req_kind kind, size_t n)
{
	struct req *q;
	size_t i;

	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->items = calloc(n, sizeof(*q->items))) == NULL) {
		free(q);
		return NULL;
	}
	q->s = s;
	q->conn = c;
	bn_ipc_conn_ref(c);
	q->id = id;
	q->kind = kind;
	q->n = q->left = n;
	for (i = 0; i < n; i++)
		q->items[i].req = q;
	s->inflight++;
	s->inflight_items += n;
	return q;
}

static void
verify_items(struct td_server *s, struct bn_ipc_conn *c, uint64_t id,
    enum td_req_kind kind, size_t n, void **msgs)
{
	struct req *q;
	size_t i;

	if (s->inflight_items + n > TD_MAX_INFLIGHT_ITEMS) {
		send_error(c, id, BETANET__ERROR_CODE__ERROR_UNAVAILABLE,
		    "busy");
		return;
	}
	if ((q = req_new(s, c, id, kind, n)) == NULL) {
		send_error(c, id, BETANET__ERROR_CODE__ERROR_INTERNAL,
		    "out of memory");
		return;
	}
	/*
	 * An item may be decided at once; the one that empties q frees it,
	 * and that can only be item n-1, so the loop never touches freed q.
	 */
	for (i = 0; i < n; i++) {
		if (kind == TD_REQ_TICKET || kind == TD_REQ_TICKET_BATCH)
			ticket_start(s, &q->items[i], msgs[i]);
		else
			voucher_start(s, &q->items[i], msgs[i]);
	}
}

int
td_server_decode_request(struct td_request *r, const uint8_t *p,
    size_t len)
{
	Betanet__Ticketd__TicketdRequest *m;

	memset(r, 0, sizeof(*r));
	if ((m = betanet__ticketd__ticketd_request__unpack(NULL, len, p)) ==
	    NULL)
		return BN_ERR_MALFORMED;
	r->m = m;
	r->id = m->header != NULL ? m->header->id : 0;
	r->items = &r->one;
	switch (m->body_case) {
	case BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_TICKET:
		r->kind = TD_REQ_TICKET;
		r->one = m->verify_ticket;
		r->n = 1;
		break;
	case BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_VOUCHER:
		r->kind = TD_REQ_VOUCHER;
		r->one = m->verify_voucher;
		r->n = 1;
		break;
	case BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_TICKET_BATCH:
		r->kind = TD_REQ_TICKET_BATCH;
		r->n = m->verify_ticket_batch->n_items;
		r->items = (void **)m->verify_ticket_batch->items;
		break;
	case BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_VOUCHER_BATCH:
		r->kind = TD_REQ_VOUCHER_BATCH;
		r->n = m->verify_voucher_batch->n_items;
		r->items = (void **)m->verify_voucher_batch->items;
		break;
	case BETANET__TICKETD__TICKETD_REQUEST__BODY_GET_KEYS:
		r->kind = TD_REQ_GET_KEYS;
		return BN_OK;
	case BETANET__TICKETD__TICKETD_REQUEST__BODY_ROTATE_KEYS:
		r->kind = TD_REQ_ROTATE_KEYS;
		return BN_OK;
	case BETANET__TICKETD__TICKETD_REQUEST__BODY_GET_STATS:
		r->kind = TD_REQ_GET_STATS;
		return BN_OK;
	default:
		r->kind = TD_REQ_UNKNOWN;
		r->err = BETANET__ERROR_CODE__ERROR_UNKNOWN_METHOD;
		r->err_text = "unknown method";
		return BN_OK;
	}
	if (r->n == 0 || r->n > TD_MAX_BATCH) {
		r->err = BETANET__ERROR_CODE__ERROR_INVALID;
		r->err_text = "batch must hold 1..1024 items";
	}
	return BN_OK;
}

void
td_server_request_clear(struct td_request *r)
{
	if (r->m != NULL)
		betanet__ticketd__ticketd_request__free_unpacked(r->m, NULL);
	memset(r, 0, sizeof(*r));
}

static void
dispatch(struct td_server *s, struct bn_ipc_conn *c, struct td_request *r)
{
	switch (r->kind) {
	case TD_REQ_TICKET:
	case TD_REQ_VOUCHER:
	case TD_REQ_TICKET_BATCH:
	case TD_REQ_VOUCHER_BATCH:
		verify_items(s, c, r->id, r->kind, r->n, r->items);
		break;
	case TD_REQ_GET_KEYS:
		send_keys(s, c, r->id);
		break;
	case TD_REQ_ROTATE_KEYS:
		if (td_server_rotate(s) != BN_OK)
			send_error(c, r->id,
			    BETANET__ERROR_CODE__ERROR_INTERNAL,
			    "rotation failed; see ticketd's log");
		else
			send_keys(s, c, r->id);
		break;
	case TD_REQ_GET_STATS:
		send_stats(s, c, r->id);
		break;
	case TD_REQ_UNKNOWN:
		break;		/* r->err is set */
	}
}

static void
on_request(struct bn_ipc_conn *c, const uint8_t *p, size_t len, void *arg)
{
	struct td_server *s = arg;
	struct td_request r;

	if (td_server_decode_request(&r, p, len) != BN_OK) {
		bn_log_event(BN_LOG_INFO, "request_malformed", "conn=%llu "
		    "len=%zu", (unsigned long long)bn_ipc_conn_id(c), len);
		send_error(c, 0, BETANET__ERROR_CODE__ERROR_MALFORMED,
		    "not a TicketdRequest");
		return;
	}
	if (s->draining)
		send_error(c, r.id, BETANET__ERROR_CODE__ERROR_UNAVAILABLE,
		    "shutting down");
	else if (r.err != 0)
		send_error(c, r.id, (Betanet__ErrorCode)r.err, r.err_text);
	else
		dispatch(s, c, &r);
	td_server_request_clear(&r);
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct td_server *s = arg;

	td_buckets_sweep(s->d.buckets, mono_ms());
}

static int
load_keysets(struct td_server *s)
{
	const struct bn_config_strlist *l = &s->d.cfg->voucher_keysets;
	size_t i;

	if (l->n == 0)
		return BN_OK;
	if ((s->keysets = calloc(l->n, sizeof(*s->keysets))) == NULL)
		return BN_ERR_ALLOC;
	for (i = 0; i < l->n; i++)
		if (bn_hex_decode_exact(s->keysets[i], BN_VOUCHER_KEYSET_LEN,
		    l->v[i], strlen(l->v[i])) != BN_OK)
			return BN_ERR_CONFIG;
	s->nkeysets = l->n;
	return BN_OK;
}

struct td_server *
td_server_new(struct event_base *base, const struct td_server_deps *deps)
{
	struct td_server *s;
	struct bn_ipc_server_cb cb;
	struct timeval tv = { SWEEP_MS / 1000, 0 };

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base = base;
	s->d = *deps;
	memset(&cb, 0, sizeof(cb));
	cb.on_request = on_request;
	cb.arg = s;
	if (load_keysets(s) != BN_OK ||
	    (s->verify = td_verify_new(base, (int)deps->cfg->workers,
	    ticket_verified, s)) == NULL ||
	    (s->sweep_ev = event_new(base, -1, EV_PERSIST, sweep_cb, s)) ==
	    NULL || event_add(s->sweep_ev, &tv) != 0 ||
	    (s->ipc = bn_ipc_server_new(base, deps->cfg->socket_path, 0660,
	    (size_t)deps->cfg->max_clients, &cb)) == NULL) {
		td_server_free(s);
		return NULL;
	}
	return s;
}

void
td_server_drain(struct td_server *s, void (*drained)(void *), void *arg)
{
	s->draining = 1;
	s->drained = drained;
	s->drained_arg = arg;
	check_drained(s);
}

void
td_server_free(struct td_server *s)
{
	if (s == NULL)
		return;
	bn_ipc_server_free(s->ipc);
	td_verify_free(s->verify);
	if (s->sweep_ev != NULL)
		event_free(s->sweep_ev);
	free(s->keysets);
	free(s);
}

struct event_base *
td_server_base(const struct td_server *s)
{
	return s->base;
}
