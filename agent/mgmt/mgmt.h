/*
 * mgmt.h - the management channel: connections handed over by the board's
 * network code, each driven through TLS, HTTP request parsing, the API and
 * a chunked response, with limits and timeouts so that no client can wedge
 * the server or hold its resources.
 *
 *     mgmt_init();                        once, after agent_init()
 *     board: for each new connection: if (!mgmt_accept(&t)) t.close(t.ctx);
 *     loop:  mgmt_poll(hal_clock_ms());
 */
#ifndef MGMT_H
#define MGMT_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"
#include "transport.h"

#ifndef MGMT_CONN_MAX
#define MGMT_CONN_MAX 4 /* connections served at once; more are refused */
#endif

typedef struct {
    uint32_t accepted; /* connections taken */
    uint32_t refused;  /* connections closed at accept: all slots busy */
    uint32_t open;     /* connections now */
    uint32_t requests; /* requests answered */
    uint32_t timeouts; /* connections closed for a stalled handshake,
                          request or response, or for idling */
} mgmt_stats_t;

/* Loads credentials, sets up TLS, adds the `cert` console commands. */
void mgmt_init(void);

/* Closes every connection and reloads the credentials (after `cert`
 * commands). 0, or -1 with the reason in err: TLS is then not ready. */
int mgmt_reload(fmt_t *err);

/* Takes a new connection; false when every slot is busy (counted: the
 * caller closes it). */
bool mgmt_accept(const transport_t *t);

/* Advances every connection a bounded step. Returns the ms until it needs
 * to run again (0: at once). */
uint32_t mgmt_poll(uint32_t now_ms);

const mgmt_stats_t *mgmt_stats(void);

#endif
