/*
 * host.h - what the POSIX board pieces share: the NV file, the console on
 * stdin/stdout, and re-execution for `reboot`. Used by the host board and by
 * Linux boards built on it.
 */
#ifndef HOST_H
#define HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct option;
struct pollfd;

/* What a Linux board adds to the common process. */
#define HOST_BOARD_FDS_MAX 8
typedef struct {
    const char *usage;          /* its option lines, appended to --help */
    const struct option *opts;  /* its getopt_long options, {0}-terminated;
                                   at most 8; val must not be s m C K A h ? */
    void (*option)(int val, const char *arg); /* one of them; exits 2 if bad */
    void (*start)(void);        /* after the options; exits 2 on error */
    /* Optional: up to HOST_BOARD_FDS_MAX descriptors that should wake the
     * loop, and *wait_ms shortened to its next deadline. Returns the count. */
    int (*pollfds)(struct pollfd *p, int max, uint32_t *wait_ms);
} host_board_t;

/* Runs the agent until SIGTERM or SIGINT; returns the exit status. */
int host_main(int argc, char **argv, const host_board_t *board);

/* Opens (creating) DIR/nv.bin as the NV store. 0, or -1 with errno set. */
int host_nv_open(const char *dir);

/* Whether stdin is a terminal (the console then echoes and edits lines). */
bool host_console_is_terminal(void);

/* Puts stdin in raw mode if it is a terminal. Returns true if it is. The
 * previous mode is restored at exit and before a reboot. */
bool host_console_open(void);

/* Restores the terminal; safe to call more than once. */
void host_console_close(void);

/* File descriptor to wait on for console input, or -1 once it closed. */
int host_console_fd(void);

/* Remembers argv so hal_system_reset() can start the program again. */
void host_set_argv(char **argv);

/* Listens for the management channel on every address host resolves to
 * (a name such as localhost, an IPv4 or IPv6 literal) at port. 0 with the
 * URLs served written into where, or -1 with the reason there. */
#define HOST_LISTEN_MAX 4 /* listening sockets: one per address */
int host_net_listen(const char *host, uint16_t port, char *where, size_t cap);

/* Accepts waiting connections and hands them to mgmt_accept(). */
void host_net_poll(void);

/* Fills p with the sockets to wait on (up to max); returns the count. */
int host_net_pollfds(struct pollfd *p, int max);

#endif
