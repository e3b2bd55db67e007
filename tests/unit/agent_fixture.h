/* Shared set-up for tests that drive the whole core through fake HALs. */
#ifndef AGENT_FIXTURE_H
#define AGENT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent.h"
#include "console.h"
#include "fake_hal.h"

/* Polls until the core has nothing to do at the current time. */
static inline void settle(void)
{
    for (int i = 0; i < 1000 && agent_poll(fake_ms) == 0; i++) {}
}

/* Advances the fake clock by ms in one-second steps, polling throughout. */
static inline void run_ms(uint32_t ms)
{
    while (ms) {
        uint32_t step = ms < 1000 ? ms : 1000;
        fake_ms += step;
        ms -= step;
        settle();
    }
}

/* Applies "key value" to the running agent; fails the test on error. */
static inline void set_key(const char *key, const char *value)
{
    cfg_t next = *agent_cfg();
    char buf[160];
    fmt_t err;
    fmt_init(&err, buf, sizeof buf);
    const cfg_key_t *k = cfg_key_find(key);
    assert_non_null(k);
    assert_int_equal(cfg_parse(&next, k, value, &err), CFG_OK);
    assert_int_equal(agent_cfg_apply(&next, &console_actor, &err), CFG_OK);
}

/* Number of events of type t still in the ring. */
static inline int count_events(event_type_t t)
{
    const events_t *ev = agent_events();
    int n = 0;
    for (uint32_t k = 0; k < events_held(ev); k++)
        n += events_get(ev, events_at(ev, k))->type == t;
    return n;
}

/* The live or ended record for server session sid, newest first. */
/* The leak table's row of client and user, or NULL. */
static inline const leak_t *leak_row(const char *client, const char *user)
{
    const leaks_t *t = agent_leaks();
    for (const leak_t *l = leaks_next(t, agent_stamp_s(), NULL); l; l = leaks_next(t, agent_stamp_s(), l))
        if (strcmp(l->client, client) == 0 && strcmp(l->user, user) == 0) return l;
    return NULL;
}

static inline const sess_t *rec(uint32_t sid)
{
    const sess_t *best = NULL;
    for (int i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &agent_ring()->slot[i];
        if (s->state != SESS_FREE && s->session_id == sid && (!best || s->id > best->id))
            best = s;
    }
    return best;
}

#endif
