# A boolean flip changes decisions at once, for domains already waiting.
. "$(dirname "$0")/lib.sh"
# An idle third domain keeps bulkhead up once the pair is done.
flask_pair_boot appvm_t appvm_t 30 "$(cfg idle idle memory=4)"
wait_for "$(log_of client)" "^flasktest: denied bind_interdomain -13$" 10
bhctl getbool appvm_comms | grep -qx "appvm_comms --> off" || fail "getbool: $(bhctl getbool appvm_comms 2>&1)"
# Pending only: nothing changes until the commit.
bhctl setbool -P appvm_comms 1 || fail "setbool -P"
bhctl getbool appvm_comms | grep -qx "appvm_comms --> off (pending: on)" ||
	fail "pending: $(bhctl getbool appvm_comms 2>&1)"
sleep 0.3
grep -q "round trip ok" "$(log_of client)" && fail "a pending boolean took effect"
bhctl commitbools || fail "commitbools"
wait_for "$(log_of client)" "^flasktest: round trip ok$" 10
wait_for "$(log_of server)" "^flasktest: served$" 10
bhctl getbool appvm_comms | grep -qx "appvm_comms --> on" || fail "getbool after commit"
bhctl getbool -a | grep -q "^clipboard --> off$" || fail "getbool -a: $(bhctl getbool -a 2>&1)"
bhctl getbool no_such_bool 2>&1 | grep -q "no boolean 'no_such_bool'" || fail "unknown boolean"
stop_bg
echo ok
