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
tests/svm/integration.sh build || status=1

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
