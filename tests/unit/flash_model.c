/* The flash controller's register model (flash_model.h). */
#include <string.h>

#include "fake_hal.h"
#include "flash_model.h"
#include "flashc.h"

flash_model_t fm;
int fake_nv_ops_left = -1;
int fake_nv_ops;
int fake_nv_erases;
bool fake_nv_word_cuts; /* every word is a command here: always on */
static bool powered = true;

void fake_nv_reset(void)
{
    memset(&fm, 0, sizeof fm);
    memset(fm.mem, 0xff, sizeof fm.mem);
    fake_nv_ops_left = -1;
    fake_nv_ops = fake_nv_erases = 0;
    powered = true;
}

bool fake_nv_powered(void) { return powered; }
void fake_nv_reset_power(void) { powered = true; }
static uint8_t kept[2][sizeof fm.mem];
void fake_nv_keep(int slot) { memcpy(kept[slot], fm.mem, sizeof kept[slot]); }
void fake_nv_back(int slot) { memcpy(fm.mem, kept[slot], sizeof kept[slot]); }
bool fake_nv_programmed(int slot)
{
    for (size_t i = 0; i < sizeof kept[slot]; i++)
        if (fm.mem[i] != kept[slot][i] && fm.mem[i] != 0xff) return true;
    return false;
}

/* The model acts when a command with the right key is written to FMC. */
static void run_command(uint32_t cmd)
{
    if (!powered) return;
    bool cut = fake_nv_ops_left == 0;
    if (fake_nv_ops_left >= 0) fake_nv_ops_left--;
    fake_nv_ops++;
    if (fm.fma >= fm.protect_lo && fm.fma < fm.protect_hi) {
        fm.fcris |= FLASHC_ARIS;
        return;
    }
    if (cmd == FLASHC_ERASE) {
        uint32_t page = fm.fma & ~(FLASHC_PAGE - 1);
        fake_nv_erases++;
        memset(fm.mem + page, 0xff, cut ? FLASHC_PAGE / 2 : FLASHC_PAGE);
    } else if (cmd == FLASHC_WRITE) {
        uint32_t v = cut ? (fm.fmd | 0xffff0000u) : fm.fmd; /* half the bits land */
        for (int i = 0; i < 4; i++) fm.mem[(fm.fma & ~3u) + (uint32_t)i] &= (uint8_t)(v >> (8 * i));
    }
    if (cut) powered = false;
}

uint32_t flashc_read(uint32_t reg)
{
    switch (reg) {
    case FLASHC_FMC:
        if (fm.stuck) return fm.fmc;
        if (fm.busy_polls > 0) return fm.busy_polls--, fm.fmc;
        return 0;
    case FLASHC_FCRIS: return fm.fcris;
    case FLASHC_FMA: return fm.fma;
    default: return 0;
    }
}

void flashc_write(uint32_t reg, uint32_t v)
{
    switch (reg) {
    case FLASHC_FMA: fm.fma = v; break;
    case FLASHC_FMD: fm.fmd = v; break;
    case FLASHC_FCMISC: fm.fcris &= ~v; break;
    case FLASHC_FMC:
        if ((v & 0xffff0000u) != FLASHC_WRKEY) break; /* wrong key: ignored */
        fm.fmc = v & 0xffffu;
        fm.busy_polls = 3;
        run_command(fm.fmc);
        break;
    default: break;
    }
}

const uint8_t *flashc_mem(uint32_t addr) { return fm.mem + addr; }
