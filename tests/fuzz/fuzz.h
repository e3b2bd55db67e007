/*
 * fuzz.h - what every fuzz target shares. A target defines
 * LLVMFuzzerTestOneInput(); it is linked with libFuzzer (make fuzz) or with
 * replay.c (make test replays the corpora and the saved crash inputs).
 * Beyond "no crash" (ASan and UBSan watch), targets check properties with
 * FUZZ_CHECK, which aborts with the failed condition.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                               \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* Whether text[len] is well-formed UTF-8 (no overlongs, surrogates, or
 * code points past U+10FFFF). */
static inline bool fuzz_utf8(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint8_t c = s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!n || i + n > len || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4)) return false;
        uint32_t cp = n == 1 ? c : c & (0x7f >> n);
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += n;
    }
    return true;
}

/* Whether console output is printable: UTF-8 without control bytes but
 * CR, LF, BS and the erase sequences the line editor sends ("\b \b"), and
 * ANSI nothing. */
static inline bool fuzz_printable(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((s[i] < 0x20 && s[i] != '\r' && s[i] != '\n' && s[i] != '\b' && s[i] != '\a') || s[i] == 0x7f)
            return false;
    return fuzz_utf8(s, len);
}

/* A JSON value at *p (RFC 8259), skipping it; false if malformed. Strings
 * must be well-formed UTF-8 and escape every control byte. */
static inline bool fuzz_json_value(const uint8_t **p, const uint8_t *end, int depth);

static inline void fuzz_json_ws(const uint8_t **p, const uint8_t *end)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')) (*p)++;
}

static inline bool fuzz_json_string(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = ++*p;
    for (; *p < end && **p != '"'; (*p)++) {
        if (**p < 0x20) return false;
        if (**p == '\\') {
            if (++*p >= end) return false;
            if (**p == 'u') {
                for (int i = 0; i < 4; i++)
                    if (++*p >= end || !((**p >= '0' && **p <= '9') || ((**p | 0x20) >= 'a' && (**p | 0x20) <= 'f')))
                        return false;
            } else if (!strchr("\"\\/bfnrt", **p)) {
                return false;
            }
        }
    }
    if (*p >= end || !fuzz_utf8(s, (size_t)(*p - s))) return false;
    (*p)++;
    return true;
}

static inline bool fuzz_json_value(const uint8_t **p, const uint8_t *end, int depth)
{
    fuzz_json_ws(p, end);
    if (*p >= end || depth > 32) return false;
    uint8_t c = **p;
    if (c == '"') return fuzz_json_string(p, end);
    if (c == '{' || c == '[') {
        uint8_t close = c == '{' ? '}' : ']';
        (*p)++;
        fuzz_json_ws(p, end);
        if (*p < end && **p == close) return (*p)++, true;
        for (;;) {
            if (c == '{') {
                fuzz_json_ws(p, end);
                if (*p >= end || **p != '"' || !fuzz_json_string(p, end)) return false;
                fuzz_json_ws(p, end);
                if (*p >= end || **p != ':') return false;
                (*p)++;
            }
            if (!fuzz_json_value(p, end, depth + 1)) return false;
            fuzz_json_ws(p, end);
            if (*p < end && **p == ',') {
                (*p)++;
                continue;
            }
            if (*p < end && **p == close) return (*p)++, true;
            return false;
        }
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(end - *p) >= n && memcmp(*p, words[i], n) == 0) return *p += n, true;
    }
    const uint8_t *start = *p;
    if (*p < end && **p == '-') (*p)++;
    while (*p < end && ((**p >= '0' && **p <= '9') || **p == '.' || **p == 'e' || **p == 'E' || **p == '+' || **p == '-'))
        (*p)++;
    return *p > start && (*p)[-1] >= '0' && (*p)[-1] <= '9';
}

/* Whether s[len] is exactly one JSON value, with nothing after it. */
static inline bool fuzz_json(const uint8_t *s, size_t len)
{
    const uint8_t *p = s, *end = s + len;
    if (!fuzz_json_value(&p, end, 0)) return false;
    fuzz_json_ws(&p, end);
    return p == end;
}

#endif
