/*
 * nvrec.h - one checksummed record kept in two NV pages, A and B.
 *
 * Each save goes to the page not holding the newest good record, with a
 * higher sequence number, so a save cut short by power loss leaves the
 * previous record intact. Loading takes the newest record whose header and
 * CRC-32 check out.
 */
#ifndef NVREC_H
#define NVREC_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of a page the record's header takes; the payload has the rest. */
#define NVREC_HEADER 20u

typedef enum {
    NVREC_OK = 0,       /* record loaded; *len set */
    NVREC_EMPTY = 1,    /* no record was ever saved (both pages erased) */
    NVREC_EIO = -1,     /* the store failed */
    NVREC_ETOOBIG = -2, /* payload larger than a page allows, or than buf */
    NVREC_EMOVED = -3,  /* the record named is not the pair's newest any more */
} nvrec_status_t;

/* What a load found beside the record it returned. */
typedef struct {
    uint8_t damaged; /* pages holding a torn or corrupt record (0..2); a
                        save cut before its header counts */
    uint8_t at;      /* its page: 0 the pair's first, 1 the second */
    uint32_t seq;    /* sequence number of the record loaded (0: none) */
} nvrec_info_t;

/*
 * Loads the newest good record of the pair starting at NV page `page`
 * (pages page and page+1) into buf (caller's, cap bytes); with buf NULL,
 * only checks the pair (info set, *len 0).
 * Returns NVREC_OK, NVREC_EMPTY (info->damaged may still be non-zero: every
 * copy was bad), NVREC_EIO or NVREC_ETOOBIG.
 */
nvrec_status_t nvrec_load(uint32_t page, void *buf, size_t cap, size_t *len,
                          nvrec_info_t *info);

/*
 * Saves data[len] as the pair's new record: erases the older page,
 * programs the payload, then the header. Blocks for one page erase and the
 * programming (see hal_nv.h). Returns NVREC_OK, NVREC_EIO, NVREC_ETOOBIG.
 */
nvrec_status_t nvrec_save(uint32_t page, const void *data, size_t len);

/*
 * The same for a caller that keeps what its last load or save of the pair
 * found (*last; seq 0: nothing known) and gets it updated (seq 0 after a
 * failure). When the page *last names still starts with that record's
 * header and the other page's header is not newer, that record is taken
 * as the newest good one without its payload read back and checked: two
 * headers read, not a page. The price: had that payload been damaged in
 * place since, or not taken whole when it was programmed (worn flash: no
 * board reads back what it programs), the older good copy is the one
 * overwritten, so a save cut by power loss just then leaves no good copy
 * (nvrec_save keeps the older one). For records saved often (the leak
 * table, after each sample), where a lost copy costs counts, not
 * settings or credentials.
 */
nvrec_status_t nvrec_save_from(uint32_t page, const void *data, size_t len, nvrec_info_t *last);

/*
 * A record's tail: the rest of its page, after the payload, which its
 * CRC does not cover and a save of the pair erases. A caller keeps there
 * what it checks itself (the leak table: rows changed since the record).
 * nvrec_tail_append programs data[len] (whole words, as the page's
 * unwritten bytes must be) at offset off of the page holding the record
 * *known names, once both headers show it is still the pair's newest, as
 * nvrec_save_from would take it; NVREC_EMOVED when it is not.
 * nvrec_tail_read reads len bytes at off of that page. Built only with
 * AGENT_NV_EVENT_PAGES (the boards that keep the leak table).
 */
nvrec_status_t nvrec_tail_append(uint32_t page, const nvrec_info_t *known, uint32_t off,
                                 const void *data, size_t len);
nvrec_status_t nvrec_tail_read(uint32_t page, const nvrec_info_t *known, uint32_t off,
                               void *buf, size_t len);

/* CRC-32 (IEEE 802.3, reflected), continuing from crc (start with 0). */
uint32_t nvrec_crc32(uint32_t crc, const void *data, size_t len);

/* The same four bits at a time (what nvrec_crc32 is without
 * AGENT_CRC_TABLE_BYTES), for its test. */
uint32_t nvrec_crc32_nibbles(uint32_t crc, const void *data, size_t len);

#endif
