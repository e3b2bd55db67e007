#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "hal_clock.h"
#include "hal_smb.h"
#include "samba.h"
#include "smbjson.h"
#include "tcpact.h"
#include "text.h"

#define CONTROLS_MAX 8  /* smbcontrol runs in flight */
#define AWAIT_MAX 64    /* processes asked to go, watched until they exit */
#define AWAIT_POLL_MS 50

typedef struct {
    pid_t pid;
    uint32_t until_ms;
} await_t;

static struct {
    samba_config_t cfg;
    child_t status;      /* the smbstatus run of the sample under way */
    smb_table_t table;   /* the last snapshot: handed out, then kept for ends */
    size_t cursor;       /* next record of table to hand out */
    bool handing;        /* between the first and the last batch */
    uint64_t snap_ticks; /* boot clock in kernel ticks when smbstatus started */
    tcp_flows_t flows;
    tcpact_t act;
    child_t control[CONTROLS_MAX];
    await_t await[AWAIT_MAX];
    char error[256];
} sb;

void samba_init(const samba_config_t *cfg)
{
    sb.cfg = *cfg;
    child_reset(&sb.status);
    for (int i = 0; i < CONTROLS_MAX; i++) child_reset(&sb.control[i]);
}

uint32_t hal_smb_caps(void) { return HAL_SMB_CAN_END_CONN | HAL_SMB_CAN_END_CLIENT; }

const char *hal_smb_error(void) { return sb.error; }

static uint64_t boot_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    uint64_t hz = (uint64_t)sysconf(_SC_CLK_TCK);
    return (uint64_t)ts.tv_sec * hz + (uint64_t)ts.tv_nsec * hz / 1000000000u;
}

/* ---- processes asked to go ---------------------------------------------- */

static bool gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

/* Collects finished smbcontrol runs; a failed one is logged, and the next
 * sample reports the eviction as failed. */
static void reap_controls(uint32_t now)
{
    for (int i = 0; i < CONTROLS_MAX; i++) {
        child_t *c = &sb.control[i];
        if (c->state == CHILD_IDLE || child_poll(c, now) == CHILD_RUNNING) continue;
        if (c->state != CHILD_DONE || !WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0) {
            char why[CHILD_ERR_MAX + 32];
            child_describe(c, why, sizeof why);
            fprintf(stderr, "smbwarden: %s: %s\n", sb.cfg.smbcontrol, why);
        }
        child_reset(c);
    }
}

/* Whether a process asked to go may still be on its way out. */
static bool awaiting(uint32_t now)
{
    bool any = false;
    for (int i = 0; i < AWAIT_MAX; i++) {
        await_t *a = &sb.await[i];
        if (!a->pid) continue;
        if (gone(a->pid) || (int32_t)(now - a->until_ms) >= 0)
            a->pid = 0;
        else
            any = true;
    }
    for (int i = 0; i < CONTROLS_MAX; i++) any |= sb.control[i].state == CHILD_RUNNING;
    return any;
}

static bool awaited(pid_t pid)
{
    for (int i = 0; i < AWAIT_MAX; i++)
        if (sb.await[i].pid == pid) return true;
    return false;
}

static void await_exit(pid_t pid, uint32_t now)
{
    if (awaited(pid)) return;
    for (int i = 0; i < AWAIT_MAX; i++)
        if (!sb.await[i].pid) {
            sb.await[i] = (await_t){pid, now + SAMBA_EXIT_WAIT_MS};
            return;
        }
}

int samba_pollfds(struct pollfd *p, int max, uint32_t *wait_ms)
{
    uint32_t now = hal_clock_ms();
    int n = child_pollfds(&sb.status, p, max, now, wait_ms);
    for (int i = 0; i < CONTROLS_MAX; i++)
        n += child_pollfds(&sb.control[i], p + n, max - n, now, wait_ms);
    if (awaiting(now) && *wait_ms > AWAIT_POLL_MS) *wait_ms = AWAIT_POLL_MS;
    return n;
}

/* ---- sampling ------------------------------------------------------------ */

/* The program's name without its directory, for messages. */
static const char *base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int sample_failed(const char *fmt, const char *what)
{
    /* A long reason is cut: its start says most. */
    if (snprintf(sb.error, sizeof sb.error, fmt, base(sb.cfg.smbstatus), what) < 0) sb.error[0] = '\0';
    child_reset(&sb.status);
    return HAL_SMB_EFAIL;
}

/* The finished smbstatus run into sb.table, with activity counters. */
static int take_snapshot(void)
{
    child_t *c = &sb.status;
    char why[CHILD_ERR_MAX + 32];
    if (c->state != CHILD_DONE || !WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0) {
        child_describe(c, why, sizeof why);
        if (c->state == CHILD_TIMEOUT)
            snprintf(why, sizeof why, "no answer in %u s", SAMBA_STATUS_TIMEOUT_MS / 1000);
        return sample_failed("%s: %s", why);
    }
    smb_table_t t;
    if (smbjson_parse(c->buf, c->len, sb.cfg.guest, &t, why, sizeof why) != 0) {
        /* smbstatus says why on stderr, even with exit status 0 (smbd not
         * running: "locking.tdb not initialised"); that line goes first. */
        char said[CHILD_ERR_MAX + sizeof why + 24];
        size_t n = strcspn(c->errtext, "\r\n");
        if (n == 0) return sample_failed("%s: bad output: %s", why);
        snprintf(said, sizeof said, "%.*s (bad output: %s)", (int)n, c->errtext, why);
        return sample_failed("%s: %s", said);
    }
    child_reset(c);
    /* No socket table: every connection counts as active (tcpact.h). */
    if (tcpact_dump(&sb.flows) != 0) {
        fprintf(stderr, "smbwarden: TCP socket table: %s\n", strerror(errno));
        sb.flows.count = 0;
    }
    tcpact_begin(&sb.act);
    for (size_t i = 0; i < t.count; i++) {
        smb_entry_t *e = &t.entry[i];
        e->rec.activity = tcpact_touch(&sb.act, e->rec.conn_id, &e->peer,
                                       tcpact_find(&sb.flows, &e->peer));
    }
    smbjson_free(&sb.table);
    sb.table = t;
    sb.cursor = 0;
    sb.handing = true;
    sb.error[0] = '\0';
    return HAL_SMB_OK;
}

int hal_smb_sample(hal_smb_session_t *buf, size_t cap, size_t *count, hal_smb_info_t *info)
{
    uint32_t now = hal_clock_ms();
    *count = 0;
    reap_controls(now);
    if (!sb.handing) {
        if (sb.status.state == CHILD_IDLE) {
            if (awaiting(now)) return HAL_SMB_PENDING;
            char *argv[] = {(char *)sb.cfg.smbstatus, "-s", (char *)sb.cfg.conf, "--json", NULL};
            sb.snap_ticks = boot_ticks();
            int e = child_start(&sb.status, argv, true, SAMBA_OUTPUT_MAX, now,
                                SAMBA_STATUS_TIMEOUT_MS);
            if (e == ENOENT) return sample_failed("%s: %s", "program not found");
            if (e) return sample_failed("%s: cannot run: %s", strerror(e));
            return HAL_SMB_PENDING;
        }
        if (child_poll(&sb.status, now) == CHILD_RUNNING) return HAL_SMB_PENDING;
        int rc = take_snapshot();
        if (rc != HAL_SMB_OK) return rc;
    }
    size_t n = 0;
    while (n < cap && sb.cursor < sb.table.count) buf[n++] = sb.table.entry[sb.cursor++].rec;
    *count = n;
    if (sb.cursor < sb.table.count) return HAL_SMB_MORE;
    sb.handing = false;
    info->refusals = 0;
    info->has_refusals = 0; /* Samba does not count them */
    return HAL_SMB_OK;
}

int hal_smb_rewind(uint32_t from)
{
    if (sb.handing || sb.error[0] || sb.status.state != CHILD_IDLE) return HAL_SMB_ENOTSUP;
    sb.cursor = from < sb.table.count ? from : sb.table.count;
    sb.handing = true;
    return HAL_SMB_OK;
}

/* ---- ending connections ---------------------------------------------------- */

/* Reads /proc/PID/stat (samba_parse_stat). 0, or -1 if the process is not
 * there. */
static int proc_stat(pid_t pid, char *comm, size_t cap, pid_t *ppid, uint64_t *start)
{
    char path[32], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return samba_parse_stat(text, comm, cap, ppid, start);
}

/* Whether pid is still the smbd serving a connection of the last snapshot:
 * an smbd whose parent is an smbd (never the daemon itself), started
 * before the snapshot was taken (not a new process that got the pid). */
static bool still_connection(pid_t pid)
{
    char comm[64], pcomm[64];
    pid_t ppid, pp;
    uint64_t start, pstart;
    if (proc_stat(pid, comm, sizeof comm, &ppid, &start) != 0) return false;
    if (strcmp(comm, "smbd") != 0 || start > sb.snap_ticks) return false;
    return proc_stat(ppid, pcomm, sizeof pcomm, &pp, &pstart) == 0 &&
           strcmp(pcomm, "smbd") == 0;
}

static int run_control(char *const argv[], uint32_t now)
{
    for (int i = 0; i < CONTROLS_MAX; i++) {
        if (sb.control[i].state != CHILD_IDLE) continue;
        int e = child_start(&sb.control[i], argv, false, 0, now, SAMBA_CONTROL_TIMEOUT_MS);
        if (e == 0) return HAL_SMB_OK;
        fprintf(stderr, "smbwarden: %s: %s\n", argv[0], strerror(e));
        return HAL_SMB_EFAIL;
    }
    return HAL_SMB_EFAIL; /* too many in flight: tried again later */
}

static bool in_table(uint32_t pid)
{
    for (size_t i = 0; i < sb.table.count; i++)
        if (sb.table.entry[i].rec.conn_id == pid) return true;
    return false;
}

int hal_smb_end_session(uint32_t session_id)
{
    (void)session_id;
    return HAL_SMB_ENOTSUP; /* Samba ends connections, not sessions */
}

int hal_smb_end_conn(uint32_t conn_id)
{
    uint32_t now = hal_clock_ms();
    char pid[16];
    if (conn_id == 0 || conn_id > INT32_MAX || !in_table(conn_id) ||
        !still_connection((pid_t)conn_id))
        return HAL_SMB_ENOENT;
    if (awaited((pid_t)conn_id)) return HAL_SMB_OK; /* asked already */
    reap_controls(now);
    snprintf(pid, sizeof pid, "%u", conn_id);
    char *argv[] = {(char *)sb.cfg.smbcontrol, "-s", (char *)sb.cfg.conf, pid, "shutdown", NULL};
    int rc = run_control(argv, now);
    if (rc == HAL_SMB_OK) await_exit((pid_t)conn_id, now);
    return rc;
}

int hal_smb_end_client(const char *client)
{
    uint32_t now = hal_clock_ms();
    uint8_t addr[16];
    bool ip = inet_pton(AF_INET, client, addr) == 1 || inet_pton(AF_INET6, client, addr) == 1;
    int rc = HAL_SMB_ENOENT;
    reap_controls(now);
    if (ip) {
        char *argv[] = {(char *)sb.cfg.smbcontrol, "-s", (char *)sb.cfg.conf,  "smbd",
                        "kill-client-ip",          (char *)client,            NULL};
        rc = run_control(argv, now);
        if (rc != HAL_SMB_OK) return rc;
    }
    /* By name (port 139 clients), or to watch the address's processes go. */
    for (size_t i = 0; i < sb.table.count; i++) {
        const hal_smb_session_t *r = &sb.table.entry[i].rec;
        char name[sizeof r->client]; /* in the form the core keeps names in */
        memcpy(name, r->client, sizeof name);
        text_clean(name, sizeof name);
        if (!text_ieq(name, client)) continue;
        if (ip)
            await_exit((pid_t)r->conn_id, now);
        else if (hal_smb_end_conn(r->conn_id) == HAL_SMB_OK)
            rc = HAL_SMB_OK;
    }
    return rc;
}
