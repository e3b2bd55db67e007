/*
 * hal_entropy.h - seed material for the TLS random generator.
 *
 * Context: main loop only. May block while the source gathers, at most
 * 10 ms per call on any board.
 */
#ifndef HAL_ENTROPY_H
#define HAL_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fills buf (caller's) with len unpredictable bytes.
 * Returns 0 on success, -1 when the source cannot deliver (buf undefined).
 */
int hal_entropy_read(uint8_t *buf, size_t len);

/*
 * A fast-running counter (CPU cycles, a timer's count) read when something
 * arrives from outside, such as a connection. Mixed into the generator, it
 * makes two runs from one saved NV state diverge; it is not counted as
 * entropy (under QEMU with -icount it is not random at all). 0 where the
 * board has no such counter. Never blocks.
 */
uint32_t hal_entropy_jitter(void);

#endif
