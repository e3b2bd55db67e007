/*
 * hal_smb.h - the SMB server's session table, read and acted on.
 *
 * A board binds these to its server: the simulator (boards/sim), Samba via
 * smbstatus/smbcontrol (boards/samba), or an appliance's own server.
 *
 * Sampling hands the table over in batches into the caller's buffer, so the
 * core needs no buffer the size of the table. A sample is one snapshot: the
 * board must not change what it reports between the first and the last
 * batch of one sample.
 *
 * Ending a session only asks for it: the result is judged on the next
 * sample, where the session is gone (evicted) or still there (failed).
 *
 * Context: main loop only. No call blocks; work that takes time (running a
 * helper program) continues between calls and reports HAL_SMB_PENDING.
 */
#ifndef HAL_SMB_H
#define HAL_SMB_H

#include <stddef.h>
#include <stdint.h>

#define HAL_SMB_CLIENT_MAX 40 /* bytes incl. NUL: computer name or address */
#define HAL_SMB_USER_MAX 40   /* bytes incl. NUL: DOMAIN\user, "" = null session */
#define HAL_SMB_TYPE_MAX 12   /* bytes incl. NUL: dialect / client type */

/* hal_smb_session_t.flags */
#define HAL_SMB_F_GUEST 0x01u     /* guest logon */
#define HAL_SMB_F_ENCRYPTED 0x02u /* traffic encrypted */
#define HAL_SMB_F_SIGNED 0x04u    /* traffic signed */
#define HAL_SMB_F_IDLE 0x08u      /* idle_s is the server's idle figure;
                                     otherwise activity is a counter */

typedef struct {
    uint32_t session_id; /* server's id, unique among live sessions */
    uint32_t conn_id;    /* sessions with equal conn_id share one connection
                            (Samba: the smbd pid); 0 = not known */
    /* Texts: NUL-terminated, truncated if longer, zeros after (an unchanged
     * record is then one compare for the core; other bytes cost time only) */
    char client[HAL_SMB_CLIENT_MAX];
    char user[HAL_SMB_USER_MAX];
    char type[HAL_SMB_TYPE_MAX];
    uint32_t flags;       /* HAL_SMB_F_* */
    uint32_t opens;       /* open files held by the session */
    uint32_t connected_s; /* seconds since the session was set up */
    uint32_t idle_s;      /* with HAL_SMB_F_IDLE: seconds since last activity */
    uint32_t activity;    /* without it: changes whenever the session does
                             anything other than an echo; any value, wraps */
} hal_smb_session_t;

/* What the server says about itself in the same snapshot. */
typedef struct {
    uint32_t refusals;    /* clients refused at the limit since start, if known */
    uint8_t has_refusals; /* 1 when refusals is meaningful */
} hal_smb_info_t;

/* hal_smb_caps() bits: how the server can end sessions. */
#define HAL_SMB_CAN_END_SESSION 0x01u /* one session alone */
#define HAL_SMB_CAN_END_CONN 0x02u    /* a connection and all its sessions */
#define HAL_SMB_CAN_END_CLIENT 0x04u  /* every connection of a client */

enum {
    HAL_SMB_OK = 0,        /* done: the last batch of a sample, or request sent */
    HAL_SMB_MORE = 1,      /* batch filled, more of this sample follows */
    HAL_SMB_PENDING = 2,   /* not ready, call again later (nothing filled) */
    HAL_SMB_EFAIL = -1,    /* the server could not be read or asked */
    HAL_SMB_ENOTSUP = -2,  /* this granularity is not supported */
    HAL_SMB_ENOENT = -3,   /* no such session, connection or client */
};

/* HAL_SMB_CAN_* bits. Constant for a board. */
uint32_t hal_smb_caps(void);

/*
 * Takes (or continues) a sample. buf: caller's array of cap >= 1 records,
 * filled from index 0; *count set to the number filled (0 with PENDING or an
 * error). The first call of a sample snapshots the table; each following
 * call returns the next batch. Returns:
 *   HAL_SMB_MORE    cap records filled, call again for the rest;
 *   HAL_SMB_OK      last batch (possibly empty); *info filled;
 *   HAL_SMB_PENDING the snapshot is still being taken;
 *   HAL_SMB_EFAIL   the table could not be read; the sample is abandoned and
 *                   the next call starts a new one.
 * info: caller's, filled only with HAL_SMB_OK.
 */
int hal_smb_sample(hal_smb_session_t *buf, size_t cap, size_t *count,
                   hal_smb_info_t *info);

/*
 * Hands the sample that just ended (hal_smb_sample returned HAL_SMB_OK)
 * again, without a new snapshot: the following hal_smb_sample() calls
 * return its records in batches as before, ending with HAL_SMB_OK. The
 * core uses it when newcomers found no slot before the sessions that left
 * were ended. It has placed every record before record number `from` (the
 * first newcomer that found none), so the board
 * may start there (past the last: no records); it starts at 0 instead
 * when a record may have moved since the sample began (one removed from
 * a table that is not a fixed snapshot). Returns HAL_SMB_OK, or
 * HAL_SMB_ENOTSUP where the board keeps no snapshot (the core then samples
 * again).
 */
int hal_smb_rewind(uint32_t from);

/* Why the last sample failed, in a few words an operator can act on
 * ("smbstatus: exit status 1: ..."); "" when it did not. The text stays
 * valid until the next hal_smb_sample() call. */
const char *hal_smb_error(void);

/* Asks the server to end one session. HAL_SMB_OK (asked), _ENOTSUP, _ENOENT,
 * _EFAIL. With open files, they are closed: the core decides whether that
 * is allowed before it calls. */
int hal_smb_end_session(uint32_t session_id);

/* Ends the connection conn_id and every session on it. Same codes. */
int hal_smb_end_conn(uint32_t conn_id);

/* Ends every session of client: a name as the core keeps a record's
 * .client, printable UTF-8 (text_clean() in agent/text.h: each control
 * byte and each byte of ill-formed UTF-8 a '?'). A board compares its
 * sessions' names in that form, ASCII case-blind. Same codes. */
int hal_smb_end_client(const char *client);

#endif
