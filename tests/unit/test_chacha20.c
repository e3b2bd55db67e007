/* The firmware's ChaCha20 (firmware/chacha20.c), built for the host:
 * RFC 8439's vectors, and the same stream whatever the pieces it is
 * asked for in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mbedtls/chacha20.h"

static const unsigned char key_seq[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const unsigned char nonce_4a[12] = {0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0};

static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                "only one tip for the future, sunscreen would be it.";

/* RFC 8439 2.4.2: the sunscreen text, key 00..1f, that nonce, counter 1. */
static const unsigned char sunscreen_ct[114] = {
    0x6e, 0x2e, 0x35, 0x9a, 0x25, 0x68, 0xf9, 0x80, 0x41, 0xba, 0x07, 0x28, 0xdd, 0x0d, 0x69, 0x81,
    0xe9, 0x7e, 0x7a, 0xec, 0x1d, 0x43, 0x60, 0xc2, 0x0a, 0x27, 0xaf, 0xcc, 0xfd, 0x9f, 0xae, 0x0b,
    0xf9, 0x1b, 0x65, 0xc5, 0x52, 0x47, 0x33, 0xab, 0x8f, 0x59, 0x3d, 0xab, 0xcd, 0x62, 0xb3, 0x57,
    0x16, 0x39, 0xd6, 0x24, 0xe6, 0x51, 0x52, 0xab, 0x8f, 0x53, 0x0c, 0x35, 0x9f, 0x08, 0x61, 0xd8,
    0x07, 0xca, 0x0d, 0xbf, 0x50, 0x0d, 0x6a, 0x61, 0x56, 0xa3, 0x8e, 0x08, 0x8a, 0x22, 0xb6, 0x5e,
    0x52, 0xbc, 0x51, 0x4d, 0x16, 0xcc, 0xf8, 0x06, 0x81, 0x8c, 0xe9, 0x1a, 0xb7, 0x79, 0x37, 0x36,
    0x5a, 0xf9, 0x0b, 0xbf, 0x74, 0xa3, 0x5b, 0xe6, 0xb4, 0x0b, 0x8e, 0xed, 0xf2, 0x78, 0x5e, 0x42,
    0x87, 0x4d};

/* RFC 8439 2.6.2: the Poly1305 key, the first 32 bytes of block 0. */
static const unsigned char poly_key_in[32] = {
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f};
static const unsigned char poly_nonce[12] = {0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7};
static const unsigned char poly_key_out[32] = {
    0x8a, 0xd5, 0xa0, 0x8b, 0x90, 0x5f, 0x81, 0xcc, 0x81, 0x50, 0x40, 0x27, 0x4a, 0xb2, 0x94, 0x71,
    0xa8, 0x33, 0xb6, 0x37, 0xe3, 0xfd, 0x0d, 0xa5, 0x08, 0xdb, 0xb8, 0xe2, 0xfd, 0xd1, 0xa6, 0x46};

static void test_rfc8439_vectors(void **state)
{
    (void)state;
    unsigned char out[sizeof sunscreen_ct];
    assert_int_equal(mbedtls_chacha20_crypt(key_seq, nonce_4a, 1, sizeof out,
                                            (const unsigned char *)sunscreen, out), 0);
    assert_memory_equal(out, sunscreen_ct, sizeof out);

    /* The way ChaCha20-Poly1305 takes its key: block 0, 32 bytes. */
    mbedtls_chacha20_context ctx;
    unsigned char key[32] = {0};
    mbedtls_chacha20_init(&ctx);
    mbedtls_chacha20_setkey(&ctx, poly_key_in);
    mbedtls_chacha20_starts(&ctx, poly_nonce, 0);
    mbedtls_chacha20_update(&ctx, sizeof key, key, key);
    assert_memory_equal(key, poly_key_out, sizeof key);

    /* Decrypting is the same operation, in place, and a new start
     * forgets the keystream left over from the last one. */
    memcpy(out, sunscreen_ct, sizeof out);
    mbedtls_chacha20_setkey(&ctx, key_seq);
    mbedtls_chacha20_starts(&ctx, nonce_4a, 1);
    mbedtls_chacha20_update(&ctx, sizeof out, out, out);
    assert_memory_equal(out, sunscreen, sizeof out);
    mbedtls_chacha20_free(&ctx);
}

/* A stream asked for in pieces of every size (the leftover keystream of
 * a partial block used first), from any block counter, is the stream in
 * one call. */
static void test_pieces(void **state)
{
    (void)state;
    enum { LEN = 400 };
    unsigned char in[LEN], whole[LEN], parts[LEN];
    for (unsigned i = 0; i < LEN; i++) in[i] = (unsigned char)(i * 37u + 11u);
    assert_int_equal(mbedtls_chacha20_crypt(key_seq, nonce_4a, 7, LEN, in, whole), 0);

    for (size_t piece = 1; piece <= 130; piece++) {
        mbedtls_chacha20_context ctx;
        mbedtls_chacha20_init(&ctx);
        mbedtls_chacha20_setkey(&ctx, key_seq);
        mbedtls_chacha20_starts(&ctx, nonce_4a, 7);
        memset(parts, 0, sizeof parts);
        for (size_t at = 0; at < LEN; at += piece) {
            size_t n = LEN - at < piece ? LEN - at : piece;
            mbedtls_chacha20_update(&ctx, n, in + at, parts + at);
        }
        mbedtls_chacha20_free(&ctx);
        assert_memory_equal(parts, whole, LEN);
    }
    /* Block k of the stream is block 0 of the stream started at 7 + k. */
    for (unsigned k = 1; k * 64 < LEN; k++) {
        mbedtls_chacha20_crypt(key_seq, nonce_4a, 7 + k, LEN - 64 * k, in + 64 * k, parts);
        assert_memory_equal(parts, whole + 64 * k, LEN - 64 * k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8439_vectors),
        cmocka_unit_test(test_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
