/*
 * fmt.h - bounded text formatting for the core (no stdio in agent/).
 *
 * A fmt_t writes into a caller's buffer and never overruns it: output that
 * does not fit is cut, the text stays NUL-terminated, and `overflow` says so.
 */
#ifndef FMT_H
#define FMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf;     /* caller's, cap bytes */
    size_t cap;    /* >= 1 */
    size_t len;    /* bytes written, excluding the NUL */
    bool overflow; /* something was cut */
} fmt_t;

/* Starts an empty text in buf[cap]. */
void fmt_init(fmt_t *f, char *buf, size_t cap);

/*
 * Appends formatted text. Conversions (integers are 32-bit, so the same call
 * works on every target; pass uint32_t/int32_t, never long):
 *   %s const char*   %u uint32_t   %d int32_t   %x uint32_t (hex)
 *   %c int           %T uint32_t seconds as H:MM:SS (hours grow past 99)
 *   %W uint32_t seconds since 1970 UTC as 2026-12-02T21:40:01Z
 *   %%               a '%'
 * An optional '-' (left-justify) and a decimal width go between % and the
 * letter; %.Ns takes at most N bytes of the string.
 */
void fmt_add(fmt_t *f, const char *spec, ...);
void fmt_vadd(fmt_t *f, const char *spec, va_list ap);

/* Appends s[n], or one byte c, as it is (what fits, as fmt_add cuts). */
void fmt_put(fmt_t *f, const char *s, size_t n);
void fmt_putc(fmt_t *f, char c);

/* For writers that fill the buffer themselves: where n more bytes go, or
 * NULL when they do not all fit (then write through fmt_put, which cuts);
 * fmt_wrote(f, n) once they are written. */
static inline char *fmt_room(fmt_t *f, size_t n)
{
    return f->cap - 1 - f->len >= n ? f->buf + f->len : NULL;
}

static inline void fmt_wrote(fmt_t *f, size_t n)
{
    f->len += n;
    f->buf[f->len] = '\0';
}

static inline void fmt_wrote_to(fmt_t *f, char *end)
{
    fmt_wrote(f, (size_t)(end - (f->buf + f->len)));
}

/* Appends v in decimal, as "%u" does, without parsing a format. */
void fmt_u32(fmt_t *f, uint32_t v);

/* Seconds since 1970 UTC as a civil date: year, month (1..12), day
 * (1..31), hour, minute, second (days to a date by 400-year eras of 146097
 * days, each starting on the 1st of March). */
void fmt_civil(uint32_t t, uint32_t v[6]);

#endif
