/*
 * ticket.h - TLS session tickets (RFC 5077) sealed with ChaCha20-Poly1305
 * under keys of our own, in place of mbedTLS's ssl_ticket module, which
 * keeps an AES-GCM context for each of its two keys in the TLS pool (384
 * bytes each on the Cortex-M3, for as long as the credentials serve). Here
 * a key is its 32 bytes, and a cipher context lives on the stack only
 * while one ticket is sealed or opened.
 *
 * A ticket is the key's name (4 bytes), a random nonce (12), the length of
 * the state (2, big-endian), the session's state (mbedtls_ssl_session_save)
 * encrypted, and the tag (16), which covers the first 18 bytes as well.
 * A key seals tickets for one lifetime; then the other of the two gets a
 * fresh key and seals, while the one before still opens the tickets it
 * sealed. A ticket opens only under a key that sealed it, and only within
 * a lifetime of its session's start, by mbedtls_time() (the clock mbedTLS
 * stamps sessions with).
 */
#ifndef TICKET_H
#define TICKET_H

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

/* Two fresh keys from rng; 0, or rng's error (t is then wiped). */
int ticket_setup(ticket_ctx_t *t, int (*rng)(void *, unsigned char *, size_t), void *rng_ctx,
                 uint32_t lifetime_s);

/* Forgets the keys: no ticket opens after. */
void ticket_wipe(ticket_ctx_t *t);

/* mbedtls_ssl_ticket_write_t and mbedtls_ssl_ticket_parse_t, p a
 * ticket_ctx_t: for mbedtls_ssl_conf_session_tickets_cb(). Opening
 * decrypts buf in place and wipes the state from it after reading it. */
int ticket_seal(void *p, const mbedtls_ssl_session *s, unsigned char *start,
                const unsigned char *end, size_t *len, uint32_t *lifetime);
int ticket_open(void *p, mbedtls_ssl_session *s, unsigned char *buf, size_t len);

#endif
