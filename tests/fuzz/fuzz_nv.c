/* NV contents at boot: the input is the whole NV store (settings,
 * credentials, the persisted event log and the numbering mark, the leak
 * sources); the agent boots on it, its settings are in range, they survive
 * a save and a reboot unchanged, and every event and leak source it
 * restored is printable UTF-8, no source twice. */
#include <string.h>

#include "agent.h"
#include "cfg.h"
#include "console.h"
#include "fake_hal.h"
#include "fuzz.h"
#include "text.h"

static void boot(void)
{
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    for (int i = 0; i < 1000 && agent_poll(fake_ms) == 0; i++) {}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_ms = 1000;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    /* the input laid over erased flash, page by page (the log's pages too) */
    memcpy(fake_nv_mem, data, size < sizeof fake_nv_mem ? size : sizeof fake_nv_mem);
    boot();
    char ebuf[160];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    FUZZ_CHECK(cfg_check(agent_cfg(), &err) == CFG_OK);
    for (size_t i = 0; i < cfg_key_count; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (k->type == CFG_T_LIST) continue;
        uint32_t v = *(const uint32_t *)(const void *)((const char *)agent_cfg() + k->offset);
        FUZZ_CHECK((v >= k->min && v <= k->max) || (k->off && v == 0));
    }
    const events_t *ev = agent_events();
    for (uint32_t k = 0, prev = 0; k < events_held(ev); k++) { /* numbers rising, gaps or not */
        const event_t *e = events_get(ev, events_at(ev, k));
        FUZZ_CHECK(e && (k == 0 || e->seq - prev - 1 < 0x7fffffffu));
        prev = e->seq;
        char text[EVENT_SUBJECT_MAX + EVENT_MORE_MAX + 96];
        fmt_t t;
        fmt_init(&t, text, sizeof text);
        events_describe(e, &t);
        FUZZ_CHECK(fuzz_printable((const uint8_t *)text, t.len));
    }
    const leaks_t *lk = agent_leaks();
    uint32_t n = 0;
    for (const leak_t *l = leaks_next(lk, 0, NULL); l && n <= AGENT_LEAK_CAP; l = leaks_next(lk, 0, l)) {
        n++;
        FUZZ_CHECK(memchr(l->client, 0, sizeof l->client) && memchr(l->user, 0, sizeof l->user));
        FUZZ_CHECK(fuzz_printable((const uint8_t *)l->client, strlen(l->client)));
        FUZZ_CHECK(fuzz_printable((const uint8_t *)l->user, strlen(l->user)));
        for (const leak_t *o = leaks_next(lk, 0, NULL); o != l; o = leaks_next(lk, 0, o))
            FUZZ_CHECK(!(text_ieq(o->client, l->client) && text_ieq(o->user, l->user)));
    }
    FUZZ_CHECK(n == leaks_rows(lk));
    /* Two sessions stale by any settings that turn a rule on: the sample
     * saves their sources, over whatever the leak pages held (the save
     * reads only their headers, nvrec_save_from), and the next start reads
     * back the table as it was. */
    fake_smb_add(0x7001, 0x7001, "FUZZ-NV", "CORP\\fuzz", 0, 40u * 86400u)->connected_s = 41u * 86400u;
    fake_smb_add(0x7002, 0x7002, "10.9.9.9", "", 0, 40u * 86400u)->connected_s = 41u * 86400u;
    fake_ms += agent_cfg()->sample_interval_s * 1000u;
    for (int i = 0; i < 1000 && agent_poll(fake_ms) == 0; i++) {}
    static leaks_t kept;
    kept = *agent_leaks();
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    FUZZ_CHECK(memcmp(kept.row, agent_leaks()->row, sizeof kept.row) == 0);
    FUZZ_CHECK(kept.dropped == agent_leaks()->dropped);

    cfg_t before = *agent_cfg();
    fmt_init(&err, ebuf, sizeof ebuf);
    if (agent_cfg_save(&console_actor, &err) == 0) {
        boot();
        FUZZ_CHECK(memcmp(&before, agent_cfg(), sizeof before) == 0);
    }
    return 0;
}
