# smbwarden - GNU Make build. `make` builds the host agent, `make run` starts
# it, `make test` installs what is missing and runs every test,
# `make core-size` prints the core's Cortex-M3 footprint.

BUILD    := build
DEPS_DIR := .deps
BOARD    ?= host

# Debian packages the build and tests need (installed by `make deps`).
PACKAGES := gcc make libc6-dev libcmocka-dev gcc-arm-none-eabi \
            binutils-arm-none-eabi libnewlib-arm-none-eabi python3 \
            xz-utils ca-certificates

CC       ?= gcc
ARM_CC   := arm-none-eabi-gcc
ARM_SIZE := arm-none-eabi-size

WARN     := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
            -Wmissing-prototypes -Werror
INC      := -Iagent -Ihal -Iconfig
CORE_SRC := $(wildcard agent/*.c)
SIM_SRC  := boards/sim/simsmb.c
HOST_SRC := boards/host/main.c boards/host/hal_posix.c boards/host/nv_file.c

CFLAGS_HOST := -std=c11 -O2 -g $(WARN) $(INC) -Iboards/sim -Iboards/host -MMD -MP
SAN         := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_TEST := -std=c11 -O1 -g $(WARN) -Wno-missing-prototypes $(INC) -Iboards/sim \
               -Iboards/host -Itests/unit $(SAN) -MMD -MP
ARM_FLAGS   := -std=c11 -mcpu=cortex-m3 -mthumb -Os -ffunction-sections \
               -fdata-sections $(WARN) $(INC)

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-5s %s\n' $(1) $(2);
endif

.PHONY: all run test check deps sources core-size clean
all: $(BUILD)/host/smbwarden

# ---- host agent --------------------------------------------------------
HOST_OBJ := $(patsubst %.c,$(BUILD)/host/obj/%.o,$(CORE_SRC) $(SIM_SRC) $(HOST_SRC))

$(BUILD)/host/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_HOST) -c $< -o $@

$(BUILD)/host/smbwarden: $(HOST_OBJ)
	$(call say,LD,$@)$(CC) -o $@ $^

run: $(BUILD)/host/smbwarden
	$(BUILD)/host/smbwarden --state ./.smbwarden

# ---- dependencies --------------------------------------------------------
deps:
	@bash config/deps.sh packages $(PACKAGES)

sources:
	@bash config/deps.sh sources $(DEPS_DIR)

# ---- tests -----------------------------------------------------------------
UNIT_NAMES := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst %,$(BUILD)/test/test_%,$(UNIT_NAMES))
FAKES      := $(wildcard tests/unit/fake_*.c)

$(BUILD)/test/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_TEST) -c $< -o $@

TEST_CORE_OBJ := $(patsubst %.c,$(BUILD)/test/obj/%.o,$(CORE_SRC))
TEST_FAKE_OBJ := $(patsubst %.c,$(BUILD)/test/obj/%.o,$(FAKES))
TEST_SIM_OBJ  := $(BUILD)/test/obj/boards/sim/simsmb.o
# Which objects a test links: the simulator alone, the core with the
# simulator as its SMB backend, or the core with every fake.
LINK_simsmb   := $(TEST_SIM_OBJ)
LINK_scenario := $(TEST_CORE_OBJ) $(TEST_SIM_OBJ) \
                 $(filter-out %/fake_smb.o,$(TEST_FAKE_OBJ))
LINK_default  := $(TEST_CORE_OBJ) $(TEST_FAKE_OBJ)

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/test/test_%: $(BUILD)/test/obj/tests/unit/test_%.o \
		$$(if $$(LINK_$$*),$$(LINK_$$*),$$(LINK_default))
	$(call say,LD,$@)$(CC) $(SAN) -o $@ $^ -lcmocka

# The host agent again, under the sanitizers, for the integration tests.
$(BUILD)/test/smbwarden: $(patsubst %.c,$(BUILD)/test/obj/%.o,$(CORE_SRC) $(SIM_SRC) $(HOST_SRC))
	$(call say,LD,$@)$(CC) $(SAN) -o $@ $^

test: deps sources
	@$(MAKE) --no-print-directory check

check: $(UNIT_BINS) $(BUILD)/test/smbwarden $(BUILD)/host/smbwarden core-objs
	@SMBWARDEN_BIN=$(BUILD)/test/smbwarden bash tests/run.sh $(UNIT_BINS)

# ---- core footprint on Cortex-M3 -------------------------------------------
ARM_OBJ := $(patsubst agent/%.c,$(BUILD)/core-arm/%.o,$(CORE_SRC))

$(BUILD)/core-arm/%.o: agent/%.c
	@mkdir -p $(dir $@)
	$(call say,ARMCC,$<)$(ARM_CC) $(ARM_FLAGS) -c $< -o $@

.PHONY: core-objs
core-objs: $(ARM_OBJ)

core-size: $(ARM_OBJ)
	@echo "agent/ for Cortex-M3 (-mthumb -Os), AGENT_RING_CAP default:"
	@$(ARM_SIZE) -t $(ARM_OBJ)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
