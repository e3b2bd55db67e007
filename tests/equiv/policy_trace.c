/*
 * policy_trace - the core on random samples, for tests/integration/
 * test_ring_index.sh: built once with the ring indexes (AGENT_RING_INDEX=1)
 * and once without (every rule scanning the ring, the simple reference),
 * both must print the same trace.
 *
 *   policy_trace SEED SAMPLES
 *
 * Built a third time without the walk that finishes a sample listing every
 * session again (AGENT_KEPT_PASS=0), it must print what the indexed build
 * does with TRACE_NO_MIDWAY set: no settings changed while a sample is
 * being finished, whose random draw each poll would tie the trace to the
 * number of polls, which the two ways of finishing do not share.
 *
 * Each sample: sessions leave, come and change (some clients in another
 * case, some without a connection id, open files, null sessions), at
 * times more than the ring holds; the settings change at random (mode,
 * rules, limit, protect list, rate), sometimes while a sample is being
 * finished; the server ends what it is asked, or not; now and then an
 * operator deletes. After each sample it prints every used record and the
 * sample's events, sorted (the two builds walk the ring in another order).
 * The core is built with a small AGENT_FINISH_WORK, so finishing a sample
 * spreads over many polls. With TRACE_TICK set, the clock moves on between
 * those polls and each sample is checked on its own (check_idle) instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "bench_table.h" /* rnd(), seed, next_sid, bench_set() */
#include "console.h"
#include "fake_hal.h"

static void add_session(void)
{
    if (fake_smb_n >= FAKE_SMB_MAX) return;
    static const char *const clients[] = {"WS01", "ws01", "WS02", "SRV-A", "srv-a", "10.0.0.7",
                                          "10.0.0.8", "LAPTOP", "Laptop", "WS03"};
    static const char *const users[] = {"", "CORP\\svc", "CORP\\alice", "bob", "CORP\\svc_scan"};
    uint32_t c = rnd(10);
    /* a client's sessions mostly share a connection; a few have none */
    uint32_t conn = rnd(8) == 0 ? 0 : 500 + c % 6 * 10 + rnd(2);
    hal_smb_session_t *s = fake_smb_add(next_sid++, conn, clients[c], users[rnd(5)],
                                        rnd(6) == 0 ? 1 + rnd(3) : 0, rnd(4) == 0 ? 0 : rnd(7200));
    s->connected_s = s->idle_s + rnd(600);
    if (rnd(4) == 0) { /* a server that counts activity instead of reporting idle time */
        s->flags &= ~HAL_SMB_F_IDLE;
        s->activity = rnd(1000);
    }
    if (rnd(3) == 0) next_sid += rnd(4) * 64; /* ids far apart, some colliding in the index */
    if (rnd(12) == 0 && fake_smb_n > 1) s->session_id = fake_smb[rnd((uint32_t)fake_smb_n - 1)].session_id;
    /* ... or the id of a session that left or is still there: reused by
     * the server, or the same id twice in one sample */
}

static const char *pick(const char *const *v, uint32_t n) { return v[rnd(n)]; }

static void random_setting(void)
{
    static const char *const idle[] = {"off", "900", "1800", "3600"}, *const dup[] = {"off", "300", "600"},
        *const null_age[] = {"off", "60", "600"}, *const orphan[] = {"off", "600", "1800"},
        *const min_idle[] = {"0", "60", "600"}, *const protect[] = {"", "", "ws02,bob", "CORP\\svc"};
    char v[16];
    switch (rnd(10)) {
    case 0: bench_set("policy.mode", rnd(3) ? "enforce" : "report"); break;
    case 1: bench_set("policy.idle_timeout", pick(idle, 4)); break;
    case 2: bench_set("policy.dup_idle", pick(dup, 3)); break;
    case 3: bench_set("policy.null_max_age", pick(null_age, 3)); break;
    case 4: bench_set("policy.orphan_idle", pick(orphan, 3)); break;
    case 5:
        snprintf(v, sizeof v, "%u", rnd(3) ? 8 + rnd(40) : 0);
        bench_set("policy.session_limit", v);
        break;
    case 6: bench_set("policy.protect", pick(protect, 4)); break;
    case 7: snprintf(v, sizeof v, "%u", 1 + rnd(20)); bench_set("policy.evict_rate", v); break;
    case 8: bench_set("policy.limit_min_idle", pick(min_idle, 3)); break;
    default: bench_set("policy.evict_orphans", rnd(2) ? "on" : "off"); break;
    }
}

static void print_sample(uint32_t n, uint32_t *seq)
{
    const ring_t *r = agent_ring();
    const agent_stats_t *st = agent_stats();
    printf("sample %u: table %u rewinds %u samples %u server %u untracked %u rejected %u pressure %d asked %u failed %u\n", n, (unsigned)fake_smb_n, fake_smb_rewinds,
           st->samples, st->server_sessions, st->untracked, st->rejected, st->pressure, st->evict_requests,
           st->eviction_failures);
    sess_filter_t all = {0, NULL, NULL};
    for (const sess_t *s = ring_next(r, 0, &all); s; s = ring_next(r, s->id, &all))
        printf("  %u sid %u %s %s %s pending %u idle %u conn %u\n", s->id, s->session_id,
               sess_state_name((sess_state_t)s->state), sess_reason_name((sess_reason_t)s->reason),
               block_name((block_t)s->block), s->pending, sess_idle(s, agent_now_s()), s->conn_id);
    /* the sample's events, sorted */
    static char lines[4096][96];
    uint32_t k = 0, end = events_next(agent_events());
    for (; *seq != end; (*seq)++) {
        const event_t *e = events_get(agent_events(), *seq);
        if (!e) printf("  event lost\n"); /* the trace would not compare them all */
        if (e && k < 4096)
            snprintf(lines[k++], sizeof lines[0], "%s %u %u %u %s", events_type_name((event_type_t)e->type),
                     e->reason, e->session, e->arg, e->subject);
    }
    qsort(lines, k, sizeof lines[0], (int (*)(const void *, const void *))strcmp);
    for (uint32_t i = 0; i < k; i++) printf("  event %s\n", lines[i]);
}

static bool midway; /* settings may change while a sample is being finished */

/* With TRACE_TICK the clock moves on between the polls of a sample (the
 * builds then take different polls to their choices, so their traces are
 * not compared) and settings change only between samples; each sample is
 * checked on its own: no record was taken after the time it is judged at,
 * and no session went stale by a rule its idle time had not reached when
 * the event says it went (a record taken at a later poll's time than its
 * sample's classification would be judged idle "for ever"). */
static void check_times(uint32_t sample, uint32_t first_event)
{
    const cfg_t *c = agent_cfg();
    const ring_t *r = agent_ring();
    sess_filter_t all = {0, NULL, NULL};
    for (const sess_t *s = ring_next(r, 0, &all); s; s = ring_next(r, s->id, &all))
        if (sess_live(s) && s->seen_s > agent_now_s()) {
            printf("CHECK sample %u: session %u seen at %u, now %u\n", sample, s->id, s->seen_s, agent_now_s());
            exit(1);
        }
    for (uint32_t q = first_event; q != events_next(agent_events()); q++) {
        const event_t *e = events_get(agent_events(), q);
        if (!e || e->type != EV_STALE) continue;
        uint32_t least = e->reason == REASON_IDLE        ? c->idle_timeout_s
                         : e->reason == REASON_DUPLICATE ? c->dup_idle_s
                         : e->reason == REASON_ORPHAN    ? c->orphan_idle_s
                         : e->reason == REASON_LIMIT     ? c->limit_min_idle_s
                                                         : 0;
        if (e->arg < least) {
            printf("CHECK sample %u: session %u stale (%s) at idle %u, the rule's %u\n", sample, e->session,
                   sess_reason_name((sess_reason_t)e->reason), e->arg, least);
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: policy_trace SEED SAMPLES\n");
        return 2;
    }
    seed = (uint32_t)strtoul(argv[1], NULL, 10) * 2654435761u + 1;
    midway = getenv("TRACE_NO_MIDWAY") == NULL;
    bool tick = getenv("TRACE_TICK") != NULL;
    if (tick) midway = false;
    next_sid = 100;
    uint32_t samples = (uint32_t)strtoul(argv[2], NULL, 10);
    static const uint32_t caps[] = {HAL_SMB_CAN_END_SESSION, HAL_SMB_CAN_END_CONN,
                                    HAL_SMB_CAN_END_CLIENT, HAL_SMB_CAN_END_CONN | HAL_SMB_CAN_END_CLIENT};
    fake_ms = 1000;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(caps[rnd(4)]);
    fake_smb_end_removes = rnd(2);
    fake_smb_no_rewind = rnd(4) == 0;
    for (uint32_t i = rnd(AGENT_RING_CAP); i; i--) add_session();
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    bench_set("sample.interval", "10");
    for (int i = 0; i < 6; i++) random_setting();
    uint32_t seq = events_next(agent_events());
    for (uint32_t n = 0; n < samples; n++) {
        /* mostly the sample interval; at times a quarter of an hour, so
         * sessions the agent times itself (activity counters) grow old */
        uint32_t step = rnd(8) == 0 ? 900 : 10;
        /* the table changes: leavers, newcomers, activity */
        /* around the ring's size: mostly under it, at times well over; in
         * a third of the samples none leaves by itself (about one sample in
         * fifteen lists every session again, the agent's evictions and the
         * ring's overflow taking the rest) */
        uint32_t over = fake_smb_n > AGENT_RING_CAP ? (uint32_t)fake_smb_n - AGENT_RING_CAP : 0;
        uint32_t leave = rnd(3) == 0 ? 0 : rnd(8) + (over ? rnd(over + 1) : 0);
        for (uint32_t i = leave; i && fake_smb_n; i--) {
            uint32_t gone = rnd((uint32_t)fake_smb_n);
            uint32_t sid = fake_smb[gone].session_id;
            fake_smb[gone] = fake_smb[--fake_smb_n];
            if (rnd(4) == 0) { /* its id comes back at once, for someone else */
                add_session();
                if (fake_smb_n) fake_smb[fake_smb_n - 1].session_id = sid;
            }
        }
        for (uint32_t i = rnd(rnd(5) == 0 ? AGENT_RING_CAP : 8); i; i--) add_session();
        for (size_t i = 0; i < fake_smb_n; i++) {
            fake_smb[i].idle_s += step, fake_smb[i].connected_s += step; /* they age */
            if (rnd(5) == 0) fake_smb[i].idle_s = rnd(3) ? 0 : fake_smb[i].idle_s + 10;
            if (!(fake_smb[i].flags & HAL_SMB_F_IDLE) && rnd(5) == 0) fake_smb[i].activity++;
            if (rnd(20) == 0) fake_smb[i].opens = rnd(2) ? 0 : 1 + rnd(4); /* files opened, closed */
            if (rnd(40) == 0) fake_smb[i].connected_s = fake_smb[i].idle_s + rnd(100); /* as a server may misreport */
            if (rnd(30) == 0) fake_smb[i].conn_id = rnd(4) ? 500 + rnd(6) * 10 : 0; /* moved (multichannel) */
        }
        if (rnd(3) == 0) random_setting();
        fake_smb_end_rc = rnd(10) == 0 ? HAL_SMB_EFAIL : HAL_SMB_OK;
        uint32_t before = agent_stats()->samples, polls = 0;
        fake_ms += step * 1000;
        while (agent_stats()->samples == before && polls++ < 100000) {
            agent_poll(fake_ms);
            if (midway && rnd(300) == 0) random_setting(); /* perhaps while the sample is being finished */
            if (tick) fake_ms += rnd(1000);
        }
        if (tick) check_times(n, seq);
        if (rnd(6) == 0) { /* an operator deletes a client's sessions */
            static const char *const who[] = {"ws01", "SRV-A", "10.0.0.7", "laptop"};
            char buf[200];
            fmt_t msg;
            fmt_init(&msg, buf, sizeof buf);
            agent_del_req_t req = {.client = who[rnd(4)], .force = rnd(3) == 0, .force_word = "force",
                                   .by = &console_actor};
            agent_delete(&req, &msg);
        }
        if (getenv("TRACE_POLLS")) printf("polls %u\n", polls);
        print_sample(n, &seq);
    }
    return 0;
}
