/* flash_model.h - a register model of the LM3S6965 flash controller, for
 * the flash driver (boards/lm3s6965evb/nv_flash.c) in host tests: program
 * ANDs bits into one word, erase sets a 1 KiB page to 0xFF, commands take a
 * few polls, protected pages fault, and power can be cut in the middle of
 * any command. It also serves the fake NV API of fake_hal.h (reset, cuts,
 * snapshots), so a test written against the fake runs on the driver too. */
#ifndef FLASH_MODEL_H
#define FLASH_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define FLASH_SIZE (256u * 1024u)

typedef struct {
    uint8_t mem[FLASH_SIZE];
    uint32_t fma, fmd, fmc, fcris;
    int busy_polls;                  /* reads of FMC that still show the command running */
    bool stuck;                      /* the controller never finishes */
    uint32_t protect_lo, protect_hi; /* a protected address range */
} flash_model_t;

/* Ops and cuts are fake_nv_ops and fake_nv_ops_left (fake_hal.h); a cut
 * word lands half its bits, a cut erase half the page. */
extern flash_model_t fm;

#endif
