/* smbjson: the join of Samba 4.17 `smbstatus --json` output into sessions
 * (ids, connection, client, user, dialect, flags, opens per smbd and uid,
 * time since the earliest tree connect), null and guest sessions, the
 * client's endpoint, every refused form (failing the whole table), texts cut
 * at the record's sizes, and the time and endpoint readers. Input always
 * sits in an exact-size heap copy without a NUL, so a read past len is
 * caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "smbjson.h"

/* ---- smbstatus output, as Samba 4.17 prints it ---------------------------- */

#define SRV(pid)                                                                   \
    "{\"pid\": \"" pid "\", \"task_id\": \"0\", \"vnn\": \"4294967295\", "         \
    "\"unique_id\": \"5070458171354721723\"}"
#define PROT(cipher, degree) "{\"cipher\": \"" cipher "\", \"degree\": \"" degree "\"}"
#define NONE PROT("-", "none")
#define SESSION(id, pid, uid, user, host, enc, sig)                                \
    "\"" id "\": {\"session_id\": \"" id "\", \"server_id\": " SRV(pid)            \
    ", \"uid\": " uid ", \"gid\": " uid ", \"username\": \"" user "\", "           \
    "\"groupname\": \"" user "\", \"remote_machine\": \"127.0.0.1\", "             \
    "\"hostname\": \"" host "\", \"session_dialect\": \"SMB3_11\", "               \
    "\"encryption\": " enc ", \"signing\": " sig "}"
#define TCON(id, service, pid, sid, at)                                            \
    "\"" id "\": {\"service\": \"" service "\", \"server_id\": " SRV(pid)          \
    ", \"tcon_id\": \"" id "\", \"session_id\": \"" sid "\", "                     \
    "\"machine\": \"127.0.0.1\", \"connected_at\": \"" at "\", "                   \
    "\"encryption\": " NONE ", \"signing\": " NONE "}"
#define FILE_OPENS(path, opens)                                                    \
    "\"" path "\": {\"service_path\": \"/tmp/sp/share\", \"filename\": \"f.txt\", " \
    "\"fileid\": {\"devid\": 64769, \"inode\": 1835099, \"extid\": 0}, "           \
    "\"num_pending_deletes\": 0, \"opens\": {" opens "}}"
#define OPEN(pid, id, uid)                                                         \
    "\"" pid "/" id "\": {\"server_id\": " SRV(pid) ", \"uid\": " uid ", "         \
    "\"share_file_id\": \"" id "\", "                                              \
    "\"sharemode\": {\"hex\": \"0x00000003\", \"READ\": true, \"WRITE\": true, "   \
    "\"DELETE\": false, \"text\": \"RW\"}, "                                       \
    "\"opened_at\": \"2026-11-22T04:30:10.108612+00:00\"}"
#define DOC(ts, sessions, tcons, files)                                            \
    "{\"timestamp\": \"" ts "\", \"version\": \"4.17.12-Debian\", "                \
    "\"smb_conf\": \"smb.conf\", \"sessions\": {" sessions "}, "                   \
    "\"tcons\": {" tcons "}, \"open_files\": {" files "}}"

#define TS "2026-11-22T04:30:12.079879+0000"
#define TS_EPOCH 1795321812 /* TS in seconds since 1970 */

/* The example from a real server: a null session on IPC$ and alice on a
 * share with one file open. */
static const char real_output[] = DOC(
    TS,
    SESSION("993929641", "6244", "65534", "nobody", "ipv4:127.0.0.1:44190", NONE, NONE) ", "
    SESSION("401405635", "6245", "1001", "alice", "ipv4:127.0.0.1:44192", NONE,
            PROT("AES-128-GMAC", "partial")),
    TCON("3811439985", "IPC$", "6244", "993929641", "2026-11-22T04:30:10.087967+00:00") ", "
    TCON("2686438647", "share", "6245", "401405635", "2026-11-22T04:30:10.107811+00:00"),
    FILE_OPENS("/tmp/sp/share/f.txt", OPEN("6245", "5", "1001")));

static smb_table_t t;
static char err[128];

/* Parses text from an exact-size copy without its NUL. */
static int parse_as(const char *text, const char *guest)
{
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    memset(err, 0, sizeof err);
    int rc = smbjson_parse(copy, len, guest, &t, err, sizeof err);
    free(copy);
    return rc;
}

static void parse_ok(const char *text)
{
    int rc = parse_as(text, "nobody");
    if (rc != 0) fail_msg("parse failed: %s", err);
}

/* The whole table refused: nothing kept, a reason given. */
static void parse_fails(const char *text)
{
    static smb_entry_t junk[1];
    t.entry = junk; /* whatever the table held before must not matter */
    t.count = 7;
    if (parse_as(text, "nobody") != -1) fail_msg("accepted: %s", text);
    assert_null(t.entry);
    assert_int_equal(t.count, 0);
    assert_true(strlen(err) > 0);
    assert_true(strlen(err) < sizeof err);
}

static const smb_entry_t *entry(uint32_t session_id)
{
    for (size_t i = 0; i < t.count; i++)
        if (t.entry[i].rec.session_id == session_id) return &t.entry[i];
    fail_msg("session %u not in the table", session_id);
    return NULL;
}

/* ---- one session built field by field, for the refused forms --------------- */

static const struct {
    const char *key, *val;
} base_session[] = {
    {"session_id", "\"7\""},
    {"server_id", SRV("100")},
    {"uid", "1001"},
    {"gid", "1001"},
    {"username", "\"alice\""},
    {"groupname", "\"alice\""},
    {"remote_machine", "\"127.0.0.1\""},
    {"hostname", "\"ipv4:127.0.0.1:44192\""},
    {"session_dialect", "\"SMB3_11\""},
    {"encryption", NONE},
    {"signing", NONE},
};

/* A table of one session: base_session with key's value replaced by val,
 * or left out when val is NULL. */
static const char *doc_with(const char *key, const char *val)
{
    static char doc[4096];
    size_t n = (size_t)snprintf(doc, sizeof doc,
                                "{\"timestamp\": \"" TS "\", \"sessions\": {\"7\": {");
    const char *sep = "";
    for (size_t i = 0; i < sizeof base_session / sizeof base_session[0]; i++) {
        const char *v = base_session[i].val;
        if (strcmp(base_session[i].key, key) == 0) v = val;
        if (!v) continue;
        n += (size_t)snprintf(doc + n, sizeof doc - n, "%s\"%s\": %s", sep,
                              base_session[i].key, v);
        sep = ", ";
    }
    n += (size_t)snprintf(doc + n, sizeof doc - n,
                          "}}, \"tcons\": {}, \"open_files\": {}}");
    assert_true(n < sizeof doc);
    return doc;
}

/* ---- the join ------------------------------------------------------------------ */

static void test_real_output_joined(void **state)
{
    (void)state;
    parse_ok(real_output);
    assert_int_equal(t.count, 2);

    const smb_entry_t *a = entry(401405635);
    assert_int_equal(a->rec.conn_id, 6245);
    assert_string_equal(a->rec.client, "127.0.0.1");
    assert_string_equal(a->rec.user, "alice");
    assert_string_equal(a->rec.type, "SMB3_11");
    assert_int_equal(a->rec.flags, HAL_SMB_F_SIGNED);
    assert_int_equal(a->rec.opens, 1);
    assert_int_equal(a->rec.connected_s, 2); /* 04:30:12.08 - 04:30:10.11 */
    assert_int_equal(a->rec.idle_s, 0);
    assert_int_equal(a->rec.activity, 0);

    const smb_entry_t *n = entry(993929641);
    assert_int_equal(n->rec.conn_id, 6244);
    assert_string_equal(n->rec.user, ""); /* the guest account on IPC$ only */
    assert_int_equal(n->rec.flags, HAL_SMB_F_GUEST);
    assert_int_equal(n->rec.opens, 0);
    assert_int_equal(n->rec.connected_s, 2);
    smbjson_free(&t);
    assert_null(t.entry);
    assert_int_equal(t.count, 0);
}

static void test_peer_endpoint_from_hostname(void **state)
{
    (void)state;
    parse_ok(DOC(TS,
                 SESSION("1", "100", "1001", "alice", "ipv4:10.1.2.3:44192", NONE, NONE) ", "
                 SESSION("2", "101", "1001", "alice", "ipv6:fd00::17:50000", NONE, NONE) ", "
                 SESSION("3", "102", "1001", "alice", "netbios:pc", NONE, NONE),
                 "", ""));
    assert_int_equal(t.count, 3);
    const uint8_t v4[4] = {10, 1, 2, 3};
    const smb_endpoint_t *p = &entry(1)->peer;
    assert_int_equal(p->family, AF_INET);
    assert_int_equal(p->port, 44192);
    assert_memory_equal(p->addr, v4, 4);

    uint8_t v6[16];
    assert_int_equal(inet_pton(AF_INET6, "fd00::17", v6), 1);
    p = &entry(2)->peer;
    assert_int_equal(p->family, AF_INET6);
    assert_int_equal(p->port, 50000);
    assert_memory_equal(p->addr, v6, 16);

    /* An endpoint that cannot be read leaves the session, without a peer. */
    assert_int_equal(entry(3)->peer.family, 0);
    smbjson_free(&t);
}

static void test_flags_from_encryption_and_signing(void **state)
{
    (void)state;
    parse_ok(DOC(TS,
                 SESSION("1", "100", "1001", "alice", "ipv4:127.0.0.1:1", NONE, NONE) ", "
                 SESSION("2", "101", "1001", "alice", "ipv4:127.0.0.1:2", NONE,
                         PROT("AES-128-GMAC", "partial")) ", "
                 SESSION("3", "102", "1001", "alice", "ipv4:127.0.0.1:3",
                         PROT("AES-128-GCM", "full"), PROT("AES-128-GMAC", "full")) ", "
                 SESSION("4", "103", "1001", "alice", "ipv4:127.0.0.1:4",
                         PROT("AES-256-GCM", "partial"), NONE),
                 "", ""));
    assert_int_equal(entry(1)->rec.flags, 0);
    assert_int_equal(entry(2)->rec.flags, HAL_SMB_F_SIGNED);
    assert_int_equal(entry(3)->rec.flags, HAL_SMB_F_SIGNED | HAL_SMB_F_ENCRYPTED);
    assert_int_equal(entry(4)->rec.flags, HAL_SMB_F_ENCRYPTED);
    smbjson_free(&t);
}

/* Opens go to the sessions of their smbd with their uid; an open whose uid
 * no session there has goes to every session of that smbd; an open on an
 * smbd without sessions goes nowhere. */
static void test_opens_counted_per_smbd_and_uid(void **state)
{
    (void)state;
    parse_ok(DOC(TS,
                 SESSION("1", "100", "1001", "alice", "ipv4:127.0.0.1:1", NONE, NONE) ", "
                 SESSION("2", "100", "1002", "bob", "ipv4:127.0.0.1:1", NONE, NONE) ", "
                 SESSION("3", "200", "1001", "alice", "ipv4:127.0.0.1:2", NONE, NONE) ", "
                 SESSION("4", "300", "1003", "carol", "ipv4:127.0.0.1:3", NONE, NONE),
                 "",
                 FILE_OPENS("/srv/a", OPEN("100", "1", "1001") ", " OPEN("100", "2", "1001")
                                          ", " OPEN("200", "3", "1001")) ", "
                 FILE_OPENS("/srv/b", OPEN("100", "4", "1002") ", " OPEN("100", "5", "0")
                                          ", " OPEN("400", "6", "1001") ", "
                                          OPEN("300", "7", "0"))));
    assert_int_equal(entry(1)->rec.opens, 3); /* two of its own, root's */
    assert_int_equal(entry(2)->rec.opens, 2); /* one of its own, root's */
    assert_int_equal(entry(3)->rec.opens, 1); /* alice's on its smbd only */
    assert_int_equal(entry(4)->rec.opens, 1); /* root's, the only session */
    smbjson_free(&t);
}

/* Thousands of sessions in no order, several to an smbd: each tcon and
 * each open joined to its own (a reference join, by scanning, beside the
 * parser's sorted one), and an id listed twice far apart refused. */
static void test_large_table_joined(void **state)
{
    (void)state;
    enum { N = 3000 };
    static uint32_t id[N], pid[N], uid[N], opens[N], tcon_min[N];
    static char doc[4 << 20];
    size_t at = 0, cap = sizeof doc;
#define PUT(...) (at += (size_t)snprintf(doc + at, cap - at, __VA_ARGS__), assert_true(at < cap))
    uint32_t r = 99;
    for (uint32_t i = 0; i < N; i++) {
        r = r * 1103515245u + 12345u;
        id[i] = (r >> 8) % 1000000u * N + i; /* distinct, in no order */
        pid[i] = 7000 + (r >> 4) % 900;      /* some smbds carry several */
        uid[i] = 1000 + i % 3;
        opens[i] = 0;
        tcon_min[i] = 60;
    }
    PUT("{\"timestamp\": \"" TS "\", \"version\": \"4.17.12-Debian\", \"smb_conf\": \"smb.conf\", "
        "\"sessions\": {");
    for (uint32_t i = 0; i < N; i++)
        PUT("%s\"%u\": {\"session_id\": \"%u\", \"server_id\": {\"pid\": \"%u\", \"task_id\": \"0\", "
            "\"vnn\": \"1\", \"unique_id\": \"1\"}, \"uid\": %u, \"gid\": 1, \"username\": \"u%u\", "
            "\"groupname\": \"g\", \"remote_machine\": \"10.0.0.1\", \"hostname\": \"ipv4:10.0.0.1:1\", "
            "\"session_dialect\": \"SMB3_11\", \"encryption\": " NONE ", \"signing\": " NONE "}",
            i ? ", " : "", id[i], id[i], pid[i], uid[i], i);
    PUT("}, \"tcons\": {");
    for (uint32_t k = 0; k < 2 * N; k++) { /* two for most, some for a session that ended */
        r = r * 1103515245u + 12345u;
        uint32_t i = (r >> 8) % N, min = 10 + (r >> 20) % 40;
        uint32_t sid = k % 7 == 6 ? 1 + 7u * k : id[i];
        if (sid == id[i] && min < tcon_min[i]) tcon_min[i] = min;
        PUT("%s\"%u\": {\"service\": \"share\", \"server_id\": {\"pid\": \"1\", \"task_id\": \"0\", "
            "\"vnn\": \"1\", \"unique_id\": \"1\"}, \"tcon_id\": \"%u\", \"session_id\": \"%u\", "
            "\"machine\": \"m\", \"connected_at\": \"2026-11-22T04:%02u:12+0000\", \"encryption\": " NONE
            ", \"signing\": " NONE "}",
            k ? ", " : "", k, k, sid, min);
    }
    PUT("}, \"open_files\": {\"/srv/f\": {\"opens\": {");
    for (uint32_t k = 0; k < N; k++) {
        r = r * 1103515245u + 12345u;
        uint32_t p = 7000 + (r >> 4) % 950, u = 1000 + (r >> 12) % 4; /* some no session's */
        PUT("%s\"%u/%u\": {\"server_id\": {\"pid\": \"%u\", \"task_id\": \"0\", \"vnn\": \"1\", "
            "\"unique_id\": \"1\"}, \"uid\": %u, \"share_file_id\": \"%u\"}",
            k ? ", " : "", p, k, p, u, k);
        uint32_t mine = 0; /* the reference: the smbd's sessions of that uid, else all of them */
        for (uint32_t i = 0; i < N; i++) mine += pid[i] == p && uid[i] == u;
        for (uint32_t i = 0; i < N; i++)
            if (pid[i] == p && (!mine || uid[i] == u)) opens[i]++;
    }
    PUT("}}}}");
    parse_ok(doc);
    assert_int_equal(t.count, N);
    for (uint32_t i = 0; i < N; i++) {
        const smb_entry_t *e = entry(id[i]);
        assert_int_equal(e->rec.opens, opens[i]);
        assert_int_equal(e->rec.connected_s, tcon_min[i] < 30 ? (30 - tcon_min[i]) * 60 : 0); /* TS is 04:30:12 */
        assert_int_equal(e->rec.conn_id, pid[i]);
    }
    smbjson_free(&t);
    /* the last session's id given to the first as well */
    char *first = strstr(doc, "\"session_id\": \"");
    char want[32];
    snprintf(want, sizeof want, "\"session_id\": \"%u\"", id[N - 1]);
    char *last = strstr(doc, want);
    assert_non_null(first);
    assert_non_null(last);
    size_t old_len = strcspn(first + 15, "\"") + 16, new_len = strlen(want);
    memmove(first + new_len, first + old_len, strlen(first + old_len) + 1);
    memcpy(first, want, new_len);
    parse_fails(doc);
    assert_non_null(strstr(err, "listed twice"));
#undef PUT
}

/* The timestamp (+0100) minus the earliest tree connect (-05:00 and Z). */
static void test_connected_from_earliest_tcon(void **state)
{
    (void)state;
    parse_ok(DOC("2026-11-22T05:30:12.5+0100",
                 SESSION("1", "100", "1001", "alice", "ipv4:127.0.0.1:1", NONE, NONE) ", "
                 SESSION("2", "101", "1001", "alice", "ipv4:127.0.0.1:2", NONE, NONE) ", "
                 SESSION("3", "102", "1001", "alice", "ipv4:127.0.0.1:3", NONE, NONE),
                 TCON("10", "IPC$", "100", "1", "2026-11-22T04:29:12Z") ", "
                 TCON("11", "share", "100", "1", "2026-11-21T23:20:12.999-05:00") ", "
                 TCON("12", "share", "100", "1", "2026-11-22T04:30:00+00:00") ", "
                 TCON("13", "share", "102", "3", "2026-11-22T04:31:00+00:00"),
                 ""));
    assert_int_equal(entry(1)->rec.connected_s, 600);
    assert_int_equal(entry(2)->rec.connected_s, 0); /* no tree connect */
    assert_int_equal(entry(3)->rec.connected_s, 0); /* clock skew: not negative */
    smbjson_free(&t);
}

static void test_guest_without_share_is_null_session(void **state)
{
    (void)state;
    parse_ok(DOC(TS,
                 SESSION("1", "100", "65534", "nobody", "ipv4:127.0.0.1:1", NONE, NONE) ", "
                 SESSION("2", "101", "65534", "nobody", "ipv4:127.0.0.1:2", NONE, NONE) ", "
                 SESSION("3", "102", "65534", "nobody", "ipv4:127.0.0.1:3", NONE, NONE),
                 TCON("10", "IPC$", "100", "1", "2026-11-22T04:30:10+00:00") ", "
                 TCON("11", "ipc$", "102", "3", "2026-11-22T04:30:10+00:00"),
                 ""));
    for (uint32_t id = 1; id <= 3; id++) {
        assert_string_equal(entry(id)->rec.user, "");
        assert_int_equal(entry(id)->rec.flags, HAL_SMB_F_GUEST);
    }
    smbjson_free(&t);
}

static void test_guest_with_share_keeps_name(void **state)
{
    (void)state;
    parse_ok(DOC(TS,
                 SESSION("1", "100", "65534", "nobody", "ipv4:127.0.0.1:1", NONE, NONE),
                 TCON("10", "IPC$", "100", "1", "2026-11-22T04:30:10+00:00") ", "
                 TCON("11", "public", "100", "1", "2026-11-22T04:30:11+00:00"),
                 ""));
    assert_string_equal(entry(1)->rec.user, "nobody");
    assert_int_equal(entry(1)->rec.flags, HAL_SMB_F_GUEST);
    assert_int_equal(entry(1)->rec.connected_s, 2);
    smbjson_free(&t);
}

/* Only the configured guest account is the guest. */
static void test_guest_is_the_configured_account(void **state)
{
    (void)state;
    assert_int_equal(parse_as(DOC(TS,
                                  SESSION("1", "100", "65534", "nobody", "ipv4:127.0.0.1:1",
                                          NONE, NONE) ", "
                                  SESSION("2", "101", "998", "smbguest", "ipv4:127.0.0.1:2",
                                          NONE, NONE),
                                  "", ""),
                              "smbguest"),
                     0);
    assert_string_equal(entry(1)->rec.user, "nobody");
    assert_int_equal(entry(1)->rec.flags, 0);
    assert_string_equal(entry(2)->rec.user, "");
    assert_int_equal(entry(2)->rec.flags, HAL_SMB_F_GUEST);
    smbjson_free(&t);
}

/* A tree connect whose session ended between smbstatus's reads. */
static void test_tcon_of_missing_session_ignored(void **state)
{
    (void)state;
    parse_ok(DOC(TS, SESSION("1", "100", "1001", "alice", "ipv4:127.0.0.1:1", NONE, NONE),
                 TCON("10", "share", "100", "2", "2026-11-22T04:00:00+00:00") ", "
                 TCON("11", "share", "100", "1", "2026-11-22T04:30:02+00:00"),
                 ""));
    assert_int_equal(t.count, 1);
    assert_int_equal(entry(1)->rec.connected_s, 10);
    smbjson_free(&t);
}

static void test_empty_table(void **state)
{
    (void)state;
    parse_ok(DOC(TS, "", "", ""));
    assert_int_equal(t.count, 0);
    smbjson_free(&t);
    assert_null(t.entry);
}

/* Ids as JSON integers too, up to UINT32_MAX. */
static void test_integer_and_largest_ids(void **state)
{
    (void)state;
    parse_ok(doc_with("session_id", "4294967295"));
    assert_int_equal(t.count, 1);
    assert_int_equal(t.entry[0].rec.session_id, UINT32_MAX);
    assert_int_equal(t.entry[0].rec.conn_id, 100);
    smbjson_free(&t);
    parse_ok(doc_with("session_id", "\"4294967295\""));
    assert_int_equal(t.entry[0].rec.session_id, UINT32_MAX);
    smbjson_free(&t);
}

static void test_texts_cut_at_record_sizes(void **state)
{
    (void)state;
    /* DOMAIN\user as JSON escapes it. */
    const char *user = "\"DOMAIN\\\\a-user-name-much-longer-than-forty-bytes-xxxxxxxx\"";
    const char *user_text = "DOMAIN\\a-user-name-much-longer-than-forty-bytes-xxxxxxxx";
    char client[80], type[40];
    snprintf(client, sizeof client, "\"%s\"", "a-client-name-much-longer-than-forty-bytes-yyy");
    snprintf(type, sizeof type, "\"%s\"", "SMB3_11_and_then_some");

    parse_ok(doc_with("username", user));
    assert_int_equal(strlen(t.entry[0].rec.user), HAL_SMB_USER_MAX - 1);
    assert_memory_equal(t.entry[0].rec.user, user_text, HAL_SMB_USER_MAX - 1);
    smbjson_free(&t);

    parse_ok(doc_with("remote_machine", client));
    assert_int_equal(strlen(t.entry[0].rec.client), HAL_SMB_CLIENT_MAX - 1);
    assert_memory_equal(t.entry[0].rec.client, client + 1, HAL_SMB_CLIENT_MAX - 1);
    smbjson_free(&t);

    parse_ok(doc_with("session_dialect", type));
    assert_int_equal(strlen(t.entry[0].rec.type), HAL_SMB_TYPE_MAX - 1);
    assert_memory_equal(t.entry[0].rec.type, type + 1, HAL_SMB_TYPE_MAX - 1);
    smbjson_free(&t);

    /* Twenty 'é' (40 bytes) in 39: nineteen whole ones, no half of the last. */
    char accents[48] = "\"";
    for (int i = 0; i < 20; i++) strcat(accents, "\xc3\xa9");
    strcat(accents, "\"");
    parse_ok(doc_with("remote_machine", accents));
    assert_int_equal(strlen(t.entry[0].rec.client), 38);
    assert_memory_equal(t.entry[0].rec.client, accents + 1, 38);
    smbjson_free(&t);
}

/* ---- refused forms ---------------------------------------------------------- */

static void test_baseline_session_is_accepted(void **state)
{
    (void)state;
    /* The refused forms below differ from this in one field. */
    parse_ok(doc_with("", NULL));
    assert_int_equal(t.count, 1);
    assert_int_equal(t.entry[0].rec.session_id, 7);
    assert_string_equal(t.entry[0].rec.user, "alice");
    smbjson_free(&t);
}

static void test_refuses_not_a_json_object(void **state)
{
    (void)state;
    parse_fails("");
    parse_fails("smbstatus only works as root!\n");
    parse_fails("{\"timestamp\": ");
    parse_fails("[]");
    parse_fails("\"" TS "\"");
    /* The same key twice is not trusted either. */
    parse_fails(DOC(TS,
                    SESSION("1", "100", "1001", "alice", "ipv4:127.0.0.1:1", NONE, NONE) ", "
                    SESSION("1", "101", "1001", "alice", "ipv4:127.0.0.1:2", NONE, NONE),
                    "", ""));
}

static void test_refuses_bad_timestamp(void **state)
{
    (void)state;
    parse_fails("{\"sessions\": {}, \"tcons\": {}, \"open_files\": {}}");
    parse_fails(DOC("yesterday", "", "", ""));
    parse_fails(DOC("2026-11-22T04:30:12", "", "", ""));
    parse_fails("{\"timestamp\": 1795321812, \"sessions\": {}, \"tcons\": {}, "
                "\"open_files\": {}}");
}

static void test_refuses_missing_objects(void **state)
{
    (void)state;
    parse_fails("{\"timestamp\": \"" TS "\", \"tcons\": {}, \"open_files\": {}}");
    parse_fails("{\"timestamp\": \"" TS "\", \"sessions\": {}, \"open_files\": {}}");
    parse_fails("{\"timestamp\": \"" TS "\", \"sessions\": {}, \"tcons\": {}}");
    parse_fails("{\"timestamp\": \"" TS "\", \"sessions\": [], \"tcons\": {}, "
                "\"open_files\": {}}");
    parse_fails("{\"timestamp\": \"" TS "\", \"sessions\": {}, \"tcons\": null, "
                "\"open_files\": {}}");
}

static void test_refuses_session_lacking_fields(void **state)
{
    (void)state;
    parse_fails(doc_with("session_id", NULL));
    parse_fails(doc_with("server_id", NULL));
    parse_fails(doc_with("uid", NULL));
    parse_fails(doc_with("username", NULL));
    parse_fails(doc_with("remote_machine", NULL));
    parse_fails("{\"timestamp\": \"" TS "\", \"sessions\": {\"7\": \"alice\"}, "
                "\"tcons\": {}, \"open_files\": {}}");
}

static void test_refuses_session_bad_values(void **state)
{
    (void)state;
    parse_fails(doc_with("session_id", "\"4294967296\""));
    parse_fails(doc_with("session_id", "4294967296"));
    parse_fails(doc_with("session_id", "-1"));
    parse_fails(doc_with("session_id", "\"-1\""));
    parse_fails(doc_with("session_id", "\"\""));
    parse_fails(doc_with("session_id", "\"12x\""));
    parse_fails(doc_with("session_id", "\"99999999999999999999999\""));
    parse_fails(doc_with("server_id", "{}"));
    parse_fails(doc_with("server_id", "\"6245\""));
    parse_fails(doc_with("server_id", SRV("0")));
    parse_fails(doc_with("uid", "\"alice\""));
    parse_fails(doc_with("uid", "-2"));
    parse_fails(doc_with("username", "null"));
    parse_fails(doc_with("remote_machine", "17"));
}

/* Two entries of one session id under different keys. */
static void test_refuses_duplicate_session_ids(void **state)
{
    (void)state;
    parse_fails("{\"timestamp\": \"" TS "\", \"sessions\": {"
                "\"1\": {\"session_id\": \"5\", \"server_id\": " SRV("100") ", \"uid\": 0, "
                "\"username\": \"a\", \"remote_machine\": \"h\"}, "
                "\"2\": {\"session_id\": \"5\", \"server_id\": " SRV("101") ", \"uid\": 0, "
                "\"username\": \"b\", \"remote_machine\": \"h\"}}, "
                "\"tcons\": {}, \"open_files\": {}}");
}

static void test_refuses_bad_tcons(void **state)
{
    (void)state;
    const char *s = SESSION("1", "100", "1001", "alice", "ipv4:127.0.0.1:1", NONE, NONE);
    char doc[2048];
    static const char *const tcons[] = {
        "\"10\": {\"service\": \"share\", \"session_id\": \"1\"}",
        "\"10\": {\"service\": \"share\", \"session_id\": \"1\", "
        "\"connected_at\": \"2026-11-22T04:30:10\"}",
        "\"10\": {\"service\": \"share\", \"session_id\": \"1\", "
        "\"connected_at\": \"2026-13-22T04:30:10+00:00\"}",
        "\"10\": {\"service\": \"share\", \"session_id\": \"1\", \"connected_at\": 17}",
        "\"10\": {\"service\": \"share\", \"connected_at\": \"2026-11-22T04:30:10+00:00\"}",
        "\"10\": {\"session_id\": \"1\", \"connected_at\": \"2026-11-22T04:30:10+00:00\"}",
        "\"10\": [\"share\"]",
    };
    for (size_t i = 0; i < sizeof tcons / sizeof tcons[0]; i++) {
        snprintf(doc, sizeof doc,
                 "{\"timestamp\": \"" TS "\", \"sessions\": {%s}, \"tcons\": {%s}, "
                 "\"open_files\": {}}",
                 s, tcons[i]);
        parse_fails(doc);
    }
}

static void test_refuses_bad_opens(void **state)
{
    (void)state;
    parse_fails(DOC(TS, "", "", "\"/srv/a\": {\"opens\": {\"6245/5\": {\"uid\": 1001}}}"));
    parse_fails(DOC(TS, "", "",
                    "\"/srv/a\": {\"opens\": {\"6245/5\": {\"server_id\": " SRV("6245") "}}}"));
    parse_fails(DOC(TS, "", "",
                    "\"/srv/a\": {\"opens\": {\"0/5\": {\"server_id\": " SRV("0") ", "
                    "\"uid\": 0}}}"));
    parse_fails(DOC(TS, "", "", "\"/srv/a\": {\"opens\": {\"6245/5\": 5}}"));
    parse_fails(DOC(TS, "", "", "\"/srv/a\": {\"filename\": \"a\"}"));
}

/* The reason is cut at the caller's capacity and terminated there. */
static void test_error_text_cut_at_capacity(void **state)
{
    (void)state;
    char small[16];
    memset(small, 'x', sizeof small);
    assert_int_equal(smbjson_parse("nope", 4, "nobody", &t, small, 8), -1);
    assert_int_equal(strlen(small), 7);
    for (size_t i = 8; i < sizeof small; i++) assert_int_equal(small[i], 'x');
    assert_null(t.entry);
}

/* ---- times ---------------------------------------------------------------------- */

static int64_t time_of(const char *s)
{
    int64_t v = -12345;
    if (smbjson_parse_time(s, &v) != 0) fail_msg("refused: %s", s);
    return v;
}

static void test_time_zones_and_fractions(void **state)
{
    (void)state;
    assert_int_equal(time_of("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(time_of("2026-11-22T04:30:12Z"), TS_EPOCH);
    assert_int_equal(time_of(TS), TS_EPOCH);
    assert_int_equal(time_of("2026-11-22T04:30:12.999999+00:00"), TS_EPOCH);
    assert_int_equal(time_of("2026-11-22T05:30:12+01:00"), TS_EPOCH);
    assert_int_equal(time_of("2026-11-22T10:00:12+0530"), TS_EPOCH);
    assert_int_equal(time_of("2026-11-21T23:30:12-05:00"), TS_EPOCH);
    assert_int_equal(time_of("2026-11-21T19:00:12.5-0930"), TS_EPOCH);
}

static void test_time_calendar(void **state)
{
    (void)state;
    assert_int_equal(time_of("2024-02-29T00:00:00Z"), 1709164800);
    assert_int_equal(time_of("2024-03-01T00:00:00Z") - time_of("2024-02-28T00:00:00Z"),
                     2 * 86400);
    assert_int_equal(time_of("2023-03-01T00:00:00Z") - time_of("2023-02-28T00:00:00Z"),
                     86400);
    assert_int_equal(time_of("2000-03-01T00:00:00Z"), 951868800);
    assert_int_equal(time_of("1999-12-31T23:59:59Z"), 946684799);
    assert_int_equal(time_of("2100-03-01T00:00:00Z"), 4107542400);
}

static void test_time_refuses_junk(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "junk",
        "2026-11-22",
        "2026-11-22T04:30:12",      /* no zone */
        "2026-11-22T04:30:12Zx",    /* trailing text */
        "2026-11-22T04:30:12+00:00 ",
        "2026-11-22T04:30:12.Z",    /* empty fraction */
        "2026-11-22T04:30:12+1",
        "2026-11-22T04:30:12+01:0",
        "2026-11-22T04:30:12+24:00",
        "2026-11-22T04:30:12+01:60",
        "2026-13-22T04:30:12Z",     /* month 13 */
        "2026-00-22T04:30:12Z",
        "2026-11-00T04:30:12Z",
        "2026-11-32T04:30:12Z",
        "2026-11-22T24:30:12Z",
        "2026-11-22T04:60:12Z",
        "2026-11-22T04:30:61Z",
        "2026-11-22 04:30:12Z",
        "26-11-22T04:30:12Z",
        "2026-1-22T04:30:12Z",
        "+026-11-22T04:30:12Z",
        "2026-02-31T00:00:00Z",     /* no such day */
        "2026-02-29T00:00:00Z",     /* not a leap year */
        "2026-04-31T00:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        if (smbjson_parse_time(bad[i], &v) != -1) fail_msg("accepted: \"%s\"", bad[i]);
        assert_int_equal(v, 42);
    }
}

/* ---- endpoints ------------------------------------------------------------------- */

static void test_endpoint_ipv4(void **state)
{
    (void)state;
    smb_endpoint_t ep;
    const uint8_t want[16] = {127, 0, 0, 1};
    assert_int_equal(smbjson_parse_endpoint("ipv4:127.0.0.1:44190", &ep), 0);
    assert_int_equal(ep.family, AF_INET);
    assert_int_equal(ep.port, 44190);
    assert_memory_equal(ep.addr, want, 16); /* the rest zero, for comparisons */
    assert_int_equal(smbjson_parse_endpoint("ipv4:10.0.0.1:65535", &ep), 0);
    assert_int_equal(ep.port, 65535);
}

static void test_endpoint_ipv6_with_and_without_brackets(void **state)
{
    (void)state;
    smb_endpoint_t ep;
    uint8_t want[16];
    assert_int_equal(inet_pton(AF_INET6, "fe80::1:2", want), 1);
    assert_int_equal(smbjson_parse_endpoint("ipv6:fe80::1:2:445", &ep), 0);
    assert_int_equal(ep.family, AF_INET6);
    assert_int_equal(ep.port, 445);
    assert_memory_equal(ep.addr, want, 16);

    memset(&ep, 0, sizeof ep);
    assert_int_equal(smbjson_parse_endpoint("ipv6:[fe80::1:2]:50001", &ep), 0);
    assert_int_equal(ep.family, AF_INET6);
    assert_int_equal(ep.port, 50001);
    assert_memory_equal(ep.addr, want, 16);

    assert_int_equal(inet_pton(AF_INET6, "::1", want), 1);
    assert_int_equal(smbjson_parse_endpoint("ipv6:::1:139", &ep), 0);
    assert_int_equal(ep.port, 139);
    assert_memory_equal(ep.addr, want, 16);
}

static void test_endpoint_refuses(void **state)
{
    (void)state;
    char longer[128];
    memset(longer, 0, sizeof longer);
    snprintf(longer, sizeof longer, "ipv6:%0100d:445", 0);
    const char *const bad[] = {
        "",
        "127.0.0.1:445",
        "ipv5:127.0.0.1:445",
        "IPV4:127.0.0.1:445",
        "unix:/run/smb:1",
        "ipv4:127.0.0.1",      /* no port */
        "ipv4:127.0.0.1:",
        "ipv4:127.0.0.1:x",
        "ipv4:127.0.0.1:44x",
        "ipv4:127.0.0.1:65536",
        "ipv4:127.0.0.1:4294967297",
        "ipv4:127.0.0.1:-1",
        "ipv4:127.0.0.1:+80",
        "ipv4:127.0.0.1: 80",
        "ipv4:127.0.0.1:-0",
        "ipv4::445",
        "ipv4:127.0.0.256:445",
        "ipv4:localhost:445",
        "ipv4:::1:445",        /* an IPv6 address as ipv4 */
        "ipv6:127.0.0.1:445",
        "ipv6:[]:445",
        "ipv6:[fe80::1:445",
        longer,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        smb_endpoint_t ep;
        memset(&ep, 0xa5, sizeof ep);
        if (smbjson_parse_endpoint(bad[i], &ep) != -1) fail_msg("accepted: \"%s\"", bad[i]);
        assert_int_equal(ep.family, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_output_joined),
        cmocka_unit_test(test_peer_endpoint_from_hostname),
        cmocka_unit_test(test_flags_from_encryption_and_signing),
        cmocka_unit_test(test_opens_counted_per_smbd_and_uid),
        cmocka_unit_test(test_large_table_joined),
        cmocka_unit_test(test_connected_from_earliest_tcon),
        cmocka_unit_test(test_guest_without_share_is_null_session),
        cmocka_unit_test(test_guest_with_share_keeps_name),
        cmocka_unit_test(test_guest_is_the_configured_account),
        cmocka_unit_test(test_tcon_of_missing_session_ignored),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_integer_and_largest_ids),
        cmocka_unit_test(test_texts_cut_at_record_sizes),
        cmocka_unit_test(test_baseline_session_is_accepted),
        cmocka_unit_test(test_refuses_not_a_json_object),
        cmocka_unit_test(test_refuses_bad_timestamp),
        cmocka_unit_test(test_refuses_missing_objects),
        cmocka_unit_test(test_refuses_session_lacking_fields),
        cmocka_unit_test(test_refuses_session_bad_values),
        cmocka_unit_test(test_refuses_duplicate_session_ids),
        cmocka_unit_test(test_refuses_bad_tcons),
        cmocka_unit_test(test_refuses_bad_opens),
        cmocka_unit_test(test_error_text_cut_at_capacity),
        cmocka_unit_test(test_time_zones_and_fractions),
        cmocka_unit_test(test_time_calendar),
        cmocka_unit_test(test_time_refuses_junk),
        cmocka_unit_test(test_endpoint_ipv4),
        cmocka_unit_test(test_endpoint_ipv6_with_and_without_brackets),
        cmocka_unit_test(test_endpoint_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
