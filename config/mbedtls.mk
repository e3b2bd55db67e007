# config/mbedtls.mk - build the pinned mbedTLS as three static libraries.
# Included by the top-level Makefile after BUILD, DEPS_DIR, CC, ARM_CC, SAN,
# Q and say are defined.
#
#   $(BUILD)/host/libmbedtls.a   host agent            -O2
#   $(BUILD)/test/libmbedtls.a   sanitizer test build  -O1 $(SAN)
#   $(BUILD)/fuzz/libmbedtls.a   fuzz targets          clang -O1, ASan+UBSan
#   $(BUILD)/arm/libmbedtls.a    Cortex-M3 firmware    -Os, one section per
#                                                      function (gc-sections)
#
# All three use config/mbedtls_config.h.  Code that includes mbedTLS headers
# compiles with $(MBEDTLS_INC).  The sources come from `make sources`.

MBEDTLS_DIR := $(DEPS_DIR)/mbedtls-2.28.3
MBEDTLS_INC := -I$(MBEDTLS_DIR)/include -Iconfig \
               -DMBEDTLS_CONFIG_FILE='"mbedtls_config.h"'

MBEDTLS_LIBS := $(BUILD)/host/libmbedtls.a $(BUILD)/test/libmbedtls.a \
                $(BUILD)/arm/libmbedtls.a

# Empty until `make sources` has run; the sentinel below then stops the
# build with a message instead of archiving nothing.
MBEDTLS_SRC      := $(wildcard $(MBEDTLS_DIR)/library/*.c)
MBEDTLS_SENTINEL := $(MBEDTLS_DIR)/library/ssl_tls.c

# Third-party code: upstream's own -Wall -Wextra (clean with this
# configuration on gcc 12 and arm-none-eabi-gcc 12) and never -Werror, so a
# new compiler's warnings in code we do not own cannot break the build.
# Our own strict warning set is not applied to it.
MBEDTLS_WARN := -Wall -Wextra
# Our configuration leaves AES decryption out (MBEDTLS_AES_*_DEC_ALT), and
# with it every user of aes.c's inverse tables.
MBEDTLS_WARN += -Wno-unused-const-variable

MBEDTLS_CFLAGS := -std=c99 -g $(MBEDTLS_WARN) $(MBEDTLS_INC) -MMD -MP
# Each variant's switches of config/mbedtls_config.h. Host builds keep the
# error strings (they cost only flash) and have the client side (syslog
# over TLS); the
# firmware drops the strings and has no C library behind mbedTLS. The
# firmware's own objects are compiled with MBEDTLS_CONFIG_arm too (the
# Makefile's FW_CFLAGS), so they see the configuration the library has.
MBEDTLS_CONFIG_host := -DSMBWARDEN_MBEDTLS_ERROR_STRINGS -DSMBWARDEN_MBEDTLS_CLIENT
MBEDTLS_CONFIG_test := $(MBEDTLS_CONFIG_host)
MBEDTLS_CONFIG_fuzz := $(MBEDTLS_CONFIG_host)
MBEDTLS_CONFIG_arm  := -DSMBWARDEN_MBEDTLS_BARE_METAL
MBEDTLS_CFLAGS_host = -O2 $(MBEDTLS_CONFIG_host)
MBEDTLS_CFLAGS_test = -O1 $(MBEDTLS_CONFIG_test) $(SAN)
MBEDTLS_CFLAGS_fuzz = -O1 $(MBEDTLS_CONFIG_fuzz) -fsanitize=address,undefined -fno-sanitize-recover=all
MBEDTLS_CFLAGS_arm  = -mcpu=cortex-m3 -mthumb -Os -ffunction-sections \
                      -fdata-sections $(MBEDTLS_CONFIG_arm) -Ifirmware -flto -ffat-lto-objects

# The record layer's per-byte work on the firmware, built for speed: the
# Poly1305 and SHA-256 built -O2 (make bench-fw measures it; ChaCha20 is
# the firmware's own, firmware/chacha20.c, -O2 too).
MBEDTLS_FAST_arm := poly1305 sha256
$(patsubst %,$(BUILD)/arm/mbedtls/%.o,$(MBEDTLS_FAST_arm)): MBEDTLS_CFLAGS_arm += -O2

MBEDTLS_CC_host = $(CC)
MBEDTLS_CC_test = $(CC)
MBEDTLS_CC_fuzz = clang
MBEDTLS_CC_arm  = $(ARM_CC)
MBEDTLS_AR_host = $(AR)
MBEDTLS_AR_test = $(AR)
MBEDTLS_AR_fuzz = $(AR)
MBEDTLS_AR_arm  = arm-none-eabi-gcc-ar # its objects are for link-time optimization

# mbedtls_obj VARIANT: the object files of one variant.
mbedtls_obj = $(patsubst $(MBEDTLS_DIR)/library/%.c,$(BUILD)/$(1)/mbedtls/%.o,$(MBEDTLS_SRC))

# Keep whatever default goal the including Makefile has.
mbedtls_saved_goal := $(.DEFAULT_GOAL)

.PHONY: mbedtls-libs
mbedtls-libs: $(MBEDTLS_LIBS)

# A change of configuration or flags rebuilds everything.
MBEDTLS_DEPS := config/mbedtls_config.h config/mbedtls.mk

# One pattern rule per variant: each variant's objects live in their own
# directory, so `make -j` can build all three at once.
$(BUILD)/host/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_DEPS) | need-base
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(MBEDTLS_CC_host) $(MBEDTLS_CFLAGS) $(MBEDTLS_CFLAGS_host) -c $< -o $@

$(BUILD)/test/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_DEPS) | need-base
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(MBEDTLS_CC_test) $(MBEDTLS_CFLAGS) $(MBEDTLS_CFLAGS_test) -c $< -o $@

$(BUILD)/arm/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_DEPS) | need-arm
	@mkdir -p $(dir $@)
	$(call say,ARMCC,$<)$(MBEDTLS_CC_arm) $(MBEDTLS_CFLAGS) $(MBEDTLS_CFLAGS_arm) -c $< -o $@

# mbedtls_ar VARIANT: rebuild the archive from scratch (no stale members)
# under a temporary name, so an interrupted build never leaves a
# half-written library behind.
mbedtls_ar = $(call say,AR,$@)rm -f $@.tmp && \
	$(MBEDTLS_AR_$(1)) rcs $@.tmp $(filter %.o,$^) && mv $@.tmp $@

$(BUILD)/host/libmbedtls.a: $(MBEDTLS_SENTINEL) $(call mbedtls_obj,host)
	$(call mbedtls_ar,host)

$(BUILD)/test/libmbedtls.a: $(MBEDTLS_SENTINEL) $(call mbedtls_obj,test)
	$(call mbedtls_ar,test)

$(BUILD)/fuzz/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c $(MBEDTLS_DEPS) | need-fuzz
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(MBEDTLS_CC_fuzz) $(MBEDTLS_CFLAGS) $(MBEDTLS_CFLAGS_fuzz) -c $< -o $@

$(BUILD)/fuzz/libmbedtls.a: $(MBEDTLS_SENTINEL) $(call mbedtls_obj,fuzz)
	$(call mbedtls_ar,fuzz)

$(BUILD)/arm/libmbedtls.a: $(MBEDTLS_SENTINEL) $(call mbedtls_obj,arm)
	$(call mbedtls_ar,arm)

# Only reached when the sources are missing.
$(MBEDTLS_SENTINEL):
	@printf 'mbedtls: %s is missing: run make sources\n' '$(MBEDTLS_DIR)' >&2
	@exit 1

.DEFAULT_GOAL := $(mbedtls_saved_goal)
