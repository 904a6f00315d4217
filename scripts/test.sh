#!/usr/bin/env bash
# make test: unit tests, integration tests that boot real domains, a fixed
# subset of them again on an SVM host (the nested lane, tests/svm/, with
# Debian's 6.1 kernel in L1; make test-svm adds 6.12), then unit and integration tests with
# the host side built with ASan+UBSan, then a short run of each libFuzzer
# target (scripts/fuzz.sh). make test-svm runs every integration test in the lane.
set -u
cd "$(dirname "$0")/.."
status=0
step() { echo; echo "=== $*"; }

step "build"
make -s -j"$(nproc)" all || exit 1
step "unit tests"
scripts/run-unit.sh build || status=1
step "integration tests"
tests/integration/run.sh build || status=1
step "integration tests in the nested SVM lane (a fixed subset on 6.1; make test-svm runs all on 6.1 and 6.12)"
# Quarantine, while issue 17 is open (docs/svm-lane.md, "Open"): in the lane a
# guest domain sometimes crashes (a triple fault, or a vchan peer that dies
# mid-stream), in about one run in four. A lane failure in which every
# failing test shows that crash is reported loudly but does not fail make
# test; any other lane failure does. BH_SVM_STRICT=1 counts every failure.
lane_log=$(mktemp)
tests/svm/integration.sh build 2>&1 | tee "$lane_log"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
	if [ "${BH_SVM_STRICT:-0}" != 1 ] && grep -q '^FAIL t_' "$lane_log" &&
	   awk '/^FAIL t_/ { if (blk != "" && !known) bad = 1; blk = $0; known = 0; next }
	        /^    / && blk != "" { if ($0 ~ /triple fault|shutdown: crash/) known = 1; next }
	        { if (blk != "" && !known) bad = 1; blk = "" }
	        END { if (blk != "" && !known) bad = 1; exit bad }' "$lane_log"; then
		echo "lane: QUARANTINED FAILURE: every failing lane test above lost a domain to the"
		echo "lane: open SVM crash (issue 17, docs/svm-lane.md); not counted (BH_SVM_STRICT=1 counts it)"
	else
		status=1
	fi
fi
rm -f "$lane_log"

step "build (ASan+UBSan)"
make -s -j"$(nproc)" SAN=1 host || exit 1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "unit tests (ASan+UBSan)"
scripts/run-unit.sh build/asan || status=1
step "integration tests (ASan+UBSan)"
tests/integration/run.sh build/asan || status=1

step "fuzz (libFuzzer, short runs)"
{ make -s -j"$(nproc)" fuzz && scripts/fuzz.sh; } || status=1

echo
[ $status -eq 0 ] && echo "make test: all passed" || echo "make test: FAILED"
exit $status
