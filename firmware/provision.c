#include "provision.h"

#include "console.h"
#include "creds.h"
#include "tls.h"

void fw_provision_apply(void)
{
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
