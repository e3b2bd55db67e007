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

/*
 * Sets state and reason of every live record at time now_s.
 * server_sessions: the server's session count (tracked + untracked), which
 * drives limit pressure; *pressure carries the pressure state from one call
 * to the next (hysteresis between limit_high and limit_low).
 * caps: hal_smb_caps(), to judge which sessions limit pressure can take.
 */
void policy_classify(ring_t *r, const cfg_t *c, uint32_t now_s,
                     uint32_t server_sessions, uint32_t caps, bool *pressure);

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
