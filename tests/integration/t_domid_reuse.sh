# Domain ids wrap (at 0x7ff0, as in Xen) and are reused; what was offered
# to a domain dies with it (issue 15, row 11). A domain offers an unbound
# port to domain N, a vchan_t service offers N a port and a dom0 grant;
# N is destroyed and a new domain gets id N: it can bind and map none of
# it, and the service learns that its offer's domain is gone.
# bulkhead-test with BULKHEAD_TEST_DOMID_WRAP=3 hands out ids 1 and 2 only.
. "$(dirname "$0")/lib.sh"
BH="$(dirname "$BH")/bulkhead-test"
export BULKHEAD_TEST_DOMID_WRAP=3
services_start

server=$(create server flasktest "role=server peer=2 seconds=120" "$(label netback_t)")
[ "$server" = 1 ] || fail "the server got id $server"
wait_for "$(log_of server)" "flasktest: server port" 20
gport=$(sed -n 's/.*flasktest: server port \([0-9]*\).*/\1/p' "$(log_of server)")
victim=$(create victim idle "" "$(label appvm_t)")
[ "$victim" = 2 ] || fail "the victim got id $victim"

# The service: a grant arena, a port and a grant offered to domain 2; it
# holds them until the go file is gone, then sends on the port.
cat >"$WORK/offer.py" <<'PY'
import os, socket, struct, sys, time
sys.path.insert(0, os.environ["TOP"] + "/tests/integration")
from bhproto import call, sealed_memfd
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
fd = sealed_memfd(1)
assert call(s, 48, struct.pack("<II", 2, 1), fd)[0] == 0
status, out = call(s, 53, struct.pack("<I", 2))
assert status == 0, status
port = struct.unpack("<I", out)[0]
status, out = call(s, 54, struct.pack("<III", 2, 0, 0))
assert status == 0, status
ref = struct.unpack("<I", out)[0]
print("offered port", port, "ref", ref, flush=True)
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
print("send", call(s, 51, struct.pack("<I", port))[0], flush=True)
PY
touch "$WORK/go"
python3 "$WORK/offer.py" "$WORK/vchan.sock" "$WORK/go" >"$WORK/offer.out" 2>&1 &
opid=$!
wait_for "$WORK/offer.out" "offered port" 10
read -r _ _ sport _ sref < "$WORK/offer.out"

bhctl destroy victim || fail "destroy victim"

# probe NAME PEER PORT [REF]: a new domain 2 tries what was offered to the
# old one; $got is its "bind RC map STATUS". It powers off when done.
probe() {
	local id i
	id=$(create "$1" flasktest "role=probe peer=$2 port=$3 ref=${4:-0}" "$(label appvm_t)")
	[ "$id" = 2 ] || fail "$1 got id $id, not the dead domain's 2"
	wait_for "$(log_of "$1")" "flasktest: probe" 20
	got=$(sed -n 's/.*flasktest: probe //p' "$(log_of "$1")")
	for ((i = 0; i < 200; i++)); do
		bhctl list | grep -q "^$1 " || return 0
		sleep 0.1
	done
	fail "$1 did not go away"
}
probe heir1 1 "$gport"
[ "$got" = "bind -22 map 0" ] || fail "the new domain 2 bound the port offered to the old one: $got"
probe heir2 0 "$sport" "$sref"
[ "$got" = "bind -22 map -8" ] ||
	fail "the new domain 2 used the service's offer to the old one (bind RC map GNTST): $got"

rm "$WORK/go"
wait "$opid" || fail "the service: $(cat "$WORK/offer.out")"
grep -q "^send -107$" "$WORK/offer.out" ||
	fail "the service's port offered to the dead domain is not closed: $(cat "$WORK/offer.out")"
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
echo ok
