# Connection limits (issue 15, row 6). Idle connections that fill the
# vchan_t service socket, and a non-root client's that fill what it may of
# the control socket, shut out neither root's bh, nor another non-root
# client, nor xenstored when it reconnects, nor a new domain. A connection
# that never sends a request gives its slot back after 10 s.
. "$(dirname "$0")/lib.sh"
chmod 755 "$WORK"
services_start --control-label "65534=system_u:system_r:dom0_t" \
	--control-label "12345=system_u:system_r:dom0_t"
chmod 777 "$WORK/ctl.sock"
# hold PATH N [as nobody]: N idle connections to PATH, kept open in the
# background; a file in $WORK/held says they connected, its .open how many
# bulkhead has not closed yet.
hold() {
	local run=(/usr/bin/python3)
	[ "${3:-}" = nobody ] && run=(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3)
	local out=$WORK/held/$2.$RANDOM
	"${run[@]}" - "$1" "$2" "$out" 2>"$out.err" <<'PY' &
import socket, sys, time, select
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
open(out, "w").write("connected %d\n" % len(socks))
while True:
    r, _, _ = select.select(socks, [], [], 0.5)
    for s in r:
        try:
            gone = not s.recv(1)
        except OSError:  # reset: closed too
            gone = True
        if gone:
            socks.remove(s)
    open(out + ".open", "w").write("%d\n" % len(socks))
    if not socks:
        break
    time.sleep(0.2)
time.sleep(600)
PY
	holders+=($!)
}
holders=()
mkdir "$WORK/held" && chmod 777 "$WORK/held"
connected() { cat "$WORK"/held/*[0-9] 2>/dev/null | wc -l; }
still_open() { cat "$WORK"/held/*.open 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'; }
trap '[ -n "$bhpid" ] && kill -KILL "$bhpid" 2>/dev/null; [ -n "$xsd_pid" ] && kill -KILL "$xsd_pid" 2>/dev/null; kill ${holders[*]} 2>/dev/null' EXIT
hold "$WORK/vchan.sock" 40
hold "$WORK/ctl.sock" 40 nobody
for ((i = 0; i < 100; i++)); do [ "$(connected)" = 2 ] && break; sleep 0.1; done
[ "$(connected)" = 2 ] || fail "the idle connections did not connect"
sleep 0.5 # let bulkhead's accept threads take the backlog

# Root's bh on the control socket.
[ "$(timeout 5 "$BHCTL" -s "$WORK/ctl.sock" getenforce 2>&1)" = Enforcing ] ||
	fail "bh with the vchan and control sockets full: $(timeout 5 "$BHCTL" -s "$WORK/ctl.sock" getenforce 2>&1)"
# Another labelled uid: nobody holds no more than its share.
[ "$(timeout 5 setpriv --reuid=12345 --regid=12345 --clear-groups "$BHCTL" -s "$WORK/ctl.sock" getenforce 2>&1)" = Enforcing ] ||
	fail "uid 12345 with nobody's connections open: $(timeout 5 setpriv --reuid=12345 --regid=12345 --clear-groups "$BHCTL" -s "$WORK/ctl.sock" getenforce 2>&1)"
# xenstored reconnects (a new one registers its arena), and a domain with xenstore boots.
kill "$xsd_pid"
wait "$xsd_pid" 2>/dev/null
"$XSD" --socket "$XENSTORED_PATH" --control "$WORK/svc.sock" >"$WORK/xsd2.out" 2>&1 &
xsd_pid=$!
wait_for "$WORK/xsd2.out" "ready on" 10
[ "$(grep -c "xenstore arena of" "$WORK/out")" -ge 2 ] || fail "xenstored could not re-register"
id=$(create web idle "name=web")
[ -n "$id" ] || fail "no domain id"
bhctl list | grep -q "^web " || fail "web: $(bhctl list)"

# The idle ones (they never sent a request) are closed after 10 s.
for ((i = 0; i < 300; i++)); do
	[ "$(ls "$WORK"/held/*.open 2>/dev/null | wc -l)" = 2 ] && [ "$(still_open)" = 0 ] && break
	sleep 0.1
done
[ "$(still_open)" = 0 ] || fail "idle connections still open: $(still_open) (bulkhead holds $(ls /proc/$bhpid/fd | wc -l) fds; holders: $(cat "$WORK"/held/*.err))"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
