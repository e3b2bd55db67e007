/*
 * The firmware's ChaCha20 context (MBEDTLS_CHACHA20_ALT, see
 * firmware/chacha20.c): the same state as mbedTLS's, with the leftover
 * keystream kept as words so whole blocks XOR a word at a time.
 */
#ifndef SMBWARDEN_CHACHA20_ALT_H
#define SMBWARDEN_CHACHA20_ALT_H

#include <stddef.h>
#include <stdint.h>

typedef struct mbedtls_chacha20_context {
    uint32_t state[16];     /* constants, key, block counter, nonce */
    uint32_t keystream[16]; /* the last block's keystream */
    size_t used;            /* of its bytes; 64 when none is left */
} mbedtls_chacha20_context;

#endif
