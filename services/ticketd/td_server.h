/*
 * td_server: ticketd's request handling on ticketd.sock (WIRE.md §5,
 * §6, §10, proto/ticketd.proto).
 *
 * For: decoding each TicketdRequest frame, running the checks in the
 * order of WIRE.md §5 (length, version, key id, MAC via td_verify, then
 * replay, then the per-IP bucket; §6 for vouchers: length, keyset,
 * buckets, spent), and answering with the request's id once every item
 * is decided -- an admission only after its replay record is durable.
 * Items of one batch are answered together, in order; separate requests
 * on one connection may be answered out of order (pipelining).  A frame
 * that is not a TicketdRequest gets ERROR_MALFORMED (id 0); the
 * connection stays, since the framing is still intact.
 *
 * Not for: owning the modules it uses: main.c makes the keys, stores,
 * buckets and config and frees them after td_server_free().  Single
 * threaded (the loop's), apart from what td_verify runs on its workers.
 */
#ifndef TD_SERVER_H
#define TD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "td_bucket.h"
#include "td_config.h"
#include "td_keys.h"
#include "td_replay.h"
#include "ticketd.pb-c.h"

/* Most items in one batch request, and in flight overall. */
#define TD_MAX_BATCH		1024
#define TD_MAX_INFLIGHT_ITEMS	65536
/* How long a ticket's (cli_pub, hour) is remembered, at least. */
#define TD_REPLAY_TTL_S		7200

struct event_base;
struct td_server;

enum td_req_kind {
	TD_REQ_TICKET,
	TD_REQ_VOUCHER,
	TD_REQ_TICKET_BATCH,
	TD_REQ_VOUCHER_BATCH,
	TD_REQ_GET_KEYS,
	TD_REQ_ROTATE_KEYS,
	TD_REQ_GET_STATS,
	TD_REQ_UNKNOWN,
};

/*
 * One ticketd.sock frame, decoded and checked as far as it can be
 * without the server's state (no keys, stores, buckets or load).  items
 * point into m: VerifyTicket * for the ticket kinds, VerifyVoucher * for
 * the voucher kinds; n is 1 for a single item.  err is 0, or the
 * Betanet__ErrorCode the request is answered with (err_text, static).
 */
struct td_request {
	Betanet__Ticketd__TicketdRequest *m;	/* owned */
	uint64_t		 id;		/* header.id, or 0 */
	enum td_req_kind	 kind;
	size_t			 n;
	void			**items;
	void			*one;	/* items -> one for n == 1 */
	int			 err;
	const char		*err_text;
};

struct td_server_deps {
	const struct td_config	*cfg;
	struct td_keys		*keys;
	struct td_replay	*replay;	/* tickets */
	struct td_replay	*spent;		/* vouchers */
	struct td_buckets	*buckets;
};

/* Listen on cfg->socket_path (mode 0660).  NULL on failure (logged). */
struct td_server *td_server_new(struct event_base *base,
	    const struct td_server_deps *deps);

/* RotateKeys / SIGHUP. */
int	td_server_rotate(struct td_server *s);

/*
 * Stop taking requests (new ones get ERROR_UNAVAILABLE) and call
 * drained(arg) once every request in flight has been answered.
 */
void	td_server_drain(struct td_server *s, void (*drained)(void *),
	    void *arg);

void	td_server_free(struct td_server *s);
struct event_base *td_server_base(const struct td_server *s);

/*
 * Decode one request frame into r (the path on_request takes for every
 * frame).  BN_OK when p is a TicketdRequest (r->err may still be set:
 * unknown method, batch size out of 1..TD_MAX_BATCH); BN_ERR_MALFORMED
 * when it is not (answered ERROR_MALFORMED, id 0).  On BN_OK the caller
 * frees r with td_server_request_clear().  Pure: no I/O, no globals.
 */
int	td_server_decode_request(struct td_request *r, const uint8_t *p,
	    size_t len);
void	td_server_request_clear(struct td_request *r);

/*
 * Replay-store expiry for a ticket matched at `hour`, accepted at `now`:
 * at least TD_REPLAY_TTL_S, and never before the ticket's window (hour-1
 * .. hour+1 as seen by the verifier) has closed.
 */
uint64_t td_ticket_expiry(uint64_t hour, uint64_t now);

#endif /* TD_SERVER_H */
