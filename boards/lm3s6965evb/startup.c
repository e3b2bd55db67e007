/* Vector table and reset for the LM3S6965 (Cortex-M3). */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "lm3s6965.h"

extern uint32_t _data_load[], _data_start[], _data_end[], _bss_start[], _bss_end[];
extern uint32_t _stack_bottom[], _stack_top[];
int main(void);
void reset_handler(void);

static void default_handler(void)
{
    for (;;) {} /* the watchdog resets a board stuck here */
}

void reset_handler(void)
{
    memcpy(_data_start, _data_load, (size_t)((char *)_data_end - (char *)_data_start));
    memset(_bss_start, 0, (size_t)((char *)_bss_end - (char *)_bss_start));
    /* Paint the stack below the current frame for the high-water mark. */
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = _stack_bottom; (uintptr_t)p < sp - 64u; p++) *p = STACK_PAINT;
    main();
    for (;;) {}
}

void nmi_handler(void) __attribute__((weak, alias("default_handler")));
void hardfault_handler(void) __attribute__((weak, alias("default_handler")));
void ethernet_handler(void) __attribute__((weak, alias("default_handler")));

/* 16 system exceptions, then the LM3S6965's 43 interrupts (IRQ 0..42). */
#define D default_handler
__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 43])(void) = {
    (void (*)(void))_stack_top, reset_handler, nmi_handler, hardfault_handler,
    D, D, D, D, D, D, D, D, D, D, D, systick_handler,
    /* IRQ 0..4: GPIO A-E; 5: UART0 */
    D, D, D, D, D, uart0_handler,
    /* IRQ 6..41 */
    D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,
    D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,
    /* IRQ 42: Ethernet */
    ethernet_handler,
};
