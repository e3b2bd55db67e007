/* events: sequence numbers, the ring overwriting its oldest event, lookups,
 * where a poller resumes and what it lost, the 32-bit sequence wrap, and the
 * text for every type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"

#define CAP ((uint32_t)AGENT_EVENT_CAP)

static events_t ev;

static int setup(void **state)
{
    (void)state;
    events_init(&ev);
    return 0;
}

/* Adds one event whose arg and time carry its expected sequence number. */
static void add_one(void)
{
    uint32_t seq = events_next(&ev);
    events_add(&ev, seq * 2u, EV_SEEN, 0, 7, seq, "WS01");
}

static void add_n(uint32_t n)
{
    while (n--) add_one();
}

static void assert_held(uint32_t seq)
{
    const event_t *e = events_get(&ev, seq);
    if (!e) fail_msg("event %u not held (first %u, next %u)", seq, events_first(&ev),
                     events_next(&ev));
    assert_int_equal(e->seq, seq);
    assert_int_equal(e->arg, seq);
    assert_int_equal(e->time_s, seq * 2u);
}

static void assert_not_held(uint32_t seq)
{
    if (events_get(&ev, seq))
        fail_msg("event %u held (first %u, next %u)", seq, events_first(&ev),
                 events_next(&ev));
}

static void assert_resume(uint32_t cursor, uint32_t want, uint32_t want_lost)
{
    uint32_t lost = 0xdeadbeefu;
    uint32_t got = events_resume(&ev, cursor, &lost);
    if (got != want || lost != want_lost)
        fail_msg("resume(%u) = %u lost %u, want %u lost %u (first %u, next %u)", cursor,
                 got, lost, want, want_lost, events_first(&ev), events_next(&ev));
}

/* ---- an empty ring ------------------------------------------------------------ */

static void test_empty_ring_has_first_equal_next(void **state)
{
    (void)state;
    assert_int_equal(events_first(&ev), 1);
    assert_int_equal(events_next(&ev), 1);
    assert_not_held(0);
    assert_not_held(1);
    assert_not_held(2);
    assert_not_held(UINT32_MAX);
}

static void test_init_forgets_everything(void **state)
{
    (void)state;
    add_n(CAP + 3);
    events_init(&ev);
    assert_int_equal(events_first(&ev), 1);
    assert_int_equal(events_next(&ev), 1);
    assert_not_held(1);
    assert_not_held(CAP + 2);
    add_one();
    assert_held(1);
    assert_int_equal(events_first(&ev), 1);
}

/* ---- adding ---------------------------------------------------------------- */

static void test_sequence_starts_at_1(void **state)
{
    (void)state;
    events_add(&ev, 100, EV_STALE, 3, 42, 900, "WS07");
    events_add(&ev, 101, EV_BOOT, 0, 0, 0, NULL);
    events_add(&ev, 102, EV_CONFIG, 11, 0, 0, "policy.mode");
    assert_int_equal(events_first(&ev), 1);
    assert_int_equal(events_next(&ev), 4);

    const event_t *e = events_get(&ev, 1);
    assert_non_null(e);
    assert_int_equal(e->seq, 1);
    assert_int_equal(e->time_s, 100);
    assert_int_equal(e->type, EV_STALE);
    assert_int_equal(e->reason, 3);
    assert_int_equal(e->session, 42);
    assert_int_equal(e->arg, 900);
    assert_string_equal(e->subject, "WS07");

    e = events_get(&ev, 2);
    assert_non_null(e);
    assert_int_equal(e->seq, 2);
    assert_int_equal(e->type, EV_BOOT);
    assert_string_equal(e->subject, "");

    e = events_get(&ev, 3);
    assert_non_null(e);
    assert_string_equal(e->subject, "policy.mode");
    assert_not_held(0);
    assert_not_held(4);
}

static void test_subject_cut_to_max_minus_one(void **state)
{
    (void)state;
    char exact[EVENT_SUBJECT_MAX], longer[EVENT_SUBJECT_MAX + 20];
    memset(exact, 'e', sizeof exact - 1);
    exact[sizeof exact - 1] = '\0';
    memset(longer, 'L', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';

    events_add(&ev, 0, EV_SEEN, 0, 1, 0, exact);
    events_add(&ev, 0, EV_SEEN, 0, 2, 0, longer);
    assert_string_equal(events_get(&ev, 1)->subject, exact);
    const event_t *e = events_get(&ev, 2);
    assert_int_equal(strlen(e->subject), EVENT_SUBJECT_MAX - 1);
    assert_memory_equal(e->subject, longer, EVENT_SUBJECT_MAX - 1);
}

/* A reused slot keeps nothing of the event it held. */
static void test_reused_slot_is_cleared(void **state)
{
    (void)state;
    events_add(&ev, 5, EV_STALE, 9, 9, 9, "a-rather-long-subject-x");
    add_n(CAP - 1);
    events_add(&ev, 6, EV_BOOT, 0, 0, 0, NULL); /* takes event 1's slot */
    const event_t *e = events_get(&ev, CAP + 1);
    assert_non_null(e);
    assert_int_equal(e->seq, CAP + 1);
    assert_int_equal(e->reason, 0);
    assert_int_equal(e->session, 0);
    assert_int_equal(e->arg, 0);
    assert_string_equal(e->subject, "");
    for (size_t i = 0; i < EVENT_SUBJECT_MAX; i++) assert_int_equal(e->subject[i], 0);
    assert_not_held(1);
}

/* ---- the ring ------------------------------------------------------------------- */

static void test_ring_exactly_full_holds_everything(void **state)
{
    (void)state;
    add_n(CAP);
    assert_int_equal(events_first(&ev), 1);
    assert_int_equal(events_next(&ev), CAP + 1);
    for (uint32_t s = 1; s <= CAP; s++) assert_held(s);
    assert_not_held(CAP + 1);
    assert_not_held(0);

    add_one();
    assert_int_equal(events_first(&ev), 2);
    assert_not_held(1);
    assert_held(CAP + 1);
}

static void test_ring_overwrites_oldest(void **state)
{
    (void)state;
    for (uint32_t n = 1; n <= 3 * CAP + 5; n++) {
        add_one();
        uint32_t first = n > CAP ? n - CAP + 1 : 1;
        assert_int_equal(events_first(&ev), first);
        assert_int_equal(events_next(&ev), n + 1);
    }
    uint32_t first = events_first(&ev), next = events_next(&ev);
    assert_int_equal(next - first, CAP);
    for (uint32_t s = 0; s < next + 5; s++) {
        if (s >= first && s < next)
            assert_held(s);
        else
            assert_not_held(s);
    }
    assert_not_held(UINT32_MAX);
    assert_not_held(next + 0x80000000u);
}

/* ---- resuming ------------------------------------------------------------------ */

static void test_resume_cursor_0_on_fresh_ring(void **state)
{
    (void)state;
    assert_resume(0, 1, 0);
    add_n(3);
    assert_resume(0, 1, 0);
}

static void test_resume_cursor_in_range(void **state)
{
    (void)state;
    add_n(CAP);
    for (uint32_t cur = 0; cur < CAP; cur++) assert_resume(cur, cur + 1, 0);
}

static void test_resume_cursor_at_end(void **state)
{
    (void)state;
    add_n(10);
    assert_resume(10, 11, 0);
    add_n(2 * CAP);
    assert_resume(10 + 2 * CAP, 11 + 2 * CAP, 0);
}

static void test_resume_cursor_fallen_out_counts_lost(void **state)
{
    (void)state;
    add_n(CAP + 20); /* 1..20 are gone, 21 is the oldest */
    assert_int_equal(events_first(&ev), 21);
    assert_resume(0, 21, 20);
    assert_resume(1, 21, 19);
    assert_resume(5, 21, 15);
    assert_resume(19, 21, 1);
    assert_resume(20, 21, 0);
    assert_resume(21, 22, 0);
}

static void test_resume_cursor_from_the_future(void **state)
{
    (void)state;
    assert_resume(5, 1, 0); /* empty ring, a cursor from before a reboot */
    add_n(CAP / 2);
    assert_resume(CAP / 2 + 1, 1, 0);
    assert_resume(1000000, 1, 0);
    add_n(CAP);
    assert_resume(CAP / 2 + CAP + 1, CAP / 2 + 1, 0);
    assert_resume(0x7fffffffu, events_first(&ev), 0);
}

/* ---- the 32-bit sequence wrap ------------------------------------------------ */

/* The ring after about 2^32 events: full, with next_seq `before` short of
 * UINT32_MAX. Set directly, then filled so every slot holds a real event. */
static void start_near_wrap(uint32_t before)
{
    events_start_at(&ev, UINT32_MAX - before - CAP);
    add_n(CAP);
    assert_int_equal(events_next(&ev), UINT32_MAX - before);
}

/* Everything a reader can see must be consistent, whatever next_seq is. */
static void assert_full_ring_consistent(void)
{
    uint32_t first = events_first(&ev), next = events_next(&ev);
    if (next - first != CAP)
        fail_msg("first %u next %u: %u held, want %u", first, next, next - first, CAP);
    for (uint32_t i = 0; i < CAP; i++) assert_held(first + i);
    assert_not_held(first - 1);
    assert_not_held(next);
    assert_resume(next - 1, next, 0);
    assert_resume(first - 1, first, 0);
    assert_resume(first, first + 1, 0);
    assert_resume(first - 6, first, 5);
    assert_resume(next, first, 0); /* one ahead: from the future */
}

static void test_sequence_wraps_to_zero(void **state)
{
    (void)state;
    start_near_wrap(1);
    assert_int_equal(events_next(&ev), UINT32_MAX - 1);
    add_n(3);
    assert_int_equal(events_next(&ev), 1);
    assert_held(UINT32_MAX - 1);
    assert_held(UINT32_MAX);
    assert_held(0);
    assert_not_held(1);
    add_one();
    assert_held(1);
    assert_int_equal(events_next(&ev), 2);
}

static void test_ring_stays_full_across_the_wrap(void **state)
{
    (void)state;
    start_near_wrap(10);
    for (uint32_t n = 0; n < 3 * CAP; n++) {
        assert_full_ring_consistent();
        add_one();
    }
    assert_full_ring_consistent();
}

static void test_resume_across_the_wrap(void **state)
{
    (void)state;
    start_near_wrap(2);
    uint32_t cursor = events_next(&ev) - 2; /* a poller two events behind */
    while (events_next(&ev) != 2) add_one(); /* the sequence wraps */
    /* what it missed, on both sides of the wrap, is still held */
    assert_resume(cursor, cursor + 1, 0);
    assert_resume(UINT32_MAX, 0, 0);
    assert_resume(0, 1, 0);
    assert_resume(1, 2, 0);
    /* a poller that fell out of the ring before the wrap */
    uint32_t first = events_first(&ev);
    assert_int_equal(first, 2u - CAP);
    assert_resume(first - 11, first, 10);
}

/* ---- gaps: numbers holding no event (read back after a restart) ------------ */

/* Puts an event numbered seq, as read back from the NV store (above the
 * newest: the numbers between are a gap). */
static void put_at(uint32_t seq)
{
    event_t e;
    memset(&e, 0, sizeof e);
    e.seq = e.arg = seq;
    e.time_s = seq * 2u;
    e.type = EV_CREDS;
    events_put(&ev, &e);
}

static void test_gaps_hold_nothing_and_are_passed_over(void **state)
{
    (void)state;
    events_start_at(&ev, 10);
    put_at(10), put_at(11), put_at(15), put_at(16);
    events_skip(&ev, 40); /* a restart passed over the rest of a block */
    add_one();
    assert_int_equal(events_held(&ev), 5);
    assert_int_equal(events_first(&ev), 10);
    assert_int_equal(events_next(&ev), 41);
    static const uint32_t held[] = {10, 11, 15, 16, 40};
    for (uint32_t k = 0; k < 5; k++) {
        assert_held(held[k]);
        assert_int_equal(events_at(&ev, k), held[k]);
    }
    for (uint32_t q = 12; q < 40; q++)
        if (q != 15 && q != 16) assert_not_held(q);
    assert_int_equal(events_from(&ev, 12), 15);
    assert_int_equal(events_from(&ev, 15), 15);
    assert_int_equal(events_from(&ev, 17), 40);
    assert_int_equal(events_from(&ev, 41), 41); /* the end */
    assert_int_equal(events_from(&ev, 9), 9);   /* before the ring: as it is */
    /* a poller is told of the numbers in gaps after its cursor */
    assert_resume(11, 12, 3 + 23);
    assert_resume(16, 17, 23);
    assert_resume(39, 40, 0);
    assert_resume(40, 41, 0);
    assert_resume(5, 10, 4 + 3 + 23); /* 6..9 fell out */
    /* the ring fills: the oldest give way, gaps and all */
    add_n(CAP - 3);
    assert_int_equal(events_first(&ev), 15);
    assert_resume(14, 15, 23);
    add_n(2);
    assert_int_equal(events_first(&ev), 40);
    assert_resume(16, 40, 23);
    assert_int_equal(events_next(&ev) - events_first(&ev), CAP); /* no gap left */
}

/* Random runs of events added, read back over gaps and skipped to, near
 * the start and across the 32-bit wrap, against a list of the numbers
 * held: every lookup, every number a reader passes over, every resume. */
static void test_gaps_against_a_model(void **state)
{
    (void)state;
    uint32_t rnd = 2026;
    for (int round = 0; round < 60; round++) {
        uint32_t start = round % 2 ? UINT32_MAX - 200 : 1, model[AGENT_EVENT_CAP], n = 0, next = start;
        events_start_at(&ev, start);
        for (int op = 0; op < 400; op++) {
            rnd = rnd * 1103515245u + 12345u;
            uint32_t r = rnd >> 8, gap = r % 3 == 0 ? r / 3 % 50 : 0;
            if (r % 11 == 0) {
                events_skip(&ev, next + gap);
                next += gap;
            } else {
                if (gap) put_at(next + gap);
                else add_one();
                if (n == AGENT_EVENT_CAP) memmove(model, model + 1, --n * sizeof model[0]);
                model[n++] = next + gap;
                next += gap + 1;
            }
            uint32_t first = n ? model[0] : next;
            assert_int_equal(events_next(&ev), next);
            assert_int_equal(events_first(&ev), first);
            assert_int_equal(events_held(&ev), n);
            for (uint32_t q = first - 3, k = 0; q != next + 3; q++) {
                while (k < n && model[k] - first < q - first && q - first <= next - first) k++;
                bool within = q - first < next - first;
                bool is = within && k < n && model[k] == q;
                if (is) assert_held(q);
                else assert_not_held(q);
                assert_int_equal(events_from(&ev, q), !within ? q : k < n ? model[k] : next);
                uint32_t lost, from = events_resume(&ev, q - 1, &lost), want_from = q, want_lost;
                if (within || q == next) {
                    want_lost = (next - q) - (n - k);
                } else if ((int32_t)(q - first) < 0) {
                    want_from = first;
                    want_lost = (first - q) + (next - first) - n;
                } else {
                    want_from = first;
                    want_lost = (next - first) - n;
                }
                if (from != want_from || lost != want_lost)
                    fail_msg("round %d op %d: resume(%u) = %u lost %u, want %u lost %u", round, op, q - 1,
                             from, lost, want_from, want_lost);
            }
            for (uint32_t k = 0; k < n; k++) assert_int_equal(events_at(&ev, k), model[k]);
        }
    }
}

/* ---- text ---------------------------------------------------------------------- */

static void test_every_type_has_a_distinct_name(void **state)
{
    (void)state;
    for (int t = 0; t < EV_TYPE_COUNT; t++) {
        const char *n = events_type_name((event_type_t)t);
        assert_non_null(n);
        assert_true(strlen(n) > 0);
        assert_string_not_equal(n, "?");
        for (int u = 0; u < t; u++) assert_string_not_equal(n, events_type_name((event_type_t)u));
    }
    assert_string_equal(events_type_name(EV_TYPE_COUNT), "?");
    assert_string_equal(events_type_name((event_type_t)200), "?");
    assert_string_equal(events_type_name(EV_EVICTED), "evicted");
}

static void test_describe_every_type_with_any_reason(void **state)
{
    (void)state;
    static const uint8_t reasons[] = {0, 1, 5, 7, 200, 255};
    for (int t = 0; t < EV_TYPE_COUNT; t++) {
        for (size_t r = 0; r < sizeof reasons; r++) {
            events_init(&ev);
            events_add(&ev, 60, (event_type_t)t, reasons[r], 3, 1, "WS01");
            char text[200];
            fmt_t f;
            fmt_init(&f, text, sizeof text);
            events_describe(events_get(&ev, 1), &f);
            if (f.len == 0) fail_msg("type %d reason %u: no text", t, reasons[r]);
            assert_false(f.overflow);
            assert_null(strchr(text, '\n'));
            assert_null(strchr(text, '%')); /* no conversion left unexpanded */
        }
    }
}

static void test_describe_says_what_happened(void **state)
{
    (void)state;
    char text[200];
    fmt_t f;
    events_add(&ev, 0, EV_CONFIG, 0, 0, 0, "policy.mode");
    events_add(&ev, 0, EV_STALE, 1 /* REASON_IDLE */, 12, 900, "WS01");
    events_add(&ev, 0, EV_TRUNCATED, 0, 0, 17, NULL);

    fmt_init(&f, text, sizeof text);
    events_describe(events_get(&ev, 1), &f);
    assert_string_equal(text, "policy.mode changed");

    fmt_init(&f, text, sizeof text);
    events_describe(events_get(&ev, 2), &f);
    assert_non_null(strstr(text, "session 12"));
    assert_non_null(strstr(text, "WS01"));
    assert_non_null(strstr(text, "idle"));
    assert_non_null(strstr(text, "0:15:00"));

    fmt_init(&f, text, sizeof text);
    events_describe(events_get(&ev, 3), &f);
    assert_non_null(strstr(text, "17"));
}

static void test_describe_cut_at_capacity(void **state)
{
    (void)state;
    char text[24];
    memset(text, 0x5a, sizeof text);
    fmt_t f;
    fmt_init(&f, text, 16);
    events_add(&ev, 0, EV_SAMPLE_FAILED, 0, 0, 3, NULL);
    events_describe(events_get(&ev, 1), &f);
    assert_true(f.overflow);
    assert_int_equal(strlen(text), 15);
    for (size_t i = 16; i < sizeof text; i++) assert_int_equal(text[i], 0x5a);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_empty_ring_has_first_equal_next),
        T(test_init_forgets_everything),
        T(test_sequence_starts_at_1),
        T(test_subject_cut_to_max_minus_one),
        T(test_reused_slot_is_cleared),
        T(test_ring_exactly_full_holds_everything),
        T(test_ring_overwrites_oldest),
        T(test_resume_cursor_0_on_fresh_ring),
        T(test_resume_cursor_in_range),
        T(test_resume_cursor_at_end),
        T(test_resume_cursor_fallen_out_counts_lost),
        T(test_resume_cursor_from_the_future),
        T(test_sequence_wraps_to_zero),
        T(test_ring_stays_full_across_the_wrap),
        T(test_resume_across_the_wrap),
        T(test_gaps_hold_nothing_and_are_passed_over),
        T(test_gaps_against_a_model),
        T(test_every_type_has_a_distinct_name),
        T(test_describe_every_type_with_any_reason),
        T(test_describe_says_what_happened),
        T(test_describe_cut_at_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
