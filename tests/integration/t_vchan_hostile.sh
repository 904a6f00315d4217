# A hostile vchan peer (stubdom/apps/vchan/attack.c) against victims in a
# domain and in dom0 (bh-vchan). Each attack on a connected channel must
# leave the victim's channel closed within seconds, not hung, not crashed;
# each broken offer must be refused by a guest client and by the dom0
# (grant-copy) client. Afterwards bulkhead, xenstored and a fresh pair of
# domains are unharmed.
. "$(dirname "$0")/lib.sh"

services_start
bhctl setbool appvm_comms 1 || fail "setbool appvm_comms"
next=1

# victim_of ATTACK [ATTACKER_ROLE]: a victim domain and an attacker at the next two ids.
victim_of() {
	local a=$1 role=${2:-client} vrole=server
	[ "$role" = server ] && vrole=client
	if [ "$role" = client ]; then
		create "v-$a" vchan "role=server peer=$((next + 1)) path=data/$a mode=victim ring=4096" >/dev/null
		create "x-$a" vchan "role=client peer=$next path=data/$a mode=attack attack=$a" >/dev/null
	else
		create "x-$a" vchan "role=server peer=$((next + 1)) path=data/$a mode=attack attack=$a ring=4096" >/dev/null
		create "v-$a" vchan "role=client peer=$next path=data/$a mode=victim" >/dev/null
	fi
	next=$((next + 2))
	wait_for "$(log_of "v-$a")" "vchan: PASS\|vchan: FAIL" 30
	expect_log "v-$a" "vchan: closed after"
	expect_log "v-$a" "vchan: PASS"
}

# 1. Attacks on a connected channel, the victim a domain.
for a in prod-ahead prod-behind cons-ahead live-bogus own-index storm; do
	victim_of "$a"
done
victim_of live-waiting server
# Those that break the protocol are named as such.
for a in prod-ahead prod-behind cons-ahead live-bogus live-waiting; do
	expect_log "v-$a" "vchan: domain [0-9]* broke the protocol; closing"
done
expect_log x-storm "vchan: attack storm sent [1-9][0-9]* events"

# 2. The same against bh-vchan serving from dom0.
for a in prod-ahead cons-ahead live-bogus storm; do
	c=$(create "x0-$a" vchan "role=client peer=0 path=/local/domain/0/data/x0-$a mode=attack attack=$a")
	timeout 40 "$VC" -c "$WORK/vchan.sock" server "$c" "data/x0-$a" victim --ring 4096 \
		>"$WORK/x0-$a.out" 2>&1 || fail "bh-vchan against $a: $(tail -3 "$WORK/x0-$a.out")"
	grep -q "vchan: closed after" "$WORK/x0-$a.out" || fail "$a: $(cat "$WORK/x0-$a.out")"
	next=$((c + 1))
done

# 3. Broken offers: in-page orders 10/10, order 25, ungranted ring pages,
# a ring-ref that is no number, an event channel nobody offered.
x=$(create offers vchan "role=server peer=$((next + 1)) path=data/o mode=attack attack=offers timeout=60")
create refuse vchan "role=client peer=$x path=data/o mode=refuse" >/dev/null
wait_for "$(log_of refuse)" "vchan: PASS\|vchan: FAIL" 30
# Orders and the ring-ref are refused as malformed; pages that do not map and
# a port that does not bind, by the hypervisor's answer.
for k in 0 1 3; do expect_log refuse "vchan: refused data/o-$k: EBADMSG"; done
expect_log refuse "vchan: refused data/o-2: EACCES"
expect_log refuse "vchan: refused data/o-4: EINVAL"
expect_log refuse "vchan: PASS"
x0=$(create offers0 vchan "role=server peer=0 path=data/p mode=attack attack=offers timeout=60")
wait_for "$(log_of offers0)" "vchan: offers published" 10
for k in 0 1 2 3 4; do
	timeout 20 "$VC" -c "$WORK/vchan.sock" client "$x0" "data/p-$k" recv >"$WORK/p-$k.out" 2>&1 &&
		fail "bh-vchan accepted broken offer $k: $(cat "$WORK/p-$k.out")"
	grep -q "vchan: refused data/p-$k" "$WORK/p-$k.out" || fail "offer $k: $(cat "$WORK/p-$k.out")"
done
grep -q "broken layout (orders 10 and 10)" "$WORK/p-0.out" || fail "p-0: $(cat "$WORK/p-0.out")"
grep -q "broken layout (orders 25 and 12)" "$WORK/p-1.out" || fail "p-1: $(cat "$WORK/p-1.out")"
grep -q "ring pages cannot be copied" "$WORK/p-2.out" || fail "p-2: $(cat "$WORK/p-2.out")"
grep -q "Bad message" "$WORK/p-3.out" || fail "p-3: $(cat "$WORK/p-3.out")"
grep -q "binding domain $x0's port" "$WORK/p-4.out" || fail "p-4: $(cat "$WORK/p-4.out")"
next=$((x0 + 1))

# 4. Nobody else was hurt: a fresh pair streams intact.
create ok-s vchan "role=server peer=$((next + 1)) path=data/ok mode=recv bytes=1000000 ring=65536" >/dev/null
create ok-c vchan "role=client peer=$next path=data/ok mode=send bytes=1000000" >/dev/null
wait_for "$(log_of ok-s)" "vchan: PASS\|vchan: FAIL" 30
expect_log ok-s "vchan: PASS"
s=$(sed -n 's/^vchan: sent \([0-9]* bytes hash [0-9a-f]*\).*/\1/p' "$(log_of ok-c)")
r=$(sed -n 's/^vchan: received \([0-9]* bytes hash [0-9a-f]*\).*/\1/p' "$(log_of ok-s)")
[ -n "$s" ] && [ "$s" = "$r" ] || fail "after the attacks: sent '$s', received '$r'"
kill -0 "$xsd_pid" || fail "bh-xenstored died"
kill -0 "$bhpid" || fail "bulkhead died"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail -5 "$WORK/out")"
