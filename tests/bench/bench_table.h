/* bench_table.h - the realistic mixed session table of the benches, in the
 * fake SMB HAL: 70 % of clients with one session, the rest 2-5; 10 % null
 * sessions; 15 % holding 1-5 open files; idle times from seconds to two
 * days (a newcomer's no longer than the time since the last sample).
 * Deterministic. */
#ifndef BENCH_TABLE_H
#define BENCH_TABLE_H

#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "console.h"
#include "fake_hal.h"

static uint32_t seed = 88172645u;
static inline uint32_t rnd(uint32_t n)
{
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    return seed % n;
}

static uint32_t next_sid = 0x1001, next_client;

/* Idle seconds from a few to two days, spread over the orders of magnitude. */
static inline uint32_t some_idle(void)
{
    static const uint32_t top[] = {60, 600, 3600, 6 * 3600, 48 * 3600};
    return rnd(top[rnd(5)]);
}

/* One client's sessions (1 for 70 % of clients, else 2-5); false when full.
 * With within > 0 they came since the last sample, within seconds ago:
 * connected and idle no longer than that. */
static inline bool add_client(uint32_t n, bool conn_per_client, uint32_t within)
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
        if (within) s->connected_s = rnd(within + 1), s->idle_s = rnd(s->connected_s + 1);
    }
    return true;
}

static inline void fill(uint32_t n, bool conn_per_client)
{
    while (add_client(n, conn_per_client, 0)) {}
}

static inline void bench_set(const char *key, const char *value)
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

/* An agent on a fresh table of n sessions (sharing a connection per client
 * with conn, as Samba), the server's limit at n, in mode; the fake server
 * keeps the sessions it is asked to end, so the table stays as made. */
static inline void bench_boot(uint32_t n, bool conn, const char *mode)
{
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
    bench_set("policy.session_limit", limit);
    bench_set("policy.mode", mode);
}

#endif
