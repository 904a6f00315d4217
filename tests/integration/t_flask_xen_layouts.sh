# The project's own policy sources in both of Xen's initial-SID layouts:
# Xen 4.17 and later (xenboot first, the shipped policy) and Xen 4.16 (no
# xenboot; the hypervisor builds boot-time domains as xen, so that policy
# needs domain:create from xen_t). Under each, every initial SID gets its
# own context: a domain without seclabel= boots as domU_t and writes to the
# console (checked against xen), root creates domains (dom0 on the new
# label) and reads the mode, and bulkhead's log names the layout.
. "$(dirname "$0")/lib.sh"
cat >"$WORK/boot416.te" <<'TE'
# Xen 4.16's hypervisor label builds the boot-time domains.
allow xen_t domU_t:domain create;
TE
make -s -C "$TOP" policy POLICY_OUT="$WORK/x416.pol" POLICY_EXTRA_MODULES="$WORK/boot416.te" \
	>"$WORK/make.out" 2>&1 || fail "building the policy: $(cat "$WORK/make.out")"
grep -q '^sid xenboot' "$WORK/x416.conf" || fail "the policy sources have no xenboot"
sed '/^sid xenboot/d' "$WORK/x416.conf" >"$WORK/x416-no-xenboot.conf"
checkpolicy -t Xen -c 30 -o "$WORK/x416.pol" "$WORK/x416-no-xenboot.conf" >"$WORK/cp.out" 2>&1 ||
	fail "checkpolicy: $(cat "$WORK/cp.out")"

run_layout() {
	local pol=$1 want=$2 n=$3 id
	POLICY=$pol
	boot_bg --domain "$(cfg plain hello memory=4)" --domain "$(cfg idle idle memory=4)"
	wait_for "$WORK/out" "control: listening" 10
	wait_for "$(log_of plain)" "Hello from plain" 20
	expect_out "flask: initial SIDs in $want"
	expect_out "domU system_u:system_r:domU_t"
	expect_out "dom0 system_u:system_r:dom0_t"
	[ "$(bhctl getenforce)" = Enforcing ] || fail "getenforce: $(bhctl getenforce 2>&1)"
	id=$(create app hello "name=app" "$(label appvm_t)")
	[ -n "$id" ] || fail "root's bh create printed no domain id"
	wait_for "$(log_of app)" "Hello from app" 20
	id=$(create unl hello "name=unl")
	wait_for "$(log_of unl)" "Hello from unl" 20
	bhctl list -Z >"$WORK/list" 2>&1 || fail "bh list: $(cat "$WORK/list")"
	grep -q "idle .*system_u:system_r:domU_t" "$WORK/list" || fail "idle is not domU_t: $(cat "$WORK/list")"
	grep -q "avc:  denied" "$WORK/out" && fail "a denial under $want: $(grep avc: "$WORK/out" | head -3)"
	bhctl loadpolicy "$pol" || fail "reloading the same policy: $(tail -n 3 "$WORK/out")"
	stop_bg
	# The next run starts with no guest logs and no output of this one.
	mv "$WORK/log" "$WORK/log.$n"
	cp "$WORK/out" "$WORK/out.$n"
}
run_layout "$POLICY" "Xen 4.17's layout" 417
run_layout "$WORK/x416.pol" "Xen 4.16's layout" 416
echo ok
