#define _GNU_SOURCE
#include "tcpact.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Kernel TCP states (include/net/tcp_states.h) whose sockets still carry a
 * client: established, and closed by the client but not yet by smbd. */
#define ST_ESTABLISHED 1
#define ST_CLOSE_WAIT 8

#define ECHO_BYTES 72      /* SMB2 ECHO request, plain or signed */
#define ECHO_SEALED 124    /* ... with the 52-byte transform header */
#define NBT_KEEPALIVE 4    /* NetBIOS session keepalive */
#define ECHO_SEGS_MAX 64   /* more segments than this is never idle */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static void take_msg(tcp_flows_t *f, const struct nlmsghdr *h)
{
    const struct inet_diag_msg *m = NLMSG_DATA(h);
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m)) return;
    struct tcp_info info;
    memset(&info, 0, sizeof info);
    bool have = false;
    /* The attributes, walked with sizes (the RTA_ macros mix signedness). */
    const char *at = (const char *)(m + 1), *end = (const char *)h + h->nlmsg_len;
    while (at < end && (size_t)(end - at) >= sizeof(struct rtattr)) {
        const struct rtattr *a = (const struct rtattr *)at;
        if (a->rta_len < sizeof *a || a->rta_len > (size_t)(end - at)) break;
        at += RTA_ALIGN(a->rta_len);
        if (a->rta_type != INET_DIAG_INFO) continue;
        size_t got = a->rta_len - sizeof *a, n = got < sizeof info ? got : sizeof info;
        memcpy(&info, a + 1, n);
        /* Kernels before 4.6 lack tcpi_data_segs_in: no reading then. */
        have = n >= offsetof(struct tcp_info, tcpi_data_segs_in) + sizeof info.tcpi_data_segs_in;
    }
    if (!have || grow((void **)&f->flow, &f->cap, f->count + 1, sizeof *f->flow) != 0) return;
    tcp_flow_t *fl = &f->flow[f->count++];
    memset(fl, 0, sizeof *fl);
    fl->peer.family = m->idiag_family;
    memcpy(fl->peer.addr, m->id.idiag_dst, m->idiag_family == AF_INET ? 4 : 16);
    fl->peer.port = ntohs(m->id.idiag_dport);
    fl->bytes_in = info.tcpi_bytes_received;
    fl->segs_in = info.tcpi_data_segs_in;
}

/* One family's dump. The kernel answers from memory: recv never waits on
 * the network. */
static int dump_family(int fd, tcp_flows_t *f, uint8_t family)
{
    struct {
        struct nlmsghdr h;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = (1u << ST_ESTABLISHED) | (1u << ST_CLOSE_WAIT);
    req.r.idiag_ext = 1u << (INET_DIAG_INFO - 1);
    if (send(fd, &req, sizeof req, 0) != (ssize_t)sizeof req) return -1;
    static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        int rc = tcpact_take(f, buf, (size_t)n);
        if (rc != 0) return rc > 0 ? 0 : -1;
    }
}

int tcpact_take(tcp_flows_t *f, const void *buf, size_t n)
{
    const char *b = buf;
    for (size_t off = 0; off + sizeof(struct nlmsghdr) <= n;) {
        const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)(b + off);
        if (h->nlmsg_len < sizeof *h || h->nlmsg_len > n - off) break;
        off += NLMSG_ALIGN(h->nlmsg_len);
        if (h->nlmsg_type == NLMSG_DONE) return 1;
        if (h->nlmsg_type == NLMSG_ERROR) {
            /* the error code, if the message is long enough to hold one
             * and it is a plausible errno; EIO otherwise */
            int code = 0;
            if (h->nlmsg_len >= NLMSG_LENGTH(sizeof code)) memcpy(&code, NLMSG_DATA(h), sizeof code);
            errno = code < 0 && code > -4096 ? -code : EIO;
            return -1;
        }
        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) take_msg(f, h);
    }
    return 0;
}

int tcpact_dump(tcp_flows_t *f)
{
    f->count = 0;
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -1;
    int rc = dump_family(fd, f, AF_INET);
    if (rc == 0) rc = dump_family(fd, f, AF_INET6);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

void tcpact_flows_free(tcp_flows_t *f)
{
    free(f->flow);
    memset(f, 0, sizeof *f);
}

static bool same_peer(const smb_endpoint_t *a, const smb_endpoint_t *b)
{
    return a->family == b->family && a->port == b->port &&
           memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

const tcp_flow_t *tcpact_find(const tcp_flows_t *f, const smb_endpoint_t *peer)
{
    const tcp_flow_t *hit = NULL;
    if (peer->family == 0) return NULL;
    for (size_t i = 0; i < f->count; i++) {
        if (!same_peer(&f->flow[i].peer, peer)) continue;
        if (hit) return NULL; /* ambiguous: no evidence either way */
        hit = &f->flow[i];
    }
    return hit;
}

bool tcpact_echo_only(uint64_t dbytes, uint32_t dsegs)
{
    if (dsegs > ECHO_SEGS_MAX) return false;
    /* Is there a split of dsegs segments into keepalives, echoes and sealed
     * echoes adding up to dbytes? */
    for (uint32_t sealed = 0; sealed <= dsegs; sealed++)
        for (uint32_t echo = 0; sealed + echo <= dsegs; echo++) {
            uint64_t rest = dsegs - sealed - echo;
            if ((uint64_t)sealed * ECHO_SEALED + (uint64_t)echo * ECHO_BYTES +
                    rest * NBT_KEEPALIVE == dbytes)
                return true;
        }
    return false;
}

void tcpact_begin(tcpact_t *a)
{
    size_t keep = 0;
    for (size_t i = 0; i < a->count; i++)
        if (a->conn[i].gen == a->gen) a->conn[keep++] = a->conn[i];
    a->count = keep;
    a->gen++;
}

uint32_t tcpact_touch(tcpact_t *a, uint32_t pid, const smb_endpoint_t *peer,
                      const tcp_flow_t *flow)
{
    tcp_conn_t *c = NULL;
    for (size_t i = 0; i < a->count && !c; i++)
        if (a->conn[i].pid == pid && same_peer(&a->conn[i].peer, peer)) c = &a->conn[i];
    if (!c) {
        if (grow((void **)&a->conn, &a->cap, a->count + 1, sizeof *a->conn) != 0)
            return a->gen; /* no memory to remember it: call it active */
        c = &a->conn[a->count++];
        memset(c, 0, sizeof *c);
        c->pid = pid;
        c->peer = *peer;
    } else if (c->gen == a->gen) {
        return c->activity; /* another session on the same connection */
    }
    c->gen = a->gen;
    if (!flow) {
        c->known = false;
        return ++c->activity;
    }
    if (c->known && !tcpact_echo_only(flow->bytes_in - c->bytes_in,
                                      flow->segs_in - c->segs_in))
        c->activity++;
    c->known = true;
    c->bytes_in = flow->bytes_in;
    c->segs_in = flow->segs_in;
    return c->activity;
}

void tcpact_free(tcpact_t *a)
{
    free(a->conn);
    memset(a, 0, sizeof *a);
}
