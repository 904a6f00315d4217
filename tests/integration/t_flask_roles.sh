# Flask decides real hypercalls between real domains, by their labels.
. "$(dirname "$0")/lib.sh"

# A backend and an app domain may talk.
read -r srv cli < <(flask_pair netback_t appvm_t 20 | xargs)
boot 40 --domain "$srv" --domain "$cli"
expect_log client "^flasktest: round trip ok$"
expect_log server "^flasktest: served$"
grep -q "avc:  denied" "$WORK/out" && fail "denials for an allowed pair: $(grep avc: "$WORK/out" | head -3)"
rm -rf "$WORK/log"

# Two app domains may not, without the boolean. (The client would retry
# until its time runs out; the first denial is all that is checked.)
flask_pair_boot appvm_t appvm_t 20
wait_for "$(log_of client)" "^flasktest: denied bind_interdomain -13$" 20
stop_bg
grep -q "^flasktest: round trip ok" "$(log_of client)" && fail "app domains talked"
grep -qE "avc:  denied  \{ [a-z ]+ \} for domid=2 scontext=system_u:[a-z_]+:appvm_t(_channel)? tcontext=system_u:[a-z_]+:appvm_t(_channel)? tclass=event permissive=0$" \
	"$WORK/out" || fail "no AVC denial line in the SELinux format: $(grep avc: "$WORK/out" | head -3)"
rm -rf "$WORK/log"

# An isolated domain may not reach a backend.
flask_pair_boot netback_t isolated_t 20
wait_for "$(log_of client)" "^flasktest: denied bind_interdomain -13$" 20
stop_bg
grep -q "avc:  denied  { bind } for domid=2 scontext=system_u:object_r:isolated_t_channel tcontext=system_u:system_r:netback_t tclass=event" "$WORK/out" ||
	fail "no denial naming isolated_t"
rm -rf "$WORK/log"

# A guest's FLASK operations: an app domain may do none of them but
# getenforce, which is unchecked as in Xen (the mode is enforcing: 1).
x=$(cfg xsm flasktest memory=4 "$(label appvm_t)" 'cmdline="name=xsm role=xsm"')
boot 20 --domain "$x"
expect_log xsm "^flasktest: xsm done$"
expect_log xsm "^flasktest: xsm getenforce 1$"
for op in setenforce load context_to_sid sid_to_context getbool setbool commitbools \
	access policyvers cachestats; do
	expect_log xsm "^flasktest: xsm $op -13$"
done
expect_log xsm "^flasktest: xsm badversion -38$"
grep -q "avc:  denied  { load_policy } for domid=1 scontext=system_u:system_r:appvm_t tcontext=system_u:system_r:security_t tclass=security" \
	"$WORK/out" || fail "no load_policy denial: $(grep avc: "$WORK/out" | head -3)"
grep -q "BUG:.*without an XSM hook" "$WORK/out" && fail "$(grep BUG: "$WORK/out")"
echo ok
