# Hostile bytes on the control socket: bad magic, bad versions, lengths past
# the limit, truncated frames, a flood of connections. bulkhead closes the
# offender and serves the next client.
. "$(dirname "$0")/lib.sh"
idle=$(cfg idle idle memory=4)
boot_bg --domain "$idle" --service "$WORK/svc.sock=system_u:system_r:xenstore_t" \
	--service "$WORK/vc.sock=system_u:system_r:vchan_t"
wait_for "$WORK/out" "listening on" 10
python3 - "$WORK/ctl.sock" "$WORK/svc.sock" "$WORK/vc.sock" <<'PY' || fail "python client"
import os, socket, struct, sys, random
sys.path.insert(0, os.environ["TOP"] + "/tests/integration")
import bhproto
from bhproto import MAGIC, hdr, call, sealed_memfd
path = sys.argv[1]
def conn(p=None):
    return bhproto.conn(p or path, timeout=5)
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
# The domain and service ops with hostile payloads: lengths that lie, paths
# with NULs, absurd ids, create texts that are not configs, a memfd that is
# not sealed, fds nobody asked for. Each gets an error; nothing else moves.
s = conn()
def create(flags, path, text, extra=b"", plen=None, elen=None):
    return struct.pack("<III", flags, len(path) if plen is None else plen,
                       len(extra) if elen is None else elen) + path + text + extra
bad = [
    (32, create(0, b"/x.cfg", b"name='a'\n", plen=0xffffffff)),
    (32, create(0, b"/x.cfg", b"", elen=0xfffffff0)),
    (32, create(0, b"/x\0.cfg", b"name='a'\nkernel='/k'\n")),
    (32, create(0, b"rel.cfg", b"name='a'\nkernel='/k'\n")),
    (32, create(0xff, b"/x.cfg", b"name='a'\nkernel='/k'\n")),
    (32, create(0, b"/x.cfg", b"name='a'\nkernel='/nonexistent'\n")),
    (32, create(0, b"/x.cfg", b"name='a'\nkernel='/k'\nseclabel='<<none>>'\n")),
    (32, create(0, b"/x.cfg", bytes(range(256)))),
    (32, create(0, b"/x.cfg", b"name='idle'\nkernel='/k'\n")),
    (32, b"\x00" * 5),
    (33, struct.pack("<I", 0xffffffff)), (33, b""), (34, struct.pack("<I", 0)),
    (35, struct.pack("<I", 77)), (36, struct.pack("<III", 1, 9, 0)),
    (36, struct.pack("<III", 1, 0, 0xffffffff)), (38, struct.pack("<Q", 1)),
    (39, struct.pack("<IIQ", 1, 0, 0)), (39, struct.pack("<IIQ", 1, 1 << 30, 0)),
    (40, struct.pack("<I", 5)), (48, struct.pack("<II", 1, 1)),
    (49, struct.pack("<II", 1, 0)), (49, struct.pack("<II", 0xffff, 1)),
    (50, struct.pack("<I", 99)), (51, struct.pack("<I", 0)), (52, struct.pack("<I", 5000)),
]
for op, payload in bad:
    status, msg = call(s, op, payload)
    assert status < 0, (op, payload[:24], status)
# dom0_t may not serve xenstore at all; xenstore_t (the --service socket)
# may, but only with an arena that is sealed and the size it says.
status, msg = call(s, 48, struct.pack("<II", 1, 1), os.memfd_create("x"))
assert status == -13, status
s.close()
s = conn(sys.argv[2])
fd = os.memfd_create("a", os.MFD_ALLOW_SEALING); os.ftruncate(fd, 4096)
status, msg = call(s, 48, struct.pack("<II", 1, 1), fd)
assert status == -22 and b"sealed" in msg, (status, msg)
import fcntl
fcntl.fcntl(fd, bhproto.F_ADD_SEALS, bhproto.F_SEAL_SHRINK | bhproto.F_SEAL_GROW)
status, msg = call(s, 48, struct.pack("<II", 1, 2), fd)
assert status == -22 and b"pages" in msg, (status, msg)
r, w = os.pipe()
status, msg = call(s, 48, struct.pack("<II", 1, 1), r)
assert status == -22, status
status, msg = call(s, 11, b"", w)  # an fd with an op that takes none: closed; xenstore_t may not read policyvers
assert status == -13, status
s.close()
# vchan's service ops (53-56) from a vchan_t socket: every malformed payload
# is refused before anything moves; a copy from a page nobody granted to
# dom0 fails in its own status. dom0_t may not register a grant arena.
s = conn()
status, msg = call(s, 48, struct.pack("<II", 2, 4), sealed_memfd(4))
assert status == -13, status
s.close()
s = conn(sys.argv[3])
def seg(domid, ref, off, ln, flags=0):
    return struct.pack("<IIHHI", domid, ref, off, ln, flags)
for op, payload, want in (
        (53, b"\x01\x00\x00", -22), (53, struct.pack("<I", 0xffff), -22),
        (53, struct.pack("<I", 999), -3),
        (54, struct.pack("<III", 1, 0, 0), -22),  # no grant arena yet
        (55, struct.pack("<I", 8), -22),          # no grants yet
        (56, struct.pack("<I", 0), -22), (56, struct.pack("<I", 65) + seg(1, 1, 0, 1) * 65, -22),
        (56, struct.pack("<I", 2) + seg(1, 1, 0, 1), -22),
        (56, struct.pack("<I", 1) + seg(1, 1, 4000, 200), -22),
        (56, struct.pack("<I", 1) + seg(1, 1, 0, 8, 2), -22),
        (56, struct.pack("<I", 1) + seg(1, 1, 0, 10, 1), -22),       # its bytes are missing
        (56, struct.pack("<I", 1) + seg(1, 1, 0, 10, 1) + b"x" * 11, -22),
        (56, struct.pack("<I", 17) + seg(1, 1, 0, 4096) * 17, -22),  # over 64 KiB
        (48, struct.pack("<II", 3, 4), -22)):
    status, msg = call(s, op, payload, sealed_memfd(4) if op == 48 else None)
    assert status == want, (op, payload[:16], status, want)
status, msg = call(s, 48, struct.pack("<II", 2, 4), sealed_memfd(4))
assert status == 0, (status, msg)
status, msg = call(s, 48, struct.pack("<II", 2, 4), sealed_memfd(4))
assert status == -17, status  # one arena per connection
for payload, want in ((struct.pack("<III", 1, 4, 0), -22), (struct.pack("<III", 999, 0, 0), -3),
                      (struct.pack("<III", 1, 0, 2), -22), (struct.pack("<III", 0xffff, 0, 0), -22)):
    status, msg = call(s, 54, payload)
    assert status == want, (payload, status, want)
status, msg = call(s, 54, struct.pack("<III", 1, 0, 0))
assert status == 0 and struct.unpack("<I", msg)[0] >= 8, (status, msg)
ref = struct.unpack("<I", msg)[0]
for r, want in ((0, -22), (99999, -22), (ref, 0), (ref, -22)):
    status, msg = call(s, 55, struct.pack("<I", r))
    assert status == want, (r, status, want)
# Copies that are well formed but name nothing granted: each segment fails alone.
status, msg = call(s, 56, struct.pack("<I", 3) + seg(1, 5, 0, 16) + seg(999, 5, 0, 16) +
                   seg(1, 100000, 0, 4, 1) + b"abcd")
assert status == 0 and len(msg) == 8, (status, msg)
st = struct.unpack("<hhhh", msg)
assert st[0] < 0 and st[1] == -2 and st[2] < 0, st
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
# The daemon still answers, and the guest is still up and alone.
[ "$(bhctl getenforce)" = Enforcing ] || fail "getenforce after the attack"
bhctl list | grep -qE "^idle +1 .*r-----" || fail "idle is not running: $(bhctl list)"
[ "$(bhctl list | wc -l)" = 2 ] || fail "a hostile create made a domain: $(bhctl list)"
[ "$(ls /proc/$bhpid/fd | wc -l)" -lt 40 ] || fail "bulkhead holds $(ls /proc/$bhpid/fd | wc -l) fds"
kill -0 "$bhpid" || fail "bulkhead died"
grep -q "malformed header" "$WORK/out" || fail "no log of the malformed headers"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
