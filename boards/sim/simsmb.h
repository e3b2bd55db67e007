/*
 * simsmb.h - a simulated SMB server behind hal/hal_smb.h, driven by a text
 * scenario. Used by the host board and by the firmware images: portable C11,
 * no heap, no stdio, fixed static RAM; time comes only from hal_clock_ms().
 *
 * Scenario format
 * ---------------
 * Line-oriented. '#' starts a comment to the end of the line (anywhere, even
 * inside a token); blank lines are ignored; tokens are separated by spaces,
 * tabs or CRs (so CRLF files work). Other control characters outside
 * comments are an error.
 * The whole text is at most 65535 bytes.
 *
 *   limit N                 the server admits at most N live sessions
 *                           (1..SIMSMB_SESSIONS_MAX; default
 *                           SIMSMB_SESSIONS_MAX). An open beyond it is
 *                           refused and counted (hal_smb_info_t.refusals).
 *   idle-source server      (default) records carry the server's idle
 *                           figure: HAL_SMB_F_IDLE set, idle_s = seconds
 *                           since the last activity, activity = 0.
 *   idle-source counter     records carry an activity counter instead:
 *                           no HAL_SMB_F_IDLE, idle_s = 0, activity starts
 *                           at 0 and goes up by one per touch/opens firing.
 *   at TIME VERB ARGS       once, TIME after the start.
 *   every PERIOD [from TIME] [until TIME] VERB ARGS
 *                           at from (default 0), from+PERIOD, ... while
 *                           < until (default forever). PERIOD >= 1s; until
 *                           must be later than from.
 * `limit` and `idle-source` may each appear once, anywhere. Each `at` and
 * `every` line is one event line; there may be SIMSMB_LINES_MAX of them.
 *
 * Verbs:
 *   open NAME client=C [user=U] [type=T] [opens=N] [idle=DUR] [age=DUR]
 *             [conn=TAG] [guest] [hold=DUR]
 *       A session appears (if the limit admits it). client is required and
 *       non-empty. No user, or `user=`: a null session. type defaults to
 *       SMB3_11 and may not be empty. opens (0..65535, default 0): open
 *       files. idle: already idle this long (default 0). age: connected this
 *       long (default = idle; must be >= idle). conn=TAG: sessions opened
 *       with the same TAG share one conn_id while any of them is live;
 *       otherwise every session has its own. guest: HAL_SMB_F_GUEST.
 *       hold=DUR: the session logs off by itself DUR after it appeared.
 *       Each firing opens a new session; NAME then refers to it. A refused
 *       open leaves NAME referring to its previous session.
 *   touch NAME      activity by NAME's session: idle back to 0 (counter +1).
 *   opens NAME N    its open-file count becomes N (0..65535); also activity.
 *   close NAME      it logs off.
 *   fail N          the next N samples fail (HAL_SMB_EFAIL). A later `fail`
 *                   replaces the count left, it does not add to it.
 *   touch/opens/close do nothing when NAME's session is not live; the NAME
 *   must be opened by some `open` line in the file (before or after).
 *
 * TIME, PERIOD, DUR: an unsigned integer with an optional suffix s (default),
 * m, h or d; the result must fit 32 bits of seconds. NAME and TAG: 1-15 of
 * A-Z a-z 0-9 _ . - (names and tags are separate namespaces). client, user,
 * type values: no spaces, at most HAL_SMB_CLIENT_MAX-1, HAL_SMB_USER_MAX-1,
 * HAL_SMB_TYPE_MAX-1 bytes; they are passed through unchanged.
 *
 * Timing rules
 * ------------
 * Simulated time is whole seconds since the load, accumulated from
 * hal_clock_ms() differences (wrap-safe, provided some call comes at least
 * once per 49.7-day clock wrap; good for 136 years). It advances on
 * every hal_smb_* call and on simsmb_live(), simsmb_refusals() and
 * simsmb_now_s(), except while a sample is in progress (between its first
 * and its last batch), when it is frozen and end_* requests are deferred to
 * the end of the sample, so that every batch comes from one snapshot. (A
 * caller that stopped half-way would freeze the simulation; hal_smb.h has
 * it finish every sample, and an EFAIL or a load ends one.)
 * Due events apply in time order; at equal times, hold expiries first, then
 * event lines in file order.
 *
 * Long jumps: firings that cannot add or remove a session are applied in
 * bulk: refused opens are counted all at once, and of a run of touch/opens/
 * close/fail firings only the last one is applied (the counter still goes up
 * by the number of firings). Each open admitted and each session closed is
 * one step, and one call takes at most SIMSMB_STEPS_MAX steps; a scenario
 * that churns faster than that falls behind the clock and catches up on
 * later calls (see simsmb_now_s()) rather than stalling the caller.
 *
 * Ids: session ids start at 0x1001, conn ids at 5001; both count up and are
 * not reused until the next load. end_client compares the client name
 * without regard to ASCII case. All three end_* granularities are supported.
 */
#ifndef SIMSMB_H
#define SIMSMB_H

#include <stddef.h>
#include <stdint.h>

/* Live sessions the table holds (20 bytes each). 1..65535. */
#ifndef SIMSMB_SESSIONS_MAX
#define SIMSMB_SESSIONS_MAX 80
#endif

/* Event lines (`at`/`every`) a scenario may have (48 bytes each). 1..254. */
#ifndef SIMSMB_LINES_MAX
#define SIMSMB_LINES_MAX 48
#endif

/* Steps (instants at which a session is added or removed) one call may
 * simulate before it returns and leaves the rest for the next call. */
#ifndef SIMSMB_STEPS_MAX
#define SIMSMB_STEPS_MAX 256
#endif

#if SIMSMB_SESSIONS_MAX < 1 || SIMSMB_SESSIONS_MAX > 65535
#error "SIMSMB_SESSIONS_MAX must be 1..65535"
#endif
#if SIMSMB_LINES_MAX < 1 || SIMSMB_LINES_MAX > 254
#error "SIMSMB_LINES_MAX must be 1..254"
#endif
#if SIMSMB_STEPS_MAX < 1
#error "SIMSMB_STEPS_MAX must be at least 1"
#endif

typedef struct {
    uint32_t line; /* 1-based; 0 = the text as a whole */
    char msg[80];  /* one line, without the line number */
} simsmb_error_t;

/*
 * Parses and validates the whole scenario. On success (0) it replaces the
 * running one: sessions, counters and ids start afresh and simulated time
 * restarts at 0 (= hal_clock_ms() now). On error (-1) err is filled and the
 * running scenario carries on unchanged. text need not be NUL-terminated and
 * must stay valid and unchanged while it is loaded (strings are referenced,
 * not copied). err may be NULL.
 */
int simsmb_load(const char *text, size_t len, simsmb_error_t *err);

/* The built-in scenario (NUL-terminated): the session-leak problem at a limit
 * of 10, full from the start. Its comments describe it. */
extern const char simsmb_default_scenario[];

uint32_t simsmb_live(void);       /* live sessions now (advances time) */
uint32_t simsmb_refusals(void);   /* opens refused at the limit so far (advances) */
uint32_t simsmb_opens_lost(void); /* open files closed by end_* calls */
uint32_t simsmb_now_s(void);      /* simulated seconds since the load (advances) */

#endif
