#include <string.h>

#include "fake_hal.h"
#include "hal_nv.h"

uint8_t fake_nv_mem[FAKE_NV_PAGE * FAKE_NV_PAGES];
int fake_nv_ops_left = -1;
int fake_nv_ops;
int fake_nv_erases;
int fake_nv_erase_errors;
int fake_nv_program_errors;
int32_t fake_nv_flaky_at = -1;
int fake_nv_flaky_after;
bool fake_nv_word_cuts;
int fake_nv_refuse_nth = -1;
int fake_nv_refused_lands;
uint32_t fake_nv_pages = FAKE_NV_PAGES;
static bool power = true;

void fake_nv_reset(void)
{
    memset(fake_nv_mem, 0xff, sizeof fake_nv_mem);
    fake_nv_ops_left = -1;
    fake_nv_ops = fake_nv_erases = fake_nv_erase_errors = fake_nv_program_errors = 0;
    fake_nv_pages = FAKE_NV_PAGES;
    fake_nv_flaky_at = -1;
    fake_nv_word_cuts = false;
    fake_nv_refuse_nth = -1;
    fake_nv_refused_lands = 0;
    power = true;
}

bool fake_nv_powered(void) { return power; }

static uint8_t kept[2][sizeof fake_nv_mem];
void fake_nv_keep(int slot) { memcpy(kept[slot], fake_nv_mem, sizeof kept[slot]); }
void fake_nv_back(int slot) { memcpy(fake_nv_mem, kept[slot], sizeof kept[slot]); }
bool fake_nv_programmed(int slot)
{
    for (size_t i = 0; i < sizeof kept[slot]; i++)
        if (fake_nv_mem[i] != kept[slot][i] && fake_nv_mem[i] != 0xff) return true;
    return false;
}

void fake_nv_reset_power(void) { power = true; }

/* Counts an erase/program: 1 it completes, 0 power fails during it,
 * -1 there is no power at all. */
static int spend(void)
{
    if (!power) return -1;
    fake_nv_ops++;
    if (fake_nv_ops_left >= 0 && fake_nv_ops_left-- == 0) {
        power = false;
        return 0;
    }
    return 1;
}

/* Whether the controller refuses this op (one of *errors still to fail):
 * an error with the power on, nothing changed. */
static bool refused(int *errors)
{
    if (*errors <= 0) return false;
    --*errors;
    return true;
}

void hal_nv_geometry(hal_nv_geometry_t *geo)
{
    geo->page_size = FAKE_NV_PAGE;
    geo->page_count = fake_nv_pages;
}

int hal_nv_read(uint32_t off, void *buf, size_t len)
{
    if (off > sizeof fake_nv_mem || len > sizeof fake_nv_mem - off) return HAL_NV_ERANGE;
    if (!power) return HAL_NV_EIO;
    if (fake_nv_flaky_at >= 0 && (uint32_t)fake_nv_flaky_at - off < len && fake_nv_flaky_after-- == 0) {
        fake_nv_flaky_at = -1;
        return HAL_NV_EIO;
    }
    memcpy(buf, fake_nv_mem + off, len);
    return HAL_NV_OK;
}

int hal_nv_erase(uint32_t page)
{
    if (page >= FAKE_NV_PAGES) return HAL_NV_ERANGE;
    if (refused(&fake_nv_erase_errors)) return HAL_NV_EIO;
    int r = spend();
    if (r < 0) return HAL_NV_EIO;
    fake_nv_erases++;
    /* A cut leaves the first half erased and the rest as it was. */
    memset(fake_nv_mem + page * FAKE_NV_PAGE, 0xff, r ? FAKE_NV_PAGE : FAKE_NV_PAGE / 2);
    return r ? HAL_NV_OK : HAL_NV_EIO;
}

int hal_nv_program(uint32_t off, const void *buf, size_t len)
{
    if (off > sizeof fake_nv_mem || len > sizeof fake_nv_mem - off || (off | len) % 4)
        return HAL_NV_ERANGE;
    const uint8_t *src = buf;
    bool nth = fake_nv_refuse_nth >= 0 && fake_nv_refuse_nth-- == 0;
    if (nth || refused(&fake_nv_program_errors)) {
        size_t landed = fake_nv_refused_lands == 2 ? len : fake_nv_refused_lands == 1 ? len / 2 & ~(size_t)3 : 0;
        for (size_t i = 0; i < landed; i++) fake_nv_mem[off + i] &= src[i];
        return HAL_NV_EIO;
    }
    if (fake_nv_word_cuts) { /* each word an op: a cut lands the words before it */
        for (size_t i = 0; i < len; i += 4) {
            int r = spend();
            if (r < 0) return HAL_NV_EIO;
            if (r == 0) return HAL_NV_EIO;
            for (size_t b = 0; b < 4; b++) fake_nv_mem[off + i + b] &= src[i + b];
        }
        return HAL_NV_OK;
    }
    int r = spend();
    if (r < 0) return HAL_NV_EIO;
    /* A cut lands only the first half of the bytes. */
    size_t n = r ? len : len / 2;
    for (size_t i = 0; i + 4 <= n; i += 4) { /* a word at a time, as flash programs */
        uint32_t w, v;
        memcpy(&w, fake_nv_mem + off + i, 4);
        memcpy(&v, src + i, 4);
        w &= v;
        memcpy(fake_nv_mem + off + i, &w, 4);
    }
    for (size_t i = n & ~(size_t)3; i < n; i++) fake_nv_mem[off + i] &= src[i];
    return r ? HAL_NV_OK : HAL_NV_EIO;
}
