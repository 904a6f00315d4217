# fds on the control socket (issue 15, row 1). A client that sends more
# fds than a request takes, in one cmsg or several, many times, leaves
# bulkhead holding none of them. Out of fds, bulkhead backs off instead of
# spinning on accept4, and serves again once fds free up.
. "$(dirname "$0")/lib.sh"
idle=$(cfg idle idle memory=4)
boot_bg --domain "$idle"
wait_for "$WORK/out" "listening on" 10
wait_for "$(log_of idle)" "idle: waiting" 10
nfds() { ls "/proc/$bhpid/fd" | wc -l; }
base=$(nfds)

python3 - "$WORK/ctl.sock" <<'PY' || fail "python client"
import os, socket, struct, sys
path = sys.argv[1]
def hdr(op, ln):
    return struct.pack("<IHHII", 0x31434842, 1, op, ln, 7)
def fds(n):
    return [os.open("/dev/null", os.O_RDONLY) for _ in range(n)]
def send(s, anc):
    s.sendmsg([hdr(2, 0)], anc)
    for group in anc:
        for fd in struct.unpack("<%di" % (len(group[2]) // 4), group[2]):
            os.close(fd)
def rights(n):
    return (socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("<%di" % n, *fds(n)))
def recv(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b
def reply(s):
    h = recv(s, 16)
    body = h and recv(s, struct.unpack("<IHHII", h)[3])
    return body and struct.unpack("<i", body[:4])[0]
# On one connection: 2 fds with every request (getenforce takes none).
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
for i in range(400):
    send(s, [rights(2)])
    assert reply(s) == 0, i
s.close()
# Many connections, each with more fds than any op takes: 3 in one cmsg,
# 2 + 2 in two cmsgs, 8. bulkhead closes them all, and the connection.
for i in range(150):
    for anc in ([rights(3)], [rights(2), rights(2)], [rights(8)], [rights(1), rights(1)]):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        send(s, anc)
        reply(s)
        s.close()
PY
# Connection threads close their fds as they end: wait for the count to settle.
for ((i = 0; i < 100; i++)); do
	[ "$(nfds)" -le $((base + 1)) ] && break
	sleep 0.1
done
[ "$(nfds)" -le $((base + 1)) ] || fail "bulkhead holds $(nfds) fds, $base before the flood"
bhctl create -q "$(cfg after hello memory=4)" >/dev/null 2>&1 || fail "create after the fd flood"
wait_for "$(log_of after)" "Hello" 10

# Out of fds: idle connections use the few left, the next ones wait in the
# backlog, and accept4 fails with EMFILE. bulkhead must not spin on it.
prlimit --pid "$bhpid" --nofile=$(($(nfds) + 6)): || fail "prlimit"
python3 - "$WORK/ctl.sock" "$bhpid" <<'PY' || fail "EMFILE: bulkhead kept a core busy"
import socket, sys, time
path, pid = sys.argv[1], sys.argv[2]
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime, in ticks
socks = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # the backlog takes them even when bulkhead cannot accept
    socks.append(s)
time.sleep(1)
t0, c0 = time.monotonic(), cpu()
time.sleep(3)
used = (cpu() - c0) / 100 / (time.monotonic() - t0)
print("bulkhead used %.0f%% of a core while out of fds" % (used * 100))
sys.exit(0 if used < 0.10 else 1)
PY
grep -q "cannot accept: Too many open files; backing off" "$WORK/out" ||
	fail "no log of the EMFILE back-off: $(tail -n 5 "$WORK/out")"
prlimit --pid "$bhpid" --nofile=1024: || fail "prlimit"
[ "$(bhctl getenforce)" = Enforcing ] || fail "control socket after EMFILE"
bhctl create -q "$(cfg again hello memory=4)" >/dev/null 2>&1 || fail "create after EMFILE"
wait_for "$(log_of again)" "Hello" 10
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
