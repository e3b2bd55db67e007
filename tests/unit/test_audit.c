/* The audit trail: who acted and what exactly (settings old -> new, an
 * operator's delete), wall time when the board has it, and events across a
 * restart: kept and numbered on from the NV log, or only numbered on (a
 * board without the log), never a number used twice; torn and hostile
 * slots in the log. */
#include <stdlib.h>

#include "agent_fixture.h"
#include "evstore.h"
#include "hal_nv.h"
#include "nvrec.h"
#include "text.h"

#define START_MS 1000000u
#define SLOT (4 + (uint32_t)sizeof(event_t)) /* a log slot: its sum and the event */
#define PER_PAGE (FAKE_NV_PAGE / SLOT)

static void boot(void)
{
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    settle();
}

static int setup(void **state)
{
    (void)state;
    fake_ms = START_MS;
    fake_wall_s = 0;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    boot();
    return 0;
}

static const event_t *newest(void)
{
    const events_t *ev = agent_events();
    return events_get(ev, events_next(ev) - 1);
}

static const event_t *last_of(event_type_t t)
{
    const events_t *ev = agent_events();
    for (uint32_t s = events_next(ev); s != events_first(ev); s--) {
        const event_t *e = events_get(ev, s - 1);
        if (e && e->type == t) return e;
    }
    return NULL;
}

static void describe(const event_t *e, char *buf, size_t cap)
{
    fmt_t f;
    fmt_init(&f, buf, cap);
    events_describe(e, &f);
}

/* ---- who and what ------------------------------------------------------------ */

static void test_setting_change_says_old_new_and_who(void **state)
{
    (void)state;
    const actor_t api = {ACTOR_API, "alice"};
    cfg_t next = *agent_cfg();
    char buf[256];
    fmt_t err;
    fmt_init(&err, buf, sizeof buf);
    next.mode = CFG_MODE_ENFORCE;
    next.idle_timeout_s = 7200;
    assert_int_equal(agent_cfg_apply(&next, &api, &err), CFG_OK);
    const event_t *e = newest();
    assert_int_equal(e->type, EV_CONFIG);
    assert_string_equal(e->subject, "policy.idle_timeout");
    assert_int_equal(e->actor, ACTOR_API);
    assert_string_equal(events_by_name(e), "alice");
    assert_string_equal(events_detail(e), "15m -> 2h");
    describe(e, buf, sizeof buf);
    assert_string_equal(buf, "policy.idle_timeout changed: 15m -> 2h [by api alice]");
    e = events_get(agent_events(), e->seq - 1);
    assert_string_equal(events_detail(e), "report -> enforce");

    next = *agent_cfg();
    next.mode = CFG_MODE_REPORT;
    assert_int_equal(agent_cfg_apply(&next, &console_actor, &err), CFG_OK);
    describe(newest(), buf, sizeof buf);
    assert_string_equal(buf, "policy.mode changed: enforce -> report [by console]");
    fmt_init(&err, buf, sizeof buf);
    assert_int_equal(agent_cfg_save(&console_actor, &err), 0);
    assert_int_equal(newest()->type, EV_SAVED);
    assert_int_equal(newest()->actor, ACTOR_CONSOLE);
}

static void test_operator_delete_is_told_from_an_automatic_one(void **state)
{
    (void)state;
    char buf[256];
    fmt_t msg;
    fake_smb_add(11, 1, "WS01", "alice", 3, 5); /* active, 3 open files */
    fake_smb_add(12, 2, "WS02", "bob", 0, 3 * 3600);
    run_ms(agent_cfg()->sample_interval_s * 1000u);
    const actor_t api = {ACTOR_API, "ops-bot"};
    const sess_t *s = rec(11);
    agent_del_req_t req = {.id = s->id, .force = true, .force_word = "?force=1", .by = &api};
    fmt_init(&msg, buf, sizeof buf);
    assert_int_equal(agent_delete(&req, &msg), AGENT_DEL_OK);
    const event_t *e = last_of(EV_EVICT_ASKED);
    assert_non_null(e);
    assert_int_equal(e->actor, ACTOR_API);
    describe(e, buf, sizeof buf);
    char want[128];
    snprintf(want, sizeof want,
             "session %u \\\\WS01 end requested (forced): 3 open file(s) [by api ops-bot]", s->id);
    assert_string_equal(buf, want);

    /* the policy ends the idle one by itself: its reason, no actor */
    set_key("policy.mode", "enforce");
    run_ms(agent_cfg()->sample_interval_s * 1000u);
    e = last_of(EV_EVICT_ASKED);
    assert_int_equal(e->actor, ACTOR_POLICY);
    describe(e, buf, sizeof buf);
    snprintf(want, sizeof want, "session %u \\\\WS02 end requested (idle): 0 open file(s)",
             rec(12)->id);
    assert_string_equal(buf, want);
}

static void test_texts_are_cut_and_cleaned(void **state)
{
    (void)state;
    char name[200], detail[400];
    memset(name, 'n', sizeof name - 1), name[sizeof name - 1] = '\0';
    memset(detail, 0, sizeof detail);
    for (size_t i = 0; i + 2 < sizeof detail - 1; i += 2) memcpy(detail + i, "\xc3\xa9", 2);
    detail[5] = '\x1b';
    detail[8] = '\x9b'; /* a stray continuation byte */
    const actor_t api = {ACTOR_API, name};
    agent_log(EV_CREDS, CREDS_ACT_STORED, "client CA\x07", &api, detail);
    const event_t *e = newest();
    assert_string_equal(e->subject, "client CA?");
    assert_true(strlen(events_by_name(e)) < EVENT_MORE_MAX / 2);
    const char *d = events_detail(e);
    assert_true(d > e->more && d + strlen(d) < e->more + EVENT_MORE_MAX);
    /* a lead byte before 0x1b, 0x1b, and the stray byte with the one after
     * it (now a continuation byte without a lead) became '?' */
    assert_memory_equal(d, "\xc3\xa9\xc3\xa9??\xc3\xa9??\xc3\xa9", 12);
    for (size_t i = 0; d[i];) {
        size_t n = text_utf8_len(d + i, strlen(d + i));
        if (n == 0) fail_msg("ill-formed UTF-8 at %zu of the detail", i);
        assert_true((uint8_t)d[i] >= 0x20);
        i += n;
    }
}

/* ---- when --------------------------------------------------------------------- */

static void test_wall_time_when_the_board_has_it(void **state)
{
    (void)state;
    char buf[160];
    assert_int_equal(newest()->flags & EVENT_WALL, 0); /* booted without */
    fake_wall_s = 1796247601; /* 2026-12-02T21:40:01Z */
    agent_log(EV_CREDS, CREDS_ACT_CLEARED, "PSK", &console_actor, NULL);
    assert_int_equal(newest()->flags & EVENT_WALL, EVENT_WALL);
    assert_int_equal(newest()->time_s, 1796247601u);
    fake_wall_s = 1000; /* a clock never set: not believed */
    agent_log(EV_CREDS, CREDS_ACT_CLEARED, "PSK", &console_actor, NULL);
    assert_int_equal(newest()->flags & EVENT_WALL, 0);
    fake_console_clear_out();
    fake_console_type("show events 2\n");
    settle();
    snprintf(buf, sizeof buf, "#%-6u 2026-12-02T21:40:01Z  credentials", newest()->seq - 1);
    assert_non_null(strstr(fake_console_out(), buf));
    assert_non_null(strstr(fake_console_out(), "PSK cleared [by console]"));
    snprintf(buf, sizeof buf, "#%-6u up ", newest()->seq);
    assert_non_null(strstr(fake_console_out(), buf));
}

/* ---- across restarts ---------------------------------------------------------- */

/* A restart as after a power cut (no agent_stop) that reads back every
 * event the ring held before, with its number and texts, but any whose
 * subject is `gone` (which must be gone); the log keeps no session seen
 * or closed. */
static void restart_keeps_every_event(const char *gone, const char *where)
{
    static event_t before[AGENT_EVENT_CAP];
    const events_t *ev = agent_events();
    uint32_t n = events_held(ev);
    for (uint32_t k = 0; k < n; k++) before[k] = *events_get(ev, events_at(ev, k));
    boot();
    for (uint32_t k = 0; k < n; k++) {
        const event_t *e = events_get(agent_events(), before[k].seq);
        if (before[k].type == EV_SEEN || before[k].type == EV_CLOSED) continue;
        if (gone && strcmp(before[k].subject, gone) == 0) {
            if (e) fail_msg("%s: event %u (%s) read back", where, before[k].seq, gone);
            continue;
        }
        if (!e) fail_msg("%s: event %u of %u..%u not read back", where, before[k].seq, before[0].seq,
                         before[n - 1].seq);
        assert_memory_equal(e, &before[k], sizeof *e);
    }
}

static void test_events_survive_a_restart_with_their_numbers(void **state)
{
    (void)state;
    set_key("policy.mode", "enforce");
    uint32_t last = events_next(agent_events()) - 1;
    char before[160], after[160];
    describe(events_get(agent_events(), last), before, sizeof before);
    agent_stop(); /* an orderly restart: the NV store stays */
    boot();
    const events_t *ev = agent_events();
    const event_t *e = events_get(ev, last);
    assert_non_null(e);
    describe(e, after, sizeof after);
    assert_string_equal(after, before);
    assert_int_equal(events_get(ev, last + 1)->type, EV_BOOT);
    assert_int_equal(events_first(ev), 1);
    assert_int_equal(evstore_stats()->restored, last);
}

static void test_numbering_goes_on_past_a_full_log(void **state)
{
    (void)state;
    for (int i = 0; i < 3 * AGENT_EVENT_CAP + 7; i++)
        agent_log(EV_CREDS, CREDS_ACT_STORED, "PSK", &console_actor, NULL);
    uint32_t next = events_next(agent_events());
    agent_stop();
    boot();
    const events_t *ev = agent_events();
    assert_int_equal(events_next(ev), next + 1); /* the boot event is #next */
    if (AGENT_EVENT_CAP < PER_PAGE * (AGENT_NV_EVENT_PAGES - 1)) /* a full ring (else the next test) */
        assert_int_equal(events_next(ev) - events_first(ev), AGENT_EVENT_CAP);
    for (uint32_t s = events_first(ev); s != next; s++)
        assert_int_equal(events_get(ev, s)->type, EV_CREDS);
}

/* The log gives back what it holds, however it compares with the event
 * ring (the Samba board's ring of 4,096 is larger than its log; the
 * variant test_audit_bigring builds this file so): after many more events
 * than either holds, a restart reads back the newest the log still has
 * (all of it but the unwritten rest of the page the newest is in), at most
 * a ring's worth, with their numbers and texts, and numbering goes on
 * exactly after an orderly stop. */
static void test_the_log_gives_back_what_it_holds(void **state)
{
    (void)state;
    const uint32_t slots = PER_PAGE * AGENT_NV_EVENT_PAGES, total = AGENT_EVENT_CAP + 2 * slots + 3;
    for (uint32_t i = 0; i < total; i++) {
        char what[16];
        snprintf(what, sizeof what, "k%u", (unsigned)i);
        agent_log(EV_CREDS, CREDS_ACT_STORED, what, &console_actor, NULL);
    }
    uint32_t next = events_next(agent_events());
    agent_stop();
    boot();
    const events_t *ev = agent_events();
    uint32_t got = evstore_stats()->restored, held = slots - (PER_PAGE - 1);
    uint32_t want_low = held < AGENT_EVENT_CAP ? held : AGENT_EVENT_CAP;
    uint32_t want_high = slots < AGENT_EVENT_CAP ? slots : AGENT_EVENT_CAP;
    if (got < want_low || got > want_high)
        fail_msg("%u events read back, want %u..%u (ring %u, log %u slots)", got, want_low, want_high,
                 (unsigned)AGENT_EVENT_CAP, slots);
    assert_int_equal(events_next(ev), next + 1); /* the boot event is #next */
    uint32_t shown = got < AGENT_EVENT_CAP ? got : AGENT_EVENT_CAP - 1; /* beside the boot event */
    for (uint32_t seq = next - shown; seq != next; seq++) { /* the newest, none missing */
        const event_t *e = events_get(ev, seq);
        assert_non_null(e);
        char want[16];
        snprintf(want, sizeof want, "k%u", (unsigned)(total - (next - seq)));
        assert_int_equal(e->type, EV_CREDS);
        assert_string_equal(e->subject, want);
    }
    assert_null(events_get(ev, next - shown - 1));
}

/* Numbers wrap after 2^32: the newest event in the log is the one the
 * others are behind (serial order), not the largest number, so a restart
 * across the wrap reads back the newest events and goes on after them. */
static void test_a_restart_across_the_wrap_reads_back_the_newest(void **state)
{
    (void)state;
    fake_nv_reset();
    uint32_t high = 0xffffffe0u;
    assert_int_equal(nvrec_save(AGENT_NV_SEQ_PAGE, &high, sizeof high), NVREC_OK);
    boot();
    assert_int_equal(events_next(agent_events()) - 1, high); /* the boot event */
    for (int i = 0; i < 60; i++) agent_log(EV_CREDS, CREDS_ACT_STORED, "PSK", &console_actor, NULL);
    uint32_t next = events_next(agent_events()); /* past the wrap */
    assert_true(next < 100);
    agent_stop();
    boot();
    const events_t *ev = agent_events();
    assert_int_equal(events_next(ev), next + 1); /* the boot event is #next */
    for (uint32_t seq = next - 20; seq != next; seq++) {
        const event_t *e = events_get(ev, seq);
        assert_non_null(e);
        assert_int_equal(e->type, EV_CREDS);
    }
}

/* Numbers go to sessions seen and closed, which the log does not keep: its
 * events may lie more than 2^31 numbers apart (here: marks moved on as by
 * busy years between stops). The newest is still the one nearest below the
 * mark, and is read back. */
static void test_a_log_spanning_half_the_numbers_reads_back_the_newest(void **state)
{
    (void)state;
    static const uint32_t marks[] = {0x10000000u, 0x70000000u, 0xd0000000u};
    const uint32_t slots = PER_PAGE * AGENT_NV_EVENT_PAGES;
    fake_nv_reset();
    for (int k = 0; k < 3; k++) {
        assert_int_equal(nvrec_save(AGENT_NV_SEQ_PAGE, &marks[k], sizeof marks[k]), NVREC_OK);
        boot();
        for (uint32_t i = 0; i < (k < 2 ? slots / 2 : slots / 4); i++)
            agent_log(EV_CREDS, CREDS_ACT_STORED, k < 2 ? "older" : "newest", &console_actor, NULL);
        if (k < 2) agent_stop();
    }
    uint32_t next = events_next(agent_events());
    agent_stop();
    boot();
    const event_t *e = events_get(agent_events(), next - 1);
    assert_int_equal(events_next(agent_events()), next + 1);
    assert_non_null(e);
    assert_string_equal(e->subject, "newest");
}

/* A sample that makes more events for the log than it holds (the Samba
 * board's ring is larger than its log; test_audit_bigring) writes only
 * those that stay: one poll's NV writes and erases, each a sync on a
 * file-backed store, are at most a log's worth. */
static void test_a_burst_writes_at_most_a_log(void **state)
{
    (void)state;
    const uint32_t slots = PER_PAGE * AGENT_NV_EVENT_PAGES;
    for (uint32_t i = 0; i < AGENT_RING_CAP && i < FAKE_SMB_MAX; i++) {
        char client[16];
        snprintf(client, sizeof client, "WS%u", (unsigned)i);
        fake_smb_add(1000 + i, 1000 + i, client, "u", 0, 3 * 3600); /* stale at once */
    }
    int worst = 0;
    for (int i = 0; i < 200; i++) {
        int ops = fake_nv_ops;
        uint32_t wait = agent_poll(fake_ms);
        if (fake_nv_ops - ops > worst) worst = fake_nv_ops - ops;
        fake_ms += wait < 1000 ? wait : 1000;
    }
    print_message("%d stale events; at most %d NV operations in one poll (log: %u slots)\n",
                  count_events(EV_STALE), worst, slots);
    assert_true(count_events(EV_STALE) > 0);
    /* the log's slots and pages, the leak table's pairs, the numbering mark */
    assert_true((uint32_t)worst <= slots + AGENT_NV_EVENT_PAGES + AGENT_NV_LEAK_PAGES + 4);
}

/* A session seen and closed are events in the ring but not in the log:
 * after a restart, the events around them are read back with their
 * numbers, theirs are a gap, and a poller whose cursor is before them is
 * told of each as lost; no log slot was written for them. */
static void test_sessions_seen_and_closed_are_not_kept_across_a_restart(void **state)
{
    (void)state;
    agent_log(EV_CREDS, 0, "before", &console_actor, NULL);
    uint32_t cursor = events_next(agent_events()) - 1;
    int slots = fake_nv_ops;
    for (uint32_t i = 0; i < 5; i++) fake_smb_add(100 + i, 200 + i, "WS01", "CORP\\ann", 0, 1);
    run_ms(agent_cfg()->sample_interval_s * 1000u);
    assert_int_equal(count_events(EV_SEEN), 5);
    assert_int_equal(fake_nv_ops, slots); /* nothing written for them */
    fake_smb_n = 2;
    run_ms(agent_cfg()->sample_interval_s * 1000u);
    assert_int_equal(count_events(EV_CLOSED), 3);
    agent_log(EV_CREDS, 0, "after", &console_actor, NULL);
    uint32_t after = events_next(agent_events()) - 1, routine = 0;
    for (uint32_t q = cursor + 1; q < after; q++)
        routine += events_get(agent_events(), q)->type == EV_SEEN || events_get(agent_events(), q)->type == EV_CLOSED;
    assert_int_equal(routine, 8);
    agent_stop();
    restart_keeps_every_event(NULL, "seen and closed");
    const events_t *ev = agent_events();
    for (uint32_t k = 0; k < events_held(ev); k++) {
        const event_t *e = events_get(ev, events_at(ev, k));
        if (e->seq < agent_stats()->boot_seq) assert_true(e->type != EV_SEEN && e->type != EV_CLOSED);
    }
    assert_int_equal(count_events(EV_SEEN), 2); /* the sessions still there, seen again */
    assert_string_equal(events_get(agent_events(), after)->subject, "after");
    assert_int_equal(events_get(agent_events(), after + 1)->type, EV_BOOT); /* an orderly stop */
    uint32_t lost, from = events_resume(agent_events(), cursor, &lost);
    assert_int_equal(lost, routine);
    assert_int_equal(events_from(agent_events(), from), after);
}

/* A restart without an orderly stop (a power cut) cannot know the numbers
 * handed out since the last event the log kept: numbering goes on past the
 * block the store had reserved, so none is used twice, and a poller is
 * told of the numbers passed over as lost. */
static void test_after_a_power_cut_numbering_goes_on_past_the_block(void **state)
{
    (void)state;
    agent_log(EV_CREDS, 0, "kept", &console_actor, NULL);
    uint32_t kept = events_next(agent_events()) - 1;
    fake_smb_add(100, 200, "WS01", "CORP\\ann", 0, 1);
    run_ms(agent_cfg()->sample_interval_s * 1000u);
    uint32_t seen = events_next(agent_events()) - 1; /* shown, never written */
    assert_int_equal(events_get(agent_events(), seen)->type, EV_SEEN);
    boot();
    const events_t *ev = agent_events();
    assert_string_equal(events_get(ev, kept)->subject, "kept");
    assert_null(events_get(ev, seen));
    uint32_t boot_seq = agent_stats()->boot_seq;
    assert_true(boot_seq > seen);
    assert_true(boot_seq - seen <= AGENT_EVENT_SEQ_BLOCK);
    uint32_t lost, from = events_resume(ev, seen, &lost);
    assert_int_equal(events_from(ev, from), boot_seq);
    assert_int_equal(lost, boot_seq - seen - 1);
}

/* Sessions come and go until the numbers handed out reach `upto`: seen
 * and closed events only, which the log does not keep. */
static void churn_to(uint32_t upto)
{
    static uint32_t sid = 1000;
    while ((int32_t)(events_next(agent_events()) - upto) < 0) {
        fake_smb_n = 0;
        for (int i = 0; i < 30; i++, sid++) fake_smb_add(sid, sid, "WS01", "CORP\\ann", 0, 1);
        run_ms(agent_cfg()->sample_interval_s * 1000u);
    }
    fake_smb_n = 0;
    run_ms(agent_cfg()->sample_interval_s * 1000u);
}

/* Whether the start just made goes on above every number handed out. */
static void assert_above(uint32_t handed, const char *where)
{
    if ((int32_t)(agent_stats()->boot_seq - handed) <= 0)
        fail_msg("%s: numbers up to #%u were handed out; the start goes on from #%u", where, handed,
                 agent_stats()->boot_seq);
}

/* The newer copy of the numbering mark cannot be read at a start after a
 * power cut (the store failed once): the older copy, up to a block below
 * it, is all the start has, and the log does not hold the numbers of the
 * sessions seen and closed since; numbering goes on a block past it. */
static void test_a_mark_copy_unread_never_reuses_a_number(void **state)
{
    (void)state;
    agent_log(EV_CREDS, 0, "kept", &console_actor, NULL);
    agent_stop(); /* the mark: the next number itself */
    boot();       /* a block past it, over the other copy */
    churn_to(events_next(agent_events()) + 100);
    uint32_t handed = events_next(agent_events()) - 1;
    nvrec_info_t info;
    size_t len;
    assert_int_equal(nvrec_load(AGENT_NV_SEQ_PAGE, NULL, 0, &len, &info), NVREC_OK);
    fake_nv_flaky_at = (int32_t)((AGENT_NV_SEQ_PAGE + info.at) * FAKE_NV_PAGE);
    fake_nv_flaky_after = 0;
    boot(); /* as after a power cut */
    assert_int_equal(fake_nv_flaky_at, -1);
    assert_above(handed, "newer mark copy unread");
}

/* The mark's save at a start fails (the store refuses, power on): the
 * store still holds the number the stop stored, and the save is tried
 * again before the next event, not taken as done. */
static void test_a_failed_mark_save_is_tried_again(void **state)
{
    (void)state;
    agent_log(EV_CREDS, 0, "kept", &console_actor, NULL);
    agent_stop();
    fake_nv_erase_errors = 1; /* the start's save of the mark */
    boot();
    assert_int_equal(fake_nv_erase_errors, 0);
    churn_to(events_next(agent_events()) + 100);
    uint32_t handed = events_next(agent_events()) - 1;
    boot(); /* as after a power cut */
    assert_above(handed, "a failed mark save");
}

/* Power cut at every store operation of an orderly stop and of the start
 * after it: no number is used twice. */
static void test_a_cut_during_a_stop_or_the_start_after_never_reuses_a_number(void **state)
{
    for (int cut = 0; cut < 12; cut++) {
        setup(state);
        for (int i = 0; i < 3; i++) agent_log(EV_CREDS, 0, "kept", &console_actor, NULL);
        churn_to(events_next(agent_events()) + 40);
        uint32_t handed = events_next(agent_events()) - 1;
        int ops = fake_nv_ops;
        fake_nv_ops_left = cut;
        agent_stop();
        if (fake_nv_powered()) { /* the cut falls in the start */
            int stop_ops = fake_nv_ops - ops;
            boot();
            if (cut - stop_ops >= 3) handed++; /* past the mark's save (3 operations): the boot event */
        }
        fake_nv_ops_left = -1;
        fake_nv_reset_power();
        boot();
        char where[24];
        snprintf(where, sizeof where, "cut %d", cut);
        assert_above(handed, where);
    }
}

/* Random lives: events kept and sessions seen, orderly stops or power
 * cuts at a random operation, erases and programs refused, then a start:
 * no number handed out with the power on is used again, and every event
 * read back is the one that had its number. */
static void test_random_restarts_never_reuse_a_number(void **state)
{
    static char subj[1u << 16][8];
    uint32_t rnd = 7;
    for (int run = 0; run < 1000; run++) {
        setup(state);
        memset(subj, 0, sizeof subj);
        uint32_t handed = events_next(agent_events()) - 1;
        for (int life = 0; life < 8; life++) {
            int n = (int)((rnd = rnd * 1103515245u + 12345u) >> 8) % 300;
            for (int i = 0; i < n && fake_nv_powered(); i++) {
                rnd = rnd * 1103515245u + 12345u;
                uint32_t r = rnd >> 8;
                if (r % 97 == 0) fake_nv_ops_left = (int)(r / 97 % 5);
                if (r % 89 == 0) fake_nv_erase_errors = 1;
                if (r % 83 == 0) fake_nv_program_errors = 1;
                char name[8];
                snprintf(name, sizeof name, "%u", events_next(agent_events()) & 0xffff);
                if (r % 3 == 0) {
                    agent_log(EV_CREDS, 0, name, &console_actor, NULL);
                } else { /* a session seen, as the agent logs it */
                    events_t *ev = (events_t *)agent_events();
                    evstore_reserve(ev);
                    if (!fake_nv_powered()) break;
                    events_add(ev, 0, EV_SEEN, 0, 1, 0, name);
                }
                uint32_t seq = events_next(agent_events()) - 1;
                memcpy(subj[seq & 0xffff], name, sizeof name);
                if (fake_nv_powered()) handed = seq;
            }
            if (fake_nv_powered() && (rnd >> 9) % 2) {
                fake_nv_ops_left = (int)((rnd >> 12) % 8) - 2; /* some cut the stop */
                agent_stop();
            }
            fake_nv_ops_left = -1;
            fake_nv_erase_errors = fake_nv_program_errors = 0;
            fake_nv_reset_power();
            boot();
            char where[48];
            snprintf(where, sizeof where, "run %d life %d", run, life);
            assert_above(handed, where);
            const events_t *ev = agent_events();
            for (uint32_t k = 0; k < events_held(ev); k++) {
                const event_t *e = events_get(ev, events_at(ev, k));
                if (e->type == EV_CREDS && strcmp(e->subject, subj[e->seq & 0xffff]))
                    fail_msg("%s: #%u reads back %s, was %s", where, e->seq, e->subject, subj[e->seq & 0xffff]);
                if (k && (int32_t)(e->seq - events_at(ev, k - 1)) <= 0) fail_msg("%s: numbers not rising", where);
            }
            handed = events_next(ev) - 1;
            for (uint32_t q = agent_stats()->boot_seq; q != events_next(ev); q++)
                if (events_get(ev, q)) memcpy(subj[q & 0xffff], events_get(ev, q)->subject, 8);
        }
    }
}

/* `show events N` after a restart with gaps: the newest N events held. */
static void test_show_events_passes_over_gaps(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) agent_log(EV_CREDS, 0, "kept", &console_actor, NULL);
    churn_to(events_next(agent_events()) + 30);
    for (int i = 0; i < 2; i++) agent_log(EV_CREDS, 0, "kept", &console_actor, NULL);
    agent_stop();
    boot();
    const events_t *ev = agent_events();
    uint32_t held = events_held(ev);
    assert_true(events_next(ev) - events_first(ev) > held); /* gaps */
    for (uint32_t n = 0; n <= held + 2; n++) {
        char cmd[32];
        fake_console_clear_out();
        snprintf(cmd, sizeof cmd, "show events %u\n", n);
        fake_console_type(cmd);
        settle();
        uint32_t lines = 0, want = n < held ? n : held;
        for (const char *p = fake_console_out(); p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
            if (*p != '#') continue;
            assert_int_equal(strtoul(p + 1, NULL, 10), events_at(ev, held - want + lines));
            lines++;
        }
        if (lines != want) fail_msg("show events %u: %u lines, want %u:\n%s", n, lines, want, fake_console_out());
    }
}

static void test_without_the_log_numbers_go_on_and_none_repeats(void **state)
{
    (void)state;
    fake_nv_reset();
    fake_nv_pages = AGENT_NV_SEQ_PAGE + 2; /* a board that keeps numbering only */
    uint32_t highest = 0;
    for (int restart = 0; restart < 5; restart++) {
        boot();
        const events_t *ev = agent_events();
        assert_true(events_first(ev) > highest);
        assert_int_equal(evstore_stats()->restored, 0);
        int n = restart == 2 ? AGENT_EVENT_SEQ_BLOCK + 5 : 10;
        for (int i = 0; i < n; i++) agent_log(EV_CREDS, 0, "PSK", &console_actor, NULL);
        highest = events_next(ev) - 1;
    }
}

/* Power lost while an event was written (before anyone could read it):
 * the torn slot is passed over, the events before and after it are read
 * back. */
static void test_a_torn_slot_is_passed_over(void **state)
{
    (void)state;
    agent_log(EV_CREDS, 0, "one", &console_actor, NULL);
    fake_nv_ops_left = 0; /* the next write is cut halfway */
    agent_log(EV_CREDS, 0, "two", &console_actor, NULL);
    assert_false(fake_nv_powered());
    uint32_t one = events_next(agent_events()) - 2;
    fake_nv_ops_left = -1;
    fake_nv_reset_power();
    boot();
    agent_log(EV_CREDS, 0, "three", &console_actor, NULL);
    uint32_t three = events_next(agent_events()) - 1;
    boot();
    const events_t *ev = agent_events();
    assert_string_equal(events_get(ev, one)->subject, "one");
    assert_string_equal(events_get(ev, three)->subject, "three");
    for (uint32_t k = 0; k < events_held(ev); k++)
        assert_string_not_equal(events_get(ev, events_at(ev, k))->subject, "two");
    assert_true(events_next(ev) > three + 1);
}

/* Power lost while an event's slot was half written, wherever the slot
 * lies in its page (four to a page, as on the Linux boards): after the
 * restart every event but that one is read back, the ones logged after it
 * too, so a torn slot is passed over, never written over. */
static void test_a_torn_slot_anywhere_in_a_page_is_not_written_over(void **state)
{
    for (int pos = 0; pos < 5; pos++) {
        for (int cut = 0; cut < 1; cut++) { /* a slot is one program */
            setup(state);
            for (int i = 0; i < pos; i++) agent_log(EV_CREDS, 0, "filler", &console_actor, NULL);
            agent_log(EV_CREDS, 0, "one", &console_actor, NULL);
            uint32_t one = events_next(agent_events()) - 1;
            fake_nv_ops_left = cut; /* the slot's program cut halfway */
            agent_log(EV_CREDS, 0, "two", &console_actor, "a detail with bits to clear");
            fake_nv_ops_left = -1;
            fake_nv_reset_power();
            char where[32];
            snprintf(where, sizeof where, "at %d, cut %d", pos, cut);
            restart_keeps_every_event("two", where);
            assert_non_null(events_get(agent_events(), one));
            for (int i = 0; i < 6; i++) agent_log(EV_CREDS, 0, "after", &console_actor, "x");
            restart_keeps_every_event("two", where);
        }
    }
}

/* The slot in the NV store holding event seq, or NULL. */
static uint8_t *slot_of(uint32_t seq)
{
    hal_nv_geometry_t g;
    hal_nv_geometry(&g);
    for (uint32_t p = AGENT_NV_EVENT_PAGE; p < g.page_count; p++)
        for (uint32_t o = 0; o + SLOT <= g.page_size; o += SLOT) {
            uint8_t *b = fake_nv_mem + p * g.page_size + o;
            event_t e;
            memcpy(&e, b + 4, sizeof e);
            if (e.seq == seq) return b;
        }
    return NULL;
}

/* Slots after the newest event found torn at a start, runs of one to the
 * rest of its page (a write passes over them), three times over: the
 * events on all sides of the runs are read back at the next start. */
static void test_runs_of_torn_slots_are_passed_over(void **state)
{
    for (uint32_t run = 1; run < PER_PAGE; run++) {
        setup(state);
        while ((events_next(agent_events()) - 1) % PER_PAGE) /* the next event opens a page */
            agent_log(EV_CREDS, 0, "filler", &console_actor, NULL);
        agent_log(EV_CREDS, 0, "one", &console_actor, NULL);
        uint32_t one = events_next(agent_events()) - 1;
        for (int round = 0; round < 3; round++) {
            uint8_t *at = slot_of(events_next(agent_events()) - 1);
            assert_non_null(at);
            size_t in_page = (size_t)(at - fake_nv_mem) % FAKE_NV_PAGE / SLOT;
            for (uint32_t k = 1; k <= run && in_page + k < PER_PAGE; k++)
                memset(at + k * SLOT + 8, 0, 8); /* programmed, never summed */
            char where[48];
            snprintf(where, sizeof where, "runs of %u torn, round %d", run, round);
            restart_keeps_every_event(NULL, where);
            agent_log(EV_CREDS, 0, "after", &console_actor, "x");
        }
        restart_keeps_every_event(NULL, "runs of torn slots, the last");
        assert_non_null(events_get(agent_events(), one));
    }
}

/* Programs that fail with the power on: the event goes to the next slot,
 * so every event is read back at the next start, those before too. */
static void test_a_failed_program_moves_the_event_on(void **state)
{
    (void)state;
    for (int errors = 1; errors <= 4; errors++) {
        setup(state);
        agent_log(EV_CREDS, 0, "one", &console_actor, NULL);
        uint32_t one = events_next(agent_events()) - 1, failures = evstore_stats()->failures;
        fake_nv_program_errors = errors; /* the texts or the sum, slot after slot */
        agent_log(EV_CREDS, 0, "two", &console_actor, "a detail");
        assert_int_equal(fake_nv_program_errors, 0);
        assert_int_equal(evstore_stats()->failures, failures);
        agent_log(EV_CREDS, 0, "three", &console_actor, NULL);
        uint32_t three = events_next(agent_events()) - 1;
        boot();
        static const char *const want[] = {"one", "two", "three"};
        for (uint32_t q = one; q <= three; q++) {
            const event_t *e = events_get(agent_events(), q);
            if (!e) fail_msg("%d errors: event %u of %u..%u not read back", errors, q, one, three);
            assert_string_equal(e->subject, want[q - one]);
        }
    }
}

/* The kept events a poll writes into a page this start erased go in one
 * program (one write and sync on the Linux boards, not one each); a
 * program the flash refuses writes them again a slot at a time, so every
 * one reads back at the next start. */
static uint32_t n_back;

static void test_a_page_of_events_goes_in_one_program(void **state)
{
    const uint32_t n = 2 * PER_PAGE + 1; /* over three pages at most */
    for (int errors = 0; errors <= 3; errors++) {
        setup(state);
        for (uint32_t i = 0; i < n; i++) {
            char client[16];
            snprintf(client, sizeof client, "WS%u", (unsigned)i);
            fake_smb_add(1000 + i, 1000 + i, client, "u", 0, 3 * 3600); /* stale at once */
        }
        int ops = fake_nv_ops, erases = fake_nv_erases;
        uint32_t from = events_next(agent_events()), failures = evstore_stats()->failures;
        fake_nv_program_errors = errors;
        uint32_t samples = agent_stats()->samples;
        for (int i = 0; i < 100 && agent_stats()->samples == samples; i++) run_ms(1000);
        assert_int_equal(count_events(EV_STALE), n);
        int programs = (fake_nv_ops - ops) - (fake_nv_erases - erases);
        assert_int_equal(evstore_stats()->failures, failures);
        /* a program for each log page written (the page the last sample
         * left open, and the ones after), three for each of the two leak
         * pairs written anew, two for the numbering mark: 12 (a program a
         * slot: 15) */
        if (!errors) assert_true(programs <= (int)((n + PER_PAGE - 1) / PER_PAGE + 1) + 3 * 2 + 2);
        uint32_t to = events_next(agent_events());
        boot();
        for (uint32_t q = from; q != to; q++) {
            const event_t *e = events_get(agent_events(), q);
            if (e && e->type == EV_STALE) n_back++;
        }
        assert_int_equal(n_back, n);
        n_back = 0;
    }
}

/* A slot that reads back wrong once during a start (the store failed), at
 * whichever of the start's reads of it, the newest event's slot or one
 * before: the numbers after the start are above every number in the log;
 * none is handed out twice. */
static void test_a_failed_read_never_reuses_a_number(void **state)
{
    for (uint32_t back = 0; back <= 3; back += 3) {
        int after;
        for (after = 0;; after++) {
            setup(state);
            for (int i = 0; i < 6; i++) agent_log(EV_CREDS, 0, "filler", &console_actor, NULL);
            uint32_t last = events_next(agent_events()) - 1;
            uint8_t *at = slot_of(last - back);
            assert_non_null(at);
            fake_nv_flaky_at = (int32_t)(at - fake_nv_mem);
            fake_nv_flaky_after = after;
            boot();
            if (fake_nv_flaky_at != -1) break; /* the start reads it fewer times */
            const events_t *ev = agent_events();
            for (uint32_t q = events_first(ev); q != events_next(ev); q++) {
                const event_t *e = events_get(ev, q);
                if (q + 6 > last && q <= last && e && (e->type != EV_CREDS || strcmp(e->subject, "filler")))
                    fail_msg("slot of #%u, its read %d failed: #%u used again", last - back, after + 1, q);
            }
            if (events_next(ev) <= last)
                fail_msg("slot of #%u, its read %d failed: #%u next", last - back, after + 1, events_next(ev));
        }
        assert_true(after >= 1);
    }
}

/* The log's one event cannot be read at a start: the numbers go on past
 * the reach of the mark (a floor, saved every AGENT_EVENT_SEQ_BLOCK / 2),
 * not from it. */
static void test_an_unread_lone_event_is_not_numbered_again(void **state)
{
    (void)state;
    agent_log(EV_CREDS, 0, "lone", &console_actor, NULL);
    uint32_t lone = events_next(agent_events()) - 1;
    uint8_t *at = slot_of(lone), keep[SLOT];
    assert_non_null(at);
    memcpy(keep, at, SLOT);
    memset(fake_nv_mem + AGENT_NV_EVENT_PAGE * FAKE_NV_PAGE, 0xff, AGENT_NV_EVENT_PAGES * FAKE_NV_PAGE);
    memcpy(at, keep, SLOT);
    fake_nv_flaky_at = (int32_t)(at - fake_nv_mem);
    fake_nv_flaky_after = 0;
    boot();
    assert_int_equal(fake_nv_flaky_at, -1);
    assert_true(events_first(agent_events()) > lone);
}

/* An erase that fails with the power on, when the log has wrapped: the
 * page keeps its old events (never written over), the event being written
 * and the ones after it go to the page after, and are read back at the
 * next start with the newer ones before the failed page (the old events
 * between do not hide them). When the page after fails to erase too, that
 * one event is not kept (counted) and the next ones go on past both. */
static void failed_erases(int errors)
{
    const uint32_t slots = PER_PAGE * AGENT_NV_EVENT_PAGES;
    while (events_next(agent_events()) - 1 < slots || (events_next(agent_events()) - 1) % PER_PAGE)
        agent_log(EV_CREDS, 0, "filler", &console_actor, NULL);
    uint8_t *last_page = slot_of(events_next(agent_events()) - 1), old[FAKE_NV_PAGE];
    assert_non_null(last_page);
    uint32_t failures = evstore_stats()->failures,
             page = ((uint32_t)(last_page - fake_nv_mem) / FAKE_NV_PAGE - AGENT_NV_EVENT_PAGE + 1) %
                    AGENT_NV_EVENT_PAGES; /* the one the next event enters */
    memcpy(old, fake_nv_mem + (AGENT_NV_EVENT_PAGE + page) * FAKE_NV_PAGE, sizeof old);
    fake_nv_erase_errors = errors;
    agent_log(EV_CREDS, 0, errors == 1 ? "after" : "lost", &console_actor, "x");
    assert_int_equal(fake_nv_erase_errors, 0);
    assert_int_equal(evstore_stats()->failures, failures + (errors == 2));
    uint32_t first = events_next(agent_events()) - (errors == 1);
    for (int i = 0; i < 6; i++) agent_log(EV_CREDS, 0, "after", &console_actor, "x");
    uint32_t last = events_next(agent_events()) - 1;
    assert_int_equal(evstore_stats()->failures, failures + (errors == 2));
    assert_memory_equal(fake_nv_mem + (AGENT_NV_EVENT_PAGE + page) * FAKE_NV_PAGE, old, sizeof old);
    boot();
    /* the rest of the log too, not only what follows the failed page */
    uint32_t want = slots - (uint32_t)(errors + 1) * PER_PAGE;
    if (want > AGENT_EVENT_CAP) want = AGENT_EVENT_CAP;
    if (evstore_stats()->restored < want)
        fail_msg("%u events read back, want at least %u", evstore_stats()->restored, want);
    for (uint32_t q = first; q <= last; q++) {
        const event_t *e = events_get(agent_events(), q);
        if (!e) fail_msg("event %u of %u..%u not read back", q, first, last);
        assert_string_equal(e->subject, "after");
    }
    assert_true(events_next(agent_events()) > last);
}

static void test_a_failed_erase_moves_the_event_to_the_next_page(void **state)
{
    (void)state;
    failed_erases(1);
}

static void test_two_failed_erases_lose_one_event_only(void **state)
{
    (void)state;
    failed_erases(2);
}

/* A slot holds what the event uses; the rest stays erased. A slot of the
 * first format (the whole event summed, texts' tails zeroed) reads back. */
static void test_slots_hold_what_events_use_and_old_ones_read_back(void **state)
{
    (void)state;
    agent_log(EV_CREDS, 0, "PSK", &console_actor, "new");
    uint32_t seq = events_next(agent_events()) - 1;
    uint8_t *b = slot_of(seq);
    assert_non_null(b);
    event_t e = *events_get(agent_events(), seq);
    size_t subj = 4 + offsetof(event_t, subject), more = 4 + offsetof(event_t, more);
    assert_memory_equal(b + subj, "PSK", 4); /* and its terminator */
    assert_int_equal(b[subj + 4], 0);        /* the subject's tail: zeros, one program */
    assert_memory_equal(b + more, "\0new", 5);
    assert_int_equal(b[more + 8], 0xff);     /* after the texts: never programmed */
    assert_int_equal(b[4 + sizeof e - 1], 0xff);
    /* the same event as earlier versions wrote it, the subject's tail erased */
    memset(b + subj + 4, 0xff, more - subj - 4);
    boot();
    assert_non_null(events_get(agent_events(), seq));
    assert_memory_equal(events_get(agent_events(), seq), &e, sizeof e);
    /* the same event written by the first format */
    uint32_t crc = nvrec_crc32(0, &e, sizeof e);
    memcpy(b, &crc, 4);
    memcpy(b + 4, &e, sizeof e);
    boot();
    const event_t *back = events_get(agent_events(), seq);
    assert_non_null(back);
    assert_memory_equal(back, &e, sizeof e);
    /* and the new format's erased tails come back as zeros */
    agent_log(EV_CREDS, 0, "PSK", &console_actor, "new");
    seq = events_next(agent_events()) - 1;
    e = *events_get(agent_events(), seq);
    boot();
    assert_memory_equal(events_get(agent_events(), seq), &e, sizeof e);
}

/* A log slot with a good checksum but hostile contents is cleaned. */
static void test_hostile_slot_is_cleaned(void **state)
{
    (void)state;
    agent_log(EV_CREDS, 0, "PSK", &console_actor, NULL);
    uint32_t seq = events_next(agent_events()) - 1;
    /* find the slot and rewrite it: control bytes, no terminators, an actor
     * out of range, then a checksum that matches */
    hal_nv_geometry_t g;
    hal_nv_geometry(&g);
    for (uint32_t p = AGENT_NV_EVENT_PAGE; p < g.page_count; p++) {
        for (uint32_t o = 0; o + SLOT <= g.page_size; o += SLOT) {
            uint8_t *b = fake_nv_mem + p * g.page_size + o;
            event_t e;
            memcpy(&e, b + 4, sizeof e);
            if (e.seq != seq || e.type != EV_CREDS) continue;
            memset(e.subject, '\x1b', sizeof e.subject);
            memset(e.more, 'x', sizeof e.more);
            e.actor = 200;
            uint32_t crc = nvrec_crc32(0, &e, sizeof e);
            memset(b, 0xff, SLOT); /* as if erased, then programmed so */
            memcpy(b, &crc, 4);
            memcpy(b + 4, &e, sizeof e);
        }
    }
    boot();
    const event_t *e = events_get(agent_events(), seq);
    assert_non_null(e);
    assert_int_equal(e->actor, ACTOR_POLICY);
    assert_int_equal(strlen(e->subject), EVENT_SUBJECT_MAX - 1);
    assert_int_equal(e->subject[0], '?');
    assert_true(strlen(events_by_name(e)) < EVENT_MORE_MAX);
    char buf[512];
    describe(e, buf, sizeof buf);
    for (const char *c = buf; *c; c++) assert_true((uint8_t)*c >= 0x20);
}

/* show status says whether the clock is set, and what follows if not. */
static void test_status_tells_the_clock(void **state)
{
    (void)state;
    fake_console_clear_out();
    fake_console_type("show status\n");
    settle();
    assert_non_null(strstr(fake_console_out(), "clock      NOT SET: events stamped with uptime, "
                                               "certificate dates not checked"));
    assert_int_equal(agent_wall_s(), 0);
    fake_wall_s = 1577836799; /* 2019: a clock never set */
    assert_int_equal(agent_wall_s(), 0);
    fake_wall_s = 1796427601;
    assert_int_equal(agent_wall_s(), 1796427601u);
    fake_console_clear_out();
    fake_console_type("show status\n");
    settle();
    assert_non_null(strstr(fake_console_out(), "clock      2026-12-04T23:40:01Z"));
}

/* ---- bursts of kept events in one poll (slots written together) ---------- */

#define BT_SUBJ 8
static char bt_subj[1u << 16][BT_SUBJ];
static uint32_t bt_committed[1u << 16];
static uint32_t bt_nc;

static uint32_t bt_rnd(uint32_t *rnd)
{
    *rnd = *rnd * 1103515245u + 12345u;
    return *rnd >> 8;
}

/* Arms, at random, a power cut within the next max_ops operations,
 * refused programs, refused erases. */
static void bt_arm(uint32_t *rnd, uint32_t max_ops)
{
    uint32_t r = bt_rnd(rnd);
    if (r % 5 == 0) fake_nv_ops_left = (int)(bt_rnd(rnd) % (fake_nv_word_cuts ? 900 : max_ops));
    if (r % 7 == 0) fake_nv_program_errors = (int)(bt_rnd(rnd) % 4) + 1;
    if (r % 11 == 0) fake_nv_erase_errors = (int)(bt_rnd(rnd) % 2) + 1;
}

/* Disarms what bt_arm armed but a cut that took the power; *on (unless
 * NULL): the power stayed on. Whether the events written meanwhile are
 * committed: the power on and no failure counted since `failures`. */
static bool bt_disarm(uint32_t failures, bool *on)
{
    bool ok = fake_nv_powered(), lost = evstore_stats()->failures != failures;
    fake_nv_program_errors = fake_nv_erase_errors = 0;
    if (ok) fake_nv_ops_left = -1;
    if (on) *on = ok;
    return ok && !lost;
}

/* One burst: k events (kept ones and sessions seen) added, then one poll,
 * with cuts and refusals armed at random over its operations. */
static void bt_burst(uint32_t *rnd, uint32_t *handed)
{
    events_t *ev = (events_t *)agent_events();
    uint32_t k = bt_rnd(rnd) % 14 + 1, first = events_next(ev);
    for (uint32_t i = 0; i < k && fake_nv_powered(); i++) {
        uint32_t r = bt_rnd(rnd);
        char name[BT_SUBJ];
        snprintf(name, sizeof name, "%u", events_next(ev) & 0xffff);
        evstore_reserve(ev);
        if (!fake_nv_powered()) return;
        event_type_t t = r % 4 ? EV_CREDS : EV_SEEN;
        event_t *e = events_add(ev, 0, t, 0, 1, 0, name);
        if (t == EV_CREDS) events_note(e, &console_actor, r % 2 ? "some detail text here" : NULL);
        memcpy(bt_subj[e->seq & 0xffff], name, sizeof name);
        *handed = e->seq;
    }
    bt_arm(rnd, 6);
    uint32_t failures = evstore_stats()->failures;
    evstore_poll(ev);
    bool committed = bt_disarm(failures, NULL);
    for (uint32_t q = first; q != events_next(ev); q++) {
        const event_t *e = events_get(ev, q);
        if (!e || e->type != EV_CREDS) continue;
        if (committed) bt_committed[bt_nc++ & 0xffff] = q;
    }
}


/* A burst from a sample: k sessions stale at once, the sample's polls
 * with cuts and refusals armed at random. */
static void bt_sample(uint32_t *rnd, uint32_t *handed)
{
    static uint32_t sid = 50000;
    const events_t *ev = agent_events();
    uint32_t k = bt_rnd(rnd) % 14 + 1, first = events_next(ev);
    fake_smb_n = 0;
    for (uint32_t i = 0; i < k; i++, sid++) {
        char client[16];
        snprintf(client, sizeof client, "C%u", (unsigned)(sid % 100000));
        fake_smb_add(sid, sid, client, "u", 0, 3 * 3600);
    }
    bt_arm(rnd, 10);
    uint32_t failures = evstore_stats()->failures, samples = agent_stats()->samples;
    for (int i = 0; i < 100 && agent_stats()->samples == samples; i++) run_ms(1000);
    bool ok, committed = bt_disarm(failures, &ok);
    for (uint32_t q = first; q != events_next(ev); q++) {
        const event_t *e = events_get(ev, q);
        if (!e) continue;
        memcpy(bt_subj[q & 0xffff], e->subject, BT_SUBJ - 1);
        bt_subj[q & 0xffff][BT_SUBJ - 1] = 0;
        if (e->type == EV_SEEN || e->type == EV_CLOSED) continue;
        if (ok) *handed = q;
        if (committed) bt_committed[bt_nc++ & 0xffff] = q;
    }
    fake_smb_n = 0;
}

static void test_random_bursts_keep_every_written_event(void **state)
{
    uint32_t rnd = 12345;
    const char *env = getenv("BT_SEED");
    if (env) rnd = (uint32_t)strtoul(env, NULL, 0);
    int runs = getenv("BT_RUNS") ? atoi(getenv("BT_RUNS")) : 300;
    for (int run = 0; run < runs; run++) {
        setup(state);
        bt_nc = 0;
        uint32_t mode = bt_rnd(&rnd);
        fake_nv_word_cuts = mode % 3 == 0;
        fake_nv_refused_lands = (int)(mode / 3 % 3);
        uint32_t handed = events_next(agent_events()) - 1;
        for (int life = 0; life < 10; life++) {
            int bursts = (int)(bt_rnd(&rnd) % 12);
            for (int b = 0; b < bursts && fake_nv_powered(); b++) {
                if (bt_rnd(&rnd) % 3 == 0) bt_sample(&rnd, &handed);
                else bt_burst(&rnd, &handed);
            }
            if (fake_nv_powered() && bt_rnd(&rnd) % 3 == 0) {
                fake_nv_ops_left = (int)(bt_rnd(&rnd) % 8) - 2;
                agent_stop();
            }
            fake_nv_ops_left = -1;
            fake_nv_erase_errors = fake_nv_program_errors = 0;
            fake_nv_reset_power();
            if (bt_rnd(&rnd) % 4 == 0) {
                fake_nv_flaky_at = (int32_t)(AGENT_NV_EVENT_PAGE * FAKE_NV_PAGE + bt_rnd(&rnd) % (AGENT_NV_EVENT_PAGES * FAKE_NV_PAGE));
                fake_nv_flaky_after = (int)(bt_rnd(&rnd) % 3);
            }
            bool armed = fake_nv_flaky_at >= 0;
            boot();
            bool fired = armed && fake_nv_flaky_at < 0;
            fake_nv_flaky_at = -1;
            uint32_t missing = 0;
            char where[64];
            snprintf(where, sizeof where, "run %d life %d mode %u/%d", run, life, fake_nv_word_cuts, fake_nv_refused_lands);
            assert_above(handed, where);
            const events_t *ev = agent_events();
            for (uint32_t j = 0; j < events_held(ev); j++) {
                const event_t *e = events_get(ev, events_at(ev, j));
                if (e->type != EV_BOOT && e->type != EV_NV && strncmp(e->subject, bt_subj[e->seq & 0xffff], BT_SUBJ - 1))
                    fail_msg("%s: #%u reads back %s, was %s", where, e->seq, e->subject, bt_subj[e->seq & 0xffff]);
                if (j && (int32_t)(e->seq - events_at(ev, j - 1)) <= 0) fail_msg("%s: numbers not rising", where);
            }
            /* the newest 30 committed events all read back */
            uint32_t want = bt_nc < 30 ? bt_nc : 30;
            for (uint32_t j = 0; j < want; j++) {
                uint32_t q = bt_committed[(bt_nc - 1 - j) & 0xffff];
                if ((events_held(ev) == AGENT_EVENT_CAP || fake_nv_refused_lands) && (int32_t)(q - events_first(ev)) < 0) continue;
                if (!events_get(ev, q) && fired && !missing++) continue; /* one slot unread at the start */
                if (!events_get(ev, q))
                    fail_msg("%s: committed #%u (%u-th newest committed) not read back; held %u..%u (%u), failures %u",
                             where, q, j, events_first(ev), events_next(ev), events_held(ev), evstore_stats()->failures);
            }
            handed = events_next(ev) - 1;
            if (fired) bt_nc = 0; /* a slot unread at a start: the log may go on over the newest (as before the change) */
        }
    }
}


/* ---- a cut or a refused program at every operation of a burst ---------- */

static uint32_t ex_add(const char *tag, uint32_t j)
{
    events_t *ev = (events_t *)agent_events();
    char name[16];
    snprintf(name, sizeof name, "%s%u", tag, (unsigned)j);
    evstore_reserve(ev);
    event_t *e = events_add(ev, 0, EV_CREDS, 0, 0, 0, name);
    events_note(e, &console_actor, j % 2 ? "a detail" : NULL);
    return e->seq;
}

static void ex_expect(uint32_t seq, const char *tag, uint32_t j, const char *where)
{
    char name[16];
    snprintf(name, sizeof name, "%s%u", tag, (unsigned)j);
    const event_t *e = events_get(agent_events(), seq);
    if (!e) fail_msg("%s: #%u (%s) not read back", where, seq, name);
    if (strcmp(e->subject, name)) fail_msg("%s: #%u reads %s, was %s", where, seq, e->subject, name);
}

static void test_a_cut_or_refusal_at_every_op_of_a_burst(void **state)
{
    static uint32_t pre[16], burst[32], second[32];
    static bool back[32];
    int cases = 0;
    for (int restart = 0; restart < 2; restart++)
    for (uint32_t m = 0; m < PER_PAGE; m++)
    for (uint32_t k = 1; k <= 2 * PER_PAGE + 1; k++)
    for (int mode = 0; mode < 5; mode++)
    for (int at = 0;; at++) {
        char where[96];
        snprintf(where, sizeof where, "restart %d pre %u burst %u mode %d at %d", restart, m, k, mode, at);
        setup(state);
        for (uint32_t j = 0; j < m; j++) { pre[j] = ex_add("pre", j); evstore_poll(agent_events()); }
        if (restart) boot();
        for (uint32_t j = 0; j < k; j++) burst[j] = ex_add("b", j);
        uint32_t handed = burst[k - 1], failures = evstore_stats()->failures;
        if (mode == 0) fake_nv_ops_left = at;
        if (mode == 1) fake_nv_word_cuts = true, fake_nv_ops_left = at;
        if (mode >= 2) fake_nv_refuse_nth = at, fake_nv_refused_lands = mode - 2;
        evstore_poll(agent_events());
        bool fired = mode < 2 ? !fake_nv_powered() : fake_nv_refuse_nth < 0;
        bool powered = fake_nv_powered();
        uint32_t lost = evstore_stats()->failures - failures;
        fake_nv_ops_left = -1, fake_nv_word_cuts = false, fake_nv_refuse_nth = -1, fake_nv_refused_lands = 0;
        fake_nv_reset_power();
        boot();
        cases++;
        assert_above(handed, where);
        for (uint32_t j = 0; j < m; j++) ex_expect(pre[j], "pre", j, where);
        for (uint32_t j = 0; j < k; j++) {
            back[j] = events_get(agent_events(), burst[j]) != NULL;
            if (back[j] || (!powered) || lost) { if (back[j]) ex_expect(burst[j], "b", j, where); continue; }
            fail_msg("%s: burst #%u (b%u) not read back, power on, no failure counted", where, burst[j], j);
        }
        if (powered && lost) fail_msg("%s: %u failures counted with the power on", where, lost);
        /* the log goes on after the start: nothing read back is written over */
        for (uint32_t j = 0; j < 2 * PER_PAGE + 1; j++) second[j] = ex_add("s", j);
        evstore_poll(agent_events());
        handed = second[2 * PER_PAGE];
        boot();
        assert_above(handed, where);
        for (uint32_t j = 0; j < m; j++) ex_expect(pre[j], "pre", j, where);
        for (uint32_t j = 0; j < k; j++)
            if (back[j]) ex_expect(burst[j], "b", j, where);
        for (uint32_t j = 0; j < 2 * PER_PAGE + 1; j++) ex_expect(second[j], "s", j, where);
        if (!fired) break;
    }
    print_message("%d cases\n", cases);
}


/* Slots written together that the store refuses although they landed
 * (the Linux boards: the writes done, the sync failed) are written again
 * a slot at a time, each event twice in the log: a start counts a number
 * once, and reads back a ring's worth of events still. */
static void test_events_written_twice_count_once(void **state)
{
    (void)state;
    if (AGENT_EVENT_CAP > 64) return; /* test_audit only */
    for (int i = 0; i < 71; i++) ex_add("w", (uint32_t)i), evstore_poll(agent_events()); /* the boot event and 71: a page starts */
    for (uint32_t j = 0; j < PER_PAGE; j++) ex_add("r", j);
    fake_nv_refuse_nth = 0, fake_nv_refused_lands = 2; /* landed, then refused */
    evstore_poll(agent_events());
    fake_nv_refuse_nth = -1, fake_nv_refused_lands = 0;
    boot();
    /* the log holds far more than AGENT_EVENT_CAP distinct events */
    if (evstore_stats()->restored < AGENT_EVENT_CAP - 1)
        fail_msg("restored %u distinct events of the log's newest %u", evstore_stats()->restored,
                 AGENT_EVENT_CAP);
}

/* A refused program of slots written together in a poll of more kept
 * events than the log has slots (the Samba board's ring: 4,096 events, 384
 * slots): the slots left erased are written where they are, so the log
 * ends at the poll's newest events as it does without the refusal (the
 * wrap takes at most the slots before the poll's first page). */
static void test_a_refused_run_in_a_log_full_poll(void **state)
{
    uint32_t slots = AGENT_NV_EVENT_PAGES * PER_PAGE;
    static uint32_t seqs[4096];
    if (AGENT_EVENT_CAP < 2 * slots + 16) return; /* test_audit_bigring's ring only */
    for (uint32_t m = 0; m < PER_PAGE; m++) {
        for (int refused = 0; refused < 2; refused++) {
            setup(state);
            for (uint32_t j = 0; j < m; j++) ex_add("pre", j), evstore_poll(agent_events());
            for (uint32_t j = 0; j < 2 * slots; j++) seqs[j] = ex_add("b", j);
            fake_nv_refuse_nth = refused ? 5 : -1; /* the poll's sixth program */
            evstore_poll(agent_events());
            fake_nv_refuse_nth = -1;
            assert_int_equal(evstore_stats()->failures, 0);
            boot();
            uint32_t missing = 0;
            for (uint32_t j = slots; j < 2 * slots; j++) missing += !events_get(agent_events(), seqs[j]);
            if (missing >= PER_PAGE)
                fail_msg("%u before, %s: %u of the poll's newest %u events not read back", m,
                         refused ? "a program refused" : "none refused", missing, slots);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_setting_change_says_old_new_and_who, setup),
        cmocka_unit_test_setup(test_operator_delete_is_told_from_an_automatic_one, setup),
        cmocka_unit_test_setup(test_texts_are_cut_and_cleaned, setup),
        cmocka_unit_test_setup(test_wall_time_when_the_board_has_it, setup),
        cmocka_unit_test_setup(test_events_survive_a_restart_with_their_numbers, setup),
        cmocka_unit_test_setup(test_numbering_goes_on_past_a_full_log, setup),
        cmocka_unit_test_setup(test_the_log_gives_back_what_it_holds, setup),
        cmocka_unit_test_setup(test_a_restart_across_the_wrap_reads_back_the_newest, setup),
        cmocka_unit_test_setup(test_a_log_spanning_half_the_numbers_reads_back_the_newest, setup),
        cmocka_unit_test_setup(test_a_burst_writes_at_most_a_log, setup),
        cmocka_unit_test_setup(test_sessions_seen_and_closed_are_not_kept_across_a_restart, setup),
        cmocka_unit_test_setup(test_after_a_power_cut_numbering_goes_on_past_the_block, setup),
        cmocka_unit_test_setup(test_a_mark_copy_unread_never_reuses_a_number, setup),
        cmocka_unit_test_setup(test_a_failed_mark_save_is_tried_again, setup),
        cmocka_unit_test_setup(test_a_cut_during_a_stop_or_the_start_after_never_reuses_a_number, setup),
        cmocka_unit_test_setup(test_random_restarts_never_reuse_a_number, setup),
        cmocka_unit_test_setup(test_show_events_passes_over_gaps, setup),
        cmocka_unit_test_setup(test_without_the_log_numbers_go_on_and_none_repeats, setup),
        cmocka_unit_test_setup(test_a_torn_slot_is_passed_over, setup),
        cmocka_unit_test_setup(test_a_torn_slot_anywhere_in_a_page_is_not_written_over, setup),
        cmocka_unit_test_setup(test_runs_of_torn_slots_are_passed_over, setup),
        cmocka_unit_test_setup(test_a_failed_erase_moves_the_event_to_the_next_page, setup),
        cmocka_unit_test_setup(test_two_failed_erases_lose_one_event_only, setup),
        cmocka_unit_test_setup(test_a_failed_program_moves_the_event_on, setup),
        cmocka_unit_test_setup(test_a_page_of_events_goes_in_one_program, setup),
        cmocka_unit_test_setup(test_events_written_twice_count_once, setup),
        cmocka_unit_test_setup(test_a_cut_or_refusal_at_every_op_of_a_burst, setup),
        cmocka_unit_test_setup(test_random_bursts_keep_every_written_event, setup),
        cmocka_unit_test_setup(test_a_refused_run_in_a_log_full_poll, setup),
        cmocka_unit_test_setup(test_a_failed_read_never_reuses_a_number, setup),
        cmocka_unit_test_setup(test_an_unread_lone_event_is_not_numbered_again, setup),
        cmocka_unit_test_setup(test_slots_hold_what_events_use_and_old_ones_read_back, setup),
        cmocka_unit_test_setup(test_hostile_slot_is_cleaned, setup),
        cmocka_unit_test_setup(test_status_tells_the_clock, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
