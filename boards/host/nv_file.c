/* The NV store as a file, with flash semantics (erase to 0xFF, program ANDs). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hal_nv.h"
#include "host.h"

#define PAGE_SIZE 1024u
#define PAGE_COUNT 32u

static int nv_fd = -1;

int host_nv_open(const char *dir)
{
    char path[4096];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/nv.bin", dir) >= (int)sizeof path) return errno = ENAMETOOLONG, -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -1;
    nv_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (nv_fd < 0 || fstat(nv_fd, &st) != 0) return -1;
    /* A new or short file reads as erased flash. */
    for (uint32_t p = (uint32_t)(st.st_size / PAGE_SIZE); p < PAGE_COUNT; p++)
        if (hal_nv_erase(p) != HAL_NV_OK) return -1;
    return 0;
}

void hal_nv_geometry(hal_nv_geometry_t *geo)
{
    geo->page_size = PAGE_SIZE;
    geo->page_count = PAGE_COUNT;
}

static bool in_range(uint32_t off, size_t len)
{
    return nv_fd >= 0 && off <= PAGE_SIZE * PAGE_COUNT && len <= PAGE_SIZE * PAGE_COUNT - off;
}

int hal_nv_read(uint32_t off, void *buf, size_t len)
{
    if (!in_range(off, len)) return HAL_NV_ERANGE;
    return pread(nv_fd, buf, len, off) == (ssize_t)len ? HAL_NV_OK : HAL_NV_EIO;
}

int hal_nv_erase(uint32_t page)
{
    uint8_t ff[PAGE_SIZE];
    if (page >= PAGE_COUNT || nv_fd < 0) return HAL_NV_ERANGE;
    memset(ff, 0xff, sizeof ff);
    if (pwrite(nv_fd, ff, sizeof ff, (off_t)page * PAGE_SIZE) != (ssize_t)sizeof ff) return HAL_NV_EIO;
    return fdatasync(nv_fd) == 0 ? HAL_NV_OK : HAL_NV_EIO;
}

int hal_nv_program(uint32_t off, const void *buf, size_t len)
{
    uint8_t cur[PAGE_SIZE];
    const uint8_t *src = buf;
    if (!in_range(off, len) || (off | len) % 4) return HAL_NV_ERANGE;
    while (len) {
        size_t n = len < sizeof cur ? len : sizeof cur;
        if (pread(nv_fd, cur, n, off) != (ssize_t)n) return HAL_NV_EIO;
        for (size_t i = 0; i < n; i++) cur[i] &= src[i];
        if (pwrite(nv_fd, cur, n, off) != (ssize_t)n) return HAL_NV_EIO;
        off += (uint32_t)n, src += n, len -= n;
    }
    return fdatasync(nv_fd) == 0 ? HAL_NV_OK : HAL_NV_EIO;
}
