/*
 * hal_console.h - the operator's serial console, a byte stream each way.
 *
 * The board moves bytes; line editing, echo and the prompt belong to the
 * core (agent/console.c), so every board behaves the same on a terminal.
 *
 * Context: main loop only. Neither call ever blocks.
 */
#ifndef HAL_CONSOLE_H
#define HAL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Copies up to cap received bytes into buf (caller's buffer).
 * Returns the number copied: 0 when nothing is waiting, also after the
 * input has closed for good (the agent keeps running without a console).
 */
size_t hal_console_read(uint8_t *buf, size_t cap);

/*
 * Offers len bytes from buf (caller's buffer, not kept after return).
 * Returns how many the board accepted, 0..len; the caller offers the rest
 * later. A board that cannot deliver output (nobody listening) may accept and
 * drop everything rather than stall the caller.
 */
size_t hal_console_write(const uint8_t *buf, size_t len);

/*
 * True, once, after received bytes were lost since the last call (the
 * board's receive ring was full, or its UART overran): the core then
 * throws away the line being typed, and whatever follows until the input
 * is quiet, so that a command with missing bytes never runs. A board that
 * loses nothing returns false.
 */
bool hal_console_overrun(void);

#endif
