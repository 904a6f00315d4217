# A domain that spins forever does not stop its neighbour; SIGTERM then
# destroys it and bulkhead exits cleanly.
. "$(dirname "$0")/lib.sh"
spin=$(cfg spin spin)
good=$(cfg healthy selftest vcpus=2 'cmdline="rounds=10"')
boot_bg --domain "$spin" --domain "$good"
wait_for "$(log_of healthy)" "selftest: PASS" 120
wait_for "$(log_of spin)" "spin: spinning" 10
stop_bg
[ $rc -eq 0 ] || fail "bulkhead exited $rc after SIGTERM"
expect_out "domain 1 (spin) destroyed"
expect_out "all domains gone"
