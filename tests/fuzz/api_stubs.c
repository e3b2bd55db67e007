/* What api.c asks of the TLS layer and the channel, as fixed figures: for
 * the targets and benches that run the API without TLS (fuzz_api,
 * bench_api). */
#include "api.h"
#include "creds.h"
#include "logsend.h"
#include "mgmt.h"
#include "tls.h"

static tls_stats_t tls_fake = {.handshakes = 3, .pool_size = 1000, .ready = true};
static mgmt_stats_t mgmt_fake = {.accepted = 5};
static logsend_stats_t log_fake = {.sent = 2};
const tls_stats_t *tls_stats(void) { return &tls_fake; }
const mgmt_stats_t *mgmt_stats(void) { return &mgmt_fake; }
const logsend_stats_t *logsend_stats(void) { return &log_fake; }
int tls_setup(fmt_t *err) { (void)err; return 0; }
int tls_stage(int kind, const char *text, size_t len, const actor_t *by, fmt_t *msg)
{
    (void)kind, (void)text, (void)len, (void)by;
    fmt_add(msg, "staged");
    return TLS_PUT_STAGED;
}
int tls_activate(bool dry_run, const actor_t *by, fmt_t *msg)
{
    (void)dry_run, (void)by;
    fmt_add(msg, "nothing is staged");
    return TLS_PUT_NOTHING;
}
bool tls_describe(int rec, tls_field_t field, fmt_t *out)
{
    if (field != TLS_F_STATE) return false;
    fmt_add(out, rec >= CREDS_STAGED_CERT ? "none" : "present");
    return true;
}

