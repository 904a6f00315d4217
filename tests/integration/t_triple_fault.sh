# A domain that triple-faults is crashed alone; its neighbour finishes.
. "$(dirname "$0")/lib.sh"
bad=$(cfg triplefault triplefault)
good=$(cfg healthy selftest vcpus=2 'cmdline="rounds=20"')
boot 60 --domain "$bad" --domain "$good"
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_log triplefault "crashed: vcpu0 triple fault"
expect_out "domain 1 (triplefault) crashed"
expect_log healthy "^selftest: PASS$"
