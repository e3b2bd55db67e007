/*
 * eth.h - the LM3S6965's Ethernet MAC and PHY as an lwIP netif.
 *
 *     netif_add(&nif, ..., NULL, eth_netif_init, ethernet_input);
 *     loop:  eth_poll(&nif);             frames into nif.input
 *            eth_link_poll(&nif);        about once a second
 *            sleep only if !eth_pending()
 *
 * The interrupt (ethernet_handler, IRQ 42) only masks itself and flags
 * work: received frames wait in the MAC's own receive FIFO (2 KiB on
 * silicon, 31 frames under QEMU) until the loop drains them, so the driver
 * holds no frame buffers of its own. Every other call is main loop only.
 */
#ifndef ETH_H
#define ETH_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/err.h"
#include "lwip/netif.h"

/* Frames eth_poll hands to lwIP per call: bounded work for the loop. */
#ifndef ETH_POLL_FRAMES
#define ETH_POLL_FRAMES 4
#endif

typedef struct {
    uint32_t rx_frames;  /* handed to lwIP */
    uint32_t rx_dropped; /* no pbuf free: read out of the FIFO and dropped */
    uint32_t rx_errors;  /* a malformed length: the receive FIFO was reset */
    uint32_t tx_frames;
    uint32_t tx_dropped; /* transmitter still busy, or a frame too long */
} eth_stats_t;

/*
 * lwIP netif init callback (netif_add's init): turns on the MAC and PHY
 * clocks, resets the FIFOs, sets the MAC address, the MTU and flags, and
 * enables reception and its interrupt. The MAC address is the one in the
 * IA registers when non-zero (QEMU puts its NIC's there), else the
 * factory one in the flash USER0/USER1 registers, else the fixed locally
 * administered 02:53:57:00:00:01. The link starts down; eth_link_poll
 * raises it. ERR_OK always.
 */
err_t eth_netif_init(struct netif *netif);

/*
 * Hands up to ETH_POLL_FRAMES received frames to netif->input. A frame for
 * which no pbuf is free is dropped (and counted), so the FIFO never stalls.
 * Returns whether frames remain for the next call.
 */
bool eth_poll(struct netif *netif);

/* Whether received frames wait for eth_poll. Safe at any time. */
bool eth_pending(void);

/*
 * Reads the PHY's link state and sets the netif's link up or down to
 * match (DHCP restarts on the way up), with the MAC's duplex following
 * the PHY's. A PHY that answers nothing (QEMU models no MII registers)
 * counts as a link that is up. Takes a few microseconds of MII traffic.
 */
void eth_link_poll(struct netif *netif);

const eth_stats_t *eth_stats(void);

#endif
