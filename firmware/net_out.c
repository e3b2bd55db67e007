/*
 * The firmware's network outward (hal_net.h), on lwIP's raw UDP API: syslog
 * datagrams to the collector. No TCP client: the firmware sends syslog over
 * UDP only (AGENT_LOG_TLS is off), so hal_net_connect() says no. lwIP does
 * not pass ICMP errors up to UDP, so a datagram sent while the collector is
 * down is lost without a word (README, "Events to a syslog collector").
 */
#include <string.h>

#include "fmt.h"
#include "hal_net.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

static struct udp_pcb *pcb;

int hal_net_udp_send(uint32_t addr, uint16_t port, const void *buf, size_t len)
{
    if (len > 0xffffu - 28u) return HAL_NET_FAIL;
    if (!netif_default || !netif_is_up(netif_default) || ip4_addr_isany(netif_ip4_addr(netif_default)))
        return HAL_NET_AGAIN; /* no link or no address yet */
    if (!pcb && (pcb = udp_new()) == NULL) return HAL_NET_AGAIN;
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
    if (!p) return HAL_NET_AGAIN;
    memcpy(p->payload, buf, len);
    ip_addr_t to;
    IP_ADDR4(&to, (u8_t)(addr >> 24), (u8_t)(addr >> 16), (u8_t)(addr >> 8), (u8_t)addr);
    err_t err = udp_sendto(pcb, p, &to, port);
    pbuf_free(p);
    return err == ERR_OK ? HAL_NET_SENT : HAL_NET_AGAIN;
}

bool hal_net_connect(uint32_t addr, uint16_t port, transport_t *t)
{
    (void)addr, (void)port, (void)t;
    return false;
}

/* The board's address: it has no name of its own on the network. */
void hal_net_name(char *buf, size_t cap)
{
    fmt_t f;
    fmt_init(&f, buf, cap);
    if (netif_default && !ip4_addr_isany(netif_ip4_addr(netif_default))) {
        uint32_t a = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(netif_default)));
        fmt_add(&f, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
    }
}
