#include "creds.h"

#include "nvrec.h"

static uint32_t page_of(creds_kind_t kind)
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
    nvrec_status_t st = nvrec_load(page_of(kind), buf, cap - 1, len, &info);
    buf[*len] = '\0';
    if (st == NVREC_EMPTY || (st == NVREC_OK && *len == 0)) return 1;
    return st == NVREC_OK ? 0 : -1;
}

int creds_store(creds_kind_t kind, const char *text, size_t len)
{
    return nvrec_save(page_of(kind), text, len) == NVREC_OK ? 0 : -1;
}

const char *creds_name(creds_kind_t kind)
{
    static const char *const names[CREDS_RECORDS] = {
        "device certificate", "device key", "client CA", "PSK", "entropy seed",
        "staged device certificate", "staged device key", "staged client CA"};
    return (unsigned)kind < CREDS_RECORDS ? names[kind] : "?";
}
