/* The ring's indexes (on in every unit test, as on every board but the
 * firmware): after any mix of records becoming live, ending and
 * their slots being reused, with ids that collide in the index, a lookup
 * by session id, a listing in id order (ring_next) and the slot a new
 * record takes (never used, else ended first, then lower id) are exactly
 * what a scan of the ring finds; the groups by client and by connection
 * hold exactly the live records that share them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ring.h"
#include "text.h"

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

/* The live records counted, and every live record's groups hold exactly
 * the live records that share its client (any case) or connection, named
 * by one of them, and count those active and those blocked by their own
 * rules. */
static void check_groups(ring_t *r)
{
    uint32_t live = 0;
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) live += sess_live(&r->slot[i]);
    assert_int_equal(ring_live(r), live);
    for (uint32_t i = 0; i < AGENT_RING_CAP; i++) {
        const sess_t *s = &r->slot[i];
        for (int by = 0; by < RING_GROUPINGS; by++) {
            ring_group_t *g = sess_live(s) ? ring_group_of(r, s, by) : NULL;
            if (!sess_live(s) || (by == RING_BY_CONN && s->conn_id == 0)) {
                assert_null(sess_live(s) ? g : NULL);
                continue;
            }
            assert_non_null(g);
            uint32_t want = 0, got = 0, active = 0, blocked = 0;
            for (uint32_t k = 0; k < AGENT_RING_CAP; k++) {
                const sess_t *o = &r->slot[k];
                bool in = sess_live(o) && (by == RING_BY_CLIENT ? sess_same_client(o, s) : o->conn_id == s->conn_id);
                want += in;
                active += in && o->state == SESS_ACTIVE;
                blocked += in && o->own != BLOCK_NONE;
            }
            for (const sess_t *o = ring_group_next(r, g, by, NULL); o; o = ring_group_next(r, g, by, o)) {
                assert_true(sess_live(o));
                assert_true(by == RING_BY_CLIENT ? sess_same_client(o, s) : o->conn_id == s->conn_id);
                got++;
            }
            assert_int_equal(got, want);
            assert_int_equal(g->members, want);
            assert_int_equal(g->active, active);
            assert_int_equal(g->blocked, blocked);
            const sess_t *k = &r->slot[g->key - 1];
            assert_true(by == RING_BY_CLIENT ? sess_same_client(k, s) : k->conn_id == s->conn_id);
        }
    }
}

static void end(ring_t *r, sess_t *s, uint32_t now)
{
    ring_untrack(r, s);
    s->state = SESS_ENDED;
    s->ended_s = now;
    ring_ended(r, s);
}

/* Client names and connection ids whose groups hash into 3 buckets. */
#define NAMES 12
static char names[NAMES][8];
static uint32_t conns[NAMES];

static void colliding_keys(void)
{
    uint32_t n = 0, c = 0;
    for (uint32_t i = 0; n < NAMES; i++) {
        char name[8];
        snprintf(name, sizeof name, "C%u", i);
        if ((text_ihash(name) & (RING_BUCKETS - 1)) < 3) strcpy(names[n++], name);
    }
    for (uint32_t id = 1; c < NAMES; id++)
        if (((id * 2654435761u) >> (32 - RING_BUCKET_BITS)) < 3) conns[c++] = id;
}

static void test_index_agrees_with_a_scan(void **state)
{
    (void)state;
    colliding_keys();
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
            sess_t *want = alloc_by_scan(&r);
            assert_int_equal(ring_has_room(&r), want != NULL);
            sess_t *s = ring_alloc(&r);
            assert_ptr_equal(s, want);
            if (!s) { /* every slot live: end one at random */
                end(&r, &r.slot[rnd() % AGENT_RING_CAP], now);
                continue;
            }
            s->session_id = sid;
            ring_track(&r, s);
            s->state = rnd() % 2 ? SESS_ACTIVE : SESS_STALE;
            /* a few clients (in either case) and connections whose groups
             * land in the same few buckets, so they share runs and empty
             * in any order */
            strcpy(s->client, names[rnd() % NAMES]);
            if (rnd() % 2) s->client[0] = (char)(s->client[0] + 'a' - 'A');
            s->client_hash = text_ihash(s->client);
            s->conn_id = rnd() % 5 ? conns[rnd() % NAMES] : 0;
            ring_group(&r, s);
        }
        if (step % 7 == 0) { /* a live record moves to another connection */
            sess_t *m = &r.slot[rnd() % AGENT_RING_CAP];
            if (sess_live(m)) {
                ring_ungroup(&r, m);
                m->conn_id = rnd() % 3 ? conns[rnd() % NAMES] : 0;
                ring_group(&r, m);
            }
        }
        if (step % 5 == 0) { /* a live record turns stale or active, blocked or free */
            sess_t *m = &r.slot[rnd() % AGENT_RING_CAP];
            if (sess_live(m)) {
                bool was_active = m->state == SESS_ACTIVE, was_blocked = m->own != BLOCK_NONE;
                m->state = rnd() % 2 ? SESS_ACTIVE : SESS_STALE;
                m->own = (uint8_t)(rnd() % 2 ? BLOCK_NONE : BLOCK_OPENS);
                ring_figures(&r, m, (m->state == SESS_ACTIVE) - was_active,
                             (m->own != BLOCK_NONE) - was_blocked);
            }
        }
        if (step % 64 == 0) check_groups(&r);
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
