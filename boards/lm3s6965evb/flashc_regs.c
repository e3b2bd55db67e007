/* The flash controller's registers and the flash itself, on the chip. */
#include "flashc.h"

#define FLASHC_BASE 0x400FD000u

uint32_t flashc_read(uint32_t reg) { return *(volatile uint32_t *)(FLASHC_BASE + reg); }

void flashc_write(uint32_t reg, uint32_t value) { *(volatile uint32_t *)(FLASHC_BASE + reg) = value; }

const uint8_t *flashc_mem(uint32_t addr) { return (const uint8_t *)addr; }
