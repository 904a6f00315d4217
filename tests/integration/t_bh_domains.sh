# Every bh domain subcommand against real domains in a bulkhead daemon, with
# its errors, and the same requests from a label the policy denies.
. "$(dirname "$0")/lib.sh"

idle=$(cfg idle1 idle)
hello=$(cfg hello1 hello on_poweroff='"preserve"')
boot_bg --service "$WORK/app.sock=system_u:system_r:appvm_t"
wait_for "$WORK/out" "control: listening" 10
app() { "$BHCTL" -s "$WORK/app.sock" "$@"; }

# help, and --help on each subcommand.
bhctl help | grep -q "^  create " || fail "bh help lists no create"
for c in create list destroy shutdown reboot pause unpause console info dmesg top \
	loadpolicy getenforce setenforce getbool setbool; do
	out=$(bhctl "$c" --help) || fail "bh $c --help failed"
	grep -q "^Usage: bh $c" <<<"$out" || fail "bh $c --help: $out"
done
bhctl frobnicate 2>/dev/null && fail "an unknown subcommand succeeded"

# create: from a file, with key=value lines, and its errors.
out=$(bhctl create "$idle" 2>&1) || fail "create: $out"
grep -q "^Started domain idle1 (id=1)$" <<<"$out" || fail "create said: $out"
bhctl create -q "$hello" || fail "create hello"
bhctl create -q "$idle" name='"idle2"' memory=6 || fail "create with key=value"
out=$(bhctl create -q "$idle" 2>&1) && fail "a second idle1 was created"
grep -q "already exists" <<<"$out" || fail "duplicate name: $out"
echo 'frobnicate = 1' >>"$(cfg unk1 hello)"
out=$(bhctl create -q "$WORK/unk1.cfg" 2>&1) || fail "an unknown key was refused: $out"
grep -q "warning: .*unk1.cfg:.*unknown key 'frobnicate' ignored" <<<"$out" || fail "unknown key: $out"
echo 'vif = []' >>"$(cfg bad1 idle)"
out=$(bhctl create -q "$WORK/bad1.cfg" 2>&1) && fail "an unsupported key was accepted"
grep -q "bad1.cfg:.*'vif' is not supported" <<<"$out" || fail "unsupported key: $out"
out=$(bhctl create -q "$(cfg bad2 nosuchapp)" 2>&1) && fail "a missing kernel was accepted"
grep -q "nosuchapp.elf" <<<"$out" || fail "missing kernel: $out"
out=$(bhctl create -q "$(cfg bad3 idle memory=1)" 2>&1) && fail "memory=1 was accepted"
grep -qi "memory" <<<"$out" || fail "memory=1: $out"
out=$(bhctl create -q "$WORK/nonexistent.cfg" 2>&1) && fail "a missing file was accepted"

# list: xl's columns, -Z, -l, a name.
wait_for "$(log_of hello1)" "shutdown: poweroff" 10
out=$(bhctl list)
head -1 <<<"$out" | grep -qE "^Name +ID +Mem +VCPUs +State +Time\(s\)$" || fail "list header: $out"
grep -qE "^idle1 +1 +8 +1 +r----- +[0-9.]+$" <<<"$out" || fail "list: $out"
grep -qE "^hello1 +2 +8 +1 +---s-- " <<<"$out" || fail "preserved hello1: $out"
grep -qE "^idle2 +3 +6 +1 " <<<"$out" || fail "key=value: $out"
bhctl list -Z | grep -qE "^idle1 .*system_u:system_r:domU_t$" || fail "list -Z: $(bhctl list -Z)"
bhctl list -l idle2 | grep -q '"memory_kib": 6144' || fail "list -l: $(bhctl list -l idle2)"
bhctl list nosuch >/dev/null 2>&1 && fail "list of an unknown domain succeeded"

# pause and unpause: a paused domain makes no hypercalls.
bhctl pause idle1 || fail "pause"
bhctl list idle1 | grep -q -- "--p---" || fail "not paused: $(bhctl list idle1)"
bhctl pause idle1 2>/dev/null && fail "pausing a paused domain succeeded"
bhctl unpause idle1 || fail "unpause"
bhctl unpause idle1 2>/dev/null && fail "unpausing a running domain succeeded"
bhctl list idle1 | grep -q "r-----" || fail "not running: $(bhctl list idle1)"

# console, info, dmesg, top.
bhctl console -n hello1 | grep -q "^Hello" || fail "console: $(bhctl console -n hello1)"
bhctl console hello1 | grep -q "shutdown: poweroff" || fail "console of a shut-down domain did not end"
bhctl info | grep -qE "^nr_cpus +: [0-9]+$" || fail "info: $(bhctl info)"
bhctl info | grep -qE "^nr_domains +: 3$" || fail "info: $(bhctl info)"
bhctl dmesg | grep -q "domain 1 (idle1) created paused" || fail "dmesg: $(bhctl dmesg | tail -3)"
[ "$(bhctl top -b -i 2 -d 0.1 | grep -c NAME)" = 2 ] || fail "top -b -i 2"
bhctl top -b -i 1 | grep -qE "idle1 +r-----" || fail "top: $(bhctl top -b -i 1)"

# A label the policy does not let manage domains: every request is denied.
out=$(app create -q "$(cfg evil idle)" 2>&1) && fail "appvm_t created a domain"
grep -q "policy does not let you create" <<<"$out" || fail "create denial: $out"
[ "$(app list | wc -l)" = 1 ] || fail "appvm_t sees domains: $(app list)"
app pause 1 2>&1 | grep -q "permission denied" || fail "appvm_t paused idle1"
app destroy 1 2>/dev/null && fail "appvm_t destroyed idle1"
app shutdown -F 1 2>/dev/null && fail "appvm_t shut idle1 down"
app dmesg 2>/dev/null && fail "appvm_t read dmesg"
app info 2>/dev/null && fail "appvm_t read physinfo"
app console -n 1 2>/dev/null && fail "appvm_t read a console"
grep -q "avc:  denied  { create } for domid=0 scontext=system_u:system_r:appvm_t" "$WORK/out" ||
	fail "no create denial in the log"
bhctl list idle1 | grep -q "r-----" || fail "idle1 was harmed"

# shutdown without xenstore needs -F; destroy; errors name the problem.
out=$(bhctl shutdown idle1 2>&1) && fail "shutdown without xenstore succeeded"
grep -q "no PV control interface" <<<"$out" || fail "shutdown: $out"
bhctl shutdown -F -w idle1 2>/dev/null || fail "shutdown -F -w"
bhctl list idle1 >/dev/null 2>&1 && fail "idle1 is still listed"
bhctl reboot -F idle2 || fail "reboot -F"
wait_for "$WORK/out" "(idle2) started" 10
bhctl destroy hello1 || fail "destroy"
out=$(bhctl destroy hello1 2>&1) && fail "destroying it twice succeeded"
grep -q "no domain named 'hello1'" <<<"$out" || fail "destroy twice: $out"
bhctl destroy 4000 2>&1 | grep -q "no such domain" || fail "destroy of an unknown id"
bhctl destroy idle2 || fail "destroy idle2"
[ "$(bhctl list | wc -l)" = 1 ] || fail "domains left: $(bhctl list)"

# The daemon outlives its domains; SIGTERM ends it.
kill -0 "$bhpid" || fail "bulkhead exited with its last domain"
stop_bg
[ $rc -eq 0 ] || fail "exit $rc"
echo ok
