/*
 * leaks.h - where leaked sessions come from: one row per (client, user)
 * whose sessions went stale, with what became of them and how fast they
 * come.
 *
 * A session is counted once, under the reason it first went stale with,
 * at the time it was last active (when it went stale less its idle time:
 * when it leaked); null sessions (user "") are grouped by the client's
 * name or address.
 * The rate is stale sessions a day over a sliding window of the last day
 * (six four-hour slots), over one slot at least for a young row. The
 * table has AGENT_LEAK_CAP rows: when a new source finds it full, the row
 * with the fewest sessions (then the one whose latest leak is oldest) gives
 * way and the drop is counted. Stamps are the events' (wall time when the
 * board has it, else agent time).
 *
 * On a board that keeps its event log across restarts (AGENT_NV_EVENT_PAGES),
 * the table is kept in NV pages too (AGENT_NV_LEAK_PAGE...), written after
 * each sample that changed it: the rows changed go after their pair's
 * record, in its page's tail (nvrec.h), until the page is full and the pair
 * is written anew.
 */
#ifndef LEAKS_H
#define LEAKS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_opt.h"
#include "hal_smb.h"
#include "nvrec.h"
#include "ring.h"

#define LEAK_REASONS 5               /* REASON_IDLE .. REASON_ORPHAN */
#define LEAK_SLOTS 6                 /* the rate's window: six slots ... */
#define LEAK_SLOT_S (4u * 3600u)     /* ... of four hours */
#define LEAK_MIN_SPAN_S LEAK_SLOT_S  /* a young row's rate is over one slot at least */
#define LEAK_COUNT_MAX 0xffffu       /* counts stop there */
#define LEAKS_DAY10 864000u          /* rate10 = sessions * LEAKS_DAY10 / seconds */

typedef struct {
    char client[HAL_SMB_CLIENT_MAX]; /* "" = a free row */
    char user[HAL_SMB_USER_MAX];     /* "" = null sessions */
    uint32_t key;                    /* leaks_key(client, user), to find it fast */
    uint32_t first_s, last_s;        /* when its first and its latest session leaked */
    uint32_t slot_at;                /* window slot (stamp / LEAK_SLOT_S) of slot[0] */
    uint16_t by_reason[LEAK_REASONS];
    uint16_t evicted;                /* of those, ended by the agent */
    uint16_t ended;                  /* ... ended by themselves */
    uint16_t slot[LEAK_SLOTS];       /* stale sessions per slot, [0] the newest */
} leak_t;

/* The rows by key (with AGENT_RING_INDEX; a small table is scanned): a
 * probe table at least twice the rows' size. */
#define LEAK_INDEX_BITS (AGENT_LEAK_CAP <= 8 ? 4 : AGENT_LEAK_CAP <= 16 ? 5 : AGENT_LEAK_CAP <= 32 ? 6 : \
                         AGENT_LEAK_CAP <= 64 ? 7 : AGENT_LEAK_CAP <= 128 ? 8 : AGENT_LEAK_CAP <= 256 ? 9 : \
                         AGENT_LEAK_CAP <= 512 ? 10 : 11)
#if AGENT_LEAK_CAP < 255
typedef uint8_t leak_at_t;
#else
typedef uint16_t leak_at_t;
#endif

typedef struct {
    leak_t row[AGENT_LEAK_CAP];
#if AGENT_RING_INDEX
    leak_at_t index[1u << LEAK_INDEX_BITS]; /* row + 1 of each row in use, from its key on
                                               (0: empty) */
#endif
    uint32_t dropped; /* rows that gave way to a new source */
    uint32_t dirty[(AGENT_LEAK_CAP + 31) / 32]; /* rows changed since the last save */
    uint32_t total[AGENT_LEAK_CAP]; /* leak_total() of each row, for choosing one to give way */
#if AGENT_NV_EVENT_PAGES
    uint32_t loaded_last[AGENT_LEAK_CAP]; /* last_s of each row as read from NV (0: none;
                                             the Linux boards stamp with wall time) */
    nvrec_info_t pair[AGENT_NV_LEAK_PAGES / 2]; /* each pair's newest record, as last
                                                  loaded or saved (nvrec_save_from) */
    uint32_t tail[AGENT_NV_LEAK_PAGES / 2]; /* where in that record's page the next
                                               changed row goes (0: the pair is
                                               written anew at its next save) */
#endif
} leaks_t;

void leaks_init(leaks_t *t);

/* The case-folded hash a source's row is found by (a client "" is "?", as
 * its row names it); the functions below take it as key. */
uint32_t leaks_key(const char *client, const char *user);

/* The same, with client_hash = text_ihash(client) at hand. */
uint32_t leaks_key_hashed(const char *client, uint32_t client_hash, const char *user);

/* A session of client and user went stale for reason why (REASON_IDLE ..
 * REASON_ORPHAN); it leaked at stamp `when`, when it was last active. */
void leaks_stale(leaks_t *t, uint32_t key, const char *client, const char *user, sess_reason_t why,
                 uint32_t when);

/* Whether the source, as read back from NV at start, has a session that
 * leaked at `when` or later: after a restart, a session already stale may
 * be one counted before it. */
bool leaks_seen(const leaks_t *t, uint32_t key, const char *client, const char *user, uint32_t when);

/* A session counted by leaks_stale ended: by the agent, or by itself. */
void leaks_ended(leaks_t *t, uint32_t key, const char *client, const char *user, bool evicted);

/* Stale sessions of a row, all reasons. */
uint32_t leak_total(const leak_t *l);

/* A row's rate at stamp now, in tenths of a session a day. */
uint32_t leak_rate10(const leak_t *l, uint32_t now);

/* The reason most of a row's sessions went stale with. */
sess_reason_t leak_reason(const leak_t *l);

/* What an operator can do about a row, in a sentence. */
const char *leak_hint(const leak_t *l);

/* The row after prev (NULL: the first) in the order operators read them:
 * highest rate at now first, then most sessions, then table order. NULL
 * after the last. */
const leak_t *leaks_next(const leaks_t *t, uint32_t now, const leak_t *prev);

/* Rows in use, and the sum of their rates (tenths a day) at now. */
uint32_t leaks_rows(const leaks_t *t);
uint32_t leaks_rate10(const leaks_t *t, uint32_t now);

/* a * b / c, rounded down, saturating at UINT32_MAX (c > 0). A 32-bit
 * machine (the Cortex-M3, which has no 64-bit division) takes
 * leaks_muldiv_bits, a long division of its own; others divide. */
uint32_t leaks_muldiv(uint32_t a, uint32_t b, uint32_t c);
uint32_t leaks_muldiv_bits(uint32_t a, uint32_t b, uint32_t c);

/* Reads the table back from NV (an empty table when there is none, or
 * when what is there does not check out), and writes the pairs changed
 * since the last save. No-ops on a board without AGENT_NV_EVENT_PAGES. */
void leaks_load(leaks_t *t);
void leaks_save(leaks_t *t);

#endif
