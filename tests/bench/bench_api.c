/*
 * bench_api - what GET /v1/sessions costs the management API before
 * encryption, for `make bench-mgmt`: N sessions of the benches' mixed
 * table (bench_table.h) in a settled agent, one request through the real
 * parser and api_handle(), and every body piece written as the connection
 * would ask for them. Run under valgrind --tool=callgrind
 * --collect-atstart=no: only the body counts. Prints the body's bytes.
 *
 *   bench_api N
 */
#include <string.h>
#include <valgrind/callgrind.h>

#include "api.h"
#include "bench_table.h"
#include "http.h"

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 64;
    if (n > AGENT_RING_CAP || n > FAKE_SMB_MAX) return 2;
    bench_boot(n, true, "report");
    for (int s = 0; s < 3; s++) { /* settled: every session known */
        uint32_t before = agent_stats()->samples;
        fake_ms += agent_cfg()->sample_interval_s * 1000u;
        while (agent_stats()->samples == before) agent_poll(fake_ms);
    }
    static const char text[] = "GET /v1/sessions HTTP/1.1\r\nHost: bench\r\n\r\n";
    static http_req_t req;
    static api_resp_t r;
    size_t used;
    http_req_init(&req);
    if (http_parse(&req, (const uint8_t *)text, strlen(text), &used) != HTTP_DONE) return 2;
    api_handle(&req, TLS_ROLE_OPERATOR, "bench", &r);
    static char piece[API_PIECE_MAX + 1];
    size_t bytes = 0;
    bool more = true;
    CALLGRIND_TOGGLE_COLLECT;
    while (more) {
        fmt_t f;
        fmt_init(&f, piece, sizeof piece);
        more = r.body(&r, &f);
        bytes += f.len;
    }
    CALLGRIND_TOGGLE_COLLECT;
    printf("sessions %u body %zu bytes\n", n, bytes);
    return 0;
}
