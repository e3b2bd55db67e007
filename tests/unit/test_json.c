/* json: the streaming writer (nesting, commas across calls and buffers,
 * escaping, the depth limit, cut output) and the flat-object reader (valid
 * forms, every refused form, exact capacities, escapes, a fuzz loop). Reader
 * input always sits in an exact-size heap copy, so a read past len is caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* ---- writer --------------------------------------------------------------- */

static json_t j;
static fmt_t f;
static char out[512];

static void start(void)
{
    json_init(&j);
    fmt_init(&f, out, sizeof out);
}

static void expect_out(const char *want)
{
    assert_string_equal(out, want);
    assert_false(f.overflow);
    assert_int_equal(j.depth, 0);
}

static void test_nested_objects_and_arrays(void **state)
{
    (void)state;
    start();
    json_obj(&j, &f, NULL);
    json_u32(&j, &f, "a", 1);
    json_arr(&j, &f, "b");
    json_bool(&j, &f, NULL, true);
    json_null(&j, &f, NULL);
    json_end_arr(&j, &f);
    json_obj(&j, &f, "c");
    json_str(&j, &f, "d", "x");
    json_arr(&j, &f, "e");
    json_end_arr(&j, &f);
    json_obj(&j, &f, "g");
    json_end_obj(&j, &f);
    json_end_obj(&j, &f);
    json_bool(&j, &f, "f", false);
    json_end_obj(&j, &f);
    expect_out("{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"x\",\"e\":[],\"g\":{}},\"f\":false}");
}

static void test_top_level_array_of_objects(void **state)
{
    (void)state;
    start();
    json_arr(&j, &f, NULL);
    for (uint32_t i = 0; i < 3; i++) {
        json_obj(&j, &f, NULL);
        json_u32(&j, &f, "id", i);
        json_end_obj(&j, &f);
    }
    json_arr(&j, &f, NULL);
    json_end_arr(&j, &f);
    json_str(&j, &f, NULL, "s");
    json_end_arr(&j, &f);
    expect_out("[{\"id\":0},{\"id\":1},{\"id\":2},[],\"s\"]");
}

static void test_empty_containers(void **state)
{
    (void)state;
    start();
    json_obj(&j, &f, NULL);
    json_end_obj(&j, &f);
    expect_out("{}");
    start();
    json_arr(&j, &f, NULL);
    json_end_arr(&j, &f);
    expect_out("[]");
}

static void test_scalar_values(void **state)
{
    (void)state;
    start();
    json_arr(&j, &f, NULL);
    json_u32(&j, &f, NULL, 0);
    json_u32(&j, &f, NULL, UINT32_MAX);
    json_bool(&j, &f, NULL, true);
    json_bool(&j, &f, NULL, false);
    json_null(&j, &f, NULL);
    json_str(&j, &f, NULL, "");
    json_str(&j, &f, NULL, NULL); /* no string: null */
    json_end_arr(&j, &f);
    expect_out("[0,4294967295,true,false,null,\"\",null]");
}

/* Values are escaped; keys, the program's own names, go as they are. */
static void test_strings_are_escaped(void **state)
{
    (void)state;
    start();
    json_obj(&j, &f, NULL);
    json_str(&j, &f, "qk", "a\"b\\c");
    json_str(&j, &f, "ctl", "\n\t\x01\x1f/\x7f\xc3\xa9");
    json_u32(&j, &f, "", 2);
    json_end_obj(&j, &f);
    expect_out("{\"qk\":\"a\\\"b\\\\c\","
               "\"ctl\":\"\\u000a\\u0009\\u0001\\u001f/\x7f\xc3\xa9\",\"\":2}");
}

/* Each call writes into its own small buffer, sent before the next call:
 * the pieces joined are the document, commas included. */
static void test_streaming_across_buffers(void **state)
{
    (void)state;
    char joined[256] = "";
    char piece[40];
    json_init(&j);
#define STEP(call)                          \
    do {                                    \
        fmt_init(&f, piece, sizeof piece);  \
        call;                               \
        assert_false(f.overflow);           \
        strcat(joined, piece);              \
    } while (0)
    STEP(json_obj(&j, &f, NULL));
    STEP(json_str(&j, &f, "mode", "enforce"));
    STEP(json_arr(&j, &f, "sessions"));
    for (uint32_t i = 1; i <= 3; i++) {
        STEP(json_obj(&j, &f, NULL));
        STEP(json_u32(&j, &f, "id", i));
        STEP(json_bool(&j, &f, "stale", i == 2));
        STEP(json_end_obj(&j, &f));
    }
    STEP(json_end_arr(&j, &f));
    STEP(json_null(&j, &f, "next"));
    STEP(json_end_obj(&j, &f));
#undef STEP
    assert_string_equal(joined, "{\"mode\":\"enforce\",\"sessions\":[{\"id\":1,\"stale\":false},"
                                "{\"id\":2,\"stale\":true},{\"id\":3,\"stale\":false}],"
                                "\"next\":null}");
    assert_int_equal(j.depth, 0);
}

static void test_depth_limit(void **state)
{
    (void)state;
    char want[64] = "";
    start();
    for (int i = 0; i < JSON_DEPTH_MAX; i++) {
        json_arr(&j, &f, NULL);
        strcat(want, "[");
    }
    json_u32(&j, &f, NULL, 1);
    /* one level too deep: nothing of it is written, its end balances it */
    json_obj(&j, &f, NULL);
    json_u32(&j, &f, "lost", 2);
    json_arr(&j, &f, "lost");
    json_str(&j, &f, NULL, "lost");
    json_end_arr(&j, &f);
    json_end_obj(&j, &f);
    json_u32(&j, &f, NULL, 3);
    strcat(want, "1,3");
    for (int i = 0; i < JSON_DEPTH_MAX; i++) {
        json_end_arr(&j, &f);
        strcat(want, "]");
    }
    expect_out(want);
    /* ends with nothing open write nothing */
    json_end_obj(&j, &f);
    json_end_arr(&j, &f);
    expect_out(want);
}

static void test_deepest_level_holds_members(void **state)
{
    (void)state;
    start();
    for (int i = 0; i < JSON_DEPTH_MAX; i++) json_obj(&j, &f, i ? "k" : NULL);
    json_u32(&j, &f, "a", 1);
    json_u32(&j, &f, "b", 2);
    for (int i = 0; i < JSON_DEPTH_MAX; i++) json_end_obj(&j, &f);
    expect_out("{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{\"a\":1,\"b\":2}}}}}}}}");
}

static void test_init_resets(void **state)
{
    (void)state;
    start();
    json_obj(&j, &f, NULL);
    json_u32(&j, &f, "a", 1);
    start();
    json_arr(&j, &f, NULL);
    json_u32(&j, &f, NULL, 2);
    json_end_arr(&j, &f);
    expect_out("[2]");
}

static void test_cut_output_stays_in_bounds(void **state)
{
    (void)state;
    char mem[64];
    for (size_t cap = 1; cap < 40; cap++) {
        memset(mem, 0x5a, sizeof mem);
        json_init(&j);
        fmt_init(&f, mem, cap);
        json_obj(&j, &f, NULL);
        json_str(&j, &f, "key", "a long enough value");
        json_u32(&j, &f, "n", 12345);
        json_end_obj(&j, &f);
        assert_true(f.overflow);
        assert_int_equal(strlen(mem), f.len);
        assert_true(f.len < cap);
        assert_memory_equal(mem, "{\"key\":\"a long enough value\",\"n\":12345}", f.len);
        for (size_t i = cap; i < sizeof mem; i++) assert_int_equal((unsigned char)mem[i], 0x5a);
    }
}

/* ---- reader --------------------------------------------------------------- */

static json_iter_t it;
static char *text; /* exact-size copy of the current input */
static char key[64], val[64];

static void teardown_text(void)
{
    free(text);
    text = NULL;
}

static void begin_n(const char *s, size_t len)
{
    teardown_text();
    text = malloc(len ? len : 1);
    assert_non_null(text);
    memcpy(text, s, len);
    json_iter_init(&it, text, len);
}

static void begin(const char *s) { begin_n(s, strlen(s)); }

static int next(void) { return json_iter_next(&it, key, sizeof key, val, sizeof val); }

static void expect_member(const char *k, const char *v)
{
    int r = next();
    if (r != 1) fail_msg("got %d, want member %s", r, k);
    assert_string_equal(key, k);
    assert_string_equal(val, v);
}

static void expect_end(void)
{
    assert_int_equal(next(), 0);
    assert_int_equal(next(), 0);
    teardown_text();
}

/* -1 now and for good. */
static void expect_refused(void)
{
    assert_int_equal(next(), -1);
    assert_int_equal(next(), -1);
    teardown_text();
}

/* Members up to the first bad one come back; then -1. */
static void refused(const char *s, int members)
{
    begin(s);
    for (int i = 0; i < members; i++)
        if (next() != 1) fail_msg("%s: member %d not read", s, i);
    if (next() != -1) fail_msg("%s: not refused", s);
    assert_int_equal(next(), -1);
    teardown_text();
}

static void test_reads_a_patch_body(void **state)
{
    (void)state;
    begin("{\"policy.mode\": \"enforce\", \"policy.evict_rate\": 5, "
          "\"policy.evict_orphans\": false}");
    expect_member("policy.mode", "enforce");
    expect_member("policy.evict_rate", "5");
    expect_member("policy.evict_orphans", "false");
    expect_end();
}

static void test_whitespace_between_tokens(void **state)
{
    (void)state;
    begin(" \t\r\n{ \n\"a\"\t:\r1 ,\n\"b\" : true\t}\r\n ");
    expect_member("a", "1");
    expect_member("b", "true");
    expect_end();
    begin("{\"a\":\"x\",\"b\":\"\"}");
    expect_member("a", "x");
    expect_member("b", "");
    expect_end();
}

static void test_empty_object(void **state)
{
    (void)state;
    begin("{}");
    expect_end();
    begin("  {  }  ");
    expect_end();
}

static void test_integers_are_verbatim(void **state)
{
    (void)state;
    begin("{\"a\":0,\"b\":-0,\"c\":-5,\"d\":1234567890123456789012,\"e\":10}");
    expect_member("a", "0");
    expect_member("b", "-0");
    expect_member("c", "-5");
    expect_member("d", "1234567890123456789012");
    expect_member("e", "10");
    expect_end();
}

static void test_duplicates_are_returned(void **state)
{
    (void)state;
    begin("{\"a\":1,\"a\":2}");
    expect_member("a", "1");
    expect_member("a", "2");
    expect_end();
}

static void test_refused_numbers(void **state)
{
    (void)state;
    static const char *const bad[] = {"01", "-01", "00", "-", "--1", "+1", ".5", "1.5", "1.",
                                      "1e5", "1E5", "0x1", "1-", "- 1", "Infinity", "NaN",
                                      "0.0", "-0.5"};
    char s[32];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(s, "{\"n\":");
        strcat(s, bad[i]);
        strcat(s, "}");
        refused(s, 0);
    }
}

static void test_refused_values(void **state)
{
    (void)state;
    refused("{\"a\":null}", 0);
    refused("{\"a\":{}}", 0);
    refused("{\"a\":{\"b\":1}}", 0);
    refused("{\"a\":[]}", 0);
    refused("{\"a\":[1]}", 0);
    refused("{\"a\":True}", 0);
    refused("{\"a\":tru}", 0);
    refused("{\"a\":truex}", 0);
    refused("{\"a\":falsey}", 0);
    refused("{\"a\":'x'}", 0);
    refused("{\"a\":x}", 0);
    refused("{\"a\":}", 0);
    refused("{\"ok\":1,\"a\":null}", 1);
}

static void test_refused_structure(void **state)
{
    (void)state;
    refused("", 0);
    refused("   ", 0);
    refused("[1]", 0);
    refused("\"a\"", 0);
    refused("1", 0);
    refused("}", 0);
    refused("{,}", 0);
    refused("{,\"a\":1}", 0);
    refused("{\"a\":1,}", 1);
    refused("{\"a\":1,,\"b\":2}", 1);
    refused("{\"a\":1 \"b\":2}", 0); /* no comma: refused before a is handed out */
    refused("{\"a\" 1}", 0);
    refused("{\"a\"::1}", 0);
    refused("{a:1}", 0);
    refused("{'a':1}", 0);
    refused("{1:1}", 0);
    refused("{\"a\":1]", 0);
    refused("{{}}", 0);
    refused("{\"a\":1}}", 1);
}

static void test_unterminated_input(void **state)
{
    (void)state;
    static const char *const cut[] = {
        "{", "{ ", "{\"", "{\"a", "{\"a\"", "{\"a\":", "{\"a\": ", "{\"a\":1", "{\"a\":-",
        "{\"a\":\"x", "{\"a\":\"x\"", "{\"a\":tr", "{\"a\":true", "{\"a\":\"\\", "{\"a\":\"\\u00",
        "{\"a\":\"\\u004",
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) refused(cut[i], 0);
    refused("{\"a\":1,", 1);
    refused("{\"a\":1, \"b\"", 1);
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    refused("{}x", 0);
    refused("{} {}", 0);
    refused("{}}", 0);
    refused("{\"a\":1}x", 1);
    refused("{\"a\":1} ,", 1);
    begin_n("{}\0", 3); /* a NUL is not whitespace */
    expect_refused();
    begin_n("{\0}", 3);
    expect_refused();
    begin("{} \t\r\n");
    expect_end();
}

static void test_escapes(void **state)
{
    (void)state;
    begin("{\"k\\\"\\\\\\/\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"u\":\"\\u0041\\u007f\\u007E\\u0001\"}");
    expect_member("k\"\\/", "\"\\/\b\f\n\r\t");
    expect_member("u", "A\x7f~\x01");
    expect_end();
    /* raw bytes above 0x7f pass through; DEL is allowed raw */
    begin("{\"\xc3\xa9\":\"\x7f\xff\"}");
    expect_member("\xc3\xa9", "\x7f\xff");
    expect_end();
}

static void test_refused_escapes(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\\x41", "\\'", "\\a", "\\U0041", "\\u004G", "\\u 041", "\\u0080", "\\u00e9",
        "\\ud83d\\ude00", "\\uffff", "\\u0000", "\\0", "\t", "\n", "\x01", "\x1f",
    };
    char s[32];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(s, "{\"a\":\"");
        strcat(s, bad[i]);
        strcat(s, "\"}");
        refused(s, 0);
        strcpy(s, "{\"");
        strcat(s, bad[i]);
        strcat(s, "\":1}");
        refused(s, 0);
    }
    begin_n("{\"a\":\"\0\"}", 8); /* a raw NUL */
    expect_refused();
}

static void test_capacity_exact_and_one_short(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t klen, vlen;
    } cases[] = {
        {"{\"abc\":\"hello\"}", 3, 5},
        {"{\"abc\":12345}", 3, 5},
        {"{\"abc\":-12}", 3, 3},
        {"{\"abc\":true}", 3, 4},
        {"{\"abc\":false}", 3, 5},
        {"{\"a\\nc\":\"x\\u0041\\ty\"}", 3, 4}, /* decoded lengths */
        {"{\"\":\"\"}", 0, 0},
    };
    char k[16], v[16];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t kl = cases[i].klen, vl = cases[i].vlen;
        begin(cases[i].text);
        memset(v, 'Z', sizeof v);
        assert_int_equal(json_iter_next(&it, k, kl + 1, v, vl + 1), 1);
        assert_int_equal(strlen(k), kl);
        assert_int_equal(strlen(v), vl);
        assert_int_equal(v[vl + 1], 'Z');
        assert_int_equal(json_iter_next(&it, k, kl + 1, v, vl + 1), 0);
        teardown_text();

        begin(cases[i].text);
        memset(v, 'Z', sizeof v);
        assert_int_equal(json_iter_next(&it, k, kl + 1, v, vl), -1);
        assert_int_equal(v[vl], 'Z');
        /* and it stays refused even with room now */
        assert_int_equal(json_iter_next(&it, k, sizeof k, v, sizeof v), -1);
        teardown_text();

        begin(cases[i].text);
        memset(k, 'Z', sizeof k);
        assert_int_equal(json_iter_next(&it, k, kl, v, vl + 1), -1);
        if (kl) assert_int_equal(k[kl], 'Z');
        teardown_text();
    }
}

static void test_zero_capacity(void **state)
{
    (void)state;
    char k[4] = "ZZZ", v[4] = "ZZZ";
    begin("{\"\":\"\"}");
    assert_int_equal(json_iter_next(&it, k, 0, v, 1), -1);
    assert_int_equal(k[0], 'Z');
    begin("{\"\":\"\"}");
    assert_int_equal(json_iter_next(&it, k, 1, v, 0), -1);
    assert_int_equal(v[0], 'Z');
    begin("{\"\":1}");
    assert_int_equal(json_iter_next(&it, k, 1, v, 0), -1);
    teardown_text();
}

/* Random mutations of valid bodies: only -1, 0 or 1, outputs terminated
 * inside their capacity, no read past len (exact heap copy), and it ends. */
static void test_reader_fuzz(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"policy.mode\": \"enforce\", \"policy.evict_rate\": 5, \"x\": false}",
        "{\"a\\u0041\\n\":\"\\\"\\\\\\/\",\"b\":-0,\"c\":true}",
        " { } ",
    };
    static const char interesting[] = "{}[]\":,\\u0123456789-+.eEtruefalsn \t\r\n\x00\x7f\xff";
    uint32_t rng = 12345;
    char buf[128];
    for (int i = 0; i < 20000; i++) {
        const char *s = seeds[(uint32_t)i % 3];
        size_t len = strlen(s);
        memcpy(buf, s, len);
        for (int e = 0; e < 1 + i % 3; e++) {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            size_t at = rng % (len + 1);
            char c = interesting[(rng >> 8) % (sizeof interesting - 1)];
            if ((rng >> 20) % 3 == 0 && len < sizeof buf) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
            } else if ((rng >> 20) % 3 == 1 && at < len) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            } else if (at < len) {
                buf[at] = c;
            }
        }
        begin_n(buf, len);
        char k[8], v[8];
        int r, calls = 0;
        do {
            memset(k, 'Z', sizeof k);
            memset(v, 'Z', sizeof v);
            r = json_iter_next(&it, k, sizeof k, v, sizeof v);
            assert_true(r >= -1 && r <= 1);
            if (r == 1) {
                assert_non_null(memchr(k, '\0', sizeof k));
                assert_non_null(memchr(v, '\0', sizeof v));
            }
            assert_true(++calls <= (int)len + 2);
        } while (r == 1);
        assert_int_equal(json_iter_next(&it, k, sizeof k, v, sizeof v), r);
    }
    teardown_text();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_objects_and_arrays),
        cmocka_unit_test(test_top_level_array_of_objects),
        cmocka_unit_test(test_empty_containers),
        cmocka_unit_test(test_scalar_values),
        cmocka_unit_test(test_strings_are_escaped),
        cmocka_unit_test(test_streaming_across_buffers),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_deepest_level_holds_members),
        cmocka_unit_test(test_init_resets),
        cmocka_unit_test(test_cut_output_stays_in_bounds),
        cmocka_unit_test(test_reads_a_patch_body),
        cmocka_unit_test(test_whitespace_between_tokens),
        cmocka_unit_test(test_empty_object),
        cmocka_unit_test(test_integers_are_verbatim),
        cmocka_unit_test(test_duplicates_are_returned),
        cmocka_unit_test(test_refused_numbers),
        cmocka_unit_test(test_refused_values),
        cmocka_unit_test(test_refused_structure),
        cmocka_unit_test(test_unterminated_input),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_refused_escapes),
        cmocka_unit_test(test_capacity_exact_and_one_short),
        cmocka_unit_test(test_zero_capacity),
        cmocka_unit_test(test_reader_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
