# 16 domains at once, each on its own KVM VM; all greet and power off.
. "$(dirname "$0")/lib.sh"
args=()
for i in $(seq 1 16); do
	args+=(--domain "$(cfg "dom$i" hello)")
done
boot 60 "${args[@]}"
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail "$WORK/out")"
for i in $(seq 1 16); do
	expect_log "dom$i" "^Hello from dom$i$"
	expect_log "dom$i" "shutdown: poweroff"
done
[ "$(grep -c 'destroyed after' "$WORK/out")" -eq 16 ] || fail "not 16 domains destroyed"
