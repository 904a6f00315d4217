#!/usr/bin/env bash
# Run every integration test (tests/integration/t_*.sh) against real KVM.
# Usage: run.sh BUILD_DIR [NAME...]: only the tests named (t_vchan, ...) when
# names are given. Without /dev/kvm each test is skipped with the
# reason, unless REQUIRE_KVM=1, which makes that a failure.
set -u
B=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export TOP BH="$TOP/$B/bin/bulkhead" BHCTL="$TOP/$B/bin/bh" GUEST="$TOP/build/guest" \
	POLICY="$TOP/build/policy/bulkhead.pol"
pass=0 failed=0 skipped=0 failures=()

kvm_ok=1
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	kvm_ok=0
	reason="/dev/kvm is missing or not accessible"
fi

tests=("$TOP"/tests/integration/t_*.sh)
if [ $# -gt 1 ]; then
	shift
	tests=()
	for n in "$@"; do
		[ -f "$TOP/tests/integration/$n.sh" ] || { echo "run.sh: no test $n"; exit 2; }
		tests+=("$TOP/tests/integration/$n.sh")
	done
fi
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	if [ $kvm_ok -eq 0 ]; then
		if [ "${REQUIRE_KVM:-0}" = 1 ]; then
			echo "FAIL $name: $reason (REQUIRE_KVM=1)"
			failed=$((failed + 1)); failures+=("$name")
		else
			echo "SKIP $name: $reason"
			skipped=$((skipped + 1))
		fi
		continue
	fi
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/bh-$name.XXXXXX")
	export WORK
	start=$(date +%s%N)
	if out=$(bash "$t" 2>&1); then
		ms=$((($(date +%s%N) - start) / 1000000))
		echo "PASS $name (${ms} ms)"
		pass=$((pass + 1))
		rm -rf "$WORK"
	else
		echo "FAIL $name"
		sed 's/^/    /' <<<"$out" | tail -n 30
		echo "    (logs kept in $WORK)"
		failed=$((failed + 1)); failures+=("$name")
	fi
done
echo "integration ($B): $pass passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
