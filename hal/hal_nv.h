/*
 * hal_nv.h - non-volatile store with flash semantics.
 *
 * The store is page_count pages of page_size bytes, addressed by byte offset
 * from 0. Erasing a page sets every byte to 0xFF; programming can only clear
 * bits (new = old & data), so a byte is written once between erases. A power
 * cut during program or erase leaves the affected range in an undefined mix
 * of old and new bits; records on top of this store carry a checksum.
 *
 * Context: main loop only. Reads never block. Erase and program may block
 * for the flash operation itself: at most 25 ms per page erased and 1 ms per
 * 256 bytes programmed. The core calls them only on an operator's `save`.
 */
#ifndef HAL_NV_H
#define HAL_NV_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t page_size;  /* bytes, a power of two, >= 256 */
    uint32_t page_count; /* >= 2 */
} hal_nv_geometry_t;

enum {
    HAL_NV_OK = 0,
    HAL_NV_ERANGE = -1, /* offset/length outside the store, or misaligned */
    HAL_NV_EIO = -2,    /* the device reported a failure */
};

/* Fills *geo. Never fails once the board is initialised. */
void hal_nv_geometry(hal_nv_geometry_t *geo);

/* Copies len bytes at offset into buf (caller's). HAL_NV_OK, _ERANGE, _EIO. */
int hal_nv_read(uint32_t offset, void *buf, size_t len);

/* Erases one whole page (index 0..page_count-1). HAL_NV_OK, _ERANGE, _EIO. */
int hal_nv_erase(uint32_t page);

/*
 * Programs len bytes from buf (caller's, not kept) at offset. offset and len
 * are multiples of 4. The range must have been erased since it was last
 * programmed; otherwise the result is the AND of old and new bits.
 * HAL_NV_OK, _ERANGE, _EIO.
 */
int hal_nv_program(uint32_t offset, const void *buf, size_t len);

#endif
