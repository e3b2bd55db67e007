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

#endif
