/* Console bytes into the core with the management channel's commands
 * (line editing, every command, `cert` pastes and the unseen PSK and seed):
 * nothing crashes, everything the console writes is printable UTF-8 (no
 * control bytes from outside reach the terminal), and once the input ends
 * (ctrl-C) no paste or credential holds on to TLS pool memory. A pipe console (no echo)
 * and a terminal one take turns by the first byte. */
#include <string.h>

#include "agent.h"
#include "cert_cmd.h"
#include "console.h"
#include "fake_hal.h"
#include "fuzz.h"
#include "fuzz_core.h"
#include "tls.h"

static void drain(void)
{
    for (int i = 0; i < 400 && agent_poll(fake_ms) == 0; i++) {}
}

/* The TLS pool bytes in use with an erased store, nothing in force. */
static size_t nothing_in_force(void)
{
    char ebuf[120];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    fake_nv_reset();
    (void)tls_setup(&err);
    return tls_stats()->pool_used;
}

/* What a block may cost more or less after the pool was used: the
 * allocator hands out a free block whole when the rest would be too small
 * to split off, so the same blocks can count up to this much more. A
 * paste left behind (CREDS_MAX bytes) or a credential set (kilobytes) is
 * far more. */
#define PLACEMENT_SLACK 128u

/* Whether the input holds the word cert, in any case. */
static bool mentions_cert(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if ((d[i] | 0x20) == 'c' && (d[i + 1] | 0x20) == 'e' && (d[i + 2] | 0x20) == 'r' &&
            (d[i + 3] | 0x20) == 't')
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    console_extend(&cert_console); /* kept by every console_init */
    fuzz_boot_pages(data[0] & 1, 24); /* the firmware's store: credentials, no event log */
    /* the TLS pool is looked at only when a `cert` command may have run */
    bool certs = mentions_cert(data, size);
    size_t base = certs ? nothing_in_force() : 0;
    fake_smb_add(11, 1, "SVC\x1b[2J", "us\xe9r", 0, 5 * 3600);
    fake_smb_add(12, 2, "10.0.0.9", "", 1, 0);
    data++, size--;
    /* in slices, with time passing, as a terminal delivers them */
    for (size_t at = 0; at < size;) {
        size_t n = size - at < 64 ? size - at : 64;
        fake_console_type_n((const char *)data + at, n);
        at += n;
        fake_ms += 100;
        drain();
    }
    /* the end of the line, then ctrl-C twice, each after a quiet second (an
     * overrun discards input until the line is quiet): a listing stops, a
     * paste is dropped */
    fake_console_type_n("\n", 1);
    for (int i = 0; i < 3; i++) {
        for (int t = 0; t < 20; t++) {
            fake_ms += 100;
            drain();
        }
        if (i < 2) fake_console_type_n("\x03", 1);
    }
    FUZZ_CHECK(fuzz_printable((const uint8_t *)fake_console_out(), fake_console_out_len()));
    if (certs) FUZZ_CHECK(nothing_in_force() <= base + PLACEMENT_SLACK);
    return 0;
}
