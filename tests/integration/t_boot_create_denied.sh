# A boot-time domain (bulkhead --domain) is checked as bh create is, with
# the hypervisor's boot label (xenboot_t) as the subject: a label that the
# policy does not let xenboot_t build is refused with an avc line and never
# starts, the other boot domain does, and root may still create that label
# at run time (dom0_t manages every domain type).
. "$(dirname "$0")/lib.sh"
# noboot_t: a guest like appvm_t that the hypervisor may not build at boot.
cat >"$WORK/noboot.te" <<'TE'
declare_domain(noboot_t)
typeattribute noboot_t guest_type;
label_channels(noboot_t)
guest_base(noboot_t)
TE
make -s -C "$TOP" policy POLICY_OUT="$WORK/noboot.pol" POLICY_EXTRA_MODULES="$WORK/noboot.te" \
	>"$WORK/make.out" 2>&1 || fail "building the policy: $(cat "$WORK/make.out")"
POLICY=$WORK/noboot.pol
boot_bg --domain "$(cfg nb hello memory=4 "$(label noboot_t)")" \
	--domain "$(cfg ok hello memory=4 "$(label appvm_t)")" --domain "$(cfg idle idle memory=4)"
wait_for "$WORK/out" "control: listening" 10
wait_for "$(log_of ok)" "Hello from ok" 20
expect_out "avc:  denied  { create } for scontext=system_u:system_r:xenboot_t tcontext=system_u:system_r:noboot_t tclass=domain permissive=0"
expect_out "nb.cfg: the policy does not let the hypervisor (initial SID xenboot) at boot create a domain labelled system_u:system_r:noboot_t"
bhctl list | grep -q "^nb " && fail "nb was started: $(bhctl list)"
[ -e "$(log_of nb)" ] && grep -q Hello "$(log_of nb)" && fail "nb ran: $(cat "$(log_of nb)")"
create nb2 hello "name=nb2" "$(label noboot_t)" >/dev/null
wait_for "$(log_of nb2)" "Hello from nb2" 20
stop_bg
echo ok
