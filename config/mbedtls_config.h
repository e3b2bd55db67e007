/*
 * config/mbedtls_config.h - smbwarden's complete mbedTLS 2.28 configuration.
 *
 * Used instead of mbedtls/config.h, for the host agent, the sanitizer test
 * build and the Cortex-M3 firmware alike:
 *
 *     -I$(MBEDTLS_DIR)/include -Iconfig -DMBEDTLS_CONFIG_FILE='"mbedtls_config.h"'
 *
 * What it builds: a TLS 1.2 server (no client side) for the management
 * channel, with two key exchanges, each with AES-128-GCM or ChaCha20-Poly1305
 * records:
 *   - TLS-ECDHE-ECDSA-WITH-{AES-128-GCM,CHACHA20-POLY1305}-SHA256: mutual
 *     TLS on P-256, the client certificate required and verified against
 *     our CA;
 *   - TLS-PSK-WITH-{AES-128-GCM,CHACHA20-POLY1305}-SHA256: pre-shared keys,
 *     no certificates.
 * mbedTLS is driven through mbedtls_ssl_set_bio() over our own non-blocking
 * transport, and every byte it allocates comes from one static pool handed
 * to mbedtls_memory_buffer_alloc_init().
 *
 * Anything not defined here is off: the switches considered and left out on
 * purpose are listed at the end of the file with the reason.
 *
 * Optional switches, set on the compiler command line (config/mbedtls.mk,
 * MBEDTLS_CONFIG_<variant>):
 *   SMBWARDEN_MBEDTLS_ERROR_STRINGS  mbedtls_strerror() gives text (host
 *                                    builds; ~14 KB of flash).
 *   SMBWARDEN_MBEDTLS_CLIENT         the TLS client too (Linux boards: syslog
 *                                    over TLS).
 *   SMBWARDEN_MBEDTLS_BARE_METAL     no C library behind mbedTLS: no stdio,
 *                                    heap, clock or exit (firmware; see
 *                                    "Platform" below). Every firmware object
 *                                    is built with it too.
 */
#ifndef SMBWARDEN_MBEDTLS_CONFIG_H
#define SMBWARDEN_MBEDTLS_CONFIG_H

/* ---- System support --------------------------------------------------- */

/* Inline assembly for the bignum multiply loops: UMULL/UMLAL on the
 * Cortex-M3, x86-64 MULQ on the host.  Much faster ECC, no size cost. */
#define MBEDTLS_HAVE_ASM

/* Time.  The device has no real-time clock, only an uptime counter.
 * mbedTLS 2.28 uses time for:
 *   - the session start time kept in a ticket (ssl_srv.c, ssl_tls.c), by
 *     which our tickets (agent/mgmt/ticket.c) refuse one older than its
 *     lifetime; their keys are renewed once per lifetime by the same clock;
 *   - the first 4 bytes of ServerHello.random (ssl_srv.c), which become
 *     the uptime in seconds instead of random bytes (reveals uptime; TLS 1.2
 *     allows it);
 *   - certificate validity dates (x509.c), but only with
 *     MBEDTLS_HAVE_TIME_DATE.
 * Relative time is all tickets need, so: MBEDTLS_HAVE_TIME with our own
 * function, an uptime in seconds, installed at start-up with
 *     mbedtls_platform_set_time(uptime_seconds);
 * BEFORE ticket_setup().  Until then mbedtls_time is the C library's time()
 * (platform.c), which on bare metal usually fails (-1): tickets would then
 * never expire. */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_PLATFORM_TIME_ALT

/* Certificate validity dates (notBefore/notAfter) need a calendar clock:
 * MBEDTLS_HAVE_TIME_DATE, on every board. mbedtls_time is the wall clock
 * once the board has it (agent_wall_s(), agent/mgmt/tls.c): the host's
 * clock on the Linux boards, SNTP's answer on the firmware; an expired or
 * not-yet-valid client certificate then fails its handshake. Before the
 * firmware learns the date, tls.c's verify callback lets dates pass (the
 * README says so). The firmware turns seconds into a date with the agent's
 * own fmt_civil() (MBEDTLS_PLATFORM_GMTIME_R_ALT, firmware/mbedtls_platform.c)
 * instead of newlib's gmtime_r. */
#define MBEDTLS_HAVE_TIME_DATE
#if defined(SMBWARDEN_MBEDTLS_BARE_METAL)
#define MBEDTLS_PLATFORM_GMTIME_R_ALT
#endif

/* ---- Platform: memory from one static pool -------------------------------- */

/* mbedtls_calloc/mbedtls_free become function pointers, so that the
 * buffer allocator below can take them over.  (Before
 * mbedtls_memory_buffer_alloc_init() they point at the C library's calloc
 * and free.) */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY

/* Every mbedTLS allocation comes from a static pool given to
 * mbedtls_memory_buffer_alloc_init(): one ECDHE handshake makes ~34,000
 * calloc calls, which no general heap on the device should see. */
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C

/* Align pool blocks to 8 bytes.  The default, 4, hands out 4-byte-aligned
 * blocks holding 8-byte pointers and uint64_t on a 64-bit host: undefined
 * behaviour, and the sanitizer test build aborts on it in the first
 * handshake.  On the Cortex-M3 (32-byte block headers) it costs at most
 * 4 bytes per block. */
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8

/* Needed for the pool's high-water mark: mbedtls_memory_buffer_alloc_max_get()
 * (and _cur_get, _max_reset, _status) exist only with MBEDTLS_MEMORY_DEBUG
 * (memory_buffer_alloc.c).  Costs a few counters; it also makes heap
 * corruption print a "FATAL: ..." line with mbedtls_fprintf(stderr) before
 * mbedtls_exit(1). */
#define MBEDTLS_MEMORY_DEBUG

/* ---- Platform: the firmware has no C library behind mbedTLS ------------------ *
 *
 * Before the pool and our clock are installed, mbedTLS's calloc, free and
 * time default to the C library's, and its exit and snprintf are the C
 * library's: on the firmware that linked newlib's malloc, time() and exit()
 * (about 0.7 KB of flash and 0.1 KB of RAM) for calls that never happen.
 * SMBWARDEN_MBEDTLS_BARE_METAL (the firmware: the arm library and every
 * object of the image, see config/mbedtls.mk) takes the C library away:
 *   - calloc, free and time start as mbedTLS's own stubs (NULL, nothing,
 *     0) until agent/mgmt/tls.c installs the pool and the uptime clock,
 *     which it does before any other mbedTLS call;
 *   - snprintf is the agent's formatter (firmware/mbedtls_platform.c), for
 *     the X.509 and OID text functions, none of which the firmware calls
 *     today; it fails on a conversion the formatter does not have;
 *   - exit, called only by the pool allocator on heap corruption (its
 *     FATAL messages), says so on the console and resets the board;
 *   - the FATAL lines themselves, the only stdio in this configuration,
 *     are compiled out (they would link ~3 KB of newlib's FILE machinery
 *     for messages nobody reads).  Host builds keep all of this. */
#if defined(SMBWARDEN_MBEDTLS_BARE_METAL)
#include <stddef.h>
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO fw_mbedtls_snprintf
#define MBEDTLS_PLATFORM_EXIT_MACRO fw_mbedtls_exit
/* The stream is dropped unread (no stdio.h, so no stderr); a function
 * rather than an empty macro, so that the other arguments stay "used". */
#define MBEDTLS_PLATFORM_FPRINTF_MACRO(stream, ...) smbwarden_mbedtls_no_fprintf(__VA_ARGS__)
static inline int smbwarden_mbedtls_no_fprintf(const char *fmt, ...)
{
    (void) fmt;
    return 0;
}
int fw_mbedtls_snprintf(char *buf, size_t size, const char *spec, ...);
void fw_mbedtls_exit(int status) __attribute__((noreturn));

/* The Cortex-M3 divides 32 bits in hardware, 64 only in libgcc
 * (__udivmoddi4, 0.7 KB of flash); bignum.c's one 64-by-32 division
 * (mbedtls_mpi_div_mpi) then uses its 32-bit version: 0.5 KB less in all,
 * and a handshake no slower (make bench-fw). */
#define MBEDTLS_NO_UDBL_DIVISION
#endif

/* ---- Protocol: TLS 1.2 server only ---------------------------------------- */

#define MBEDTLS_SSL_TLS_C          /* the TLS record and handshake layer */
#define MBEDTLS_SSL_SRV_C          /* server side; clients are curl/openssl */
/* The client side, for events to a syslog collector over TLS (RFC 5425):
 * the Linux boards only (SMBWARDEN_MBEDTLS_CLIENT, config/mbedtls.mk). */
#if defined(SMBWARDEN_MBEDTLS_CLIENT)
#define MBEDTLS_SSL_CLI_C
#endif
#define MBEDTLS_SSL_PROTO_TLS1_2   /* TLS 1.2 only: the min and max version */

/* The suites (agent/mgmt/tls.c sets their order for each board): a client
 * offering both key exchanges gets ECDHE-ECDSA (and must then present a
 * certificate); a PSK client offers only PSK suites. */
#define MBEDTLS_SSL_CIPHERSUITES \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, \
    MBEDTLS_TLS_PSK_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_PSK_WITH_CHACHA20_POLY1305_SHA256

#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED  /* mutual TLS with certs */
#define MBEDTLS_KEY_EXCHANGE_PSK_ENABLED          /* pre-shared keys */

/* Largest PSK accepted, in bytes: 256 bits is plenty for AES-128. */
#define MBEDTLS_PSK_MAX_LEN 32

/* Record buffers: 2048 bytes of plaintext each way instead of 16384, so
 * that one connection's handshake fits the Cortex-M3's RAM; each
 * connection allocates both at mbedtls_ssl_setup() (~2.1 KB each with the
 * record header and AEAD overhead). Our requests and a client's
 * certificate (~600 bytes) fit easily.
 * A peer that sends a longer record (TLS allows 16384; curl and OpenSSL
 * send up to 16 KB per record, one record per write) is not served: in
 * 2.28 mbedtls_ssl_fetch_input() refuses to read it, mbedtls_ssl_read() or
 * mbedtls_ssl_handshake() returns MBEDTLS_ERR_SSL_BAD_INPUT_DATA (-0x7100)
 * and no alert is sent.  That is fatal for the connection: close it and
 * release the transport, never retry (the next call fails the same way).
 * So a request must reach us in records of at most 2 KB (keep bodies
 * small), and a client's whole Certificate message must fit in one record
 * (2.28 does not reassemble handshake messages). */
#define MBEDTLS_SSL_IN_CONTENT_LEN  2048
/* What we send: on the firmware, responses go out in 1536-byte pieces
 * (MGMT_OUT_MAX) and our handshake messages are smaller still (a P-256
 * certificate chain; a ticket that does not fit is sent empty), so its
 * output buffer is 512 bytes smaller than the others'. */
#if defined(SMBWARDEN_MBEDTLS_BARE_METAL)
#define MBEDTLS_SSL_OUT_CONTENT_LEN 1536
#else
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048
#endif

/* RFC 6066 max_fragment_length: a peer that asks for 512..2048-byte
 * records gets them, and then never sends a record our 2 KB input buffer
 * cannot hold (openssl s_client -maxfraglen 2048; curl and Python never
 * ask); a TLS client may ask a server for them. Under 0.2 KB of code and
 * no RAM, on the Linux boards only: no client of the firmware asks. Leaving
 * it out changes mbedTLS's structures, which is why every firmware object
 * is built with SMBWARDEN_MBEDTLS_BARE_METAL. */
#if !defined(SMBWARDEN_MBEDTLS_BARE_METAL)
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#endif

/* RFC 7627: binds the master secret to the whole handshake (defeats the
 * triple-handshake attack); every current client offers it.  0.1 KB. */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET

/* Send the specific alert on a failed handshake (e.g. bad_certificate), so
 * a client reports why it was refused instead of a bare reset.  Small. */
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES

/* Session tickets (RFC 5077): pollers resume with an abbreviated handshake
 * (no ECDSA, no ECDH: ~117 M instructions saved on the Cortex-M3), and the
 * server keeps no per-client cache: the session is in the client's ticket,
 * sealed with ChaCha20-Poly1305 by agent/mgmt/ticket.c. mbedTLS's own
 * (MBEDTLS_SSL_TICKET_C) is left out: it keeps an AES-GCM context per key
 * in the pool (2 x 384 bytes on the Cortex-M3). */
#define MBEDTLS_SSL_SESSION_TICKETS
/* A server-side session cache as well: curl with OpenSSL 3 offers no ticket
 * extension and resumes only by session ID. It is the agent's own
 * (agent/mgmt/tls.c, TLS_CACHE_ENTRIES entries from the pool), not
 * MBEDTLS_SSL_CACHE_C: like the tickets it keeps the peer's role and name
 * beside the session.
 *
 * MBEDTLS_SSL_KEEP_PEER_CERTIFICATE is off: the client's certificate is
 * freed once verified (its public key kept for CertificateVerify), and a
 * session keeps only its digest. The role (the subject's OU) and the name
 * (CN) are read from it by the verify callback during the handshake, and a
 * ticket or a cache entry carries them for a resumption, where no
 * certificate is sent. With it on, the parsed certificate stayed in the
 * pool for the whole connection and in every cache entry, and each ticket
 * carried it: the firmware's pool high-water was 1.5 KB higher. */

/* ---- X.509: client certificate chain verification -------------------------- */

/* Verifying the client's chain against our CA (authmode REQUIRED) needs:
 *   - certificate parsing: X509_CRT_PARSE_C, X509_USE_C, ASN1_PARSE_C,
 *     OID_C, PK_C, PK_PARSE_C, BIGNUM_C;
 *   - the signature algorithm of every certificate in the chain: ECDSA_C
 *     on P-256 with SHA-256, through MD_C (a chain signed with SHA-384 or
 *     on P-384 is refused: those are not compiled in);
 *   - a CA certificate with basicConstraints CA:TRUE (and, if keyUsage is
 *     present, keyCertSign), given with mbedtls_ssl_conf_ca_chain().
 * Validity dates are checked once the date is known (see above). */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C

/* Enforce keyUsage (digitalSignature for ECDHE-ECDSA, keyCertSign on CAs)
 * and extendedKeyUsage: the client certificate must say clientAuth, so the
 * device's own serverAuth certificate cannot log in as a client. */
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

/* Our PKI signs leaf certificates straight from the CA; one intermediate
 * leaves room for a production PKI with an offline root.  Bounds the
 * verification's work and stack. */
#define MBEDTLS_X509_MAX_INTERMEDIATE_CA 1

/* Credentials are stored as PEM (certificates and keys). */
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C

/* Private keys: SEC1 ("EC PRIVATE KEY") and unencrypted PKCS#8
 * ("PRIVATE KEY") with a named curve; both parsed by PK_PARSE_C with ECP_C.
 * Encrypted keys (PKCS5/PKCS12) and explicit curve parameters
 * (MBEDTLS_PK_PARSE_EC_EXTENDED) are not supported. */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C

#define MBEDTLS_ASN1_PARSE_C   /* certificates, keys, ECDSA signatures */
#define MBEDTLS_ASN1_WRITE_C   /* writing our ECDSA signatures (ECDSA_C) */
#define MBEDTLS_OID_C          /* algorithm and attribute identifiers */

/* ---- Public-key crypto: ECDSA and ECDH on P-256 only ----------------------- */

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDSA_C        /* ServerKeyExchange signature, client certs */
#define MBEDTLS_ECDH_C         /* the ephemeral key exchange */

/* RFC 6979 nonces for our ECDSA signatures: the nonce is a function of the
 * key and the signed hash, never of the random generator. A generator that
 * repeats its state (an NV image copied and booted twice, on a board with
 * no other entropy) then cannot make two signatures share a nonce, which
 * would give the device key away. Costs HMAC_DRBG (about 1 KB of flash). */
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C

/* The ServerKeyExchange's signature through the async private-key hooks:
 * the handshake state that makes the ECDHE key returns, and the signature
 * is made at the next call. So no pass of the main loop does two ECC
 * operations (agent/mgmt/tls.c; a pass of 17 M instead of 33 M). */
#define MBEDTLS_SSL_ASYNC_PRIVATE

/* P-256 only: the one curve we sign with and accept. */
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED

/* Size ECP structures and stack buffers for 256-bit curves only. */
#define MBEDTLS_ECP_MAX_BITS 256

/* Fast modular reduction for P-256 instead of the generic one: ~0.8 KB of
 * code for much faster ECC. */
#define MBEDTLS_ECP_NIST_OPTIM

/* Scalar multiplication: window 2 with no precomputed fixed-point table
 * keeps the handshake's peak RAM low; each multiplication costs more CPU
 * (see DESIGN.md section 6). */
#define MBEDTLS_ECP_WINDOW_SIZE        2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM  0

/* MBEDTLS_ECDH_LEGACY_CONTEXT is left off: the newer ECDH context is
 * smaller, and we never touch its fields. */

/* ---- Symmetric crypto and hashes --------------------------------------------- */

/* AES for the record layer (GCM) and the ticket key. */
#define MBEDTLS_AES_C
/* Tables in flash (const), not computed into 8 KB of RAM at first use. */
#define MBEDTLS_AES_ROM_TABLES
/* One table per direction instead of four: 6.3 KB less flash, a little
 * slower; AES time is noise next to ECC. */
#define MBEDTLS_AES_FEWER_TABLES
/* No AES decryption: GCM records and the GCM ticket key only ever
 * encrypt. aes.c leaves both functions out (2.3 KB of flash with the
 * inverse tables); agent/mgmt/tls.c supplies refusing ones. */
#define MBEDTLS_AES_SETKEY_DEC_ALT
#define MBEDTLS_AES_DECRYPT_ALT
/* AES-NI and PCLMULQDQ on x86-64 hosts (constant time, fast); compiles to
 * nothing elsewhere (needs MBEDTLS_HAVE_ASM and an x86-64 compiler). */
#define MBEDTLS_AESNI_C

#define MBEDTLS_CIPHER_C       /* cipher layer used by TLS and tickets */
#define MBEDTLS_GCM_C          /* AES-128-GCM records; AES-GCM tickets */
/* ChaCha20-Poly1305 records: the cheaper per byte without AES hardware
 * (agent/mgmt/tls.h TLS_CHACHA_FIRST); 6.8 KB of flash on the firmware. */
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
/* The firmware's own ChaCha20 (firmware/chacha20.c, context in
 * firmware/chacha20_alt.h): a word at a time, about a fifth fewer
 * instructions per record byte on the Cortex-M3. */
#if defined(SMBWARDEN_MBEDTLS_BARE_METAL)
#define MBEDTLS_CHACHA20_ALT
#endif

#define MBEDTLS_MD_C           /* digest layer: PRF, signatures, HMAC */
#define MBEDTLS_SHA256_C       /* the suites' hash, certificate signatures,
                                  the entropy pool */
/* Rolled-up SHA-256 loop: 1.4 KB less code for a small slowdown. */
#define MBEDTLS_SHA256_SMALLER

/* ---- Random numbers ------------------------------------------------------------ */

/* HMAC_DRBG (SHA-256), which deterministic ECDSA needs anyway (above),
 * feeds every random number TLS needs: CTR_DRBG would add 1.1 KB of flash
 * for the same service. */

/* The entropy pool seeding the generator (SHA-256 accumulator, since SHA-512 is
 * not built). */
#define MBEDTLS_ENTROPY_C

/* No built-in OS source (/dev/urandom, getrandom): the firmware has no OS,
 * and the host gets the same code path.  At start-up we add our own strong
 * source, from the HAL:
 *     mbedtls_entropy_add_source(&entropy, hal_entropy_poll, NULL, 32,
 *                                MBEDTLS_ENTROPY_SOURCE_STRONG);
 * before mbedtls_hmac_drbg_seed(); with no strong source the seed fails.
 *
 * The LM3S6965 has no TRNG, so every board also uses the NV seed: a
 * per-device seed in the NV store, written at provisioning (or, where the
 * HAL has a real source, made from it at first start) and rewritten by
 * mbedTLS from the entropy pool at every boot; never a constant. The agent
 * calls mbedtls_platform_set_nv_seed(read, write) before
 * mbedtls_entropy_init(), which adds the seed as a strong source itself;
 * the HAL source is added only where it works. */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_NV_SEED
#define MBEDTLS_PLATFORM_NV_SEED_ALT

/* Source slots in every mbedtls_entropy_context (default 20, ~20 bytes
 * each): the NV seed and our HAL source, no more (tls.c checks that the
 * HAL source found its slot). */
#define MBEDTLS_ENTROPY_MAX_SOURCES 2

/* ---- Diagnostics ---------------------------------------------------------------- */

/* Error strings: on for host builds (readable logs), off on the firmware
 * where they cost ~14 KB of flash.  mbedtls_strerror() always exists:
 * without the strings it writes an empty string, so callers log the
 * numeric code (-0x%04x) and the text when there is one. */
#if defined(SMBWARDEN_MBEDTLS_ERROR_STRINGS)
#define MBEDTLS_ERROR_C
#else
#define MBEDTLS_ERROR_STRERROR_DUMMY
#endif

/* Ignoring the result of a function whose result matters is a compiler
 * warning (an error under our -Werror).  Where ignoring is right, wrap the
 * call in MBEDTLS_IGNORE_RETURN(): a (void) cast does not silence GCC. */
#define MBEDTLS_CHECK_RETURN_WARNING

/* ---- Deliberately off -------------------------------------------------------- *
 *
 *   MBEDTLS_SSL_CLI_C                   the firmware is only a server
 *   MBEDTLS_SSL_PROTO_TLS1, _TLS1_1     TLS 1.2 only
 *   MBEDTLS_SSL_PROTO_DTLS, MBEDTLS_SSL_DTLS_* (anti-replay, hello verify,
 *     client port reuse, bad-MAC limit, connection ID, SRTP), SSL_COOKIE_C
 *                                       TCP only
 *   MBEDTLS_SSL_RENEGOTIATION           no renegotiation: a renegotiation
 *                                       request gets a no_renegotiation alert
 *   MBEDTLS_SSL_ENCRYPT_THEN_MAC        applies to CBC suites only; we have
 *                                       only GCM
 *   MBEDTLS_SSL_SERVER_NAME_INDICATION  one certificate, SNI ignored
 *   MBEDTLS_SSL_ALPN                    HTTP/1.1 only
 *   MBEDTLS_SSL_FALLBACK_SCSV           no older version to fall back to
 *   MBEDTLS_SSL_CONTEXT_SERIALIZATION, _EXPORT_KEYS, _TRUNCATED_HMAC,
 *   _CBC_RECORD_SPLITTING, _RECORD_CHECKING, _VARIABLE_BUFFER_LENGTH
 *                                       unused features
 *   MBEDTLS_FS_IO, MBEDTLS_NET_C, MBEDTLS_TIMING_C
 *                                       no files, our own transport and clock
 *   MBEDTLS_THREADING_C                 one cooperative loop
 *   MBEDTLS_DEBUG_C                     size; failures are reported by code
 *   MBEDTLS_VERSION_C, _VERSION_FEATURES, MBEDTLS_SELF_TEST
 *                                       size
 *   MBEDTLS_PSA_CRYPTO_C                not needed by the TLS 1.2 code path
 *   MBEDTLS_DEPRECATED_REMOVED, _WARNING
 *                                       would remove or flag 2.x names that
 *                                       3.x keeps (e.g. mbedtls_sha256())
 *   MBEDTLS_RSA_C, DHM_C, SHA1/SHA512/MD5, CCM/ChaCha/other ciphers,
 *   CIPHER_MODE_CBC/CTR/...             not used by our two suites
 *   MBEDTLS_X509_CRL_PARSE_C, _CSR_*, _CREATE_C, PK_WRITE_C, PEM_WRITE_C
 *                                       we only parse certificates
 */

#include "mbedtls/check_config.h"

#endif /* SMBWARDEN_MBEDTLS_CONFIG_H */
