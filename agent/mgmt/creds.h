/*
 * creds.h - the management channel's credentials in the NV store: the
 * device certificate and key, the CA that client certificates must chain
 * to, an optional pre-shared key, and the random generator's seed. Each is
 * one checksummed record (see nvrec.h) in its own pair of NV pages, kept as
 * text (PEM, or for the PSK "ROLE IDENTITY HEXKEY"), the seed as raw bytes.
 */
#ifndef CREDS_H
#define CREDS_H

#include <stddef.h>

#ifndef CREDS_NV_PAGE
#define CREDS_NV_PAGE 2 /* first of the 2 * CREDS_COUNT pages after the settings */
#endif
#define CREDS_MAX 1000 /* bytes of one credential, within a 1 KiB page */

typedef enum { CREDS_CERT, CREDS_KEY, CREDS_CA, CREDS_PSK, CREDS_SEED, CREDS_COUNT } creds_kind_t;

/* A device certificate or key waiting for its partner (see cert_put() in
 * cert_cmd.h): "C" or "K", then the PEM text. Its pages come after the
 * firmware's provisioning mark, so no record of an earlier layout moves. */
#define CREDS_STAGED CREDS_COUNT
#ifndef CREDS_STAGED_NV_PAGE
#define CREDS_STAGED_NV_PAGE (CREDS_NV_PAGE + 2 * CREDS_COUNT + 2)
#endif

/*
 * Loads kind into buf[cap] and NUL-terminates it; *len excludes the NUL.
 * Returns 0, 1 when none is stored (an empty record also means none), or
 * -1 when the store fails or the record does not fit.
 */
int creds_load(creds_kind_t kind, char *buf, size_t cap, size_t *len);

/* Stores text[len] as kind (len 0 removes it). 0, or -1 on a store error. */
int creds_store(creds_kind_t kind, const char *text, size_t len);

/* "device certificate", "device key", "client CA", "PSK", "entropy seed",
 * "staged". */
const char *creds_name(creds_kind_t kind);

#endif
