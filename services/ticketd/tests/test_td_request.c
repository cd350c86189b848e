/*
 * test_td_request: td_server_decode_request(), the decoding and checks
 * every ticketd.sock frame goes through before it reaches the server's
 * state: each method, the batch bounds, unknown methods, garbage and
 * every truncated prefix of a valid frame.
 */
#include <stdlib.h>
#include <string.h>

#include "betanet/err.h"
#include "td_server.h"
#include "testutil.h"

/* Pack m into a malloc'd buffer. */
static uint8_t *
pack(const Betanet__Ticketd__TicketdRequest *m, size_t *len)
{
	uint8_t *p;

	*len = betanet__ticketd__ticketd_request__get_packed_size(m);
	ck_assert_ptr_nonnull(p = malloc(*len ? *len : 1));
	betanet__ticketd__ticketd_request__pack(m, p);
	return p;
}

/* A VerifyTicketBatch of n items, header.id 42. */
static uint8_t *
ticket_batch(size_t n, size_t *len)
{
	Betanet__Ticketd__TicketdRequest m =
	    BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Header hdr = BETANET__HEADER__INIT;
	Betanet__Ticketd__VerifyTicketBatch b =
	    BETANET__TICKETD__VERIFY_TICKET_BATCH__INIT;
	Betanet__Ticketd__VerifyTicket *t, **tp;
	static uint8_t payload[3] = { 1, 2, 3 };
	uint8_t *p;
	size_t i;

	ck_assert_ptr_nonnull(t = calloc(n + 1, sizeof(*t)));
	ck_assert_ptr_nonnull(tp = calloc(n + 1, sizeof(*tp)));
	for (i = 0; i < n; i++) {
		betanet__ticketd__verify_ticket__init(&t[i]);
		t[i].payload.data = payload;
		t[i].payload.len = sizeof(payload);
		t[i].client_ip = (char *)"192.0.2.1";
		tp[i] = &t[i];
	}
	b.n_items = n;
	b.items = tp;
	hdr.id = 42;
	m.header = &hdr;
	m.body_case =
	    BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_TICKET_BATCH;
	m.verify_ticket_batch = &b;
	p = pack(&m, len);
	free(t);
	free(tp);
	return p;
}

START_TEST(batch_bounds)
{
	static const size_t ns[] = {
		0, 1, 2, TD_MAX_BATCH, TD_MAX_BATCH + 1
	};
	struct td_request r;
	uint8_t *p;
	size_t len, i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		p = ticket_batch(ns[i], &len);
		ck_assert_int_eq(td_server_decode_request(&r, p, len), BN_OK);
		ck_assert_int_eq(r.kind, TD_REQ_TICKET_BATCH);
		ck_assert_uint_eq(r.id, 42);
		ck_assert_uint_eq(r.n, ns[i]);
		if (ns[i] == 0 || ns[i] > TD_MAX_BATCH) {
			ck_assert_int_eq(r.err,
			    BETANET__ERROR_CODE__ERROR_INVALID);
			ck_assert_str_eq(r.err_text,
			    "batch must hold 1..1024 items");
		} else {
			ck_assert_int_eq(r.err, 0);
			ck_assert_ptr_nonnull(r.items[ns[i] - 1]);
		}
		td_server_request_clear(&r);
		free(p);
	}
}
END_TEST

START_TEST(methods)
{
	Betanet__Ticketd__TicketdRequest m =
	    BETANET__TICKETD__TICKETD_REQUEST__INIT;
	Betanet__Ticketd__VerifyVoucher v =
	    BETANET__TICKETD__VERIFY_VOUCHER__INIT;
	Betanet__Ticketd__GetStats gs = BETANET__TICKETD__GET_STATS__INIT;
	struct td_request r;
	uint8_t *p;
	size_t len;

	/* No header: id 0. */
	m.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_GET_STATS;
	m.get_stats = &gs;
	p = pack(&m, &len);
	ck_assert_int_eq(td_server_decode_request(&r, p, len), BN_OK);
	ck_assert_int_eq(r.kind, TD_REQ_GET_STATS);
	ck_assert_uint_eq(r.id, 0);
	ck_assert_int_eq(r.err, 0);
	td_server_request_clear(&r);
	free(p);

	m.body_case = BETANET__TICKETD__TICKETD_REQUEST__BODY_VERIFY_VOUCHER;
	m.verify_voucher = &v;
	v.peer = (char *)"peer";
	p = pack(&m, &len);
	ck_assert_int_eq(td_server_decode_request(&r, p, len), BN_OK);
	ck_assert_int_eq(r.kind, TD_REQ_VOUCHER);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.err, 0);
	ck_assert_str_eq(((Betanet__Ticketd__VerifyVoucher *)
	    r.items[0])->peer, "peer");
	td_server_request_clear(&r);
	free(p);

	/* A header and no body: no method. */
	{
		static const uint8_t hdr_only[] = { 0x0a, 0x02, 0x08, 0x07 };

		ck_assert_int_eq(td_server_decode_request(&r, hdr_only,
		    sizeof(hdr_only)), BN_OK);
		ck_assert_int_eq(r.kind, TD_REQ_UNKNOWN);
		ck_assert_uint_eq(r.id, 7);
		ck_assert_int_eq(r.err,
		    BETANET__ERROR_CODE__ERROR_UNKNOWN_METHOD);
		td_server_request_clear(&r);
	}
}
END_TEST

START_TEST(garbage_and_prefixes)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	struct td_request r;
	uint8_t *p;
	size_t len, cut;
	int e;

	ck_assert_int_eq(td_server_decode_request(&r, junk, sizeof(junk)),
	    BN_ERR_MALFORMED);
	ck_assert_ptr_null(r.m);
	/* Every prefix either fails cleanly or decodes to something. */
	p = ticket_batch(3, &len);
	for (cut = 0; cut < len; cut++) {
		e = td_server_decode_request(&r, p, cut);
		ck_assert(e == BN_OK || e == BN_ERR_MALFORMED);
		if (e == BN_OK) {
			ck_assert_ptr_nonnull(r.m);
			td_server_request_clear(&r);
		} else
			ck_assert_ptr_null(r.m);
	}
	/* ... and one byte more is a field with no value: malformed. */
	ck_assert_ptr_nonnull(p = realloc(p, len + 1));
	p[len] = 0x08;
	ck_assert_int_eq(td_server_decode_request(&r, p, len + 1),
	    BN_ERR_MALFORMED);
	free(p);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("td_request");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, batch_bounds);
	tcase_add_test(tc, methods);
	tcase_add_test(tc, garbage_and_prefixes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
