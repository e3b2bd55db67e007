/*
 * logsend.h - the event log to a syslog collector (settings log.server,
 * log.port, log.proto): each event an RFC 5424 message, one UDP datagram
 * each (RFC 5426), or octet-counted over TLS (RFC 5425) where the board has
 * it (AGENT_LOG_TLS). Messages are taken from the event ring by sequence
 * number: while the collector cannot be reached they wait there, in order;
 * what falls out of the ring before it could go is counted and the next
 * message says how many (lost="N").
 *
 * Context: main loop only; no call blocks.
 */
#ifndef LOGSEND_H
#define LOGSEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

/* The structured data's ID: name@private enterprise number. 32473 is the
 * number RFC 5612 sets aside for documentation; an appliance maker puts
 * its own here. */
#ifndef LOGSEND_SD_ID
#define LOGSEND_SD_ID "smbwarden@32473"
#endif

typedef struct {
    uint32_t sent;     /* messages handed to the network */
    uint32_t lost;     /* events that fell out of the ring unsent */
    uint32_t failures; /* sends refused, connections that failed or broke */
    uint32_t next;     /* sequence number of the next event to send */
    bool up;           /* the last send worked (TLS: the connection is up) */
} logsend_stats_t;

/* Sends from event first_seq on (this start's first event). */
void logsend_init(uint32_t first_seq);

/* Sends what it can; returns the milliseconds until it wants to run again. */
uint32_t logsend_poll(uint32_t now_ms);

const logsend_stats_t *logsend_stats(void);

/* e as one RFC 5424 message in buf[cap] ("LEN " first when framed, for
 * TLS); lost: events missed just before it. Returns its length, 0 when it
 * does not fit. */
size_t logsend_format(const event_t *e, uint32_t lost, bool framed, char *buf, size_t cap);

/* The longest message logsend_format() writes. */
#define LOGSEND_MSG_MAX (3 * (EVENT_SUBJECT_MAX + EVENT_MORE_MAX) + 512)

#endif
