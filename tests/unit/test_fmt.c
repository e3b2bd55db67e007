#define _POSIX_C_SOURCE 200809L /* gmtime_r */
/* fmt: every conversion, widths, precision, durations, the integer limits,
 * output cut at the buffer's capacity, JSON string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fmt.h"
#include "json.h"
#include "text.h"

#define CANARY 0xa5

static char out[128];

/* Formats into a roomy buffer and checks text, length and no overflow. */
#define EXPECT(want, ...)                                   \
    do {                                                    \
        fmt_t f_;                                           \
        fmt_init(&f_, out, sizeof out);                     \
        fmt_add(&f_, __VA_ARGS__);                          \
        assert_string_equal(out, want);                     \
        assert_int_equal(f_.len, strlen(want));             \
        assert_false(f_.overflow);                          \
    } while (0)

/* A buffer of cap bytes followed by canary bytes that must survive. */
typedef struct {
    char mem[64];
    size_t cap;
    fmt_t f;
} guarded_t;

static void guarded_init(guarded_t *g, size_t cap)
{
    memset(g->mem, CANARY, sizeof g->mem);
    g->cap = cap;
    fmt_init(&g->f, g->mem, cap);
}

static void assert_guarded(const guarded_t *g)
{
    for (size_t i = g->cap; i < sizeof g->mem; i++)
        assert_int_equal((unsigned char)g->mem[i], CANARY);
    assert_true(g->f.len < g->cap);
    assert_int_equal(g->mem[g->f.len], '\0');
    assert_int_equal(strlen(g->mem), g->f.len);
}

/* ---- plain text and each conversion --------------------------------------- */

static void test_init_gives_empty_text(void **state)
{
    (void)state;
    fmt_t f;
    memset(out, 'x', sizeof out);
    fmt_init(&f, out, sizeof out);
    assert_string_equal(out, "");
    assert_int_equal(f.len, 0);
    assert_false(f.overflow);
    assert_ptr_equal(f.buf, out);
    assert_int_equal(f.cap, sizeof out);
}

static void test_plain_text_and_percent_escape(void **state)
{
    (void)state;
    EXPECT("", "");
    EXPECT("hello, world", "hello, world");
    EXPECT("100%", "100%%");
    EXPECT("%%", "%%%%");
}

static void test_appends_accumulate(void **state)
{
    (void)state;
    fmt_t f;
    fmt_init(&f, out, sizeof out);
    fmt_add(&f, "a=%u", (uint32_t)1);
    fmt_add(&f, "");
    fmt_add(&f, ", b=%s", "two");
    assert_string_equal(out, "a=1, b=two");
    assert_int_equal(f.len, 10);
    assert_false(f.overflow);
}

static void test_s_conversion(void **state)
{
    (void)state;
    EXPECT("abc", "%s", "abc");
    EXPECT("", "%s", "");
    EXPECT("<x><yz>", "<%s><%s>", "x", "yz");
}

static void test_u_conversion_limits(void **state)
{
    (void)state;
    EXPECT("0", "%u", (uint32_t)0);
    EXPECT("7", "%u", (uint32_t)7);
    EXPECT("1000000", "%u", (uint32_t)1000000);
    EXPECT("4294967295", "%u", UINT32_MAX);
}

static void test_d_conversion_signs_and_limits(void **state)
{
    (void)state;
    EXPECT("0", "%d", (int32_t)0);
    EXPECT("42", "%d", (int32_t)42);
    EXPECT("-1", "%d", (int32_t)-1);
    EXPECT("-100", "%d", (int32_t)-100);
    EXPECT("2147483647", "%d", INT32_MAX);
    EXPECT("-2147483648", "%d", INT32_MIN);
}

static void test_x_conversion_lowercase_no_prefix(void **state)
{
    (void)state;
    EXPECT("0", "%x", (uint32_t)0);
    EXPECT("a", "%x", (uint32_t)10);
    EXPECT("deadbeef", "%x", (uint32_t)0xdeadbeefu);
    EXPECT("10", "%x", (uint32_t)16);
    EXPECT("ffffffff", "%x", UINT32_MAX);
}

static void test_c_conversion(void **state)
{
    (void)state;
    EXPECT("A", "%c", 'A');
    EXPECT("[,]", "[%c]", ',');
    EXPECT("ab", "%c%c", 'a', 'b');
}

static void test_T_duration_as_h_mm_ss(void **state)
{
    (void)state;
    EXPECT("0:00:00", "%T", (uint32_t)0);
    EXPECT("0:00:59", "%T", (uint32_t)59);
    EXPECT("0:01:00", "%T", (uint32_t)60);
    EXPECT("0:59:59", "%T", (uint32_t)3599);
    EXPECT("1:00:00", "%T", (uint32_t)3600);
    EXPECT("1:01:01", "%T", (uint32_t)3661);
    EXPECT("23:59:59", "%T", (uint32_t)86399);
    EXPECT("30:00:00", "%T", (uint32_t)(30 * 3600));
    EXPECT("99:59:59", "%T", (uint32_t)(100 * 3600 - 1));
    EXPECT("100:00:00", "%T", (uint32_t)(100 * 3600));
    EXPECT("720:00:01", "%T", (uint32_t)(720 * 3600 + 1));
    EXPECT("1193046:28:15", "%T", UINT32_MAX);
}

/* %W against the C library's own calendar, over all of uint32_t: leap
 * days, century years, 2000, 2100 and the last second. */
static void test_W_wall_time_matches_gmtime(void **state)
{
    (void)state;
    EXPECT("1970-01-01T00:00:00Z", "%W", (uint32_t)0);
    EXPECT("2026-12-02T21:40:01Z", "%W", (uint32_t)1796247601u);
    EXPECT("2106-02-07T06:28:15Z", "%W", UINT32_MAX);
    for (uint64_t t = 0; t <= UINT32_MAX; t += 86400u * 7u + 3607u) {
        char want[32], buf[32];
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fmt_t f;
        fmt_init(&f, buf, sizeof buf);
        fmt_add(&f, "%W", (uint32_t)t);
        assert_string_equal(buf, want);
    }
}

static void test_mixed_conversions_in_one_spec(void **state)
{
    (void)state;
    EXPECT("#7 WS01 -3 ff 1:00:00 x 50%",
           "#%u %s %d %x %T %c %u%%", (uint32_t)7, "WS01", (int32_t)-3,
           (uint32_t)255, (uint32_t)3600, 'x', (uint32_t)50);
}

/* ---- width, left-justify, precision -------------------------------------- */

static void test_width_pads_on_the_left(void **state)
{
    (void)state;
    EXPECT("   42", "%5u", (uint32_t)42);
    EXPECT("  -42", "%5d", (int32_t)-42);
    EXPECT("   ff", "%5x", (uint32_t)255);
    EXPECT("  abc", "%5s", "abc");
    EXPECT("  z", "%3c", 'z');
    EXPECT("   1:00:00", "%10T", (uint32_t)3600);
    EXPECT("     ", "%5s", "");
    EXPECT("           1", "%12u", (uint32_t)1);
}

static void test_left_justify_pads_on_the_right(void **state)
{
    (void)state;
    EXPECT("42   |", "%-5u|", (uint32_t)42);
    EXPECT("-42  |", "%-5d|", (int32_t)-42);
    EXPECT("ff   |", "%-5x|", (uint32_t)255);
    EXPECT("abc  |", "%-5s|", "abc");
    EXPECT("z  |", "%-3c|", 'z');
    EXPECT("1:00:00   |", "%-10T|", (uint32_t)3600);
}

static void test_width_never_cuts(void **state)
{
    (void)state;
    EXPECT("12345", "%3u", (uint32_t)12345);
    EXPECT("abcdef", "%2s", "abcdef");
    EXPECT("-2147483648", "%-4d", INT32_MIN);
    EXPECT("30:00:00", "%1T", (uint32_t)(30 * 3600));
    EXPECT("abc", "%3s", "abc");
}

static void test_precision_limits_string(void **state)
{
    (void)state;
    EXPECT("abc", "%.3s", "abcdef");
    EXPECT("abc", "%.10s", "abc");
    EXPECT("", "%.0s", "abc");
    EXPECT("   ab", "%5.2s", "abcdef");
    EXPECT("ab   |", "%-5.2s|", "abcdef");
    EXPECT("abcdefghijkl", "%.12s", "abcdefghijklmnop");
}

/* "takes at most N bytes": an unterminated array is fine with a precision. */
static void test_precision_reads_no_more_than_n_bytes(void **state)
{
    (void)state;
    char raw[4] = {'w', 'x', 'y', 'z'}; /* no NUL */
    EXPECT("wxyz", "%.4s", raw);
    EXPECT("wx", "%.2s", raw);
}

static void test_bad_conversion_is_shown_not_guessed(void **state)
{
    (void)state;
    EXPECT("a%qb", "a%qb");
    EXPECT("a%", "a%");
    EXPECT("a%", "a%-");
    EXPECT("a%", "a%5");
}

static void vadd_helper(fmt_t *f, const char *spec, ...)
{
    va_list ap;
    va_start(ap, spec);
    fmt_vadd(f, spec, ap);
    va_end(ap);
}

static void test_vadd_takes_a_va_list(void **state)
{
    (void)state;
    fmt_t f;
    fmt_init(&f, out, sizeof out);
    vadd_helper(&f, "%s=%u/%d", "k", (uint32_t)3, (int32_t)-4);
    assert_string_equal(out, "k=3/-4");
    assert_int_equal(f.len, 6);
}

/* ---- cut at capacity ------------------------------------------------------- */

static void test_exact_fit_is_not_overflow(void **state)
{
    (void)state;
    guarded_t g;
    guarded_init(&g, 6);
    fmt_add(&g.f, "hello");
    assert_string_equal(g.mem, "hello");
    assert_int_equal(g.f.len, 5);
    assert_false(g.f.overflow);
    assert_guarded(&g);

    fmt_add(&g.f, ""); /* nothing more: still fits */
    assert_false(g.f.overflow);
    fmt_add(&g.f, "!");
    assert_true(g.f.overflow);
    assert_string_equal(g.mem, "hello");
    assert_guarded(&g);
}

static void test_one_byte_too_small_cuts_and_flags(void **state)
{
    (void)state;
    guarded_t g;
    guarded_init(&g, 5); /* "hello" needs 6 */
    fmt_add(&g.f, "hello");
    assert_string_equal(g.mem, "hell");
    assert_int_equal(g.f.len, 4);
    assert_true(g.f.overflow);
    assert_guarded(&g);
}

static void test_capacity_one_holds_only_the_nul(void **state)
{
    (void)state;
    guarded_t g;
    guarded_init(&g, 1);
    fmt_add(&g.f, "%s", "");
    assert_false(g.f.overflow);
    fmt_add(&g.f, "x");
    assert_true(g.f.overflow);
    assert_string_equal(g.mem, "");
    assert_int_equal(g.f.len, 0);
    assert_guarded(&g);
}

static void test_overflow_cuts_inside_each_conversion(void **state)
{
    (void)state;
    guarded_t g;

    guarded_init(&g, 4);
    fmt_add(&g.f, "%u", UINT32_MAX);
    assert_string_equal(g.mem, "429");
    assert_true(g.f.overflow);
    assert_guarded(&g);

    guarded_init(&g, 4);
    fmt_add(&g.f, "%d", INT32_MIN);
    assert_string_equal(g.mem, "-21");
    assert_true(g.f.overflow);
    assert_guarded(&g);

    guarded_init(&g, 8);
    fmt_add(&g.f, "%x", UINT32_MAX); /* 8 digits need 9 bytes */
    assert_string_equal(g.mem, "fffffff");
    assert_true(g.f.overflow);
    assert_guarded(&g);

    guarded_init(&g, 8);
    fmt_add(&g.f, "%T", (uint32_t)(30 * 3600)); /* "30:00:00" needs 9 */
    assert_string_equal(g.mem, "30:00:0");
    assert_true(g.f.overflow);
    assert_guarded(&g);

    guarded_init(&g, 6);
    fmt_add(&g.f, "%20s", "x");
    assert_string_equal(g.mem, "     ");
    assert_true(g.f.overflow);
    assert_guarded(&g);

    guarded_init(&g, 6);
    fmt_add(&g.f, "%-20s|", "abc");
    assert_string_equal(g.mem, "abc  ");
    assert_true(g.f.overflow);
    assert_guarded(&g);

    guarded_init(&g, 3);
    fmt_add(&g.f, "ab%c", 'c');
    assert_string_equal(g.mem, "ab");
    assert_true(g.f.overflow);
    assert_guarded(&g);
}

static void test_overflow_sticks_and_later_text_is_dropped(void **state)
{
    (void)state;
    guarded_t g;
    guarded_init(&g, 8);
    fmt_add(&g.f, "abcdefghij");
    assert_true(g.f.overflow);
    fmt_add(&g.f, "k");
    fmt_add(&g.f, "%u", (uint32_t)1);
    assert_string_equal(g.mem, "abcdefg");
    assert_int_equal(g.f.len, 7);
    assert_true(g.f.overflow);
    assert_guarded(&g);
}

static void test_every_capacity_cuts_a_prefix(void **state)
{
    (void)state;
    const char *full = "#12 WS01 -7 1:00:00 \"q\"";
    for (size_t cap = 1; cap <= strlen(full) + 2; cap++) {
        guarded_t g;
        guarded_init(&g, cap);
        fmt_add(&g.f, "#%u %s %d %T ", (uint32_t)12, "WS01", (int32_t)-7,
                (uint32_t)3600);
        fmt_add(&g.f, "\"");
        fmt_json_str(&g.f, "q");
        fmt_add(&g.f, "\"");
        assert_guarded(&g);
        size_t want = strlen(full) < cap - 1 ? strlen(full) : cap - 1;
        assert_int_equal(g.f.len, want);
        assert_memory_equal(g.mem, full, want);
        assert_int_equal(g.f.overflow, strlen(full) > cap - 1);
    }
}

/* ---- JSON strings ------------------------------------------------------------ */

static void json(const char *s, const char *want)
{
    fmt_t f;
    fmt_init(&f, out, sizeof out);
    fmt_json_str(&f, s);
    assert_string_equal(out, want);
    assert_int_equal(f.len, strlen(want));
    assert_false(f.overflow);
}

static void test_json_plain_text_unchanged(void **state)
{
    (void)state;
    json("", "");
    json("WS01 alice/bob 'x' {}", "WS01 alice/bob 'x' {}");
    json("\x7f", "\x7f");
    json("caf\xc3\xa9", "caf\xc3\xa9"); /* UTF-8 passes through */
}

static void test_json_escapes_quote_and_backslash(void **state)
{
    (void)state;
    json("a\"b", "a\\\"b");
    json("\\\\WS01", "\\\\\\\\WS01");
    json("\"\\\"", "\\\"\\\\\\\"");
}

static void test_json_escapes_control_bytes(void **state)
{
    (void)state;
    json("\n", "\\u000a");
    json("\t\r", "\\u0009\\u000d");
    json("\x01", "\\u0001");
    json("\x1f", "\\u001f");
    json("a\x1b[0mb", "a\\u001b[0mb");
    json(" ", " "); /* 0x20 is printable */
}

static void test_json_appends_after_existing_text(void **state)
{
    (void)state;
    fmt_t f;
    fmt_init(&f, out, sizeof out);
    fmt_add(&f, "{\"c\":\"");
    fmt_json_str(&f, "x\"y");
    fmt_add(&f, "\"}");
    assert_string_equal(out, "{\"c\":\"x\\\"y\"}");
}

static void test_json_cut_at_capacity(void **state)
{
    (void)state;
    guarded_t g;
    guarded_init(&g, 5);
    fmt_json_str(&g.f, "\n\n");
    assert_true(g.f.overflow);
    assert_string_equal(g.mem, "\\u00");
    assert_guarded(&g);
}

/* A precision never cuts a UTF-8 character in two: the whole character
 * goes, and text that was already broken is left to the writers. */
static void test_precision_cuts_on_character_boundaries(void **state)
{
    (void)state;
    EXPECT("\xc3\xa9\xc3\xa9", "%.4s", "\xc3\xa9\xc3\xa9\xc3\xa9");
    EXPECT("\xc3\xa9", "%.3s", "\xc3\xa9\xc3\xa9");
    EXPECT("a", "%.3s", "a\xe2\x82\xac");         /* the euro sign needs 3 */
    EXPECT("a\xe2\x82\xac", "%.4s", "a\xe2\x82\xac");
    EXPECT("ab", "%.5s", "ab\xf0\x9f\x98\x80"); /* 4 bytes, 3 fit */
    EXPECT("", "%.1s", "\xc3\xa9");
    char twenty[41];
    for (int i = 0; i < 40; i += 2) memcpy(twenty + i, "\xc3\xa9", 2);
    twenty[40] = '\0';
    char buf[64];
    fmt_t f;
    fmt_init(&f, buf, sizeof buf);
    fmt_add(&f, "%.39s", twenty);
    assert_int_equal(f.len, 38);
}

static void test_utf8_lengths(void **state)
{
    (void)state;
    assert_int_equal(text_utf8_len("a", 1), 1);
    assert_int_equal(text_utf8_len("\xc3\xa9", 2), 2);
    assert_int_equal(text_utf8_len("\xe2\x82\xac", 3), 3);
    assert_int_equal(text_utf8_len("\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(text_utf8_len("\xf4\x8f\xbf\xbf", 4), 4); /* U+10FFFF */
    assert_int_equal(text_utf8_len("\xc3\xa9", 1), 0);          /* truncated */
    assert_int_equal(text_utf8_len("\x9b", 1), 0);               /* stray continuation */
    assert_int_equal(text_utf8_len("\xc0\xaf", 2), 0);          /* overlong '/' */
    assert_int_equal(text_utf8_len("\xe0\x80\xaf", 3), 0);     /* overlong */
    assert_int_equal(text_utf8_len("\xed\xa0\x80", 3), 0);     /* a surrogate */
    assert_int_equal(text_utf8_len("\xf4\x90\x80\x80", 4), 0); /* past U+10FFFF */
    assert_int_equal(text_utf8_len("\xc3(", 2), 0);
    assert_int_equal(text_utf8_len("", 0), 0);
}

/* text_clean as first written, a character at a time: the reference. */
static size_t clean_ref(char *s, size_t cap)
{
    size_t i = 0;
    s[cap - 1] = '\0';
    while (s[i]) {
        uint8_t c = (uint8_t)s[i];
        size_t n = text_utf8_len(s + i, cap - 1 - i);
        if (n == 0 || c < 0x20 || c == 0x7f) s[i] = '?', n = 1;
        i += n;
    }
    return i + 1 < cap ? cap - i - 1 : 0;
}

/* Controls, DEL, bad and cut UTF-8 become '?', good UTF-8 stays, wherever
 * they fall: random texts from pieces that matter, against the reference. */
static void test_clean_matches_the_reference(void **state)
{
    (void)state;
    static const char *piece[] = {"a", "Z~", " ", "\x01", "\x1f", "\x7f", "\x80", "\xc3\xa9", "\xc3",
                                  "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf", "\xff"};
    uint32_t r = 12345;
    for (int round = 0; round < 4000; round++) {
        char a[24], b[24];
        size_t cap = 2 + (size_t)round % 22, n = 0;
        memset(a, 'x', sizeof a);
        while (n + 5 < sizeof a) {
            r = r * 1103515245u + 12345u;
            const char *p = piece[(r >> 16) % (sizeof piece / sizeof piece[0])];
            memcpy(a + n, p, strlen(p));
            n += strlen(p);
        }
        a[(r >> 8) % sizeof a] = '\0'; /* an end somewhere, or only the cap's */
        memcpy(b, a, sizeof a);
        size_t ra = text_clean(a, cap), rb = clean_ref(b, cap);
        assert_int_equal(ra, rb);
        assert_memory_equal(a, b, cap);
    }
    assert_int_equal(text_cut("ab\xc3\xa9", 3), 2);    /* not half an e-acute */
    assert_int_equal(text_cut("ab\xe2\x82\xac", 4), 2); /* nor two thirds of a euro */
    assert_int_equal(text_cut("a~\x80\x80", 2), 2);     /* a stray byte splits nothing */
    assert_int_equal(text_cut("\x80\x80" "ab", 1), 1);    /* ... nor one first */
    assert_int_equal(text_cut("ab", 2), 2);
    char t[8] = "ok\x01\xc3\xa9\x7f";
    assert_int_equal(text_clean(t, sizeof t), 1);
    assert_string_equal(t, "ok?\xc3\xa9?");
}

/* text_put copies as a cut and then a clean of the copy would leave it,
 * the ASCII run and the rest alike: random texts against the two. */
static void test_put_is_cut_then_clean(void **state)
{
    (void)state;
    static const char *piece[] = {"a", "Z~", " ", "\x01", "\x7f", "\x80", "\xc3\xa9", "\xc3",
                                  "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc0\xaf", "\xff"};
    uint32_t r = 777;
    for (int round = 0; round < 4000; round++) {
        char src[40], a[24], b[24];
        size_t cap = 1 + (size_t)round % 23, n = 0;
        while (n + 5 < sizeof src) {
            r = r * 1103515245u + 12345u;
            const char *p = piece[(r >> 16) % (sizeof piece / sizeof piece[0])];
            if (round % 3 == 0) p = piece[(r >> 16) % 2]; /* all ASCII */
            memcpy(src + n, p, strlen(p));
            n += strlen(p);
        }
        src[(r >> 8) % n] = '\0';
        memset(a, 'x', sizeof a);
        memset(b, 'x', sizeof b);
        size_t kept = text_cut(src, cap - 1);
        memcpy(b, src, kept);
        b[kept] = '\0';
        text_clean(b, cap);
        assert_int_equal(text_put(a, cap, src), kept);
        assert_memory_equal(a, b, kept + 1);
    }
    char t[6];
    assert_int_equal(text_put(t, sizeof t, "ab\x01\xc3\xa9z"), 5);
    assert_string_equal(t, "ab?\xc3\xa9");
    assert_int_equal(text_put(t, sizeof t, "abcd\xc3\xa9"), 4); /* not half an e-acute */
    assert_string_equal(t, "abcd");
}

/* Whatever bytes a name holds, the JSON string is valid UTF-8. */
static void test_json_replaces_invalid_utf8(void **state)
{
    (void)state;
    char buf[64];
    fmt_t f;
    fmt_init(&f, buf, sizeof buf);
    fmt_json_str(&f, "k\x9b\xc3\xa9\xc3\xed\xa0\x80z\xc3");
    assert_string_equal(buf, "k\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffdz\\ufffd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_gives_empty_text),
        cmocka_unit_test(test_put_is_cut_then_clean),
        cmocka_unit_test(test_clean_matches_the_reference),
        cmocka_unit_test(test_plain_text_and_percent_escape),
        cmocka_unit_test(test_appends_accumulate),
        cmocka_unit_test(test_s_conversion),
        cmocka_unit_test(test_u_conversion_limits),
        cmocka_unit_test(test_d_conversion_signs_and_limits),
        cmocka_unit_test(test_x_conversion_lowercase_no_prefix),
        cmocka_unit_test(test_c_conversion),
        cmocka_unit_test(test_T_duration_as_h_mm_ss),
        cmocka_unit_test(test_mixed_conversions_in_one_spec),
        cmocka_unit_test(test_width_pads_on_the_left),
        cmocka_unit_test(test_left_justify_pads_on_the_right),
        cmocka_unit_test(test_width_never_cuts),
        cmocka_unit_test(test_precision_limits_string),
        cmocka_unit_test(test_precision_reads_no_more_than_n_bytes),
        cmocka_unit_test(test_bad_conversion_is_shown_not_guessed),
        cmocka_unit_test(test_vadd_takes_a_va_list),
        cmocka_unit_test(test_exact_fit_is_not_overflow),
        cmocka_unit_test(test_one_byte_too_small_cuts_and_flags),
        cmocka_unit_test(test_capacity_one_holds_only_the_nul),
        cmocka_unit_test(test_overflow_cuts_inside_each_conversion),
        cmocka_unit_test(test_overflow_sticks_and_later_text_is_dropped),
        cmocka_unit_test(test_every_capacity_cuts_a_prefix),
        cmocka_unit_test(test_json_plain_text_unchanged),
        cmocka_unit_test(test_json_escapes_quote_and_backslash),
        cmocka_unit_test(test_json_escapes_control_bytes),
        cmocka_unit_test(test_json_appends_after_existing_text),
        cmocka_unit_test(test_json_cut_at_capacity),
        cmocka_unit_test(test_precision_cuts_on_character_boundaries),
        cmocka_unit_test(test_utf8_lengths),
        cmocka_unit_test(test_json_replaces_invalid_utf8),
        cmocka_unit_test(test_W_wall_time_matches_gmtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
