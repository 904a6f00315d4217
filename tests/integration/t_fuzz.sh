# A guest sends random hypercalls with random arguments for 3 s while a
# healthy neighbour runs its checks; bulkhead and the neighbour survive.
. "$(dirname "$0")/lib.sh"
for seed in 1 2; do
	fz=$(cfg "fuzz$seed" fuzz "cmdline=\"seconds=3 seed=$seed\"")
	good=$(cfg "healthy$seed" selftest vcpus=2 'cmdline="rounds=40"')
	boot 90 --domain "$fz" --domain "$good"
	[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail "$WORK/out")"
	expect_log "healthy$seed" "^selftest: PASS$"
	# The fuzzer either finished or was crashed for breaking the ABI; both
	# are fine. (Its own output may have hit the console cap: look at
	# bulkhead's notes, which are always written.)
	grep -q "^\[bulkhead: shutdown: poweroff\]\|^\[bulkhead: .*crash" "$(log_of "fuzz$seed")" ||
		fail "fuzzer $seed neither finished nor crashed"
	grep -q "^fuzz: survived" "$(log_of "fuzz$seed")" && echo "seed $seed: $(grep '^fuzz: survived' "$(log_of "fuzz$seed")")"
done
exit 0
