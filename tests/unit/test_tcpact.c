/* tcpact: which byte and segment deltas can be keepalives only, finding a
 * connection's socket by its remote end, the per-connection activity
 * counter across samples (baseline, echoes, real traffic, no socket, shared
 * connections, forgetting), and the kernel's socket table read for a real
 * loopback connection. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcpact.h"

static smb_endpoint_t peer(const char *text)
{
    smb_endpoint_t ep;
    if (smbjson_parse_endpoint(text, &ep) != 0) fail_msg("bad endpoint %s", text);
    return ep;
}

static tcp_flow_t flow(const char *at, uint64_t bytes, uint32_t segs)
{
    tcp_flow_t f = {peer(at), bytes, segs};
    return f;
}

/* ---- keepalives ----------------------------------------------------------- */

static void test_echo_only_single_keepalives(void **state)
{
    (void)state;
    assert_true(tcpact_echo_only(0, 0));
    assert_true(tcpact_echo_only(72, 1));  /* SMB2 ECHO, plain or signed */
    assert_true(tcpact_echo_only(124, 1)); /* sealed */
    assert_true(tcpact_echo_only(4, 1));   /* NetBIOS keepalive */
}

static void test_echo_only_mixes(void **state)
{
    (void)state;
    assert_true(tcpact_echo_only(72 + 124, 2));
    assert_true(tcpact_echo_only(72 + 72, 2));
    assert_true(tcpact_echo_only(72 + 4, 2));
    assert_true(tcpact_echo_only(124 + 124 + 4, 3));
    assert_true(tcpact_echo_only(12 * 72 + 3 * 124 + 5 * 4, 20));
    assert_true(tcpact_echo_only(64 * 4, 64));
    assert_true(tcpact_echo_only(64 * 124, 64));
}

static void test_echo_only_refuses_other_traffic(void **state)
{
    (void)state;
    assert_false(tcpact_echo_only(73, 1));
    assert_false(tcpact_echo_only(71, 1));
    assert_false(tcpact_echo_only(68, 1));  /* an echo without its header */
    assert_false(tcpact_echo_only(144, 1)); /* two echoes' bytes, one segment */
    assert_false(tcpact_echo_only(72, 2));
    assert_false(tcpact_echo_only(72, 0));
    assert_false(tcpact_echo_only(0, 1));
    assert_false(tcpact_echo_only(72 + 124 + 1, 2));
    assert_false(tcpact_echo_only(65 * 4, 65)); /* more than 64 segments */
    assert_false(tcpact_echo_only(65 * 72, 65));
    assert_false(tcpact_echo_only(UINT64_MAX, 64));
    assert_false(tcpact_echo_only(1000, UINT32_MAX));
}

/* ---- finding a socket by its remote end ----------------------------------- */

static void test_find_by_peer(void **state)
{
    (void)state;
    tcp_flow_t fl[] = {
        flow("ipv4:10.0.0.1:50000", 1, 1),
        flow("ipv4:10.0.0.2:50000", 2, 1),
        flow("ipv4:10.0.0.1:50001", 3, 1),
        flow("ipv6:::ffff:10.0.0.1:50000", 4, 1),
        flow("ipv6:fd00::1:50000", 5, 1),
    };
    tcp_flows_t f = {fl, sizeof fl / sizeof fl[0], sizeof fl / sizeof fl[0]};
    smb_endpoint_t p = peer("ipv4:10.0.0.1:50000");
    assert_ptr_equal(tcpact_find(&f, &p), &fl[0]);
    p = peer("ipv4:10.0.0.1:50001");
    assert_ptr_equal(tcpact_find(&f, &p), &fl[2]);
    p = peer("ipv6:[fd00::1]:50000");
    assert_ptr_equal(tcpact_find(&f, &p), &fl[4]);
    p = peer("ipv4:10.0.0.3:50000");
    assert_null(tcpact_find(&f, &p));
    p = peer("ipv6:fd00::2:50000");
    assert_null(tcpact_find(&f, &p));
    p = peer("ipv4:10.0.0.2:50001");
    assert_null(tcpact_find(&f, &p));
}

static void test_find_ambiguous_or_unknown_is_null(void **state)
{
    (void)state;
    tcp_flow_t fl[] = {
        flow("ipv4:10.0.0.1:50000", 1, 1),
        flow("ipv4:10.0.0.9:445", 2, 1),
        flow("ipv4:10.0.0.1:50000", 3, 1),
    };
    tcp_flows_t f = {fl, 3, 3};
    smb_endpoint_t p = peer("ipv4:10.0.0.1:50000");
    assert_null(tcpact_find(&f, &p)); /* two sockets: no evidence either way */
    /* No endpoint read from smbstatus matches nothing, even a zero flow. */
    tcp_flow_t zero;
    memset(&zero, 0, sizeof zero);
    tcp_flows_t z = {&zero, 1, 1};
    smb_endpoint_t none;
    memset(&none, 0, sizeof none);
    assert_null(tcpact_find(&z, &none));
    tcp_flows_t empty = {NULL, 0, 0};
    p = peer("ipv4:10.0.0.9:445");
    assert_null(tcpact_find(&empty, &p));
}

/* ---- the counter across samples -------------------------------------------- */

/* One sample of one connection. */
static uint32_t sample(tcpact_t *a, uint32_t pid, const char *at, const tcp_flow_t *fl)
{
    smb_endpoint_t p = peer(at);
    tcpact_begin(a);
    return tcpact_touch(a, pid, &p, fl);
}

static void test_echoes_keep_the_counter(void **state)
{
    (void)state;
    tcpact_t a = {0};
    const char *c = "ipv4:10.0.0.1:50000";
    tcp_flow_t fl = flow(c, 5000, 40);
    uint32_t v = sample(&a, 100, c, &fl); /* first sighting: a baseline */
    assert_int_equal(sample(&a, 100, c, &fl), v);
    fl.bytes_in += 72, fl.segs_in += 1;
    assert_int_equal(sample(&a, 100, c, &fl), v);
    fl.bytes_in += 124 + 4 + 72, fl.segs_in += 3;
    assert_int_equal(sample(&a, 100, c, &fl), v);
    fl.bytes_in += 4, fl.segs_in += 1;
    assert_int_equal(sample(&a, 100, c, &fl), v);
    assert_int_equal(a.count, 1);
    tcpact_free(&a);
    assert_null(a.conn);
}

static void test_other_traffic_changes_the_counter(void **state)
{
    (void)state;
    tcpact_t a = {0};
    const char *c = "ipv4:10.0.0.1:50000";
    tcp_flow_t fl = flow(c, 5000, 40);
    uint32_t v0 = sample(&a, 100, c, &fl);
    fl.bytes_in += 73, fl.segs_in += 1; /* a request, not an echo */
    uint32_t v1 = sample(&a, 100, c, &fl);
    assert_int_not_equal(v1, v0);
    assert_int_equal(sample(&a, 100, c, &fl), v1); /* quiet again: stays */
    fl.bytes_in += 144, fl.segs_in += 1;        /* two echoes' bytes, one segment */
    uint32_t v2 = sample(&a, 100, c, &fl);
    assert_int_not_equal(v2, v1);
    fl.bytes_in += 65 * 4, fl.segs_in += 65;
    uint32_t v3 = sample(&a, 100, c, &fl);
    assert_int_not_equal(v3, v2);
    fl.bytes_in += 72, fl.segs_in += 1;
    assert_int_equal(sample(&a, 100, c, &fl), v3);
    tcpact_free(&a);
}

static void test_no_socket_changes_at_every_sample(void **state)
{
    (void)state;
    tcpact_t a = {0};
    const char *c = "ipv4:10.0.0.1:50000";
    uint32_t v0 = sample(&a, 100, c, NULL);
    uint32_t v1 = sample(&a, 100, c, NULL);
    uint32_t v2 = sample(&a, 100, c, NULL);
    assert_int_not_equal(v1, v0);
    assert_int_not_equal(v2, v1);
    assert_int_not_equal(v2, v0);
    /* Its socket found again: a new baseline, then echoes change nothing. */
    tcp_flow_t fl = flow(c, 9000, 70);
    uint32_t v3 = sample(&a, 100, c, &fl);
    assert_int_equal(v3, v2);
    fl.bytes_in += 72, fl.segs_in += 1;
    assert_int_equal(sample(&a, 100, c, &fl), v3);
    tcpact_free(&a);
}

/* Two sessions on one connection: one reading, counted once. */
static void test_sessions_on_one_connection_share_the_value(void **state)
{
    (void)state;
    tcpact_t a = {0};
    smb_endpoint_t p = peer("ipv4:10.0.0.1:50000");
    tcp_flow_t fl = {p, 5000, 40};
    tcpact_begin(&a);
    uint32_t v0 = tcpact_touch(&a, 100, &p, &fl);
    assert_int_equal(tcpact_touch(&a, 100, &p, &fl), v0);

    fl.bytes_in += 500, fl.segs_in += 2;
    tcpact_begin(&a);
    uint32_t v1 = tcpact_touch(&a, 100, &p, &fl);
    assert_int_not_equal(v1, v0);
    assert_int_equal(tcpact_touch(&a, 100, &p, &fl), v1);
    assert_int_equal(a.count, 1);

    /* Without a socket every sample counts: three sessions on it step the
     * counter exactly as one session does. */
    tcpact_t one = {0};
    tcpact_begin(&one);
    assert_int_equal(tcpact_touch(&one, 100, &p, &fl), v0);
    fl.bytes_in += 500, fl.segs_in += 2;
    tcpact_begin(&one);
    assert_int_equal(tcpact_touch(&one, 100, &p, &fl), v1);
    for (int i = 0; i < 3; i++) {
        tcpact_begin(&one);
        uint32_t want = tcpact_touch(&one, 100, &p, NULL);
        tcpact_begin(&a);
        for (int k = 0; k < 3; k++) assert_int_equal(tcpact_touch(&a, 100, &p, NULL), want);
    }
    tcpact_free(&one);
    tcpact_free(&a);
}

static void test_untouched_connection_is_forgotten(void **state)
{
    (void)state;
    tcpact_t a = {0};
    smb_endpoint_t pa = peer("ipv4:10.0.0.1:50000"), pb = peer("ipv4:10.0.0.2:50000");
    tcp_flow_t fa = {pa, 5000, 40}, fb = {pb, 100, 2};
    tcpact_begin(&a);
    uint32_t va = tcpact_touch(&a, 100, &pa, &fa);
    tcpact_touch(&a, 200, &pb, &fb);
    tcpact_begin(&a); /* a sample without connection a */
    tcpact_touch(&a, 200, &pb, &fb);
    tcpact_begin(&a);
    assert_int_equal(a.count, 1);
    /* Seen again after much traffic: a new baseline, not "active". */
    fa.bytes_in += 100000, fa.segs_in += 100;
    uint32_t again = tcpact_touch(&a, 100, &pa, &fa);
    assert_int_equal(again, va);
    fa.bytes_in += 72, fa.segs_in += 1;
    tcpact_begin(&a);
    assert_int_equal(tcpact_touch(&a, 100, &pa, &fa), again);
    assert_int_equal(a.count, 1); /* b forgotten in turn */

    /* Control: touched at every sample, the same traffic counts. */
    fa.bytes_in += 100000, fa.segs_in += 100;
    tcpact_begin(&a);
    assert_int_not_equal(tcpact_touch(&a, 100, &pa, &fa), again);
    tcpact_free(&a);
}

/* A connection is its smbd and its client's end: one pid with another
 * client (a reused pid), or one client end served by another smbd (a
 * reused port), is another connection. */
static void test_connection_is_pid_and_peer(void **state)
{
    (void)state;
    tcpact_t a = {0};
    smb_endpoint_t p1 = peer("ipv4:10.0.0.1:50000"), p2 = peer("ipv4:10.0.0.1:50001");
    tcp_flow_t f1 = {p1, 5000, 40};
    tcpact_begin(&a);
    uint32_t v1 = tcpact_touch(&a, 100, &p1, &f1);
    uint32_t v2 = tcpact_touch(&a, 100, &p2, NULL);
    uint32_t v3 = tcpact_touch(&a, 200, &p1, NULL);
    assert_int_equal(a.count, 3);
    tcpact_begin(&a);
    assert_int_equal(tcpact_touch(&a, 100, &p1, &f1), v1); /* quiet */
    assert_int_not_equal(tcpact_touch(&a, 100, &p2, NULL), v2);
    assert_int_not_equal(tcpact_touch(&a, 200, &p1, NULL), v3);
    assert_int_equal(a.count, 3);
    tcpact_free(&a);
}

/* ---- the kernel's socket table ------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static smb_endpoint_t endpoint_of(const struct sockaddr_in *sa)
{
    smb_endpoint_t ep;
    memset(&ep, 0, sizeof ep);
    ep.family = AF_INET;
    memcpy(ep.addr, &sa->sin_addr, 4);
    ep.port = ntohs(sa->sin_port);
    return ep;
}

/* Polls the table until the flow of remote end ep has received want bytes. */
static const tcp_flow_t *flow_with(tcp_flows_t *f, const smb_endpoint_t *ep, uint64_t want)
{
    const tcp_flow_t *fl = NULL;
    for (int64_t end = now_ms() + 2000; now_ms() < end;) {
        assert_int_equal(tcpact_dump(f), 0);
        fl = tcpact_find(f, ep);
        if (fl && fl->bytes_in == want) return fl;
        usleep(5000);
    }
    return fl;
}

static void test_dump_finds_a_loopback_connection(void **state)
{
    (void)state;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(cfd >= 0);
    assert_int_equal(connect(cfd, (struct sockaddr *)&sa, sizeof sa), 0);
    int sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(sfd >= 0);
    struct sockaddr_in client;
    sl = sizeof client;
    assert_int_equal(getsockname(cfd, (struct sockaddr *)&client, &sl), 0);

    char msg[1000];
    memset(msg, 'r', sizeof msg);
    assert_int_equal(send(cfd, msg, sizeof msg, 0), (ssize_t)sizeof msg);
    assert_int_equal(send(sfd, msg, 72, 0), 72);

    tcp_flows_t f = {0};
    /* The server's socket, by its remote end: the client's address. */
    smb_endpoint_t c = endpoint_of(&client);
    const tcp_flow_t *fl = flow_with(&f, &c, sizeof msg);
    assert_non_null(fl);
    assert_int_equal(fl->bytes_in, sizeof msg);
    assert_true(fl->segs_in >= 1);
    assert_memory_equal(&fl->peer, &c, sizeof c);
    /* The client's socket, by the listener's address, got the 72 bytes. */
    smb_endpoint_t s = endpoint_of(&sa);
    fl = flow_with(&f, &s, 72);
    assert_non_null(fl);
    assert_int_equal(fl->bytes_in, 72);
    assert_int_equal(fl->segs_in, 1);

    close(sfd);
    close(cfd);
    close(lfd);
    tcpact_flows_free(&f);
    assert_null(f.flow);
    assert_int_equal(f.count, 0);
}

/* ---- the dump's replies, hostile ---------------------------------------- */

/* Two faults a fuzz run found: an error message whose code is INT_MIN
 * (negating it overflowed), and a 16-byte error message at the very end of
 * the buffer (its code was read past it). Exactly sized buffers, so ASan
 * sees any read beyond. */
static void test_error_replies_are_read_within_bounds(void **state)
{
    (void)state;
    tcp_flows_t f = {0};
    struct nlmsghdr *h = malloc(sizeof *h);
    *h = (struct nlmsghdr){.nlmsg_len = sizeof *h, .nlmsg_type = NLMSG_ERROR};
    errno = 0;
    assert_int_equal(tcpact_take(&f, h, sizeof *h), -1);
    assert_int_equal(errno, EIO);
    free(h);
    struct {
        struct nlmsghdr h;
        int code;
    } *e = malloc(sizeof *e);
    e->h = (struct nlmsghdr){.nlmsg_len = sizeof *e, .nlmsg_type = NLMSG_ERROR};
    e->code = INT_MIN;
    assert_int_equal(tcpact_take(&f, e, sizeof *e), -1);
    assert_int_equal(errno, EIO);
    e->code = -EPERM;
    assert_int_equal(tcpact_take(&f, e, sizeof *e), -1);
    assert_int_equal(errno, EPERM);
    e->h.nlmsg_type = NLMSG_DONE;
    assert_int_equal(tcpact_take(&f, e, sizeof *e), 1);
    e->h.nlmsg_len = 4096; /* longer than what arrived: ignored */
    assert_int_equal(tcpact_take(&f, e, sizeof *e), 0);
    free(e);
    assert_int_equal(f.count, 0);
    tcpact_flows_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_only_single_keepalives),
        cmocka_unit_test(test_echo_only_mixes),
        cmocka_unit_test(test_echo_only_refuses_other_traffic),
        cmocka_unit_test(test_find_by_peer),
        cmocka_unit_test(test_find_ambiguous_or_unknown_is_null),
        cmocka_unit_test(test_echoes_keep_the_counter),
        cmocka_unit_test(test_other_traffic_changes_the_counter),
        cmocka_unit_test(test_no_socket_changes_at_every_sample),
        cmocka_unit_test(test_sessions_on_one_connection_share_the_value),
        cmocka_unit_test(test_untouched_connection_is_forgotten),
        cmocka_unit_test(test_connection_is_pid_and_peer),
        cmocka_unit_test(test_dump_finds_a_loopback_connection),
        cmocka_unit_test(test_error_replies_are_read_within_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
