/*
 * host.h - what the POSIX board pieces share: the NV file, the console on
 * stdin/stdout, and re-execution for `reboot`. Used by the host board and by
 * Linux boards built on it.
 */
#ifndef HOST_H
#define HOST_H

#include <stdbool.h>
#include <stdint.h>

/* Opens (creating) DIR/nv.bin as the NV store. 0, or -1 with errno set. */
int host_nv_open(const char *dir);

/* Puts stdin in raw mode if it is a terminal. Returns true if it is. The
 * previous mode is restored at exit and before a reboot. */
bool host_console_open(void);

/* Restores the terminal; safe to call more than once. */
void host_console_close(void);

/* File descriptor to wait on for console input, or -1 once it closed. */
int host_console_fd(void);

/* Remembers argv so hal_system_reset() can start the program again. */
void host_set_argv(char **argv);

/* Listens for the management channel on addr:port (IPv4). 0, or -1 with
 * errno set. */
int host_net_listen(const char *addr, uint16_t port);

/* Accepts waiting connections and hands them to mgmt_accept(). */
void host_net_poll(void);

/* Fills p with the sockets to wait on (up to max); returns the count. */
struct pollfd;
int host_net_pollfds(struct pollfd *p, int max);

#endif
