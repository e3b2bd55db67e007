/*
 * The end of the firmware on a broken invariant: a last word on the
 * console, then a reset. fw_panic for the checks that know what broke;
 * the fault handler for the rest, lwIP's failed assertions among them (a
 * trap instruction, lwip/arch/cc.h).
 */
#include <string.h>

#include "fmt.h"
#include "fw.h"
#include "hal_console.h"
#include "hal_watchdog.h"

/* Bounded: a console that takes nothing more must not stop the reset.
 * From the fault handler too, outside hal_console.h's main-loop context:
 * the LM3S6965's console writes the UART's FIFO directly; on a board whose
 * console needs its interrupt, the message is lost, never the reset. */
static void say(const char *s)
{
    size_t len = strlen(s);
    for (size_t sent = 0, tries = 0; sent < len && tries < 100000u; tries++)
        sent += hal_console_write((const uint8_t *)s + sent, len - sent);
}

void fw_panic(const char *msg)
{
    say("\r\n");
    say(msg);
    say("\r\n");
    hal_system_reset();
    for (;;) {}
}

/* frame: what the Cortex-M stacked on the fault (r0-r3, r12, lr, pc, xpsr).
 * `arm-none-eabi-addr2line -e smbwarden.elf ADDR` names the source line of
 * the pc (for a trap, the failed check itself) and of the lr (its caller). */
void fw_fault(const uint32_t *frame) __attribute__((noreturn, used));
void fw_fault(const uint32_t *frame)
{
    char msg[64];
    fmt_t f;
    fmt_init(&f, msg, sizeof msg);
    fmt_add(&f, "fault at pc 0x%x, lr 0x%x", frame[6], frame[5]);
    fw_panic(msg);
}

/* Replaces the board's default (a loop until the watchdog bites). The
 * firmware runs on the main stack alone, in thread and handler mode. */
__attribute__((naked)) void hardfault_handler(void);
void hardfault_handler(void)
{
    __asm__ volatile("mrs r0, msp\n\t"
                     "b fw_fault\n\t");
}
