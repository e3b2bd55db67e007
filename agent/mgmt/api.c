#include "api.h"

#include <string.h>

#include "agent.h"
#include "hal_smb.h"
#include "mgmt.h"
#include "text.h"

#define JSON_TYPE "application/json"

/* ---- errors ----------------------------------------------------------------- */

static bool body_message(api_resp_t *r, fmt_t *f)
{
    json_obj(&r->json, f, NULL);
    json_str(&r->json, f, r->status < 300 ? "result" : "error", r->msg);
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

enum { FILTER_ALL, FILTER_ACTIVE, FILTER_STALE, FILTER_ENDED };

static bool passes(const sess_t *s, uint8_t filter)
{
    if (s->state == SESS_FREE) return false;
    return filter == FILTER_ALL || (filter == FILTER_ACTIVE && s->state == SESS_ACTIVE) ||
           (filter == FILTER_STALE && s->state == SESS_STALE) ||
           (filter == FILTER_ENDED && s->state == SESS_ENDED);
}

static void session_json(json_t *j, fmt_t *f, const sess_t *s)
{
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

/* The record with the smallest id above after that passes the filter. */
static const sess_t *next_session(uint32_t after, uint8_t filter)
{
    const sess_t *best = NULL;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &agent_ring()->slot[i];
        if (passes(s, filter) && s->id > after && (!best || s->id < best->id)) best = s;
    }
    return best;
}

static bool body_sessions(api_resp_t *r, fmt_t *f)
{
    if (r->step == 0) {
        r->step = 1;
        json_obj(&r->json, f, NULL);
        json_arr(&r->json, f, "sessions");
        return true;
    }
    const sess_t *s = next_session(r->cursor, r->filter);
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
    json_u32(j, f, "accepted", m->accepted);
    json_u32(j, f, "refused", m->refused);
    json_u32(j, f, "timeouts", m->timeouts);
    json_end_obj(j, f);
    json_end_obj(j, f);
    return false;
}

/* ---- events ------------------------------------------------------------------- */

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
    const event_t *e = r->cursor != events_next(ev) ? events_get(ev, r->cursor) : NULL;
    if (e) {
        json_obj(j, f, NULL);
        json_u32(j, f, "seq", e->seq);
        json_u32(j, f, "time_s", e->time_s);
        json_str(j, f, "type", events_type_name((event_type_t)e->type));
        if (e->session) json_u32(j, f, "session", e->session);
        /* the message, written as a JSON string through a scratch buffer */
        char text[128];
        fmt_t t;
        fmt_init(&t, text, sizeof text);
        events_describe(e, &t);
        json_str(j, f, "message", text);
        json_end_obj(j, f);
        r->cursor++;
        return true;
    }
    json_end_arr(j, f);
    json_u32(j, f, "next", r->cursor - 1); /* pass as ?since= next time */
    json_end_obj(j, f);
    return false;
}

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

static void patch_config(const http_req_t *req, api_resp_t *r)
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
            {
            api_reply(r, 400, r->msg);
            return;
        }
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
    if (agent_cfg_apply(&next, &err) != CFG_OK) {
            api_reply(r, 400, r->msg);
            return;
        }
    char yes[4];
    if (http_query(req->target, "save", yes, sizeof yes) && strcmp(yes, "1") == 0 &&
        agent_cfg_save(&err) != 0)
        {
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
    default:
        metric(f, "tls_handshakes_total", "counter", "completed TLS handshakes", t->handshakes);
        metric(f, "tls_resumed_total", "counter", "handshakes resumed from a session ticket",
               t->resumed);
        metric(f, "tls_handshake_failures_total", "counter", "failed or stalled TLS handshakes",
               t->failures);
        metric(f, "tls_pool_high_water_bytes", "gauge", "most TLS pool memory ever in use",
               t->pool_high_water);
        metric(f, "connections_refused_total", "counter", "connections refused: all slots busy",
               m->refused);
        return false;
    }
}

/* ---- routing -------------------------------------------------------------------- */

/* If target is prefix + a path segment, copies the segment (decoded of
 * nothing; it ends at '?' or the end) into out; true on success. */
static bool segment(const char *target, const char *prefix, char *out, size_t cap)
{
    size_t n = strlen(prefix), i = 0;
    if (strncmp(target, prefix, n) != 0) return false;
    for (target += n; target[i] && target[i] != '?' && target[i] != '/'; i++) {
        if (i + 1 >= cap) return false;
        out[i] = target[i];
    }
    out[i] = '\0';
    return i > 0 && (target[i] == '\0' || target[i] == '?');
}

/* Whether target's path (before '?') is exactly path. */
static bool path_is(const char *target, const char *path)
{
    size_t n = strlen(path);
    return strncmp(target, path, n) == 0 && (target[n] == '\0' || target[n] == '?');
}

static bool forced(const http_req_t *req)
{
    char v[4];
    return http_query(req->target, "force", v, sizeof v) && strcmp(v, "1") == 0;
}

static void delete_result(api_resp_t *r, agent_del_t rc)
{
    static const int status[] = {200, 404, 409, 409, 500};
    api_reply(r, status[-rc], r->msg);
}

static void handle_delete(const http_req_t *req, api_resp_t *r, const char *id_or_client,
                          bool client)
{
    fmt_t msg;
    uint32_t id;
    char copy[HAL_SMB_CLIENT_MAX];
    fmt_init(&msg, r->msg, sizeof r->msg);
    if (client) {
        memcpy(copy, id_or_client, sizeof copy);
        delete_result(r, agent_delete_client(copy, forced(req), &msg));
    } else if (text_u32(id_or_client, &id)) {
        delete_result(r, agent_delete_session(id, forced(req), &msg));
    } else {
        api_reply(r, 404, "no such session");
    }
}

static void not_allowed(api_resp_t *r, const char *allow)
{
    api_reply(r, 405, "method not allowed");
    r->allow = allow;
}

void api_handle(const http_req_t *req, tls_role_t role, api_resp_t *r)
{
    char seg[HAL_SMB_CLIENT_MAX], state[8];
    const char *t = req->target;
    bool get = req->method == HTTP_M_GET, del = req->method == HTTP_M_DELETE;
    memset(r, 0, sizeof *r);
    json_init(&r->json);
    r->status = 200;
    r->type = JSON_TYPE;
    if (role == TLS_ROLE_NONE) {
            api_reply(r, 403, "the client certificate carries no role");
            return;
        }
    bool writer = role == TLS_ROLE_OPERATOR;

    if (path_is(t, "/metrics")) {
        if (!get) {
            not_allowed(r, "GET");
            return;
        }
        r->type = "text/plain; version=0.0.4";
        r->body = body_metrics;
    } else if (path_is(t, "/v1/status")) {
        if (!get) {
            not_allowed(r, "GET");
            return;
        }
        r->body = body_status;
    } else if (path_is(t, "/v1/sessions")) {
        if (!get) {
            not_allowed(r, "GET");
            return;
        }
        static const char *const names[] = {"", "active", "stale", "ended"};
        if (http_query(t, "state", state, sizeof state)) {
            for (r->filter = 1; r->filter < 4 && strcmp(state, names[r->filter]); r->filter++) {}
            if (r->filter == 4) {
            api_reply(r, 400, "state must be active, stale or ended");
            return;
        }
        } else if (strchr(t, '?') && strstr(t, "state=")) {
            {
            api_reply(r, 400, "state must be active, stale or ended");
            return;
        }
        }
        r->body = body_sessions;
    } else if (segment(t, "/v1/sessions/", seg, sizeof seg)) {
        if (!get && !del) {
            not_allowed(r, "GET, DELETE");
            return;
        }
        if (del && !writer) {
            api_reply(r, 403, "the reader role may not end sessions");
            return;
        }
        if (del) {
            handle_delete(req, r, seg, false);
            return;
        }
        uint32_t id;
        if (!text_u32(seg, &id) || !ring_find_id(agent_ring(), id))
            {
            api_reply(r, 404, "no such session");
            return;
        }
        r->arg = id;
        r->body = body_session;
    } else if (segment(t, "/v1/clients/", seg, sizeof seg)) {
        if (!del) {
            not_allowed(r, "DELETE");
            return;
        }
        if (!writer) {
            api_reply(r, 403, "the reader role may not end sessions");
            return;
        }
        handle_delete(req, r, seg, true);
    } else if (path_is(t, "/v1/events")) {
        if (!get) {
            not_allowed(r, "GET");
            return;
        }
        char since[12];
        uint32_t cursor = 0;
        if (http_query(t, "since", since, sizeof since) && !text_u32(since, &cursor))
            {
            api_reply(r, 400, "since must be a sequence number");
            return;
        }
        r->cursor = events_resume(agent_events(), cursor, &r->arg);
        r->body = body_events;
    } else if (path_is(t, "/v1/config")) {
        if (req->method == HTTP_M_PATCH) {
            if (!writer) {
            api_reply(r, 403, "the reader role may not change settings");
            return;
        }
            {
            patch_config(req, r);
            return;
        }
        }
        if (!get) {
            not_allowed(r, "GET, PATCH");
            return;
        }
        r->body = body_config;
    } else {
        api_reply(r, 404, "no such resource");
    }
}
