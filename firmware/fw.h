/* fw.h - the parts of the firmware loop a board or build selects. */
#ifndef FW_H
#define FW_H

#include <stdint.h>

/* Opens the NV store (semihosting file under QEMU, flash otherwise). */
void fw_nv_init(void);

/* Brings up the network and the management channel, and advances them.
 * fw_net_poll returns the ms until it needs to run again (0: at once). */
void fw_net_init(void);
uint32_t fw_net_poll(uint32_t now_ms);

/* A broken invariant (mbedTLS's pool found corrupted, a fault: see
 * firmware/panic.c): says msg on the console, as far as the UART takes it
 * without interrupts, and resets the board. */
void fw_panic(const char *msg) __attribute__((noreturn));

#endif
