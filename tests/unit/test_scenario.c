/* The built-in scenario on the real simulator, in simulated time: what
 * `make run` shows, in report mode and in enforce mode. */
#include "agent_fixture.h"
#include "simsmb.h"

static int setup(void **state)
{
    (void)state;
    fake_ms = 123456;
    fake_nv_reset();
    fake_console_reset();
    assert_int_equal(simsmb_load(simsmb_default_scenario, strlen(simsmb_default_scenario), NULL), 0);
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    settle();
    return 0;
}

/* The live record of the first session from client whose user is user. */
static const sess_t *find(const char *client, const char *user, bool live_only)
{
    for (int i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &agent_ring()->slot[i];
        if (s->state == SESS_FREE || (live_only && !sess_live(s))) continue;
        if (strcmp(s->client, client) == 0 && strcmp(s->user, user) == 0) return s;
    }
    return NULL;
}

static int with_reason(sess_reason_t r)
{
    int n = 0;
    for (int i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &agent_ring()->slot[i];
        n += sess_live(s) && s->reason == r;
    }
    return n;
}

static void test_report_mode_lists_leaks_and_evicts_nothing(void **state)
{
    (void)state;
    run_ms(3 * 60 * 1000);
    assert_int_equal(agent_stats()->server_sessions, 10);
    assert_int_equal(with_reason(REASON_IDLE), 3);   /* backup 5h, 3h; scan 2h */
    assert_int_equal(with_reason(REASON_NULL), 2);
    assert_int_equal(with_reason(REASON_ORPHAN), 1); /* the dead laptop */
    assert_int_equal(find("LAPTOP-BOB", "CORP\\bob", true)->reason, REASON_ORPHAN);
    assert_int_equal(find("WS-ALICE", "CORP\\alice", true)->state, SESS_ACTIVE);
    assert_true(agent_stats()->pressure);
    uint32_t refused = simsmb_refusals();
    assert_true(refused >= 3);
    run_ms(10 * 60 * 1000);
    assert_true(simsmb_refusals() > refused + 10); /* carol keeps being refused */
    assert_int_equal(count_events(EV_EVICT_ASKED), 0);
    assert_int_equal(simsmb_live(), 10);
    assert_int_equal(simsmb_opens_lost(), 0);

    fake_console_clear_out();
    fake_console_type("show sessions\n");
    settle();
    const char *o = fake_console_out();
    assert_non_null(strstr(o, "\\\\FS-BACKUP01"));
    assert_non_null(strstr(o, "stale  idle"));
    assert_non_null(strstr(o, "stale  null"));
    assert_non_null(strstr(o, "stale  orphan"));
}

static void test_enforce_stops_the_refusals_and_keeps_open_files(void **state)
{
    (void)state;
    run_ms(60 * 1000);
    fake_console_type("set policy.mode enforce\n");
    settle();
    run_ms(3 * 60 * 1000);
    assert_true(count_events(EV_EVICTED) >= 5);
    assert_int_equal(with_reason(REASON_IDLE), 0);
    assert_int_equal(with_reason(REASON_NULL), 0);
    /* the sessions holding files are untouched */
    assert_non_null(find("WS-ALICE", "CORP\\alice", true));
    assert_non_null(find("LAPTOP-BOB", "CORP\\bob", true));
    assert_int_equal(simsmb_opens_lost(), 0);
    /* carol gets in: refusals stop */
    uint32_t refused = simsmb_refusals();
    run_ms(20 * 60 * 1000);
    assert_int_equal(simsmb_refusals(), refused);
    assert_non_null(find("WS-CAROL", "CORP\\carol", false));
    assert_int_equal(simsmb_opens_lost(), 0);
    assert_non_null(find("LAPTOP-BOB", "CORP\\bob", true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_report_mode_lists_leaks_and_evicts_nothing, setup),
        cmocka_unit_test_setup(test_enforce_stops_the_refusals_and_keeps_open_files, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
