#define _GNU_SOURCE
#include "smbjson.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What the join needs besides the record, per session. */
typedef struct {
    uint32_t uid;
    int64_t first_tcon; /* earliest connected_at, INT64_MAX if none */
    bool share_tcon;    /* a tree connect other than IPC$ */
} extra_t;

/* A session's position in the table under a key (its id, its smbd's pid):
 * the table sorted by key, to find one in log n. */
typedef struct {
    uint32_t key, at;
} pos_t;

typedef struct {
    smb_table_t *t;
    extra_t *x;
    pos_t *by_id, *by_pid; /* each of t->count, sorted by key */
    char *err;
    size_t cap;
} parse_t;

static int fail(parse_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- small readers ------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n decimal digits at *s; advances it. -1 if they are not there. */
static int digits(const char **s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9') return -1;
        v = v * 10 + (**s - '0');
    }
    return v;
}

static bool expect(const char **s, char c)
{
    if (**s != c) return false;
    (*s)++;
    return true;
}

int smbjson_parse_time(const char *s, int64_t *out)
{
    int y = digits(&s, 4);
    if (y < 0 || !expect(&s, '-')) return -1;
    int mo = digits(&s, 2);
    if (mo < 1 || mo > 12 || !expect(&s, '-')) return -1;
    int d = digits(&s, 2);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || !expect(&s, 'T'))
        return -1;
    int h = digits(&s, 2);
    if (h < 0 || h > 23 || !expect(&s, ':')) return -1;
    int mi = digits(&s, 2);
    if (mi < 0 || mi > 59 || !expect(&s, ':')) return -1;
    int sec = digits(&s, 2);
    if (sec < 0 || sec > 60) return -1;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9') return -1;
        while (*s >= '0' && *s <= '9') s++;
    }
    int off = 0;
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1;
        int oh = digits(&s, 2);
        if (*s == ':') s++;
        int om = digits(&s, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*s) return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return 0;
}

int smbjson_parse_endpoint(const char *s, smb_endpoint_t *ep)
{
    char addr[64];
    memset(ep, 0, sizeof *ep);
    int family;
    if (strncmp(s, "ipv4:", 5) == 0)
        family = AF_INET;
    else if (strncmp(s, "ipv6:", 5) == 0)
        family = AF_INET6;
    else
        return -1;
    s += 5;
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof addr) return -1;
    size_t n = (size_t)(colon - s);
    if (s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    memcpy(addr, s, n);
    addr[n] = '\0';
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || errno || *end || port > 65535) return -1;
    if (inet_pton(family, addr, ep->addr) != 1) return -1;
    ep->family = (uint8_t)family;
    ep->port = (uint16_t)port;
    return 0;
}

/* A decimal uint32 held as a JSON string ("1355464864") or integer. */
static bool get_u32(json_t *obj, const char *key, uint32_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > UINT32_MAX) return false;
        *out = (uint32_t)i;
        return true;
    }
    const char *s = json_string_value(v);
    if (!s || *s < '0' || *s > '9') return false;
    char *end;
    errno = 0;
    unsigned long long u = strtoull(s, &end, 10);
    if (errno || *end || u > UINT32_MAX) return false;
    *out = (uint32_t)u;
    return true;
}

static bool get_pid(json_t *obj, uint32_t *pid)
{
    return get_u32(json_object_get(obj, "server_id"), "pid", pid) && *pid != 0;
}

static const char *get_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* "degree" of an encryption or signing object: set unless "none". */
static bool protected_by(json_t *obj, const char *key)
{
    const char *deg = get_str(json_object_get(obj, key), "degree");
    return deg && strcmp(deg, "none") != 0;
}

/* Copies src, cut to fit on a UTF-8 character boundary. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!src) src = "";
    size_t n = strnlen(src, cap - 1);
    if (src[n]) /* cut: not inside a character */
        while (n && ((unsigned char)src[n] & 0xc0) == 0x80) n--;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- the three objects -------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
    const pos_t *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* The sessions by id (an id listed twice refuses the output) and by
 * their smbd's pid, so the tcons and opens that follow are joined in
 * n log n, not n^2. */
static int index_sessions(parse_t *p)
{
    size_t n = p->t->count;
    p->by_id = malloc((n ? n : 1) * sizeof *p->by_id);
    p->by_pid = malloc((n ? n : 1) * sizeof *p->by_pid);
    if (!p->by_id || !p->by_pid) return fail(p, "out of memory");
    for (size_t i = 0; i < n; i++) {
        p->by_id[i] = (pos_t){p->t->entry[i].rec.session_id, (uint32_t)i};
        p->by_pid[i] = (pos_t){p->t->entry[i].rec.conn_id, (uint32_t)i};
    }
    qsort(p->by_id, n, sizeof *p->by_id, by_key);
    qsort(p->by_pid, n, sizeof *p->by_pid, by_key);
    for (size_t i = 1; i < n; i++)
        if (p->by_id[i].key == p->by_id[i - 1].key) return fail(p, "session %u listed twice", p->by_id[i].key);
    return 0;
}

static int take_sessions(parse_t *p, json_t *sessions, const char *guest)
{
    const char *key;
    json_t *v;
    size_t n = json_object_size(sessions);
    p->t->entry = calloc(n ? n : 1, sizeof *p->t->entry);
    p->x = calloc(n ? n : 1, sizeof *p->x);
    if (!p->t->entry || !p->x) return fail(p, "out of memory");
    json_object_foreach(sessions, key, v) {
        smb_entry_t *e = &p->t->entry[p->t->count];
        extra_t *x = &p->x[p->t->count];
        hal_smb_session_t *r = &e->rec;
        const char *user = get_str(v, "username");
        const char *client = get_str(v, "remote_machine");
        if (!json_is_object(v) || !get_u32(v, "session_id", &r->session_id) ||
            !get_pid(v, &r->conn_id) || !get_u32(v, "uid", &x->uid) || !user || !client)
            return fail(p, "session %.24s lacks session_id, server_id, uid, username or "
                           "remote_machine", key);
        copy_str(r->client, sizeof r->client, client);
        copy_str(r->user, sizeof r->user, user);
        copy_str(r->type, sizeof r->type, get_str(v, "session_dialect"));
        if (guest && strcmp(user, guest) == 0) r->flags |= HAL_SMB_F_GUEST;
        if (protected_by(v, "encryption")) r->flags |= HAL_SMB_F_ENCRYPTED;
        if (protected_by(v, "signing")) r->flags |= HAL_SMB_F_SIGNED;
        const char *host = get_str(v, "hostname");
        if (host) smbjson_parse_endpoint(host, &e->peer);
        x->first_tcon = INT64_MAX;
        p->t->count++;
    }
    return index_sessions(p);
}

/* The first of the n positions (sorted) whose key is key, or NULL. */
static const pos_t *first_with(const pos_t *v, size_t n, uint32_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].key < key) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo].key == key ? &v[lo] : NULL;
}

static smb_entry_t *find_session(parse_t *p, uint32_t id, extra_t **x)
{
    const pos_t *at = first_with(p->by_id, p->t->count, id);
    if (!at) return NULL;
    *x = &p->x[at->at];
    return &p->t->entry[at->at];
}

static int take_tcons(parse_t *p, json_t *tcons)
{
    const char *key;
    json_t *v;
    json_object_foreach(tcons, key, v) {
        uint32_t sid;
        int64_t at;
        const char *service = get_str(v, "service");
        const char *when = get_str(v, "connected_at");
        if (!json_is_object(v) || !get_u32(v, "session_id", &sid) || !service || !when ||
            smbjson_parse_time(when, &at) != 0)
            return fail(p, "tcon %.24s lacks session_id, service or connected_at", key);
        extra_t *x;
        if (!find_session(p, sid, &x)) continue; /* its session ended meanwhile */
        if (at < x->first_tcon) x->first_tcon = at;
        if (strcasecmp(service, "IPC$") != 0) x->share_tcon = true;
    }
    return 0;
}

/* Counts one open against the sessions of its smbd (see smbjson.h). */
static void count_open(parse_t *p, uint32_t pid, uint32_t uid)
{
    const pos_t *first = first_with(p->by_pid, p->t->count, pid), *end = p->by_pid + p->t->count;
    size_t by_uid = 0;
    for (const pos_t *q = first; q && q < end && q->key == pid; q++)
        if (p->x[q->at].uid == uid) {
            p->t->entry[q->at].rec.opens++;
            by_uid++;
        }
    if (by_uid) return;
    for (const pos_t *q = first; q && q < end && q->key == pid; q++) p->t->entry[q->at].rec.opens++;
}

static int take_open_files(parse_t *p, json_t *files)
{
    const char *path, *key;
    json_t *file, *open;
    json_object_foreach(files, path, file) {
        json_t *opens = json_object_get(file, "opens");
        if (!json_is_object(opens)) return fail(p, "open file entry without opens");
        json_object_foreach(opens, key, open) {
            uint32_t pid, uid;
            if (!json_is_object(open) || !get_pid(open, &pid) || !get_u32(open, "uid", &uid))
                return fail(p, "open %.24s lacks server_id or uid", key);
            count_open(p, pid, uid);
        }
    }
    return 0;
}

static void finish(parse_t *p, int64_t now)
{
    for (size_t i = 0; i < p->t->count; i++) {
        hal_smb_session_t *r = &p->t->entry[i].rec;
        const extra_t *x = &p->x[i];
        if ((r->flags & HAL_SMB_F_GUEST) && !x->share_tcon) r->user[0] = '\0';
        if (x->first_tcon != INT64_MAX && now > x->first_tcon)
            r->connected_s = now - x->first_tcon > UINT32_MAX ? UINT32_MAX
                                                             : (uint32_t)(now - x->first_tcon);
    }
}

int smbjson_parse(const char *text, size_t len, const char *guest, smb_table_t *t,
                  char *err, size_t cap)
{
    parse_t p = {t, NULL, NULL, NULL, err, cap};
    json_error_t je;
    int64_t now;
    memset(t, 0, sizeof *t);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    int rc;
    if (!root) {
        rc = fail(&p, "not JSON: line %d: %s", je.line, je.text);
    } else if (!json_is_object(root)) {
        rc = fail(&p, "not a JSON object");
    } else if (!get_str(root, "timestamp") ||
               smbjson_parse_time(get_str(root, "timestamp"), &now) != 0) {
        rc = fail(&p, "no timestamp");
    } else if (!json_is_object(json_object_get(root, "sessions")) ||
               !json_is_object(json_object_get(root, "tcons")) ||
               !json_is_object(json_object_get(root, "open_files"))) {
        rc = fail(&p, "sessions, tcons or open_files missing");
    } else {
        rc = take_sessions(&p, json_object_get(root, "sessions"), guest);
        if (rc == 0) rc = take_tcons(&p, json_object_get(root, "tcons"));
        if (rc == 0) rc = take_open_files(&p, json_object_get(root, "open_files"));
        if (rc == 0) finish(&p, now);
    }
    json_decref(root);
    free(p.x);
    free(p.by_id);
    free(p.by_pid);
    if (rc != 0) smbjson_free(t);
    return rc;
}

void smbjson_free(smb_table_t *t)
{
    free(t->entry);
    t->entry = NULL;
    t->count = 0;
}
