/*
 * smbjson.h - Samba's session table from `smbstatus --json` (Samba 4.17).
 *
 * One call of smbstatus prints three objects: "sessions" (one per SMB
 * session, with the serving smbd's pid in server_id), "tcons" (tree
 * connects, with session_id and connected_at) and "open_files" (per file,
 * opens keyed "pid/id", with server_id and uid but no session id). They are
 * joined here into one hal_smb_session_t per session:
 *   session_id  sessions{}.session_id
 *   conn_id     server_id.pid (one smbd process per TCP connection)
 *   client      remote_machine (the address, over port 445)
 *   user        username; "" for a null session (see below)
 *   type        session_dialect ("SMB3_11")
 *   flags       GUEST, ENCRYPTED, SIGNED (degree other than "none")
 *   opens       opens on the same smbd by the session's uid; when no
 *               session there has that uid, every session of that smbd
 *               counts the open (ownership is unknown: err towards keeping)
 *   connected_s timestamp minus the earliest tcon's connected_at; 0 when
 *               the session has no tree connect
 * Samba shows anonymous and guest logons alike as the guest account
 * (`nobody`). Such a session is a null session (user "") while it has no
 * tree connect other than IPC$, and a guest session once it connects a
 * share. Activity is not in the output at all: see tcpact.h.
 *
 * Anything malformed fails the whole table, so no decision rests on part
 * of one.
 */
#ifndef SMBJSON_H
#define SMBJSON_H

#include <stddef.h>
#include <stdint.h>

#include "hal_smb.h"

/* The client's end of the TCP connection, from "hostname"
 * ("ipv4:127.0.0.1:45036"); family 0 when it could not be read. */
typedef struct {
    uint8_t family; /* AF_INET, AF_INET6 or 0 */
    uint8_t addr[16];
    uint16_t port;
} smb_endpoint_t;

typedef struct {
    hal_smb_session_t rec;
    smb_endpoint_t peer;
} smb_entry_t;

/* A parsed table. Owned by the caller; release with smbjson_free(). */
typedef struct {
    smb_entry_t *entry;
    size_t count;
} smb_table_t;

/*
 * Parses smbstatus's JSON text (len bytes, need not be terminated).
 * guest: Samba's guest account name ("nobody"). On success returns 0 and
 * fills *t. On error returns -1, leaves *t empty and writes a short reason
 * into err (cap bytes).
 */
int smbjson_parse(const char *text, size_t len, const char *guest, smb_table_t *t,
                  char *err, size_t cap);

void smbjson_free(smb_table_t *t);

/* Seconds since 1970 for "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|+HHMM)";
 * -1 if s is not such a time. */
int smbjson_parse_time(const char *s, int64_t *out);

/* Reads "ipv4:ADDR:PORT" or "ipv6:ADDR:PORT" (ADDR possibly in brackets).
 * 0, or -1 if it is neither. */
int smbjson_parse_endpoint(const char *s, smb_endpoint_t *ep);

#endif
