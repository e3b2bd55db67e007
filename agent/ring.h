/*
 * ring.h - the fixed-capacity table of session records: live sessions and
 * the most recently ended ones, which are reused oldest-first.
 */
#ifndef RING_H
#define RING_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_opt.h"
#include "hal_smb.h"

typedef enum { SESS_FREE = 0, SESS_ACTIVE, SESS_STALE, SESS_ENDED } sess_state_t;

typedef enum {
    REASON_NONE = 0,
    REASON_IDLE,      /* idle past policy.idle_timeout, no open files */
    REASON_NULL,      /* null session older than policy.null_max_age */
    REASON_DUPLICATE, /* not the client's most recently active session */
    REASON_LIMIT,     /* chosen to relieve limit pressure */
    REASON_ORPHAN,    /* holds open files, idle past policy.orphan_idle */
    REASON_CLOSED,    /* ended without the agent (ended records) */
    REASON_EVICTED,   /* ended by the agent (ended records) */
    REASON_COUNT
} sess_reason_t;

/* Why a session the agent would end is left alone. */
typedef enum {
    BLOCK_NONE = 0,
    BLOCK_OPENS,     /* holds open files */
    BLOCK_PROTECTED, /* client or user in policy.protect */
    BLOCK_SIBLING,   /* shares its connection with a session that must stay */
    BLOCK_UNSUPPORTED, /* the server cannot end it at any granularity */
    BLOCK_RATE,      /* policy.evict_rate reached */
    BLOCK_COUNT
} block_t;

/* sess_t.flags beside the HAL's: counted in the leak table (leaks.h). */
#define SESS_F_LEAK 0x80u
_Static_assert(((HAL_SMB_F_GUEST | HAL_SMB_F_ENCRYPTED | HAL_SMB_F_SIGNED | HAL_SMB_F_IDLE) &
                SESS_F_LEAK) == 0, "the core's flag is not one of the HAL's");

typedef struct {
    uint32_t id;         /* agent's id, unique since boot; 0 = free slot */
    uint32_t session_id; /* server's */
    uint32_t conn_id;
#if AGENT_RING_INDEX
    uint32_t client_hash; /* text_ihash(client), the group index's key */
    uint32_t due_s;       /* agent time its verdict may change by time alone:
                             judged again then, or when a sample or the
                             settings bring something new (policy.c) */
    uint32_t leak_key;    /* with SESS_F_LEAK: its source's leaks_key() */
#endif
    char client[HAL_SMB_CLIENT_MAX];
    char user[HAL_SMB_USER_MAX];
    char type[HAL_SMB_TYPE_MAX];
    uint32_t opens;
    uint32_t connected_s; /* figures as of seen_s */
    uint32_t idle_s;
    uint32_t activity;    /* last activity counter, when the HAL gives one */
    uint32_t first_s;     /* agent time first seen */
    uint32_t seen_s;      /* agent time of the last sample listing it */
    union {               /* an ended record never comes back to life */
        uint32_t ended_s; /* ended: agent time it was found gone */
        uint32_t retry_s; /* live: no new eviction attempt before this time */
        uint32_t asked;   /* pending: the number of the sample under way
                             (taken or finished) when it was asked to go */
    };
    uint32_t sample;      /* number of the last sample listing it */
    uint8_t flags;        /* HAL_SMB_F_*, SESS_F_LEAK */
    uint8_t state;        /* sess_state_t */
    uint8_t reason;       /* sess_reason_t */
    uint8_t block;        /* block_t last reported, to report it once */
    uint8_t pending;      /* the server was asked to end it */
    uint8_t forced;       /* ... by an operator with force */
    uint8_t was;          /* reason before the classification under way */
    uint8_t own;          /* block_t by its own rules, for the policy, as of
                             the classification under way */
} sess_t;

#if AGENT_RING_INDEX
/* Buckets of the session id index: a power of two, at least twice the ring. */
#define RING_BUCKET_BITS (AGENT_RING_CAP <= 64 ? 7 : AGENT_RING_CAP <= 256 ? 9 : \
                          AGENT_RING_CAP <= 1024 ? 11 : 13)
#define RING_BUCKETS (1u << RING_BUCKET_BITS)

/* The live sessions of one client, or of one connection. */
typedef struct {
    uint16_t key;     /* slot + 1 of a member, which names the group; 0 empty */
    uint16_t first;   /* slot + 1 of the first member (the rest chained) */
    uint16_t members;
    /* Members active, and members blocked by their own rules (sess_t.own):
     * kept as members join and leave, and through ring_figures. */
    uint16_t active, blocked;
    /* The policy's, for one classification: valid while gen is its. */
    uint16_t gen, newest;
    uint16_t spare; /* 16 bytes: a group's address is a shift away */
} ring_group_t;
_Static_assert(sizeof(ring_group_t) == 16, "a group is 16 bytes");

/* The two groupings: by client (any case), by connection id (not 0). */
enum { RING_BY_CLIENT, RING_BY_CONN, RING_GROUPINGS };
#endif

typedef struct {
    sess_t slot[AGENT_RING_CAP];
    uint32_t next_id;
#if AGENT_RING_INDEX
    uint16_t bucket[RING_BUCKETS]; /* slot + 1 of a live record; 0 empty */
    uint32_t live; /* records in it */
    /* Used records in id order (slot + 1; 0 ends), and by id modulo
     * RING_BUCKETS the slot + 1 of a record with that id, if any. */
    uint16_t first, last, next[AGENT_RING_CAP], prev[AGENT_RING_CAP];
    uint16_t by_id[RING_BUCKETS];
    /* Ended records in the order they are reused: ended first, then the
     * lower id (slot + 1; 0 ends). Slots from fresh on were never used. */
    uint16_t ended_first, ended_last, ended_next[AGENT_RING_CAP], ended_prev[AGENT_RING_CAP];
    uint16_t fresh;
    /* Live records grouped by client and by connection (ring_group): the
     * group tables (linear probing), each record's bucket + 1 (0: none)
     * and its neighbours in its group (slot + 1). */
    ring_group_t group[RING_GROUPINGS][RING_BUCKETS];
    uint16_t in_group[RING_GROUPINGS][AGENT_RING_CAP];
    uint16_t gnext[RING_GROUPINGS][AGENT_RING_CAP], gprev[RING_GROUPINGS][AGENT_RING_CAP];
#endif
} ring_t;

void ring_init(ring_t *r);

/* A record becomes live with its session id set (ring_track), or leaves
 * the live ones and its groups (ring_untrack, before its state changes). */
void ring_track(ring_t *r, sess_t *s);
void ring_untrack(ring_t *r, const sess_t *s);

/* A live record joins the groups of its client and connection, once both
 * are set; before its connection id changes it leaves them (ring_ungroup)
 * and joins again. Without AGENT_RING_INDEX these do nothing. */
void ring_group(ring_t *r, const sess_t *s);
void ring_ungroup(ring_t *r, const sess_t *s);

/* A grouped record's state or own verdict changed: its groups' figures
 * move by active and blocked (each -1, 0 or 1). */
void ring_figures(ring_t *r, const sess_t *s, int active, int blocked);

#if AGENT_RING_INDEX
/* The group of live record s in a grouping, NULL if it has none (a
 * connection id of 0); the next member after prev (NULL: the first). */
static inline ring_group_t *ring_group_of(ring_t *r, const sess_t *s, int by)
{
    uint16_t b = r->in_group[by][s - r->slot];
    return b ? &r->group[by][b - 1] : NULL;
}

static inline sess_t *ring_group_next(ring_t *r, const ring_group_t *g, int by, const sess_t *prev)
{
    uint16_t i = prev ? r->gnext[by][prev - r->slot] : g->first;
    return i ? &r->slot[i - 1] : NULL;
}
#endif

/* A record has ended (state and ended_s set): it joins the ones to reuse. */
void ring_ended(ring_t *r, const sess_t *s);

static inline bool sess_live(const sess_t *s)
{
    return s->state == SESS_ACTIVE || s->state == SESS_STALE;
}

/* Live record with this server session id, or NULL. */
sess_t *ring_find_live(ring_t *r, uint32_t session_id);

/* Record with this agent id (live or ended), or NULL. */
const sess_t *ring_find_id(const ring_t *r, uint32_t id);

/*
 * A slot for a new session: a free one, else the record that ended longest
 * ago. NULL when every slot is live (the caller counts it untracked). The
 * slot comes back zeroed with a fresh id.
 */
sess_t *ring_alloc(ring_t *r);

/* Whether ring_alloc() would give a slot, without taking it. */
bool ring_has_room(const ring_t *r);

/* Idle and connected seconds at agent time now_s (frozen once ended); of
 * a record known to be live, the _live ones (no test of its state). */
static inline uint32_t sess_idle_live(const sess_t *s, uint32_t now_s)
{
    uint32_t v = s->idle_s + (now_s - s->seen_s);
    return v < s->idle_s ? UINT32_MAX : v;
}

static inline uint32_t sess_idle(const sess_t *s, uint32_t now_s)
{
    return sess_live(s) ? sess_idle_live(s, now_s) : s->idle_s;
}

static inline uint32_t sess_connected_live(const sess_t *s, uint32_t now_s)
{
    uint32_t v = s->connected_s + (now_s - s->seen_s);
    return v < s->connected_s ? UINT32_MAX : v;
}

static inline uint32_t sess_connected(const sess_t *s, uint32_t now_s)
{
    return sess_live(s) ? sess_connected_live(s, now_s) : s->connected_s;
}

/* Whether a and b come from the same client (case-insensitive). */
bool sess_same_client(const sess_t *a, const sess_t *b);

/* Which records a listing or a delete names. Every field that is set must
 * match; a zeroed filter names every record. */
typedef struct {
    uint8_t states;     /* bit (1 << sess_state_t) per state taken; 0: all */
    const char *client; /* NULL or "": any; else this client, any case,
                           leading backslashes ignored */
    const char *user;   /* NULL or "": any; else this user, any case: the
                           whole name, or the part after DOMAIN\ */
} sess_filter_t;

#define SESS_LIVE_STATES ((1u << SESS_ACTIVE) | (1u << SESS_STALE))

/* Whether s is used (not a free slot) and f names it. */
bool sess_matches(const sess_t *s, const sess_filter_t *f);

/* The record f names with the smallest id above after, or NULL. */
const sess_t *ring_next(const ring_t *r, uint32_t after, const sess_filter_t *f);

/* The used record after the one in slot prev - 1 (prev 0: the first) in
 * the order records end in at a sample, by id with the index, by slot
 * without: its slot + 1, or 0 after the last. Slot numbers and inline with
 * the index: a sample's sweep takes it for every record. */
#if AGENT_RING_INDEX
static inline uint32_t ring_after(const ring_t *r, uint32_t prev)
{
    return prev ? r->next[prev - 1] : r->first;
}
#else
uint32_t ring_after(const ring_t *r, uint32_t prev);
#endif

/* Counts live records. */
uint32_t ring_live(const ring_t *r);

/* Names, for text and JSON. */
const char *sess_state_name(sess_state_t st);
const char *sess_reason_name(sess_reason_t r);
const char *block_name(block_t b);

#endif
