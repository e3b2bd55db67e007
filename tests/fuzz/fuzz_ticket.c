/* Session tickets (agent/mgmt/ticket.c), as a client hands them over and
 * as they are kept. The first byte picks:
 *   0: the rest is a ticket a client offers, under keys it does not know:
 *      it never opens;
 *   1: the rest is the extra bytes of a session sealed, then opened again:
 *      both come back as they were; the ticket with one byte changed (where
 *      the rest says) does not open;
 *   2: the rest is a state as the session cache keeps it: read back or
 *      refused, never more extra bytes than there is room for. */
#include "fuzz.h"
#include "mbedtls/platform_time.h"
#include "ticket.h"

static uint32_t counter;
static int rng(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)((++counter * 2654435761u) >> 24);
    return 0;
}

static mbedtls_time_t clock_s(mbedtls_time_t *t)
{
    if (t) *t = 5000;
    return 5000;
}

static size_t saved(const mbedtls_ssl_session *s, unsigned char *out, size_t cap)
{
    size_t n = 0;
    FUZZ_CHECK(mbedtls_ssl_session_save(s, out, cap, &n) == 0);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ticket_ctx_t t;
    static bool ready;
    if (!ready) {
        mbedtls_platform_set_time(clock_s);
        FUZZ_CHECK(ticket_setup(&t, rng, NULL, 3600) == 0);
        ready = true;
    }
    if (size < 1 || size > 2048) return 0;
    uint8_t mode = data[0] % 3, extra[TICKET_EXTRA_MAX];
    const uint8_t *in = data + 1;
    size_t n = size - 1, extra_len = sizeof extra;
    static unsigned char buf[2048 + TICKET_HEAD + TICKET_TAG];
    mbedtls_ssl_session s;
    mbedtls_ssl_session_init(&s);
    if (mode == 0) {
        memcpy(buf, in, n);
        FUZZ_CHECK(ticket_open(&t, &s, extra, &extra_len, buf, n) != 0);
    } else if (mode == 1) {
        mbedtls_ssl_session mine;
        mbedtls_ssl_session_init(&mine);
        mine.ciphersuite = MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
        mine.start = 5000 - (n ? in[0] : 0);
        mine.id_len = 32;
        memset(mine.master, 0x5a, sizeof mine.master);
        size_t k = n > TICKET_EXTRA_MAX ? TICKET_EXTRA_MAX : n, len = 0;
        uint32_t life = 0;
        FUZZ_CHECK(ticket_seal(&t, &mine, in, k, buf, buf + sizeof buf, &len, &life) == 0);
        unsigned char sealed[sizeof buf], want[512], got[512];
        memcpy(sealed, buf, len);
        FUZZ_CHECK(ticket_open(&t, &s, extra, &extra_len, buf, len) == 0);
        FUZZ_CHECK(extra_len == k && memcmp(extra, in, k) == 0);
        size_t a = saved(&mine, want, sizeof want), b = saved(&s, got, sizeof got);
        FUZZ_CHECK(a == b && memcmp(want, got, a) == 0);
        mbedtls_ssl_session_free(&s);
        mbedtls_ssl_session_init(&s);
        size_t at = n > 1 ? ((size_t)in[n - 1] << 8 | in[n - 2]) % len : 0;
        sealed[at] ^= (uint8_t)(n ? in[n / 2] | 1 : 1);
        extra_len = sizeof extra;
        FUZZ_CHECK(ticket_open(&t, &s, extra, &extra_len, sealed, len) != 0);
        mbedtls_ssl_session_free(&mine);
    } else {
        size_t room = n ? in[0] : 0;
        extra_len = room;
        if (ticket_state_load(&s, extra, &extra_len, in, n) == 0) FUZZ_CHECK(extra_len <= room);
    }
    mbedtls_ssl_session_free(&s);
    return 0;
}
