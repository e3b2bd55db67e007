/*
 * Small versions of C library functions the image uses where newlib's are
 * built for speed (0.3 to 1 KB each, word-at-a-time). The linker takes
 * these and leaves newlib's out. Each gives the standard function's
 * results; the inputs are short, so the speed does not show (make
 * bench-fw). memcpy stays newlib's: mbedTLS's bignum code lives on it,
 * and with byte loops (memcpy, memmove, memset) a full handshake took 22%
 * more instructions; memmove hands it every move that does not overlap,
 * and memset stores whole words.
 */
#include <stdint.h>
#include <string.h>

/* mbedTLS's PEM parsing (pem.c, x509_crt.c) looks for a "-----BEGIN"
 * header in a credential being installed: at most the needle's length
 * (under 40 bytes) times the credential's (a few KB) compares, once per
 * credential. newlib's is a two-way search, 1 KB. */
char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (;; haystack++) {
        if (strncmp(haystack, needle, n) == 0) return (char *)haystack;
        if (*haystack == '\0') return NULL;
    }
}

/* Command words, setting names, JSON keys. */
int strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p != '\0' && *p == *q) p++, q++;
    return *p - *q;
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    for (; n > 0; n--, p++, q++)
        if (*p != *q || *p == '\0') return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    const char *e = s;
    while (*e != '\0') e++;
    return (size_t)(e - s);
}

/* Object identifiers, header names, fingerprints: tens of bytes; and the
 * texts of each session record of a sample (92 bytes, aligned, nearly
 * always equal): equal words skipped a word at a time when both are
 * aligned, the first difference found byte by byte. */
typedef uint32_t __attribute__((may_alias)) word_t;
int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b, *end = p + n;
    if ((((uintptr_t)p | (uintptr_t)q) & 3) == 0)
        for (const unsigned char *words = p + (n & ~(size_t)3);
             p < words && *(const word_t *)(const void *)p == *(const word_t *)(const void *)q;)
            p += 4, q += 4;
    for (; p < end; p++, q++)
        if (*p != *q) return *p - *q;
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c) return (char *)s;
        if (*s == '\0') return NULL;
    }
}

/* The HTTP parser's line ends, in requests of at most 2 KB. */
void *memchr(const void *s, int c, size_t n)
{
    for (const unsigned char *p = s; n > 0; n--, p++)
        if (*p == (unsigned char)c) return (void *)p;
    return NULL;
}

/* Overlapping moves are few and short (mbedTLS shifting a record's bytes
 * in place): a byte loop in the safe direction; the rest is memcpy's.
 * newlib's is 252 bytes. */
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d + n <= s || s + n <= d) return memcpy(dst, src, n);
    if (d < s)
        for (size_t i = 0; i < n; i++) d[i] = s[i];
    else
        while (n--) d[n] = s[n];
    return dst;
}

/* Four words at a time between the ends; newlib's is 160 bytes (make
 * bench-fw: a full handshake took 1.8% more instructions storing a word
 * at a time, 0.8% fewer this way). Built
 * without turning its own loops back into a call to memset. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    word_t w = (uint8_t)c * 0x01010101u;
    for (; n && ((uintptr_t)d & 3); n--) *d++ = (unsigned char)c;
    for (; n >= 16; n -= 16, d += 16) {
        word_t *p = (word_t *)(void *)d;
        p[0] = p[1] = p[2] = p[3] = w;
    }
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
