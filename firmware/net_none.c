/* A firmware without network: the console and the agent only. */
#include "fw.h"
#include "hal_net.h"
#include "mgmt.h"
#include "provision.h"

void fw_net_init(void)
{
    fw_provision_apply();
    mgmt_init(); /* the cert commands; no connections come */
}

uint32_t fw_net_poll(uint32_t now_ms)
{
    (void)now_ms;
    return UINT32_MAX;
}

/* No network: the event log stays on the board. */
int hal_net_udp_send(uint32_t addr, uint16_t port, const void *buf, size_t len)
{
    (void)addr, (void)port, (void)buf, (void)len;
    return HAL_NET_AGAIN;
}

bool hal_net_connect(uint32_t addr, uint16_t port, transport_t *t)
{
    (void)addr, (void)port, (void)t;
    return false;
}

void hal_net_name(char *buf, size_t cap)
{
    if (cap) buf[0] = '\0';
}
