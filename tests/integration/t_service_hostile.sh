# A hostile host service on the least-privileged service label (vchan_t)
# tries to take what xenstored needs or learn what it may not; xenstored
# (xenstore_t) keeps serving new domains.
. "$(dirname "$0")/lib.sh"
services_start

# hostile ARG...: a vchan_t client on $WORK/vchan.sock (python, below); the
# connection stays open while it waits for "$WORK/hostile.go" to vanish.
cat >"$WORK/hostile.py" <<'PY'
import os, socket, struct, sys
sys.path.insert(0, os.environ["TOP"] + "/tests/integration")
from bhproto import call, sealed_memfd
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
what = sys.argv[2]
if what == "virq":
    VIRQ_DOM_EXC = 3
    status, _ = call(s, 50, struct.pack("<I", VIRQ_DOM_EXC))
    print("virq", status)
elif what == "exhaust":
    # N connections each take dom0 ports (offered to domain D) and dom0
    # grants (of a one-page arena, to D) until refused; print what each
    # got, then hold them all until the go file is gone.
    n, domid, go = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    conns = [s] + [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(n - 1)]
    for c in conns[1:]:
        c.connect(sys.argv[1])
    for c in conns:
        fd = sealed_memfd(1)
        assert call(c, 48, struct.pack("<II", 2, 1), fd)[0] == 0, "grant arena refused"
        os.close(fd)
        ports = grants = 0
        while True:
            status, _ = call(c, 53, struct.pack("<I", domid))
            if status < 0:
                break
            ports += 1
        while True:
            status, _ = call(c, 54, struct.pack("<III", domid, 0, 0))
            if status < 0:
                break
            grants += 1
        print("ports", ports, "grants", grants, "then", status, flush=True)
    sys.stdout.close()
    import time
    while os.path.exists(go):
        time.sleep(0.05)
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

# 2. dom0's ports and grants are one space for every service (issue 15,
#    row 5): a vchan_t connection takes at most its quota of each, and
#    however many connections it opens, what xenstored needs for a new
#    domain's ring stays free: the domain is created and reaches xenstore.
touch "$WORK/hostile.go"
hostile exhaust 4 "$one" "$WORK/hostile.go" >"$WORK/hostile.out" 2>&1 &
hpid=$!
wait_for "$WORK/hostile.out" "then" 60
for i in $(seq 300); do
	[ "$(grep -c then "$WORK/hostile.out")" = 4 ] && break
	kill -0 $hpid 2>/dev/null || fail "the hostile client failed: $(cat "$WORK/hostile.out")"
	sleep 0.1
done
cat "$WORK/hostile.out"
[ "$(grep -c then "$WORK/hostile.out")" = 4 ] || fail "the hostile client: $(cat "$WORK/hostile.out")"
two=$(create two idle "")
xs_connected two "$two"
read -r _ p1 _ g1 _ _ < <(head -n 1 "$WORK/hostile.out")
[ "$p1" -le 1024 ] && [ "$g1" -le 1024 ] || fail "one connection took $p1 ports and $g1 grants"
rm "$WORK/hostile.go"
wait $hpid || fail "the hostile client: $(cat "$WORK/hostile.out")"
bhctl destroy two || fail "destroy two"

stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
