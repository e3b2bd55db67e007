/*
 * tls.h - the agent's TLS server over a transport_t, on mbedTLS: TLS 1.2,
 * ECDHE-ECDSA on P-256 with a client certificate required and verified
 * against the configured CA, or a pre-shared key; records in AES-128-GCM
 * or ChaCha20-Poly1305 (TLS_CHACHA_FIRST: preferred); session tickets
 * for resumption; no renegotiation. All mbedTLS memory comes from a static
 * pool whose high-water mark is kept.
 *
 * Context: main loop only; no call blocks.
 */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "fmt.h"
#include "transport.h"

/* Prefer ChaCha20-Poly1305 to AES-128-GCM: where AES has no hardware (the
 * Cortex-M3: about 44 instructions a byte less); 0 where AES-NI does GCM. */
#ifndef TLS_CHACHA_FIRST
#define TLS_CHACHA_FIRST 0
#endif

/* What a client may do, from its certificate's subject OU (or the PSK's
 * provisioned role). */
typedef enum { TLS_ROLE_NONE = 0, TLS_ROLE_READER, TLS_ROLE_OPERATOR } tls_role_t;

typedef struct {
    uint32_t handshakes;      /* completed */
    uint32_t resumed;         /* ... of which by session ticket */
    uint32_t failures;        /* handshakes that failed or timed out */
    uint32_t pool_size;       /* bytes of the static pool */
    uint32_t pool_used;       /* bytes in use now */
    uint32_t pool_high_water; /* most bytes ever in use */
    bool ready;               /* credentials loaded: handshakes possible */
} tls_stats_t;

typedef struct tls_conn tls_conn_t;

/*
 * (Re)loads the credentials from the store and sets up the shared
 * configuration. Returns 0, or -1 with the reason in err (connections are
 * then refused at the handshake until credentials are provisioned).
 * Connections open keep the credentials they started with until they close.
 */
int tls_setup(fmt_t *err);

/* A connection over t (copied), or NULL when every slot is taken. */
tls_conn_t *tls_open(const transport_t *t);

/* A client connection over t (a board's hal_net_connect()) to the syslog
 * collector at IPv4 addr: its certificate must chain to the client CA in
 * force and name addr (an IP subjectAltName, or the dotted address as its
 * DNS name or CN); the device certificate is offered as the agent's. NULL
 * without a device certificate and CA in force, or when the pool is full.
 * Handshake, send, recv and close as for the server's connections. Boards
 * with AGENT_LOG_TLS only. */
tls_conn_t *tls_connect(const transport_t *t, uint32_t addr);

/* Outcome of one handshake step. */
typedef enum {
    TLS_HS_DONE = 0,  /* the handshake is complete */
    TLS_HS_MORE = 1,  /* a state advanced; call again at once */
    TLS_HS_WAIT = 2,  /* waiting for the peer (or the transport): call again later */
    TLS_HS_FAIL = -1, /* failed: close the connection */
} tls_hs_t;

/* Advances the handshake by one state at most, so that a pass of the main
 * loop never does more than one costly (ECC) step. */
tls_hs_t tls_handshake(tls_conn_t *c);

/* True once per connection, when its handshake has chosen to be a full
 * ECDHE one (not resumed, not PSK) and its costly states come next: the
 * caller may ration those and close the connection instead. */
bool tls_full_handshake_next(tls_conn_t *c);

/* Bytes the connection has moved either way so far (progress). */
uint32_t tls_moved(const tls_conn_t *c);

/* Decrypted bytes: > 0 read, 0 none now, -1 closed or failed. */
int32_t tls_recv(tls_conn_t *c, uint8_t *buf, size_t len);

/* Sends: > 0 bytes taken (maybe fewer than len), 0 try later, -1 failed.
 * After a 0, offer the same bytes again. */
int32_t tls_send(tls_conn_t *c, const uint8_t *buf, size_t len);

/* Whether decrypted bytes wait inside TLS (the socket may be quiet). */
bool tls_pending(tls_conn_t *c);

/* n zeroed bytes from the TLS pool (a credential being pasted), or NULL
 * when the pool has no room; tls_free() wipes and returns them. */
void *tls_alloc(size_t n);
void tls_free(void *p, size_t n);

/* The peer's role, valid after the handshake. */
tls_role_t tls_role(const tls_conn_t *c);

/* The peer's name after the handshake: its certificate's CN, or its PSK
 * identity; printable ASCII, "" when it has none. */
const char *tls_peer_name(const tls_conn_t *c);

/* Sends close_notify if it can, frees the slot and closes the transport. */
void tls_close(tls_conn_t *c);

const tls_stats_t *tls_stats(void);

/* len bytes from the TLS random generator (HMAC-DRBG), for other users of
 * randomness (TCP initial sequence numbers, DHCP transaction ids). 0, or
 * -1 while the generator is not seeded (no seed provisioned yet). */
int tls_random(uint8_t *buf, size_t len);

/*
 * Checks that text[len] (NUL-terminated at len) is a usable credential of
 * creds kind `kind` (creds.h): an EC P-256 certificate, an EC key, a CA
 * certificate, "ROLE IDENTITY HEXKEY", or a seed. 0, or -1 with the reason
 * in err. Whether a certificate and key match is tls_put()'s concern.
 */
int tls_check(int kind, const char *text, size_t len, fmt_t *err);

/* tls_put(), tls_stage(), tls_activate(): */
enum { TLS_PUT_NOTHING = -2, TLS_PUT_REFUSED = -1, TLS_PUT_STORED = 0, TLS_PUT_STAGED = 1 };

/*
 * Checks and stores a credential of creds kind `kind` (the console's
 * `cert` commands). A device certificate or key goes into force only with a
 * partner that matches it: the staged one (then both go in), else the one
 * in force; otherwise it is staged and the pair in force keeps serving. msg
 * says what happened; the event log says it too, with who (by) and
 * fingerprints. The caller reloads (tls_setup) after TLS_PUT_STORED.
 */
int tls_put(int kind, const char *text, size_t len, const actor_t *by, fmt_t *msg);

/* Checks and stages a device certificate, key or client CA (the API's
 * rotation): nothing changes in force until tls_activate(). */
int tls_stage(int kind, const char *text, size_t len, const actor_t *by, fmt_t *msg);

/*
 * Puts everything staged in force together, when the device certificate
 * and key it would serve with (staged, else in force) match; otherwise
 * nothing changes (TLS_PUT_REFUSED, why in msg; TLS_PUT_NOTHING: nothing
 * is staged). With dry_run only checks
 * (TLS_PUT_STAGED: it would work). A power cut part way is finished at the
 * next tls_setup(), except that a staged CA may be left staged. The caller
 * reloads after TLS_PUT_STORED.
 */
int tls_activate(bool dry_run, const actor_t *by, fmt_t *msg);

/* What tls_describe() tells of a stored record. */
typedef enum { TLS_F_STATE, TLS_F_SUBJECT, TLS_F_ISSUER, TLS_F_SHA256, TLS_F_COUNT } tls_field_t;

/* Writes `field` of record rec (creds_kind_t, staged ones too) for `cert
 * show` and GET /v1/credentials: the state ("none", "present (not shown)",
 * a PSK's role and identity, "stored but unparsable") of anything but a
 * good certificate, whose subject, issuer and SHA-256 fingerprint are its
 * fields, in printable ASCII. Never key material. False (nothing written)
 * when the field does not apply. */
bool tls_describe(int rec, tls_field_t field, fmt_t *out);

const char *tls_role_name(tls_role_t r);

#endif
