#!/usr/bin/env bash
# make run: boot the workstation layout, measured, the way an operator would:
# bulkhead as a daemon, bh-xenstored labelled xenstore_t, then `bh create`
# for each domain. A real TPM (/dev/tpmrm0) is used when there is one;
# otherwise a swtpm whose state lives in build/run/swtpm (so PCRs start
# fresh at each run) stands in. It ends when the last domain has gone.
# Usage: run.sh BUILD_DIR --domain FILE...
set -eu
B=$1
shift
TOP=$(cd "$(dirname "$0")/.." && pwd)
RUN=$TOP/build/run
mkdir -p "$RUN"
tpm=()
if [ ! -w /dev/tpmrm0 ]; then
	rm -rf "$RUN/swtpm"
	mkdir -p "$RUN/swtpm"
	swtpm socket --tpm2 --tpmstate dir="$RUN/swtpm" \
		--server type=unixio,path="$RUN/swtpm/sock" --ctrl type=unixio,path="$RUN/swtpm/sock.ctrl" \
		--flags startup-clear,not-need-init --daemon --pid file="$RUN/swtpm/pid"
	tpm=(--tpm "swtpm:path=$RUN/swtpm/sock")
	echo "run: no /dev/tpmrm0; measuring into a swtpm (TCTI swtpm:path=$RUN/swtpm/sock)"
fi
pids=()
cleanup() {
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
	[ -f "$RUN/swtpm/pid" ] && kill "$(cat "$RUN/swtpm/pid")" 2>/dev/null || true
}
trap cleanup EXIT
rm -f "$RUN/control.sock" "$RUN/xenstored.sock" "$RUN/services.sock"
"$TOP/$B/bin/bulkhead" --console --log-dir "$RUN/log" --policy "$TOP/build/policy/bulkhead.pol" \
	--socket "$RUN/control.sock" --service "$RUN/services.sock=system_u:system_r:xenstore_t" \
	--tpm-log "$RUN/tcg-eventlog.bin" "${tpm[@]}" --daemon &
pids+=($!)
for _ in $(seq 100); do [ -S "$RUN/services.sock" ] && break; sleep 0.05; done
"$TOP/$B/bin/bh-xenstored" --socket "$RUN/xenstored.sock" --control "$RUN/services.sock" &
pids+=($!)
for _ in $(seq 100); do [ -S "$RUN/xenstored.sock" ] && break; sleep 0.05; done
export BULKHEAD_SOCKET=$RUN/control.sock XENSTORED_PATH=$RUN/xenstored.sock
bh=$TOP/$B/bin/bh
while [ $# -gt 0 ]; do
	[ "$1" = --domain ] && shift
	"$bh" create "$1"
	shift
done
"$bh" list -Z
echo "run: bh -s $RUN/control.sock (or BULKHEAD_SOCKET) reaches it; Ctrl-C stops it"
# Until the last domain has gone.
while [ "$("$bh" list | wc -l)" -gt 1 ]; do sleep 0.5; done
echo "run: every domain has finished"
