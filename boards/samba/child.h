/*
 * child.h - a helper program (smbstatus, smbcontrol) run without blocking:
 * its output is collected through non-blocking pipes as the main loop
 * polls, it has a deadline, and it is killed with its whole process group
 * when the deadline passes.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHILD_ERR_MAX 160 /* bytes of its stderr kept, for messages */

typedef enum {
    CHILD_IDLE,    /* nothing started, or the result was taken */
    CHILD_RUNNING,
    CHILD_DONE,    /* exited: see status */
    CHILD_TIMEOUT, /* killed at the deadline */
    CHILD_TOOBIG,  /* killed: printed more than out_max bytes */
} child_state_t;

typedef struct {
    child_state_t state;
    pid_t pid;
    int out, err;    /* our ends of its stdout and stderr, -1 when closed */
    char *buf;       /* its stdout, when captured */
    size_t len, cap, out_max;
    char errtext[CHILD_ERR_MAX]; /* the start of its stderr, terminated */
    size_t errlen;
    uint32_t deadline_ms;
    int status; /* wait status, with CHILD_DONE */
} child_t;

/* Starts argv[0] (searched in PATH when it has no slash) with stdin from
 * /dev/null. capture: keep its stdout (up to out_max bytes), else discard.
 * 0, or an errno value (ENOENT when the program does not exist). */
int child_start(child_t *c, char *const argv[], bool capture, size_t out_max,
                uint32_t now_ms, uint32_t timeout_ms);

/* Collects what is ready; returns c->state. Never blocks. */
child_state_t child_poll(child_t *c, uint32_t now_ms);

/* The descriptors to wake on while it runs (up to 2); returns the count,
 * and shortens *wait_ms to the deadline. */
struct pollfd;
int child_pollfds(const child_t *c, struct pollfd *p, int max, uint32_t now_ms,
                  uint32_t *wait_ms);

/* Kills a running child and forgets it; a zombie is reaped later. */
void child_abandon(child_t *c);

/* Frees the output; the child must not be running. */
void child_reset(child_t *c);

/* Describes how it ended ("exit status 1: smbstatus only works as root!",
 * "no answer in 10 s", "killed by signal 9") into buf. */
void child_describe(const child_t *c, char *buf, size_t cap);

#endif
