/*
 * The LM3S6965's Ethernet MAC (data sheet chapter "Ethernet Controller")
 * as an lwIP netif. QEMU 7.2 models it in hw/net/stellaris_enet.c; where
 * the model and silicon differ, both are handled and the comment says so.
 *
 * FIFO format, both ways, as 32-bit words, little-endian:
 *   receive:  2-byte length, the frame, its 4-byte FCS; the length counts
 *             all three (frame + 6);
 *   transmit: 2-byte length of the frame's payload (the frame minus its
 *             14-byte header), then the frame; the MAC adds padding and FCS.
 * With lwIP's ETH_PAD_SIZE of 2 a pbuf holds exactly that stream: the
 * length word sits where lwIP keeps its 2 bytes of padding.
 */
#include "eth.h"

#include <string.h>

#include "board.h"
#include "lm3s6965.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#if ETH_PAD_SIZE != 2
#error "eth.c streams the FIFO's 2-byte length into lwIP's Ethernet padding: ETH_PAD_SIZE must be 2"
#endif

#define MAC_RIS REG(0x40048000)  /* read: raw interrupt status */
#define MAC_IACK REG(0x40048000) /* write: acknowledge */
#define MAC_IM REG(0x40048004)
#define MAC_RCTL REG(0x40048008)
#define MAC_TCTL REG(0x4004800C)
#define MAC_DATA REG(0x40048010)
#define MAC_IA0 REG(0x40048014)
#define MAC_IA1 REG(0x40048018)
#define MAC_MCTL REG(0x40048020)
#define MAC_MDV REG(0x40048024)
#define MAC_MRXD REG(0x40048030)
#define MAC_NP REG(0x40048034)
#define MAC_TR REG(0x40048038)

/* The factory MAC address, in the flash controller's user registers. */
#define FLASH_USER0 REG(0x400FE1E0)
#define FLASH_USER1 REG(0x400FE1E4)

#define RCGC2_EMAC (1u << 28)
#define RCGC2_EPHY (1u << 30)

#define INT_RX (1u << 0)
#define INT_FOV (1u << 3) /* receive FIFO overrun */
#define INT_ALL 0x7Fu
#define RCTL_RXEN (1u << 0)
#define RCTL_BADCRC (1u << 3) /* drop frames with a bad FCS */
#define RCTL_RSTFIFO (1u << 4)
#define TCTL_TXEN (1u << 0)
#define TCTL_PADEN (1u << 1)
#define TCTL_CRC (1u << 2)
#define TCTL_DUPLEX (1u << 4) /* QEMU's model calls it bit 3 but ignores it */
#define TR_NEWTX (1u << 0)
#define MCTL_START (1u << 0)

#define PHY_MR1 1u            /* status */
#define PHY_MR1_LINK (1u << 2) /* latched low: the second read is current */
#define PHY_MR18 18u          /* diagnostic */
#define PHY_MR18_DPLX (1u << 11)

#define FRAME_HDR 14u
#define FRAME_MAX 1518u /* 1500 bytes of payload, a header, a VLAN tag */
#define RX_EXTRA 6u     /* the length field and the FCS around a frame */
#define RX_FIFO 2048u

/* Busy waits, in loop turns (a few cycles each): the transmitter sends a
 * 1518-byte frame in 1.2 ms at 10 Mbit/s; an MII transaction takes 32 MDC
 * clocks. Under QEMU both finish at once. */
#define TX_SPIN 200000u
#define MII_SPIN 10000u

static volatile bool rx_work; /* set by the interrupt, cleared by eth_poll */
static eth_stats_t stats;

const eth_stats_t *eth_stats(void) { return &stats; }

bool eth_pending(void) { return rx_work; }

/* Reception is handed to the loop: mask it until the FIFO is drained. */
void ethernet_handler(void)
{
    MAC_IM &= ~INT_RX;
    rx_work = true;
}

/* ---- receive --------------------------------------------------------------- */

static void rx_reset(void)
{
    MAC_RCTL = RCTL_BADCRC;
    MAC_RCTL = RCTL_BADCRC | RCTL_RSTFIFO;
    MAC_RCTL = RCTL_BADCRC | RCTL_RXEN;
}

static void rx_discard(uint32_t words)
{
    while (words--) (void)MAC_DATA;
}

/* Copies the rest of a frame from the FIFO into p, w being the first word
 * (already read) and more the words after it; words beyond p (the FCS)
 * are read and dropped. */
static void rx_copy(struct pbuf *p, uint32_t w, uint32_t more)
{
    uint32_t have = 4; /* bytes of w not yet stored */
    for (struct pbuf *q = p; q; q = q->next) {
        uint8_t *d = q->payload;
        uint32_t n = q->len;
        while (n) {
            if (!have) {
                w = MAC_DATA;
                more--;
                have = 4;
            }
            if (have == 4 && n >= 4) { /* the common case: whole words */
                memcpy(d, &w, 4);
                d += 4, n -= 4, have = 0;
                continue;
            }
            *d++ = (uint8_t)w;
            w >>= 8, have--, n--;
        }
    }
    rx_discard(more);
}

static void rx_frame(struct netif *netif)
{
    uint32_t w = MAC_DATA;
    uint32_t len = w & 0xFFFFu;
    uint32_t words = (len + 3u) / 4u;
    if (len < RX_EXTRA + FRAME_HDR || len > RX_FIFO) { /* lost sync with the FIFO */
        stats.rx_errors++;
        rx_reset();
        return;
    }
    uint32_t frame = len - RX_EXTRA;
    struct pbuf *p = frame <= FRAME_MAX
                         ? pbuf_alloc(PBUF_RAW, (u16_t)(frame + ETH_PAD_SIZE), PBUF_POOL)
                         : NULL;
    if (!p) {
        stats.rx_dropped++;
        rx_discard(words - 1u);
        return;
    }
    rx_copy(p, w, words - 1u);
    stats.rx_frames++;
    if (netif->input(p, netif) != ERR_OK) pbuf_free(p);
}

bool eth_poll(struct netif *netif)
{
    if (!rx_work) return false;
    if (MAC_RIS & INT_FOV) { /* frames were lost while the FIFO was full */
        MAC_IACK = INT_FOV;
        stats.rx_dropped++;
    }
    for (uint32_t i = 0; i < ETH_POLL_FRAMES; i++) {
        if (MAC_NP == 0) {
            /* Acknowledge, then look again: a frame arriving after the
             * second look raises the interrupt as soon as it is unmasked. */
            MAC_IACK = INT_RX;
            if (MAC_NP == 0) {
                rx_work = false;
                MAC_IM |= INT_RX;
                return false;
            }
        }
        rx_frame(netif);
    }
    return true;
}

/* ---- transmit ------------------------------------------------------------------ */

static bool tx_wait_idle(void)
{
    for (uint32_t i = 0; i < TX_SPIN; i++)
        if (!(MAC_TR & TR_NEWTX)) return true;
    return false;
}

/* netif->linkoutput: streams the chain into the transmit FIFO, behind the
 * payload length, and starts the transmission. */
static err_t eth_output(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    uint32_t frame = (uint32_t)p->tot_len - ETH_PAD_SIZE;
    if (frame < FRAME_HDR || frame > FRAME_MAX || !tx_wait_idle()) {
        stats.tx_dropped++;
        return ERR_IF;
    }
    uint32_t w = frame - FRAME_HDR; /* the length field: 2 bytes of the first word */
    uint32_t have = 2;              /* bytes in w */
    uint32_t skip = ETH_PAD_SIZE;
    for (const struct pbuf *q = p; q; q = q->next) {
        const uint8_t *s = q->payload;
        uint32_t n = q->len;
        uint32_t k = skip < n ? skip : n;
        s += k, n -= k, skip -= k;
        while (n) {
            if (!have && n >= 4) { /* the common case: whole words */
                memcpy(&w, s, 4);
                MAC_DATA = w;
                s += 4, n -= 4;
                continue;
            }
            w = have ? w | (uint32_t)*s << (8u * have) : *s;
            s++, n--;
            if (++have == 4) {
                MAC_DATA = w;
                have = 0;
            }
        }
    }
    if (have) MAC_DATA = w;
    MAC_TR = TR_NEWTX;
    stats.tx_frames++;
    return ERR_OK;
}

/* ---- PHY ------------------------------------------------------------------------- */

/* Reads PHY register reg; false when the MII transaction never ends. */
static bool mii_read(uint32_t reg, uint32_t *val)
{
    MAC_MCTL = (reg << 3) | MCTL_START;
    for (uint32_t i = 0; i < MII_SPIN; i++) {
        if (!(MAC_MCTL & MCTL_START)) {
            *val = MAC_MRXD & 0xFFFFu;
            return true;
        }
    }
    return false;
}

void eth_link_poll(struct netif *netif)
{
    uint32_t status = 0, diag = 0;
    bool up = true; /* a PHY without registers (QEMU) reads 0: assume a link */
    if (mii_read(PHY_MR1, &status) && status != 0 && mii_read(PHY_MR1, &status))
        up = (status & PHY_MR1_LINK) != 0;
    if (up == (netif_is_link_up(netif) != 0)) return;
    if (up) {
        /* The MAC must use the duplex the PHY negotiated. */
        if (mii_read(PHY_MR18, &diag) && (diag & PHY_MR18_DPLX))
            MAC_TCTL |= TCTL_DUPLEX;
        else
            MAC_TCTL &= ~TCTL_DUPLEX;
        netif_set_link_up(netif);
    } else {
        netif_set_link_down(netif);
    }
}

/* ---- set-up ---------------------------------------------------------------------- */

static void mac_address(uint8_t mac[6])
{
    uint32_t ia0 = MAC_IA0, ia1 = MAC_IA1 & 0xFFFFu;
    uint32_t u0 = FLASH_USER0, u1 = FLASH_USER1;
    if (ia0 | ia1) { /* set before us: QEMU's NIC, or a boot loader */
    } else if (u0 != 0xFFFFFFFFu && u1 != 0xFFFFFFFFu) { /* the factory's */
        ia0 = (u0 & 0xFFFFFFu) | (u1 & 0xFFu) << 24;
        ia1 = (u1 >> 8) & 0xFFFFu;
    } else { /* 02:53:57:00:00:01, locally administered */
        ia0 = 0x00575302u;
        ia1 = 0x0100u;
    }
    MAC_IA0 = ia0;
    MAC_IA1 = ia1;
    for (int i = 0; i < 4; i++) mac[i] = (uint8_t)(ia0 >> (8 * i));
    mac[4] = (uint8_t)ia1;
    mac[5] = (uint8_t)(ia1 >> 8);
}

err_t eth_netif_init(struct netif *netif)
{
    SYSCTL_RCGC2 |= RCGC2_EMAC | RCGC2_EPHY;
    (void)SYSCTL_RCGC2; /* a few cycles before the MAC's registers answer */
    MAC_IM = 0;
    MAC_IACK = INT_ALL;
    MAC_MDV = CPU_HZ / 2u / 2500000u; /* MDC at most 2.5 MHz */
    mac_address(netif->hwaddr);
    MAC_TCTL = TCTL_PADEN | TCTL_CRC | TCTL_TXEN;
    rx_reset();
    MAC_IM = INT_RX;
    NVIC_ISER1 = 1u << (IRQ_ETHERNET - 32);

    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->hwaddr_len = ETH_HWADDR_LEN;
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = eth_output;
    return ERR_OK;
}
