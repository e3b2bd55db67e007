/*
 * events.h - the ring of decisions and happenings, with 32-bit sequence
 * numbers. The oldest event is overwritten when the ring is full; a reader
 * holding an older cursor is told how many it lost. Events read back after
 * a restart may leave gaps, numbers that hold no event (the log keeps
 * only some types, see evstore.h): a reader passes over them, told how
 * many.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdbool.h>
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
    EV_NV,             /* a stored record torn or corrupt; subject: which
                          record; reason: 0 the last good copy in force,
                          1 the defaults (settings), 2 none (a credential) */
    EV_SAVED,          /* configuration saved */
    EV_CREDS,          /* a credential changed; subject: which, reason: creds_act_t */
    EV_TYPE_COUNT
} event_type_t;

/* What an EV_CREDS event did (its reason). */
typedef enum { CREDS_ACT_STORED = 0, CREDS_ACT_STAGED, CREDS_ACT_ACTIVATED,
               CREDS_ACT_CLEARED } creds_act_t;

#define EVENT_SUBJECT_MAX AGENT_EVENT_SUBJECT_MAX /* bytes incl. NUL; see agent_opt.h */
#define EVENT_MORE_MAX AGENT_EVENT_MORE_MAX

/* Who made an event happen. */
typedef enum {
    ACTOR_POLICY = 0, /* the agent itself: its policy, its samples */
    ACTOR_CONSOLE,    /* an admin on the console */
    ACTOR_API,        /* an operator on the API; name: the client's CN or PSK identity */
    ACTOR_START,      /* the agent starting: files named on its command line */
} actor_kind_t;

typedef struct {
    uint8_t kind;     /* actor_kind_t */
    const char *name; /* ACTOR_API: who; else NULL */
} actor_t;

/* event_t.flags */
#define EVENT_WALL 0x01u /* time_s is wall time (seconds since 1970 UTC), not uptime */

typedef struct {
    uint32_t seq;    /* 1, 2, 3, ... wraps after 2^32 */
    uint32_t time_s; /* wall time when EVENT_WALL, else agent uptime */
    uint32_t session;/* agent session id, 0 = none */
    uint32_t arg;
    uint8_t type;    /* event_type_t */
    uint8_t reason;  /* type-specific code */
    uint8_t actor;   /* actor_kind_t */
    uint8_t flags;   /* EVENT_WALL */
    char subject[EVENT_SUBJECT_MAX]; /* client, key, ... */
    char more[EVENT_MORE_MAX];       /* actor name, NUL, detail, NUL */
} event_t;

typedef struct {
    event_t ring[AGENT_EVENT_CAP]; /* `count` events from `head` on, numbers rising */
    uint32_t head;      /* where the oldest is */
    uint32_t count;     /* events held */
    uint32_t next_seq;  /* sequence number of the next event */
} events_t;

void events_init(events_t *ev);

/* Empties the ring; the next event is numbered seq (a number kept across
 * restarts, see evstore.h). */
void events_start_at(events_t *ev, uint32_t seq);

/* Appends an event, overwriting the oldest when full; returns it so the
 * caller can say who and how (events_note). subject may be NULL. */
event_t *events_add(events_t *ev, uint32_t time_s, event_type_t type,
                    uint8_t reason, uint32_t session, uint32_t arg,
                    const char *subject);

/* Puts a whole event (one read back from the NV store) after the newest,
 * at its own number: events_next() or later (the numbers between are a
 * gap). The ring goes on from it. */
void events_put(events_t *ev, const event_t *e);

/* The next event is numbered seq, events_next() or later: the numbers
 * between are a gap. */
void events_skip(events_t *ev, uint32_t seq);

/* Says who caused e (by may be NULL: the policy) and adds a detail
 * ("report -> enforce"; may be NULL). Both are cut to fit, on a UTF-8
 * character boundary; control bytes and ill-formed UTF-8 become '?', as in
 * the subject. */
void events_note(event_t *e, const actor_t *by, const char *detail);

/* Makes e's texts printable UTF-8, terminated inside their fields (an
 * event read back from the NV store). */
void events_clean(event_t *e);

/* The actor's name and the detail of e ("" when none). */
const char *events_by_name(const event_t *e);
const char *events_detail(const event_t *e);

/* "policy", "console", "api", "start". */
const char *events_actor_name(actor_kind_t kind);

/* Sequence number of the oldest event still held (== next when empty). */
uint32_t events_first(const events_t *ev);

/* Sequence number the next event will get. */
uint32_t events_next(const events_t *ev);

/* The event numbered seq, or NULL if it is not (or no longer) held, or is
 * a gap's. */
const event_t *events_get(const events_t *ev, uint32_t seq);

/* Passes over a gap: for seq from the oldest to the newest, the number of
 * the first event held at seq or after (events_next() when none); any
 * other seq as it is. */
uint32_t events_from(const events_t *ev, uint32_t seq);

/* How many events are held, and the number of the k-th oldest of them
 * (k < events_held()). */
uint32_t events_held(const events_t *ev);
uint32_t events_at(const events_t *ev, uint32_t k);

/*
 * Where a reader that has seen every event up to and including `cursor`
 * resumes (cursor 0: it has seen nothing).
 * Returns the first sequence number to read; *lost is the number of events
 * after the cursor that fell out of the ring, and of numbers in gaps after
 * it. A cursor ahead of the ring (from before a reboot) resumes at the
 * oldest held event.
 */
uint32_t events_resume(const events_t *ev, uint32_t cursor, uint32_t *lost);

/* One line saying what happened, for `show events` and the API: what,
 * then the detail, then who when not the policy ("[by api alice]"). */
void events_describe(const event_t *e, fmt_t *out);

/* Short name of a type ("evicted"), for text and JSON. */
const char *events_type_name(event_type_t type);

#endif
