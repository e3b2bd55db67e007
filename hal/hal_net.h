/*
 * hal_net.h - the board's network, outward: what the event log needs to
 * reach a syslog collector. Every call returns at once.
 */
#ifndef HAL_NET_H
#define HAL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

/* hal_net_udp_send() */
enum { HAL_NET_FAIL = -1, HAL_NET_AGAIN = 0, HAL_NET_SENT = 1 };

/*
 * Sends buf[len] as one UDP datagram to addr:port (IPv4, a<<24|b<<16|c<<8|d).
 * HAL_NET_SENT; HAL_NET_AGAIN when it could not go now (no buffer, no link,
 * or the collector refused the one before: an ICMP port unreachable) and
 * should be offered again later; HAL_NET_FAIL when it never can (too long).
 */
int hal_net_udp_send(uint32_t addr, uint16_t port, const void *buf, size_t len);

/*
 * Starts a TCP connection to addr:port, filling in *t. Until it is up,
 * t->send returns TRANSPORT_AGAIN; if it fails, TRANSPORT_CLOSED. False when
 * the board cannot connect out (no TCP client, none free).
 */
bool hal_net_connect(uint32_t addr, uint16_t port, transport_t *t);

/* The board's name for the HOSTNAME of its syslog messages: its host name,
 * or its IPv4 address in dotted form; printable ASCII, at most cap - 1. */
void hal_net_name(char *buf, size_t cap);

#endif
