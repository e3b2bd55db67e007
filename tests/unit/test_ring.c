/* The ring's indexes (built into every unit test: CFLAGS_TEST sets
 * AGENT_RING_INDEX): after any mix of records becoming live, ending and
 * their slots being reused, with ids that collide in the index, a lookup
 * by session id, a listing in id order (ring_next) and the slot a new
 * record takes (never used, else ended first, then lower id) are exactly
 * what a scan of the ring finds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ring.h"

static uint32_t seed = 2463534242u;
static uint32_t rnd(void)
{
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    return seed;
}

static sess_t *scan(ring_t *r, uint32_t sid)
{
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++)
        if (sess_live(&r->slot[i]) && r->slot[i].session_id == sid) return &r->slot[i];
    return NULL;
}

/* ring_next by brute force: the smallest id above after that f names. */
static const sess_t *next_by_scan(const ring_t *r, uint32_t after, const sess_filter_t *f)
{
    const sess_t *best = NULL;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &r->slot[i];
        if (s->id > after && (!best || s->id < best->id) && sess_matches(s, f)) best = s;
    }
    return best;
}

/* ring_alloc by brute force: a free slot, else the ended record to go first. */
static sess_t *alloc_by_scan(ring_t *r)
{
    sess_t *pick = NULL;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        sess_t *s = &r->slot[i];
        if (s->state == SESS_FREE) return s;
        if (s->state == SESS_ENDED && (!pick || (int32_t)(s->ended_s - pick->ended_s) < 0 ||
                                       (s->ended_s == pick->ended_s && s->id < pick->id)))
            pick = s;
    }
    return pick;
}

static void end(ring_t *r, sess_t *s, uint32_t now)
{
    ring_untrack(r, s);
    s->state = SESS_ENDED;
    s->ended_s = now;
    ring_ended(r, s);
}

static void test_index_agrees_with_a_scan(void **state)
{
    (void)state;
    static ring_t r;
    ring_init(&r);
    /* ids from a small range (many collide) and multiples of the bucket count */
    uint32_t now = 0;
    for (int step = 0; step < 200000; step++) {
        now += rnd() % 4 == 0; /* several records end in the same second */
        uint32_t sid = rnd() % 4 ? rnd() % 300 : (rnd() % 8) * RING_BUCKETS;
        /* listings in id order, from any point, through any filter */
        sess_filter_t f = {(uint8_t)(rnd() % 16 & ~1u), NULL, NULL};
        uint32_t after = rnd() % 3 ? r.next_id - 1 - rnd() % (2 * AGENT_RING_CAP + 1) : 0;
        if (after > r.next_id) after = 0;
        assert_ptr_equal(ring_next(&r, after, &f), next_by_scan(&r, after, &f));
        sess_t *live = scan(&r, sid);
        assert_ptr_equal(ring_find_live(&r, sid), live);
        if (live) { /* it ends */
            end(&r, live, now);
        } else {
            sess_t *want = alloc_by_scan(&r), *s = ring_alloc(&r);
            assert_ptr_equal(s, want);
            if (!s) { /* every slot live: end one at random */
                end(&r, &r.slot[rnd() % AGENT_RING_CAP], now);
                continue;
            }
            s->session_id = sid;
            ring_track(&r, s);
            s->state = rnd() % 2 ? SESS_ACTIVE : SESS_STALE;
        }
    }
    for (uint32_t sid = 0; sid < 300; sid++) assert_ptr_equal(ring_find_live(&r, sid), scan(&r, sid));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_agrees_with_a_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
