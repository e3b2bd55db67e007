/* /proc/PID/stat texts: any bytes (NUL-terminated as read), the name fits
 * its buffer, and a parsed line has a sane parent. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "samba.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), comm[16];
    memcpy(text, data, size);
    text[size] = '\0';
    pid_t ppid = -1;
    uint64_t start;
    if (samba_parse_stat(text, comm, sizeof comm, &ppid, &start) == 0) {
        FUZZ_CHECK(memchr(comm, '\0', sizeof comm) != NULL);
        FUZZ_CHECK(ppid >= 0);
    }
    free(text);
    return 0;
}
