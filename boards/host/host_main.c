/*
 * The agent as a Linux process: options, credentials, the console on
 * stdin/stdout, the NV store under --state, the management listener and the
 * main loop. A board (host_board_t) adds its own options and SMB backend.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "creds.h"
#include "hal_clock.h"
#include "hal_watchdog.h"
#include "host.h"
#include "mgmt.h"
#include "tls.h"

#define BOARD_OPTS_MAX 8

static const char usage[] =
    "usage: smbwarden [OPTION...]\n"
    "  --state DIR      keep settings and credentials in DIR (default ./.smbwarden)\n"
    "  --mgmt HOST:PORT serve the management API there: a name (localhost), an\n"
    "                   IPv4 address or [IPv6] (default localhost, IPv4 and IPv6,\n"
    "                   and the port in mgmt.port, 8443)\n"
    "  --tls-cert FILE  import FILE (PEM) as the device certificate\n"
    "  --tls-key FILE   import FILE (PEM) as the device's private key\n"
    "  --tls-ca FILE    import FILE (PEM) as the CA client certificates chain to\n"
    "                   (each only when its content is new since the last import)\n"
    "  -h, --help       this text\n"
    "  --version        the version\n";

typedef struct {
    const char *state, *mgmt;
    const char *cred[CREDS_COUNT]; /* files to store, by creds kind */
} options_t;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void print_usage(FILE *f, const host_board_t *b)
{
    fputs(usage, f);
    fputs(b->usage, f);
}

static void parse_args(int argc, char **argv, options_t *o, const host_board_t *b)
{
    static const struct option common[] = {
        {"state", required_argument, NULL, 's'},
        {"mgmt", required_argument, NULL, 'm'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"tls-ca", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
    };
    struct option opts[sizeof common / sizeof common[0] + BOARD_OPTS_MAX + 1] = {{0}};
    size_t n = sizeof common / sizeof common[0];
    memcpy(opts, common, sizeof common);
    for (size_t i = 0; b->opts[i].name && i < BOARD_OPTS_MAX; i++) opts[n++] = b->opts[i];
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': o->state = optarg; break;
        case 'm': o->mgmt = optarg; break;
        case 'C': o->cred[CREDS_CERT] = optarg; break;
        case 'K': o->cred[CREDS_KEY] = optarg; break;
        case 'A': o->cred[CREDS_CA] = optarg; break;
        case 'h': print_usage(stdout, b); exit(0);
        case 'V': printf("smbwarden %s\n", AGENT_VERSION); exit(0);
        case '?':
            if (optopt)
                fprintf(stderr, "smbwarden: option '%s' needs a value\n", argv[optind - 1]);
            else
                fprintf(stderr, "smbwarden: unknown option '%s'\n", argv[optind - 1]);
            print_usage(stderr, b);
            exit(2);
        default: b->option(c, optarg); break;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "smbwarden: unexpected argument '%s'\n", argv[optind]);
        print_usage(stderr, b);
        exit(2);
    }
}

/* The record of what a --tls-* file last held when it was imported:
 * <state>/imported-<kind>, a hash of the content. */
static void import_mark(const char *state, int kind, const char *text, size_t n, char *mark,
                        size_t cap, char *path, size_t path_cap)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a over the content */
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)text[i]) * 1099511628211u;
    snprintf(mark, cap, "%016llx %zu\n", (unsigned long long)h, n);
    snprintf(path, path_cap, "%s/imported-%d", state, kind);
}

/*
 * Imports the credential files given on the command line, each only when
 * its content differs from what was last imported from --tls-* (so a
 * change made since on the console or the API survives a restart). A
 * certificate and key go in as a pair (tls_put). Exits 2 on a bad file.
 */
static void provision(const options_t *o)
{
    static char text[CREDS_MAX + 1];
    char deferred[200] = ""; /* a certificate staged: its key may follow */
    const char *deferred_file = NULL;
    for (int k = 0; k < CREDS_COUNT; k++) {
        if (!o->cred[k]) continue;
        char mbuf[200], mark[48], old[48] = "", path[4096];
        fmt_t msg;
        FILE *f = fopen(o->cred[k], "r");
        if (!f) {
            fprintf(stderr, "smbwarden: %s: %s\n", o->cred[k], strerror(errno));
            exit(2);
        }
        size_t n = fread(text, 1, sizeof text, f);
        fclose(f);
        if (n >= sizeof text) {
            fprintf(stderr, "smbwarden: %s: larger than %d bytes\n", o->cred[k], CREDS_MAX);
            exit(2);
        }
        text[n] = '\0';
        import_mark(o->state, k, text, n, mark, sizeof mark, path, sizeof path);
        if ((f = fopen(path, "r")) != NULL) {
            if (!fgets(old, sizeof old, f)) old[0] = '\0';
            fclose(f);
        }
        if (strcmp(old, mark) == 0) continue; /* imported before: what is stored now rules */
        fmt_init(&msg, mbuf, sizeof mbuf);
        static const actor_t by = {ACTOR_START, NULL};
        int rc = tls_put(k, text, n, &by, &msg);
        memset(text, 0, sizeof text);
        if (rc == TLS_PUT_REFUSED) {
            fprintf(stderr, "smbwarden: %s: %s\n", o->cred[k], mbuf);
            exit(2);
        }
        if (rc == TLS_PUT_STAGED && k == CREDS_CERT)
            memcpy(deferred, mbuf, sizeof deferred), deferred_file = o->cred[k];
        else if (rc == TLS_PUT_STAGED)
            fprintf(stderr, "smbwarden: %s: %s\n", o->cred[k], mbuf);
        if (!(f = fopen(path, "w")) || fputs(mark, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "smbwarden: %s: %s\n", path, strerror(errno));
            exit(2);
        }
    }
    size_t n;
    if (deferred_file && creds_load(CREDS_STAGED_CERT, text, sizeof text, &n) == 0) /* still waiting */
        fprintf(stderr, "smbwarden: %s: %s\n", deferred_file, deferred);
    memset(text, 0, sizeof text);
}

/* Listens on --mgmt HOST:PORT, or localhost and mgmt.port; exits 2 on error. */
static void listen_mgmt(const char *spec)
{
    char host[256] = "localhost", where[256];
    unsigned long port = agent_cfg()->mgmt_port;
    if (spec) {
        const char *colon = strrchr(spec, ':'), *h = spec;
        size_t n = colon ? (size_t)(colon - spec) : 0;
        char *end;
        if (n > 1 && spec[0] == '[' && spec[n - 1] == ']') h++, n -= 2; /* [IPv6]:PORT */
        if (!colon || n == 0 || n >= sizeof host || memchr(h, '[', n) || memchr(h, ']', n)) {
            fprintf(stderr, "smbwarden: --mgmt wants HOST:PORT or [IPv6]:PORT, not '%s'\n", spec);
            exit(2);
        }
        memcpy(host, h, n);
        host[n] = '\0';
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (*end || colon[1] < '0' || colon[1] > '9' || errno || port == 0 || port > 65535) {
            fprintf(stderr, "smbwarden: --mgmt: bad port in '%s'\n", spec);
            exit(2);
        }
    }
    if (host_net_listen(host, (uint16_t)port, where, sizeof where) != 0) {
        fprintf(stderr, "smbwarden: cannot listen on %s port %lu: %s\n", host, port, where);
        exit(2);
    }
    fprintf(stderr, "smbwarden: management API on %s\n", where);
}

bool hal_system_exit(void)
{
    stop = 1;
    return true;
}

int host_main(int argc, char **argv, const host_board_t *b)
{
    options_t o = {.state = "./.smbwarden"};
    parse_args(argc, argv, &o, b);
    b->start();
    if (host_nv_open(o.state) != 0) {
        fprintf(stderr, "smbwarden: state directory %s: %s\n", o.state, strerror(errno));
        return 2;
    }
    host_set_argv(argv);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IONBF, 0);

    /* Start-up text first, on a terminal still in its own mode; raw mode
     * (the console's line editing) only then. */
    agent_options_t opt = {.console_echo = host_console_is_terminal()};
    agent_init(&opt, hal_clock_ms());
    provision(&o); /* after the core starts: its events go in the log */
    listen_mgmt(o.mgmt);
    mgmt_init();
    host_console_open();
    hal_watchdog_start(5000);
    while (!stop) {
        uint32_t now = hal_clock_ms();
        uint32_t wait = agent_poll(now);
        uint32_t mwait = mgmt_poll(now);
        if (mwait < wait) wait = mwait;
        struct pollfd p[1 + HOST_LISTEN_MAX + MGMT_CONN_MAX + 2 + HOST_BOARD_FDS_MAX];
        p[0] = (struct pollfd){host_console_fd(), POLLIN, 0};
        int n = 1 + host_net_pollfds(p + 1, HOST_LISTEN_MAX + MGMT_CONN_MAX + 2);
        if (b->pollfds) n += b->pollfds(p + n, HOST_BOARD_FDS_MAX, &wait);
        if (poll(p, (nfds_t)n, (int)wait) > 0) host_net_poll();
        hal_watchdog_kick();
    }
    agent_stop();
    host_console_close();
    return 0;
}
