# Hostile bytes on the control socket: bad magic, bad versions, lengths past
# the limit, truncated frames, a flood of connections. bulkhead closes the
# offender and serves the next client.
. "$(dirname "$0")/lib.sh"
idle=$(cfg idle idle memory=4)
boot_bg --domain "$idle"
wait_for "$WORK/out" "listening on" 10
python3 - "$WORK/ctl.sock" <<'PY' || fail "python client"
import os, socket, struct, sys, random
path = sys.argv[1]
MAGIC, VER = 0x31434842, 1
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s
def hdr(op, ln, magic=MAGIC, ver=VER, seq=7):
    return struct.pack("<IHHII", magic, ver, op, ln, seq)
def closed(s):
    try:
        return s.recv(64) == b""
    except (ConnectionResetError, socket.timeout):
        return True
cases = [hdr(2, 0, magic=0xdeadbeef), hdr(2, 0, ver=9), hdr(2, 0xffffffff),
         hdr(2, (64 << 20) + 4097), hdr(2 | 0x8000, 0)]
for c in cases:
    s = conn(); s.sendall(c)
    assert closed(s), c
    s.close()
# Truncated header, then truncated payload: the peer goes away mid-message.
for c in (hdr(1, 100)[:7], hdr(1, 100) + b"x" * 10):
    s = conn(); s.sendall(c); s.close()
# Unknown ops and malformed payloads get an error reply, not a hang.
s = conn()
for op, payload in ((0, b""), (999, b""), (3, b"\x01"), (5, b""), (7, b"\x00" * 3),
                    (8, struct.pack("<IiiIII", 0, 0, 0, 7, 0, 0)), (4, b"\x00" * 10),
                    (4, b"a" * 5000), (6, struct.pack("<III", 1, 1, 0))):
    s.sendall(hdr(op, len(payload)) + payload)
    h = s.recv(16, socket.MSG_WAITALL)
    magic, ver, rop, ln, seq = struct.unpack("<IHHII", h)
    body = s.recv(ln, socket.MSG_WAITALL)
    status = struct.unpack("<i", body[:4])[0]
    assert magic == MAGIC and rop == op | 0x8000 and seq == 7, (op, h)
    assert status < 0, (op, status)
s.close()
# Random garbage on many connections at once.
rng = random.Random(99)
socks = []
for i in range(64):
    try:
        s = conn()
    except OSError:
        continue
    try:
        s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
    except OSError:
        pass  # past 32 connections, or after garbage, bulkhead hangs up: expected
    socks.append(s)
for s in socks:
    s.close()
PY
# The daemon still answers, and the guest is still up.
[ "$(bhctl getenforce)" = Enforcing ] || fail "getenforce after the attack"
kill -0 "$bhpid" || fail "bulkhead died"
grep -q "malformed header" "$WORK/out" || fail "no log of the malformed headers"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
