#include "fmt.h"

#include <string.h>

void fmt_init(fmt_t *f, char *buf, size_t cap)
{
    f->buf = buf;
    f->cap = cap;
    f->len = 0;
    f->overflow = false;
    buf[0] = '\0';
}

void fmt_put(fmt_t *f, const char *s, size_t n)
{
    size_t room = f->cap - 1 - f->len;
    if (n > room) n = room, f->overflow = true;
    memcpy(f->buf + f->len, s, n);
    f->len += n;
    f->buf[f->len] = '\0';
}

void fmt_putc(fmt_t *f, char c) { fmt_put(f, &c, 1); }

static void put_padded(fmt_t *f, const char *s, size_t n, unsigned width,
                       bool left)
{
    size_t pad = width > n ? width - n : 0;
    if (!left)
        while (pad--) fmt_putc(f, ' ');
    fmt_put(f, s, n);
    if (left)
        while (pad--) fmt_putc(f, ' ');
}

/* Renders v in base into the end of tmp; returns the first digit. */
__attribute__((noinline)) /* one copy for fmt_vadd and fmt_u32 */
static char *render_u32(char *end, uint32_t v, unsigned base)
{
    *end = '\0';
    do {
        *--end = "0123456789abcdef"[v % base]; /* one copy of the literal in the image */
        v /= base;
    } while (v);
    return end;
}

void fmt_u32(fmt_t *f, uint32_t v)
{
    char tmp[12], *end = tmp + sizeof tmp - 1;
    char *p = render_u32(end, v, 10);
    fmt_put(f, p, (size_t)(end - p));
}

static void put_duration(fmt_t *f, uint32_t s, unsigned width, bool left)
{
    char tmp[20], *p = tmp + sizeof tmp;
    for (int i = 0; i < 2; i++, s /= 60) { /* ":MM:SS" from the right */
        *--p = (char)('0' + s % 60 % 10);
        *--p = (char)('0' + s % 60 / 10);
        *--p = ':';
    }
    do *--p = (char)('0' + s % 10); /* hours, as many digits as they take */
    while (s /= 10);
    put_padded(f, p, (size_t)(tmp + sizeof tmp - p), width, left);
}

void fmt_civil(uint32_t t, uint32_t v[6])
{
    uint32_t z = t / 86400 + 719468, sec = t % 86400;
    uint32_t era = z / 146097, doe = z % 146097;
    uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint32_t mp = (5 * doy + 2) / 153, day = doy - (153 * mp + 2) / 5 + 1;
    uint32_t month = mp < 10 ? mp + 3 : mp - 9;
    v[0] = era * 400 + yoe + (month <= 2);
    v[1] = month;
    v[2] = day;
    v[3] = sec / 3600;
    v[4] = sec / 60 % 60;
    v[5] = sec % 60;
}

/* Seconds since 1970 UTC as "2026-12-02T21:40:01Z". */
static void put_wall(fmt_t *f, uint32_t t, unsigned width, bool left)
{
    uint32_t v[6];
    static const char seps[] = "--T::Z";
    char tmp[24], *p = tmp;
    fmt_civil(t, v);
    for (int i = 0; i < 6; i++) {
        for (uint32_t d = i ? 10 : 1000; d; d /= 10) *p++ = (char)('0' + v[i] / d % 10);
        *p++ = seps[i];
    }
    put_padded(f, tmp, (size_t)(p - tmp), width, left);
}

void fmt_vadd(fmt_t *f, const char *p, va_list ap)
{
    char tmp[12];
    for (; *p; p++) {
        if (*p != '%') { /* the text up to the next conversion, at once */
            size_t n = 1;
            while (p[n] && p[n] != '%') n++;
            fmt_put(f, p, n);
            p += n - 1;
            continue;
        }
        p++;
        bool left = (*p == '-');
        if (left) p++;
        unsigned width = 0;
        while (*p >= '0' && *p <= '9') width = width * 10 + (unsigned)(*p++ - '0');
        size_t prec = (size_t)-1;
        if (*p == '.') {
            prec = 0;
            for (p++; *p >= '0' && *p <= '9'; p++) prec = prec * 10 + (size_t)(*p - '0');
        }
        switch (*p) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "";
            size_t n = 0; /* %.Ns may name an array with no NUL in its N bytes */
            while (n < prec && s[n]) n++;
            if (n == prec) { /* maybe cut: not inside a UTF-8 character */
                size_t k = n;
                while (k && n - k < 4 && ((uint8_t)s[k - 1] & 0xc0) == 0x80) k--;
                uint8_t lead = k ? (uint8_t)s[k - 1] : 0;
                size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
                if (need > n - k + 1) n = k - 1;
            }
            put_padded(f, s, n, width, left);
            break;
        }
        case 'u':
        case 'x': {
            char *d = render_u32(tmp + sizeof tmp - 1, va_arg(ap, uint32_t),
                                 *p == 'u' ? 10u : 16u);
            put_padded(f, d, strlen(d), width, left);
            break;
        }
        case 'd': {
            int32_t v = va_arg(ap, int32_t);
            uint32_t m = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
            char *d = render_u32(tmp + sizeof tmp - 1, m, 10);
            if (v < 0) *--d = '-';
            put_padded(f, d, strlen(d), width, left);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_padded(f, &c, 1, width, left);
            break;
        }
        case 'T':
            put_duration(f, va_arg(ap, uint32_t), width, left);
            break;
        case 'W':
            put_wall(f, va_arg(ap, uint32_t), width, left);
            break;
        case '%':
            fmt_putc(f, '%');
            break;
        default: /* a bug in a format string: show it rather than guess */
            fmt_putc(f, '%');
            if (!*p) return;
            fmt_putc(f, *p);
            break;
        }
    }
}

void fmt_add(fmt_t *f, const char *spec, ...)
{
    va_list ap;
    va_start(ap, spec);
    fmt_vadd(f, spec, ap);
    va_end(ap);
}
