/* text.h - small string helpers the core shares (bounded, no locale). */
#ifndef TEXT_H
#define TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ASCII case-insensitive equality of two NUL-terminated strings. */
bool text_ieq(const char *a, const char *b);

/* Same, for a and the first n bytes of b (b need not be terminated). */
bool text_ieqn(const char *a, const char *b, size_t n);

/* Copies at most cap-1 bytes of src (up to its NUL or srclen) and
 * terminates dst. Returns true if all of src fitted. */
bool text_copy(char *dst, size_t cap, const char *src, size_t srclen);

/* Bounded strlen: scans at most cap bytes. */
size_t text_len(const char *s, size_t cap);

/* Parses a decimal uint32 that fills all of s; false on junk or overflow. */
bool text_u32(const char *s, uint32_t *out);

/* Case-folded FNV-1a hash, to compare client names quickly. */
uint32_t text_ihash(const char *s);

#endif
