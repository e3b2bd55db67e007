/*
 * tcpact.h - an activity counter per SMB connection, from what the kernel
 * knows about the TCP connection the smbd serves.
 *
 * Samba reports no idle time. The kernel counts, per TCP socket, the bytes
 * and the data segments received (tcp_info tcpi_bytes_received and
 * tcpi_data_segs_in, read for every socket with one NETLINK_SOCK_DIAG dump).
 * Between two samples a connection counts as active unless everything it
 * received could be keepalives alone: SMB2 ECHO requests (72 bytes with the
 * 4-byte transport header, signed or not; 124 encrypted) and NetBIOS
 * session keepalives (4 bytes), one per segment. smbclient echoes every 5 s
 * at its prompt and Linux cifs every 60 s; neither makes a session active.
 *
 * Limits: activity is per connection, so every session on one connection
 * shares it. A request of exactly an echo's size (LOGOFF, TREE_DISCONNECT,
 * CANCEL) alone in a sampling interval also looks like an echo. Traffic the
 * server sends (oplock breaks, notifications) is not the client's activity.
 * A connection whose socket cannot be found counts as active at every
 * sample: without evidence of idleness, nothing is called idle.
 */
#ifndef TCPACT_H
#define TCPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbjson.h"

/* Received-side counters of one TCP socket, by its remote end. */
typedef struct {
    smb_endpoint_t peer;
    uint64_t bytes_in;
    uint32_t segs_in;
} tcp_flow_t;

typedef struct {
    tcp_flow_t *flow;
    size_t count, cap;
} tcp_flows_t;

/* Reads every established IPv4 and IPv6 TCP socket of this network
 * namespace into *f (reusing its memory). 0, or -1 with errno. */
int tcpact_dump(tcp_flows_t *f);

void tcpact_flows_free(tcp_flows_t *f);

/* One recv()'s worth of a sock_diag dump, buf[n] (aligned to 4), into *f:
 * 1 when the dump is done, 0 when more is to come, -1 on an error message
 * (errno set). Whatever the bytes, it reads nothing outside buf. */
int tcpact_take(tcp_flows_t *f, const void *buf, size_t n);

/* The flow whose remote end is peer, or NULL (also when two match). */
const tcp_flow_t *tcpact_find(const tcp_flows_t *f, const smb_endpoint_t *peer);

/* Whether dbytes received in dsegs data segments can be keepalives only. */
bool tcpact_echo_only(uint64_t dbytes, uint32_t dsegs);

/* Per-connection counters between samples. */
typedef struct {
    uint32_t pid;
    smb_endpoint_t peer;
    uint64_t bytes_in;
    uint32_t segs_in;
    uint32_t activity;
    uint32_t gen; /* sample that last saw it */
    bool known;   /* bytes_in/segs_in hold a reading */
} tcp_conn_t;

typedef struct {
    tcp_conn_t *conn;
    size_t count, cap;
    uint32_t gen;
} tcpact_t;

/* Starts a sample: connections not touched by tcpact_touch() before the
 * next tcpact_begin() are forgotten then. */
void tcpact_begin(tcpact_t *a);

/* The activity counter of the connection served by pid for peer, given its
 * socket's flow (NULL if not found). It changes whenever the connection was
 * active since the last sample; it wraps. */
uint32_t tcpact_touch(tcpact_t *a, uint32_t pid, const smb_endpoint_t *peer,
                      const tcp_flow_t *flow);

void tcpact_free(tcpact_t *a);

#endif
