/*
 * ChaCha20 (RFC 8439) for the firmware's ChaCha20-Poly1305 records, in
 * place of mbedTLS's (MBEDTLS_CHACHA20_ALT in config/mbedtls_config.h).
 * mbedTLS writes each block's keystream out byte by byte, XORs it a byte
 * at a time and wipes its working state after every 64 bytes; here the
 * rounds run on locals, whole blocks are XORed a word at a time straight
 * from them, and the copy left on the stack is wiped once per call. The
 * Cortex-M3 is little-endian and loads words from any address, so a word
 * of keystream is four bytes of the stream in order.
 *
 * make bench-fw measures it (resumed-poll); tests/unit/test_chacha20.c
 * checks it against RFC 8439's vectors, in pieces of every size.
 */
#include <string.h>

#include "mbedtls/chacha20.h"
#include "mbedtls/platform_util.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "words of keystream are XORed as little-endian bytes"
#endif

#define BLOCK 64u

static inline uint32_t rotl(uint32_t v, unsigned n)
{
    return (v << n) | (v >> (32u - n));
}

#define QUARTER(a, b, c, d)              \
    do {                                 \
        a += b; d = rotl(d ^ a, 16);     \
        c += d; b = rotl(b ^ c, 12);     \
        a += b; d = rotl(d ^ a, 8);      \
        c += d; b = rotl(b ^ c, 7);      \
    } while (0)

static uint32_t load32(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* The keystream block of state s: its 20 rounds, plus s itself. */
static void block(const uint32_t s[16], uint32_t k[16])
{
    uint32_t x0 = s[0], x1 = s[1], x2 = s[2], x3 = s[3];
    uint32_t x4 = s[4], x5 = s[5], x6 = s[6], x7 = s[7];
    uint32_t x8 = s[8], x9 = s[9], x10 = s[10], x11 = s[11];
    uint32_t x12 = s[12], x13 = s[13], x14 = s[14], x15 = s[15];

    for (int i = 0; i < 10; i++) {
        QUARTER(x0, x4, x8, x12);
        QUARTER(x1, x5, x9, x13);
        QUARTER(x2, x6, x10, x14);
        QUARTER(x3, x7, x11, x15);
        QUARTER(x0, x5, x10, x15);
        QUARTER(x1, x6, x11, x12);
        QUARTER(x2, x7, x8, x13);
        QUARTER(x3, x4, x9, x14);
    }
    k[0] = x0 + s[0];    k[1] = x1 + s[1];    k[2] = x2 + s[2];    k[3] = x3 + s[3];
    k[4] = x4 + s[4];    k[5] = x5 + s[5];    k[6] = x6 + s[6];    k[7] = x7 + s[7];
    k[8] = x8 + s[8];    k[9] = x9 + s[9];    k[10] = x10 + s[10]; k[11] = x11 + s[11];
    k[12] = x12 + s[12]; k[13] = x13 + s[13]; k[14] = x14 + s[14]; k[15] = x15 + s[15];
}

void mbedtls_chacha20_init(mbedtls_chacha20_context *ctx)
{
    mbedtls_platform_zeroize(ctx, sizeof *ctx);
    ctx->used = BLOCK;
}

void mbedtls_chacha20_free(mbedtls_chacha20_context *ctx)
{
    if (ctx != NULL) mbedtls_platform_zeroize(ctx, sizeof *ctx);
}

int mbedtls_chacha20_setkey(mbedtls_chacha20_context *ctx, const unsigned char key[32])
{
    ctx->state[0] = 0x61707865; /* "expand 32-byte k" */
    ctx->state[1] = 0x3320646e;
    ctx->state[2] = 0x79622d32;
    ctx->state[3] = 0x6b206574;
    for (unsigned i = 0; i < 8; i++) ctx->state[4 + i] = load32(key + 4 * i);
    return 0;
}

int mbedtls_chacha20_starts(mbedtls_chacha20_context *ctx, const unsigned char nonce[12],
                            uint32_t counter)
{
    ctx->state[12] = counter;
    for (unsigned i = 0; i < 3; i++) ctx->state[13 + i] = load32(nonce + 4 * i);
    mbedtls_platform_zeroize(ctx->keystream, sizeof ctx->keystream);
    ctx->used = BLOCK;
    return 0;
}

int mbedtls_chacha20_update(mbedtls_chacha20_context *ctx, size_t size,
                            const unsigned char *input, unsigned char *output)
{
    const unsigned char *left = (const unsigned char *)ctx->keystream;

    for (; size > 0 && ctx->used < BLOCK; size--) *output++ = *input++ ^ left[ctx->used++];
    if (size >= BLOCK) {
        uint32_t k[16];
        for (; size >= BLOCK; size -= BLOCK, input += BLOCK, output += BLOCK) {
            block(ctx->state, k);
            ctx->state[12]++;
            for (unsigned i = 0; i < 16; i++) {
                uint32_t w = load32(input + 4 * i) ^ k[i];
                memcpy(output + 4 * i, &w, 4);
            }
        }
        mbedtls_platform_zeroize(k, sizeof k);
    }
    if (size > 0) {
        block(ctx->state, ctx->keystream);
        ctx->state[12]++;
        for (size_t i = 0; i < size; i++) output[i] = input[i] ^ left[i];
        ctx->used = size;
    }
    return 0;
}

int mbedtls_chacha20_crypt(const unsigned char key[32], const unsigned char nonce[12],
                           uint32_t counter, size_t data_len, const unsigned char *input,
                           unsigned char *output)
{
    mbedtls_chacha20_context ctx;

    mbedtls_chacha20_init(&ctx);
    mbedtls_chacha20_setkey(&ctx, key);
    mbedtls_chacha20_starts(&ctx, nonce, counter);
    mbedtls_chacha20_update(&ctx, data_len, input, output);
    mbedtls_chacha20_free(&ctx);
    return 0;
}
