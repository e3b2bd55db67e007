#include <string.h>

#include "fake_hal.h"
#include "hal_entropy.h"
#include "hal_watchdog.h"

int fake_resets;

int hal_entropy_read(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(i * 37u + 11u);
    return 0;
}

uint32_t hal_entropy_jitter(void)
{
    static uint32_t n;
    return n += 7919;
}

int hal_watchdog_start(uint32_t timeout_ms)
{
    (void)timeout_ms;
    return 0;
}

void hal_watchdog_kick(void) {}

void hal_system_reset(void) { fake_resets++; }

int fake_exits;
bool fake_can_exit;

bool hal_system_exit(void)
{
    fake_exits++;
    return fake_can_exit;
}
