/*
 * up_bridge: session events <-> the application (WIRE.md §3, §3b, §8).
 *
 * For: turning one whole message of a stream into an answer, by profile:
 *  - native: a BAR request -> bn_app_handle() (or the origin proxy for
 *    paths no route handles) -> a BAR response on the same stream.  The
 *    response is written as head || body || tail (deterministic CBOR
 *    puts "b" first), so a large body or a static file goes out in
 *    chunks as the session's send queue takes them (WRITABLE), never
 *    copied whole;
 *  - compat: a BAR request or the text form (`GET /p`, `POST /p\n\nbody`;
 *    first byte 0xa0..0xbf means a CBOR map, i.e. BAR) answered with the
 *    body only, one frame, as the Python server does;
 *  - legacy11: echo, each STREAM frame answered with the same payload on
 *    the same stream (§3b).  We do not push the Python echo server's
 *    extra control frame (STREAM on stream 2): clients must skip it, so
 *    leaving it out is compatible, and it carries nothing we define.
 * Not for: sockets or timers (up_conn).  The responses in flight belong
 * to their connection (c->tx) and go with up_bridge_free_all().
 */
#ifndef UP_BRIDGE_H
#define UP_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

struct up_conn;

/* A whole message (MESSAGE event) of stream sid. */
void	up_bridge_message(struct up_conn *c, uint32_t sid,
	    const uint8_t *p, size_t len);
/* STREAM_RESET: answer 413 when the message passed max_message. */
void	up_bridge_reset(struct up_conn *c, uint32_t sid, int err);
/* WRITABLE (or after output moved): push what waits for room. */
void	up_bridge_pump(struct up_conn *c);
/* Drop every response in flight (connection going away). */
void	up_bridge_free_all(struct up_conn *c);

#endif /* UP_BRIDGE_H */
