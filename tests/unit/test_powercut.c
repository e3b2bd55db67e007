/* A power cut at every step of every NV save: the fake flash stops after
 * its Nth programmed word or erased page (fake_nv_word_cuts), for every N
 * from 0 to the end of the save, over random settings and credentials and
 * the persisted event log. After each cut the agent boots and holds the old
 * record or the new one, never a mix and never the defaults in place of a
 * good record; the event log holds only events that were logged, with
 * numbers never used twice. Prints the writes and erases of each save. */
#include "agent_fixture.h"
#include "cfg.h"
#include "creds.h"

static uint32_t seed = 2463534242u;
static uint32_t rnd(void)
{
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    return seed;
}

static uint8_t keep[sizeof fake_nv_mem];

static void boot(void)
{
    fake_ms += 1000;
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    settle();
}

static int setup(void **state)
{
    (void)state;
    fake_ms = 1000;
    fake_nv_reset();
    fake_nv_word_cuts = true;
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    boot();
    return 0;
}

/* Power back after a cut, the store as the cut left it. */
static void power_back(void)
{
    fake_nv_ops_left = -1;
    fake_nv_reset_power();
}

/* Settings with a few keys at random values of their ranges (the record
 * of the rest at their defaults is short enough for the fake's 256-byte
 * pages; a real board's are 1 KiB). */
static void random_cfg(cfg_t *c)
{
    cfg_defaults(c);
    for (size_t i = 0, picked = 0; i < cfg_key_count && picked < 5; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (rnd() % 5) continue;
        picked++;
        if (k->type == CFG_T_LIST) {
            char text[40];
            fmt_t f;
            fmt_init(&f, text, sizeof text);
            fmt_add(&f, "WS%u,user%u", rnd() % 1000, rnd() % 1000);
            char ebuf[80];
            fmt_t err;
            fmt_init(&err, ebuf, sizeof ebuf);
            assert_int_equal(cfg_parse(c, k, rnd() % 4 ? text : "\"\"", &err), CFG_OK);
            continue;
        }
        uint32_t span = k->max - k->min, v = k->min + (span == UINT32_MAX ? rnd() : rnd() % (span + 1));
        if (k->off && rnd() % 4 == 0) v = 0;
        *(uint32_t *)(void *)((char *)c + k->offset) = v;
    }
    if (c->limit_low >= c->limit_high) c->limit_low = c->limit_high - 1, c->limit_high += c->limit_high < 2;
    if (c->limit_low == 0) c->limit_low = 1, c->limit_high = c->limit_high > 1 ? c->limit_high : 2;
}

static void apply_and_save(const cfg_t *c, int cut_at)
{
    char ebuf[160];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    if (agent_cfg_apply(c, &console_actor, &err) != CFG_OK) fail_msg("apply: %s", ebuf);
    fake_nv_ops_left = cut_at;
    fmt_init(&err, ebuf, sizeof ebuf);
    int rc = agent_cfg_save(&console_actor, &err);
    if (cut_at < 0 && rc != 0) fail_msg("save: %s", ebuf);
}

static void test_settings_cut_at_every_word(void **state)
{
    (void)state;
    int rounds = 0, cuts = 0, olds = 0, news = 0, most = 0;
    for (rounds = 0; rounds < 120; rounds++) {
        cfg_t old, next;
        random_cfg(&old);
        random_cfg(&next);
        apply_and_save(&old, -1);
        boot();
        assert_memory_equal(agent_cfg(), &old, sizeof old);
        memcpy(keep, fake_nv_mem, sizeof keep);
        int before = fake_nv_ops;
        apply_and_save(&next, -1);
        int per = fake_nv_ops - before;
        most = per > most ? per : most;
        for (int n = 0; n <= per; n++, cuts++) {
            memcpy(fake_nv_mem, keep, sizeof keep);
            power_back();
            boot();
            apply_and_save(&next, n);
            power_back();
            boot();
            bool is_old = memcmp(agent_cfg(), &old, sizeof old) == 0;
            bool is_new = memcmp(agent_cfg(), &next, sizeof next) == 0;
            if (!is_old && !is_new) fail_msg("round %d, cut at %d of %d: neither old nor new", rounds, n, per);
            if (n == per) assert_true(is_new); /* a save that finished holds */
            olds += is_old && !is_new;
            news += is_new;
        }
        memcpy(fake_nv_mem, keep, sizeof keep);
        power_back();
        boot();
    }
    print_message("settings: %d random pairs, %d cut points (old %d, new %d, failures 0); "
                  "a save with its event: at most %d writes and erases\n", rounds, cuts, olds, news, most);
}

static void random_text(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) buf[i] = (char)(' ' + rnd() % 95);
    buf[len] = '\0';
}

static void test_credentials_cut_at_every_word(void **state)
{
    (void)state;
    int cuts = 0, pairs = 0;
    char old[201], next[201], got[FAKE_NV_PAGE + 1];
    for (int round = 0; round < 40; round++) {
        for (int kind = 0; kind < CREDS_RECORDS; kind++, pairs++) {
            random_text(old, 1 + rnd() % 200);
            random_text(next, 1 + rnd() % 200);
            assert_int_equal(creds_store((creds_kind_t)kind, old, strlen(old)), 0);
            memcpy(keep, fake_nv_mem, sizeof keep);
            int before = fake_nv_ops;
            assert_int_equal(creds_store((creds_kind_t)kind, next, strlen(next)), 0);
            int per = fake_nv_ops - before;
            for (int n = 0; n <= per; n++, cuts++) {
                memcpy(fake_nv_mem, keep, sizeof keep);
                power_back();
                fake_nv_ops_left = n;
                int rc = creds_store((creds_kind_t)kind, next, strlen(next));
                power_back();
                size_t len;
                assert_int_equal(creds_load((creds_kind_t)kind, got, sizeof got, &len), 0);
                if (strcmp(got, old) != 0 && strcmp(got, next) != 0)
                    fail_msg("%s, cut at %d of %d: neither old nor new", creds_name((creds_kind_t)kind), n, per);
                if (rc == 0) assert_string_equal(got, next);
            }
            memcpy(fake_nv_mem, keep, sizeof keep);
        }
    }
    boot(); /* and the agent starts on whatever is there */
    print_message("credentials: %d random pairs over %d records, %d cut points, failures 0\n", pairs,
                  (int)CREDS_RECORDS, cuts);
}

/* An event cut while it is written is there whole or not at all; the
 * numbers after the reboot are new ones. */
static void test_event_log_cut_at_every_word(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) agent_log(EV_CREDS, 0, "before", &console_actor, NULL);
    memcpy(keep, fake_nv_mem, sizeof keep);
    int before = fake_nv_ops;
    agent_log(EV_CREDS, 0, "cut", &console_actor, "detail");
    int per = fake_nv_ops - before, whole = 0;
    for (int n = 0; n <= per; n++) {
        memcpy(fake_nv_mem, keep, sizeof keep);
        power_back();
        boot();
        uint32_t seq = events_next(agent_events());
        fake_nv_ops_left = n;
        agent_log(EV_CREDS, 0, "cut", &console_actor, "detail");
        power_back();
        boot();
        const events_t *ev = agent_events();
        for (uint32_t s = events_first(ev); s != events_next(ev); s++) {
            const event_t *e = events_get(ev, s);
            if (s == seq && e->type == EV_CREDS) {
                assert_string_equal(e->subject, "cut");
                assert_string_equal(events_detail(e), "detail");
                whole++;
            }
        }
        assert_true(events_next(ev) > seq); /* never numbered again */
    }
    print_message("event log: an event is %d writes and erases; %d cut points, %d kept whole, "
                  "failures 0\n", per, per + 1, whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_settings_cut_at_every_word, setup),
        cmocka_unit_test_setup(test_credentials_cut_at_every_word, setup),
        cmocka_unit_test_setup(test_event_log_cut_at_every_word, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
