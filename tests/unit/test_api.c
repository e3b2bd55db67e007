/* The router and handlers of the management API, without TLS: requests
 * parsed by the real parser, bodies produced piece by piece into small
 * buffers as the connection would send them. */
#include <stdlib.h>

#include "agent_fixture.h"
#include "api.h"
#include "creds.h"
#include "logsend.h"
#include "mgmt.h"

/* The TLS and connection counters the API reports, as fixed figures. */
static tls_stats_t tls_fake = {.handshakes = 3, .pool_size = 1000, .pool_high_water = 700, .ready = true};
static mgmt_stats_t mgmt_fake = {.accepted = 5, .refused = 2, .open = 1};
const tls_stats_t *tls_stats(void) { return &tls_fake; }
const mgmt_stats_t *mgmt_stats(void) { return &mgmt_fake; }
static logsend_stats_t log_fake = {.sent = 9, .up = true};
const logsend_stats_t *logsend_stats(void) { return &log_fake; }

/* The credential calls the API makes: a fake store that stages whatever
 * says "GOOD", and activates when told it may. */
static int staged_kinds, setups;
static bool activation_ok;
int tls_stage(int kind, const char *text, size_t len, const actor_t *by, fmt_t *msg)
{
    (void)by;
    if (strlen(text) != len || !strstr(text, "GOOD")) {
        fmt_add(msg, "not a PEM certificate");
        return TLS_PUT_REFUSED;
    }
    staged_kinds |= 1 << kind;
    fmt_add(msg, "%s staged", creds_name((creds_kind_t)kind));
    return TLS_PUT_STAGED;
}
int tls_activate(bool dry_run, const actor_t *by, fmt_t *msg)
{
    (void)by;
    if (!staged_kinds) return fmt_add(msg, "nothing is staged"), TLS_PUT_NOTHING;
    if (!activation_ok) return fmt_add(msg, "the pair does not match"), TLS_PUT_REFUSED;
    if (dry_run) return fmt_add(msg, "ready to be put in force"), TLS_PUT_STAGED;
    staged_kinds = 0;
    fmt_add(msg, "staged credentials in force");
    return TLS_PUT_STORED;
}
bool tls_describe(int rec, tls_field_t field, fmt_t *out)
{
    bool staged = rec >= CREDS_STAGED_CERT;
    if (field != TLS_F_STATE) return !staged && rec == CREDS_CA && (fmt_add(out, "CN=ca\x1b"), true);
    if (rec == CREDS_CA) return false;
    fmt_add(out, staged && !(staged_kinds & 1 << (rec - CREDS_STAGED_CERT)) ? "none" : "present");
    return true;
}
int tls_setup(fmt_t *err)
{
    (void)err;
    setups++;
    return 0;
}

static char body[32768];
static size_t pieces;
static int logged_per_piece; /* events logged after each piece: the ring moves under the response */

/* Runs one request through the parser and the API; returns the status and
 * leaves the whole body in `body`. Each piece must fit API_PIECE_MAX. */
static int request(tls_role_t role, const char *text, api_resp_t *r)
{
    static http_req_t req;
    size_t used;
    http_req_init(&req);
    assert_int_equal(http_parse(&req, (const uint8_t *)text, strlen(text), &used), HTTP_DONE);
    api_handle(&req, role, "alice", r);
    size_t len = 0;
    bool more = true;
    pieces = 0;
    while (more && r->body) {
        char piece[API_PIECE_MAX];
        fmt_t f;
        fmt_init(&f, piece, sizeof piece);
        more = r->body(r, &f);
        assert_false(f.overflow);
        assert_true(len + f.len < sizeof body);
        memcpy(body + len, piece, f.len);
        len += f.len;
        pieces++;
        assert_true(pieces < 500);
        for (int i = 0; i < logged_per_piece; i++) agent_log(EV_CREDS, 0, "PSK", &console_actor, NULL);
    }
    body[len] = '\0';
    return r->status;
}

static int get(const char *path, tls_role_t role)
{
    char text[512];
    api_resp_t r;
    snprintf(text, sizeof text, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    return request(role, text, &r);
}

static int send_body(const char *method, const char *path, const char *json, tls_role_t role,
                     api_resp_t *r)
{
    char text[2048];
    snprintf(text, sizeof text, "%s %s HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s", method, path,
             strlen(json), json);
    return request(role, text, r);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

static int setup(void **state)
{
    (void)state;
    fake_ms = 1000;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    fake_smb_add(11, 1, "SVC1", "svc", 0, 5 * 3600);
    fake_smb_add(12, 2, "10.0.0.9", "", 0, 0)->connected_s = 600;
    fake_smb_add(13, 3, "WS-\"Q\"", "alice", 2, 10);
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    settle();
    return 0;
}

static void test_routes_and_methods(void **state)
{
    (void)state;
    api_resp_t r;
    assert_int_equal(get("/v1/status", TLS_ROLE_READER), 200);
    assert_non_null(strstr(body, "\"server_sessions\":3"));
    assert_non_null(strstr(body, "\"pool_high_water\":700"));
    assert_non_null(strstr(body, "\"refused\":2"));
    assert_int_equal(get("/v1/nothing", TLS_ROLE_OPERATOR), 404);
    assert_int_equal(get("/v1/sessionsX", TLS_ROLE_OPERATOR), 404);
    assert_int_equal(send_body("POST", "/v1/status", "{}", TLS_ROLE_OPERATOR, &r), 405);
    assert_string_equal(r.allow, "GET");
    assert_int_equal(send_body("PUT", "/v1/config", "{}", TLS_ROLE_OPERATOR, &r), 405);
    assert_string_equal(r.allow, "GET, PATCH");
    assert_int_equal(send_body("POST", "/v1/sessions/1", "{}", TLS_ROLE_OPERATOR, &r), 405);
    assert_string_equal(r.allow, "GET, DELETE");
    assert_int_equal(get("/v1/status", TLS_ROLE_NONE), 403);
}

static void test_sessions_stream_one_per_piece(void **state)
{
    (void)state;
    assert_int_equal(get("/v1/sessions", TLS_ROLE_READER), 200);
    assert_int_equal(pieces, 1 + 3 + 1); /* opening, a piece per session, closing */
    assert_non_null(strstr(body, "{\"sessions\":[{\"id\":1,"));
    assert_non_null(strstr(body, "\"client\":\"WS-\\\"Q\\\"\"")); /* escaped */
    assert_non_null(strstr(body, "],\"untracked\":0}"));
    assert_int_equal(get("/v1/sessions?state=stale", TLS_ROLE_READER), 200);
    assert_non_null(strstr(body, "\"reason\":\"idle\""));
    assert_non_null(strstr(body, "\"reason\":\"null\""));
    assert_null(strstr(body, "alice"));
    assert_int_equal(get("/v1/sessions?state=ended", TLS_ROLE_READER), 200);
    assert_string_equal(body, "{\"sessions\":[],\"untracked\":0}");
    assert_int_equal(get("/v1/sessions?state=x", TLS_ROLE_READER), 400);
    assert_int_equal(get("/v1/sessions/3", TLS_ROLE_READER), 200);
    assert_non_null(strstr(body, "\"opens\":2"));
    assert_int_equal(get("/v1/sessions/4", TLS_ROLE_READER), 404);
}

/* The keys of one JSON object in order ("id,session_id,..."), from text
 * that starts at its '{'. */
static void keys_of(const char *o, char *out, size_t cap)
{
    size_t n = 0;
    int depth = 0;
    bool in_str = false;
    for (const char *p = o; *p; p++) {
        if (in_str) {
            if (*p == '\\') p++;
            else if (*p == '"') in_str = false;
            continue;
        }
        if (*p == '{') depth++;
        if (*p == '}' && --depth == 0) break;
        if (*p != '"') continue;
        const char *e = strchr(p + 1, '"');
        if (e && e[1] == ':') { /* a key: copy it */
            n += (size_t)snprintf(out + n, cap - n, "%.*s,", (int)(e - p - 1), p + 1);
            p = e;
        } else {
            in_str = true;
        }
    }
}

/* Sessions are written in one piece where their strings allow it, member
 * by member where they do not (a byte beyond ASCII): the same keys in the
 * same order either way, and every string escaped, in every 8-byte
 * position. */
static void test_session_json_both_ways(void **state)
{
    (void)state;
    fake_smb_add(14, 4, "a\"b\\c", "ABCDEFG\\", 0, 1);      /* specials, one at byte 7 */
    fake_smb_add(15, 5, "0123456789ab\"def", "x\"\"\"\"\"\"\"\"y", 0, 1); /* in the 2nd block; a run */
    fake_smb_add(16, 6, "J\xc3\xbcrgen", "CORP\\j\xc3\xbc", 0, 1); /* UTF-8: the general writer */
    fake_smb_add(17, 7, "\x7f\x01" "ctl", "u", 0, 1);                /* sanitized to '?' first */
    run_ms(agent_cfg()->sample_interval_s * 1000u);
    assert_int_equal(get("/v1/sessions", TLS_ROLE_READER), 200);
    assert_non_null(strstr(body, "\"client\":\"a\\\"b\\\\c\",\"user\":\"ABCDEFG\\\\\","));
    assert_non_null(strstr(body, "\"client\":\"0123456789ab\\\"def\",\"user\":\"x\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"y\","));
    assert_non_null(strstr(body, "\"client\":\"J\xc3\xbcrgen\",\"user\":\"CORP\\\\j\xc3\xbc\","));
    assert_non_null(strstr(body, "\"client\":\"??ctl\","));
    char first[512], other[512];
    const char *o = strstr(body, "[{") + 1;
    keys_of(o, first, sizeof first);
    assert_non_null(strstr(first, "id,session_id,conn_id,client,user,null,guest,encrypted,signed,"
                                  "client_type,opens,connected_s,idle_s,idle_source,state,reason,"
                                  "first_seen_s,eviction_pending,eviction_blocked,"));
    int objects = 1;
    while ((o = strstr(o + 1, "},{")) != NULL) {
        keys_of(o + 2, other, sizeof other);
        assert_string_equal(other, first);
        objects++;
    }
    assert_int_equal(objects, 7);
}

static void test_delete_roles_and_safety(void **state)
{
    (void)state;
    api_resp_t r;
    assert_int_equal(send_body("DELETE", "/v1/sessions/1", "", TLS_ROLE_READER, &r), 403);
    assert_int_equal(fake_smb_ends, 0);
    assert_int_equal(send_body("DELETE", "/v1/sessions/3", "", TLS_ROLE_OPERATOR, &r), 409);
    assert_non_null(strstr(body, "open file"));
    assert_int_equal(send_body("DELETE", "/v1/sessions/3?force=1", "", TLS_ROLE_OPERATOR, &r), 200);
    assert_int_equal(send_body("DELETE", "/v1/sessions/77", "", TLS_ROLE_OPERATOR, &r), 404);
    assert_int_equal(send_body("DELETE", "/v1/clients/SVC1", "", TLS_ROLE_OPERATOR, &r), 200);
    assert_int_equal(send_body("DELETE", "/v1/clients/NONE", "", TLS_ROLE_OPERATOR, &r), 404);
    assert_int_equal(fake_smb_ends, 2);
    fake_smb_fail = 1;
    run_ms(10000); /* a failed sample: deletes wait for a good one */
    assert_int_equal(send_body("DELETE", "/v1/sessions/2", "", TLS_ROLE_OPERATOR, &r), 409);
    assert_non_null(strstr(body, "no good sample"));
}

static void test_patch_is_all_or_nothing(void **state)
{
    (void)state;
    api_resp_t r;
    cfg_t before = *agent_cfg();
    assert_int_equal(send_body("PATCH", "/v1/config", "{\"policy.mode\":\"enforce\",\"policy.idle_timeout\":\"1s\"}",
                               TLS_ROLE_OPERATOR, &r), 400);
    assert_non_null(strstr(body, "policy.idle_timeout"));
    assert_int_equal(send_body("PATCH", "/v1/config", "{\"policy.mode\":\"enforce\",\"x\":1}",
                               TLS_ROLE_OPERATOR, &r), 400);
    assert_int_equal(send_body("PATCH", "/v1/config", "{\"policy.mode\":", TLS_ROLE_OPERATOR, &r), 400);
    assert_int_equal(send_body("PATCH", "/v1/config", "{\"policy.limit_high\":50}", TLS_ROLE_OPERATOR, &r), 400);
    assert_int_equal(send_body("PATCH", "/v1/config", "{\"policy.mode\":\"enforce\"}", TLS_ROLE_READER, &r), 403);
    /* A key of bytes that are not UTF-8 is named in valid JSON. */
    assert_int_equal(send_body("PATCH", "/v1/config", "{\"\x9b\xc3\":1}", TLS_ROLE_OPERATOR, &r), 400);
    assert_null(strchr(body, (char)0x9b));
    assert_non_null(strstr(body, "'\\ufffd\\ufffd'"));
    assert_memory_equal(&before, agent_cfg(), sizeof before);
    assert_int_equal(send_body("PATCH", "/v1/config?save=1",
                               "{\"policy.mode\":\"enforce\",\"policy.evict_orphans\":true,\"policy.evict_rate\":5}",
                               TLS_ROLE_OPERATOR, &r), 200);
    assert_non_null(strstr(body, "\"policy.evict_orphans\":\"on\""));
    assert_int_equal(agent_cfg()->evict_rate, 5);
    cfg_t saved;
    agent_cfg_saved(&saved);
    assert_memory_equal(agent_cfg(), &saved, sizeof(cfg_t)); /* saved */
}

static void test_events_since_and_lost(void **state)
{
    (void)state;
    assert_int_equal(get("/v1/events?since=0", TLS_ROLE_READER), 200);
    assert_non_null(strstr(body, "{\"lost\":0,\"events\":[{\"seq\":1,"));
    assert_non_null(strstr(body, "\"type\":\"boot\""));
    uint32_t next = events_next(agent_events()) - 1;
    char path[64];
    snprintf(path, sizeof path, "/v1/events?since=%u", next);
    assert_int_equal(get(path, TLS_ROLE_READER), 200);
    char want[64];
    snprintf(want, sizeof want, "{\"lost\":0,\"events\":[],\"next\":%u}", next);
    assert_string_equal(body, want);
    for (uint32_t i = 0; i < AGENT_EVENT_CAP + 5; i++) set_key("policy.dup_idle", i % 2 ? "6m" : "7m");
    assert_int_equal(get("/v1/events?since=1", TLS_ROLE_READER), 200);
    assert_null(strstr(body, "\"lost\":0,"));
    assert_int_equal(get("/v1/events?since=abc", TLS_ROLE_READER), 400);
}

static void test_metrics_text(void **state)
{
    (void)state;
    api_resp_t r;
    assert_int_equal(request(TLS_ROLE_READER, "GET /metrics HTTP/1.1\r\n\r\n", &r), 200);
    assert_string_equal(r.type, "text/plain; version=0.0.4");
    assert_non_null(strstr(body, "# TYPE smbwarden_up gauge\nsmbwarden_up 1\n"));
    assert_non_null(strstr(body, "smbwarden_sessions{state=\"stale\"} 2\n"));
    assert_non_null(strstr(body, "smbwarden_stale_sessions{reason=\"idle\"} 1\n"));
    assert_non_null(strstr(body, "smbwarden_server_refusals_total 7\n"));
    assert_non_null(strstr(body, "smbwarden_connections_refused_total 2\n"));
    /* labels for the top leak sources only, never one per session */
    assert_non_null(strstr(body, "smbwarden_leak_source_stale_total{client=\"SVC1\",user=\"svc\"} 1\n"));
    assert_non_null(strstr(body, "smbwarden_leak_source_stale_total{client=\"10.0.0.9\",user=\"\"} 1\n"));
    assert_non_null(strstr(body, "# TYPE smbwarden_leak_source_rate_per_day gauge\n"));
    assert_non_null(strstr(body, "smbwarden_leak_sources 2\n"));
    assert_non_null(strstr(body, "smbwarden_session_limit 10\n"));
    assert_non_null(strstr(body, "smbwarden_time_to_limit_seconds "));
    assert_null(strstr(body, "WS-")); /* busy: no source */
    assert_null(strstr(body, "session=\""));
}

/* However many sources, /metrics carries the top AGENT_LEAK_METRICS, their
 * names escaped as label values; /v1/leaks lists them all, in order. */
static void test_leak_sources_bounded_and_escaped(void **state)
{
    (void)state;
    static const char *const names[] = {"A\\B", "Q\"1", "H3", "H4", "H5", "H6", "H7", "H8"};
    for (uint32_t i = 0; i < 8; i++) /* staler and staler: the last is the busiest source */
        for (uint32_t k = 0; k <= i; k++) fake_smb_add(100 + 10 * i + k, 50 + i, names[i], "svc", 0, 4 * 3600);
    run_ms(11000);
    assert_int_equal(get("/metrics", TLS_ROLE_READER), 200);
    assert_int_equal(count_of(body, "smbwarden_leak_source_stale_total{"), AGENT_LEAK_METRICS);
    assert_int_equal(count_of(body, "smbwarden_leak_source_rate_per_day{"), AGENT_LEAK_METRICS);
    assert_int_equal(count_of(body, "# TYPE smbwarden_leak_source_stale_total counter\n"), 1);
    assert_non_null(strstr(body, "smbwarden_leak_source_stale_total{client=\"H8\",user=\"svc\"} 8\n"));
    assert_null(strstr(body, "client=\"H3\"")); /* sixth and below: not in the scrape */

    assert_int_equal(get("/v1/leaks", TLS_ROLE_READER), 200);
    const char *h8 = strstr(body, "{\"client\":\"H8\",\"user\":\"svc\",\"stale\":8,");
    const char *h7 = strstr(body, "{\"client\":\"H7\",");
    assert_non_null(h8);
    assert_non_null(h7);
    assert_true(h8 < h7);
    assert_non_null(strstr(body, "\"sources\":10,\"dropped\":0,"));
    assert_non_null(strstr(body, "{\"client\":\"Q\\\"1\","));
    assert_non_null(strstr(body, "\"by_reason\":{\"idle\":"));
    assert_non_null(strstr(body, "\"hint\":\"null sessions from one address"));
    assert_int_equal(count_of(body, "\"client\":"), 10);
    assert_int_equal(get("/v1/leaks?top=2", TLS_ROLE_READER), 200);
    assert_int_equal(count_of(body, "\"client\":"), 2);
    assert_int_equal(get("/v1/leaks?top=0", TLS_ROLE_READER), 400);
    assert_int_equal(get("/v1/leaks?top=x", TLS_ROLE_READER), 400);
    assert_int_equal(get("/v1/leaks?since=1", TLS_ROLE_READER), 400);
    api_resp_t r;
    assert_int_equal(send_body("POST", "/v1/leaks", "{}", TLS_ROLE_OPERATOR, &r), 405);
    assert_int_equal(get("/v1/status", TLS_ROLE_READER), 200);
    assert_non_null(strstr(body, "\"leaks\":{\"sources\":10,\"dropped\":0,\"rate_per_day\":"));
    assert_non_null(strstr(body, "\"time_to_limit_s\":"));
}

/* GET /v1/sessions takes client, user and state in any combination; any
 * other parameter, a repeated one or a bad value is a 400 naming it. */
static void test_session_filters_and_strict_query(void **state)
{
    (void)state;
    fake_smb_add(14, 4, "SVC1", "CORP\\alice", 0, 20);
    run_ms(11000);
    assert_int_equal(get("/v1/sessions?client=svc1", TLS_ROLE_READER), 200);
    assert_int_equal(count_of(body, "\"id\":"), 2);
    assert_int_equal(get("/v1/sessions?user=alice", TLS_ROLE_READER), 200);
    assert_int_equal(count_of(body, "\"id\":"), 2); /* alice and CORP\\alice */
    assert_int_equal(get("/v1/sessions?client=SVC1&user=alice&state=active", TLS_ROLE_READER), 200);
    assert_int_equal(count_of(body, "\"id\":"), 1);
    assert_non_null(strstr(body, "\"user\":\"CORP\\\\alice\""));
    assert_int_equal(get("/v1/sessions?user=CORP%5Calice", TLS_ROLE_READER), 200);
    assert_int_equal(count_of(body, "\"id\":"), 1);
    assert_int_equal(get("/v1/sessions?foo=state=stale", TLS_ROLE_READER), 400);
    assert_non_null(strstr(body, "'foo'"));
    assert_int_equal(get("/v1/sessions?state=stale&state=active", TLS_ROLE_READER), 400);
    assert_int_equal(get("/v1/sessions?client=%zz", TLS_ROLE_READER), 400);
    assert_int_equal(get("/v1/sessions?client=", TLS_ROLE_READER), 400);
    assert_int_equal(get("/v1/status?verbose=1", TLS_ROLE_READER), 400);
    assert_int_equal(get("/metrics?x", TLS_ROLE_READER), 400);
    assert_int_equal(get("/v1/sessions/1?force=1", TLS_ROLE_READER), 400);
    assert_int_equal(get("/v1/status?", TLS_ROLE_READER), 200);
}

/* Deletes answer in the API's words, with exact counts. */
static void test_delete_users_and_counts(void **state)
{
    (void)state;
    api_resp_t r;
    assert_int_equal(send_body("DELETE", "/v1/sessions/3", "", TLS_ROLE_OPERATOR, &r), 409);
    assert_non_null(strstr(body, "?force=1 closes them"));
    assert_null(strstr(body, "'force'"));
    assert_int_equal(send_body("DELETE", "/v1/sessions/3?force=yes", "", TLS_ROLE_OPERATOR, &r), 400);
    assert_int_equal(send_body("DELETE", "/v1/users/alice?force=0", "", TLS_ROLE_OPERATOR, &r), 409);
    assert_non_null(strstr(body, "\"requested\":0,\"held\":1"));
    assert_int_equal(send_body("DELETE", "/v1/users/svc", "", TLS_ROLE_OPERATOR, &r), 200);
    assert_non_null(strstr(body, "\"requested\":1,\"held\":0"));
    assert_int_equal(send_body("DELETE", "/v1/users/svc", "", TLS_ROLE_READER, &r), 403);
    assert_int_equal(send_body("DELETE", "/v1/users/nobody", "", TLS_ROLE_OPERATOR, &r), 404);
    assert_int_equal(send_body("DELETE", "/v1/users/svc?user=x", "", TLS_ROLE_OPERATOR, &r), 400);
    assert_int_equal(send_body("DELETE", "/v1/clients/WS-%22Q%22?user=bob", "", TLS_ROLE_OPERATOR, &r), 404);
    assert_int_equal(send_body("DELETE", "/v1/clients/WS-%22Q%22?user=alice&force=1", "",
                               TLS_ROLE_OPERATOR, &r), 200);
    assert_non_null(strstr(body, "\"requested\":1"));
    assert_int_equal(fake_smb_ends, 2);
}

/* ?save= is 1 or 0; a cursor ahead of the log is refused, never replayed. */
static void test_save_switch_and_future_cursor(void **state)
{
    (void)state;
    api_resp_t r;
    cfg_t before = *agent_cfg();
    assert_int_equal(send_body("PATCH", "/v1/config?save=yes", "{\"policy.mode\":\"enforce\"}",
                               TLS_ROLE_OPERATOR, &r), 400);
    assert_non_null(strstr(body, "save must be 1 or 0"));
    assert_memory_equal(&before, agent_cfg(), sizeof before);
    assert_int_equal(send_body("PATCH", "/v1/config?save=0", "{\"policy.mode\":\"enforce\"}",
                               TLS_ROLE_OPERATOR, &r), 200);
    cfg_t saved;
    agent_cfg_saved(&saved);
    assert_int_equal(saved.mode, CFG_MODE_REPORT);
    assert_int_equal(get("/v1/events?since=99999", TLS_ROLE_READER), 400);
    assert_non_null(strstr(body, "ahead of the log"));
    assert_null(strstr(body, "\"seq\""));
}

/* /v1/credentials: operators only; stage with PUT, activate with POST,
 * what is staged and whether it would work with GET. */
static void test_credentials_routes(void **state)
{
    (void)state;
    api_resp_t r;
    staged_kinds = setups = 0;
    activation_ok = false;
    assert_int_equal(get("/v1/credentials", TLS_ROLE_READER), 403);
    assert_int_equal(send_body("PUT", "/v1/credentials/device", "GOOD", TLS_ROLE_READER, &r), 403);
    assert_int_equal(send_body("POST", "/v1/credentials/activate", "", TLS_ROLE_READER, &r), 403);
    assert_int_equal(staged_kinds, 0);
    assert_int_equal(send_body("POST", "/v1/credentials/activate", "", TLS_ROLE_OPERATOR, &r), 409);
    assert_non_null(strstr(body, "nothing is staged"));
    assert_int_equal(send_body("PUT", "/v1/credentials/device", "junk", TLS_ROLE_OPERATOR, &r), 400);
    assert_int_equal(send_body("PUT", "/v1/credentials/psk", "GOOD", TLS_ROLE_OPERATOR, &r), 404);
    assert_int_equal(send_body("POST", "/v1/credentials/device", "GOOD", TLS_ROLE_OPERATOR, &r), 405);
    assert_string_equal(r.allow, "PUT");
    assert_int_equal(send_body("PUT", "/v1/credentials", "GOOD", TLS_ROLE_OPERATOR, &r), 405);
    assert_int_equal(send_body("PUT", "/v1/credentials/ca?x=1", "GOOD", TLS_ROLE_OPERATOR, &r), 400);
    assert_int_equal(staged_kinds, 0);
    assert_int_equal(send_body("PUT", "/v1/credentials/ca", "GOOD", TLS_ROLE_OPERATOR, &r), 200);
    assert_int_equal(staged_kinds, 1 << CREDS_CA);
    assert_int_equal(get("/v1/credentials", TLS_ROLE_OPERATOR), 200);
    assert_non_null(strstr(body, "{\"device\":{\"state\":\"present\"}"));
    assert_non_null(strstr(body, "\"ca\":{\"state\":\"present\",\"subject\":\"CN=ca\\u001b\""));
    assert_non_null(strstr(body, "\"staged\":{\"device\":null,\"key\":null,\"ca\":{\"state\":\"present\""));
    assert_non_null(strstr(body, "\"activation\":\"the pair does not match\",\"ready\":false}"));
    assert_int_equal(send_body("POST", "/v1/credentials/activate", "", TLS_ROLE_OPERATOR, &r), 409);
    assert_int_equal(setups, 0);
    activation_ok = true;
    assert_int_equal(send_body("POST", "/v1/credentials/activate", "", TLS_ROLE_OPERATOR, &r), 200);
    assert_int_equal(setups, 1);
    assert_int_equal(staged_kinds, 0);
    assert_int_equal(send_body("DELETE", "/v1/credentials/staged", "", TLS_ROLE_OPERATOR, &r), 200);
}

/* ---- events streamed while the ring moves ----------------------------------- */

/* One GET /v1/events?since=c into body, `add` events logged after each
 * piece. */
static void stream_events(uint32_t c, int add)
{
    char path[48];
    snprintf(path, sizeof path, "/v1/events?since=%u", c);
    logged_per_piece = add;
    assert_int_equal(get(path, TLS_ROLE_READER), 200);
    logged_per_piece = 0;
}

/* A poller after a restart with gaps (sessions seen and closed are not
 * read back), events added while each response streams so that the ring
 * wraps under it: every response is balanced JSON, its events rise, and
 * the events it got and the lost it was told cover every number from its
 * cursor to the next it was given. */
static void test_events_streamed_while_the_ring_moves_miss_nothing_silently(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) agent_log(EV_CREDS, 0, "kept", &console_actor, NULL);
    for (uint32_t i = 0; i < 20; i++) fake_smb_add(100 + i, 200 + i, "WS01", "CORP\\ann", 0, 1);
    run_ms(agent_cfg()->sample_interval_s * 1000u);
    fake_smb_n = 3;
    run_ms(agent_cfg()->sample_interval_s * 1000u);
    for (int i = 0; i < 5; i++) agent_log(EV_CREDS, 0, "kept", &console_actor, NULL);
    agent_stop();
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    settle();
    uint32_t top = events_next(agent_events());
    for (int add = 0; add <= 12; add++) {
        uint32_t c = (uint32_t)(add * 7) % top;
        for (int poll = 0; poll < 8; poll++) {
            stream_events(c, add);
            const char *p = strstr(body, "\"lost\":"), *n = strstr(body, "\"next\":");
            assert_non_null(p);
            assert_non_null(n);
            uint32_t lost = (uint32_t)strtoul(p + 7, NULL, 10), next = (uint32_t)strtoul(n + 7, NULL, 10);
            uint32_t got = 0, prev = c;
            for (const char *q = body; (q = strstr(q, "\"seq\":")) != NULL; q += 6) {
                uint32_t seq = (uint32_t)strtoul(q + 6, NULL, 10);
                assert_true(seq > prev);
                prev = seq, got++;
            }
            int depth = 0;
            for (const char *q = body; *q; q++) depth += (*q == '{' || *q == '[') - (*q == '}' || *q == ']');
            if (depth != 0) fail_msg("add %d poll %d: unbalanced JSON: %s", add, poll, body);
            if (got + lost < next - c)
                fail_msg("add %d poll %d: since=%u next=%u got %u lost %u: %u missed silently", add, poll, c,
                         next, got, lost, next - c - got - lost);
            c = next;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_routes_and_methods, setup),
        cmocka_unit_test_setup(test_sessions_stream_one_per_piece, setup),
        cmocka_unit_test_setup(test_session_json_both_ways, setup),
        cmocka_unit_test_setup(test_delete_roles_and_safety, setup),
        cmocka_unit_test_setup(test_patch_is_all_or_nothing, setup),
        cmocka_unit_test_setup(test_events_since_and_lost, setup),
        cmocka_unit_test_setup(test_metrics_text, setup),
        cmocka_unit_test_setup(test_leak_sources_bounded_and_escaped, setup),
        cmocka_unit_test_setup(test_session_filters_and_strict_query, setup),
        cmocka_unit_test_setup(test_delete_users_and_counts, setup),
        cmocka_unit_test_setup(test_save_switch_and_future_cursor, setup),
        cmocka_unit_test_setup(test_credentials_routes, setup),
        cmocka_unit_test_setup(test_events_streamed_while_the_ring_moves_miss_nothing_silently, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
