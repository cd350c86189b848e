/*
 * gw_admit: who gets through the gateway (WIRE.md §5-6, ARCHITECTURE.md
 * "Data path of one request", step 2).
 *
 * For: finding the ticket in a request (cookie named in config, then the
 * bn1 query parameter, then a bn1 field of a form body), checking the
 * BN-Ticket header's syntax, finding the voucher, asking ticketd to
 * verify them over its Unix socket (pipelined, bounded in-flight queue,
 * a deadline per request), and removing every ticket carrier and the
 * voucher from the request before it is forwarded, adding
 * X-Forwarded-For and Forwarded.
 * Not for: verifying anything itself (only ticketd holds keys and the
 * replay window) or remembering admitted connections (gw_http keeps that
 * per connection).
 *
 * Fail closed: anything but an OK verdict from ticketd (not connected,
 * queue full, deadline passed, a malformed answer) is a refusal: 403
 * for a verdict, 503 + Retry-After when ticketd could not answer.
 *
 * The head/form/strip/forwarded functions are pure (tested without a
 * ticketd); gw_admit_new() and gw_admit_verify() own the ipc client.
 * Reasons returned are static strings, short enough for a 403 body.
 */
#ifndef GW_ADMIT_H
#define GW_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/ticket.h"
#include "betanet/voucher.h"
#include "gw_request.h"

struct event_base;

struct gw_admit_opts {
	int		 tickets;	/* 0: admission off (development) */
	const char	*cookie_name;	/* NULL: __Host-bn1 */
	int		 vouchers_required;
	const char	*voucher_header;	/* NULL: BN-Voucher */
	const char	*ticketd_path;
	uint32_t	 timeout_ms;	/* per verification */
	size_t		 max_inflight;	/* requests queued at ticketd */
	size_t		 preadmit_body;	/* 0: GW_ADMIT_PREADMIT_BODY */
};

/*
 * The most form body read before admission to look for a bn1 field.  A
 * form carrying a ticket needs about 250 bytes; a larger form must carry
 * its ticket in the cookie or the query (else 403 "ticket refused:
 * missing"), so an unauthenticated client cannot make us buffer max_body.
 */
#define GW_ADMIT_PREADMIT_BODY	8192

size_t	gw_admit_preadmit_cap(const struct gw_admit_opts *o);

enum gw_admit_verdict {
	GW_ADMIT_OK = 0,	/* forward */
	GW_ADMIT_VERIFY,	/* candidate found: gw_admit_verify() */
	GW_ADMIT_NEED_BODY,	/* no ticket yet: look in the form body */
	GW_ADMIT_BAD,		/* 400 (malformed BN-Ticket header) */
	GW_ADMIT_REFUSE,	/* 403 with the reason */
	GW_ADMIT_UNAVAILABLE,	/* 503 + Retry-After */
};

/* What will be sent to ticketd.  Holds secrets: gw_admit_cand_clear(). */
struct gw_admit_cand {
	uint8_t		ticket[BN_TICKET_MAX_LEN];
	size_t		ticket_len;
	uint8_t		voucher[BN_VOUCHER_LEN];
	int		has_voucher;
	int		has_ticket;
};

void	gw_admit_cand_clear(struct gw_admit_cand *c);

/*
 * Look at a request head.  admitted: the connection was admitted before
 * (then only the BN-Ticket syntax is checked).  Fills *c for VERIFY and
 * sets *reason for BAD/REFUSE.  NEED_BODY only when the request has a
 * form body that may hold the ticket: chunked, or a Content-Length of at
 * most gw_admit_preadmit_cap() (a longer one is REFUSE "missing"); the
 * caller must refuse a chunked one that grows past the cap.
 */
enum gw_admit_verdict gw_admit_head(const struct gw_admit_opts *o,
	    const struct gw_request *r, int admitted,
	    struct gw_admit_cand *c, const char **reason);
/* After NEED_BODY, with the whole form body: VERIFY or REFUSE. */
enum gw_admit_verdict gw_admit_form(const struct gw_admit_opts *o,
	    const uint8_t *body, size_t len, struct gw_admit_cand *c,
	    const char **reason);

/*
 * Remove the ticket cookie from every Cookie header (dropping a header
 * left empty), every bn1 parameter from the query and from the query of
 * every Referer, the BN-Ticket and voucher headers.  BN_OK or
 * BN_ERR_NO_SPACE (arena full: answer 431).
 */
int	gw_admit_strip(const struct gw_admit_opts *o, struct gw_request *r);
/* Remove every bn1 field of a form body in place; the new length. */
size_t	gw_admit_strip_form(char *body, size_t len);
/*
 * The gateway is the edge: drop every X-Forwarded-For, Forwarded and
 * X-Real-IP the client sent (it could claim any address) and set
 * X-Forwarded-For: client_ip and Forwarded: for=client_ip;proto=http
 * (RFC 7239; IPv6 as "[...]" in quotes).  BN_OK or BN_ERR_NO_SPACE.
 */
int	gw_admit_forwarded(struct gw_request *r, const char *client_ip);

/* ---- ticketd ---------------------------------------------------------- */

struct gw_admit;
struct gw_admit_pending;

/* o is copied (strings too).  NULL on failure. */
struct gw_admit *gw_admit_new(struct event_base *base,
	    const struct gw_admit_opts *o);
/* Pending verifications are answered UNAVAILABLE first. */
void	gw_admit_free(struct gw_admit *a);
const struct gw_admit_opts *gw_admit_opts(const struct gw_admit *a);
int	gw_admit_connected(const struct gw_admit *a);

/*
 * Called once per accepted gw_admit_verify(), never from inside it, with
 * OK, REFUSE (reason: "ticket refused: replay", ...) or UNAVAILABLE.
 */
typedef void (*gw_admit_done_fn)(void *arg, enum gw_admit_verdict v,
	    const char *reason);

/*
 * Send VerifyTicket (and VerifyVoucher when c has one) for the client.
 * BN_OK: done() will be called unless gw_admit_cancel(*out) comes first.
 * Any error (ticketd not connected, queue full): done() is never called
 * and the caller answers 503.
 */
int	gw_admit_verify(struct gw_admit *a, const struct gw_admit_cand *c,
	    const char *client_ip, gw_admit_done_fn done, void *arg,
	    struct gw_admit_pending **out);
/* The caller lost interest (connection closed): done() is not called. */
void	gw_admit_cancel(struct gw_admit_pending *p);

#endif /* GW_ADMIT_H */
