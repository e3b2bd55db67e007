/*
 * samba.h - the SMB HAL (hal_smb.h) bound to a running Samba server.
 *
 * A sample runs `smbstatus -s CONF --json` as a child and parses its table
 * (smbjson.h); activity comes from the kernel's TCP counters (tcpact.h).
 * Ending a connection runs `smbcontrol -s CONF PID shutdown`, ending a
 * client `smbcontrol -s CONF smbd kill-client-ip IP`. The next sample waits
 * (a few seconds at most) for the processes asked to go to exit, so it
 * judges the result rather than the race.
 */
#ifndef SAMBA_H
#define SAMBA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    const char *conf;       /* smb.conf of the server watched */
    const char *smbstatus;  /* program, searched in PATH without a slash */
    const char *smbcontrol;
    const char *guest;      /* Samba's guest account ("nobody") */
} samba_config_t;

#define SAMBA_STATUS_TIMEOUT_MS 10000u  /* smbstatus must answer in this */
#define SAMBA_CONTROL_TIMEOUT_MS 5000u  /* smbcontrol likewise */
#define SAMBA_EXIT_WAIT_MS 5000u        /* a process asked to go, at most */
#define SAMBA_OUTPUT_MAX (64u << 20)    /* largest smbstatus output taken */

/* Keeps cfg (its strings must live on). */
void samba_init(const samba_config_t *cfg);

/* host_board_t.pollfds: the helpers' pipes, and a short wait while the
 * board waits for processes to exit. */
struct pollfd;
int samba_pollfds(struct pollfd *p, int max, uint32_t *wait_ms);

/* Parses the text of /proc/PID/stat: the command name (into comm[cap]),
 * the parent's pid and the start time (ticks since boot). 0, or -1 when the
 * text is not one (any bytes, NUL-terminated). */
int samba_parse_stat(const char *text, char *comm, size_t cap, pid_t *ppid, uint64_t *start);

#endif
