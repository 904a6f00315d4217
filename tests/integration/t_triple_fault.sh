# A domain that triple-faults is crashed alone; its neighbour finishes.
#
# The triplefault app zeroes its IDT from CPL3 (its own memory: it cannot
# lidt, which PVM ignores at CPL0 and hardware refuses with #GP at CPL3) and
# raises int3. With no gate present that is #NP, then #DF, then a shutdown,
# on every kind of host. What bulkhead can report differs:
# - PVM and VT-x keep the vCPU's state at KVM_EXIT_SHUTDOWN: the crash names
#   the rip, which must lie inside triple_fault();
# - SVM's shutdown interception INIT-resets the vCPU first: the crash must say
#   the rip is unknown, never the reset vector's 0xfff0.
. "$(dirname "$0")/lib.sh"
bad=$(cfg triplefault triplefault)
good=$(cfg healthy selftest vcpus=2 'cmdline="rounds=20"')
boot 60 --domain "$bad" --domain "$good"
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_log triplefault "crashed: vcpu0 triple fault"
expect_out "domain 1 (triplefault) crashed"
expect_log healthy "^selftest: PASS$"

msg=$(grep -o 'crashed: vcpu0 triple fault (.*)' "$(log_of triplefault)")
case $(kvm_kind) in
svm)
	[[ $msg == *"rip unknown"* ]] || fail "SVM: the crash must say the rip is unknown: $msg"
	;;
*)
	rip=$(sed -n 's/.*(rip \(0x[0-9a-f]*\)).*/\1/p' <<<"$msg")
	[ -n "$rip" ] || fail "$(kvm_kind): the crash must name the rip: $msg"
	read -r lo size < <(nm -S "$GUEST/triplefault.elf" | awk '$4 == "triple_fault" { print $1, $2 }')
	((rip >= 0x$lo && rip < 0x$lo + 0x$size)) ||
		fail "$(kvm_kind): rip $rip is not inside triple_fault() (0x$lo+0x$size)"
	;;
esac

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
