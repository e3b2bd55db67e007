/*
 * simsmb.c - the simulated SMB server behind hal_smb.h. The scenario format
 * and the timing rules are in simsmb.h.
 *
 * A scenario is parsed twice by the same code: first only to validate it, so
 * that a bad text leaves the running scenario alone, then into the line
 * table. NAMEs and conn TAGs are resolved at load to the index of the first
 * open line that defines them, so nothing compares strings at run time.
 */
#include "simsmb.h"

#include <stdbool.h>
#include <string.h>

#include "hal_clock.h"
#include "hal_smb.h"
#include "text.h"

#define NEVER UINT32_MAX /* a time that never comes */
#define NO_LINE 0xFFu    /* no line index */
#define TEXT_MAX 65535u  /* offsets into the text are 16 bits */
#define FIRST_SESSION_ID 0x1001u
#define FIRST_CONN_ID 5001u
#define DEFAULT_TYPE "SMB3_11"

_Static_assert(HAL_SMB_CLIENT_MAX <= 256 && HAL_SMB_USER_MAX <= 256 &&
                   HAL_SMB_TYPE_MAX <= 256,
               "string lengths are kept in 8 bits");
_Static_assert(sizeof DEFAULT_TYPE <= HAL_SMB_TYPE_MAX, "default type fits");

enum { V_OPEN, V_TOUCH, V_OPENS, V_CLOSE, V_FAIL, V_COUNT };
static const char verb_names[V_COUNT][6] = {"open", "touch", "opens", "close",
                                            "fail"};

/* One event line (`at` or `every`), as it runs. */
typedef struct {
    uint32_t next;   /* time of the next firing, s; NEVER when done */
    uint32_t period; /* s; 0 for `at` */
    uint32_t until;  /* no firing at or after this; NEVER = forever */
    uint32_t arg;    /* open: opens=; opens: N; fail: N */
    uint32_t idle, age, hold; /* open: s; hold NEVER = stays */
    uint32_t latest; /* on a NAME's first open line: its latest session id */
    uint16_t client_off, user_off, type_off; /* values, in the text */
    uint8_t client_len, user_len, type_len;  /* type_len 0: DEFAULT_TYPE */
    uint8_t verb;
    uint8_t guest;
    uint8_t name_ix; /* first open line of NAME (where `latest` lives) */
    uint8_t tag_ix;  /* first open line with this conn TAG; NO_LINE: none */
} line_t;

/* One live session. */
typedef struct {
    uint32_t id, conn;
    uint32_t origin; /* time it was set up; may be before 0 (wraps) */
    uint32_t act;    /* server mode: time of last activity; counter mode:
                        the activity counter */
    uint16_t opens;
    uint8_t line;  /* the open line: client, user, type, guest, tag, hold */
    uint8_t ended; /* ended during a sample; removed when the sample ends */
} session_t;

static struct {
    const char *text;
    line_t line[SIMSMB_LINES_MAX];
    session_t sess[SIMSMB_SESSIONS_MAX]; /* in order of opening */
    uint16_t nsess, limit, cursor;
    uint8_t nlines, counter, sampling, failed;
    uint8_t moved;      /* a session removed since the sample began: positions shifted */
    uint32_t now;       /* simulated s, up to which events are applied */
    uint32_t target;    /* simulated s the clock has reached */
    uint32_t target_ms; /* and its milliseconds, 0..999 */
    uint32_t last_clock;
    uint32_t next_id, next_conn, refusals, opens_lost, fails;
} g;

/* ------------------------------------------------------------------ */
/* Error messages: built piece by piece, since there is no stdio. */

static void msg_put(simsmb_error_t *e, const char *s, size_t n)
{
    size_t at = strlen(e->msg);

    while (n > 0 && at + 1 < sizeof e->msg) {
        e->msg[at++] = *s++;
        n--;
    }
    e->msg[at] = '\0';
}

static void msg_str(simsmb_error_t *e, const char *s)
{
    msg_put(e, s, strlen(s));
}

static void msg_u32(simsmb_error_t *e, uint32_t v)
{
    char d[10];
    size_t n = 0;

    do {
        d[sizeof d - 1 - n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    msg_put(e, &d[sizeof d - n], n);
}

static int fail_msg(simsmb_error_t *e, const char *m)
{
    msg_str(e, m);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Lexing: one line's content (before any '#') split at blanks. */

typedef struct {
    size_t off, len;
} tok_t;

typedef struct {
    const char *t;   /* the whole text */
    size_t pos, end; /* cursor and end of this line's content */
} lex_t;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool lex_next(lex_t *lx, tok_t *tk)
{
    while (lx->pos < lx->end && is_blank(lx->t[lx->pos]))
        lx->pos++;
    if (lx->pos >= lx->end)
        return false;
    tk->off = lx->pos;
    while (lx->pos < lx->end && !is_blank(lx->t[lx->pos]))
        lx->pos++;
    tk->len = lx->pos - tk->off;
    return true;
}

static bool tok_is(const lex_t *lx, tok_t tk, const char *word)
{
    size_t n = strlen(word);

    return tk.len == n && memcmp(lx->t + tk.off, word, n) == 0;
}

/* 'token', shortened so that the message stays readable. */
static void msg_tok(simsmb_error_t *e, const lex_t *lx, tok_t tk)
{
    msg_str(e, "'");
    if (tk.len > 24) {
        msg_put(e, lx->t + tk.off, 21);
        msg_str(e, "...");
    } else {
        msg_put(e, lx->t + tk.off, tk.len);
    }
    msg_str(e, "'");
}

static int fail_tok(simsmb_error_t *e, const char *pre, const lex_t *lx,
                    tok_t tk, const char *post)
{
    msg_str(e, pre);
    msg_tok(e, lx, tk);
    return fail_msg(e, post);
}

/* The next token, or "missing WHAT after 'AFTER'". */
static int need(lex_t *lx, tok_t *tk, const char *what, const char *after,
                simsmb_error_t *e)
{
    if (lex_next(lx, tk))
        return 0;
    msg_str(e, "missing ");
    msg_str(e, what);
    msg_str(e, " after '");
    msg_str(e, after);
    return fail_msg(e, "'");
}

static int expect_end(lex_t *lx, simsmb_error_t *e)
{
    tok_t tk;

    if (lex_next(lx, &tk))
        return fail_tok(e, "trailing junk ", lx, tk, "");
    return 0;
}

static int bad_chars(const lex_t *lx, simsmb_error_t *e)
{
    for (size_t i = lx->pos; i < lx->end; i++) {
        unsigned char c = (unsigned char)lx->t[i];
        if ((c < 0x20u && c != '\t' && c != '\r') || c == 0x7Fu) {
            msg_str(e, "bad character (code ");
            msg_u32(e, c);
            return fail_msg(e, ")");
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Values. */

/* Decimal digits s[0..n): 0, -1 if not all digits, -2 above 32 bits. */
static int digits(const char *s, size_t n, uint32_t *v)
{
    uint32_t x = 0;

    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint32_t d = (uint32_t)(s[i] - '0');
        if (x > (UINT32_MAX - d) / 10u)
            return -2;
        x = x * 10u + d;
    }
    *v = x;
    return 0;
}

static int parse_count(const lex_t *lx, tok_t tk, uint32_t min, uint32_t max,
                       uint32_t *v, simsmb_error_t *e)
{
    int rc = digits(lx->t + tk.off, tk.len, v);

    if (rc == -1)
        return fail_tok(e, "bad number ", lx, tk, "");
    if (rc != 0 || *v < min || *v > max) {
        fail_tok(e, "number out of range ", lx, tk, " (");
        msg_u32(e, min);
        msg_str(e, "..");
        msg_u32(e, max);
        return fail_msg(e, ")");
    }
    return 0;
}

/* Seconds per unit suffix; 0 if c is not one. */
static uint32_t unit_s(char c)
{
    switch (c) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    default: return 0;
    }
}

/* TIME, PERIOD, DUR: digits with an optional s/m/h/d, in seconds. */
static int parse_dur(const lex_t *lx, tok_t tk, uint32_t *v, simsmb_error_t *e)
{
    const char *s = lx->t + tk.off;
    size_t n = tk.len;
    uint32_t mul = n > 0 ? unit_s(s[n - 1]) : 0;

    if (mul != 0)
        n--;
    else
        mul = 1;
    int rc = digits(s, n, v);
    if (rc == -1)
        return fail_tok(e, "bad duration ", lx, tk, "");
    if (rc != 0 || *v > UINT32_MAX / mul)
        return fail_tok(e, "duration out of range ", lx, tk, "");
    *v *= mul;
    return 0;
}

static bool name_ok(const lex_t *lx, tok_t tk)
{
    if (tk.len < 1 || tk.len > 15)
        return false;
    for (size_t i = 0; i < tk.len; i++) {
        char c = lx->t[tk.off + i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

#define NAME_RULE " (1-15 of A-Z a-z 0-9 _ . -)"

static int parse_name(lex_t *lx, const char *after, tok_t *name,
                      simsmb_error_t *e)
{
    if (need(lx, name, "name", after, e))
        return -1;
    if (!name_ok(lx, *name))
        return fail_tok(e, "bad name ", lx, *name, NAME_RULE);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Lines. */

enum { P_BLANK, P_LIMIT, P_SOURCE, P_EVENT };

typedef struct {
    int kind;
    uint32_t value; /* limit: N; idle-source: 1 = counter */
    line_t ev;      /* event lines */
    tok_t name, tag;
} parsed_t;

enum { A_CLIENT, A_USER, A_TYPE, A_OPENS, A_IDLE, A_AGE, A_CONN, A_GUEST,
       A_HOLD, A_COUNT };
static const char attr_names[A_COUNT][8] = {
    "client=", "user=", "type=", "opens=", "idle=", "age=", "conn=", "guest",
    "hold="};

/* Which attribute tk is (its value in *val), or -1. */
static int attr_find(const lex_t *lx, tok_t tk, tok_t *val)
{
    for (int a = 0; a < A_COUNT; a++) {
        size_t n = strlen(attr_names[a]);
        bool has_value = attr_names[a][n - 1] == '=';
        bool hit = has_value ? tk.len >= n &&
                                   memcmp(lx->t + tk.off, attr_names[a], n) == 0
                             : tok_is(lx, tk, attr_names[a]);
        if (hit) {
            val->off = tk.off + n;
            val->len = tk.len - n;
            return a;
        }
    }
    return -1;
}

/* A string value is kept as a reference into the text. */
static int set_str(tok_t val, size_t max, bool empty_ok, const char *key,
                   uint16_t *off, uint8_t *len, simsmb_error_t *e)
{
    if (val.len == 0 && !empty_ok) {
        msg_str(e, key);
        return fail_msg(e, " is empty");
    }
    if (val.len > max) {
        msg_str(e, key);
        msg_str(e, " too long (max ");
        msg_u32(e, (uint32_t)max);
        return fail_msg(e, ")");
    }
    *off = (uint16_t)val.off;
    *len = (uint8_t)val.len;
    return 0;
}

static int set_attr(const lex_t *lx, int a, tok_t val, parsed_t *p,
                    simsmb_error_t *e)
{
    line_t *l = &p->ev;

    switch (a) {
    case A_CLIENT:
        return set_str(val, HAL_SMB_CLIENT_MAX - 1, false, "client=",
                       &l->client_off, &l->client_len, e);
    case A_USER:
        return set_str(val, HAL_SMB_USER_MAX - 1, true, "user=", &l->user_off,
                       &l->user_len, e);
    case A_TYPE:
        return set_str(val, HAL_SMB_TYPE_MAX - 1, false, "type=", &l->type_off,
                       &l->type_len, e);
    case A_OPENS: return parse_count(lx, val, 0, UINT16_MAX, &l->arg, e);
    case A_IDLE: return parse_dur(lx, val, &l->idle, e);
    case A_AGE: return parse_dur(lx, val, &l->age, e);
    case A_HOLD: return parse_dur(lx, val, &l->hold, e);
    case A_CONN:
        if (!name_ok(lx, val))
            return fail_tok(e, "bad conn tag ", lx, val, NAME_RULE);
        p->tag = val;
        return 0;
    default: /* A_GUEST */
        l->guest = 1;
        return 0;
    }
}

static int parse_open(lex_t *lx, parsed_t *p, simsmb_error_t *e)
{
    line_t *l = &p->ev;
    uint32_t seen = 0;
    tok_t tk, val;

    if (parse_name(lx, "open", &p->name, e))
        return -1;
    l->hold = NEVER;
    while (lex_next(lx, &tk)) {
        int a = attr_find(lx, tk, &val);
        if (a < 0)
            return fail_tok(e, "unknown attribute ", lx, tk, "");
        if (seen & (1u << a)) {
            msg_str(e, "duplicate attribute '");
            msg_str(e, attr_names[a]);
            return fail_msg(e, "'");
        }
        seen |= 1u << a;
        if (set_attr(lx, a, val, p, e))
            return -1;
    }
    if (!(seen & (1u << A_CLIENT)))
        return fail_msg(e, "missing client= for 'open'");
    if (!(seen & (1u << A_AGE)))
        l->age = l->idle;
    else if (l->age < l->idle)
        return fail_msg(e, "age= must be >= idle=");
    return 0;
}

/* VERB ARGS, after the line's `at`/`every` part; vt is the verb. */
static int parse_verb(lex_t *lx, tok_t vt, parsed_t *p, simsmb_error_t *e)
{
    int v = -1;
    tok_t tk;

    for (int i = 0; i < V_COUNT; i++)
        if (tok_is(lx, vt, verb_names[i]))
            v = i;
    if (v < 0)
        return fail_tok(e, "unknown verb ", lx, vt, "");
    p->ev.verb = (uint8_t)v;
    if (v == V_OPEN)
        return parse_open(lx, p, e);
    if (v == V_FAIL) {
        if (need(lx, &tk, "count", "fail", e) ||
            parse_count(lx, tk, 0, UINT32_MAX, &p->ev.arg, e))
            return -1;
    } else {
        if (parse_name(lx, verb_names[v], &p->name, e))
            return -1;
        if (v == V_OPENS && (need(lx, &tk, "count", "opens", e) ||
                             parse_count(lx, tk, 0, UINT16_MAX, &p->ev.arg, e)))
            return -1;
    }
    return expect_end(lx, e);
}

static int parse_at(lex_t *lx, parsed_t *p, simsmb_error_t *e)
{
    tok_t tk;

    if (need(lx, &tk, "time", "at", e) || parse_dur(lx, tk, &p->ev.next, e) ||
        need(lx, &tk, "verb", "at", e))
        return -1;
    return parse_verb(lx, tk, p, e);
}

static int parse_every(lex_t *lx, parsed_t *p, simsmb_error_t *e)
{
    line_t *l = &p->ev;
    bool has_from = false, has_until = false;
    tok_t tk;

    if (need(lx, &tk, "period", "every", e) || parse_dur(lx, tk, &l->period, e))
        return -1;
    if (l->period == 0)
        return fail_msg(e, "period must be at least 1s");
    for (;;) {
        if (need(lx, &tk, "verb", "every", e))
            return -1;
        bool from = tok_is(lx, tk, "from"), until = tok_is(lx, tk, "until");
        if (!from && !until)
            break;
        if ((from && has_from) || (until && has_until))
            return fail_tok(e, "duplicate ", lx, tk, "");
        has_from |= from;
        has_until |= until;
        if (need(lx, &tk, "time", from ? "from" : "until", e) ||
            parse_dur(lx, tk, from ? &l->next : &l->until, e))
            return -1;
    }
    if (l->until <= l->next)
        return fail_msg(e, "'until' must be later than 'from'");
    return parse_verb(lx, tk, p, e);
}

static int parse_source(lex_t *lx, parsed_t *p, simsmb_error_t *e)
{
    tok_t tk;

    if (need(lx, &tk, "server or counter", "idle-source", e))
        return -1;
    if (tok_is(lx, tk, "counter"))
        p->value = 1;
    else if (!tok_is(lx, tk, "server"))
        return fail_tok(e, "idle-source must be server or counter, not ", lx,
                        tk, "");
    return expect_end(lx, e);
}

/* One line, syntax only (names are resolved by the caller). */
static int parse_line(lex_t *lx, parsed_t *p, simsmb_error_t *e)
{
    tok_t tk;

    memset(p, 0, sizeof *p);
    p->ev.until = NEVER;
    p->ev.tag_ix = NO_LINE;
    e->msg[0] = '\0';
    if (bad_chars(lx, e))
        return -1;
    if (!lex_next(lx, &tk))
        return 0; /* P_BLANK */
    if (tok_is(lx, tk, "limit")) {
        p->kind = P_LIMIT;
        if (need(lx, &tk, "number", "limit", e) ||
            parse_count(lx, tk, 1, SIMSMB_SESSIONS_MAX, &p->value, e))
            return -1;
        return expect_end(lx, e);
    }
    if (tok_is(lx, tk, "idle-source")) {
        p->kind = P_SOURCE;
        return parse_source(lx, p, e);
    }
    p->kind = P_EVENT;
    if (tok_is(lx, tk, "at"))
        return parse_at(lx, p, e);
    if (tok_is(lx, tk, "every"))
        return parse_every(lx, p, e);
    return fail_tok(e, "unknown directive ", lx, tk, "");
}

/* ------------------------------------------------------------------ */
/* The whole text. */

typedef struct {
    const char *t;
    size_t len, pos;
    uint32_t no; /* 1-based number of the line last returned */
} reader_t;

/* The next line's content (up to '#' or its end) in *lx; false at the end. */
static bool next_line(reader_t *r, lex_t *lx)
{
    if (r->pos >= r->len)
        return false;
    const char *nl = memchr(r->t + r->pos, '\n', r->len - r->pos);
    size_t end = nl ? (size_t)(nl - r->t) : r->len;
    const char *hash = memchr(r->t + r->pos, '#', end - r->pos);
    lx->t = r->t;
    lx->pos = r->pos;
    lx->end = hash ? (size_t)(hash - r->t) : end;
    r->pos = end + 1;
    r->no++;
    return true;
}

/* Event-line index of the first open line whose NAME (tag: conn TAG) equals
 * tk, or -1. Rescans the text: simple, and the load keeps no name table. */
static int find_open(const char *t, size_t len, tok_t tk, bool tag)
{
    reader_t r = {t, len, 0, 0};
    simsmb_error_t scratch;
    lex_t lx;
    parsed_t p;
    int ix = 0;

    while (next_line(&r, &lx)) {
        if (parse_line(&lx, &p, &scratch) != 0 || p.kind != P_EVENT)
            continue;
        tok_t k = tag ? p.tag : p.name;
        if (p.ev.verb == V_OPEN && k.len == tk.len &&
            memcmp(t + k.off, t + tk.off, tk.len) == 0)
            return ix;
        ix++;
    }
    return -1;
}

static int resolve(const lex_t *lx, size_t len, parsed_t *p, simsmb_error_t *e)
{
    if (p->ev.verb == V_FAIL)
        return 0;
    int ix = find_open(lx->t, len, p->name, false);
    if (ix < 0) {
        msg_str(e, "'");
        msg_str(e, verb_names[p->ev.verb]);
        msg_str(e, "' names ");
        msg_tok(e, lx, p->name);
        return fail_msg(e, ", which no open line defines");
    }
    p->ev.name_ix = (uint8_t)ix;
    if (p->tag.len > 0)
        p->ev.tag_ix = (uint8_t)find_open(lx->t, len, p->tag, true);
    return 0;
}

/* Parses the whole text; with store, into g (only ever after the same text
 * passed without store, so that a storing pass cannot fail half-way). */
static int scan(const char *t, size_t len, bool store, simsmb_error_t *e)
{
    reader_t r = {t, len, 0, 0};
    bool has_limit = false, has_source = false;
    unsigned n = 0;
    lex_t lx;
    parsed_t p;

    while (next_line(&r, &lx)) {
        e->line = r.no;
        if (parse_line(&lx, &p, e))
            return -1;
        if (p.kind == P_LIMIT) {
            if (has_limit)
                return fail_msg(e, "duplicate 'limit'");
            has_limit = true;
            if (store)
                g.limit = (uint16_t)p.value;
        } else if (p.kind == P_SOURCE) {
            if (has_source)
                return fail_msg(e, "duplicate 'idle-source'");
            has_source = true;
            if (store)
                g.counter = (uint8_t)p.value;
        } else if (p.kind == P_EVENT) {
            if (n == SIMSMB_LINES_MAX) {
                msg_str(e, "too many event lines (max ");
                msg_u32(e, SIMSMB_LINES_MAX);
                return fail_msg(e, ")");
            }
            if (resolve(&lx, len, &p, e))
                return -1;
            if (store)
                g.line[n] = p.ev;
            n++;
        }
    }
    if (store)
        g.nlines = (uint8_t)n;
    e->line = 0;
    return 0;
}

static void reset(const char *text)
{
    memset(&g, 0, sizeof g);
    g.text = text;
    g.limit = SIMSMB_SESSIONS_MAX;
    g.next_id = FIRST_SESSION_ID;
    g.next_conn = FIRST_CONN_ID;
    g.last_clock = hal_clock_ms();
}

int simsmb_load(const char *text, size_t len, simsmb_error_t *err)
{
    simsmb_error_t scratch;

    if (err == NULL)
        err = &scratch;
    err->line = 0;
    err->msg[0] = '\0';
    if (len > TEXT_MAX)
        return fail_msg(err, "scenario too large (max 65535 bytes)");
    if (text == NULL && len > 0)
        return fail_msg(err, "no text");
    if (scan(text, len, false, err))
        return -1;
    reset(text);
    if (scan(text, len, true, err)) { /* cannot happen: same text, same code */
        reset(NULL);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The running server. */

static uint32_t sat_add(uint32_t a, uint32_t b)
{
    return a > NEVER - b ? NEVER : a + b;
}

static uint32_t live_count(void)
{
    uint32_t n = 0;

    for (unsigned i = 0; i < g.nsess; i++)
        n += g.sess[i].ended ? 0u : 1u;
    return n;
}

static session_t *find_session(uint32_t id)
{
    for (unsigned i = 0; i < g.nsess; i++)
        if (g.sess[i].id == id && !g.sess[i].ended)
            return &g.sess[i];
    return NULL;
}

/* The session a touch/opens/close line names, if it is live. */
static session_t *named(const line_t *l)
{
    uint32_t id = g.line[l->name_ix].latest;

    return id != 0 ? find_session(id) : NULL;
}

static void remove_session(const session_t *s)
{
    size_t i = (size_t)(s - g.sess);

    memmove(&g.sess[i], &g.sess[i + 1], (g.nsess - i - 1) * sizeof g.sess[0]);
    g.nsess--;
    g.moved = 1;
}

static void purge_ended(void)
{
    unsigned j = 0;

    for (unsigned i = 0; i < g.nsess; i++)
        if (!g.sess[i].ended)
            g.sess[j++] = g.sess[i];
    if (j != g.nsess)
        g.moved = 1;
    g.nsess = (uint16_t)j;
}

/* When a session with hold= logs off by itself; NEVER without hold=. */
static uint32_t hold_end(const session_t *s)
{
    const line_t *l = &g.line[s->line];

    return l->hold == NEVER ? NEVER : sat_add(s->origin + l->age, l->hold);
}

static uint32_t conn_for(const line_t *l)
{
    if (l->tag_ix != NO_LINE)
        for (unsigned i = 0; i < g.nsess; i++)
            if (g.line[g.sess[i].line].tag_ix == l->tag_ix)
                return g.sess[i].conn;
    return g.next_conn++;
}

static void open_session(unsigned li, uint32_t t)
{
    line_t *l = &g.line[li];
    uint32_t conn = conn_for(l);
    session_t *s = &g.sess[g.nsess++];

    s->id = g.next_id++;
    s->conn = conn;
    s->origin = t - l->age;
    s->act = g.counter ? 0 : t - l->idle;
    s->opens = (uint16_t)l->arg;
    s->line = (uint8_t)li;
    s->ended = 0;
    g.line[l->name_ix].latest = s->id;
}

/* Applies k firings of line li, the last one at t. k > 1 only comes from
 * run_bulk, which never covers a firing that could add or remove a
 * session, so they reduce to counting and the last write. */
static void fire(unsigned li, uint32_t t, uint32_t k)
{
    line_t *l = &g.line[li];
    session_t *s = (l->verb == V_OPEN || l->verb == V_FAIL) ? NULL : named(l);

    switch (l->verb) {
    case V_OPEN:
        if (live_count() >= g.limit)
            g.refusals += k;
        else
            open_session(li, t);
        break;
    case V_TOUCH:
    case V_OPENS:
        if (s == NULL)
            break;
        if (l->verb == V_OPENS)
            s->opens = (uint16_t)l->arg;
        s->act = g.counter ? s->act + k : t;
        break;
    case V_CLOSE:
        if (s != NULL)
            remove_session(s);
        break;
    default: /* V_FAIL */
        g.fails = l->arg;
        break;
    }
}

static void reschedule(line_t *l, uint32_t last)
{
    l->next = l->period == 0 ? NEVER : sat_add(last, l->period);
    if (l->next >= l->until)
        l->next = NEVER;
}

/* How many times line l fires before end, and when it does last. */
static uint32_t firings_before(const line_t *l, uint32_t end, uint32_t *last)
{
    uint32_t stop = l->until < end ? l->until : end;

    if (l->next >= stop)
        return 0;
    if (l->period == 0) {
        *last = l->next;
        return 1;
    }
    uint32_t k = (stop - 1u - l->next) / l->period + 1u;
    *last = l->next + (k - 1u) * l->period;
    return k;
}

/* Applies every firing before end, when none of them can add or remove a
 * session (see next_step). Then only each line's last firing matters, plus
 * how many there were; applying lines in the order of their last firings
 * makes the latest write win, as if each had been applied in turn. */
static void run_bulk(uint32_t end)
{
    for (;;) {
        int best = -1;
        uint32_t best_t = 0, t = 0;

        for (unsigned i = 0; i < g.nlines; i++)
            if (firings_before(&g.line[i], end, &t) &&
                (best < 0 || t < best_t)) {
                best = (int)i;
                best_t = t;
            }
        if (best < 0)
            return;
        uint32_t k = firings_before(&g.line[best], end, &t);
        fire((unsigned)best, t, k);
        reschedule(&g.line[best], t);
    }
}

/* The next time a session may be added or removed: a hold expiry, an open
 * while there is room, a close of a live session. Until then, nothing
 * changes which sessions exist. */
static uint32_t next_step(void)
{
    bool full = live_count() >= g.limit;
    uint32_t t = NEVER;

    for (unsigned i = 0; i < g.nsess; i++) {
        uint32_t end = hold_end(&g.sess[i]);
        t = end < t ? end : t;
    }
    for (unsigned i = 0; i < g.nlines; i++) {
        const line_t *l = &g.line[i];
        bool step = (l->verb == V_OPEN && !full) ||
                    (l->verb == V_CLOSE && named(l) != NULL);
        if (step && l->next < t)
            t = l->next;
    }
    return t;
}

/* Everything due at t: hold expiries first, then lines in file order. */
static void step_at(uint32_t t)
{
    for (unsigned i = 0; i < g.nsess;) {
        if (hold_end(&g.sess[i]) <= t)
            remove_session(&g.sess[i]);
        else
            i++;
    }
    for (unsigned i = 0; i < g.nlines; i++) {
        if (g.line[i].next <= t) {
            fire(i, t, 1);
            reschedule(&g.line[i], t);
        }
    }
}

/* Brings simulated time up to the clock, in at most SIMSMB_STEPS_MAX steps. */
static void advance(void)
{
    uint32_t ms = hal_clock_ms();
    uint32_t d = ms - g.last_clock;

    g.last_clock = ms;
    g.target_ms += d % 1000u;
    g.target += d / 1000u + g.target_ms / 1000u;
    g.target_ms %= 1000u;
    if (g.sampling)
        return; /* frozen: a sample is one snapshot */
    for (unsigned n = 0; n < SIMSMB_STEPS_MAX; n++) {
        uint32_t t = next_step();
        if (t == NEVER || t > g.target) {
            run_bulk(sat_add(g.target, 1));
            g.now = g.target;
            return;
        }
        run_bulk(t);
        g.now = t;
        step_at(t);
    }
}

/* ------------------------------------------------------------------ */
/* hal_smb.h */

uint32_t hal_smb_caps(void)
{
    advance();
    return HAL_SMB_CAN_END_SESSION | HAL_SMB_CAN_END_CONN |
           HAL_SMB_CAN_END_CLIENT;
}

static void fill(hal_smb_session_t *r, const session_t *s)
{
    const line_t *l = &g.line[s->line];

    memset(r, 0, sizeof *r);
    r->session_id = s->id;
    r->conn_id = s->conn;
    memcpy(r->client, g.text + l->client_off, l->client_len);
    memcpy(r->user, g.text + l->user_off, l->user_len);
    if (l->type_len > 0)
        memcpy(r->type, g.text + l->type_off, l->type_len);
    else
        memcpy(r->type, DEFAULT_TYPE, sizeof DEFAULT_TYPE);
    r->flags = (l->guest ? HAL_SMB_F_GUEST : 0u) |
               (g.counter ? 0u : HAL_SMB_F_IDLE);
    r->opens = s->opens;
    r->connected_s = g.now - s->origin;
    r->idle_s = g.counter ? 0u : g.now - s->act;
    r->activity = g.counter ? s->act : 0u;
}

static void end_sample(void)
{
    g.sampling = 0;
    purge_ended();
}

int hal_smb_sample(hal_smb_session_t *buf, size_t cap, size_t *count,
                   hal_smb_info_t *info)
{
    size_t n = 0;

    if (count != NULL)
        *count = 0;
    if (buf == NULL || cap == 0 || count == NULL || info == NULL) {
        end_sample(); /* an error abandons the sample */
        return HAL_SMB_EFAIL;
    }
    if (!g.sampling) {
        advance();
        g.failed = g.fails > 0;
        if (g.failed) {
            g.fails--;
            return HAL_SMB_EFAIL;
        }
        g.sampling = 1;
        g.cursor = 0;
        g.moved = 0;
    }
    while (n < cap && g.cursor < g.nsess)
        fill(&buf[n++], &g.sess[g.cursor++]);
    *count = n;
    if (g.cursor < g.nsess)
        return HAL_SMB_MORE;
    end_sample();
    info->refusals = g.refusals;
    info->has_refusals = 1;
    return HAL_SMB_OK;
}

/* The table as it is now (what ended since the sample is gone): from
 * `from` while no session has left it since the sample began. */
int hal_smb_rewind(uint32_t from)
{
    if (g.sampling || g.failed)
        return HAL_SMB_ENOTSUP;
    g.sampling = 1;
    g.cursor = (uint16_t)(g.moved ? 0 : from < g.nsess ? from : g.nsess);
    return HAL_SMB_OK;
}

const char *hal_smb_error(void)
{
    return g.failed ? "simulated failure (scenario 'fail')" : "";
}

/* Whether l's client is c, in the form the core keeps names in (hal_smb.h). */
static bool client_is(const line_t *l, const char *c)
{
    char name[HAL_SMB_CLIENT_MAX] = {0};
    memcpy(name, g.text + l->client_off, l->client_len); /* as fill() hands it out */
    text_clean(name, sizeof name);
    return text_ieq(name, c);
}

enum { BY_SESSION, BY_CONN, BY_CLIENT };

/* Ends the matching sessions; during a sample they stay in the snapshot
 * and go when it ends. */
static int end_where(int by, uint32_t key, const char *client)
{
    unsigned found = 0;

    advance();
    for (unsigned i = 0; i < g.nsess; i++) {
        session_t *s = &g.sess[i];
        bool hit = by == BY_SESSION ? s->id == key
                   : by == BY_CONN  ? s->conn == key
                                    : client_is(&g.line[s->line], client);
        if (s->ended || !hit)
            continue;
        s->ended = 1;
        g.opens_lost += s->opens;
        found++;
    }
    if (found == 0)
        return HAL_SMB_ENOENT;
    if (!g.sampling)
        purge_ended();
    return HAL_SMB_OK;
}

int hal_smb_end_session(uint32_t session_id)
{
    return end_where(BY_SESSION, session_id, NULL);
}

int hal_smb_end_conn(uint32_t conn_id)
{
    return end_where(BY_CONN, conn_id, NULL);
}

int hal_smb_end_client(const char *client)
{
    if (client == NULL)
        return HAL_SMB_ENOENT;
    return end_where(BY_CLIENT, 0, client);
}

/* ------------------------------------------------------------------ */
/* Queries for boards and tests. */

uint32_t simsmb_live(void)
{
    advance();
    return live_count();
}

uint32_t simsmb_refusals(void)
{
    advance();
    return g.refusals;
}

uint32_t simsmb_opens_lost(void)
{
    return g.opens_lost;
}

uint32_t simsmb_now_s(void)
{
    advance();
    return g.now;
}

/* ------------------------------------------------------------------ */

/* The session-leak problem on a server that admits 10 sessions. (The
 * comments live here, not in the text: it is in every image's flash.) */
const char simsmb_default_scenario[] =
    "limit 10\n" /* idle figures from the server: the default idle-source */
    /* Services on FS-BACKUP01 log on as svc_backup and never log off; the
     * sessions share the machine's one connection. Three are left over... */
    "at 0 open bk1 client=FS-BACKUP01 user=CORP\\svc_backup idle=5h conn=backup\n"
    "at 0 open bk2 client=FS-BACKUP01 user=CORP\\svc_backup idle=3h conn=backup\n"
    "at 0 open bk3 client=FS-BACKUP01 user=CORP\\svc_backup idle=8m conn=backup\n"
    /* ...and another one leaks every 20 minutes. */
    "every 20m from 5m open bkleak client=FS-BACKUP01 user=CORP\\svc_backup conn=backup\n"
    /* APP-SCAN02's scanner service does the same. */
    "at 0 open scan1 client=APP-SCAN02 user=CORP\\svc_scan idle=2h conn=scan\n"
    "at 0 open scan2 client=APP-SCAN02 user=CORP\\svc_scan idle=7m conn=scan\n"
    /* Null (IPC$ set-up) sessions that outlived their usual 90 seconds. */
    "at 0 open null1 client=10.1.4.22 idle=12m\n"
    "at 0 open null2 client=10.1.4.31 age=4m\n"
    /* An interactive user at work: 3 open files, busy every minute. */
    "at 0 open alice client=WS-ALICE user=CORP\\alice opens=3 age=2h\n"
    "every 1m touch alice\n"
    /* Another user, reading mail: no open files, active every 2 minutes. */
    "at 0 open dave client=WS-DAVE user=CORP\\dave idle=40s age=1h\n"
    "every 2m from 1m touch dave\n"
    /* A laptop that went to sleep holding a file: dead for 30 hours. */
    "at 0 open bob client=LAPTOP-BOB user=CORP\\bob type=SMB3_02 opens=1 idle=30h\n"
    /* That makes 10: the server is full. A new client tries to get in every
     * 45 seconds; each session it gets works 2 minutes, then logs off. */
    "every 45s from 10s open carol client=WS-CAROL user=CORP\\carol hold=2m\n";
