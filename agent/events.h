/*
 * events.h - the ring of decisions and happenings, with 32-bit sequence
 * numbers. The oldest event is overwritten when the ring is full; a reader
 * holding an older cursor is told how many it lost.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdint.h>

#include "agent_opt.h"
#include "fmt.h"

typedef enum {
    EV_BOOT = 0,       /* arg: events lost (always 0) */
    EV_SEEN,           /* a session appeared */
    EV_STALE,          /* a session became stale; reason */
    EV_EVICT_ASKED,    /* the server was asked to end it; arg: 1 if forced */
    EV_EVICTED,        /* it is gone after being asked */
    EV_EVICT_FAILED,   /* still there after being asked */
    EV_EVICT_BLOCKED,  /* stale but a safety rule holds it; reason: block_t */
    EV_CLOSED,         /* it ended without the agent */
    EV_TRUNCATED,      /* the ring is full; arg: untracked sessions */
    EV_SAMPLE_FAILED,  /* the server's table could not be read */
    EV_LIMIT,          /* limit pressure began (arg: sessions) */
    EV_CONFIG,         /* a setting changed; subject: key */
    EV_NV,             /* stored configuration unusable; reason: nv_t */
    EV_SAVED,          /* configuration saved */
    EV_TYPE_COUNT
} event_type_t;

#define EVENT_SUBJECT_MAX AGENT_EVENT_SUBJECT_MAX /* bytes incl. NUL; see agent_opt.h */

typedef struct {
    uint32_t seq;    /* 1, 2, 3, ... wraps after 2^32 */
    uint32_t time_s; /* agent uptime when it happened */
    uint32_t session;/* agent session id, 0 = none */
    uint32_t arg;
    uint8_t type;    /* event_type_t */
    uint8_t reason;  /* type-specific code */
    char subject[EVENT_SUBJECT_MAX]; /* client, key, ... */
} event_t;

typedef struct {
    event_t ring[AGENT_EVENT_CAP];
    uint32_t next_seq; /* sequence number of the next event */
} events_t;

void events_init(events_t *ev);

/* Appends an event, overwriting the oldest when full. subject may be NULL. */
void events_add(events_t *ev, uint32_t time_s, event_type_t type,
                uint8_t reason, uint32_t session, uint32_t arg,
                const char *subject);

/* Sequence number of the oldest event still held (== next when empty). */
uint32_t events_first(const events_t *ev);

/* Sequence number the next event will get. */
uint32_t events_next(const events_t *ev);

/* The event numbered seq, or NULL if it is not (or no longer) held. */
const event_t *events_get(const events_t *ev, uint32_t seq);

/*
 * Where a reader that has seen every event up to and including `cursor`
 * resumes (cursor 0: it has seen nothing).
 * Returns the first sequence number to read; *lost is the number of events
 * after the cursor that fell out of the ring. A cursor ahead of the ring
 * (from before a reboot) resumes at the oldest held event.
 */
uint32_t events_resume(const events_t *ev, uint32_t cursor, uint32_t *lost);

/* One line saying what happened, for `show events` and the API. */
void events_describe(const event_t *e, fmt_t *out);

/* Short name of a type ("evicted"), for text and JSON. */
const char *events_type_name(event_type_t type);

#endif
