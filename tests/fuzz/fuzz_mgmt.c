/* Raw bytes into the management channel, before and during the TLS
 * handshake: the input arrives on a connection in pieces (the first byte
 * sets their size) while the channel is polled, the agent provisioned with
 * the dev PKI (CERTS). Whatever the bytes, the connection ends or waits,
 * and once it is closed the TLS pool is back where it was: nothing leaks. */
#include <string.h>

#include "agent.h"
#include "console.h"
#include "creds.h"
#include "fake_hal.h"
#include "fuzz.h"
#include "fuzz_core.h"
#include "hal_net.h"
#include "mgmt.h"
#include "tls.h"
#include "transport.h"

static struct {
    const uint8_t *data;
    size_t len, at, step;
    bool closed;
    size_t sent;
} peer;

static int32_t t_recv(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    size_t n = peer.len - peer.at;
    if (n > peer.step) n = peer.step;
    if (n > len) n = len;
    if (n == 0) return TRANSPORT_AGAIN; /* the peer stays, silent: the agent's timeouts end it */
    memcpy(buf, peer.data + peer.at, n);
    peer.at += n;
    return (int32_t)n;
}

static int32_t t_send(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx, (void)buf;
    peer.sent += len;
    return (int32_t)len;
}

static int32_t t_ready(void *ctx)
{
    (void)ctx;
    size_t n = peer.len - peer.at;
    return (int32_t)(n < peer.step ? n : peer.step);
}

static void t_close(void *ctx)
{
    (void)ctx;
    peer.closed = true;
}

static void provision(void)
{
    static const char *const files[] = {"device.crt", "device.key", "ca.crt"};
    static const int kinds[] = {CREDS_CERT, CREDS_KEY, CREDS_CA};
    const char *dir = getenv("CERTS") ? getenv("CERTS") : "build/certs";
    for (int i = 0; i < 3; i++) {
        char path[512], text[CREDS_MAX + 1], mbuf[160];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "r");
        FUZZ_CHECK(f != NULL);
        size_t n = fread(text, 1, CREDS_MAX, f);
        fclose(f);
        text[n] = '\0';
        fmt_t msg;
        fmt_init(&msg, mbuf, sizeof mbuf);
        int rc = tls_put(kinds[i], text, n, &console_actor, &msg);
        if (rc == TLS_PUT_REFUSED) fprintf(stderr, "%s: %s\n", path, mbuf);
        FUZZ_CHECK(rc != TLS_PUT_REFUSED);
    }
    char ebuf[120];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    FUZZ_CHECK(tls_setup(&err) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    static uint32_t baseline;
    if (!ready) {
        fuzz_boot(false);
        mgmt_init();
        provision();
        for (int i = 0; i < 10; i++) mgmt_poll(fake_ms += 10);
        baseline = tls_stats()->pool_used;
        ready = true;
    }
    if (size < 1) return 0;
    memset(&peer, 0, sizeof peer);
    peer.step = 1 + data[0] % 64 * 8;
    peer.data = data + 1;
    peer.len = size - 1;
    static const transport_ops_t ops = {t_recv, t_send, t_ready, t_close};
    transport_t t = {&ops, NULL, 0};
    if (!mgmt_accept(&t)) return 0;
    for (int i = 0; i < 400 && !peer.closed; i++) {
        fake_ms += 50;
        agent_poll(fake_ms);
        mgmt_poll(fake_ms);
    }
    for (int i = 0; i < 200 && !peer.closed; i++) mgmt_poll(fake_ms += 1000); /* timeouts */
    FUZZ_CHECK(peer.closed);
    FUZZ_CHECK(tls_stats()->pool_used == baseline);
    return 0;
}
