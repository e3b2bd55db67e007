#include "events.h"

#include <string.h>

#include "ring.h"
#include "text.h"

static const char *const type_names[EV_TYPE_COUNT] = {
    [EV_BOOT] = "boot",
    [EV_SEEN] = "seen",
    [EV_STALE] = "stale",
    [EV_EVICT_ASKED] = "evict-asked",
    [EV_EVICTED] = "evicted",
    [EV_EVICT_FAILED] = "evict-failed",
    [EV_EVICT_BLOCKED] = "evict-blocked",
    [EV_CLOSED] = "closed",
    [EV_TRUNCATED] = "table-truncated",
    [EV_SAMPLE_FAILED] = "sample-failed",
    [EV_LIMIT] = "limit-pressure",
    [EV_CONFIG] = "config-changed",
    [EV_NV] = "config-restored",
    [EV_SAVED] = "config-saved",
    [EV_CREDS] = "credentials",
};

void events_init(events_t *ev) { events_start_at(ev, 1); }

void events_start_at(events_t *ev, uint32_t seq)
{
    memset(ev, 0, sizeof *ev);
    ev->next_seq = seq;
}

void events_clean(event_t *e)
{
    text_clean(e->subject, sizeof e->subject);
    size_t rest = text_clean(e->more, sizeof e->more);
    if (rest) text_clean(e->more + sizeof e->more - rest, rest);
    if (e->actor > ACTOR_START) e->actor = ACTOR_POLICY;
}

/* A cleared place after the newest for event number seq (events_next()
 * or later), the oldest giving way when the ring is full. */
static event_t *append(events_t *ev, uint32_t seq)
{
    uint32_t at = ev->head;
    if (ev->count < AGENT_EVENT_CAP) at = (ev->head + ev->count++) % AGENT_EVENT_CAP;
    else ev->head = (ev->head + 1) % AGENT_EVENT_CAP;
    event_t *e = &ev->ring[at];
    memset(e, 0, sizeof *e);
    e->seq = seq;
    ev->next_seq = seq + 1;
    return e;
}

event_t *events_add(events_t *ev, uint32_t time_s, event_type_t type,
                    uint8_t reason, uint32_t session, uint32_t arg,
                    const char *subject)
{
    event_t *e = append(ev, ev->next_seq);
    e->time_s = time_s;
    e->type = (uint8_t)type;
    e->reason = reason;
    e->session = session;
    e->arg = arg;
    if (subject) text_put(e->subject, sizeof e->subject, subject);
    return e;
}

void events_put(events_t *ev, const event_t *e) { *append(ev, e->seq) = *e; }

void events_skip(events_t *ev, uint32_t seq) { ev->next_seq = seq; }

void events_note(event_t *e, const actor_t *by, const char *detail)
{
    e->actor = by ? by->kind : ACTOR_POLICY;
    memset(e->more, 0, sizeof e->more);
    size_t n = text_put(e->more, sizeof e->more / 2, by && by->name ? by->name : "");
    if (detail) text_put(e->more + n + 1, sizeof e->more - n - 1, detail);
}

const char *events_by_name(const event_t *e) { return e->more; }

const char *events_detail(const event_t *e)
{
    size_t n = strlen(e->more); /* both parts are terminated (events_note, evstore) */
    return n + 1 < sizeof e->more ? e->more + n + 1 : "";
}

uint32_t events_next(const events_t *ev) { return ev->next_seq; }

static const event_t *nth(const events_t *ev, uint32_t k) { return &ev->ring[(ev->head + k) % AGENT_EVENT_CAP]; }

uint32_t events_first(const events_t *ev) { return ev->count ? nth(ev, 0)->seq : ev->next_seq; }

static bool within(const events_t *ev, uint32_t first, uint32_t seq)
{
    return (uint32_t)(seq - first) < (uint32_t)(ev->next_seq - first);
}

/* How many events held are numbered below seq (from the oldest to the
 * next): a lookup without gaps, a binary search with them. Gaps come only
 * from events read back from a log (a board without one leaves it out). */
static uint32_t below(const events_t *ev, uint32_t first, uint32_t seq)
{
    uint32_t want = seq - first, lo = 0, hi = ev->count;
    if (!AGENT_NV_EVENT_PAGES || ev->next_seq - first == ev->count) return want;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (nth(ev, mid)->seq - first < want) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

const event_t *events_get(const events_t *ev, uint32_t seq)
{
    uint32_t first = events_first(ev);
    if (!within(ev, first, seq)) return NULL;
    uint32_t k = below(ev, first, seq);
    return k < ev->count && nth(ev, k)->seq == seq ? nth(ev, k) : NULL;
}

uint32_t events_from(const events_t *ev, uint32_t seq)
{
    uint32_t first = events_first(ev);
    if (!within(ev, first, seq)) return seq;
    uint32_t k = below(ev, first, seq);
    return k < ev->count ? nth(ev, k)->seq : ev->next_seq;
}

uint32_t events_held(const events_t *ev) { return ev->count; }

uint32_t events_at(const events_t *ev, uint32_t k) { return nth(ev, k)->seq; }

uint32_t events_resume(const events_t *ev, uint32_t cursor, uint32_t *lost)
{
    uint32_t first = events_first(ev), next = ev->next_seq;
    uint32_t want = cursor + 1;
    *lost = 0;
    uint32_t from = first; /* a cursor from the future: start over */
    if ((uint32_t)(want - first) <= (uint32_t)(next - first)) from = want; /* within, or at the end */
    else if ((int32_t)(want - first) < 0) *lost = first - want;              /* fell out */
    *lost += (next - from) - (ev->count - below(ev, first, from));                 /* the gaps after */
    return from;
}

const char *events_actor_name(actor_kind_t kind)
{
    static const char *const names[] = {"policy", "console", "api", "start"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

const char *events_type_name(event_type_t type)
{
    return (unsigned)type < EV_TYPE_COUNT ? type_names[type] : "?";
}

/* Every text takes a string, then a number ("%.0s" skips the string);
 * EV_NV's a second string, what is in force. */
static const char *const texts[EV_TYPE_COUNT] = {
    [EV_BOOT] = "smbwarden %s started",
    [EV_SEEN] = " appeared%.0s (server id %u)",
    [EV_STALE] = " is stale: %s, idle %T",
    [EV_EVICT_ASKED] = " end requested (%s)",
    [EV_EVICTED] = " evicted",
    [EV_EVICT_FAILED] = " still there%.0s (error %u)",
    [EV_EVICT_BLOCKED] = " kept: %s",
    [EV_CLOSED] = " closed",
    [EV_TRUNCATED] = "ring full%.0s: %u session(s) untracked",
    [EV_SAMPLE_FAILED] = "sample failed: %s (%u so far); evictions wait",
    [EV_LIMIT] = "limit pressure%.0s: %u sessions",
    [EV_CONFIG] = "%s changed",
    [EV_NV] = "stored %s damaged (%u bad): %s in force",
    [EV_SAVED] = "settings saved%.0s (%u bytes)",
    [EV_CREDS] = "%s ",
};

static const char *const creds_acts[] = {"stored", "staged", "activated", "cleared"};

void events_describe(const event_t *e, fmt_t *out)
{
    const char *s = e->subject;
    if (e->type >= EV_TYPE_COUNT) return;
    if (e->session) fmt_add(out, "session %u \\\\%s", e->session, e->subject);
    if (e->type == EV_EVICT_ASKED && e->actor != ACTOR_POLICY)
        s = e->arg ? "forced" : "on request";
    else if (e->type == EV_STALE || e->type == EV_EVICT_ASKED)
        s = sess_reason_name((sess_reason_t)e->reason);
    else if (e->type == EV_EVICT_BLOCKED)
        s = block_name((block_t)e->reason);
    if (e->type == EV_NV) { /* subject: which record (empty: settings, as logged before) */
        static const char *const instead[] = {"the last good copy", "defaults", "none"};
        fmt_add(out, texts[EV_NV], *s ? s : "settings", e->arg, instead[e->reason % 3]);
    } else {
        fmt_add(out, texts[e->type], s, e->arg);
    }
    if (e->type == EV_CREDS && e->reason < sizeof creds_acts / sizeof creds_acts[0])
        fmt_add(out, "%s", creds_acts[e->reason]);
    if (*events_detail(e)) fmt_add(out, ": %s", events_detail(e));
    if (e->actor != ACTOR_POLICY)
        fmt_add(out, " [by %s%s%s]", events_actor_name((actor_kind_t)e->actor),
                *e->more ? " " : "", e->more);
}
