/* The HTTP request parser, whole and in random splits: any bytes, and the
 * same request parses to the same result however the bytes arrive. The
 * first input byte seeds the split points. */
#include <string.h>

#include "fuzz.h"
#include "http.h"

/* Feeds data in pieces (split from seed); the parser's answer and how many
 * bytes it took. */
static int feed(http_req_t *r, const uint8_t *data, size_t len, uint32_t seed, size_t *took)
{
    size_t at = 0;
    int st = HTTP_MORE;
    http_req_init(r);
    while (at < len) {
        seed = seed * 1103515245u + 12345u;
        size_t piece = seed ? 1 + (seed >> 16) % (len - at) : len - at;
        size_t used = 0;
        st = http_parse(r, data + at, piece, &used);
        FUZZ_CHECK(used <= piece);
        at += used;
        if (st != HTTP_MORE) break;
        if (used < piece) break; /* it took what it could */
    }
    *took = at;
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static http_req_t whole, split;
    if (size < 1) return 0;
    uint32_t seed = data[0];
    data++, size--;
    size_t took_w, took_s;
    int a = feed(&whole, data, size, 0, &took_w);
    int b = feed(&split, data, size, seed | 1u, &took_s);
    FUZZ_CHECK(a == b);
    if (a == HTTP_DONE) {
        FUZZ_CHECK(took_w == took_s);
        FUZZ_CHECK(whole.method == split.method && whole.keep_alive == split.keep_alive);
        FUZZ_CHECK(strcmp(whole.target, split.target) == 0);
        FUZZ_CHECK(whole.body_len == split.body_len && whole.body_len <= HTTP_BODY_MAX);
        FUZZ_CHECK(memcmp(whole.body, split.body, whole.body_len) == 0);
        FUZZ_CHECK(whole.body[whole.body_len] == '\0');
    }
    return 0;
}
