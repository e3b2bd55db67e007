/*
 * http.h - a strict, incremental HTTP/1.1 request parser with hard limits.
 *
 * Bytes are fed as they arrive, in any split (one at a time works); the
 * parser keeps only what it needs in fixed fields of http_req_t. It never
 * allocates and never reads past what it is given.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef HTTP_TARGET_MAX
#define HTTP_TARGET_MAX 256 /* request-target incl. NUL; longer: 414 */
#endif
#ifndef HTTP_HEADERS_MAX
#define HTTP_HEADERS_MAX 2048 /* bytes of all header lines; more: 431 */
#endif
#ifndef HTTP_BODY_MAX
#define HTTP_BODY_MAX 1024 /* Content-Length above this: 413 */
#endif
#define HTTP_LINE_MAX 512 /* one header line, without its line end; longer: 431.
                              HTTP_TARGET_MAX must be at most HTTP_LINE_MAX - 16 */

typedef enum { HTTP_M_GET, HTTP_M_PATCH, HTTP_M_DELETE, HTTP_M_HEAD, HTTP_M_POST,
               HTTP_M_PUT, HTTP_M_OTHER } http_method_t;

/* Results of http_parse(): negative = need more, 0 = a whole request, or an
 * HTTP status code for a request that must be refused (then the connection
 * is closed after the error response: the parser cannot resynchronise). */
enum {
    HTTP_MORE = -1,
    HTTP_DONE = 0,
};

typedef struct {
    /* The request, valid once http_parse() returned HTTP_DONE. */
    http_method_t method;
    char target[HTTP_TARGET_MAX]; /* "/v1/sessions?state=stale", NUL-terminated */
    bool keep_alive;              /* HTTP/1.1 unless "Connection: close";
                                     HTTP/1.0 only with "Connection: keep-alive" */
    bool http11;                  /* HTTP/1.1 (else 1.0: no chunked replies) */
    uint32_t body_len;            /* from Content-Length (0 without) */

    /* Parser state: private. */
    uint8_t state;
    uint16_t line_len;
    uint32_t header_bytes;
    uint32_t body_got;
    bool has_length;
    union { /* a line is only held until the headers end, the body after */
        char line[HTTP_LINE_MAX];
        uint8_t body[HTTP_BODY_MAX + 1]; /* body_len bytes, then a NUL */
    };
} http_req_t;

/* Makes r ready for a new request. */
void http_req_init(http_req_t *r);

/*
 * Feeds len bytes of data. *used is set to how many were consumed: all of
 * them with HTTP_MORE; with HTTP_DONE the bytes after the request's end are
 * left unconsumed (a pipelined next request). Returns:
 *   HTTP_MORE   the request is incomplete;
 *   HTTP_DONE   a complete request is in r;
 *   400 malformed request line, header, or Content-Length (also duplicate
 *       differing Content-Length, and any Transfer-Encoding: only
 *       Content-Length bodies are accepted);
 *   413 Content-Length above HTTP_BODY_MAX;
 *   414 request-target of HTTP_TARGET_MAX bytes or more;
 *   431 a header line over HTTP_LINE_MAX, or headers over HTTP_HEADERS_MAX;
 *   505 a version other than HTTP/1.0 or HTTP/1.1.
 * Once an error or HTTP_DONE is returned, further calls return it again with
 * *used = 0 until http_req_init(). A request line too long to hold gives 414
 * when its target is what is too long, else 400. HTTP_HEADERS_MAX counts
 * header lines with their line ends. The Host header is not required.
 * Line ends are CRLF; a bare LF is accepted as well.
 */
int http_parse(http_req_t *r, const uint8_t *data, size_t len, size_t *used);

/* The reason phrase for a status code ("Not Found"), or "Error". */
const char *http_reason(int status);

/*
 * Finds query parameter name in target ("...?a=1&b=2"); copies its value
 * (decoding '+' and %XX) into out[cap]. Returns false when absent, on a
 * malformed %XX or %00, or when the value does not fit.
 */
bool http_query(const char *target, const char *name, char *out, size_t cap);

/*
 * Checks target's whole query: every parameter is one of names (a
 * NULL-terminated list), none appears twice, every value decodes. Returns
 * NULL if so, else where the first offending parameter starts in target
 * (its name runs to '=', '&' or the end).
 */
const char *http_query_bad(const char *target, const char *const *names);

/* Decodes [s, e) into out[cap]: %XX is a byte (never %00), and in a query
 * '+' is a space. False when malformed or it does not fit. */
bool http_decode(const char *s, const char *e, bool query, char *out, size_t cap);

#endif
