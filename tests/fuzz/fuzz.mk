# libFuzzer targets (tests/fuzz/fuzz_NAME.c -> build/fuzz/fuzz_NAME).
#
#   make fuzz                       build every target whose .c exists
#   scripts/fuzz.sh                 run each for FUZZ_SECONDS (default 20)
#
# Included from the top-level Makefile, after HOST_CFLAGS, LIB_SRCS, HV_SRCS,
# SEPOL_A and TPM_LIBS are set. Everything is compiled again with clang into
# build/fuzz/obj/: libFuzzer needs clang's coverage instrumentation, so the
# gcc objects in build/obj/ are never reused.
#
# A target is fuzz_NAME.c plus the sources in FUZZ_SRCS_NAME (linked through
# an archive, so only what the target reaches is pulled in) and the libraries
# in FUZZ_LIBS_NAME. A target whose .c is absent is simply not built.

FUZZ_CC := clang
FUZZ_B := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Warnings that only clang gives on code gcc accepts (a KVM ioctl header
# such as struct kvm_msrs embedded before its entries), off so that the fuzz
# build needs no edit to code written for gcc.
FUZZ_CLANG_ONLY := -Wno-gnu-variable-sized-type-not-at-end
# The warnings of HOST_CFLAGS, and its -I/-D flags so that headers read the same.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wshadow -Wvla $(FUZZ_CLANG_ONLY) \
	$(filter -I% -D%,$(HOST_CFLAGS)) $(FUZZ_SAN)

# libseccomp's SCMP_A0()..SCMP_A5() leave datum_b out; gcc forgives that
# inside a system header's macro, clang does not.
$(FUZZ_B)/obj/lib/hardening.o: FUZZ_CFLAGS += -Wno-missing-field-initializers

FUZZ_SRCS_xlcfg := lib/xlcfg.c
FUZZ_LIBS_xlcfg :=

FUZZ_SRCS_control := $(HV_SRCS) $(LIB_SRCS)
FUZZ_LIBS_control = $(SEPOL_A) -lseccomp $(TPM_LIBS)

FUZZ_SRCS_xs_wire := $(filter-out tools/bh-xenstored/main.c,$(wildcard tools/bh-xenstored/*.c)) \
	$(LIB_SRCS)
FUZZ_LIBS_xs_wire := $(TPM_LIBS)

FUZZ_SRCS_vchan :=
FUZZ_LIBS_vchan :=

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(FUZZ_B)/fuzz_%,$(FUZZ_NAMES))

.PHONY: fuzz

# fuzz_control loads build/policy/bulkhead.pol when it starts.
fuzz: $(DEPS_STAMP) $(FUZZ_BINS) policy

# The code under test: instrumented for coverage, without libFuzzer's main.
$(FUZZ_B)/obj/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_B)/lib/fuzz_%.a: $$(addprefix $(FUZZ_B)/obj/,$$(subst .c,.o,$$(FUZZ_SRCS_$$*)))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_B)/fuzz_%: $(FUZZ_B)/obj/tests/fuzz/fuzz_%.o $(FUZZ_B)/lib/fuzz_%.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -pthread $^ $(FUZZ_LIBS_$*) -o $@
