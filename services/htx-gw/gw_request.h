/*
 * gw_request: the gateway's pure HTTP/1.1 request parser, on top of
 * http-parser (libhttp-parser-dev), plus the request it fills in.
 *
 * For: turning client bytes into one validated request head at a time
 * and a stream of body bytes, with every limit and smuggling check of
 * the front in one place (nginx-style: headers validated once), and the
 * few edits admission makes before forwarding (strip a cookie, rewrite
 * the target, add X-Forwarded-For).
 * Not for: sockets, timers, responses or admission decisions (gw_http,
 * gw_admit).  Pure: no I/O, no clock; it allocates only the request.
 *
 * Driving it: gw_parser_feed() consumes bytes until it needs more
 * (GW_PARSE_MORE), or pauses (GW_PARSE_PAUSED) after a request head
 * (on_head was called), when on_body asked for a pause, or after a whole
 * request (on_end was called).  Nothing of the next pipelined request is
 * read until gw_parser_resume(), so requests are answered strictly in
 * order.  A negative return is a client fault: answer
 * gw_parser_status() (400, 413, 414, 417, 431, 501, 505) and close.
 *
 * Ownership: the parser owns the current request; it stays valid until
 * the next request starts (gw_parser_resume() after a whole request) or
 * gw_parser_clear().  Header text lives in one arena addressed by
 * offsets, so edits may grow it; use gw_request_hdr() to read.
 */
#ifndef GW_REQUEST_H
#define GW_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "gw_backend.h"

/* Hard ceiling on max_headers, whatever the config says. */
#define GW_HDR_CAP		256
/* Room the arena keeps above max_head_bytes for admission's edits. */
#define GW_ARENA_SLACK		4096

struct gw_limits {
	uint64_t	max_body;	/* bytes; over: 413 */
	size_t		max_headers;	/* count; over: 431 */
	size_t		max_line;	/* a header line; request line: 414 */
	size_t		max_head;	/* whole head; over: 431 */
	uint64_t	header_timeout_ms;
	uint64_t	body_timeout_ms;
	uint64_t	idle_timeout_ms;
	uint64_t	send_timeout_ms;
	uint64_t	admit_max_ms;	/* an admitted connection, at most */
	size_t		max_conns;
	size_t		out_high;	/* output over this: pause the source */
	uint32_t	retry_after_s;	/* on 503 */
};

/* Defaults of the issue: 1 MiB body, 64 headers, 8 KiB line. */
void	gw_limits_default(struct gw_limits *lim);

struct gw_hdr_ent {
	size_t		name_off;
	size_t		name_len;
	size_t		value_off;
	size_t		value_len;
	int		deleted;
};

struct gw_request {
	int		 method;	/* enum http_method */
	const char	*method_str;	/* static */
	unsigned	 major;
	unsigned	 minor;
	size_t		 target_off;
	size_t		 target_len;
	struct gw_hdr_ent h[GW_HDR_CAP];
	size_t		 nhdr;
	int64_t		 content_length; /* -1: none given */
	int		 chunked;
	int		 keep_alive;	/* client wants the connection kept */
	int		 expect_continue;
	int		 has_body;	/* CL > 0 or chunked */
	int		 is_form;	/* x-www-form-urlencoded */
	char		*arena;
	size_t		 alen;
	size_t		 acap;
	size_t		 amax;
};

/*
 * Callbacks from inside gw_parser_feed().  on_head: the head is complete
 * and valid; the parser pauses right after.  on_body: body bytes
 * (de-chunked); return nonzero to pause after them.  on_end: the request
 * is complete; the parser pauses.  None may free the parser.
 */
struct gw_parser_cb {
	void	(*on_head)(void *arg, struct gw_request *req);
	int	(*on_body)(void *arg, const uint8_t *p, size_t n);
	void	(*on_end)(void *arg);
	void	*arg;
};

enum gw_parse_phase {
	GW_PP_IDLE = 0,		/* between requests, nothing read */
	GW_PP_HEAD,		/* some of a head read */
	GW_PP_BODY,		/* head delivered, body (maybe empty) */
	GW_PP_DONE,		/* whole request delivered; paused */
	GW_PP_ERROR,
};

#define GW_PARSE_MORE		0
#define GW_PARSE_PAUSED		1

struct gw_parser {
	http_parser		 hp;
	const struct gw_limits	*lim;
	struct gw_parser_cb	 cb;
	struct gw_request	*req;
	enum gw_parse_phase	 phase;
	int			 status;	/* answer on error */
	const char		*reason;	/* short, for logs */
	uint64_t		 body_seen;
	int			 in_value;	/* last callback was a value */
	int			 scan;		/* raw head scanner state */
	int			 line1;		/* in the request line */
	uint8_t			 prev;		/* previous head byte */
	int			 want_pause;
};

/* lim must outlive the parser (it is read, never copied). */
void	gw_parser_init(struct gw_parser *p, const struct gw_limits *lim,
	    const struct gw_parser_cb *cb);
/* Free the current request; the parser is IDLE again. */
void	gw_parser_clear(struct gw_parser *p);
/*
 * Feed n bytes; *used says how many were consumed (the rest must be fed
 * again after a pause).  GW_PARSE_MORE, GW_PARSE_PAUSED, or a negative
 * code (BN_ERR_MALFORMED, BN_ERR_TOO_LARGE, BN_ERR_LIMIT, BN_ERR_ALLOC)
 * with gw_parser_status() set; the parser is then dead.
 */
int	gw_parser_feed(struct gw_parser *p, const uint8_t *d, size_t n,
	    size_t *used);
/* Continue after GW_PARSE_PAUSED; after DONE this starts the next one. */
void	gw_parser_resume(struct gw_parser *p);
int	gw_parser_status(const struct gw_parser *p);
const char *gw_parser_reason(const struct gw_parser *p);
enum gw_parse_phase gw_parser_phase(const struct gw_parser *p);
struct gw_request *gw_parser_request(struct gw_parser *p);

/* Reading a request. */
void	gw_request_hdr(const struct gw_request *r, size_t i,
	    struct gw_hdr *out);
const char *gw_request_target(const struct gw_request *r, size_t *len);
/* First live header named name (any case); -1 if none. */
long	gw_request_find(const struct gw_request *r, const char *name,
	    long from);
/* Live headers as gw_hdr (hop-by-hop ones left out) into out[cap]. */
size_t	gw_request_fwd_hdrs(const struct gw_request *r, struct gw_hdr *out,
	    size_t cap);

/* Edits (BN_OK, BN_ERR_NO_SPACE past the arena's bound). */
int	gw_request_set_target(struct gw_request *r, const char *t, size_t n);
int	gw_request_set_value(struct gw_request *r, size_t i, const char *v,
	    size_t n);
void	gw_request_del(struct gw_request *r, size_t i);
int	gw_request_add(struct gw_request *r, const char *name,
	    const char *v, size_t n);

/* Case-insensitive compare of a counted string with a C string. */
int	gw_str_ieq(const char *a, size_t alen, const char *b);

#endif /* GW_REQUEST_H */
