/* /proc/PID/stat, parsed (samba.h): kept apart so that its tests and fuzz
 * target need nothing else of the board. */
#include <stdio.h>
#include <string.h>

#include "samba.h"

int samba_parse_stat(const char *text, char *comm, size_t cap, pid_t *ppid, uint64_t *start)
{
    const char *open = strchr(text, '('), *close = strrchr(text, ')');
    if (!open || !close || close < open || close[1] != ' ') return -1; /* fields follow ") " */
    snprintf(comm, cap, "%.*s", (int)(close - open - 1), open + 1);
    /* After the name: state ppid pgrp session tty tpgid flags minflt
     * cminflt majflt cmajflt utime stime cutime cstime priority nice
     * num_threads itrealvalue starttime (fields 3..22). */
    int p;
    unsigned long long st;
    if (sscanf(close + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                          "%*d %*d %*d %llu", &p, &st) != 2 || p < 0)
        return -1;
    *ppid = p;
    *start = st;
    return 0;
}
