/*
 * The bare-metal cooperative main loop: the agent, its console, and the
 * watchdog, sleeping with WFI whenever nothing is pending. Interrupts only
 * capture and queue; everything else happens here.
 */
#include <string.h>

#include "agent.h"
#include "board.h"
#include "fw.h"
#include "hal_clock.h"
#include "hal_watchdog.h"
#include "simsmb.h"

int main(void)
{
    board_init();
    fw_nv_init();
    simsmb_load(simsmb_default_scenario, strlen(simsmb_default_scenario), NULL);
    agent_options_t opt = {.console_echo = true}; /* a serial terminal */
    agent_init(&opt, hal_clock_ms());
    fw_net_init();
    hal_watchdog_start(4000);
    for (;;) {
        uint32_t now = hal_clock_ms();
        uint32_t wait = agent_poll(now);
        uint32_t net = fw_net_poll(now);
        hal_watchdog_kick();
        if (wait && net && !board_pending()) board_idle();
    }
}
