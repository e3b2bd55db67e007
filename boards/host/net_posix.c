/* The management channel's transport over non-blocking BSD sockets. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host.h"
#include "mgmt.h"

/* One spare slot: a connection beyond the limit is accepted, offered to
 * mgmt_accept() (which counts the refusal) and closed. */
#define SOCKS (MGMT_CONN_MAX + 1)

typedef struct {
    int fd;
    bool want_write; /* the last send would have blocked */
} sock_t;

static sock_t socks[SOCKS];
static int listen_fd = -1;

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

static void sock_close(void *ctx)
{
    sock_t *s = ctx;
    close(s->fd);
    s->fd = -1;
}

int host_net_listen(const char *addr, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int one = 1;
    for (int i = 0; i < SOCKS; i++) socks[i].fd = -1;
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) return errno = EINVAL, -1;
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) return -1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(listen_fd, 16) != 0) {
        close(listen_fd);
        listen_fd = -1;
        return -1;
    }
    return 0;
}

void host_net_poll(void)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
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
        transport_t t = {sock_recv, sock_send, sock_close, s};
        if (!mgmt_accept(&t)) sock_close(s);
    }
}

int host_net_pollfds(struct pollfd *p, int max)
{
    int n = 0;
    if (listen_fd >= 0 && n < max) p[n++] = (struct pollfd){listen_fd, POLLIN, 0};
    for (int i = 0; i < SOCKS && n < max; i++)
        if (socks[i].fd >= 0)
            p[n++] = (struct pollfd){socks[i].fd, (short)(POLLIN | (socks[i].want_write ? POLLOUT : 0)), 0};
    return n;
}
