/* sock_diag replies as the kernel's recv() gives them: any bytes are read
 * within the buffer (the copy is exactly sized and aligned as recv's is),
 * and an answer is done, more or an error. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tcpact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void *buf = aligned_alloc(8, (size + 7) & ~(size_t)7);
    if (!buf) return 0;
    memcpy(buf, data, size);
    tcp_flows_t f = {0};
    errno = 0;
    int rc = tcpact_take(&f, buf, size);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    if (rc < 0) FUZZ_CHECK(errno > 0 && errno < 4096);
    FUZZ_CHECK(f.count <= size / 16);
    tcpact_flows_free(&f);
    free(buf);
    return 0;
}
