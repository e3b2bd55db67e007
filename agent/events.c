#include "events.h"

#include <string.h>

#include "ring.h"

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
};

void events_init(events_t *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->next_seq = 1;
}

void events_add(events_t *ev, uint32_t time_s, event_type_t type,
                uint8_t reason, uint32_t session, uint32_t arg,
                const char *subject)
{
    event_t *e = &ev->ring[ev->next_seq % AGENT_EVENT_CAP];
    memset(e, 0, sizeof *e);
    e->seq = ev->next_seq++;
    e->time_s = time_s;
    e->type = (uint8_t)type;
    e->reason = reason;
    e->session = session;
    e->arg = arg;
    if (subject) {
        size_t n = strlen(subject);
        if (n >= sizeof e->subject) n = sizeof e->subject - 1;
        memcpy(e->subject, subject, n);
    }
}

uint32_t events_next(const events_t *ev) { return ev->next_seq; }

uint32_t events_first(const events_t *ev)
{
    /* Sequence numbers start at 1 and the ring holds the last CAP. */
    uint32_t held = ev->next_seq - 1;
    if (held > AGENT_EVENT_CAP) held = AGENT_EVENT_CAP;
    return ev->next_seq - held;
}

const event_t *events_get(const events_t *ev, uint32_t seq)
{
    if ((uint32_t)(seq - events_first(ev)) >= (uint32_t)(ev->next_seq - events_first(ev)))
        return NULL;
    return &ev->ring[seq % AGENT_EVENT_CAP];
}

uint32_t events_resume(const events_t *ev, uint32_t cursor, uint32_t *lost)
{
    uint32_t first = events_first(ev), next = ev->next_seq;
    uint32_t want = cursor + 1;
    *lost = 0;
    if ((uint32_t)(want - first) <= (uint32_t)(next - first))
        return want; /* within the ring, or exactly at its end */
    if ((int32_t)(want - first) < 0) {
        *lost = first - want;
        return first;
    }
    return first; /* cursor from the future: start over */
}

const char *events_type_name(event_type_t type)
{
    return (unsigned)type < EV_TYPE_COUNT ? type_names[type] : "?";
}

static void describe_session(const event_t *e, fmt_t *out)
{
    fmt_add(out, "session %u \\\\%s", e->session, e->subject);
    switch (e->type) {
    case EV_SEEN: fmt_add(out, " appeared (server id %u)", e->arg); break;
    case EV_STALE:
        fmt_add(out, " is stale: %s, idle %T", sess_reason_name((sess_reason_t)e->reason), e->arg);
        break;
    case EV_EVICT_ASKED:
        fmt_add(out, ": end requested%s", e->arg ? " with force" : "");
        if (e->reason) fmt_add(out, " (%s)", sess_reason_name((sess_reason_t)e->reason));
        break;
    case EV_EVICTED: fmt_add(out, " evicted"); break;
    case EV_EVICT_FAILED:
        fmt_add(out, e->arg ? ": the server refused to end it" : " is still there after the end request");
        break;
    case EV_EVICT_BLOCKED: fmt_add(out, " kept: %s", block_name((block_t)e->reason)); break;
    default: fmt_add(out, " closed"); break;
    }
}

void events_describe(const event_t *e, fmt_t *out)
{
    switch (e->type) {
    case EV_BOOT: fmt_add(out, "smbwarden %s started", e->subject); break;
    case EV_TRUNCATED:
        fmt_add(out, "session table truncated: %u session(s) beyond the ring are untracked", e->arg);
        break;
    case EV_SAMPLE_FAILED:
        fmt_add(out, "reading the session table failed (%u failures so far); evictions paused", e->arg);
        break;
    case EV_LIMIT: fmt_add(out, "limit pressure: %u sessions on the server", e->arg); break;
    case EV_CONFIG: fmt_add(out, "%s changed", e->subject); break;
    case EV_NV:
        fmt_add(out, e->reason ? "stored settings unusable (%u damaged copies): defaults in force"
                               : "stored settings damaged (%u problems): the last good copy is in force",
                e->arg);
        break;
    case EV_SAVED: fmt_add(out, "settings saved (%u bytes)", e->arg); break;
    default: describe_session(e, out); break;
    }
}
