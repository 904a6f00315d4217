# Hostile policy files reach bulkhead through bh loadpolicy: each is refused,
# bulkhead and its domains carry on, and the running policy still decides.
. "$(dirname "$0")/lib.sh"
idle=$(cfg idle idle memory=4 "$(label appvm_t)")
boot_bg --domain "$idle"
wait_for "$WORK/out" "listening on" 10
bad="$WORK/bad"
mkdir -p "$bad"
size=$(stat -c %s "$POLICY")
head -c $((size / 2)) "$POLICY" >"$bad/truncated-half"
head -c 100 "$POLICY" >"$bad/truncated-header"
head -c $((size - 1)) "$POLICY" >"$bad/truncated-last-byte"
head -c 65536 /dev/urandom >"$bad/random"
printf '\x8c\xff\x7c\xf9' >"$bad/magic-only"
# Byte flips all through a real policy.
python3 - "$POLICY" "$bad" <<'PY'
import random, sys
data = open(sys.argv[1], 'rb').read()
rng = random.Random(1234)
for i in range(20):
    b = bytearray(data)
    for _ in range(8):
        b[rng.randrange(len(b))] = rng.randrange(256)
    open(f"{sys.argv[2]}/flipped-{i}", 'wb').write(b)
PY
# The wrong target (SELinux) and a version newer than Xen reads.
cat >"$bad/selinux.conf" <<'CONF'
class process
sid kernel
class process { transition }
type kernel_t;
role system_r;
role system_r types kernel_t;
user system_u roles system_r;
sid kernel system_u:system_r:kernel_t
CONF
checkpolicy -c 30 -o "$bad/selinux-target" "$bad/selinux.conf" >/dev/null || fail "checkpolicy (selinux)"
# checkpolicy cannot write a Xen policy past 30: patch the version field.
python3 - "$POLICY" "$bad/version-31" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off = 8 + struct.unpack('<I', d[4:8])[0]   # magic, then the "XenFlask" string
d[off:off + 4] = struct.pack('<I', 31)
open(sys.argv[2], 'wb').write(d)
PY
refused=0
for f in "$bad"/*; do
	case $f in *.conf) continue ;; esac
	# Some byte flips land in places no check can see (a permission bit); those load.
	if out=$(bhctl loadpolicy "$f" 2>&1); then
		case $(basename "$f") in flipped-*) bhctl loadpolicy "$POLICY" || fail "reload"; continue ;; esac
		fail "$(basename "$f") was accepted"
	fi
	refused=$((refused + 1))
	grep -q "refused" <<<"$out" || fail "$(basename "$f"): unclear error: $out"
	kill -0 "$bhpid" || fail "bulkhead died on $(basename "$f")"
done
[ $refused -ge 8 ] || fail "only $refused refused"
grep -q "the policy for SELinux, not Xen\|a policy for SELinux, not Xen" "$WORK/out" || fail "no target message"
grep -q "version 31" "$WORK/out" || fail "no version message"
# A policy bigger than bulkhead takes: bh says so; the daemon never reads it.
truncate -s 70M "$bad/huge"
bhctl loadpolicy "$bad/huge" 2>&1 | grep -q "not a policy" || fail "huge policy"
# Still enforcing the shipped policy, and the guest is still up.
[ "$(bhctl getenforce)" = Enforcing ] || fail "getenforce"
bhctl getbool appvm_comms | grep -q "off" || fail "getbool after hostile loads"
grep -q "shut down\|crashed" "$WORK/out" && fail "the guest went down"
stop_bg
echo "refused $refused hostile policies"
