# One domain floods denied calls; another makes a few. Each subject domain
# has its own audit budget under the global one, so every denial of the
# second is logged, and the flooder's lost lines are counted by its domid.
. "$(dirname "$0")/lib.sh"
boot_bg
wait_for "$WORK/out" "control: listening" 10
flooder=$(create flood flasktest "name=flood role=flood seconds=120" "$(label appvm_t)")
wait_for "$(log_of flood)" "^flasktest: flooding (-13)$" 30
quiet=$(create xsm flasktest "name=xsm role=xsm" "$(label appvm_t)")
wait_for "$(log_of xsm)" "^flasktest: xsm done$" 30
n=$(grep -c "avc:  denied  { [a-z_]* } for domid=$quiet scontext=system_u:system_r:appvm_t tcontext=system_u:system_r:security_t tclass=security permissive=0$" "$WORK/out")
# setenforce load context_to_sid sid_to_context getbool setbool commitbools
# access policyvers cachestats: one denial each (getenforce is unchecked, as in Xen).
[ "$n" -eq 10 ] || fail "$n of domid $quiet's 10 denials were logged: $(grep "domid=$quiet" "$WORK/out" | head -3)"
# The flood goes on into a new second, whose first line reports the last one's losses.
wait_for "$WORK/out" "avc: [0-9]* audit messages from domid $flooder suppressed" 30
bhctl destroy "$flooder" || fail "destroy the flooder"
grep -q "audit messages from domid $quiet suppressed" "$WORK/out" && fail "domid $quiet's lines were suppressed"
stop_bg
[ "$rc" -eq 0 ] || fail "bulkhead exited with $rc: $(tail -n 5 "$WORK/out")"
echo ok
