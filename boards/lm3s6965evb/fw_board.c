/* The firmware's board choices for the LM3S6965EVB. */
#include "board.h"
#include "fw.h"

/* Under QEMU the NV store is a semihosted file (QEMU does not model flash
 * programming); built with FW_NV_FLASH it is the chip's own flash. */
void fw_nv_init(void)
{
#ifndef FW_NV_FLASH
    nv_semihost_open();
#endif
}
