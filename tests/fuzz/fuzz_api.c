/* The API end to end over the core with the HAL fakes: the first byte is
 * the caller's role, the rest an HTTP request (method, target, query,
 * body) through the real parser to api_handle(); bytes after the request
 * name one more session's client and user (split at the first newline), so
 * the session listings write names of any bytes. Every body is produced a
 * piece at a time, each piece within API_PIECE_MAX, and a JSON body is one
 * well-formed JSON value in valid UTF-8. */
#include <string.h>

#include "api.h"
#include "agent.h"
#include "creds.h"
#include "fake_hal.h"
#include "fuzz.h"
#include "fuzz_core.h"
#include "logsend.h"
#include "mgmt.h"

/* Up to cap - 1 bytes of the n at p, up to a newline; returns what it took. */
static size_t take_name(char *out, size_t cap, const uint8_t *p, size_t n)
{
    size_t k = 0;
    while (k < n && p[k] != '\n') k++;
    size_t c = k < cap - 1 ? k : cap - 1;
    memcpy(out, p, c);
    out[c] = '\0';
    return k < n ? k + 1 : k;
}

static void boot(const uint8_t *tail, size_t n)
{
    fuzz_boot(false);
    fake_smb_add(11, 1, "SVC\xc3\xa9", "svc", 0, 5 * 3600);
    fake_smb_add(12, 2, "10.0.0.9", "", 0, 0);
    fake_smb_add(13, 3, "WS-\"Q\"", "alice", 2, 10);
    if (n) {
        char client[HAL_SMB_CLIENT_MAX], user[HAL_SMB_USER_MAX];
        size_t k = take_name(client, sizeof client, tail, n);
        take_name(user, sizeof user, tail + k, n - k);
        fake_smb_add(14, 4, client, user, 0, 7);
    }
    for (int i = 0; i < 1000 && agent_poll(fake_ms) == 0; i++) {}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static http_req_t req;
    static api_resp_t r;
    static char body[1 << 17];
    if (size < 1) return 0;
    tls_role_t role = (tls_role_t)(data[0] % 3);
    http_req_init(&req);
    size_t used;
    if (http_parse(&req, data + 1, size - 1, &used) != HTTP_DONE) return 0;
    boot(data + 1 + used, size - 1 - used);
    api_handle(&req, role, "fuzz", &r);
    FUZZ_CHECK(r.status >= 200 && r.status < 600);
    size_t len = 0;
    bool more = r.body != NULL;
    for (int pieces = 0; more; pieces++) {
        char piece[API_PIECE_MAX];
        fmt_t f;
        fmt_init(&f, piece, sizeof piece);
        more = r.body(&r, &f);
        FUZZ_CHECK(!f.overflow);
        FUZZ_CHECK(len + f.len < sizeof body && pieces < 10000);
        memcpy(body + len, piece, f.len);
        len += f.len;
    }
    FUZZ_CHECK(fuzz_utf8((const uint8_t *)body, len));
    if (r.body && strcmp(r.type, "application/json") == 0) FUZZ_CHECK(fuzz_json((const uint8_t *)body, len));
    return 0;
}
