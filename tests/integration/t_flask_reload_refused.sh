# bh loadpolicy refuses, with the reason in bulkhead's log, a policy that
# would lock the loader out (no security:load_policy for dom0_t) or
# relabel a running domain (initial SID domU given another context while a
# domain without seclabel= runs). The running policy stays: root still
# reads the mode, creates domains and loads a sound policy.
. "$(dirname "$0")/lib.sh"
conf=$TOP/build/policy/policy.conf
sed 's/^allow dom0_t security_t:security { load_policy /allow dom0_t security_t:security { /' \
	"$conf" >"$WORK/nolock.conf"
cmp -s "$conf" "$WORK/nolock.conf" && fail "dom0_t's load_policy rule not found in $conf"
sed 's/^sid domU\t\(.*\):domU_t$/sid domU\t\1:appvm_t/' "$conf" >"$WORK/relabel.conf"
cmp -s "$conf" "$WORK/relabel.conf" && fail "domU's context not found in $conf"
for p in nolock relabel; do
	checkpolicy -t Xen -c 30 -o "$WORK/$p.pol" "$WORK/$p.conf" >"$WORK/cp.out" 2>&1 ||
		fail "checkpolicy $p: $(cat "$WORK/cp.out")"
done
boot_bg --domain "$(cfg idle idle memory=4)"
wait_for "$WORK/out" "control: listening" 10

bhctl loadpolicy "$WORK/nolock.pol" 2>"$WORK/bh.err" && fail "a policy that locks dom0_t out loaded"
wait_for "$WORK/out" "policy load refused: the new policy does not give the loader (system_u:system_r:dom0_t) security:load_policy" 10
bhctl loadpolicy "$WORK/relabel.pol" 2>"$WORK/bh.err" && fail "a policy that relabels idle loaded"
wait_for "$WORK/out" "policy load refused: the new policy relabels domain 1 (initial SID domU) from system_u:system_r:domU_t to system_u:system_r:appvm_t" 10
grep -q "flask: policy loaded" "$WORK/out" && fail "a refused policy was loaded: $(grep 'flask:' "$WORK/out")"

[ "$(bhctl getenforce)" = Enforcing ] || fail "getenforce: $(bhctl getenforce 2>&1)"
create app hello "name=app" "$(label appvm_t)" >/dev/null
wait_for "$(log_of app)" "Hello from app" 20
bhctl list -Z | grep -q "idle .*system_u:system_r:domU_t" || fail "idle was relabelled: $(bhctl list -Z)"
bhctl loadpolicy "$POLICY" || fail "the shipped policy no longer loads"
wait_for "$WORK/out" "flask: policy loaded by domid 0" 10
stop_bg
echo ok
