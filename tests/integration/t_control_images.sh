# Image files are read with the requester's authority (issue 15, rows 2, 3).
# A FIFO named as kernel= blocks nothing and is refused by name, whether a
# client or the operator (--domain) names it; nor does one planted as a
# domain's console log. A non-root client cannot boot
# a file it cannot read itself, by bh or by a hand-made request.
. "$(dirname "$0")/lib.sh"
mkfifo "$WORK/fifo.elf"

# 1. --domain with a FIFO kernel: refused at once, not blocked in open().
fifo=$(cfg fifo idle "kernel=\"$WORK/fifo.elf\"")
boot 20 --domain "$fifo"
[ $rc -ne 0 ] || fail "a FIFO kernel was accepted at boot"
expect_out "fifo.elf: not a regular file (a FIFO)"

# 2. bh create with a FIFO kernel, and a device node: refused with the reason;
#    bulkhead still answers and stops on SIGTERM.
chmod 755 "$WORK"
idle=$(cfg idle idle memory=4)
boot_bg --domain "$idle" --control-label "65534=system_u:system_r:dom0_t"
wait_for "$(log_of idle)" "idle: waiting" 10
out=$(timeout 10 "$BHCTL" -s "$WORK/ctl.sock" create -q "$fifo" 2>&1)
rc=$?
[ $rc -eq 124 ] && fail "bh create of a FIFO kernel hung"
[ $rc -ne 0 ] || fail "a FIFO kernel was accepted over the control socket"
grep -q "fifo.elf: not a regular file (a FIFO)" <<<"$out" || fail "FIFO: $out"
out=$(timeout 10 "$BHCTL" -s "$WORK/ctl.sock" create -q "$(cfg null idle 'kernel="/dev/null"')" 2>&1) &&
	fail "/dev/null was accepted as a kernel"
grep -q "/dev/null: not a regular file (a character device)" <<<"$out" || fail "/dev/null: $out"
# The console log is opened by the name a client chooses: a FIFO planted
# there does not block the main thread either.
mkfifo "$WORK/log/guest-fifolog.log"
out=$(timeout 10 "$BHCTL" -s "$WORK/ctl.sock" create -q "$(cfg fifolog idle)" 2>&1)
rc=$?
[ $rc -eq 124 ] && fail "bh create with a FIFO as its console log hung"
[ $rc -ne 0 ] || fail "a FIFO was taken as a console log"
grep -q "cannot open console log .*guest-fifolog.log" <<<"$out" || fail "console FIFO: $out"
timeout 10 "$BHCTL" -s "$WORK/ctl.sock" list | grep -q "^idle " || fail "bh list after the FIFO"

# 3. As nobody (labelled dom0_t, so the policy lets it create): a 0600 root
#    file is refused to bh, and a request without fds that names it is
#    refused by bulkhead, which opens no path a client names.
chmod 777 "$WORK/ctl.sock"
cp "$GUEST/hello.elf" "$WORK/secret.elf"
chmod 600 "$WORK/secret.elf"
secret=$(cfg secret hello memory=4 "kernel=\"$WORK/secret.elf\"")
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
out=$(asnobody "$BHCTL" -s "$WORK/ctl.sock" create -q "$secret" 2>&1) &&
	fail "nobody booted a root-only kernel: $out"
grep -q "secret.elf: Permission denied" <<<"$out" || fail "nobody's bh: $out"
asnobody /usr/bin/python3 - "$WORK/ctl.sock" "$secret" <<'PY' || fail "hand-made create as nobody"
import socket, struct, sys
path, cfgpath = sys.argv[1], sys.argv[2].encode()
text = open(cfgpath, "rb").read()
req = struct.pack("<III", 0, len(cfgpath), 0) + cfgpath + text
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.sendall(struct.pack("<IHHII", 0x31434842, 1, 32, len(req), 1) + req)
h = b""
while len(h) < 16:
    h += s.recv(16 - len(h))
ln = struct.unpack("<IHHII", h)[3]
body = b""
while len(body) < ln:
    body += s.recv(ln - len(body))
status = struct.unpack("<i", body[:4])[0]
print(status, body[4:].decode(errors="replace"))
assert status < 0, "bulkhead built a domain from a file the client cannot read"
assert b"must come with the request" in body, body
PY
bhctl list | grep -q "^secret " && fail "the secret domain exists: $(bhctl list)"
[ -e "$(log_of secret)" ] && grep -q Hello "$(log_of secret)" && fail "the secret kernel ran"
# What nobody may read, it may boot: the fds it passes are what bulkhead reads.
chmod 644 "$WORK/secret.elf"
asnobody "$BHCTL" -s "$WORK/ctl.sock" create -q "$secret" >/dev/null 2>&1 ||
	fail "nobody could not boot a kernel it can read"
wait_for "$(log_of secret)" "Hello" 10
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
