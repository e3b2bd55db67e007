/*
 * flashc.h - the LM3S6965 flash controller as the NV driver sees it: its
 * registers and the memory-mapped flash, reached through three functions so
 * the driver runs unchanged against a register model in host tests.
 */
#ifndef FLASHC_H
#define FLASHC_H

#include <stdint.h>

/* Register offsets from 0x400FD000 (data sheet, "Flash Memory"). */
#define FLASHC_FMA 0x000u   /* address of the word or page to act on */
#define FLASHC_FMD 0x004u   /* the word to program */
#define FLASHC_FMC 0x008u   /* command: WRKEY | one of the bits below */
#define FLASHC_FCRIS 0x00Cu /* raw interrupt status: access/programming errors */
#define FLASHC_FCMISC 0x014u /* write 1s to clear FCRIS bits */
#define FLASHC_WRKEY 0xA4420000u
#define FLASHC_WRITE 0x1u
#define FLASHC_ERASE 0x2u
#define FLASHC_ARIS 0x1u /* access to a protected region */
#define FLASHC_PRIS 0x2u /* programming failed */

#define FLASHC_PAGE 1024u

uint32_t flashc_read(uint32_t reg);
void flashc_write(uint32_t reg, uint32_t value);

/* The flash contents at addr, as the CPU reads them. */
const uint8_t *flashc_mem(uint32_t addr);

#endif
