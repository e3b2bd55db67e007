#include "ticket.h"

#include <stdbool.h>
#include <string.h>

#include "mbedtls/chachapoly.h"
#include "mbedtls/platform_time.h"
#include "mbedtls/platform_util.h"

static uint32_t now_s(void) { return (uint32_t)mbedtls_time(NULL); }

/* A fresh key into k, named unlike the other slot's (a ticket is opened
 * in place: a first try under the wrong key of the same name would spoil
 * it for the right one). */
static int make_key(ticket_ctx_t *t, ticket_key_t *k)
{
    const ticket_key_t *other = &t->key[k == &t->key[0]];
    int rc = 0;
    k->born_s = now_s();
    do
        rc = t->rng(t->rng_ctx, k->name, sizeof k->name);
    while (!rc && other->ready && memcmp(k->name, other->name, sizeof k->name) == 0);
    if (!rc) rc = t->rng(t->rng_ctx, k->key, sizeof k->key);
    if (rc) mbedtls_platform_zeroize(k, sizeof *k);
    k->ready = !rc;
    return rc;
}

bool ticket_fresh(const ticket_ctx_t *t, uint32_t start_s)
{
    uint32_t now = now_s();
    return now >= start_s && now - start_s <= t->lifetime_s;
}

void ticket_wipe(ticket_ctx_t *t) { mbedtls_platform_zeroize(t, sizeof *t); }

int ticket_setup(ticket_ctx_t *t, int (*rng)(void *, unsigned char *, size_t), void *rng_ctx,
                 uint32_t lifetime_s)
{
    ticket_wipe(t);
    t->rng = rng;
    t->rng_ctx = rng_ctx;
    t->lifetime_s = lifetime_s;
    int rc = make_key(t, &t->key[0]);
    if (!rc) rc = make_key(t, &t->key[1]);
    if (rc) ticket_wipe(t); /* rng NULL: nothing seals or opens */
    return rc;
}

/* The sealing key, renewed in the other slot once the active one has
 * sealed for a lifetime (or the clock went back past its birth). */
static int sealing_key(ticket_ctx_t *t, ticket_key_t **k)
{
    ticket_key_t *a = &t->key[t->active];
    uint32_t now = now_s();
    if (now < a->born_s || now - a->born_s >= t->lifetime_s) {
        t->active ^= 1;
        a = &t->key[t->active];
        int rc = make_key(t, a);
        if (rc) { /* that slot holds no key now; the next ticket tries again */
            t->active ^= 1;
            return rc;
        }
    }
    *k = a;
    return 0;
}

/* One AEAD pass with key k over n bytes at buf + TICKET_HEAD, in place. */
static int crypt(const ticket_key_t *k, unsigned char *buf, size_t n, bool seal)
{
    mbedtls_chachapoly_context c;
    mbedtls_chachapoly_init(&c);
    int rc = mbedtls_chachapoly_setkey(&c, k->key);
    unsigned char *text = buf + TICKET_HEAD;
    if (!rc && seal)
        rc = mbedtls_chachapoly_encrypt_and_tag(&c, n, buf + 4, buf, TICKET_HEAD, text, text, text + n);
    else if (!rc)
        rc = mbedtls_chachapoly_auth_decrypt(&c, n, buf + 4, buf, TICKET_HEAD, text + n, text, text);
    mbedtls_chachapoly_free(&c); /* wipes the key schedule */
    return rc;
}

int ticket_state_save(const mbedtls_ssl_session *s, const uint8_t *extra, size_t extra_len,
                      unsigned char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    *len = 0;
    if (extra_len > TICKET_EXTRA_MAX) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    if (cap < 1 + extra_len) return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
    int rc = mbedtls_ssl_session_save(s, buf + 1 + extra_len, cap - 1 - extra_len, &n);
    if (rc) return rc;
    buf[0] = (unsigned char)extra_len;
    memcpy(buf + 1, extra, extra_len);
    *len = 1 + extra_len + n;
    return 0;
}

int ticket_state_load(mbedtls_ssl_session *s, uint8_t *extra, size_t *extra_len,
                      const unsigned char *buf, size_t len)
{
    size_t k = len ? buf[0] : 0;
    if (!len || len - 1 < k || k > *extra_len) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    memcpy(extra, buf + 1, k);
    *extra_len = k;
    return mbedtls_ssl_session_load(s, buf + 1 + k, len - 1 - k); /* frees s on error */
}

int ticket_seal(ticket_ctx_t *t, const mbedtls_ssl_session *s, const uint8_t *extra,
                size_t extra_len, unsigned char *start, const unsigned char *end, size_t *len,
                uint32_t *lifetime)
{
    ticket_key_t *k;
    size_t room = (size_t)(end - start), n = 0;
    *len = 0;
    *lifetime = 0; /* mbedTLS sends it, in clear, whatever happens here */
    if (!t->rng) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    if (room < TICKET_HEAD + TICKET_TAG) return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
    int rc = sealing_key(t, &k);
    if (!rc) rc = t->rng(t->rng_ctx, start + 4, 12);
    if (!rc)
        rc = ticket_state_save(s, extra, extra_len, start + TICKET_HEAD, room - TICKET_HEAD - TICKET_TAG, &n);
    if (!rc && n > 0xffff) rc = MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
    if (!rc) {
        memcpy(start, k->name, sizeof k->name);
        start[16] = (unsigned char)(n >> 8);
        start[17] = (unsigned char)n;
        rc = crypt(k, start, n, true);
    }
    if (rc) { /* no session state left in clear, whole or in part */
        mbedtls_platform_zeroize(start, room);
        return rc;
    }
    *len = TICKET_HEAD + n + TICKET_TAG;
    *lifetime = t->lifetime_s;
    return 0;
}

int ticket_open(ticket_ctx_t *t, mbedtls_ssl_session *s, uint8_t *extra, size_t *extra_len,
                unsigned char *buf, size_t len)
{
    if (!t->rng || len < TICKET_HEAD + TICKET_TAG) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    size_t n = (size_t)buf[16] << 8 | buf[17];
    if (len != TICKET_HEAD + n + TICKET_TAG) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    int rc = MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED; /* no key of that name: an old one */
    for (int i = 0; i < 2 && rc; i++) {
        const ticket_key_t *k = &t->key[i];
        if (!k->ready || memcmp(buf, k->name, sizeof k->name) != 0) continue;
        rc = crypt(k, buf, n, false) ? MBEDTLS_ERR_SSL_INVALID_MAC : 0;
    }
    if (rc) return rc;
    rc = ticket_state_load(s, extra, extra_len, buf + TICKET_HEAD, n);
    mbedtls_platform_zeroize(buf + TICKET_HEAD, n);
    return rc ? rc : ticket_fresh(t, (uint32_t)s->start) ? 0 : MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
}
