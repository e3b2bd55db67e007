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
#include <stdint.h>

#ifndef CREDS_NV_PAGE
#define CREDS_NV_PAGE 2 /* first of the 2 * CREDS_COUNT pages after the settings */
#endif
#define CREDS_MAX 1000 /* bytes of one credential, within a 1 KiB page */

typedef enum {
    CREDS_CERT, CREDS_KEY, CREDS_CA, CREDS_PSK, CREDS_SEED, CREDS_COUNT,
    /* A new device certificate, key and client CA waiting to be put in force
     * together (tls_activate()): staged by the API, or by a console paste
     * that has no matching partner yet. */
    CREDS_STAGED_CERT = CREDS_COUNT, CREDS_STAGED_KEY, CREDS_STAGED_CA, CREDS_RECORDS
} creds_kind_t;

/* The staged record of kind CREDS_CERT, CREDS_KEY or CREDS_CA. */
#define CREDS_STAGED(kind) ((creds_kind_t)(CREDS_STAGED_CERT + (kind)))

/* The staged records' pages come after the firmware's provisioning mark and
 * the event numbering mark (AGENT_NV_SEQ_PAGE), so that no record of an
 * earlier layout moves. */
#ifndef CREDS_STAGED_NV_PAGE
#define CREDS_STAGED_NV_PAGE (CREDS_NV_PAGE + 2 * CREDS_COUNT + 2) /* the certificate */
#endif
#ifndef CREDS_STAGED_NV_PAGE2
#define CREDS_STAGED_NV_PAGE2 18 /* the key, then the CA */
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
 * "staged device certificate", ... */
const char *creds_name(creds_kind_t kind);

/* The first of the two NV pages holding a record. */
uint32_t creds_page(creds_kind_t kind);

/* At start: logs each record a power cut (or decay) left damaged, with
 * agent_log_damage(). */
void creds_check_stored(void);

#endif
