/* Events to a syslog collector: the RFC 5424 text byte for byte, each event
 * once and in order over a fake UDP that can refuse (as an ICMP port
 * unreachable makes a Linux socket do), the lost count when the ring
 * overran while the collector was away, and nothing while log.server is
 * off. The TLS path runs against a real rsyslog (test_syslog.py). */
#include <stdlib.h>

#include "agent_fixture.h"
#include "hal_net.h"
#include "logsend.h"
#include "tls.h"

/* ---- the board's network, faked ---------------------------------------------- */

#define SENT_MAX (4 * AGENT_EVENT_CAP + 16)
static char sent[SENT_MAX][LOGSEND_MSG_MAX + 1];
static int sent_n;
static bool refusing;    /* the collector is down: every send is refused... */
static uint32_t to_addr, to_port;

int hal_net_udp_send(uint32_t addr, uint16_t port, const void *buf, size_t len)
{
    to_addr = addr, to_port = port;
    if (refusing) return HAL_NET_AGAIN;
    assert_true(sent_n < SENT_MAX && len <= LOGSEND_MSG_MAX);
    memcpy(sent[sent_n], buf, len);
    sent[sent_n++][len] = '\0';
    return HAL_NET_SENT;
}

bool hal_net_connect(uint32_t addr, uint16_t port, transport_t *t)
{
    (void)addr, (void)port, (void)t;
    return false;
}

void hal_net_name(char *buf, size_t cap) { snprintf(buf, cap, "nas-7"); }

/* logsend.c's TLS path, never reached here (hal_net_connect says no). */
tls_conn_t *tls_connect(const transport_t *t, uint32_t addr) { (void)t, (void)addr; return NULL; }
tls_hs_t tls_handshake(tls_conn_t *c) { (void)c; return TLS_HS_FAIL; }
int32_t tls_recv(tls_conn_t *c, uint8_t *buf, size_t len) { (void)c, (void)buf, (void)len; return -1; }
int32_t tls_send(tls_conn_t *c, const uint8_t *buf, size_t len) { (void)c, (void)buf, (void)len; return -1; }
void tls_close(tls_conn_t *c) { (void)c; }
void *tls_alloc(size_t n) { (void)n; return NULL; }
void tls_free(void *p, size_t n) { (void)p, (void)n; }

static int setup(void **state)
{
    (void)state;
    fake_ms = 1000;
    fake_wall_s = 0;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    logsend_init(agent_stats()->boot_seq);
    settle();
    sent_n = 0;
    refusing = false;
    return 0;
}

/* Runs the sender as the loop would, for ms. */
static void run_sender(uint32_t ms)
{
    for (uint32_t t = 0; t <= ms; t += 100) {
        fake_ms += 100;
        agent_poll(fake_ms);
        logsend_poll(fake_ms);
    }
}

static uint32_t seq_of(const char *msg)
{
    const char *p = strstr(msg, " seq=\"");
    return p ? (uint32_t)strtoul(p + 6, NULL, 10) : 0;
}

/* ---- the message ------------------------------------------------------------- */

static void test_format_is_rfc5424(void **state)
{
    (void)state;
    char buf[LOGSEND_MSG_MAX];
    event_t e = {.seq = 42, .time_s = 1796427601u, .session = 7, .type = EV_EVICTED,
                 .actor = ACTOR_API, .flags = EVENT_WALL};
    strcpy(e.subject, "WS\"1]\\x");
    const actor_t by = {ACTOR_API, "operator-1"};
    events_note(&e, &by, "2 open file(s)");
    size_t n = logsend_format(&e, 3, false, buf, sizeof buf);
    char want[512];
    fmt_t f;
    fmt_init(&f, want, sizeof want);
    fmt_add(&f, "<29>1 2026-12-04T23:40:01Z nas-7 smbwarden - evicted [smbwarden@32473 seq=\"42\" "
                "clock=\"wall\" session=\"7\" subject=\"WS\\\"1\\]\\\\x\" by=\"api\" cn=\"operator-1\" "
                "role=\"operator\" detail=\"2 open file(s)\" lost=\"3\"] \xEF\xBB\xBF");
    events_describe(&e, &f);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    /* uptime only: no timestamp, the uptime in the structured data */
    e.flags = 0;
    e.time_s = 93;
    e.actor = ACTOR_POLICY;
    e.more[0] = e.more[1] = '\0';
    n = logsend_format(&e, 0, false, buf, sizeof buf);
    assert_non_null(strstr(buf, "<29>1 - nas-7 smbwarden - evicted [smbwarden@32473 seq=\"42\" "
                                "clock=\"uptime\" uptime=\"93\" session=\"7\""));
    assert_null(strstr(buf, "lost="));
    /* octet counting for TLS: "LEN SP" and exactly LEN bytes after it */
    char framed[LOGSEND_MSG_MAX];
    size_t m = logsend_format(&e, 0, true, framed, sizeof framed);
    char *sp = strchr(framed, ' ');
    assert_non_null(sp);
    assert_int_equal(strtoul(framed, NULL, 10), n);
    assert_int_equal(m, (size_t)(sp + 1 - framed) + n);
    assert_memory_equal(sp + 1, buf, n);
    /* too small a buffer: nothing, not a cut message */
    assert_int_equal(logsend_format(&e, 0, false, buf, 40), 0);
}

/* ---- sending ----------------------------------------------------------------- */

static void test_each_event_once_in_order(void **state)
{
    (void)state;
    run_sender(1000);
    assert_int_equal(sent_n, 0); /* log.server off */
    set_key("log.server", "192.0.2.9");
    uint32_t first = events_next(agent_events()) - 1; /* the config-changed event */
    set_key("policy.idle_timeout", "2h");
    run_sender(1000);
    assert_int_equal(to_addr, 0xc0000209u);
    assert_int_equal(to_port, 514);
    assert_int_equal(sent_n, 2);
    assert_int_equal(seq_of(sent[0]), first);
    assert_int_equal(seq_of(sent[1]), first + 1);
    assert_non_null(strstr(sent[0], " config-changed [smbwarden@32473"));
    assert_int_equal(logsend_stats()->sent, 2);
    assert_true(logsend_stats()->up);
    set_key("log.port", "1514");
    run_sender(1000);
    assert_int_equal(to_port, 1514);
    assert_int_equal(sent_n, 3);
}

/* The collector goes away: the datagram that went before the refusal goes
 * again, the rest wait, and all arrive once it is back, in order. */
static void test_refused_events_wait_and_go_again(void **state)
{
    (void)state;
    set_key("log.server", "127.0.0.1");
    run_sender(500);
    int before = sent_n;
    assert_true(before >= 1);
    uint32_t last = seq_of(sent[before - 1]);
    refusing = true;
    for (int i = 0; i < 5; i++) set_key("policy.idle_timeout", i % 2 ? "2h" : "3h");
    run_sender(5000);
    assert_int_equal(sent_n, before);
    assert_false(logsend_stats()->up);
    assert_true(logsend_stats()->failures > 0);
    refusing = false;
    run_sender(3000);
    /* the last one before the outage again (it may have gone nowhere), then each once */
    assert_int_equal(seq_of(sent[before]), last);
    for (int i = before + 1; i < sent_n; i++) assert_int_equal(seq_of(sent[i]), seq_of(sent[i - 1]) + 1);
    assert_int_equal(seq_of(sent[sent_n - 1]), events_next(agent_events()) - 1);
    assert_int_equal(logsend_stats()->lost, 0);
}

/* More events than the ring holds while the collector is away: the next
 * message says how many fell out, the totals say so too. */
static void test_overrun_is_counted(void **state)
{
    (void)state;
    set_key("log.server", "127.0.0.1");
    run_sender(500);
    refusing = true;
    for (int i = 0; i < AGENT_EVENT_CAP + 10; i++) set_key("policy.idle_timeout", i % 2 ? "2h" : "3h");
    run_sender(2500);
    int before = sent_n;
    refusing = false;
    run_sender(3000 + AGENT_EVENT_CAP * 20); /* the retry, then the ring */
    assert_true(sent_n > before);
    const char *l = strstr(sent[before], " lost=\"");
    assert_non_null(l);
    uint32_t lost = (uint32_t)strtoul(l + 7, NULL, 10);
    assert_true(lost >= 10);
    assert_int_equal(logsend_stats()->lost, lost);
    assert_int_equal(seq_of(sent[before]), events_first(agent_events()));
    assert_null(strstr(sent[before + 1], " lost=\""));
    for (int i = before + 1; i < sent_n; i++) assert_int_equal(seq_of(sent[i]), seq_of(sent[i - 1]) + 1);
    assert_int_equal(seq_of(sent[sent_n - 1]), events_next(agent_events()) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_format_is_rfc5424, setup),
        cmocka_unit_test_setup(test_each_event_once_in_order, setup),
        cmocka_unit_test_setup(test_refused_events_wait_and_go_again, setup),
        cmocka_unit_test_setup(test_overrun_is_counted, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
