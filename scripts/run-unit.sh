#!/usr/bin/env bash
# Run every cmocka unit test binary in BUILD_DIR/tests.
set -u
B=${1:-build}
pass=0 failed=0
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	if out=$("$t" 2>&1); then
		echo "PASS $(basename "$t") ($(grep -c '\[       OK \]' <<<"$out") cases)"
		pass=$((pass + 1))
	else
		echo "FAIL $(basename "$t")"
		sed 's/^/    /' <<<"$out" | grep -v '\[ RUN      \]\|\[       OK \]' | tail -n 40
		failed=$((failed + 1))
	fi
done
echo "unit ($B): $pass passed, $failed failed"
[ $failed -eq 0 ] && [ $pass -gt 0 ]
