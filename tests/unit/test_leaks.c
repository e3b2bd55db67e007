/* leaks: the table of leak sources on its own: rates over the sliding
 * window, the order operators read, the row that gives way, and what the
 * NV store gives back, good or hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "fake_hal.h"
#include "leaks.h"
#include "nvrec.h"
#include "text.h"

#define H 3600u
#define T0 1796400000u /* a wall time */

static leaks_t t;

static int setup(void **state)
{
    (void)state;
    fake_nv_reset();
    leaks_init(&t);
    return 0;
}

/* The table's calls with each source's key worked out, as the agent's. */
static void src_stale(leaks_t *l, const char *client, const char *user, sess_reason_t why, uint32_t when)
{
    leaks_stale(l, leaks_key(client, user), client, user, why, when);
}

static void src_ended(leaks_t *l, const char *client, const char *user, bool evicted)
{
    leaks_ended(l, leaks_key(client, user), client, user, evicted);
}

static bool src_seen(const leaks_t *l, const char *client, const char *user, uint32_t when)
{
    return leaks_seen(l, leaks_key(client, user), client, user, when);
}

static const leak_t *row(const char *client, const char *user)
{
    for (const leak_t *l = t.row; l < t.row + AGENT_LEAK_CAP; l++)
        if (l->client[0] && strcmp(l->client, client) == 0 && strcmp(l->user, user) == 0) return l;
    return NULL;
}

static void test_counts_and_rate_window(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 6; i++) src_stale(&t, "FS1", "CORP\\svc", REASON_IDLE, T0 + i * 600);
    src_stale(&t, "fs1", "corp\\SVC", REASON_DUPLICATE, T0 + 3600); /* the same source, any case */
    const leak_t *l = row("FS1", "CORP\\svc");
    assert_non_null(l);
    assert_int_equal(leaks_rows(&t), 1);
    assert_int_equal(leak_total(l), 7);
    assert_int_equal(l->by_reason[REASON_IDLE - 1], 6);
    assert_int_equal(l->by_reason[REASON_DUPLICATE - 1], 1);
    assert_int_equal(leak_reason(l), REASON_IDLE);
    assert_int_equal(l->first_s, T0);
    assert_int_equal(l->last_s, T0 + 3600);
    /* young: over one slot (4 h) at least: 7 in 4 h is 42 a day */
    assert_int_equal(leak_rate10(l, T0 + 2 * H), 420);
    /* 7 in the 10 h since the first: 16.8 a day */
    assert_int_equal(leak_rate10(l, T0 + 10 * H), 168);
    /* a day and more later, the window has moved past them all */
    assert_int_equal(leak_rate10(l, T0 + 29 * H), 0);
    assert_int_equal(leak_total(l), 7); /* the counts stay */
    /* a new leak after the gap: only it is in the window (24 h span) */
    src_stale(&t, "FS1", "CORP\\svc", REASON_IDLE, T0 + 30 * H);
    assert_in_range(leak_rate10(l, T0 + 30 * H), 9, 12);
    /* one that leaked before the newest slot goes in its own slot */
    src_stale(&t, "FS1", "CORP\\svc", REASON_IDLE, T0 + 21 * H);
    assert_in_range(leak_rate10(l, T0 + 30 * H), 19, 22);
    assert_int_equal(l->first_s, T0);
    assert_int_equal(l->last_s, T0 + 30 * H);
    /* ended sessions */
    src_ended(&t, "FS1", "CORP\\svc", true);
    src_ended(&t, "FS1", "CORP\\svc", false);
    src_ended(&t, "NOPE", "x", true);
    assert_int_equal(l->evicted, 1);
    assert_int_equal(l->ended, 1);
    /* reasons that are no leak are not counted */
    src_stale(&t, "X", "y", REASON_EVICTED, T0);
    src_stale(&t, "X", "y", REASON_NONE, T0);
    assert_int_equal(leaks_rows(&t), 1);
}

static void test_order_hints_and_totals(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) src_stale(&t, "A", "u", REASON_IDLE, T0 + (uint32_t)i);
    for (int i = 0; i < 5; i++) src_stale(&t, "10.0.0.7", "", REASON_NULL, T0 + (uint32_t)i);
    for (int i = 0; i < 3; i++) src_stale(&t, "B", "u", REASON_ORPHAN, T0 + (uint32_t)i);
    src_stale(&t, "C", "v", REASON_DUPLICATE, T0);
    uint32_t now = T0 + H;
    const leak_t *a = leaks_next(&t, now, NULL), *b = leaks_next(&t, now, a);
    const leak_t *c = leaks_next(&t, now, b), *d = leaks_next(&t, now, c);
    assert_string_equal(a->client, "10.0.0.7"); /* highest rate */
    assert_string_equal(b->client, "A");        /* A and B tie: table order */
    assert_string_equal(c->client, "B");
    assert_string_equal(d->client, "C");
    assert_null(leaks_next(&t, now, d));
    assert_int_equal(leaks_rate10(&t, now), 5 * 60 + 3 * 60 + 3 * 60 + 60);
    assert_non_null(strstr(leak_hint(a), "null sessions"));
    assert_non_null(strstr(leak_hint(b), "scheduled tasks"));
    assert_non_null(strstr(leak_hint(c), "dead client"));
    assert_non_null(strstr(leak_hint(d), "several logons"));
}

/* A full table: the row with the fewest sessions gives way, so a flood of
 * new one-off sources cannot push out a real leak. */
static void test_full_table_drops_the_least(void **state)
{
    (void)state;
    char name[16];
    for (int i = 0; i < 4; i++) src_stale(&t, "REAL", "CORP\\svc", REASON_IDLE, T0 - 3 * 24 * H);
    for (uint32_t i = 0; i < 3 * AGENT_LEAK_CAP; i++) {
        snprintf(name, sizeof name, "10.9.%u.%u", i / 250, i % 250);
        src_stale(&t, name, "", REASON_NULL, T0 + i);
    }
    assert_int_equal(leaks_rows(&t), AGENT_LEAK_CAP);
    assert_int_equal(t.dropped, 2 * AGENT_LEAK_CAP + 1);
    assert_non_null(row("REAL", "CORP\\svc"));
    /* the newest flood sources are kept: among equals, the longest quiet goes */
    snprintf(name, sizeof name, "10.9.%u.%u", (3 * AGENT_LEAK_CAP - 1) / 250, (3 * AGENT_LEAK_CAP - 1) % 250);
    assert_non_null(row(name, ""));
}

/* Rows are found through a probe table by key: as sources come and rows
 * give way (entries moving up into the gaps), every source in the table is
 * found again, for a new stale session and for one that ended, and none is
 * kept twice. */
static void test_sources_found_through_turnover(void **state)
{
    (void)state;
    char client[16];
    uint32_t seed = 1;
    for (uint32_t i = 0; i < 3000; i++) {
        seed = seed * 1103515245u + 12345u;
        snprintf(client, sizeof client, "c%u", (seed >> 16) % (5 * AGENT_LEAK_CAP));
        src_stale(&t, client, "u", REASON_IDLE, T0 + i);
        const leak_t *l = row(client, "u");
        assert_non_null(l);
        uint32_t n = leak_total(l), ended = l->ended;
        src_ended(&t, client, "u", false);
        client[0] = 'C'; /* any case */
        src_stale(&t, client, "U", REASON_IDLE, T0 + i);
        assert_int_equal(l->ended, ended + 1);
        assert_int_equal(leak_total(l), n + 1);
        for (const leak_t *a = t.row; a < t.row + AGENT_LEAK_CAP; a++)
            for (const leak_t *b = a + 1; a->client[0] && b < t.row + AGENT_LEAK_CAP; b++)
                assert_false(b->client[0] && strcasecmp(a->client, b->client) == 0);
    }
    assert_int_equal(leaks_rows(&t), AGENT_LEAK_CAP);
    assert_true(t.dropped > 1000);
}

/* A source's key: the same whether the client's hash is worked out here or
 * handed in, blind to case, and a client "" is the row's "?". */
static void test_source_keys(void **state)
{
    (void)state;
    const char *c = "WS-Abc", *u = "CORP\\Svc";
    assert_int_equal(leaks_key_hashed(c, text_ihash(c), u), leaks_key(c, u));
    assert_int_equal(leaks_key("ws-abc", "corp\\svc"), leaks_key(c, u));
    assert_int_equal(leaks_key("", ""), leaks_key("?", ""));
    assert_int_equal(leaks_key_hashed("", text_ihash(""), ""), leaks_key("?", ""));
    assert_true(leaks_key(c, u) != leaks_key(u, c));
    src_stale(&t, "", "", REASON_NULL, T0);
    assert_non_null(row("?", ""));
    leaks_ended(&t, leaks_key_hashed("", text_ihash(""), ""), "", "", false);
    assert_int_equal(row("?", "")->ended, 1);
}

static void test_counts_stop_at_the_top(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 70000; i++) src_stale(&t, "S", "u", REASON_IDLE, T0);
    const leak_t *l = row("S", "u");
    assert_int_equal(l->by_reason[0], LEAK_COUNT_MAX);
    assert_int_equal(l->slot[0], LEAK_COUNT_MAX);
    assert_true(leak_rate10(l, T0) > 0);
    /* long names are cut on a character boundary, never overrun */
    char longname[100];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    src_stale(&t, longname, longname, REASON_IDLE, T0);
    assert_int_equal(leaks_rows(&t), 2);
    /* and the row is found again by the name it keeps */
    char kept[HAL_SMB_CLIENT_MAX];
    memcpy(kept, longname, sizeof kept - 1);
    kept[sizeof kept - 1] = '\0';
    src_stale(&t, kept, kept, REASON_IDLE, T0);
    assert_int_equal(leaks_rows(&t), 2);
    assert_int_equal(row(kept, kept)->by_reason[0], 2);
}

/* Both ways of a * b / c: the long division the Cortex-M3 takes, and the
 * one this machine does; random operands, and the edges. */
static void test_muldiv(void **state)
{
    (void)state;
    static const uint32_t edge[][4] = {
        {7, 864000, 14400, 420},
        {4000000, 4000000, 8000000, 2000000},
        {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
        {0xffffffffu, 3, 2, UINT32_MAX}, /* saturates */
        {123456789, 30, 7, 529100524u},
        {0x80000000u, 0x80000000u, 0x80000001u, 2147483647u},
        {0xffffffffu, 0xfffffffeu, 0xffffffffu, 0xfffffffeu},
        {30, 864000, 86400, 300},
        {0, 5, 1, 0},
    };
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        assert_int_equal(leaks_muldiv_bits(edge[i][0], edge[i][1], edge[i][2]), edge[i][3]);
        assert_int_equal(leaks_muldiv(edge[i][0], edge[i][1], edge[i][2]), edge[i][3]);
    }
    uint32_t x = 2463534242u;
    for (int i = 0; i < 100000; i++) {
        uint32_t v[3];
        for (int k = 0; k < 3; k++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            v[k] = x >> (x % 32);
        }
        if (!v[2]) v[2] = 1;
        uint64_t want = (uint64_t)v[0] * v[1] / v[2];
        assert_int_equal(leaks_muldiv_bits(v[0], v[1], v[2]), want > UINT32_MAX ? UINT32_MAX : want);
    }
}

/* The rows a pair of pages holds (on the fake store's small pages). */
static uint32_t per_pair(void)
{
    return (FAKE_NV_PAGE - NVREC_HEADER - 12) / sizeof(leak_t);
}

static void test_saved_and_loaded(void **state)
{
    (void)state;
    uint32_t kept = per_pair() * (AGENT_NV_LEAK_PAGES / 2);
    assert_true(kept >= 3);
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_IDLE, T0);
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_LIMIT, T0 + 5);
    src_stale(&t, "10.1.4.22", "", REASON_NULL, T0 + 7);
    src_ended(&t, "FS-BACKUP01", "CORP\\svc_backup", true);
    t.dropped = 3;
    leaks_save(&t);
    leaks_t back;
    memset(&back, 0xa5, sizeof back);
    leaks_load(&back);
    assert_memory_equal(back.row, t.row, sizeof t.row);
    assert_memory_equal(back.total, t.total, sizeof t.total); /* which row gives way */
    assert_int_equal(back.dropped, 3);
    /* what was read back says which stale sessions it counted already */
    assert_true(src_seen(&back, "fs-backup01", "corp\\svc_backup", T0 + 5));
    assert_true(src_seen(&back, "FS-BACKUP01", "CORP\\svc_backup", T0 - 100));
    assert_false(src_seen(&back, "FS-BACKUP01", "CORP\\svc_backup", T0 + 6));
    assert_false(src_seen(&back, "OTHER", "CORP\\svc_backup", T0));
    src_stale(&back, "NEW", "u", REASON_IDLE, T0 + 9); /* this start's rows: none read back */
    assert_false(src_seen(&back, "NEW", "u", T0));
    /* nothing changed since: nothing written */
    uint8_t before[sizeof fake_nv_mem];
    memcpy(before, fake_nv_mem, sizeof before);
    leaks_save(&t);
    assert_memory_equal(before, fake_nv_mem, sizeof before);
    /* a change is written the next time */
    src_ended(&t, "10.1.4.22", "", false);
    leaks_save(&t);
    leaks_load(&back);
    assert_memory_equal(back.row, t.row, sizeof t.row);
}

/* Whatever the NV store holds, loading gives a table that is safe to use:
 * texts terminated and printable, no source twice, nothing from a record
 * of another format or size. */
static void test_hostile_store(void **state)
{
    (void)state;
    uint8_t buf[FAKE_NV_PAGE];
    uint32_t per = per_pair();
    leak_t bad;
    memset(&bad, 'A', sizeof bad);  /* no terminator anywhere */
    bad.client[3] = '\x1b';
    uint32_t head[3] = {0x314b4c53u, 0xffffffffu, 1};
    memcpy(buf, head, 12);
    memcpy(buf + 12, &bad, sizeof bad);
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE, buf, 12 + sizeof bad), NVREC_OK);
    /* the same source again in the next pair */
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE + 2, buf, 12 + sizeof bad), NVREC_OK);
    /* a pair claiming more rows than it has */
    head[2] = per + 1;
    memcpy(buf, head, 12);
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE + 4, buf, 12 + sizeof bad), NVREC_OK);
    /* another format */
    head[0] = 0x394b4c53u; /* "SLK9" */
    head[2] = 1;
    memcpy(buf, head, 12);
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE + 6, buf, 12 + sizeof bad), NVREC_OK);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 1);
    const leak_t *l = leaks_next(&t, T0, NULL);
    assert_non_null(l);
    assert_int_equal(strlen(l->client), sizeof l->client - 1);
    assert_int_equal(l->client[3], '?');
    assert_int_equal(strlen(l->user), sizeof l->user - 1);
    assert_int_equal(t.dropped, 0xffffffffu);
    /* usable: counted on, ordered, rated whatever its stamps */
    src_stale(&t, l->client, l->user, REASON_IDLE, T0);
    (void)leak_rate10(l, 0);
    (void)leak_rate10(l, UINT32_MAX);
    assert_int_equal(leaks_rows(&t), 1);
    /* a torn pair (power cut while it was written) loads its last good copy,
     * or nothing */
    memset(fake_nv_mem + AGENT_NV_LEAK_PAGE * FAKE_NV_PAGE, 0x5a, FAKE_NV_PAGE);
    memset(fake_nv_mem + (AGENT_NV_LEAK_PAGE + 1) * FAKE_NV_PAGE, 0x5a, FAKE_NV_PAGE);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 1); /* the second pair's copy */
}

/* A pair in the saved form: "SLK2", dropped, n, then the rows given. */
static size_t compact(uint8_t *buf, uint32_t n, const void *rows, size_t len)
{
    uint32_t head[3] = {0x324b4c53u, 0, n};
    memcpy(buf, head, 12);
    memcpy(buf + 12, rows, len);
    return 12 + len;
}

/* Rows are saved as their texts up to their ends and their counts (a
 * row of 124 bytes in RAM is 61 for "WS-00012" and "CORP\user12"); a
 * pair whose rows do not end where the record does, or a text without its
 * end inside its field, is not loaded. Pairs of the first form (rows as
 * in RAM) still load, and are saved in the new form once changed. */
static void test_saved_form(void **state)
{
    (void)state;
    src_stale(&t, "WS-00012", "CORP\\user12", REASON_IDLE, T0);
    leaks_save(&t);
    size_t len;
    nvrec_info_t info;
    uint8_t buf[FAKE_NV_PAGE];
    assert_int_equal(nvrec_load(AGENT_NV_LEAK_PAGE, buf, sizeof buf, &len, &info), NVREC_OK);
    uint32_t per = per_pair();
    assert_int_equal(len, 12 + 9 + 12 + (sizeof(leak_t) - offsetof(leak_t, first_s)) + (per - 1));
    assert_memory_equal(buf + 12, "WS-00012\0CORP\\user12", 21);

    uint8_t rows[3 * sizeof(leak_t)], counts[sizeof(leak_t) - offsetof(leak_t, first_s)];
    memset(counts, 0, sizeof counts);
    counts[12] = 2; /* by_reason[IDLE] */
    size_t k = 0;
    memcpy(rows, "A\0B\0", 4), k = 4;
    memcpy(rows + k, counts, sizeof counts), k += sizeof counts;
    rows[k++] = 0; /* a free row */
    const struct { size_t cut; uint32_t n; size_t extra; bool good; } cases[] = {
        {0, 2, 0, true},               /* as written */
        {1, 2, 0, false},              /* counts cut short */
        {0, 3, 0, false},              /* a row claimed that is not there */
        {0, 2, 1, false},              /* a byte after the last row */
        {sizeof counts + 2, 2, 0, false}, /* the record ends inside the user */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fake_nv_reset();
        uint8_t more[sizeof rows + 1];
        memcpy(more, rows, k);
        more[k] = 'x';
        size_t n = compact(buf, cases[c].n, more, k - cases[c].cut + cases[c].extra);
        assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE, buf, n), NVREC_OK);
        leaks_load(&t);
        assert_int_equal(leaks_rows(&t), cases[c].good);
        if (cases[c].good) assert_int_equal(leak_total(leaks_next(&t, T0, NULL)), 2);
    }
    /* a client whose end is past its field */
    fake_nv_reset();
    memset(rows, 'C', sizeof rows);
    k = sizeof((leak_t *)0)->client + 10;
    rows[k++] = 0;
    memcpy(rows + k, "u\0", 2), k += 2;
    memcpy(rows + k, counts, sizeof counts), k += sizeof counts;
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE, buf, compact(buf, 1, rows, k)), NVREC_OK);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 0);

    /* the first form, rows as in RAM: loaded, and saved anew once changed */
    fake_nv_reset();
    leak_t row;
    memset(&row, 0, sizeof row);
    memset(row.client, 'J', sizeof row.client + sizeof row.user); /* bytes after the texts' ends */
    strcpy(row.client, "WS-OLD");
    strcpy(row.user, "CORP\\old");
    row.by_reason[0] = 3;
    uint32_t head[3] = {0x314b4c53u, 0, 1};
    memcpy(buf, head, 12);
    memcpy(buf + 12, &row, sizeof row);
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE, buf, 12 + sizeof row + 4), NVREC_OK);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 0); /* not the size its rows make */
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE, buf, 12 + sizeof row), NVREC_OK);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 1);
    src_stale(&t, "ws-old", "corp\\OLD", REASON_IDLE, T0);
    leaks_save(&t);
    static leaks_t back;
    leaks_load(&back);
    assert_int_equal(leak_total(leaks_next(&back, T0, NULL)), 4);
    assert_memory_equal(back.row, t.row, sizeof t.row); /* as kept, nothing after the ends */
    assert_int_equal(nvrec_load(AGENT_NV_LEAK_PAGE, buf, sizeof buf, &len, &info), NVREC_OK);
    assert_int_equal(len, 12 + 7 + 9 + sizeof counts + (per - 1));
}

/* A source dropped at load as the copy of an earlier row (a power cut
 * between the saves of two pairs can leave one, when a source moved) is
 * gone from the store at the next save: it does not come back once the
 * row it copied gives way. */
static void test_a_copy_dropped_at_load_is_not_kept(void **state)
{
    (void)state;
    uint8_t buf[12 + sizeof(leak_t)];
    uint32_t head[3] = {0x314b4c53u, 0, 1};
    leak_t row;
    memset(&row, 0, sizeof row);
    strcpy(row.client, "WS-OLD");
    strcpy(row.user, "CORP\\old");
    row.by_reason[0] = 3;
    memcpy(buf, head, 12);
    memcpy(buf + 12, &row, sizeof row);
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE, buf, sizeof buf), NVREC_OK);
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE + 2, buf, sizeof buf), NVREC_OK);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 1);
    uint8_t before[sizeof fake_nv_mem];
    memcpy(before, fake_nv_mem, sizeof before);
    leaks_save(&t); /* nothing counted since: the copy's pair is written without it */
    assert_memory_not_equal(before + (AGENT_NV_LEAK_PAGE + 2) * FAKE_NV_PAGE,
                            fake_nv_mem + (AGENT_NV_LEAK_PAGE + 2) * FAKE_NV_PAGE, 2 * FAKE_NV_PAGE);
    assert_memory_equal(before, fake_nv_mem, (AGENT_NV_LEAK_PAGE + 2) * FAKE_NV_PAGE); /* the first pair: as it was */
    memcpy(before, fake_nv_mem, sizeof before);
    leaks_load(&t);
    leaks_save(&t); /* a table loaded whole, its free rows included: nothing to write */
    assert_memory_equal(before, fake_nv_mem, sizeof before);
    strcpy(row.client, "WS-NEW"); /* the first pair's row gives way */
    memcpy(buf + 12, &row, sizeof row);
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE, buf, sizeof buf), NVREC_OK);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 1);
    assert_string_equal(leaks_next(&t, T0, NULL)->client, "WS-NEW");
}

/* Where pair 0's newest record ends in its page: its changed rows follow. */
static uint32_t pair0_tail(uint32_t *page)
{
    size_t len;
    nvrec_info_t info;
    uint8_t buf[FAKE_NV_PAGE];
    assert_int_equal(nvrec_load(AGENT_NV_LEAK_PAGE, buf, sizeof buf, &len, &info), NVREC_OK);
    *page = AGENT_NV_LEAK_PAGE + info.at;
    return NVREC_HEADER + (((uint32_t)len + 3u) & ~3u);
}

static void assert_loads_as(const leaks_t *want)
{
    static leaks_t back;
    memset(&back, 0xa5, sizeof back);
    leaks_load(&back);
    assert_memory_equal(back.row, want->row, sizeof want->row);
    assert_int_equal(back.dropped, want->dropped);
}

/* A row changed since its pair was written goes after the pair's record,
 * in the same page: no erase until the page is full, then the pair is
 * written anew over its other page. Every save reads back as the table. */
static void test_changed_rows_follow_their_record(void **state)
{
    (void)state;
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_IDLE, T0);
    src_stale(&t, "10.1.4.22", "", REASON_NULL, T0 + 7);
    src_stale(&t, "APP-SCAN02", "CORP\\svc_scan", REASON_DUPLICATE, T0 + 9);
    leaks_save(&t);
    assert_int_equal(fake_nv_erases, 1);
    assert_loads_as(&t);
    uint32_t page, first_page;
    uint32_t tail = pair0_tail(&first_page);
    int rounds = 0;
    for (; fake_nv_erases == 1; rounds++) {
        int ops = fake_nv_ops;
        src_stale(&t, "fs-backup01", "corp\\svc_backup", REASON_LIMIT, T0 + 60u * (uint32_t)rounds);
        if (rounds % 3 == 0) src_ended(&t, "10.1.4.22", "", rounds % 2);
        t.dropped = (uint32_t)rounds;
        leaks_save(&t);
        assert_loads_as(&t);
        if (fake_nv_erases == 1) { /* in the tail: one program for the sample's rows */
            assert_int_equal(fake_nv_ops, ops + 1);
            assert_int_equal(pair0_tail(&page), tail);
            assert_int_equal(page, first_page);
        }
    }
    assert_true(rounds > 4); /* a page holds several samples' changes */
    pair0_tail(&page);
    assert_int_not_equal(page, first_page); /* full: written anew over the other page */
    src_stale(&t, "APP-SCAN02", "CORP\\svc_scan", REASON_IDLE, T0 + H);
    leaks_save(&t); /* and its changes follow that record */
    assert_int_equal(fake_nv_erases, 2);
    assert_loads_as(&t);
}

/* A save cut by a power loss at any word leaves the table as it was
 * before or as it was to be; the rows cut off are written again, the
 * pair anew, once it is running again. */
static void test_a_cut_change(void **state)
{
    (void)state;
    static leaks_t before, after, back;
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_IDLE, T0);
    src_stale(&t, "10.1.4.22", "", REASON_NULL, T0 + 7);
    leaks_save(&t);
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_IDLE, T0 + 60); /* one change written */
    leaks_save(&t);
    before = t;
    fake_nv_keep(0);
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_LIMIT, T0 + 120);
    src_stale(&t, "WS-NEW", "CORP\\new", REASON_IDLE, T0 + 130);
    after = t;
    bool done = false;
    int cuts = 0;
    for (int k = 0; !done; k++, cuts++) {
        fake_nv_back(0);
        fake_nv_reset_power();
        fake_nv_word_cuts = true;
        fake_nv_ops_left = k;
        t = after;
        leaks_save(&t);
        done = fake_nv_powered();
        fake_nv_ops_left = -1;
        fake_nv_word_cuts = false;
        fake_nv_reset_power();
        leaks_load(&back);
        bool as_before = memcmp(back.row, before.row, sizeof back.row) == 0;
        bool as_after = memcmp(back.row, after.row, sizeof back.row) == 0;
        assert_true(as_before || as_after || !done); /* each row before or after */
        for (int i = 0; i < AGENT_LEAK_CAP; i++)
            assert_true(memcmp(&back.row[i], &before.row[i], sizeof back.row[i]) == 0 ||
                        memcmp(&back.row[i], &after.row[i], sizeof back.row[i]) == 0);
        if (done) assert_true(as_after);
        /* running again: the next change is written, and reads back */
        src_stale(&back, "WS-LATER", "CORP\\later", REASON_IDLE, T0 + 200);
        t = back;
        leaks_save(&t);
        assert_loads_as(&t);
    }
    assert_true(cuts > 4);
}

/* A delta as leaks_save writes it, for row i of pair 0 after the record
 * numbered seq: tag, row, length; dropped; the row; zeros; the CRC. */
static uint32_t delta(uint8_t *d, uint32_t seq, uint32_t i, const void *row, uint32_t k, uint32_t dropped)
{
    uint32_t head = 0xd1u | i << 8 | k << 16, size = 8 + ((k + 3u) & ~3u);
    memset(d, 0, size);
    memcpy(d, &head, 4);
    memcpy(d + 4, &dropped, 4);
    memcpy(d + 8, row, k);
    uint32_t crc = nvrec_crc32(seq, d, size);
    memcpy(d + size, &crc, 4);
    return size + 4;
}

/* The next change to WS-X's row writes pair 0 anew (an erase), not after
 * its record, and reads back. */
static void assert_next_change_writes_anew(void)
{
    int erases = fake_nv_erases;
    src_stale(&t, "WS-X", "u", REASON_IDLE, T0 + 9);
    leaks_save(&t);
    assert_int_equal(fake_nv_erases, erases + 1);
    assert_loads_as(&t);
}

/* Whatever follows a pair's record, a load takes only the changes that
 * check out, in order, and stops at the first that does not; the table is
 * safe to use; a tail that is not clean after them is not written on. */
static void test_hostile_changes(void **state)
{
    (void)state;
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_IDLE, T0);
    src_stale(&t, "10.1.4.22", "", REASON_NULL, T0 + 7);
    leaks_save(&t);
    uint32_t page, tail = pair0_tail(&page), seq;
    nvrec_info_t info;
    size_t len;
    assert_int_equal(nvrec_load(AGENT_NV_LEAK_PAGE, NULL, 0, &len, &info), NVREC_OK);
    seq = info.seq;
    uint8_t r[sizeof(leak_t)], d[2 * sizeof(leak_t)];
    uint8_t counts[sizeof(leak_t) - offsetof(leak_t, first_s)];
    memset(counts, 0, sizeof counts);
    counts[12] = 9; /* by_reason[IDLE] */
    memcpy(r, "WS-X\0u\0", 7);
    memcpy(r + 7, counts, sizeof counts);
    uint32_t k = 7 + sizeof counts;
    uint8_t *at = fake_nv_mem + page * FAKE_NV_PAGE + tail;
    fake_nv_keep(1);
    struct { uint32_t seq, i, k; const char *what; } bad[] = {
        {seq + 1, 0, k, "after another record"},
        {seq, 8, k, "a row past the pair"},
        {seq, 0, k - 1, "counts cut short"},
        {seq, 0, 0, "no row"},
    };
    for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
        fake_nv_back(1);
        uint32_t n = delta(at, seq, 1, r, k, 0); /* a good one first: taken */
        delta(at + n, bad[c].seq, bad[c].i, r, bad[c].k, 0);
        leaks_load(&t);
        assert_int_equal(leaks_rows(&t), 2);
        assert_non_null(row("WS-X", "u"));
        assert_null(row("10.1.4.22", "")); /* row 1 as the delta has it */
        /* what follows the good one is not clean: the next save writes the pair anew */
        assert_next_change_writes_anew();
    }
    /* bytes written after an erased word (a cut program need not land in
     * order): the good one taken, nothing written after it */
    fake_nv_back(1);
    uint32_t n0 = delta(at, seq, 1, r, k, 0);
    at[n0 + 12] = 0x00;
    leaks_load(&t);
    assert_non_null(row("WS-X", "u"));
    assert_next_change_writes_anew();
    /* a client with no end in its field, checked out: stops there */
    fake_nv_back(1);
    memset(d, 'C', sizeof d);
    delta(at, seq, 0, d, sizeof(leak_t), 0);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 2);
    assert_non_null(row("FS-BACKUP01", "CORP\\svc_backup"));
    /* the same source twice: one is kept; a text is cleaned; dropped rises */
    fake_nv_back(1);
    memcpy(r, "10.1.4.22\0\0", 11);
    memcpy(r + 11, counts, sizeof counts);
    uint32_t n = delta(at, seq, 0, r, 11 + sizeof counts, 7);
    memcpy(r, "W\x1bZ\0u\0", 6);
    memcpy(r + 6, counts, sizeof counts);
    delta(at + n, seq, 2, r, 6 + sizeof counts, 3);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 2);
    assert_non_null(row("10.1.4.22", ""));
    assert_non_null(row("W?Z", "u"));
    assert_int_equal(t.dropped, 7);
    leaks_save(&t); /* the copy dropped at load is written out */
    assert_loads_as(&t);
}

/* A pair whose record holds fewer rows than this build's pair does (a
 * build with fewer leak rows wrote it): a source taken into a place past
 * the record's rows is kept, the pair written anew rather than changed
 * after a record that has no such place. */
static void test_a_short_record_is_written_anew(void **state)
{
    (void)state;
    uint8_t buf[FAKE_NV_PAGE], r[64];
    uint8_t counts[sizeof(leak_t) - offsetof(leak_t, first_s)];
    memset(counts, 0, sizeof counts);
    counts[12] = 1; /* by_reason[IDLE] */
    memcpy(r, "WS-OLD\0u\0", 9);
    memcpy(r + 9, counts, sizeof counts);
    size_t len = compact(buf, 1, r, 9 + sizeof counts); /* n = 1: one row */
    assert_int_equal(nvrec_save(AGENT_NV_LEAK_PAGE, buf, len), NVREC_OK);
    leaks_load(&t);
    assert_int_equal(leaks_rows(&t), 1);
    src_stale(&t, "WS-NEW", "CORP\\new", REASON_IDLE, T0); /* row 1 of pair 0 */
    int erases = fake_nv_erases;
    leaks_save(&t);
    assert_int_equal(fake_nv_erases, erases + 1);
    static leaks_t back;
    leaks_load(&back);
    assert_int_equal(leaks_rows(&back), 2);
    assert_loads_as(&t);
}

/* A read of a pair that fails once at start (its changes' or its
 * record's) is tried again: the pair's next change, which writes it anew
 * from RAM, keeps what was saved. */
static void test_a_read_error_at_load_is_tried_again(void **state)
{
    (void)state;
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_IDLE, T0);
    leaks_save(&t);
    uint32_t page, tail = pair0_tail(&page);
    src_stale(&t, "WS-NEW", "CORP\\new", REASON_IDLE, T0 + 60); /* a delta */
    leaks_save(&t);
    assert_loads_as(&t);
    fake_nv_flaky_at = (int32_t)(page * FAKE_NV_PAGE + tail); /* its head's read fails once */
    fake_nv_flaky_after = 0;
    leaks_load(&t);
    assert_int_equal(fake_nv_flaky_at, -1); /* (the error happened) */
    assert_non_null(row("WS-NEW", "CORP\\new"));
    src_stale(&t, "FS-BACKUP01", "CORP\\svc_backup", REASON_IDLE, T0 + 120);
    leaks_save(&t);
    leaks_load(&t);
    assert_non_null(row("WS-NEW", "CORP\\new"));
    fake_nv_flaky_at = (int32_t)(page * FAKE_NV_PAGE + 4); /* the record's header */
    fake_nv_flaky_after = 0;
    leaks_load(&t);
    assert_int_equal(fake_nv_flaky_at, -1);
    assert_non_null(row("WS-NEW", "CORP\\new"));
    assert_non_null(row("FS-BACKUP01", "CORP\\svc_backup"));
}

/* Random lives of the table: sources new and again (in another case),
 * counted and ended; saves refused (programs, erases) or cut by power loss
 * (a word at a time, or half a program), a load after each save and a
 * start after each cut. Each row read back is one of the states RAM had
 * at a save since the row was last saved, and a row saved reads back as
 * it was. */
#define HIST 64
#define LIVES 40
static leak_t hist[AGENT_LEAK_CAP][HIST];
static int nhist[AGENT_LEAK_CAP];
static uint32_t rnd_state = 12345;
static int n_cuts, n_saves, n_erases;
static uint32_t rnd(uint32_t n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) % n;
}
static void hist_set(int i, const leak_t *l) { hist[i][0] = *l, nhist[i] = 1; }
static void hist_add(int i, const leak_t *l)
{
    for (int k = 0; k < nhist[i]; k++)
        if (memcmp(&hist[i][k], l, sizeof *l) == 0) return;
    assert_true(nhist[i] < HIST);
    hist[i][nhist[i]++] = *l;
}
static bool dirty(const leaks_t *x, int i) { return (x->dirty[i / 32] >> (i % 32)) & 1; }
static void check_rows(const leaks_t *back, int step)
{
    for (int i = 0; i < AGENT_LEAK_CAP; i++) {
        bool ok = false;
        for (int k = 0; k < nhist[i] && !ok; k++) ok = memcmp(&hist[i][k], &back->row[i], sizeof(leak_t)) == 0;
        if (!ok && !back->row[i].client[0]) /* dropped at load: a copy of an earlier row's source */
            for (int k = 0; k < nhist[i] && !ok; k++)
                for (int j = 0; j < i && !ok; j++)
                    ok = hist[i][k].client[0] && text_ieq(hist[i][k].client, back->row[j].client) &&
                         text_ieq(hist[i][k].user, back->row[j].user);
        if (!ok) {
            fprintf(stderr, "step %d row %d: '%s' '%s' total %u read back, not one of %d states (first '%s')\n",
                    step, i, back->row[i].client, back->row[i].user, (unsigned)leak_total(&back->row[i]),
                    nhist[i], hist[i][0].client);
            fail();
        }
    }
}
static void live_once(uint32_t seed, int steps, bool reuse)
{
    static leaks_t back, empty;
    static char names[4096][16];
    int nnames = 0;
    rnd_state = seed;
    fake_nv_reset();
    leaks_init(&t);
    leaks_init(&empty);
    for (int i = 0; i < AGENT_LEAK_CAP; i++) hist_set(i, &empty.row[i]);
    uint32_t now = T0;
    for (int step = 0; step < steps; step++) {
        now += 60 + rnd(3600);
        int changes = 1 + (int)rnd(rnd(4) ? 3 : 12);
        for (int c = 0; c < changes; c++) {
            uint32_t r = rnd(10);
            if (r < 3 || nnames == 0) { /* a new source */
                assert_true(nnames < 4096);
                if (reuse && nnames > 0 && rnd(2)) { /* one seen before, maybe gone, any case */
                    char cl[16];
                    strcpy(cl, names[rnd((uint32_t)nnames)]);
                    if (rnd(2)) cl[0] = 's';
                    src_stale(&t, cl, "CORP\\u", (sess_reason_t)(REASON_IDLE + rnd(LEAK_REASONS)), now);
                } else {
                    snprintf(names[nnames], sizeof names[0], "S%05d", nnames);
                    src_stale(&t, names[nnames], reuse ? "CORP\\u" : rnd(2) ? "CORP\\u" : "",
                                (sess_reason_t)(REASON_IDLE + rnd(LEAK_REASONS)), now);
                    nnames++;
                }
            } else { /* an old one, if still held */
                const leak_t *l = &t.row[rnd(AGENT_LEAK_CAP)];
                if (!l->client[0]) continue;
                char cl[HAL_SMB_CLIENT_MAX], us[HAL_SMB_USER_MAX];
                strcpy(cl, l->client), strcpy(us, l->user);
                if (r < 8) src_stale(&t, cl, us, (sess_reason_t)(REASON_IDLE + rnd(LEAK_REASONS)), now);
                else src_ended(&t, cl, us, rnd(2));
            }
        }
        for (int i = 0; i < AGENT_LEAK_CAP; i++) hist_add(i, &t.row[i]);
        uint32_t what = rnd(10);
        if (what == 0) fake_nv_program_errors = 1 + (int)rnd(2);
        else if (what == 1) fake_nv_erase_errors = 1;
        else if (what == 2 || what == 3) {
            fake_nv_word_cuts = rnd(2);
            fake_nv_ops_left = (int)rnd(fake_nv_word_cuts ? 400 : 12);
        }
        leaks_save(&t);
        bool cut = !fake_nv_powered();
        n_cuts += cut, n_saves++;
        fake_nv_ops_left = -1, fake_nv_word_cuts = false, fake_nv_program_errors = fake_nv_erase_errors = 0;
        fake_nv_reset_power();
        leaks_load(&back);
        check_rows(&back, step);
        if (cut) { /* the agent starts again on what NV holds */
            t = back;
            for (int i = 0; i < AGENT_LEAK_CAP; i++) hist_set(i, &t.row[i]);
        } else {
            for (int i = 0; i < AGENT_LEAK_CAP; i++)
                if (!dirty(&t, i)) {
                    if (memcmp(&back.row[i], &t.row[i], sizeof(leak_t)) != 0) {
                        fprintf(stderr, "step %d row %d saved, reads back otherwise\n", step, i);
                        fail();
                    }
                    hist_set(i, &t.row[i]);
                }
        }
        if (rnd(50) == 0) { /* a restart with no cut */
            t = back;
            for (int i = 0; i < AGENT_LEAK_CAP; i++) hist_set(i, &t.row[i]);
        }
    }
}
static void test_random_lives(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= LIVES; seed++) live_once(seed, 400, seed % 2), n_erases += fake_nv_erases;
    assert_true(n_cuts > LIVES * 10 && n_erases > LIVES * 10); /* the lives reach cuts and full pages */
    print_message("%d saves, %d cut by power loss, %d erases\n", n_saves, n_cuts, n_erases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_counts_and_rate_window, setup),
        cmocka_unit_test_setup(test_order_hints_and_totals, setup),
        cmocka_unit_test_setup(test_full_table_drops_the_least, setup),
        cmocka_unit_test_setup(test_sources_found_through_turnover, setup),
        cmocka_unit_test_setup(test_source_keys, setup),
        cmocka_unit_test_setup(test_counts_stop_at_the_top, setup),
        cmocka_unit_test_setup(test_muldiv, setup),
        cmocka_unit_test_setup(test_saved_and_loaded, setup),
        cmocka_unit_test_setup(test_hostile_store, setup),
        cmocka_unit_test_setup(test_saved_form, setup),
        cmocka_unit_test_setup(test_a_copy_dropped_at_load_is_not_kept, setup),
        cmocka_unit_test_setup(test_changed_rows_follow_their_record, setup),
        cmocka_unit_test_setup(test_a_cut_change, setup),
        cmocka_unit_test_setup(test_hostile_changes, setup),
        cmocka_unit_test_setup(test_a_short_record_is_written_anew, setup),
        cmocka_unit_test_setup(test_a_read_error_at_load_is_tried_again, setup),
        cmocka_unit_test_setup(test_random_lives, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
