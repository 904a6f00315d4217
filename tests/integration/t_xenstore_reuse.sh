# A dead domain's xenstore ring page is not handed to a new domain while
# xenstored still holds it, and xenstored drops a ring whose port closed at
# once (issue 15, row 7): a new domain's ring is never served as a dead
# one's, and no dead domain's queued replies reach it.
. "$(dirname "$0")/lib.sh"

# 1. bulkhead alone, with a xenstore_t service of our own: it binds A's
#    store port; A is destroyed and B created at once: B gets another
#    page. Once the service closes its port, A's page is free again.
boot_bg --service "$WORK/svc.sock=system_u:system_r:xenstore_t"
wait_for "$WORK/out" "control: listening" 10
cfg a idle memory=4 >/dev/null
python3 - "$WORK/ctl.sock" "$WORK/svc.sock" "$WORK/a.cfg" "$GUEST/idle.elf" <<'PY' >"$WORK/py.out" 2>&1 || fail "python: $(cat "$WORK/py.out")"
import os, struct, sys
sys.path.insert(0, os.environ["TOP"] + "/tests/integration")
import bhproto
from bhproto import conn, sealed_memfd
events = []
def call(s, op, payload, fd=None):
    return bhproto.call(s, op, payload, fd, events)
ctl, svc = conn(sys.argv[1]), conn(sys.argv[2])
fd = sealed_memfd(4, "xs")
assert call(svc, 48, struct.pack("<II", 1, 4), fd)[0] == 0
text = open(sys.argv[3], "rb").read()
def create(name):
    t = text.replace(b'"a"', b'"' + name + b'"')
    path = sys.argv[3].encode()
    kfd = os.open(sys.argv[4], os.O_RDONLY)  # the kernel, opened with our authority
    st, info = call(ctl, 32, struct.pack("<III", 0, len(path), 0) + path + t, kfd)
    os.close(kfd)
    assert st == 0, (name, st, info)
    domid, = struct.unpack_from("<I", info, 0)
    mfn, port = struct.unpack_from("<QI", info, 56)
    return domid, mfn, port
a, amfn, aport = create(b"a")
st, out = call(svc, 49, struct.pack("<II", a, aport))
assert st == 0, st
lport, = struct.unpack("<I", out)
assert call(ctl, 33, struct.pack("<I", a))[0] == 0
b, bmfn, _ = create(b"b")
print("a page", amfn, "b page", bmfn)
assert bmfn != amfn, "B got the page the service still serves as A's"
# The service was told that A's end closed.
while not any(e == 2 and lport in p for e, p in events):
    call(svc, 51, struct.pack("<I", lport))  # -ENOTCONN; reads what came before
assert call(svc, 52, struct.pack("<I", lport))[0] == 0
c, cmfn, _ = create(b"c")
print("c page", cmfn)
assert cmfn == amfn, "A's page was not given back once the service let go of it"
PY
cat "$WORK/py.out"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"

# 2. With bh-xenstored: a domain closes its own xenstore port with replies
#    queued. xenstored drops its ring at once, not at its next scan.
services_start
closer=$(create closer xshostile "role=closeport")
wait_for "$(log_of closer)" "xshostile: closed port" 20
expect_log closer "xshostile: closed port [0-9]*: 0"
wait_for "$WORK/xsd.out" "domain $closer released" 20
expect_xsd() { grep -q -- "$1" "$WORK/xsd.out" || fail "no '$1' in xenstored's output"; }
expect_xsd "domain $closer: its xenstore port closed"
# ...and does not try to bind the closed port again at each scan.
create other idle "" >/dev/null
wait_for "$WORK/xsd.out" "introduced" 20
grep -q "domain $closer: cannot bind" "$WORK/xsd.out" && fail "xenstored retries the closed port"

# 3. An on_reboot="restart" loop: each incarnation floods xenstore (replies
#    queued, never read) and reboots; the next is built at once. xenstored
#    is stopped meanwhile, so it still holds the dead incarnation's ring
#    when the next is built: that one must get another page. When
#    xenstored runs again it drops the dead ring and serves the new one.
page_of() { # page_of ID: its store page, from bh list -l
	bhctl list -l | python3 -c 'import json, sys
for d in json.load(sys.stdin):
    if d["domid"] == int(sys.argv[1]): print(d["store_mfn"])' "$1"
}
domid_of() { # domid_of NAME
	bhctl list -l | python3 -c 'import json, sys
for d in json.load(sys.stdin):
    if d["name"] == sys.argv[1]: print(d["domid"])' "$1"
}
started() { grep -c '(looper) started' "$WORK/out"; }
bhctl create "$(cfg looper xshostile memory=8 'cmdline="role=flood then=reboot"' \
	'on_reboot="restart"')" >/dev/null 2>&1 || fail "create looper"
first=$(domid_of looper)
wait_for "$WORK/xsd.out" "domain $first introduced" 20
wait_for "$(log_of looper)" "xshostile: attack flood" 20
page1=$(page_of "$first")
n=$(started)
kill -STOP "$xsd_pid"
for ((i = 0; i < 300; i++)); do
	[ "$(started)" -gt "$n" ] && break
	sleep 0.1
done
[ "$(started)" -gt "$n" ] || { kill -CONT "$xsd_pid"; fail "the looper did not restart"; }
second=$(domid_of looper)
page2=$(page_of "$second")
kill -CONT "$xsd_pid"
echo "incarnation $first: page $page1; incarnation $second: page $page2"
[ "$page2" != "$page1" ] ||
	fail "incarnation $second got page $page1 while xenstored still held it as domain $first's"
wait_for "$WORK/xsd.out" "domain $first released" 20
# Its ring is served as its own: introduced for its id, on its page.
wait_for "$WORK/xsd.out" "domain $second introduced: ring page $page2," 20
# More rounds, with xenstored running: each incarnation reaches xenstore.
n=$(started)
for ((i = 0; i < 600; i++)); do
	[ "$(started)" -ge $((n + 2)) ] && break
	sleep 0.1
done
[ "$(started)" -ge $((n + 2)) ] || fail "the looper stopped restarting"
bhctl destroy looper 2>/dev/null
grep -q "xenstore ring broken" "$WORK/xsd.out" && fail "a ring broke: $(grep broken "$WORK/xsd.out")"
ids=$(sed -n 's/.*domain \([0-9]*\) (looper) started.*/\1/p' "$WORK/out" | head -n -1)
for id in $first $ids; do
	grep -q "domain $id introduced" "$WORK/xsd.out" || fail "incarnation $id was never served"
done
kill -0 "$xsd_pid" || fail "bh-xenstored died"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
