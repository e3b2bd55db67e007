/*
 * bench_core - what one sample costs the core, for `make bench-core`.
 *
 *   bench_core N GRAN MODE [CHANGED% [KIND]]
 *
 * Builds a realistic mixed table of N sessions (the generator below: 70 %
 * of clients with one session, the rest 2-5; 10 % null sessions; 15 %
 * holding 1-5 open files; idle times from seconds to two days; the server's
 * limit at N, so limit pressure is on) behind the fake SMB HAL, with the
 * server ending sessions (GRAN "session") or whole connections, a
 * client's sessions sharing one (GRAN "conn", as Samba does); settles the
 * agent (MODE "report" or "enforce"; the fake server keeps the sessions it
 * is asked to end, so the table stays as generated; its sessions age with
 * the clock, idle and connected growing), changes CHANGED % of the
 * sessions (0: none) as KIND says, and runs one more sample (with
 * BENCH_ROUNDS=K, K such samples in a row), every agent_poll() of it
 * counted on its own: run under valgrind --tool=callgrind
 * --collect-atstart=no, each poll is one dump (tests/bench/bench_core.py
 * reads them). The core is built with AGENT_RING_CAP = N.
 *
 * KIND "new" (the default): that many sessions leave and as many new ones
 * come, connected and idle no longer than the sample interval, as a server
 * makes them between two samples. KIND "stale": that many sessions the
 * agent holds active, without open files and short of policy.idle_timeout,
 * pass it (each a verdict, an event kept in the log, a leak-table row; in
 * enforce mode an eviction as the rate allows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "agent.h"
#include "bench_table.h"
#include "console.h"
#include "fake_hal.h"

/* One sample interval passes: the server's sessions age, as Samba's do. */
static void age(void)
{
    uint32_t step = agent_cfg()->sample_interval_s;
    fake_ms += step * 1000u;
    for (size_t i = 0; i < fake_smb_n; i++) fake_smb[i].idle_s += step, fake_smb[i].connected_s += step;
}

/* Polls through one whole sample; with measure, each poll is a dump (one
 * dump for the whole sample with BENCH_ONE_DUMP set, to profile it). */
static uint32_t poll_sample(bool measure)
{
    bool split = getenv("BENCH_ONE_DUMP") == NULL;
    uint32_t before = agent_stats()->samples, polls = 0;
    while (agent_stats()->samples == before && polls < 100000) {
        if (measure) CALLGRIND_TOGGLE_COLLECT;
        agent_poll(fake_ms);
        if (measure) {
            CALLGRIND_TOGGLE_COLLECT;
            if (split) CALLGRIND_DUMP_STATS;
        }
        polls++;
    }
    return polls;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_core N session|conn report|enforce [CHANGED%% [new|stale]]\n");
        return 2;
    }
    uint32_t n = (uint32_t)atoi(argv[1]), changed = argc > 4 ? (uint32_t)atoi(argv[4]) : 0;
    bool conn = strcmp(argv[2], "conn") == 0, stale = argc > 5 && strcmp(argv[5], "stale") == 0;
    if (n > AGENT_RING_CAP || n > FAKE_SMB_MAX) {
        fprintf(stderr, "N at most %u here\n", (unsigned)AGENT_RING_CAP);
        return 2;
    }
    bench_boot(n, conn, argv[3]);
    for (int i = 0; i < 3; i++) age(), poll_sample(false); /* settled: every session known */
    /* CHANGED % change as KIND says; BENCH_ROUNDS samples of it in a row
     * (default 1), each counted */
    uint32_t ev0 = 0, polls = 0, rounds = getenv("BENCH_ROUNDS") ? (uint32_t)atoi(getenv("BENCH_ROUNDS")) : 1;
    uint32_t timeout = agent_cfg()->idle_timeout_s, step = agent_cfg()->sample_interval_s;
    for (uint32_t r = 0; r < (rounds ? rounds : 1); r++) {
        age();
        if (stale) {
            uint32_t i = 0;
            for (uint32_t tries = 0; i < n * changed / 100 && tries < 100 * n; tries++) {
                hal_smb_session_t *h = &fake_smb[rnd((uint32_t)fake_smb_n)];
                const sess_t *s = ring_find_live((ring_t *)agent_ring(), h->session_id);
                if (h->opens || h->idle_s >= timeout || !s || s->reason != REASON_NONE) continue;
                h->idle_s = timeout + rnd(step); /* passed it since the last sample */
                if (h->connected_s < h->idle_s) h->connected_s = h->idle_s;
                i++;
            }
            if (i < n * changed / 100) { /* a figure for fewer would say less than it seems */
                fprintf(stderr, "round %u: only %u of %u sessions left to go stale\n", (unsigned)r + 1,
                        (unsigned)i, (unsigned)(n * changed / 100));
                return 3;
            }
        } else {
            for (uint32_t i = 0; i < n * changed / 100 && fake_smb_n; i++)
                fake_smb[rnd((uint32_t)fake_smb_n)] = fake_smb[--fake_smb_n];
            while (fake_smb_n < n) add_client(n, conn, step);
        }
        ev0 = events_next(agent_events());
        polls = poll_sample(true);
    }
    printf("sessions %u polls %u live %u untracked %u events %u\n", n, polls,
           ring_live(agent_ring()), agent_stats()->untracked, events_next(agent_events()) - ev0);
#ifdef BENCH_EVENT_TYPES
    for (int t = 0; t < EV_TYPE_COUNT; t++) {
        uint32_t k = 0;
        for (uint32_t q = ev0; q != events_next(agent_events()); q++) {
            const event_t *e = events_get(agent_events(), q);
            k += e && e->type == t;
        }
        if (k) printf(" %s=%u", events_type_name((event_type_t)t), k);
    }
    printf("\n");
#endif
    return 0;
}
