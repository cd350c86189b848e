/*
 * up_conn: one accepted TCP connection = one HTX session on a
 * bn_htx_conn (libcommon htx_conn.h; ARCHITECTURE.md data path step 4).
 *
 * For: what upstreamd adds to the session glue: the peer's address and
 * key, the allowed_gateways check, the responses in flight (handed to
 * up_bridge), the admin listing and counters, the input pause for
 * compat/legacy peers, the server drain, and the session_open /
 * session_close log lines.  Not for: moving bytes and time (htx_conn),
 * requests and responses (up_bridge) or accepting (up_listener).
 *
 * Memory is bounded per connection: the input evbuffer by UP_IN_HIGH
 * (the session takes bytes only as its windows allow), the output
 * evbuffer by UP_OUT_HIGH (the session's send queues hold the rest,
 * bounded by max_send_session).  The server owns every connection;
 * up_conn_free() may be called at any time (inside a callback of the
 * connection, htx_conn defers the socket's end to the callback's
 * return).
 */
#ifndef UP_CONN_H
#define UP_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "betanet/htx_session.h"

#define UP_OUT_HIGH	(256u << 10)	/* stop pulling from the session */
#define UP_OUT_LOW	(64u << 10)	/* resume below this */
#define UP_IN_HIGH	(128u << 10)	/* stop reading the socket */
#define UP_PEER_MAX	64

struct bn_htx_conn;
struct up_server;
struct up_tx;
struct sockaddr;

struct up_conn {
	struct up_server	*srv;
	struct up_conn		*next, *prev;
	struct bn_htx_conn	*hc;
	struct bn_htx_session	*s;		/* hc's, lent */
	struct up_tx		*tx;		/* responses in flight */
	uint32_t		 ntx;
	uint64_t		 id;
	uint64_t		 opened_ms;
	uint64_t		 requests;
	char			 peer[UP_PEER_MAX];
	uint8_t			 peer_pub[BN_KEY_LEN];
	unsigned		 legacy:1;	/* on a legacy listener */
	unsigned		 open:1;	/* HANDSHAKE_DONE seen */
	unsigned		 closed:1;	/* CLOSED seen */
	unsigned		 draining:1;	/* server drain: close idle */
	enum bn_htx_profile	 profile;
	char			 close_reason[48];
};

/* Take fd (closed on failure); NULL when out of memory. */
struct up_conn *up_conn_new(struct up_server *srv, evutil_socket_t fd,
	    const struct sockaddr *sa, int salen, int legacy);
/* Close the socket and free; reason goes to the session_close line. */
void	up_conn_free(struct up_conn *c, const char *reason);
/*
 * Move everything that can move (bn_htx_conn_run()): call it after
 * writing to the session from outside a callback of c.  It may free c.
 */
void	up_conn_run(struct up_conn *c);
/* Server drain: CLOSE the session once no response is in flight. */
void	up_conn_drain(struct up_conn *c);
/* Heap bytes of this connection (session + struct + buffers now). */
size_t	up_conn_memory(const struct up_conn *c);

#endif /* UP_CONN_H */
