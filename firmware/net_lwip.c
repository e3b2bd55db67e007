/*
 * The firmware's network: lwIP (NO_SYS, raw API) on the board's Ethernet
 * netif, and the management channel's transport over lwIP TCP.
 *
 * The board provides eth.h: eth_netif_init (an lwIP netif init callback),
 * eth_poll, eth_pending and eth_link_poll. Everything here runs in the
 * main loop; lwIP calls the tcp_* callbacks below from inside eth_poll
 * (received segments) and sys_check_timeouts (retransmissions, errors).
 *
 * Connections: one slot per management connection (MGMT_CONN_MAX), one per
 * place in its lobby (MGMT_LOBBY_MAX, see mgmt.h) and one spare, so that a
 * connection beyond them is still offered to mgmt_accept(), which makes room
 * or counts the refusal. Connections are released with a FIN at the end of
 * the poll that closed them (closing from inside lwIP's callbacks would
 * confuse its state machine). A connection beyond the spare as well is
 * reset at once.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "agent.h"
#include "board.h"
#include "provision.h"
#include "console.h"
#include "eth.h"
#include "fw.h"
#include "hal_clock.h"
#include "hal_entropy.h"
#include "lwip/apps/sntp.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "mgmt.h"
#include "tls.h"
#include "netif/ethernet.h"

#define NET_HOSTNAME "smbwarden"
/* More than lwIP has pcbs: a slot whose pcb lwIP has freed (see
 * NET_PRIO_UNPROVEN) stays taken until its owner notices, and the slot of
 * one its owner closed until the end of the poll; a new connection must
 * never be reset for want of a slot while lwIP had a pcb for it. A slot
 * with neither pcb nor owner is free at once (conn_close, on_err): in a
 * storm of SYNs, each of which frees a pcb, slots ran out before. */
#define NET_SLOTS (MEMP_NUM_TCP_PCB + 4)
#if NET_SLOTS < MGMT_CONN_MAX + MGMT_LOBBY_MAX + 1
#error "lwipopts.h: MEMP_NUM_TCP_PCB must cover MGMT_CONN_MAX + MGMT_LOBBY_MAX + a spare"
#endif
#define NET_CHECK_MS 1000u /* link state and the management port */
#define NET_LINGER_S 20u   /* a closed connection's last bytes and FIN */

/* When a SYN finds every pcb taken, lwIP frees the most inactive one of a
 * lower priority than the listener's. A connection that has not sent the
 * start of a ClientHello (a TLS record header and a handshake header, and
 * more) drops to that lower priority: at its first bytes if they say less
 * (a client writes its ClientHello at once, and one segment carries far
 * more than this), or NET_YOUNG_MS after its SYN if it stays silent. So a
 * flood of slow or silent connections gives way to a client that says what
 * it wants at once. Until then it keeps the listener's priority: its first
 * bytes may still be on their way, and a stream of SYNs must not reset
 * every connection before it could speak. While every pcb is young, a new
 * SYN is dropped and its peer sends it again, seconds later: a trickler
 * whose first byte kept it young for a while would have cost a poller its
 * poll that way. A client's first bytes follow the ACK that completes its
 * handshake at once, on any path (they leave together), so the window only
 * covers their being read: at 100 ms rather than 250, 2-3 polls of 60 took
 * over 5 s under 50 silent re-opening sockets in QEMU (10 of 60 at 250). */
#define NET_PRIO_UNPROVEN (TCP_PRIO_NORMAL - 1)
#define NET_PROVEN_BYTES 48u
#define NET_YOUNG_MS 100u

/* A connection's receive queue is copied out of the pbuf pool into one
 * heap pbuf when it holds more pool buffers than this: a peer sending tiny
 * segments must not starve reception for everyone else. */
#define NET_RX_PBUFS_MAX (PBUF_POOL_SIZE / 2)

typedef struct {
    struct tcp_pcb *pcb; /* NULL once closed, or freed by lwIP after an error */
    struct pbuf *rx;     /* received and not read yet */
    bool used : 1;
    bool fin : 1;     /* the peer has sent everything: after rx, CLOSED */
    bool refused : 1; /* refused or closed by its owner: released at the end of this
                         poll, or as soon as lwIP frees its pcb */
    bool stuck : 1;   /* both windows were shut at the last poll */
    bool proven : 1;  /* has said NET_PROVEN_BYTES */
    uint16_t born_ms; /* sys_now() at accept, low 16 bits (NET_YOUNG_MS is shorter) */
} conn_t;

static struct netif nif;
static struct dhcp dhcp_state;
static struct tcp_pcb *listener;
static uint16_t listen_port;
static bool listen_failed; /* said so on the console already */
static uint32_t last_check_ms;
static conn_t conns[NET_SLOTS];

u32_t sys_now(void) { return hal_clock_ms(); }

/* ---- the transport -------------------------------------------------------- */

/*
 * lwIP polls every pcb of ours each second (NET_POLL_TICKS), to end two
 * kinds of connections that would otherwise hold the device's resources:
 *
 * - Both windows shut: the peer sends requests without reading answers
 *   and we answer without reading requests. No byte can move until the
 *   peer reads, and lwIP 2.1.3 then trades ACKs with some stacks at wire
 *   speed: its zero-window probe moves snd_nxt past the peer's shut window,
 *   so the peer drops our ACKs unread and answers each with an ACK whose
 *   sequence number lwIP, having taken the peer's own probe byte, finds
 *   old and answers again. QEMU's slirp does, ~20,000 packets a second.
 *   A live connection found so twice in a row is reset.
 * - A closed connection still delivering its last bytes and FIN: given up
 *   when the peer's window is shut (it stopped reading) or after
 *   NET_LINGER_S. Its pcb and its queued bytes in lwIP's heap come back.
 */
#define NET_POLL_TICKS 2u /* tcp_poll counts lwIP's 500 ms TCP timer */

/* Both windows as the peers last told each other: shut. */
static bool windows_shut(const struct tcp_pcb *pcb)
{
    return pcb->rcv_ann_wnd == 0 && pcb->snd_wnd == 0;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    conn_t *c = arg;
    bool shut = windows_shut(pcb);
    if (shut && c->stuck) {
        tcp_abort(pcb); /* calls on_err: c forgets the pcb */
        return ERR_ABRT;
    }
    c->stuck = shut;
    return ERR_OK;
}

/* arg: the time (sys_now) at which to give up, not a slot. */
static err_t on_linger(void *arg, struct tcp_pcb *pcb)
{
    uint32_t give_up_ms = (uint32_t)(uintptr_t)arg;
    if (pcb->snd_wnd != 0 && (int32_t)(sys_now() - give_up_ms) < 0) return ERR_OK;
    tcp_abort(pcb);
    return ERR_ABRT;
}

/* Detaches c from its pcb and closes it: a FIN once the unread bytes are
 * acknowledged, or a reset if lwIP has no memory for the FIN. The pcb
 * lingers until its last bytes and FIN are acknowledged (see on_linger),
 * at the lowest priority: when a new connection finds every pcb taken,
 * lwIP reclaims a lingering one first. */
static void conn_release(conn_t *c)
{
    struct tcp_pcb *pcb = c->pcb;
    if (pcb) {
        tcp_recv(pcb, NULL);
        tcp_err(pcb, NULL);
        tcp_arg(pcb, (void *)(uintptr_t)(sys_now() + NET_LINGER_S * 1000u));
        tcp_poll(pcb, on_linger, NET_POLL_TICKS);
        tcp_setprio(pcb, TCP_PRIO_MIN);
        if (c->rx) tcp_recved(pcb, c->rx->tot_len);
        if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
    }
    if (c->rx) pbuf_free(c->rx);
    memset(c, 0, sizeof *c);
}

static int32_t conn_recv(void *ctx, uint8_t *buf, size_t len)
{
    conn_t *c = ctx;
    if (!c->pcb) return TRANSPORT_CLOSED;
    if (!c->rx) return c->fin ? TRANSPORT_CLOSED : TRANSPORT_AGAIN;
    u16_t want = len < c->rx->tot_len ? (u16_t)len : c->rx->tot_len;
    u16_t n = pbuf_copy_partial(c->rx, buf, want, 0);
    c->rx = pbuf_free_header(c->rx, n);
    tcp_recved(c->pcb, n); /* reopens the window by what was read */
    return n;
}

static int32_t conn_send(void *ctx, const uint8_t *buf, size_t len)
{
    conn_t *c = ctx;
    if (!c->pcb) return TRANSPORT_CLOSED;
    u16_t room = tcp_sndbuf(c->pcb);
    u16_t n = len < room ? (u16_t)len : room;
    if (n == 0) return TRANSPORT_AGAIN;
    err_t err = tcp_write(c->pcb, buf, n, TCP_WRITE_FLAG_COPY);
    if (err == ERR_MEM) return TRANSPORT_AGAIN; /* heap or segment queue full */
    if (err != ERR_OK) return TRANSPORT_CLOSED; /* no longer connected */
    /* What tcp_output cannot send now (no memory, no route) stays queued
     * and goes with lwIP's next timer or ACK: nothing to handle here. */
    (void)tcp_output(c->pcb);
    return n;
}

static int32_t conn_ready(void *ctx)
{
    conn_t *c = ctx;
    if (!c->pcb || (!c->rx && c->fin)) return TRANSPORT_CLOSED;
    return c->rx ? c->rx->tot_len : TRANSPORT_AGAIN;
}

/* Released at the end of this poll, outside lwIP's callbacks (the owner may
 * close another connection from inside on_accept). */
static bool any_refused; /* some conns[].refused is set */

static void conn_close(void *ctx)
{
    conn_t *c = ctx;
    if (!c->pcb) { /* lwIP freed it: nothing to close, the slot is free at once */
        conn_release(c);
        return;
    }
    c->refused = true;
    any_refused = true;
}

/* ---- lwIP's callbacks --------------------------------------------------------- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    conn_t *c = arg;
    (void)err; /* err is always ERR_OK in lwIP 2.1 */
    if (!p) {
        c->fin = true;
        return ERR_OK;
    }
    if (!c->proven) {
        c->proven = (uint32_t)(c->rx ? c->rx->tot_len : 0) + p->tot_len >= NET_PROVEN_BYTES;
        tcp_setprio(pcb, c->proven ? TCP_PRIO_NORMAL : NET_PRIO_UNPROVEN);
    }
    if (c->rx) {
        pbuf_cat(c->rx, p);
    } else {
        c->rx = p;
    }
    /* A connection that has said little keeps no pool buffer: a flood of
     * them trickling bytes would leave none for reception (not even for
     * the SYN of a client that would say more). */
    if (pbuf_clen(c->rx) > NET_RX_PBUFS_MAX || !c->proven) {
        struct pbuf *q = pbuf_clone(PBUF_RAW, PBUF_RAM, c->rx);
        if (q) { /* else it stays in the pool; the window still bounds it */
            pbuf_free(c->rx);
            c->rx = q;
        }
    }
    return ERR_OK;
}

/* The pcb is already freed: forget it; the owner sees TRANSPORT_CLOSED. */
static void on_err(void *arg, err_t err)
{
    conn_t *c = arg;
    (void)err;
    c->pcb = NULL;
    if (c->refused) conn_release(c); /* its owner has let it go already */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb) return ERR_VAL; /* lwIP ran out of pcbs */
    conn_t *c = NULL;
    for (int i = 0; i < NET_SLOTS && !c; i++)
        if (!conns[i].used) c = &conns[i];
    if (!c) { /* the spare is taken too */
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    c->used = true;
    c->pcb = pcb;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, NET_POLL_TICKS);
    tcp_nagle_disable(pcb); /* TLS records go out whole, at once */
    c->born_ms = (uint16_t)sys_now(); /* the listener's priority until NET_YOUNG_MS */
    static const transport_ops_t ops = {conn_recv, conn_send, conn_ready, conn_close};
    transport_t t = {&ops, c, lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)))};
    if (!mgmt_accept(&t)) c->refused = any_refused = true;
    return ERR_OK;
}

static void close_refused(void)
{
    if (!any_refused) return; /* the common poll: nothing to release */
    any_refused = false;
    for (int i = 0; i < NET_SLOTS; i++)
        if (conns[i].refused) conn_release(&conns[i]);
}

/* Connections that stayed quiet past NET_YOUNG_MS drop to the unproven
 * priority. Returns the ms until the next one is due (or `wait`). The
 * clock is read here, as on_accept read it: the poll's own start is older
 * than a connection accepted during the poll (its age would wrap, and it
 * would lose its youth at once). */
static uint32_t demote_quiet(uint32_t wait)
{
    uint32_t now_ms = sys_now();
    for (int i = 0; i < NET_SLOTS; i++) {
        conn_t *c = &conns[i];
        if (!c->pcb || c->proven || c->pcb->prio == NET_PRIO_UNPROVEN) continue;
        uint32_t age = (uint16_t)(now_ms - c->born_ms);
        if (age >= NET_YOUNG_MS)
            tcp_setprio(c->pcb, NET_PRIO_UNPROVEN);
        else if (NET_YOUNG_MS - age < wait)
            wait = NET_YOUNG_MS - age;
    }
    return wait;
}

/* ---- the management port ---------------------------------------------------------- */

/* Listens on the configured port, moving the listener when the setting
 * changed. A failure (the port held by a connection in TIME_WAIT, no pcb
 * free) is said once and retried at the next check. */
static void listen_update(void)
{
    uint16_t port = (uint16_t)agent_cfg()->mgmt_port;
    if (listener && port == listen_port) return;
    if (listener) {
        if (tcp_close(listener) != ERR_OK) return; /* listeners close at once */
        listener = NULL;
    }
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    struct tcp_pcb *l = NULL;
    if (pcb && tcp_bind(pcb, IP4_ADDR_ANY, port) == ERR_OK) l = tcp_listen(pcb);
    if (!l) {
        if (pcb) tcp_abort(pcb);
        if (!listen_failed) console_say("network: cannot listen on port %u", (uint32_t)port);
        listen_failed = true;
        return;
    }
    tcp_accept(l, on_accept);
    listener = l;
    listen_port = port;
    listen_failed = false;
}

/* ---- interface ------------------------------------------------------------------- */

static void on_status(struct netif *n)
{
    const ip4_addr_t *a = netif_ip4_addr(n);
    if (!netif_is_up(n) || ip4_addr_isany(a)) return;
    char text[IP4ADDR_STRLEN_MAX];
    console_say("network: %s (%s)", ip4addr_ntoa_r(a, text, sizeof text),
                dhcp_supplied_address(n) ? "DHCP" : "static");
}

/* An address from the settings (a<<24|b<<16|c<<8|d) in lwIP's form. */
static void to_ip4(ip4_addr_t *ip, uint32_t v)
{
    IP4_ADDR(ip, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v);
}

/* ---- the date, by SNTP ---------------------------------------------------------------- */

static uint32_t ntp_server; /* the net.ntp in use; 0: DHCP's */

void fw_sntp_set_time(uint32_t sec)
{
    bool first = !agent_wall_s();
    board_set_wall_s(sec);
    if (first && agent_wall_s()) console_say("clock: %W (SNTP)", agent_wall_s());
}

/* The transmit timestamp of a request, which the reply must echo: the
 * clock, with a random fraction. */
void fw_sntp_stamp(uint32_t *sec, uint32_t *usec)
{
    uint32_t r = hal_entropy_jitter();
    (void)tls_random((uint8_t *)&r, sizeof r);
    *sec = agent_wall_s() ? agent_wall_s() : agent_now_s();
    *usec = r % 1000000u;
}

/* Asks net.ntp's server, or the one DHCP offers when none is set, now. */
static void ntp_start(void)
{
    ip4_addr_t server;
    ntp_server = agent_cfg()->net_ntp;
    sntp_stop();
    sntp_setoperatingmode(SNTP_OPMODE_POLL);
    sntp_servermode_dhcp(ntp_server == 0);
    if (ntp_server) {
        to_ip4(&server, ntp_server);
        sntp_setserver(0, &server);
    }
    sntp_init();
}

void fw_net_init(void)
{
    const cfg_t *c = agent_cfg();
    ip4_addr_t ip, mask, gw;
    to_ip4(&ip, c->net_address); /* 0.0.0.0: DHCP */
    to_ip4(&mask, c->net_netmask);
    to_ip4(&gw, c->net_gateway);
    lwip_init();
    if (!netif_add(&nif, &ip, &mask, &gw, NULL, eth_netif_init, ethernet_input))
        fw_panic("network: no interface"); /* eth_netif_init cannot fail */
    netif_set_hostname(&nif, NET_HOSTNAME);
    netif_set_status_callback(&nif, on_status);
    netif_set_default(&nif);
    dhcp_set_struct(&nif, &dhcp_state); /* static, not from lwIP's heap */
    netif_set_up(&nif);
    /* The TLS generator first: DHCP's transaction ids and TCP's initial
     * sequence numbers come from it (net_rand.c). */
    fw_provision_apply();
    mgmt_init();
    /* Starts now, or as soon as the link comes up. */
    if (c->net_address == 0 && dhcp_start(&nif) != ERR_OK) console_say("network: DHCP did not start");
    eth_link_poll(&nif);
    last_check_ms = hal_clock_ms();
    listen_update();
    ntp_start();
}

uint32_t fw_net_poll(uint32_t now_ms)
{
    bool more = eth_poll(&nif);
    close_refused();
    if (now_ms - last_check_ms >= NET_CHECK_MS) {
        last_check_ms = now_ms;
        eth_link_poll(&nif);
        listen_update();
        if (agent_cfg()->net_ntp != ntp_server) ntp_start(); /* net.ntp changed */
    }
    sys_check_timeouts();
    uint32_t wait = demote_quiet(mgmt_poll(now_ms));
    close_refused();
    uint32_t lwip_wait = sys_timeouts_sleeptime();
    uint32_t check_wait = NET_CHECK_MS - (now_ms - last_check_ms);
    if (lwip_wait < wait) wait = lwip_wait;
    if (check_wait < wait) wait = check_wait;
    return more || eth_pending() ? 0 : wait;
}
