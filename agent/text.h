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

/* Whether s begins with prefix, ASCII case-insensitive. */
bool text_istarts(const char *s, const char *prefix);

/* Parses a decimal uint32 that fills all of s; false on junk or overflow. */
bool text_u32(const char *s, uint32_t *out);

/* Bytes of the well-formed UTF-8 character at s (1 to 4, within n), or 0
 * when s starts no such character: a stray continuation byte, a truncated
 * sequence, an overlong form, a surrogate, or past U+10FFFF. */
size_t text_utf8_len(const char *s, size_t n);

/* Bytes of s to keep so that at most max are kept and no UTF-8 character
 * is split: strlen(s) when it fits. Continuation bytes after no lead byte
 * are no character's and may be cut anywhere. */
size_t text_cut(const char *s, size_t max);

/* Turns s (NUL-terminated within cap) into printable UTF-8: each control
 * byte and each byte of an ill-formed sequence becomes '?'. Returns the
 * bytes after its NUL. */
size_t text_clean(char *s, size_t cap);

/* Copies src into dst (cap bytes, cap > 0) as text_cut and text_clean
 * would leave it: cut to fit on a character boundary, printable UTF-8,
 * terminated. A run of printable ASCII, the common case, in one pass.
 * Returns the bytes copied before the NUL. */
size_t text_put(char *dst, size_t cap, const char *src);

/* Case-folded FNV-1a hash, to compare client names quickly. */
uint32_t text_ihash(const char *s);

#endif
