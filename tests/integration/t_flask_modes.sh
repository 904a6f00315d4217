# Flask's modes: no policy refuses to start; permissive logs and allows;
# disabled warns loudly; a control label without rights gets nothing.
. "$(dirname "$0")/lib.sh"
h=$(cfg hello hello memory=4)

# No policy anywhere: a copy of bulkhead away from build/ finds none.
mkdir -p "$WORK/bin"
cp "$BH" "$WORK/bin/bulkhead"
env -u BULKHEAD_POLICY timeout 10 "$WORK/bin/bulkhead" --log-dir "$WORK/log" --tpm=none \
	--socket "$WORK/ctl.sock" --domain "$h" >"$WORK/out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "no policy: exit $rc"
grep -q "no policy. Build one with 'make policy'" "$WORK/out" || fail "no policy: $(cat "$WORK/out")"
grep -q "started" "$WORK/out" && fail "a domain started without a policy"
timeout 10 "$BH" --log-dir "$WORK/log" --tpm=none --policy "$WORK/none.pol" --domain "$h" >"$WORK/out" 2>&1
[ $? -eq 2 ] || fail "missing policy file accepted"

# Permissive: two app domains talk, and every denial is logged as permissive.
read -r srv cli < <(flask_pair appvm_t appvm_t 20 | xargs)
boot 40 --flask=permissive --domain "$srv" --domain "$cli"
expect_log client "^flasktest: round trip ok$"
grep -q "avc:  denied  { bind } for domid=2 .*tclass=event permissive=1$" "$WORK/out" ||
	fail "permissive: no permissive=1 denial: $(grep avc: "$WORK/out" | head -3)"
rm -rf "$WORK/log"

# Disabled: a loud warning, and nothing is checked.
boot 40 --flask=disabled --domain "$srv" --domain "$cli"
grep -q "FLASK IS DISABLED" "$WORK/out" || fail "no warning for --flask=disabled"
expect_log client "^flasktest: round trip ok$"
grep -q "avc:" "$WORK/out" && fail "disabled still checks"
rm -rf "$WORK/log"

# setenforce at run time, and a control connection labelled as a guest.
idle=$(cfg idle idle memory=4)
boot_bg --domain "$idle"
wait_for "$WORK/out" "listening on" 10
[ "$(bhctl getenforce)" = Enforcing ] || fail "getenforce"
bhctl setenforce 0 || fail "setenforce 0"
[ "$(bhctl getenforce)" = Permissive ] || fail "still enforcing"
bhctl setenforce 1 || fail "setenforce 1"
bhctl setenforce 2 2>/dev/null && fail "setenforce 2 accepted"
stop_bg
rm -f "$WORK/ctl.sock"
boot_bg --control-label "0=system_u:system_r:appvm_t" --domain "$idle"
wait_for "$WORK/out" "listening on" 10
# getenforce is unchecked, as in Xen; setenforce is not.
[ "$(bhctl getenforce)" = Enforcing ] || fail "an app-domain label cannot read the mode"
out=$(bhctl setenforce 0 2>&1) && fail "an app-domain label set the mode"
grep -q "permission denied by the Flask policy" <<<"$out" || fail "unclear denial: $out"
bhctl loadpolicy "$POLICY" 2>/dev/null && fail "an app-domain label loaded a policy"
grep -q "avc:  denied  { load_policy } for domid=0 scontext=system_u:system_r:appvm_t" "$WORK/out" ||
	fail "no denial for the control connection"
stop_bg
echo ok
