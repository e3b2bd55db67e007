/*
 * nv_emul.h - hal_nv.h with flash semantics (erase to 0xFF, program ANDs)
 * over a store that reads and writes bytes anywhere: a file on the host, a
 * file through semihosting under QEMU. The board supplies the I/O and its
 * geometry; nv_emul implements every hal_nv function over them.
 */
#ifndef NV_EMUL_H
#define NV_EMUL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t page_size, page_count;
    /* Each moves exactly len bytes at off: 0, or -1. */
    int (*read)(uint32_t off, void *buf, size_t len);
    int (*write)(uint32_t off, const void *buf, size_t len);
    int (*sync)(void); /* makes writes durable; NULL if they already are */
} nv_emul_io_t;

/* Binds the store (io must live on) and erases every page at or after
 * size bytes, so a new or short store reads as erased flash. 0, or -1. */
int nv_emul_bind(const nv_emul_io_t *io, uint32_t size);

#endif
