# The guest ABI checked from inside a 4-vCPU domain: discovery, memory map,
# pvclock, timers, block, upcall vector, poll, secondary vCPUs up and down.
# The guest's wallclock must agree with the host's.
. "$(dirname "$0")/lib.sh"
c=$(cfg selftest selftest vcpus=4 memory=16)
before=$(date +%s)
boot 60 --domain "$c"
after=$(date +%s)
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_log selftest "^selftest: PASS$"
expect_log selftest "shutdown: poweroff"
grep -q "selftest: 4 vCPUs" "$(log_of selftest)" || fail "the guest did not see 4 vCPUs"
wall=$(sed -n 's/^selftest: wallclock \([0-9]*\)\..*/\1/p' "$(log_of selftest)")
[ -n "$wall" ] || fail "no wallclock line"
[ "$wall" -ge $((before - 1)) ] && [ "$wall" -le $((after + 1)) ] ||
	fail "guest wallclock $wall outside host window [$before, $after]"
