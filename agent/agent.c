#include "agent.h"

#include <stddef.h>
#include <string.h>

#include "console.h"
#include "evstore.h"
#include "hal_clock.h"
#include "hal_smb.h"
#include "nvrec.h"
#include "policy.h"
#include "text.h"

/* Finishing a sample goes through these passes, a bounded part of them in
 * each poll (AGENT_FINISH_WORK), so one poll costs little at any table size. */
typedef enum {
    FIN_NONE,
    FIN_SWEEP,       /* end the sessions gone; judge the others when every
                        newcomer found a slot (else a replay may place
                        more first) */
    FIN_REPLAY,      /* the sample again, for newcomers that found no slot */
    FIN_REASON,      /* stale or not, and why (after a replay) */
    FIN_KEPT,        /* instead of the three: every session listed again,
                        so none to end; judged where a verdict may change */
    /* Then one ordered pass for limit pressure and eviction: */
    FIN_PICK,        /* what goes already; the candidates: under limit
                        pressure the active ones that may go, in enforce
                        mode the stale ones to end */
    FIN_ORDER,
    FIN_TAKE,        /* stalest first: chosen while too few would go, ended
                        while the rate allows */
    FIN_REST,        /* the rest: each stale one says why it stays */
} fin_t;

typedef struct {
    cfg_t cfg;   /* in force (those saved: agent_cfg_saved) */
    ring_t ring;
    events_t events;
    leaks_t leaks;
    agent_stats_t st;

    uint32_t last_ms; /* clock at the previous poll */
    uint32_t ms_rem;  /* milliseconds not yet counted into now_s */
    uint32_t now_s;   /* uptime, seconds */

    bool sampling;      /* a sample is being taken */
    bool pending;       /* ... and the HAL is still taking its snapshot */
    uint8_t fin;        /* fin_t: finishing the sample taken */
    uint32_t fin_at;    /* where the current pass goes on: a slot */
    uint32_t fin_prev;  /* ... or the slot + 1 of the last record swept */
    uint32_t left;      /* sessions found gone at this sample */
    uint32_t going;     /* under limit pressure: sessions that would go */
    uint32_t room;      /* evictions policy.evict_rate allows now */
    int32_t work;       /* what this poll may still do, in AGENT_FINISH_WORK units */
    hal_smb_info_t info; /* as the sample reported it */
    policy_job_t job;
    bool sample_soon;   /* an operator's delete wants confirming */
    uint32_t due_ms;    /* when the next sample starts */
    uint32_t gen;       /* number of the current sample */
    uint32_t untracked; /* counted during the current sample */
    uint32_t listed;    /* records the current sample placed (each once) */
    uint32_t read;      /* records of it read so far */
    uint32_t replay_from; /* the first newcomer that found no slot */
    uint32_t fail_hash; /* of the last failed sample's reason */
    hal_smb_session_t batch[AGENT_SAMPLE_BATCH];

    /* Automatic evictions in each of the last 60 seconds of agent time
     * (second t in slot t % 60), as of second evict_s: policy.evict_rate. */
    uint8_t evict_per_s[60];
    uint32_t evict_s;
    uint32_t evict_used; /* the sum of evict_per_s */
} agent_t;

static agent_t ag;

static void fin_next(fin_t next)
{
    ag.fin = (uint8_t)next;
    ag.fin_at = 0;
}

/* ---- clock ------------------------------------------------------------ */

static void clock_advance(uint32_t now_ms)
{
    uint32_t ms = ag.ms_rem + (now_ms - ag.last_ms);
    ag.last_ms = now_ms;
    ag.now_s += ms / 1000;
    ag.ms_rem = ms % 1000;
}

static bool due(uint32_t when_ms) { return (int32_t)(ag.last_ms - when_ms) >= 0; }

/* ---- events ----------------------------------------------------------- */

uint32_t agent_wall_s(void)
{
    int64_t wall = hal_clock_wall_s();
    return wall >= AGENT_WALL_MIN_S && wall <= (int64_t)UINT32_MAX ? (uint32_t)wall : 0;
}

/* The stamp for wall time `wall` (0: the board has none): it, or agent time. */
static uint32_t stamp_of(uint32_t wall) { return wall ? wall : ag.now_s; }

uint32_t agent_stamp_s(void) { return stamp_of(agent_wall_s()); }

/* Adds an event stamped with wall time when the board has it. */
static event_t *log_at(event_type_t t, uint8_t reason, uint32_t session, uint32_t arg,
                       const char *subject)
{
    uint32_t wall = agent_wall_s();
    evstore_reserve(&ag.events);
    event_t *e = events_add(&ag.events, stamp_of(wall), t, reason, session, arg, subject);
    e->flags = wall ? EVENT_WALL : 0;
    return e;
}

static event_t *log_sess(event_type_t t, uint8_t reason, const sess_t *s, uint32_t arg)
{
    return log_at(t, reason, s->id, arg, s->client);
}

static event_t *log_plain(event_type_t t, uint8_t reason, uint32_t arg, const char *subject)
{
    return log_at(t, reason, 0, arg, subject);
}

void agent_log_damage(const char *record, uint32_t bad, bool none_left)
{
    log_plain(EV_NV, none_left ? 2 : 0, bad, record); /* a credential: none in force */
}

void agent_log(event_type_t t, uint8_t reason, const char *subject, const actor_t *by,
               const char *detail)
{
    events_note(log_plain(t, reason, 0, subject), by, detail);
    evstore_poll(&ag.events);
}

/* ---- settings --------------------------------------------------------- */

/* The settings record is text, held on the stack while it is loaded or
 * saved (AGENT_CFG_NV_MAX bytes): neither runs inside a TLS handshake,
 * where the stack is deepest (make size measures them). The saved settings
 * are read from the store into out, the defaults where it holds none that
 * makes sense; *info and *bad say what was wrong with it. */
static nvrec_status_t read_saved(cfg_t *out, nvrec_info_t *info, uint32_t *bad)
{
    char text[AGENT_CFG_NV_MAX];
    size_t len;
    *bad = 0;
    cfg_defaults(out);
    nvrec_status_t st = nvrec_load(AGENT_NV_CFG_PAGE, text, sizeof text, &len, info);
    if (st == NVREC_OK && cfg_deserialize(out, text, len, bad) != CFG_OK)
        st = NVREC_EIO; /* a record that checks out but makes no sense */
    return st;
}

static void cfg_load(void)
{
    nvrec_info_t info;
    uint32_t bad;
    nvrec_status_t st = read_saved(&ag.cfg, &info, &bad);
    /* reason: 0 = older copy used, 1 = defaults used; arg: damaged copies */
    if (st == NVREC_OK && (info.damaged || bad))
        log_plain(EV_NV, 0, info.damaged + bad, "settings");
    else if (st != NVREC_OK && (st != NVREC_EMPTY || info.damaged))
        log_plain(EV_NV, 1, info.damaged, "settings");
}

void agent_cfg_saved(cfg_t *out)
{
    nvrec_info_t info;
    uint32_t bad;
    read_saved(out, &info, &bad);
}

const cfg_t *agent_cfg(void) { return &ag.cfg; }
const ring_t *agent_ring(void) { return &ag.ring; }
const events_t *agent_events(void) { return &ag.events; }
const leaks_t *agent_leaks(void) { return &ag.leaks; }

bool agent_time_to_limit(uint32_t *secs)
{
    uint32_t limit = ag.cfg.session_limit, now = ag.st.server_sessions;
    uint32_t rate10 = leaks_rate10(&ag.leaks, agent_stamp_s());
    if (!limit || (!rate10 && now < limit)) return false;
    *secs = now >= limit ? 0 : leaks_muldiv(limit - now, LEAKS_DAY10, rate10);
    return true;
}

const agent_stats_t *agent_stats(void) { return &ag.st; }
uint32_t agent_now_s(void) { return ag.now_s; }

cfg_status_t agent_cfg_apply(const cfg_t *next, const actor_t *by, fmt_t *err)
{
    cfg_status_t st = cfg_check(next, err);
    if (st != CFG_OK) return st;
    for (size_t i = 0; i < cfg_key_count; i++) {
        if (cfg_equal(&ag.cfg, next, &cfg_keys[i])) continue;
        char change[EVENT_MORE_MAX];
        fmt_t f;
        fmt_init(&f, change, sizeof change);
        cfg_format(&ag.cfg, &cfg_keys[i], &f);
        fmt_add(&f, " -> ");
        cfg_format(next, &cfg_keys[i], &f);
        events_note(log_plain(EV_CONFIG, (uint8_t)i, 0, cfg_keys[i].name), by, change);
    }
    if (next->sample_interval_s < ag.cfg.sample_interval_s) ag.due_ms = ag.last_ms;
    ag.cfg = *next;
    evstore_poll(&ag.events);
    return CFG_OK;
}

int agent_cfg_save(const actor_t *by, fmt_t *err)
{
    char text[AGENT_CFG_NV_MAX];
    fmt_t out;
    fmt_init(&out, text, sizeof text);
    if (!cfg_serialize(&ag.cfg, &out)) {
        fmt_add(err, "settings exceed %u bytes", (uint32_t)sizeof text);
        return -1;
    }
    if (nvrec_save(AGENT_NV_CFG_PAGE, text, out.len) != NVREC_OK) {
        fmt_add(err, "NV store failed; not saved");
        return -1;
    }
    events_note(log_plain(EV_SAVED, 0, (uint32_t)out.len, NULL), by, NULL);
    evstore_poll(&ag.events);
    return 0;
}

/* ---- reconciling a sample --------------------------------------------- */

/* The time a record is taken or ended at: a sample's finish (a replay,
 * the sweep's leavers) works at its classification's time, which a later
 * poll's clock has passed. */
static uint32_t rec_s(void) { return ag.fin ? ag.job.now_s : ag.now_s; }

/* Its source's key in the leak table, once it has SESS_F_LEAK: kept with
 * the index (worked out from the client's hash as it went stale). */
static uint32_t leak_key(const sess_t *s)
{
#if AGENT_RING_INDEX
    return s->leak_key;
#else
    return leaks_key(s->client, s->user);
#endif
}

static void end_record(sess_t *s, sess_reason_t why)
{
    uint32_t now = rec_s();
    s->idle_s = sess_idle(s, now);
    s->connected_s = sess_connected(s, now);
    policy_client_news(&ag.ring, s, now, ag.job.cfg.dup_idle_s); /* leaving */
    ring_untrack(&ag.ring, s);
    s->state = SESS_ENDED;
    s->reason = (uint8_t)why;
    s->ended_s = now;
    ring_ended(&ag.ring, s);
    s->pending = 0;
    if (s->flags & SESS_F_LEAK) leaks_ended(&ag.leaks, leak_key(s), s->client, s->user, why == REASON_EVICTED);
    if (why == REASON_EVICTED) ag.st.evictions++;
    log_sess(why == REASON_EVICTED ? EV_EVICTED : EV_CLOSED, 0, s, 0);
}

/* Batch record h found no slot: counted, and the first of a sample is
 * where a replay starts (those before it are placed). */
static void untrack(const hal_smb_session_t *h)
{
    if (!ag.untracked++) ag.replay_from = ag.read + (uint32_t)(h - ag.batch);
}

static sess_t *new_record(const hal_smb_session_t *h)
{
    sess_t *s = ring_alloc(&ag.ring);
    if (!s) {
        untrack(h);
        return NULL;
    }
    s->session_id = h->session_id;
    ring_track(&ag.ring, s);
    strncpy(s->client, h->client, sizeof s->client); /* zeros after the text */
    strncpy(s->user, h->user, sizeof s->user);
#if AGENT_RING_INDEX
    s->client_hash = text_ihash(s->client);
#endif
    s->first_s = s->seen_s = rec_s(); /* seen: a counter says nothing yet, idle from now */
    s->state = SESS_ACTIVE;
    s->activity = h->activity;
    log_sess(EV_SEEN, 0, s, s->session_id);
    return s;
}

/* Whether h names record s as it stands: the same client, user and type
 * byte for byte, zeros after each (as a HAL fills them; one that does not
 * takes the longer way). s's texts are terminated and clean, so a match
 * needs no checking of h's. */
#define TEXTS(rec) (offsetof(rec, type) + HAL_SMB_TYPE_MAX - offsetof(rec, client))
_Static_assert(offsetof(sess_t, user) == offsetof(sess_t, client) + HAL_SMB_CLIENT_MAX &&
               offsetof(sess_t, type) == offsetof(sess_t, user) + HAL_SMB_USER_MAX &&
               TEXTS(sess_t) == TEXTS(hal_smb_session_t),
               "a record's texts lie together, as the HAL's do");

static bool same_as_kept(const sess_t *s, const hal_smb_session_t *h)
{
    return memcmp(s->client, h->client, TEXTS(sess_t)) == 0;
}

/* The record for h when it is not s as kept (s: the live one with h's id,
 * or NULL): s with h's texts and connection, or a new one (*fresh) if h
 * names another client or user; NULL if no slot is left. Apart from
 * take_record's path for a record as kept, which it keeps short. */
static __attribute__((noinline)) sess_t *place(hal_smb_session_t *h, sess_t *s, bool *fresh)
{
    if (!s || !same_as_kept(s, h)) {
        /* terminated, printable UTF-8: as the leak table reads a source
         * back from NV, so a session's key finds its row after a restart */
        text_clean(h->client, sizeof h->client);
        text_clean(h->user, sizeof h->user);
        text_clean(h->type, sizeof h->type);
        if (s && (!text_ieq(s->client, h->client) || strcmp(s->user, h->user) != 0)) {
            end_record(s, s->pending ? REASON_EVICTED : REASON_CLOSED); /* id reused */
            s = NULL;
        }
        if (!s) {
            if (!(s = new_record(h))) return NULL;
            *fresh = true;
        }
        strncpy(s->type, h->type, sizeof s->type);
    }
    if (*fresh || s->conn_id != h->conn_id) { /* its groups: the ring's index */
        if (!*fresh) ring_ungroup(&ag.ring, s); /* a new record is in none: an ended one left them */
        s->conn_id = h->conn_id;
        ring_group(&ag.ring, s);
        if (*fresh) policy_client_news(&ag.ring, s, rec_s(), ag.job.cfg.dup_idle_s); /* joined */
    }
    return s;
}

/* One record of a sample, taken at now (rec_s); with again (a replay of
 * the same sample after leavers were ended) only the ones not yet placed.
 * True when it made a new record. Inlined into its one caller, take_batch:
 * per record, the call cost what a record as kept does. */
static inline __attribute__((always_inline)) bool take_record(hal_smb_session_t *h, bool again, uint32_t now)
{
    sess_t *s = ring_find_live(&ag.ring, h->session_id);
    if (s && s->sample == ag.gen) {
        if (!again) ag.st.rejected++; /* the same id twice in one sample */
        return false;
    }
    if (!s && !ring_has_room(&ag.ring)) { /* placed by a replay once leavers end */
        untrack(h);
        return false;
    }
    bool fresh = false;
    if ((!s || !same_as_kept(s, h) || s->conn_id != h->conn_id) && !(s = place(h, s, &fresh)))
        return false;
    s->flags = (uint8_t)((h->flags & ~SESS_F_LEAK) | (s->flags & SESS_F_LEAK));
    uint32_t idle = sess_idle_live(s, now), connected = sess_connected_live(s, now);
    if (h->flags & HAL_SMB_F_IDLE)
        s->idle_s = h->idle_s;
    else if (h->activity != s->activity)
        s->idle_s = 0;
    else
        s->idle_s = idle;
    s->activity = h->activity;
    /* A session is at least as old as its idle time. */
    s->connected_s = h->connected_s > s->idle_s ? h->connected_s : s->idle_s;
    if (fresh || s->opens != h->opens || s->idle_s != idle || s->connected_s != connected) {
        policy_news(s, now);
        policy_client_news(&ag.ring, s, now, ag.job.cfg.dup_idle_s);
    }
    s->opens = h->opens;
    s->seen_s = now;
    s->sample = ag.gen;
    ag.listed++;
    return fresh;
}

/* The batch's first n records (take_record); how many were new. */
static uint32_t take_batch(size_t n, bool again)
{
    uint32_t fresh = 0, now = rec_s();
    for (size_t i = 0; i < n; i++) fresh += take_record(&ag.batch[i], again, now);
    ag.read += (uint32_t)n;
    return fresh;
}

/* ---- evicting ----------------------------------------------------------- */

/* Empties the slots of the seconds passed since evict_s (every slot after
 * a minute): they now stand for this minute's seconds. */
static void rate_advance(void)
{
    uint32_t passed = ag.now_s - ag.evict_s;
    for (uint32_t k = 1; k <= passed && k <= 60; k++) {
        uint8_t *slot = &ag.evict_per_s[(ag.evict_s + k) % 60];
        ag.evict_used -= *slot;
        *slot = 0;
    }
    ag.evict_s = ag.now_s;
}

static uint32_t rate_room(void)
{
    rate_advance();
    return ag.cfg.evict_rate > ag.evict_used ? ag.cfg.evict_rate - ag.evict_used : 0;
}

static void rate_take(void)
{
    _Static_assert(AGENT_EVICT_RATE_MAX <= UINT8_MAX, "a second's count fits its slot");
    rate_advance();
    ag.evict_per_s[ag.now_s % 60]++; /* at most evict_rate a minute */
    ag.evict_used++;
}

/* The next live session after prev (NULL: the first) that ends with s at
 * granularity g; from the sample's groups for the policy (g is then s's). */
static sess_t *next_going(const sess_t *s, uint32_t g, const sess_t *prev, bool policy)
{
    if (policy) return policy_member(&ag.job, &ag.ring, s, prev);
    for (uint32_t i = prev ? (uint32_t)(prev - ag.ring.slot) + 1 : 0; i < AGENT_RING_CAP; i++)
        if (policy_goes_with(s, &ag.ring.slot[i], g)) return &ag.ring.slot[i];
    return NULL;
}

/* Asks the server to end s at granularity g; marks what goes with it.
 * policy: enforce mode, while a sample is finished (else an operator); by:
 * the operator who asked, if known. */
static int end_at(sess_t *s, uint32_t g, bool forced, const actor_t *by, bool policy)
{
    uint32_t going = 0;
    for (sess_t *o = next_going(s, g, NULL, policy); o; o = next_going(s, g, o, policy)) going++;
    int rc;
    if (g == HAL_SMB_CAN_END_SESSION)
        rc = hal_smb_end_session(s->session_id);
    else if (g == HAL_SMB_CAN_END_CONN)
        rc = hal_smb_end_conn(s->conn_id);
    else
        rc = hal_smb_end_client(s->client);
    if (rc != HAL_SMB_OK) {
        ag.st.eviction_failures++;
        s->retry_s = ag.now_s + AGENT_EVICT_RETRY_S;
        log_sess(EV_EVICT_FAILED, 0, s, (uint32_t)-rc);
        return rc;
    }
    for (sess_t *o = next_going(s, g, NULL, policy); o; o = next_going(s, g, o, policy)) {
        if (o->pending) continue;
        o->pending = 1;
        o->asked = ag.gen;
        o->forced = forced;
        ag.st.evict_requests++;
        if (policy) rate_take();
        char what[48];
        fmt_t f;
        fmt_init(&f, what, sizeof what);
        fmt_add(&f, "%u open file(s)", o->opens);
        if (going > 1) fmt_add(&f, ", 1 of %u sessions ended together", going);
        events_note(log_sess(EV_EVICT_ASKED, o->reason, o, forced), by, what);
    }
    return HAL_SMB_OK;
}

static void report_block(sess_t *s, block_t b)
{
    if (s->block == b) return;
    s->block = (uint8_t)b;
    log_sess(EV_EVICT_BLOCKED, (uint8_t)b, s, s->opens);
}

/* Enforce mode: ends stale s (and what goes with it), which the rules let
 * go, if the rate allows; else says once why not. */
static void evict(sess_t *s)
{
    if (s->pending) return; /* went with an earlier one */
    if (!ag.room || policy_members(&ag.job, &ag.ring, s) > ag.room) { /* it counts s: 1 at least */
        report_block(s, BLOCK_RATE);
    } else {
        end_at(s, policy_granularity(s, ag.job.caps), false, NULL, true);
        ag.room = rate_room();
    }
}

/* ---- finishing a sample -------------------------------------------------- */

/* Whether this poll may do one more step of cost units (the first always). */
static bool work_left(uint32_t cost)
{
    if (ag.work <= 0) return false;
    ag.work -= (int32_t)cost;
    return true;
}

/* A record found gone, or asked to go and still here. A request made
 * while this sample was taken or finished (an operator's, between polls)
 * may be later than the server's snapshot: the next sample tells. */
static void sweep(sess_t *s)
{
    if (!sess_live(s)) return;
    if (s->sample != ag.gen) {
        end_record(s, s->pending ? REASON_EVICTED : REASON_CLOSED);
        ag.left++;
        return;
    }
    if (s->pending && s->asked != ag.gen) { /* asked before this sample, still here */
        s->pending = 0;
        s->retry_s = ag.now_s + AGENT_EVICT_RETRY_S;
        ag.st.eviction_failures++;
        log_sess(EV_EVICT_FAILED, 0, s, 0);
    }
}

/* s is stale for a new reason: an event, and the first time, its source's
 * row in the leak table. */
static void went_stale(sess_t *s)
{
    uint32_t idle = sess_idle(s, ag.now_s);
    log_sess(EV_STALE, s->reason, s, idle);
    if (s->flags & SESS_F_LEAK) return;
    s->flags |= SESS_F_LEAK;
#if AGENT_RING_INDEX
    s->leak_key = leaks_key_hashed(s->client, s->client_hash, s->user);
#endif
    uint32_t now = agent_stamp_s();
    uint32_t when = now > idle ? now - idle : 0; /* when it leaked: last active */
    /* The first sample after a restart finds stale sessions the table may
     * have counted before it (kept in NV): not again if one of the source's
     * leaked as late. */
    uint32_t key = leak_key(s);
    if (ag.st.samples == 0 && leaks_seen(&ag.leaks, key, s->client, s->user, when)) return;
    leaks_stale(&ag.leaks, key, s->client, s->user, (sess_reason_t)s->reason, when);
}

/* Stale or not, and why, for one live record (unless its verdict holds). */
static void judge(sess_t *s)
{
    s->was = s->reason;
    if (policy_settled(&ag.job, s)) {
        if (s->reason == REASON_LIMIT) policy_unmark(&ag.ring, s); /* last sample's choice */
        return;
    }
    policy_judge(&ag.job, &ag.ring, s);
    if (s->reason && s->reason != s->was) went_stale(s);
}

/* A record of a sample that listed every one again: judged if its verdict
 * may have changed, and if it was asked to go, that did not take. */
static void kept(sess_t *s)
{
    if (s->pending) sweep(s);
    judge(s);
}

static bool enforcing(void) { return ag.job.cfg.mode == CFG_MODE_ENFORCE; }

/* Whether stale s may be asked to end now: not asked yet, no retry due. */
static bool may_ask(const sess_t *s)
{
    return !s->pending && !(s->retry_s && (int32_t)(ag.now_s - s->retry_s) < 0);
}

/* A stale session's verdict in enforce mode: ended (with what goes with
 * it) if the rules and the rate allow, else it says once why not. */
static void evict_or_say(sess_t *s, block_t b)
{
    if (b != BLOCK_NONE) report_block(s, b);
    else evict(s);
}

/* Stale s counts towards limit relief if nothing holds it; in enforce mode
 * it is a candidate, or says at once why it stays (held by a sibling under
 * limit pressure: asked again after the choices, which may free it). */
static void pick(sess_t *s)
{
    if (s->state == SESS_STALE) {
        block_t b = policy_auto_block(&ag.job, &ag.ring, s);
        if (b == BLOCK_NONE) ag.going++;
        if (!enforcing() || !may_ask(s)) return;
        if (b == BLOCK_SIBLING && ag.st.pressure) policy_park(&ag.job, s, &ag.ring);
        else if (b == BLOCK_NONE && ag.room) policy_heap_add(&ag.job, s, &ag.ring);
        else report_block(s, b == BLOCK_NONE ? BLOCK_RATE : b); /* held, or no room: evict_or_say's answer */
    } else if (ag.st.pressure && policy_limit_ok(&ag.job, &ag.ring, s, &ag.job.cfg)) {
        policy_heap_add(&ag.job, s, &ag.ring);
    } else {
        s->block = BLOCK_NONE; /* said again once stale again */
    }
}

/* The limit rule chose active s: it goes, and with it what shares its
 * connection or client; in enforce mode it is ended at once if it may. */
static void limit_take(sess_t *s)
{
    s->state = SESS_STALE;
    s->reason = REASON_LIMIT;
    if (s->was != REASON_LIMIT) went_stale(s);
    policy_marked(&ag.ring, s);
    ag.going += policy_members(&ag.job, &ag.ring, s);
    if (enforcing() && may_ask(s)) evict(s); /* nothing holds it: policy_limit_ok chose it */
}

/* The next candidate, stalest first: true while there is one worth taking. */
static bool take_next(void)
{
    bool more = ag.st.pressure && ag.st.server_sessions > policy_low_target(&ag.job.cfg) + ag.going;
    if (!ag.job.heap_n || (!more && !ag.room)) return false;
    sess_t *s = policy_heap_take(&ag.job, &ag.ring);
    if (s->state == SESS_STALE) evict(s);
    else if (more) limit_take(s);
    else s->block = BLOCK_NONE; /* not chosen: active */
    return true;
}

/* A candidate left over: a stale one says why it stays; one held by a
 * sibling is asked again, the limit's choices made. */
static void rest(sess_t *s)
{
    if (s->state != SESS_STALE) s->block = BLOCK_NONE;
    else if (!s->pending) evict_or_say(s, policy_auto_block(&ag.job, &ag.ring, s));
}

/* Runs f on live records from the pass's slot on while work is left;
 * true when the pass is through. */
static bool each_live(void (*f)(sess_t *))
{
    for (uint32_t i = ag.fin_at; i < AGENT_RING_CAP; i++) {
        if (i % 8 == 0 && !work_left(8)) { /* a unit a record */
            ag.fin_at = i;
            return false;
        }
        sess_t *s = &ag.ring.slot[i];
        if (sess_live(s)) f(s);
    }
    return true;
}

static bool heap_ordered(void)
{
    uint32_t todo = ag.job.heap_todo;
    uint32_t left = policy_heap_order(&ag.job, &ag.ring, (uint32_t)ag.work / 4 + 1);
    ag.work -= (int32_t)(4 * (todo - left)); /* the steps taken */
    return left == 0;
}

/* Every live record judged: limit pressure, from the server's count. */
static void judged(void)
{
    bool was = ag.st.pressure;
    ag.st.pressure = policy_pressure(&ag.job.cfg, ag.st.server_sessions, was);
    if (ag.st.pressure && !was) log_plain(EV_LIMIT, 0, ag.st.server_sessions, NULL);
    ag.going = 0;
    ag.room = enforcing() ? rate_room() : 0;
    fin_next(FIN_PICK);
}

/* The sample's records are in place, the gone ones ended: its counts. */
static void sample_counted(void)
{
    if (ag.untracked && !ag.st.untracked)
        log_plain(EV_TRUNCATED, 0, ag.untracked, NULL);
    ag.st.untracked = ag.untracked;
    ag.st.server_sessions = ring_live(&ag.ring) + ag.untracked;
    ag.st.refusals = ag.info.refusals;
    ag.st.has_refusals = ag.info.has_refusals != 0;
}

/* Goes on with the current pass until it ends or this poll's work is spent. */
static void finish_pass(void)
{
    switch ((fin_t)ag.fin) {
    case FIN_NONE: return;
    case FIN_SWEEP:
        while (work_left(1)) {
            uint32_t at = ring_after(&ag.ring, ag.fin_prev);
            if (!at) {
                /* Newcomers found no slot while leavers held theirs: now
                 * there is room, the same sample again places them (from
                 * the batch where the first found none). */
                if (ag.untracked && ag.left && hal_smb_rewind(ag.replay_from) == HAL_SMB_OK) {
                    ag.untracked = 0;
                    ag.read = ag.replay_from;
                    fin_next(FIN_REPLAY);
                    return;
                }
                if (ag.untracked && ag.left) ag.sample_soon = true; /* no replay: sample again */
                sample_counted();
                if (ag.untracked) fin_next(FIN_REASON); else judged();
                return;
            }
            sess_t *s = &ag.ring.slot[at - 1];
            sweep(s);
            if (!ag.untracked && sess_live(s)) {
                /* one of its client's may be gone, ended later in this walk */
                if (policy_client_left(&ag.job, &ag.ring, s)) policy_news(s, ag.job.now_s);
                judge(s);
            }
            ag.fin_prev = at;
        }
        return;
    case FIN_REPLAY:
        while (work_left(AGENT_SAMPLE_BATCH)) {
            size_t n = 0;
            hal_smb_info_t info = {0, 0};
            int rc = hal_smb_sample(ag.batch, AGENT_SAMPLE_BATCH, &n, &info);
            if (rc < 0 || rc == HAL_SMB_PENDING || n > AGENT_SAMPLE_BATCH) n = 0, rc = HAL_SMB_OK;
            ag.work -= 8 * (int32_t)take_batch(n, true); /* a newcomer: about 8 records judged */
            if (rc == HAL_SMB_OK) {
                sample_counted();
                fin_next(FIN_REASON);
                return;
            }
        }
        return;
    case FIN_REASON:
        if (each_live(judge)) judged();
        return;
    case FIN_KEPT:
        if (each_live(kept)) {
            sample_counted();
            judged();
        }
        return;
    case FIN_PICK:
        if (!ag.st.pressure && !enforcing()) break; /* nothing to choose or end */
        if (each_live(pick)) fin_next(FIN_ORDER);
        return;
    case FIN_ORDER:
        if (heap_ordered()) fin_next(FIN_TAKE);
        return;
    case FIN_TAKE:
        while (work_left(8))
            if (!take_next()) {
                fin_next(FIN_REST);
                return;
            }
        return;
    case FIN_REST: /* the heap's leftovers, then those parked */
        for (; ag.fin_at < ag.job.heap_n + ag.job.parked_n; ag.fin_at++) {
            if (!work_left(2)) return;
            rest(policy_left(&ag.job, &ag.ring, ag.fin_at));
        }
        ag.job.heap_n = ag.job.parked_n = 0;
        break;
    }
    ag.fin = FIN_NONE;
    leaks_save(&ag.leaks); /* what this sample changed in the leak table */
    ag.st.samples++;
    ag.st.last_ok = true;
    ag.st.last_ok_s = ag.now_s;
}

/* One poll's share of finishing the sample; true while more is left. */
static bool finish_step(void)
{
    while (ag.fin && ag.work > 0) finish_pass();
    return ag.fin != FIN_NONE;
}

/* One event when samples start failing, and another when the reason
 * changes, not one per failed sample. */
static void sample_failed(void)
{
    uint32_t why = text_ihash(hal_smb_error());
    ag.st.sample_failures++;
    if (ag.st.last_ok || why != ag.fail_hash)
        log_plain(EV_SAMPLE_FAILED, 0, ag.st.sample_failures, hal_smb_error());
    ag.fail_hash = why;
    ag.st.last_ok = false;
}

/* Takes a bounded number of batches, or finishes the sample taken in a
 * bounded number of steps; true if there is more to do. */
static bool sample_step(void)
{
    ag.work = AGENT_FINISH_WORK;
    if (ag.fin) return finish_step();
    if (!ag.sampling) {
        if (!due(ag.due_ms) && !ag.sample_soon) return false;
        ag.sampling = true;
        ag.sample_soon = false;
        ag.gen++;
        ag.untracked = ag.listed = ag.read = 0;
        ag.due_ms = ag.last_ms + ag.cfg.sample_interval_s * 1000u;
    }
    for (uint32_t b = 0; b < AGENT_SAMPLE_BATCHES_PER_POLL; b++) {
        size_t n = 0;
        hal_smb_info_t info = {0, 0};
        int rc = hal_smb_sample(ag.batch, AGENT_SAMPLE_BATCH, &n, &info);
        ag.pending = rc == HAL_SMB_PENDING;
        if (ag.pending) return true;
        if (rc < 0 || n > AGENT_SAMPLE_BATCH) {
            ag.sampling = false;
            sample_failed();
            return false;
        }
        take_batch(n, false);
        if (rc == HAL_SMB_OK) {
            ag.sampling = false;
            ag.info = info;
            ag.left = 0;
            ag.fin_prev = 0;
            policy_begin(&ag.job, &ag.ring, ag.now_s, hal_smb_caps(), &ag.cfg);
            ag.job.sample = ag.gen;
            fin_next(AGENT_KEPT_PASS && !ag.untracked && ag.listed == ring_live(&ag.ring) ? FIN_KEPT
                                                                                          : FIN_SWEEP);
            return finish_step(); /* a small table is finished in the same poll */
        }
    }
    return true;
}

/* ---- operators' deletes ------------------------------------------------- */

/* Whether decisions may rest on the ring now: a good sample, and recent. */
static bool data_fresh(fmt_t *msg)
{
    if (!ag.st.last_ok || ag.st.samples == 0) {
        fmt_add(msg, "no good sample yet; nothing is ended");
        return false;
    }
    uint32_t age = ag.now_s - ag.st.last_ok_s;
    if (age > 2 * ag.cfg.sample_interval_s + 1) {
        fmt_add(msg, "data is %us old; retry after the next sample", age);
        return false;
    }
    return true;
}

static void explain_block(const sess_t *s, block_t b, const char *force_word, fmt_t *msg)
{
    fmt_add(msg, "session %u ", s->id);
    switch (b) {
    case BLOCK_OPENS:
        fmt_add(msg, "holds %u open file(s); %s closes them", s->opens, force_word);
        return;
    case BLOCK_PROTECTED: fmt_add(msg, "is in policy.protect"); break;
    case BLOCK_SIBLING: fmt_add(msg, "shares a connection that must stay"); break;
    default: fmt_add(msg, "cannot be ended by this server"); return;
    }
    fmt_add(msg, "; %s overrides", force_word);
}

static bool named(const sess_t *s, const agent_del_req_t *req)
{
    sess_filter_t f = {SESS_LIVE_STATES, req->client, req->user};
    return sess_matches(s, &f) && (!req->id || s->id == req->id);
}

/* The server-side unit to end s in: a whole client only when the operator
 * named the client alone and nothing of it is held back. */
static uint32_t delete_granularity(const sess_t *s, const agent_del_req_t *req, uint32_t caps)
{
    if (req->client && !req->user && !req->held && (caps & HAL_SMB_CAN_END_CLIENT))
        return HAL_SMB_CAN_END_CLIENT;
    return policy_granularity(s, caps);
}

/* Lists the held-back sessions with their reasons: "8 open files, 10 protected". */
static void list_held(const agent_del_req_t *req, uint32_t caps, fmt_t *msg)
{
    policy_who_t who = req->force ? POLICY_FORCE : POLICY_MANUAL;
    fmt_add(msg, "; %u held back (%s overrides):", req->held, req->force_word);
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &ag.ring.slot[i];
        block_t b = named(s, req) ? policy_block(&ag.ring, s, &ag.cfg, caps, who) : BLOCK_NONE;
        if (b != BLOCK_NONE) fmt_add(msg, " session %u %s,", s->id, block_name(b));
    }
    if (!msg->overflow) msg->len--, msg->buf[msg->len] = '\0'; /* the last comma */
}

agent_del_t agent_delete(agent_del_req_t *req, fmt_t *msg)
{
    uint32_t caps = hal_smb_caps(), found = 0, already = 0;
    uint32_t asked_before = ag.st.evict_requests;
    const char *client = req->client;
    while (client && *client == '\\') client++;
    policy_who_t who = req->force ? POLICY_FORCE : POLICY_MANUAL;
    req->asked = req->held = 0;
    /* Judge every named session before ending any. */
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        sess_t *s = &ag.ring.slot[i];
        if (!named(s, req)) continue;
        found++;
        block_t b = policy_block(&ag.ring, s, &ag.cfg, caps, who);
        if (b != BLOCK_NONE && req->id) {
            req->held = 1;
            explain_block(s, b, req->force_word, msg);
            return AGENT_DEL_EBLOCKED;
        }
        req->held += b != BLOCK_NONE;
        already += b == BLOCK_NONE && s->pending; /* asked before: counts, not asked again */
    }
    if (!found) {
        fmt_add(msg, "no live session");
        if (req->id) fmt_add(msg, " %u", req->id);
        if (client) fmt_add(msg, " from \\\\%s", client);
        if (req->user) fmt_add(msg, " of user %s", req->user);
        return AGENT_DEL_ENOENT;
    }
    if (!data_fresh(msg)) return AGENT_DEL_ESTALE;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        sess_t *s = &ag.ring.slot[i];
        if (!named(s, req) || policy_block(&ag.ring, s, &ag.cfg, caps, who) != BLOCK_NONE)
            continue;
        if (s->pending) continue; /* asked before, or just now with a sibling */
        if (end_at(s, delete_granularity(s, req, caps), req->force, req->by, false) != HAL_SMB_OK) {
            fmt_add(msg, "the server refused to end session %u", s->id);
            return AGENT_DEL_EFAIL;
        }
    }
    evstore_poll(&ag.events);
    req->asked = already + (ag.st.evict_requests - asked_before);
    if (req->asked) ag.sample_soon = true;
    if (req->id) fmt_add(msg, "session %u", req->id);
    if (client) fmt_add(msg, "\\\\%s", client);
    if (req->user) fmt_add(msg, "%s%s", client ? " " : "", req->user);
    fmt_add(msg, ": end requested for %u session(s)", req->asked);
    if (req->held) list_held(req, caps, msg);
    return req->asked ? AGENT_DEL_OK : AGENT_DEL_EBLOCKED;
}

/* ---- the loop ------------------------------------------------------------ */

void agent_init(const agent_options_t *opt, uint32_t now_ms)
{
    memset(&ag, 0, sizeof ag);
    ring_init(&ag.ring);
    events_init(&ag.events);
    evstore_boot(&ag.events);
    leaks_load(&ag.leaks);
    ag.last_ms = now_ms;
    ag.due_ms = now_ms;
    ag.st.last_ok = true;
    ag.st.boot_seq = events_next(&ag.events);
    log_plain(EV_BOOT, 0, 0, AGENT_VERSION);
    uint32_t torn = evstore_stats()->torn;
    if (torn) log_plain(EV_NV, 0, torn, "event log");
    cfg_load();
    console_init(opt->console_echo);
}

void agent_stop(void) { evstore_stop(&ag.events); }

uint32_t agent_poll(uint32_t now_ms)
{
    clock_advance(now_ms);
    /* Sample first, so a command sees the table as of this poll. */
    bool sampling = sample_step();
    evstore_poll(&ag.events); /* kept before anyone can read them */
    uint32_t wait = console_poll(now_ms);
    evstore_poll(&ag.events);
    if (ag.pending) return wait < AGENT_PENDING_MS ? wait : AGENT_PENDING_MS;
    if (sampling || ag.sample_soon) return 0;
    int32_t to_sample = (int32_t)(ag.due_ms - ag.last_ms);
    if (to_sample <= 0) return 0;
    if ((uint32_t)to_sample < wait) wait = (uint32_t)to_sample;
    return wait > 1000 ? 1000u : wait;
}
