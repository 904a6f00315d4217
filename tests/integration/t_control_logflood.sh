# Log floods (issue 15, row 12). A client that reconnects again and again
# with malformed headers gets a few warnings logged, not one per
# connection, and cannot push an audit (AVC) line out of `bh dmesg`.
. "$(dirname "$0")/lib.sh"
idle=$(cfg idle idle memory=4)
boot_bg --domain "$idle" --service "$WORK/vc.sock=system_u:system_r:vchan_t"
wait_for "$WORK/out" "listening on" 10
python3 - "$WORK/ctl.sock" "$WORK/vc.sock" <<'PY' || fail "python client"
import socket, struct, sys
ctl, vc = sys.argv[1], sys.argv[2]
def hdr(op, ln, magic=0x31434842):
    return struct.pack("<IHHII", magic, 1, op, ln, 7)
# An AVC denial: vchan_t may not read the policy version (compute_av).
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(vc)
s.sendall(hdr(11, 0))
h = s.recv(16, socket.MSG_WAITALL)
body = s.recv(struct.unpack("<IHHII", h)[3], socket.MSG_WAITALL)
assert struct.unpack("<i", body[:4])[0] == -13, body
s.close()
# Then a flood: each malformed header on a new connection, far more than the ring holds.
for i in range(4000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(ctl)
    s.sendall(hdr(2, 0, magic=0xdead0000 + i))
    s.recv(1)
    s.close()
PY
bhctl dmesg >"$WORK/dmesg" || fail "bh dmesg"
grep -q "avc:  denied .*scontext=system_u:system_r:vchan_t" "$WORK/dmesg" ||
	fail "the AVC denial is gone from bh dmesg: $(grep -c . "$WORK/dmesg") lines, $(head -n 3 "$WORK/dmesg")"
n=$(grep -c "malformed header" "$WORK/dmesg")
[ "$n" -le 10 ] || fail "$n malformed-header warnings from one peer in a minute"
grep -q "uid 0 on $WORK/ctl.sock: more warnings suppressed" "$WORK/dmesg" || fail "no word of the suppression"
# Other lines still reach the log after the flood.
bhctl create -q "$(cfg later hello memory=4)" >/dev/null 2>&1 || fail "create after the flood"
wait_for "$(log_of later)" "Hello" 10
wait_for "$WORK/out" "domain 2 (later) destroyed" 10
bhctl dmesg | grep -q "domain 2 (later) destroyed" || fail "no later line in bh dmesg"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
