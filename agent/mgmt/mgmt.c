#include "mgmt.h"

#include <stddef.h>
#include <string.h>

#include "agent.h"
#include "api.h"
#include "cert_cmd.h"
#include "console.h"
#include "creds.h"
#include "http.h"
#include "logsend.h"
#include "tls.h"

#define OUT_MAX MGMT_OUT_MAX /* response buffer: headers, or one chunk */
#define CHUNK_HEAD 6  /* "XXXX\r\n" in front of a chunk's data */
#define CHUNK_TAIL 7  /* "\r\n" after it, and room for "0\r\n\r\n" */
#define IN_MAX 128    /* decrypted bytes waiting for the parser (read in pieces) */

_Static_assert(OUT_MAX - CHUNK_HEAD - CHUNK_TAIL >= API_PIECE_MAX, "a body piece must fit a chunk");

typedef enum { C_FREE = 0, C_HANDSHAKE, C_READ, C_WRITE } cstate_t;

typedef struct {
    uint8_t state;         /* cstate_t */
    bool blocked;          /* the last send found the peer not reading */
    uint8_t token;         /* its full handshake's tokens: TOKEN_* */
    uint32_t source;       /* transport_t.source: whose share it took */
    bool headers_sent;     /* of the response being written */
    bool body_done;
    bool close_after;      /* no keep-alive after this response */
    bool in_request;       /* bytes of a request have arrived */
    bool chunked;          /* the response body goes in chunks (HTTP/1.1) */
    tls_conn_t *tls;
    uint32_t since_ms;     /* start of the phase a timeout applies to */
    uint32_t progress_ms;  /* last time bytes moved or the handshake advanced */
    uint32_t moved;        /* tls_moved() then */
    uint16_t in_len, in_pos;
    uint16_t out_len, out_sent;
    api_resp_t resp;       /* from here on, set up before each use */
    uint8_t in[IN_MAX];
    union { /* the request until api_handle() has it, then the response's bytes */
        http_req_t req;
        uint8_t out[OUT_MAX];
    };
} conn_t;

/* A connection that has sent nothing yet holds only this. */
typedef struct {
    transport_t t;
    uint32_t since_ms;
    bool used;
} lobby_t;

static conn_t conns[MGMT_CONN_MAX];
static lobby_t lobby[MGMT_LOBBY_MAX];
static mgmt_stats_t stats;
static uint32_t now_ms;
/* A token bucket: `tokens` full handshakes allowed now, the last token
 * come at `ms`; one not `used` yet is full when first used. */
typedef struct {
    uint32_t ms;
    uint16_t tokens;
    bool used;
} bucket_t;

_Static_assert(MGMT_FULL_HS_BURST <= UINT16_MAX, "a bucket's tokens fit its count");

/* The whole ration, and each recent source's share of it. */
#define SHARE_BURST (MGMT_FULL_HS_BURST / 2 ? MGMT_FULL_HS_BURST / 2 : 1)
typedef struct {
    uint32_t source;
    uint32_t seen_ms; /* last asked for a token (or came) */
    bucket_t share;
    bool proven;      /* a full handshake from it completed: a client's */
} source_t;
enum { TOKEN_SHARE = 1, TOKEN_ALL = 2 }; /* conn_t.token: the buckets it took from */
static bucket_t all;
static source_t sources[MGMT_SOURCES];

static void conn_close(conn_t *c, bool timed_out)
{
    tls_close(c->tls);
    c->state = C_FREE;
    stats.open--;
    if (timed_out) stats.timeouts++;
}

const mgmt_stats_t *mgmt_stats(void) { return &stats; }

static void lobby_drop(lobby_t *e)
{
    e->used = false;
    stats.waiting--;
    e->t.ops->close(e->t.ctx);
}

void mgmt_init(void)
{
    char ebuf[120];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    console_extend(&cert_console);
    creds_check_stored();
    logsend_init(agent_stats()->boot_seq);
    if (tls_setup(&err) != 0) console_say("management channel not ready: %s", ebuf);
}

/* How much a lobby connection has said: bytes waiting, capped at about a
 * whole ClientHello, so that padding does not rank clients. -1: gone. */
static int32_t said(const lobby_t *e)
{
    int32_t n = e->t.ops->ready(e->t.ctx);
    return n > MGMT_HELLO_BYTES ? MGMT_HELLO_BYTES : n;
}

bool mgmt_accept(const transport_t *t)
{
    lobby_t *e = NULL, *victim = NULL;
    int32_t least = MGMT_HELLO_BYTES + 1;
    for (uint32_t i = 0; i < MGMT_LOBBY_MAX && !e; i++) {
        lobby_t *o = &lobby[i];
        if (!o->used) {
            e = o;
            continue;
        }
        /* Full: room is made by a place whose connection is gone, else by
         * the one that has said least (then the oldest), but never by one
         * that came just now: its first bytes may still be on their way. */
        int32_t n = said(o);
        if (n < 0) {
            lobby_drop(o);
            e = o;
            continue;
        }
        if (now_ms - o->since_ms < MGMT_LOBBY_YOUNG_MS) continue;
        if (n < least || (n == least && now_ms - o->since_ms > now_ms - victim->since_ms)) {
            victim = o;
            least = n;
        }
    }
    if (!e && victim) {
        lobby_drop(victim);
        stats.dropped++;
        e = victim;
    }
    if (!e) {
        stats.refused++;
        return false;
    }
    e->t = *t;
    e->since_ms = now_ms;
    e->used = true;
    stats.waiting++;
    stats.accepted++;
    return true;
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
    start_response(c); /* the request is read for the last time here */
    if (rc == HTTP_DONE) {
        api_handle(&c->req, tls_role(c->tls), tls_peer_name(c->tls), &c->resp);
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

/* Fills out with the next chunk of the body (and the last-chunk marker):
 * as many pieces as fit, so that a TLS record carries several. A piece
 * that may not fit is written with the response's state kept, and taken
 * back, for the next chunk, if it did not. */
static void put_chunk(conn_t *c)
{
    char *data = (char *)c->out + CHUNK_HEAD;
    fmt_t f;
    bool more = c->resp.body != NULL;
    api_resp_t keep;
    fmt_init(&f, data, OUT_MAX - CHUNK_HEAD - CHUNK_TAIL);
    while (more && f.len + 1 < f.cap) {
        size_t at = f.len;
        bool tight = f.cap - 1 - at < API_PIECE_MAX;
        if (tight) keep = c->resp;
        more = c->resp.body(&c->resp, &f);
        if (tight && f.overflow) {
            c->resp = keep;
            f.len = at;
            f.overflow = false;
            more = true;
            break;
        }
    }
    size_t n = 0;
    if (!c->chunked) { /* plain bytes: move them to the front */
        memmove(c->out, data, f.len);
        c->out_len = (uint16_t)f.len;
        c->body_done = !more;
        return;
    }
    if (f.len) {
        const char *hex = "0123456789abcdef"; /* the literal fmt.c and json.c use */
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
    c->blocked = n == 0;
    if (n > 0) {
        c->out_sent = (uint16_t)(c->out_sent + n);
        c->since_ms = now_ms;
    } else if (expired(c, agent_cfg()->mgmt_request_timeout_s)) {
        conn_close(c, true); /* the client stopped reading */
        return false;
    }
    return true;
}

/* A bucket refilled one token every every_ms up to burst. */
static void refill(bucket_t *b, uint32_t burst, uint32_t every_ms)
{
    if (!b->used) *b = (bucket_t){now_ms, (uint16_t)burst, true};
    uint32_t gained = (now_ms - b->ms) / every_ms;
    if (gained) {
        b->tokens = (uint16_t)(b->tokens + gained > burst ? burst : b->tokens + gained);
        b->ms += gained * every_ms;
    }
    if (b->tokens == burst) b->ms = now_ms; /* a full bucket does not save up */
}

/* Whether entry a gives way before b: a free one first, then one whose
 * handshakes never completed (addresses that only ask cannot push out a
 * client's), then the one seen least recently. */
static bool gives_way_before(const source_t *a, const source_t *b)
{
    if (a->share.used != b->share.used) return !a->share.used;
    if (a->proven != b->proven) return !a->proven;
    return now_ms - a->seen_ms > now_ms - b->seen_ms;
}

/* The source's entry, NULL if it has none now; with make, one is made,
 * with one token, in place of the entry that gives way first. */
static source_t *source_of(uint32_t source, bool make)
{
    source_t *victim = NULL;
    for (uint32_t i = 0; i < MGMT_SOURCES; i++) {
        source_t *e = &sources[i];
        if (e->share.used && e->source == source) return e;
        if (!victim || gives_way_before(e, victim)) victim = e;
    }
    if (!make) return NULL;
    *victim = (source_t){source, now_ms, {now_ms, 1, true}, false};
    return victim;
}

/* Tokens for a full handshake from source (TOKEN_*), 0 if none: one of the
 * source's share, and one of the whole ration unless the source has been
 * quiet (its share full, nothing asked for MGMT_QUIET_MS): a poller that
 * others' floods have left no ration still gets its turn, while a flood
 * asks too often to be quiet. */
static uint8_t take_token(uint32_t source)
{
    source_t *e = source_of(source, true);
    refill(&all, MGMT_FULL_HS_BURST, MGMT_FULL_HS_EVERY_MS);
    refill(&e->share, SHARE_BURST, 2 * MGMT_FULL_HS_EVERY_MS);
    bool quiet = e->share.tokens == SHARE_BURST && now_ms - e->seen_ms >= MGMT_QUIET_MS;
    e->seen_ms = now_ms;
    if (!e->share.tokens || (!quiet && !all.tokens)) return 0;
    if (!quiet) all.tokens--;
    e->share.tokens--;
    stats.full++;
    return quiet ? TOKEN_SHARE : TOKEN_SHARE | TOKEN_ALL;
}

/* A completed handshake gives its tokens back. */
static void give_back(uint32_t source, uint8_t token)
{
    source_t *e = source_of(source, false);
    if ((token & TOKEN_ALL) && all.tokens < MGMT_FULL_HS_BURST) all.tokens++;
    if (!e) return;
    if (e->share.tokens < SHARE_BURST) e->share.tokens++;
    e->proven = true;
}

/* One handshake state per poll, so the loop keeps turning during the ECC.
 * True if a state advanced (more can be done at once). */
static bool step_handshake(conn_t *c)
{
    tls_hs_t rc = tls_handshake(c->tls);
    if (rc == TLS_HS_DONE) {
        /* A client that completes its handshake cost what it should: only
         * handshakes left unfinished (a flood, half-open ones) use up the
         * ration, so polling clients are never rationed. */
        if (c->token) give_back(c->source, c->token);
        start_request(c);
    } else if (rc == TLS_HS_FAIL) {
        conn_close(c, false);
    } else if (tls_full_handshake_next(c->tls) && !(c->token = take_token(c->source))) {
        stats.throttled++; /* a full handshake now would exceed the ration */
        conn_close(c, false);
    } else if (expired(c, agent_cfg()->mgmt_handshake_timeout_s)) {
        conn_close(c, true); /* its own deadline, whoever is slow */
    } else {
        return rc == TLS_HS_MORE;
    }
    return false;
}

/* ---- who gets a slot ---------------------------------------------------------- */

/* A free slot, or the slot of the connection that has made no progress the
 * longest, if that is at least MGMT_GRACE_MS (its peer is silent, stalled,
 * idle, or not reading); NULL when every connection is making progress. */
static conn_t *slot_for_newcomer(void)
{
    conn_t *victim = NULL;
    for (uint32_t i = 0; i < MGMT_CONN_MAX; i++) {
        conn_t *c = &conns[i];
        if (c->state == C_FREE) return c;
        if (now_ms - c->progress_ms >= MGMT_GRACE_MS &&
            (!victim || now_ms - c->progress_ms > now_ms - victim->progress_ms))
            victim = c;
    }
    if (victim) {
        stats.evicted++;
        conn_close(victim, false);
    }
    return victim;
}

/* Lobby connections that have sent their first bytes get a slot, the one
 * that has said most first (then the newest); none stays longer than
 * MGMT_LOBBY_MS (a client is served within MGMT_GRACE_MS or never). */
static void lobby_poll(uint32_t *wait)
{
    for (;;) {
        lobby_t *next = NULL;
        int32_t most = 0;
        for (uint32_t i = 0; i < MGMT_LOBBY_MAX; i++) {
            lobby_t *e = &lobby[i];
            if (!e->used) continue;
            int32_t ready = said(e);
            if (ready < 0 || now_ms - e->since_ms >= MGMT_LOBBY_MS) {
                lobby_drop(e); /* gone, or waited too long (silent, or trickling) */
                stats.dropped += ready >= 0;
            } else if (ready > most ||
                       (ready > 0 && ready == most && now_ms - e->since_ms < now_ms - next->since_ms)) {
                /* ties: the newest, so a client that came back at once after
                 * its slot was taken does not queue ahead of a new poller */
                next = e;
                most = ready;
            }
            if (e->used) {
                uint32_t left = MGMT_LOBBY_MS - (now_ms - e->since_ms);
                if (left < *wait) *wait = left;
            }
        }
        if (!next) return;
        conn_t *c = slot_for_newcomer();
        tls_conn_t *tls = c ? tls_open(&next->t) : NULL;
        if (!tls) { /* no slot now: it waits, and is looked at again soon */
            if (*wait > 100) *wait = 100;
            return;
        }
        next->used = false;
        stats.waiting--;
        memset(c, 0, offsetof(conn_t, req)); /* nothing of the last client stays */
        c->tls = tls;
        c->source = next->t.source;
        c->state = C_HANDSHAKE;
        c->since_ms = c->progress_ms = now_ms;
        stats.open++;
    }
}

/* ---- the loop ---------------------------------------------------------------- */

static void conn_poll(conn_t *c, uint32_t *wait)
{
    bool advanced = false;
    /* A few steps per connection per poll: progress without starving the
     * console or the sampler; a single one while handshaking (ECC). */
    for (int step = 0; step < 8 && c->state != C_FREE; step++) {
        uint8_t before = c->state;
        uint16_t sent = c->out_sent, pos = c->in_pos;
        if (c->state == C_HANDSHAKE) {
            advanced = step_handshake(c);
            break;
        }
        if (c->state == C_READ && !step_read(c)) return;
        if (c->state == C_WRITE && !step_write(c)) return;
        if (c->state != before || c->out_sent != sent || c->in_pos != pos) advanced = true;
        else break;
    }
    if (c->state == C_FREE) return;
    uint32_t moved = tls_moved(c->tls);
    if (advanced || moved != c->moved) c->progress_ms = now_ms;
    c->moved = moved;
    /* Work that needs no new input goes on at once; the rest is woken by
     * the board when bytes arrive or the peer reads (a blocked send waits
     * for writability, never spins), or here for the timeouts. */
    if ((c->state == C_WRITE && !c->blocked) || (c->state == C_HANDSHAKE && advanced) ||
        (c->state == C_READ && (c->in_pos < c->in_len || tls_pending(c->tls))))
        *wait = 0;
}

uint32_t mgmt_poll(uint32_t ms)
{
    uint32_t wait = logsend_poll(ms);
    now_ms = ms;
    lobby_poll(&wait);
    for (uint32_t i = 0; i < MGMT_CONN_MAX; i++) conn_poll(&conns[i], &wait);
    return wait;
}
