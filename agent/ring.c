#include "ring.h"

#include <string.h>

#include "text.h"

void ring_init(ring_t *r)
{
    memset(r, 0, sizeof *r);
    r->next_id = 1;
}

#if AGENT_RING_INDEX
/* Linear probing from the id's home bucket (Fibonacci hashing); a removal
 * moves later entries of its run back (no tombstones), so a lookup stops
 * at the first empty bucket. */
#define MASK (RING_BUCKETS - 1)

static uint32_t home(uint32_t session_id)
{
    return (session_id * 2654435761u) >> (32 - RING_BUCKET_BITS);
}

void ring_track(ring_t *r, sess_t *s)
{
    uint32_t b = home(s->session_id);
    while (r->bucket[b]) b = (b + 1) & MASK;
    r->bucket[b] = (uint16_t)(s - r->slot + 1);
    r->live++;
}

void ring_untrack(ring_t *r, const sess_t *s)
{
    ring_ungroup(r, s);
    uint32_t hole = home(s->session_id), want = (uint32_t)(s - r->slot + 1);
    for (; r->bucket[hole] != want; hole = (hole + 1) & MASK)
        if (!r->bucket[hole]) return; /* not tracked */
    r->live--;
    for (uint32_t i = (hole + 1) & MASK; r->bucket[i]; i = (i + 1) & MASK) {
        uint32_t h = home(r->slot[r->bucket[i] - 1].session_id);
        if (((i - h) & MASK) >= ((i - hole) & MASK)) { /* its home is not past the hole */
            r->bucket[hole] = r->bucket[i];
            hole = i;
        }
    }
    r->bucket[hole] = 0;
}

sess_t *ring_find_live(ring_t *r, uint32_t session_id)
{
    for (uint32_t b = home(session_id); r->bucket[b]; b = (b + 1) & MASK) {
        sess_t *s = &r->slot[r->bucket[b] - 1];
        if (s->session_id == session_id) return s;
    }
    return NULL;
}

/* ---- groups by client and by connection ---------------------------------- */

static uint32_t group_home(const sess_t *s, int by)
{
    return by == RING_BY_CLIENT ? s->client_hash & MASK : home(s->conn_id);
}

static bool group_has(const sess_t *k, const sess_t *s, int by)
{
    return by == RING_BY_CLIENT ? sess_same_client(k, s) : k->conn_id == s->conn_id;
}

void ring_group(ring_t *r, const sess_t *s)
{
    uint16_t me = (uint16_t)(s - r->slot + 1);
    for (int by = 0; by < RING_GROUPINGS; by++) {
        if (by == RING_BY_CONN && s->conn_id == 0) continue;
        ring_group_t *t = r->group[by];
        uint32_t b = group_home(s, by);
        while (t[b].key && !group_has(&r->slot[t[b].key - 1], s, by)) b = (b + 1) & MASK;
        ring_group_t *g = &t[b];
        if (!g->key) *g = (ring_group_t){.key = me};
        r->gprev[by][me - 1] = 0;
        r->gnext[by][me - 1] = g->first;
        if (g->first) r->gprev[by][g->first - 1] = me;
        g->first = me;
        g->members++;
        g->active = (uint16_t)(g->active + (s->state == SESS_ACTIVE));
        g->blocked = (uint16_t)(g->blocked + (s->own != 0));
        r->in_group[by][me - 1] = (uint16_t)(b + 1);
    }
}

/* An emptied bucket: later entries of its run move back (as ring_untrack). */
static void group_remove(ring_t *r, int by, uint32_t hole)
{
    ring_group_t *t = r->group[by];
    for (uint32_t i = (hole + 1) & MASK; t[i].key; i = (i + 1) & MASK) {
        uint32_t h = group_home(&r->slot[t[i].key - 1], by);
        if (((i - h) & MASK) >= ((i - hole) & MASK)) {
            t[hole] = t[i];
            for (uint16_t m = t[hole].first; m; m = r->gnext[by][m - 1])
                r->in_group[by][m - 1] = (uint16_t)(hole + 1);
            hole = i;
        }
    }
    t[hole] = (ring_group_t){0};
}

void ring_ungroup(ring_t *r, const sess_t *s)
{
    uint32_t i = (uint32_t)(s - r->slot);
    for (int by = 0; by < RING_GROUPINGS; by++) {
        uint16_t b = r->in_group[by][i];
        if (!b) continue;
        ring_group_t *g = &r->group[by][b - 1];
        uint16_t p = r->gprev[by][i], n = r->gnext[by][i];
        if (p) r->gnext[by][p - 1] = n; else g->first = n;
        if (n) r->gprev[by][n - 1] = p;
        r->in_group[by][i] = 0;
        g->active = (uint16_t)(g->active - (s->state == SESS_ACTIVE));
        g->blocked = (uint16_t)(g->blocked - (s->own != 0));
        if (--g->members == 0)
            group_remove(r, by, b - 1u);
        else if (g->key == i + 1)
            g->key = g->first; /* another member names it */
    }
}

void ring_figures(ring_t *r, const sess_t *s, int active, int blocked)
{
    uint32_t i = (uint32_t)(s - r->slot);
    for (int by = 0; by < RING_GROUPINGS; by++) {
        uint16_t b = r->in_group[by][i];
        if (!b) continue;
        ring_group_t *g = &r->group[by][b - 1];
        g->active = (uint16_t)(g->active + active);
        g->blocked = (uint16_t)(g->blocked + blocked);
    }
}
#else
void ring_figures(ring_t *r, const sess_t *s, int active, int blocked)
{
    (void)r, (void)s, (void)active, (void)blocked;
}
void ring_group(ring_t *r, const sess_t *s) { (void)r, (void)s; }
void ring_ungroup(ring_t *r, const sess_t *s) { (void)r, (void)s; }
void ring_track(ring_t *r, sess_t *s) { (void)r, (void)s; }
void ring_untrack(ring_t *r, const sess_t *s) { (void)r, (void)s; }

sess_t *ring_find_live(ring_t *r, uint32_t session_id)
{
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++)
        if (sess_live(&r->slot[i]) && r->slot[i].session_id == session_id)
            return &r->slot[i];
    return NULL;
}
#endif

const sess_t *ring_find_id(const ring_t *r, uint32_t id)
{
    if (id == 0) return NULL;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++)
        if (r->slot[i].id == id) return &r->slot[i];
    return NULL;
}

#if AGENT_RING_INDEX
/* The id order: a record leaves it when its slot is reused, and comes in
 * last with its new id (ids only grow). */
static void order_out(ring_t *r, const sess_t *s)
{
    uint32_t i = (uint32_t)(s - r->slot);
    if (s->id == 0) return; /* a free slot: not in the order */
    uint16_t p = r->prev[i], n = r->next[i];
    if (p) r->next[p - 1] = n; else r->first = n;
    if (n) r->prev[n - 1] = p; else r->last = p;
    if (r->by_id[s->id & MASK] == i + 1) r->by_id[s->id & MASK] = 0;
}

static void order_in(ring_t *r, const sess_t *s)
{
    uint16_t me = (uint16_t)(s - r->slot + 1);
    r->prev[me - 1] = r->last;
    r->next[me - 1] = 0;
    if (r->last) r->next[r->last - 1] = me; else r->first = me;
    r->last = me;
    r->by_id[s->id & MASK] = me;
}

/* The first used record with an id above after, in id order. */
static const sess_t *first_after(const ring_t *r, uint32_t after)
{
    uint16_t at = r->by_id[after & MASK];
    if (after && at && r->slot[at - 1].id == after) return r->next[at - 1] ? &r->slot[r->next[at - 1] - 1] : NULL;
    for (uint16_t i = r->first; i; i = r->next[i - 1]) /* gone since: from the start */
        if (r->slot[i - 1].id > after) return &r->slot[i - 1];
    return NULL;
}

const sess_t *ring_next(const ring_t *r, uint32_t after, const sess_filter_t *f)
{
    const sess_t *s = first_after(r, after);
    if (s && !f->states && !(f->client && f->client[0]) && !(f->user && f->user[0]))
        return s; /* no filter: every used record (the order holds no free one) */
    while (s && !sess_matches(s, f)) {
        uint16_t n = r->next[s - r->slot];
        s = n ? &r->slot[n - 1] : NULL;
    }
    return s;
}
#else
uint32_t ring_after(const ring_t *r, uint32_t prev)
{
    for (uint32_t i = prev; i < AGENT_RING_CAP; i++)
        if (r->slot[i].state != SESS_FREE) return i + 1;
    return 0;
}

static void order_out(ring_t *r, const sess_t *s) { (void)r, (void)s; }
static void order_in(ring_t *r, const sess_t *s) { (void)r, (void)s; }

const sess_t *ring_next(const ring_t *r, uint32_t after, const sess_filter_t *f)
{
    const sess_t *best = NULL;
    uint32_t best_id = UINT32_MAX; /* ids compared first: the cheap test */
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &r->slot[i];
        if (s->id > after && s->id <= best_id && sess_matches(s, f)) best = s, best_id = s->id;
    }
    return best;
}
#endif

/* Whether ended record a is reused before b: ended first, then lower id. */
static bool ended_before(const sess_t *a, const sess_t *b)
{
    return (int32_t)(a->ended_s - b->ended_s) < 0 || (a->ended_s == b->ended_s && a->id < b->id);
}

#if AGENT_RING_INDEX
/* Records end in time order, so the place is at or near the tail. */
void ring_ended(ring_t *r, const sess_t *s)
{
    uint16_t me = (uint16_t)(s - r->slot + 1), after = r->ended_last;
    while (after && ended_before(s, &r->slot[after - 1])) after = r->ended_prev[after - 1];
    uint16_t before = after ? r->ended_next[after - 1] : r->ended_first;
    r->ended_prev[me - 1] = after;
    r->ended_next[me - 1] = before;
    if (after) r->ended_next[after - 1] = me; else r->ended_first = me;
    if (before) r->ended_prev[before - 1] = me; else r->ended_last = me;
}

bool ring_has_room(const ring_t *r) { return r->fresh < AGENT_RING_CAP || r->ended_first; }

static sess_t *reusable(ring_t *r)
{
    if (r->fresh < AGENT_RING_CAP) return &r->slot[r->fresh++];
    uint16_t i = r->ended_first;
    if (!i) return NULL;
    r->ended_first = r->ended_next[i - 1];
    if (r->ended_first) r->ended_prev[r->ended_first - 1] = 0; else r->ended_last = 0;
    return &r->slot[i - 1];
}
#else
void ring_ended(ring_t *r, const sess_t *s) { (void)r, (void)s; }

static sess_t *reusable(ring_t *r)
{
    sess_t *pick = NULL;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        sess_t *s = &r->slot[i];
        if (s->state == SESS_FREE) return s;
        if (s->state == SESS_ENDED && (!pick || ended_before(s, pick))) pick = s;
    }
    return pick;
}

bool ring_has_room(const ring_t *r)
{
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++)
        if (r->slot[i].state == SESS_FREE || r->slot[i].state == SESS_ENDED) return true;
    return false;
}
#endif

sess_t *ring_alloc(ring_t *r)
{
    sess_t *pick = reusable(r);
    if (!pick) return NULL;
    order_out(r, pick);
    memset(pick, 0, sizeof *pick);
    pick->id = r->next_id++;
    if (r->next_id == 0) r->next_id = 1; /* 0 marks a free slot */
    order_in(r, pick);
    return pick;
}

bool sess_same_client(const sess_t *a, const sess_t *b)
{
#if AGENT_RING_INDEX
    if (a->client_hash != b->client_hash) return false;
#endif
    return strcmp(a->client, b->client) == 0 || text_ieq(a->client, b->client);
}

static bool user_matches(const char *user, const char *want)
{
    const char *tail = strchr(user, '\\');
    return text_ieq(user, want) || (tail && !strchr(want, '\\') && text_ieq(tail + 1, want));
}

bool sess_matches(const sess_t *s, const sess_filter_t *f)
{
    if (s->state == SESS_FREE || (f->states && !(f->states & (1u << s->state)))) return false;
    if (f->client && f->client[0]) {
        const char *c = f->client;
        while (*c == '\\') c++;
        if (!text_ieq(s->client, c)) return false;
    }
    return !f->user || !f->user[0] || user_matches(s->user, f->user);
}

uint32_t ring_live(const ring_t *r)
{
#if AGENT_RING_INDEX
    return r->live;
#else
    uint32_t n = 0;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) n += sess_live(&r->slot[i]);
    return n;
#endif
}

const char *sess_state_name(sess_state_t st)
{
    static const char *const names[] = {"free", "active", "stale", "ended"};
    return (unsigned)st < 4 ? names[st] : "?";
}

const char *sess_reason_name(sess_reason_t r)
{
    static const char *const names[REASON_COUNT] = {
        "", "idle", "null", "duplicate", "limit", "orphan", "closed", "evicted"};
    return (unsigned)r < REASON_COUNT ? names[r] : "?";
}

const char *block_name(block_t b)
{
    static const char *const names[BLOCK_COUNT] = {
        "", "open files", "protected", "shared connection", "unsupported", "rate limit"};
    return (unsigned)b < BLOCK_COUNT ? names[b] : "?";
}
