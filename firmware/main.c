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

#ifdef FW_PROFILE
#include "mgmt.h"
#include "tls.h"

/* Cycle figures for `make bench-fw`, read from outside through QEMU's
 * monitor: CPU cycles of the last whole sample (the polls from its first
 * batch to its classification, each of which asked to be called again at
 * once), and of the
 * management work from a connection's start to its handshake (full or
 * resumed) and from there to its first answered request; then the longest
 * single pass of the loop during each of those (what the watchdog and the
 * console's latency see). */
volatile struct {
    uint32_t sample, handshake, resumed, request;
    uint32_t pass_sample, pass_handshake, pass_resumed, pass_request;
} fw_profile;

static const char bench_scenario[] = "limit 80\n"
                                     "every 1s until 64s open s client=BENCH user=u idle=2h\n";

static void profile(uint32_t agent_cycles, uint32_t agent_wait, uint32_t net_cycles)
{
    static uint32_t samples, handshakes, resumed_at_accept, requests, accepted, acc, longest;
    static uint32_t in_sample, longest_in_sample;
    const tls_stats_t *t = tls_stats();
    const mgmt_stats_t *m = mgmt_stats();
    uint32_t pass = agent_cycles + net_cycles;
    in_sample += agent_cycles;
    if (pass > longest_in_sample) longest_in_sample = pass;
    if (agent_stats()->samples != samples) {
        fw_profile.sample = in_sample;
        fw_profile.pass_sample = longest_in_sample;
    }
    if (agent_stats()->samples != samples || agent_wait) /* a sample ended, or none goes on */
        in_sample = longest_in_sample = 0;
    samples = agent_stats()->samples;
    if (m->accepted != accepted) { /* a new connection: its clock starts */
        acc = longest = 0;
        resumed_at_accept = t->resumed;
    }
    acc += net_cycles;
    if (pass > longest) longest = pass;
    accepted = m->accepted;
    if (t->handshakes != handshakes) {
        if (t->resumed != resumed_at_accept) {
            fw_profile.resumed = acc;
            fw_profile.pass_resumed = longest;
        } else {
            fw_profile.handshake = acc;
            fw_profile.pass_handshake = longest;
        }
        acc = longest = 0;
    } else if (m->requests != requests) {
        fw_profile.request = acc;
        fw_profile.pass_request = longest;
        acc = longest = 0;
    }
    handshakes = t->handshakes, requests = m->requests;
}
#define SCENARIO bench_scenario
#else
#define SCENARIO simsmb_default_scenario
#endif

int main(void)
{
    board_init();
    fw_nv_init();
    simsmb_load(SCENARIO, strlen(SCENARIO), NULL);
    agent_options_t opt = {.console_echo = true}; /* a serial terminal */
    agent_init(&opt, hal_clock_ms());
    fw_net_init();
    hal_watchdog_start(4000);
    for (;;) {
        uint32_t now = hal_clock_ms();
#ifdef FW_PROFILE
        uint64_t t0 = board_cycles();
        uint32_t wait = agent_poll(now);
        uint64_t t1 = board_cycles();
        uint32_t net = fw_net_poll(now);
        profile((uint32_t)(t1 - t0), wait, (uint32_t)(board_cycles() - t1));
#else
        uint32_t wait = agent_poll(now);
        uint32_t net = fw_net_poll(now);
#endif
        hal_watchdog_kick();
        if (wait && net && !board_pending()) board_idle();
    }
}
