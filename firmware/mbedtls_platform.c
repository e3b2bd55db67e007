/*
 * What mbedTLS takes from the platform on the firmware, where it has no C
 * library behind it (SMBWARDEN_MBEDTLS_BARE_METAL in
 * config/mbedtls_config.h): its snprintf, its exit, and gmtime_r for
 * certificate dates.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "fmt.h"
#include "fw.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"

/* True if every conversion in spec means the same to fmt_vadd as to
 * printf: %s %d %u %x %c %%, with '-', a width and %.Ns. printf's zero
 * padding, %X and length modifiers (%02X, %lu, %zu) are not among them. */
static bool spec_shared(const char *p)
{
    for (; *p; p++) {
        if (*p != '%') continue;
        p++;
        if (*p == '-') p++;
        if (*p == '0') return false;
        while (*p >= '0' && *p <= '9') p++;
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++) {}
        if (*p == '\0' || !strchr("sduxc%", *p)) return false;
    }
    return true;
}

/* snprintf for mbedTLS's X.509 and OID text (mbedtls_x509_dn_gets, ...:
 * none of them is linked today). Returns the length written, size or more
 * if the text was cut, -1 for size 0 or a conversion fmt_vadd does not
 * share with printf: each caller takes all three as "buffer too small". */
int fw_mbedtls_snprintf(char *buf, size_t size, const char *spec, ...)
{
    if (size == 0 || !spec_shared(spec)) return -1;
    fmt_t f;
    va_list ap;
    fmt_init(&f, buf, size);
    va_start(ap, spec);
    fmt_vadd(&f, spec, ap);
    va_end(ap);
    return f.overflow ? (int)size : (int)f.len;
}

/* Called only by the pool allocator (MBEDTLS_MEMORY_DEBUG), when it finds
 * its block list corrupted or is handed a pointer it never gave out. */
void fw_mbedtls_exit(int status)
{
    (void)status;
    fw_panic("mbedtls: TLS pool corrupted");
}

/* Seconds to a date for the X.509 validity checks, by the agent's own
 * calendar arithmetic. Times before 1970 or past 2106 do not occur: the
 * clock is SNTP's answer, which agent_wall_s() bounds. */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf)
{
    uint32_t v[6];
    if (*tt < 0 || (uint64_t)*tt > UINT32_MAX) return NULL;
    fmt_civil((uint32_t)*tt, v);
    memset(tm_buf, 0, sizeof *tm_buf);
    tm_buf->tm_year = (int)v[0] - 1900;
    tm_buf->tm_mon = (int)v[1] - 1;
    tm_buf->tm_mday = (int)v[2];
    tm_buf->tm_hour = (int)v[3];
    tm_buf->tm_min = (int)v[4];
    tm_buf->tm_sec = (int)v[5];
    return tm_buf;
}
