# lwIP inside a domain with no network device (stubdom/apps/netloop): two
# netifs back to back through an in-guest frame queue; ICMP, UDP, hostile
# frames, a 1 MiB TCP stream and a DHCP client. The TCP byte count and hash
# the server side printed must equal what the test computes itself for the
# stream it asked for (tcp_bytes, tcp_seed), not just what the client printed.
. "$(dirname "$0")/lib.sh"
bytes=1048576
seed=$(( (RANDOM << 15 | RANDOM) + 1 ))
c=$(cfg netloop netloop memory=8 \
	"cmdline=\"name=netloop tcp_bytes=$bytes tcp_seed=$seed seconds=$((30 * TIMEOUT_SCALE))\"")
boot 60 --domain "$c"
log=$(log_of netloop)
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail -n 20 "$log" 2>&1)"
for step in icmp udp hostile tcp dhcp; do
	expect_log netloop "^netloop: $step PASS$"
done
expect_log netloop "^netloop: icmp 10/10 echo replies$"
expect_log netloop "^netloop: PASS$"
expect_log netloop "shutdown: poweroff"

# The stream: xorshift32 from the seed, one byte (its low 8 bits) per step.
want=$(python3 - "$bytes" "$seed" <<'PY'
import sys
n, s = int(sys.argv[1]), int(sys.argv[2]) & 0xffffffff
h, M = 0xcbf29ce484222325, (1 << 64) - 1
for _ in range(n):
    s ^= (s << 13) & 0xffffffff
    s ^= s >> 17
    s ^= (s << 5) & 0xffffffff
    h = ((h ^ (s & 0xff)) * 0x100000001b3) & M
print("%d %016x" % (n, h))
PY
)
got=$(sed -n 's/^netloop: tcp received \([0-9]*\) bytes fnv1a \([0-9a-f]*\) .*/\1 \2/p' "$log")
sent=$(sed -n 's/^netloop: tcp sent \([0-9]*\) bytes fnv1a \([0-9a-f]*\)$/\1 \2/p' "$log")
[ -n "$got" ] || fail "no tcp received line"
[ "$got" = "$want" ] || fail "server received '$got', the stream is '$want' (client says '$sent')"
[ "$sent" = "$want" ] || fail "client sent '$sent', the stream is '$want'"
grep "^netloop: lwIP memory\|^netloop: .*ms$\|^netloop: wire\|high water" "$log"
