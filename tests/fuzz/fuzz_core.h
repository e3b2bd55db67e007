/* fuzz_core.h - for targets that run the core over the HAL fakes. */
#ifndef FUZZ_CORE_H
#define FUZZ_CORE_H

#include "agent.h"
#include "fake_hal.h"

/* A fresh agent on `pages` pages of erased NV (fewer than all: no event
 * log, as on the firmware, and a quicker start), a silent console and an
 * SMB table with nothing in it (the caller adds sessions before or after). */
static inline void fuzz_boot_pages(bool echo, uint32_t pages)
{
    fake_ms = 1000;
    fake_nv_reset();
    fake_nv_pages = pages;
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    agent_options_t opt = {.console_echo = echo};
    agent_init(&opt, fake_ms);
}

/* The same with every page: the Linux boards' layout, event log included. */
static inline void fuzz_boot(bool echo) { fuzz_boot_pages(echo, FAKE_NV_PAGES); }

#endif
