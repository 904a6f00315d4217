# Domains keep making hypercalls while the policy is reloaded again and
# again: no decision flickers, so no event is lost or refused.
. "$(dirname "$0")/lib.sh"
srv=$(cfg srv pingpong memory=4 "$(label netback_t)" 'cmdline="role=server peer=2 rounds=4000"')
cli=$(cfg cli pingpong memory=4 "$(label appvm_t)" 'cmdline="role=client peer=1 port=2 rounds=4000"')
# An idle third domain keeps bulkhead (and its socket) up after the pair.
idle=$(cfg idle idle memory=4)
boot_bg --domain "$srv" --domain "$cli" --domain "$idle"
wait_for "$(log_of srv)" "server port 2" 10
n=0
while ! grep -q "round trips" "$(log_of cli)" 2>/dev/null; do
	bhctl loadpolicy "$POLICY" || fail "loadpolicy failed on reload $n"
	n=$((n + 1))
	[ $n -gt 3000 ] && fail "ping-pong never finished"
	grep -q FAIL "$(log_of cli)" "$(log_of srv)" && fail "$(cat "$(log_of cli)" "$(log_of srv)")"
done
[ $n -ge 5 ] || fail "only $n reloads during the run"
expect_log srv "server answered 4000 pings"
grep -q "avc:  denied" "$WORK/out" && fail "a denial during reloads: $(grep avc: "$WORK/out" | head -3)"
stop_bg
echo "reloads during the run: $n"
