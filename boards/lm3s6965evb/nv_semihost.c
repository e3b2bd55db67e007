/*
 * The NV store as a file on the host running QEMU, through semihosting:
 * QEMU does not model the flash controller's programming, and settings must
 * survive a restart of QEMU. Same geometry and semantics as the flash
 * (1 KiB pages, erase to 0xFF, program ANDs: boards/common/nv_emul.h).
 * Real boards use nv_flash.c.
 */
#include "board.h"
#include "nv_emul.h"

#define PAGE_SIZE 1024u
#define PAGE_COUNT 22u /* as nv_flash.c */
#define SYS_OPEN 0x01
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_SEEK 0x0A
#define SYS_FLEN 0x0C

static const char path[] = "smbwarden-nv.bin";
static int fd = -1;

static int seek_and(int op, uint32_t off, const void *buf, size_t len)
{
    uint32_t seek[2] = {(uint32_t)fd, off};
    uint32_t io[3] = {(uint32_t)fd, (uint32_t)buf, (uint32_t)len};
    if (semihost_call(SYS_SEEK, seek) != 0) return -1;
    return semihost_call(op, io) == 0 ? 0 : -1; /* 0: all moved */
}

static int sh_read(uint32_t off, void *buf, size_t len) { return seek_and(SYS_READ, off, buf, len); }

static int sh_write(uint32_t off, const void *buf, size_t len)
{
    return seek_and(SYS_WRITE, off, buf, len);
}

static const nv_emul_io_t semihost_io = {PAGE_SIZE, PAGE_COUNT, sh_read, sh_write, NULL};

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
    return nv_emul_bind(&semihost_io, size > 0 ? (uint32_t)size : 0);
}
