/* nvrec: one checksummed record in two NV pages, on the fake flash that
 * can lose power in the middle of an erase or program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_hal.h"
#include "nvrec.h"

#define PAIR 2u               /* pages 2 and 3 */
#define HDR 20u               /* magic, format, seq, len, crc */
#define MAX_LEN (FAKE_NV_PAGE - HDR)
#define MAGIC 0x57424d53u
#define FORMAT 1u

static int setup(void **state)
{
    (void)state;
    fake_nv_reset();
    return 0;
}

/* Power comes back; the flash keeps what it held. */
static void reboot(void)
{
    static uint8_t keep[sizeof fake_nv_mem];
    memcpy(keep, fake_nv_mem, sizeof keep);
    fake_nv_reset();
    memcpy(fake_nv_mem, keep, sizeof keep);
}

static uint8_t *page_mem(uint32_t page) { return fake_nv_mem + page * FAKE_NV_PAGE; }

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes a record by hand, as nvrec_save lays it out. */
static void craft(uint32_t page, uint32_t seq, const void *data, uint32_t len)
{
    uint8_t *p = page_mem(page);
    memset(p, 0xff, FAKE_NV_PAGE);
    put32(p, MAGIC);
    put32(p + 4, FORMAT);
    put32(p + 8, seq);
    put32(p + 12, len);
    put32(p + 16, nvrec_crc32(nvrec_crc32(0, p, 16), data, len));
    memcpy(p + HDR, data, len);
}

static void save(const char *s)
{
    assert_int_equal(nvrec_save(PAIR, s, strlen(s)), NVREC_OK);
}

static void expect_load(const char *want, uint8_t damaged)
{
    char buf[FAKE_NV_PAGE + 1];
    size_t len = 12345;
    nvrec_info_t info;
    nvrec_status_t st = nvrec_load(PAIR, buf, FAKE_NV_PAGE, &len, &info);
    if (st != NVREC_OK) fail_msg("load gave %d, want '%s'", (int)st, want);
    buf[len] = '\0';
    assert_int_equal(len, strlen(want));
    assert_string_equal(buf, want);
    assert_int_equal(info.damaged, damaged);
}

static void expect_empty(uint8_t damaged)
{
    char buf[FAKE_NV_PAGE];
    size_t len = 12345;
    nvrec_info_t info;
    assert_int_equal(nvrec_load(PAIR, buf, sizeof buf, &len, &info), NVREC_EMPTY);
    assert_int_equal(len, 0);
    assert_int_equal(info.damaged, damaged);
}

static uint32_t loaded_seq(void)
{
    char buf[FAKE_NV_PAGE];
    size_t len;
    nvrec_info_t info;
    assert_int_equal(nvrec_load(PAIR, buf, sizeof buf, &len, &info), NVREC_OK);
    return info.seq;
}

/* ---- CRC and layout ---------------------------------------------------------- */

static void test_crc32_is_ieee_and_continues(void **state)
{
    (void)state;
    assert_int_equal(nvrec_crc32(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(nvrec_crc32(nvrec_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
    assert_int_equal(nvrec_crc32(0, "", 0), 0);
    /* the firmware's way (four bits at a time) and the byte table agree */
    assert_int_equal(nvrec_crc32_nibbles(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(nvrec_crc32_nibbles(nvrec_crc32_nibbles(0, "1234", 4), "56789", 5), 0xcbf43926u);
    uint8_t all[256];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)(i * 37 + 11);
    assert_int_equal(nvrec_crc32(0, all, sizeof all), nvrec_crc32_nibbles(0, all, sizeof all));
    /* every start and length, continued from a sum (words and the bytes after) */
    for (size_t at = 0; at < 8; at++)
        for (size_t len = 0; len <= 40; len++)
            assert_int_equal(nvrec_crc32(0x12345678u, all + at, len),
                             nvrec_crc32_nibbles(0x12345678u, all + at, len));
}

static void test_saved_page_has_the_documented_layout(void **state)
{
    (void)state;
    save("hello");
    uint8_t want[FAKE_NV_PAGE];
    memcpy(want, page_mem(PAIR), sizeof want);
    craft(PAIR + 4, 1, "hello", 5);
    assert_memory_equal(page_mem(PAIR + 4), want, sizeof want);
}

/* ---- load and save ------------------------------------------------------------- */

static void test_empty_store_loads_empty(void **state)
{
    (void)state;
    expect_empty(0);
}

static void test_save_load_round_trip(void **state)
{
    (void)state;
    save("hello");
    expect_load("hello", 0);
    assert_int_equal(loaded_seq(), 1);
}

static void test_empty_payload_round_trips(void **state)
{
    (void)state;
    assert_int_equal(nvrec_save(PAIR, "", 0), NVREC_OK);
    expect_load("", 0);
}

static void test_every_length_round_trips(void **state)
{
    (void)state;
    uint8_t data[MAX_LEN], buf[FAKE_NV_PAGE];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 37u + 11u);
    for (size_t n = 0; n <= MAX_LEN; n++) {
        data[0] = (uint8_t)n; /* every record differs from the one before */
        assert_int_equal(nvrec_save(PAIR, data, n), NVREC_OK);
        size_t len = 0;
        nvrec_info_t info;
        memset(buf, 0, sizeof buf);
        assert_int_equal(nvrec_load(PAIR, buf, sizeof buf, &len, &info), NVREC_OK);
        assert_int_equal(len, n);
        assert_memory_equal(buf, data, n);
        assert_int_equal(info.damaged, 0);
        assert_int_equal(info.seq, n + 1);
    }
}

static void test_saves_alternate_pages_and_load_takes_newest(void **state)
{
    (void)state;
    save("one");
    assert_int_equal(get32(page_mem(PAIR)), MAGIC);
    assert_int_equal(get32(page_mem(PAIR) + 8), 1);
    assert_int_equal(get32(page_mem(PAIR + 1)), 0xffffffffu);
    expect_load("one", 0);

    save("two");
    assert_int_equal(get32(page_mem(PAIR + 1)), MAGIC);
    assert_int_equal(get32(page_mem(PAIR + 1) + 8), 2);
    assert_int_equal(get32(page_mem(PAIR) + 8), 1); /* the older copy stays */
    expect_load("two", 0);

    save("three");
    assert_int_equal(get32(page_mem(PAIR) + 8), 3);
    assert_int_equal(get32(page_mem(PAIR + 1) + 8), 2);
    expect_load("three", 0);
    assert_int_equal(loaded_seq(), 3);

    save("four");
    assert_int_equal(get32(page_mem(PAIR + 1) + 8), 4);
    expect_load("four", 0);
}

static void test_pairs_are_independent(void **state)
{
    (void)state;
    assert_int_equal(nvrec_save(0, "zero", 4), NVREC_OK);
    save("two");
    assert_int_equal(nvrec_save(4, "four", 4), NVREC_OK);
    save("two again");
    char buf[16];
    size_t len;
    nvrec_info_t info;
    assert_int_equal(nvrec_load(0, buf, sizeof buf, &len, &info), NVREC_OK);
    assert_memory_equal(buf, "zero", 4);
    assert_int_equal(nvrec_load(4, buf, sizeof buf, &len, &info), NVREC_OK);
    assert_memory_equal(buf, "four", 4);
    expect_load("two again", 0);
    for (uint32_t p = 6; p < FAKE_NV_PAGES; p++)
        for (uint32_t i = 0; i < FAKE_NV_PAGE; i++) assert_int_equal(page_mem(p)[i], 0xff);
}

static void test_max_payload_fits_and_one_more_is_too_big(void **state)
{
    (void)state;
    uint8_t data[MAX_LEN + 1];
    memset(data, 'm', sizeof data);
    save("old");
    assert_int_equal(nvrec_save(PAIR, data, MAX_LEN + 1), NVREC_ETOOBIG);
    expect_load("old", 0);

    assert_int_equal(nvrec_save(PAIR, data, MAX_LEN), NVREC_OK);
    uint8_t before[sizeof fake_nv_mem];
    memcpy(before, fake_nv_mem, sizeof before);
    int ops = fake_nv_ops;
    assert_int_equal(nvrec_save(PAIR, data, MAX_LEN + 1), NVREC_ETOOBIG);
    assert_int_equal(nvrec_save(PAIR, data, SIZE_MAX), NVREC_ETOOBIG);
    assert_int_equal(fake_nv_ops, ops); /* nothing erased or programmed */
    assert_memory_equal(fake_nv_mem, before, sizeof before);

    uint8_t buf[MAX_LEN];
    size_t len;
    nvrec_info_t info;
    assert_int_equal(nvrec_load(PAIR, buf, sizeof buf, &len, &info), NVREC_OK);
    assert_int_equal(len, MAX_LEN);
    assert_memory_equal(buf, data, MAX_LEN);
}

static void test_load_into_too_small_buffer(void **state)
{
    (void)state;
    save("0123456789");
    char buf[16];
    memset(buf, 0x5a, sizeof buf);
    size_t len = 99;
    nvrec_info_t info;
    assert_int_equal(nvrec_load(PAIR, buf, 9, &len, &info), NVREC_ETOOBIG);
    for (size_t i = 9; i < sizeof buf; i++) assert_int_equal(buf[i], 0x5a);
    assert_int_equal(nvrec_load(PAIR, buf, 10, &len, &info), NVREC_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "0123456789", 10);
    assert_int_equal(buf[10], 0x5a);
}

/* ---- damage ------------------------------------------------------------------ */

static void test_corrupt_byte_in_newest_falls_back_to_older(void **state)
{
    (void)state;
    const char *newest = "the newest record";
    for (uint32_t at = 0; at < HDR + strlen(newest); at++) {
        for (int bit = 0; bit < 8; bit += 7) {
            fake_nv_reset();
            save("old");
            save(newest); /* on page B */
            page_mem(PAIR + 1)[at] ^= (uint8_t)(1u << bit);
            expect_load("old", 1);
            assert_int_equal(loaded_seq(), 1);
        }
    }
}

static void test_corrupt_newest_on_page_a_falls_back_to_b(void **state)
{
    (void)state;
    save("x");
    save("old");
    save("new"); /* on page A */
    page_mem(PAIR)[HDR + 1] = 0;
    expect_load("old", 1);
}

static void test_save_after_damage_replaces_the_damaged_copy(void **state)
{
    (void)state;
    save("old");
    save("new");
    page_mem(PAIR + 1)[HDR] ^= 0x20;
    expect_load("old", 1);
    save("newer"); /* must not overwrite the only good copy */
    expect_load("newer", 0);
    page_mem(PAIR + 1)[HDR] ^= 0x20; /* damage the newest again */
    expect_load("old", 1);
}

static void test_both_corrupt_is_empty_with_two_damaged(void **state)
{
    (void)state;
    save("old");
    save("new");
    page_mem(PAIR)[HDR] ^= 1;
    page_mem(PAIR + 1)[5] ^= 1; /* format word */
    expect_empty(2);

    save("fresh"); /* the store recovers */
    expect_load("fresh", 1);
    save("fresher");
    expect_load("fresher", 0);
}

static void test_garbage_pages_are_damaged_not_records(void **state)
{
    (void)state;
    uint32_t x = 1;
    for (uint32_t i = 0; i < 2 * FAKE_NV_PAGE; i++) {
        x = x * 1103515245u + 12345u;
        page_mem(PAIR)[i] = (uint8_t)(x >> 16);
    }
    expect_empty(2);

    /* a header that claims more than a page */
    craft(PAIR, 1, "abc", 3);
    put32(page_mem(PAIR) + 12, 0xfffffff0u);
    craft(PAIR + 1, 2, "abc", 3);
    put32(page_mem(PAIR + 1) + 12, MAX_LEN + 1);
    expect_empty(2);

    /* a good record beside an erased page */
    craft(PAIR + 1, 7, "abc", 3);
    memset(page_mem(PAIR), 0xff, FAKE_NV_PAGE);
    expect_load("abc", 0);
}

static void test_wrong_magic_or_format_is_damaged(void **state)
{
    (void)state;
    craft(PAIR, 1, "a", 1);
    put32(page_mem(PAIR), MAGIC ^ 1u);
    craft(PAIR + 1, 2, "b", 1);
    put32(page_mem(PAIR + 1) + 4, FORMAT + 1);
    expect_empty(2);
}

/* ---- power cuts ----------------------------------------------------------------- */

static int save_ops(const char *s)
{
    int before = fake_nv_ops;
    save(s);
    return fake_nv_ops - before;
}

static void load_one_of(const char *const *want, size_t n, size_t *which)
{
    char buf[FAKE_NV_PAGE + 1];
    size_t len = 0;
    nvrec_info_t info;
    nvrec_status_t st = nvrec_load(PAIR, buf, FAKE_NV_PAGE, &len, &info);
    if (st != NVREC_OK) fail_msg("load after a cut gave %d", (int)st);
    buf[len] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (strcmp(buf, want[i]) == 0) {
            *which = i;
            return;
        }
    }
    fail_msg("load after a cut gave '%s' (len %zu), neither old nor new", buf, len);
}

/* Starts from a store whose newest record is old (on page A when prior is
 * NULL, on page B otherwise), cuts power at op k of a save of new, reboots,
 * and checks the load and a following save. */
static void cut_one_save(const char *prior, const char *old, const char *new_, int k,
                         int ops)
{
    fake_nv_reset();
    if (prior) save(prior);
    save(old);
    fake_nv_ops_left = k;
    nvrec_status_t st = nvrec_save(PAIR, new_, strlen(new_));
    if (k < ops) {
        assert_int_equal(st, NVREC_EIO);
        assert_false(fake_nv_powered());
        /* without power nothing works, and nothing is made up */
        char buf[8];
        size_t len;
        nvrec_info_t info;
        assert_int_equal(nvrec_load(PAIR, buf, sizeof buf, &len, &info), NVREC_EIO);
        assert_int_equal(nvrec_save(PAIR, "x", 1), NVREC_EIO);
    } else {
        assert_int_equal(st, NVREC_OK);
    }
    reboot();

    const char *const either[] = {new_, old};
    size_t which = 9;
    load_one_of(either, 2, &which);
    if (st == NVREC_OK) assert_int_equal(which, 0); /* a save that said OK holds */

    save("after");
    expect_load("after", 0);
    reboot();
    expect_load("after", 0);
}

static void test_power_cut_at_every_op_keeps_old_or_new(void **state)
{
    (void)state;
    static char big[MAX_LEN + 1], odd[MAX_LEN];
    memset(big, 'B', MAX_LEN);
    memset(odd, 'O', MAX_LEN - 1);
    /* lengths that take 2, 3 and 4 NV ops: none, whole words, a tail */
    const char *const news[] = {"", "new", "new!", "a new record", "new record.", odd, big};
    const char *const olds[] = {"old", "an older record, longer than the new one", big};
    for (size_t o = 0; o < sizeof olds / sizeof olds[0]; o++) {
        for (size_t n = 0; n < sizeof news / sizeof news[0]; n++) {
            for (int b = 0; b < 2; b++) {
                const char *prior = b ? "prior" : NULL;
                fake_nv_reset();
                if (prior) save(prior);
                save(olds[o]);
                int ops = save_ops(news[n]);
                assert_true(ops >= 2 && ops <= 4);
                for (int k = 0; k <= ops; k++) cut_one_save(prior, olds[o], news[n], k, ops);
            }
        }
    }
}

/* A second cut, in the save after the reboot, still leaves a good record:
 * the newest one a save completed, or a later one. */
static void test_power_cut_twice_in_a_row(void **state)
{
    (void)state;
    const char *const recs[] = {"old", "new one", "newer one!"};
    for (int k1 = 0; k1 <= 4; k1++) {
        for (int k2 = 0; k2 <= 4; k2++) {
            fake_nv_reset();
            save(recs[0]);
            size_t done = 0;
            fake_nv_ops_left = k1;
            if (nvrec_save(PAIR, recs[1], strlen(recs[1])) == NVREC_OK) done = 1;
            reboot();
            size_t which = 9;
            load_one_of(recs, 2, &which);
            if (which < done) fail_msg("k1 %d: a completed save was lost", k1);
            done = which; /* a record the store now shows counts as done */
            fake_nv_ops_left = k2;
            if (nvrec_save(PAIR, recs[2], strlen(recs[2])) == NVREC_OK) done = 2;
            reboot();
            load_one_of(recs, 3, &which);
            if (which < done) fail_msg("k1 %d k2 %d: went back to '%s'", k1, k2, recs[which]);
            save("after");
            expect_load("after", 0);
        }
    }
}

/* ---- saves that know where the newest record is ------------------------------ */

static nvrec_info_t loaded(void)
{
    char buf[FAKE_NV_PAGE];
    size_t len;
    nvrec_info_t info;
    assert_int_equal(nvrec_load(PAIR, buf, sizeof buf, &len, &info), NVREC_OK);
    return info;
}

static void save_from(const char *s, nvrec_info_t *last)
{
    assert_int_equal(nvrec_save_from(PAIR, s, strlen(s), last), NVREC_OK);
}

static void test_save_from_goes_on_from_the_last_load_or_save(void **state)
{
    (void)state;
    save("a");
    save("b"); /* on page B */
    nvrec_info_t last = loaded();
    assert_int_equal(last.at, 1);
    assert_int_equal(last.seq, 2);
    save_from("c", &last); /* over A, the older */
    assert_int_equal(last.at, 0);
    assert_int_equal(last.seq, 3);
    save_from("d", &last);
    assert_int_equal(last.at, 1);
    expect_load("d", 0);
    page_mem(PAIR + 1)[HDR] ^= 1; /* d damaged: c, the copy kept, is there */
    expect_load("c", 1);
}

/* What the caller knows no longer holds (another save came between, or a
 * header is torn): the pair is read through, and the newest good record is
 * never the one overwritten. */
static void test_save_from_a_stale_hint_keeps_the_newest_good_record(void **state)
{
    (void)state;
    save("a");
    nvrec_info_t last = loaded(); /* a, seq 1, page A */
    save("b");
    save("c");
    save("d"); /* page A holds c, seq 3, not the hint's a; B holds d, the newest */
    nvrec_info_t stale = last;
    fake_nv_ops_left = 0; /* cut at once: the erase of the page written over */
    assert_int_equal(nvrec_save_from(PAIR, "x", 1, &stale), NVREC_EIO);
    reboot();
    expect_load("d", 0); /* not d overwritten and c left */
    last = loaded(); /* d on B */
    save("c2"); /* over A: B's header still matches the hint, but A is newer */
    save_from("e", &last); /* over B */
    expect_load("e", 0);
    page_mem(PAIR + 1)[HDR] ^= 1;
    expect_load("c2", 1);
    page_mem(PAIR + 1)[HDR] ^= 1; /* e whole again */

    last = loaded(); /* e on B: a torn header there sends the save the long way */
    page_mem(PAIR + 1)[0] ^= 1;
    save_from("f", &last); /* over B, the bad one: A's c2 is kept */
    expect_load("f", 0);
    page_mem(PAIR + 1)[HDR] ^= 1;
    expect_load("c2", 1);

    /* a hint from another store (or another time) whose page holds an
     * older record than the hint says: not taken */
    nvrec_info_t other = {0, 0, 5};
    fake_nv_reset();
    save("x"); /* A, 1 */
    save("y"); /* B, 2: the newest, though not newer than the hint's 5 */
    fake_nv_ops_left = 0;
    assert_int_equal(nvrec_save_from(PAIR, "z", 1, &other), NVREC_EIO);
    reboot();
    expect_load("y", 0);

    /* a hint naming the newest page, but not the record on it: that
     * record's payload is checked, not trusted */
    fake_nv_reset();
    save("a"); /* A, 1 */
    nvrec_info_t mine = loaded();
    save("b"); /* B, 2 */
    save("c"); /* A, 3: the newest, not the hint's */
    page_mem(PAIR)[HDR] ^= 1;
    fake_nv_ops_left = 0;
    assert_int_equal(nvrec_save_from(PAIR, "z", 1, &mine), NVREC_EIO);
    reboot();
    expect_load("b", 0); /* b kept: c checked, found bad, and the one written over */

    nvrec_info_t none = {0, 0, 0}; /* nothing known */
    fake_nv_reset();
    save_from("f", &none);
    expect_load("f", 0);
    assert_int_equal(none.seq, 1);
}

/* The price nvrec.h states: a payload damaged in place since the last save
 * is taken as good, so the older copy is the one overwritten. */
static void test_save_from_trusts_a_payload_it_wrote(void **state)
{
    (void)state;
    save("old");
    nvrec_info_t last = loaded();
    save_from("new", &last); /* B */
    page_mem(PAIR + 1)[HDR] ^= 1;
    save_from("newer", &last); /* over A: "old" is gone */
    expect_load("newer", 1);
}

static void test_save_from_cut_by_power_keeps_old_or_new(void **state)
{
    (void)state;
    for (int k = 0; k <= 3; k++) {
        fake_nv_reset();
        save("prior");
        nvrec_info_t last = loaded();
        save_from("old", &last);
        fake_nv_ops_left = k;
        nvrec_status_t st = nvrec_save_from(PAIR, "new!", 4, &last);
        if (k < 3) {
            assert_int_equal(st, NVREC_EIO);
            assert_int_equal(last.seq, 0); /* the next save reads the pair through */
        } else {
            assert_int_equal(st, NVREC_OK);
        }
        reboot();
        const char *const either[] = {"new!", "old"};
        size_t which = 9;
        load_one_of(either, 2, &which);
        if (st == NVREC_OK) assert_int_equal(which, 0);
        save_from("after", &last);
        expect_load("after", 0);
        reboot();
        expect_load("after", 0);
    }
}

/* ---- the sequence wrap ------------------------------------------------------------ */

static void test_sequence_wraps_past_uint32_max(void **state)
{
    (void)state;
    craft(PAIR, UINT32_MAX - 1, "a", 1);
    craft(PAIR + 1, UINT32_MAX, "b", 1);
    expect_load("b", 0);
    assert_int_equal(loaded_seq(), UINT32_MAX);

    save("c"); /* seq 0, over page A */
    assert_int_equal(get32(page_mem(PAIR) + 8), 0);
    expect_load("c", 0);
    assert_int_equal(loaded_seq(), 0);

    save("d"); /* seq 1, over page B */
    assert_int_equal(get32(page_mem(PAIR + 1) + 8), 1);
    expect_load("d", 0);
    assert_int_equal(loaded_seq(), 1);

    page_mem(PAIR + 1)[HDR] ^= 1; /* the older one, across the wrap, is the backup */
    expect_load("c", 1);
}

static void test_newest_is_decided_wrap_safely(void **state)
{
    (void)state;
    static const struct { uint32_t a, b; const char *want; } cases[] = {
        {UINT32_MAX, 0, "B"}, {0, UINT32_MAX, "A"}, {1, 2, "B"}, {2, 1, "A"},
        {UINT32_MAX - 5, 3, "B"}, {0x7fffffffu, 0x80000000u, "B"}, {5, 4, "A"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        craft(PAIR, cases[i].a, "A", 1);
        craft(PAIR + 1, cases[i].b, "B", 1);
        expect_load(cases[i].want, 0);
        /* and a save goes over the older one */
        save("N");
        expect_load("N", 0);
        const char *survivor = cases[i].want;
        uint32_t n_page = PAIR + (strcmp(survivor, "A") == 0 ? 1u : 0u);
        page_mem(n_page)[HDR] ^= 1; /* damage N: the newer of A and B is left */
        expect_load(survivor, 1);
    }
}

/* A record's tail: written in the page of the record named, after its
 * payload, only while that record is the pair's newest; read back from
 * there; a save of the pair erases it with the page. */
static void test_tail_follows_the_newest_record(void **state)
{
    (void)state;
    nvrec_info_t info = {0, 0, 0}, none = {0, 0, 0};
    size_t len;
    uint8_t buf[8];
    assert_int_equal(nvrec_save_from(PAIR, "hello", 5, &info), NVREC_OK);
    uint32_t off = HDR + 8; /* the payload's words */
    assert_int_equal(nvrec_tail_append(PAIR, &info, off, "tail", 4), NVREC_OK);
    assert_memory_equal(page_mem(PAIR + info.at) + off, "tail", 4);
    assert_int_equal(nvrec_tail_read(PAIR, &info, off, buf, 4), NVREC_OK);
    assert_memory_equal(buf, "tail", 4);
    expect_load("hello", 0); /* the record's CRC does not cover it */
    assert_int_equal(nvrec_tail_append(PAIR, &info, HDR + 4, "over", 4), NVREC_ETOOBIG); /* its payload */
    assert_int_equal(nvrec_tail_append(PAIR, &info, off + 4, "odd", 3), NVREC_ETOOBIG); /* whole words */
    assert_int_equal(nvrec_tail_append(PAIR, &info, FAKE_NV_PAGE - 4, "past", 8), NVREC_ETOOBIG);
    assert_int_equal(nvrec_tail_append(PAIR, &none, off + 4, "none", 4), NVREC_ETOOBIG);
    nvrec_info_t old = info;
    assert_int_equal(nvrec_save(PAIR, "newer", 5), NVREC_OK); /* someone else's save */
    assert_int_equal(nvrec_tail_append(PAIR, &old, off + 4, "late", 4), NVREC_EMOVED);
    assert_int_equal(nvrec_load(PAIR, NULL, 0, &len, &info), NVREC_OK);
    assert_int_equal(nvrec_save_from(PAIR, "third", 5, &info), NVREC_OK); /* over "hello" and its tail */
    assert_int_equal(info.at, old.at);
    assert_int_equal(nvrec_tail_read(PAIR, &info, off, buf, 4), NVREC_OK);
    assert_memory_equal(buf, "\xff\xff\xff\xff", 4);
    fake_nv_program_errors = 1;
    assert_int_equal(nvrec_tail_append(PAIR, &info, off, "fail", 4), NVREC_EIO);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_crc32_is_ieee_and_continues),
        T(test_saved_page_has_the_documented_layout),
        T(test_empty_store_loads_empty),
        T(test_save_load_round_trip),
        T(test_empty_payload_round_trips),
        T(test_every_length_round_trips),
        T(test_saves_alternate_pages_and_load_takes_newest),
        T(test_pairs_are_independent),
        T(test_max_payload_fits_and_one_more_is_too_big),
        T(test_load_into_too_small_buffer),
        T(test_corrupt_byte_in_newest_falls_back_to_older),
        T(test_corrupt_newest_on_page_a_falls_back_to_b),
        T(test_save_after_damage_replaces_the_damaged_copy),
        T(test_both_corrupt_is_empty_with_two_damaged),
        T(test_garbage_pages_are_damaged_not_records),
        T(test_wrong_magic_or_format_is_damaged),
        T(test_power_cut_at_every_op_keeps_old_or_new),
        T(test_power_cut_twice_in_a_row),
        T(test_save_from_goes_on_from_the_last_load_or_save),
        T(test_save_from_a_stale_hint_keeps_the_newest_good_record),
        T(test_save_from_trusts_a_payload_it_wrote),
        T(test_save_from_cut_by_power_keeps_old_or_new),
        T(test_sequence_wraps_past_uint32_max),
        T(test_newest_is_decided_wrap_safely),
        T(test_tail_follows_the_newest_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
