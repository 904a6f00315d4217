# Two domains ping-pong over an interdomain event channel, blocking and spinning.
. "$(dirname "$0")/lib.sh"
for spin in 0 1; do
	srv=$(cfg srv pingpong memory=4 'seclabel="system_u:system_r:netback_t"' "cmdline=\"role=server peer=2 rounds=300 spin=$spin wait=$((30 * TIMEOUT_SCALE))\"")
	cli=$(cfg cli pingpong memory=4 'seclabel="system_u:system_r:appvm_t"' "cmdline=\"role=client peer=1 port=2 rounds=300 spin=$spin wait=$((30 * TIMEOUT_SCALE))\"")
	boot 60 --domain "$srv" --domain "$cli"
	[ $rc -eq 0 ] || fail "bulkhead exited $rc"
	expect_log srv "^pingpong: server port 2 for domain 2$"
	expect_log srv "^pingpong: server answered 300 pings$"
	expect_log cli "^pingpong: 300 round trips"
	grep "round trips" "$(log_of cli)"
	rm -rf "$WORK/log"
done
