# A hostile host service on the least-privileged service label (vchan_t)
# tries to take what xenstored needs or learn what it may not; xenstored
# (xenstore_t) keeps serving new domains.
. "$(dirname "$0")/lib.sh"
services_start

# hostile ARG...: a vchan_t client on $WORK/vchan.sock (python, below); the
# connection stays open while it waits for "$WORK/hostile.go" to vanish.
cat >"$WORK/hostile.py" <<'PY'
import os, socket, struct, sys
MAGIC, VER = 0x31434842, 1
def hdr(op, ln, seq=7):
    return struct.pack("<IHHII", MAGIC, VER, op, ln, seq)
def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        assert c, "closed"
        b += c
    return b
def call(s, op, payload):
    s.sendall(hdr(op, len(payload)) + payload)
    while True:
        magic, ver, rop, ln, seq = struct.unpack("<IHHII", recv_exact(s, 16))
        body = recv_exact(s, ln)
        if not rop & 0x4000:  # not a notification
            assert rop == op | 0x8000, (op, rop)
            return struct.unpack("<i", body[:4])[0], body[4:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
what = sys.argv[2]
if what == "virq":
    VIRQ_DOM_EXC = 3
    status, _ = call(s, 50, struct.pack("<I", VIRQ_DOM_EXC))
    print("virq", status)
PY
hostile() { python3 "$WORK/hostile.py" "$WORK/vchan.sock" "$@"; }

# xs_connected NAME ID: the guest reached xenstore through its ring (its
# xenbus advertises control/feature-poweroff there).
xs_connected() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$("$XS" read "/local/domain/$2/control/feature-poweroff" 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
	done
	fail "domain $1 ($2) never wrote to xenstore: $(tail -n 5 "$(log_of "$1")")"
}

# 1. VIRQ_DOM_EXC, every domain's life cycle, is xenstored's alone (issue
#    15, row 12): vchan_t is refused; xenstore_t bound it (bh-xenstored
#    exits if it cannot) and still sees a new domain.
[ "$(hostile virq)" = "virq -13" ] || fail "vchan_t bound VIRQ_DOM_EXC: $(hostile virq)"
grep -q "avc:  denied  { set_virq_handler }.*tcontext=system_u:system_r:vchan_t" "$WORK/out" ||
	fail "no denial logged: $(grep avc "$WORK/out" | tail -n 3)"
one=$(create one idle "")
xs_connected one "$one"
kill -0 "$xsd_pid" || fail "bh-xenstored died"

stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
