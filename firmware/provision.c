#include "provision.h"

#include <string.h>

#include "console.h"
#include "creds.h"
#include "nvrec.h"
#include "tls.h"

/* Whether this image has provisioned this NV store before: its id is there. */
static bool applied_before(void)
{
    char mark[sizeof fw_provision_id];
    size_t len;
    nvrec_info_t info;
    return nvrec_load(FW_PROVISION_NV_PAGE, mark, sizeof mark, &len, &info) == NVREC_OK &&
           len == sizeof mark && memcmp(mark, fw_provision_id, sizeof mark) == 0;
}

void fw_provision_apply(void)
{
    if (fw_provision_count == 0 || applied_before()) return;
    /* The mark first: a seed must never be stored twice, even if power
     * fails in between (the credentials can then be pasted). */
    if (nvrec_save(FW_PROVISION_NV_PAGE, fw_provision_id, sizeof fw_provision_id) != NVREC_OK) {
        console_say("built-in credentials not stored: the NV store failed");
        return;
    }
    for (size_t i = 0; i < fw_provision_count; i++) {
        const fw_cred_t *c = &fw_provision[i];
        size_t len;
        char probe[1], ebuf[96]; /* 1 byte: "absent" (1) or not, nothing read */
        fmt_t err;
        if (creds_load((creds_kind_t)c->kind, probe, sizeof probe, &len) != 1) continue;
        fmt_init(&err, ebuf, sizeof ebuf);
        if (tls_check(c->kind, c->text, c->len, &err) == 0 &&
            creds_store((creds_kind_t)c->kind, c->text, c->len) == 0)
            console_say("provisioned from the image: %s", creds_name((creds_kind_t)c->kind));
        else
            console_say("built-in %s not stored: %s", creds_name((creds_kind_t)c->kind), ebuf);
    }
}
