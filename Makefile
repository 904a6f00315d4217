# Bulkhead top-level build.
#
#   make          build everything into build/ (binaries in build/bin/)
#   make deps     install the Debian packages that build, test and run need
#   make test     unit tests, integration tests (a subset also in the nested SVM
#                 lane, tests/svm/), then both again under ASan+UBSan
#   make test-svm every integration test in the nested SVM lane, both L1 kernels
#   make run      boot the default layout in examples/
#   make bench    run bench/ and write build/bench/results.jsonl
#
# SAN=1 builds the host side with ASan+UBSan into build/asan/ instead.

SHELL := /bin/bash
CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif

ifeq ($(SAN),1)
B := build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B := build
SANFLAGS :=
endif

# Guest images are freestanding and never sanitized, so both builds share them.
G := build/guest

HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wvla \
	-D_GNU_SOURCE -D__XEN_INTERFACE_VERSION__=0x00040e00 -Iinclude -Ilib -Ihypervisor -Ixsm-flask $(SANFLAGS) $(EXTRA_CFLAGS)
HOST_LDFLAGS := $(SANFLAGS) -pthread

GCC_INC := $(shell $(CC) -print-file-name=include)
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-builtin \
	-fno-tree-loop-distribute-patterns \
	-mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-D__XEN_INTERFACE_VERSION__=0x00040e00 -nostdinc -isystem $(GCC_INC) -I$(G)/include -Istubdom/include -Iinclude
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

DEPS_STAMP := build/.deps-ok

LIB_SRCS := $(wildcard lib/*.c)
HV_SRCS := $(filter-out hypervisor/main.c,$(wildcard hypervisor/*.c)) $(wildcard xsm-flask/*.c)
# libsepol is linked statically: its security-server internals are not in the .so.
# Its path is found by the shell when a link recipe runs, after $(DEPS_STAMP) has
# installed libsepol-dev: nothing evaluated while make reads this file may depend on
# a package that `make deps` installs.
SEPOL_A = $$($(CC) -print-file-name=libsepol.a)
# Measured boot: tpm2-tss (ESYS, the TCTI loader, marshalling) and OpenSSL's digests.
TPM_LIBS := -ltss2-esys -ltss2-tctildr -ltss2-mu -ltss2-rc -lcrypto
LIB_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS))
HV_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(HV_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

BENCH_HOST_SRCS := $(wildcard bench/*.c)
BENCH_HOST_BINS := $(patsubst bench/%.c,$(B)/bin/%,$(BENCH_HOST_SRCS))

# Host tools: each folder under tools/ is one program, linked with lib/.
TOOLS := $(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/*.c))))
TOOL_BINS := $(patsubst %,$(B)/bin/%,$(sort $(TOOLS)))

KERNEL_SRCS := $(wildcard stubdom/kernel/*.c) $(wildcard stubdom/kernel/*.S)
KERNEL_OBJS := $(patsubst %,$(G)/obj/%.o,$(KERNEL_SRCS))
APPS := $(notdir $(wildcard stubdom/apps/*))
APP_ELFS := $(patsubst %,$(G)/%.elf,$(APPS))

.PHONY: all deps test test-unit test-integration test-svm run bench clean guests host
.SECONDARY:
.SECONDEXPANSION:

all: host guests policy

host: $(DEPS_STAMP) $(B)/bin/bulkhead $(B)/bin/bulkhead-test $(UNIT_BINS) $(BENCH_HOST_BINS) $(TOOL_BINS)
guests: $(DEPS_STAMP) $(APP_ELFS) $(G)/liblwip.a

deps:
	@scripts/deps.sh install
	@mkdir -p build && touch $(DEPS_STAMP)

$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh install
	@mkdir -p build && touch $@

# ---- host side -------------------------------------------------------------

$(B)/obj/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(B)/lib/libbh.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/lib/libhv.a: $(HV_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/bin/bulkhead: $(B)/obj/hypervisor/main.o $(B)/lib/libhv.a $(B)/lib/libbh.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) $^ $(SEPOL_A) -lseccomp $(TPM_LIBS) -o $@

# The same with test-only triggers (BH_TEST_TRIGGERS): for the tests, never installed.
# The files that have triggers are built again with them and linked before libhv.a,
# so that their objects in it are not used.
TEST_TRIGGER_SRCS := hypervisor/main.c hypervisor/domctl.c
TEST_TRIGGER_OBJS := $(patsubst %.c,$(B)/obj/test-triggers/%.o,$(TEST_TRIGGER_SRCS))

$(B)/obj/test-triggers/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -DBH_TEST_TRIGGERS -MMD -MP -c $< -o $@

$(B)/bin/bulkhead-test: $(TEST_TRIGGER_OBJS) $(B)/lib/libhv.a $(B)/lib/libbh.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) $^ $(SEPOL_A) -lseccomp $(TPM_LIBS) -o $@

$(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o $(B)/lib/libhv.a $(B)/lib/libbh.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) $^ $(SEPOL_A) -lseccomp $(TPM_LIBS) -lcmocka -o $@

# test_vcpu sees each join and kill vcpu.c makes (tests/unit/test_vcpu.c).
$(B)/tests/test_vcpu: HOST_LDFLAGS += -Wl,--wrap=pthread_join,--wrap=pthread_kill

# The service race test finds its hand-built domain through domain_get and
# runs the guest at each unlock of the service's lock (its header comment).
$(B)/tests/test_service_race: HOST_LDFLAGS += -Wl,--wrap=domain_get -Wl,--wrap=pthread_mutex_unlock

# bh-xenstored's store (tools/bh-xenstored/*.c but the daemon and its ring transport),
# for its unit test.
$(B)/tests/test_xenstore: $(patsubst %.c,$(B)/obj/%.o,$(filter-out tools/bh-xenstored/main.c \
	tools/bh-xenstored/xs_ring.c,$(wildcard tools/bh-xenstored/*.c)))

$(TOOL_BINS): $(B)/bin/%: $$(addprefix $(B)/obj/,$$(subst .c,.o,$$(wildcard tools/$$*/*.c))) $(B)/lib/libbh.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) $^ $(TPM_LIBS) -o $@

$(B)/bin/%: $(B)/obj/bench/%.o $(B)/lib/libhv.a $(B)/lib/libbh.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) $^ $(SEPOL_A) -lseccomp $(TPM_LIBS) -o $@

# ---- guest side ------------------------------------------------------------

$(G)/include/xen:
	@mkdir -p $(G)/include
	ln -sfn /usr/include/xen $@

$(G)/obj/%.c.o: %.c $(DEPS_STAMP) | $(G)/include/xen
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -include stdint.h -MMD -MP -c $< -o $@

$(G)/obj/%.S.o: %.S $(DEPS_STAMP) | $(G)/include/xen
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

$(G)/libkernel.a: $(KERNEL_OBJS)
	rm -f $@ && ar rcs $@ $^

# Each app is one folder under stubdom/apps/; it links against the kernel
# (and the apps in LWIP_APPS against liblwip.a too, below).
$(G)/%.elf: $$(addprefix $(G)/obj/,$$(addsuffix .o,$$(wildcard stubdom/apps/$$*/*.c))) $(KERNEL_OBJS) stubdom/kernel/kernel.ld
	$(CC) $(GUEST_LDFLAGS) -T stubdom/kernel/kernel.ld \
		$(filter %.o %.a,$^) -lgcc -o $@

# ---- lwIP, the guest's TCP/IP stack (docs/lwip.md) -------------------------
# scripts/fetch-lwip.sh unpacks Debian's source package into build/lwip/src
# (never committed). Its file list is written out here, not found with a
# wildcard: nothing read while make parses this file may depend on what a
# recipe fetches. lwIP 2.1.3's core (Filelists.mk's COREFILES, CORE4FILES)
# and its Ethernet layer; IPv6 is off.
LWIP_STAMP := build/.lwip-ok
LWIP_DIR := build/lwip/src/src
LWIP_SRCS := $(addprefix core/,init.c def.c dns.c inet_chksum.c ip.c mem.c memp.c netif.c \
	pbuf.c raw.c stats.c sys.c altcp.c altcp_alloc.c altcp_tcp.c tcp.c tcp_in.c tcp_out.c \
	timeouts.c udp.c) \
	$(addprefix core/ipv4/,autoip.c dhcp.c etharp.c icmp.c igmp.c ip4_frag.c ip4.c ip4_addr.c) \
	netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(G)/obj/lwip/%.o,$(LWIP_SRCS))
# Our port (cc.h, lwipopts.h, sys_now) and bk/net.h's implementation: full warnings.
LWIP_PORT_OBJS := $(patsubst %,$(G)/obj/%.o,$(wildcard stubdom/lwip/*.c))
LWIP_INC := -Istubdom/lwip/include -I$(LWIP_DIR)/include
# The apps that link lwIP (they include bk/net.h); no other app does.
LWIP_APPS := netloop
LWIP_APP_OBJS := $(patsubst %,$(G)/obj/%.o,$(foreach a,$(LWIP_APPS),$(wildcard stubdom/apps/$(a)/*.c)))

$(LWIP_STAMP): scripts/fetch-lwip.sh | $(DEPS_STAMP)
	@scripts/fetch-lwip.sh
	@touch $@

# lwIP's sources appear when the stamp's recipe has run.
$(addprefix $(LWIP_DIR)/,$(LWIP_SRCS)): $(LWIP_STAMP) ;

$(G)/obj/lwip/%.o: $(LWIP_DIR)/%.c $(LWIP_STAMP) | $(G)/include/xen
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) $(LWIP_INC) -MMD -MP -c $< -o $@

$(LWIP_PORT_OBJS) $(LWIP_APP_OBJS): GUEST_CFLAGS += $(LWIP_INC)
$(LWIP_PORT_OBJS) $(LWIP_APP_OBJS): $(LWIP_STAMP)

$(G)/liblwip.a: $(LWIP_OBJS) $(LWIP_PORT_OBJS)
	rm -f $@ && ar rcs $@ $^

$(patsubst %,$(G)/%.elf,$(LWIP_APPS)): $(G)/liblwip.a

# ---- tests, run, bench -----------------------------------------------------

test: $(DEPS_STAMP)
	@scripts/test.sh

test-unit: host
	@scripts/run-unit.sh $(B)

test-integration: all
	@tests/integration/run.sh $(B)

test-svm: all
	@tests/svm/integration.sh $(B) all

run: all
	scripts/run.sh $(B) \
		$(addprefix --domain ,$(sort $(wildcard examples/workstation/*.cfg)))

bench: all
	@scripts/bench.sh $(B)

clean:
	rm -rf build

include policy/policy.mk
include tests/fuzz/fuzz.mk

-include $(shell find build -name '*.d' 2>/dev/null)
