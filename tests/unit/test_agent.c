/* The core end to end through fake HALs: reconciliation, every policy and
 * safety rule, eviction, failures, truncation, garbage, the clock wrap,
 * settings persistence. */
#include "agent_fixture.h"

#define START_MS 1000000u
#define MIN 60u
#define HOUR 3600u

static agent_del_t del_session(uint32_t id, bool force, fmt_t *msg)
{
    agent_del_req_t req = {.id = id, .force = force, .force_word = "'force'"};
    return agent_delete(&req, msg);
}


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
    fake_wall_s = 0; /* no wall clock unless a test sets one */
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    boot();
    return 0;
}

/* One sample interval later, with everything settled. */
static void next_sample(void) { run_ms(agent_cfg()->sample_interval_s * 1000u); }

static const sess_t *live(uint32_t sid)
{
    const sess_t *s = rec(sid);
    return s && sess_live(s) ? s : NULL;
}

static sess_reason_t reason_of(uint32_t sid)
{
    const sess_t *s = live(sid);
    assert_non_null(s);
    return (sess_reason_t)s->reason;
}

/* ---- reconciliation ---------------------------------------------------- */

static void test_new_changed_gone(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "WS01", "alice", 0, 5);
    fake_smb_add(12, 2, "WS02", "bob", 2, 5);
    next_sample();
    assert_int_equal(ring_live(agent_ring()), 2);
    assert_int_equal(count_events(EV_SEEN), 2);
    assert_string_equal(live(11)->client, "WS01");

    fake_smb[1].opens = 4;
    next_sample();
    assert_int_equal(live(12)->opens, 4);
    assert_int_equal(count_events(EV_SEEN), 2);

    fake_smb_n = 1; /* WS02 logs off */
    next_sample();
    assert_null(live(12));
    assert_int_equal(rec(12)->state, SESS_ENDED);
    assert_int_equal(rec(12)->reason, REASON_CLOSED);
    assert_int_equal(count_events(EV_CLOSED), 1);
    assert_int_equal(agent_stats()->server_sessions, 1);
}

static void test_reused_server_id_is_a_new_session(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "WS01", "alice", 0, 5);
    next_sample();
    uint32_t first = live(11)->id;
    snprintf(fake_smb[0].client, sizeof fake_smb[0].client, "WS09");
    next_sample();
    assert_int_not_equal(live(11)->id, first);
    assert_string_equal(live(11)->client, "WS09");
    assert_int_equal(count_events(EV_CLOSED), 1);
}

/* A HAL that leaves bytes after a text's terminator: the same session. */
static void test_bytes_after_a_text_change_nothing(void **state)
{
    (void)state;
    hal_smb_session_t *h = fake_smb_add(11, 1, "WS01", "alice", 0, 5);
    next_sample();
    uint32_t id = live(11)->id;
    memset(h->client + 5, 'x', sizeof h->client - 6);
    h->type[sizeof h->type - 1] = 'y';
    next_sample();
    next_sample();
    assert_int_equal(live(11)->id, id);
    assert_string_equal(live(11)->client, "WS01");
    assert_string_equal(live(11)->type, "SMB3_11");
    assert_int_equal(count_events(EV_SEEN), 1);
    assert_int_equal(count_events(EV_CLOSED), 0);
}

static void test_idle_from_activity_counter(void **state)
{
    (void)state;
    hal_smb_session_t *s = fake_smb_add(11, 1, "WS01", "svc", 0, 0);
    s->flags = 0; /* no idle figure: a counter */
    s->activity = 5;
    next_sample();
    assert_int_equal(sess_idle(live(11), agent_now_s()), 0);
    run_ms(15 * MIN * 1000u);
    assert_int_equal(reason_of(11), REASON_IDLE);
    assert_true(sess_idle(live(11), agent_now_s()) >= 15 * MIN);
    fake_smb[0].activity = 6; /* it did something */
    next_sample();
    assert_int_equal(live(11)->state, SESS_ACTIVE);
    assert_true(sess_idle(live(11), agent_now_s()) <= 10);
}

/* ---- policy rules at their boundaries ---------------------------------- */

static void test_idle_rule_boundary(void **state)
{
    (void)state;
    /* Sampled just after a sample: idle seen = idle_s exactly. */
    fake_smb_add(11, 1, "A", "u1", 0, 15 * MIN - 1);
    fake_smb_add(12, 2, "B", "u2", 0, 15 * MIN);
    fake_smb_add(13, 3, "C", "u3", 1, 15 * MIN + 100); /* open files */
    next_sample();
    assert_int_equal(reason_of(11), REASON_NONE);
    assert_int_equal(reason_of(12), REASON_IDLE);
    assert_int_equal(reason_of(13), REASON_NONE);
    assert_int_equal(live(12)->state, SESS_STALE);
    assert_int_equal(count_events(EV_STALE), 1);
}

static void test_null_rule_boundary(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "10.0.0.1", "", 0, 0)->connected_s = 89;
    fake_smb_add(12, 2, "10.0.0.2", "", 0, 0)->connected_s = 90;
    fake_smb_add(13, 3, "10.0.0.3", "bob", 0, 0)->connected_s = 5000;
    next_sample();
    assert_int_equal(reason_of(11), REASON_NONE);
    assert_int_equal(reason_of(12), REASON_NULL);
    assert_int_equal(reason_of(13), REASON_NONE);
}

static void test_duplicate_rule(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "WS01", "alice", 0, 5 * MIN);    /* older, idle enough */
    fake_smb_add(12, 2, "ws01", "svc", 0, 5 * MIN - 1);  /* same client, newer */
    fake_smb_add(13, 3, "WS01", "alice", 0, 10);         /* most recently active */
    fake_smb_add(14, 4, "WS01", "svc2", 2, 10 * MIN);    /* holds files */
    fake_smb_add(15, 5, "WS02", "carol", 0, 10 * MIN);   /* alone on its client */
    next_sample();
    assert_int_equal(reason_of(11), REASON_DUPLICATE);
    assert_int_equal(reason_of(12), REASON_NONE);
    assert_int_equal(reason_of(13), REASON_NONE);
    assert_int_equal(reason_of(14), REASON_NONE);
    assert_int_equal(reason_of(15), REASON_NONE);
}

/* A client's only session, idle long enough, is judged once and then left
 * alone (nothing can make it a duplicate) until a second session of its
 * client comes: then it is a duplicate at once. */
/* A sample after the server's sessions aged with the clock, as Samba's do. */
static void aging_sample(void)
{
    uint32_t step = agent_cfg()->sample_interval_s;
    for (size_t i = 0; i < fake_smb_n; i++) fake_smb[i].idle_s += step, fake_smb[i].connected_s += step;
    next_sample();
}

static void test_a_session_alone_becomes_a_duplicate_when_another_comes(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "WS01", "alice", 0, 10 * MIN);
    next_sample();
    aging_sample(); /* settled: not judged again */
    assert_int_equal(reason_of(11), REASON_NONE);
    fake_smb_add(12, 2, "ws01", "alice", 0, 10);
    aging_sample();
    assert_int_equal(reason_of(11), REASON_DUPLICATE);
    assert_int_equal(reason_of(12), REASON_NONE);
}

/* The newer session of a client left at this sample: the older one, judged
 * before the leaver is ended, is alone, no duplicate. */
static void test_no_duplicate_of_a_session_gone(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "WS01", "alice", 0, 10 * MIN); /* judged first (lower id) */
    fake_smb_add(12, 2, "WS01", "alice", 0, 10);
    next_sample();
    assert_int_equal(reason_of(11), REASON_DUPLICATE);
    fake_smb_n = 1; /* the newer one logs off */
    next_sample();
    assert_null(live(12));
    assert_int_equal(reason_of(11), REASON_NONE);
}

/* The same with sessions that age as Samba's do, so the duplicate's
 * verdict is settled between samples: the newer one's leaving still makes
 * it judged again, though the walk reaches it before the leaver. */
static void test_no_duplicate_of_a_session_gone_when_settled(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "WS01", "alice", 0, 10 * MIN);
    fake_smb_add(12, 2, "WS01", "alice", 0, 10);
    next_sample();
    aging_sample();
    assert_int_equal(reason_of(11), REASON_DUPLICATE);
    fake_smb_n = 1;
    aging_sample();
    assert_null(live(12));
    assert_int_equal(reason_of(11), REASON_NONE);
}

/* A sample's finish that spans polls while the clock moves on works at its
 * classification's time. A full ring turns over but for WS01's session
 * (settled, its idle reaching the idle rule's 900 s now), a second session
 * of WS01 coming last: the replay that places the newcomers takes a second
 * poll, a second later. Its news still has WS01's first judged, and the
 * newcomers are not idle "for ever" (seen after the classification's
 * time, they would be stale at once, and in enforce mode ended). */
static void test_a_finish_over_polls_works_at_its_classification_time(void **state)
{
    (void)state;
    char name[16];
    set_key("policy.session_limit", "0");
    fake_smb_add(1, 1, "WS01", "alice", 0, 15 * MIN - 15);
    for (uint32_t i = 1; i < AGENT_RING_CAP; i++) {
        snprintf(name, sizeof name, "C%u", (unsigned)i);
        fake_smb_add(100 + i, 100 + i, name, "u", 0, 10);
    }
    next_sample();
    aging_sample();
    assert_int_equal(reason_of(1), REASON_NONE); /* settled */
    fake_smb_n = 1;
    for (uint32_t i = 1; i < AGENT_RING_CAP - 1; i++) {
        snprintf(name, sizeof name, "N%u", (unsigned)i);
        fake_smb_add(1000 + i, 1000 + i, name, "u", 0, 10);
    }
    fake_smb_add(2000, 2000, "WS01", "bob", 0, 10);
    uint32_t step = agent_cfg()->sample_interval_s, before = agent_stats()->samples;
    fake_smb[0].idle_s += step, fake_smb[0].connected_s += step;
    fake_ms += step * 1000u;
    for (int i = 0; i < 100 && agent_stats()->samples == before; i++) {
        agent_poll(fake_ms);
        fake_ms += 1000;
    }
    assert_int_equal(fake_smb_rewinds, 1);
    assert_int_equal(reason_of(1), REASON_IDLE);
    for (uint32_t i = 1; i < AGENT_RING_CAP - 1; i++) assert_int_equal(reason_of(1000 + i), REASON_NONE);
    assert_int_equal(reason_of(2000), REASON_NONE);
}

static void test_limit_pressure_and_hysteresis(void **state)
{
    (void)state;
    /* limit 10, high 80% (8), low 60%: relief until at most 5 remain. */
    for (uint32_t i = 0; i < 7; i++) fake_smb_add(100 + i, 100 + i, "C", "u", 0, 2 * MIN + i);
    next_sample();
    assert_false(agent_stats()->pressure);
    fake_smb_add(107, 107, "D", "v", 0, 30); /* below limit_min_idle */
    next_sample();
    assert_true(agent_stats()->pressure);
    assert_int_equal(count_events(EV_LIMIT), 1);
    /* 8 sessions, 5 allowed: the 3 stalest eligible are chosen... but
     * 100..106 share client C, so 6 of them are duplicates already. */
    int limit = 0, dup = 0;
    for (uint32_t i = 0; i < 8; i++) {
        limit += live(100 + i)->reason == REASON_LIMIT;
        dup += live(100 + i)->reason == REASON_DUPLICATE;
    }
    assert_int_equal(dup, 0); /* idle 2 min < dup_idle 5 min */
    assert_int_equal(limit, 3);
    assert_int_equal(reason_of(106), REASON_LIMIT);
    assert_int_equal(reason_of(105), REASON_LIMIT);
    assert_int_equal(reason_of(104), REASON_LIMIT);
    assert_int_equal(reason_of(107), REASON_NONE);

    fake_smb_n = 7; /* 7 >= low mark: pressure stays, 2 chosen */
    next_sample();
    assert_true(agent_stats()->pressure);
    fake_smb_n = 5; /* below 60% */
    next_sample();
    assert_false(agent_stats()->pressure);
    for (uint32_t i = 0; i < 5; i++) assert_int_equal(reason_of(100 + i), REASON_NONE);
}

static void test_limit_rule_off(void **state)
{
    (void)state;
    set_key("policy.session_limit", "0");
    for (uint32_t i = 0; i < 12; i++) fake_smb_add(100 + i, 100 + i, "C", "u", 0, 2 * MIN);
    next_sample();
    assert_false(agent_stats()->pressure);
    for (uint32_t i = 0; i < 12; i++) assert_int_equal(reason_of(100 + i), REASON_NONE);
}

static void test_orphan_reported_never_evicted_unless_allowed(void **state)
{
    (void)state;
    set_key("policy.mode", "enforce");
    fake_smb_add(11, 1, "DEAD", "bob", 1, 24 * HOUR - 1);
    fake_smb_add(12, 2, "DEAD2", "bob", 1, 24 * HOUR);
    next_sample();
    assert_int_equal(reason_of(11), REASON_NONE);
    assert_int_equal(reason_of(12), REASON_ORPHAN);
    next_sample();
    assert_int_equal(fake_smb_ends, 0);
    assert_non_null(live(12));
    assert_int_equal(live(12)->block, BLOCK_OPENS);
    assert_int_equal(count_events(EV_EVICT_BLOCKED), 1); /* once, not per sample */
    assert_int_equal(reason_of(11), REASON_NONE);      /* the server says 24h-1 */

    set_key("policy.evict_orphans", "on");
    next_sample();
    next_sample();
    assert_null(live(12));
    assert_int_equal(rec(12)->reason, REASON_EVICTED);
    assert_int_equal(fake_smb_opens_lost, 1);
    assert_non_null(live(11)); /* files, not yet an orphan: still kept */
}

/* ---- eviction and safety ------------------------------------------------ */

static void add_leaks(void)
{
    fake_smb_add(11, 1, "SVC1", "svc", 0, 5 * HOUR);   /* idle */
    fake_smb_add(12, 2, "10.0.0.9", "", 0, 0)->connected_s = 600; /* null */
    fake_smb_add(13, 3, "WS01", "alice", 3, 20 * MIN);  /* files: keep */
    fake_smb_add(14, 4, "WS02", "bob", 0, 30);          /* active */
}

static void test_report_mode_evicts_nothing(void **state)
{
    (void)state;
    add_leaks();
    for (int i = 0; i < 5; i++) next_sample();
    assert_int_equal(reason_of(11), REASON_IDLE);
    assert_int_equal(reason_of(12), REASON_NULL);
    assert_int_equal(fake_smb_ends, 0);
    assert_int_equal(count_events(EV_EVICT_ASKED), 0);
}

static void test_enforce_evicts_and_confirms(void **state)
{
    (void)state;
    add_leaks();
    set_key("policy.mode", "enforce");
    next_sample();
    assert_string_equal(fake_smb_log, "S11 S12 ");
    assert_int_equal(count_events(EV_EVICT_ASKED), 2);
    assert_true(live(11)->pending); /* asked; the next sample confirms */
    next_sample();
    assert_int_equal(rec(11)->state, SESS_ENDED);
    assert_int_equal(rec(11)->reason, REASON_EVICTED);
    assert_int_equal(rec(12)->reason, REASON_EVICTED);
    assert_int_equal(count_events(EV_EVICTED), 2);
    assert_int_equal(agent_stats()->evictions, 2);
    assert_non_null(live(13));
    assert_non_null(live(14));
    assert_int_equal(fake_smb_opens_lost, 0);
}

static void test_eviction_that_does_not_take_is_retried(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "SVC1", "svc", 0, 5 * HOUR);
    set_key("policy.mode", "enforce");
    fake_smb_end_removes = false;
    next_sample();
    assert_int_equal(fake_smb_ends, 1);
    next_sample();
    assert_int_equal(count_events(EV_EVICT_FAILED), 1);
    assert_int_equal(agent_stats()->eviction_failures, 1);
    next_sample(); /* within the retry delay: not asked again */
    assert_int_equal(fake_smb_ends, 1);
    run_ms(AGENT_EVICT_RETRY_S * 1000u);
    assert_true(fake_smb_ends >= 2);
}

static void test_server_refusing_the_end(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "SVC1", "svc", 0, 5 * HOUR);
    set_key("policy.mode", "enforce");
    fake_smb_end_rc = HAL_SMB_EFAIL;
    next_sample();
    assert_int_equal(count_events(EV_EVICT_FAILED), 1);
    assert_int_equal(live(11)->pending, 0);
}

static void test_connection_granularity_sibling_rules(void **state)
{
    (void)state;
    fake_smb_reset(HAL_SMB_CAN_END_CONN);
    set_key("policy.mode", "enforce");
    fake_smb_add(11, 7, "WS01", "svc", 0, 5 * HOUR);    /* stale */
    fake_smb_add(12, 7, "WS01", "alice", 1, 10);        /* same conn, files */
    fake_smb_add(21, 8, "WS02", "svc", 0, 5 * HOUR);    /* stale */
    fake_smb_add(22, 8, "WS02", "carol", 0, 10);        /* same conn, active */
    fake_smb_add(31, 9, "WS03", "svc", 0, 5 * HOUR);    /* stale */
    fake_smb_add(32, 9, "WS03", "svc2", 0, 3 * HOUR);   /* stale as well */
    next_sample();
    assert_string_equal(fake_smb_log, "C9 ");
    assert_int_equal(live(11)->block, BLOCK_SIBLING);
    assert_int_equal(live(21)->block, BLOCK_SIBLING);
    next_sample();
    assert_null(live(31));
    assert_null(live(32));
    assert_int_equal(rec(32)->reason, REASON_EVICTED);
    assert_non_null(live(11));
    assert_non_null(live(12));
}

static void test_protected_clients_and_users(void **state)
{
    (void)state;
    set_key("policy.mode", "enforce");
    set_key("policy.protect", "\\\\BACKUP, CORP\\svc_sql");
    fake_smb_add(11, 1, "backup", "x", 0, 5 * HOUR);
    fake_smb_add(12, 2, "WS09", "corp\\SVC_SQL", 0, 5 * HOUR);
    fake_smb_add(13, 3, "WS10", "other", 0, 5 * HOUR);
    next_sample();
    assert_string_equal(fake_smb_log, "S13 ");
    assert_int_equal(live(11)->block, BLOCK_PROTECTED);
    assert_int_equal(live(12)->block, BLOCK_PROTECTED);
}

static void test_rate_limit(void **state)
{
    (void)state;
    set_key("policy.session_limit", "0");
    set_key("policy.mode", "enforce");
    set_key("policy.evict_rate", "4");
    for (uint32_t i = 0; i < 10; i++) fake_smb_add(100 + i, 100 + i, "C", "u", 0, HOUR + i);
    next_sample();
    assert_int_equal(fake_smb_ends, 4);
    next_sample();
    next_sample();
    assert_int_equal(fake_smb_ends, 4); /* still inside the minute */
    assert_int_equal(count_events(EV_EVICT_BLOCKED), 6);
    run_ms(60 * 1000u);
    assert_int_equal(fake_smb_ends, 8);
    /* never more than 4 in any 60 s: the stalest went first */
    assert_string_equal(fake_smb_log, "S109 S108 S107 S106 S105 S104 S103 S102 ");
}

/* The rate's window is 60 seconds to the second: evictions at second t
 * hold their places through t + 59 and give them back at t + 60. */
static void test_rate_window_is_sixty_seconds(void **state)
{
    (void)state;
    set_key("policy.session_limit", "0");
    set_key("sample.interval", "1s");
    set_key("policy.mode", "enforce");
    set_key("policy.evict_rate", "2");
    for (uint32_t i = 0; i < 10; i++) fake_smb_add(100 + i, 100 + i, "C", "u", 0, HOUR + i);
    for (int n = 0; n < 5 && fake_smb_ends < 2; n++) run_ms(1000);
    assert_int_equal(fake_smb_ends, 2);
    uint32_t t = agent_now_s();
    while (agent_now_s() < t + 59) {
        run_ms(1000);
        if (fake_smb_ends != 2) fail_msg("%d ended %u s after the first two", fake_smb_ends, agent_now_s() - t);
    }
    run_ms(1000);
    assert_int_equal(agent_now_s(), t + 60);
    assert_int_equal(fake_smb_ends, 4);
}

/* A session the limit rule chooses again at every sample, held back by the
 * rate each time, says so once. */
static void test_limit_choice_held_back_says_so_once(void **state)
{
    (void)state;
    set_key("policy.mode", "enforce");
    set_key("policy.evict_rate", "1");
    for (uint32_t i = 0; i < 8; i++) fake_smb_add(100 + i, 100 + i, "C", "u", 0, 2 * MIN + i);
    next_sample(); /* 8 of 10: the 3 stalest chosen, 1 may go this minute */
    assert_int_equal(fake_smb_ends, 1);
    assert_int_equal(count_events(EV_EVICT_BLOCKED), 2);
    next_sample(); /* 7: still under pressure, the same 2 chosen again */
    next_sample();
    assert_int_equal(reason_of(105), REASON_LIMIT);
    assert_int_equal(live(105)->block, BLOCK_RATE);
    assert_int_equal(fake_smb_ends, 1);
    assert_int_equal(count_events(EV_EVICT_BLOCKED), 2);
}

/* Under limit pressure, a stale session held back only by the active one
 * sharing its connection goes with it when the limit rule chooses that
 * one: one connection ended, and no "kept" said for either. */
static void test_limit_choice_frees_its_stale_sibling(void **state)
{
    (void)state;
    fake_smb_reset(HAL_SMB_CAN_END_CONN);
    set_key("policy.mode", "enforce");
    fake_smb_add(11, 1, "C1", "svc", 0, 20 * MIN);  /* stale, held by 12 */
    fake_smb_add(12, 1, "C1", "svc2", 0, 3 * MIN);  /* active: the limit's choice */
    for (uint32_t i = 0; i < 6; i++) fake_smb_add(13 + i, 3 + i, "D", "u", 0, 30);
    next_sample(); /* 8 of 10: pressure, relief down to 5 */
    assert_string_equal(fake_smb_log, "C1 ");
    assert_int_equal(reason_of(12), REASON_LIMIT);
    assert_int_equal(count_events(EV_EVICT_ASKED), 2);
    assert_int_equal(count_events(EV_EVICT_BLOCKED), 0);
}

/* The same for a session that goes with its client (no connection id)
 * while the client's other two are active, each on a connection of its
 * own: the limit choosing both frees it, though two held it back. */
static void test_limit_choices_free_a_session_two_held(void **state)
{
    (void)state;
    fake_smb_reset(HAL_SMB_CAN_END_CONN | HAL_SMB_CAN_END_CLIENT);
    set_key("policy.mode", "enforce");
    fake_smb_add(11, 0, "C1", "svc", 0, 20 * MIN); /* stale, goes with its client */
    fake_smb_add(12, 1, "C1", "svc2", 0, 3 * MIN); /* active: the limit's choices */
    fake_smb_add(13, 2, "C1", "svc3", 0, 2 * MIN);
    for (uint32_t i = 0; i < 5; i++) fake_smb_add(14 + i, 3 + i, "D", "u", 0, 30);
    next_sample(); /* 8 of 10: pressure, relief down to 5 */
    assert_int_equal(reason_of(12), REASON_LIMIT);
    assert_int_equal(reason_of(13), REASON_LIMIT);
    assert_true(live(11)->pending);
    assert_string_equal(fake_smb_log, "C1 C2 KC1 ");
    assert_int_equal(count_events(EV_EVICT_BLOCKED), 0);
}

static void test_no_eviction_after_failed_sample(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "SVC1", "svc", 0, 5 * HOUR);
    next_sample(); /* known stale, report mode */
    set_key("policy.mode", "enforce");
    fake_smb_fail = 1;
    next_sample();
    assert_int_equal(fake_smb_ends, 0);
    assert_false(agent_stats()->last_ok);
    assert_int_equal(count_events(EV_SAMPLE_FAILED), 1);
    char buf[160];
    fmt_t msg;
    fmt_init(&msg, buf, sizeof buf);
    assert_int_equal(del_session(live(11)->id, true, &msg), AGENT_DEL_ESTALE);
    assert_int_equal(fake_smb_ends, 0);
    next_sample(); /* a good sample again */
    assert_int_equal(fake_smb_ends, 1);
}

static void test_pending_sample_evicts_only_when_complete(void **state)
{
    (void)state;
    fake_smb_add(11, 1, "SVC1", "svc", 0, 5 * HOUR);
    set_key("policy.mode", "enforce");
    fake_smb_pending = 3;
    fake_ms += 10000;
    /* pending: call again soon, but not in a busy loop */
    assert_int_equal(agent_poll(fake_ms), AGENT_PENDING_MS);
    assert_int_equal(fake_smb_ends, 0);
    for (int i = 0; i < 10 && fake_smb_pending; i++)
        assert_int_equal(agent_poll(fake_ms), AGENT_PENDING_MS);
    assert_int_equal(fake_smb_ends, 0);
    settle(); /* the snapshot is ready: the sample completes */
    assert_int_equal(fake_smb_ends, 1);
}

/* ---- truncation and garbage --------------------------------------------- */

static void test_ring_full_counts_untracked(void **state)
{
    (void)state;
    set_key("policy.mode", "enforce");
    set_key("policy.session_limit", "0");
    for (uint32_t i = 0; i < AGENT_RING_CAP + 6; i++)
        fake_smb_add(1000 + i, 1000 + i, "C", "u", 0, 10);
    next_sample();
    assert_int_equal(ring_live(agent_ring()), AGENT_RING_CAP);
    assert_int_equal(agent_stats()->untracked, 6);
    assert_int_equal(agent_stats()->server_sessions, AGENT_RING_CAP + 6);
    assert_int_equal(count_events(EV_TRUNCATED), 1);
    next_sample();
    assert_int_equal(count_events(EV_TRUNCATED), 1); /* once, not per sample */
    for (uint32_t i = AGENT_RING_CAP; i < AGENT_RING_CAP + 6; i++) assert_null(rec(1000 + i));
    /* Leaks appear among the untracked: only tracked ones may be ended. */
    for (size_t i = 0; i < fake_smb_n; i++) fake_smb[i].idle_s = 5 * HOUR;
    next_sample();
    assert_int_equal(fake_smb_ends, 10); /* evict_rate */
    for (uint32_t i = AGENT_RING_CAP; i < AGENT_RING_CAP + 6; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "S%u ", 1000 + i);
        assert_null(strstr(fake_smb_log, tag));
    }
}

/* Newcomers that found every slot held by sessions that left are placed by
 * the same sample again, read from the first that found none (inside a
 * batch: the records before it are not read again). */
static void test_replay_from_the_first_refused(void **state)
{
    (void)state;
    _Static_assert((AGENT_RING_CAP / 2 + 3) / AGENT_SAMPLE_BATCH < (AGENT_RING_CAP - 2) / AGENT_SAMPLE_BATCH &&
                   (AGENT_RING_CAP / 2 + 3) % AGENT_SAMPLE_BATCH != 0,
                   "the newcomers come in two batches, the first inside one");
    set_key("policy.session_limit", "0");
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) fake_smb_add(1000 + i, 1000 + i, "C", "u", 0, 10);
    next_sample();
    assert_int_equal(ring_live(agent_ring()), AGENT_RING_CAP);
    /* the first three leave; three come, one listed halfway, two last */
    uint32_t mid = AGENT_RING_CAP / 2 + 3;
    memmove(fake_smb, fake_smb + 3, (fake_smb_n - 3) * sizeof fake_smb[0]);
    fake_smb_n -= 3;
    fake_smb_add(2000, 2000, "N", "u", 0, 10);
    hal_smb_session_t first = fake_smb[fake_smb_n - 1];
    memmove(fake_smb + mid + 1, fake_smb + mid, (fake_smb_n - 1 - mid) * sizeof fake_smb[0]);
    fake_smb[mid] = first;
    for (uint32_t i = 1; i < 3; i++) fake_smb_add(2000 + i, 2000 + i, "N", "u", 0, 10);
    uint32_t handed = fake_smb_handed;
    int closed = count_events(EV_CLOSED);
    next_sample();
    assert_int_equal(fake_smb_rewinds, 1);
    assert_int_equal(agent_stats()->untracked, 0);
    assert_int_equal(ring_live(agent_ring()), AGENT_RING_CAP);
    for (uint32_t i = 0; i < 3; i++) {
        assert_non_null(live(2000 + i));
        assert_null(live(1000 + i));
    }
    assert_int_equal(count_events(EV_CLOSED), closed + 3);
    assert_int_equal(fake_smb_handed - handed, AGENT_RING_CAP + (AGENT_RING_CAP - mid));
}

static void test_garbage_from_the_hal(void **state)
{
    (void)state;
    hal_smb_session_t *a = fake_smb_add(11, 1, "X", "y", 0, 10);
    memset(a->client, 'A', sizeof a->client); /* no terminator */
    memset(a->user, 'B', sizeof a->user);
    a->type[3] = '\x07';
    a->opens = UINT32_MAX;
    a->idle_s = UINT32_MAX;
    a->connected_s = 3;
    fake_smb_add(11, 2, "dup", "dup", 0, 10); /* same id twice */
    fake_smb_add(12, 3, "ctl\x1b[2J", "\tu", 0, 10);
    next_sample();
    assert_int_equal(ring_live(agent_ring()), 2);
    assert_int_equal(agent_stats()->rejected, 1);
    assert_int_equal(strlen(live(11)->client), HAL_SMB_CLIENT_MAX - 1);
    assert_int_equal(strlen(live(11)->user), HAL_SMB_USER_MAX - 1);
    assert_null(strchr(live(11)->type, '\x07'));
    assert_string_equal(live(12)->client, "ctl?[2J");
    assert_int_equal(sess_idle(live(11), agent_now_s() + 100), UINT32_MAX);
    assert_true(sess_connected(live(11), agent_now_s()) >= live(11)->idle_s);
    run_ms(60000);
    assert_int_equal(reason_of(11), REASON_ORPHAN);
}

static void test_clock_wraps_under_the_agent(void **state)
{
    (void)state;
    fake_ms = UINT32_MAX - 5u * 60u * 1000u;
    boot();
    hal_smb_session_t *s = fake_smb_add(11, 1, "WS01", "svc", 0, 0);
    s->flags = 0;
    uint32_t samples0 = agent_stats()->samples;
    run_ms(10u * 60u * 1000u); /* through the wrap */
    assert_true(fake_ms < 6u * 60u * 1000u);
    uint32_t samples = agent_stats()->samples - samples0;
    assert_in_range(samples, 59, 61);
    assert_int_equal(agent_now_s(), 600);
    assert_in_range(sess_idle(live(11), agent_now_s()), 590, 600);
    run_ms(6u * 60u * 1000u);
    assert_int_equal(reason_of(11), REASON_IDLE);
}

/* ---- operators' deletes ---------------------------------------------------- */

static agent_del_t del(uint32_t sid, bool force, char *buf)
{
    fmt_t msg;
    fmt_init(&msg, buf, 160);
    return del_session(live(sid)->id, force, &msg);
}

/* An operator's delete while a sample is under way (the server's snapshot
 * may be older) is not found to have failed by that sample: by the next. */
static void test_delete_during_a_sample_is_judged_by_the_next(void **state)
{
    (void)state;
    char buf[160];
    fake_smb_add(11, 1, "SVC1", "svc", 0, 10);
    fake_smb_end_removes = false; /* it does not take */
    next_sample();
    fake_smb_pending = 2;
    fake_ms += agent_cfg()->sample_interval_s * 1000u;
    assert_int_equal(agent_poll(fake_ms), AGENT_PENDING_MS); /* the sample under way */
    assert_int_equal(del(11, false, buf), AGENT_DEL_OK);
    uint32_t samples = agent_stats()->samples;
    for (int i = 0; i < 10 && agent_stats()->samples == samples; i++) agent_poll(fake_ms);
    assert_int_equal(agent_stats()->samples, samples + 1); /* the sample under way, done */
    assert_int_equal(count_events(EV_EVICT_FAILED), 0);
    assert_int_equal(live(11)->pending, 1);
    next_sample();
    assert_int_equal(count_events(EV_EVICT_FAILED), 1);
    assert_int_equal(live(11)->pending, 0);
}

static void test_manual_delete_rules(void **state)
{
    (void)state;
    char buf[160];
    add_leaks();
    set_key("policy.protect", "WS02");
    next_sample();
    assert_int_equal(del(13, false, buf), AGENT_DEL_EBLOCKED);
    assert_non_null(strstr(buf, "3 open file"));
    assert_int_equal(del(14, false, buf), AGENT_DEL_EBLOCKED);
    assert_non_null(strstr(buf, "protect"));
    assert_int_equal(fake_smb_ends, 0);
    assert_int_equal(del(13, true, buf), AGENT_DEL_OK);
    assert_int_equal(del(14, false, buf), AGENT_DEL_EBLOCKED);
    assert_int_equal(fake_smb_ends, 1);
    settle(); /* a delete asks for a prompt confirming sample */
    assert_int_equal(rec(13)->reason, REASON_EVICTED);
    assert_int_equal(fake_smb_opens_lost, 3);

    fmt_t msg;
    fmt_init(&msg, buf, sizeof buf);
    assert_int_equal(del_session(999, false, &msg), AGENT_DEL_ENOENT);
    fmt_init(&msg, buf, sizeof buf);
    assert_int_equal(del_session(rec(13)->id, false, &msg), AGENT_DEL_ENOENT);
    assert_non_null(strstr(buf, "no live session"));
}

static void test_manual_delete_on_shared_connection(void **state)
{
    (void)state;
    char buf[160];
    fake_smb_reset(HAL_SMB_CAN_END_CONN);
    fake_smb_add(11, 7, "WS01", "svc", 0, 10);
    fake_smb_add(12, 7, "WS01", "alice", 2, 10);
    fake_smb_add(13, 8, "WS02", "svc", 0, 10);
    fake_smb_add(14, 8, "WS02", "bob", 0, 10);
    next_sample();
    assert_int_equal(del(11, false, buf), AGENT_DEL_EBLOCKED);
    assert_non_null(strstr(buf, "shares a connection"));
    assert_int_equal(del(13, false, buf), AGENT_DEL_OK); /* sibling has no files */
    assert_non_null(strstr(buf, "end requested for 2 session(s)"));
    assert_string_equal(fake_smb_log, "C8 ");
    settle();
    assert_null(live(14));
}

static agent_del_t del_named(const char *client, const char *user, bool force, agent_del_req_t *req,
                             char *buf, size_t cap)
{
    fmt_t msg;
    *req = (agent_del_req_t){.client = client, .user = user, .force = force, .force_word = "?force=1"};
    fmt_init(&msg, buf, cap);
    return agent_delete(req, &msg);
}

/* A client's sessions: those no rule keeps end, the rest are held back with
 * their reasons; the count is of sessions, never of calls (2, not 3). */
static void test_delete_client(void **state)
{
    (void)state;
    char buf[160];
    agent_del_req_t req;
    fake_smb_reset(HAL_SMB_CAN_END_SESSION | HAL_SMB_CAN_END_CLIENT);
    fake_smb_add(11, 1, "WS01", "svc", 0, 10);
    fake_smb_add(12, 2, "WS01", "alice", 1, 10);
    fake_smb_add(13, 3, "WS02", "bob", 0, 10);
    fake_smb_add(14, 4, "XA", "bob", 0, 10);
    fake_smb_add(15, 5, "XA", "carol", 0, 10);
    next_sample();
    assert_int_equal(del_named("\\ws01", NULL, false, &req, buf, sizeof buf), AGENT_DEL_OK);
    assert_int_equal(req.asked, 1);
    assert_int_equal(req.held, 1);
    assert_string_equal(fake_smb_log, "S11 "); /* not the whole client: alice stays */
    assert_non_null(strstr(buf, "end requested for 1 session(s); 1 held back (?force=1 overrides): "
                                "session 2 open files"));
    assert_int_equal(del_named("\\WS01", NULL, true, &req, buf, sizeof buf), AGENT_DEL_OK);
    assert_int_equal(req.asked, 2); /* svc still pending counts, alice asked now */
    assert_int_equal(req.held, 0);
    assert_string_equal(fake_smb_log, "S11 KWS01 ");
    assert_int_equal(del_named("XA", NULL, false, &req, buf, sizeof buf), AGENT_DEL_OK);
    assert_int_equal(req.asked, 2);
    assert_non_null(strstr(buf, "\\\\XA: end requested for 2 session(s)"));
    assert_null(strstr(buf, "held"));
    settle();
    assert_null(live(11));
    assert_null(live(12));
    assert_non_null(live(13));
    assert_null(live(14));
    assert_int_equal(del_named("\\nobody", NULL, false, &req, buf, sizeof buf), AGENT_DEL_ENOENT);
}

/* NetSessionDel's user forms: every session of a user (by DOMAIN\\name or
 * name alone, any case), or that user's on one client. */
static void test_delete_user(void **state)
{
    (void)state;
    char buf[160];
    agent_del_req_t req;
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    fake_smb_add(11, 1, "WS01", "CORP\\bob", 0, 10);
    fake_smb_add(12, 2, "WS02", "CORP\\bob", 0, 10);
    fake_smb_add(13, 3, "WS02", "CORP\\bobby", 0, 10);
    fake_smb_add(14, 4, "WS03", "CORP\\bob", 2, 10);
    next_sample();
    assert_int_equal(del_named("\\WS02", "corp\\BOB", false, &req, buf, sizeof buf), AGENT_DEL_OK);
    assert_int_equal(req.asked, 1);
    assert_string_equal(fake_smb_log, "S12 ");
    assert_int_equal(del_named(NULL, "bob", false, &req, buf, sizeof buf), AGENT_DEL_OK);
    assert_int_equal(req.asked, 2); /* 11 now, 12 still pending; never bobby */
    assert_int_equal(req.held, 1);  /* 14 holds files */
    assert_string_equal(fake_smb_log, "S12 S11 ");
    assert_non_null(strstr(buf, "session 4 open files"));
    assert_int_equal(del_named("\\WS03", "bob", false, &req, buf, sizeof buf), AGENT_DEL_EBLOCKED);
    assert_int_equal(req.asked, 0);
    assert_int_equal(del_named(NULL, "alice", false, &req, buf, sizeof buf), AGENT_DEL_ENOENT);
    assert_non_null(strstr(buf, "of user alice"));
}

/* ---- settings ------------------------------------------------------------- */

static void test_settings_survive_restart_only_when_saved(void **state)
{
    (void)state;
    char buf[160];
    fmt_t err;
    set_key("policy.mode", "enforce");
    set_key("policy.idle_timeout", "2h");
    fmt_init(&err, buf, sizeof buf);
    assert_int_equal(agent_cfg_save(&console_actor, &err), 0);
    set_key("policy.dup_idle", "7m"); /* not saved */
    boot();
    assert_int_equal(agent_cfg()->mode, CFG_MODE_ENFORCE);
    assert_int_equal(agent_cfg()->idle_timeout_s, 2 * HOUR);
    assert_int_equal(agent_cfg()->dup_idle_s, 5 * MIN);
    assert_int_equal(count_events(EV_NV), 0);
}

/* A session's source in the leak table is found by the key the session
 * keeps: counted once as it goes stale; after a restart (with a wall
 * clock: uptime stamps mean nothing across one), read back, the same stale
 * session is not counted again, and its end is counted on the row read
 * back. A null session's source too (its client named "?"). */
static void test_leak_rows_found_by_the_sessions_key(void **state)
{
    (void)state;
    fake_wall_s = 1796400000; /* stamps that outlive a restart */
    fake_smb_add(11, 1, "SVC1", "CORP\\svc", 0, 5 * HOUR);   /* idle */
    fake_smb_add(12, 2, "", "", 0, 0)->connected_s = 600; /* null, no address */
    next_sample();
    assert_int_equal(leak_total(leak_row("SVC1", "CORP\\svc")), 1);
    assert_int_equal(leak_total(leak_row("?", "")), 1);
    boot(); /* the rows read back from NV */
    next_sample();
    assert_int_equal(reason_of(11), REASON_IDLE);
    assert_int_equal(leak_total(leak_row("SVC1", "CORP\\svc")), 1);
    assert_int_equal(leak_total(leak_row("?", "")), 1);
    fake_smb_n = 0; /* both end */
    next_sample();
    assert_int_equal(leak_row("SVC1", "CORP\\svc")->ended, 1);
    assert_int_equal(leak_row("?", "")->ended, 1);
    assert_int_equal(leaks_rows(agent_leaks()), 2);
}

/* A source whose names are not clean UTF-8 (a Latin-1 byte; a name that
 * fills its field, its last character cut) is the same source after a
 * restart: the session keeps its names as the leak table reads them back
 * from NV, so it is not counted again and its end lands on its row. */
static void test_unclean_names_are_one_source_across_a_restart(void **state)
{
    (void)state;
    fake_wall_s = 1796400000;
    fake_smb_add(11, 1, "caf\xe9", "CORP\\svc", 0, 5 * HOUR);
    hal_smb_session_t *h = fake_smb_add(12, 2, "", "CORP\\svc", 0, 5 * HOUR);
    memset(h->client, 'W', sizeof h->client); /* no NUL in its field */
    h->client[sizeof h->client - 2] = (char)0xc3; /* a character the field cuts */
    h->client[sizeof h->client - 1] = (char)0xa9;
    next_sample();
    assert_int_equal(leaks_rows(agent_leaks()), 2);
    assert_string_equal(live(11)->client, "caf?");
    boot();
    next_sample();
    assert_int_equal(reason_of(11), REASON_IDLE);
    assert_int_equal(leaks_rows(agent_leaks()), 2);
    fake_smb_n = 0;
    next_sample();
    uint32_t ended = 0;
    for (const leak_t *l = leaks_next(agent_leaks(), agent_stamp_s(), NULL); l;
         l = leaks_next(agent_leaks(), agent_stamp_s(), l))
        ended += l->ended;
    assert_int_equal(ended, 2);
}

/* EV_NV events numbered from `from` on: the log outlives a boot, so a test
 * counts only what the last boot said. */
static int nv_events_since(uint32_t from, uint8_t *reason)
{
    const events_t *ev = agent_events();
    int n = 0;
    for (uint32_t s = from; s != events_next(ev); s++) {
        const event_t *e = events_get(ev, s);
        if (e && e->type == EV_NV) {
            n++;
            *reason = e->reason;
        }
    }
    return n;
}

static void test_corrupt_record_falls_back_with_event(void **state)
{
    (void)state;
    char buf[160];
    fmt_t err;
    uint8_t reason = 0xff;
    set_key("policy.idle_timeout", "2h");
    fmt_init(&err, buf, sizeof buf);
    assert_int_equal(agent_cfg_save(&console_actor, &err), 0); /* page A */
    set_key("policy.idle_timeout", "3h");
    assert_int_equal(agent_cfg_save(&console_actor, &err), 0); /* page B, newest */
    fake_nv_mem[FAKE_NV_PAGE + 24] ^= 0x40;    /* damage B's payload */
    uint32_t from = events_next(agent_events());
    boot();
    assert_int_equal(agent_cfg()->idle_timeout_s, 2 * HOUR);
    assert_int_equal(nv_events_since(from, &reason), 1);
    assert_int_equal(reason, 0); /* older copy */
    fake_nv_mem[24] ^= 0x40; /* and A's */
    from = events_next(agent_events());
    boot();
    assert_int_equal(agent_cfg()->idle_timeout_s, 15 * MIN);
    assert_int_equal(nv_events_since(from, &reason), 1);
    assert_int_equal(reason, 1); /* defaults */
}

/* Power fails after k erase/program steps of a save, for every k: the
 * settings record is the old one until its commit, the new one after; a cut
 * while the save's own event is written costs that event, not the record. */
static void test_power_cut_during_save(void **state)
{
    (void)state;
    char buf[160];
    fmt_t err;
    set_key("policy.idle_timeout", "2h");
    fmt_init(&err, buf, sizeof buf);
    assert_int_equal(agent_cfg_save(&console_actor, &err), 0);
    set_key("policy.idle_timeout", "3h");
    assert_int_equal(agent_cfg_save(&console_actor, &err), 0);
    int ops = fake_nv_ops;
    uint8_t keep[sizeof fake_nv_mem];
    memcpy(keep, fake_nv_mem, sizeof keep); /* holds 2h (A) and 3h (B) */
    set_key("policy.idle_timeout", "4h");
    assert_int_equal(agent_cfg_save(&console_actor, &err), 0);
    int per_save = fake_nv_ops - ops;
    int refused = 0;
    for (int k = 0; k < per_save; k++) {
        memcpy(fake_nv_mem, keep, sizeof keep);
        boot();
        set_key("policy.idle_timeout", "4h");
        fake_nv_ops_left = k;
        fmt_init(&err, buf, sizeof buf);
        int r = agent_cfg_save(&console_actor, &err);
        refused += r == -1;
        uint8_t torn[sizeof fake_nv_mem];
        memcpy(torn, fake_nv_mem, sizeof torn);
        fake_nv_reset();
        memcpy(fake_nv_mem, torn, sizeof torn);
        boot();
        assert_int_equal(agent_cfg()->idle_timeout_s, r == 0 ? 4 * HOUR : 3 * HOUR);
    }
    assert_true(refused > 0 && refused < per_save);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_new_changed_gone, setup),
        cmocka_unit_test_setup(test_reused_server_id_is_a_new_session, setup),
        cmocka_unit_test_setup(test_bytes_after_a_text_change_nothing, setup),
        cmocka_unit_test_setup(test_idle_from_activity_counter, setup),
        cmocka_unit_test_setup(test_idle_rule_boundary, setup),
        cmocka_unit_test_setup(test_null_rule_boundary, setup),
        cmocka_unit_test_setup(test_duplicate_rule, setup),
        cmocka_unit_test_setup(test_a_session_alone_becomes_a_duplicate_when_another_comes, setup),
        cmocka_unit_test_setup(test_no_duplicate_of_a_session_gone, setup),
        cmocka_unit_test_setup(test_no_duplicate_of_a_session_gone_when_settled, setup),
        cmocka_unit_test_setup(test_a_finish_over_polls_works_at_its_classification_time, setup),
        cmocka_unit_test_setup(test_limit_pressure_and_hysteresis, setup),
        cmocka_unit_test_setup(test_limit_rule_off, setup),
        cmocka_unit_test_setup(test_orphan_reported_never_evicted_unless_allowed, setup),
        cmocka_unit_test_setup(test_report_mode_evicts_nothing, setup),
        cmocka_unit_test_setup(test_enforce_evicts_and_confirms, setup),
        cmocka_unit_test_setup(test_eviction_that_does_not_take_is_retried, setup),
        cmocka_unit_test_setup(test_server_refusing_the_end, setup),
        cmocka_unit_test_setup(test_connection_granularity_sibling_rules, setup),
        cmocka_unit_test_setup(test_protected_clients_and_users, setup),
        cmocka_unit_test_setup(test_rate_limit, setup),
        cmocka_unit_test_setup(test_rate_window_is_sixty_seconds, setup),
        cmocka_unit_test_setup(test_limit_choice_held_back_says_so_once, setup),
        cmocka_unit_test_setup(test_limit_choice_frees_its_stale_sibling, setup),
        cmocka_unit_test_setup(test_limit_choices_free_a_session_two_held, setup),
        cmocka_unit_test_setup(test_no_eviction_after_failed_sample, setup),
        cmocka_unit_test_setup(test_pending_sample_evicts_only_when_complete, setup),
        cmocka_unit_test_setup(test_ring_full_counts_untracked, setup),
        cmocka_unit_test_setup(test_replay_from_the_first_refused, setup),
        cmocka_unit_test_setup(test_garbage_from_the_hal, setup),
        cmocka_unit_test_setup(test_clock_wraps_under_the_agent, setup),
        cmocka_unit_test_setup(test_delete_during_a_sample_is_judged_by_the_next, setup),
        cmocka_unit_test_setup(test_manual_delete_rules, setup),
        cmocka_unit_test_setup(test_manual_delete_on_shared_connection, setup),
        cmocka_unit_test_setup(test_delete_client, setup),
        cmocka_unit_test_setup(test_delete_user, setup),
        cmocka_unit_test_setup(test_settings_survive_restart_only_when_saved, setup),
        cmocka_unit_test_setup(test_leak_rows_found_by_the_sessions_key, setup),
        cmocka_unit_test_setup(test_unclean_names_are_one_source_across_a_restart, setup),
        cmocka_unit_test_setup(test_corrupt_record_falls_back_with_event, setup),
        cmocka_unit_test_setup(test_power_cut_during_save, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
