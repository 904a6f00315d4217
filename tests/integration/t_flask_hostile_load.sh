# A domain with no security permissions calls FLASK_LOAD with a 64 MiB size
# on each of its vCPUs, round after round. Flask refuses it before bulkhead
# allocates or copies a byte, as the control socket does: the call fails
# with EACCES and bulkhead's peak RSS stays where it was.
. "$(dirname "$0")/lib.sh"
boot_bg
wait_for "$WORK/out" "control: listening" 10
kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$bhpid/status"; }
before=$(kib VmHWM)
x=$(cfg load flasktest memory=80 vcpus=4 "$(label appvm_t)" \
	'cmdline="name=load role=bigload size=67108864 rounds=8 seconds=120"')
out=$(bhctl create "$x" 2>&1) || fail "create: $out"
wait_for "$(log_of load)" "^flasktest: bigload done$" 150
after=$(kib VmHWM)
expect_log load "^flasktest: bigload 4 vCPUs, 67108864 bytes, 8 rounds$"
for cpu in 0 1 2 3; do
	expect_log load "^flasktest: bigload cpu $cpu rc -13$"
done
grep -q "avc:  denied  { load_policy } for domid=1 scontext=system_u:system_r:appvm_t tcontext=system_u:system_r:security_t tclass=security" \
	"$WORK/out" || fail "no load_policy denial: $(grep avc: "$WORK/out" | head -3)"
# Before the check came first, each call took 64 MiB and faulted in the
# guest's 64 MiB: 200 MiB and more over the peak before the domain.
grew=$(((after - before) / 1024))
[ "$grew" -lt 32 ] || fail "bulkhead's peak RSS grew by $grew MiB (VmHWM $before -> $after KiB)"
stop_bg
[ "$rc" -eq 0 ] || fail "bulkhead exited with $rc: $(tail -n 5 "$WORK/out")"
echo ok
