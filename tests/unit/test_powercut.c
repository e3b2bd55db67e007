/* A power cut at every step of every NV save: the flash stops after its
 * Nth programmed word or erased page, for every N from 0 to the end of the
 * save, over random settings and credentials and the persisted event log.
 * After each cut the agent boots and holds the old record or the new one,
 * never a mix and never the defaults in place of a good record, and logs
 * each record it found torn (config-restored); the event log holds only
 * events that were logged, with numbers never used twice. Prints the
 * writes and erases of each save.
 *
 * Built twice: over the fake flash (fake_nv.c: 1 KiB pages and the event
 * log, as the Linux boards) and, as test_powercut_flash, over the firmware's
 * flash driver and the controller's register model (flash_model.c: 1 KiB
 * pages, no log but the numbering mark, a cut word lands half its bits). */
#include "agent_fixture.h"
#include "cfg.h"
#include "creds.h"
#include "evstore.h"
#include "nvrec.h"

static uint32_t seed = 2463534242u;
static uint32_t rnd(void)
{
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    return seed;
}

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

/* config-restored events for record `what` since event number from (a
 * subject holds EVENT_SUBJECT_MAX - 1 bytes of the name). */
static int damage_logged(uint32_t from, const char *what)
{
    const events_t *ev = agent_events();
    int n = 0;
    for (uint32_t s = from; s != events_next(ev); s++) {
        const event_t *e = events_get(ev, s);
        n += e && e->type == EV_NV && strncmp(e->subject, what, EVENT_SUBJECT_MAX - 1) == 0;
    }
    return n;
}

/* Whether the pair at page holds a torn copy. */
static bool torn(uint32_t page)
{
    nvrec_info_t info;
    size_t len;
    (void)nvrec_load(page, NULL, 0, &len, &info);
    return info.damaged != 0;
}

/* Settings with a few keys at random values of their ranges (the rest at
 * their defaults). */
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
    int rounds = 0, cuts = 0, olds = 0, news = 0, logged = 0, most = 0, erases = 0;
    for (rounds = 0; rounds < 120; rounds++) {
        cfg_t old, next;
        random_cfg(&old);
        random_cfg(&next);
        apply_and_save(&old, -1);
        boot();
        assert_memory_equal(agent_cfg(), &old, sizeof old);
        fake_nv_keep(0);
        int before = fake_nv_ops, erased = fake_nv_erases;
        apply_and_save(&next, -1);
        int per = fake_nv_ops - before;
        most = per > most ? per : most;
        erases = fake_nv_erases - erased > erases ? fake_nv_erases - erased : erases;
        for (int n = 0; n <= per; n++, cuts++) {
            fake_nv_back(0);
            power_back();
            boot();
            apply_and_save(&next, n);
            power_back();
            bool damaged = torn(AGENT_NV_CFG_PAGE);
            uint32_t from = events_next(agent_events());
            boot();
            bool is_old = memcmp(agent_cfg(), &old, sizeof old) == 0;
            bool is_new = memcmp(agent_cfg(), &next, sizeof next) == 0;
            if (!is_old && !is_new) fail_msg("round %d, cut at %d of %d: neither old nor new", rounds, n, per);
            if (n == per) assert_true(is_new); /* a save that finished holds */
            if (damaged && damage_logged(from, "settings") != 1)
                fail_msg("round %d, cut at %d of %d: a torn copy not logged", rounds, n, per);
            olds += is_old && !is_new;
            news += is_new;
            logged += damaged;
        }
        fake_nv_back(0);
        power_back();
        boot();
    }
    print_message("settings: %d random pairs, %d cut points (old %d, new %d, torn copies "
                  "logged %d, failures 0); applying and saving, with their events: at most %d "
                  "writes and erases, of them %d erases\n", rounds, cuts, olds, news, logged, most, erases);
    /* a save erases the older page of its pair, so each page every other
     * save (the 1 erase above without an event log) */
    print_message("wear at one save an hour: %d erases per settings page per year\n", 24 * 365 / 2);
}

static void random_text(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) buf[i] = (char)(' ' + rnd() % 95);
    buf[len] = '\0';
}

static void test_credentials_cut_at_every_word(void **state)
{
    (void)state;
    int cuts = 0, pairs = 0, logged = 0;
    char old[201], next[201], got[FAKE_NV_PAGE + 1];
    for (int round = 0; round < 40; round++) {
        for (int kind = 0; kind < CREDS_RECORDS; kind++, pairs++) {
            random_text(old, 1 + rnd() % 200);
            random_text(next, 1 + rnd() % 200);
            assert_int_equal(creds_store((creds_kind_t)kind, old, strlen(old)), 0);
            fake_nv_keep(0);
            int before = fake_nv_ops;
            assert_int_equal(creds_store((creds_kind_t)kind, next, strlen(next)), 0);
            int per = fake_nv_ops - before;
            for (int n = 0; n <= per; n++, cuts++) {
                fake_nv_back(0);
                power_back();
                fake_nv_ops_left = n;
                int rc = creds_store((creds_kind_t)kind, next, strlen(next));
                if (!fake_nv_powered()) rc = -1; /* the register model's driver runs on */
                power_back();
                size_t len;
                assert_int_equal(creds_load((creds_kind_t)kind, got, sizeof got, &len), 0);
                if (strcmp(got, old) != 0 && strcmp(got, next) != 0)
                    fail_msg("%s, cut at %d of %d: neither old nor new", creds_name((creds_kind_t)kind), n, per);
                if (rc == 0) assert_string_equal(got, next);
                bool damaged = torn(creds_page((creds_kind_t)kind));
                uint32_t from = events_next(agent_events());
                creds_check_stored(); /* what the management channel does at start */
                if (damage_logged(from, creds_name((creds_kind_t)kind)) != damaged)
                    fail_msg("%s, cut at %d of %d: torn %d, logged otherwise", creds_name((creds_kind_t)kind),
                             n, per, damaged);
                logged += damaged;
            }
            fake_nv_back(0);
        }
    }
    boot(); /* and the agent starts on whatever is there */
    print_message("credentials: %d random pairs over %d records, %d cut points, torn copies "
                  "logged %d, failures 0\n", pairs, (int)CREDS_RECORDS, cuts, logged);
}

/* An event cut while it is kept: with a log (Linux boards), the event is
 * there whole or not at all, and a torn slot is logged; without one (the
 * firmware), the numbering mark is what is written, now and then. Either
 * way no number handed out before the cut is handed out again after it. */
static void test_events_cut_at_every_word(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) agent_log(EV_CREDS, 0, "before", &console_actor, NULL);
    boot();
    bool with_log = evstore_stats()->restored > 0;
    /* the events logged after a boot until one writes to the store, from
     * the same start as each cut below */
    fake_nv_keep(0);
    boot();
    int count = 0, per = 0;
    while (per == 0) {
        assert_true(++count <= AGENT_EVENT_SEQ_BLOCK);
        int before = fake_nv_ops;
        agent_log(EV_CREDS, 0, "cut", &console_actor, "detail");
        per = fake_nv_ops - before;
    }
    int whole = 0, torn_logged = 0;
    for (int n = 0; n <= per; n++) {
        fake_nv_back(0);
        power_back();
        boot();
        uint32_t from = events_next(agent_events()), seq = 0;
        fake_nv_keep(1);
        fake_nv_ops_left = n;
        for (int i = 0; i < count; i++) {
            seq = events_next(agent_events());
            agent_log(EV_CREDS, 0, "cut", &console_actor, "detail");
        }
        bool programmed = n < per && fake_nv_programmed(1); /* something, not all */
        power_back();
        boot();
        const events_t *ev = agent_events();
        bool kept = false;
        if (with_log) {
            const event_t *e = events_get(ev, seq);
            kept = e && e->type == EV_CREDS;
            if (kept) {
                assert_string_equal(e->subject, "cut");
                assert_string_equal(events_detail(e), "detail");
            }
            /* a cut after some of it landed leaves the slot torn: said so */
            if (!kept && programmed && damage_logged(seq, "event log") != 1)
                fail_msg("event cut at %d of %d: torn slot not logged", n, per);
            if (kept) assert_int_equal(damage_logged(seq, "event log"), 0);
            if (n == per && !kept) fail_msg("event written without a cut, not read back");
        } else if (programmed && damage_logged(from, "event log") != 1) {
            fail_msg("numbering mark cut at %d of %d: torn copy not logged", n, per);
        }
        whole += kept;
        torn_logged += damage_logged(from, "event log");
        /* the first number after the cut: past every event kept, and without
         * a log past every one handed out (a poller may have seen them) */
        uint32_t need = with_log && !kept ? seq : seq + 1;
        if ((int32_t)(agent_stats()->boot_seq - need) < 0)
            fail_msg("cut at %d of %d: boot numbered %u, %u was handed out", n, per,
                     agent_stats()->boot_seq, seq);
    }
    print_message("%s: %d writes and erases%s; %d cut points, %d events kept whole, %d torn "
                  "copies logged, failures 0\n", with_log ? "event log" : "numbering mark", per,
                  with_log ? " an event" : " every so often", per + 1, whole, torn_logged);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_settings_cut_at_every_word, setup),
        cmocka_unit_test_setup(test_credentials_cut_at_every_word, setup),
        cmocka_unit_test_setup(test_events_cut_at_every_word, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
