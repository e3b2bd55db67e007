/* Session tickets (agent/mgmt/ticket.c): what a ticket opens to (the
 * session and the caller's extra bytes), what it refuses (every byte
 * changed, a wrong length, an expired session, a key renewed away, a slot
 * without a key), and its keys' renewal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mbedtls/chachapoly.h"
#include "mbedtls/platform_time.h"
#include "ticket.h"

#define LIFE 3600u

static mbedtls_time_t clock_s = 1000;
static mbedtls_time_t fake_time(mbedtls_time_t *t)
{
    if (t) *t = clock_s;
    return clock_s;
}

static uint8_t counter;
static int rng_fails; /* calls left to succeed; -1: never fail */
static int rng_same;  /* calls left that give zeros */
static int rng(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    if (rng_fails == 0) return -0x55;
    if (rng_fails > 0) rng_fails--;
    if (rng_same > 0) {
        rng_same--;
        memset(buf, 0, len);
        return 0;
    }
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(++counter * 37u + 11u);
    return 0;
}

static ticket_ctx_t t;
static mbedtls_ssl_session sess;
static unsigned char buf[1024];
static const uint8_t extra[] = {2, 'o', 'p', 'e', 'r'};
static uint8_t got_extra[TICKET_EXTRA_MAX];
static size_t got_extra_len;

static int setup(void **state)
{
    (void)state;
    mbedtls_platform_set_time(fake_time);
    clock_s = 1000;
    rng_fails = -1;
    rng_same = 0;
    assert_int_equal(ticket_setup(&t, rng, NULL, LIFE), 0);
    mbedtls_ssl_session_init(&sess);
    sess.ciphersuite = MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
    sess.start = clock_s;
    sess.id_len = 32;
    for (int i = 0; i < 48; i++) sess.master[i] = (unsigned char)(i * 7 + 1);
    for (int i = 0; i < 32; i++) sess.id[i] = (unsigned char)(i + 100);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mbedtls_ssl_session_free(&sess);
    ticket_wipe(&t);
    return 0;
}

/* The session as saved: what a ticket must give back. */
static size_t saved(const mbedtls_ssl_session *s, unsigned char *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(mbedtls_ssl_session_save(s, out, cap, &n), 0);
    return n;
}

static size_t seal(void)
{
    size_t len = 0;
    uint32_t life = 0;
    assert_int_equal(ticket_seal(&t, &sess, extra, sizeof extra, buf, buf + sizeof buf, &len, &life), 0);
    assert_int_equal(life, LIFE);
    return len;
}

static int open_copy(const unsigned char *ticket, size_t len, mbedtls_ssl_session *out)
{
    unsigned char in[sizeof buf];
    memcpy(in, ticket, len);
    mbedtls_ssl_session_init(out);
    got_extra_len = sizeof got_extra;
    memset(got_extra, 0, sizeof got_extra);
    int rc = ticket_open(&t, out, got_extra, &got_extra_len, in, len);
    for (size_t i = TICKET_HEAD; rc == 0 && i + TICKET_TAG < len; i++)
        if (in[i]) fail_msg("byte %zu of the opened state left in the buffer", i);
    return rc;
}

static void test_a_ticket_opens_to_its_session(void **state)
{
    (void)state;
    size_t len = seal();
    unsigned char want[512], got[512];
    size_t n = saved(&sess, want, sizeof want), st = 1 + sizeof extra + n;
    assert_int_equal(len, TICKET_HEAD + st + TICKET_TAG);
    assert_int_equal((size_t)buf[16] << 8 | buf[17], st);
    assert_memory_not_equal(buf + TICKET_HEAD + 1 + sizeof extra, want, n); /* sealed, not in clear */
    mbedtls_ssl_session back;
    assert_int_equal(open_copy(buf, len, &back), 0);
    assert_int_equal(saved(&back, got, sizeof got), n);
    assert_memory_equal(got, want, n);
    assert_int_equal(got_extra_len, sizeof extra);
    assert_memory_equal(got_extra, extra, sizeof extra);
    mbedtls_ssl_session_free(&back);
}

static void test_every_changed_byte_is_refused(void **state)
{
    (void)state;
    size_t len = seal();
    for (size_t i = 0; i < len; i++) {
        unsigned char bad[sizeof buf];
        memcpy(bad, buf, len);
        bad[i] ^= 0x01;
        mbedtls_ssl_session s;
        int rc = open_copy(bad, len, &s);
        int want = i < 4 ? MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED /* another key's name */
                   : i == 16 || i == 17 ? MBEDTLS_ERR_SSL_BAD_INPUT_DATA /* length */
                   : MBEDTLS_ERR_SSL_INVALID_MAC;
        if (rc != want) fail_msg("byte %zu changed: %d, not %d", i, rc, want);
        mbedtls_ssl_session_free(&s);
    }
}

static void test_a_wrong_length_is_refused(void **state)
{
    (void)state;
    size_t len = seal();
    mbedtls_ssl_session s;
    assert_int_equal(open_copy(buf, len - 1, &s), MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    assert_int_equal(open_copy(buf, len + 1, &s), MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    assert_int_equal(open_copy(buf, TICKET_HEAD + TICKET_TAG - 1, &s), MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    mbedtls_ssl_session_free(&s);
}

static void test_a_session_older_than_a_lifetime_is_refused(void **state)
{
    (void)state;
    size_t len = seal();
    mbedtls_ssl_session s;
    clock_s += LIFE;
    assert_int_equal(open_copy(buf, len, &s), 0);
    mbedtls_ssl_session_free(&s);
    clock_s += 1;
    assert_int_equal(open_copy(buf, len, &s), MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED);
    mbedtls_ssl_session_free(&s);
    clock_s = sess.start - 1; /* the clock went back */
    assert_int_equal(open_copy(buf, len, &s), MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED);
    mbedtls_ssl_session_free(&s);
}

/* A key seals for a lifetime; then the other slot gets a fresh one, and
 * the first still opens its tickets until it is renewed in turn. A name no
 * key has is refused as expired; a name a key has, over another key's
 * ticket, fails its tag. */
static void test_keys_are_renewed_each_lifetime(void **state)
{
    (void)state;
    unsigned char a[sizeof buf], b[sizeof buf];
    mbedtls_ssl_session s;
    size_t len_a = seal();
    memcpy(a, buf, len_a);
    clock_s += LIFE - 1;
    seal();
    assert_memory_equal(buf, a, 4); /* the same key */
    clock_s += 1;
    sess.start = clock_s;
    size_t len_b = seal();
    memcpy(b, buf, len_b);
    assert_memory_not_equal(b, a, 4); /* a new key */
    assert_int_equal(open_copy(a, len_a, &s), 0); /* the key before still opens */
    mbedtls_ssl_session_free(&s);
    assert_int_equal(open_copy(b, len_b, &s), 0);
    mbedtls_ssl_session_free(&s);
    memcpy(buf, a, 4); /* b under a's name: a's key is there, the tag fails */
    assert_int_equal(open_copy(buf, len_b, &s), MBEDTLS_ERR_SSL_INVALID_MAC);
    mbedtls_ssl_session_free(&s);

    clock_s += LIFE; /* a's key is renewed away */
    sess.start = clock_s;
    size_t len_c = seal();
    assert_memory_not_equal(buf, a, 4);
    assert_memory_not_equal(buf, b, 4);
    assert_int_equal(open_copy(buf, len_c, &s), 0);
    mbedtls_ssl_session_free(&s);
    assert_int_equal(open_copy(b, len_b, &s), 0); /* b's key stays */
    mbedtls_ssl_session_free(&s);
    memcpy(buf, a, 4);
    assert_int_equal(open_copy(buf, len_c, &s), MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED);
    mbedtls_ssl_session_free(&s);
}

/* The clock set back before the key was made: a fresh key seals. */
static void test_a_clock_set_back_renews_the_key(void **state)
{
    (void)state;
    unsigned char first[4];
    seal();
    memcpy(first, buf, 4);
    clock_s -= 10;
    sess.start = clock_s;
    size_t len = seal();
    assert_memory_not_equal(buf, first, 4);
    mbedtls_ssl_session s;
    assert_int_equal(open_copy(buf, len, &s), 0);
    mbedtls_ssl_session_free(&s);
}

/* No random numbers at set-up: nothing seals and nothing opens. */
static void test_no_keys_without_random_numbers(void **state)
{
    (void)state;
    size_t len = seal();
    rng_fails = 1;
    assert_int_not_equal(ticket_setup(&t, rng, NULL, LIFE), 0);
    size_t out = 1;
    uint32_t life = 0xdeadbeef; /* mbedTLS sends it even when no ticket is made */
    assert_int_equal(ticket_seal(&t, &sess, extra, sizeof extra, buf + 512, buf + sizeof buf, &out, &life),
                     MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    assert_int_equal(out, 0);
    assert_int_equal(life, 0);
    mbedtls_ssl_session s;
    assert_int_equal(open_copy(buf, len, &s), MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    mbedtls_ssl_session_free(&s);
}

/* A renewal without random numbers: no ticket then, the slot holds no key
 * (a ticket forged under an all-zero key and name does not open), the key
 * before still opens its own, and the next ticket renews. */
static void test_a_failed_renewal_leaves_no_key_behind(void **state)
{
    (void)state;
    size_t len1 = seal();
    unsigned char first[sizeof buf];
    memcpy(first, buf, len1);
    clock_s += LIFE;
    rng_fails = 0;
    size_t out = 1;
    uint32_t life = 0xdeadbeef;
    assert_int_not_equal(ticket_seal(&t, &sess, extra, sizeof extra, buf, buf + sizeof buf, &out, &life), 0);
    assert_int_equal(out, 0);
    assert_int_equal(life, 0);
    rng_fails = -1;

    /* forged: a name of zeros and the state sealed under a key of zeros */
    unsigned char forged[sizeof buf], zero[32] = {0};
    size_t n = 0;
    assert_int_equal(ticket_state_save(&sess, extra, sizeof extra, forged + TICKET_HEAD,
                                       sizeof forged - TICKET_HEAD - TICKET_TAG, &n), 0);
    memset(forged, 0, TICKET_HEAD);
    forged[16] = (unsigned char)(n >> 8), forged[17] = (unsigned char)n;
    mbedtls_chachapoly_context c;
    mbedtls_chachapoly_init(&c);
    assert_int_equal(mbedtls_chachapoly_setkey(&c, zero), 0);
    assert_int_equal(mbedtls_chachapoly_encrypt_and_tag(&c, n, forged + 4, forged, TICKET_HEAD,
                                                        forged + TICKET_HEAD, forged + TICKET_HEAD,
                                                        forged + TICKET_HEAD + n), 0);
    mbedtls_chachapoly_free(&c);
    mbedtls_ssl_session s;
    assert_int_equal(open_copy(forged, TICKET_HEAD + n + TICKET_TAG, &s),
                     MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED);
    mbedtls_ssl_session_free(&s);

    assert_int_equal(open_copy(first, len1, &s), 0); /* its session at its last second */
    mbedtls_ssl_session_free(&s);
    sess.start = clock_s;
    size_t len = seal();
    assert_memory_not_equal(buf, first, 4);
    assert_int_equal(open_copy(buf, len, &s), 0);
    mbedtls_ssl_session_free(&s);
}

/* The two keys never share a name: a ticket is opened in place, and a try
 * under the wrong key of the same name would spoil it for the right one. */
static void test_the_keys_have_names_of_their_own(void **state)
{
    (void)state;
    rng_same = 3; /* the first key's name and key, then the second's name: all zeros */
    assert_int_equal(ticket_setup(&t, rng, NULL, LIFE), 0);
    assert_memory_not_equal(t.key[0].name, t.key[1].name, 4);
    size_t len = seal();
    mbedtls_ssl_session s;
    assert_int_equal(open_copy(buf, len, &s), 0);
    mbedtls_ssl_session_free(&s);
}

/* Too little room: no ticket, and no session state left in the buffer. */
static void test_too_little_room_seals_nothing(void **state)
{
    (void)state;
    unsigned char want[512];
    size_t n = 1 + sizeof extra + saved(&sess, want, sizeof want), out = 1;
    uint32_t life;
    for (size_t room = 0; room < TICKET_HEAD + n + TICKET_TAG; room++) {
        memset(buf, 0xaa, sizeof buf);
        int rc = ticket_seal(&t, &sess, extra, sizeof extra, buf, buf + room, &out, &life);
        if (rc != MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL) fail_msg("room %zu: %d", room, rc);
        assert_int_equal(out, 0);
        for (size_t i = TICKET_HEAD; i < room; i++)
            if (buf[i] != 0xaa && buf[i] != 0) fail_msg("room %zu: byte %zu written", room, i);
    }
    assert_int_equal(ticket_seal(&t, &sess, extra, sizeof extra, buf, buf + TICKET_HEAD + n + TICKET_TAG,
                                 &out, &life), 0);
}

/* The state's extra bytes: at most TICKET_EXTRA_MAX saved, at most the
 * room given loaded, and a count past the state's end refused. */
static void test_a_state_keeps_its_extra_bytes_in_bounds(void **state)
{
    (void)state;
    unsigned char st[600];
    uint8_t big[TICKET_EXTRA_MAX + 1] = {0}, ex[8];
    size_t n, exn;
    mbedtls_ssl_session s;
    assert_int_equal(ticket_state_save(&sess, big, sizeof big, st, sizeof st, &n), MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    assert_int_equal(ticket_state_save(&sess, big, TICKET_EXTRA_MAX, st, sizeof st, &n), 0);
    mbedtls_ssl_session_init(&s);
    exn = sizeof ex; /* more than the room */
    assert_int_equal(ticket_state_load(&s, ex, &exn, st, n), MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    assert_int_equal(ticket_state_save(&sess, extra, sizeof extra, st, sizeof st, &n), 0);
    exn = sizeof ex;
    assert_int_equal(ticket_state_load(&s, ex, &exn, st, n), 0);
    assert_int_equal(exn, sizeof extra);
    mbedtls_ssl_session_free(&s);
    st[0] = 200; /* past the end */
    mbedtls_ssl_session_init(&s);
    exn = 255;
    uint8_t room[255];
    assert_int_equal(ticket_state_load(&s, room, &exn, st, 1 + sizeof extra + 10), MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    assert_int_equal(ticket_state_load(&s, room, &exn, st, 0), MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
    mbedtls_ssl_session_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_ticket_opens_to_its_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_changed_byte_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_wrong_length_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_session_older_than_a_lifetime_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_are_renewed_each_lifetime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_clock_set_back_renews_the_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_keys_without_random_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_renewal_leaves_no_key_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_keys_have_names_of_their_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_little_room_seals_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_state_keeps_its_extra_bytes_in_bounds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
