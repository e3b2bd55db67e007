/* Console bytes into the core (line editing, every command, a paste):
 * nothing crashes, and everything the console writes is printable UTF-8
 * (no control bytes from outside reach the terminal). A pipe console
 * (no echo) and a terminal one take turns by the first byte. */
#include <string.h>

#include "agent.h"
#include "fake_hal.h"
#include "fuzz.h"
#include "fuzz_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fuzz_boot(data[0] & 1);
    fake_smb_add(11, 1, "SVC\x1b[2J", "us\xe9r", 0, 5 * 3600);
    fake_smb_add(12, 2, "10.0.0.9", "", 1, 0);
    data++, size--;
    /* in slices, with time passing, as a terminal delivers them */
    for (size_t at = 0; at < size;) {
        size_t n = size - at < 64 ? size - at : 64;
        fake_console_type_n((const char *)data + at, n);
        at += n;
        fake_ms += 100;
        for (int i = 0; i < 200 && agent_poll(fake_ms) == 0; i++) {}
    }
    fake_console_type_n("\n", 1);
    for (int i = 0; i < 200 && agent_poll(fake_ms) == 0; i++) {}
    FUZZ_CHECK(fuzz_printable((const uint8_t *)fake_console_out(), fake_console_out_len()));
    return 0;
}
