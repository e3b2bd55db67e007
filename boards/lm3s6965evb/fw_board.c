/* The firmware's board choices for the LM3S6965EVB under QEMU. */
#include "board.h"
#include "fw.h"

void fw_nv_init(void) { nv_semihost_open(); }
