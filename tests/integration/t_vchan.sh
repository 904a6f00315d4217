# vchan between real domains, and between a domain and bh-vchan in dom0:
# the stream's FNV-1a hash at both ends, for random write sizes across many
# ring wraps, with in-page rings (1 and 2 KiB) and granted 64 KiB rings,
# streams and packets, blocking and non-blocking; round trips against an
# echo; the dom0 end as arena server and as grant-copy client; a peer that
# dies mid-stream; and the policy: without appvm_comms two app domains get
# no channel.
. "$(dirname "$0")/lib.sh"

services_start

# same_hash SENDER_LOG RECEIVER_LOG: the receiver got every byte, unchanged.
same_hash() {
	local s r
	s=$(sed -n 's/^vchan: sent \([0-9]*\) bytes hash \([0-9a-f]*\).*/\1 \2/p' "$1")
	r=$(sed -n 's/^vchan: received \([0-9]*\) bytes hash \([0-9a-f]*\).*/\1 \2/p' "$2")
	[ -n "$s" ] && [ "$s" = "$r" ] || fail "sent '$s' but received '$r' ($1, $2)"
}
passed() { wait_for "$1" "vchan: PASS\|vchan: FAIL" 60; grep -q "vchan: PASS" "$1" || fail "$1: $(tail -3 "$1")"; }

# 0. Two app domains and no appvm_comms: the client cannot map the server's grants.
next=1

# pair NAME SERVER_ARGS CLIENT_ARGS: a server domain and its client, at the next two ids.
pair() {
	local n=$1
	s=$(create "$n-s" vchan "role=server peer=$((next + 1)) path=data/$n $2")
	c=$(create "$n-c" vchan "role=client peer=$next path=data/$n $3")
	[ "$s" = "$next" ] && [ "$c" = $((next + 1)) ] || fail "$n: ids $s $c, expected $next"
	next=$((next + 2))
}

pair deny "mode=recv timeout=3" "mode=send bytes=10 timeout=3"
wait_for "$(log_of deny-c)" "vchan: FAIL" 20
expect_log deny-c "client_init: EACCES"
wait_for "$WORK/out" "avc:  denied  {[^}]*map_read[^}]*} .*tclass=grant" 5
bhctl setbool appvm_comms 1 || fail "setbool appvm_comms"

# 1. Domain to domain, in-page rings (orders 10 and 11), random writes up to twice the ring.
pair small "mode=recv bytes=3000000 ring=1024" "mode=send bytes=3000000 seed=7"
passed "$(log_of small-s)"; passed "$(log_of small-c)"
expect_log small-s "connected read=1024 write=2048"
same_hash "$(log_of small-c)" "$(log_of small-s)"

# 2. The other way, granted 64 KiB rings (16 pages each), the reader non-blocking.
pair big "mode=send bytes=20000000 ring=65536 seed=3" "mode=recv bytes=20000000 block=0"
passed "$(log_of big-s)"; passed "$(log_of big-c)"
expect_log big-c "connected read=65536 write=65536"
same_hash "$(log_of big-s)" "$(log_of big-c)"

# 3. Packets of 1..1024 bytes, both rings in the page; and 1..65536 in granted rings.
pair pkt "mode=recv packet=1 bytes=2000000 ring=2048 seed=5" "mode=send packet=1 bytes=2000000 seed=5 block=0"
passed "$(log_of pkt-s)"; passed "$(log_of pkt-c)"
same_hash "$(log_of pkt-c)" "$(log_of pkt-s)"
pair pkt64 "mode=send packet=1 bytes=8000000 ring=65536 maxw=65536 seed=9" \
	"mode=recv packet=1 bytes=8000000 maxw=65536 seed=9"
passed "$(log_of pkt64-s)"; passed "$(log_of pkt64-c)"
same_hash "$(log_of pkt64-s)" "$(log_of pkt64-c)"

# 4. Round trips against an echo server.
pair rtt "mode=echo ring=4096" "mode=rtt n=300"
passed "$(log_of rtt-c)"
wait_for "$(log_of rtt-s)" "vchan: closed after 19200 bytes" 10

# 5. Domain to dom0: bh-vchan serves 64 KiB rings from its arena, the guest sends.
c=$(create to0 vchan "role=client peer=0 path=/local/domain/0/data/to0 mode=send bytes=20000000 seed=11")
"$VC" -c "$WORK/vchan.sock" server "$c" data/to0 recv --bytes 20000000 --ring 65536 \
	>"$WORK/to0.out" 2>&1 || fail "bh-vchan server: $(tail -3 "$WORK/to0.out")"
passed "$(log_of to0)"
same_hash "$(log_of to0)" "$WORK/to0.out"
next=$((c + 1))

# 6. dom0 to domain, packets, bh-vchan non-blocking.
c=$(create from0 vchan "role=client peer=0 path=/local/domain/0/data/from0 mode=recv packet=1 bytes=3000000 seed=4")
"$VC" -c "$WORK/vchan.sock" server "$c" data/from0 send --packet --nonblock --bytes 3000000 \
	--seed 4 --ring 4096 >"$WORK/from0.out" 2>&1 || fail "bh-vchan: $(tail -3 "$WORK/from0.out")"
passed "$(log_of from0)"
same_hash "$WORK/from0.out" "$(log_of from0)"

# 7. dom0 as client of a guest's server: every access a grant copy, both directions.
s=$(create copy-s vchan "role=server peer=0 path=data/copy mode=echo ring=4096")
"$VC" -c "$WORK/vchan.sock" client "$s" data/copy rtt --n 50 >"$WORK/copy-rtt.out" 2>&1 ||
	fail "bh-vchan client rtt: $(tail -3 "$WORK/copy-rtt.out")"
grep -q "vchan: rtt median" "$WORK/copy-rtt.out" || fail "no rtt: $(cat "$WORK/copy-rtt.out")"
s=$(create copy2 vchan "role=server peer=0 path=data/copy2 mode=send bytes=400000 ring=1024 seed=8")
"$VC" -c "$WORK/vchan.sock" client "$s" data/copy2 recv --bytes 400000 \
	>"$WORK/copy2.out" 2>&1 || fail "bh-vchan client recv: $(tail -3 "$WORK/copy2.out")"
passed "$(log_of copy2)"
same_hash "$(log_of copy2)" "$WORK/copy2.out"
# A client started before its server's domain runs waits for the offer (a watch).
s=$(create -p early vchan "role=server peer=0 path=data/early mode=echo ring=4096")
"$XS" read "/local/domain/$s/data/early/ring-ref" >/dev/null 2>&1 &&
	fail "a paused domain has published its offer"
"$VC" -c "$WORK/vchan.sock" client "$s" data/early rtt --n 20 >"$WORK/early.out" 2>&1 &
early=$!
sleep 0.5 # the client is waiting, not gone
kill -0 $early 2>/dev/null || fail "the early client did not wait: $(cat "$WORK/early.out")"
bhctl unpause "$s" || fail "unpause $s"
wait $early || fail "the early client: $(tail -3 "$WORK/early.out")"
grep -q "vchan: rtt median" "$WORK/early.out" || fail "early: $(cat "$WORK/early.out")"
# With no server at all it gives up after its timeout, and says why.
"$VC" -c "$WORK/vchan.sock" client "$s" data/nobody rtt --timeout 1 >"$WORK/nobody.out" 2>&1 &&
	fail "a client with no server succeeded"
grep -q "refused data/nobody: no server at /local/domain/$s/data/nobody after 1000 ms" \
	"$WORK/nobody.out" || fail "nobody: $(cat "$WORK/nobody.out")"
next=$((s + 1))

# 8. A peer dies mid-stream: the survivor sees the channel closed, domain and dom0 alike.
pair die "mode=victim ring=65536" "mode=attack attack=die bytes=40000"
wait_for "$WORK/out" "(die-c) shut down: crash" 20
passed "$(log_of die-s)"
expect_log die-s "vchan: closed after [1-9][0-9]* bytes"
c=$(create die0 vchan "role=client peer=0 path=/local/domain/0/data/die0 mode=attack attack=die bytes=40000")
"$VC" -c "$WORK/vchan.sock" server "$c" data/die0 victim --ring 65536 >"$WORK/die0.out" 2>&1 ||
	fail "bh-vchan victim: $(tail -3 "$WORK/die0.out")"
grep -q "vchan: closed after [1-9][0-9]* bytes" "$WORK/die0.out" || fail "die0: $(cat "$WORK/die0.out")"

# Nothing hurt: bulkhead and xenstored are alive, and nothing leaked in dom0's grants.
kill -0 "$bhpid" || fail "bulkhead died"
kill -0 "$xsd_pid" || fail "bh-xenstored died"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail -5 "$WORK/out")"
