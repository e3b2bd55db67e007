/* The NV store as a file, with flash semantics (boards/common/nv_emul.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nv_emul.h"
#include "host.h"

#define PAGE_SIZE 1024u
#define PAGE_COUNT 128u /* 0..31 settings and credentials, 32..127 the event log */

static int nv_fd = -1;

static int file_read(uint32_t off, void *buf, size_t len)
{
    return pread(nv_fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

static int file_write(uint32_t off, const void *buf, size_t len)
{
    return pwrite(nv_fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

static int file_sync(void) { return fdatasync(nv_fd); }

static const nv_emul_io_t file_io = {PAGE_SIZE, PAGE_COUNT, file_read, file_write, file_sync};

/* mkdir -p with mode 0700 for every directory it makes. */
static int make_dirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n >= sizeof path) return errno = ENAMETOOLONG, -1;
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; ; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) return -1;
        *p = c;
        if (!c) return 0;
    }
}

int host_nv_open(const char *dir)
{
    char path[4096];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/nv.bin", dir) >= (int)sizeof path) return errno = ENAMETOOLONG, -1;
    if (make_dirs(dir) != 0) return -1;
    nv_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (nv_fd < 0 || fstat(nv_fd, &st) != 0) return -1;
    uint32_t size = st.st_size < PAGE_SIZE * PAGE_COUNT ? (uint32_t)st.st_size : PAGE_SIZE * PAGE_COUNT;
    return nv_emul_bind(&file_io, size);
}
