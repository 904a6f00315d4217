# bh-xenstored on its dom0 Unix socket, driven by bh-xs: read, write, ls,
# rm, permissions, watches, the domain messages, errors; hostile bytes
# close only the offender; a stale socket is replaced, a live daemon is
# not; SIGTERM exits cleanly and removes the socket. Needs no KVM.
. "$(dirname "$0")/lib.sh"
BIN=$(dirname "$BH")
XSD="$BIN/bh-xenstored"
SOCK="$WORK/run/xenstored/socket"
[ -x "$XSD" ] && [ -x "$BIN/bh-xs" ] || fail "bh-xenstored or bh-xs not built"

xs() { "$BIN/bh-xs" --socket "$SOCK" "$@"; }
# expect_err CODE ARGS...: bh-xs fails with "CODE" in its message.
expect_err() {
	local code=$1 out; shift
	out=$(xs "$@" 2>&1) && fail "bh-xs $* succeeded: $out"
	grep -q -- ": $code\$" <<<"$out" || fail "bh-xs $*: expected $code, got: $out"
}
start_xsd() {
	: >"$WORK/out"
	"$XSD" --socket "$SOCK" >"$WORK/out" 2>&1 &
	bhpid=$!
	wait_for "$WORK/out" "bh-xenstored: ready on $SOCK" 10
}

start_xsd
[ "$(stat -c %a "$SOCK")" = 700 ] || fail "socket mode $(stat -c %a "$SOCK"), expected 700"

# A second daemon on the same socket refuses, and the first keeps serving.
"$XSD" --socket "$SOCK" >"$WORK/second" 2>&1 && fail "a second daemon started"
grep -q "already running" "$WORK/second" || fail "second daemon: $(cat "$WORK/second")"

# The standard tree.
[ "$(xs ls /)" = "$(printf 'local\nvm\ntool')" ] || fail "ls /: $(xs ls /)"
[ "$(xs getperms /local/domain)" = n0 ] || fail "getperms /local/domain"

# Read, write, mkdir, ls, rm.
xs write /local/domain/5/device/vif/0/state 4 || fail "write"
[ "$(xs read /local/domain/5/device/vif/0/state)" = 4 ] || fail "read back"
[ "$(xs read /local/domain/5/device)" = "" ] || fail "parent not empty"
xs mkdir /local/domain/5/data || fail "mkdir"
xs mkdir /local/domain/5/data || fail "mkdir of an existing node"
[ "$(xs ls /local/domain/5)" = "$(printf 'device\ndata')" ] || fail "ls: $(xs ls /local/domain/5)"
xs write /v "with spaces and = signs" || fail "write spaces"
[ "$(xs read /v)" = "with spaces and = signs" ] || fail "read spaces"
xs rm /local/domain/5/device || fail "rm"
expect_err ENOENT read /local/domain/5/device/vif/0/state
xs rm /local/domain/5/device || fail "rm of a missing node (parent there)"
expect_err ENOENT rm /local/domain/5/device/vif
expect_err ENOENT ls /nothing
expect_err EINVAL read /bad//path
expect_err EINVAL write /trailing/ x
expect_err EINVAL read "/sp ace"
expect_err EINVAL rm /

# Permissions (dom0 may do anything; the store keeps and reports them).
xs setperms /local/domain/5 n5 r6 b7 || fail "setperms"
[ "$(xs getperms /local/domain/5)" = "n5 r6 b7" ] || fail "getperms: $(xs getperms /local/domain/5)"
xs write /local/domain/5/child x || fail "write child"
[ "$(xs getperms /local/domain/5/child)" = "n5 r6 b7" ] || fail "child did not inherit"
expect_err EINVAL setperms /local/domain/5 x5
expect_err EINVAL setperms /local/domain/5 r99999
expect_err ENOENT setperms /nothing n0

# Domain messages.
[ "$(xs getdomainpath 12)" = /local/domain/12 ] || fail "getdomainpath"
[ "$(xs isintroduced 12)" = F ] || fail "isintroduced before"
xs introduce 12 100 3 || fail "introduce"
[ "$(xs isintroduced 12)" = T ] || fail "isintroduced after"
expect_err EEXIST introduce 12 100 3
xs release 12 || fail "release"
[ "$(xs isintroduced 12)" = F ] || fail "isintroduced after release"
expect_err ENOENT release 12
expect_err EINVAL introduce 0 1 1

# Watches: the first event fires at once; then the node, a child, the rm.
XENSTORED_PATH="$SOCK" "$BIN/bh-xs" watch /w 4 >"$WORK/watch" 2>&1 &
wpid=$!
wait_for "$WORK/watch" "^/w\$" 10
xs write /w 1 || fail "write /w"
xs write /w/child/x 2 || fail "write /w/child/x"
xs rm /w || fail "rm /w"
for ((i = 0; i < 50; i++)); do kill -0 $wpid 2>/dev/null || break; sleep 0.1; done
kill -0 $wpid 2>/dev/null && { kill $wpid; fail "watch did not see 4 events: $(cat "$WORK/watch")"; }
wait $wpid || fail "bh-xs watch failed: $(cat "$WORK/watch")"
[ "$(cat "$WORK/watch")" = "$(printf '/w\n/w\n/w/child/x\n/w')" ] ||
	fail "watch events: $(cat "$WORK/watch")"
# Special watches.
"$BIN/bh-xs" --socket "$SOCK" watch @introduceDomain 2 >"$WORK/intro" 2>&1 &
wpid=$!
wait_for "$WORK/intro" "^@introduceDomain\$" 10
xs introduce 13 1 1 || fail "introduce 13"
for ((i = 0; i < 50; i++)); do kill -0 $wpid 2>/dev/null || break; sleep 0.1; done
kill -0 $wpid 2>/dev/null && { kill $wpid; fail "no @introduceDomain event"; }
[ "$(grep -c '^@introduceDomain$' "$WORK/intro")" = 2 ] || fail "intro: $(cat "$WORK/intro")"

# Hostile bytes: each offender is closed, everyone else is served.
python3 - "$SOCK" "$bhpid" <<'PY' || fail "python client"
import os, signal, socket, struct, sys, random
path, daemon = sys.argv[1], int(sys.argv[2])
XS_READ, XS_WRITE, XS_ERROR, XS_WATCH_EVENT = 2, 11, 16, 15
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s
def hdr(t, ln, req=7, tx=0):
    return struct.pack("<IIII", t, req, tx, ln)
def closed(s):
    try:
        return s.recv(64) == b""
    except (ConnectionResetError, socket.timeout):
        return True
def call(s, t, payload, req=7):
    s.sendall(hdr(t, len(payload), req) + payload)
    h = s.recv(16, socket.MSG_WAITALL)
    t2, r2, tx2, ln = struct.unpack("<IIII", h)
    body = s.recv(ln, socket.MSG_WAITALL) if ln else b""
    assert r2 == req, (r2, req)
    return t2, body
# Protocol errors close the connection: len past the maximum, types that
# are not requests.
for c in (hdr(XS_READ, 4097), hdr(XS_READ, 0xffffffff), hdr(XS_ERROR, 0),
          hdr(XS_WATCH_EVENT, 0), hdr(20, 0), hdr(999, 0)):
    s = conn(); s.sendall(c)
    assert closed(s), c
    s.close()
# Malformed payloads get an error, and the connection lives on.
s = conn()
for t, p, err in ((XS_READ, b"/local", b"EINVAL\0"), (XS_READ, b"", b"EINVAL\0"),
                  (XS_WRITE, b"/x", b"EINVAL\0"), (XS_READ, b"/a\0/b\0", b"EINVAL\0"),
                  (7, b"T\0", b"ENOENT\0"), (XS_READ, b"rel\xff\0", b"EINVAL\0")):
    t2, body = call(s, t, p)
    assert t2 == XS_ERROR and body == err, (t, p, t2, body)
t2, body = call(s, XS_READ, b"/v\0")
assert t2 == XS_READ and body == b"with spaces and = signs", body
# Pipelined requests, split at odd places, answered in order.
msgs = b"".join(hdr(XS_READ, 3, req=100 + i) + b"/v\0" for i in range(50))
for i in range(0, len(msgs), 7):
    s.sendall(msgs[i:i + 7])
for i in range(50):
    h = s.recv(16, socket.MSG_WAITALL)
    t2, r2, _, ln = struct.unpack("<IIII", h)
    s.recv(ln, socket.MSG_WAITALL)
    assert t2 == XS_READ and r2 == 100 + i, (t2, r2)
s.close()
# Peers that go away mid-header and mid-payload.
for c in (hdr(XS_READ, 100)[:7], hdr(XS_READ, 100) + b"/x" * 10):
    s = conn(); s.sendall(c); s.close()
# Garbage on many connections at once. Every connect succeeds, however
# fast they come: the listen queue holds as many as the daemon serves, so
# a burst it has not accepted yet (here: while it is stopped) waits there.
rng = random.Random(1234)
socks = []
os.kill(daemon, signal.SIGSTOP)
try:
    for i in range(200):
        s = conn()
        s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
        socks.append(s)
finally:
    os.kill(daemon, signal.SIGCONT)
for s in socks:
    s.close()
# A client that never reads while sending a lot is throttled, not fatal.
s = conn()
s.setblocking(False)
big = hdr(XS_READ, 3, req=1) + b"/v\0"
sent = 0
try:
    for i in range(200000):
        sent += s.send(big)
except BlockingIOError:
    pass
s.close()
PY
kill -0 "$bhpid" || fail "bh-xenstored died"
[ "$(xs read /v)" = "with spaces and = signs" ] || fail "not serving after the attack"

# A stale socket (the daemon was killed) is replaced.
kill -KILL "$bhpid"
wait "$bhpid" 2>/dev/null
[ -S "$SOCK" ] || fail "socket gone after SIGKILL (nothing stale to test)"
start_xsd
expect_err ENOENT read /v # a fresh store

# SIGTERM: clean exit, socket removed.
stop_bg
[ $rc -eq 0 ] || fail "bh-xenstored exited $rc: $(tail -n 5 "$WORK/out")"
[ -e "$SOCK" ] && fail "socket left behind"
echo ok
