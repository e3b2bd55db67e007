/*
 * arch/cc.h - lwIP's port header for the bare-metal firmware: compiler,
 * byte order and what an assertion does. Toolchain: arm-none-eabi-gcc with
 * newlib (stdint.h, inttypes.h, limits.h are there). With NO_SYS=1 lwIP
 * needs no other arch header (no sys_arch.h, no perf.h).
 */
#ifndef SMBWARDEN_LWIP_ARCH_CC_H
#define SMBWARDEN_LWIP_ARCH_CC_H

/* Cortex-M3 runs little-endian; byte swaps are one REV/REV16 instruction. */
#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

/* lwIP's debug output is compiled out (LWIP_DEBUG stays undefined); this
 * keeps printf out of the image should a file use the macro anyway. */
#define LWIP_PLATFORM_DIAG(x) do {} while (0)

/* A failed lwIP assertion is a bug in lwIP or in how we drive it: say
 * where on the console, then reset the board. The message text is dropped
 * to keep it out of flash; the checks themselves cost about 3 KB of flash,
 * which -DLWIP_NOASSERT gives back. Defined in firmware/net_lwip.c. */
void fw_lwip_assert(const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_ASSERT(x) fw_lwip_assert(__FILE__, __LINE__)

/* No random source lwIP may call: LWIP_RAND stays undefined, so DHCP uses
 * a fixed start for its transaction ids, and TCP's initial sequence numbers
 * are lwIP's own predictable counter (no LWIP_HOOK_TCP_ISN). TLS protects
 * the data; a blind reset from off the path stays possible. */

#endif
