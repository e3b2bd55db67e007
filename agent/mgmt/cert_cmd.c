/* The console's `cert` commands and the TLS lines of `show status`. */
#include <string.h>

#include "agent_opt.h"
#include "console.h"
#include "creds.h"
#include "logsend.h"
#include "mgmt.h"
#include "text.h"
#include "tls.h"

#include "cert_cmd.h"

#include "agent.h"

/* A PEM text being pasted, in memory borrowed from the TLS pool meanwhile. */
#define PASTE_CAP (CREDS_MAX + 1)
static struct {
    char *text; /* PASTE_CAP bytes */
    size_t len;
    bool overflow;
    creds_kind_t kind;
} paste;

/* Puts the stored credentials in force, saying so if TLS cannot start. */
static void reload(void)
{
    char ebuf[120];
    fmt_t err;
    fmt_init(&err, ebuf, sizeof ebuf);
    if (tls_setup(&err) != 0) console_say("TLS not ready: %s", ebuf);
}

/* Stores a checked credential and puts it in force (see tls_put()). */
static void store(creds_kind_t kind, const char *text, size_t len)
{
    char mbuf[112];
    fmt_t msg;
    fmt_init(&msg, mbuf, sizeof mbuf);
    int rc = tls_put((int)kind, text, len, &console_actor, &msg);
    console_say(rc == TLS_PUT_REFUSED ? "error: %s; nothing stored" : "%s", mbuf);
    if (rc == TLS_PUT_STORED) reload();
}

static bool take_line(const char *line)
{
    if (!line) {
        console_say("cancelled; nothing stored");
        tls_free(paste.text, PASTE_CAP);
        memset(&paste, 0, sizeof paste);
        return false;
    }
    size_t n = strlen(line);
    if (paste.len + n + 1 < PASTE_CAP) {
        memcpy(paste.text + paste.len, line, n);
        paste.len += n;
        paste.text[paste.len++] = '\n';
        paste.text[paste.len] = '\0';
    } else {
        paste.overflow = true;
    }
    if (strncmp(line, "-----END ", 9) != 0) return true;
    if (paste.overflow)
        console_say("error: longer than %u bytes; nothing stored", (uint32_t)CREDS_MAX);
    else
        store(paste.kind, paste.text, paste.len);
    tls_free(paste.text, PASTE_CAP);
    memset(&paste, 0, sizeof paste);
    return false;
}

/* The words for creds kinds; "staged" stands for every staged record. */
#define KIND_STAGED CREDS_COUNT
static bool kind_of(const char *word, creds_kind_t *kind)
{
    static const char *const words[CREDS_COUNT + 1] = {"device", "key", "ca", "psk", "seed", "staged"};
    for (uint32_t i = 0; i <= KIND_STAGED; i++)
        if (text_ieq(word, words[i])) return *kind = (creds_kind_t)i, true;
    console_say("error: '%s' is not device, key, ca, psk, seed or staged", word);
    return false;
}

/* `cert show`, a line per call: each record's lines in turn (staged ones
 * only when present), then whether what is staged can be activated. */
static bool show_line(fmt_t *f, uint32_t n)
{
    static const char *const label[TLS_F_COUNT] = {"", "subject ", "issuer  ", "SHA-256 "};
    static uint32_t rec, field;
    static bool named;
    if (n == 0) rec = field = 0, named = false;
    for (; rec < CREDS_RECORDS; rec++, field = 0, named = false) {
        for (; field < TLS_F_COUNT; field++) {
            fmt_add(f, "%-26s %s", named ? "" : creds_name((creds_kind_t)rec), label[field]);
            size_t col = f->len;
            bool said = tls_describe((int)rec, (tls_field_t)field, f);
            if (said && (rec < CREDS_STAGED_CERT || strcmp(f->buf + col, "none") != 0)) {
                field++;
                named = true;
                return true;
            }
            f->len = 0;
            f->buf[0] = '\0';
        }
    }
    if (rec++ != CREDS_RECORDS) return false;
    char mbuf[112];
    fmt_t msg;
    fmt_init(&msg, mbuf, sizeof mbuf);
    int rc = tls_activate(true, NULL, &msg);
    if (rc == TLS_PUT_NOTHING) return false;
    fmt_add(f, "%-26s %s%s", "activation", mbuf, rc == TLS_PUT_STAGED ? ": 'cert activate'" : "");
    return true;
}

static void cmd_cert_show(int argc, char **argv, char *rest)
{
    (void)argc, (void)argv, (void)rest;
    console_list(show_line);
}

static void cmd_cert_set(int argc, char **argv, char *rest)
{
    (void)argc, (void)rest;
    creds_kind_t kind;
    if (!kind_of(argv[0], &kind)) return;
    if (kind == CREDS_PSK || kind == CREDS_SEED || kind == KIND_STAGED) {
        console_say("error: use 'cert psk ROLE IDENTITY HEXKEY' or 'cert seed HEX'");
        return;
    }
    tls_free(paste.text, PASTE_CAP);
    memset(&paste, 0, sizeof paste);
    if ((paste.text = tls_alloc(PASTE_CAP)) == NULL) {
        console_say("error: no memory free while connections are open; try again");
        return;
    }
    paste.kind = kind;
    console_say("paste the PEM text; it ends with its -----END line (ctrl-C cancels)%s",
                kind == CREDS_KEY ? "; it is not shown" : "");
    console_capture(take_line, kind == CREDS_KEY);
}

/* Stored as "ROLE IDENTITY HEXKEY" with single spaces, whatever was typed
 * around the words; the key was typed unseen (see cert_cmds). */
static void cmd_cert_psk(int argc, char **argv, char *rest)
{
    char text[128];
    fmt_t f;
    (void)argc, (void)rest;
    fmt_init(&f, text, sizeof text);
    fmt_add(&f, "%s %s %s", argv[0], argv[1], argv[2]);
    if (f.overflow)
        console_say("error: the identity is up to 63 characters and the key up to 32 bytes");
    else
        store(CREDS_PSK, text, f.len);
    memset(text, 0, sizeof text);
}

/* The seed arrives as hex and is stored as bytes. */
static void cmd_cert_seed(int argc, char **argv, char *rest)
{
    char seed[64];
    size_t n = 0;
    (void)argc, (void)rest;
    for (const char *p = argv[0]; *p; p += 2) {
        const char *hex = "0123456789abcdef";
        const char *hi = p[1] ? strchr(hex, p[0] | 0x20) : NULL;
        const char *lo = hi && *hi ? strchr(hex, p[1] | 0x20) : NULL;
        if (!lo || !*lo || n == sizeof seed) {
            console_say("error: the seed must be hexadecimal, an even number of digits");
            return;
        }
        seed[n++] = (char)((hi - hex) << 4 | (lo - hex));
    }
    store(CREDS_SEED, seed, n);
    memset(seed, 0, sizeof seed);
}

static void cmd_cert_clear(int argc, char **argv, char *rest)
{
    (void)argc, (void)rest;
    creds_kind_t kind;
    if (!kind_of(argv[0], &kind)) return;
    bool all = kind == KIND_STAGED;
    for (int k = all ? CREDS_CERT : (int)kind; k <= (all ? CREDS_CA : (int)kind); k++) {
        creds_kind_t rec = all ? CREDS_STAGED(k) : (creds_kind_t)k;
        if (creds_store(rec, "", 0) != 0) {
            console_say("error: the NV store failed");
            return;
        }
        agent_log(EV_CREDS, CREDS_ACT_CLEARED, creds_name(rec), &console_actor, NULL);
    }
    console_say("%s removed", all ? "staged credentials" : creds_name(kind));
    if (!all) reload();
}

static void cmd_cert_activate(int argc, char **argv, char *rest)
{
    char mbuf[112];
    fmt_t msg;
    (void)argc, (void)argv, (void)rest;
    fmt_init(&msg, mbuf, sizeof mbuf);
    int rc = tls_activate(false, &console_actor, &msg);
    console_say(rc < 0 ? "error: %s; nothing changed" : "%s", mbuf);
    if (rc == TLS_PUT_STORED) reload();
}

static bool status_line(fmt_t *f, uint32_t n)
{
    const tls_stats_t *t = tls_stats();
    const mgmt_stats_t *m = mgmt_stats();
    if (n == 0) {
        fmt_add(f, "tls        %s, %u handshakes (%u resumed), %u failed; pool %u of %u bytes, high-water %u",
                t->ready ? "ready" : "NOT READY", t->handshakes, t->resumed, t->failures,
                t->pool_used, t->pool_size, t->pool_high_water);
        return true;
    }
    if (n == 1) {
        fmt_add(f, "mgmt       %u of %u open, %u waiting; %u accepted, %u dropped, %u evicted, "
                   "%u throttled, %u timed out; %u requests",
                m->open, (uint32_t)MGMT_CONN_MAX, m->waiting, m->accepted, m->dropped, m->evicted,
                m->throttled, m->timeouts, m->requests);
        return true;
    }
    if (n == 2 && agent_cfg()->log_server) {
        const logsend_stats_t *l = logsend_stats();
        fmt_add(f, "syslog     %s; %u sent, %u lost, %u failures; next event #%u",
                l->up ? "up" : "NOT UP", l->sent, l->lost, l->failures, l->next);
        return true;
    }
    return false;
}

static const console_cmd_t cert_cmds[] = {
    {"cert show", "", "credentials: subjects, fingerprints", 0, 0, cmd_cert_show, 0},
    {"cert set", "device|key|ca", "paste a PEM credential", 1, 1, cmd_cert_set, 0},
    {"cert psk", "ROLE IDENTITY HEXKEY", "set the pre-shared key (typed unseen)", 3, 3, cmd_cert_psk, 3},
    {"cert seed", "HEX", "the random generator's seed (no TRNG; typed unseen)", 1, 1, cmd_cert_seed, 1},
    {"cert clear", "device|key|ca|psk|seed|staged", "remove a credential", 1, 1, cmd_cert_clear, 0},
    {"cert activate", "", "put the staged credentials in force together", 0, 0, cmd_cert_activate, 0},
};

const console_ext_t cert_console = {cert_cmds, sizeof cert_cmds / sizeof cert_cmds[0], status_line};
