# Measured boot on a software TPM: the PCRs equal the replayed event log;
# each kind of change moves its own PCR; a policy reload and a restarted
# domain are measured; without a TPM bulkhead says so and starts nothing.
. "$(dirname "$0")/lib.sh"
swtpm_start
LOG="$WORK/tcg.bin"
h=$(cfg hello hello memory=4)

boot 30 --tpm "$TPM" --tpm-log "$LOG" --domain "$h"
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(tail -3 "$WORK/out")"
expect_log hello "Hello from hello"
for n in 11 12 13 14; do
	for bank in sha1 sha256 sha384; do
		tpm=$(pcr $bank $n) rep=$(replayed $bank $n "$LOG")
		[ -n "$tpm" ] && [ "$tpm" = "$rep" ] || fail "PCR $bank:$n: TPM $tpm, log $rep"
	done
done
tpm2_eventlog "$LOG" >"$WORK/events" 2>/dev/null || fail "tpm2_eventlog cannot read the log"
for name in bulkhead:binary bulkhead:cmdline flask:policy domain:hello:kernel domain:hello:cmdline \
	domain:hello:config; do
	grep -q "$name" "$WORK/events" || grep -q "$(printf '%s' "$name" | xxd -p | tr -d '\n')" \
		"$WORK/events" || fail "no event for $name"
done
# The kernel event is the hash of the image file.
want=$(sha256sum "$GUEST/hello.elf" | cut -d' ' -f1)
grep -qi "$want" "$WORK/events" || fail "the kernel digest is not sha256 of hello.elf"

# Each change moves its own PCR, on a fresh TPM each time.
snap() { for n in 11 12 13 14; do echo "$n $(pcr sha256 $n)"; done; }
fresh() { swtpm_stop; rm -rf "$WORK/tpm"; swtpm_start; rm -rf "$WORK/log"; }
fresh; boot 30 --tpm "$TPM" --tpm-log "$LOG" --domain "$h"; snap >"$WORK/base"
h2=$(cfg hello hello memory=4 'cmdline="name=hello other=1"')
fresh; boot 30 --tpm "$TPM" --tpm-log "$LOG" --domain "$h2"; snap >"$WORK/cmd"
h3=$(cfg hello hello memory=6)
fresh; boot 30 --tpm "$TPM" --tpm-log "$LOG" --domain "$h3"; snap >"$WORK/cfg"
cp "$GUEST/hello.elf" "$WORK/hello2.elf" && printf 'x' >>"$WORK/hello2.elf"
h4=$(cfg hello hello memory=4 "kernel=\"$WORK/hello2.elf\"")
fresh; boot 30 --tpm "$TPM" --tpm-log "$LOG" --domain "$h4"; snap >"$WORK/kern"
changed() { diff "$WORK/base" "$WORK/$1" | sed -n 's/^> \([0-9]*\) .*/\1/p' | tr '\n' ' '; }
# The config and command line are in the same PCR; the kernel path is in
# the config, so a new kernel moves 13 (image) and 14 (config) both.
[ "$(changed cmd)" = "14 " ] || fail "a new command line moved: $(changed cmd)"
[ "$(changed cfg)" = "14 " ] || fail "a new config moved: $(changed cfg)"
[ "$(changed kern)" = "13 14 " ] || fail "a new kernel moved: $(changed kern)"
# Bulkhead's own PCR moves with its command line (same config as the base).
h=$(cfg hello hello memory=4)
fresh; boot 30 --tpm "$TPM" --tpm-log "$LOG" --avc-slots 1024 --domain "$h"; snap >"$WORK/bh"
[ "$(changed bh)" = "11 " ] || fail "a new bulkhead command line moved: $(changed bh)"

# A policy reload is measured into PCR 12 before it takes effect.
fresh
idle=$(cfg idle idle memory=4)
boot_bg --tpm "$TPM" --tpm-log "$LOG" --domain "$idle"
wait_for "$(log_of idle)" "idle: waiting" 10
before=$(pcr sha256 12)
bhctl loadpolicy "$POLICY" || fail "loadpolicy"
after=$(pcr sha256 12)
[ "$before" != "$after" ] || fail "a policy reload did not move PCR 12"
[ "$after" = "$(replayed sha256 12 "$LOG")" ] || fail "PCR 12 and the log disagree after a reload"
# A refused policy is not measured.
head -c 100 "$POLICY" >"$WORK/bad.pol"
bhctl loadpolicy "$WORK/bad.pol" 2>/dev/null && fail "a damaged policy loaded"
[ "$(pcr sha256 12)" = "$after" ] || fail "a refused policy moved PCR 12"

# The TPM goes away mid-run: the next domain is not started, nothing half-measured.
swtpm_stop
bhctl loadpolicy "$POLICY" 2>/dev/null && fail "a policy loaded with no TPM to measure it"
kill -0 "$bhpid" || fail "bulkhead died when the TPM went away"
grep -q "measure\|TPM" "$WORK/out" || fail "no message about the lost TPM"
stop_bg

# A domain that restarts is measured each time; once the TPM is gone, the
# next start fails and the domain does not run.
fresh
r=$(cfg looper hello memory=4 'on_poweroff="restart"' 'cmdline="name=looper"')
boot_bg --tpm "$TPM" --tpm-log "$LOG" --domain "$r"
wait_for "$WORK/out" "domain [0-9]* (looper) started" 10
for i in $(seq 100); do
	n1=$(tpm2_eventlog "$LOG" 2>/dev/null | grep -c "PCRIndex: 13")
	[ "$n1" -ge 2 ] && break
	sleep 0.1
done
[ "$n1" -ge 2 ] || fail "restarts were not measured ($n1 kernel events)"
swtpm_stop
for i in $(seq 1 100); do kill -0 "$bhpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$bhpid" 2>/dev/null && fail "the domain kept restarting without a TPM"
wait "$bhpid"; bhpid=
grep -q "domain 'looper': extending PCR 1[34] with domain:looper" "$WORK/out" ||
	fail "no error naming the failed measurement: $(grep -i 'looper' "$WORK/out" | tail -3)"

# No TPM, no --tpm: a clear refusal (this machine has no /dev/tpmrm0).
if [ ! -e /dev/tpmrm0 ]; then
	timeout 10 "$BH" --log-dir "$WORK/log" --policy "$POLICY" --domain "$h" >"$WORK/out" 2>&1
	[ $? -eq 2 ] || fail "no TPM: not refused"
	grep -q "no TPM (/dev/tpmrm0). Give --tpm TCTI" "$WORK/out" || fail "no TPM: $(cat "$WORK/out")"
	grep -q "started" "$WORK/out" && fail "a domain started unmeasured"
fi
timeout 10 "$BH" --log-dir "$WORK/log" --policy "$POLICY" --tpm "swtpm:path=$WORK/nothing" \
	--domain "$h" >"$WORK/out" 2>&1
[ $? -eq 2 ] || fail "an unreachable TPM was accepted"
echo ok
