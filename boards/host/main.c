/*
 * The host board: the agent as a Linux process, with the simulated SMB
 * server as its session table, the console on stdin/stdout and the NV store
 * in a file under --state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "hal_clock.h"
#include "hal_watchdog.h"
#include "host.h"
#include "simsmb.h"

#define SCENARIO_MAX (64 * 1024)

static const char usage[] =
    "usage: smbwarden [--state DIR] [--scenario FILE]\n"
    "  --state DIR      keep saved settings in DIR (default ./.smbwarden)\n"
    "  --scenario FILE  drive the simulated SMB server from FILE\n"
    "                   (default: the built-in leaking-sessions scenario)\n"
    "  --help           this text\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Loads FILE into the simulator; exits 2 with the line number on error. */
static void load_scenario(const char *path)
{
    static char text[SCENARIO_MAX];
    simsmb_error_t err;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "smbwarden: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t n = fread(text, 1, sizeof text, f);
    bool too_big = n == sizeof text && fgetc(f) != EOF;
    fclose(f);
    if (too_big) {
        fprintf(stderr, "smbwarden: %s: larger than %d bytes\n", path, SCENARIO_MAX);
        exit(2);
    }
    if (simsmb_load(text, n, &err) != 0) {
        fprintf(stderr, "smbwarden: %s:%u: %s\n", path, (unsigned)err.line, err.msg);
        exit(2);
    }
}

static void parse_args(int argc, char **argv, const char **state, const char **scenario)
{
    static const struct option opts[] = {
        {"state", required_argument, NULL, 's'},
        {"scenario", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': *state = optarg; break;
        case 'c': *scenario = optarg; break;
        case 'h': fputs(usage, stdout); exit(0);
        default:
            if (optopt)
                fprintf(stderr, "smbwarden: option '%s' needs a value\n%s", argv[optind - 1], usage);
            else
                fprintf(stderr, "smbwarden: unknown option '%s'\n%s", argv[optind - 1], usage);
            exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "smbwarden: unexpected argument '%s'\n%s", argv[optind], usage);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    const char *state = "./.smbwarden", *scenario = NULL;
    simsmb_error_t err;
    parse_args(argc, argv, &state, &scenario);
    if (scenario)
        load_scenario(scenario);
    else if (simsmb_load(simsmb_default_scenario, strlen(simsmb_default_scenario), &err) != 0) {
        fprintf(stderr, "smbwarden: built-in scenario line %u: %s\n", (unsigned)err.line, err.msg);
        return 2;
    }
    if (host_nv_open(state) != 0) {
        fprintf(stderr, "smbwarden: state directory %s: %s\n", state, strerror(errno));
        return 2;
    }
    host_set_argv(argv);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);

    agent_options_t opt = {.console_echo = host_console_open()};
    agent_init(&opt, hal_clock_ms());
    hal_watchdog_start(5000);
    while (!stop) {
        uint32_t wait = agent_poll(hal_clock_ms());
        struct pollfd p = {host_console_fd(), POLLIN, 0};
        poll(&p, 1, (int)wait);
        hal_watchdog_kick();
    }
    host_console_close();
    return 0;
}
