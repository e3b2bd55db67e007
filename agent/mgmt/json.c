#include "json.h"

#include <string.h>

#include "text.h"

/* Whether the 8 bytes at s are all printable ASCII other than '"' and
 * '\\' (they go out as they are): a test of all eight at once. */
bool json_plain8(const char *s)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t v, q, b;
    memcpy(&v, s, 8);
    q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    /* a byte >= 0x80, < 0x20, equal to '"' or to '\\' sets its high bit */
    return ((v | ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs) == 0;
}

/* Bytes that are not well-formed UTF-8 (a name from outside, cut text)
 * become U+FFFD, so every string written is valid JSON text. */
void fmt_json_str(fmt_t *f, const char *s)
{
    size_t left = strlen(s);
    while (left) {
        /* the run of bytes that go out as they are: one copy */
        size_t run = 0, n = 1;
        for (; run < left; run += n) {
            if (left - run >= 8 && json_plain8(s + run)) {
                n = 8;
                continue;
            }
            unsigned char c = (unsigned char)s[run];
            if (c == '"' || c == '\\' || c < 0x20) break;
            n = c < 0x80 ? 1 : text_utf8_len(s + run, left - run);
            if (n == 0) break;
        }
        fmt_put(f, s, run);
        s += run, left -= run;
        if (!left) break;
        unsigned char c = (unsigned char)*s++;
        char esc[6] = {'\\', 'u', '0', '0', (char)('0' + (c >> 4)), "0123456789abcdef"[c & 15]}; /* a control byte */
        if (c == '"' || c == '\\')
            esc[1] = (char)c, n = 2;
        else if (c >= 0x20) /* a byte of no valid UTF-8 sequence */
            memcpy(esc + 1, "ufffd", 5), n = 6;
        else
            n = 6;
        fmt_put(f, esc, n);
        left--;
    }
}

/* ---- writer ---------------------------------------------------------------
 * depth counts open containers; bit d-1 of first is set while the innermost
 * of d containers has no member yet. Past JSON_DEPTH_MAX, depth still counts
 * (so the matching ends balance) but nothing is written. */

void json_init(json_t *j)
{
    j->depth = 0;
    j->first = 0;
}

static void quoted(fmt_t *f, const char *s)
{
    fmt_putc(f, '"');
    fmt_json_str(f, s);
    fmt_putc(f, '"');
}

/* Whether a member goes out at this depth; takes its comma (true when one
 * goes before it) from the container's state. */
static bool place(json_t *j, bool *comma)
{
    if (j->depth > JSON_DEPTH_MAX) return false;
    *comma = false;
    if (j->depth) {
        uint8_t bit = (uint8_t)(1u << (j->depth - 1));
        *comma = !(j->first & bit);
        j->first &= (uint8_t)~bit;
    }
    return true;
}

/* Bytes of the separator and key. Keys are this program's own: plain
 * ASCII, nothing to escape. */
static size_t prefix_len(bool comma, const char *key, size_t klen)
{
    return comma + (key ? klen + 3 : 0);
}

static char *put_prefix(char *d, bool comma, const char *key, size_t klen)
{
    if (comma) *d++ = ',';
    if (key) {
        *d++ = '"';
        memcpy(d, key, klen);
        d += klen;
        *d++ = '"';
        *d++ = ':';
    }
    return d;
}

/* The separator and key through fmt_put: what fits, cut as it cuts. */
static void put_prefix_cut(fmt_t *f, bool comma, const char *key, size_t klen)
{
    if (comma) fmt_putc(f, ',');
    if (key) fmt_putc(f, '"'), fmt_put(f, key, klen), fmt_put(f, "\":", 2);
}

/* The separator and key before a value written by the caller. */
static bool member(json_t *j, fmt_t *f, const char *key, size_t klen)
{
    bool comma;
    if (!place(j, &comma)) return false;
    put_prefix_cut(f, comma, key, klen);
    return true;
}

/* A member whose value text is val[vlen], written as it is, quoted if q:
 * in one piece when it fits. */
static void put_member(json_t *j, fmt_t *f, const char *key, size_t klen, const char *val,
                       size_t vlen, bool q)
{
    bool comma;
    if (!place(j, &comma)) return;
    size_t n = prefix_len(comma, key, klen) + vlen + 2 * q;
    char *d = fmt_room(f, n);
    if (!d) {
        put_prefix_cut(f, comma, key, klen);
        if (q) fmt_putc(f, '"');
        fmt_put(f, val, vlen);
        if (q) fmt_putc(f, '"');
        return;
    }
    d = put_prefix(d, comma, key, klen);
    if (q) *d++ = '"';
    memcpy(d, val, vlen);
    if (q) d[vlen] = '"';
    fmt_wrote(f, n);
}

static void nest(json_t *j, fmt_t *f, const char *key, char bracket)
{
    if (j->depth < JSON_DEPTH_MAX && member(j, f, key, JSON_KLEN(key))) {
        fmt_putc(f, bracket);
        j->first |= (uint8_t)(1u << j->depth);
    }
    if (j->depth < UINT8_MAX) j->depth++;
}

static void unnest(json_t *j, fmt_t *f, char bracket)
{
    if (!j->depth) return; /* unbalanced: a caller's bug, keep output sane */
    if (j->depth-- <= JSON_DEPTH_MAX) fmt_putc(f, bracket);
}

void json_obj(json_t *j, fmt_t *f, const char *key) { nest(j, f, key, '{'); }
void json_arr(json_t *j, fmt_t *f, const char *key) { nest(j, f, key, '['); }
void json_end_obj(json_t *j, fmt_t *f) { unnest(j, f, '}'); }
void json_end_arr(json_t *j, fmt_t *f) { unnest(j, f, ']'); }

/* How many of the first len bytes of s go out as they are. */
static size_t plain_len(const char *s, size_t len)
{
    size_t i = 0;
    for (; len - i >= 8; i += 8)
        if (!json_plain8(s + i)) return i;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    }
    return i;
}

void json_str_n(json_t *j, fmt_t *f, const char *key, size_t klen, const char *val)
{
    if (!val) {
        put_member(j, f, key, klen, "null", 4, false);
        return;
    }
    size_t len = strlen(val);
    if (plain_len(val, len) == len) { /* the common case: nothing to escape */
        put_member(j, f, key, klen, val, len, true);
        return;
    }
    if (member(j, f, key, klen)) quoted(f, val);
}

void json_u32_n(json_t *j, fmt_t *f, const char *key, size_t klen, uint32_t val)
{
    char tmp[10], *p = tmp + sizeof tmp;
    do *--p = (char)('0' + val % 10);
    while (val /= 10);
    put_member(j, f, key, klen, p, (size_t)(tmp + sizeof tmp - p), false);
}

void json_tenths_n(json_t *j, fmt_t *f, const char *key, size_t klen, uint32_t tenths)
{
    char tmp[12], *p = tmp + sizeof tmp;
    *--p = (char)('0' + tenths % 10);
    *--p = '.';
    tenths /= 10;
    do *--p = (char)('0' + tenths % 10);
    while (tenths /= 10);
    put_member(j, f, key, klen, p, (size_t)(tmp + sizeof tmp - p), false);
}

void json_bool_n(json_t *j, fmt_t *f, const char *key, size_t klen, bool val)
{
    put_member(j, f, key, klen, val ? "true" : "false", val ? 4 : 5, false);
}

void json_null(json_t *j, fmt_t *f, const char *key)
{
    put_member(j, f, key, JSON_KLEN(key), "null", 4, false);
}

/* ---- reader ------------------------------------------------------------- */

enum { R_START, R_NEXT, R_END, R_ERR }; /* R_NEXT: a member was read */

void json_iter_init(json_iter_t *it, const char *text, size_t len)
{
    it->p = text;
    it->end = text + len;
    it->state = R_START;
}

/* The next byte after whitespace, or 0 at the end (a NUL in the text is
 * refused wherever it appears, so 0 is unambiguous). */
static char peek(json_iter_t *it)
{
    while (it->p < it->end && *it->p && strchr(" \t\r\n", *it->p)) it->p++;
    return it->p < it->end ? *it->p : '\0';
}

static bool take(json_iter_t *it, char c)
{
    if (peek(it) != c) return false;
    it->p++;
    return true;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A quoted string into out[cap], escapes decoded. */
static bool read_str(json_iter_t *it, char *out, size_t cap)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    size_t n = 0;
    if (!cap || !take(it, '"')) return false;
    for (;;) {
        char c;
        if (it->p == it->end) return false;
        c = *it->p++;
        if (c == '"') break;
        if ((unsigned char)c < 0x20) return false;
        if (c == '\\') {
            const char *e;
            if (it->p == it->end) return false;
            c = *it->p++;
            e = c ? strchr(from, c) : NULL;
            if (e) {
                c = to[e - from];
            } else {
                int v = 0;
                if (c != 'u' || it->end - it->p < 4) return false;
                for (int i = 0; i < 4; i++) {
                    int h = hex(*it->p++);
                    if (h < 0) return false;
                    v = v << 4 | h;
                }
                if (v == 0 || v >= 0x80) return false; /* NUL, non-ASCII */
                c = (char)v;
            }
        }
        if (n + 1 >= cap) return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return true;
}

static bool copy(char *out, size_t cap, const char *s, size_t n)
{
    if (n >= cap) return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

/* A string, an integer (copied as written), true or false. */
static bool read_value(json_iter_t *it, char *out, size_t cap)
{
    const char *s;
    char c = peek(it);
    if (c == '"') return read_str(it, out, cap);
    if (c == 't' || c == 'f') {
        const char *lit = c == 't' ? "true" : "false";
        size_t n = strlen(lit);
        if ((size_t)(it->end - it->p) < n || memcmp(it->p, lit, n)) return false;
        it->p += n;
        return copy(out, cap, lit, n);
    }
    s = it->p;
    if (c == '-') it->p++;
    if (it->p == it->end || *it->p < '0' || *it->p > '9') return false;
    if (*it->p++ != '0')
        while (it->p < it->end && *it->p >= '0' && *it->p <= '9') it->p++;
    return copy(out, cap, s, (size_t)(it->p - s));
}

static int next(json_iter_t *it, char *key, size_t kcap, char *val, size_t vcap)
{
    char c;
    if (it->state == R_START && !take(it, '{')) return -1;
    if (take(it, '}')) {
        it->state = R_END;
        peek(it);
        return it->p == it->end ? 0 : -1; /* only whitespace may follow */
    }
    if (it->state == R_NEXT && !take(it, ',')) return -1;
    if (!read_str(it, key, kcap) || !take(it, ':') || !read_value(it, val, vcap))
        return -1;
    /* Only a separator may follow, so a value is never handed out and then
     * found to be the start of something longer ("1.5", "truex"). */
    c = peek(it);
    if (c != ',' && c != '}') return -1;
    it->state = R_NEXT;
    return 1;
}

int json_iter_next(json_iter_t *it, char *key, size_t kcap, char *val, size_t vcap)
{
    int r;
    if (it->state == R_END) return 0;
    if (it->state == R_ERR) return -1;
    r = next(it, key, kcap, val, vcap);
    if (r < 0) it->state = R_ERR;
    return r;
}
