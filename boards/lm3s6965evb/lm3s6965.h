/* Registers of the LM3S6965 this board uses (data sheet names). */
#ifndef LM3S6965_H
#define LM3S6965_H

#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(addr))

#define IRQ_UART0 5
#define IRQ_ETHERNET 42
#define STACK_PAINT 0xa5a5a5a5u

/* System control */
#define SYSCTL_RCGC0 REG(0x400FE100) /* bit 3: watchdog */
#define SYSCTL_RCGC1 REG(0x400FE104) /* bit 0: UART0 */
#define SYSCTL_RCGC2 REG(0x400FE108) /* bit 0: GPIOA, 28: EMAC, 30: EPHY */

/* UART0 */
#define UART0_DR REG(0x4000C000)
#define UART0_FR REG(0x4000C018)
#define UART0_IBRD REG(0x4000C024)
#define UART0_FBRD REG(0x4000C028)
#define UART0_LCRH REG(0x4000C02C)
#define UART0_CTL REG(0x4000C030)
#define UART0_IM REG(0x4000C038)
#define UART0_MIS REG(0x4000C040)
#define UART0_ICR REG(0x4000C044)
#define UART_FR_RXFE (1u << 4)
#define UART_DR_OE (1u << 11) /* overrun: bytes lost before this one */
#define UART_FR_TXFF (1u << 5)
#define UART_INT_RX (1u << 4)
#define UART_INT_RT (1u << 6)

/* Watchdog 0 */
#define WDT_LOAD REG(0x40000000)
#define WDT_CTL REG(0x40000008)
#define WDT_ICR REG(0x4000000C)
#define WDT_LOCK REG(0x40000C00)
#define WDT_UNLOCK 0x1ACCE551u

/* Core peripherals */
#define SYST_CSR REG(0xE000E010)
#define SYST_RVR REG(0xE000E014)
#define SYST_CVR REG(0xE000E018)
#define NVIC_ISER0 REG(0xE000E100)
#define NVIC_ISER1 REG(0xE000E104)
#define SCB_AIRCR REG(0xE000ED0C)

/* System control: the clock. RCC fields of the LM3S6965 datasheet. */
#define SYSCTL_RIS REG(0x400FE050)
#define SYSCTL_RCC REG(0x400FE060)
#define RCC_MOSCDIS (1u << 0)
#define RCC_OSCSRC_M (3u << 4)
#define RCC_XTAL_M (0x1Fu << 6)
#define RCC_XTAL_8MHZ (0xEu << 6) /* the EVB's crystal */
#define RCC_BYPASS (1u << 11)
#define RCC_PWRDN (1u << 13)
#define RCC_USESYSDIV (1u << 22)
#define RCC_SYSDIV_M (0xFu << 23)
#define RCC_SYSDIV_4 (3u << 23) /* 200 MHz PLL output / 4 */
#define RIS_PLLLRIS (1u << 6)

/* The core clock: 50 MHz from the PLL (board_init sets it up; QEMU's model
 * follows RCC's SYSDIV too, so SysTick, the UART and the watchdog agree). */
#define CPU_HZ 50000000u

#endif
