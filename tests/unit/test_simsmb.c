/*
 * test_simsmb.c - the simulated SMB server, through hal_smb.h and the
 * simsmb_* queries, with a fake hal_clock_ms().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hal_clock.h"
#include "hal_smb.h"
#include "simsmb.h"

/* ------------------------------------------------------------------ */
/* Fake clock: tests set the time in seconds since the load. */

static uint32_t fake_ms;
static uint32_t base_ms;

uint32_t hal_clock_ms(void)
{
    return fake_ms;
}

#define NEAR_WRAP (UINT32_MAX - 5u * 60u * 1000u + 1u) /* 5 min before */
#define MIN 60u
#define HOUR 3600u
#define DAY 86400u

static void at_ms(uint32_t ms)
{
    fake_ms = base_ms + ms; /* wraps like the real clock */
}

static void at(uint32_t s)
{
    at_ms(s * 1000u);
}

static void load_at(const char *text, uint32_t start_ms)
{
    simsmb_error_t err;

    fake_ms = base_ms = start_ms;
    int rc = simsmb_load(text, strlen(text), &err);
    if (rc != 0)
        print_error("line %u: %s\n", (unsigned)err.line, err.msg);
    assert_int_equal(rc, 0);
}

static void load(const char *text)
{
    load_at(text, 1000u);
}

/* One whole sample in batches of cap; returns the record count. */
static size_t sample(hal_smb_session_t *out, size_t max, size_t cap,
                     hal_smb_info_t *info)
{
    size_t total = 0, n = 0;
    int rc;

    do {
        assert_true(total + cap <= max);
        rc = hal_smb_sample(out + total, cap, &n, info);
        assert_true(rc == HAL_SMB_OK || rc == HAL_SMB_MORE);
        assert_true(n <= cap);
        if (rc == HAL_SMB_MORE)
            assert_int_equal(n, cap);
        total += n;
    } while (rc == HAL_SMB_MORE);
    return total;
}

static hal_smb_session_t recs[128];
static hal_smb_info_t info;

static size_t sample_all(void)
{
    memset(&info, 0xA5, sizeof info);
    return sample(recs, 128, 128, &info);
}

static const hal_smb_session_t *by_client(size_t n, const char *client)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(recs[i].client, client) == 0)
            return &recs[i];
    return NULL;
}

/* ------------------------------------------------------------------ */

/* Runs first: the state before any load. */
static void test_unloaded(void **state)
{
    (void)state;
    assert_int_equal(sample_all(), 0);
    assert_int_equal(info.has_refusals, 1);
    assert_int_equal(info.refusals, 0);
    assert_int_equal(hal_smb_end_session(0x1001), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_client("X"), HAL_SMB_ENOENT);
    assert_int_equal(simsmb_live(), 0);
}

static void test_caps(void **state)
{
    (void)state;
    assert_int_equal(hal_smb_caps(), HAL_SMB_CAN_END_SESSION |
                                         HAL_SMB_CAN_END_CONN |
                                         HAL_SMB_CAN_END_CLIENT);
}

static const char every_verb[] =
    "# all directives and verbs\n"
    "  limit 5   # trailing comment\r\n"
    "idle-source server\r\n"
    "\r\n"
    "\t\n"
    "at 0 open a client=HOST-A user=DOM\\u type=SMB2_10 opens=2 idle=1m "
    "age=1h conn=t1 guest\n"
    "at 0s\topen b client=HOST-B hold=10m\r\n"
    "every 1m from 30s until 3m touch a\n"
    "at 2m opens a 4\n"
    "at 5m close a\n"
    "at 6m fail 1\n";

static void test_every_directive_and_verb(void **state)
{
    (void)state;
    load(every_verb);
    assert_int_equal(sample_all(), 2);
    const hal_smb_session_t *a = &recs[0], *b = &recs[1];
    assert_int_equal(a->session_id, 0x1001);
    assert_int_equal(a->conn_id, 5001);
    assert_string_equal(a->client, "HOST-A");
    assert_string_equal(a->user, "DOM\\u");
    assert_string_equal(a->type, "SMB2_10");
    assert_int_equal(a->flags, HAL_SMB_F_GUEST | HAL_SMB_F_IDLE);
    assert_int_equal(a->opens, 2);
    assert_int_equal(a->idle_s, 60);
    assert_int_equal(a->connected_s, 3600);
    assert_int_equal(a->activity, 0);
    assert_int_equal(b->session_id, 0x1002);
    assert_int_equal(b->conn_id, 5002);
    assert_string_equal(b->client, "HOST-B");
    assert_string_equal(b->user, "");
    assert_string_equal(b->type, "SMB3_11");
    assert_int_equal(b->flags, HAL_SMB_F_IDLE);
    assert_int_equal(b->opens, 0);
    assert_int_equal(b->idle_s, 0);
    assert_int_equal(b->connected_s, 0);

    at(40); /* touched at 30s */
    assert_int_equal(sample_all(), 2);
    assert_int_equal(recs[0].idle_s, 10);
    assert_int_equal(recs[0].connected_s, 3640);
    assert_int_equal(recs[1].idle_s, 40);

    at(2 * MIN); /* opens at 2m */
    assert_int_equal(sample_all(), 2);
    assert_int_equal(recs[0].opens, 4);
    assert_int_equal(recs[0].idle_s, 0);

    at(4 * MIN + 30); /* touches stop after 2m30s */
    assert_int_equal(sample_all(), 2);
    assert_int_equal(recs[0].idle_s, 120);

    at(5 * MIN);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].session_id, 0x1002);

    at(6 * MIN);
    size_t n = 99;
    assert_int_equal(hal_smb_sample(recs, 4, &n, &info), HAL_SMB_EFAIL);
    assert_int_equal(n, 0);
    assert_int_equal(sample_all(), 1);

    at(10 * MIN - 1);
    assert_int_equal(simsmb_live(), 1);
    at(10 * MIN); /* hold=10m */
    assert_int_equal(simsmb_live(), 0);
}

static void test_text_not_nul_terminated(void **state)
{
    (void)state;
    char buf[64];
    const char *s = "at 0 open a client=HOSTX";
    size_t len = strlen(s) - 1; /* the client is "HOST" */

    memcpy(buf, s, strlen(s));
    memset(buf + strlen(s), 'Z', sizeof buf - strlen(s));
    fake_ms = base_ms = 5000;
    assert_int_equal(simsmb_load(buf, len, NULL), 0);
    assert_int_equal(sample_all(), 1);
    assert_string_equal(recs[0].client, "HOST");
}

/* ------------------------------------------------------------------ */
/* Errors. */

typedef struct {
    const char *text;
    uint32_t line;
    const char *msg;
} bad_t;

static const bad_t bad[] = {
    {"at 5m opne bob client=x", 1, "unknown verb 'opne'"},
    {"at x5m open a client=x", 1, "bad duration 'x5m'"},
    {"at 0 open a client=x hold=1y", 1, "bad duration '1y'"},
    {"at 0 open a client=x idle=", 1, "bad duration ''"},
    {"at 99999999999 fail 1", 1, "duration out of range '99999999999'"},
    {"at 49711d fail 1", 1, "duration out of range '49711d'"},
    {"at 0 open a client=0123456789012345678901234567890123456789", 1,
     "client= too long (max 39)"},
    {"at 0 open a client=x user=0123456789012345678901234567890123456789", 1,
     "user= too long (max 39)"},
    {"at 0 open a client=x type=SMB3_11_LONG", 1, "type= too long (max 11)"},
    {"at 0 open a client=", 1, "client= is empty"},
    {"at 0 open a client=x type=", 1, "type= is empty"},
    {"at 0 open a user=u", 1, "missing client= for 'open'"},
    {"at 0 touch bob\nat 0 open a client=x", 1,
     "'touch' names 'bob', which no open line defines"},
    {"at 0 open a client=x\n\n# c\nat 1m close a\nat 2m opens x 1", 5,
     "'opens' names 'x', which no open line defines"},
    {"at 0 open a client=x conn=b\nat 0 close b", 2,
     "'close' names 'b', which no open line defines"},
    {"bogus 1", 1, "unknown directive 'bogus'"},
    {"limit 5\r\nbogus\r\n", 2, "unknown directive 'bogus'"},
    {"at 0 open a client=x foo=1", 1, "unknown attribute 'foo=1'"},
    {"at 0 open a client=x guest=1", 1, "unknown attribute 'guest=1'"},
    {"at 0 open a client=x user=a user=b", 1, "duplicate attribute 'user='"},
    {"at 0 open a client=x guest guest", 1, "duplicate attribute 'guest'"},
    {"at 0 open a client=x opens=65536", 1,
     "number out of range '65536' (0..65535)"},
    {"at 0 open a client=x opens=z", 1, "bad number 'z'"},
    {"at 0 open a client=x idle=5m age=1m", 1, "age= must be >= idle="},
    {"at 0 open a client=x conn=a/b", 1,
     "bad conn tag 'a/b' (1-15 of A-Z a-z 0-9 _ . -)"},
    {"at 0 open 0123456789abcdef client=x", 1,
     "bad name '0123456789abcdef' (1-15 of A-Z a-z 0-9 _ . -)"},
    {"at 0 open", 1, "missing name after 'open'"},
    {"at 0", 1, "missing verb after 'at'"},
    {"at", 1, "missing time after 'at'"},
    {"every", 1, "missing period after 'every'"},
    {"every 1m", 1, "missing verb after 'every'"},
    {"every 0 fail 1", 1, "period must be at least 1s"},
    {"every 1m from 5m until 5m fail 1", 1,
     "'until' must be later than 'from'"},
    {"every 1m from 1m from 2m fail 1", 1, "duplicate 'from'"},
    {"every 1m until", 1, "missing time after 'until'"},
    {"at 0 fail", 1, "missing count after 'fail'"},
    {"at 0 fail x", 1, "bad number 'x'"},
    {"at 0 fail 1 2", 1, "trailing junk '2'"},
    {"at 0 open a client=x\nat 0 opens a", 2, "missing count after 'opens'"},
    {"at 0 open a client=x\nat 0 touch a extra", 2, "trailing junk 'extra'"},
    {"at 0 open a client=x\nat 0 touch", 2, "missing name after 'touch'"},
    {"limit 0", 1, "number out of range '0' (1..80)"},
    {"limit 81", 1, "number out of range '81' (1..80)"},
    {"limit", 1, "missing number after 'limit'"},
    {"limit 5 6", 1, "trailing junk '6'"},
    {"limit 5\nlimit 6", 2, "duplicate 'limit'"},
    {"idle-source foo", 1, "idle-source must be server or counter, not 'foo'"},
    {"idle-source", 1, "missing server or counter after 'idle-source'"},
    {"idle-source server\nidle-source counter", 2, "duplicate 'idle-source'"},
    {"at 0 fail 1\x01", 1, "bad character (code 1)"},
    {"\n# comment\n\n  at 0 opne", 4, "unknown verb 'opne'"},
    {"abcdefghijklmnopqrstuvwxyz0123456789", 1,
     "unknown directive 'abcdefghijklmnopqrstu...'"},
};

static const char good[] = "limit 3\n"
                           "at 0 open a client=A opens=2\n"
                           "at 0 open b client=B\n"
                           "every 10s from 1m open c client=C\n";

static void test_errors(void **state)
{
    (void)state;
    load(good);
    at(2 * MIN);
    assert_int_equal(simsmb_live(), 3);
    uint32_t refused = simsmb_refusals();
    assert_true(refused > 0);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        simsmb_error_t err;
        memset(&err, 0x55, sizeof err);
        int rc = simsmb_load(bad[i].text, strlen(bad[i].text), &err);
        if (rc != -1 || err.line != bad[i].line ||
            strcmp(err.msg, bad[i].msg) != 0)
            print_error("case %zu: rc %d line %u '%s'\n", i, rc,
                        (unsigned)err.line, err.msg);
        assert_int_equal(rc, -1);
        assert_int_equal(err.line, bad[i].line);
        assert_string_equal(err.msg, bad[i].msg);
        assert_int_equal(simsmb_load(bad[i].text, strlen(bad[i].text), NULL),
                         -1);
    }

    /* The running scenario was not touched and its time goes on. */
    at(3 * MIN);
    assert_int_equal(simsmb_now_s(), 3 * MIN);
    assert_int_equal(simsmb_live(), 3);
    assert_int_equal(simsmb_refusals(), refused + 6);
    assert_int_equal(sample_all(), 3);
    assert_int_equal(recs[0].session_id, 0x1001);
    assert_int_equal(recs[0].connected_s, 3 * MIN);
}

static void test_error_too_many_lines(void **state)
{
    (void)state;
    static char text[64 * 16];
    size_t len = 0;

    for (int i = 0; i < 49; i++) {
        memcpy(text + len, "at 0 fail 1\n", 12);
        len += 12;
    }
    simsmb_error_t err;
    assert_int_equal(simsmb_load(text, len, &err), -1);
    assert_int_equal(err.line, 49);
    assert_string_equal(err.msg, "too many event lines (max 48)");
    assert_int_equal(simsmb_load(text, len - 12, &err), 0);
}

static void test_error_text_too_large(void **state)
{
    (void)state;
    static char text[65536];
    simsmb_error_t err;

    memset(text, ' ', sizeof text);
    assert_int_equal(simsmb_load(text, sizeof text, &err), -1);
    assert_int_equal(err.line, 0);
    assert_string_equal(err.msg, "scenario too large (max 65535 bytes)");
    assert_int_equal(simsmb_load(text, sizeof text - 1, &err), 0);
}

/* ------------------------------------------------------------------ */
/* Limit, refusals, ties. */

static void test_limit_and_refusals(void **state)
{
    (void)state;
    load("limit 2\n"
         "at 0 open a client=A\n"
         "at 0 open b client=B\n"
         "at 0 open c client=C\n"
         "every 10s from 5s open d client=D\n");
    assert_int_equal(simsmb_live(), 2);
    assert_int_equal(simsmb_refusals(), 1);
    at(34); /* d refused at 5, 15, 25 */
    assert_int_equal(simsmb_refusals(), 4);
    assert_int_equal(sample_all(), 2);
    assert_int_equal(info.has_refusals, 1);
    assert_int_equal(info.refusals, 4);

    /* Ending a session frees room: d's next try gets in. */
    assert_int_equal(hal_smb_end_client("A"), HAL_SMB_OK);
    assert_int_equal(simsmb_live(), 1);
    at(35);
    assert_int_equal(simsmb_live(), 2);
    assert_int_equal(simsmb_refusals(), 4);
    assert_int_equal(sample_all(), 2);
    assert_string_equal(recs[1].client, "D");
    assert_int_equal(recs[1].session_id, 0x1003); /* refusals take no id */
    at(45);
    assert_int_equal(simsmb_refusals(), 5);
}

static void test_default_limit(void **state)
{
    (void)state;
    load("every 1s open a client=A\n");
    at(200);
    assert_int_equal(simsmb_live(), SIMSMB_SESSIONS_MAX);
    assert_int_equal(simsmb_refusals(), 201 - SIMSMB_SESSIONS_MAX);
}

static void test_ties_in_file_order(void **state)
{
    (void)state;
    load("limit 1\n"
         "at 0 open a client=A\n"
         "at 1m close a\n"
         "at 1m open b client=B\n");
    at(MIN);
    assert_int_equal(simsmb_refusals(), 0);
    assert_int_equal(sample_all(), 1);
    assert_string_equal(recs[0].client, "B");

    load("limit 1\n"
         "at 0 open a client=A\n"
         "at 1m open b client=B\n"
         "at 1m close a\n");
    at(MIN);
    assert_int_equal(simsmb_refusals(), 1);
    assert_int_equal(simsmb_live(), 0);
}

/* ------------------------------------------------------------------ */
/* Sampling. */

static const char seven[] = "at 0 open s1 client=C1\n"
                            "at 0 open s2 client=C2\n"
                            "at 0 open s3 client=C3\n"
                            "at 0 open s4 client=C4\n"
                            "at 0 open s5 client=C5\n"
                            "at 0 open s6 client=C6\n"
                            "at 0 open s7 client=C7\n"
                            "at 1m close s2\n"
                            "at 1m open s8 client=C8\n"
                            "at 1m touch s7\n";

static void check_seven(size_t n, uint32_t now)
{
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(recs[i].session_id, 0x1001 + i);
        assert_int_equal(recs[i].idle_s, now);
        assert_int_equal(recs[i].connected_s, now);
    }
}

static void test_batches(void **state)
{
    (void)state;
    static const size_t caps[] = {1, 3, 6, 7, 8, 100};
    hal_smb_session_t one;
    size_t n;

    load(seven);
    at(30);
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        memset(recs, 0, sizeof recs);
        check_seven(sample(recs, 128, caps[i], &info), 30);
        assert_int_equal(info.has_refusals, 1);
    }

    /* cap 1: six MORE, then OK with the last one. */
    for (int i = 0; i < 6; i++)
        assert_int_equal(hal_smb_sample(&one, 1, &n, &info), HAL_SMB_MORE);
    assert_int_equal(hal_smb_sample(&one, 1, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(one.session_id, 0x1007);

    /* cap 3: 3, 3, then 1 with OK. */
    assert_int_equal(hal_smb_sample(recs, 3, &n, &info), HAL_SMB_MORE);
    assert_int_equal(n, 3);
    assert_int_equal(hal_smb_sample(recs, 3, &n, &info), HAL_SMB_MORE);
    assert_int_equal(n, 3);
    assert_int_equal(hal_smb_sample(recs, 3, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 1);

    /* An empty table: OK with nothing. */
    load("");
    assert_int_equal(hal_smb_sample(recs, 3, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 0);
}

/* A rewind hands the sample again from the record asked for; from the
 * first once a session has left the table since the sample began (the
 * others moved up). */
static void test_rewind_from(void **state)
{
    (void)state;
    size_t n;

    load(seven);
    at(30);
    assert_int_equal(sample_all(), 7);
    assert_int_equal(hal_smb_rewind(4), HAL_SMB_OK);
    assert_int_equal(hal_smb_sample(recs, 128, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 3);
    assert_int_equal(recs[0].session_id, 0x1005);
    assert_int_equal(hal_smb_rewind(9), HAL_SMB_OK); /* past the last: none */
    assert_int_equal(hal_smb_sample(recs, 128, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 0);
    assert_int_equal(hal_smb_end_session(0x1002), HAL_SMB_OK);
    assert_int_equal(hal_smb_rewind(4), HAL_SMB_OK);
    assert_int_equal(hal_smb_sample(recs, 128, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 6);
    assert_int_equal(recs[0].session_id, 0x1001);
    assert_int_equal(recs[1].session_id, 0x1003);
    /* a new sample: positions hold again until something leaves */
    assert_int_equal(sample_all(), 6);
    assert_int_equal(hal_smb_rewind(5), HAL_SMB_OK);
    assert_int_equal(hal_smb_sample(recs, 128, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0].session_id, 0x1007);
}

/* Events and end_* requests between batches do not show in that sample. */
static void snapshot_across(uint32_t start_ms)
{
    size_t n, total;

    load_at(seven, start_ms);
    at(50);
    assert_int_equal(hal_smb_sample(recs, 3, &n, &info), HAL_SMB_MORE);
    total = n;
    at(2 * MIN); /* s2 closes, s8 opens, s7 is touched: not in this sample */
    assert_int_equal(hal_smb_end_session(0x1005), HAL_SMB_OK);
    assert_int_equal(hal_smb_end_session(0x1005), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_sample(recs + total, 3, &n, &info), HAL_SMB_MORE);
    total += n;
    at(3 * MIN);
    assert_int_equal(hal_smb_sample(recs + total, 3, &n, &info), HAL_SMB_OK);
    total += n;
    check_seven(total, 50);

    /* The next sample sees all of it, at the clock's time. */
    assert_int_equal(sample_all(), 6);
    assert_int_equal(recs[0].session_id, 0x1001);
    assert_int_equal(recs[1].session_id, 0x1003); /* s2 closed */
    assert_int_equal(recs[2].session_id, 0x1004); /* s5 ended */
    assert_int_equal(recs[3].session_id, 0x1006);
    assert_int_equal(recs[4].session_id, 0x1007);
    assert_int_equal(recs[4].idle_s, 2 * MIN);  /* touched at 1m */
    assert_int_equal(recs[5].session_id, 0x1008);
    assert_int_equal(recs[5].connected_s, 2 * MIN);
    assert_int_equal(recs[0].idle_s, 3 * MIN);
}

static void test_snapshot_consistent(void **state)
{
    (void)state;
    snapshot_across(1000);
}

static void test_sample_across_wrap(void **state)
{
    (void)state;
    snapshot_across(UINT32_MAX - 99999u); /* wraps between batches */
    at(20 * MIN);
    assert_int_equal(simsmb_now_s(), 20 * MIN);
    assert_int_equal(sample_all(), 6);
    assert_int_equal(recs[0].connected_s, 20 * MIN);
}

static void test_sample_bad_args(void **state)
{
    (void)state;
    size_t n = 7;

    load(seven);
    assert_int_equal(hal_smb_sample(NULL, 3, &n, &info), HAL_SMB_EFAIL);
    assert_int_equal(n, 0);
    assert_int_equal(hal_smb_sample(recs, 0, &n, &info), HAL_SMB_EFAIL);
    assert_int_equal(hal_smb_sample(recs, 3, NULL, &info), HAL_SMB_EFAIL);
    assert_int_equal(hal_smb_sample(recs, 3, &n, NULL), HAL_SMB_EFAIL);
    /* An error abandons a sample: the next call starts a new one. */
    assert_int_equal(hal_smb_sample(recs, 3, &n, &info), HAL_SMB_MORE);
    assert_int_equal(hal_smb_sample(recs, 0, &n, &info), HAL_SMB_EFAIL);
    assert_int_equal(hal_smb_sample(recs, 3, &n, &info), HAL_SMB_MORE);
    assert_int_equal(recs[0].session_id, 0x1001);
    assert_int_equal(sample(recs + 3, 125, 3, &info), 4);
}

/* ------------------------------------------------------------------ */
/* Figures. */

static void test_idle_and_connected(void **state)
{
    (void)state;
    load_at("at 0 open a client=A idle=1h age=2h\n"
            "at 10m open b client=B idle=5m\n"
            "at 1h touch a\n",
            NEAR_WRAP);
    at_ms(999);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].idle_s, HOUR);
    assert_int_equal(recs[0].connected_s, 2 * HOUR);
    at_ms(1999);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].idle_s, HOUR + 1);
    at(30 * MIN);
    assert_int_equal(sample_all(), 2);
    assert_int_equal(recs[0].idle_s, HOUR + 30 * MIN);
    assert_int_equal(recs[0].connected_s, 2 * HOUR + 30 * MIN);
    assert_int_equal(recs[1].idle_s, 25 * MIN);
    assert_int_equal(recs[1].connected_s, 25 * MIN); /* age defaults to idle */
    at(HOUR + 30);
    assert_int_equal(sample_all(), 2);
    assert_int_equal(recs[0].idle_s, 30);
    assert_int_equal(recs[0].connected_s, 3 * HOUR + 30);
}

static void test_counter_mode(void **state)
{
    (void)state;
    load("idle-source counter\n"
         "at 0 open a client=A idle=1h opens=1\n"
         "at 1m touch a\n"
         "at 2m opens a 5\n"
         "every 1m from 10m until 70m touch a\n");
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].flags & HAL_SMB_F_IDLE, 0);
    assert_int_equal(recs[0].idle_s, 0);
    assert_int_equal(recs[0].activity, 0);
    assert_int_equal(recs[0].connected_s, HOUR);
    at(MIN);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].activity, 1);
    at(5 * MIN);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].activity, 2);
    assert_int_equal(recs[0].opens, 5);
    at(3 * HOUR); /* 60 touches in one jump */
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].activity, 62);
    at(4 * HOUR);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].activity, 62);
}

static void test_conn_tags(void **state)
{
    (void)state;
    load("at 0 open a client=A conn=t\n"
         "at 0 open b client=A conn=t\n"
         "at 0 open c client=A conn=u\n"
         "at 0 open d client=A\n"
         "at 0 open e client=A\n"
         "at 1m close a\n"
         "at 2m open f client=A conn=t\n"
         "at 3m close b\n"
         "at 3m close f\n"
         "at 4m open g client=A conn=t\n");
    assert_int_equal(sample_all(), 5);
    assert_int_equal(recs[0].conn_id, 5001);
    assert_int_equal(recs[1].conn_id, 5001);
    assert_int_equal(recs[2].conn_id, 5002);
    assert_int_equal(recs[3].conn_id, 5003);
    assert_int_equal(recs[4].conn_id, 5004);
    at(2 * MIN); /* b still holds t's connection */
    assert_int_equal(sample_all(), 5);
    assert_int_equal(recs[4].session_id, 0x1006);
    assert_int_equal(recs[4].conn_id, 5001);
    at(4 * MIN); /* t's sessions all gone: a new connection */
    assert_int_equal(sample_all(), 4);
    assert_int_equal(recs[3].session_id, 0x1007);
    assert_int_equal(recs[3].conn_id, 5005);
}

static void test_hold(void **state)
{
    (void)state;
    load("limit 1\n"
         "at 0 open a client=A hold=1m\n"
         "at 1m open b client=B hold=30s\n"
         "at 90s open c client=C\n");
    at(59);
    assert_int_equal(sample_all(), 1);
    assert_string_equal(recs[0].client, "A");
    at(MIN); /* a's hold ends before b's open at the same second */
    assert_int_equal(sample_all(), 1);
    assert_string_equal(recs[0].client, "B");
    at(90);
    assert_int_equal(sample_all(), 1);
    assert_string_equal(recs[0].client, "C");
    assert_int_equal(simsmb_refusals(), 0);
    at(DAY);
    assert_int_equal(simsmb_live(), 1);

    /* A refused open does not hold or close anything later. */
    load("limit 1\n"
         "at 0 open a client=A\n"
         "at 0 open b client=B hold=1m\n");
    at(2 * MIN);
    assert_int_equal(simsmb_live(), 1);
    assert_int_equal(simsmb_refusals(), 1);
}

static void test_every_from_until(void **state)
{
    (void)state;
    load("every 10s from 1m until 2m open x client=X\n"
         "at 3m close x\n");
    at(59);
    assert_int_equal(simsmb_live(), 0);
    at(60);
    assert_int_equal(simsmb_live(), 1);
    at(2 * MIN);
    assert_int_equal(simsmb_live(), 6); /* 60, 70 .. 110 */
    at(3 * MIN);                        /* closes the latest only */
    assert_int_equal(sample_all(), 5);
    assert_int_equal(recs[4].session_id, 0x1005);
}

static void test_name_follows_latest(void **state)
{
    (void)state;
    load("limit 2\n"
         "at 0 open a client=A\n"
         "at 1m open a client=A2\n"
         "at 2m open a client=A3\n"  /* refused: a still means A2 */
         "at 3m touch a\n"
         "at 4m close a\n"
         "at 5m close a\n"); /* A2 already gone: no-op */
    at(3 * MIN);
    assert_int_equal(sample_all(), 2);
    assert_int_equal(simsmb_refusals(), 1);
    assert_int_equal(recs[0].idle_s, 3 * MIN);
    assert_int_equal(recs[1].idle_s, 0);
    at(5 * MIN);
    assert_int_equal(sample_all(), 1);
    assert_string_equal(recs[0].client, "A");
}

static void test_fail(void **state)
{
    (void)state;
    size_t n;

    load("at 0 open a client=A\n"
         "at 1m fail 2\n"
         "at 2m fail 3\n"
         "at 2m fail 1\n"); /* replaces, does not add */
    assert_int_equal(sample_all(), 1);
    at(MIN);
    assert_int_equal(hal_smb_sample(recs, 1, &n, &info), HAL_SMB_EFAIL);
    assert_int_equal(hal_smb_sample(recs, 1, &n, &info), HAL_SMB_EFAIL);
    assert_int_equal(n, 0);
    assert_int_equal(hal_smb_sample(recs, 1, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 1);
    at(2 * MIN);
    assert_int_equal(hal_smb_sample(recs, 1, &n, &info), HAL_SMB_EFAIL);
    assert_int_equal(hal_smb_sample(recs, 1, &n, &info), HAL_SMB_OK);
    /* Failing samples do not stop the other calls. */
    load("at 0 fail 1\nat 0 open a client=A opens=1\n");
    assert_int_equal(hal_smb_end_session(0x1001), HAL_SMB_OK);
    assert_int_equal(hal_smb_sample(recs, 1, &n, &info), HAL_SMB_EFAIL);
    assert_int_equal(hal_smb_sample(recs, 1, &n, &info), HAL_SMB_OK);
    assert_int_equal(n, 0);
}

/* ------------------------------------------------------------------ */
/* Ending sessions. */

static void test_end_calls(void **state)
{
    (void)state;
    load("at 0 open a client=HOST-A opens=2 conn=t\n"
         "at 0 open b client=HOST-A opens=3 conn=t\n"
         "at 0 open c client=host-a opens=1\n"
         "at 0 open d client=HOST-B opens=4\n"
         "at 0 open e client=HOST-B opens=5\n"
         "at 0 open f client=HOST-C\n");
    assert_int_equal(simsmb_opens_lost(), 0);
    assert_int_equal(hal_smb_end_session(0x1004), HAL_SMB_OK); /* d */
    assert_int_equal(simsmb_opens_lost(), 4);
    assert_int_equal(hal_smb_end_session(0x1004), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_session(0x2000), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_conn(5001), HAL_SMB_OK); /* a and b */
    assert_int_equal(simsmb_opens_lost(), 9);
    assert_int_equal(simsmb_live(), 3);
    assert_int_equal(hal_smb_end_conn(5001), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_conn(0), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_client("HOST"), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_client("HOST-AB"), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_client(""), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_client(NULL), HAL_SMB_ENOENT);
    assert_int_equal(hal_smb_end_client("Host-A"), HAL_SMB_OK); /* c */
    assert_int_equal(simsmb_opens_lost(), 10);
    assert_int_equal(hal_smb_end_client("host-b"), HAL_SMB_OK); /* e */
    assert_int_equal(simsmb_opens_lost(), 15);
    assert_int_equal(sample_all(), 1);
    assert_string_equal(recs[0].client, "HOST-C");
    assert_int_equal(hal_smb_end_client("HOST-C"), HAL_SMB_OK);
    assert_int_equal(simsmb_opens_lost(), 15);
    assert_int_equal(simsmb_live(), 0);
}

/* ------------------------------------------------------------------ */
/* The built-in scenario and long runs. */

static void test_default_scenario(void **state)
{
    (void)state;
    load_at(simsmb_default_scenario, NEAR_WRAP);
    assert_int_equal(simsmb_live(), 10);
    assert_int_equal(sample_all(), 10);
    assert_int_equal(info.refusals, 0);

    const hal_smb_session_t *bk = by_client(10, "FS-BACKUP01");
    assert_non_null(bk);
    assert_string_equal(bk->user, "CORP\\svc_backup");
    assert_int_equal(bk->idle_s, 5 * HOUR);
    assert_int_equal(recs[1].conn_id, bk->conn_id);
    assert_int_equal(recs[2].conn_id, bk->conn_id);
    assert_int_equal(recs[2].idle_s, 8 * MIN);
    const hal_smb_session_t *bob = by_client(10, "LAPTOP-BOB");
    assert_non_null(bob);
    assert_int_equal(bob->opens, 1);
    assert_int_equal(bob->idle_s, 30 * HOUR);
    const hal_smb_session_t *null1 = by_client(10, "10.1.4.22");
    assert_non_null(null1);
    assert_string_equal(null1->user, "");
    assert_int_equal(null1->idle_s, 12 * MIN);
    assert_int_equal(null1->connected_s, 12 * MIN);
    const hal_smb_session_t *null2 = by_client(10, "10.1.4.31");
    assert_non_null(null2);
    assert_int_equal(null2->connected_s, 4 * MIN);
    const hal_smb_session_t *alice = by_client(10, "WS-ALICE");
    assert_non_null(alice);
    assert_int_equal(alice->opens, 3);
    assert_null(by_client(10, "WS-CAROL"));

    at(9);
    assert_int_equal(simsmb_refusals(), 0);
    at(10);
    assert_int_equal(simsmb_refusals(), 1);
    at(6 * MIN); /* carol at 10, 55, .. 325; the leak at 300 */
    assert_int_equal(simsmb_refusals(), 8 + 1);
    assert_int_equal(sample_all(), 10);
    alice = by_client(10, "WS-ALICE");
    assert_int_equal(alice->idle_s, 0);

    /* Room made: carol gets in and logs off 2 minutes later. */
    assert_int_equal(hal_smb_end_client("fs-backup01"), HAL_SMB_OK);
    at(6 * MIN + 10); /* carol's try at 370 */
    assert_int_equal(sample_all(), 8);
    assert_non_null(by_client(8, "WS-CAROL"));
    at(8 * MIN + 10);
    assert_int_equal(simsmb_live(), 7 + 2);
}

static void test_long_jump(void **state)
{
    (void)state;
    const uint32_t t = 30 * DAY;

    load_at(simsmb_default_scenario, NEAR_WRAP);
    clock_t c0 = clock();
    at(t);
    assert_int_equal(simsmb_now_s(), t);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    assert_true(secs < 0.5);
    /* carol: 10 + 45k <= t; the leak: 300 + 1200k <= t */
    uint32_t carol = (t - 10) / 45 + 1, leak = (t - 300) / 1200 + 1;
    assert_int_equal(simsmb_refusals(), carol + leak);
    assert_int_equal(sample_all(), 10);
    assert_int_equal(by_client(10, "WS-ALICE")->idle_s, 0);
    assert_int_equal(by_client(10, "LAPTOP-BOB")->idle_s, 30 * HOUR + t);

    /* Months, in jumps shorter than the clock's 49.7-day wrap. */
    at(t + 40 * DAY);
    assert_int_equal(simsmb_now_s(), t + 40 * DAY);
    at(t + 80 * DAY);
    assert_int_equal(simsmb_now_s(), t + 80 * DAY);
    assert_int_equal(by_client(sample_all(), "LAPTOP-BOB")->idle_s,
                     30 * HOUR + t + 80 * DAY);
}

/* A scenario that churns a session every second falls behind a long jump
 * and catches up over later calls, each of bounded work. */
static void test_steps_bounded(void **state)
{
    (void)state;
    uint32_t calls = 0;

    load("every 1s open x client=X hold=1s\n");
    at(HOUR);
    uint32_t now = simsmb_now_s();
    assert_true(now < HOUR);
    assert_true(now >= SIMSMB_STEPS_MAX - 1);
    while (simsmb_now_s() < HOUR)
        calls++;
    assert_true(calls <= HOUR / SIMSMB_STEPS_MAX + 1);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].session_id, 0x1001 + HOUR);
    assert_int_equal(recs[0].connected_s, 0);
}

/* Many firings applied at once: the latest write still wins. */
static void test_bulk_latest_wins(void **state)
{
    (void)state;
    load("at 0 open a client=A\n"
         "every 10s opens a 1\n"
         "at 95s opens a 7\n"
         "at 85s opens a 9\n");
    at(99); /* the every line last fires at 90, then 95 (85 is before) */
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].opens, 7);
    assert_int_equal(recs[0].idle_s, 4);
    at(100);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].opens, 1);
    at(HOUR);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].opens, 1);
    assert_int_equal(recs[0].idle_s, 0);
}

/* Random scenarios run twice, a second at a time and in one jump (bulk
 * firings, bounded steps catching up): the results must be identical. */
static uint32_t rnd_state = 0x9E3779B9u;

static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state % n;
}

static size_t random_scenario(char *t, size_t size)
{
    static const char *const verbs[] = {"touch", "opens", "close", "fail"};
    int n = snprintf(t, size, "limit %u\n%s", 1 + rnd(4),
                     rnd(2) ? "idle-source counter\n" : "");
    int lines = 4 + (int)rnd(12);

    for (int i = 0; i < lines && n < (int)size - 200; i++) {
        uint32_t name = i < 4 ? (uint32_t)i : rnd(4);
        n += rnd(2) ? snprintf(t + n, size - (size_t)n, "at %u ", rnd(900))
                    : snprintf(t + n, size - (size_t)n,
                               "every %u from %u until %u ", 1 + rnd(300),
                               rnd(300), 300 + rnd(3000));
        uint32_t v = i < 4 ? 4 : rnd(8);
        if (v >= 4)
            n += snprintf(t + n, size - (size_t)n,
                          "open n%u client=C%u idle=%u opens=%u%s%s\n", name,
                          rnd(3), rnd(100), rnd(3), rnd(2) ? " conn=t" : "",
                          rnd(2) ? " hold=2m" : "");
        else if (v == 1)
            n += snprintf(t + n, size - (size_t)n, "opens n%u %u\n", name,
                          rnd(5));
        else if (v == 3)
            n += snprintf(t + n, size - (size_t)n, "fail 1\n");
        else
            n += snprintf(t + n, size - (size_t)n, "%s n%u\n", verbs[v], name);
    }
    return (size_t)n;
}

/* The table at time s (samples until one does not fail), and the figures. */
static size_t run_to(uint32_t s, hal_smb_session_t *out, uint32_t *fig)
{
    size_t n = 0;
    int fails = 0;

    at(s);
    while (simsmb_now_s() < s)
        ;
    for (;;) {
        size_t got;
        int rc = hal_smb_sample(out + n, 4, &got, &info);
        n += got;
        if (rc == HAL_SMB_OK)
            break;
        if (rc == HAL_SMB_EFAIL) {
            fails++;
            n = 0;
        }
    }
    fig[0] = info.refusals;
    fig[1] = (uint32_t)fails;
    return n;
}

static void test_jump_equals_steps(void **state)
{
    (void)state;
    static char text[2048];
    static hal_smb_session_t stepped[128], jumped[128];

    for (int round = 0; round < 150; round++) {
        size_t len = random_scenario(text, sizeof text);
        uint32_t end = 600 + rnd(3 * HOUR), fa[2], fb[2];
        size_t na = 0, nb;

        simsmb_error_t err;
        fake_ms = base_ms = rnd(UINT32_MAX);
        if (simsmb_load(text, len, &err) != 0)
            print_error("line %u: %s\n%s", (unsigned)err.line, err.msg, text);
        assert_int_equal(simsmb_load(text, len, NULL), 0);
        for (uint32_t s = 0; s <= end; s += 1 + rnd(5))
            na = run_to(s, stepped, fa);
        na = run_to(end, stepped, fa);
        fake_ms = base_ms;
        assert_int_equal(simsmb_load(text, len, NULL), 0);
        nb = run_to(end, jumped, fb);
        if (na != nb || memcmp(stepped, jumped, na * sizeof stepped[0]) ||
            fa[0] != fb[0])
            print_error("round %d, %u s:\n%s", round, (unsigned)end, text);
        assert_int_equal(na, nb);
        assert_memory_equal(stepped, jumped, na * sizeof stepped[0]);
        assert_int_equal(fa[0], fb[0]);
    }
}

/* Mutated scenarios: every load ends in 0 or -1 with a message, and the
 * simulator stays sound (the sanitizers watch). */
static void test_load_garbage(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789smhd=# \t\r\nabzAZ._-\\\x01\xff";
    static char text[4096];
    uint32_t x = 0x12345678u, ok = 0;

    for (int i = 0; i < 3000; i++) {
        size_t len = strlen(simsmb_default_scenario);
        assert_true(len <= sizeof text);
        memcpy(text, simsmb_default_scenario, len);
        for (int m = 0; m < 1 + i % 4 && len; m++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            size_t at_pos = x % len;
            if (x % 16u == 0)
                len = at_pos;
            else
                text[at_pos] = alphabet[(x >> 8) % (sizeof alphabet - 1)];
        }
        simsmb_error_t err;
        memset(&err, 0x55, sizeof err);
        fake_ms = base_ms = x;
        int rc = simsmb_load(text, len, &err);
        assert_true(rc == 0 || rc == -1);
        if (rc == 0) {
            ok++;
            at(x % (2 * DAY));
            assert_true(sample_all() <= SIMSMB_SESSIONS_MAX);
        } else {
            assert_true(strlen(err.msg) > 0 && strlen(err.msg) < 80);
            assert_true(err.line >= 1 && err.line <= 80);
        }
    }
    assert_true(ok > 0);
}

static void test_load_restarts(void **state)
{
    (void)state;
    load("limit 1\nat 0 open a client=A\nat 0 open b client=B\n");
    at(HOUR);
    assert_int_equal(simsmb_refusals(), 1);
    assert_int_equal(hal_smb_end_session(0x1001), HAL_SMB_OK);
    load("at 0 open a client=A opens=1\n");
    assert_int_equal(simsmb_now_s(), 0);
    assert_int_equal(simsmb_refusals(), 0);
    assert_int_equal(simsmb_opens_lost(), 0);
    assert_int_equal(sample_all(), 1);
    assert_int_equal(recs[0].session_id, 0x1001);
    assert_int_equal(recs[0].conn_id, 5001);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unloaded),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_every_directive_and_verb),
        cmocka_unit_test(test_text_not_nul_terminated),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_too_many_lines),
        cmocka_unit_test(test_error_text_too_large),
        cmocka_unit_test(test_limit_and_refusals),
        cmocka_unit_test(test_default_limit),
        cmocka_unit_test(test_ties_in_file_order),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_rewind_from),
        cmocka_unit_test(test_snapshot_consistent),
        cmocka_unit_test(test_sample_across_wrap),
        cmocka_unit_test(test_sample_bad_args),
        cmocka_unit_test(test_idle_and_connected),
        cmocka_unit_test(test_counter_mode),
        cmocka_unit_test(test_conn_tags),
        cmocka_unit_test(test_hold),
        cmocka_unit_test(test_every_from_until),
        cmocka_unit_test(test_name_follows_latest),
        cmocka_unit_test(test_fail),
        cmocka_unit_test(test_end_calls),
        cmocka_unit_test(test_default_scenario),
        cmocka_unit_test(test_long_jump),
        cmocka_unit_test(test_steps_bounded),
        cmocka_unit_test(test_bulk_latest_wins),
        cmocka_unit_test(test_jump_equals_steps),
        cmocka_unit_test(test_load_garbage),
        cmocka_unit_test(test_load_restarts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
