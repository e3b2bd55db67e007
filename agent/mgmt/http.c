#include "http.h"

#include <string.h>

#include "text.h"

/* The longest standard method (7) + SP + the longest legal target + SP +
 * "HTTP/1.1" must fit one line, so an over-long target is always seen as 414. */
_Static_assert(HTTP_TARGET_MAX + 16 <= HTTP_LINE_MAX, "HTTP_TARGET_MAX too big");
_Static_assert(HTTP_BODY_MAX < 0xffffffffu, "HTTP_BODY_MAX too big");

/* state: the phase in the low bits, flags above. In P_ERR line_len holds the
 * status, so it can be returned again. */
enum { P_START, P_HEAD, P_BODY, P_DONE, P_ERR };
#define P_MASK 0x07u
#define F_CR 0x08u    /* a CR was the last byte; only LF may follow */
#define F_CLOSE 0x10u /* "Connection: close" */
#define F_KEEP 0x20u  /* "Connection: keep-alive" */

static unsigned phase(const http_req_t *r) { return r->state & P_MASK; }

static void set_phase(http_req_t *r, unsigned p)
{
    r->state = (uint8_t)((r->state & ~P_MASK) | p);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* RFC 9110 tchar: the bytes of methods and header names. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && is_ows(**s)) ++*s;
    while (*e > *s && is_ows((*e)[-1])) --*e;
}

void http_req_init(http_req_t *r) { memset(r, 0, sizeof *r); }

static http_method_t method_of(const char *s, size_t n)
{
    const char *m = "GET\0PATCH\0DELETE\0HEAD\0POST\0PUT";
    int i;
    for (i = 0; i < HTTP_M_OTHER; i++, m += strlen(m) + 1)
        if (strlen(m) == n && !memcmp(m, s, n)) break;
    return (http_method_t)i;
}

/* "METHOD SP /target SP HTTP/1.x" in line[0..n). Also used on a line cut at
 * HTTP_LINE_MAX, to tell an over-long target (414) from other junk. */
static int request_line(http_req_t *r, size_t n)
{
    const char *l = r->line, *end = l + n, *sp = l, *t, *q;
    while (sp < end && is_tchar(*sp)) sp++;
    if (sp == l || sp == end || *sp != ' ') return 400;
    r->method = method_of(l, (size_t)(sp - l));
    for (t = q = sp + 1; q < end && *q != ' '; q++)
        if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f) return 400;
    if (q == t || *t != '/') return 400;
    if (q - t >= HTTP_TARGET_MAX) return 414;
    memcpy(r->target, t, (size_t)(q - t));
    r->target[q - t] = '\0';
    if (end - q != 9 || memcmp(q, " HTTP/", 6) || !is_digit(q[6]) || q[7] != '.' ||
        !is_digit(q[8]))
        return 400;
    if (q[6] != '1' || q[8] > '1') return 505;
    r->http11 = q[8] == '1';
    r->keep_alive = r->http11; /* the default, until the headers end */
    return HTTP_MORE;
}

static int content_length(http_req_t *r, const char *p, const char *end)
{
    uint32_t v = 0;
    if (p == end) return 400;
    for (; p < end; p++) {
        uint32_t d = (uint32_t)(*p - '0');
        if (!is_digit(*p) || v > (UINT32_MAX - d) / 10) return 400;
        v = v * 10 + d;
    }
    if (r->has_length && v != r->body_len) return 400;
    if (v > HTTP_BODY_MAX) return 413;
    r->has_length = true;
    r->body_len = v;
    return HTTP_MORE;
}

/* Connection is a comma-separated list; only close and keep-alive matter. */
static void connection(http_req_t *r, const char *p, const char *end)
{
    for (;;) {
        const char *e = memchr(p, ',', (size_t)(end - p)), *s = p;
        if (!e) e = end;
        p = e;
        trim(&s, &e);
        if (text_ieqn("close", s, (size_t)(e - s))) r->state |= F_CLOSE;
        if (text_ieqn("keep-alive", s, (size_t)(e - s))) r->state |= F_KEEP;
        if (p == end) return;
        p++;
    }
}

/* "Name: value" in line[0..n). A leading space (obs-fold), a space before
 * the colon or an empty name all fail the token scan. */
static int header_line(http_req_t *r, size_t n)
{
    const char *l = r->line, *end = l + n, *c = l, *v;
    while (c < end && is_tchar(*c)) c++;
    if (c == l || c == end || *c != ':') return 400;
    for (v = c + 1; v < end; v++)
        if (((unsigned char)*v < ' ' && *v != '\t') || *v == 0x7f) return 400;
    v = c + 1;
    trim(&v, &end);
    n = (size_t)(c - l);
    if (text_ieqn("content-length", l, n)) return content_length(r, v, end);
    if (text_ieqn("transfer-encoding", l, n)) return 400;
    if (text_ieqn("connection", l, n)) connection(r, v, end);
    return HTTP_MORE;
}

static int headers_end(http_req_t *r)
{
    r->keep_alive = !(r->state & F_CLOSE) && (r->keep_alive || (r->state & F_KEEP));
    r->body[r->body_len] = '\0';
    set_phase(r, r->body_len ? P_BODY : P_DONE);
    return r->body_len ? HTTP_MORE : HTTP_DONE;
}

/* A line ended; eol is the length of its terminator (1 or 2). Header lines
 * count against HTTP_HEADERS_MAX with their line ends; the request line and
 * the blank line after the headers do not. Blank lines before the request
 * line are skipped but do count, so a stream of them ends in 431. */
static int line_end(http_req_t *r, unsigned eol)
{
    size_t n = r->line_len;
    bool start = phase(r) == P_START;
    r->line_len = 0;
    if (!start && !n) return headers_end(r);
    if (!start || !n) {
        r->header_bytes += (uint32_t)n + eol;
        if (r->header_bytes > HTTP_HEADERS_MAX) return 431;
    }
    if (!n) return HTTP_MORE;
    if (!start) return header_line(r, n);
    set_phase(r, P_HEAD);
    return request_line(r, n);
}

static int head_byte(http_req_t *r, uint8_t c)
{
    if (r->state & F_CR) {
        r->state &= (uint8_t)~F_CR;
        return c == '\n' ? line_end(r, 2) : 400;
    }
    if (c == '\r') {
        r->state |= F_CR;
        return HTTP_MORE;
    }
    if (c == '\n') return line_end(r, 1);
    if (r->line_len == HTTP_LINE_MAX) {
        int st;
        if (phase(r) != P_START) return 431;
        st = request_line(r, HTTP_LINE_MAX);
        return st == 414 ? 414 : 400;
    }
    r->line[r->line_len++] = (char)c;
    return HTTP_MORE;
}

int http_parse(http_req_t *r, const uint8_t *data, size_t len, size_t *used)
{
    size_t i = 0;
    int st = HTTP_MORE;
    *used = 0;
    if (phase(r) == P_ERR) return r->line_len;
    if (phase(r) == P_DONE) return HTTP_DONE;
    while (st == HTTP_MORE && i < len) {
        if (phase(r) == P_BODY) {
            size_t n = r->body_len - r->body_got;
            if (n > len - i) n = len - i;
            memcpy(r->body + r->body_got, data + i, n);
            r->body_got += (uint32_t)n;
            i += n;
            if (r->body_got == r->body_len) {
                set_phase(r, P_DONE);
                st = HTTP_DONE;
            }
        } else {
            st = head_byte(r, data[i++]);
        }
    }
    *used = i;
    if (st > 0) {
        set_phase(r, P_ERR);
        r->line_len = (uint16_t)st;
    }
    return st;
}

const char *http_reason(int status)
{
    /* "NNNtext" entries; separate literals so "\0" never swallows a digit */
    static const char reasons[] =
        "200OK\0" "204No Content\0" "400Bad Request\0" "401Unauthorized\0"
        "403Forbidden\0" "404Not Found\0" "405Method Not Allowed\0"
        "408Request Timeout\0" "409Conflict\0" "411Length Required\0"
        "413Content Too Large\0" "414URI Too Long\0"
        "431Request Header Fields Too Large\0" "500Internal Server Error\0"
        "501Not Implemented\0" "503Service Unavailable\0"
        "505HTTP Version Not Supported\0";
    const char *p;
    for (p = reasons; *p; p += strlen(p) + 1)
        if ((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0') == status) return p + 3;
    return "Error";
}

static int hex(char c)
{
    if (is_digit(c)) return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool http_decode(const char *s, const char *e, bool query, char *out, size_t cap)
{
    size_t n = 0;
    for (; s < e; s++) {
        char c = *s;
        if (c == '+' && query) c = ' ';
        if (c == '%') {
            int hi = e - s > 2 ? hex(s[1]) : -1, lo = hi < 0 ? -1 : hex(s[2]);
            if (lo < 0 || (hi | lo) == 0) return false;
            c = (char)(hi << 4 | lo);
            s += 2;
        }
        if (n + 1 >= cap) return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return true;
}

bool http_query(const char *target, const char *name, char *out, size_t cap)
{
    const char *p = strchr(target, '?');
    size_t nl = strlen(name);
    if (cap) out[0] = '\0';
    while (p && cap) {
        const char *k = p + 1, *e = strchr(k, '&'), *eq;
        if (!e) e = k + strlen(k);
        eq = memchr(k, '=', (size_t)(e - k));
        if (!eq) eq = e;
        if ((size_t)(eq - k) == nl && !memcmp(k, name, nl))
            return http_decode(eq == e ? e : eq + 1, e, true, out, cap);
        p = *e ? e : NULL;
    }
    return false;
}

/* The next parameter named name[0..nl) after p (a '?' or '&'), or NULL. */
static const char *param_after(const char *p, const char *name, size_t nl)
{
    for (; p; p = strchr(p + 1, '&')) {
        const char *k = p + 1;
        if (strcspn(k, "=&") == nl && memcmp(k, name, nl) == 0) return k;
    }
    return NULL;
}

const char *http_query_bad(const char *target, const char *const *names)
{
    char v[HTTP_TARGET_MAX + 1];
    for (const char *p = strchr(target, '?'); p; p = strchr(p + 1, '&')) {
        const char *k = p + 1, *e = k + strcspn(k, "&"), *const *n = names;
        size_t nl = strcspn(k, "=&");
        if (e == k) continue; /* "?" alone, or "&&" */
        while (*n && (strlen(*n) != nl || memcmp(*n, k, nl) != 0)) n++;
        const char *val = k[nl] == '=' ? k + nl + 1 : e;
        if (!*n || param_after(strchr(k, '&'), k, nl) || !http_decode(val, e, true, v, sizeof v))
            return k;
    }
    return NULL;
}
