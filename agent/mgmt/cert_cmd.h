/* cert_cmd.h - the management channel's additions to the console. */
#ifndef CERT_CMD_H
#define CERT_CMD_H

#include "console.h"

/* `cert show|set|psk|clear` and the tls/mgmt lines of `show status`. */
extern const console_ext_t cert_console;

#endif
