# A guest fuzzes event channels and grant tables for 4 s beside a live
# ping-pong pair and a live grant pair; all of them finish, and bulkhead too.
. "$(dirname "$0")/lib.sh"
srv=$(cfg srv pingpong memory=4 'cmdline="role=server peer=2 rounds=3000"')
cli=$(cfg cli pingpong memory=4 'cmdline="role=client peer=1 port=2 rounds=3000"')
sh=$(cfg sharer grant memory=4 'cmdline="role=sharer peer=4"')
mp=$(cfg mapper grant memory=4 'cmdline="role=mapper peer=3"')
fz=$(cfg fuzz fuzz memory=8 'cmdline="seconds=4 focus=1"')
boot 120 --domain "$srv" --domain "$cli" --domain "$sh" --domain "$mp" --domain "$fz"
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail "$WORK/out")"
expect_log cli "^pingpong: 3000 round trips"
expect_log srv "^pingpong: server answered 3000 pings$"
expect_log sharer "^grant: PASS$"
expect_log mapper "^grant: PASS$"
grep -q "^\[bulkhead: shutdown: poweroff\]\|^\[bulkhead: .*crash" "$(log_of fuzz)" || fail "the fuzzer neither finished nor crashed"
grep "^fuzz: survived" "$(log_of fuzz)" || true
