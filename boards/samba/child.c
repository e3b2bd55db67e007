#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Killed children whose exit is not yet collected. */
#define ZOMBIES_MAX 32
static pid_t zombies[ZOMBIES_MAX];

static void reap_zombies(void)
{
    for (int i = 0; i < ZOMBIES_MAX; i++)
        if (zombies[i] && waitpid(zombies[i], NULL, WNOHANG) != 0) zombies[i] = 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

int child_start(child_t *c, char *const argv[], bool capture, size_t out_max,
                uint32_t now_ms, uint32_t timeout_ms)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    reap_zombies();
    memset(c, 0, sizeof *c);
    c->out = c->err = -1;
    if (pipe2(out, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) {
        int e = errno;
        close_fd(&out[0]);
        close_fd(&out[1]);
        return e;
    }
    /* The child's ends must block like any stdout. */
    fcntl(out[1], F_SETFL, 0);
    fcntl(err[1], F_SETFL, 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (capture)
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_init(&at);
    /* Its own process group, so a wrapper script's children die with it;
     * default signal dispositions, whatever this process ignores. */
    sigset_t none, dfl;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGHUP);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(&c->pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(out[0]);
        close(err[0]);
        c->pid = 0;
        return rc;
    }
    c->out = capture ? out[0] : -1;
    if (!capture) close(out[0]);
    c->err = err[0];
    c->out_max = out_max;
    c->deadline_ms = now_ms + timeout_ms;
    c->state = CHILD_RUNNING;
    return 0;
}

/* Reads what its stdout has, up to one byte over out_max (which makes it
 * too big); closes it at EOF or on error. */
static void drain_out(child_t *c)
{
    while (c->out >= 0 && c->len <= c->out_max) {
        if (c->len == c->cap) {
            size_t n = c->cap ? c->cap * 2 : 16384;
            if (n > c->out_max + 1) n = c->out_max + 1;
            char *b = realloc(c->buf, n);
            if (!b) return; /* tried again at the next poll */
            c->buf = b;
            c->cap = n;
        }
        ssize_t n = read(c->out, c->buf + c->len, c->cap - c->len);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        close_fd(&c->out);
    }
}

static void drain_err(child_t *c)
{
    char scratch[512];
    while (c->err >= 0) {
        ssize_t n = read(c->err, scratch, sizeof scratch);
        if (n > 0) {
            size_t room = sizeof c->errtext - 1 - c->errlen;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(c->errtext + c->errlen, scratch, take);
            c->errlen += take;
            c->errtext[c->errlen] = '\0';
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        close_fd(&c->err);
    }
}

static void kill_group(child_t *c, child_state_t why)
{
    kill(-c->pid, SIGKILL);
    if (waitpid(c->pid, NULL, WNOHANG) == 0) {
        for (int i = 0; i < ZOMBIES_MAX; i++)
            if (!zombies[i]) {
                zombies[i] = c->pid;
                break;
            }
    }
    close_fd(&c->out);
    close_fd(&c->err);
    c->state = why;
}

child_state_t child_poll(child_t *c, uint32_t now_ms)
{
    reap_zombies();
    if (c->state != CHILD_RUNNING) return c->state;
    drain_out(c);
    drain_err(c);
    if (c->len > c->out_max) {
        kill_group(c, CHILD_TOOBIG);
        return c->state;
    }
    if (c->out < 0 && c->err < 0) {
        pid_t r = waitpid(c->pid, &c->status, WNOHANG);
        if (r == c->pid) {
            c->state = CHILD_DONE;
            return c->state;
        }
    }
    if ((int32_t)(now_ms - c->deadline_ms) >= 0) kill_group(c, CHILD_TIMEOUT);
    return c->state;
}

int child_pollfds(const child_t *c, struct pollfd *p, int max, uint32_t now_ms,
                  uint32_t *wait_ms)
{
    int n = 0;
    if (c->state != CHILD_RUNNING) return 0;
    if (c->out >= 0 && n < max) p[n++] = (struct pollfd){c->out, POLLIN, 0};
    if (c->err >= 0 && n < max) p[n++] = (struct pollfd){c->err, POLLIN, 0};
    int32_t left = (int32_t)(c->deadline_ms - now_ms);
    uint32_t until = left > 0 ? (uint32_t)left : 0;
    if (until < *wait_ms) *wait_ms = until;
    return n;
}

void child_abandon(child_t *c)
{
    if (c->state == CHILD_RUNNING) kill_group(c, CHILD_TIMEOUT);
    child_reset(c);
}

void child_reset(child_t *c)
{
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->out = c->err = -1;
}

void child_describe(const child_t *c, char *buf, size_t cap)
{
    /* The first line of its stderr says most. */
    char first[CHILD_ERR_MAX];
    snprintf(first, sizeof first, "%s", c->errtext);
    first[strcspn(first, "\r\n")] = '\0';
    switch (c->state) {
    case CHILD_TIMEOUT: snprintf(buf, cap, "no answer before the deadline"); return;
    case CHILD_TOOBIG: snprintf(buf, cap, "output over %zu bytes", c->out_max); return;
    case CHILD_DONE: break;
    default: snprintf(buf, cap, "did not run"); return;
    }
    if (WIFSIGNALED(c->status))
        snprintf(buf, cap, "killed by signal %d", WTERMSIG(c->status));
    else if (first[0])
        snprintf(buf, cap, "exit status %d: %s", WEXITSTATUS(c->status), first);
    else
        snprintf(buf, cap, "exit status %d", WEXITSTATUS(c->status));
}
