# bulkhead confines itself: the seccomp filter is on, no capability is
# left, a forbidden call kills it with its name in the log, stray fds are
# closed, core dumps are off, and it still boots domains as an
# unprivileged user.
. "$(dirname "$0")/lib.sh"
BHT="$(dirname "$BH")/bulkhead-test"
idle=$(cfg idle idle memory=4)

# 1. The filter and the dropped privileges, on a running bulkhead. fd 7 is
#    inherited from us and must not survive set-up.
exec 7>"$WORK/inherited"
boot_bg --domain "$idle"
exec 7>&-
wait_for "$(log_of idle)" "idle: waiting" 10
st=/proc/$bhpid/status
grep -q "^Seccomp:[[:space:]]*2$" $st || fail "no seccomp filter: $(grep Seccomp $st)"
grep -q "^NoNewPrivs:[[:space:]]*1$" $st || fail "no_new_privs is off"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	grep -q "^$c:[[:space:]]*0000000000000000$" $st || fail "$c: $(grep "^$c" $st)"
done
for fd in /proc/$bhpid/fd/*; do
	[ "$(readlink "$fd")" = "$WORK/inherited" ] && fail "an inherited fd is still open ($fd)"
done
grep -q "^Max core file size *0 *0 " /proc/$bhpid/limits || fail "core dumps are on"
files=$(awk '/^Max open files/ { print $5 }' /proc/$bhpid/limits)
[ "$files" -le 65536 ] || fail "open files not capped: $files"
# It still works: a control request, and Flask behind it.
[ "$(bhctl getenforce)" = Enforcing ] || fail "control socket under the filter"
stop_bg
[ $rc -eq 0 ] || fail "exit $rc under the filter"

# 2. Each forbidden call kills bulkhead with SIGSYS and names the call.
#    (The sanitizer build's list has ptrace, for LeakSanitizer.)
calls="execve socket mmap-exec ioctl mount bpf keyctl"
"$BH" --print-seccomp | grep -q "^ptrace " || calls="$calls ptrace"
for call in $calls; do
	rm -rf "$WORK/log"
	# A subshell, so that its shell (not ours) reports the SIGSYS death.
	(BULKHEAD_TEST_FORBIDDEN=$call timeout --signal=KILL 30 "$BHT" --log-dir "$WORK/log" --tpm=none \
		--policy "$POLICY" --socket "$WORK/ctl.sock" --domain "$idle" >"$WORK/out" 2>&1; exit $?) 2>/dev/null
	rc=$?
	[ $rc -eq 159 ] || fail "$call: exit $rc, not SIGSYS (159): $(tail -3 "$WORK/out")"
	name=${call%-exec}
	grep -q "bulkhead: seccomp: forbidden system call $name ([0-9]*); killing the process" \
		"$WORK/out" || fail "$call: no log line naming it: $(tail -3 "$WORK/out")"
done

# 3. The release binary has no trigger.
rm -rf "$WORK/log"
BULKHEAD_TEST_FORBIDDEN=execve boot_bg --domain "$idle"
wait_for "$(log_of idle)" "idle: waiting" 10
stop_bg
[ $rc -eq 0 ] || fail "the release build reacted to the test trigger"

# 4. The list in force is the one in the source.
"$BH" --print-seccomp >"$WORK/list" || fail "--print-seccomp"
src="$TOP/hypervisor/seccomp_bulkhead.c"
for call in $(sed -n '/^static const struct seccomp_entry calls\[\]/,/^};/p' "$src" |
	sed '/^#if defined(__SANITIZE_ADDRESS__)/,/^#endif/d' | sed -n 's/^\t{ "\([a-z0-9_]*\)", SC_.*/\1/p'); do
	grep -q "^$call " "$WORK/list" || fail "--print-seccomp lacks $call"
done
grep -q "^ioctl KVM_RUN " "$WORK/list" || fail "--print-seccomp lacks KVM_RUN"
grep -qE "^(execve|socket|mount|bpf|keyctl) " "$WORK/list" && fail "a forbidden call is listed"
grep -q "if (\$syscall == " "$WORK/list" || fail "no PFC filter in --print-seccomp"

# 5. As nobody: the domain is built after the switch, so its kernel must be
#    readable and its log directory writable by nobody. A root directory that
#    others cannot search (fresh-machine-check's chroot is extracted 0700)
#    lets nobody reach nothing: that is said, and only this step is left out.
chmod 755 "$WORK"
rm -rf "$WORK/log"
mkdir -p "$WORK/log"
chown nobody "$WORK/log"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if as_nobody test -r "$GUEST/idle.elf" -a -w "$WORK/log"; then
	boot_bg --user nobody --domain "$idle"
	wait_for "$(log_of idle)" "idle: waiting" 10
	grep -qE "^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534" /proc/$bhpid/status ||
		fail "not running as nobody: $(grep Uid /proc/$bhpid/status)"
	[ "$(bhctl getenforce)" = Enforcing ] || fail "control socket as nobody"
	stop_bg
	[ $rc -eq 0 ] || fail "exit $rc as nobody"
else
	[ "$(stat -c %a /)" != 755 ] || fail "nobody cannot reach $GUEST/idle.elf or $WORK/log"
	echo "SKIP step 5 (as nobody): / is mode $(stat -c %a /), so nobody can reach no file"
fi

# 6. --seccomp=off says so and installs nothing.
rm -rf "$WORK/log"
boot_bg --seccomp=off --domain "$idle"
wait_for "$(log_of idle)" "idle: waiting" 10
grep -q "^Seccomp:[[:space:]]*0$" /proc/$bhpid/status || fail "--seccomp=off still filters"
grep -q "seccomp is OFF" "$WORK/out" || fail "no warning for --seccomp=off"
stop_bg
echo ok
