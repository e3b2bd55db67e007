# firmware/lwip.mk - the lwIP 2.1.3 sources and include flags the firmware
# builds with (NO_SYS, raw API; options in config/lwipopts.h, port header in
# firmware/lwip/arch/cc.h). The sources come from `make sources` (Debian's
# lwip 2.1.3+dfsg1, pinned in config/deps.sh). Included by the top-level
# Makefile after DEPS_DIR is defined.
#
#   LWIP_SRC   the .c files to compile into the firmware
#   LWIP_INC   include flags for every file that includes an lwIP header
#   LWIP_WARN  what lwIP's own files relax of the firmware's warning set
#              (third-party code, like config/mbedtls.mk's MBEDTLS_WARN)

LWIP_DIR := $(DEPS_DIR)/lwip-2.1.3
LWIP_INC := -I$(LWIP_DIR)/src/include -Ifirmware/lwip -Iconfig

# Only what config/lwipopts.h turns on: no IPv6, sockets, netconn, altcp,
# raw, DNS, IGMP, AutoIP or SNMP (their files compile to nothing with those
# options, so they are left out altogether). core/stats.c too compiles to
# nothing, except in a measuring build (FW_EXTRA=-DLWIP_STATS=1).
LWIP_SRC := $(addprefix $(LWIP_DIR)/src/, \
    core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c \
    core/memp.c core/netif.c core/pbuf.c core/stats.c core/tcp.c core/tcp_in.c \
    core/tcp_out.c core/timeouts.c core/udp.c \
    core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
    core/ipv4/ip4_addr.c \
    netif/ethernet.c apps/sntp/sntp.c)

LWIP_WARN := -Wno-error -Wno-conversion -Wno-sign-conversion

# The firmware compiles LWIP_SRC with its own rule and FW_CFLAGS; for lwIP's
# files only, keep the warnings but drop -Werror and -Wconversion (tcp_in.c
# and tcp_out.c narrow integers implicitly). One pattern per file, matched
# on the object's path whatever the build directory.
$(addprefix %/,$(LWIP_SRC:.c=.o)): FW_CFLAGS += $(LWIP_WARN)
