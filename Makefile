# smbwarden - GNU Make build.
#   make            the host agent, build/host/smbwarden
#   make run        the host agent on its built-in scenario, with dev TLS credentials
#   make test       installs what is missing, fetches pinned sources, runs every test
#   make BOARD=samba the agent for a Samba appliance, build/samba/smbwarden
#   make core-size  the core's and the management channel's Cortex-M3 footprint
#   make certs      a dev PKI under build/certs
#   make bench-mgmt requests and handshakes per second of the management API
#   make bench-samba the Samba board's costs beside smbstatus's, 100 sessions

.DEFAULT_GOAL := all
BUILD    := build
DEPS_DIR := .deps
BOARD    ?= host

# Debian packages, by what needs them. Every target installs what it needs
# first (config/deps.sh: a no-op once installed); `make deps` installs all.
PKG_base  := gcc make libc6-dev python3 xz-utils ca-certificates openssl git
PKG_samba := libjansson-dev
PKG_arm   := gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi \
             qemu-system-arm gdb-multiarch
PKG_lab   := samba smbclient python3-smbc iproute2
PKG_test  := libcmocka-dev curl prometheus systemd util-linux rsyslog rsyslog-gnutls chrony
PKG_fuzz  := clang libclang-rt-14-dev
PKG_bench := valgrind
PACKAGES  := $(PKG_base) $(PKG_samba) $(PKG_arm) $(PKG_lab) $(PKG_test) $(PKG_fuzz) $(PKG_bench)

CC       ?= gcc
ARM_CC   := arm-none-eabi-gcc
ARM_SIZE := arm-none-eabi-size
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-5s %s\n' $(1) $(2);
endif

include config/mbedtls.mk
include firmware/lwip.mk

# ---- what a fresh clone needs first -----------------------------------------
# The pinned lwIP and mbedTLS sources: every goal that builds fetches them
# before anything else (make includes $(SOURCES_MK), makes it, and starts
# again with the sources in place).
NO_SOURCES_GOALS := clean reset deps certs uninstall help
SOURCES_MK := $(DEPS_DIR)/sources.mk
ifneq ($(filter-out $(NO_SOURCES_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(SOURCES_MK)
endif
$(SOURCES_MK): config/deps.sh $(if $(wildcard $(MBEDTLS_SENTINEL) $(LWIP_DIR)/src/core/tcp.c),,FORCE)
	@bash config/deps.sh packages $(PKG_base)
	@bash config/deps.sh sources $(DEPS_DIR)
	@echo '# written by the Makefile once the pinned sources are in place' >$@

# need-SET: the Debian packages of one set (order-only prerequisites).
.PHONY: FORCE need-base need-samba need-arm need-lab need-test need-fuzz need-bench
FORCE:
need-base need-samba need-arm need-lab need-test need-fuzz need-bench:
	@bash config/deps.sh packages $(PKG_$(@:need-%=%))

WARN     := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
            -Wmissing-prototypes -Werror
INC      := -Iagent -Iagent/mgmt -Ihal -Iboards/common -Iconfig $(MBEDTLS_INC)
CORE_SRC := $(wildcard agent/*.c)
MGMT_SRC := $(wildcard agent/mgmt/*.c)
# The parts of the management channel that need no mbedTLS.
MGMT_PORTABLE := agent/mgmt/http.c agent/mgmt/json.c
SIM_SRC  := boards/sim/simsmb.c
HOST_SRC := boards/host/main.c boards/host/host_main.c boards/host/hal_posix.c boards/host/nv_file.c \
            boards/common/nv_emul.c \
            boards/host/net_posix.c
AGENT_SRC := $(CORE_SRC) $(MGMT_SRC) $(SIM_SRC) $(HOST_SRC)

# The Linux boards are optimized at the link too, as the firmware is: the
# core's small calls across files (an event, a leak row, a CRC) inlined.
CFLAGS_HOST := -std=c11 -O2 -g -flto=auto $(WARN) $(INC) -Iboards/sim -Iboards/host -MMD -MP
HOST_LD     := $(CC) -O2 -g -flto=auto
CFLAGS_TEST := -std=c11 -O1 -g $(WARN) -Wno-missing-prototypes $(INC) -Iboards/sim \
               -Iboards/host -Iboards/lm3s6965evb -Iboards/samba -Itests/unit $(SAN) -MMD -MP
# The Linux boards keep the event log across restarts in their NV file
# (pages 32..127), log longer audit details and send events to a syslog
# collector over TLS too (see agent/agent_opt.h); their code sees the
# mbedTLS configuration their library is built with.
LINUX_DEFS  := -DAGENT_NV_EVENT_PAGES=96 -DAGENT_LEAK_CAP=40 -DAGENT_CRC_TABLE_BYTES=1 -DAGENT_EVENT_MORE_MAX=160 -DAGENT_LOG_TLS=1 \
               $(MBEDTLS_CONFIG_host)
# A poll of the built Linux boards (and of bench-core) takes 32 records a
# batch and finishes 2,048 units of a sample: four times the default bound,
# under 0.2 ms on a PC, so a sample of thousands pays fewer polls' fixed
# cost. The unit tests keep the defaults their batch boundaries are
# written for.
LINUX_POLL  := -DAGENT_SAMPLE_BATCH=32 -DAGENT_FINISH_WORK=2048
CFLAGS_HOST += $(LINUX_DEFS) $(LINUX_POLL)
CFLAGS_TEST += $(LINUX_DEFS)
ARM_FLAGS   := -std=c11 -mcpu=cortex-m3 -mthumb -Os -ffunction-sections -DAGENT_RING_INDEX=0 \
               -fdata-sections $(WARN) $(INC)

.PHONY: all run test check deps sources core-size certs bench-mgmt clean install uninstall
ALL_host        := $(BUILD)/host/smbwarden
ALL_samba       := $(BUILD)/samba/smbwarden
ALL_lm3s6965evb := firmware
all: $(ALL_$(BOARD))
ifeq ($(ALL_$(BOARD)),)
$(error BOARD=$(BOARD): boards are host, samba and lm3s6965evb)
endif

# ---- host agent --------------------------------------------------------
HOST_OBJ := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(AGENT_SRC))

# Objects depend on this file as well: a change of its flags rebuilds them.
$(BUILD)/host/obj/%.o: %.c Makefile | need-base
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_HOST) -c $< -o $@

$(BUILD)/host/smbwarden: $(HOST_OBJ) $(BUILD)/host/libmbedtls.a
	$(call say,LD,$@)$(HOST_LD) -o $@ $^

# ---- Samba board: the agent on a Linux appliance serving SMB with Samba ----
SAMBA_SRC  := $(CORE_SRC) $(MGMT_SRC) $(filter-out boards/host/main.c,$(HOST_SRC)) \
              $(wildcard boards/samba/*.c)
# A real server has more sessions than the simulator: a larger ring, and
# an event ring that holds a sample's events of them (see agent/agent_opt.h).
SAMBA_DEFS := -DAGENT_RING_CAP=4096 -DAGENT_EVENT_CAP=4096 -DAGENT_EVENT_SUBJECT_MAX=96 -Iboards/samba
SAMBA_LIBS := -ljansson

$(BUILD)/samba/obj/%.o: %.c Makefile | need-base need-samba
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_HOST) $(SAMBA_DEFS) -c $< -o $@

$(BUILD)/samba/smbwarden: $(patsubst %.c,$(BUILD)/samba/obj/%.o,$(SAMBA_SRC)) \
		$(BUILD)/host/libmbedtls.a
	$(call say,LD,$@)$(HOST_LD) -o $@ $^ $(SAMBA_LIBS)

CERTS := $(BUILD)/certs
certs: | need-base
	@bash config/certs.sh $(CERTS)

# The demo's state (settings, credentials, NV) lives here; FRESH=1 or
# `make reset` starts from the defaults again.
RUN_STATE := $(BUILD)/run-state
run: $(BUILD)/host/smbwarden certs
	$(if $(FRESH),@rm -rf $(RUN_STATE))
	@echo "State: $(RUN_STATE) (settings you save stay; 'make run FRESH=1' or 'make reset' starts afresh)."
	@echo "Leave with 'exit' or ctrl-D. Poll the management API from another terminal, for example:"
	@echo "  curl --cacert $(CERTS)/ca.crt --cert $(CERTS)/operator.crt --key $(CERTS)/operator.key https://localhost:8443/v1/sessions"
	@$(BUILD)/host/smbwarden --state $(RUN_STATE) --tls-cert $(CERTS)/device.crt \
		--tls-key $(CERTS)/device.key --tls-ca $(CERTS)/ca.crt

.PHONY: reset
reset:
	rm -rf $(RUN_STATE) $(QEMU_STATE)

# ---- install: the Samba board as a system service ---------------------------
PREFIX  ?= /usr/local
SBINDIR := $(PREFIX)/sbin
UNITDIR := $(PREFIX)/lib/systemd/system
DOCDIR  := $(PREFIX)/share/doc/smbwarden
INSTALLED := $(SBINDIR)/smbwarden $(UNITDIR)/smbwarden-samba.service $(DOCDIR)/README.md \
             $(DOCDIR)/examples/prometheus.yml $(DOCDIR)/examples/smbwarden-alerts.yml
install: $(BUILD)/samba/smbwarden
	install -D -m 0755 $(BUILD)/samba/smbwarden $(DESTDIR)$(SBINDIR)/smbwarden
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/usr/local/share/doc/smbwarden/|$(DOCDIR)/|g' \
		-e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g' \
		config/smbwarden-samba.service >$(DESTDIR)$(UNITDIR)/smbwarden-samba.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/smbwarden-samba.service
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 -t $(DESTDIR)$(DOCDIR)/examples config/prometheus.yml \
		config/smbwarden-alerts.yml

# The directories of its own it made go too, once empty (the unit's
# directory and its parent are not there on a plain Debian).
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir --ignore-fail-on-non-empty $(addprefix $(DESTDIR),$(DOCDIR)/examples $(DOCDIR) \
		$(UNITDIR) $(dir $(UNITDIR))) 2>/dev/null || true

# ---- dependencies --------------------------------------------------------
deps:
	@bash config/deps.sh packages $(PACKAGES)

sources:
	@bash config/deps.sh sources $(DEPS_DIR)

# ---- tests -----------------------------------------------------------------
UNIT_NAMES := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst %,$(BUILD)/test/test_%,$(UNIT_NAMES)) $(BUILD)/test/test_audit_bigring
FAKES      := $(wildcard tests/unit/fake_*.c)

$(BUILD)/test/obj/%.o: %.c Makefile | need-base need-samba need-test
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_TEST) -c $< -o $@

test_obj = $(patsubst %.c,$(BUILD)/test/obj/%.o,$(1))
TEST_CORE_OBJ := $(call test_obj,$(CORE_SRC) $(MGMT_PORTABLE))
TEST_FAKE_OBJ := $(call test_obj,$(FAKES))
TEST_SIM_OBJ  := $(call test_obj,$(SIM_SRC))
# Which objects a test links: the simulator alone (with the core's text
# helpers: it matches names as the core keeps them), the core with the
# simulator as its SMB backend, or the core with every fake.
LINK_simsmb   := $(TEST_SIM_OBJ) $(call test_obj,agent/text.c)
LINK_scenario := $(TEST_CORE_OBJ) $(TEST_SIM_OBJ) \
                 $(filter-out %/fake_smb.o,$(TEST_FAKE_OBJ))
LINK_default  := $(TEST_CORE_OBJ) $(TEST_FAKE_OBJ)
LINK_api      := $(LINK_default) $(call test_obj,agent/mgmt/api.c agent/mgmt/creds.c)
LINK_logsend  := $(LINK_default) $(call test_obj,agent/mgmt/logsend.c)
LINK_powercut := $(LINK_default) $(call test_obj,agent/mgmt/creds.c)
# The firmware's flash driver on the controller's register model, in place
# of the fake flash.
FLASH_MODEL   := $(call test_obj,boards/lm3s6965evb/nv_flash.c tests/unit/flash_model.c)
LINK_powercut_flash := $(filter-out %/fake_nv.o,$(LINK_powercut)) $(FLASH_MODEL)
LINK_nv_flash := $(call test_obj,agent/nvrec.c) $(FLASH_MODEL)
LINK_activation := $(LINK_powercut_flash) $(call test_obj,agent/mgmt/tls.c agent/mgmt/ticket.c) \
                   $(BUILD)/test/libmbedtls.a
# The Samba board's pieces that need no server (their own tests).
LINK_smbjson  := $(call test_obj,boards/samba/smbjson.c)
LINK_tcpact   := $(call test_obj,boards/samba/tcpact.c boards/samba/smbjson.c)
LINK_child    := $(call test_obj,boards/samba/child.c)
LINK_procstat := $(call test_obj,boards/samba/procstat.c)
# The firmware's own ChaCha20 (in place of mbedTLS's), on the host.
LINK_chacha20 := $(call test_obj,firmware/chacha20.c) $(BUILD)/test/libmbedtls.a
# Session tickets, on the host's mbedTLS (as configured: tls.c stands in
# for the AES decryption the configuration leaves out).
LINK_ticket   := $(LINK_activation)
$(call test_obj,firmware/chacha20.c tests/unit/test_chacha20.c): CFLAGS_TEST += -DMBEDTLS_CHACHA20_ALT -Ifirmware
# The firmware's own C library functions, under other names (the test
# includes them).
LINK_libc_small := $(call test_obj,agent/text.c)
LIBS_smbjson  := -ljansson
LIBS_tcpact   := -ljansson

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/test/test_%: $(BUILD)/test/obj/tests/unit/test_%.o \
		$$(if $$(LINK_$$*),$$(LINK_$$*),$$(LINK_default))
	$(call say,LD,$@)$(CC) $(SAN) -o $@ $^ -lcmocka $(LIBS_$*)

# The host agent again, under the sanitizers, for the integration tests.
$(BUILD)/test/smbwarden: $(call test_obj,$(AGENT_SRC)) $(BUILD)/test/libmbedtls.a
	$(call say,LD,$@)$(CC) $(SAN) -o $@ $^

# The audit trail's tests again with an event ring larger than the NV log,
# as the Samba board has, and a table whose sample can make more events
# for the log than it holds.
$(BUILD)/test/test_audit_bigring: tests/unit/test_audit.c $(CORE_SRC) $(MGMT_PORTABLE) $(FAKES) \
		$(wildcard agent/*.h tests/unit/*.h) Makefile | need-base need-test
	$(call say,CC,$@)$(CC) $(filter-out -MMD -MP,$(CFLAGS_TEST)) -DAGENT_EVENT_CAP=1024 \
		-DAGENT_RING_CAP=1024 -DFAKE_SMB_MAX=1024 $(filter %.c,$^) -o $@ -lcmocka

# The Samba board under the sanitizers, for its end-to-end tests.
$(BUILD)/test-samba/obj/%.o: %.c Makefile | need-base need-samba need-test
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_TEST) $(SAMBA_DEFS) $(LINUX_POLL) -c $< -o $@

$(BUILD)/test-samba/smbwarden: $(patsubst %.c,$(BUILD)/test-samba/obj/%.o,$(SAMBA_SRC)) \
		$(BUILD)/test/libmbedtls.a
	$(call say,LD,$@)$(CC) $(SAN) -o $@ $^ $(SAMBA_LIBS)

# The core with and without its ring indexes, on the same random samples
# (tests/integration/test_ring_index.sh compares their traces); trace_sweep
# is the one without indexes that also finishes every sample by the general
# sweep (no FIN_KEPT).
TRACE_SRC := tests/equiv/policy_trace.c $(CORE_SRC) $(FAKES)
$(BUILD)/test/trace_%: $(TRACE_SRC) $(wildcard agent/*.h tests/unit/*.h) tests/bench/bench_table.h Makefile | need-base need-test
	$(call say,CC,$@)$(CC) $(filter-out -MMD -MP,$(CFLAGS_TEST)) -DAGENT_RING_CAP=40 -DFAKE_SMB_MAX=120 -DAGENT_FINISH_WORK=7 -DAGENT_EVENT_CAP=1024 \
		-DAGENT_RING_INDEX=$(if $(filter index,$*),1,0) -DAGENT_KEPT_PASS=$(if $(filter sweep,$*),0,1) \
		-Itests/bench $(TRACE_SRC) -o $@

test: deps sources
	@$(MAKE) --no-print-directory check

check: $(UNIT_BINS) $(BUILD)/test/trace_index $(BUILD)/test/trace_scan $(BUILD)/test/trace_sweep $(BUILD)/test/smbwarden $(BUILD)/host/smbwarden core-objs fuzz-replay \
		$(BUILD)/test-samba/smbwarden $(BUILD)/samba/smbwarden \
		$(BUILD)/arm/libmbedtls.a certs firmware firmware-flash firmware-prov
	@SMBWARDEN_BIN=$(BUILD)/test/smbwarden SMBWARDEN_SAMBA_BIN=$(BUILD)/test-samba/smbwarden \
		CERTS=$(CERTS) FUZZ_DIR=$(FUZZ_DIR) FUZZ_TARGETS="$(FUZZ_TARGETS)" bash tests/run.sh $(UNIT_BINS)

# ---- long runs ----------------------------------------------------------
# tests/integration/test_soak.py at full length: the firmware until 10,000
# polls and 24 h of guest time, the host and Samba agents for 30 minutes
# (about 80 minutes in all; needs root). make test runs its short version.
.PHONY: soak soak-run
soak: deps sources
	@$(MAKE) --no-print-directory soak-run
soak-run: $(BUILD)/host/smbwarden $(BUILD)/samba/smbwarden certs firmware-prov
	@SMBW_SOAK=long CERTS=$(CERTS) python3 tests/integration/test_soak.py

# ---- fuzzing (tests/fuzz) ----------------------------------------------
# Each target is built twice with clang, ASan and UBSan: with libFuzzer
# (make fuzz: FUZZ_SECONDS a target, on the corpus kept in build/fuzz and
# the seeds tests/fuzz/seeds.py writes; a crash input is saved in
# tests/fuzz/crashes/TARGET/ to be committed with its fix), and with
# tests/fuzz/replay.c, which make test runs over the seeds, the corpus and
# every saved crash input.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := http api console nv scenario smbjson netlink procstat creds mgmt ticket
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all $(INC) $(LINUX_DEFS) -Iboards/sim -Iboards/host \
                -Iboards/samba -Itests/unit -Itests/fuzz
FUZZ_CORE    := $(CORE_SRC) $(FAKES) agent/mgmt/http.c agent/mgmt/json.c
FUZZ_SRC_http     := agent/mgmt/http.c agent/text.c
FUZZ_SRC_api      := $(FUZZ_CORE) agent/mgmt/api.c agent/mgmt/creds.c tests/fuzz/api_stubs.c
FUZZ_SRC_nv       := $(FUZZ_CORE)
FUZZ_SRC_scenario := boards/sim/simsmb.c agent/text.c tests/unit/fake_clock.c
FUZZ_SRC_smbjson  := boards/samba/smbjson.c
FUZZ_SRC_netlink  := boards/samba/tcpact.c boards/samba/smbjson.c
FUZZ_SRC_procstat := boards/samba/procstat.c
FUZZ_SRC_creds    := $(FUZZ_CORE) agent/mgmt/tls.c agent/mgmt/ticket.c agent/mgmt/creds.c $(BUILD)/fuzz/libmbedtls.a
FUZZ_SRC_mgmt     := $(filter-out $(FUZZ_CORE),$(wildcard agent/mgmt/*.c)) $(FUZZ_CORE) \
                     tests/fuzz/fuzz_net.c $(BUILD)/fuzz/libmbedtls.a
FUZZ_SRC_console  := $(FUZZ_SRC_mgmt)
FUZZ_SRC_ticket   := $(FUZZ_SRC_creds)
FUZZ_LIBS_smbjson := -ljansson
FUZZ_LIBS_netlink := -ljansson
FUZZ_HDRS := $(wildcard agent/*.h agent/mgmt/*.h hal/*.h tests/unit/*.h tests/fuzz/*.h boards/*/*.h)
FUZZ_BINS   := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
REPLAY_BINS := $(patsubst %,$(FUZZ_DIR)/replay_%,$(FUZZ_TARGETS))

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(FUZZ_HDRS) | need-fuzz need-samba
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)clang $(FUZZ_FLAGS) $(FUZZ_CFLAGS_$*) -fsanitize=fuzzer $< $(FUZZ_SRC_$*) -o $@ $(FUZZ_LIBS_$*)

$(FUZZ_DIR)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $$(FUZZ_SRC_$$*) $(FUZZ_HDRS) | need-fuzz need-samba
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)clang $(FUZZ_FLAGS) $(FUZZ_CFLAGS_$*) $< tests/fuzz/replay.c $(FUZZ_SRC_$*) -o $@ $(FUZZ_LIBS_$*)

$(FUZZ_DIR)/seeds/.made: tests/fuzz/seeds.py | need-base certs
	@rm -rf $(FUZZ_DIR)/seeds && CERTS=$(CERTS) python3 tests/fuzz/seeds.py $(FUZZ_DIR)/seeds && touch $@

.PHONY: fuzz fuzz-replay
fuzz: $(FUZZ_BINS) $(FUZZ_DIR)/seeds/.made
	@FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-replay: $(REPLAY_BINS) $(FUZZ_DIR)/seeds/.made

bench-mgmt: $(BUILD)/host/smbwarden certs $(BUILD)/bench/bench_api_64 $(BUILD)/bench/bench_api_4096
	@python3 tests/bench/bench_api.py $(BUILD)/bench
	@SMBWARDEN_BIN=$(BUILD)/host/smbwarden CERTS=$(CERTS) python3 tests/bench/bench_mgmt.py

# The core's cost per sample (callgrind), built with AGENT_RING_CAP at each size.
BENCH_CORE_SIZES := 64 256 1024 4096
BENCH_CORE_BINS  := $(patsubst %,$(BUILD)/bench/bench_core_%,$(BENCH_CORE_SIZES))
$(BUILD)/bench/bench_core_%: tests/bench/bench_core.c tests/bench/bench_table.h $(CORE_SRC) $(FAKES) $(FUZZ_HDRS) Makefile | need-base need-test need-bench
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -std=c11 -O2 -g -flto=auto $(INC) $(LINUX_DEFS) $(LINUX_POLL) -Itests/unit -DAGENT_RING_CAP=$* \
		-DFAKE_SMB_MAX=$* tests/bench/bench_core.c $(CORE_SRC) $(FAKES) -o $@

.PHONY: bench-core
bench-core: $(BENCH_CORE_BINS)
	@python3 tests/bench/bench_core.py $(BUILD)/bench

# GET /v1/sessions before encryption (callgrind), at 64 and 4096 sessions.
$(BUILD)/bench/bench_api_%: tests/bench/bench_api.c tests/bench/bench_table.h $(CORE_SRC) $(FAKES) agent/mgmt/api.c agent/mgmt/creds.c \
		agent/mgmt/http.c agent/mgmt/json.c tests/fuzz/api_stubs.c $(FUZZ_HDRS) Makefile | need-base need-test need-bench
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -std=c11 -O2 -g -flto=auto $(INC) $(LINUX_DEFS) $(LINUX_POLL) -Itests/unit -DAGENT_RING_CAP=$* \
		-DFAKE_SMB_MAX=$* $(filter %.c,$^) -o $@

# The Samba board with 100 real sessions, against smbstatus (needs root).
.PHONY: bench-samba
bench-samba: $(BUILD)/samba/smbwarden certs | need-lab
	@SMBWARDEN_SAMBA_BIN=$(BUILD)/samba/smbwarden CERTS=$(CERTS) python3 tests/bench/bench_samba.py

# ---- footprint on Cortex-M3 ---------------------------------------------------
arm_obj = $(patsubst %.c,$(BUILD)/core-arm/%.o,$(1))
ARM_CORE_OBJ := $(call arm_obj,$(CORE_SRC))
ARM_MGMT_OBJ := $(call arm_obj,$(MGMT_SRC))

# With their headers' dependencies and the flags in this file, so a figure
# is never an old object's.
$(BUILD)/core-arm/%.o: %.c Makefile | need-arm
	@mkdir -p $(dir $@)
	$(call say,ARMCC,$<)$(ARM_CC) $(ARM_FLAGS) -MMD -MP -c $< -o $@

.PHONY: core-objs
core-objs: $(ARM_CORE_OBJ) $(ARM_MGMT_OBJ)

core-size: $(ARM_CORE_OBJ) $(ARM_MGMT_OBJ)
	@echo "agent/ core for Cortex-M3 (-mthumb -Os), AGENT_RING_CAP default:"
	@$(ARM_SIZE) -t $(ARM_CORE_OBJ)
	@echo
	@echo "agent/mgmt/ management channel (mbedTLS itself not included):"
	@$(ARM_SIZE) -t $(ARM_MGMT_OBJ)

# ---- firmware: TI LM3S6965EVB (Cortex-M3), booted under QEMU --------------------
FW_BOARD := lm3s6965evb
FW_DIR   := $(BUILD)/$(FW_BOARD)
# FW_NV=semihost (QEMU, the default) or FW_NV=flash (real hardware).
FW_NV    ?= semihost
FW_NV_SRC_semihost := boards/$(FW_BOARD)/nv_semihost.c boards/common/nv_emul.c
FW_NV_SRC_flash    := boards/$(FW_BOARD)/nv_flash.c boards/$(FW_BOARD)/flashc_regs.c
# FW_NET=none (console only) or FW_NET=lwip (the management channel on lwIP).
FW_NET   ?= lwip
FW_NET_SRC_none := firmware/net_none.c
FW_NET_SRC_lwip  = firmware/net_lwip.c firmware/net_out.c firmware/net_rand.c boards/$(FW_BOARD)/eth.c $(LWIP_SRC)
# PROVISION=DIR builds DIR's credentials (and a fresh seed) into the image.
FW_PROV_SRC := $(if $(PROVISION),$(FW_DIR)/provision_data.c,firmware/provision_none.c)
FW_SRC   := $(CORE_SRC) $(MGMT_SRC) $(SIM_SRC) firmware/main.c firmware/panic.c \
            firmware/mbedtls_platform.c firmware/chacha20.c firmware/libc_small.c firmware/provision.c \
            $(FW_PROV_SRC) \
            $(filter-out $(FW_NV_SRC_semihost) $(FW_NV_SRC_flash) boards/$(FW_BOARD)/eth.c, \
                         $(wildcard boards/$(FW_BOARD)/*.c)) \
            $(FW_NV_SRC_$(FW_NV)) $(FW_NET_SRC_$(FW_NET))
FW_OBJ   := $(patsubst %.c,$(FW_DIR)/obj/%.o,$(FW_SRC))
# Live sessions the simulator holds: the built-in scenario's server admits 10.
FW_SIM_MAX ?= 32
# Records sampled a poll (batches of one: no RAM for more).
FW_SAMPLE_PER_POLL ?= 32
# One management connection at a time, and a TLS pool sized for its handshake.
# MBEDTLS_CONFIG_arm: the switches the firmware's mbedTLS is built with
# (config/mbedtls.mk), so every object sees the same configuration.
FW_CFLAGS := $(ARM_FLAGS) -g -Iboards/$(FW_BOARD) -Iboards/sim -Ifirmware $(LWIP_INC) -MMD -MP \
             $(MBEDTLS_CONFIG_arm) \
             -DMGMT_CONN_MAX=1 -DMGMT_OUT_MAX=1536 -DTLS_CHACHA_FIRST=1 -DMGMT_LOBBY_MAX=9 -DMGMT_FULL_HS_BURST=8 -DMGMT_FULL_HS_EVERY_MS=250 -DMGMT_SOURCES=4 \
             -DTLS_POOL_SIZE=24576 $(if $(filter flash,$(FW_NV)),-DFW_NV_FLASH) \
             -DAGENT_EVENT_CAP=32 -DAGENT_EVENT_MORE_MAX=40 -DAGENT_SAMPLE_BATCH=1 -DAGENT_SAMPLE_BATCHES_PER_POLL=$(FW_SAMPLE_PER_POLL) \
             -DAGENT_CONSOLE_OUT_MAX=320 -DSIMSMB_LINES_MAX=16 \
             -DSIMSMB_SESSIONS_MAX=$(FW_SIM_MAX) -flto -ffat-lto-objects $(FW_EXTRA)

# -Os at the link too: without it the link-time inliner works at the highest
# level of any object (-O2, the record cipher's), 568 bytes more for no speed.
FW_LDFLAGS := -mcpu=cortex-m3 -mthumb -flto=auto -Os -nostartfiles -Wl,--gc-sections \
              -T boards/$(FW_BOARD)/lm3s6965.ld -specs=nano.specs -specs=nosys.specs \
              -Wl,-Map=$(FW_DIR)/smbwarden.map
FW_ELF   := $(FW_DIR)/smbwarden.elf
QEMU_FLAGS := -M lm3s6965evb -nographic -semihosting-config enable=on,target=native

# The record cipher's per-byte work is built for speed (make bench-fw).
$(FW_DIR)/obj/firmware/chacha20.o: FW_CFLAGS += -O2

# Its flags are in this file: a change to them rebuilds the image.
$(FW_DIR)/obj/%.o: %.c Makefile | need-arm
	@mkdir -p $(dir $@)
	$(call say,ARMCC,$<)$(ARM_CC) $(FW_CFLAGS) -c $< -o $@

$(FW_ELF): $(FW_OBJ) $(BUILD)/arm/libmbedtls.a boards/$(FW_BOARD)/lm3s6965.ld
	$(call say,LD,$@)$(ARM_CC) $(FW_LDFLAGS) -o $@ $(FW_OBJ) $(BUILD)/arm/libmbedtls.a

$(FW_DIR)/provision_data.c: $(wildcard $(PROVISION)/*) firmware/provision.py
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)python3 firmware/provision.py $(PROVISION) $@

$(FW_DIR)/obj/$(FW_DIR)/provision_data.o: $(FW_DIR)/provision_data.c Makefile
	@mkdir -p $(dir $@)
	$(call say,ARMCC,$<)$(ARM_CC) $(FW_CFLAGS) -c $< -o $@

.PHONY: firmware firmware-flash firmware-prov qemu size bench-fw
size: $(FW_ELF) certs
	@CERTS=$(CERTS) SMBWARDEN_FW=$(FW_ELF) python3 firmware/size.py
firmware: $(FW_ELF)

# Cycle figures: an image that times its own work, run under QEMU -icount.
bench-fw: certs
	@$(MAKE) --no-print-directory firmware PROVISION=$(CERTS) FW_DIR=$(BUILD)/$(FW_BOARD)-prof \
		FW_EXTRA="-DFW_PROFILE" FW_SAMPLE_PER_POLL=64 FW_SIM_MAX=80
	@CERTS=$(CERTS) SMBWARDEN_FW=$(BUILD)/$(FW_BOARD)-prof/smbwarden.elf python3 tests/bench/bench_fw.py

# An image with the dev credentials built in (see PROVISION), for the tests.
firmware-prov: certs
	@$(MAKE) --no-print-directory firmware PROVISION=$(CERTS) FW_DIR=$(BUILD)/$(FW_BOARD)-prov

# The image for real hardware (NV in the chip's flash), built so it cannot rot.
firmware-flash:
	@$(MAKE) --no-print-directory firmware FW_NV=flash FW_DIR=$(BUILD)/$(FW_BOARD)-flash

# The management port of the board (8443) appears on 127.0.0.1:$(QEMU_MGMT_PORT).
QEMU_MGMT_PORT ?= 9443
# QEMU's NV image (smbwarden-nv.bin, semihosting) is kept in $(QEMU_STATE).
QEMU_STATE := $(BUILD)/qemu-state
qemu: $(FW_ELF)
	@mkdir -p $(QEMU_STATE)
	@echo "NV image: $(QEMU_STATE)/smbwarden-nv.bin ('make reset' starts afresh). Leave QEMU with ctrl-A x."
	cd $(QEMU_STATE) && qemu-system-arm $(QEMU_FLAGS) \
		-nic user,hostfwd=tcp:127.0.0.1:$(QEMU_MGMT_PORT)-:8443 -kernel $(abspath $(FW_ELF))

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
