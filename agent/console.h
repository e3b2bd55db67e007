/*
 * console.h - the operator's console over hal_console.h: line editing,
 * the prompt, and the commands of the README.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>

/* echo: the far end is a terminal; echo input and edit lines on it. */
void console_init(bool echo);

/* Reads input, runs commands, drains output. Bounded work; returns true
 * when output is still being produced (call again soon). */
bool console_poll(void);

#endif
