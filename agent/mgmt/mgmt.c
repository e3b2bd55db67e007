#include "mgmt.h"

#include <stddef.h>
#include <string.h>

#include "agent.h"
#include "api.h"
#include "cert_cmd.h"
#include "console.h"
#include "http.h"
#include "tls.h"

#define OUT_MAX 1536  /* response buffer: headers, or one chunk */
#define CHUNK_HEAD 6  /* "XXXX\r\n" in front of a chunk's data */
#define CHUNK_TAIL 7  /* "\r\n" after it, and room for "0\r\n\r\n" */
#define IN_MAX 256    /* decrypted bytes waiting for the parser */

_Static_assert(OUT_MAX - CHUNK_HEAD - CHUNK_TAIL >= API_PIECE_MAX, "a body piece must fit a chunk");

typedef enum { C_FREE = 0, C_HANDSHAKE, C_READ, C_WRITE } cstate_t;

typedef struct {
    uint8_t state;         /* cstate_t */
    bool headers_sent;     /* of the response being written */
    bool body_done;
    bool close_after;      /* no keep-alive after this response */
    bool in_request;       /* bytes of a request have arrived */
    bool chunked;          /* the response body goes in chunks (HTTP/1.1) */
    tls_conn_t *tls;
    uint32_t since_ms;     /* start of the phase a timeout applies to */
    uint16_t in_len, in_pos;
    uint16_t out_len, out_sent;
    http_req_t req;        /* from here on, set up before each use */
    api_resp_t resp;
    uint8_t in[IN_MAX];
    uint8_t out[OUT_MAX];
} conn_t;

static conn_t conns[MGMT_CONN_MAX];
static mgmt_stats_t stats;
static uint32_t now_ms;

static void conn_close(conn_t *c, bool timed_out)
{
    tls_close(c->tls);
    c->state = C_FREE;
    stats.open--;
    if (timed_out) stats.timeouts++;
}

const mgmt_stats_t *mgmt_stats(void) { return &stats; }

int mgmt_reload(fmt_t *err)
{
    for (uint32_t i = 0; i < MGMT_CONN_MAX; i++)
        if (conns[i].state != C_FREE) conn_close(&conns[i], false);
    return tls_setup(err);
}

void mgmt_init(void)
{
    char ebuf[120];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    console_extend(&cert_console);
    if (tls_setup(&err) != 0) console_say("management channel not ready: %s", ebuf);
}

bool mgmt_accept(const transport_t *t)
{
    for (uint32_t i = 0; i < MGMT_CONN_MAX; i++) {
        conn_t *c = &conns[i];
        if (c->state != C_FREE) continue;
        tls_conn_t *tls = tls_open(t);
        if (!tls) break;
        memset(c, 0, offsetof(conn_t, req)); /* nothing of the last client stays */
        c->tls = tls;
        c->state = C_HANDSHAKE;
        c->since_ms = now_ms;
        stats.accepted++;
        stats.open++;
        return true;
    }
    stats.refused++;
    return false;
}

static bool expired(const conn_t *c, uint32_t limit_s)
{
    return now_ms - c->since_ms >= limit_s * 1000u;
}

/* ---- reading a request ------------------------------------------------------ */

static void start_request(conn_t *c)
{
    http_req_init(&c->req);
    c->state = C_READ;
    c->since_ms = now_ms;
    c->in_request = c->in_pos < c->in_len; /* a pipelined request began */
}

static void start_response(conn_t *c)
{
    c->state = C_WRITE;
    c->headers_sent = c->body_done = false;
    c->out_len = c->out_sent = 0;
    c->since_ms = now_ms;
}

/* Returns false when the connection was closed. */
static bool step_read(conn_t *c)
{
    if (c->in_pos == c->in_len) {
        int32_t n = tls_recv(c->tls, c->in, sizeof c->in);
        if (n < 0) {
            conn_close(c, false);
            return false;
        }
        if (n == 0) {
            uint32_t limit = c->in_request ? agent_cfg()->mgmt_request_timeout_s
                                           : agent_cfg()->mgmt_idle_timeout_s;
            if (expired(c, limit)) {
                conn_close(c, true);
                return false;
            }
            return true;
        }
        c->in_len = (uint16_t)n;
        c->in_pos = 0;
        if (!c->in_request) c->since_ms = now_ms; /* the request's clock starts */
        c->in_request = true;
    }
    size_t used = 0;
    int rc = http_parse(&c->req, c->in + c->in_pos, c->in_len - c->in_pos, &used);
    c->in_pos = (uint16_t)(c->in_pos + used);
    if (rc == HTTP_MORE) return true;
    start_response(c);
    if (rc == HTTP_DONE) {
        api_handle(&c->req, tls_role(c->tls), &c->resp);
        c->chunked = c->req.http11;
        c->close_after = !c->req.keep_alive || !c->chunked;
    } else {
        c->chunked = true;
        memset(&c->resp, 0, sizeof c->resp);
        api_reply(&c->resp, rc, http_reason(rc));
        c->close_after = true; /* the parser cannot find the next request */
    }
    return true;
}

/* ---- writing a response ------------------------------------------------------ */

static void put_headers(conn_t *c)
{
    const api_resp_t *r = &c->resp;
    fmt_t f;
    fmt_init(&f, (char *)c->out, sizeof c->out);
    fmt_add(&f, "HTTP/1.1 %u %s\r\nContent-Type: %s\r\n", (uint32_t)r->status,
            http_reason(r->status), r->type);
    /* HTTP/1.0 cannot read chunks: its body ends when the connection does. */
    if (c->chunked) fmt_add(&f, "Transfer-Encoding: chunked\r\n");
    if (r->allow) fmt_add(&f, "Allow: %s\r\n", r->allow);
    if (c->close_after) fmt_add(&f, "Connection: close\r\n");
    fmt_add(&f, "\r\n");
    c->out_len = (uint16_t)f.len;
    c->headers_sent = true;
}

/* Fills out with the next chunk of the body (and the last-chunk marker). */
static void put_chunk(conn_t *c)
{
    char *data = (char *)c->out + CHUNK_HEAD;
    fmt_t f;
    bool more;
    do { /* a piece may be empty; an empty chunk would end the body */
        fmt_init(&f, data, OUT_MAX - CHUNK_HEAD - CHUNK_TAIL);
        more = c->resp.body && c->resp.body(&c->resp, &f);
    } while (more && f.len == 0);
    size_t n = 0;
    if (!c->chunked) { /* plain bytes: move them to the front */
        memmove(c->out, data, f.len);
        c->out_len = (uint16_t)f.len;
        c->body_done = !more;
        return;
    }
    if (f.len) {
        static const char hex[] = "0123456789abcdef";
        c->out[0] = (uint8_t)hex[f.len >> 12 & 15];
        c->out[1] = (uint8_t)hex[f.len >> 8 & 15];
        c->out[2] = (uint8_t)hex[f.len >> 4 & 15];
        c->out[3] = (uint8_t)hex[f.len & 15];
        c->out[4] = '\r';
        c->out[5] = '\n';
        n = CHUNK_HEAD + f.len;
        c->out[n++] = '\r';
        c->out[n++] = '\n';
    }
    if (!more) {
        memcpy(c->out + n, "0\r\n\r\n", 5);
        n += 5;
        c->body_done = true;
    }
    c->out_len = (uint16_t)n;
}

static bool step_write(conn_t *c)
{
    if (c->out_sent == c->out_len) {
        if (c->body_done) {
            stats.requests++;
            if (c->close_after) {
                conn_close(c, false);
                return false;
            }
            start_request(c);
            return true;
        }
        c->out_len = c->out_sent = 0;
        if (!c->headers_sent)
            put_headers(c);
        else
            put_chunk(c);
    }
    int32_t n = tls_send(c->tls, c->out + c->out_sent, (size_t)(c->out_len - c->out_sent));
    if (n < 0) {
        conn_close(c, false);
        return false;
    }
    if (n > 0) {
        c->out_sent = (uint16_t)(c->out_sent + n);
        c->since_ms = now_ms;
    } else if (expired(c, agent_cfg()->mgmt_request_timeout_s)) {
        conn_close(c, true); /* the client stopped reading */
        return false;
    }
    return true;
}

static void step_handshake(conn_t *c)
{
    int rc = tls_handshake(c->tls);
    if (rc == 0)
        start_request(c);
    else if (rc < 0)
        conn_close(c, false);
    else if (expired(c, agent_cfg()->mgmt_request_timeout_s))
        conn_close(c, true);
}

/* ---- the loop ---------------------------------------------------------------- */

uint32_t mgmt_poll(uint32_t ms)
{
    uint32_t wait = 1000;
    now_ms = ms;
    for (uint32_t i = 0; i < MGMT_CONN_MAX; i++) {
        conn_t *c = &conns[i];
        /* A few steps per connection per poll: progress without starving
         * the console or the sampler. */
        for (int step = 0; step < 8 && c->state != C_FREE; step++) {
            uint8_t before = c->state;
            uint16_t sent = c->out_sent, pos = c->in_pos;
            if (c->state == C_HANDSHAKE)
                step_handshake(c);
            else if (c->state == C_READ && !step_read(c))
                break;
            else if (c->state == C_WRITE && !step_write(c))
                break;
            if (c->state == before && c->out_sent == sent && c->in_pos == pos) break;
        }
        /* Work that needs no new input goes on at once; the rest is woken
         * by the board when bytes arrive, or here for the timeouts. */
        if (c->state == C_WRITE ||
            (c->state == C_READ && (c->in_pos < c->in_len || tls_pending(c->tls))))
            wait = 0;
    }
    return wait;
}
