#include "fake_hal.h"
#include "hal_clock.h"

uint32_t fake_ms;

uint32_t hal_clock_ms(void) { return fake_ms; }

int64_t fake_wall_s;

int64_t hal_clock_wall_s(void) { return fake_wall_s; }
