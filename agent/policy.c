#include "policy.h"

#include <string.h>

static bool is_protected(const sess_t *s, const cfg_t *c)
{
    return cfg_protected(c, s->client) || cfg_protected(c, s->user);
}

/* The rules that look at one session alone, strongest first. */
static sess_reason_t own_reason(const sess_t *s, const cfg_t *c, uint32_t now_s)
{
    uint32_t idle = sess_idle(s, now_s);
    /* A setting of 0 turns its rule off. */
    if (s->opens > 0)
        return c->orphan_idle_s && idle >= c->orphan_idle_s ? REASON_ORPHAN : REASON_NONE;
    if (s->user[0] == '\0' && c->null_max_age_s && sess_connected(s, now_s) >= c->null_max_age_s)
        return REASON_NULL;
    if (c->idle_timeout_s && idle >= c->idle_timeout_s) return REASON_IDLE;
    return REASON_NONE;
}

/* Whether o was active more recently than s (the later id breaks a tie). */
static bool newer(const sess_t *o, const sess_t *s, uint32_t now_s)
{
    uint32_t oi = sess_idle(o, now_s), si = sess_idle(s, now_s);
    return oi < si || (oi == si && o->id > s->id);
}

#if AGENT_RING_INDEX
/* Each client's most recently active live session, in r->scratch keyed by
 * the client (linear probing on its hash): one pass over the ring. */
static uint32_t client_bucket(ring_t *r, const sess_t *s)
{
    uint32_t b = s->client_hash & (RING_BUCKETS - 1);
    while (r->scratch[b] && !sess_same_client(&r->slot[r->scratch[b] - 1], s))
        b = (b + 1) & (RING_BUCKETS - 1);
    return b;
}

static void find_newest(ring_t *r, uint32_t now_s)
{
    memset(r->scratch, 0, sizeof r->scratch);
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &r->slot[i];
        if (!sess_live(s)) continue;
        uint32_t b = client_bucket(r, s);
        if (!r->scratch[b] || newer(s, &r->slot[r->scratch[b] - 1], now_s)) r->scratch[b] = (uint16_t)(i + 1);
    }
}

/* Another live session of the same client was active more recently. */
static bool has_newer_sibling(ring_t *r, const sess_t *s, uint32_t now_s)
{
    (void)now_s;
    return &r->slot[r->scratch[client_bucket(r, s)] - 1] != s;
}
#else
static void find_newest(ring_t *r, uint32_t now_s) { (void)r, (void)now_s; }

static bool has_newer_sibling(const ring_t *r, const sess_t *s, uint32_t now_s)
{
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *o = &r->slot[i];
        if (o != s && sess_live(o) && sess_same_client(o, s) && newer(o, s, now_s)) return true;
    }
    return false;
}
#endif

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
static block_t own_block(const sess_t *s, const cfg_t *c, policy_who_t who)
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

/* Largest session count that is below the low mark. */
static uint32_t low_target(const cfg_t *c)
{
    uint32_t low = c->session_limit * c->limit_low;
    return low ? (low - 1) / 100 : 0;
}

static void update_pressure(const cfg_t *c, uint32_t n, bool *pressure)
{
    if (c->session_limit == 0)
        *pressure = false;
    else if (n * 100u >= c->session_limit * c->limit_high)
        *pressure = true;
    else if (n * 100u < c->session_limit * c->limit_low)
        *pressure = false;
}

/* Marks the stalest eligible active sessions until enough would go. */
static void relieve_pressure(ring_t *r, const cfg_t *c, uint32_t now_s,
                             uint32_t n, uint32_t caps)
{
    uint32_t target = low_target(c);
    uint32_t going = 0;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &r->slot[i];
        if (s->state == SESS_STALE && policy_block(r, s, c, caps, POLICY_AUTO) == BLOCK_NONE)
            going++;
    }
    while (n > target + going) {
        sess_t *best = NULL;
        for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
            sess_t *s = &r->slot[i];
            if (s->state != SESS_ACTIVE || s->opens > 0 ||
                sess_idle(s, now_s) < c->limit_min_idle_s)
                continue;
            if (best && sess_idle(s, now_s) <= sess_idle(best, now_s)) continue;
            /* Judge it as if already chosen: siblings must be stale too. */
            s->state = SESS_STALE;
            block_t b = policy_block(r, s, c, caps, POLICY_AUTO);
            s->state = SESS_ACTIVE;
            if (b == BLOCK_NONE) best = s;
        }
        if (!best) return;
        best->state = SESS_STALE;
        best->reason = REASON_LIMIT;
        going++;
    }
}

void policy_classify(ring_t *r, const cfg_t *c, uint32_t now_s,
                     uint32_t server_sessions, uint32_t caps, bool *pressure)
{
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        sess_t *s = &r->slot[i];
        if (!sess_live(s)) continue;
        s->reason = (uint8_t)own_reason(s, c, now_s);
    }
    /* Duplicates after the loop above, so every own reason is known. */
    find_newest(r, now_s);
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        sess_t *s = &r->slot[i];
        if (!sess_live(s) || s->reason != REASON_NONE || s->opens > 0) continue;
        if (c->dup_idle_s && sess_idle(s, now_s) >= c->dup_idle_s && has_newer_sibling(r, s, now_s))
            s->reason = REASON_DUPLICATE;
    }
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        sess_t *s = &r->slot[i];
        if (sess_live(s)) s->state = s->reason ? SESS_STALE : SESS_ACTIVE;
    }
    update_pressure(c, server_sessions, pressure);
    if (*pressure) relieve_pressure(r, c, now_s, server_sessions, caps);
}
