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
#include "creds.h"
#include "hal_clock.h"
#include "hal_watchdog.h"
#include "host.h"
#include "mgmt.h"
#include "simsmb.h"
#include "tls.h"

#define SCENARIO_MAX (64 * 1024)

static const char usage[] =
    "usage: smbwarden [--state DIR] [--scenario FILE] [--mgmt ADDR:PORT]\n"
    "                 [--tls-cert FILE --tls-key FILE --tls-ca FILE]\n"
    "  --state DIR      keep settings and credentials in DIR (default ./.smbwarden)\n"
    "  --scenario FILE  drive the simulated SMB server from FILE\n"
    "                   (default: the built-in leaking-sessions scenario)\n"
    "  --mgmt ADDR:PORT serve the management API there (default 127.0.0.1 and\n"
    "                   the port in mgmt.port, 8443)\n"
    "  --tls-cert FILE  store FILE (PEM) as the device certificate\n"
    "  --tls-key FILE   store FILE (PEM) as the device's private key\n"
    "  --tls-ca FILE    store FILE (PEM) as the CA client certificates chain to\n"
    "  --help           this text\n";

typedef struct {
    const char *state, *scenario, *mgmt;
    const char *cred[CREDS_COUNT]; /* files to store, by creds kind */
} options_t;

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

static void parse_args(int argc, char **argv, options_t *o)
{
    static const struct option opts[] = {
        {"state", required_argument, NULL, 's'},
        {"scenario", required_argument, NULL, 'c'},
        {"mgmt", required_argument, NULL, 'm'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"tls-ca", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': o->state = optarg; break;
        case 'c': o->scenario = optarg; break;
        case 'm': o->mgmt = optarg; break;
        case 'C': o->cred[CREDS_CERT] = optarg; break;
        case 'K': o->cred[CREDS_KEY] = optarg; break;
        case 'A': o->cred[CREDS_CA] = optarg; break;
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

/* Stores the credential files given on the command line; exits 2 on a bad one. */
static void provision(const options_t *o)
{
    static char text[CREDS_MAX + 1];
    for (int k = 0; k < CREDS_COUNT; k++) {
        if (!o->cred[k]) continue;
        char ebuf[160];
        fmt_t err;
        FILE *f = fopen(o->cred[k], "r");
        if (!f) {
            fprintf(stderr, "smbwarden: %s: %s\n", o->cred[k], strerror(errno));
            exit(2);
        }
        size_t n = fread(text, 1, sizeof text, f);
        fclose(f);
        text[n < sizeof text ? n : 0] = '\0';
        fmt_init(&err, ebuf, sizeof ebuf);
        if (n >= sizeof text)
            fmt_add(&err, "larger than %d bytes", CREDS_MAX);
        else if (tls_check(k, text, n, &err) == 0 && creds_store((creds_kind_t)k, text, n) != 0)
            fmt_add(&err, "the state directory could not be written");
        if (err.len) {
            fprintf(stderr, "smbwarden: %s: %s\n", o->cred[k], ebuf);
            exit(2);
        }
    }
}

/* Listens on --mgmt ADDR:PORT, or 127.0.0.1 and mgmt.port; exits 2 on error. */
static void listen_mgmt(const char *spec)
{
    char addr[64] = "127.0.0.1";
    unsigned long port = agent_cfg()->mgmt_port;
    if (spec) {
        const char *colon = strrchr(spec, ':');
        char *end;
        if (!colon || (size_t)(colon - spec) >= sizeof addr) {
            fprintf(stderr, "smbwarden: --mgmt wants ADDR:PORT, not '%s'\n", spec);
            exit(2);
        }
        memcpy(addr, spec, (size_t)(colon - spec));
        addr[colon - spec] = '\0';
        port = strtoul(colon + 1, &end, 10);
        if (*end || port == 0 || port > 65535) {
            fprintf(stderr, "smbwarden: --mgmt: bad port in '%s'\n", spec);
            exit(2);
        }
    }
    if (host_net_listen(addr, (uint16_t)port) != 0) {
        fprintf(stderr, "smbwarden: cannot listen on %s:%lu: %s\n", addr, port, strerror(errno));
        exit(2);
    }
    fprintf(stderr, "smbwarden: management API on https://%s:%lu/\n", addr, port);
}

int main(int argc, char **argv)
{
    options_t o = {.state = "./.smbwarden"};
    simsmb_error_t err;
    parse_args(argc, argv, &o);
    if (o.scenario)
        load_scenario(o.scenario);
    else if (simsmb_load(simsmb_default_scenario, strlen(simsmb_default_scenario), &err) != 0) {
        fprintf(stderr, "smbwarden: built-in scenario line %u: %s\n", (unsigned)err.line, err.msg);
        return 2;
    }
    if (host_nv_open(o.state) != 0) {
        fprintf(stderr, "smbwarden: state directory %s: %s\n", o.state, strerror(errno));
        return 2;
    }
    provision(&o);
    host_set_argv(argv);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);

    agent_options_t opt = {.console_echo = host_console_open()};
    agent_init(&opt, hal_clock_ms());
    listen_mgmt(o.mgmt);
    mgmt_init();
    hal_watchdog_start(5000);
    while (!stop) {
        uint32_t now = hal_clock_ms();
        uint32_t wait = agent_poll(now);
        uint32_t mwait = mgmt_poll(now);
        if (mwait < wait) wait = mwait;
        struct pollfd p[2 + MGMT_CONN_MAX + 1];
        p[0] = (struct pollfd){host_console_fd(), POLLIN, 0};
        int n = 1 + host_net_pollfds(p + 1, (int)(sizeof p / sizeof p[0]) - 1);
        if (poll(p, (nfds_t)n, (int)wait) > 0) host_net_poll();
        hal_watchdog_kick();
    }
    host_console_close();
    return 0;
}
