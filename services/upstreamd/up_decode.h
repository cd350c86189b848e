/*
 * up_decode: upstreamd's decoders of untrusted bytes, apart from the
 * sockets and the server's state, so that the fuzz targets run exactly
 * what the daemon runs:
 *  - up_admin_decode(): one upstreamd.sock frame (proto/upstreamd.proto)
 *    into the method to run, as up_admin's on_request() takes it;
 *  - up_bridge_decode() and up_bridge_app_request(): one whole stream
 *    message (a BAR request, or on compat the text form `GET /p`) into
 *    the bn_app_request that up_bridge hands the application.
 * Not for: answering; the callers own replies, logging and sessions.
 * Ownership: an up_admin_req owns its unpacked message (free it with
 * up_admin_req_clear()); an up_bridge_req points into the message bytes
 * and into itself, so both must stay put while it is used.
 */
#ifndef UP_DECODE_H
#define UP_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "betanet/bar.h"
#include "app.h"

#define UP_ADMIN_LIST_MAX	4096	/* sessions in one ListSessions */
#define UP_NAMES_MAX		8192	/* header names, NUL-ended */

struct Betanet__Upstreamd__UpstreamdRequest;

enum up_admin_kind {
	UP_ADMIN_STATUS,
	UP_ADMIN_RELOAD,
	UP_ADMIN_LIST,
	UP_ADMIN_UNKNOWN,
};

struct up_admin_req {
	struct Betanet__Upstreamd__UpstreamdRequest *m;	/* owned */
	uint64_t		 id;		/* header.id, or 0 */
	enum up_admin_kind	 kind;
	uint32_t		 limit;	/* LIST: 1..UP_ADMIN_LIST_MAX */
	int			 err;	/* 0 or a Betanet__ErrorCode */
	const char		*err_text;	/* static, with err */
};

/*
 * BN_OK when p is an UpstreamdRequest (r->err may be set: unknown
 * method); free r with up_admin_req_clear() then.  BN_ERR_MALFORMED
 * when it is not (answered ERROR_MALFORMED, id 0).
 */
int	up_admin_decode(struct up_admin_req *r, const uint8_t *p,
	    size_t len);
void	up_admin_req_clear(struct up_admin_req *r);

struct up_bridge_req {
	struct bn_bar_header	 hdr[BN_BAR_MAX_HEADERS];
	struct bn_bar_request	 br;
	struct bn_app_header	 ah[BN_BAR_MAX_HEADERS];
	char			 names[UP_NAMES_MAX];
	char			 method[BN_APP_METHOD_MAX + 1];
	struct bn_app_request	 req;
};

/*
 * Decode a whole message into r->br: BAR, or on compat the text form
 * unless the first byte starts a CBOR map (0xa0..0xbf).  BN_OK, or the
 * decoder's error (BN_ERR_LIMIT: too many headers, answered 431; else
 * 400).
 */
int	up_bridge_decode(struct up_bridge_req *r, const uint8_t *p,
	    size_t len, int compat);
/*
 * Build r->req from a decoded r->br: 0, or the HTTP status to answer
 * (400 bad method or target, 414 target too long, 431 header names).
 */
int	up_bridge_app_request(struct up_bridge_req *r);

#endif /* UP_DECODE_H */
