/*
 * The NV store in the LM3S6965's own flash: NV_FLASH_PAGES 1 KiB pages at
 * the top, erased and programmed through the flash controller. A command is
 * written to FMC and the driver waits for the bit to clear: about 20 ms for
 * a page erase, 50 us for a word, as hal_nv.h allows. QEMU does not model
 * programming, so the QEMU image uses nv_semihost.c instead; this driver is
 * tested on the host against a register model (tests/unit/test_nv_flash.c).
 */
#include <stdbool.h>
#include <string.h>

#include "flashc.h"
#include "hal_nv.h"

#ifndef NV_FLASH_BASE
#define NV_FLASH_BASE 0x3C000u /* pages 0..15: the top 16 KiB of the 256 KiB flash */
#endif
#ifndef NV_FLASH_PAGES
#define NV_FLASH_PAGES 22u
#endif
/* Pages added after the first sixteen go below NV_FLASH_BASE, growing
 * down, so that no page moves when more are added: page 16 sits at
 * BASE - 1 KiB, page 17 at BASE - 2 KiB, and so on. */
#define NV_FLASH_FIRST_PAGES 16u
#define POLL_LIMIT 2000000u /* ~>25 ms at 50 MHz: a controller that never
                               finishes is reported, not waited on forever */

void hal_nv_geometry(hal_nv_geometry_t *geo)
{
    geo->page_size = FLASHC_PAGE;
    geo->page_count = NV_FLASH_PAGES;
}

static bool in_range(uint32_t off, size_t len)
{
    return off <= FLASHC_PAGE * NV_FLASH_PAGES && len <= FLASHC_PAGE * NV_FLASH_PAGES - off;
}

/* Issues a command and waits for it; HAL_NV_OK or HAL_NV_EIO. */
static int command(uint32_t addr, uint32_t cmd)
{
    flashc_write(FLASHC_FCMISC, FLASHC_ARIS | FLASHC_PRIS);
    flashc_write(FLASHC_FMA, addr);
    flashc_write(FLASHC_FMC, FLASHC_WRKEY | cmd);
    for (uint32_t i = 0; flashc_read(FLASHC_FMC) & cmd; i++)
        if (i == POLL_LIMIT) return HAL_NV_EIO;
    return (flashc_read(FLASHC_FCRIS) & (FLASHC_ARIS | FLASHC_PRIS)) ? HAL_NV_EIO : HAL_NV_OK;
}

/* The flash address of NV byte off. */
static uint32_t address(uint32_t off)
{
    uint32_t page = off / FLASHC_PAGE, in_page = off % FLASHC_PAGE;
    if (page < NV_FLASH_FIRST_PAGES) return NV_FLASH_BASE + off;
    return NV_FLASH_BASE - (page - NV_FLASH_FIRST_PAGES + 1u) * FLASHC_PAGE + in_page;
}

int hal_nv_read(uint32_t off, void *buf, size_t len)
{
    uint8_t *out = buf;
    if (!in_range(off, len)) return HAL_NV_ERANGE;
    while (len) { /* a page at a time: pages need not be adjacent */
        size_t n = FLASHC_PAGE - off % FLASHC_PAGE;
        if (n > len) n = len;
        memcpy(out, flashc_mem(address(off)), n);
        out += n, off += (uint32_t)n, len -= n;
    }
    return HAL_NV_OK;
}

int hal_nv_erase(uint32_t page)
{
    if (page >= NV_FLASH_PAGES) return HAL_NV_ERANGE;
    return command(address(page * FLASHC_PAGE), FLASHC_ERASE);
}

int hal_nv_program(uint32_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (!in_range(off, len) || (off | len) % 4) return HAL_NV_ERANGE;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t word;
        memcpy(&word, p + i, 4); /* little-endian, as the CPU reads it back */
        flashc_write(FLASHC_FMD, word);
        int rc = command(address(off + (uint32_t)i), FLASHC_WRITE);
        if (rc != HAL_NV_OK) return rc;
    }
    return HAL_NV_OK;
}
