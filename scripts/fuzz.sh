#!/usr/bin/env bash
# Run each libFuzzer target (tests/fuzz/fuzz_NAME.c, built by `make fuzz`
# into build/fuzz/) for FUZZ_SECONDS seconds (default 20), starting from a
# copy of tests/fuzz/corpus/NAME/ so that nothing is written into the tree.
#
#   scripts/fuzz.sh [NAME...]        all targets, or the named ones
#   FUZZ_SECONDS=600 scripts/fuzz.sh a longer run
#
# A crash, leak, timeout (10 s per input) or failed check fails the target;
# its input is kept in build/fuzz/crashes/ and the end of its log printed.
# Reproduce with: build/fuzz/fuzz_NAME build/fuzz/crashes/NAME-crash-...
# Exit status: 0 if every target that exists passed.
set -u
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-20}
crashes=build/fuzz/crashes
tmp=$(mktemp -d /tmp/bh-fuzz-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# libFuzzer reports leaks and ASan errors itself; UBSan must stop at the first.
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if [ $# -gt 0 ]; then
	names=("$@")
else
	mapfile -t names < <(
		{ ls tests/fuzz/corpus 2>/dev/null
		  ls tests/fuzz/fuzz_*.c 2>/dev/null | sed 's|.*/fuzz_\(.*\)\.c$|\1|'; } | sort -u)
fi

status=0
mkdir -p "$crashes"
for name in "${names[@]}"; do
	bin=build/fuzz/fuzz_$name
	log=$tmp/$name.log
	if [ ! -f "tests/fuzz/fuzz_$name.c" ]; then
		echo "SKIP fuzz_$name (tests/fuzz/fuzz_$name.c is absent)"
		continue
	fi
	if [ ! -x "$bin" ] || [ "$bin" -ot "tests/fuzz/fuzz_$name.c" ]; then
		echo "FAIL fuzz_$name ($bin is missing or stale: run make fuzz)"
		status=1
		continue
	fi
	mkdir -p "$tmp/corpus/$name"
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$tmp/corpus/$name/"

	start=$SECONDS
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$crashes/$name-" "$tmp/corpus/$name" >"$log" 2>&1
	rc=$?
	took=$((SECONDS - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "PASS fuzz_$name (${execs:-?} execs in ${took} s)"
	else
		echo "FAIL fuzz_$name (exit $rc after ${took} s)"
		tail -n 40 "$log" | sed 's/^/    /'
		sed -n 's/.*Test unit written to /    input: /p' "$log"
		status=1
	fi
done
exit $status
