/*
 * console.h - the operator's console over hal_console.h: line editing,
 * the prompt, and the commands of the README.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

/* echo: the far end is a terminal; echo input and edit lines on it. */
void console_init(bool echo);

/* Reads input, runs commands, drains output. Bounded work. Returns the ms
 * until it wants to run again: 0 at once, a few while output drains,
 * UINT32_MAX when it only waits for input. */
uint32_t console_poll(void);

#endif
