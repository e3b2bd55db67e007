#include "nv_emul.h"

#include <stdbool.h>
#include <string.h>

#include "hal_nv.h"

#define CHUNK 64u /* bytes moved at a time: small enough for any stack */

static const nv_emul_io_t *io;

int nv_emul_bind(const nv_emul_io_t *store, uint32_t size)
{
    io = store;
    for (uint32_t p = size / io->page_size; p < io->page_count; p++)
        if (hal_nv_erase(p) != HAL_NV_OK) return -1;
    return 0;
}

void hal_nv_geometry(hal_nv_geometry_t *geo)
{
    geo->page_size = io ? io->page_size : 0;
    geo->page_count = io ? io->page_count : 0;
}

static bool in_range(uint32_t off, size_t len)
{
    uint32_t total = io ? io->page_size * io->page_count : 0;
    return io && off <= total && len <= total - off;
}

static int synced(void) { return !io->sync || io->sync() == 0 ? HAL_NV_OK : HAL_NV_EIO; }

int hal_nv_read(uint32_t off, void *buf, size_t len)
{
    if (!in_range(off, len)) return HAL_NV_ERANGE;
    return len == 0 || io->read(off, buf, len) == 0 ? HAL_NV_OK : HAL_NV_EIO;
}

int hal_nv_erase(uint32_t page)
{
    uint8_t ff[CHUNK];
    if (!io || page >= io->page_count) return HAL_NV_ERANGE;
    memset(ff, 0xff, sizeof ff);
    for (uint32_t o = 0; o < io->page_size; o += sizeof ff)
        if (io->write(page * io->page_size + o, ff, sizeof ff) != 0) return HAL_NV_EIO;
    return synced();
}

int hal_nv_program(uint32_t off, const void *buf, size_t len)
{
    uint8_t cur[CHUNK];
    const uint8_t *src = buf;
    if (!in_range(off, len) || (off | len) % 4) return HAL_NV_ERANGE;
    while (len) {
        size_t n = len < sizeof cur ? len : sizeof cur;
        if (io->read(off, cur, n) != 0) return HAL_NV_EIO;
        for (size_t i = 0; i < n; i++) cur[i] &= src[i];
        if (io->write(off, cur, n) != 0) return HAL_NV_EIO;
        off += (uint32_t)n, src += n, len -= n;
    }
    return synced();
}
