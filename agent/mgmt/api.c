#include "api.h"

#include <string.h>

#include "agent.h"
#include "creds.h"
#include "logsend.h"
#include "hal_smb.h"
#include "mgmt.h"
#include "text.h"

#define JSON_TYPE "application/json"

/* ---- errors ----------------------------------------------------------------- */

/* Opens the body {"error": msg} (or {"result": msg} below 300). */
static void message_start(api_resp_t *r, fmt_t *f)
{
    json_obj(&r->json, f, NULL);
    json_str(&r->json, f, r->status < 300 ? "result" : "error", r->msg);
}

static bool body_message(api_resp_t *r, fmt_t *f)
{
    message_start(r, f);
    json_end_obj(&r->json, f);
    return false;
}

/* A response whose body is {"error": msg} (or {"result": msg} below 300). */
void api_reply(api_resp_t *r, int status, const char *msg)
{
    r->status = status;
    r->type = JSON_TYPE;
    r->body = body_message;
    if (msg != r->msg) {
        fmt_t m;
        fmt_init(&m, r->msg, sizeof r->msg);
        fmt_add(&m, "%s", msg);
    }
}

/* ---- sessions --------------------------------------------------------------- */

/* ---- one session in one piece --------------------------------------------
 * A listing's cost is its sessions: each is written straight into the
 * output when it fits, its keys copied as literals of known length, its
 * values measured first. A string with a byte other than printable ASCII
 * (a control byte, UTF-8) goes the member-by-member way (session_json). */

/* High bit of each byte of x that is zero (exact, no borrow between bytes). */
static uint64_t zero_bytes(uint64_t x)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fu;
    return ~(((x & low7) + low7) | x | low7);
}

/* The lowest-addressed byte marked in m (bit 0 of each byte). */
static size_t first_marked(uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (size_t)__builtin_clzll(m) / 8;
#else
    return (size_t)__builtin_ctzll(m) / 8;
#endif
}

/* Bytes of s written escaped (*len: its length; *first: where the first
 * byte to escape is), or 0 when it needs the general writer: eight bytes
 * at a time while all are printable ASCII. */
static size_t plain_esc_len(const char *s, size_t *len, size_t *first)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t n = strlen(s), esc = 0, i = 0;
    *first = n;
    for (; n - i >= 8; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if ((v | ((v - ones * 0x20) & ~v) | zero_bytes(v ^ (ones * 0x7f))) & highs) return 0;
        uint64_t m = (zero_bytes(v ^ (ones * '"')) | zero_bytes(v ^ (ones * '\\'))) >> 7;
        if (m && !esc) *first = i + first_marked(m);
        esc += (size_t)((m * ones) >> 56); /* how many: the bytes of m summed */
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f) return 0;
        if (c == '"' || c == '\\') {
            if (!esc) *first = i;
            esc++;
        }
    }
    *len = n;
    return n + esc + 2; /* the quotes */
}

/* s[len] quoted, escaped in esc bytes as plain_esc_len measured; first:
 * its first byte to escape. One to escape (DOMAIN\\user) is the common case. */
static char *put_esc(char *d, const char *s, size_t len, size_t esc, size_t first)
{
    *d++ = '"';
    if (esc <= len + 3) {
        memcpy(d, s, first);
        d += first;
        if (first < len) { /* the one byte to escape, and the rest */
            *d++ = '\\';
            memcpy(d, s + first, len - first);
            d += len - first;
        }
    } else {
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '"' || s[i] == '\\') *d++ = '\\';
            *d++ = s[i];
        }
    }
    *d++ = '"';
    return d;
}

/* Decimal digits of v: from its bit length (log10 2 ~ 1233/4096), then
 * one comparison. */
static size_t digits(uint32_t v)
{
    static const uint32_t ten[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                     100000000, 1000000000};
    uint32_t n = (uint32_t)(32 - __builtin_clz(v | 1)) * 1233 >> 12;
    return n + ((v | 1) >= ten[n]);
}

/* v in its n decimal digits, two at a time. */
static char *put_u32(char *d, uint32_t v, size_t n)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char *p = d + n;
    for (; v >= 100; v /= 100) p -= 2, memcpy(p, pairs + v % 100 * 2, 2);
    if (v >= 10)
        p -= 2, memcpy(p, pairs + v * 2, 2);
    else
        *--p = (char)('0' + v);
    return d + n;
}

#define LIT(d, text) (memcpy(d, text, sizeof text - 1), (d) + sizeof text - 1)
#define PUT_BOOL(d, b) ((b) ? LIT(d, "true") : LIT(d, "false"))

/* false: not written (no room, or a string for the general writer). */
static bool session_json_fast(json_t *j, fmt_t *f, const sess_t *s)
{
    uint32_t now = agent_now_s();
    const char *state = sess_state_name((sess_state_t)s->state);
    const char *reason = sess_reason_name((sess_reason_t)s->reason);
    const char *blocked = s->state == SESS_STALE ? block_name((block_t)s->block) : "";
    const char *source = s->flags & HAL_SMB_F_IDLE ? "server" : "activity";
    const char *str[7] = {s->client, s->user, s->type, source, state, reason, blocked};
    size_t len[7], esc[7], first[7];
    uint32_t num[8] = {s->id, s->session_id, s->conn_id, s->opens, sess_connected(s, now),
                       sess_idle(s, now), s->first_s, s->ended_s};
    size_t dig[8];
    bool ended = s->state == SESS_ENDED;
    bool flag[5] = {s->user[0] == '\0', (s->flags & HAL_SMB_F_GUEST) != 0,
                    (s->flags & HAL_SMB_F_ENCRYPTED) != 0, (s->flags & HAL_SMB_F_SIGNED) != 0,
                    s->pending != 0};
    static const char keys[] =
        "{\"id\":,\"session_id\":,\"conn_id\":,\"client\":,\"user\":,\"null\":,\"guest\":,"
        "\"encrypted\":,\"signed\":,\"client_type\":,\"opens\":,\"connected_s\":,\"idle_s\":,"
        "\"idle_source\":,\"state\":,\"reason\":,\"first_seen_s\":,\"eviction_pending\":,"
        "\"eviction_blocked\":}";
    size_t n = sizeof keys - 1 + (ended ? sizeof ",\"ended_s\":" - 1 : 0);
    for (int i = 0; i < 7; i++) {
        if (i < 3) { /* from the server: measured */
            if (!(esc[i] = plain_esc_len(str[i], &len[i], &first[i]))) return false;
        } else { /* this program's names: plain */
            esc[i] = (len[i] = first[i] = strlen(str[i])) + 2;
        }
        n += esc[i];
    }
    dig[0] = digits(num[0]), dig[1] = digits(num[1]), dig[2] = digits(num[2]);
    dig[3] = digits(num[3]), dig[4] = digits(num[4]), dig[5] = digits(num[5]);
    dig[6] = digits(num[6]), dig[7] = ended ? digits(num[7]) : 0;
    n += dig[0] + dig[1] + dig[2] + dig[3] + dig[4] + dig[5] + dig[6] + dig[7];
    /* "true" or "false" five times */
    n += 25u - (size_t)(flag[0] + flag[1] + flag[2] + flag[3] + flag[4]);
    char *d = json_room(j, f, n);
    if (!d) return false;
    d = put_u32(LIT(d, "{\"id\":"), num[0], dig[0]);
    d = put_u32(LIT(d, ",\"session_id\":"), num[1], dig[1]);
    d = put_u32(LIT(d, ",\"conn_id\":"), num[2], dig[2]);
    d = put_esc(LIT(d, ",\"client\":"), str[0], len[0], esc[0], first[0]);
    d = put_esc(LIT(d, ",\"user\":"), str[1], len[1], esc[1], first[1]);
    d = LIT(d, ",\"null\":"), d = PUT_BOOL(d, flag[0]);
    d = LIT(d, ",\"guest\":"), d = PUT_BOOL(d, flag[1]);
    d = LIT(d, ",\"encrypted\":"), d = PUT_BOOL(d, flag[2]);
    d = LIT(d, ",\"signed\":"), d = PUT_BOOL(d, flag[3]);
    d = put_esc(LIT(d, ",\"client_type\":"), str[2], len[2], esc[2], first[2]);
    d = put_u32(LIT(d, ",\"opens\":"), num[3], dig[3]);
    d = put_u32(LIT(d, ",\"connected_s\":"), num[4], dig[4]);
    d = put_u32(LIT(d, ",\"idle_s\":"), num[5], dig[5]);
    d = put_esc(LIT(d, ",\"idle_source\":"), str[3], len[3], esc[3], first[3]);
    d = put_esc(LIT(d, ",\"state\":"), str[4], len[4], esc[4], first[4]);
    d = put_esc(LIT(d, ",\"reason\":"), str[5], len[5], esc[5], first[5]);
    d = put_u32(LIT(d, ",\"first_seen_s\":"), num[6], dig[6]);
    if (ended) d = put_u32(LIT(d, ",\"ended_s\":"), num[7], dig[7]);
    d = LIT(d, ",\"eviction_pending\":"), d = PUT_BOOL(d, flag[4]);
    d = put_esc(LIT(d, ",\"eviction_blocked\":"), str[6], len[6], esc[6], first[6]);
    *d++ = '}';
    fmt_wrote_to(f, d);
    return true;
}

static void session_json(json_t *j, fmt_t *f, const sess_t *s)
{
    if (session_json_fast(j, f, s)) return;
    uint32_t now = agent_now_s();
    json_obj(j, f, NULL);
    json_u32(j, f, "id", s->id);
    json_u32(j, f, "session_id", s->session_id);
    json_u32(j, f, "conn_id", s->conn_id);
    json_str(j, f, "client", s->client);
    json_str(j, f, "user", s->user);
    json_bool(j, f, "null", s->user[0] == '\0');
    json_bool(j, f, "guest", (s->flags & HAL_SMB_F_GUEST) != 0);
    json_bool(j, f, "encrypted", (s->flags & HAL_SMB_F_ENCRYPTED) != 0);
    json_bool(j, f, "signed", (s->flags & HAL_SMB_F_SIGNED) != 0);
    json_str(j, f, "client_type", s->type);
    json_u32(j, f, "opens", s->opens);
    json_u32(j, f, "connected_s", sess_connected(s, now));
    json_u32(j, f, "idle_s", sess_idle(s, now));
    json_str(j, f, "idle_source", s->flags & HAL_SMB_F_IDLE ? "server" : "activity");
    json_str(j, f, "state", sess_state_name((sess_state_t)s->state));
    json_str(j, f, "reason", sess_reason_name((sess_reason_t)s->reason));
    json_u32(j, f, "first_seen_s", s->first_s);
    if (s->state == SESS_ENDED) json_u32(j, f, "ended_s", s->ended_s);
    json_bool(j, f, "eviction_pending", s->pending != 0);
    json_str(j, f, "eviction_blocked",
             s->state == SESS_STALE ? block_name((block_t)s->block) : "");
    json_end_obj(j, f);
}

static bool body_sessions(api_resp_t *r, fmt_t *f)
{
    if (r->step == 0) {
        r->step = 1;
        json_obj(&r->json, f, NULL);
        json_arr(&r->json, f, "sessions");
        return true;
    }
    sess_filter_t flt = {r->states, r->client, r->user};
    const sess_t *s = ring_next(agent_ring(), r->cursor, &flt);
    if (s) {
        r->cursor = s->id;
        session_json(&r->json, f, s);
        return true;
    }
    json_end_arr(&r->json, f);
    json_u32(&r->json, f, "untracked", agent_stats()->untracked);
    json_end_obj(&r->json, f);
    return false;
}

static bool body_session(api_resp_t *r, fmt_t *f)
{
    const sess_t *s = ring_find_id(agent_ring(), r->arg);
    if (s) session_json(&r->json, f, s);
    return false;
}

/* ---- status ------------------------------------------------------------------ */

/* The time to policy.session_limit at the leak rate, or null. */
static void time_to_limit_json(json_t *j, fmt_t *f)
{
    uint32_t secs;
    if (agent_time_to_limit(&secs))
        json_u32(j, f, "time_to_limit_s", secs);
    else
        json_null(j, f, "time_to_limit_s");
}

static bool body_status(api_resp_t *r, fmt_t *f)
{
    const agent_stats_t *st = agent_stats();
    const cfg_t *c = agent_cfg();
    const tls_stats_t *t = tls_stats();
    const mgmt_stats_t *m = mgmt_stats();
    json_t *j = &r->json;
    if (r->step++ == 0) {
        json_obj(j, f, NULL);
        json_str(j, f, "version", AGENT_VERSION);
        json_u32(j, f, "uptime_s", agent_now_s());
        if (agent_wall_s())
            json_u32(j, f, "wall_s", agent_wall_s());
        else
            json_null(j, f, "wall_s");
        json_str(j, f, "mode", c->mode == CFG_MODE_ENFORCE ? "enforce" : "report");
        json_obj(j, f, "samples");
        json_u32(j, f, "good", st->samples);
        json_u32(j, f, "failed", st->sample_failures);
        json_bool(j, f, "last_ok", st->last_ok);
        json_str(j, f, "last_error", st->last_ok ? "" : hal_smb_error());
        json_u32(j, f, "last_good_age_s", st->samples ? agent_now_s() - st->last_ok_s : 0);
        json_end_obj(j, f);
        json_obj(j, f, "ring");
        json_u32(j, f, "capacity", AGENT_RING_CAP);
        json_u32(j, f, "live", ring_live(agent_ring()));
        json_u32(j, f, "untracked", st->untracked);
        json_bool(j, f, "truncated", st->untracked != 0);
        json_end_obj(j, f);
        json_u32(j, f, "server_sessions", st->server_sessions);
        json_u32(j, f, "session_limit", c->session_limit);
        json_bool(j, f, "limit_pressure", st->pressure);
        json_obj(j, f, "leaks");
        json_u32(j, f, "sources", leaks_rows(agent_leaks()));
        json_u32(j, f, "dropped", agent_leaks()->dropped);
        json_tenths(j, f, "rate_per_day", leaks_rate10(agent_leaks(), agent_stamp_s()));
        json_end_obj(j, f);
        time_to_limit_json(j, f);
        return true;
    }
    if (st->has_refusals)
        json_u32(j, f, "refusals", st->refusals);
    else
        json_null(j, f, "refusals");
    json_obj(j, f, "evictions");
    json_u32(j, f, "requested", st->evict_requests);
    json_u32(j, f, "done", st->evictions);
    json_u32(j, f, "failed", st->eviction_failures);
    json_end_obj(j, f);
    json_obj(j, f, "tls");
    json_bool(j, f, "ready", t->ready);
    json_u32(j, f, "pool_size", t->pool_size);
    json_u32(j, f, "pool_used", t->pool_used);
    json_u32(j, f, "pool_high_water", t->pool_high_water);
    json_u32(j, f, "handshakes", t->handshakes);
    json_u32(j, f, "resumed", t->resumed);
    json_u32(j, f, "failures", t->failures);
    json_end_obj(j, f);
    json_obj(j, f, "connections");
    json_u32(j, f, "open", m->open);
    json_u32(j, f, "max", MGMT_CONN_MAX);
    json_u32(j, f, "waiting", m->waiting);
    json_u32(j, f, "accepted", m->accepted);
    json_u32(j, f, "refused", m->refused);
    json_u32(j, f, "dropped", m->dropped);
    json_u32(j, f, "evicted", m->evicted);
    json_u32(j, f, "full_handshakes", m->full);
    json_u32(j, f, "throttled", m->throttled);
    json_u32(j, f, "timeouts", m->timeouts);
    json_end_obj(j, f);
    const logsend_stats_t *l = logsend_stats();
    json_obj(j, f, "syslog");
    json_bool(j, f, "up", l->up);
    json_u32(j, f, "sent", l->sent);
    json_u32(j, f, "lost", l->lost);
    json_u32(j, f, "failures", l->failures);
    json_u32(j, f, "next", l->next);
    json_end_obj(j, f);
    json_end_obj(j, f);
    return false;
}

/* ---- leak sources --------------------------------------------------------------- */

static void leak_json(json_t *j, fmt_t *f, const leak_t *l, uint32_t now)
{
    static const char *const reasons[LEAK_REASONS] = {"idle", "null", "duplicate", "limit", "orphan"};
    json_obj(j, f, NULL);
    json_str(j, f, "client", l->client);
    json_str(j, f, "user", l->user);
    json_u32(j, f, "stale", leak_total(l));
    json_obj(j, f, "by_reason");
    for (int i = 0; i < LEAK_REASONS; i++) json_u32_n(j, f, reasons[i], strlen(reasons[i]), l->by_reason[i]);
    json_end_obj(j, f);
    json_u32(j, f, "evicted", l->evicted);
    json_u32(j, f, "ended", l->ended);
    json_str(j, f, "clock", l->last_s >= AGENT_WALL_MIN_S ? "wall" : "uptime");
    json_u32(j, f, "first_s", l->first_s);
    json_u32(j, f, "last_s", l->last_s);
    json_tenths(j, f, "rate_per_day", leak_rate10(l, now));
    json_str(j, f, "hint", leak_hint(l));
    json_end_obj(j, f);
}

/* arg: the time the order is for; cursor: the last source written, plus
 * one; step: sources written, plus one. */
static bool body_leaks(api_resp_t *r, fmt_t *f)
{
    const leaks_t *t = agent_leaks();
    json_t *j = &r->json;
    if (r->step == 0) {
        r->step = 1;
        r->arg = agent_stamp_s();
        json_obj(j, f, NULL);
        json_u32(j, f, "capacity", AGENT_LEAK_CAP);
        json_u32(j, f, "sources", leaks_rows(t));
        json_u32(j, f, "dropped", t->dropped);
        json_tenths(j, f, "rate_per_day", leaks_rate10(t, r->arg));
        json_u32(j, f, "session_limit", agent_cfg()->session_limit);
        json_u32(j, f, "server_sessions", agent_stats()->server_sessions);
        time_to_limit_json(j, f);
        json_arr(j, f, "leaks");
        return true;
    }
    const leak_t *prev = r->cursor ? &t->row[r->cursor - 1] : NULL;
    const leak_t *l = r->step <= r->top ? leaks_next(t, r->arg, prev) : NULL;
    if (l) {
        r->cursor = (uint32_t)(l - t->row) + 1;
        r->step++;
        leak_json(j, f, l, r->arg);
        return true;
    }
    json_end_arr(j, f);
    json_end_obj(j, f);
    return false;
}

/* ---- events ------------------------------------------------------------------- */

/* An event goes out in two pieces, its fields and then its message, so
 * that each fits API_PIECE_MAX whatever its texts hold. */
static bool body_events(api_resp_t *r, fmt_t *f)
{
    const events_t *ev = agent_events();
    json_t *j = &r->json;
    if (r->step == 0) {
        r->step = 1;
        json_obj(j, f, NULL);
        json_u32(j, f, "lost", r->arg);
        json_arr(j, f, "events");
        return true;
    }
    if (r->step == 1) r->cursor = events_from(ev, r->cursor); /* over a gap (counted in lost) */
    const event_t *e = r->cursor != events_next(ev) ? events_get(ev, r->cursor) : NULL;
    if (!e && r->step == 2) { /* its fields went out; it fell out of the ring before its message */
        json_end_obj(j, f);
        r->cursor++;
        r->step = 1;
        return true;
    }
    if (e && r->step == 2) {
        char text[EVENT_SUBJECT_MAX + EVENT_MORE_MAX + 96];
        fmt_t t;
        fmt_init(&t, text, sizeof text);
        events_describe(e, &t);
        json_str(j, f, "message", text);
        json_end_obj(j, f);
        r->cursor++;
        r->step = 1;
        return true;
    }
    if (e) {
        json_obj(j, f, NULL);
        json_u32(j, f, "seq", e->seq);
        json_u32(j, f, "time_s", e->time_s);
        json_str(j, f, "clock", e->flags & EVENT_WALL ? "wall" : "uptime");
        if (e->flags & EVENT_WALL) {
            char when[24];
            fmt_t w;
            fmt_init(&w, when, sizeof when);
            fmt_add(&w, "%W", e->time_s);
            json_str(j, f, "time", when);
        }
        json_str(j, f, "type", events_type_name((event_type_t)e->type));
        if (e->session) json_u32(j, f, "session", e->session);
        if (e->subject[0]) json_str(j, f, "subject", e->subject);
        json_str(j, f, "by", events_actor_name((actor_kind_t)e->actor));
        if (e->actor == ACTOR_API) {
            json_str(j, f, "cn", events_by_name(e));
            json_str(j, f, "role", "operator");
        }
        if (*events_detail(e)) json_str(j, f, "detail", events_detail(e));
        r->step = 2;
        return true;
    }
    json_end_arr(j, f);
    json_u32(j, f, "next", r->cursor - 1); /* pass as ?since= next time */
    json_end_obj(j, f);
    return false;
}

_Static_assert(2 * (EVENT_SUBJECT_MAX + EVENT_MORE_MAX + 96) + 64 <= API_PIECE_MAX &&
               2 * (EVENT_SUBJECT_MAX + EVENT_MORE_MAX) + 256 <= API_PIECE_MAX,
               "an event's pieces fit API_PIECE_MAX (texts are printable: escapes double at most)");

/* ---- config ------------------------------------------------------------------- */

static bool body_config(api_resp_t *r, fmt_t *f)
{
    char val[AGENT_PROTECT_MAX + 4];
    if (r->cursor == 0) json_obj(&r->json, f, NULL);
    while (r->cursor < cfg_key_count) {
        const cfg_key_t *k = &cfg_keys[r->cursor++];
        fmt_t v;
        fmt_init(&v, val, sizeof val);
        cfg_format(agent_cfg(), k, &v);
        json_str(&r->json, f, k->name, k->type == CFG_T_LIST && !agent_cfg()->protect[0] ? "" : val);
        if (r->cursor % 4 == 0) return true; /* a few keys per piece */
    }
    json_end_obj(&r->json, f);
    return false;
}

static void patch_config(const http_req_t *req, api_resp_t *r, bool save, const actor_t *by)
{
    json_iter_t it;
    char key[32], val[AGENT_PROTECT_MAX + 4];
    fmt_t err;
    cfg_t next = *agent_cfg();
    int rc;
    fmt_init(&err, r->msg, sizeof r->msg);
    json_iter_init(&it, (const char *)req->body, req->body_len);
    while ((rc = json_iter_next(&it, key, sizeof key, val, sizeof val)) == 1) {
        const cfg_key_t *k = cfg_key_find(key);
        if (!k) {
            fmt_add(&err, "unknown key '%s'", key);
            api_reply(r, 400, r->msg);
            return;
        }
        /* JSON switches arrive as true/false */
        const char *text = strcmp(val, "true") == 0 ? "on" : strcmp(val, "false") == 0 ? "off" : val;
        if (cfg_parse(&next, k, text, &err) != CFG_OK) {
            api_reply(r, 400, r->msg);
            return;
        }
    }
    if (rc < 0) {
        api_reply(r, 400, "the body must be one flat JSON object of settings");
        return;
    }
    if (agent_cfg_apply(&next, by, &err) != CFG_OK) {
        api_reply(r, 400, r->msg);
        return;
    }
    if (save && agent_cfg_save(by, &err) != 0) {
        api_reply(r, 500, r->msg);
        return;
    }
    r->status = 200;
    r->type = JSON_TYPE;
    r->body = body_config;
}

/* ---- metrics ------------------------------------------------------------------ */

static void family(fmt_t *f, const char *name, const char *type, const char *help)
{
    fmt_add(f, "# HELP smbwarden_%s %s\n# TYPE smbwarden_%s %s\n", name, help, name, type);
}

/* A family with one unlabelled sample. */
static void metric(fmt_t *f, const char *name, const char *type, const char *help, uint32_t v)
{
    family(f, name, type, help);
    fmt_add(f, "smbwarden_%s %u\n", name, v);
}

/* A label's value: backslash, double quote and line feed escaped. Client
 * and user names come from SMB clients: a quote in one must not end the
 * value and forge labels or series of its own. */
static void put_label(fmt_t *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') fmt_putc(f, '\\');
        fmt_putc(f, *s == '\n' ? 'n' : *s);
    }
}

static void leak_summary(api_resp_t *r, fmt_t *f)
{
    const leaks_t *t = agent_leaks();
    uint32_t secs;
    r->arg = agent_stamp_s(); /* the order leak_series follows */
    r->top = r->cursor = r->states = 0;
    metric(f, "session_limit", "gauge", "policy.session_limit (0: none set)",
           agent_cfg()->session_limit);
    metric(f, "leak_sources", "gauge", "rows in the table of leak sources", leaks_rows(t));
    metric(f, "leak_sources_dropped_total", "counter",
           "leak sources that gave way to new ones in a full table", t->dropped);
    uint32_t rate = leaks_rate10(t, r->arg);
    family(f, "leak_rate_per_day", "gauge", "stale sessions a day from every source, over the last day");
    fmt_add(f, "smbwarden_leak_rate_per_day %u.%u\n", rate / 10, rate % 10);
    if (agent_time_to_limit(&secs))
        metric(f, "time_to_limit_seconds", "gauge",
               "seconds until policy.session_limit at the leak rate, if nothing is evicted", secs);
}

/* The top AGENT_LEAK_METRICS sources' series, a line a call: r->top the
 * family, r->states the sources written of it, r->cursor the last one
 * plus one. False after the last. */
static bool leak_series(api_resp_t *r, fmt_t *f)
{
    static const char *const fam[2][3] = {
        {"leak_source_stale_total", "counter", "stale sessions of a top leak source"},
        {"leak_source_rate_per_day", "gauge", "stale sessions a day of a top leak source, over the last day"},
    };
    const leaks_t *t = agent_leaks();
    while (r->top < 2) {
        const leak_t *prev = r->cursor ? &t->row[r->cursor - 1] : NULL;
        const leak_t *l = r->states < AGENT_LEAK_METRICS ? leaks_next(t, r->arg, prev) : NULL;
        if (!l) {
            r->top++;
            r->cursor = r->states = 0;
            continue;
        }
        if (!r->states) family(f, fam[r->top][0], fam[r->top][1], fam[r->top][2]);
        r->cursor = (uint32_t)(l - t->row) + 1;
        r->states++;
        fmt_add(f, "smbwarden_%s{client=\"", fam[r->top][0]);
        put_label(f, l->client);
        fmt_add(f, "\",user=\"");
        put_label(f, l->user);
        uint32_t v = r->top ? leak_rate10(l, r->arg) : leak_total(l);
        if (r->top)
            fmt_add(f, "\"} %u.%u\n", v / 10, v % 10);
        else
            fmt_add(f, "\"} %u\n", v);
        return true;
    }
    return false;
}

static bool body_metrics(api_resp_t *r, fmt_t *f)
{
    const agent_stats_t *st = agent_stats();
    const tls_stats_t *t = tls_stats();
    const mgmt_stats_t *m = mgmt_stats();
    uint32_t by_state[4] = {0}, by_reason[REASON_COUNT] = {0};
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &agent_ring()->slot[i];
        by_state[s->state & 3]++;
        if (s->state == SESS_STALE) by_reason[s->reason]++;
    }
    switch (r->step++) {
    case 0:
        metric(f, "up", "gauge", "1 while the agent answers", 1);
        family(f, "sessions", "gauge", "session records by state");
        for (uint32_t s = SESS_ACTIVE; s <= SESS_ENDED; s++)
            fmt_add(f, "smbwarden_sessions{state=\"%s\"} %u\n", sess_state_name((sess_state_t)s),
                    by_state[s]);
        family(f, "stale_sessions", "gauge", "stale sessions by reason");
        for (uint32_t x = REASON_IDLE; x <= REASON_ORPHAN; x++)
            fmt_add(f, "smbwarden_stale_sessions{reason=\"%s\"} %u\n",
                    sess_reason_name((sess_reason_t)x), by_reason[x]);
        return true;
    case 1:
        metric(f, "server_sessions", "gauge", "sessions on the server in the last sample",
               st->server_sessions);
        metric(f, "untracked_sessions", "gauge", "sessions beyond the ring", st->untracked);
        metric(f, "limit_pressure", "gauge", "1 while sessions are above policy.limit_high",
               (uint32_t)st->pressure);
        metric(f, "samples_total", "counter", "samples of the session table", st->samples);
        metric(f, "sample_failures_total", "counter", "samples that failed", st->sample_failures);
        metric(f, "sample_ok", "gauge", "1 if the last sample of the session table succeeded",
               (uint32_t)st->last_ok);
        return true;
    case 2:
        metric(f, "eviction_requests_total", "counter", "sessions the server was asked to end",
               st->evict_requests);
        metric(f, "evictions_total", "counter", "sessions found gone after an end request",
               st->evictions);
        metric(f, "eviction_failures_total", "counter", "end requests refused or without effect",
               st->eviction_failures);
        if (st->has_refusals)
            metric(f, "server_refusals_total", "counter", "clients the server refused at its limit",
                   st->refusals);
        return true;
    case 3:
        metric(f, "tls_handshakes_total", "counter", "completed TLS handshakes", t->handshakes);
        metric(f, "tls_resumed_total", "counter", "handshakes resumed from a session ticket",
               t->resumed);
        metric(f, "tls_handshake_failures_total", "counter", "failed or stalled TLS handshakes",
               t->failures);
        metric(f, "tls_pool_high_water_bytes", "gauge", "most TLS pool memory ever in use",
               t->pool_high_water);
        return true;
    case 4:
        metric(f, "connections_refused_total", "counter", "connections refused: no room at all",
               m->refused);
        metric(f, "connections_dropped_total", "counter",
               "connections dropped while waiting: silent too long or pushed out", m->dropped);
        metric(f, "connections_evicted_total", "counter",
               "served connections that gave their slot up after making no progress", m->evicted);
        metric(f, "tls_full_handshakes_begun_total", "counter",
               "full handshakes the ration let start their ECC", m->full);
        metric(f, "tls_full_handshakes_throttled_total", "counter",
               "full handshakes refused by the ration", m->throttled);
        return true;
    case 5:
        leak_summary(r, f);
        return true;
    default:
        return leak_series(r, f);
    }
}

/* ---- routing -------------------------------------------------------------------- */

/* If target is prefix + a path segment, decodes the segment (%XX; it ends
 * at '?' or the end) into out; true on success. */
static bool segment(const char *target, const char *prefix, char *out, size_t cap)
{
    size_t n = strlen(prefix);
    if (strncmp(target, prefix, n) != 0) return false;
    target += n;
    const char *e = target + strcspn(target, "?/");
    return e > target && *e != '/' && http_decode(target, e, false, out, cap) && out[0];
}

/* Whether target's path (before '?') is exactly path. */
static bool path_is(const char *target, const char *path)
{
    size_t n = strlen(path);
    return strncmp(target, path, n) == 0 && (target[n] == '\0' || target[n] == '?');
}

/* Every query parameter must be one the resource takes (names, NULL-ended);
 * otherwise a 400 names the first that is not, and false. */
static bool query_ok(const char *t, const char *const *names, api_resp_t *r)
{
    const char *bad = http_query_bad(t, names);
    if (!bad) return true;
    fmt_t m;
    fmt_init(&m, r->msg, sizeof r->msg);
    fmt_add(&m, "query parameter '");
    for (size_t i = 0; i < 24 && bad[i] && bad[i] != '=' && bad[i] != '&'; i++)
        fmt_add(&m, "%c", bad[i] > ' ' && bad[i] < 0x7f ? bad[i] : '?');
    fmt_add(&m, "' is unknown here, repeated or malformed");
    api_reply(r, 400, r->msg);
    return false;
}

/* A switch parameter (?force=1, ?save=0): absent is 0; anything but 1 or 0
 * is a 400 naming it. */
static bool switch_param(const char *t, const char *name, bool *on, api_resp_t *r)
{
    char v[4];
    *on = false;
    if (!http_query(t, name, v, sizeof v)) return true;
    if (strcmp(v, "1") == 0 || strcmp(v, "0") == 0) {
        *on = v[0] == '1';
        return true;
    }
    fmt_t m;
    fmt_init(&m, r->msg, sizeof r->msg);
    fmt_add(&m, "%s must be 1 or 0", name);
    api_reply(r, 400, r->msg);
    return false;
}

/* A name parameter (?client=, ?user=) into out; absent leaves it empty. */
static bool name_param(const char *t, const char *name, char *out, size_t cap, api_resp_t *r)
{
    char v[HTTP_TARGET_MAX];
    out[0] = '\0';
    if (!http_query(t, name, v, sizeof v)) return true;
    if (v[0] && strlen(v) < cap) {
        memcpy(out, v, strlen(v) + 1);
        return true;
    }
    fmt_t m;
    fmt_init(&m, r->msg, sizeof r->msg);
    fmt_add(&m, "%s must have 1..%u characters", name, (uint32_t)cap - 1);
    api_reply(r, 400, r->msg);
    return false;
}

static bool body_delete(api_resp_t *r, fmt_t *f)
{
    message_start(r, f);
    json_u32(&r->json, f, "requested", r->cursor);
    json_u32(&r->json, f, "held", r->arg);
    json_end_obj(&r->json, f);
    return false;
}

/* DELETE of one session (id), a client's or a user's sessions. */
static void handle_delete(const char *t, api_resp_t *r, uint32_t id, const char *client,
                          const char *user, const actor_t *by)
{
    static const int status[] = {200, 404, 409, 409, 500};
    static const char *const with_user[] = {"force", "user", NULL}, *const plain[] = {"force", NULL};
    agent_del_req_t req = {id, client, user, false, "?force=1", by, 0, 0};
    char by_user[HAL_SMB_USER_MAX];
    fmt_t msg;
    /* only /v1/clients/NAME takes ?user= */
    if (!query_ok(t, client ? with_user : plain, r) || !switch_param(t, "force", &req.force, r) ||
        !name_param(t, "user", by_user, sizeof by_user, r))
        return;
    if (by_user[0]) req.user = by_user;
    fmt_init(&msg, r->msg, sizeof r->msg);
    agent_del_t rc = agent_delete(&req, &msg);
    api_reply(r, status[-rc], r->msg);
    r->cursor = req.asked;
    r->arg = req.held;
    r->body = body_delete;
}

static void not_allowed(api_resp_t *r, const char *allow)
{
    api_reply(r, 405, "method not allowed");
    r->allow = allow;
}

static const char *const no_params[] = {NULL};

/* GET /v1/sessions[?client=C&user=U&state=S] */
static void get_sessions(const char *t, api_resp_t *r)
{
    static const char *const params[] = {"client", "user", "state", NULL};
    char state[HTTP_TARGET_MAX];
    if (!query_ok(t, params, r) || !name_param(t, "client", r->client, sizeof r->client, r) ||
        !name_param(t, "user", r->user, sizeof r->user, r))
        return;
    if (http_query(t, "state", state, sizeof state)) {
        for (uint32_t st = SESS_ACTIVE; st <= SESS_ENDED; st++)
            if (strcmp(state, sess_state_name((sess_state_t)st)) == 0) r->states = (uint8_t)(1u << st);
        if (!r->states) {
            api_reply(r, 400, "state must be active, stale or ended");
            return;
        }
    }
    r->body = body_sessions;
}

/* GET /v1/events?since=SEQ: 400 for a cursor ahead of the log. */
static void get_events(const char *t, api_resp_t *r)
{
    static const char *const params[] = {"since", NULL};
    char since[12];
    uint32_t cursor = 0, last = events_next(agent_events()) - 1;
    if (!query_ok(t, params, r)) return;
    if (http_query(t, "since", since, sizeof since) && !text_u32(since, &cursor)) {
        api_reply(r, 400, "since must be a sequence number");
        return;
    }
    if ((int32_t)(cursor - last) > 0) {
        fmt_t m;
        fmt_init(&m, r->msg, sizeof r->msg);
        fmt_add(&m, "since %u is ahead of the log, whose latest event is %u (the agent restarted?); "
                    "start again from since=0", cursor, last);
        api_reply(r, 400, r->msg);
        return;
    }
    r->cursor = events_resume(agent_events(), cursor, &r->arg);
    r->body = body_events;
}

/* GET /v1/leaks[?top=N] */
static void get_leaks(const char *t, api_resp_t *r)
{
    static const char *const params[] = {"top", NULL};
    char top[12];
    r->top = AGENT_LEAK_CAP;
    if (!query_ok(t, params, r)) return;
    if (http_query(t, "top", top, sizeof top) && (!text_u32(top, &r->top) || r->top == 0)) {
        api_reply(r, 400, "top must be a count of sources, 1 or more");
        return;
    }
    r->body = body_leaks;
}

/* ---- credentials ------------------------------------------------------------- */

/* The words in /v1/credentials/WORD, by creds kind. */
static const char *const cred_words[CREDS_COUNT] = {"device", "key", "ca", "psk", "seed"};

/* One record as {"state": ..., "subject": ..., "issuer": ..., "sha256": ...}
 * (the fields that apply), or null for a staged record that is absent. */
static void record_json(json_t *j, fmt_t *f, const char *key, int rec)
{
    static const char *const names[TLS_F_COUNT] = {"state", "subject", "issuer", "sha256"};
    char val[200];
    fmt_t v;
    fmt_init(&v, val, sizeof val);
    if (tls_describe(rec, TLS_F_STATE, &v) && rec >= CREDS_STAGED_CERT && strcmp(val, "none") == 0) {
        json_null(j, f, key);
        return;
    }
    json_obj(j, f, key);
    for (int i = 0; i < TLS_F_COUNT; i++) {
        fmt_init(&v, val, sizeof val);
        if (tls_describe(rec, (tls_field_t)i, &v))
            json_str(j, f, names[i], val);
        else if (i == TLS_F_STATE)
            json_str(j, f, names[i], "present");
    }
    json_end_obj(j, f);
}

/* {"device": {...}, "key": ..., "ca": ..., "psk": ..., "seed": ...,
 *  "staged": {"device": ..., "key": ..., "ca": ...}, "activation": "...",
 *  "ready": bool} -- a record per piece. */
static bool body_credentials(api_resp_t *r, fmt_t *f)
{
    uint32_t rec = r->cursor++;
    if (rec == 0) json_obj(&r->json, f, NULL);
    if (rec == CREDS_STAGED_CERT) json_obj(&r->json, f, "staged");
    if (rec < CREDS_RECORDS) {
        record_json(&r->json, f, cred_words[rec < CREDS_COUNT ? rec : rec - CREDS_STAGED_CERT], (int)rec);
        return true;
    }
    json_end_obj(&r->json, f);
    fmt_t msg;
    fmt_init(&msg, r->msg, sizeof r->msg);
    int rc = tls_activate(true, NULL, &msg);
    json_str(&r->json, f, "activation", r->msg);
    json_bool(&r->json, f, "ready", rc == TLS_PUT_STAGED);
    json_end_obj(&r->json, f);
    return false;
}

/* DELETE /v1/credentials/staged: empties every staged record. */
static void clear_staged(api_resp_t *r, const actor_t *by)
{
    for (int k = CREDS_CERT; k <= CREDS_CA; k++) {
        if (creds_store(CREDS_STAGED(k), "", 0) != 0) {
            api_reply(r, 500, "the NV store failed");
            return;
        }
        agent_log(EV_CREDS, CREDS_ACT_CLEARED, creds_name(CREDS_STAGED(k)), by, NULL);
    }
    api_reply(r, 200, "staged credentials removed");
}

/* Puts what was activated in force for new connections (each connection
 * open keeps its own until it closes); 0, or -1 with why added to msg. */
static int reload(fmt_t *msg)
{
    char ebuf[120];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    if (tls_setup(&err) == 0) return 0;
    fmt_add(msg, ", but not loaded: %s", ebuf);
    return -1;
}

/* /v1/credentials[/device|key|ca|activate|staged]: operators only. */
static void handle_credentials(const http_req_t *req, const char *seg, api_resp_t *r, const actor_t *by)
{
    fmt_t msg;
    int kind = -1;
    for (int k = CREDS_CERT; k <= CREDS_CA; k++)
        if (strcmp(seg, cred_words[k]) == 0) kind = k;
    fmt_init(&msg, r->msg, sizeof r->msg);
    bool activate = strcmp(seg, "activate") == 0, staged = strcmp(seg, "staged") == 0;
    http_method_t want = !seg[0] ? HTTP_M_GET : activate ? HTTP_M_POST : staged ? HTTP_M_DELETE : HTTP_M_PUT;
    if (seg[0] && kind < 0 && !activate && !staged) {
        api_reply(r, 404, "no such resource");
        return;
    }
    if (req->method != want) {
        not_allowed(r, !seg[0] ? "GET" : activate ? "POST" : staged ? "DELETE" : "PUT");
        return;
    }
    if (!query_ok(req->target, no_params, r)) return;
    if (!seg[0]) {
        r->body = body_credentials;
        return;
    }
    if (staged) {
        clear_staged(r, by);
        return;
    }
    int rc = kind >= 0 ? tls_stage(kind, (const char *)req->body, req->body_len, by, &msg)
                       : tls_activate(false, by, &msg);
    if (rc < 0)
        api_reply(r, kind >= 0 && rc == TLS_PUT_REFUSED ? 400 : 409, r->msg);
    else if (rc == TLS_PUT_STORED && reload(&msg) != 0)
        api_reply(r, 500, r->msg);
    else
        api_reply(r, 200, r->msg);
}

void api_handle(const http_req_t *req, tls_role_t role, const char *who, api_resp_t *r)
{
    const actor_t by = {ACTOR_API, who};
    char seg[HAL_SMB_USER_MAX];
    const char *t = req->target;
    bool get = req->method == HTTP_M_GET, del = req->method == HTTP_M_DELETE;
    uint32_t id;
    memset(r, 0, sizeof *r);
    json_init(&r->json);
    r->status = 200;
    r->type = JSON_TYPE;
    if (role == TLS_ROLE_NONE) {
        api_reply(r, 403, "the client certificate carries no role");
        return;
    }
    bool writer = role == TLS_ROLE_OPERATOR;
    bool read_only = path_is(t, "/metrics") || path_is(t, "/v1/status") ||
                     path_is(t, "/v1/sessions") || path_is(t, "/v1/events") ||
                     path_is(t, "/v1/leaks");

    if (read_only && !get) {
        not_allowed(r, "GET");
    } else if (path_is(t, "/metrics")) {
        r->type = "text/plain; version=0.0.4";
        if (query_ok(t, no_params, r)) r->body = body_metrics;
    } else if (path_is(t, "/v1/status")) {
        if (query_ok(t, no_params, r)) r->body = body_status;
    } else if (path_is(t, "/v1/sessions")) {
        get_sessions(t, r);
    } else if (path_is(t, "/v1/events")) {
        get_events(t, r);
    } else if (path_is(t, "/v1/leaks")) {
        get_leaks(t, r);
    } else if (segment(t, "/v1/sessions/", seg, sizeof seg)) {
        bool known = text_u32(seg, &id) && ring_find_id(agent_ring(), id);
        if (!get && !del)
            not_allowed(r, "GET, DELETE");
        else if (del && !writer)
            api_reply(r, 403, "the reader role may not end sessions");
        else if (!known)
            api_reply(r, 404, "no such session");
        else if (del)
            handle_delete(t, r, id, NULL, NULL, &by);
        else if (query_ok(t, no_params, r))
            r->arg = id, r->body = body_session;
    } else if (segment(t, "/v1/clients/", seg, sizeof seg) ||
               segment(t, "/v1/users/", seg, sizeof seg)) {
        bool client = strncmp(t, "/v1/clients/", 12) == 0;
        if (!del)
            not_allowed(r, "DELETE");
        else if (!writer)
            api_reply(r, 403, "the reader role may not end sessions");
        else if (strlen(seg) >= (client ? HAL_SMB_CLIENT_MAX : HAL_SMB_USER_MAX))
            api_reply(r, 404, client ? "no such client" : "no such user");
        else
            handle_delete(t, r, 0, client ? seg : NULL, client ? NULL : seg, &by);
    } else if (path_is(t, "/v1/credentials") || segment(t, "/v1/credentials/", seg, sizeof seg)) {
        if (!writer)
            api_reply(r, 403, "only the operator role may see or change credentials");
        else
            handle_credentials(req, path_is(t, "/v1/credentials") ? "" : seg, r, &by);
    } else if (path_is(t, "/v1/config")) {
        static const char *const params[] = {"save", NULL};
        bool save;
        if (!get && req->method != HTTP_M_PATCH)
            not_allowed(r, "GET, PATCH");
        else if (!get && !writer)
            api_reply(r, 403, "the reader role may not change settings");
        else if (get && query_ok(t, no_params, r))
            r->body = body_config;
        else if (!get && query_ok(t, params, r) && switch_param(t, "save", &save, r))
            patch_config(req, r, save, &by);
    } else {
        api_reply(r, 404, "no such resource");
    }
}
