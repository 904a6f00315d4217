# A domain that triple-faults is crashed alone; its neighbour finishes.
. "$(dirname "$0")/lib.sh"
bad=$(cfg triplefault triplefault)
good=$(cfg healthy selftest vcpus=2 'cmdline="rounds=20"')
boot 60 --domain "$bad" --domain "$good"
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_log triplefault "crashed: vcpu0 triple fault"
expect_out "domain 1 (triplefault) crashed"
expect_log healthy "^selftest: PASS$"

# A start context that bulkhead's checks pass but KVM refuses: vCPU 1's
# thread crashes the domain, which is torn down while its neighbour runs.
rm -rf "$WORK/log"
bad=$(cfg badctx triplefault vcpus=2 'cmdline="how=badctx"')
boot 60 --domain "$bad" --domain "$good"
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail -n 5 "$WORK/out")"
expect_log badctx "^triplefault: initialise vcpu1 0$"
expect_log badctx "crashed: vcpu1: KVM refused its initial context"
expect_out "domain 1 (badctx) crashed"
expect_log healthy "^selftest: PASS$"
echo ok
