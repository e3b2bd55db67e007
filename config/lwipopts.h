/*
 * config/lwipopts.h - smbwarden's lwIP 2.1.3 options for the bare-metal
 * firmware (boards/lm3s6965evb and any other MCU board using firmware/).
 *
 * What lwIP does here: one Ethernet interface, IPv4 with DHCP, ARP and ICMP
 * echo, and TCP through the raw API for exactly one listener, the
 * management port. TLS is not lwIP's business: the agent drives mbedTLS
 * itself over firmware/net_lwip.c's transport. altcp and altcp_tls stay
 * off: altcp_tls cannot require client certificates, and a TLS record
 * larger than its buffer wedges the connection while it holds its pcb.
 *
 * Everything runs in the main loop (NO_SYS=1): the Ethernet interrupt only
 * flags work; the loop drains frames into lwIP, runs its timers, then the
 * management channel. Nothing calls lwIP from an interrupt.
 *
 * Memory is sized for one management connection being served, one more
 * being refused, and one in TIME_WAIT; every pool is static (no malloc).
 * About 6 KB of static RAM in all (`make size` reports the figure):
 *     heap (MEM_SIZE)              2.0 KB  sent TCP data, DHCP messages
 *     pbuf pool                    2.7 KB  received frames
 *     pcbs, segments, ARP, netif   2.0 KB
 * The heap and the pool are sized from their high-water marks under QEMU
 * (a measuring build, see LWIP_STATS below), with a margin.
 * Every option not set here keeps lwIP's documented default from
 * lwip/opt.h; where that default matters, it is repeated with the reason.
 */
#ifndef SMBWARDEN_LWIPOPTS_H
#define SMBWARDEN_LWIPOPTS_H

/* ---- System ----------------------------------------------------------------- */

/* A cooperative bare-metal loop: no threads, no semaphores, no mailboxes. */
#define NO_SYS 1

/* lwIP's timers (TCP, ARP, DHCP) run from the loop through
 * sys_check_timeouts(); sys_now() is hal_clock_ms(). */
#define LWIP_TIMERS 1

/* No lwIP call from an interrupt, so no critical sections in lwIP. */
#define SYS_LIGHTWEIGHT_PROT 0

/* The raw API only: no sequential (netconn) or socket layer. */
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_NETIF_API 0

/* No altcp: TLS is ours, over the raw API (see the top of this file). */
#define LWIP_ALTCP 0
#define LWIP_ALTCP_TLS 0

/* ---- Memory ----------------------------------------------------------------- */

/* Cortex-M3: word alignment is what the FIFO copy loops and lwIP's
 * struct access need; 8 would only waste padding. */
#define MEM_ALIGNMENT 4

/* lwIP's own heap: TCP segments written with TCP_WRITE_FLAG_COPY (at most
 * TCP_SND_BUF of data plus headers, per live connection), DHCP messages
 * (~600 bytes, short-lived), empty ACKs and RSTs, and the receive queue of
 * a connection compacted out of the pbuf pool (at most TCP_WND). When it
 * runs out, tcp_write fails and the transport says "would block", and a
 * receive queue stays in the pool.
 * Measured under QEMU over the firmware tests (test_firmware.py,
 * test_fw_*.py) and `make size`: 1,480 bytes at most (an answer streaming
 * out, two full segments queued), 996 in the ClientHello flood of
 * test_fw_watchdog.py; no allocation was ever refused, with 3 KB or 2 KB.
 * A full-duplex bulk echo once took 2.8 KB: that kind of load now waits
 * for its ACKs a little more often. */
#define MEM_SIZE 2048

/* Static pools only: the C library's malloc is never called. */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0

/* PBUF_REF/PBUF_ROM pbufs: only for data lwIP does not copy. Every
 * tcp_write here copies, and fragmentation is off; ICMP and ARP need none. */
#define MEMP_NUM_PBUF 2

/* UDP: DHCP's client, SNTP's, and the syslog datagrams (firmware/net_out.c). */
#define MEMP_NUM_UDP_PCB 3

/* One management connection served (the firmware's MGMT_CONN_MAX is 1);
 * the rest wait in its lobby (MGMT_LOBBY_MAX 9 covers them all) or are
 * closing. When all are taken, a new SYN makes lwIP free one: in TIME_WAIT,
 * in LAST_ACK, else the most idle one of a lower priority, i.e. one that
 * has said less than a ClientHello's start since it came (firmware/net_lwip.c). */
#define MEMP_NUM_TCP_PCB 9

/* One listener: the management port. */
#define MEMP_NUM_TCP_PCB_LISTEN 1

/* Queued TCP segments, for every connection together: a full send queue
 * (TCP_SND_QUEUELEN) plus the FIN of a connection being closed or refused. */
#define MEMP_NUM_TCP_SEG 10

/* Received frames: chains of small buffers. A full-size TCP segment
 * (MSS 536 plus 56 bytes of headers and padding) takes two; an ARP or an
 * ACK takes one and is freed at once. Data not read yet holds at most half
 * the pool per connection (firmware/net_lwip.c): beyond that, or until the
 * connection has said enough, it is copied to the heap. Measured under
 * QEMU (as MEM_SIZE above): 3 in use at most in mutual-TLS polls, 5 in
 * the ClientHello flood of test_fw_watchdog.py. Not fewer than 8: with 6,
 * four half-open handshakes (test_lockout.py, case c) hold enough of the
 * pool that a poller's frames find none and it is never answered. */
#define PBUF_POOL_SIZE 8
#define PBUF_POOL_BUFSIZE 320

/* ---- Link layer ---------------------------------------------------------------- */

#define LWIP_ETHERNET 1
#define LWIP_ARP 1

/* Peers: the gateway, the DHCP server and a few pollers. */
#define ARP_TABLE_SIZE 4

/* While an address resolves, keep only the latest packet for it (TCP
 * retransmits the rest) instead of a queue from the pool. */
#define ARP_QUEUEING 0

/* Two bytes in front of the Ethernet header put the IP header on a word
 * boundary. The Stellaris MAC's FIFO starts every frame with a 2-byte
 * length, so received frames land in the pbuf as whole words, length
 * where the padding goes (boards/lm3s6965evb/eth.c). */
#define ETH_PAD_SIZE 2

/* One interface: lwIP skips its netif list walks. */
#define LWIP_SINGLE_NETIF 1

/* The device sends its name to the DHCP server (option 12), so an operator
 * finds it in the lease table. */
#define LWIP_NETIF_HOSTNAME 1

/* firmware/net_lwip.c reports the address on the console when DHCP binds. */
#define LWIP_NETIF_STATUS_CALLBACK 1

/* Frames are sent from pbuf chains; the driver streams any chain. */
#define LWIP_NETIF_TX_SINGLE_PBUF 0

/* No loopback interface: nothing on the device talks to itself. */
#define LWIP_HAVE_LOOPIF 0
#define LWIP_NETIF_LOOPBACK 0

/* ---- IPv4 ----------------------------------------------------------------------- */

#define LWIP_IPV4 1
#define LWIP_IPV6 0

/* A router is not what this is. */
#define IP_FORWARD 0

/* No fragments in or out: TCP segments fit the MSS, DHCP fits one frame.
 * Reassembly would need buffers for whole datagrams. */
#define IP_REASSEMBLY 0
#define IP_FRAG 0

/* ICMP echo (ping) answers from the received pbuf; unreachable messages
 * for closed ports. Broadcast and multicast pings are ignored (default). */
#define LWIP_ICMP 1

/* No raw IP sockets, IGMP, AutoIP, DNS or SNMP: the device serves one TCP
 * port and needs no names. */
#define LWIP_RAW 0
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_DNS 0

/* ---- DHCP and UDP ----------------------------------------------------------------- */

#define LWIP_UDP 1
#define LWIP_UDPLITE 0
#define LWIP_DHCP 1

/* Probe the offered address with ARP before using it (default): a static
 * address elsewhere on the LAN must not be taken over. Costs ~1 s. */
#define DHCP_DOES_ARP_CHECK 1

/* No boot file name or DNS servers from DHCP; its NTP server (option 42)
 * is taken when offered and net.ntp names none. */
#define LWIP_DHCP_BOOTP_FILE 0
#define LWIP_DHCP_GET_NTP_SRV 1
#define LWIP_DHCP_MAX_NTP_SERVERS 1

/* ---- TCP ------------------------------------------------------------------------------ */

#define LWIP_TCP 1

/* The classic minimum: every IPv4 host must take 536-byte segments, and a
 * full one fits two pbuf-pool buffers. */
#define TCP_MSS 536

/* Two segments in flight each way: enough for TLS records of up to 2 KiB
 * (they stream through), small enough for the pools above. The receive
 * window only reopens as the agent reads (tcp_recved), so no client can
 * queue more than TCP_WND bytes on the device. */
#define TCP_WND (2 * TCP_MSS)
#define TCP_SND_BUF (2 * TCP_MSS)

/* Segments queued for sending per connection: room for small TLS records
 * (alerts, handshake pieces) beside full ones. lwIP requires at least
 * 2 * TCP_SND_BUF / TCP_MSS. */
#define TCP_SND_QUEUELEN 8

/* Out-of-order segments are dropped and retransmitted by the peer: holding
 * them would tie up the small pbuf pool. */
#define TCP_QUEUE_OOSEQ 0

/* No SACK, timestamps or window scaling: windows this small need none. */
#define LWIP_TCP_SACK_OUT 0
#define LWIP_TCP_TIMESTAMPS 0
#define LWIP_WND_SCALE 0

/* The management channel closes idle connections itself (mgmt.idle_timeout). */
#define LWIP_TCP_KEEPALIVE 0

/* The callback API (tcp_recv, tcp_err, ...); not the event API. */
#define LWIP_CALLBACK_API 1
#define LWIP_EVENT_API 0

/* No backlog accounting: firmware/net_lwip.c takes or refuses every
 * connection in the accept callback itself. */
#define TCP_LISTEN_BACKLOG 0

/* ---- Checksums ---------------------------------------------------------------------- */

/* The Stellaris MAC computes no IP, TCP or UDP checksums: lwIP generates
 * and checks them all in software (the defaults). */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1

/* ---- Statistics and debugging ----------------------------------------------------------- */

/* No counters (RAM) and no debug output (LWIP_DEBUG stays undefined).
 * Assertions stay on: firmware/lwip/arch/cc.h reports one on the console
 * without its text and resets the board. A measuring build turns the
 * counters on with FW_EXTRA=-DLWIP_STATS=1: lwip_stats then holds every
 * pool's and the heap's high-water mark (how the sizes above were found). */
#ifndef LWIP_STATS
#define LWIP_STATS 0
#endif
#define LWIP_STATS_DISPLAY 0

/* Unpredictable numbers on the wire (firmware/net_rand.c): RFC 6528 TCP
 * initial sequence numbers, and DHCP transaction ids from the TLS random
 * generator (DHCP_CREATE_RAND_XID, on by default, takes LWIP_RAND). */
#include <stdint.h>
uint32_t fw_net_rand(void);
#define LWIP_RAND() fw_net_rand()
#define LWIP_HOOK_FILENAME "lwip_hooks.h"
#define LWIP_HOOK_TCP_ISN fw_tcp_isn

/* ---- SNTP: the date, for certificate dates and event stamps -------------------- */

/* lwIP's SNTP client (apps/sntp) asks one server (net.ntp, else DHCP's) at
 * start and every hour; its answer sets the board's wall clock
 * (firmware/net_lwip.c). A reply must come from the server asked and echo
 * the request's transmit timestamp, whose fraction is random: a spoofer off
 * the path cannot guess it (SNTP has no authentication beyond that). */
#define SNTP_SERVER_DNS 0
#define SNTP_MAX_SERVERS 1
#define SNTP_STARTUP_DELAY 0
#define SNTP_UPDATE_DELAY 3600000
#define SNTP_CHECK_RESPONSE 2
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)
#include <stdint.h>
void fw_sntp_set_time(uint32_t sec);
void fw_sntp_stamp(uint32_t *sec, uint32_t *usec);
#define SNTP_SET_SYSTEM_TIME(sec) fw_sntp_set_time(sec)
#define SNTP_GET_SYSTEM_TIME(sec, us) fw_sntp_stamp(&(sec), &(us))

/* Internet checksums 32 bits at a time (lwIP's third algorithm): the
 * Cortex-M3 sums every byte it sends, with no offload in its MAC. */
#define LWIP_CHKSUM_ALGORITHM 3

#endif
