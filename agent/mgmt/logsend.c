/* The event log to a syslog collector: RFC 5424 over UDP or TLS. */
#include "logsend.h"

#include <string.h>

#include "agent.h"
#include "hal_net.h"
#include "tls.h"

#define BURST 16           /* messages a poll sends at most */
#define RETRY_MS 2000      /* after the collector refused or went away */
#define CONNECT_MS 10000   /* a TLS connection must be up by then */
#define PORT_UDP 514
#define PORT_TLS 6514
#define FACILITY 3         /* daemon */

static struct {
    logsend_stats_t st;
    uint32_t lost;          /* to report with the next message */
    uint32_t server, port;  /* the collector the state below is for */
    uint8_t proto;
    bool waiting;           /* nothing before retry_ms */
    bool unconfirmed;       /* UDP: the event before next went, maybe into the void */
    uint32_t retry_ms;
#if AGENT_LOG_TLS
    tls_conn_t *tls;
    bool ready;             /* handshake done */
    uint32_t since_ms;      /* when the connection began */
    char *msg;              /* the framed message being written (pool) */
    size_t len, off;
#endif
} ls;

void logsend_init(uint32_t first_seq)
{
    memset(&ls, 0, sizeof ls);
    ls.st.next = first_seq;
}

const logsend_stats_t *logsend_stats(void) { return &ls.st; }

/* ---- RFC 5424 ------------------------------------------------------------------ */

/* Severity by event type: what an operator would page on comes first. */
static uint32_t severity(event_type_t t)
{
    switch (t) {
    case EV_SAMPLE_FAILED:
    case EV_NV: return 3; /* error */
    case EV_EVICT_FAILED:
    case EV_TRUNCATED:
    case EV_LIMIT: return 4; /* warning */
    case EV_SEEN:
    case EV_CLOSED:
    case EV_EVICT_BLOCKED: return 6; /* informational */
    default: return 5; /* notice */
    }
}

/* An SD-PARAM: name="value", with '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static void param(fmt_t *f, const char *name, const char *value)
{
    fmt_add(f, " %s=\"", name);
    for (const char *p = value; *p; p++) fmt_add(f, *p == '"' || *p == '\\' || *p == ']' ? "\\%c" : "%c", *p);
    fmt_add(f, "\"");
}

static void param_u32(fmt_t *f, const char *name, uint32_t v) { fmt_add(f, " %s=\"%u\"", name, v); }

size_t logsend_format(const event_t *e, uint32_t lost, bool framed, char *buf, size_t cap)
{
    char host[48];
    fmt_t f;
    /* framed: the length goes in front once the rest is known */
    size_t at = framed ? 6 : 0;
    if (!e || cap <= at) return 0; /* none: a number in a gap */
    fmt_init(&f, buf + at, cap - at);
    hal_net_name(host, sizeof host);
    fmt_add(&f, "<%u>1 ", FACILITY * 8 + severity((event_type_t)e->type));
    fmt_add(&f, e->flags & EVENT_WALL ? "%W" : "-", e->time_s);
    fmt_add(&f, " %s smbwarden - %s [" LOGSEND_SD_ID, host[0] ? host : "-",
            events_type_name((event_type_t)e->type));
    param_u32(&f, "seq", e->seq);
    param(&f, "clock", e->flags & EVENT_WALL ? "wall" : "uptime");
    if (!(e->flags & EVENT_WALL)) param_u32(&f, "uptime", e->time_s);
    if (e->session) param_u32(&f, "session", e->session);
    if (e->subject[0]) param(&f, "subject", e->subject);
    param(&f, "by", events_actor_name((actor_kind_t)e->actor));
    if (e->actor == ACTOR_API) {
        param(&f, "cn", events_by_name(e));
        param(&f, "role", "operator");
    }
    if (*events_detail(e)) param(&f, "detail", events_detail(e));
    if (lost) param_u32(&f, "lost", lost);
    fmt_add(&f, "] \xEF\xBB\xBF"); /* MSG in UTF-8, after its BOM */
    events_describe(e, &f);
    if (f.overflow) return 0;
    if (!framed) return f.len;
    /* RFC 5425 octet counting: "LEN SP MSG" */
    char len[8];
    fmt_t l;
    fmt_init(&l, len, sizeof len);
    fmt_add(&l, "%u ", (uint32_t)f.len);
    memmove(buf + at - l.len, len, l.len);
    memmove(buf, buf + at - l.len, l.len + f.len);
    return l.len + f.len;
}

/* ---- sending ------------------------------------------------------------------- */

static uint32_t retry(uint32_t now_ms)
{
    ls.st.failures++;
    ls.st.up = false;
    ls.waiting = true;
    ls.retry_ms = now_ms + RETRY_MS;
    return RETRY_MS;
}

/* A refusal (HAL_NET_AGAIN) says the collector refused the datagram before
 * too, where the board can tell (an ICMP port unreachable): that one goes
 * again, so that a collector down for a while loses nothing. */
static uint32_t poll_udp(uint32_t now_ms, const events_t *ev)
{
    char buf[LOGSEND_MSG_MAX];
    for (int n = 0; n < BURST && ls.st.next != events_next(ev); n++) {
        size_t len = logsend_format(events_get(ev, ls.st.next), ls.lost, false, buf, sizeof buf);
        int rc = len ? hal_net_udp_send(ls.server, (uint16_t)ls.port, buf, len) : HAL_NET_FAIL;
        if (rc == HAL_NET_AGAIN) {
            if (ls.unconfirmed && events_get(ev, ls.st.next - 1)) {
                ls.st.next--;
                ls.st.sent--;
            }
            ls.unconfirmed = false;
            return retry(now_ms);
        }
        ls.unconfirmed = rc == HAL_NET_SENT;
        if (rc == HAL_NET_SENT) {
            ls.st.sent++;
            ls.st.up = true;
        } else {
            ls.st.failures++; /* never goes: skipped */
        }
        ls.lost = 0;
        ls.st.next++;
    }
    return ls.st.next != events_next(ev) ? 0 : 1000;
}

#if AGENT_LOG_TLS
static void disconnect(void)
{
    if (ls.tls) tls_close(ls.tls);
    tls_free(ls.msg, LOGSEND_MSG_MAX);
    ls.tls = NULL;
    ls.msg = NULL;
    ls.len = ls.off = 0; /* a message cut short goes again whole */
    ls.ready = false;
}

static uint32_t broke(uint32_t now_ms)
{
    disconnect();
    return retry(now_ms);
}

static uint32_t poll_tls(uint32_t now_ms, const events_t *ev)
{
    if (!ls.tls) {
        transport_t t;
        if (!hal_net_connect(ls.server, (uint16_t)ls.port, &t)) return retry(now_ms);
        if ((ls.tls = tls_connect(&t, ls.server)) == NULL) {
            t.ops->close(t.ctx);
            return retry(now_ms);
        }
        if ((ls.msg = tls_alloc(LOGSEND_MSG_MAX)) == NULL) return broke(now_ms);
        ls.since_ms = now_ms;
    }
    if (!ls.ready) {
        tls_hs_t hs = tls_handshake(ls.tls);
        if (hs == TLS_HS_FAIL || now_ms - ls.since_ms > CONNECT_MS) return broke(now_ms);
        if (hs != TLS_HS_DONE) return hs == TLS_HS_MORE ? 0 : 20;
        ls.ready = ls.st.up = true;
    }
    uint8_t b;
    if (tls_recv(ls.tls, &b, 1) < 0) return broke(now_ms); /* the collector closed */
    for (int n = 0; n < BURST; n++) {
        if (ls.off == ls.len) {
            if (ls.st.next == events_next(ev)) return 1000;
            ls.len = logsend_format(events_get(ev, ls.st.next), ls.lost, true, ls.msg, LOGSEND_MSG_MAX);
            ls.off = 0;
            if (!ls.len) { /* cannot be framed: skipped */
                ls.st.failures++;
                ls.st.next++;
                continue;
            }
        }
        int32_t w = tls_send(ls.tls, (const uint8_t *)ls.msg + ls.off, ls.len - ls.off);
        if (w < 0) return broke(now_ms);
        if (w == 0) return 20;
        ls.off += (size_t)w;
        if (ls.off == ls.len) {
            ls.st.sent++;
            ls.st.next++;
            ls.lost = 0;
        }
    }
    return 0;
}
#endif

uint32_t logsend_poll(uint32_t now_ms)
{
    const cfg_t *c = agent_cfg();
    const events_t *ev = agent_events();
    uint32_t port = c->log_port ? c->log_port : c->log_proto == CFG_LOG_TLS ? PORT_TLS : PORT_UDP;
    if (c->log_server != ls.server || port != ls.port || c->log_proto != ls.proto) {
#if AGENT_LOG_TLS
        disconnect();
#endif
        ls.server = c->log_server;
        ls.port = port;
        ls.proto = (uint8_t)c->log_proto;
        ls.waiting = ls.st.up = ls.unconfirmed = false;
    }
    if (!ls.server) { /* off: nothing waits to be sent */
        ls.st.next = events_next(ev);
        ls.lost = 0;
        return 1000;
    }
    uint32_t first = events_first(ev);
#if AGENT_LOG_TLS
    bool writing = ls.off < ls.len; /* its copy is ours: it goes on */
#else
    bool writing = false;
#endif
    if (!writing && (int32_t)(ls.st.next - first) < 0) { /* fell out of the ring unsent */
        ls.lost += first - ls.st.next;
        ls.st.lost += first - ls.st.next;
        ls.st.next = first;
    }
    if (ls.waiting && (int32_t)(now_ms - ls.retry_ms) < 0) return ls.retry_ms - now_ms;
    ls.waiting = false;
#if AGENT_LOG_TLS
    if (ls.proto == CFG_LOG_TLS) return poll_tls(now_ms, ev);
#endif
    return poll_udp(now_ms, ev);
}
