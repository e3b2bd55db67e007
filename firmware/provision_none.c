/* An image without built-in credentials: provision it on the console. */
#include "provision.h"

const fw_cred_t fw_provision[1];
const size_t fw_provision_count = 0;
const char fw_provision_id[8];
