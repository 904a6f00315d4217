# Shared helpers for integration tests. Each test is a bash script that
# sources this file, boots real domains with bulkhead, and calls fail/pass.
# Environment (set by run.sh): BH (bulkhead binary), BHCTL (the bh tool),
# GUEST (guest images), POLICY (the shipped Flask policy), WORK (a fresh
# directory for this test), TOP (the repository).
# boot and boot_bg run bulkhead enforcing $POLICY, with its control socket
# at $WORK/ctl.sock (bh -s "$WORK/ctl.sock" reaches it), unmeasured
# (--tpm=none) unless the test passes its own --tpm, which comes later and wins.
set -u

# Every time limit below (boot, wait_for, stop_bg) is multiplied by
# TIMEOUT_SCALE. The nested SVM lane (tests/svm/) sets it: everything runs
# under TCG there, several times slower. The conditions waited for are the same.
TIMEOUT_SCALE=${TIMEOUT_SCALE:-1}

fail() { echo "FAIL: $*"; exit 1; }

# A test that fails half-way must not leave its bulkhead (and a spinning
# guest) running behind it.
bhpid=
trap '[ -n "$bhpid" ] && kill -KILL "$bhpid" 2>/dev/null' EXIT

# cfg NAME APP [key=value ...]: write $WORK/NAME.cfg booting APP; the
# key=value pairs (values in xl.cfg syntax) replace the defaults.
cfg() {
	local name=$1 app=$2 kv; shift 2
	declare -A v=([name]="\"$name\"" [kernel]="\"$GUEST/$app.elf\"" [memory]=8
		[cmdline]="\"name=$name\"")
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for kv in "${!v[@]}"; do echo "$kv = ${v[$kv]}"; done >"$WORK/$name.cfg"
	echo "$WORK/$name.cfg"
}

# boot TIMEOUT ARGS...: run bulkhead in the foreground; sets $rc, output in $WORK/out.
boot() {
	local t=$(($1 * TIMEOUT_SCALE)); shift
	timeout --signal=KILL "$t" "$BH" --log-dir "$WORK/log" --policy "$POLICY" --tpm=none \
		--socket "$WORK/ctl.sock" "$@" >"$WORK/out" 2>&1
	rc=$?
	[ $rc -eq 137 ] && fail "bulkhead did not exit within ${t}s (or was killed)"
	return 0
}

# boot_bg ARGS...: start bulkhead in the background; sets $bhpid.
boot_bg() {
	: >"$WORK/out" # now, so that wait_for never reads the last run's output
	"$BH" --log-dir "$WORK/log" --policy "$POLICY" --tpm=none --socket "$WORK/ctl.sock" "$@" \
		>"$WORK/out" 2>&1 &
	bhpid=$!
}

# wait_for FILE PATTERN SECONDS
wait_for() {
	local i
	for ((i = 0; i < $3 * TIMEOUT_SCALE * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "timed out waiting for '$2' in $1 ($(($3 * TIMEOUT_SCALE)) s)"
}

# stop_bg: SIGTERM bulkhead and expect a clean exit.
stop_bg() {
	local i
	kill -TERM "$bhpid" 2>/dev/null
	for ((i = 0; i < 100 * TIMEOUT_SCALE; i++)); do
		kill -0 "$bhpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$bhpid" 2>/dev/null && { kill -KILL "$bhpid"; fail "bulkhead ignored SIGTERM"; }
	wait "$bhpid"
	rc=$?
	bhpid=
}

log_of() { echo "$WORK/log/guest-$1.log"; }
expect_log() { grep -q -- "$2" "$(log_of "$1")" || fail "domain $1: no '$2' in its log: $(tail -n 5 "$(log_of "$1")" 2>&1)"; }
expect_out() { grep -q -- "$1" "$WORK/out" || fail "no '$1' in bulkhead's output: $(tail -n 20 "$WORK/out")"; }

# kvm_kind: what gives this host's /dev/kvm its guests: svm, vmx, or pvm
# (the machines here: kvm_pvm, no hardware virtualization in the CPU flags).
kvm_kind() {
	if grep -qw svm /proc/cpuinfo; then echo svm
	elif grep -qw vmx /proc/cpuinfo; then echo vmx
	else echo pvm
	fi
}

# bhctl ARGS...: the bh tool against this test's bulkhead.
bhctl() { "$BHCTL" -s "$WORK/ctl.sock" "$@"; }

# label TYPE: the seclabel= cfg argument for a domain of TYPE.
label() { echo "seclabel=\"system_u:system_r:$1\""; }

# flask_pair SERVER_TYPE CLIENT_TYPE SECONDS: two flasktest domains (server
# is domain 1, client domain 2) labelled as given; prints the two cfg paths.
# SECONDS (times TIMEOUT_SCALE) bounds the guests' own waits.
flask_pair() {
	local s=$(($3 * TIMEOUT_SCALE))
	cfg server flasktest memory=4 "$(label "$1")" \
		"cmdline=\"name=server role=server peer=2 seconds=$s\""
	cfg client flasktest memory=4 "$(label "$2")" \
		"cmdline=\"name=client role=client peer=1 port=2 seconds=$s\""
}

# flask_pair_boot SERVER_TYPE CLIENT_TYPE SECONDS [CFG...]: flask_pair's two
# domains in a background bulkhead, the client created (bh create) only once
# the server has offered its port, then each CFG. Order matters: an offer to
# a domain that does not exist yet is checked only for event:create (the
# bind is checked when the remote binds), while an offer to one that exists
# is checked against it, and denied for some pairs. Booting both at once left
# that to a race that a slow host (the SVM lane) loses.
flask_pair_boot() {
	local srv cli c
	read -r srv cli < <(flask_pair "$1" "$2" "$3" | xargs)
	shift 3
	boot_bg --domain "$srv"
	wait_for "$(log_of server)" "^flasktest: server port" 20
	bhctl create -q "$cli" || fail "bh create client"
	for c in "$@"; do bhctl create -q "$c" || fail "bh create $c"; done
}

# swtpm_start: a fresh software TPM for this test in $WORK/tpm; sets $TPM
# (the TCTI string) and stops it when the test ends.
swtpm_start() {
	mkdir -p "$WORK/tpm"
	swtpm socket --tpm2 --tpmstate dir="$WORK/tpm" \
		--server type=unixio,path="$WORK/tpm/sock" --ctrl type=unixio,path="$WORK/tpm/sock.ctrl" \
		--flags startup-clear,not-need-init --daemon --pid file="$WORK/tpm/pid" ||
		fail "swtpm did not start"
	TPM="swtpm:path=$WORK/tpm/sock"
	trap '[ -n "$bhpid" ] && kill -KILL "$bhpid" 2>/dev/null; swtpm_stop' EXIT
}

# alive PID: the process runs (a zombie that nobody has reaped yet does not).
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# swtpm_stop: stop it, and return once it is gone (up to 10 s). swtpm is a
# daemon: its parent is init, which may leave it a zombie for a while.
swtpm_stop() {
	local pid i
	pid=$(cat "$WORK/tpm/pid" 2>/dev/null)
	rm -f "$WORK/tpm/pid"
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do alive "$pid" || return 0; sleep 0.1; done
}

# pcr BANK N: PCR N of BANK from the TPM, as lowercase hex.
pcr() { tpm2_pcrread -T "$TPM" "$1:$2" | sed -n "s/^ *$2 *: 0x//p" | tr 'A-F' 'a-f'; }

# replayed BANK N: PCR N as the event log replays it (tpm2_eventlog).
replayed() {
	tpm2_eventlog "$3" 2>/dev/null | awk -v bank="$1:" -v n="$2" '
		/^pcrs:/ { inp = 1 } inp && $1 == bank { inb = 1; next }
		inp && inb && $1 ~ /:$/ && $1 !~ /^[0-9]/ { inb = 0 }
		inp && inb && $1 == n { sub(/^0x/, "", $3); print tolower($3) }'
}

# services_start [ARGS...]: bulkhead in the background as a daemon with a
# xenstore_t socket ($WORK/svc.sock) and a vchan_t one ($WORK/vchan.sock),
# and bh-xenstored serving XENSTORED_PATH; both stop when the test ends.
services_start() {
	XSD="$(dirname "$BH")/bh-xenstored"
	XS="$(dirname "$BH")/bh-xs"
	VC="$(dirname "$BH")/bh-vchan"
	export XENSTORED_PATH="$WORK/xenstored.sock"
	xsd_pid=
	trap '[ -n "$bhpid" ] && kill -KILL "$bhpid" 2>/dev/null; [ -n "$xsd_pid" ] && kill -KILL "$xsd_pid" 2>/dev/null' EXIT
	boot_bg --service "$WORK/svc.sock=system_u:system_r:xenstore_t" \
		--service "$WORK/vchan.sock=system_u:system_r:vchan_t" "$@"
	wait_for "$WORK/out" "control: listening" 10
	"$XSD" --socket "$XENSTORED_PATH" --control "$WORK/svc.sock" >"$WORK/xsd.out" 2>&1 &
	xsd_pid=$!
	wait_for "$WORK/xsd.out" "ready on" 10
	wait_for "$WORK/out" "xenstore arena of" 10
}

# create [-p] NAME APP CMDLINE [key=value...]: bh create; prints the domain id.
create() {
	local p= name app cmd out
	[ "$1" = -p ] && { p=-p; shift; }
	name=$1 app=$2 cmd=$3; shift 3
	out=$(bhctl create $p "$(cfg "$name" "$app" memory=8 "cmdline=\"$cmd\"" "$@")" 2>&1) ||
		fail "create $name: $out"
	sed -n 's/^Started domain .* (id=\([0-9]*\))$/\1/p' <<<"$out"
}
