# A guest sends random hypercalls with random arguments for 3 s while a
# healthy neighbour runs its checks; bulkhead and the neighbour survive.
# The fuzzer may wreck itself (a copy over its own code, say) and spin or
# crash: that is its business. bulkhead must still stop it on SIGTERM.
. "$(dirname "$0")/lib.sh"
for seed in 1 2; do
	fz=$(cfg "fuzz$seed" fuzz "cmdline=\"seconds=3 seed=$seed\"")
	good=$(cfg "healthy$seed" selftest vcpus=2 'cmdline="rounds=40"')
	boot_bg --domain "$fz" --domain "$good"
	wait_for "$(log_of "healthy$seed")" "^selftest: PASS$\|^selftest: FAIL" 90
	expect_log "healthy$seed" "^selftest: PASS$"
	# Give the fuzzer the rest of its time, then stop whatever is left.
	for _ in $(seq 1 100); do
		grep -q "^\[bulkhead: shutdown\|^\[bulkhead: crashed" "$(log_of "fuzz$seed")" && break
		sleep 0.1
	done
	stop_bg
	[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail "$WORK/out")"
	grep -h "^fuzz: survived\|^\[bulkhead: " "$(log_of "fuzz$seed")" | tail -n 2
	rm -rf "$WORK/log"
done
exit 0
