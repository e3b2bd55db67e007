/* test_powercut.c's cuts over the firmware's flash driver (nv_flash.c) and
 * the controller's register model (flash_model.c): linked with those in
 * place of the fake flash (Makefile: LINK_powercut_flash). */
#include "test_powercut.c"
