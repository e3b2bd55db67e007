/* The management channel's transport over non-blocking BSD sockets. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hal_entropy.h"
#include "hal_net.h"
#include "host.h"
#include "mgmt.h"

/* The served connections, the lobby, and one spare: a connection beyond
 * them is accepted, offered to mgmt_accept() (which makes room or counts
 * the refusal) and closed. */
#define SOCKS (MGMT_CONN_MAX + MGMT_LOBBY_MAX + 1)

typedef struct {
    int fd;
    bool want_write; /* the last send would have blocked */
} sock_t;

static sock_t socks[SOCKS];
/* One listening socket per address the name resolves to (IPv4, IPv6). */
#define LISTEN_MAX HOST_LISTEN_MAX
static int listen_fds[LISTEN_MAX];
static int listen_count;

static int32_t sock_recv(void *ctx, uint8_t *buf, size_t len)
{
    sock_t *s = ctx;
    ssize_t n = recv(s->fd, buf, len, MSG_DONTWAIT);
    if (n > 0) return (int32_t)n;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return TRANSPORT_AGAIN;
    return TRANSPORT_CLOSED;
}

static int32_t sock_send(void *ctx, const uint8_t *buf, size_t len)
{
    sock_t *s = ctx;
    ssize_t n = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    s->want_write = false;
    if (n > 0) return (int32_t)n;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        s->want_write = true;
        return TRANSPORT_AGAIN;
    }
    return TRANSPORT_CLOSED;
}

static int32_t sock_ready(void *ctx)
{
    sock_t *s = ctx;
    uint8_t b;
    int waiting = 0;
    ssize_t n = recv(s->fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return TRANSPORT_CLOSED;
    if (n < 0) return TRANSPORT_AGAIN;
    return ioctl(s->fd, FIONREAD, &waiting) == 0 && waiting > 0 ? waiting : 1;
}

static void sock_close(void *ctx)
{
    sock_t *s = ctx;
    close(s->fd);
    s->fd = -1;
}

static const transport_ops_t sock_ops = {sock_recv, sock_send, sock_ready, sock_close};

/* Binds one listening socket; v6only keeps an IPv6 socket off IPv4 when
 * the IPv4 address has a socket of its own. */
static int listen_on(const struct addrinfo *ai, bool v6only)
{
    int one = 1, fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){v6only}, sizeof(int));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
        int e = errno;
        close(fd);
        return errno = e, -1;
    }
    return fd;
}

/* Listens on every address of one resolved name; appends the URLs to where. */
static int listen_name(const char *host, uint16_t port, bool v6only, char *where, size_t cap)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res, *ai;
    char service[8];
    int rc, err = EADDRNOTAVAIL;
    snprintf(service, sizeof service, "%u", port);
    if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
        snprintf(where, cap, "%s", gai_strerror(rc));
        return EINVAL;
    }
    for (ai = res; ai; ai = ai->ai_next) v6only |= ai->ai_family == AF_INET;
    for (ai = res; ai && listen_count < LISTEN_MAX; ai = ai->ai_next) {
        char addr[INET6_ADDRSTRLEN];
        int fd = listen_on(ai, v6only);
        if (fd < 0) {
            err = errno;
            continue;
        }
        listen_fds[listen_count++] = fd;
        err = 0;
        getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
        size_t n = strlen(where);
        snprintf(where + n, cap - n, ai->ai_family == AF_INET6 ? "%shttps://[%s]:%u/" : "%shttps://%s:%u/",
                 n ? " and " : "", addr, port);
    }
    freeaddrinfo(res);
    return err;
}

int host_net_listen(const char *host, uint16_t port, char *where, size_t cap)
{
    /* localhost is the loopback of both families (RFC 6761), whatever
     * /etc/hosts says. */
    static const char *const loopback[] = {"127.0.0.1", "::1"};
    bool local = strcmp(host, "localhost") == 0;
    int err = 0;
    for (int i = 0; i < SOCKS; i++) socks[i].fd = -1;
    where[0] = '\0';
    for (int i = 0; i < (local ? 2 : 1); i++) {
        int e = listen_name(local ? loopback[i] : host, port, local, where, cap);
        if (e == EINVAL) return errno = EINVAL, -1; /* the reason is in where */
        if (e && !err) err = e;
    }
    if (listen_count == 0) {
        snprintf(where, cap, "%s", strerror(err));
        return errno = err, -1;
    }
    return 0;
}

/* The peer's address as transport_t.source: an IPv4 address (also when
 * mapped into IPv6), else a hash of the IPv6 address (FNV-1a from a start
 * drawn at the first connection, so a peer cannot pick an address whose
 * key is another's). */
static uint32_t source_key(const struct sockaddr_storage *a)
{
    static uint32_t start;
    if (a->ss_family == AF_INET) return ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr);
    if (a->ss_family != AF_INET6) return 0;
    const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(v6)) {
        uint32_t v4;
        memcpy(&v4, &v6->s6_addr[12], 4);
        return ntohl(v4);
    }
    if (!start) (void)hal_entropy_read((uint8_t *)&start, sizeof start);
    uint32_t h = start;
    for (int i = 0; i < 16; i++) h = (h ^ v6->s6_addr[i]) * 16777619u;
    return h;
}

static void accept_from(int listen_fd)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept4(listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sock_t *s = NULL;
        for (int i = 0; i < SOCKS && !s; i++)
            if (socks[i].fd < 0) s = &socks[i];
        if (!s) { /* only when the spare is in use too */
            close(fd);
            continue;
        }
        s->fd = fd;
        s->want_write = false;
        transport_t t = {&sock_ops, s, source_key(&peer)};
        if (!mgmt_accept(&t)) sock_close(s);
    }
}

void host_net_poll(void)
{
    for (int i = 0; i < listen_count; i++) accept_from(listen_fds[i]);
}

/* ---- out: the syslog collector (hal_net.h) ------------------------------ */

static int udp_fd = -1;
static uint32_t udp_addr;
static uint16_t udp_port;
static sock_t out = {-1, false}; /* the TLS collector's connection */

static struct sockaddr_in inet4(uint32_t addr, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(addr);
    return sa;
}

/* A connected socket: the kernel tells, at the next send, that an ICMP
 * port unreachable came back for the one before (ECONNREFUSED). */
int hal_net_udp_send(uint32_t addr, uint16_t port, const void *buf, size_t len)
{
    if (udp_fd < 0 || addr != udp_addr || port != udp_port) {
        struct sockaddr_in sa = inet4(addr, port);
        if (udp_fd >= 0) close(udp_fd);
        udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (udp_fd < 0 || connect(udp_fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
            if (udp_fd >= 0) close(udp_fd);
            udp_fd = -1;
            return HAL_NET_AGAIN;
        }
        udp_addr = addr;
        udp_port = port;
    }
    ssize_t n = send(udp_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == (ssize_t)len) return HAL_NET_SENT;
    return n < 0 && errno == EMSGSIZE ? HAL_NET_FAIL : HAL_NET_AGAIN;
}

bool hal_net_connect(uint32_t addr, uint16_t port, transport_t *t)
{
    struct sockaddr_in sa = inet4(addr, port);
    if (out.fd >= 0) return false; /* one at a time */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        return false;
    }
    out.fd = fd;
    out.want_write = true; /* wake when the connection is up */
    *t = (transport_t){&sock_ops, &out, 0};
    return true;
}

void hal_net_name(char *buf, size_t cap)
{
    if (gethostname(buf, cap) != 0) buf[0] = '\0';
    buf[cap - 1] = '\0';
    for (char *p = buf; *p; p++)
        if (*p <= ' ' || *p >= 0x7f) *p = '-'; /* RFC 5424: PRINTUSASCII */
}

int host_net_pollfds(struct pollfd *p, int max)
{
    int n = 0;
    if (out.fd >= 0 && n < max) p[n++] = (struct pollfd){out.fd, (short)(POLLIN | (out.want_write ? POLLOUT : 0)), 0};
    for (int i = 0; i < listen_count && n < max; i++)
        p[n++] = (struct pollfd){listen_fds[i], POLLIN, 0};
    for (int i = 0; i < SOCKS && n < max; i++)
        if (socks[i].fd >= 0)
            p[n++] = (struct pollfd){socks[i].fd, (short)(POLLIN | (socks[i].want_write ? POLLOUT : 0)), 0};
    return n;
}
