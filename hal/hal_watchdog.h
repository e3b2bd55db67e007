/*
 * hal_watchdog.h - liveness of the main loop, and the way to restart.
 *
 * The board's main loop kicks the watchdog once per pass; a loop stuck
 * longer than the timeout resets the system. Context: main loop only.
 */
#ifndef HAL_WATCHDOG_H
#define HAL_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

/* Arms the watchdog. timeout_ms: 100..60000. Returns 0, or -1 if unsupported
 * (the host board has no watchdog and returns 0 doing nothing). Never blocks. */
int hal_watchdog_start(uint32_t timeout_ms);

/* Restarts the countdown. Never blocks. */
void hal_watchdog_kick(void);

/*
 * Restarts the system (the console's `reboot`). The core calls it only after
 * its console output has been handed to hal_console_write. Does not return
 * on hardware; a board that restarts by other means (the host re-executes
 * itself) may return, and the core then does nothing more until it is
 * started again.
 */
void hal_system_reset(void);

/*
 * Ends the agent at the operator's request (the console's `exit`, ctrl-D).
 * A board that runs as a process returns true and leaves its loop after the
 * current pass (the console's output of that pass is already handed over).
 * A board with nothing to return to returns false and goes on.
 */
bool hal_system_exit(void);

#endif
