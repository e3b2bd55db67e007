/*
 * console.h - the operator's console over hal_console.h: line editing,
 * the prompt, and the commands of the README.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "fmt.h"

/* Who acts through the console, for the event log. */
extern const actor_t console_actor;

/* echo: the far end is a terminal; echo input and edit lines on it. */
void console_init(bool echo);

/* Reads input, runs commands, drains output. Bounded work. Returns the ms
 * until it wants to run again: 0 at once, a few while output drains,
 * UINT32_MAX when it only waits for input. now_ms: the agent's clock. */
uint32_t console_poll(uint32_t now_ms);

/* A console command: name of one or two words, usage, one-line help, and
 * the number of arguments after the name it takes. run gets them, and rest:
 * the line from the first argument on, unsplit. */
typedef struct {
    const char *name;
    const char *args;
    const char *help;
    uint8_t min_args, max_args;
    void (*run)(int argc, char **argv, char *rest);
    uint8_t secret; /* arguments from this one on (1, 2, ...) are echoed as '*'; 0: none */
} console_cmd_t;

/* What a layer above the core adds to the console (the management
 * channel: `cert` commands, TLS lines in `show status`). */
typedef struct {
    const console_cmd_t *cmds;
    size_t count;
    bool (*status_line)(fmt_t *f, uint32_t n); /* line n; false past the last */
} console_ext_t;

/* Installs ext (kept by pointer) for the console's lifetime. */
void console_extend(const console_ext_t *ext);

/* For extension commands: prints one line (a newline is added). */
void console_say(const char *spec, ...);

/* For extension commands: prints gen's lines 0, 1, ... until it returns
 * false, one per call as the output drains (ctrl-C stops it); the prompt
 * follows. */
void console_list(bool (*gen)(fmt_t *f, uint32_t n));

/*
 * For extension commands: the following input lines go to take() instead of
 * the command interpreter while it returns true (no prompt meanwhile).
 * ctrl-C ends the capture with take(NULL). With unseen, the lines are not
 * echoed: each shows as "(line N)" (a pasted private key).
 */
void console_capture(bool (*take)(const char *line), bool unseen);

#endif
