/*
 * The NV store as a file on the host running QEMU, through semihosting:
 * QEMU does not model the flash controller's programming, and settings must
 * survive a restart of QEMU. Same geometry and semantics as the flash
 * (1 KiB pages, erase to 0xFF, program ANDs). Real boards use nv_flash.c.
 */
#include <string.h>

#include "board.h"
#include "hal_nv.h"

#define PAGE_SIZE 1024u
#define PAGE_COUNT 16u
#define SYS_OPEN 0x01
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_SEEK 0x0A
#define SYS_FLEN 0x0C

static const char path[] = "smbwarden-nv.bin";
static int fd = -1;

static int xfer(int op, uint32_t off, void *buf, size_t len)
{
    uint32_t seek[2] = {(uint32_t)fd, off};
    uint32_t io[3] = {(uint32_t)fd, (uint32_t)buf, (uint32_t)len};
    if (semihost_call(SYS_SEEK, seek) != 0) return HAL_NV_EIO;
    return semihost_call(op, io) == 0 ? HAL_NV_OK : HAL_NV_EIO; /* 0: all moved */
}

/* Opens (creating and erasing) the file. 0, or -1. */
int nv_semihost_open(void)
{
    uint32_t open_rw[3] = {(uint32_t)path, 3 /* "r+b" */, sizeof path - 1};
    uint32_t open_new[3] = {(uint32_t)path, 7 /* "w+b" */, sizeof path - 1};
    fd = semihost_call(SYS_OPEN, open_rw);
    if (fd < 0) fd = semihost_call(SYS_OPEN, open_new);
    if (fd < 0) return -1;
    uint32_t flen[1] = {(uint32_t)fd};
    int size = semihost_call(SYS_FLEN, flen);
    for (uint32_t p = size > 0 ? (uint32_t)size / PAGE_SIZE : 0; p < PAGE_COUNT; p++)
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
    return fd >= 0 && off <= PAGE_SIZE * PAGE_COUNT && len <= PAGE_SIZE * PAGE_COUNT - off;
}

int hal_nv_read(uint32_t off, void *buf, size_t len)
{
    if (!in_range(off, len)) return HAL_NV_ERANGE;
    return len ? xfer(SYS_READ, off, buf, len) : HAL_NV_OK;
}

int hal_nv_erase(uint32_t page)
{
    uint8_t ff[128];
    if (page >= PAGE_COUNT || fd < 0) return HAL_NV_ERANGE;
    memset(ff, 0xff, sizeof ff);
    for (uint32_t o = 0; o < PAGE_SIZE; o += sizeof ff)
        if (xfer(SYS_WRITE, page * PAGE_SIZE + o, ff, sizeof ff) != HAL_NV_OK) return HAL_NV_EIO;
    return HAL_NV_OK;
}

int hal_nv_program(uint32_t off, const void *buf, size_t len)
{
    uint8_t cur[64];
    const uint8_t *src = buf;
    if (!in_range(off, len) || (off | len) % 4) return HAL_NV_ERANGE;
    while (len) {
        size_t n = len < sizeof cur ? len : sizeof cur;
        if (xfer(SYS_READ, off, cur, n) != HAL_NV_OK) return HAL_NV_EIO;
        for (size_t i = 0; i < n; i++) cur[i] &= src[i];
        if (xfer(SYS_WRITE, off, cur, n) != HAL_NV_OK) return HAL_NV_EIO;
        off += (uint32_t)n, src += n, len -= n;
    }
    return HAL_NV_OK;
}
