/* child: real programs through /bin/sh, polled as the main loop does:
 * stdout captured exactly (also past the pipe's 64 KiB) or discarded, stdin
 * from /dev/null, the exit status with the first stderr line, death by a
 * signal (with default dispositions), a missing program, the deadline
 * killing the whole process group (the orphan collected here, as its
 * subreaper), output over out_max, the poll descriptors and wait, and
 * abandoning a running child. The test clock starts just before the 32-bit
 * wrap, so deadlines are computed across it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"

#define LIMIT_MS 3000u /* no child here may take longer */

/* ---- a millisecond clock, and processes seen from outside ------------------ */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t clock_base;

/* Starts the test clock 200 ms before it wraps. */
static void clock_start(void) { clock_base = mono_ms(); }

static uint32_t clock_ms(void)
{
    return (uint32_t)(mono_ms() - clock_base) + (UINT32_MAX - 200u);
}

/* The state letter in /proc/PID/stat; 0 when there is no such process. */
static char proc_state(pid_t pid)
{
    char path[32], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *close = strrchr(text, ')');
    return close && close[1] == ' ' ? close[2] : 0;
}

/* Not running any more (a zombie nobody here reaps counts as dead). */
static bool dead(pid_t pid)
{
    char s = proc_state(pid);
    return s == 0 || s == 'Z' || s == 'X';
}

static bool dies_within(pid_t pid, uint32_t ms)
{
    for (uint64_t end = mono_ms() + ms;; poll(NULL, 0, 2)) {
        if (dead(pid)) return true;
        if (mono_ms() > end) return false;
    }
}

/* Gone altogether: reaped, not even a zombie. */
static bool reaped(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

static int fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

/* ---- running a child as the main loop does ------------------------------------ */

static child_t c;

static int start(const char *script, bool capture, size_t out_max, uint32_t timeout_ms)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    return child_start(&c, argv, capture, out_max, clock_ms(), timeout_ms);
}

/* Polls until the child is no longer running, waking on its pipes or its
 * deadline; fails the test after LIMIT_MS. */
static child_state_t run(void)
{
    uint64_t end = mono_ms() + LIMIT_MS;
    while (child_poll(&c, clock_ms()) == CHILD_RUNNING) {
        if (mono_ms() > end) fail_msg("child still running after %u ms", LIMIT_MS);
        struct pollfd p[2];
        uint32_t wait = 20; /* its pipes may close a moment before it exits */
        int n = child_pollfds(&c, p, 2, clock_ms(), &wait);
        assert_true(n >= 0 && n <= 2);
        poll(p, (nfds_t)n, (int)wait);
    }
    return c.state;
}

static void expect_describe(const char *want)
{
    char buf[CHILD_ERR_MAX + 32];
    child_describe(&c, buf, sizeof buf);
    assert_string_equal(buf, want);
}

/* ---- output and status ----------------------------------------------------------- */

static void test_output_captured_exactly(void **state)
{
    (void)state;
    clock_start();
    int fds = fd_count();
    static const char want[] = "hello\nworld\n\0binary\n";
    assert_int_equal(start("printf 'hello\\nworld\\n\\000binary\\n'", true, 1024, LIMIT_MS), 0);
    assert_int_equal(c.state, CHILD_RUNNING);
    assert_true(c.pid > 0);
    assert_int_equal(run(), CHILD_DONE);
    assert_int_equal(c.len, sizeof want - 1);
    assert_memory_equal(c.buf, want, sizeof want - 1);
    assert_true(WIFEXITED(c.status));
    assert_int_equal(WEXITSTATUS(c.status), 0);
    assert_string_equal(c.errtext, "");
    expect_describe("exit status 0");
    /* Done is final; reset frees the output and closes nothing twice. */
    assert_int_equal(child_poll(&c, clock_ms()), CHILD_DONE);
    child_reset(&c);
    assert_int_equal(c.state, CHILD_IDLE);
    assert_null(c.buf);
    assert_int_equal(c.out, -1);
    assert_int_equal(c.err, -1);
    assert_int_equal(child_poll(&c, clock_ms()), CHILD_IDLE);
    assert_int_equal(fd_count(), fds);
}

/* Far more than a pipe holds: collected across many polls, in order. */
static void test_large_output_captured_exactly(void **state)
{
    (void)state;
    clock_start();
    assert_int_equal(start("seq 1 40000", true, 1u << 20, LIMIT_MS), 0);
    assert_int_equal(run(), CHILD_DONE);
    char *want = malloc(300000);
    assert_non_null(want);
    size_t n = 0;
    for (int i = 1; i <= 40000; i++)
        n += (size_t)snprintf(want + n, 300000 - n, "%d\n", i);
    assert_int_equal(n, 228894);
    assert_int_equal(c.len, n);
    assert_memory_equal(c.buf, want, n);
    free(want);
    child_reset(&c);

    assert_int_equal(start("head -c 200000 /dev/zero", true, 1u << 20, LIMIT_MS), 0);
    assert_int_equal(run(), CHILD_DONE);
    assert_int_equal(c.len, 200000);
    for (size_t i = 0; i < c.len; i++)
        if (c.buf[i] != 0) fail_msg("byte %zu is %d", i, c.buf[i]);
    child_reset(&c);
}

static void test_stdin_is_dev_null(void **state)
{
    (void)state;
    clock_start();
    /* This process's stdin a pipe that never ends: cat would wait on it. */
    int p[2], saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    assert_int_equal(dup2(p[0], 0), 0);
    int rc = start("cat; echo end", true, 1024, 1000);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    close(p[0]);
    assert_int_equal(rc, 0);
    assert_int_equal(run(), CHILD_DONE);
    close(p[1]);
    assert_int_equal(c.len, 4);
    assert_memory_equal(c.buf, "end\n", 4);
    child_reset(&c);
}

static void test_output_discarded_without_capture(void **state)
{
    (void)state;
    clock_start();
    int fds = fd_count();
    assert_int_equal(start("seq 1 40000; echo oops >&2; exit 2", false, 0, LIMIT_MS), 0);
    assert_int_equal(c.out, -1);
    assert_int_equal(run(), CHILD_DONE);
    assert_null(c.buf);
    assert_int_equal(c.len, 0);
    assert_int_equal(WEXITSTATUS(c.status), 2);
    expect_describe("exit status 2: oops");
    child_reset(&c);
    assert_int_equal(fd_count(), fds);
}

static void test_exit_status_with_first_stderr_line(void **state)
{
    (void)state;
    clock_start();
    assert_int_equal(start("echo 'smbstatus only works as root!' >&2; echo second >&2; "
                           "echo partial; exit 3",
                           true, 1024, LIMIT_MS),
                     0);
    assert_int_equal(run(), CHILD_DONE);
    assert_true(WIFEXITED(c.status));
    assert_int_equal(WEXITSTATUS(c.status), 3);
    assert_string_equal(c.errtext, "smbstatus only works as root!\nsecond\n");
    assert_int_equal(c.errlen, strlen(c.errtext));
    assert_int_equal(c.len, 8); /* stdout is kept whatever the status */
    expect_describe("exit status 3: smbstatus only works as root!");
    child_reset(&c);

    assert_int_equal(start("exit 1", true, 1024, LIMIT_MS), 0);
    assert_int_equal(run(), CHILD_DONE);
    expect_describe("exit status 1");
    child_reset(&c);
}

/* A chatty stderr is read to its end (the child never blocks on it) and
 * only its start kept, terminated; the description is cut to the buffer. */
static void test_stderr_start_kept(void **state)
{
    (void)state;
    clock_start();
    assert_int_equal(start("head -c 100000 /dev/zero | tr '\\000' e >&2; echo out; exit 4",
                           true, 1024, LIMIT_MS),
                     0);
    assert_int_equal(run(), CHILD_DONE);
    assert_int_equal(c.errlen, CHILD_ERR_MAX - 1);
    assert_int_equal(strlen(c.errtext), CHILD_ERR_MAX - 1);
    assert_int_equal(c.errtext[0], 'e');
    assert_int_equal(c.len, 4);
    char small[12];
    memset(small, 'x', sizeof small);
    child_describe(&c, small, 10);
    assert_string_equal(small, "exit stat");
    assert_int_equal(small[10], 'x');
    child_reset(&c);
}

static void test_killed_by_signal(void **state)
{
    (void)state;
    clock_start();
    assert_int_equal(start("kill -KILL $$", true, 1024, LIMIT_MS), 0);
    assert_int_equal(run(), CHILD_DONE);
    assert_true(WIFSIGNALED(c.status));
    expect_describe("killed by signal 9");
    child_reset(&c);

    /* What this process ignores, the child gets back at its default. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    assert_int_equal(sigaction(SIGTERM, &ign, &old), 0);
    int rc = start("kill -TERM $$; exit 7", true, 1024, LIMIT_MS);
    assert_int_equal(sigaction(SIGTERM, &old, NULL), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(run(), CHILD_DONE);
    expect_describe("killed by signal 15");
    child_reset(&c);
}

static void test_missing_program(void **state)
{
    (void)state;
    clock_start();
    int fds = fd_count();
    char *abs[] = {"/nonexistent/smbstatus", "--json", NULL};
    assert_int_equal(child_start(&c, abs, true, 1024, clock_ms(), 1000), ENOENT);
    assert_int_equal(c.state, CHILD_IDLE);
    assert_int_equal(c.pid, 0);
    assert_int_equal(c.out, -1);
    assert_int_equal(c.err, -1);
    expect_describe("did not run");
    char *rel[] = {"smbwarden-test-no-such-program", NULL};
    assert_int_equal(child_start(&c, rel, false, 0, clock_ms(), 1000), ENOENT);
    assert_int_equal(c.state, CHILD_IDLE);
    assert_int_equal(child_poll(&c, clock_ms()), CHILD_IDLE);
    assert_int_equal(fd_count(), fds);

    /* Found through PATH when it has no slash. */
    char *sh[] = {"sh", "-c", "echo found", NULL};
    assert_int_equal(child_start(&c, sh, true, 1024, clock_ms(), LIMIT_MS), 0);
    assert_int_equal(run(), CHILD_DONE);
    assert_int_equal(c.len, 6);
    child_reset(&c);
}

/* ---- the deadline and the size limit ------------------------------------------------ */

/* Collects pid, a grandchild handed to this process (a subreaper) when its
 * parent died; false if that did not happen within ms. */
static bool reap_orphan(pid_t pid, int *status, uint32_t ms)
{
    for (uint64_t end = mono_ms() + ms;; poll(NULL, 0, 2)) {
        if (waitpid(pid, status, WNOHANG) == pid) return true;
        if (mono_ms() > end) return false;
    }
}

/* A wrapper script that waits on its own child: both die at the deadline. */
static void test_deadline_kills_process_group(void **state)
{
    (void)state;
    clock_start();
    int fds = fd_count();
    /* The shell's orphan comes to this process, which can see how it died. */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL), 0);
    uint64_t t0 = mono_ms();
    /* The deadline (300 ms) falls after the clock's wrap (200 ms). */
    assert_int_equal(start("sleep 600 & echo $!; wait", true, 1024, 300), 0);
    pid_t shell = c.pid;
    assert_int_equal(run(), CHILD_TIMEOUT);
    uint64_t took = mono_ms() - t0;
    assert_true(took >= 300 && took < LIMIT_MS);
    expect_describe("no answer before the deadline");
    assert_int_equal(c.out, -1);
    assert_int_equal(c.err, -1);

    char text[32];
    assert_true(c.len > 1 && c.len < sizeof text);
    memcpy(text, c.buf, c.len);
    text[c.len] = '\0';
    char *end;
    long sleeper = strtol(text, &end, 10);
    assert_true(sleeper > 0 && *end == '\n');
    assert_true(dies_within(shell, 1000));
    int st = 0;
    assert_true(reap_orphan((pid_t)sleeper, &st, 1000));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0UL, 0UL, 0UL, 0UL), 0);
    child_reset(&c);
    assert_int_equal(fd_count(), fds);
}

static void test_output_over_limit_is_toobig(void **state)
{
    (void)state;
    clock_start();
    /* Its shell would sleep on after head if it were not killed. */
    assert_int_equal(start("head -c 200000 /dev/zero; sleep 600", true, 1000, LIMIT_MS), 0);
    pid_t pid = c.pid;
    assert_int_equal(run(), CHILD_TOOBIG);
    expect_describe("output over 1000 bytes");
    assert_true(c.len >= 1000);
    assert_int_equal(c.out, -1);
    assert_int_equal(c.err, -1);
    assert_true(dies_within(pid, 1000));
    child_reset(&c);
}

/* The limit is exact, whether the child is still running or already gone
 * when it is polled: out_max bytes are taken, one more is too many. */
static void test_output_limit_is_exact(void **state)
{
    (void)state;
    static const struct {
        const char *script;
        child_state_t want;
    } cases[] = {
        {"head -c 16384 /dev/zero", CHILD_DONE},
        {"head -c 16384 /dev/zero; sleep 0.2", CHILD_DONE},
        {"head -c 16385 /dev/zero", CHILD_TOOBIG},
        {"head -c 16385 /dev/zero; sleep 0.2", CHILD_TOOBIG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clock_start();
        assert_int_equal(start(cases[i].script, true, 16384, LIMIT_MS), 0);
        if (i % 2 == 0) { /* let it finish before the first poll */
            siginfo_t si;
            assert_int_equal(waitid(P_PID, (id_t)c.pid, &si, WEXITED | WNOWAIT), 0);
        }
        assert_int_equal(run(), cases[i].want);
        assert_true(c.len <= 16385);
        if (cases[i].want == CHILD_DONE) assert_int_equal(c.len, 16384);
        child_reset(&c);
    }
}

/* ---- what the main loop waits on ----------------------------------------------------- */

static void test_pollfds_while_running(void **state)
{
    (void)state;
    clock_start();
    struct pollfd p[4];
    assert_int_equal(start("sleep 600", true, 1024, 5000), 0);
    uint32_t now = clock_ms();

    uint32_t wait = 60000;
    assert_int_equal(child_pollfds(&c, p, 4, now, &wait), 2);
    assert_int_equal(p[0].fd, c.out);
    assert_int_equal(p[1].fd, c.err);
    assert_int_equal(p[0].events, POLLIN);
    assert_int_equal(p[1].events, POLLIN);
    assert_true(wait <= 5000 && wait >= 4000); /* shortened to the deadline */

    wait = 100; /* a shorter wait is kept */
    assert_int_equal(child_pollfds(&c, p, 4, now, &wait), 2);
    assert_int_equal(wait, 100);

    wait = 60000;
    assert_int_equal(child_pollfds(&c, p, 1, now, &wait), 1);
    assert_int_equal(p[0].fd, c.out);
    p[0].fd = -7;
    assert_int_equal(child_pollfds(&c, p, 0, now, &wait), 0); /* no room */
    assert_int_equal(p[0].fd, -7);

    /* At and past the deadline (across the clock's wrap): no wait at all. */
    wait = 60000;
    child_pollfds(&c, p, 4, c.deadline_ms, &wait);
    assert_int_equal(wait, 0);
    wait = 60000;
    child_pollfds(&c, p, 4, c.deadline_ms + 1000, &wait);
    assert_int_equal(wait, 0);

    /* Nothing to read yet: the fds say so and poll waits. */
    assert_int_equal(child_poll(&c, clock_ms()), CHILD_RUNNING);
    wait = 60000;
    int n = child_pollfds(&c, p, 4, clock_ms(), &wait);
    assert_int_equal(poll(p, (nfds_t)n, 0), 0);

    child_abandon(&c);
    wait = 60000;
    assert_int_equal(child_pollfds(&c, p, 4, clock_ms(), &wait), 0);
    assert_int_equal(wait, 60000);

    /* Without capture only stderr is watched. */
    assert_int_equal(start("sleep 600", false, 0, 5000), 0);
    assert_int_equal(child_pollfds(&c, p, 4, clock_ms(), &wait), 1);
    assert_int_equal(p[0].fd, c.err);
    child_abandon(&c);
}

static void test_abandon_running_child(void **state)
{
    (void)state;
    clock_start();
    int fds = fd_count();
    assert_int_equal(start("echo started; exec sleep 600", true, 1024, 60000), 0);
    pid_t pid = c.pid;
    /* Wait until it printed, so there is output to free. */
    for (uint64_t end = mono_ms() + LIMIT_MS; c.len == 0; poll(NULL, 0, 5)) {
        assert_int_equal(child_poll(&c, clock_ms()), CHILD_RUNNING);
        assert_true(mono_ms() < end);
    }
    assert_false(dead(pid));
    child_abandon(&c);
    assert_int_equal(c.state, CHILD_IDLE);
    assert_int_equal(c.pid, 0);
    assert_null(c.buf);
    assert_int_equal(c.len, 0);
    assert_int_equal(c.out, -1);
    assert_int_equal(c.err, -1);
    assert_int_equal(fd_count(), fds);
    assert_true(dies_within(pid, 1000));

    /* Its zombie is collected by the next child's start and polls. */
    assert_int_equal(start("true", false, 0, LIMIT_MS), 0);
    assert_int_equal(run(), CHILD_DONE);
    child_reset(&c);
    assert_true(reaped(pid));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_captured_exactly),
        cmocka_unit_test(test_large_output_captured_exactly),
        cmocka_unit_test(test_stdin_is_dev_null),
        cmocka_unit_test(test_output_discarded_without_capture),
        cmocka_unit_test(test_exit_status_with_first_stderr_line),
        cmocka_unit_test(test_stderr_start_kept),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_missing_program),
        cmocka_unit_test(test_deadline_kills_process_group),
        cmocka_unit_test(test_output_over_limit_is_toobig),
        cmocka_unit_test(test_output_limit_is_exact),
        cmocka_unit_test(test_pollfds_while_running),
        cmocka_unit_test(test_abandon_running_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
