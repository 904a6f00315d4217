# The round trip a policy author makes: a denial in bulkhead's log goes
# through Debian's audit2allow into a module, the module is built into the
# policy and loaded, and the waiting domains are then allowed to talk.
. "$(dirname "$0")/lib.sh"
command -v audit2allow >/dev/null || fail "audit2allow is missing (policycoreutils-python-utils)"
# An idle third domain keeps bulkhead up once the pair is done.
flask_pair_boot appvm_t appvm_t 60 "$(cfg idle idle memory=4)"
wait_for "$(log_of client)" "^flasktest: denied bind_interdomain -13$" 10
# The distinct denials in bulkhead's log so far.
denials() { grep -o "avc:  denied.*" "$WORK/out" | sort -u | wc -l; }
# Each check stops at its first missing permission, so an author iterates.
for round in 1 2 3 4 5; do
	seen=$(denials)
	grep "avc:  denied" "$WORK/out" >"$WORK/denials.log"
	audit2allow -p "$POLICY" -i "$WORK/denials.log" >"$WORK/local.te" || fail "audit2allow failed"
	grep -q "^allow " "$WORK/local.te" || fail "audit2allow wrote no rule: $(cat "$WORK/local.te")"
	make -s -C "$TOP" policy POLICY_OUT="$WORK/local.pol" POLICY_EXTRA_MODULES="$WORK/local.te" \
		>"$WORK/make.out" 2>&1 || fail "building the module: $(cat "$WORK/make.out")"
	bhctl loadpolicy "$WORK/local.pol" || fail "loading the module"
	# Until the pair gets through, or stops at a denial not seen before.
	for ((i = 0; i < 100; i++)); do
		grep -q "^flasktest: round trip ok$" "$(log_of client)" && break 2
		[ "$(denials)" -gt "$seen" ] && break
		sleep 0.1
	done
done
expect_log client "^flasktest: round trip ok$"
expect_log server "^flasktest: served$"
# The shipped policy is untouched; the boolean is still off.
bhctl getbool appvm_comms | grep -q "off" || fail "the boolean changed"
stop_bg
echo "allowed after $round audit2allow round(s):"
grep "^allow" "$WORK/local.te"
