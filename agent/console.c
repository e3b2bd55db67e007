#include "console.h"

#include <string.h>

#include "agent.h"
#include "hal_console.h"
#include "hal_smb.h"
#include "hal_watchdog.h"
#include "text.h"

#define PROMPT "smbwarden> "
#define MAX_ARGS 6
#define CTRL_C 0x03
#define CTRL_D 0x04
#define CONSOLE_DRAIN_MS 5
/* After an input overrun, input is thrown away until it has been quiet
 * this long: the rest of a damaged line or paste never runs. */
#define CONSOLE_QUIET_MS 300

/* A command with long output prints it one line per call, so the output
 * buffer stays small: returns false when there is no further line. */
typedef bool (*gen_fn)(fmt_t *line);

typedef console_cmd_t cmd_t;

const actor_t console_actor = {ACTOR_CONSOLE, NULL};

static struct {
    bool echo;
    char line[AGENT_CONSOLE_LINE_MAX];
    size_t len;
    uint8_t esc;  /* 0, 1 after ESC, 2 inside ESC [ ... */
    bool last_cr; /* swallow the LF of a CR LF */
    char out[AGENT_CONSOLE_OUT_MAX];
    size_t out_len, out_sent;
    int stash;    /* a byte read while a listing ran, or -1 */
    gen_fn gen;
    uint32_t g_line, g_id, g_arg; /* generator state */
    uint32_t g_now;               /* `show leaks`: the time its order is for */
    bool g_hint;                  /* ... the row's hint is the next line */
    uint32_t shown;               /* rows a filtered listing printed */
    bool reboot;
    bool prompt_due;              /* the first prompt, after start-up text */
    bool exit_warned;             /* `exit` said the settings are not saved */
    bool leaving;                 /* the board is ending the agent: no prompt */
    bool discarding;              /* after an overrun, until input is quiet */
    uint32_t last_in_ms;          /* when the last byte came */
    uint8_t f_states;             /* `show sessions` filter */
    char f_client[HAL_SMB_CLIENT_MAX];
    char f_user[HAL_SMB_USER_MAX];
    bool (*ext_gen)(fmt_t *f, uint32_t n); /* see console_list() */
    const console_ext_t *ext;
    bool (*capture)(const char *line); /* see console_capture() */
    bool unseen;                       /* ... its lines are not echoed */
    uint32_t captured;                 /* ... lines so far */
} con;

/* ---- output -------------------------------------------------------------- */

static const char *nl(void) { return con.echo ? "\r\n" : "\n"; }

static void out_raw(const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof con.out - con.out_len) n = sizeof con.out - con.out_len;
    memcpy(con.out + con.out_len, s, n);
    con.out_len += n;
}

/* Makes a formatted line safe for a terminal, whatever names from outside
 * (SMB clients and users, certificate subjects, PSK identities) it holds:
 * control bytes, C1 controls and bytes that are not well-formed UTF-8
 * become '?'. */
static void clean(char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = (uint8_t)p[i];
        size_t len = text_utf8_len(p + i, n - i);
        if (!len || c < 0x20 || c == 0x7f || (c == 0xc2 && (uint8_t)p[i + 1] < 0xa0)) {
            len += !len;
            memset(p + i, '?', len);
        }
        i += len;
    }
}

/* Appends one formatted line (the caller's text plus a newline). */
void console_say(const char *spec, ...)
{
    fmt_t f;
    va_list ap;
    size_t room = sizeof con.out - con.out_len;
    if (room < 3) return;
    fmt_init(&f, con.out + con.out_len, room - 2);
    va_start(ap, spec);
    fmt_vadd(&f, spec, ap);
    va_end(ap);
    clean(f.buf, f.len);
    con.out_len += f.len;
    out_raw(nl());
}

static void flush(void)
{
    if (con.out_sent < con.out_len)
        con.out_sent += hal_console_write((const uint8_t *)con.out + con.out_sent,
                                          con.out_len - con.out_sent);
    if (con.out_sent == con.out_len) con.out_len = con.out_sent = 0;
}

static void start_gen(gen_fn g)
{
    con.gen = g;
    con.g_line = con.g_id = 0;
}

/* Runs the generator while a whole line fits; true if it has more. */
static bool run_gen(void)
{
    while (con.gen && sizeof con.out - con.out_len >= AGENT_CONSOLE_LINE_MAX + 2) {
        fmt_t f;
        fmt_init(&f, con.out + con.out_len, AGENT_CONSOLE_LINE_MAX);
        if (!con.gen(&f)) {
            con.gen = NULL;
            out_raw(PROMPT);
            return false;
        }
        clean(f.buf, f.len);
        con.out_len += f.len;
        out_raw(nl());
        con.g_line++;
    }
    return con.gen != NULL;
}

/* ---- sessions -------------------------------------------------------------- */

static void session_row(fmt_t *f, const sess_t *s)
{
    uint32_t now = agent_now_s();
    fmt_add(f, "%-5u \\\\%-20.20s %-20.20s %-11.11s %5u %10T  %-6s %s", s->id, s->client,
            s->user[0] ? s->user : "(null)", s->type, s->opens, sess_idle(s, now),
            sess_state_name((sess_state_t)s->state), sess_reason_name((sess_reason_t)s->reason));
    if (s->pending)
        fmt_add(f, " (ending)");
    else if (s->block && s->state == SESS_STALE)
        fmt_add(f, " (kept: %s)", block_name((block_t)s->block));
}

static bool filtered(void) { return con.f_states || con.f_client[0] || con.f_user[0]; }

/* g_arg: 0 while listing live sessions, 1 for ended ones, 2 for the footer. */
static bool gen_sessions(fmt_t *f)
{
    static const uint8_t pass_states[2] = {SESS_LIVE_STATES, 1u << SESS_ENDED};
    if (con.g_line == 0) {
        fmt_add(f, "ID    Computer               User name            Client type Opens  "
                   "Idle time  State  Reason");
        con.g_arg = 0;
        return true;
    }
    if (con.g_line == 1) {
        while (f->len < 96) fmt_add(f, "-");
        return true;
    }
    while (con.g_arg < 2) {
        sess_filter_t flt = {pass_states[con.g_arg], con.f_client, con.f_user};
        if (con.f_states) flt.states &= con.f_states;
        const sess_t *s = flt.states ? ring_next(agent_ring(), con.g_id, &flt) : NULL;
        if (s) {
            con.g_id = s->id;
            con.shown++;
            session_row(f, s);
            return true;
        }
        con.g_arg++;
        con.g_id = 0;
    }
    if (con.g_arg > 2) return false;
    con.g_arg++;
    const agent_stats_t *st = agent_stats();
    uint32_t n[4] = {0};
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) n[agent_ring()->slot[i].state & 3]++;
    if (filtered()) fmt_add(f, "%u shown of ", con.shown);
    fmt_add(f, "%u live (%u stale), %u ended", n[SESS_ACTIVE] + n[SESS_STALE], n[SESS_STALE],
            n[SESS_ENDED]);
    if (st->untracked)
        fmt_add(f, "; %u more untracked (ring full)", st->untracked);
    if (!st->last_ok) fmt_add(f, "; LAST SAMPLE FAILED");
    return true;
}

/* g_arg: the id `show session` prints, looked up per line because a sample
 * between two lines may reuse the record. */

static bool gen_session(fmt_t *f)
{
    const sess_t *s = ring_find_id(agent_ring(), con.g_arg);
    uint32_t now = agent_now_s();
    if (!s) return false;
    switch (con.g_line) {
    case 0:
        fmt_add(f, "Session %u: \\\\%s, user %s, %s", s->id, s->client,
                s->user[0] ? s->user : "(null session)", s->type);
        return true;
    case 1:
        fmt_add(f, "  %s%s%s, %u open file(s), idle %T (%s), connected %T",
                sess_state_name((sess_state_t)s->state), s->reason ? " " : "",
                sess_reason_name((sess_reason_t)s->reason),
                s->opens, sess_idle(s, now),
                s->flags & HAL_SMB_F_IDLE ? "the server's figure" : "from activity",
                sess_connected(s, now));
        return true;
    case 2:
        fmt_add(f, "  server session %u, connection %u,%s%s%s seen %T after boot",
                s->session_id, s->conn_id, s->flags & HAL_SMB_F_GUEST ? " guest," : "",
                s->flags & HAL_SMB_F_ENCRYPTED ? " encrypted," : "",
                s->flags & HAL_SMB_F_SIGNED ? " signed," : "", s->first_s);
        if (s->state == SESS_ENDED) fmt_add(f, ", ended %T after boot", s->ended_s);
        return true;
    case 3:
        fmt_add(f, "  eviction: ");
        if (s->pending)
            fmt_add(f, "requested%s", s->forced ? " with force" : "");
        else if (s->block && s->state == SESS_STALE)
            fmt_add(f, "kept: %s", block_name((block_t)s->block));
        else
            fmt_add(f, "-");
        return true;
    default: return false;
    }
}

/* ---- leak sources -------------------------------------------------------- */

/* A stamp (leaks.h): wall time, or uptime before the board had the date. */
static void put_stamp(fmt_t *f, uint32_t t)
{
    if (t >= AGENT_WALL_MIN_S)
        fmt_add(f, "%W", t);
    else
        fmt_add(f, "up %T", t);
}

static void put_rate(fmt_t *f, uint32_t rate10) { fmt_add(f, "%u.%u", rate10 / 10, rate10 % 10); }

/* The leak table's totals, and when the server is full at their rate. */
static void leaks_summary(fmt_t *f)
{
    const leaks_t *t = agent_leaks();
    uint32_t secs;
    fmt_add(f, "%u source(s)", leaks_rows(t));
    if (t->dropped) fmt_add(f, " (%u dropped: table full)", t->dropped);
    fmt_add(f, ", ");
    put_rate(f, leaks_rate10(t, agent_stamp_s()));
    fmt_add(f, " stale sessions a day; ");
    if (!agent_time_to_limit(&secs))
        fmt_add(f, agent_cfg()->session_limit ? "limit %u not in sight" : "no policy.session_limit",
                agent_cfg()->session_limit);
    else if (secs == 0)
        fmt_add(f, "limit %u reached", agent_cfg()->session_limit);
    else
        fmt_add(f, "limit %u in %T at that rate", agent_cfg()->session_limit, secs);
}

/* g_arg: rows to show; g_id: the last row shown, plus one. */
static bool gen_leaks(fmt_t *f)
{
    const leaks_t *t = agent_leaks();
    if (con.g_line == 0) {
        fmt_add(f, "Computer               User name            Stale  Idle  Null   Dup Limit "
                   "Orphan Evicted Ended Rate/day  Last");
        con.g_now = agent_stamp_s();
        con.g_id = 0;
        con.g_hint = false;
        con.shown = 0;
        return true;
    }
    if (con.g_line == 1) {
        while (f->len < 118) fmt_add(f, "-");
        return true;
    }
    if (con.g_id == UINT32_MAX) return false; /* the summary was the last line */
    const leak_t *prev = con.g_id ? &t->row[con.g_id - 1] : NULL;
    if (con.g_hint) {
        con.g_hint = false;
        fmt_add(f, "  hint: %s", leak_hint(prev));
        return true;
    }
    const leak_t *l = con.shown < con.g_arg ? leaks_next(t, con.g_now, prev) : NULL;
    if (l) {
        con.g_id = (uint32_t)(l - t->row) + 1;
        con.g_hint = true;
        con.shown++;
        fmt_add(f, "\\\\%-20.20s %-20.20s %5u", l->client, l->user[0] ? l->user : "(null)",
                leak_total(l));
        for (int i = 0; i < LEAK_REASONS; i++) fmt_add(f, " %5u", l->by_reason[i]);
        uint32_t rate = leak_rate10(l, con.g_now);
        fmt_add(f, " %7u %5u %6u.%u  ", l->evicted, l->ended, rate / 10, rate % 10);
        put_stamp(f, l->last_s);
        return true;
    }
    con.g_id = UINT32_MAX;
    uint32_t rows = leaks_rows(t);
    if (rows > con.shown) fmt_add(f, "%u shown of ", con.shown);
    leaks_summary(f);
    return true;
}

/* ---- events, status, config, help ---------------------------------------- */

static bool gen_events(fmt_t *f)
{
    const events_t *ev = agent_events();
    if (con.g_line == 0) { /* the newest g_arg held */
        uint32_t held = events_held(ev), k = con.g_arg < held ? held - con.g_arg : 0;
        con.g_id = k < held ? events_at(ev, k) : events_next(ev);
    }
    con.g_id = events_from(ev, con.g_id);
    const event_t *e = events_get(ev, con.g_id);
    if (!e) return false;
    con.g_id++;
    fmt_add(f, "#%-6u ", e->seq);
    if (e->flags & EVENT_WALL) fmt_add(f, "%W  ", e->time_s);
    else fmt_add(f, "up %17T  ", e->time_s);
    fmt_add(f, "%-15s ", events_type_name((event_type_t)e->type));
    events_describe(e, f);
    return true;
}

static bool gen_status(fmt_t *f)
{
    const agent_stats_t *st = agent_stats();
    const cfg_t *c = agent_cfg();
    const events_t *ev = agent_events();
    uint32_t now = agent_now_s(), pending = 0;
    switch (con.g_line) {
    case 0:
        fmt_add(f, "smbwarden %s, up %T, mode %s", AGENT_VERSION, now,
                c->mode == CFG_MODE_ENFORCE ? "enforce" : "report");
        return true;
    case 1:
        fmt_add(f, "samples    %u good, %u failed", st->samples, st->sample_failures);
        if (st->samples) fmt_add(f, ", last good %us ago", now - st->last_ok_s);
        if (!st->last_ok) fmt_add(f, "; LAST SAMPLE FAILED: %s", hal_smb_error());
        return true;
    case 2:
        fmt_add(f, "sessions   %u on the server, %u/%u in the ring, %u untracked",
                st->server_sessions, ring_live(agent_ring()), (uint32_t)AGENT_RING_CAP,
                st->untracked);
        return true;
    case 3:
        fmt_add(f, "limit      %u, pressure %s (%u%%..%u%%)", c->session_limit,
                st->pressure ? "ON" : "off", c->limit_low, c->limit_high);
        return true;
    case 4:
        if (st->has_refusals)
            fmt_add(f, "refusals   %u", st->refusals);
        else
            fmt_add(f, "refusals   not reported");
        return true;
    case 5:
        for (uint32_t i = 0; i < AGENT_RING_CAP; i++) pending += agent_ring()->slot[i].pending;
        fmt_add(f, "evictions  %u requested, %u done, %u failed, %u pending",
                st->evict_requests, st->evictions, st->eviction_failures, pending);
        return true;
    case 6:
        fmt_add(f, "events     %u held, next #%u", events_held(ev), events_next(ev));
        return true;
    case 7:
        if (agent_wall_s())
            fmt_add(f, "clock      %W", agent_wall_s());
        else
            fmt_add(f, "clock      NOT SET: events stamped with uptime, certificate dates not checked");
        return true;
    case 8:
        fmt_add(f, "leaks      ");
        leaks_summary(f);
        return true;
    default:
        return con.ext && con.ext->status_line && con.ext->status_line(f, con.g_line - 9);
    }
}

static void pad_to(fmt_t *f, size_t col)
{
    do fmt_add(f, " ");
    while (f->len < col && !f->overflow);
}

/* Bit i: key i differs from the saved settings (read back once). */
static uint32_t unsaved_keys(void)
{
    cfg_t saved;
    uint32_t bits = 0;
    agent_cfg_saved(&saved);
    for (size_t i = 0; i < cfg_key_count; i++)
        if (!cfg_equal(agent_cfg(), &saved, &cfg_keys[i])) bits |= 1u << i;
    return bits;
}

static bool gen_config(fmt_t *f)
{
    if (con.g_line >= cfg_key_count + 1) return false;
    if (con.g_line == 0) {
        con.g_arg = unsaved_keys(); /* NV read once a listing, not once a line */
        fmt_add(f, "%-22s %-14s %-10s %s", "key", "value", "default", "range");
        return true;
    }
    const cfg_key_t *k = &cfg_keys[con.g_line - 1];
    fmt_add(f, "%-22s ", k->name);
    size_t col = f->len;
    cfg_format(agent_cfg(), k, f);
    pad_to(f, col + 15);
    col = f->len;
    cfg_format_default(k, f);
    pad_to(f, col + 11);
    cfg_format_range(k, f);
    if (con.g_arg >> (con.g_line - 1) & 1) fmt_add(f, "  (not saved)");
    return true;
}

static const cmd_t commands[];
static const size_t command_count;

/* Command i of the core's table followed by the extension's, or NULL. */
static const cmd_t *cmd_at(size_t i)
{
    if (i < command_count) return &commands[i];
    i -= command_count;
    return con.ext && i < con.ext->count ? &con.ext->cmds[i] : NULL;
}
static char *help_words[2]; /* `help` topic, in the line buffer */
static int help_count;

/* Whether the topic words begin the command's name: every word whole but
 * the last, which may be the start of one ("help se": set, session ...). */
static bool topic_matches(const cmd_t *c)
{
    const char *name = c->name;
    for (int i = 0; i < help_count; i++) {
        size_t n = strlen(help_words[i]), w = strcspn(name, " ");
        bool last = i + 1 == help_count;
        if (n > w || (!last && n != w) || !text_istarts(name, help_words[i])) return false;
        name += w + (name[w] == ' ');
    }
    return true;
}

static bool gen_help(fmt_t *f)
{
    const cmd_t *c;
    while ((c = cmd_at(con.g_id)) != NULL) {
        con.g_id++;
        if (!topic_matches(c)) continue;
        size_t col = f->len;
        fmt_add(f, "%s %s", c->name, c->args);
        pad_to(f, col + 28);
        fmt_add(f, "%s", c->help);
        return true;
    }
    return false;
}

/* ---- commands -------------------------------------------------------------- */

static void cmd_help(int argc, char **argv, char *rest)
{
    (void)rest;
    help_count = argc;
    help_words[0] = argv[0];
    help_words[1] = argv[1];
    for (size_t i = 0; cmd_at(i); i++) {
        if (topic_matches(cmd_at(i))) {
            start_gen(gen_help);
            return;
        }
    }
    console_say("error: no command '%s'", argv[0]);
}

/* Copies a name argument; false (and says why) if it is too long. */
static bool take_name(char *dst, size_t cap, const char *arg)
{
    size_t n = strlen(arg);
    if (n >= cap) {
        console_say("error: '%s' is longer than %u characters", arg, (uint32_t)cap - 1);
        return false;
    }
    memcpy(dst, arg, n + 1);
    return true;
}

/* The argument of `show sessions`: a state, \\CLIENT or USER. */
static bool listing_filter(const char *a)
{
    for (uint32_t st = SESS_ACTIVE; st <= SESS_ENDED; st++)
        if (text_ieq(a, sess_state_name((sess_state_t)st))) return con.f_states = (uint8_t)(1u << st), true;
    if (a[0] != '\\') return take_name(con.f_user, sizeof con.f_user, a);
    while (*a == '\\') a++;
    if (*a) return take_name(con.f_client, sizeof con.f_client, a);
    console_say("error: '\\\\' names no client");
    return false;
}

static void cmd_show_sessions(int argc, char **argv, char *rest)
{
    (void)rest;
    con.f_states = 0;
    con.f_client[0] = con.f_user[0] = '\0';
    con.shown = 0;
    if (argc == 1 && !listing_filter(argv[0])) return;
    start_gen(gen_sessions);
}

static void cmd_show_session(int argc, char **argv, char *rest)
{
    uint32_t id;
    (void)argc, (void)rest;
    if (!text_u32(argv[0], &id) || !ring_find_id(agent_ring(), id)) {
        console_say("error: no session '%s'", argv[0]);
        return;
    }
    con.g_arg = id;
    start_gen(gen_session);
}

/* A listing of the last or top N (argv[0], else n) of what, by gen. */
static void show_counted(int argc, char **argv, uint32_t n, const char *what, gen_fn gen)
{
    if (argc > 0 && (!text_u32(argv[0], &n) || n == 0)) {
        console_say("error: '%s' is not a count of %s", argv[0], what);
        return;
    }
    con.g_arg = n;
    start_gen(gen);
}

static void cmd_show_events(int argc, char **argv, char *rest)
{
    (void)rest;
    show_counted(argc, argv, 20, "events", gen_events);
}

static void cmd_show_leaks(int argc, char **argv, char *rest)
{
    (void)rest;
    show_counted(argc, argv, 10, "sources", gen_leaks);
}

static void cmd_show_status(int argc, char **argv, char *rest)
{
    (void)argc, (void)argv, (void)rest;
    start_gen(gen_status);
}

static void cmd_show_config(int argc, char **argv, char *rest)
{
    (void)argc, (void)argv, (void)rest;
    start_gen(gen_config);
}

static const cfg_key_t *key_or_complain(const char *name)
{
    const cfg_key_t *k = cfg_key_find(name);
    if (!k) console_say("error: unknown key '%s'; 'show config' lists them", name);
    return k;
}

static void apply(const cfg_t *next, const cfg_key_t *k)
{
    char ebuf[AGENT_CONSOLE_LINE_MAX], vbuf[AGENT_PROTECT_MAX + 4];
    fmt_t err, val;
    fmt_init(&err, ebuf, sizeof ebuf);
    if (agent_cfg_apply(next, &console_actor, &err) != CFG_OK) {
        console_say("error: %s", ebuf);
        return;
    }
    fmt_init(&val, vbuf, sizeof vbuf);
    cfg_format(agent_cfg(), k, &val);
    console_say("%s = %s%s", k->name, vbuf, unsaved_keys() >> (k - cfg_keys) & 1 ? " (not saved)" : "");
}

static void cmd_set(int argc, char **argv, char *rest)
{
    (void)argc;
    const cfg_key_t *k = key_or_complain(argv[0]);
    if (!k) return;
    /* The value is the rest of the line, so lists may contain spaces. */
    char *v = rest + strlen(argv[0]);
    while (*v == ' ' || *v == '\t') v++;
    cfg_t next = *agent_cfg();
    char ebuf[AGENT_CONSOLE_LINE_MAX];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    if (cfg_parse(&next, k, v, &err) != CFG_OK) {
        console_say("error: %s", ebuf);
        return;
    }
    apply(&next, k);
}

static void cmd_unset(int argc, char **argv, char *rest)
{
    (void)argc, (void)rest;
    const cfg_key_t *k = key_or_complain(argv[0]);
    if (!k) return;
    cfg_t next = *agent_cfg();
    cfg_reset(&next, k);
    apply(&next, k);
}

static void cmd_save(int argc, char **argv, char *rest)
{
    char ebuf[AGENT_CONSOLE_LINE_MAX];
    fmt_t err;
    (void)argc, (void)argv, (void)rest;
    fmt_init(&err, ebuf, sizeof ebuf);
    if (agent_cfg_save(&console_actor, &err) == 0)
        console_say("settings saved");
    else
        console_say("error: %s", ebuf);
}

/* session delete ID|\\CLIENT|USER|\\CLIENT USER [force] */
static void cmd_session_delete(int argc, char **argv, char *rest)
{
    char mbuf[AGENT_CONSOLE_LINE_MAX];
    fmt_t msg;
    agent_del_req_t req = {.force_word = "'force'", .by = &console_actor};
    (void)rest;
    req.force = argc > 1 && text_ieq(argv[argc - 1], "force");
    argc -= req.force;
    bool by_client = argv[0][0] == '\\';
    if (argc > (by_client ? 2 : 1)) {
        console_say("error: usage: session delete ID|\\\\CLIENT|USER|\\\\CLIENT USER [force]");
        return;
    }
    if (by_client) {
        req.client = argv[0];
        req.user = argc == 2 ? argv[1] : NULL;
    } else if (!text_u32(argv[0], &req.id)) {
        req.user = argv[0]; /* a name, not a session ID */
    }
    fmt_init(&msg, mbuf, sizeof mbuf);
    agent_del_t rc = agent_delete(&req, &msg);
    console_say(rc == AGENT_DEL_OK ? "%s" : "error: %s", mbuf);
}

static void cmd_reboot(int argc, char **argv, char *rest)
{
    (void)argc, (void)argv, (void)rest;
    console_say("rebooting");
    con.reboot = true;
}

static bool unsaved(void) { return unsaved_keys() != 0; }

/* `exit`: a process board ends; the firmware has nowhere to go. */
static void cmd_exit(int argc, char **argv, char *rest)
{
    (void)argc, (void)argv, (void)rest;
    if (unsaved() && !con.exit_warned) {
        con.exit_warned = true;
        console_say("settings changed since the last save: 'save' keeps them, 'exit' again leaves without");
        return;
    }
    con.leaving = hal_system_exit();
    if (!con.leaving) console_say("error: this board runs until switched off; 'reboot' restarts it");
}

static const cmd_t commands[] = {
    {"help", "[COMMAND]", "list commands, or those starting so", 0, 2, cmd_help, 0},
    {"show sessions", "[\\\\CLIENT|USER|active|stale|ended]", "the session table", 0, 1,
     cmd_show_sessions, 0},
    {"show session", "ID", "one session in full", 1, 1, cmd_show_session, 0},
    {"show events", "[N]", "the last N events (20)", 0, 1, cmd_show_events, 0},
    {"show leaks", "[N]", "where stale sessions come from: top N sources (10)", 0, 1,
     cmd_show_leaks, 0},
    {"show status", "", "counters", 0, 0, cmd_show_status, 0},
    {"show config", "", "settings, defaults, ranges", 0, 0, cmd_show_config, 0},
    {"set", "KEY VALUE", "change a setting (s/m/h durations)", 2, MAX_ARGS, cmd_set, 0},
    {"unset", "KEY", "back to the default", 1, 1, cmd_unset, 0},
    {"save", "", "keep settings across restarts", 0, 0, cmd_save, 0},
    {"session delete", "ID|\\\\CLIENT|USER|\\\\CLIENT USER [force]",
     "end sessions; force closes files", 1, 3, cmd_session_delete, 0},
    {"reboot", "", "restart the agent", 0, 0, cmd_reboot, 0},
    {"exit", "", "leave the agent (ctrl-D)", 0, 0, cmd_exit, 0},
};
static const size_t command_count = sizeof commands / sizeof commands[0];

/* Splits line into words in place; returns the count (at most max). */
static int split(char *line, char **argv, int max)
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t') *p++ = '\0';
        if (!*p) break;
        if (n == max) return max + 1;
        argv[n++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
    }
    return n;
}

/* Number of words of name matched by argv, or 0. */
static int match(const char *name, int argc, char **argv)
{
    int words = 0;
    while (*name) {
        size_t n = strcspn(name, " ");
        if (words >= argc || strlen(argv[words]) != n || !text_istarts(name, argv[words]))
            return 0;
        words++;
        name += n + (name[n] == ' ');
    }
    return words;
}

static void execute(char *line)
{
    char copy[AGENT_CONSOLE_LINE_MAX];
    char *argv[MAX_ARGS + 2];
    memcpy(copy, line, sizeof copy);
    int argc = split(line, argv, MAX_ARGS + 1);
    if (argc == 0) return;
    const cmd_t *c;
    for (size_t i = 0; (c = cmd_at(i)) != NULL; i++) {
        int w = match(c->name, argc, argv);
        if (!w) continue;
        int n = argc - w;
        if (n < c->min_args || n > c->max_args) {
            console_say("error: usage: %s %s", c->name, c->args);
            return;
        }
        /* rest: the original text from the first argument on */
        char *rest = copy + (n ? argv[w] - line : (ptrdiff_t)strlen(copy));
        c->run(n, argv + w, rest);
        return;
    }
    if (argc > 1 && (text_ieq(argv[0], "show") || text_ieq(argv[0], "session")))
        console_say("error: unknown command '%s %s'; 'help %s' lists them", argv[0], argv[1], argv[0]);
    else
        console_say("error: unknown command '%s'; 'help' lists them", argv[0]);
}

/* ---- input ------------------------------------------------------------------ */

static void echo(const char *s)
{
    if (con.echo) out_raw(s);
}

static void end_line(void)
{
    if (con.capture && con.unseen && con.echo) {
        char note[24];
        fmt_t f;
        fmt_init(&f, note, sizeof note);
        fmt_add(&f, "(line %u)\r\n", ++con.captured);
        out_raw(note);
    } else {
        echo("\r\n");
    }
    con.line[con.len] = '\0';
    con.len = 0;
    if (con.capture) {
        bool more = con.capture(con.line);
        memset(con.line, 0, sizeof con.line); /* a pasted key does not linger */
        if (more) return; /* more lines to come: no prompt */
        con.capture = NULL;
    } else {
        execute(con.line);
    }
    if (!con.gen && !con.capture && !con.leaving) out_raw(PROMPT);
}

/* The first n bytes of a and b, ASCII case-insensitive. */
static bool same_word(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((a[i] | 0x20) != (b[i] | 0x20) || !a[i]) return false;
    return true;
}

/* Whether the last byte of the line being typed belongs to a command's
 * secret argument (console_cmd_t.secret): `cert psk ROLE ID KEY`. */
static bool unseen(void)
{
    const char *w[8];
    size_t wl[8], n = 0;
    for (size_t i = 0; i < con.len && n < 8;) {
        while (i < con.len && con.line[i] == ' ') i++;
        if (i == con.len) break;
        w[n] = con.line + i;
        while (i < con.len && con.line[i] != ' ') i++;
        wl[n] = (size_t)(con.line + i - w[n]);
        n++;
    }
    if (n == 0 || con.line[con.len - 1] == ' ') return false;
    for (size_t c = 0; cmd_at(c); c++) {
        const cmd_t *cmd = cmd_at(c);
        if (!cmd->secret) continue;
        const char *name = cmd->name;
        size_t k = 0;
        while (*name && k < n) { /* the name's words against the typed ones */
            size_t len = strcspn(name, " ");
            if (len != wl[k] || !same_word(name, w[k], len)) break;
            name += len + (name[len] == ' ');
            k++;
        }
        if (!*name && n - k >= cmd->secret) return true;
    }
    return false;
}

/* Handles one input byte: editing, or running the line it ends. */
static void take_byte(uint8_t c)
{
    bool was_cr = con.last_cr;
    con.last_cr = (c == '\r');
    if (c < 0x20 && c != 0x1b) con.esc = 0; /* a control byte cuts a sequence short and acts
                                              (ECMA-48): ctrl-C always cancels */
    if (con.esc == 1) { /* ESC: a CSI follows with '[', else one byte */
        con.esc = (c == '[') ? 2 : 0;
        return;
    }
    if (con.esc == 2) { /* parameters until the final byte */
        if (c >= 0x40 && c <= 0x7e) con.esc = 0;
        return;
    }
    switch (c) {
    case '\n':
        if (!was_cr) end_line();
        return;
    case '\r': end_line(); return;
    case 0x1b: con.esc = 1; return;
    case CTRL_D: /* on an empty line of a terminal: exit */
        if (con.len == 0 && con.echo && !con.capture) {
            memcpy(con.line, "exit", 5);
            con.len = 4;
            echo("exit");
            end_line();
        }
        return;
    case CTRL_C:
        con.len = 0;
        echo("^C\r\n");
        if (con.capture) con.capture(NULL);
        con.capture = NULL;
        out_raw(PROMPT);
        return;
    case 0x15: /* ctrl-U */
        while (con.len) {
            con.len--;
            echo("\b \b");
        }
        return;
    case 0x08:
    case 0x7f:
        if (con.len) {
            con.len--;
            echo("\b \b");
        }
        return;
    default: break;
    }
    if (c < 0x20 || c > 0x7e) return;
    if (con.len + 1 >= sizeof con.line) {
        echo("\a");
        return;
    }
    con.line[con.len++] = (char)c;
    if (!con.echo || (con.capture && con.unseen)) return;
    char e[2] = {!con.capture && unseen() ? '*' : (char)c, '\0'};
    out_raw(e);
}

/* A listing with room to go on runs again at once; output the far end has
 * not taken yet is offered again shortly. */
static uint32_t wait_hint(bool more)
{
    if (more && sizeof con.out - con.out_len >= AGENT_CONSOLE_LINE_MAX + 2) return 0;
    return (more || con.out_len) ? CONSOLE_DRAIN_MS : UINT32_MAX;
}

void console_extend(const console_ext_t *ext) { con.ext = ext; }

void console_capture(bool (*take)(const char *line), bool unseen_lines)
{
    con.capture = take;
    con.unseen = unseen_lines;
    con.captured = 0;
}

void console_init(bool echo_on)
{
    const console_ext_t *ext = con.ext; /* survives a re-init */
    memset(&con, 0, sizeof con);
    con.ext = ext;
    con.echo = echo_on;
    con.stash = -1;
    console_say("smbwarden %s: 'help' lists the commands", AGENT_VERSION);
    con.prompt_due = true; /* after what start-up adds (console_say) */
}

static bool gen_ext(fmt_t *f) { return con.ext_gen(f, con.g_line); }

void console_list(bool (*gen)(fmt_t *f, uint32_t n))
{
    con.ext_gen = gen;
    start_gen(gen_ext);
}

/* Bytes were lost: nothing of the line, or paste, they belonged to runs. */
static void overrun(void)
{
    con.len = 0;
    con.esc = 0;
    if (con.capture) con.capture(NULL); /* refuses the paste */
    con.capture = NULL;
    con.gen = NULL;
    echo("\r\n");
    console_say("error: input overrun, line discarded");
    con.discarding = true;
}

/* One input byte, unless input is being thrown away after an overrun. */
static void take_input(uint8_t b, uint32_t now_ms)
{
    con.last_in_ms = now_ms;
    if (!con.discarding) take_byte(b);
}

uint32_t console_poll(uint32_t now_ms)
{
    uint8_t in[1];
    if (hal_console_overrun()) {
        overrun();
        con.last_in_ms = now_ms;
    }
    if (con.discarding && now_ms - con.last_in_ms >= CONSOLE_QUIET_MS) {
        con.discarding = false; /* quiet again: a fresh line */
        out_raw(PROMPT);
    }
    if (con.prompt_due) out_raw(PROMPT);
    con.prompt_due = false;
    flush();
    if (con.gen && con.stash < 0 && hal_console_read(in, 1) == 1) {
        /* While a listing prints, ctrl-C stops it; other input waits. */
        if (in[0] == CTRL_C) {
            con.gen = NULL;
            echo("^C\r\n");
            out_raw(PROMPT);
        } else {
            con.stash = in[0];
        }
    }
    bool more = run_gen();
    flush();
    if (more || con.out_len) return wait_hint(more);
    /* Read input only with the output drained, a byte at a time up to the
     * end of a line, so one command's output never has to share room. */
    while (!con.gen && !con.reboot && con.out_len <= AGENT_CONSOLE_OUT_MAX / 2) {
        if (con.stash >= 0) {
            in[0] = (uint8_t)con.stash;
            con.stash = -1;
        } else if (hal_console_read(in, 1) != 1) {
            break;
        }
        take_input(in[0], now_ms);
    }
    more = run_gen();
    flush();
    if (con.reboot && con.out_len == 0) {
        con.reboot = false; /* the host board returns here, re-executed */
        agent_stop();
        hal_system_reset();
    }
    if (con.discarding) return CONSOLE_QUIET_MS;
    return wait_hint(more);
}
