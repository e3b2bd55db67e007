#include "nvrec.h"

#include <stdbool.h>
#include <string.h>

#include "agent_opt.h"
#include "hal_nv.h"

#define NVREC_MAGIC 0x57424d53u /* "SMBW" */
#define NVREC_FORMAT 1u

typedef struct {
    uint32_t magic;
    uint32_t format;
    uint32_t seq;
    uint32_t len;
    uint32_t crc; /* over the four words above and the payload */
} header_t;

_Static_assert(sizeof(header_t) == NVREC_HEADER, "the header nvrec.h announces");

typedef enum { SLOT_EMPTY, SLOT_BAD, SLOT_GOOD } slot_state_t;

/* CRC-32 (IEEE, reflected); every event written is summed. Four bits at a
 * time from 64 bytes: a fifth of bit-at-a-time's work. */
uint32_t nvrec_crc32_nibbles(uint32_t crc, const void *data, size_t len)
{
    static const uint32_t nib[16] = {
        0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u,
        0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
        0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu};
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ nib[crc & 15];
        crc = (crc >> 4) ^ nib[crc & 15];
    }
    return ~crc;
}

#if AGENT_CRC_TABLE_BYTES
/* Eight bytes at a time from eight 1 KB tables (slicing by eight), built
 * from the nibble one at first use: t[0] is the byte table, t[k] a byte
 * followed by k zero bytes. */
static uint32_t crc_table[8][256];

static void crc_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint8_t b = (uint8_t)i;
        crc_table[0][i] = ~nvrec_crc32_nibbles(0xffffffffu, &b, 1); /* no pre/post inversion */
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            crc_table[k][i] = crc_table[k - 1][i] >> 8 ^ crc_table[0][crc_table[k - 1][i] & 255];
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t nvrec_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!crc_table[0][1]) crc_tables();
    crc = ~crc;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t lo = crc ^ le32(p), hi = le32(p + 4);
        crc = crc_table[7][lo & 255] ^ crc_table[6][lo >> 8 & 255] ^ crc_table[5][lo >> 16 & 255] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 255] ^ crc_table[2][hi >> 8 & 255] ^
              crc_table[1][hi >> 16 & 255] ^ crc_table[0][hi >> 24];
    }
    if (len >= 4) { /* the rest: four bytes at once, then one at a time */
        uint32_t lo = crc ^ le32(p);
        crc = crc_table[3][lo & 255] ^ crc_table[2][lo >> 8 & 255] ^ crc_table[1][lo >> 16 & 255] ^
              crc_table[0][lo >> 24];
        p += 4, len -= 4;
    }
    while (len--) crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 255];
    return ~crc;
}
#else
uint32_t nvrec_crc32(uint32_t crc, const void *data, size_t len)
{
    return nvrec_crc32_nibbles(crc, data, len);
}
#endif

static uint32_t page_size(void)
{
    hal_nv_geometry_t g;
    hal_nv_geometry(&g);
    return g.page_size;
}

static bool all_erased(const header_t *h)
{
    const uint8_t *p = (const uint8_t *)h;
    for (size_t i = 0; i < sizeof *h; i++)
        if (p[i] != 0xff) return false;
    return true;
}

/* Reads one page's header and checks its payload CRC in small chunks, so
 * checking needs no buffer of the record's size. *io is set on a read error. */
static slot_state_t check_slot(uint32_t page, header_t *h, bool *io)
{
    uint32_t ps = page_size(), base = page * ps;
    uint8_t chunk[32];
    if (hal_nv_read(base, h, sizeof *h) != HAL_NV_OK) return *io = true, SLOT_BAD;
    if (all_erased(h)) { /* empty, or a save cut before its header */
        for (uint32_t off = sizeof *h; off < ps; off += sizeof chunk) {
            uint32_t n = ps - off < sizeof chunk ? ps - off : (uint32_t)sizeof chunk;
            if (hal_nv_read(base + off, chunk, n) != HAL_NV_OK) return *io = true, SLOT_BAD;
            for (uint32_t i = 0; i < n; i++)
                if (chunk[i] != 0xff) return SLOT_BAD;
        }
        return SLOT_EMPTY;
    }
    if (h->magic != NVREC_MAGIC || h->format != NVREC_FORMAT ||
        h->len > ps - sizeof *h)
        return SLOT_BAD;
    uint32_t crc = nvrec_crc32(0, h, offsetof(header_t, crc));
    for (uint32_t off = 0; off < h->len; off += sizeof chunk) {
        uint32_t n = h->len - off < sizeof chunk ? h->len - off : (uint32_t)sizeof chunk;
        if (hal_nv_read(base + (uint32_t)sizeof *h + off, chunk, n) != HAL_NV_OK)
            return *io = true, SLOT_BAD;
        crc = nvrec_crc32(crc, chunk, n);
    }
    return crc == h->crc ? SLOT_GOOD : SLOT_BAD;
}

/* Newer by wrap-safe sequence comparison. */
static bool newer(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

/* Index (0 = A, 1 = B) of the newest good page, or -1. */
static int newest_good(uint32_t page, header_t h[2], uint8_t *damaged, bool *io)
{
    int pick = -1;
    for (int i = 0; i < 2; i++) {
        slot_state_t st = check_slot(page + (uint32_t)i, &h[i], io);
        if (st == SLOT_BAD) (*damaged)++;
        if (st == SLOT_GOOD && (pick < 0 || newer(h[i].seq, h[pick].seq))) pick = i;
    }
    return pick;
}

/* The same for a save, which needs no count of damage: of the pages whose
 * header starts as a record's, the newer is checked first, the other only
 * if that one is bad (an empty page is not read through). The newer is
 * taken unchecked when it is the record *known names (nvrec_save_from). */
static int newest_to_keep(uint32_t page, header_t h[2], const nvrec_info_t *known, bool *io)
{
    uint32_t ps = page_size();
    for (int i = 0; i < 2; i++)
        if (hal_nv_read((page + (uint32_t)i) * ps, &h[i], sizeof h[i]) != HAL_NV_OK)
            return *io = true, -1;
    int first = h[1].magic == NVREC_MAGIC && (h[0].magic != NVREC_MAGIC || newer(h[1].seq, h[0].seq));
    for (int k = 0; k < 2; k++) {
        int i = k ? !first : first;
        if (h[i].magic != NVREC_MAGIC) continue;
        if (k == 0 && known->seq && known->at == i && h[i].seq == known->seq &&
            h[i].format == NVREC_FORMAT && h[i].len <= ps - sizeof(header_t))
            return i; /* as the caller left it, and nothing newer beside it */
        if (check_slot(page + (uint32_t)i, &h[i], io) == SLOT_GOOD) return i;
        if (*io) return -1;
    }
    return -1;
}

nvrec_status_t nvrec_load(uint32_t page, void *buf, size_t cap, size_t *len,
                          nvrec_info_t *info)
{
    header_t h[2];
    bool io = false;
    memset(info, 0, sizeof *info);
    *len = 0;
    int pick = newest_good(page, h, &info->damaged, &io);
    if (pick < 0) return io ? NVREC_EIO : NVREC_EMPTY;
    info->seq = h[pick].seq;
    info->at = (uint8_t)pick;
    if (!buf) return NVREC_OK; /* a check only */
    if (h[pick].len > cap) return NVREC_ETOOBIG;
    uint32_t base = (page + (uint32_t)pick) * page_size() + (uint32_t)sizeof(header_t);
    if (hal_nv_read(base, buf, h[pick].len) != HAL_NV_OK) return NVREC_EIO;
    *len = h[pick].len;
    return NVREC_OK;
}

/* Writes the record over the page other than keep (the one holding the
 * newest good record, seq; -1: none), header last; *last says where it
 * went once it is done. */
static nvrec_status_t save_over(uint32_t page, int keep, uint32_t seq, const void *data,
                                size_t len, nvrec_info_t *last)
{
    uint32_t ps = page_size();
    uint32_t target = page + (keep == 0 ? 1u : 0u);
    header_t h = {NVREC_MAGIC, NVREC_FORMAT, seq + 1, (uint32_t)len, 0};
    h.crc = nvrec_crc32(nvrec_crc32(0, &h, offsetof(header_t, crc)), data, len);

    uint32_t base = target * ps;
    if (hal_nv_erase(target) != HAL_NV_OK) return NVREC_EIO;
    /* Program whole words; the tail word is padded with erased bytes. */
    const uint8_t *p = data;
    size_t whole = len & ~(size_t)3;
    if (whole && hal_nv_program(base + (uint32_t)sizeof h, p, whole) != HAL_NV_OK)
        return NVREC_EIO;
    if (len > whole) {
        uint8_t tail[4] = {0xff, 0xff, 0xff, 0xff};
        memcpy(tail, p + whole, len - whole);
        if (hal_nv_program(base + (uint32_t)(sizeof h + whole), tail, 4) != HAL_NV_OK)
            return NVREC_EIO;
    }
    /* The header goes last: until it is complete the page does not check out. */
    if (hal_nv_program(base, &h, sizeof h) != HAL_NV_OK) return NVREC_EIO;
    last->seq = h.seq;
    last->at = (uint8_t)(target - page);
    return NVREC_OK;
}

nvrec_status_t nvrec_save(uint32_t page, const void *data, size_t len)
{
    nvrec_info_t none = {0, 0, 0};
    return nvrec_save_from(page, data, len, &none);
}

nvrec_status_t nvrec_save_from(uint32_t page, const void *data, size_t len, nvrec_info_t *last)
{
    if (len > page_size() - sizeof(header_t)) return NVREC_ETOOBIG;
    header_t old[2];
    bool io = false;
    int keep = newest_to_keep(page, old, last, &io);
    last->seq = 0; /* until the save is done: the next one reads the pair through */
    if (io) return NVREC_EIO; /* which page is newest is not known */
    return save_over(page, keep, keep < 0 ? 0 : old[keep].seq, data, len, last);
}

#if AGENT_NV_EVENT_PAGES /* the leak table's changed rows: kept only where the log is */
nvrec_status_t nvrec_tail_append(uint32_t page, const nvrec_info_t *known, uint32_t off,
                                 const void *data, size_t len)
{
    uint32_t ps = page_size();
    header_t h[2];
    bool io = false;
    if (!known->seq || (off | len) % 4 || off > ps || len > ps - off) return NVREC_ETOOBIG;
    int keep = newest_to_keep(page, h, known, &io);
    if (io) return NVREC_EIO;
    if (keep != known->at || h[keep].seq != known->seq) return NVREC_EMOVED;
    if (off < sizeof(header_t) + h[keep].len) return NVREC_ETOOBIG; /* over its payload */
    return hal_nv_program((page + (uint32_t)keep) * ps + off, data, len) == HAL_NV_OK ? NVREC_OK
                                                                                     : NVREC_EIO;
}

nvrec_status_t nvrec_tail_read(uint32_t page, const nvrec_info_t *known, uint32_t off,
                               void *buf, size_t len)
{
    uint32_t ps = page_size();
    if (off > ps || len > ps - off) return NVREC_ETOOBIG;
    return hal_nv_read((page + known->at) * ps + off, buf, len) == HAL_NV_OK ? NVREC_OK : NVREC_EIO;
}
#endif
