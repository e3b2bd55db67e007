#include <string.h>

#include "fake_hal.h"
#include "hal_console.h"

static char in[4096];
static size_t in_len, in_pos;
static char out[65536];
static size_t out_len;
size_t fake_console_max_write;
bool fake_console_lost;

bool hal_console_overrun(void)
{
    bool lost = fake_console_lost;
    fake_console_lost = false;
    return lost;
}

void fake_console_reset(void)
{
    in_len = in_pos = out_len = 0;
    fake_console_max_write = 0;
}

void fake_console_type_n(const char *s, size_t n)
{
    if (in_pos == in_len) in_pos = in_len = 0;
    if (n > sizeof in - in_len) n = sizeof in - in_len;
    memcpy(in + in_len, s, n);
    in_len += n;
}

void fake_console_type(const char *s) { fake_console_type_n(s, strlen(s)); }

size_t fake_console_out_len(void) { return out_len; }

const char *fake_console_out(void)
{
    out[out_len] = '\0';
    return out;
}

void fake_console_clear_out(void) { out_len = 0; }

size_t hal_console_read(uint8_t *buf, size_t cap)
{
    size_t n = in_len - in_pos < cap ? in_len - in_pos : cap;
    memcpy(buf, in + in_pos, n);
    in_pos += n;
    return n;
}

size_t hal_console_write(const uint8_t *buf, size_t len)
{
    if (fake_console_max_write && len > fake_console_max_write) len = fake_console_max_write;
    if (len > sizeof out - 1 - out_len) len = sizeof out - 1 - out_len;
    memcpy(out + out_len, buf, len);
    out_len += len;
    return len;
}
