/* A firmware without network: the console and the agent only. */
#include "fw.h"
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
