#include "text.h"

#include <string.h>

/* ASCII lower case, without a branch. */
static char fold(char c) { return (char)(c | ((uint8_t)(c - 'A') < 26u) << 5); }

bool text_ieq(const char *a, const char *b)
{
    while (*a && (*a == *b || fold(*a) == fold(*b))) a++, b++; /* the same case, mostly */
    return *a == *b;
}

bool text_ieqn(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!a[i] || fold(a[i]) != fold(b[i])) return false;
    return a[n] == '\0';
}

bool text_istarts(const char *s, const char *prefix)
{
    while (*prefix && fold(*s) == fold(*prefix)) s++, prefix++;
    return *prefix == '\0';
}

bool text_u32(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        uint32_t d = (uint32_t)(*s - '0');
        if (v > (UINT32_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

size_t text_put(char *dst, size_t cap, const char *src)
{
    size_t n = 0, room = cap - 1;
    while (n < room && (uint8_t)(src[n] - 0x20) < 0x5f) dst[n] = src[n], n++;
    if (n < room && src[n]) { /* the rest: what the ASCII run ended on cannot be split */
        size_t m = text_cut(src + n, cap - 1 - n);
        memcpy(dst + n, src + n, m);
        dst[n + m] = '\0';
        text_clean(dst + n, cap - n);
        return n + m;
    }
    dst[n] = '\0';
    return n;
}

uint32_t text_ihash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)fold(*s)) * 16777619u;
    return h;
}

size_t text_utf8_len(const char *s, size_t n)
{
    const uint8_t *u = (const uint8_t *)s;
    if (n == 0) return 0;
    if (u[0] < 0x80) return 1;
    size_t len = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || u[0] > 0xf4 || n < len) return 0;
    uint32_t cp = u[0] & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (u[i] & 0x3fu);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

size_t text_cut(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n]) n++;
    if (s[n]) { /* cut: back off to the start of a character split there */
        size_t k = n;
        while (k && ((uint8_t)s[k] & 0xc0) == 0x80) k--;
        if (k < n && (uint8_t)s[k] >= 0xc0) n = k; /* (stray continuation bytes split nothing) */
    }
    return n;
}

size_t text_clean(char *s, size_t cap)
{
    size_t i = 0;
    s[cap - 1] = '\0';
    for (;;) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 0x20 && c < 0x7f) { /* printable ASCII, the common case */
            i++;
            continue;
        }
        if (c == 0) break;
        size_t n = c < 0x80 ? 0 : text_utf8_len(s + i, cap - 1 - i);
        if (n == 0) s[i] = '?', n = 1;
        i += n;
    }
    return i + 1 < cap ? cap - i - 1 : 0;
}
