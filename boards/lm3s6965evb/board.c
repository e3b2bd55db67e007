/* LM3S6965EVB: SysTick clock, UART0 console, watchdog, reset, semihosting. */
#include "board.h"

#include <stddef.h>

#include "hal_clock.h"
#include "hal_console.h"
#include "hal_entropy.h"
#include "hal_watchdog.h"
#include "lm3s6965.h"

#define RX_RING 256 /* power of two */

static volatile uint32_t ticks_ms;
static volatile uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head, rx_tail; /* head: the interrupt's, tail: the loop's */
static volatile bool rx_lost;                /* set by the interrupt, cleared by the loop */

void systick_handler(void) { ticks_ms++; }

/* Received bytes go to the ring; when it is full they are dropped, and
 * so are bytes the UART itself lost (DR's overrun bit): said once to the
 * console (hal_console_overrun), which then discards the damaged line. */
void uart0_handler(void)
{
    UART0_ICR = UART_INT_RX | UART_INT_RT;
    while (!(UART0_FR & UART_FR_RXFE)) {
        uint32_t dr = UART0_DR;
        if (dr & UART_DR_OE) rx_lost = true;
        if (rx_head - rx_tail < RX_RING)
            rx_ring[rx_head++ % RX_RING] = (uint8_t)dr;
        else
            rx_lost = true;
    }
}

static void uart_init(void)
{
    SYSCTL_RCGC1 |= 1u;        /* UART0 clock */
    SYSCTL_RCGC2 |= 1u;        /* GPIO port A clock: PA0/PA1 carry UART0 */
    REG(0x40004420) |= 3u;     /* GPIOA AFSEL: PA0, PA1 to the UART */
    REG(0x4000451C) |= 3u;     /* GPIOA DEN */
    UART0_CTL = 0;
    UART0_IBRD = CPU_HZ / (16u * 115200u);             /* 115200 8N1 */
    UART0_FBRD = (CPU_HZ * 4u / 115200u + 1u) / 2u % 64u;
    UART0_LCRH = (3u << 5) | (1u << 4);                /* 8 bits, FIFOs */
    UART0_IM = UART_INT_RX | UART_INT_RT;
    UART0_CTL = (1u << 0) | (1u << 8) | (1u << 9);     /* UARTEN, TXE, RXE */
    NVIC_ISER0 = 1u << IRQ_UART0;
}

/* CPU_HZ (50 MHz): the PLL from the 8 MHz crystal, divided by 4. Bypassed
 * while it locks, as the datasheet's clock set-up sequence says. */
static void clock_init(void)
{
    uint32_t rcc = (SYSCTL_RCC | RCC_BYPASS) & ~RCC_USESYSDIV;
    SYSCTL_RCC = rcc;
    rcc = (rcc & ~(RCC_XTAL_M | RCC_OSCSRC_M | RCC_PWRDN | RCC_MOSCDIS)) | RCC_XTAL_8MHZ;
    SYSCTL_RCC = rcc;
    rcc = (rcc & ~RCC_SYSDIV_M) | RCC_SYSDIV_4 | RCC_USESYSDIV;
    SYSCTL_RCC = rcc;
    for (uint32_t i = 0; i < 1000000u && !(SYSCTL_RIS & RIS_PLLLRIS); i++) {} /* ~ms; bounded */
    SYSCTL_RCC = rcc & ~RCC_BYPASS;
}

void board_init(void)
{
    clock_init();
    SYST_RVR = CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* core clock, interrupt, enable */
    uart_init();
}

bool board_pending(void) { return rx_head != rx_tail; }

void board_idle(void) { __asm__ volatile("wfi"); }

uint32_t board_stack_unused(void)
{
    extern uint32_t _stack_bottom[], _stack_top[];
    const uint32_t *p = _stack_bottom;
    while (p < _stack_top && *p == STACK_PAINT) p++;
    return (uint32_t)((const char *)p - (const char *)_stack_bottom);
}

uint32_t hal_clock_ms(void) { return ticks_ms; }

/* No calendar clock: wall time is what SNTP last said (board_set_wall_s),
 * carried on by the millisecond tick; 0 until then. */
static uint32_t wall_base_s, wall_base_ms;
static bool wall_known;

void board_set_wall_s(uint32_t s)
{
    wall_base_s = s;
    wall_base_ms = ticks_ms;
    wall_known = true;
}

int64_t hal_clock_wall_s(void)
{
    if (!wall_known) return 0;
    return (int64_t)wall_base_s + (uint32_t)(ticks_ms - wall_base_ms) / 1000u;
}

uint64_t board_cycles(void)
{
    static uint64_t last;
    uint32_t ms, left;
    do { /* a tick between the two reads would mix two milliseconds */
        ms = ticks_ms;
        left = SYST_CVR;
    } while (ms != ticks_ms);
    uint64_t now = (uint64_t)ms * (CPU_HZ / 1000u) + (CPU_HZ / 1000u - 1u - left);
    /* The counter reloads a little before its interrupt is taken: until
     * then the millisecond it completed is not in ticks_ms yet. */
    if (now < last && last - now <= CPU_HZ / 1000u) now += CPU_HZ / 1000u;
    return last = now;
}

bool hal_console_overrun(void)
{
    if (!rx_lost) return false;
    rx_lost = false;
    return true;
}

size_t hal_console_read(uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap && rx_tail != rx_head) buf[n++] = rx_ring[rx_tail++ % RX_RING];
    return n;
}

/* Never waits: takes what the transmit FIFO has room for. */
size_t hal_console_write(const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && !(UART0_FR & UART_FR_TXFF)) UART0_DR = buf[n++];
    return n;
}

int hal_watchdog_start(uint32_t timeout_ms)
{
    SYSCTL_RCGC0 |= 1u << 3;
    WDT_LOCK = WDT_UNLOCK;
    WDT_LOAD = timeout_ms * (CPU_HZ / 1000u) / 2u; /* resets on the second time-out */
    WDT_CTL = 3u;                                  /* INTEN, RESEN */
    WDT_LOCK = 0;
    return 0;
}

void hal_watchdog_kick(void)
{
    WDT_LOCK = WDT_UNLOCK;
    WDT_ICR = 1u; /* any write reloads the counter */
    WDT_LOCK = 0;
}

/* No hardware random source on this chip: the TLS generator runs on the
 * NV seed alone (provisioned with `cert seed`). */
int hal_entropy_read(uint8_t *buf, size_t len)
{
    (void)buf, (void)len;
    return -1;
}

/* The cycle count: SysTick's current value at 12..50 MHz, against arrival
 * times set by the network's and the peer's clocks. */
uint32_t hal_entropy_jitter(void) { return (uint32_t)board_cycles(); }

void hal_system_reset(void)
{
    SCB_AIRCR = 0x05FA0004u; /* VECTKEY, SYSRESETREQ */
    for (;;) {}
}

bool hal_system_exit(void) { return false; } /* an appliance runs until switched off */

/* There is no heap. mbedTLS's default allocator (replaced by its static pool
 * at start-up) still links malloc, whose sbrk hook says there is no memory. */
void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr)
{
    (void)incr;
    return (void *)-1;
}

int semihost_call(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_exit(int code)
{
    uint32_t args[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
    semihost_call(0x20, args);                     /* SYS_EXIT_EXTENDED */
}
