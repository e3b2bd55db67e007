/*
 * The host board: the agent as a Linux process with the simulated SMB server
 * (boards/sim) as its session table. Everything else is host_main().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "simsmb.h"

#define SCENARIO_MAX (64 * 1024)

static const char *scenario;

static const struct option opts[] = {
    {"scenario", required_argument, NULL, 'c'},
    {NULL, 0, NULL, 0},
};

static void option(int val, const char *arg)
{
    (void)val; /* --scenario is the only one */
    scenario = arg;
}

/* Loads --scenario FILE or the built-in scenario; exits 2 with the line
 * number on error. */
static void start(void)
{
    static char text[SCENARIO_MAX];
    simsmb_error_t err;
    const char *what = scenario ? scenario : "built-in scenario";
    size_t n = strlen(simsmb_default_scenario);
    if (scenario) {
        FILE *f = fopen(scenario, "r");
        if (!f) {
            fprintf(stderr, "smbwarden: %s: %s\n", scenario, strerror(errno));
            exit(2);
        }
        n = fread(text, 1, sizeof text, f);
        bool too_big = n == sizeof text && fgetc(f) != EOF;
        fclose(f);
        if (too_big) {
            fprintf(stderr, "smbwarden: %s: larger than %d bytes\n", scenario, SCENARIO_MAX);
            exit(2);
        }
    }
    if (simsmb_load(scenario ? text : simsmb_default_scenario, n, &err) != 0) {
        fprintf(stderr, "smbwarden: %s:%u: %s\n", what, (unsigned)err.line, err.msg);
        exit(2);
    }
}

static const host_board_t sim_board = {
    .usage = "  --scenario FILE  drive the simulated SMB server from FILE\n"
             "                   (default: the built-in leaking-sessions scenario)\n",
    .opts = opts,
    .option = option,
    .start = start,
};

int main(int argc, char **argv) { return host_main(argc, argv, &sim_board); }
