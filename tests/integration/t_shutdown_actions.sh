# on_reboot = "restart" rebuilds the domain with a new id; on_crash =
# "destroy" removes it; on_poweroff = "preserve" keeps it until SIGTERM.
. "$(dirname "$0")/lib.sh"
rb=$(cfg rebooter hello 'cmdline="name=rebooter shutdown=reboot"' 'on_reboot="restart"')
cr=$(cfg crasher hello 'cmdline="name=crasher shutdown=crash"' 'on_crash="destroy"')
pr=$(cfg keeper hello 'on_poweroff="preserve"')
boot_bg --domain "$rb" --domain "$cr" --domain "$pr"
wait_for "$WORK/out" "(rebooter) shutdown: restart" 20
for i in $(seq 200); do
	[ "$(grep -c '(rebooter) started' "$WORK/out")" -ge 3 ] && break
	sleep 0.1
done
[ "$(grep -c '(rebooter) started' "$WORK/out")" -ge 3 ] || fail "rebooter did not restart twice"
wait_for "$WORK/out" "(crasher) shutdown: destroy" 20
wait_for "$WORK/out" "(keeper) shutdown: preserve" 20
grep -q "(keeper) destroyed" "$WORK/out" && fail "a preserved domain was destroyed"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_out "(keeper) destroyed"
# Each restart is a new domain with a new id.
ids=$(sed -n 's/.*domain \([0-9]*\) (rebooter) started.*/\1/p' "$WORK/out" | sort -u | wc -l)
[ "$ids" -ge 3 ] || fail "restarts reused domain ids"
