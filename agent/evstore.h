/*
 * evstore.h - events across restarts.
 *
 * Numbering: event numbers are taken from the NV store a block at a time
 * (AGENT_EVENT_SEQ_BLOCK). The store always holds a number above every
 * number handed out, so after a restart or a power cut numbering goes on
 * above the last event and no number is used for two events; a poller's
 * cursor stays valid. A restart skips what was left of the block, except
 * after an orderly stop (evstore_stop), which stores the next number
 * itself.
 *
 * Events: on a board with AGENT_NV_EVENT_PAGES, each event but a session
 * seen or closed is also written to a circular log of checksummed slots in
 * those pages, and read back at start with its own number, those of the
 * newest AGENT_EVENT_CAP numbers; the numbers between are gaps in the ring
 * (events.h), as is what a restart skipped.
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

/* Writes events added since the last call to the log (what fell out of
 * the ring meanwhile is skipped). */
void evstore_poll(const events_t *ev);

/* An orderly stop: writes what is left and stores the next number, so the
 * next start goes on from it exactly. Nothing may be logged after it. */
void evstore_stop(const events_t *ev);

const evstore_stats_t *evstore_stats(void);

#endif
