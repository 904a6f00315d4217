# Bulkhead's Flask policy: m4 over the sources, then checkpolicy for Xen.
#
#   make policy                 build/policy/bulkhead.pol and policy.conf
#   make -f policy/policy.mk    the same, without the top-level Makefile
#   make policy POLICY_OUT=/tmp/x.pol POLICY_EXTRA_MODULES=/tmp/extra.te
#                               the shipped policy plus extra modules, written
#                               to /tmp/x.pol (its policy.conf: /tmp/x.conf)
#   make policy-conf            only the m4 output (POLICY_CONF)
#   make policy-clean           remove what policy and policy-conf wrote
#
# Paths are relative to the directory make runs in (the repository root);
# the sources are found from this file's own location.

POLICY_SRC := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
POLICY_SAVED_GOAL := $(.DEFAULT_GOAL)

CHECKPOLICY ?= checkpolicy
M4 ?= m4
# Xen's policy format: checkpolicy -t Xen, version 30 at most (DESIGN.md 5).
POLICY_VERSION ?= 30

POLICY_BUILD ?= build/policy
POLICY_OUT ?= $(POLICY_BUILD)/bulkhead.pol
# policy.conf beside the default output; NAME.conf beside any other, so a
# build with extra modules never overwrites the shipped policy.conf.
POLICY_CONF ?= $(if $(filter $(POLICY_BUILD)/bulkhead.pol,$(POLICY_OUT)),$(POLICY_BUILD)/policy.conf,$(basename $(POLICY_OUT)).conf)

# Extra .te files appended after the shipped modules (audit2allow output,
# local rules). They may use the macros in support/.
POLICY_EXTRA_MODULES ?=

# The shipped modules. xen.te comes first; the others in any order.
POLICY_MODULES := $(addprefix $(POLICY_SRC)/modules/,xen.te dom0.te \
	xenstore.te bulkhead_xenstore.te netback.te blkback.te dm.te appvm.te dispvm.te \
	isolated.te gui.te vchan.te)

# policy.conf sections, in the order checkpolicy wants them.
POLICY_SECTIONS := \
	$(POLICY_SRC)/flask/security_classes \
	$(POLICY_SRC)/flask/initial_sids \
	$(POLICY_SRC)/flask/access_vectors \
	$(wildcard $(POLICY_SRC)/support/*.spt) \
	$(POLICY_MODULES) \
	$(POLICY_EXTRA_MODULES) \
	$(POLICY_SRC)/users \
	$(POLICY_SRC)/initial_sid_contexts

.PHONY: policy policy-conf policy-clean policy-force

policy: $(POLICY_OUT)

policy-conf: $(POLICY_CONF)

# checkpolicy prints nothing when all is well; anything it prints on
# stderr (a warning) fails the build, like -Werror.
$(POLICY_OUT): $(POLICY_CONF)
	@mkdir -p $(dir $@)
	@echo "  CHECKPOLICY $@"
	@$(CHECKPOLICY) -t Xen -c $(POLICY_VERSION) -o $@.tmp $< 2>$@.err; \
	rc=$$?; cat $@.err >&2; \
	if [ $$rc -ne 0 ] || [ -s $@.err ]; then rm -f $@.tmp $@.err; exit 1; fi; \
	rm -f $@.err; mv $@.tmp $@

# Always rerun m4 (it is cheap), but touch the output only when it changes,
# so that a new POLICY_EXTRA_MODULES list rebuilds and an unchanged one
# does not. -s leaves #line marks, so checkpolicy names the source file.
$(POLICY_CONF): policy-force
	@mkdir -p $(dir $@)
	@$(M4) -s $(POLICY_SECTIONS) > $@.tmp || { rm -f $@.tmp; exit 1; }
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "  M4          $@"; fi

policy-force:

policy-clean:
	rm -f $(POLICY_OUT) $(POLICY_CONF)

# Run alone (make -f policy/policy.mk), build the policy by default.
# Included, leave the includer's default goal as it was.
ifeq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := policy
else
.DEFAULT_GOAL := $(POLICY_SAVED_GOAL)
endif
