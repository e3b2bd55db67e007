/*
 * Unpredictable numbers on the wire: TCP initial sequence numbers after
 * RFC 6528 and DHCP transaction ids, for lwIP (LWIP_HOOK_TCP_ISN and
 * LWIP_RAND in config/lwipopts.h). Defends against blind TCP spoofing and
 * connection hijacking, which lwIP's default ISN (a counter stepped by its
 * timer: 6510, 6511, ...) and DHCP xid (0xABCD0001, 2, ...) make easy.
 */
#include <string.h>

#include "hal_clock.h"
#include "hal_entropy.h"
#include "lwip_hooks.h"
#include "mbedtls/sha256.h"
#include "tls.h"

static uint8_t isn_key[16];
static bool key_from_drbg; /* else a stopgap from the cycle counter */

/* Bytes from the TLS generator; before it is seeded (no seed provisioned),
 * the cycle counter, which at least differs from boot to boot on hardware. */
static bool random_bytes(uint8_t *buf, size_t len)
{
    if (tls_random(buf, len) == 0) return true;
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(hal_entropy_jitter() >> (8 * (i & 3)));
    return false;
}

uint32_t fw_net_rand(void)
{
    uint32_t v;
    random_bytes((uint8_t *)&v, sizeof v);
    return v;
}

/* RFC 6528: ISN = M + F(local ip, local port, remote ip, remote port, key),
 * M a clock in 4 microsecond units (from the millisecond clock), F a keyed
 * hash (SHA-256, its first 32 bits). */
u32_t fw_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
                 u16_t remote_port)
{
    uint8_t msg[sizeof isn_key + 12], sum[32];
    uint32_t f;
    if (!key_from_drbg) key_from_drbg = random_bytes(isn_key, sizeof isn_key);
    memcpy(msg, isn_key, sizeof isn_key);
    memcpy(msg + 16, &ip_2_ip4(local_ip)->addr, 4);
    memcpy(msg + 20, &ip_2_ip4(remote_ip)->addr, 4);
    msg[24] = (uint8_t)(local_port >> 8), msg[25] = (uint8_t)local_port;
    msg[26] = (uint8_t)(remote_port >> 8), msg[27] = (uint8_t)remote_port;
    if (mbedtls_sha256_ret(msg, sizeof msg, sum, 0) != 0) return fw_net_rand();
    memcpy(&f, sum, sizeof f);
    return f + hal_clock_ms() * 250u;
}
