/*
 * api.h - the management API (/v1/...) and /metrics: routing a parsed
 * request to a handler, role checks, and the response produced a piece at
 * a time into the connection's buffer.
 */
#ifndef API_H
#define API_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"
#include "hal_smb.h"
#include "http.h"
#include "json.h"
#include "tls.h"

/* The most one body piece writes; callers give at least this much room. */
#define API_PIECE_MAX 1024

typedef struct api_resp api_resp_t;

struct api_resp {
    int status;               /* HTTP status */
    const char *type;         /* Content-Type */
    const char *allow;        /* Allow header with 405, else NULL */
    /* Writes the next piece of the body into f; false when the body is
     * complete (it may still have written a last piece). */
    bool (*body)(api_resp_t *r, fmt_t *f);
    json_t json;
    uint32_t cursor, arg, step;
    uint32_t top;             /* /v1/leaks: sources to list */
    uint8_t states;           /* /v1/sessions filter (sess_filter_t) */
    char client[HAL_SMB_CLIENT_MAX];
    char user[HAL_SMB_USER_MAX];
    char msg[160];            /* error or result message */
};

/* A response with a JSON message body: {"error": msg}, or {"result": msg}
 * for a status below 300. msg may be r->msg. */
void api_reply(api_resp_t *r, int status, const char *msg);

/* Decides the response to req from a client with role, called who (its
 * certificate's CN or PSK identity, for the event log): status, headers and
 * body generator. Acts (deletes, config changes) here, once. */
void api_handle(const http_req_t *req, tls_role_t role, const char *who, api_resp_t *r);

#endif
