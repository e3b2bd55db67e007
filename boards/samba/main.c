/*
 * The Samba board: the agent as a Linux process on an appliance serving SMB
 * with Samba, watching and acting on the server through smbstatus and
 * smbcontrol (samba.h). Everything else is host_main().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "samba.h"

static samba_config_t cfg = {
    .conf = "/etc/samba/smb.conf",
    .smbstatus = "smbstatus",
    .smbcontrol = "smbcontrol",
    .guest = "nobody",
};

static const struct option opts[] = {
    {"smb-conf", required_argument, NULL, 'f'},
    {"smbstatus", required_argument, NULL, 't'},
    {"smbcontrol", required_argument, NULL, 'r'},
    {"guest-account", required_argument, NULL, 'g'},
    {NULL, 0, NULL, 0},
};

static void option(int val, const char *arg)
{
    if (!*arg) {
        fprintf(stderr, "smbwarden: an option's value is empty\n");
        exit(2);
    }
    switch (val) {
    case 'f': cfg.conf = arg; break;
    case 't': cfg.smbstatus = arg; break;
    case 'r': cfg.smbcontrol = arg; break;
    default: cfg.guest = arg; break;
    }
}

/* A missing smb.conf is a mistake in the command line; a missing or failing
 * smbstatus is reported while running, as the server may come later. */
static void start(void)
{
    if (access(cfg.conf, R_OK) != 0) {
        fprintf(stderr, "smbwarden: --smb-conf %s: %s\n", cfg.conf, strerror(errno));
        exit(2);
    }
    samba_init(&cfg);
    fprintf(stderr, "smbwarden: watching the Samba server of %s\n", cfg.conf);
}

static const host_board_t samba_board = {
    .usage = "  --smb-conf FILE  the smb.conf of the Samba server to watch\n"
             "                   (default /etc/samba/smb.conf)\n"
             "  --smbstatus PATH the smbstatus program (default: smbstatus in PATH)\n"
             "  --smbcontrol PATH the smbcontrol program (default: smbcontrol in PATH)\n"
             "  --guest-account NAME Samba's guest account (default nobody)\n",
    .opts = opts,
    .option = option,
    .start = start,
    .pollfds = samba_pollfds,
};

int main(int argc, char **argv) { return host_main(argc, argv, &samba_board); }
