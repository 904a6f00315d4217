#!/usr/bin/env bash
# Run inside the nested SVM lane (scripts/bench.sh calls it through
# tests/svm/lane.sh): the null hypercall, the event-channel ping-pong and
# domain create to its first console line, each with its bare baseline
# measured in the same L1 run. Prints "svm-bench NAME VALUE UNIT BASELINE".
# Under TCG absolute times mean nothing; the ratios do.
set -eu
B=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BH=$TOP/$B/bin/bulkhead
POLICY=$TOP/build/policy/bulkhead.pol
G=$TOP/build/guest
W=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$W"' EXIT
[ -c /dev/kvm ] || { echo "bench-svm: no /dev/kvm in L1"; exit 1; }
bh() { "$BH" --policy "$POLICY" --tpm=none --socket "$W/ctl.sock" "$@"; }
out() { echo "svm-bench $*"; }
NB='seclabel = "system_u:system_r:netback_t"'
AP='seclabel = "system_u:system_r:appvm_t"'

# The null hypercall against the bare `out` exit, interleaved in one guest.
printf 'name = "bench"\nkernel = "%s/bench.elf"\nmemory = 8\ncmdline = "name=bench"\n' "$G" >"$W/bench.cfg"
bh --log-dir "$W/log" --domain "$W/bench.cfg" 2>/dev/null
set -- $(grep '^bench: null_hypercall_ns' "$W/log/guest-bench.log")
out null_hypercall_svm "$3" ns "$5"

# Event-channel ping-pong (spinning on shared_info) against the bare exit.
printf 'name = "srv"\nkernel = "%s/pingpong.elf"\nmemory = 4\ncmdline = "role=server peer=2 rounds=2000 spin=1"\n%s\n' "$G" "$NB" >"$W/srv.cfg"
printf 'name = "cli"\nkernel = "%s/pingpong.elf"\nmemory = 4\ncmdline = "role=client peer=1 port=2 rounds=2000 spin=1"\n%s\n' "$G" "$AP" >"$W/cli.cfg"
bh --log-dir "$W/log" --domain "$W/srv.cfg" --domain "$W/cli.cfg" 2>/dev/null
rtt=$(sed -n 's/^pingpong: .* median \([0-9]*\) ns.*/\1/p' "$W/log/guest-cli.log")
pp_bare=$(sed -n 's/^pingpong: .* bare exit \([0-9]*\) ns.*/\1/p' "$W/log/guest-cli.log")
out evtchn_pingpong_rtt_svm "$rtt" ns "$pp_bare"

# Create to first console line (median of 5 hello domains), against a bare
# KVM VM of the same size (VM, irqchip, memfd in a memslot, one vCPU) made
# and closed by bench/create_bench in the same L1 run.
printf 'name = "hello"\nkernel = "%s/hello.elf"\nmemory = 8\n' "$G" >"$W/hello.cfg"
for _ in 1 2 3 4 5; do
	bh --log-dir "$W/log" --domain "$W/hello.cfg" 2>&1 |
		sed -n 's/.*first console line \([0-9]*\) us after create.*/\1/p'
done | sort -n >"$W/first"
first=$(sed -n 3p "$W/first")
"$BH" --policy "$POLICY" --tpm=none --socket "$W/ctl.sock" --log-dir "$W/log" 2>/dev/null &
pid=$!
for _ in $(seq 1 300); do [ -S "$W/ctl.sock" ] && break; sleep 0.1; done
printf 'name = "cycle"\nkernel = "%s/idle.elf"\nmemory = 8\n' "$G" >"$W/cycle.cfg"
set -- $("$TOP/$B/bin/create_bench" "$W/ctl.sock" "$W/cycle.cfg" 10)
kill -TERM "$pid"
wait "$pid" || true
pid=
out create_to_first_console_svm "$(awk -v u="$first" 'BEGIN { printf "%.3f", u / 1000 }')" ms \
	"$(awk -v r="$4" 'BEGIN { printf "%.3f", 1000 / r }')"
