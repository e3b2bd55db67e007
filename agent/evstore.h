/*
 * evstore.h - events across restarts.
 *
 * Numbering: event numbers are taken from the NV store a block at a time
 * (AGENT_EVENT_SEQ_BLOCK). The store always holds a number above every
 * number handed out, so after a restart or a power cut numbering goes on
 * above the last event and no number is used for two events; a poller's
 * cursor stays valid. A restart skips what was left of the block.
 *
 * Events: on a board with AGENT_NV_EVENT_PAGES, each event is also written
 * to a circular log of checksummed slots in those pages, and the newest
 * AGENT_EVENT_CAP are read back at start with their own numbers.
 */
#ifndef EVSTORE_H
#define EVSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "events.h"

typedef struct {
    uint32_t restored; /* events read back at start */
    uint32_t failures; /* NV writes that failed (the ring still holds them) */
    uint8_t torn;      /* torn copies found at start: the slot after the
                          newest event (an event lost as power failed while
                          it was written) and the numbering mark's */
} evstore_stats_t;

/* Reads back numbering and events into ev (after events_init) and takes
 * the first block of numbers. */
void evstore_boot(events_t *ev);

/* Takes a new block of numbers when fewer than half of the block are left;
 * call before adding an event. Blocks for an NV save when it does. */
void evstore_reserve(const events_t *ev);

/* Writes events added since the last call to the log (a bounded number per
 * call; what fell out of the ring meanwhile is skipped). */
void evstore_poll(const events_t *ev);

const evstore_stats_t *evstore_stats(void);

#endif
