#include "creds.h"

#include "agent.h"
#include "nvrec.h"

uint32_t creds_page(creds_kind_t kind)
{
    if (kind < CREDS_COUNT) return CREDS_NV_PAGE + 2u * (uint32_t)kind;
    if (kind == CREDS_STAGED_CERT) return CREDS_STAGED_NV_PAGE;
    return CREDS_STAGED_NV_PAGE2 + 2u * (uint32_t)(kind - CREDS_STAGED_KEY);
}

int creds_load(creds_kind_t kind, char *buf, size_t cap, size_t *len)
{
    nvrec_info_t info;
    *len = 0;
    if (cap == 0) return -1;
    nvrec_status_t st = nvrec_load(creds_page(kind), buf, cap - 1, len, &info);
    buf[*len] = '\0';
    if (st == NVREC_EMPTY || (st == NVREC_OK && *len == 0)) return 1;
    return st == NVREC_OK ? 0 : -1;
}

int creds_store(creds_kind_t kind, const char *text, size_t len)
{
    return nvrec_save(creds_page(kind), text, len) == NVREC_OK ? 0 : -1;
}

void creds_check_stored(void)
{
    for (uint32_t k = 0; k < CREDS_RECORDS; k++) {
        nvrec_info_t info;
        size_t len;
        nvrec_status_t st = nvrec_load(creds_page((creds_kind_t)k), NULL, 0, &len, &info);
        if (info.damaged) agent_log_damage(creds_name((creds_kind_t)k), info.damaged, st != NVREC_OK);
    }
}

const char *creds_name(creds_kind_t kind)
{
    static const char *const names[CREDS_RECORDS] = {
        "device certificate", "device key", "client CA", "PSK", "entropy seed",
        "staged device certificate", "staged device key", "staged client CA"};
    return (unsigned)kind < CREDS_RECORDS ? names[kind] : "?";
}
