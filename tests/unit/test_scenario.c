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

/* Six simulated hours in enforce mode: the backup service's leaks top the
 * table, the scanner's come next, each with the reasons its sessions went
 * stale with and the rate they came at; the null sessions and the dead
 * laptop are there with theirs. */
static void test_leak_sources_of_the_scenario(void **state)
{
    (void)state;
    run_ms(60 * 1000);
    fake_console_type("set policy.mode enforce\n");
    settle();
    run_ms(6u * 3600 * 1000);
    const leaks_t *t = agent_leaks();
    uint32_t now = agent_stamp_s();
    const leak_t *top = leaks_next(t, now, NULL), *next = leaks_next(t, now, top);
    assert_non_null(next);
    assert_string_equal(top->client, "FS-BACKUP01");
    assert_string_equal(top->user, "CORP\\svc_backup");
    assert_string_equal(next->client, "APP-SCAN02");
    assert_string_equal(next->user, "CORP\\svc_scan");
    /* three left over at the start, then one every 20 minutes from 0:05:
     * 21 in six hours, each idle (one chosen under the limit first), each
     * ended by the agent; 84 a day */
    assert_int_equal(leak_total(top), 21);
    assert_int_equal(top->by_reason[REASON_IDLE - 1] + top->by_reason[REASON_LIMIT - 1], 21);
    assert_int_equal(top->evicted, 21);
    assert_in_range(leak_rate10(top, now), 800, 880);
    assert_int_equal(leak_total(next), 2);
    assert_int_equal(next->by_reason[REASON_IDLE - 1] + next->by_reason[REASON_LIMIT - 1], 2);
    assert_in_range(leak_rate10(next, now), 70, 90); /* 2 in six hours */
    assert_non_null(strstr(leak_hint(top), "scheduled tasks running as this account"));
    /* null sessions, by address; the dead laptop holding a file */
    const leak_t *n = leak_row("10.1.4.22", "");
    assert_non_null(n);
    assert_int_equal(n->by_reason[REASON_NULL - 1], 1);
    assert_non_null(strstr(leak_hint(n), "IPC$ enumeration"));
    const leak_t *bob = leak_row("LAPTOP-BOB", "CORP\\bob");
    assert_non_null(bob);
    assert_int_equal(bob->by_reason[REASON_ORPHAN - 1], 1);
    assert_int_equal(bob->evicted, 0); /* policy.evict_orphans is off */
    assert_non_null(strstr(leak_hint(bob), "dead client"));
    assert_null(leak_row("WS-ALICE", "CORP\\alice")); /* busy: never stale */
    assert_null(leak_row("WS-DAVE", "CORP\\dave"));

    fake_console_clear_out();
    fake_console_type("show leaks 2\n");
    settle();
    const char *o = fake_console_out();
    const char *a = strstr(o, "\\\\FS-BACKUP01          CORP\\svc_backup         21");
    const char *b = strstr(o, "\\\\APP-SCAN02           CORP\\svc_scan            2");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    assert_non_null(strstr(a, "  hint: idle without a logoff"));
    assert_null(strstr(o, "LAPTOP-BOB"));
    assert_non_null(strstr(o, "2 shown of 6 source(s)"));
}

/* A board with the date, from the start: wall time goes on with the
 * fake clock (run_walled). */
static int setup_walled(void **state)
{
    fake_wall_s = 1796400000; /* 2026-12-04 */
    return setup(state);
}

static void run_walled(uint32_t ms)
{
    for (; ms >= 1000; ms -= 1000) {
        run_ms(1000);
        fake_wall_s++;
    }
}

/* A client whose name is not clean UTF-8 (a Latin-1 byte) shows as the
 * agent keeps it, "caf?", and an operator who names it so ends its
 * sessions, as the server ends the whole client: the simulator matches
 * names in the form the core keeps them in. The other client stays. */
static void test_a_client_is_ended_by_the_name_the_agent_shows(void **state)
{
    (void)state;
    static const char text[] = "limit 10\n"
                               "at 0 open a client=caf\xe9 user=CORP\\x idle=5h\n"
                               "at 0 open b client=caf\xe9 user=CORP\\y idle=5h\n"
                               "at 0 open c client=PLAIN user=CORP\\z idle=5h\n";
    assert_int_equal(simsmb_load(text, strlen(text), NULL), 0);
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    run_ms(60 * 1000);
    assert_non_null(find("caf?", "CORP\\x", true));
    assert_int_equal(simsmb_live(), 3);
    char buf[200];
    fmt_t msg;
    fmt_init(&msg, buf, sizeof buf);
    agent_del_req_t req = {.client = "CAF?", .force = true, .force_word = "force"};
    assert_int_equal(agent_delete(&req, &msg), AGENT_DEL_OK);
    assert_int_equal(req.asked, 2);
    assert_int_equal(simsmb_live(), 1);
    run_ms(60 * 1000);
    assert_null(find("caf?", "CORP\\x", true));
    assert_non_null(find("PLAIN", "CORP\\z", true));
}

static void test_time_to_limit_shrinks(void **state)
{
    (void)state;
    static char text[2048];
    assert_true(strlen(simsmb_default_scenario) < sizeof text);
    strcpy(text, simsmb_default_scenario);
    char *lim = strstr(text, "limit 10");
    assert_non_null(lim);
    lim[6] = '4';
    assert_int_equal(simsmb_load(text, strlen(text), NULL), 0);
    set_key("policy.session_limit", "40");
    uint32_t last = UINT32_MAX;
    for (int h = 1; h <= 9; h++) { /* three more leaked an hour, and the rate known better */
        run_walled(3600u * 1000);
        uint32_t secs = 0;
        assert_true(agent_time_to_limit(&secs));
        assert_in_range(secs, 1, last - 1);
        last = secs;
    }
    for (int m = 0; m < 120 && agent_stats()->server_sessions < 40; m++)
        run_walled(60u * 1000); /* till 40: the server refuses */
    uint32_t secs = 1;
    assert_true(agent_time_to_limit(&secs));
    assert_int_equal(secs, 0);
    fake_console_clear_out();
    fake_console_type("show status\n");
    settle();
    assert_non_null(strstr(fake_console_out(), "stale sessions a day; limit 40 reached"));
    set_key("policy.session_limit", "0");
    assert_false(agent_time_to_limit(&secs));
}

static int teardown_walled(void **state)
{
    (void)state;
    fake_wall_s = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_report_mode_lists_leaks_and_evicts_nothing, setup),
        cmocka_unit_test_setup(test_enforce_stops_the_refusals_and_keeps_open_files, setup),
        cmocka_unit_test_setup(test_leak_sources_of_the_scenario, setup),
        cmocka_unit_test_setup(test_a_client_is_ended_by_the_name_the_agent_shows, setup),
        cmocka_unit_test_setup_teardown(test_time_to_limit_shrinks, setup_walled, teardown_walled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
