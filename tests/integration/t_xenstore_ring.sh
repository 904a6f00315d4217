# XenStore from real guests: bh-xenstored, labelled xenstore_t, serves each
# domain's ring at STORE_PFN from its arena. Conformance from a guest,
# permissions between guests, quotas, racing transactions, watches,
# shutdown and reboot through control/shutdown, @releaseDomain, and hostile
# rings that must harm nobody else.
. "$(dirname "$0")/lib.sh"

services_start

done_ok() { # done_ok NAME ROLE: the role finished with nothing failed
	wait_for "$(log_of "$1")" "xsclient: $2 done" 30
	expect_log "$1" "xsclient: $2 done: [0-9]* passed, 0 failed"
}

# 1. Conformance: every message type from a guest.
create conform xsclient conform >/dev/null
done_ok conform conform

# 2. The toolstack's entries; one domU cannot read or write another's tree.
victim=$(create victim idle "")
[ "$("$XS" read "/local/domain/$victim/name")" = victim ] || fail "the toolstack wrote no name"
[ "$("$XS" read "/local/domain/$victim/domid")" = "$victim" ] || fail "no domid entry"
"$XS" getperms "/local/domain/$victim" | grep -q "^n$victim" ||
	fail "perms: $("$XS" getperms "/local/domain/$victim")"
wait_for "$(log_of victim)" "idle: waiting" 10
for i in $(seq 30); do
	"$XS" read "/local/domain/$victim/control/feature-poweroff" >/dev/null 2>&1 && break
	sleep 0.1
done
[ "$("$XS" read "/local/domain/$victim/control/feature-poweroff")" = 1 ] ||
	fail "the guest did not advertise feature-poweroff"
att=$(create attacker xsclient "perm other=$victim")
done_ok attacker perm
[ "$("$XS" read "/local/domain/$victim/name")" = victim ] || fail "the victim's name changed"

# 3. ...unless the owner grants it: B reads what A shared with it.
a=$(create sharer xsclient "grant to=$((att + 2))")
b=$(create reader xsclient "readother from=$a")
[ "$b" = $((att + 2)) ] || fail "the reader got id $b, not $((att + 2))"
wait_for "$(log_of sharer)" "xsclient: granted" 20
wait_for "$(log_of reader)" "xsclient: read" 20
expect_log reader "xsclient: read hello-from-$a"

# 4. Quotas: nodes, watches, transactions, value size; xenstore still answers.
create quota xsclient quota >/dev/null
done_ok quota quota
expect_log quota "quota nodes hit after [0-9]* (ENOSPC)"
expect_log quota "quota watches hit after 128 (E2BIG)"
expect_log quota "quota transactions hit after 10 (ENOSPC)"

# 5. Racing transactions: two domains increment one counter; no update is lost.
r1=$(create -p race1 xsclient "txrace path=/tool/race n=60")
r2=$(create -p race2 xsclient "txrace path=/tool/race n=60")
"$XS" write /tool/race 0 || fail "write /tool/race"
"$XS" setperms /tool/race n0 "b$r1" "b$r2" || fail "setperms /tool/race"
bhctl unpause race1 && bhctl unpause race2 || fail "unpause the racers"
wait_for "$(log_of race1)" "txrace done" 60
wait_for "$(log_of race2)" "txrace done" 60
[ "$("$XS" read /tool/race)" = 120 ] || fail "counter is $("$XS" read /tool/race), not 120"
grep -h "txrace done" "$(log_of race1)" "$(log_of race2)"

# 6. Watches fire in the guest.
create watcher xsclient watch >/dev/null
done_ok watcher watch

# 7. @releaseDomain fires, and a destroyed domain's tree is gone.
"$XS" watch @releaseDomain 2 >"$WORK/release.out" &
wpid=$!
# The first event is the one a new watch fires at once: now it is set.
wait_for "$WORK/release.out" "^@releaseDomain" 10
bhctl destroy victim || fail "destroy victim"
wait "$wpid" || fail "no @releaseDomain event: $(cat "$WORK/release.out")"
"$XS" read "/local/domain/$victim/name" 2>&1 | grep -q ENOENT || fail "the victim's tree is left"

# 8. Clean shutdown and reboot through control/shutdown.
create sd1 idle "" >/dev/null
wait_for "$(log_of sd1)" "idle: waiting" 10
sleep 0.2
bhctl shutdown -w sd1 2>/dev/null || fail "bh shutdown -w"
expect_log sd1 "shutdown: poweroff requested"
grep -q "did not shut down in time" "$WORK/out" && fail "the shutdown was forced, not obeyed"
create rb1 idle "" on_reboot='"restart"' >/dev/null
wait_for "$(log_of rb1)" "idle: waiting" 10
sleep 0.2
bhctl reboot rb1 || fail "bh reboot"
wait_for "$WORK/out" "(rb1) started" 10
wait_for "$WORK/xsd.out" "introduced" 10
new=$(bhctl list rb1 | awk 'NR==2{print $2}')
for i in $(seq 50); do
	[ "$("$XS" read "/local/domain/$new/name" 2>/dev/null)" = rb1 ] && break
	sleep 0.1
done
[ "$("$XS" read "/local/domain/$new/name")" = rb1 ] || fail "the restarted domain was not introduced"
bhctl shutdown -w rb1 >/dev/null 2>&1 || true

# 9. Hostile rings: each attack stays in its own ring; the rest carry on.
for atk in badlen unterminated idx flood garbage; do
	create "h-$atk" xshostile "$atk" >/dev/null
done
for atk in badlen unterminated idx flood garbage; do
	wait_for "$(log_of "h-$atk")" "xshostile: ATTACK done" 30
done
kill -0 "$xsd_pid" || fail "bh-xenstored died: $(tail -5 "$WORK/xsd.out")"
kill -0 "$bhpid" || fail "bulkhead died"
create conform2 xsclient conform >/dev/null
done_ok conform2 conform
"$XS" read "/local/domain/$a/shared" >/dev/null || fail "dom0 lost xenstore"
grep -c "xenstore ring broken" "$WORK/xsd.out" || true

# xenstored labelled xenstore_t is what bulkhead saw.
grep -q "avc:  denied" "$WORK/out" && fail "denials: $(grep 'avc:  denied' "$WORK/out" | head -3)"
stop_bg
echo ok
