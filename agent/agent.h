/*
 * agent.h - the smbwarden core: one instance, driven by the board's loop.
 *
 *     agent_init(&opt, hal_clock_ms());
 *     for (;;) { sleep up to agent_poll(hal_clock_ms()) ms or until input; }
 *
 * The core samples the SMB session table through hal_smb.h, keeps the
 * session ring, classifies sessions by policy, evicts in enforce mode, and
 * serves the console. It allocates nothing and never blocks.
 */
#ifndef AGENT_H
#define AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "events.h"
#include "fmt.h"
#include "leaks.h"
#include "ring.h"

typedef struct {
    bool console_echo; /* the console is a terminal: echo and edit lines */
} agent_options_t;

typedef struct {
    uint32_t boot_seq;          /* event number of this start's "boot" */
    uint32_t samples;           /* samples completed */
    uint32_t sample_failures;   /* samples the HAL failed */
    uint32_t last_ok_s;         /* agent time of the last good sample */
    bool last_ok;               /* the most recent sample succeeded */
    uint32_t server_sessions;   /* sessions in the last good sample */
    uint32_t untracked;         /* of those, not in the ring (table full) */
    uint32_t rejected;          /* records dropped as malformed (repeated ids) */
    uint32_t evict_requests;    /* sessions the server was asked to end */
    uint32_t evictions;         /* ... and found gone afterwards */
    uint32_t eviction_failures; /* ... and found still there, or refused */
    uint32_t refusals;          /* the server's refusals at its limit */
    bool has_refusals;          /* the server reports refusals */
    bool pressure;              /* limit pressure is on */
} agent_stats_t;

/* Outcome of an operator's delete request. */
typedef enum {
    AGENT_DEL_OK = 0,        /* asked; the next sample confirms */
    AGENT_DEL_ENOENT = -1,   /* no such live session or client */
    AGENT_DEL_EBLOCKED = -2, /* a safety rule forbids it (force may lift) */
    AGENT_DEL_ESTALE = -3,   /* the session data is not from a good, fresh sample */
    AGENT_DEL_EFAIL = -4,    /* the server refused or failed */
} agent_del_t;

/* Starts the core: loads saved settings, logs boot, schedules a sample. */
void agent_init(const agent_options_t *opt, uint32_t now_ms);

/* An orderly stop, the board about to exit or restart: the stores take
 * what they need to go on exactly (events.h's numbering). Call last. */
void agent_stop(void);

/*
 * Does a bounded amount of work. Returns how many ms the board may wait
 * before calling again (0: call again at once); console input should wake
 * it earlier.
 */
uint32_t agent_poll(uint32_t now_ms);

/* Read access for the console and the management API. */
const cfg_t *agent_cfg(void);
/* The settings a restart would bring: read back from the NV store (the
 * defaults where it keeps none that makes sense). Uses about 1 KB of stack. */
void agent_cfg_saved(cfg_t *out);
const ring_t *agent_ring(void);
const events_t *agent_events(void);
const agent_stats_t *agent_stats(void);
uint32_t agent_now_s(void); /* uptime in seconds */
/* Wall time (seconds since 1970, UTC) when the board's clock has been set
 * (2020 or later), else 0. */
uint32_t agent_wall_s(void);
/* What events and leak sources are stamped with: wall time, else uptime. */
uint32_t agent_stamp_s(void);
/* Stamps from this on are wall time; below it, uptime. */
#define AGENT_WALL_MIN_S 1577836800u /* 2020-01-01 */

/* The table of leak sources (leaks.h). */
const leaks_t *agent_leaks(void);

/* When the server reaches policy.session_limit if nothing is evicted:
 * seconds at the leak sources' rate from the sessions it has now (0 at or
 * above the limit). False when no limit is set or nothing leaks. */
bool agent_time_to_limit(uint32_t *secs);

/*
 * Replaces the settings with next after cfg_check; logs one event per key
 * that changed, with its old and new value and who (by). CFG_OK or CFG_ECHECK (message in err, nothing changed).
 */
cfg_status_t agent_cfg_apply(const cfg_t *next, const actor_t *by, fmt_t *err);

/* Saves the settings to the NV store. 0, or -1 with a message in err. */
int agent_cfg_save(const actor_t *by, fmt_t *err);

/* Logs an event that happened outside the core (a credential changed):
 * subject, who caused it, and a detail (may be NULL). */
void agent_log(event_type_t t, uint8_t reason, const char *subject, const actor_t *by,
               const char *detail);

/* Logs that a record in the NV store was found damaged at start (what a
 * power cut during its save leaves): which record, how many of its copies
 * were bad, and whether none was left (then its default is in force). */
void agent_log_damage(const char *record, uint32_t bad, bool none_left);

/* An operator's delete, as `net session /delete` and NetSessionDel take it:
 * one session by id, or every live session of a client, of a user, or of
 * that user on that client. */
typedef struct {
    uint32_t id;            /* the agent's session id; 0 to name by client/user */
    const char *client;     /* "WS01" or "\\\\WS01"; NULL: any client */
    const char *user;       /* "CORP\\bob" or "bob"; NULL: any user */
    bool force;             /* lifts the open-file and protect rules */
    const char *force_word; /* how this operator says force: "'force'", "?force=1" */
    const actor_t *by;      /* who asks, for the event log */
    uint32_t asked;         /* out: sessions the server was asked to end
                               (those on a shared connection included) */
    uint32_t held;          /* out: named sessions a safety rule kept */
} agent_del_req_t;

/*
 * Ends what req names. One session is ended whole or not at all; for a
 * client or user, the sessions no safety rule keeps are ended and the rest
 * held back. The message counts both and gives each held session's reason.
 * AGENT_DEL_OK when any end was requested (or all were already pending);
 * EBLOCKED when every named session was held back.
 */
agent_del_t agent_delete(agent_del_req_t *req, fmt_t *msg);

#endif
