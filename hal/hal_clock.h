/*
 * hal_clock.h - the one time source of the agent.
 *
 * A free-running monotonic millisecond counter, 32 bits wide. It wraps every
 * 2^32 ms (about 49.7 days); callers compare times only by unsigned
 * differences, (uint32_t)(b - a), never by a < b.
 *
 * Context: main loop only. Never blocks.
 */
#ifndef HAL_CLOCK_H
#define HAL_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary origin (not necessarily boot). */
uint32_t hal_clock_ms(void);

/* Wall time: seconds since 1970-01-01 UTC from a clock the board trusts,
 * or 0 while it has none (a board without a calendar clock that has not
 * learnt the time yet). */
int64_t hal_clock_wall_s(void);

#endif
