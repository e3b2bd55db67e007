/* The network HAL for fuzz targets that link the management channel:
 * events go nowhere (log.server stays off), nothing connects out. */
#include <stdio.h>

#include "hal_net.h"

int hal_net_udp_send(uint32_t addr, uint16_t port, const void *buf, size_t len)
{
    (void)addr, (void)port, (void)buf, (void)len;
    return HAL_NET_SENT;
}

bool hal_net_connect(uint32_t addr, uint16_t port, transport_t *t)
{
    (void)addr, (void)port, (void)t;
    return false;
}

void hal_net_name(char *buf, size_t cap) { snprintf(buf, cap, "fuzz"); }
