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

/* Type of a slot no event has used yet: tells a full ring from a new one
 * once next_seq has wrapped back to small numbers. */
#define SLOT_UNUSED 0xffu

void events_init(events_t *ev)
{
    memset(ev, 0, sizeof *ev);
    for (size_t i = 0; i < AGENT_EVENT_CAP; i++) ev->ring[i].type = SLOT_UNUSED;
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
    /* Sequence numbers start at 1 and the ring holds the last CAP. Whether
     * it has filled is read from the slot the next event takes, because
     * next_seq is small again after the 32-bit wrap. */
    uint32_t held = ev->next_seq - 1;
    if (held > AGENT_EVENT_CAP || ev->ring[ev->next_seq % AGENT_EVENT_CAP].type != SLOT_UNUSED)
        held = AGENT_EVENT_CAP;
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

/* Every text takes a string, then a number; "%.0s" skips the string. */
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
    [EV_NV] = "stored settings damaged: %s in force (%u bad)",
    [EV_SAVED] = "settings saved%.0s (%u bytes)",
};

void events_describe(const event_t *e, fmt_t *out)
{
    const char *s = e->subject;
    if (e->type >= EV_TYPE_COUNT) return;
    if (e->session) fmt_add(out, "session %u \\\\%s", e->session, e->subject);
    if (e->type == EV_STALE || e->type == EV_EVICT_ASKED)
        s = e->arg && e->type == EV_EVICT_ASKED ? "forced" : sess_reason_name((sess_reason_t)e->reason);
    else if (e->type == EV_EVICT_BLOCKED)
        s = block_name((block_t)e->reason);
    else if (e->type == EV_NV)
        s = e->reason ? "defaults" : "the last good copy";
    fmt_add(out, texts[e->type], s, e->arg);
}
