/* Credentials as an operator pastes or sends them: the first byte picks the
 * kind (device certificate, key, CA, PSK, seed), the rest is the text. The
 * checks and the store (tls_check, tls_put with its pairing rules) take any
 * bytes; whatever was stored, `cert show` and GET /v1/credentials (both
 * tls_describe) print only printable ASCII, and never key material: a key
 * or seed is at most "present (not shown)", a PSK shows no key. */
#include <string.h>

#include "agent.h"
#include "console.h"
#include "creds.h"
#include "fake_hal.h"
#include "fuzz.h"
#include "fuzz_core.h"
#include "tls.h"

static bool printable_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e) return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool booted;
    if (size < 1 || size > CREDS_MAX) return 0;
    if (!booted) {
        fuzz_boot(false);
        booted = true;
    }
    int kind = data[0] % CREDS_COUNT;
    static char text[CREDS_MAX + 1];
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    size_t len = strlen(text); /* the console and the API hand over C strings */
    char mbuf[160];
    fmt_t msg;
    fmt_init(&msg, mbuf, sizeof mbuf);
    int stored = tls_put(kind, text, len, &console_actor, &msg);
    /* a PSK stored: the identity is its second word */
    char identity[80] = "";
    if (kind == CREDS_PSK && stored == TLS_PUT_STORED) {
        const char *p = text + strspn(text, " ");
        p += strcspn(p, " ");
        p += strspn(p, " ");
        size_t n = strcspn(p, " \n");
        FUZZ_CHECK(n < sizeof identity);
        memcpy(identity, p, n);
        identity[n] = '\0';
    }
    for (int rec = 0; rec < CREDS_RECORDS; rec++) {
        for (int field = 0; field < TLS_F_COUNT; field++) {
            char out[400];
            fmt_t f;
            fmt_init(&f, out, sizeof out);
            if (!tls_describe(rec, (tls_field_t)field, &f)) continue;
            FUZZ_CHECK(printable_ascii(out, f.len));
            int k = rec < CREDS_COUNT ? rec : rec - CREDS_STAGED_CERT;
            if (k == CREDS_KEY || rec == CREDS_SEED)
                FUZZ_CHECK(strcmp(out, "none") == 0 || strcmp(out, "unreadable") == 0 ||
                           strcmp(out, "present (not shown)") == 0);
            if (rec == CREDS_PSK && identity[0]) { /* "role R, identity I (key not shown)": nothing else */
                const char *at = strstr(out, ", identity ");
                FUZZ_CHECK(at && strncmp(out, "role ", 5) == 0);
                at += strlen(", identity ");
                size_t n = strlen(identity);
                FUZZ_CHECK(strncmp(at, identity, n) == 0 && strcmp(at + n, " (key not shown)") == 0);
            }
        }
    }
    return 0;
}
