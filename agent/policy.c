#include "policy.h"

#include <string.h>

static bool is_protected(const sess_t *s, const cfg_t *c)
{
    return c->protect[0] && (cfg_protected(c, s->client) || cfg_protected(c, s->user));
}

/* Whether o was active more recently than s (the later id breaks a tie). */
static bool newer(const sess_t *o, const sess_t *s, uint32_t now_s)
{
    uint32_t oi = sess_idle_live(o, now_s), si = sess_idle_live(s, now_s);
    return oi < si || (oi == si && o->id > s->id);
}

uint32_t policy_granularity(const sess_t *s, uint32_t caps)
{
    if (caps & HAL_SMB_CAN_END_SESSION) return HAL_SMB_CAN_END_SESSION;
    if ((caps & HAL_SMB_CAN_END_CONN) && s->conn_id != 0) return HAL_SMB_CAN_END_CONN;
    if (caps & HAL_SMB_CAN_END_CLIENT) return HAL_SMB_CAN_END_CLIENT;
    return 0;
}

bool policy_goes_with(const sess_t *s, const sess_t *o, uint32_t g)
{
    if (!sess_live(o)) return false;
    if (o == s) return true;
    if (g == HAL_SMB_CAN_END_CONN) return o->conn_id == s->conn_id;
    if (g == HAL_SMB_CAN_END_CLIENT) return sess_same_client(o, s);
    return false;
}

/* The rules about s itself. */
static inline block_t own_block(const sess_t *s, const cfg_t *c, policy_who_t who)
{
    if (who == POLICY_FORCE) return BLOCK_NONE;
    if (is_protected(s, c)) return BLOCK_PROTECTED;
    if (s->opens > 0 && !(who == POLICY_AUTO && s->reason == REASON_ORPHAN && c->evict_orphans))
        return BLOCK_OPENS;
    return BLOCK_NONE;
}

block_t policy_block(const ring_t *r, const sess_t *s, const cfg_t *c,
                     uint32_t caps, policy_who_t who)
{
    uint32_t g = policy_granularity(s, caps);
    if (g == 0) return BLOCK_UNSUPPORTED;
    block_t b = own_block(s, c, who);
    if (b != BLOCK_NONE || g == HAL_SMB_CAN_END_SESSION) return b;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *o = &r->slot[i];
        if (o == s || !policy_goes_with(s, o, g)) continue;
        if (own_block(o, c, who) != BLOCK_NONE) return BLOCK_SIBLING;
        if (who == POLICY_AUTO && o->state != SESS_STALE) return BLOCK_SIBLING;
    }
    return BLOCK_NONE;
}

uint32_t policy_low_target(const cfg_t *c)
{
    uint32_t low = c->session_limit * c->limit_low;
    return low ? (low - 1) / 100 : 0;
}

bool policy_pressure(const cfg_t *c, uint32_t n, bool was)
{
    if (c->session_limit == 0) return false;
    if (n * 100u >= c->session_limit * c->limit_high) return true;
    if (n * 100u < c->session_limit * c->limit_low) return false;
    return was;
}

static void begin(policy_job_t *j, uint32_t now_s, uint32_t caps, const cfg_t *c)
{
    j->now_s = now_s;
    j->caps = caps;
    j->heap_n = j->heap_todo = j->parked_n = 0;
    j->rejudge = memcmp(&j->cfg, c, sizeof *c) != 0;
    j->cfg = *c;
}

#if AGENT_RING_INDEX
/* ---- from the ring's groups ----------------------------------------------- */

void policy_begin(policy_job_t *j, ring_t *r, uint32_t now_s, uint32_t caps, const cfg_t *c)
{
    begin(j, now_s, caps, c);
    if (++j->gen == 0) { /* wrapped: no group may look current by chance */
        for (int by = 0; by < RING_GROUPINGS; by++)
            for (uint32_t i = 0; i < RING_BUCKETS; i++) r->group[by][i].gen = 0;
        j->gen = 1;
    }
}

static bool has_newer_sibling(const policy_job_t *j, ring_t *r, const sess_t *s)
{
    ring_group_t *g = ring_group_of(r, s, RING_BY_CLIENT);
    if (g->gen != j->gen) g->gen = j->gen, g->newest = 0; /* another classification's */
    if (!g->newest) { /* the first member judged finds the newest of all */
        const sess_t *best = NULL;
        for (const sess_t *o = ring_group_next(r, g, RING_BY_CLIENT, NULL); o;
             o = ring_group_next(r, g, RING_BY_CLIENT, o))
            if (o->sample == j->sample && (!best || newer(o, best, j->now_s))) best = o;
        g->newest = (uint16_t)(best - r->slot + 1);
    }
    return g->newest != s - r->slot + 1;
}

/* The group s ends with at granularity g, or NULL for s alone; its
 * figures hold this classification's once every live record is judged. */
static ring_group_t *group_at(ring_t *r, const sess_t *s, uint32_t g)
{
    if (g == HAL_SMB_CAN_END_CONN) return ring_group_of(r, s, RING_BY_CONN);
    if (g == HAL_SMB_CAN_END_CLIENT) return ring_group_of(r, s, RING_BY_CLIENT);
    return NULL;
}

/* Whether others in s's group stop it going: active, or blocked by their own rules. */
static bool siblings_block(ring_t *r, const sess_t *s, uint32_t g)
{
    const ring_group_t *grp = group_at(r, s, g);
    return grp && (grp->active > (s->state == SESS_ACTIVE) || grp->blocked > (s->own != BLOCK_NONE));
}

uint32_t policy_members(const policy_job_t *j, ring_t *r, const sess_t *s)
{
    const ring_group_t *grp = group_at(r, s, policy_granularity(s, j->caps));
    return grp ? grp->members : 1;
}

sess_t *policy_member(const policy_job_t *j, ring_t *r, const sess_t *s, const sess_t *prev)
{
    uint32_t g = policy_granularity(s, j->caps);
    const ring_group_t *grp = group_at(r, s, g);
    if (!grp) return prev ? NULL : &r->slot[s - r->slot];
    return ring_group_next(r, grp, g == HAL_SMB_CAN_END_CONN ? RING_BY_CONN : RING_BY_CLIENT, prev);
}

void policy_news(sess_t *s, uint32_t now_s) { s->due_s = now_s; }

void policy_client_news(ring_t *r, const sess_t *s, uint32_t now_s, uint32_t dup_idle_s)
{
    const ring_group_t *g = ring_group_of(r, s, RING_BY_CLIENT);
    for (sess_t *o = g ? ring_group_next(r, g, RING_BY_CLIENT, NULL) : NULL; o;
         o = ring_group_next(r, g, RING_BY_CLIENT, o))
        if (o->reason == REASON_DUPLICATE ||
            ((o->reason == REASON_NONE || o->reason == REASON_LIMIT) && o->opens == 0 && dup_idle_s &&
             sess_idle_live(o, now_s) >= dup_idle_s))
            o->due_s = now_s;
}

bool policy_client_left(const policy_job_t *j, ring_t *r, const sess_t *s)
{
    const ring_group_t *g = ring_group_of(r, s, RING_BY_CLIENT);
    if (!g || g->members <= 1) return false;
    for (const sess_t *o = ring_group_next(r, g, RING_BY_CLIENT, NULL); o;
         o = ring_group_next(r, g, RING_BY_CLIENT, o))
        if (o->sample != j->sample) return true;
    return false;
}

/* The least of wait and the time until v reaches limit, if below it (a
 * limit of 0 is a rule turned off). */
static uint32_t until(uint32_t v, uint32_t limit, uint32_t wait)
{
    return v < limit && limit - v < wait ? limit - v : wait;
}

/* When s's verdict may next change by time alone: the first threshold of
 * its rules that its idle or connected time has still to reach. (What the
 * duplicate rule reads, which of its client's sessions was active last,
 * time does not change: they age alike. A session of its client that
 * comes, goes or is active makes news for all of them.) */
static void schedule(const policy_job_t *j, sess_t *s)
{
    const cfg_t *c = &j->cfg;
    uint32_t idle = sess_idle_live(s, j->now_s), wait = 1u << 30;
    if (s->opens > 0) {
        wait = until(idle, c->orphan_idle_s, wait);
    } else {
        if (s->user[0] == '\0') wait = until(sess_connected_live(s, j->now_s), c->null_max_age_s, wait);
        wait = until(idle, c->idle_timeout_s, wait);
        wait = until(idle, c->dup_idle_s, wait);
    }
    s->due_s = j->now_s + wait;
}
#else
/* ---- the same rules by scanning the ring --------------------------------- */

void policy_begin(policy_job_t *j, ring_t *r, uint32_t now_s, uint32_t caps, const cfg_t *c)
{
    (void)r;
    begin(j, now_s, caps, c);
}

void policy_news(sess_t *s, uint32_t now_s) { (void)s, (void)now_s; }
void policy_client_news(ring_t *r, const sess_t *s, uint32_t now_s, uint32_t dup_idle_s)
{
    (void)r, (void)s, (void)now_s, (void)dup_idle_s;
}
bool policy_client_left(const policy_job_t *j, ring_t *r, const sess_t *s)
{
    (void)j, (void)r, (void)s;
    return false;
}
static void schedule(const policy_job_t *j, sess_t *s) { (void)j, (void)s; }


static bool has_newer_sibling(const policy_job_t *j, const ring_t *r, const sess_t *s)
{
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *o = &r->slot[i];
        if (o != s && sess_live(o) && o->sample == j->sample && sess_same_client(o, s) &&
            newer(o, s, j->now_s))
            return true;
    }
    return false;
}

static bool siblings_block(const ring_t *r, const sess_t *s, uint32_t g)
{
    if (g == HAL_SMB_CAN_END_SESSION) return false;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *o = &r->slot[i];
        if (o != s && policy_goes_with(s, o, g) && (o->state != SESS_STALE || o->own != BLOCK_NONE))
            return true;
    }
    return false;
}

uint32_t policy_members(const policy_job_t *j, ring_t *r, const sess_t *s)
{
    uint32_t g = policy_granularity(s, j->caps), n = 0;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) n += policy_goes_with(s, &r->slot[i], g);
    return n;
}

sess_t *policy_member(const policy_job_t *j, ring_t *r, const sess_t *s, const sess_t *prev)
{
    uint32_t g = policy_granularity(s, j->caps);
    for (uint32_t i = prev ? (uint32_t)(prev - r->slot) + 1 : 0; i < AGENT_RING_CAP; i++)
        if (policy_goes_with(s, &r->slot[i], g)) return &r->slot[i];
    return NULL;
}
#endif

/* The rules that look at s alone, strongest first, then the one about its
 * client's other sessions; a setting of 0 turns its rule off. */
static sess_reason_t why_stale(const policy_job_t *j, ring_t *r, const sess_t *s)
{
    const cfg_t *c = &j->cfg;
    uint32_t idle = sess_idle_live(s, j->now_s);
    if (s->opens > 0)
        return c->orphan_idle_s && idle >= c->orphan_idle_s ? REASON_ORPHAN : REASON_NONE;
    if (s->user[0] == '\0' && c->null_max_age_s && sess_connected(s, j->now_s) >= c->null_max_age_s)
        return REASON_NULL;
    if (c->idle_timeout_s && idle >= c->idle_timeout_s) return REASON_IDLE;
    if (c->dup_idle_s && idle >= c->dup_idle_s && has_newer_sibling(j, r, s)) return REASON_DUPLICATE;
    return REASON_NONE;
}

/* Its own rules' verdict kept, and its groups' figures moved (ring_figures
 * and policy_news do nothing without the index). */
void policy_judge(policy_job_t *j, ring_t *r, sess_t *s)
{
    bool was_active = s->state == SESS_ACTIVE, was_blocked = s->own != BLOCK_NONE;
    s->reason = (uint8_t)why_stale(j, r, s);
    s->state = s->reason ? SESS_STALE : SESS_ACTIVE;
    s->own = (uint8_t)own_block(s, &j->cfg, POLICY_AUTO);
    int active = (s->state == SESS_ACTIVE) - was_active, blocked = (s->own != BLOCK_NONE) - was_blocked;
    if (active || blocked) ring_figures(r, s, active, blocked);
    schedule(j, s);
}

void policy_marked(ring_t *r, sess_t *s)
{
    ring_figures(r, s, -1, 0);
}

void policy_unmark(ring_t *r, sess_t *s)
{
    s->state = SESS_ACTIVE;
    s->reason = REASON_NONE;
    ring_figures(r, s, 1, 0);
}

block_t policy_auto_block(const policy_job_t *j, ring_t *r, const sess_t *s)
{
    uint32_t g = policy_granularity(s, j->caps);
    if (g == 0) return BLOCK_UNSUPPORTED;
    block_t b = (block_t)s->own;
    if (b == BLOCK_NONE && siblings_block(r, s, g)) b = BLOCK_SIBLING;
    return b;
}

bool policy_limit_ok(const policy_job_t *j, ring_t *r, const sess_t *s,
                     const cfg_t *c)
{
    if (s->state != SESS_ACTIVE || s->opens > 0 || sess_idle_live(s, j->now_s) < c->limit_min_idle_s)
        return false;
    uint32_t g = policy_granularity(s, j->caps);
    /* Judged as if chosen: everything that goes with it must be stale. */
    return g != 0 && s->own == BLOCK_NONE && !siblings_block(r, s, g);
}

/* ---- candidates, stalest first ------------------------------------------- */

#if AGENT_RING_INDEX
static policy_cand_t cand(const policy_job_t *j, const ring_t *r, const sess_t *s)
{
    uint32_t slot = (uint32_t)(s - r->slot);
    return (uint64_t)sess_idle_live(s, j->now_s) << 16 | (0xffffu - slot);
}

static uint32_t cand_slot(policy_cand_t c) { return 0xffffu - (uint32_t)(c & 0xffffu); }

static bool before(const policy_job_t *j, const ring_t *r, policy_cand_t a, policy_cand_t b)
{
    (void)j, (void)r;
    return a > b;
}
#else
static policy_cand_t cand(const policy_job_t *j, const ring_t *r, const sess_t *s)
{
    (void)j;
    return (policy_cand_t)(s - r->slot);
}

static uint32_t cand_slot(policy_cand_t c) { return c; }

/* Whether slot a goes before slot b: idle longer, then the lower slot
 * (every candidate is live). */
static bool before(const policy_job_t *j, const ring_t *r, policy_cand_t a, policy_cand_t b)
{
    uint32_t ia = sess_idle_live(&r->slot[a], j->now_s), ib = sess_idle_live(&r->slot[b], j->now_s);
    return ia > ib || (ia == ib && a < b);
}
#endif

static void sift_down(policy_job_t *j, const ring_t *r, uint32_t i)
{
    policy_cand_t v = j->heap[i];
    for (;;) {
        uint32_t k = 2 * i + 1;
        if (k >= j->heap_n) break;
        if (k + 1 < j->heap_n && before(j, r, j->heap[k + 1], j->heap[k])) k++;
        if (!before(j, r, j->heap[k], v)) break;
        j->heap[i] = j->heap[k];
        i = k;
    }
    j->heap[i] = v;
}

void policy_heap_add(policy_job_t *j, const sess_t *s, const ring_t *r)
{
    j->heap[j->heap_n++] = cand(j, r, s);
    j->heap_todo = (uint16_t)(j->heap_n / 2);
}

void policy_park(policy_job_t *j, const sess_t *s, const ring_t *r)
{
    j->heap[AGENT_RING_CAP - 1 - j->parked_n++] = cand(j, r, s);
}

sess_t *policy_left(const policy_job_t *j, ring_t *r, uint32_t i)
{
    return &r->slot[cand_slot(i < j->heap_n ? j->heap[i] : j->heap[AGENT_RING_CAP - 1 - (i - j->heap_n)])];
}

uint32_t policy_heap_order(policy_job_t *j, const ring_t *r, uint32_t steps)
{
    for (; j->heap_todo && steps; steps--) sift_down(j, r, --j->heap_todo);
    return j->heap_todo;
}

sess_t *policy_heap_take(policy_job_t *j, ring_t *r)
{
    if (!j->heap_n) return NULL;
    policy_cand_t top = j->heap[0];
    j->heap[0] = j->heap[--j->heap_n];
    if (j->heap_n) sift_down(j, r, 0);
    return &r->slot[cand_slot(top)];
}
