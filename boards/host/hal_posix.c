/* Clock, console, entropy and watchdog HALs for a POSIX process. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hal_clock.h"
#include "hal_console.h"
#include "hal_entropy.h"
#include "hal_watchdog.h"
#include "host.h"

static struct termios saved_tio;
static bool raw_mode;
static bool input_closed;
static char **saved_argv;

uint32_t hal_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

int64_t hal_clock_wall_s(void)
{
    struct timespec ts;
    return clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec > 0 ? (int64_t)ts.tv_sec : 0;
}

bool host_console_is_terminal(void) { return isatty(STDIN_FILENO) == 1; }

bool host_console_open(void)
{
    struct termios t;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) != 0) return false;
    t = saved_tio;
    /* Raw input: the core edits lines, echoes, and sees ctrl-C as a byte. */
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
    t.c_iflag &= ~(tcflag_t)(ICRNL | IXON | INLCR);
    t.c_oflag &= ~(tcflag_t)OPOST; /* the core writes its own CR LF */
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0) return false;
    raw_mode = true;
    atexit(host_console_close);
    return true;
}

void host_console_close(void)
{
    if (raw_mode) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    raw_mode = false;
}

int host_console_fd(void) { return input_closed ? -1 : STDIN_FILENO; }

static bool ready(int fd, short what)
{
    struct pollfd p = {fd, what, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (what | POLLHUP | POLLERR));
}

size_t hal_console_read(uint8_t *buf, size_t cap)
{
    if (input_closed || cap == 0 || !ready(STDIN_FILENO, POLLIN)) return 0;
    ssize_t n = read(STDIN_FILENO, buf, cap);
    if (n > 0) return (size_t)n;
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) input_closed = true;
    return 0;
}

/* The kernel's pipe or terminal buffer holds what we have not read: nothing
 * is lost here. */
bool hal_console_overrun(void) { return false; }

size_t hal_console_write(const uint8_t *buf, size_t len)
{
    /* A writable pipe or terminal takes PIPE_BUF bytes without blocking. */
    if (!ready(STDOUT_FILENO, POLLOUT)) return 0;
    ssize_t n = write(STDOUT_FILENO, buf, len > 512 ? 512 : len);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : len; /* gone: drop */
    return (size_t)n;
}

int hal_entropy_read(uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

uint32_t hal_entropy_jitter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec;
}

int hal_watchdog_start(uint32_t timeout_ms)
{
    (void)timeout_ms; /* a process has its supervisor instead */
    return 0;
}

void hal_watchdog_kick(void) {}

void host_set_argv(char **argv) { saved_argv = argv; }

void hal_system_reset(void)
{
    host_console_close();
    fflush(stdout);
    if (saved_argv) execv("/proc/self/exe", saved_argv);
    perror("smbwarden: restart failed");
    exit(1);
}
