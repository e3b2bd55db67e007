/* The simulator's scenario text: any bytes load or are refused with a
 * message naming the line, and a loaded scenario runs a simulated day. */
#include <string.h>

#include "fake_hal.h"
#include "fuzz.h"
#include "hal_smb.h"
#include "simsmb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    simsmb_error_t err;
    fake_ms = 1000;
    if (simsmb_load((const char *)data, size, &err) != 0) {
        FUZZ_CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL);
        return 0;
    }
    static hal_smb_session_t batch[8];
    for (int step = 0; step < 48; step++) { /* half-hour steps */
        fake_ms += 30u * 60u * 1000u;
        size_t n;
        hal_smb_info_t info;
        int rc;
        do {
            rc = hal_smb_sample(batch, 8, &n, &info);
            FUZZ_CHECK(n <= 8);
        } while (rc == HAL_SMB_MORE);
    }
    return 0;
}
