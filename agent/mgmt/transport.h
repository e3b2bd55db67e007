/*
 * transport.h - the byte stream under TLS: a board's table of non-blocking
 * calls and the connection they act on, so the same TLS and HTTP code runs
 * over BSD sockets (host) and lwIP's raw TCP API (firmware). Nothing above
 * this seam knows which.
 *
 * Every call returns at once. Return values of recv and send:
 *   > 0                 that many bytes were moved (send may take fewer
 *                       than offered: a partial transfer; offer the rest
 *                       later);
 *   TRANSPORT_AGAIN (0) nothing can move now (would block); try again on a
 *                       later poll;
 *   TRANSPORT_CLOSED    the peer closed or the connection failed; no more
 *                       bytes will move either way. Call close().
 * ready() tells, without reading them, how many received bytes wait (0
 * when none; a board may count low, but at least 1 when any wait), or
 * TRANSPORT_CLOSED.
 * close() releases the connection; the owner makes no call after it. A
 * board may finish the release later in its own loop (lwIP cannot free a
 * connection from inside its callbacks).
 * Buffers are the caller's and are not kept after the call.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

enum { TRANSPORT_AGAIN = 0, TRANSPORT_CLOSED = -1 };

typedef struct {
    int32_t (*recv)(void *ctx, uint8_t *buf, size_t len);
    int32_t (*send)(void *ctx, const uint8_t *buf, size_t len);
    int32_t (*ready)(void *ctx);
    void (*close)(void *ctx);
} transport_ops_t;

typedef struct {
    const transport_ops_t *ops; /* the board's, one table for all its connections */
    void *ctx;                  /* the connection */
    uint32_t source;            /* the peer's address as a key: an IPv4 address,
                                   a hash of another; 0 when unknown */
} transport_t;

#endif
