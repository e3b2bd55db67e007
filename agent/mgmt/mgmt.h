/*
 * mgmt.h - the management channel: connections handed over by the board's
 * network code, each driven through TLS, HTTP request parsing, the API and
 * a chunked response, with limits and timeouts so that no client can wedge
 * the server or hold its resources.
 *
 *     mgmt_init();                        once, after agent_init()
 *     board: for each new connection: if (!mgmt_accept(&t)) t.close(t.ctx);
 *     loop:  mgmt_poll(hal_clock_ms());
 *
 * No lockout (an unauthenticated peer must never cost an authenticated one
 * its service): a new connection waits in a small lobby, holding no TLS
 * memory, until it sends its first bytes. Only then does it take a slot: a
 * free one, or the slot of a connection that has made no progress for
 * MGMT_GRACE_MS (silent, a handshake stalled on its peer, an idle
 * kept-alive client, a reader that stopped reading), oldest first, never
 * one making progress. The lobby connection that has said most goes first
 * (then the newest): a whole ClientHello before one trickled a byte at a
 * time. A full lobby makes room by the connection that has said least
 * (then the oldest), sparing those that came within MGMT_LOBBY_YOUNG_MS. Silent connections leave the lobby after
 * MGMT_LOBBY_MS, or sooner when newcomers need the room. Full handshakes
 * (seconds of CPU on the chip) are rationed by a token bucket; resumed ones
 * (milliseconds) are not.
 */
#ifndef MGMT_H
#define MGMT_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"
#include "transport.h"

#ifndef MGMT_CONN_MAX
#define MGMT_CONN_MAX 4 /* connections served at once (TLS contexts) */
#endif
/* Bytes of a response written at once: headers, or one chunk of the body,
 * each one TLS record (at most MBEDTLS_SSL_OUT_CONTENT_LEN, checked in
 * tls.c). The record size fills records; the firmware trades 512 B of RAM
 * for some more records. */
#ifndef MGMT_OUT_MAX
#define MGMT_OUT_MAX 2048
#endif
#ifndef MGMT_LOBBY_MAX
#define MGMT_LOBBY_MAX 64 /* connections waiting for their first bytes or a slot */
#endif
#ifndef MGMT_LOBBY_YOUNG_MS
#define MGMT_LOBBY_YOUNG_MS 200 /* a newcomer's first bytes are on their way */
#endif
#ifndef MGMT_HELLO_BYTES
#define MGMT_HELLO_BYTES 512 /* lobby ranks: bytes said, counted up to this */
#endif
#ifndef MGMT_LOBBY_MS
#define MGMT_LOBBY_MS 2000 /* the longest a connection waits in the lobby */
#endif
#ifndef MGMT_GRACE_MS
#define MGMT_GRACE_MS 1000 /* no progress this long: the slot may go to a newcomer */
#endif
/* Full (not resumed) ECDHE handshakes: at most BURST at once, then one more
 * every EVERY_MS. The rest are refused after ServerHello, before any ECC. A
 * handshake that completes gives its token back: only unfinished ones (a
 * flood of ClientHellos, half-open handshakes) use the ration up. Within
 * it, each source address has a share of half, and a full handshake
 * needs a token of its share as well; a source that has been quiet (its
 * share full, nothing asked for MGMT_QUIET_MS) needs none of the whole
 * ration, so a flood from other addresses leaves a poller its turn, at the
 * price of at most one handshake per quiet source per MGMT_QUIET_MS beyond
 * the ration. MGMT_SOURCES sources are kept; a new one (one token, not
 * quiet) takes the place of one whose handshakes never completed, the
 * least recently seen, before a client's. A flood from the poller's own
 * address still leaves it nothing: pollers then need to resume. */
#ifndef MGMT_FULL_HS_BURST
#define MGMT_FULL_HS_BURST 10
#endif
#ifndef MGMT_FULL_HS_EVERY_MS
#define MGMT_FULL_HS_EVERY_MS 50
#endif
#ifndef MGMT_SOURCES
#define MGMT_SOURCES 16
#endif
#ifndef MGMT_QUIET_MS
#define MGMT_QUIET_MS 500
#endif
#if MGMT_CONN_MAX < 1 || MGMT_LOBBY_MAX < 1 || MGMT_FULL_HS_BURST < 1 || MGMT_SOURCES < 1
#error "the management channel needs a slot, a lobby place and a full handshake"
#endif

typedef struct {
    uint32_t accepted;  /* connections taken into the lobby */
    uint32_t refused;   /* connections closed at accept: no room at all */
    uint32_t dropped;   /* closed in the lobby: silent too long, or pushed
                           out by newcomers */
    uint32_t evicted;   /* served connections whose slot went to a newcomer
                           while they made no progress */
    uint32_t full;      /* full handshakes the ration let start their ECC */
    uint32_t throttled; /* full handshakes refused by the ration */
    uint32_t open;      /* connections served now (slots in use) */
    uint32_t waiting;   /* connections in the lobby now */
    uint32_t requests;  /* requests answered */
    uint32_t timeouts;  /* connections closed for a stalled handshake,
                           request or response, or for idling */
} mgmt_stats_t;

/* Loads credentials, sets up TLS, adds the `cert` console commands. */
void mgmt_init(void);

/* Takes a new connection into the lobby, closing the oldest silent one
 * there when it is full; false when there is no room even so (counted: the
 * caller closes it). */
bool mgmt_accept(const transport_t *t);

/* Advances every connection a bounded step. Returns the ms until it needs
 * to run again (0: at once). */
uint32_t mgmt_poll(uint32_t now_ms);

const mgmt_stats_t *mgmt_stats(void);

#endif
