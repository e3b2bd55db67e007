#include <stdio.h>
#include <string.h>

#include "fake_hal.h"
#include "hal_smb.h"
#include "text.h"

hal_smb_session_t fake_smb[FAKE_SMB_MAX];
size_t fake_smb_n;
uint32_t fake_smb_caps_v;
int fake_smb_fail, fake_smb_pending, fake_smb_end_rc;
bool fake_smb_end_removes;
uint32_t fake_smb_ends, fake_smb_opens_lost;
char fake_smb_log[1024];
static size_t cursor; /* next record of the sample in progress */
static bool replaying; /* hal_smb_rewind() was called */
static bool moved;     /* a session removed since the sample began (the last one fills its place) */
bool fake_smb_no_rewind;
uint32_t fake_smb_rewinds;
uint32_t fake_smb_handed;

void fake_smb_reset(uint32_t caps)
{
    memset(fake_smb, 0, sizeof fake_smb);
    fake_smb_n = 0;
    fake_smb_caps_v = caps;
    fake_smb_fail = fake_smb_pending = fake_smb_end_rc = 0;
    fake_smb_end_removes = true;
    fake_smb_ends = fake_smb_opens_lost = 0;
    fake_smb_log[0] = '\0';
    cursor = 0;
    replaying = fake_smb_no_rewind = moved = false;
    fake_smb_rewinds = fake_smb_handed = 0;
}

hal_smb_session_t *fake_smb_add(uint32_t sid, uint32_t conn, const char *client,
                                const char *user, uint32_t opens, uint32_t idle_s)
{
    hal_smb_session_t *s = &fake_smb[fake_smb_n++];
    memset(s, 0, sizeof *s);
    s->session_id = sid;
    s->conn_id = conn;
    snprintf(s->client, sizeof s->client, "%s", client);
    snprintf(s->user, sizeof s->user, "%s", user);
    snprintf(s->type, sizeof s->type, "SMB3_11");
    s->flags = HAL_SMB_F_IDLE;
    s->opens = opens;
    s->idle_s = idle_s;
    s->connected_s = idle_s + 10;
    return s;
}

bool fake_smb_has(uint32_t sid)
{
    for (size_t i = 0; i < fake_smb_n; i++)
        if (fake_smb[i].session_id == sid) return true;
    return false;
}

uint32_t hal_smb_caps(void) { return fake_smb_caps_v; }

int hal_smb_sample(hal_smb_session_t *buf, size_t cap, size_t *count, hal_smb_info_t *info)
{
    *count = 0;
    if (cursor == 0 && !replaying && fake_smb_pending > 0) {
        fake_smb_pending--;
        return HAL_SMB_PENDING;
    }
    if (cursor == 0 && !replaying && fake_smb_fail > 0) {
        fake_smb_fail--;
        return HAL_SMB_EFAIL;
    }
    if (cursor == 0 && !replaying) moved = false;
    while (*count < cap && cursor < fake_smb_n) buf[(*count)++] = fake_smb[cursor++];
    fake_smb_handed += (uint32_t)*count;
    if (cursor < fake_smb_n) return HAL_SMB_MORE;
    cursor = 0;
    replaying = false;
    info->refusals = 7;
    info->has_refusals = 1;
    return HAL_SMB_OK;
}

int hal_smb_rewind(uint32_t from)
{
    fake_smb_rewinds++;
    if (fake_smb_no_rewind) return HAL_SMB_ENOTSUP;
    replaying = true;
    cursor = moved ? 0 : from < fake_smb_n ? from : fake_smb_n;
    return HAL_SMB_OK;
}

/* Ends every session for which match() holds. */
static int end_matching(bool (*match)(const hal_smb_session_t *, const void *),
                        const void *key, const char *tag)
{
    size_t len = strlen(fake_smb_log);
    snprintf(fake_smb_log + len, sizeof fake_smb_log - len, "%s ", tag);
    fake_smb_ends++;
    if (fake_smb_end_rc != HAL_SMB_OK) return fake_smb_end_rc;
    int found = 0;
    for (size_t i = 0; i < fake_smb_n;) {
        if (!match(&fake_smb[i], key)) {
            i++;
            continue;
        }
        found = 1;
        if (!fake_smb_end_removes) {
            i++;
            continue;
        }
        fake_smb_opens_lost += fake_smb[i].opens;
        fake_smb[i] = fake_smb[--fake_smb_n];
        moved = true;
    }
    return found ? HAL_SMB_OK : HAL_SMB_ENOENT;
}

static bool by_sid(const hal_smb_session_t *s, const void *k)
{
    return s->session_id == *(const uint32_t *)k;
}

static bool by_conn(const hal_smb_session_t *s, const void *k)
{
    return s->conn_id == *(const uint32_t *)k;
}

static bool by_client(const hal_smb_session_t *s, const void *k)
{
    char name[sizeof s->client]; /* in the form the core keeps names in */
    memcpy(name, s->client, sizeof name);
    text_clean(name, sizeof name);
    return strcmp(name, (const char *)k) == 0;
}

const char *hal_smb_error(void) { return "fake failure"; }

int hal_smb_end_session(uint32_t id)
{
    char tag[16];
    snprintf(tag, sizeof tag, "S%u", (unsigned)id);
    return (fake_smb_caps_v & HAL_SMB_CAN_END_SESSION) ? end_matching(by_sid, &id, tag)
                                                      : HAL_SMB_ENOTSUP;
}

int hal_smb_end_conn(uint32_t id)
{
    char tag[16];
    snprintf(tag, sizeof tag, "C%u", (unsigned)id);
    return (fake_smb_caps_v & HAL_SMB_CAN_END_CONN) ? end_matching(by_conn, &id, tag)
                                                   : HAL_SMB_ENOTSUP;
}

int hal_smb_end_client(const char *client)
{
    char tag[48];
    snprintf(tag, sizeof tag, "K%s", client);
    return (fake_smb_caps_v & HAL_SMB_CAN_END_CLIENT) ? end_matching(by_client, client, tag)
                                                     : HAL_SMB_ENOTSUP;
}
