/*
 * policy.h - which sessions are stale and why, and whether the safety rules
 * let one be ended. Pure functions of the ring, the settings and the time.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "ring.h"

/* Who is asking to end a session: the rules differ in how far they go. */
typedef enum {
    POLICY_AUTO,   /* enforce mode: every session ended must be stale */
    POLICY_MANUAL, /* an operator: no open files, nothing protected */
    POLICY_FORCE,  /* an operator with force: the server's granularity only */
} policy_who_t;

/* Limit pressure at a server count of n sessions, given whether it was on:
 * on from policy.limit_high, off below policy.limit_low (hysteresis). */
bool policy_pressure(const cfg_t *c, uint32_t n, bool was);

/* The largest session count below the low mark, where pressure is relieved. */
uint32_t policy_low_target(const cfg_t *c);

/*
 * The classification of a sample, in passes over the live records that the
 * caller may spread over several polls (agent.c does):
 *   policy_begin;
 *   policy_judge for each record the sample listed (records it did not
 *   list may end meanwhile);
 *   one ordered pass for limit pressure and eviction: the candidates (under
 *   limit pressure the active ones policy_limit_ok lets go, in enforce mode
 *   the stale ones policy_auto_block lets go) into one heap, which hands
 *   them out stalest first; each one the limit rule chooses policy_marked,
 *   each one ended with its policy_member()s.
 * Otherwise no record may change state or group between policy_begin and
 * the last pass except through these functions; policy_begin copies the
 * settings into the job and the caller the sample's number, so one
 * classification follows one set of them. With AGENT_RING_INDEX every
 * pass costs the same per record at any ring size: the ring keeps the live
 * records grouped by client and by connection, and each group counts its
 * members active and blocked as their verdicts change. Without it (a
 * small ring, where RAM counts more) each rule scans the ring: the
 * reference the index is tested against.
 */
#if AGENT_RING_INDEX
/* A candidate: its idle time when added (the classification's time does
 * not move) above its slot complemented, so of two the greater goes first. */
typedef uint64_t policy_cand_t;
#else
typedef uint16_t policy_cand_t; /* its slot: RAM counts more than time here */
#endif

typedef struct {
    cfg_t cfg; /* the settings it classifies by, as the sample ended: a
                  change on the way applies from the next sample */
    uint32_t now_s, caps;
    uint32_t sample; /* sess_t.sample of the records the sample listed: the
                        others are about to end and are no one's sibling */
    uint16_t gen; /* of this classification: a group's newest with another is stale */
    bool rejudge; /* the settings changed: every record is judged */
    /* Candidates, stalest first: a binary heap of the first heap_n
     * entries; heap_todo nodes still to sift before it is one. The last
     * parked_n entries, from the end down, are records set aside
     * (policy_park): together never more than the live records. */
    uint16_t heap_n, heap_todo, parked_n;
    policy_cand_t heap[AGENT_RING_CAP];
} policy_job_t;

/* Starts classifying at time now_s for a server with caps, by settings c
 * (copied into the job). */
void policy_begin(policy_job_t *j, ring_t *r, uint32_t now_s, uint32_t caps, const cfg_t *c);

/* Judges live s: why it is stale (REASON_NONE: it is not) and its state
 * set, its own rules' verdict kept in s->own for the passes that follow,
 * and it counted in its groups. */
void policy_judge(policy_job_t *j, ring_t *r, sess_t *s);

/* Whether s's verdict holds without judging it again: with
 * AGENT_RING_INDEX, the same settings, no threshold of its rules reached
 * since, nothing new in the sample about it (policy_news), and no rule
 * that reads other records (limit, duplicate) in play. */
static inline bool policy_settled(const policy_job_t *j, const sess_t *s)
{
#if AGENT_RING_INDEX
    return !j->rejudge && (int32_t)(j->now_s - s->due_s) < 0;
#else
    (void)j, (void)s;
    return false; /* the reference judges every record */
#endif
}

/* The sample brought something new about s (its figures are not those its
 * last ones and the time since make): it is judged afresh. */
void policy_news(sess_t *s, uint32_t now_s);

/* A session of s's client (s) joined, changed or is about to leave: the
 * sessions of the client whose duplicate verdict that may turn (stale as
 * duplicates, or idle past dup_idle_s with no open files and kept as the
 * most recently active) are judged afresh. Time alone turns none: the
 * client's sessions age alike. */
void policy_client_news(ring_t *r, const sess_t *s, uint32_t now_s, uint32_t dup_idle_s);

/* Whether one of s's client's sessions is not in this sample: gone, and
 * ended only when the walk reaches it (false without the index). */
bool policy_client_left(const policy_job_t *j, ring_t *r, const sess_t *s);

/* Whether the limit rule may choose active s: no open files, idle long
 * enough, and everything that would go with it stale and free to go. */
bool policy_limit_ok(const policy_job_t *j, ring_t *r, const sess_t *s, const cfg_t *c);

/* Active s was chosen (now stale, REASON_LIMIT). Its own rules' verdict
 * (active) and when that may change are kept: while it holds
 * (policy_settled), policy_unmark makes s active again for the next
 * classification to choose afresh, without judging it. */
void policy_marked(ring_t *r, sess_t *s);
void policy_unmark(ring_t *r, sess_t *s);

/* policy_block(POLICY_AUTO) for a stale s, from the groups and s->own. */
block_t policy_auto_block(const policy_job_t *j, ring_t *r, const sess_t *s);

/* How many live sessions end with s at its granularity (s included), and
 * each of them in turn: prev NULL for the first, NULL after the last. */
uint32_t policy_members(const policy_job_t *j, ring_t *r, const sess_t *s);
sess_t *policy_member(const policy_job_t *j, ring_t *r, const sess_t *s, const sess_t *prev);

/* Candidates: added, then ordered in steps (policy_heap_order returns how
 * many steps are left, 0 when done; each costs about log2 N comparisons),
 * then taken stalest first (ties: the lower slot); heap[0..heap_n) is what
 * is left, in no particular order. Records set aside for later are parked
 * beside them. */
void policy_heap_add(policy_job_t *j, const sess_t *s, const ring_t *r);
uint32_t policy_heap_order(policy_job_t *j, const ring_t *r, uint32_t steps);
sess_t *policy_heap_take(policy_job_t *j, ring_t *r);
void policy_park(policy_job_t *j, const sess_t *s, const ring_t *r);

/* The i-th record of what is left: the heap's, then those parked. */
sess_t *policy_left(const policy_job_t *j, ring_t *r, uint32_t i);

/*
 * Why s may not be ended on behalf of who, given the server's caps, or
 * BLOCK_NONE. When the server ends whole connections (or clients), every
 * other session that would go with s is judged too.
 */
block_t policy_block(const ring_t *r, const sess_t *s, const cfg_t *c,
                     uint32_t caps, policy_who_t who);

/* The granularity used to end s: HAL_SMB_CAN_END_SESSION, _CONN, _CLIENT,
 * or 0 when the server offers none that applies. */
uint32_t policy_granularity(const sess_t *s, uint32_t caps);

/* Whether other would be ended together with s at granularity g. */
bool policy_goes_with(const sess_t *s, const sess_t *other, uint32_t g);

#endif
