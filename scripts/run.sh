#!/usr/bin/env bash
# make run: boot the workstation layout, measured. A real TPM
# (/dev/tpmrm0) is used when there is one; otherwise a swtpm whose state
# lives in build/run/swtpm (so PCRs start fresh at each run) stands in.
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
	trap 'kill "$(cat "$RUN/swtpm/pid")" 2>/dev/null' EXIT
	tpm=(--tpm "swtpm:path=$RUN/swtpm/sock")
	echo "run: no /dev/tpmrm0; measuring into a swtpm (TCTI swtpm:path=$RUN/swtpm/sock)"
fi
"$TOP/$B/bin/bulkhead" --console --log-dir "$RUN/log" --policy "$TOP/build/policy/bulkhead.pol" \
	--socket "$RUN/control.sock" --tpm-log "$RUN/tcg-eventlog.bin" "${tpm[@]}" "$@"
