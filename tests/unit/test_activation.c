/* A power cut at every step of putting staged credentials in force (`cert
 * activate`, POST /v1/credentials/activate), on the firmware's flash driver
 * and the controller's register model (1 KiB pages, as every board has):
 * the set in force after the next start is the old one (the new one still
 * staged) or the new one, whole: never the new device pair with the old CA
 * or a certificate without its key, and TLS starts on it. The dev PKI's
 * two sets (CERTS: device + ca, other-device + other-ca) are the old and
 * the new. */
#include <stdio.h>
#include <stdlib.h>

#include "agent_fixture.h"
#include "creds.h"
#include "tls.h"

static char set_a[3][CREDS_MAX + 1], set_b[3][CREDS_MAX + 1];

static void read_pem(const char *name, char *buf)
{
    char path[512];
    const char *dir = getenv("CERTS") ? getenv("CERTS") : "build/certs";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s: not found (make certs)", path);
    size_t n = fread(buf, 1, CREDS_MAX, f);
    fclose(f);
    buf[n] = '\0';
}

static int setup(void **state)
{
    (void)state;
    static const char *const a[3] = {"device.crt", "device.key", "ca.crt"};
    static const char *const b[3] = {"other-device.crt", "other-device.key", "other-ca.crt"};
    for (int i = 0; i < 3; i++) read_pem(a[i], set_a[i]), read_pem(b[i], set_b[i]);
    fake_ms = 1000;
    fake_nv_reset();
    fake_console_reset();
    fake_smb_reset(HAL_SMB_CAN_END_SESSION);
    agent_options_t opt = {false};
    agent_init(&opt, fake_ms);
    return 0;
}

static int put(int kind, const char *text, bool stage)
{
    char mbuf[200];
    fmt_t msg;
    fmt_init(&msg, mbuf, sizeof mbuf);
    int rc = stage ? tls_stage(kind, text, strlen(text), &console_actor, &msg)
                   : tls_put(kind, text, strlen(text), &console_actor, &msg);
    if (rc == TLS_PUT_REFUSED) fail_msg("%s: %s", stage ? "stage" : "put", mbuf);
    return rc;
}

/* Which set record kind holds in force: 'a', 'b' or '?'. */
static char holds(creds_kind_t kind)
{
    static char got[CREDS_MAX + 1];
    size_t len;
    if (creds_load(kind, got, sizeof got, &len) != 0) return '?';
    return strcmp(got, set_a[kind]) == 0 ? 'a' : strcmp(got, set_b[kind]) == 0 ? 'b' : '?';
}

static int tls_start(void)
{
    char ebuf[160];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    int rc = tls_setup(&err);
    if (rc != 0) print_message("tls_setup: %s\n", ebuf);
    return rc;
}

static void test_activation_cut_at_every_word(void **state)
{
    (void)state;
    for (int k = CREDS_CERT; k <= CREDS_CA; k++) put(k, set_a[k], false);
    assert_int_equal(tls_start(), 0);
    for (int k = CREDS_CERT; k <= CREDS_CA; k++) assert_int_equal(put(k, set_b[k], true), TLS_PUT_STAGED);
    fake_nv_keep(0);
    char mbuf[200];
    fmt_t msg;
    fmt_init(&msg, mbuf, sizeof mbuf);
    int before = fake_nv_ops;
    assert_int_equal(tls_activate(false, &console_actor, &msg), TLS_PUT_STORED);
    int per = fake_nv_ops - before, olds = 0, news = 0;
    for (int n = 0; n <= per; n++) {
        fake_nv_back(0);
        fake_nv_reset_power();
        fake_nv_ops_left = n;
        fmt_init(&msg, mbuf, sizeof mbuf);
        (void)tls_activate(false, &console_actor, &msg);
        fake_nv_ops_left = -1;
        fake_nv_reset_power();
        assert_int_equal(tls_start(), 0); /* the next start: serves, on one whole set */
        char set[4] = {holds(CREDS_CERT), holds(CREDS_KEY), holds(CREDS_CA), '\0'};
        if (strcmp(set, "aaa") != 0 && strcmp(set, "bbb") != 0)
            fail_msg("cut at %d of %d: in force %s (device, key, CA)", n, per, set);
        for (int k = CREDS_CERT; k <= CREDS_CA; k++) { /* the old set: the new still staged */
            static char got[CREDS_MAX + 1];
            size_t len;
            int rc = creds_load(CREDS_STAGED(k), got, sizeof got, &len);
            if (set[0] == 'a') assert_true(rc == 0 && strcmp(got, set_b[k]) == 0);
            else assert_int_equal(rc, 1); /* the new: nothing left staged */
        }
        olds += set[0] == 'a';
        news += set[0] == 'b';
    }
    print_message("activation: %d writes and erases; %d cut points, old set %d, new set %d, "
                  "mixed 0\n", per, per + 1, olds, news);
}

/* A staged copy of what is in force would look like an activation under
 * way: staging one is refused, and storing in force empties one. */
static void test_no_staged_copy_of_what_is_in_force(void **state)
{
    (void)state;
    char mbuf[200];
    fmt_t msg;
    for (int k = CREDS_CERT; k <= CREDS_CA; k++) put(k, set_a[k], false);
    fmt_init(&msg, mbuf, sizeof mbuf);
    assert_int_equal(tls_stage(CREDS_CA, set_a[CREDS_CA], strlen(set_a[CREDS_CA]), &console_actor, &msg),
                     TLS_PUT_REFUSED);
    assert_non_null(strstr(mbuf, "in force already; not staged"));
    put(CREDS_CA, set_b[CREDS_CA], true);  /* CA b staged */
    put(CREDS_CA, set_b[CREDS_CA], false); /* then put in force directly */
    size_t len;
    char got[CREDS_MAX + 1];
    assert_int_equal(creds_load(CREDS_STAGED_CA, got, sizeof got, &len), 1);
    put(CREDS_CERT, set_b[CREDS_CERT], true); /* a new certificate staged, not activated */
    assert_int_equal(tls_start(), 0);         /* a start does not put it in force */
    assert_int_equal(holds(CREDS_CERT), 'a');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_activation_cut_at_every_word, setup),
        cmocka_unit_test_setup(test_no_staged_copy_of_what_is_in_force, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
