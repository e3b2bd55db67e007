/* board.h - what the firmware main loop needs from the LM3S6965EVB board. */
#ifndef BOARD_H
#define BOARD_H

#include <stdbool.h>
#include <stdint.h>

/* Clocks, UART0 console, SysTick; interrupts on. */
void board_init(void);

/* Whether anything waits for the loop (received bytes or frames). */
bool board_pending(void);

/* Sleeps until the next interrupt (at most 1 ms: SysTick). */
void board_idle(void);

/* Bytes of the stack never touched since reset (painted at start). */
uint32_t board_stack_unused(void);

/* Interrupt handlers (vector table in startup.c). */
void systick_handler(void);
void uart0_handler(void);
void ethernet_handler(void);
void nmi_handler(void);
void hardfault_handler(void);

/* Opens the NV file through semihosting (nv_semihost.c). 0, or -1. */
int nv_semihost_open(void);

/* Sets the wall clock (seconds since 1970 UTC; SNTP's answer). */
void board_set_wall_s(uint32_t s);

/* CPU clock cycles since reset (SysTick-based, 12 MHz under QEMU). */
uint64_t board_cycles(void);

/* Semihosting (only under a debugger or QEMU with semihosting on). */
int semihost_call(int op, void *arg);
void semihost_exit(int code);

#endif
