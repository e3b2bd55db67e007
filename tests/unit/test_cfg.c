/* cfg: every key's default and range, malformed values, units, formatting
 * round trips, the list normalisation, the cross-key check, serialisation
 * and the protect-list match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"

#define MIN_S 60u
#define HOUR_S 3600u
#define DAY_S 86400u

static cfg_t c;
static char errbuf[256];
static fmt_t err;

static int setup(void **state)
{
    (void)state;
    cfg_defaults(&c);
    fmt_init(&err, errbuf, sizeof errbuf);
    return 0;
}

static const cfg_key_t *key(const char *name)
{
    const cfg_key_t *k = cfg_key_find(name);
    assert_non_null(k);
    return k;
}

static uint32_t get(const cfg_t *x, const cfg_key_t *k)
{
    uint32_t v;
    memcpy(&v, (const char *)x + k->offset, sizeof v);
    return v;
}

static void put(cfg_t *x, const cfg_key_t *k, uint32_t v)
{
    memcpy((char *)x + k->offset, &v, sizeof v);
}

static cfg_status_t set(const char *name, const char *value)
{
    fmt_init(&err, errbuf, sizeof errbuf);
    return cfg_parse(&c, key(name), value, &err);
}

static uint32_t val(const char *name) { return get(&c, key(name)); }

/* The value is refused with a one-line message naming the key, and c keeps
 * every byte it had. */
static void expect_rejected(const cfg_key_t *k, const char *value)
{
    cfg_t before = c;
    fmt_init(&err, errbuf, sizeof errbuf);
    cfg_status_t st = cfg_parse(&c, k, value, &err);
    if (st != CFG_EVALUE)
        fail_msg("%s '%s' gave %d, want CFG_EVALUE", k->name, value, (int)st);
    assert_memory_equal(&before, &c, sizeof c);
    if (!strstr(errbuf, k->name))
        fail_msg("message for %s '%s' does not name the key: %s", k->name, value, errbuf);
    assert_null(strchr(errbuf, '\n'));
    assert_false(err.overflow);
}

static void expect_rejected_by_name(const char *name, const char *value)
{
    expect_rejected(key(name), value);
}

static void expect_parsed(const char *name, const char *value, uint32_t want)
{
    cfg_status_t st = set(name, value);
    if (st != CFG_OK) fail_msg("%s '%s' refused: %s", name, value, errbuf);
    assert_int_equal(val(name), want);
}

/* Text for a raw number in the key's type: seconds without a suffix, a
 * percentage without '%', a mode or bool by index. */
static void raw_text(const cfg_key_t *k, int64_t v, char *buf, size_t cap)
{
    fmt_t f;
    fmt_init(&f, buf, cap);
    bool proto = strcmp(k->name, "log.proto") == 0;
    if (k->type == CFG_T_ENUM && v == 0)
        fmt_add(&f, proto ? "udp" : "report");
    else if (k->type == CFG_T_ENUM && v == 1)
        fmt_add(&f, proto ? "tls" : "enforce");
    else if (k->type == CFG_T_BOOL && (v == 0 || v == 1))
        fmt_add(&f, v ? "on" : "off");
    else if (k->type == CFG_T_IPV4 && v >= 0 && v <= UINT32_MAX)
        fmt_add(&f, "%u.%u.%u.%u", (uint32_t)(v >> 24), (uint32_t)(v >> 16 & 255),
                (uint32_t)(v >> 8 & 255), (uint32_t)(v & 255));
    else if (v < 0)
        fmt_add(&f, "-%u", (uint32_t)-v);
    else
        fmt_add(&f, "%u", (uint32_t)v);
}

static void format_key(const cfg_t *x, const cfg_key_t *k, char *buf, size_t cap)
{
    fmt_t f;
    fmt_init(&f, buf, cap);
    cfg_format(x, k, &f);
    assert_false(f.overflow);
}

static void assert_same_settings(const cfg_t *a, const cfg_t *b)
{
    for (size_t i = 0; i < cfg_key_count; i++)
        if (!cfg_equal(a, b, &cfg_keys[i])) fail_msg("%s differs", cfg_keys[i].name);
}

/* ---- the key table and defaults ---------------------------------------- */

static void test_every_key_is_found_by_its_name_only(void **state)
{
    (void)state;
    for (size_t i = 0; i < cfg_key_count; i++) {
        assert_ptr_equal(cfg_key_find(cfg_keys[i].name), &cfg_keys[i]);
        assert_true(cfg_keys[i].offset + sizeof(uint32_t) <= sizeof(cfg_t));
        if (cfg_keys[i].type != CFG_T_LIST) {
            assert_true(cfg_keys[i].min <= cfg_keys[i].def || (cfg_keys[i].off && cfg_keys[i].def == 0));
            assert_true(cfg_keys[i].def <= cfg_keys[i].max);
        }
    }
    assert_null(cfg_key_find("policy.nope"));
    assert_null(cfg_key_find(""));
    assert_null(cfg_key_find("policy.idle_timeou"));
    assert_null(cfg_key_find("policy.idle_timeoutx"));
    assert_null(cfg_key_find("POLICY.MODE"));
}

static void test_defaults_are_the_documented_ones(void **state)
{
    (void)state;
    assert_int_equal(c.mode, CFG_MODE_REPORT);
    assert_int_equal(c.idle_timeout_s, 15 * MIN_S);
    assert_int_equal(c.null_max_age_s, 90);
    assert_int_equal(c.dup_idle_s, 5 * MIN_S);
    assert_int_equal(c.session_limit, 10);
    assert_int_equal(c.limit_high, 80);
    assert_int_equal(c.limit_low, 60);
    assert_int_equal(c.limit_min_idle_s, MIN_S);
    assert_int_equal(c.orphan_idle_s, DAY_S);
    assert_int_equal(c.evict_orphans, 0);
    assert_int_equal(c.evict_rate, 10);
    assert_int_equal(c.sample_interval_s, 10);
    assert_string_equal(c.protect, "");
    assert_int_equal(cfg_check(&c, &err), CFG_OK);
}

static void test_every_key_default_matches_table_and_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < cfg_key_count; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        char a[160], b[160];
        if (k->type != CFG_T_LIST) assert_int_equal(get(&c, k), k->def);
        format_key(&c, k, a, sizeof a);
        fmt_t f;
        fmt_init(&f, b, sizeof b);
        cfg_format_default(k, &f);
        assert_string_equal(a, b);
    }
}

static void test_defaults_overwrite_everything(void **state)
{
    (void)state;
    cfg_t x;
    memset(&x, 0x5a, sizeof x);
    cfg_defaults(&x);
    assert_memory_equal(&x, &c, sizeof x);
}

/* ---- ranges: every key ----------------------------------------------------- */

static void test_every_key_accepts_its_min_and_max(void **state)
{
    (void)state;
    for (size_t i = 0; i < cfg_key_count; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (k->type == CFG_T_LIST) continue;
        uint32_t ends[2] = {k->min, k->max};
        for (int e = 0; e < 2; e++) {
            char text[32];
            cfg_t want;
            cfg_defaults(&c);
            want = c;
            put(&want, k, ends[e]);
            raw_text(k, ends[e], text, sizeof text);
            fmt_init(&err, errbuf, sizeof errbuf);
            if (cfg_parse(&c, k, text, &err) != CFG_OK)
                fail_msg("%s '%s' refused: %s", k->name, text, errbuf);
            assert_memory_equal(&c, &want, sizeof c); /* only this key moved */
        }
    }
}

static void test_every_key_rejects_min_minus_1_and_max_plus_1(void **state)
{
    (void)state;
    for (size_t i = 0; i < cfg_key_count; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (k->type == CFG_T_LIST || k->type == CFG_T_IPV4) continue; /* every IPv4 value is in range */
        char text[32];
        /* start away from the defaults, so "unchanged" means something */
        cfg_defaults(&c);
        put(&c, k, k->max != k->def ? k->max : k->min);
        raw_text(k, (int64_t)k->min - 1, text, sizeof text);
        expect_rejected(k, text);
        raw_text(k, (int64_t)k->max + 1, text, sizeof text);
        expect_rejected(k, text);
    }
}

static void test_out_of_range_message_shows_the_range(void **state)
{
    (void)state;
    expect_rejected_by_name("policy.idle_timeout", "31d");
    assert_non_null(strstr(errbuf, "out of range"));
    assert_non_null(strstr(errbuf, "off|1m..30d"));
    expect_rejected_by_name("policy.limit_low", "100%");
    assert_non_null(strstr(errbuf, "1%..99%"));
    expect_rejected_by_name("policy.session_limit", "100001");
    assert_non_null(strstr(errbuf, "0..100000"));
}

static void test_every_key_rejects_malformed_text(void **state)
{
    (void)state;
    static const char *const junk[] = {
        "", " ", "5x", "-1", "99999999999s", "1.5m", "abc", "1 0", " 5", "5 ",
        "0x10", "+5", "4294967296", "\"\"x", "5,", "1e3",
    };
    for (size_t i = 0; i < cfg_key_count; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (k->type == CFG_T_LIST) continue;
        for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++)
            expect_rejected(k, junk[j]);
    }
}

static void test_error_message_is_bounded_for_long_values(void **state)
{
    (void)state;
    char value[300];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    expect_rejected_by_name("policy.idle_timeout", value);
    assert_true(strlen(errbuf) < 120); /* the value is quoted cut short */

    char small[24];
    memset(small, 0x5a, sizeof small);
    fmt_init(&err, small, 16);
    assert_int_equal(cfg_parse(&c, key("policy.idle_timeout"), value, &err), CFG_EVALUE);
    assert_true(err.overflow);
    assert_int_equal(strlen(small), 15);
    for (size_t i = 16; i < sizeof small; i++) assert_int_equal(small[i], 0x5a);
}

/* ---- durations ---------------------------------------------------------------- */

static void test_duration_suffixes(void **state)
{
    (void)state;
    static const struct { const char *s; uint32_t v; } ok[] = {
        {"0", 0},        {"0s", 0},           {"90", 90},        {"90s", 90},
        {"15m", 900},    {"2h", 7200},        {"1d", 86400},     {"30d", 30 * DAY_S},
        {"007m", 420},   {"4294967295", UINT32_MAX}, {"4294967295s", UINT32_MAX},
        {"71582788m", 71582788u * 60u}, {"1193046h", 1193046u * 3600u},
        {"49710d", 49710u * 86400u},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint32_t v = 12345;
        if (!cfg_parse_duration(ok[i].s, &v)) fail_msg("'%s' refused", ok[i].s);
        assert_int_equal(v, ok[i].v);
    }
}

static void test_duration_rejects_overflow(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "4294967296", "4294967296s", "71582789m", "1193047h", "49711d",
        "99999999999s", "99999999999", "999999999999999999999d",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t v = 12345;
        if (cfg_parse_duration(bad[i], &v)) fail_msg("'%s' accepted as %u", bad[i], v);
    }
}

static void test_duration_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "s", "m", "h", "d", "5x", "-1", "-1s", "1.5m", "1h30m", " 5", "5 ",
        "5 s", "5ms", "+5", "0x10", "ss", "5ss", "m5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t v = 12345;
        if (cfg_parse_duration(bad[i], &v)) fail_msg("'%s' accepted as %u", bad[i], v);
    }
}

static void test_duration_keys_take_suffixes(void **state)
{
    (void)state;
    expect_parsed("policy.idle_timeout", "2h", 7200);
    expect_parsed("policy.idle_timeout", "1d", DAY_S);
    expect_parsed("policy.idle_timeout", "30d", 30 * DAY_S);
    expect_parsed("policy.idle_timeout", "1m", 60);
    expect_parsed("policy.idle_timeout", "90", 90);
    expect_rejected_by_name("policy.idle_timeout", "59s");
    expect_rejected_by_name("policy.idle_timeout", "721h");
    expect_parsed("sample.interval", "1h", 3600);
    expect_rejected_by_name("sample.interval", "61m");
    expect_rejected_by_name("sample.interval", "0s");
    expect_parsed("policy.limit_min_idle", "0s", 0);
    expect_parsed("policy.null_max_age", "10s", 10);
    expect_rejected_by_name("policy.null_max_age", "2d");
}

static void test_duration_format_picks_the_largest_exact_unit(void **state)
{
    (void)state;
    static const struct { uint32_t v; const char *s; } cases[] = {
        {900, "15m"},  {90, "90s"},     {60, "1m"},       {3600, "1h"},
        {DAY_S, "24h"}, {2 * DAY_S, "2d"}, {30 * DAY_S, "30d"}, {3601, "3601s"},
        {3660, "61m"}, {DAY_S + HOUR_S, "25h"},
    };
    const cfg_key_t *k = key("policy.idle_timeout");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[32];
        put(&c, k, cases[i].v);
        format_key(&c, k, text, sizeof text);
        assert_string_equal(text, cases[i].s);
    }
    put(&c, key("policy.limit_min_idle"), 0);
    char text[32];
    format_key(&c, key("policy.limit_min_idle"), text, sizeof text);
    assert_string_equal(text, "0s");
}

/* cfg_format's text parses back to the same value, for every key and a
 * spread of values across its range. */
static void round_trip(const cfg_key_t *k, uint32_t v)
{
    char text[160];
    cfg_t x;
    cfg_defaults(&x);
    put(&x, k, v);
    format_key(&x, k, text, sizeof text);
    cfg_defaults(&c);
    fmt_init(&err, errbuf, sizeof errbuf);
    if (cfg_parse(&c, k, text, &err) != CFG_OK)
        fail_msg("%s: '%s' (from %u) refused: %s", k->name, text, v, errbuf);
    if (get(&c, k) != v) fail_msg("%s: %u -> '%s' -> %u", k->name, v, text, get(&c, k));
}

static void test_format_round_trips_every_key(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (size_t i = 0; i < cfg_key_count; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (k->type == CFG_T_LIST) continue;
        round_trip(k, k->min);
        round_trip(k, k->max);
        round_trip(k, k->def);
        for (uint32_t v = k->min; v <= k->max && v < k->min + 300; v++) round_trip(k, v);
        static const uint32_t steps[] = {MIN_S, HOUR_S, DAY_S};
        for (size_t s = 0; s < 3; s++)
            for (uint32_t v = steps[s]; v <= k->max && v <= 40 * steps[s]; v += steps[s])
                if (v >= k->min) round_trip(k, v);
        for (int n = 0; n < 500; n++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t span = k->max - k->min + 1; /* 0: the whole 32-bit range */
            round_trip(k, k->min + (span ? seed % span : seed));
        }
    }
}

static void test_ipv4_keys(void **state)
{
    (void)state;
    expect_parsed("net.address", "192.168.1.20", 0xc0a80114u);
    expect_parsed("net.gateway", "0.0.0.0", 0);
    expect_parsed("net.netmask", "255.255.255.255", 0xffffffffu);
    static const char *const bad[] = {"1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ",
                                      "a.b.c.d", "1.2.3.-4", "0001.2.3.4", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_rejected_by_name("net.address", bad[i]);
}

/* 0 or "off" turns a rule off (autodisconnect -1), and reads back as "off";
 * keys where off makes no sense still refuse 0. */
static void test_zero_turns_a_rule_off(void **state)
{
    (void)state;
    static const char *const rules[] = {"policy.idle_timeout", "policy.null_max_age",
                                        "policy.dup_idle", "policy.orphan_idle"};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const cfg_key_t *k = key(rules[i]);
        expect_parsed(rules[i], "0", 0);
        expect_parsed(rules[i], "OFF", 0);
        expect_parsed(rules[i], "0s", 0);
        char text[16];
        fmt_t f;
        cfg_defaults(&c);
        put(&c, k, 0);
        fmt_init(&f, text, sizeof text);
        cfg_format(&c, k, &f);
        assert_string_equal(text, "off");
    }
    expect_rejected_by_name("sample.interval", "0");
    expect_rejected_by_name("mgmt.request_timeout", "off");
    expect_rejected_by_name("policy.evict_rate", "off");
}

static void test_format_range_text(void **state)
{
    (void)state;
    static const struct { const char *key, *range; } cases[] = {
        {"policy.mode", "report|enforce"},
        {"policy.idle_timeout", "off|1m..30d"},
        {"policy.null_max_age", "off|10s..24h"},
        {"policy.limit_min_idle", "0s..24h"},
        {"sample.interval", "1s..1h"},
        {"policy.session_limit", "0..100000"},
        {"policy.limit_high", "1%..100%"},
        {"policy.evict_orphans", "off|on"},
        {"policy.protect", "list, 127 chars"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        fmt_t f;
        fmt_init(&f, text, sizeof text);
        cfg_format_range(key(cases[i].key), &f);
        assert_string_equal(text, cases[i].range);
    }
}

/* ---- percent, bool, enum, uint ------------------------------------------------ */

static void test_percent_with_and_without_sign(void **state)
{
    (void)state;
    expect_parsed("policy.limit_high", "90", 90);
    expect_parsed("policy.limit_high", "95%", 95);
    expect_parsed("policy.limit_high", "100%", 100);
    expect_parsed("policy.limit_low", "1%", 1);
    expect_rejected_by_name("policy.limit_high", "0%");
    expect_rejected_by_name("policy.limit_high", "101%");
    expect_rejected_by_name("policy.limit_low", "100");
    expect_rejected_by_name("policy.limit_high", "%");
    expect_rejected_by_name("policy.limit_high", "80%%");
    expect_rejected_by_name("policy.limit_high", "%80");
    expect_rejected_by_name("policy.limit_high", "80 %");
    expect_rejected_by_name("policy.limit_high", "8.5%");

    char text[16];
    format_key(&c, key("policy.limit_high"), text, sizeof text);
    assert_string_equal(text, "100%");
}

static void test_bool_spellings(void **state)
{
    (void)state;
    static const char *const yes[] = {"on", "ON", "oN"};
    static const char *const no[] = {"off", "OFF", "Off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        cfg_defaults(&c);
        expect_parsed("policy.evict_orphans", yes[i], 1);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        put(&c, key("policy.evict_orphans"), 1);
        expect_parsed("policy.evict_orphans", no[i], 0);
    }
    static const char *const bad[] = {"", "2", "y", "n", "onn", "of", "enable", "true ", "-1", "01",
                                      "true", "yes", "1", "0", "false"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_rejected_by_name("policy.evict_orphans", bad[i]);

    char text[8];
    put(&c, key("policy.evict_orphans"), 1);
    format_key(&c, key("policy.evict_orphans"), text, sizeof text);
    assert_string_equal(text, "on");
    put(&c, key("policy.evict_orphans"), 0);
    format_key(&c, key("policy.evict_orphans"), text, sizeof text);
    assert_string_equal(text, "off");
}

static void test_enum_is_case_insensitive(void **state)
{
    (void)state;
    expect_parsed("policy.mode", "enforce", CFG_MODE_ENFORCE);
    expect_parsed("policy.mode", "REPORT", CFG_MODE_REPORT);
    expect_parsed("policy.mode", "Enforce", CFG_MODE_ENFORCE);
    expect_parsed("policy.mode", "rEpOrT", CFG_MODE_REPORT);
    static const char *const bad[] = {"", "enforced", "repor", "0", "1", "on", " report"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_rejected_by_name("policy.mode", bad[i]);

    char text[16];
    put(&c, key("policy.mode"), CFG_MODE_ENFORCE);
    format_key(&c, key("policy.mode"), text, sizeof text);
    assert_string_equal(text, "enforce");
}

static void test_uint_keys(void **state)
{
    (void)state;
    expect_parsed("policy.session_limit", "0", 0);
    expect_parsed("policy.session_limit", "100000", 100000);
    expect_parsed("policy.evict_rate", "60", 60);
    expect_rejected_by_name("policy.evict_rate", "61");
    expect_rejected_by_name("policy.evict_rate", "0");
    expect_rejected_by_name("policy.session_limit", "10s");
    expect_rejected_by_name("policy.session_limit", "10%");
}

/* Cross-key rules are cfg_check's job: parse lets low >= high through. */
static void test_parse_does_not_check_across_keys(void **state)
{
    (void)state;
    expect_parsed("policy.limit_low", "90", 90);
    assert_int_equal(c.limit_high, 80);
}

/* ---- the protect list ---------------------------------------------------------- */

static void test_list_normalises_spaces_and_backslashes(void **state)
{
    (void)state;
    assert_int_equal(set("policy.protect", "a, b ,\\\\c"), CFG_OK);
    assert_string_equal(c.protect, "a,b,c");
    assert_int_equal(set("policy.protect", "\\\\WS01,alice"), CFG_OK);
    assert_string_equal(c.protect, "WS01,alice");
    assert_int_equal(set("policy.protect", "  WS01\t, \tsrv-02  "), CFG_OK);
    assert_string_equal(c.protect, "WS01,srv-02");
    assert_int_equal(set("policy.protect", "one"), CFG_OK);
    assert_string_equal(c.protect, "one");
}

static void test_list_quotes_clear_it(void **state)
{
    (void)state;
    assert_int_equal(set("policy.protect", "WS01,alice"), CFG_OK);
    assert_int_equal(set("policy.protect", "\"\""), CFG_OK);
    assert_string_equal(c.protect, "");
    assert_int_equal(set("policy.protect", "WS01"), CFG_OK);
    assert_int_equal(set("policy.protect", ""), CFG_OK);
    assert_string_equal(c.protect, "");

    char text[8];
    format_key(&c, key("policy.protect"), text, sizeof text);
    assert_string_equal(text, "\"\""); /* so that it parses back */
}

static void test_list_entry_length(void **state)
{
    (void)state;
    char v[64];
    memset(v, 'e', 39);
    v[39] = '\0';
    assert_int_equal(set("policy.protect", v), CFG_OK);
    assert_string_equal(c.protect, v);

    assert_int_equal(set("policy.protect", "keep"), CFG_OK);
    memset(v, 'e', 40);
    v[40] = '\0';
    expect_rejected_by_name("policy.protect", v);
    assert_string_equal(c.protect, "keep");
}

static void test_list_total_length(void **state)
{
    (void)state;
    /* 3 x 39 + 3 commas + 7 = 127 bytes, the most the field holds */
    char v[200];
    fmt_t f;
    fmt_init(&f, v, sizeof v);
    for (int i = 0; i < 3; i++)
        fmt_add(&f, "%c%s,", 'a' + i, "bcdefghijklmnopqrstuvwxyz0123456789ABC");
    fmt_add(&f, "1234567");
    assert_int_equal(f.len, AGENT_PROTECT_MAX - 1);
    assert_int_equal(set("policy.protect", v), CFG_OK);
    assert_string_equal(c.protect, v);

    fmt_add(&f, "8"); /* one too many */
    assert_int_equal(set("policy.protect", "keep"), CFG_OK);
    expect_rejected_by_name("policy.protect", v);
    assert_string_equal(c.protect, "keep");

    /* spaces that normalisation drops do not count: 64 entries "x" */
    char spaced[400], packed[200];
    fmt_t g;
    fmt_init(&f, spaced, sizeof spaced);
    fmt_init(&g, packed, sizeof packed);
    for (int i = 0; i < 64; i++) {
        fmt_add(&f, "%s x ", i ? "," : "");
        fmt_add(&g, "%sx", i ? "," : "");
    }
    assert_true(f.len > AGENT_PROTECT_MAX);
    assert_int_equal(g.len, AGENT_PROTECT_MAX - 1);
    assert_int_equal(set("policy.protect", spaced), CFG_OK);
    assert_string_equal(c.protect, packed);
}

static void test_list_rejects_bad_entries(void **state)
{
    (void)state;
    assert_int_equal(set("policy.protect", "keep,this"), CFG_OK);
    static const char *const bad[] = {
        "a b", "WS01,alice smith", "a,,b", ",a", " , ", "a\"b", "\"WS01\"",
        "a\x01", "a\x7f", "\\\\", "a,\\\\,b", "\"\" ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_rejected_by_name("policy.protect", bad[i]);
        assert_string_equal(c.protect, "keep,this");
    }
}

static void test_list_round_trips(void **state)
{
    (void)state;
    static const char *const lists[] = {"a", "WS01,alice", "x,y,z", "srv-02.corp,Bob_1"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        char text[160];
        assert_int_equal(set("policy.protect", lists[i]), CFG_OK);
        format_key(&c, key("policy.protect"), text, sizeof text);
        assert_string_equal(text, lists[i]);
        cfg_defaults(&c);
        assert_int_equal(set("policy.protect", text), CFG_OK);
        assert_string_equal(c.protect, lists[i]);
    }
}

/* A list parsed after a longer one leaves the same bytes as on a fresh
 * config: configs with the same settings compare equal byte for byte. */
static void test_list_leaves_no_stale_bytes(void **state)
{
    (void)state;
    assert_int_equal(set("policy.protect",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), CFG_OK);
    assert_int_equal(set("policy.protect", "x"), CFG_OK);
    cfg_t want;
    cfg_defaults(&want);
    strcpy(want.protect, "x");
    assert_memory_equal(&c, &want, sizeof c);
}

/* ---- reset, equal ------------------------------------------------------------ */

static void test_reset_restores_one_key(void **state)
{
    (void)state;
    assert_int_equal(set("policy.idle_timeout", "2h"), CFG_OK);
    assert_int_equal(set("policy.dup_idle", "1h"), CFG_OK);
    assert_int_equal(set("policy.protect", "WS01"), CFG_OK);
    cfg_reset(&c, key("policy.idle_timeout"));
    assert_int_equal(c.idle_timeout_s, 15 * MIN_S);
    assert_int_equal(c.dup_idle_s, HOUR_S);
    cfg_reset(&c, key("policy.protect"));
    assert_string_equal(c.protect, "");
    assert_int_equal(c.dup_idle_s, HOUR_S);
}

static void test_equal_sees_each_key(void **state)
{
    (void)state;
    cfg_t def;
    cfg_defaults(&def);
    for (size_t i = 0; i < cfg_key_count; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        cfg_defaults(&c);
        if (k->type == CFG_T_LIST)
            assert_int_equal(set(k->name, "WS01"), CFG_OK);
        else
            put(&c, k, k->def == k->max ? k->min : k->max);
        for (size_t j = 0; j < cfg_key_count; j++)
            assert_int_equal(cfg_equal(&c, &def, &cfg_keys[j]), i != j);
    }
}

/* ---- the cross-key check --------------------------------------------------------- */

static void test_check_limit_low_below_high(void **state)
{
    (void)state;
    c.limit_low = 79;
    assert_int_equal(cfg_check(&c, &err), CFG_OK);
    assert_string_equal(errbuf, "");

    c.limit_low = 80;
    cfg_t before = c;
    assert_int_equal(cfg_check(&c, &err), CFG_ECHECK);
    assert_memory_equal(&before, &c, sizeof c);
    assert_non_null(strstr(errbuf, "policy.limit_low"));
    assert_non_null(strstr(errbuf, "policy.limit_high"));

    fmt_init(&err, errbuf, sizeof errbuf);
    c.limit_low = 99;
    c.limit_high = 1;
    assert_int_equal(cfg_check(&c, &err), CFG_ECHECK);

    c.limit_low = 99;
    c.limit_high = 100;
    assert_int_equal(cfg_check(&c, &err), CFG_OK);
}

/* ---- serialise / deserialise ---------------------------------------------------- */

static void serialize(const cfg_t *x, char *buf, size_t cap)
{
    fmt_t f;
    fmt_init(&f, buf, cap);
    assert_true(cfg_serialize(x, &f));
    assert_int_equal(f.len, strlen(buf));
}

static void test_serialize_defaults_is_empty(void **state)
{
    (void)state;
    char text[64];
    serialize(&c, text, sizeof text);
    assert_string_equal(text, "");
}

static void test_serialize_writes_only_changed_keys(void **state)
{
    (void)state;
    char text[256];
    assert_int_equal(set("policy.idle_timeout", "2h"), CFG_OK);
    assert_int_equal(set("policy.protect", "WS01, alice"), CFG_OK);
    assert_int_equal(set("policy.dup_idle", "5m"), CFG_OK); /* = default */
    serialize(&c, text, sizeof text);
    assert_string_equal(text, "policy.idle_timeout 2h\npolicy.protect WS01,alice\n");
}

static void test_serialize_and_deserialize_every_key(void **state)
{
    (void)state;
    static const char *const values[][2] = {
        {"policy.mode", "enforce"},        {"policy.idle_timeout", "45m"},
        {"policy.null_max_age", "2m"},     {"policy.dup_idle", "1h"},
        {"policy.session_limit", "0"},     {"policy.limit_high", "95%"},
        {"policy.limit_low", "70"},        {"policy.limit_min_idle", "0"},
        {"policy.orphan_idle", "7d"},      {"policy.evict_orphans", "on"},
        {"policy.protect", "\\\\WS01,alice"}, {"policy.evict_rate", "60"},
        {"sample.interval", "1h"},         {"mgmt.port", "9443"},
        {"mgmt.idle_timeout", "5m"},       {"mgmt.request_timeout", "3s"},
        {"mgmt.handshake_timeout", "45s"},
        {"net.address", "10.0.2.15"},      {"net.netmask", "255.255.0.0"},
        {"net.gateway", "10.0.2.2"},      {"net.ntp", "10.0.2.2"},
        {"log.server", "10.0.2.2"},
        {"log.port", "6514"},              {"log.proto", "tls"},
    };
    assert_int_equal(sizeof values / sizeof values[0], cfg_key_count);
    for (size_t i = 0; i < cfg_key_count; i++)
        assert_int_equal(set(values[i][0], values[i][1]), CFG_OK);
    cfg_t want = c;

    char text[AGENT_CFG_NV_MAX];
    serialize(&want, text, sizeof text);
    /* one line per key, in table order */
    const char *p = text;
    for (size_t i = 0; i < cfg_key_count; i++) {
        assert_memory_equal(p, cfg_keys[i].name, strlen(cfg_keys[i].name));
        assert_int_equal(p[strlen(cfg_keys[i].name)], ' ');
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    assert_int_equal(*p, '\0');

    uint32_t bad = 99;
    cfg_defaults(&c);
    assert_int_equal(cfg_deserialize(&c, text, strlen(text), &bad), CFG_OK);
    assert_int_equal(bad, 0);
    assert_same_settings(&c, &want);
    assert_int_equal(c.limit_low, 70);
    assert_int_equal(c.orphan_idle_s, 7 * DAY_S);
    assert_string_equal(c.protect, "WS01,alice");
}

/* A spread of valid configurations survive the trip through text. */
static void test_serialize_round_trips_random_configs(void **state)
{
    (void)state;
    uint32_t seed = 7;
    static const char *const lists[] = {"", "a", "WS01,alice", "x,y,z,srv-02"};
    for (int n = 0; n < 300; n++) {
        cfg_t want;
        cfg_defaults(&want);
        for (size_t i = 0; i < cfg_key_count; i++) {
            const cfg_key_t *k = &cfg_keys[i];
            seed = seed * 1103515245u + 12345u;
            if (k->type == CFG_T_LIST)
                strcpy(want.protect, lists[(seed >> 8) % 4]);
            else if (seed & 0x10000) /* leave about half at the default */
                put(&want, k, k->max - k->min + 1 ? k->min + (seed >> 3) % (k->max - k->min + 1)
                                                  : seed >> 3); /* the whole 32-bit range */
        }
        if (want.limit_low >= want.limit_high) {
            want.limit_high = want.limit_high < 2 ? 2 : want.limit_high;
            want.limit_low = want.limit_high - 1;
        }
        assert_int_equal(cfg_check(&want, &err), CFG_OK);
        char text[AGENT_CFG_NV_MAX];
        serialize(&want, text, sizeof text);
        uint32_t bad = 99;
        cfg_defaults(&c);
        assert_int_equal(cfg_deserialize(&c, text, strlen(text), &bad), CFG_OK);
        assert_int_equal(bad, 0);
        assert_memory_equal(&c, &want, sizeof c);
    }
}

static void test_serialize_into_too_small_buffer_fails(void **state)
{
    (void)state;
    char full[256];
    assert_int_equal(set("policy.idle_timeout", "2h"), CFG_OK);
    assert_int_equal(set("policy.protect", "WS01,alice"), CFG_OK);
    serialize(&c, full, sizeof full);
    size_t need = strlen(full) + 1;
    for (size_t cap = 1; cap <= need; cap++) {
        char buf[256 + 8];
        memset(buf, 0x5a, sizeof buf);
        fmt_t f;
        fmt_init(&f, buf, cap);
        bool ok = cfg_serialize(&c, &f);
        assert_int_equal(ok, cap == need);
        assert_int_equal(strlen(buf), cap - 1 < need - 1 ? cap - 1 : need - 1);
        assert_memory_equal(buf, full, strlen(buf));
        for (size_t i = cap; i < sizeof buf; i++) assert_int_equal(buf[i], 0x5a);
    }
}

static void test_deserialize_skips_and_counts_bad_lines(void **state)
{
    (void)state;
    const char *text = "policy.idle_timeout 2h\n"
                       "bogus.key 1\n"
                       "policy.dup_idle 5x\n"
                       "nospace\n"
                       "\n"
                       "policy.limit_high 1000%\n"
                       "policy.limit_high 90\n"
                       "policy.protect a b\n"
                       "sample.interval 30s"; /* last line without '\n' */
    uint32_t bad = 0;
    assert_int_equal(cfg_deserialize(&c, text, strlen(text), &bad), CFG_OK);
    assert_int_equal(bad, 5);
    cfg_t want;
    cfg_defaults(&want);
    want.idle_timeout_s = 7200;
    want.limit_high = 90;
    want.sample_interval_s = 30;
    assert_memory_equal(&c, &want, sizeof c);
}

static void test_deserialize_applies_onto_the_given_config(void **state)
{
    (void)state;
    assert_int_equal(set("policy.dup_idle", "1h"), CFG_OK);
    const char *text = "policy.idle_timeout 2h\n";
    uint32_t bad = 9;
    assert_int_equal(cfg_deserialize(&c, text, strlen(text), &bad), CFG_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(c.idle_timeout_s, 7200);
    assert_int_equal(c.dup_idle_s, HOUR_S);
}

static void test_deserialize_reads_only_len_bytes(void **state)
{
    (void)state;
    const char *text = "policy.idle_timeout 2h\npolicy.dup_idle 10m\n";
    uint32_t bad = 9;
    size_t first = strlen("policy.idle_timeout 2h\n");
    assert_int_equal(cfg_deserialize(&c, text, first, &bad), CFG_OK);
    assert_int_equal(c.idle_timeout_s, 7200);
    assert_int_equal(c.dup_idle_s, 5 * MIN_S);

    /* cut inside the value: "policy.dup_idle 1" is one second, refused */
    cfg_defaults(&c);
    assert_int_equal(cfg_deserialize(&c, text, strlen(text) - 3, &bad), CFG_OK);
    assert_int_equal(bad, 1);
    assert_int_equal(c.dup_idle_s, 5 * MIN_S);

    assert_int_equal(cfg_deserialize(&c, text, 0, &bad), CFG_OK);
    assert_int_equal(bad, 0);
}

static void test_deserialize_survives_long_lines(void **state)
{
    (void)state;
    char text[1200];
    fmt_t f;
    fmt_init(&f, text, sizeof text);
    fmt_add(&f, "policy.protect ");
    for (int i = 0; i < 100; i++) fmt_add(&f, "abcdefghi,");
    fmt_add(&f, "\npolicy.idle_timeout 2h\n");
    assert_false(f.overflow);
    uint32_t bad = 0;
    assert_int_equal(cfg_deserialize(&c, text, f.len, &bad), CFG_OK);
    assert_int_equal(bad, 1);
    assert_string_equal(c.protect, "");
    assert_int_equal(c.idle_timeout_s, 7200);
}

static void test_deserialize_failing_check_changes_nothing(void **state)
{
    (void)state;
    assert_int_equal(set("policy.dup_idle", "1h"), CFG_OK);
    cfg_t before = c;
    const char *text = "policy.idle_timeout 2h\npolicy.limit_low 90\n";
    uint32_t bad = 0;
    assert_int_equal(cfg_deserialize(&c, text, strlen(text), &bad), CFG_ECHECK);
    assert_memory_equal(&before, &c, sizeof c);

    text = "policy.limit_high 50\n";
    assert_int_equal(cfg_deserialize(&c, text, strlen(text), &bad), CFG_ECHECK);
    assert_memory_equal(&before, &c, sizeof c);
}

/* The check runs on the result, so the order of the lines does not matter. */
static void test_deserialize_checks_the_result_not_each_line(void **state)
{
    (void)state;
    const char *text = "policy.limit_low 85\npolicy.limit_high 90\n";
    uint32_t bad = 9;
    assert_int_equal(cfg_deserialize(&c, text, strlen(text), &bad), CFG_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(c.limit_low, 85);
    assert_int_equal(c.limit_high, 90);
}

/* ---- protect matching ------------------------------------------------------------ */

static void test_protected_matches_whole_entries_ignoring_case(void **state)
{
    (void)state;
    assert_int_equal(set("policy.protect", "WS01, Alice ,srv-02"), CFG_OK);
    static const char *const yes[] = {"WS01", "ws01", "Ws01", "alice", "ALICE", "srv-02", "SRV-02"};
    static const char *const no[] = {
        "WS0", "WS011", "S01", "W", "lice", "alic", "alicex", "srv", "srv-0", "srv-022",
        "WS01,Alice", "WS01,", ",", "", "WS01 ", " WS01", "bob",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!cfg_protected(&c, yes[i])) fail_msg("'%s' not protected", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (cfg_protected(&c, no[i])) fail_msg("'%s' protected", no[i]);
}

static void test_protected_prefix_entry_does_not_match_longer_name(void **state)
{
    (void)state;
    assert_int_equal(set("policy.protect", "WS0"), CFG_OK);
    assert_true(cfg_protected(&c, "ws0"));
    assert_false(cfg_protected(&c, "WS01"));
    assert_false(cfg_protected(&c, "WS"));
    assert_int_equal(set("policy.protect", "WS01"), CFG_OK);
    assert_false(cfg_protected(&c, "WS0"));
}

static void test_protected_empty_list_matches_nothing(void **state)
{
    (void)state;
    assert_false(cfg_protected(&c, ""));
    assert_false(cfg_protected(&c, "WS01"));
    assert_int_equal(set("policy.protect", "a"), CFG_OK);
    assert_false(cfg_protected(&c, ""));
    assert_true(cfg_protected(&c, "A"));
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_every_key_is_found_by_its_name_only),
        T(test_defaults_are_the_documented_ones),
        T(test_every_key_default_matches_table_and_text),
        T(test_defaults_overwrite_everything),
        T(test_every_key_accepts_its_min_and_max),
        T(test_every_key_rejects_min_minus_1_and_max_plus_1),
        T(test_out_of_range_message_shows_the_range),
        T(test_every_key_rejects_malformed_text),
        T(test_error_message_is_bounded_for_long_values),
        T(test_duration_suffixes),
        T(test_duration_rejects_overflow),
        T(test_duration_rejects_malformed),
        T(test_duration_keys_take_suffixes),
        T(test_duration_format_picks_the_largest_exact_unit),
        T(test_format_round_trips_every_key),
        T(test_ipv4_keys),
        T(test_format_range_text),
        T(test_zero_turns_a_rule_off),
        T(test_percent_with_and_without_sign),
        T(test_bool_spellings),
        T(test_enum_is_case_insensitive),
        T(test_uint_keys),
        T(test_parse_does_not_check_across_keys),
        T(test_list_normalises_spaces_and_backslashes),
        T(test_list_quotes_clear_it),
        T(test_list_entry_length),
        T(test_list_total_length),
        T(test_list_rejects_bad_entries),
        T(test_list_round_trips),
        T(test_list_leaves_no_stale_bytes),
        T(test_reset_restores_one_key),
        T(test_equal_sees_each_key),
        T(test_check_limit_low_below_high),
        T(test_serialize_defaults_is_empty),
        T(test_serialize_writes_only_changed_keys),
        T(test_serialize_and_deserialize_every_key),
        T(test_serialize_round_trips_random_configs),
        T(test_serialize_into_too_small_buffer_fails),
        T(test_deserialize_skips_and_counts_bad_lines),
        T(test_deserialize_applies_onto_the_given_config),
        T(test_deserialize_reads_only_len_bytes),
        T(test_deserialize_survives_long_lines),
        T(test_deserialize_failing_check_changes_nothing),
        T(test_deserialize_checks_the_result_not_each_line),
        T(test_protected_matches_whole_entries_ignoring_case),
        T(test_protected_prefix_entry_does_not_match_longer_name),
        T(test_protected_empty_list_matches_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
