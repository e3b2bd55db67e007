/*
 * provision.h - credentials built into a firmware image (make firmware
 * PROVISION=DIR): at the image's first boot on a device, each one the NV
 * store does not hold yet is checked and stored, exactly as if pasted on
 * the console. An image built this way belongs to one device: its seed is
 * made at build time, used once, and rewritten in NV at every boot after.
 * The NV store remembers the image's id, so a later `cert clear` (of the
 * seed above all) is never undone by the image: a new seed must be given.
 */
#ifndef PROVISION_H
#define PROVISION_H

#include <stddef.h>

#include "creds.h"

typedef struct {
    int kind;         /* creds_kind_t */
    const char *text; /* PEM, or the seed's bytes */
    size_t len;
} fw_cred_t;

extern const fw_cred_t fw_provision[];
extern const size_t fw_provision_count;
extern const char fw_provision_id[8]; /* random, per image build */

/* The NV pages of the "this image provisioned here" mark, after the
 * credentials' (creds.h). */
#ifndef FW_PROVISION_NV_PAGE
#define FW_PROVISION_NV_PAGE (CREDS_NV_PAGE + 2 * CREDS_COUNT)
#endif

/* Stores the built-in credentials the NV store lacks. */
void fw_provision_apply(void);

#endif
