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

/* lwIP's assertions check its own invariants and how we drive it, never
 * what comes off the wire (LWIP_ERROR does that, and stays). They are off
 * in the image (LWIP_NOASSERT: 1 KB of flash, needed for the budget); a
 * build with FW_EXTRA=-DSMBWARDEN_LWIP_ASSERT turns them on, each a trap
 * instruction that the fault handler (firmware/panic.c) reports with its
 * address before it resets the board (addr2line gives lwIP's file and line). */
#if !defined(SMBWARDEN_LWIP_ASSERT)
#define LWIP_NOASSERT
#endif
#define LWIP_PLATFORM_ASSERT(x) __builtin_trap()

#endif
