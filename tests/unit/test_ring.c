/* The ring's indexes (built into every unit test: CFLAGS_TEST sets
 * AGENT_RING_INDEX): after any mix of records becoming live, ending and
 * their slots being reused, with ids that collide in the index, a lookup
 * by session id and a listing in id order (ring_next) find exactly what a
 * scan of the ring finds. */
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

static void test_index_agrees_with_a_scan(void **state)
{
    (void)state;
    static ring_t r;
    ring_init(&r);
    /* ids from a small range (many collide) and multiples of the bucket count */
    for (int step = 0; step < 200000; step++) {
        uint32_t sid = rnd() % 4 ? rnd() % 300 : (rnd() % 8) * RING_BUCKETS;
        /* listings in id order, from any point, through any filter */
        sess_filter_t f = {(uint8_t)(rnd() % 16 & ~1u), NULL, NULL};
        uint32_t after = rnd() % 3 ? r.next_id - 1 - rnd() % (2 * AGENT_RING_CAP + 1) : 0;
        if (after > r.next_id) after = 0;
        assert_ptr_equal(ring_next(&r, after, &f), next_by_scan(&r, after, &f));
        sess_t *live = scan(&r, sid);
        assert_ptr_equal(ring_find_live(&r, sid), live);
        if (live) { /* it ends */
            ring_untrack(&r, live);
            live->state = SESS_ENDED;
        } else {
            sess_t *s = ring_alloc(&r);
            if (!s) { /* every slot live: end one at random */
                sess_t *v = &r.slot[rnd() % AGENT_RING_CAP];
                ring_untrack(&r, v);
                v->state = SESS_ENDED;
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
