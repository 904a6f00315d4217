# A domain whose console writes the policy denies still runs, and bulkhead's
# log says so once, naming the domain and the permission: otherwise its
# console (bh console, --console) would stay empty with nothing said.
. "$(dirname "$0")/lib.sh"
# mute_t: a guest like any other (its own grants and channels, XENVER_),
# but without xen:writeconsole.
cat >"$WORK/mute.te" <<'TE'
declare_domain(mute_t)
typeattribute mute_t guest_type;
label_channels(mute_t)
domain_self_ops(mute_t)
xen_build_domain(mute_t)
allow mute_t xen_t:version { xen_extraversion xen_compile_info xen_capabilities
	xen_changeset xen_pagesize xen_guest_handle xen_build_id };
TE
make -s -C "$TOP" policy POLICY_OUT="$WORK/mute.pol" POLICY_EXTRA_MODULES="$WORK/mute.te" \
	>"$WORK/make.out" 2>&1 || fail "building the policy: $(cat "$WORK/make.out")"
POLICY=$WORK/mute.pol
boot 30 --domain "$(cfg mute hello memory=4 "$(label mute_t)")" \
	--domain "$(cfg loud hello memory=4 "$(label appvm_t)")"
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail -n 5 "$WORK/out")"
n=$(grep -c "domain [0-9]* (mute): its console writes are denied (xen:writeconsole)" "$WORK/out")
[ "$n" = 1 ] || fail "said $n times that mute's console is denied: $(tail -n 20 "$WORK/out")"
grep -q "(loud): its console writes are denied" "$WORK/out" && fail "loud's console is allowed"
expect_out "avc:  denied  { writeconsole }"
expect_out "(mute) shut down: poweroff"
expect_log loud "Hello from loud"
grep -q "Hello" "$(log_of mute)" && fail "mute's console got through: $(head -c 200 "$(log_of mute)")"
echo ok
