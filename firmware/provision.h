/*
 * provision.h - credentials built into a firmware image (make firmware
 * PROVISION=DIR): at boot, each one the NV store does not hold yet is
 * checked and stored, exactly as if pasted on the console. An image built
 * this way belongs to one device: its seed is made at build time and
 * rewritten in NV at every boot after.
 */
#ifndef PROVISION_H
#define PROVISION_H

#include <stddef.h>

typedef struct {
    int kind;         /* creds_kind_t */
    const char *text; /* PEM, or the seed's bytes */
    size_t len;
} fw_cred_t;

extern const fw_cred_t fw_provision[];
extern const size_t fw_provision_count;

/* Stores the built-in credentials the NV store lacks. */
void fw_provision_apply(void);

#endif
