# A guest fuzzes event channels and grant tables for 4 s beside a live
# ping-pong pair and a live grant pair; the pairs finish, and bulkhead stops
# whatever is left of the fuzzer cleanly.
. "$(dirname "$0")/lib.sh"
srv=$(cfg srv pingpong memory=4 'seclabel="system_u:system_r:netback_t"' 'cmdline="role=server peer=2 rounds=3000"')
cli=$(cfg cli pingpong memory=4 'seclabel="system_u:system_r:appvm_t"' 'cmdline="role=client peer=1 port=2 rounds=3000"')
sh=$(cfg sharer grant memory=4 'seclabel="system_u:system_r:appvm_t"' 'cmdline="role=sharer peer=4"')
mp=$(cfg mapper grant memory=4 'seclabel="system_u:system_r:netback_t"' 'cmdline="role=mapper peer=3"')
fz=$(cfg fuzz fuzz memory=8 'cmdline="seconds=4 focus=1"')
boot_bg --domain "$srv" --domain "$cli" --domain "$sh" --domain "$mp" --domain "$fz"
wait_for "$(log_of cli)" "^pingpong: 3000 round trips\|FAIL" 90
wait_for "$(log_of mapper)" "^grant: PASS$\|^grant: FAIL" 60
wait_for "$(log_of sharer)" "^grant: PASS$\|^grant: FAIL" 60
for _ in $(seq 1 100); do
	grep -q "^\[bulkhead: shutdown\|^\[bulkhead: crashed" "$(log_of fuzz)" && break
	sleep 0.1
done
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail "$WORK/out")"
expect_log cli "^pingpong: 3000 round trips"
expect_log srv "^pingpong: server answered 3000 pings$"
expect_log sharer "^grant: PASS$"
expect_log mapper "^grant: PASS$"
grep -h "^fuzz: survived\|^\[bulkhead: " "$(log_of fuzz)" | tail -n 2
exit 0
