/*
 * bench_core - what one sample costs the core, for `make bench-core`.
 *
 *   bench_core N GRAN MODE [CHANGED%]
 *
 * Builds a realistic mixed table of N sessions (the generator below: 70 %
 * of clients with one session, the rest 2-5; 10 % null sessions; 15 %
 * holding 1-5 open files; idle times from seconds to two days; the server's
 * limit at N, so limit pressure is on) behind the fake SMB HAL, with the
 * server ending sessions (GRAN "session") or whole connections, a
 * client's sessions sharing one (GRAN "conn", as Samba does); settles the
 * agent (MODE "report" or "enforce"; the fake server keeps the sessions it
 * is asked to end, so the table stays as generated), replaces CHANGED % of
 * the sessions with new ones (0: none), and runs one more sample, every
 * agent_poll() of it counted on its own: run under valgrind --tool=callgrind
 * --collect-atstart=no, each poll is one dump (tests/bench/bench_core.py
 * reads them). The core is built with AGENT_RING_CAP = N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "agent.h"
#include "console.h"
#include "fake_hal.h"

static uint32_t seed = 88172645u;
static uint32_t rnd(uint32_t n)
{
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    return seed % n;
}

static uint32_t next_sid = 0x1001, next_client;

/* Idle seconds from a few to two days, spread over the orders of magnitude. */
static uint32_t some_idle(void)
{
    static const uint32_t top[] = {60, 600, 3600, 6 * 3600, 48 * 3600};
    return rnd(top[rnd(5)]);
}

/* One client's sessions (1 for 70 % of clients, else 2-5); false when full. */
static bool add_client(uint32_t n, bool conn_per_client)
{
    uint32_t c = next_client++, k = rnd(10) < 7 ? 1 : 2 + rnd(4);
    bool null = rnd(10) == 0;
    char client[32], user[32];
    if (null)
        snprintf(client, sizeof client, "10.%u.%u.%u", c >> 16 & 255, c >> 8 & 255, c & 255);
    else
        snprintf(client, sizeof client, "WS-%05u", c);
    snprintf(user, sizeof user, "CORP\\user%u", c);
    if (null) user[0] = '\0';
    for (uint32_t i = 0; i < k; i++) {
        if (fake_smb_n >= n) return false;
        uint32_t sid = next_sid++;
        hal_smb_session_t *s = fake_smb_add(sid, conn_per_client ? 5000 + c : sid, client, user,
                                            rnd(100) < 15 ? 1 + rnd(5) : 0, some_idle());
        s->connected_s = s->idle_s + rnd(3600);
    }
    return true;
}

static void fill(uint32_t n, bool conn_per_client)
{
    while (add_client(n, conn_per_client)) {}
}

static void set(const char *key, const char *value)
{
    cfg_t next = *agent_cfg();
    char buf[160];
    fmt_t err;
    fmt_init(&err, buf, sizeof buf);
    const cfg_key_t *k = cfg_key_find(key);
    if (!k || cfg_parse(&next, k, value, &err) != CFG_OK ||
        agent_cfg_apply(&next, &console_actor, &err) != CFG_OK) {
        fprintf(stderr, "%s %s: %s\n", key, value, buf);
        exit(2);
    }
}

/* Polls through one whole sample; with measure, each poll is a dump. */
static uint32_t run_sample(bool measure)
{
    uint32_t before = agent_stats()->samples, polls = 0;
    fake_ms += agent_cfg()->sample_interval_s * 1000u;
    while (agent_stats()->samples == before && polls < 100000) {
        if (measure) CALLGRIND_TOGGLE_COLLECT;
        agent_poll(fake_ms);
        if (measure) {
            CALLGRIND_TOGGLE_COLLECT;
            CALLGRIND_DUMP_STATS;
        }
        polls++;
    }
    return polls;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_core N session|conn report|enforce [CHANGED%%]\n");
        return 2;
    }
    uint32_t n = (uint32_t)atoi(argv[1]), changed = argc > 4 ? (uint32_t)atoi(argv[4]) : 0;
    bool conn = strcmp(argv[2], "conn") == 0;
    if (n > AGENT_RING_CAP || n > FAKE_SMB_MAX) {
        fprintf(stderr, "N at most %u here\n", (unsigned)AGENT_RING_CAP);
        return 2;
    }
    fake_ms = 1000;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(conn ? HAL_SMB_CAN_END_CONN : HAL_SMB_CAN_END_SESSION);
    fake_smb_end_removes = false;
    fill(n, conn);
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    char limit[16];
    snprintf(limit, sizeof limit, "%u", n);
    set("policy.session_limit", limit);
    set("policy.mode", argv[3]);
    for (int i = 0; i < 3; i++) run_sample(false); /* settled: every session known */
    /* CHANGED % leave, as many new ones come */
    for (uint32_t i = 0; i < n * changed / 100 && fake_smb_n; i++)
        fake_smb[rnd((uint32_t)fake_smb_n)] = fake_smb[--fake_smb_n];
    while (fake_smb_n < n) add_client(n, conn);
    uint32_t polls = run_sample(true);
    printf("sessions %u polls %u live %u untracked %u\n", n, polls, ring_live(agent_ring()),
           agent_stats()->untracked);
    return 0;
}
