/* lwip_hooks.h - prototypes of the hooks config/lwipopts.h names (lwIP
 * includes this file, LWIP_HOOK_FILENAME, after its own headers). */
#ifndef LWIP_HOOKS_H
#define LWIP_HOOKS_H

#include "lwip/ip_addr.h"

/* RFC 6528 initial sequence numbers (firmware/net_rand.c). */
u32_t fw_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
                 u16_t remote_port);

#endif
