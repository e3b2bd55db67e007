/* fuzz_core.h - for targets that run the core over the HAL fakes. */
#ifndef FUZZ_CORE_H
#define FUZZ_CORE_H

#include "agent.h"
#include "fake_hal.h"

/* A fresh agent on erased NV, a silent console and an SMB table with
 * nothing in it (the caller adds sessions before or after). */
static inline void fuzz_boot(bool echo)
{
    fake_ms = 1000;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    agent_options_t opt = {.console_echo = echo};
    agent_init(&opt, fake_ms);
}

#endif
