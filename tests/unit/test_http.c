/* http: the request parser's every status, its limits at the exact edge,
 * keep-alive rules, pipelining, error stickiness, http_reason, http_query,
 * and a deterministic fuzz loop. Every request is parsed whole, one byte at
 * a time and in every two-piece split, and all must agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

/* ---- running the parser in pieces ------------------------------------------ */

typedef struct {
    int st;      /* the last answer */
    size_t used; /* bytes consumed over all calls */
    http_req_t r;
} run_t;

/* How many bytes the next call gets, given what is left (0: all of it). */
typedef size_t piece_fn(size_t off, size_t left);

static size_t split_at;
static uint32_t rng = 1;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static size_t whole(size_t off, size_t left)
{
    (void)off;
    return left;
}

static size_t bytes(size_t off, size_t left)
{
    (void)off;
    (void)left;
    return 1;
}

static size_t two(size_t off, size_t left)
{
    return off < split_at ? split_at - off : left;
}

static size_t random_pieces(size_t off, size_t left)
{
    (void)off;
    return 1 + rnd() % (left < 40 ? left : 40);
}

static void run(run_t *o, const void *data, size_t len, piece_fn *piece)
{
    const uint8_t *d = data;
    size_t off = 0;
    http_req_init(&o->r);
    o->st = HTTP_MORE;
    o->used = 0;
    while (off < len && o->st == HTTP_MORE) {
        size_t n = piece(off, len - off), u = (size_t)-1;
        if (n == 0 || n > len - off) n = len - off;
        o->st = http_parse(&o->r, d + off, n, &u);
        assert_true(u <= n);
        if (o->st == HTTP_MORE) assert_int_equal(u, n);
        o->used += u;
        off += u;
    }
}

static bool is_documented(int st)
{
    return st == HTTP_MORE || st == HTTP_DONE || st == 400 || st == 413 || st == 414 ||
           st == 431 || st == 505;
}

static void assert_same(const run_t *a, const run_t *b)
{
    assert_int_equal(a->st, b->st);
    assert_int_equal(a->used, b->used);
    if (a->st != HTTP_DONE) return;
    assert_int_equal(a->r.method, b->r.method);
    assert_string_equal(a->r.target, b->r.target);
    assert_int_equal(a->r.keep_alive, b->r.keep_alive);
    assert_int_equal(a->r.body_len, b->r.body_len);
    assert_memory_equal(a->r.body, b->r.body, a->r.body_len + 1);
}

/* What any answer must satisfy. */
static void assert_sane(const run_t *o, size_t len)
{
    assert_true(is_documented(o->st));
    assert_true(o->used <= len);
    if (o->st == HTTP_MORE) assert_int_equal(o->used, len);
    if (o->st != HTTP_DONE) return;
    assert_int_equal(o->r.target[0], '/');
    assert_true(strlen(o->r.target) < HTTP_TARGET_MAX);
    assert_true(o->r.method <= HTTP_M_OTHER);
    assert_true(o->r.body_len <= HTTP_BODY_MAX);
    assert_int_equal(o->r.body[o->r.body_len], '\0');
}

static run_t got, other;

/* Parses data whole into got; one byte at a time and, when every_split, each
 * two-piece split must give the same. */
static int parse_n(const void *data, size_t len, bool every_split)
{
    run(&got, data, len, whole);
    assert_sane(&got, len);
    run(&other, data, len, bytes);
    assert_same(&got, &other);
    for (split_at = 1; every_split && split_at < len; split_at++) {
        run(&other, data, len, two);
        assert_same(&got, &other);
    }
    return got.st;
}

static int parse(const char *s) { return parse_n(s, strlen(s), true); }

#define EXPECT(want, s)                                                             \
    do {                                                                            \
        int st_ = parse(s);                                                         \
        if (st_ != (want)) fail_msg("%s gave %d, want %d", #s, st_, (int)(want)); \
    } while (0)

/* A buffer for built requests. */
static char big[8192];

/* big = head + n copies of c + tail. */
static const char *build(const char *head, size_t n, char c, const char *tail)
{
    size_t h = strlen(head);
    assert_true(h + n + strlen(tail) < sizeof big);
    memcpy(big, head, h);
    memset(big + h, c, n);
    strcpy(big + h + n, tail);
    return big;
}

/* ---- a plain request ------------------------------------------------------- */

static const char GET_REQ[] = "GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r\n";

static void test_simple_get(void **state)
{
    (void)state;
    assert_int_equal(parse(GET_REQ), HTTP_DONE);
    assert_int_equal(got.used, strlen(GET_REQ));
    assert_int_equal(got.r.method, HTTP_M_GET);
    assert_string_equal(got.r.target, "/v1/status");
    assert_true(got.r.keep_alive);
    assert_int_equal(got.r.body_len, 0);
    assert_int_equal(got.r.body[0], '\0');
}

static void test_post_with_body(void **state)
{
    (void)state;
    static const char req[] = "POST /v1/sessions/7/evict?now=1 HTTP/1.1\r\n"
                              "Host: agent\r\nContent-Type: application/json\r\n"
                              "Content-Length: 12\r\n\r\n{\"a\":\"\r\n\0x\"}";
    assert_int_equal(parse_n(req, sizeof req - 1, true), HTTP_DONE);
    assert_int_equal(got.used, sizeof req - 1);
    assert_int_equal(got.r.method, HTTP_M_POST);
    assert_string_equal(got.r.target, "/v1/sessions/7/evict?now=1");
    assert_int_equal(got.r.body_len, 12);
    assert_memory_equal(got.r.body, "{\"a\":\"\r\n\0x\"}", 13);
}

static void test_incomplete_needs_more(void **state)
{
    (void)state;
    EXPECT(HTTP_MORE, "GET /v1/status HTTP/1.1\r\nHost: agent\r\n");
    EXPECT(HTTP_MORE, "GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r");
    EXPECT(HTTP_MORE, "PUT / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab");
    EXPECT(HTTP_MORE, "");
    size_t u = 7;
    http_req_t *r = &got.r;
    http_req_init(r);
    assert_int_equal(http_parse(r, (const uint8_t *)"", 0, &u), HTTP_MORE);
    assert_int_equal(u, 0);
}

static void test_every_method(void **state)
{
    (void)state;
    static const struct {
        const char *req;
        http_method_t m;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", HTTP_M_GET},
        {"PATCH / HTTP/1.1\r\n\r\n", HTTP_M_PATCH},
        {"DELETE / HTTP/1.1\r\n\r\n", HTTP_M_DELETE},
        {"HEAD / HTTP/1.1\r\n\r\n", HTTP_M_HEAD},
        {"POST / HTTP/1.1\r\n\r\n", HTTP_M_POST},
        {"PUT / HTTP/1.1\r\n\r\n", HTTP_M_PUT},
        {"OPTIONS / HTTP/1.1\r\n\r\n", HTTP_M_OTHER},
        {"get / HTTP/1.1\r\n\r\n", HTTP_M_OTHER},   /* methods are case-sensitive */
        {"GETS / HTTP/1.1\r\n\r\n", HTTP_M_OTHER},
        {"GE / HTTP/1.1\r\n\r\n", HTTP_M_OTHER},
        {"PUTPATCH / HTTP/1.1\r\n\r\n", HTTP_M_OTHER},
        {"M-SEARCH / HTTP/1.1\r\n\r\n", HTTP_M_OTHER},
        {"X!#$%&'*+-.^_`|~9 / HTTP/1.1\r\n\r\n", HTTP_M_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(parse(cases[i].req), HTTP_DONE);
        assert_int_equal(got.r.method, cases[i].m);
    }
}

/* ---- 400: the request line --------------------------------------------------- */

static void test_bad_method_is_400(void **state)
{
    (void)state;
    EXPECT(400, "GE(T / HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET: / HTTP/1.1\r\n\r\n");
    EXPECT(400, " GET / HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET\t/ HTTP/1.1\r\n\r\n");
    EXPECT(400, "G\x80T / HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET\r\n\r\n");
    EXPECT(400, "GET\r\n");
    EXPECT(400, "/ HTTP/1.1\r\n\r\n");
    static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n";
    assert_int_equal(parse_n(tls, sizeof tls - 1, true), 400); /* a TLS hello */
}

static void test_bad_target_is_400(void **state)
{
    (void)state;
    EXPECT(400, "GET x HTTP/1.1\r\n\r\n");
    EXPECT(400, "OPTIONS * HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET http://agent/ HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET  / HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET / x HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET /a\tb HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET /a\x7f HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET /\xc3\xa9 HTTP/1.1\r\n\r\n");
    EXPECT(400, "GET /a\x01 HTTP/1.1\r\n\r\n");
    static const char nul[] = "GET /a\0b HTTP/1.1\r\n\r\n";
    assert_int_equal(parse_n(nul, sizeof nul - 1, true), 400);
}

static void test_bad_version_is_400(void **state)
{
    (void)state;
    EXPECT(400, "GET /\r\n\r\n"); /* HTTP/0.9 form */
    EXPECT(400, "GET / \r\n\r\n");
    EXPECT(400, "GET / http/1.1\r\n\r\n");
    EXPECT(400, "GET / HTTP/1.10\r\n\r\n");
    EXPECT(400, "GET / HTTP/11\r\n\r\n");
    EXPECT(400, "GET / HTTP/1\r\n\r\n");
    EXPECT(400, "GET / HTTP/a.b\r\n\r\n");
    EXPECT(400, "GET / HTTP/1.1 \r\n\r\n");
    EXPECT(400, "GET / HTTP/1.1x\r\n\r\n");
    EXPECT(400, "GET / HTTPS/1.1\r\n\r\n");
    EXPECT(400, "GET / HTTP/1.1 extra\r\n\r\n");
}

static void test_other_version_is_505(void **state)
{
    (void)state;
    EXPECT(505, "GET / HTTP/2.0\r\n\r\n");
    EXPECT(505, "GET / HTTP/1.2\r\n\r\n");
    EXPECT(505, "GET / HTTP/1.9\r\n\r\n");
    EXPECT(505, "GET / HTTP/0.9\r\n\r\n");
    EXPECT(505, "GET / HTTP/3.1\r\n\r\n");
    EXPECT(HTTP_DONE, "GET / HTTP/1.0\r\n\r\n");
    EXPECT(HTTP_DONE, "GET / HTTP/1.1\r\n\r\n");
}

/* ---- line ends -------------------------------------------------------------- */

static void test_bare_lf_is_accepted(void **state)
{
    (void)state;
    EXPECT(HTTP_DONE, "GET /a HTTP/1.1\nHost: x\n\n");
    assert_string_equal(got.r.target, "/a");
    EXPECT(HTTP_DONE, "PUT /a HTTP/1.1\r\nContent-Length: 2\n\r\nok");
    assert_memory_equal(got.r.body, "ok", 3);
}

static void test_bare_cr_is_400(void **state)
{
    (void)state;
    EXPECT(400, "GET /a HTTP/1.1\rHost: x\r\n\r\n");
    EXPECT(400, "GET /a HTTP/1.1\r\nHost: x\ry\r\n\r\n");
    EXPECT(400, "GET /a HTTP/1.1\r\r\n\r\n");
    EXPECT(400, "GET /a HTTP/1.1\r\n\r\r\n");
}

static void test_leading_empty_lines_are_skipped(void **state)
{
    (void)state;
    EXPECT(HTTP_DONE, "\r\nGET /a HTTP/1.1\r\n\r\n");
    assert_string_equal(got.r.target, "/a");
    EXPECT(HTTP_DONE, "\n\r\n\nGET /a HTTP/1.1\r\n\r\n");
    /* they count against the header limit, so a flood of them ends */
    assert_int_equal(parse_n(build("", HTTP_HEADERS_MAX + 1, '\n', ""), HTTP_HEADERS_MAX + 1,
                             false),
                     431);
    build("", HTTP_HEADERS_MAX, '\n', "GET / HTTP/1.1\n\n");
    assert_int_equal(parse_n(big, strlen(big), false), HTTP_DONE);
}

/* ---- 400: headers ----------------------------------------------------------- */

static void test_bad_header_is_400(void **state)
{
    (void)state;
    EXPECT(400, "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n");   /* obs-fold */
    EXPECT(400, "GET / HTTP/1.1\r\nHost: a\r\n\tb\r\n\r\n");  /* obs-fold */
    EXPECT(400, "GET / HTTP/1.1\r\n Host: a\r\n\r\n");        /* fold of the line */
    EXPECT(400, "GET / HTTP/1.1\r\nHost : a\r\n\r\n");
    EXPECT(400, "GET / HTTP/1.1\r\nHost\r\n\r\n");
    EXPECT(400, "GET / HTTP/1.1\r\n: a\r\n\r\n");
    EXPECT(400, "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n");
    EXPECT(400, "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n");
    EXPECT(400, "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n");
    static const char nul[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
    assert_int_equal(parse_n(nul, sizeof nul - 1, true), 400);
}

static void test_odd_but_valid_headers(void **state)
{
    (void)state;
    EXPECT(HTTP_DONE, "GET / HTTP/1.1\r\nX-Empty:\r\nX-Tab:\ta\tb\t\r\n"
                      "X-High: \xc3\xa9\xff\r\nX-Colon: a:b:c\r\n\r\n");
    EXPECT(HTTP_DONE, "GET / HTTP/1.1\r\nX!#$%&'*+-.^_`|~: v\r\n\r\n");
}

static void test_transfer_encoding_is_400(void **state)
{
    (void)state;
    EXPECT(400, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    EXPECT(400, "POST / HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n");
    EXPECT(400, "POST / HTTP/1.1\r\nContent-Length: 2\r\nTRANSFER-ENCODING:\r\n\r\nab");
    EXPECT(HTTP_DONE, "POST / HTTP/1.1\r\nTransfer-Encodings: x\r\n\r\n");
}

/* ---- Content-Length ------------------------------------------------------------ */

static void test_content_length_forms(void **state)
{
    (void)state;
    EXPECT(HTTP_DONE, "PUT / HTTP/1.1\r\ncontent-LENGTH:  \t3 \t\r\n\r\nabc");
    assert_int_equal(got.r.body_len, 3);
    EXPECT(HTTP_DONE, "PUT / HTTP/1.1\r\nContent-Length: 0003\r\n\r\nabc");
    assert_int_equal(got.r.body_len, 3);
    EXPECT(HTTP_DONE, "PUT / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(got.r.body_len, 0);
    EXPECT(HTTP_DONE, "PUT / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 03\r\n\r\nabc");
    assert_int_equal(got.r.body_len, 3);
}

static void test_bad_content_length_is_400(void **state)
{
    (void)state;
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length:\r\n\r\n");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length:  \r\n\r\n");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 3a\r\n\r\nabc");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 0x3\r\n\r\nabc");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 3 3\r\n\r\nabc");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 3.0\r\n\r\nabc");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\na");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 4294967296\r\n\r\n");
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n");
}

static void test_body_limit_is_413(void **state)
{
    (void)state;
    static char req[64 + HTTP_BODY_MAX];
    int h = snprintf(req, 64, "PUT /cfg HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
                     HTTP_BODY_MAX);
    memset(req + h, 'b', HTTP_BODY_MAX);
    assert_int_equal(parse_n(req, (size_t)h + HTTP_BODY_MAX, false), HTTP_DONE);
    assert_int_equal(got.r.body_len, HTTP_BODY_MAX);
    assert_int_equal(got.r.body[HTTP_BODY_MAX - 1], 'b');
    assert_int_equal(got.r.body[HTTP_BODY_MAX], '\0');
    for (int k = 0; k < 20; k++) {
        run(&other, req, (size_t)h + HTTP_BODY_MAX, random_pieces);
        assert_same(&got, &other);
    }
    /* one more: refused from the header, before any body arrives */
    h = snprintf(req, 64, "PUT /cfg HTTP/1.1\r\nContent-Length: %d\r\n", HTTP_BODY_MAX + 1);
    assert_int_equal(parse_n(req, (size_t)h, true), 413);
    EXPECT(413, "PUT / HTTP/1.1\r\nContent-Length: 4294967295\r\n\r\n");
    /* a differing duplicate is 400 whatever its size; the first one decides */
    EXPECT(400, "PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 4294967295\r\n\r\n");
    EXPECT(413, "PUT / HTTP/1.1\r\nContent-Length: 4294967295\r\nContent-Length: 1\r\n\r\n");
}

/* ---- 414 -------------------------------------------------------------------- */

static void test_target_limit_is_414(void **state)
{
    (void)state;
    assert_int_equal(parse(build("GET /", HTTP_TARGET_MAX - 2, 'a', " HTTP/1.1\r\n\r\n")),
                     HTTP_DONE);
    assert_int_equal(strlen(got.r.target), HTTP_TARGET_MAX - 1);
    assert_int_equal(got.r.target[HTTP_TARGET_MAX - 2], 'a');
    assert_int_equal(parse(build("GET /", HTTP_TARGET_MAX - 1, 'a', " HTTP/1.1\r\n\r\n")), 414);
    assert_int_equal(parse(build("DELETE /", HTTP_TARGET_MAX, 'a', " HTTP/1.1\r\n\r\n")), 414);
    /* longer than a whole line: still told apart from junk */
    assert_int_equal(parse(build("GET /", 3 * HTTP_LINE_MAX, 'a', " HTTP/1.1\r\n\r\n")), 414);
    assert_int_equal(parse(build("GET /", 3 * HTTP_LINE_MAX, 'a', "")), 414);
}

static void test_request_line_limit(void **state)
{
    (void)state;
    /* a request line of exactly HTTP_LINE_MAX bytes is fine (odd method) */
    size_t m = HTTP_LINE_MAX - strlen(" /x HTTP/1.1");
    build("", m, 'M', " /x HTTP/1.1\r\n\r\n");
    assert_int_equal(parse(big), HTTP_DONE);
    assert_int_equal(got.r.method, HTTP_M_OTHER);
    /* one more byte anywhere that is not the target: 400 */
    assert_int_equal(parse(build("", m + 1, 'M', " /x HTTP/1.1\r\n\r\n")), 400);
    assert_int_equal(parse(build("GET /x HTTP/1.1", HTTP_LINE_MAX, ' ', "\r\n\r\n")), 400);
    assert_int_equal(parse(build("", 2 * HTTP_LINE_MAX, 'M', "")), 400);
    /* the line is cut just after a valid "HTTP/1.1": still junk */
    assert_int_equal(parse(build("", m, 'M', " /x HTTP/1.1x\r\n\r\n")), 400);
    assert_int_equal(parse(build("", m, 'M', " /x HTTP/2.0x\r\n\r\n")), 400);
}

/* ---- 431 ---------------------------------------------------------------------- */

static void test_header_line_limit_is_431(void **state)
{
    (void)state;
    size_t n = HTTP_LINE_MAX - strlen("X-Pad: ");
    assert_int_equal(parse(build("GET / HTTP/1.1\r\nX-Pad: ", n, 'p', "\r\n\r\n")), HTTP_DONE);
    assert_int_equal(parse(build("GET / HTTP/1.1\r\nX-Pad: ", n + 1, 'p', "\r\n\r\n")), 431);
    assert_int_equal(parse(build("GET / HTTP/1.1\r\nX-Pad: ", n, 'p', "\n\n")), HTTP_DONE);
    /* a name alone over the limit */
    assert_int_equal(parse(build("GET / HTTP/1.1\r\n", HTTP_LINE_MAX + 1, 'X', "")), 431);
}

/* Request line, then header lines that with their CRLFs total exactly
 * `total` bytes, then the blank line. */
static size_t build_headers(size_t total, const char *eol)
{
    size_t len = strlen(strcpy(big, "GET / HTTP/1.1\r\n")), e = strlen(eol);
    while (total) {
        size_t line = total > 300 ? 200 : total; /* the last one takes the rest */
        assert_true(line >= 7 + e);
        memcpy(big + len, "X-P: ", 5);
        memset(big + len + 5, 'h', line - 5 - e);
        memcpy(big + len + line - e, eol, e);
        len += line;
        total -= line;
    }
    strcpy(big + len, eol);
    return len + e;
}

static void test_header_total_limit_is_431(void **state)
{
    (void)state;
    size_t len = build_headers(HTTP_HEADERS_MAX, "\r\n");
    assert_int_equal(parse_n(big, len, true), HTTP_DONE);
    assert_int_equal(got.used, len);
    len = build_headers(HTTP_HEADERS_MAX + 1, "\r\n");
    assert_int_equal(parse_n(big, len, true), 431);
    len = build_headers(HTTP_HEADERS_MAX, "\n");
    assert_int_equal(parse_n(big, len, true), HTTP_DONE);
    len = build_headers(HTTP_HEADERS_MAX + 1, "\n");
    assert_int_equal(parse_n(big, len, true), 431);
}

/* ---- keep-alive ----------------------------------------------------------- */

static bool keep_alive(const char *version, const char *headers)
{
    strcpy(big, "GET / ");
    strcat(big, version);
    strcat(big, "\r\n");
    strcat(big, headers);
    strcat(big, "\r\n");
    assert_int_equal(parse(big), HTTP_DONE);
    return got.r.keep_alive;
}

static void test_keep_alive_rules(void **state)
{
    (void)state;
    assert_true(keep_alive("HTTP/1.1", ""));
    assert_false(keep_alive("HTTP/1.1", "Connection: close\r\n"));
    assert_false(keep_alive("HTTP/1.1", "connection: CLOSE\r\n"));
    assert_false(keep_alive("HTTP/1.1", "Connection: Upgrade, close\r\n"));
    assert_false(keep_alive("HTTP/1.1", "Connection: keep-alive\r\nConnection: close\r\n"));
    assert_false(keep_alive("HTTP/1.1", "Connection: ,, close ,\r\n"));
    assert_true(keep_alive("HTTP/1.1", "Connection: keep-alive, Upgrade\r\n"));
    assert_true(keep_alive("HTTP/1.1", "Connection: closed\r\n"));
    assert_true(keep_alive("HTTP/1.1", "Connection: \"close\"\r\n"));
    assert_true(keep_alive("HTTP/1.1", "X-Connection: close\r\n"));
    assert_true(keep_alive("HTTP/1.1", "Connection:\r\n"));

    assert_false(keep_alive("HTTP/1.0", ""));
    assert_true(keep_alive("HTTP/1.0", "Connection: keep-alive\r\n"));
    assert_true(keep_alive("HTTP/1.0", "Connection: Upgrade,Keep-Alive\r\n"));
    assert_true(keep_alive("HTTP/1.0", "Connection: x\r\nConnection:\tKEEP-ALIVE\t\r\n"));
    assert_false(keep_alive("HTTP/1.0", "Connection: close, keep-alive\r\n"));
    assert_false(keep_alive("HTTP/1.0", "Connection: keep-alive\r\nConnection: close\r\n"));
    assert_false(keep_alive("HTTP/1.0", "Connection: keep-alives\r\n"));
    assert_false(keep_alive("HTTP/1.0", "Keep-Alive: timeout=5\r\n"));
}

/* ---- pipelining and the parser's life cycle ---------------------------------- */

static void test_pipelined_requests(void **state)
{
    (void)state;
    static const char a[] = "PATCH /v1/config HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"x\"}";
    static const char b[] = "GET /v1/b HTTP/1.1\r\n\r\n";
    static const char c[] = "DELETE /v1/c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    static const char *const want[] = {"/v1/config", "/v1/b", "/v1/c"};
    char all[256];
    size_t len = 0, off = 0;
    strcpy(all, a);
    strcat(all, b);
    strcat(all, c);
    len = strlen(all);

    /* whole buffer: each call stops right after its request */
    run(&got, all, len, whole);
    assert_int_equal(got.st, HTTP_DONE);
    assert_int_equal(got.used, strlen(a));
    assert_memory_equal(got.r.body, "{\"x\"}", 6);

    /* a server loop fed in random pieces sees the same three requests */
    for (int round = 0; round < 50; round++) {
        int seen = 0;
        http_req_t *r = &other.r;
        http_req_init(r);
        off = 0;
        while (off < len) {
            size_t n = round == 0 ? len - off : random_pieces(off, len - off), u;
            while (n) {
                int st = http_parse(r, (const uint8_t *)all + off, n, &u);
                off += u;
                n -= u;
                if (st == HTTP_MORE) break;
                assert_int_equal(st, HTTP_DONE);
                assert_true(seen < 3);
                assert_string_equal(r->target, want[seen]);
                assert_true(r->keep_alive);
                seen++;
                http_req_init(r);
            }
        }
        assert_int_equal(seen, 3);
    }
}

static void test_done_is_repeated_until_init(void **state)
{
    (void)state;
    size_t u = 99;
    http_req_t *r = &got.r;
    http_req_init(r);
    assert_int_equal(http_parse(r, (const uint8_t *)GET_REQ, strlen(GET_REQ), &u), HTTP_DONE);
    assert_int_equal(u, strlen(GET_REQ));
    assert_int_equal(http_parse(r, (const uint8_t *)GET_REQ, strlen(GET_REQ), &u), HTTP_DONE);
    assert_int_equal(u, 0);
    assert_string_equal(r->target, "/v1/status");
    http_req_init(r);
    assert_int_equal(http_parse(r, (const uint8_t *)GET_REQ, 5, &u), HTTP_MORE);
    assert_int_equal(u, 5);
}

static void test_errors_stick(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "GET x HTTP/1.1\r\n",
        "PUT / HTTP/1.1\r\nContent-Length: 99999\r\n",
        "GET / HTTP/2.0\r\n",
    };
    static const int code[] = {400, 413, 505};
    for (size_t i = 0; i < 3; i++) {
        size_t u = 99;
        http_req_t *r = &got.r;
        http_req_init(r);
        assert_int_equal(http_parse(r, (const uint8_t *)bad[i], strlen(bad[i]), &u), code[i]);
        assert_int_equal(u, strlen(bad[i]));
        for (int k = 0; k < 3; k++) {
            u = 99;
            assert_int_equal(http_parse(r, (const uint8_t *)GET_REQ, strlen(GET_REQ), &u),
                             code[i]);
            assert_int_equal(u, 0);
            assert_int_equal(http_parse(r, (const uint8_t *)"", 0, &u), code[i]);
        }
        http_req_init(r);
        assert_int_equal(http_parse(r, (const uint8_t *)GET_REQ, strlen(GET_REQ), &u),
                         HTTP_DONE);
    }
}

static void test_error_stops_at_the_bad_byte(void **state)
{
    (void)state;
    static const char req[] = "GET / HTTP/1.1\r\nA: b\r\rGET / HTTP/1.1\r\n\r\n";
    run(&got, req, sizeof req - 1, whole);
    assert_int_equal(got.st, 400);
    assert_int_equal(got.used, strlen("GET / HTTP/1.1\r\nA: b\r\r"));
}

/* ---- http_reason ---------------------------------------------------------- */

static void test_reasons(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *text;
    } r[] = {
        {200, "OK"},
        {204, "No Content"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        assert_string_equal(http_reason(r[i].code), r[i].text);
    static const int unknown[] = {0, -1, 1, 100, 201, 402, 410, 502, 504, 999, 2000, -200};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_string_equal(http_reason(unknown[i]), "Error");
}

/* ---- http_query ----------------------------------------------------------- */

static char qv[32];

static bool q(const char *target, const char *name)
{
    memset(qv, 'Z', sizeof qv);
    return http_query(target, name, qv, sizeof qv);
}

#define QUERY(target, name, want)                     \
    do {                                              \
        if (!q(target, name)) fail_msg("%s %s", target, name); \
        assert_string_equal(qv, want);                \
    } while (0)

static void test_query_finds_whole_names(void **state)
{
    (void)state;
    QUERY("/v1/sessions?state=stale", "state", "stale");
    QUERY("/a?x=1&state=old&y=2", "state", "old");
    QUERY("/a?xstate=1&state=2", "state", "2");
    QUERY("/a?x=state&state=3", "state", "3");
    QUERY("/a?&&state=4&", "state", "4");
    QUERY("/a?state=1&state=2", "state", "1");
    QUERY("/a?flag&b=1", "flag", "");
    QUERY("/a?b=1&flag", "flag", "");
    QUERY("/a?e=", "e", "");
    QUERY("/a?e=&f=1", "e", "");
    QUERY("/a?k=b=c", "k", "b=c");
    QUERY("/a?k=?x", "k", "?x");
    assert_false(q("/a", "state"));
    assert_false(q("/a?", "state"));
    assert_false(q("/a?state_x=1", "state"));
    assert_false(q("/a?sta=1", "state"));
    assert_false(q("/a?xstate=1", "state"));
    assert_false(q("/a?x=state", "state"));
    assert_false(q("/state=1", "state"));
    assert_false(q("/a?State=1", "state"));
}

static void test_query_decodes(void **state)
{
    (void)state;
    QUERY("/a?q=a+b", "q", "a b");
    QUERY("/a?q=%41%62%2b%2B%20%7e", "q", "Ab++ ~");
    QUERY("/a?q=100%25", "q", "100%");
    QUERY("/a?q=%26&r=1", "q", "&");
    QUERY("/a?q=%c3%a9", "q", "\xc3\xa9");
    assert_false(q("/a?q=%", "q"));
    assert_false(q("/a?q=%4", "q"));
    assert_false(q("/a?q=%4&r=1", "q"));
    assert_false(q("/a?q=%zz", "q"));
    assert_false(q("/a?q=%4g", "q"));
    assert_false(q("/a?q=%g4", "q"));
    assert_false(q("/a?q=%00", "q"));
    assert_false(q("/a?q=a%", "q"));
    QUERY("/a?q=%&r=%41", "r", "A"); /* a bad value elsewhere does not matter */
}

static void test_query_capacity(void **state)
{
    (void)state;
    char out[8];
    memset(out, 'Z', sizeof out);
    assert_true(http_query("/a?q=abcdefg", "q", out, 8));
    assert_string_equal(out, "abcdefg");
    assert_false(http_query("/a?q=abcdefgh", "q", out, 8));
    assert_true(http_query("/a?q=%41%42", "q", out, 3));
    assert_string_equal(out, "AB");
    assert_false(http_query("/a?q=%41%42", "q", out, 2));
    assert_true(http_query("/a?q=", "q", out, 1));
    assert_string_equal(out, "");
    assert_false(http_query("/a?q=a", "q", out, 1));
    memset(out, 'Z', sizeof out);
    assert_false(http_query("/a?q=", "q", out, 0));
    assert_int_equal(out[0], 'Z');
}

/* ---- fuzz ------------------------------------------------------------------- */

static const char *const seeds[] = {
    "GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r\n",
    "PATCH /v1/config?dry=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n"
    "Connection: keep-alive, Upgrade\r\n\r\n{\"a\":\"b\"}",
    "DELETE /v1/sessions/12 HTTP/1.0\r\nConnection: close\r\n\r\n",
    "POST /x HTTP/1.1\nContent-Length: 3\nTransfer-Encoding: chunked\n\nabc",
    "\r\nHEAD / HTTP/1.1\r\nContent-Length: 00\r\nX: \xff\r\n\r\n",
};

static const char interesting[] = "\r\n :\t0123456789/?%+,-HTTP/1.1\x00\x7f\x80\xff";

static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
    int edits = 1 + (int)(rnd() % 4);
    while (edits--) {
        size_t at = len ? rnd() % len : 0;
        uint8_t c = rnd() % 2 ? (uint8_t)interesting[rnd() % (sizeof interesting - 1)]
                              : (uint8_t)rnd();
        switch (rnd() % 5) {
        case 0: /* replace */
            if (len) buf[at] = c;
            break;
        case 1: /* insert */
            if (len < cap) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
            }
            break;
        case 2: /* delete */
            if (len) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            }
            break;
        case 3: /* repeat a run */
        {
            size_t n = 1 + rnd() % 64;
            if (at + n > len) n = len - at;
            if (len + n <= cap) {
                memmove(buf + at + n, buf + at, len - at);
                len += n;
            }
            break;
        }
        default: /* cut */
            len = at;
            break;
        }
    }
    return len;
}

static void test_fuzz(void **state)
{
    (void)state;
    static uint8_t buf[1024];
    rng = 0x2545f491u;
    for (int i = 0; i < 4000; i++) {
        size_t len;
        if (i % 4 == 0) {
            len = rnd() % 200;
            for (size_t k = 0; k < len; k++)
                buf[k] = i % 8 == 0 ? (uint8_t)rnd()
                                    : (uint8_t)interesting[rnd() % (sizeof interesting - 1)];
        } else {
            const char *s = seeds[rnd() % (sizeof seeds / sizeof seeds[0])];
            len = strlen(s);
            memcpy(buf, s, len);
            if (i % 16 == 1) { /* two requests back to back */
                const char *t = seeds[rnd() % (sizeof seeds / sizeof seeds[0])];
                memcpy(buf + len, t, strlen(t));
                len += strlen(t);
            }
            len = mutate(buf, len, sizeof buf);
        }
        /* an exact-size copy, so a read past len is caught */
        uint8_t *exact = malloc(len ? len : 1);
        assert_non_null(exact);
        memcpy(exact, buf, len);
        parse_n(exact, len, i % 8 == 0);
        for (int k = 0; k < 3; k++) {
            run(&other, exact, len, random_pieces);
            assert_same(&got, &other);
        }
        if (got.st > 0) { /* sticks */
            size_t u = 1;
            assert_int_equal(http_parse(&got.r, exact, len, &u), got.st);
            assert_int_equal(u, 0);
        }
        free(exact);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_post_with_body),
        cmocka_unit_test(test_incomplete_needs_more),
        cmocka_unit_test(test_every_method),
        cmocka_unit_test(test_bad_method_is_400),
        cmocka_unit_test(test_bad_target_is_400),
        cmocka_unit_test(test_bad_version_is_400),
        cmocka_unit_test(test_other_version_is_505),
        cmocka_unit_test(test_bare_lf_is_accepted),
        cmocka_unit_test(test_bare_cr_is_400),
        cmocka_unit_test(test_leading_empty_lines_are_skipped),
        cmocka_unit_test(test_bad_header_is_400),
        cmocka_unit_test(test_odd_but_valid_headers),
        cmocka_unit_test(test_transfer_encoding_is_400),
        cmocka_unit_test(test_content_length_forms),
        cmocka_unit_test(test_bad_content_length_is_400),
        cmocka_unit_test(test_body_limit_is_413),
        cmocka_unit_test(test_target_limit_is_414),
        cmocka_unit_test(test_request_line_limit),
        cmocka_unit_test(test_header_line_limit_is_431),
        cmocka_unit_test(test_header_total_limit_is_431),
        cmocka_unit_test(test_keep_alive_rules),
        cmocka_unit_test(test_pipelined_requests),
        cmocka_unit_test(test_done_is_repeated_until_init),
        cmocka_unit_test(test_errors_stick),
        cmocka_unit_test(test_error_stops_at_the_bad_byte),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_query_finds_whole_names),
        cmocka_unit_test(test_query_decodes),
        cmocka_unit_test(test_query_capacity),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
