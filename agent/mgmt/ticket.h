/*
 * ticket.h - TLS session tickets (RFC 5077) sealed with ChaCha20-Poly1305
 * under keys of our own, in place of mbedTLS's ssl_ticket module, which
 * keeps an AES-GCM context for each of its two keys in the TLS pool (384
 * bytes each on the Cortex-M3, for as long as the credentials serve). Here
 * a key is its 32 bytes, and a cipher context lives on the stack only
 * while one ticket is sealed or opened.
 *
 * A ticket is the key's name (4 bytes), a random nonce (12), the length of
 * the state (2, big-endian), the state encrypted, and the tag (16), which
 * covers the first 18 bytes as well. The state (ticket_state_save, also
 * what the session-id cache keeps) is the caller's extra bytes (their
 * count, then them: what the session's peer is, which mbedTLS does not
 * keep) and the session (mbedtls_ssl_session_save).
 * A key seals tickets for one lifetime; then the other of the two gets a
 * fresh key and seals, while the one before still opens the tickets it
 * sealed. A ticket opens only under a key that sealed it, and only within
 * a lifetime of its session's start, by mbedtls_time() (the clock mbedTLS
 * stamps sessions with).
 */
#ifndef TICKET_H
#define TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/ssl.h"

#define TICKET_KEY_BYTES 32
#define TICKET_HEAD 18 /* name, nonce, length: authenticated, not encrypted */
#define TICKET_TAG 16

typedef struct {
    uint8_t name[4];
    uint8_t ready;   /* made in full: only such a key seals or opens */
    uint32_t born_s; /* mbedtls_time() when it was made */
    uint8_t key[TICKET_KEY_BYTES];
} ticket_key_t;

typedef struct {
    ticket_key_t key[2];
    uint8_t active; /* the key that seals */
    uint32_t lifetime_s;
    int (*rng)(void *, unsigned char *, size_t);
    void *rng_ctx;
} ticket_ctx_t;

/* Whether a session that began at start_s (mbedtls_time) may still
 * resume: within a lifetime of its start. */
bool ticket_fresh(const ticket_ctx_t *t, uint32_t start_s);

/* Two fresh keys from rng; 0, or rng's error (t is then wiped). */
int ticket_setup(ticket_ctx_t *t, int (*rng)(void *, unsigned char *, size_t), void *rng_ctx,
                 uint32_t lifetime_s);

/* Forgets the keys: no ticket opens after. */
void ticket_wipe(ticket_ctx_t *t);

/* s and extra (extra_len bytes, at most TICKET_EXTRA_MAX) as a state into
 * buf of cap bytes: 0 and *len, or an mbedTLS error (too small). */
#define TICKET_EXTRA_MAX 255
int ticket_state_save(const mbedtls_ssl_session *s, const uint8_t *extra, size_t extra_len,
                      unsigned char *buf, size_t cap, size_t *len);

/* A state into s (initialised, not populated) and its extra bytes into
 * extra (*extra_len: its room in, the count out): 0, or an mbedTLS error
 * (s is then freed). */
int ticket_state_load(mbedtls_ssl_session *s, uint8_t *extra, size_t *extra_len,
                      const unsigned char *buf, size_t len);

/* A ticket of s and extra from start up to end (for the write callback of
 * mbedtls_ssl_conf_session_tickets_cb): 0 with *len and *lifetime, or an
 * mbedTLS error, no ticket and no state left in clear. */
int ticket_seal(ticket_ctx_t *t, const mbedtls_ssl_session *s, const uint8_t *extra,
                size_t extra_len, unsigned char *start, const unsigned char *end, size_t *len,
                uint32_t *lifetime);

/* The session and extra bytes (as ticket_state_load) a ticket of len bytes
 * holds (for the parse callback): 0, or an mbedTLS error. buf is
 * decrypted in place and the state wiped from it after it is read. */
int ticket_open(ticket_ctx_t *t, mbedtls_ssl_session *s, uint8_t *extra, size_t *extra_len,
                unsigned char *buf, size_t len);

#endif
