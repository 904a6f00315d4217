# bh attest, verify, seal and unseal on a software TPM, against what a
# measured bulkhead extended: the quote verifies against golden measurements
# recorded from the same boot; a changed domain, a doctored log, a doctored
# quote, another key or a stale nonce each fail, naming what is wrong; a
# sealed secret unseals until a PCR moves.
#
# The boots need the hypervisor side (bulkhead --tpm/--tpm-log, see
# docs/measured-boot.md); checks marked [hv] test what bulkhead measured.
# Everything else tests bh (tools/bh/tpm.c).
. "$(dirname "$0")/lib.sh"
"$BH" --help | grep -q -- "--tpm-log" || fail "this bulkhead does not measure (no --tpm-log)"
LOG=$WORK/tcg.bin EV=$WORK/evidence
NONCE=$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')

# fresh_tpm: a new swtpm with nothing measured, at the same socket path, so
# that bulkhead's measured command line stays the same from boot to boot.
fresh_tpm() {
	swtpm_stop
	rm -rf "$WORK/tpm" "$WORK/log" "$LOG"
	swtpm_start
}

# measured_boot CFG: boot it on a fresh TPM, measured into $LOG. [hv]
measured_boot() {
	fresh_tpm
	boot 30 --tpm "$TPM" --tpm-log "$LOG" --domain "$1"
	[ $rc -eq 0 ] || fail "measured boot: bulkhead exited $rc: $(tail -n 5 "$WORK/out")"
	[ -s "$LOG" ] || fail "bulkhead wrote no event log at $LOG"
}

# attest: bh attest of this TPM and $LOG into $EV (replaced), with $NONCE.
attest() {
	rm -rf "$EV"
	"$BHCTL" attest --tpm "$TPM" --log "$LOG" --nonce "$NONCE" --out "$EV" >"$WORK/attest" 2>&1
}

# verify DIR [ARGS]: bh verify against $WORK/golden; sets $rc, output in $WORK/verify.
verify() {
	local dir=$1
	shift
	"$BHCTL" verify "$dir" --expect "$WORK/golden" "$@" >"$WORK/verify" 2>"$WORK/verify.err"
	rc=$?
}
expect_verify() {
	grep -qx -- "$1" "$WORK/verify" || fail "verify: no '$1' in: $(cat "$WORK/verify")"
}
# verify_fails WHY: exit 1, and no success line.
verify_fails() {
	[ $rc -eq 1 ] || fail "verify exited $rc, not 1, $1: $(cat "$WORK/verify" "$WORK/verify.err")"
	grep -q "^verify: OK" "$WORK/verify" && fail "verify printed OK $1"
	return 0
}

# flip_at FILE OFFSET: flip the low bit of that byte.
flip_at() {
	local b
	b=$(od -An -v -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	[ -n "$b" ] || fail "$1 has no byte $2"
	printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# flip_in FILE HEX: flip a bit of the bytes HEX (a digest), found in FILE.
flip_in() {
	local all pre
	all=$(od -An -v -tx1 "$1" | tr -d ' \n')
	pre=${all%%"$2"*}
	[ ${#pre} -lt ${#all} ] && [ $((${#pre} % 2)) -eq 0 ] || fail "no $2 in $1"
	flip_at "$1" $((${#pre} / 2))
}

# ---- a measured boot, quoted and verified ---------------------------------

h=$(cfg hello hello memory=4)
measured_boot "$h"
# [hv] The TPM's PCRs are what tpm2_eventlog replays the log to (not by bh).
for n in 11 12 13 14; do
	tpm=$(pcr sha256 $n) rep=$(replayed sha256 $n "$LOG")
	[ -n "$tpm" ] && [ "$tpm" = "$rep" ] || fail "PCR sha256:$n: TPM '$tpm', log '$rep'"
	[ "$tpm" != "$(printf '0%.0s' {1..64})" ] || fail "PCR $n was never extended"
done

attest || fail "bh attest: $(cat "$WORK/attest")"
for f in nonce quote.attest quote.sig ak.pem eventlog.bin pcrs.bin; do
	[ -s "$EV/$f" ] || fail "bh attest wrote no $f"
done
[ "$(cat "$EV/nonce")" = "$NONCE" ] || fail "bh attest: nonce file $(cat "$EV/nonce"), not $NONCE"
cmp -s "$EV/eventlog.bin" "$LOG" || fail "eventlog.bin is not a copy of the log"
# An independent verifier (tpm2-tools) accepts the signature and the nonce.
tpm2_checkquote -u "$EV/ak.pem" -m "$EV/quote.attest" -s "$EV/quote.sig" -q "$NONCE" \
	>/dev/null 2>&1 || fail "tpm2_checkquote rejects bh attest's quote"
# ... and, as docs/measured-boot.md says, the PCR values against the quote's digest
# and the event log against the values.
checkquote() {
	tpm2_checkquote -u "$1/ak.pem" -m "$1/quote.attest" -s "$1/quote.sig" -q "$NONCE" \
		-f "$1/pcrs.bin" -l sha256:11,12,13,14 -e "$1/eventlog.bin" >"$WORK/checkquote" 2>&1
}
[ "$(stat -c %s "$EV/pcrs.bin")" = 128 ] || fail "pcrs.bin is not 4 SHA-256 values"
for i in 0 1 2 3; do
	v=$(od -An -v -tx1 -j $((i * 32)) -N 32 "$EV/pcrs.bin" | tr -d ' \n')
	[ "$v" = "$(pcr sha256 $((11 + i)))" ] || fail "pcrs.bin's PCR $((11 + i)) is $v, the TPM's $(pcr sha256 $((11 + i)))"
done
checkquote "$EV" || fail "tpm2_checkquote -f -e rejects bh attest's evidence: $(cat "$WORK/checkquote")"
rm -rf "$WORK/badpcr" && cp -r "$EV" "$WORK/badpcr"
flip_at "$WORK/badpcr/pcrs.bin" 40
checkquote "$WORK/badpcr" && fail "tpm2_checkquote accepted a doctored pcrs.bin"
rm -rf "$WORK/badlog" && cp -r "$EV" "$WORK/badlog"
flip_in "$WORK/badlog/eventlog.bin" "$(sha256sum <"$GUEST/hello.elf" | cut -d' ' -f1)"
checkquote "$WORK/badlog" && fail "tpm2_checkquote accepted a doctored event log"
# The same TPM gives the same attestation key: pin it.
cp "$EV/ak.pem" "$WORK/ak.pem"
cp -r "$EV" "$WORK/evidence1"
attest || fail "bh attest (again): $(cat "$WORK/attest")"
cmp -s "$EV/ak.pem" "$WORK/ak.pem" || fail "a second bh attest made another key"

# Golden measurements, recorded from this boot.
"$BHCTL" verify "$EV" --print-golden >"$WORK/golden" || fail "--print-golden"
names=$(grep -v '^#' "$WORK/golden" | cut -d' ' -f1 | tr '\n' ' ')
want="bulkhead:binary bulkhead:cmdline flask:policy domain:hello:kernel domain:hello:cmdline"
[ "$names" = "$want domain:hello:config " ] || fail "[hv] the log's events: $names"
digest() { sed -n "s/^$1 //p" "$WORK/golden"; }
# [hv] The digests are of what ran.
[ "$(digest domain:hello:kernel)" = "$(sha256sum <"$GUEST/hello.elf" | cut -d' ' -f1)" ] ||
	fail "[hv] domain:hello:kernel is not the SHA-256 of hello.elf"
[ "$(digest bulkhead:binary)" = "$(sha256sum <"$BH" | cut -d' ' -f1)" ] ||
	fail "[hv] bulkhead:binary is not the SHA-256 of $BH"
[ "$(digest flask:policy)" = "$(sha256sum <"$POLICY" | cut -d' ' -f1)" ] ||
	fail "[hv] flask:policy is not the SHA-256 of $POLICY"
[ "$(digest domain:hello:cmdline)" = "$(printf '%s' name=hello | sha256sum | cut -d' ' -f1)" ] ||
	fail "[hv] domain:hello:cmdline is not the SHA-256 of the command line"

verify "$EV" --nonce "$NONCE" --ak "$WORK/ak.pem"
[ $rc -eq 0 ] || fail "verify of an honest quote: $(cat "$WORK/verify" "$WORK/verify.err")"
expect_verify "verify: OK (6 events, PCRs 11-14 match the quote)"
# Without --nonce it takes DIR/nonce, and says that this proves less.
verify "$EV"
[ $rc -eq 0 ] || fail "verify with DIR/nonce: $(cat "$WORK/verify")"
grep -q "note: the nonce is the one in" "$WORK/verify.err" || fail "no note about DIR/nonce"

# ---- doctored evidence ------------------------------------------------------

# A digest in the log changed: the log no longer replays, and the event is named.
rm -rf "$WORK/bad" && cp -r "$EV" "$WORK/bad"
flip_in "$WORK/bad/eventlog.bin" "$(digest domain:hello:kernel)"
verify "$WORK/bad" --nonce "$NONCE" --ak "$WORK/ak.pem"
verify_fails "with a doctored log"
expect_verify "verify: the log does not replay to the quoted PCRs"
grep -q "^MISMATCH domain:hello:kernel expected $(digest domain:hello:kernel) got " "$WORK/verify" ||
	fail "the doctored event is not named: $(cat "$WORK/verify")"

# A log cut short, or not a log at all.
rm -rf "$WORK/bad" && cp -r "$EV" "$WORK/bad"
head -c $(($(stat -c %s "$EV/eventlog.bin") - 3)) "$EV/eventlog.bin" >"$WORK/bad/eventlog.bin"
verify "$WORK/bad" --nonce "$NONCE"
verify_fails "with a truncated log"
grep -q "is not an event log bh can check" "$WORK/verify" || fail "truncated log: $(cat "$WORK/verify")"

# The quote changed (its last byte, in pcrDigest): the signature fails.
rm -rf "$WORK/bad" && cp -r "$EV" "$WORK/bad"
flip_at "$WORK/bad/quote.attest" $(($(stat -c %s "$EV/quote.attest") - 1))
cmp -s "$WORK/bad/quote.attest" "$EV/quote.attest" && fail "flip_at changed nothing"
verify "$WORK/bad" --nonce "$NONCE" --ak "$WORK/ak.pem"
verify_fails "with a doctored quote"
expect_verify "verify: bad signature (quote.sig does not verify over quote.attest with ak.pem)"

# Another key signed "the quote": with the TPM's key pinned, that is found.
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/other.key" 2>/dev/null &&
	openssl ec -in "$WORK/other.key" -pubout -out "$WORK/other.pem" 2>/dev/null ||
	fail "openssl cannot make a P-256 key"
rm -rf "$WORK/bad" && cp -r "$EV" "$WORK/bad" && cp "$WORK/other.pem" "$WORK/bad/ak.pem"
verify "$WORK/bad" --nonce "$NONCE" --ak "$WORK/ak.pem"
verify_fails "with another key"
expect_verify "verify: ak.pem is not the attestation key in $WORK/ak.pem"

# A replayed answer: the evidence of the first attest, for this attest's nonce.
OTHER=$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
verify "$EV" --nonce "$OTHER" --ak "$WORK/ak.pem"
verify_fails "with a wrong nonce"
expect_verify "verify: nonce mismatch (the quote does not answer this nonce)"
[ "$(grep -c '^verify: ' "$WORK/verify")" = 2 ] || fail "more than the nonce failed: $(cat "$WORK/verify")"

# A golden file that lacks an event, or expects one more.
grep -v '^domain:hello:config ' "$WORK/golden" >"$WORK/golden.short"
cp "$WORK/golden" "$WORK/golden.full"
cp "$WORK/golden.short" "$WORK/golden"
verify "$EV" --nonce "$NONCE"
verify_fails "with an event not in the golden file"
expect_verify "UNEXPECTED domain:hello:config"
cp "$WORK/golden.full" "$WORK/golden"
echo "domain:hello:ramdisk $(printf x | sha256sum | cut -d' ' -f1)" >>"$WORK/golden"
verify "$EV" --nonce "$NONCE"
verify_fails "with a golden event missing from the log"
expect_verify "MISSING domain:hello:ramdisk"
cp "$WORK/golden.full" "$WORK/golden"

# ---- seal and unseal --------------------------------------------------------

head -c 48 /dev/urandom >"$WORK/secret"
"$BHCTL" seal --tpm "$TPM" --in "$WORK/secret" --out "$WORK/blob" || fail "bh seal"
cmp -s "$WORK/blob" "$WORK/secret" && fail "the blob is the secret"
"$BHCTL" unseal --tpm "$TPM" --in "$WORK/blob" --out "$WORK/unsealed" || fail "bh unseal"
cmp -s "$WORK/secret" "$WORK/unsealed" || fail "unsealed something else"
mode=$(stat -c %a "$WORK/unsealed")
[ "$mode" = 600 ] || fail "the unsealed secret is mode $mode"
"$BHCTL" unseal --tpm "$TPM" --in "$WORK/blob" | cmp -s - "$WORK/secret" || fail "bh unseal to stdout"

# Something other than bulkhead extends PCR 14: unseal refuses, and the log
# no longer explains the PCRs.
tpm2_pcrextend -T "$TPM" "14:sha256=$(printf '%064d' 1)" || fail "tpm2_pcrextend"
rm -f "$WORK/unsealed"
"$BHCTL" unseal --tpm "$TPM" --in "$WORK/blob" --out "$WORK/unsealed" 2>"$WORK/unseal.err" &&
	fail "unsealed after PCR 14 moved"
grep -q "the PCRs no longer match the sealed policy" "$WORK/unseal.err" ||
	fail "unseal: $(cat "$WORK/unseal.err")"
[ -e "$WORK/unsealed" ] && fail "a failed unseal wrote $WORK/unsealed"
attest && fail "bh attest accepted a log that does not explain the PCRs"
grep -q "the log does not replay to the quoted PCRs" "$WORK/attest" || fail "attest: $(cat "$WORK/attest")"
verify "$EV" --nonce "$NONCE" --ak "$WORK/ak.pem"
verify_fails "after an extend outside bulkhead"
expect_verify "verify: the log does not replay to the quoted PCRs"

# ---- another boot, another command line -------------------------------------

h=$(cfg hello hello memory=4 'cmdline="name=hello debug=1"')
measured_boot "$h"
"$BHCTL" unseal --tpm "$TPM" --in "$WORK/blob" 2>"$WORK/unseal.err" >/dev/null &&
	fail "a fresh TPM unsealed another TPM's blob"
grep -q "this TPM cannot load" "$WORK/unseal.err" || fail "unseal: $(cat "$WORK/unseal.err")"
attest || fail "bh attest: $(cat "$WORK/attest")"
# A new TPM is a new key; pin this one.
verify "$EV" --nonce "$NONCE" --ak "$EV/ak.pem"
verify_fails "after the command line changed"
grep -q "^MISMATCH domain:hello:cmdline expected $(digest domain:hello:cmdline) got " "$WORK/verify" ||
	fail "no MISMATCH for the command line: $(cat "$WORK/verify")"
grep -q "^MISMATCH domain:hello:config " "$WORK/verify" || fail "no MISMATCH for the config"
# Only those two: the quote itself is honest.
[ "$(grep -cv '^MISMATCH domain:hello:c\(mdline\|onfig\) \|^verify: FAILED' "$WORK/verify")" = 0 ] ||
	fail "more failures than the command line's: $(cat "$WORK/verify")"
# Another kernel: verify names it (and the config, which holds its path).
cp "$GUEST/hello.elf" "$WORK/hello-other.elf"
printf 'x' >>"$WORK/hello-other.elf"
h=$(cfg hello hello memory=4 "kernel=\"$WORK/hello-other.elf\"")
measured_boot "$h"
attest || fail "bh attest: $(cat "$WORK/attest")"
verify "$EV" --nonce "$NONCE" --ak "$EV/ak.pem"
verify_fails "after the kernel changed"
grep -q "^MISMATCH domain:hello:kernel expected $(digest domain:hello:kernel) got " "$WORK/verify" ||
	fail "no MISMATCH for the kernel: $(cat "$WORK/verify")"
grep -q "^MISMATCH domain:hello:cmdline" "$WORK/verify" && fail "the command line did not change"
h=$(cfg hello hello memory=4)

# The first boot's evidence still verifies against its own key.
verify "$WORK/evidence1" --nonce "$NONCE" --ak "$WORK/ak.pem"
[ $rc -eq 0 ] || fail "the first evidence no longer verifies: $(cat "$WORK/verify")"

# ---- a running bulkhead, and a policy reload ---------------------------------

# [hv] Attest while bulkhead runs; a reload is a new event until it is golden.
fresh_tpm
boot_bg --tpm "$TPM" --tpm-log "$LOG" --domain "$(cfg idle idle memory=4)"
wait_for "$(log_of idle)" "idle: waiting" 10
attest || fail "bh attest of a running bulkhead: $(cat "$WORK/attest")"
"$BHCTL" verify "$EV" --print-golden >"$WORK/golden" || fail "--print-golden"
verify "$EV" --nonce "$NONCE" --ak "$EV/ak.pem"
[ $rc -eq 0 ] || fail "verify of a running bulkhead: $(cat "$WORK/verify")"
bhctl loadpolicy "$POLICY" || fail "loadpolicy"
attest || fail "bh attest after a reload: $(cat "$WORK/attest")"
verify "$EV" --nonce "$NONCE" --ak "$EV/ak.pem"
verify_fails "with a reload that is not golden"
expect_verify "UNEXPECTED flask:policy-reload"
"$BHCTL" verify "$EV" --print-golden >"$WORK/golden" || fail "--print-golden"
verify "$EV" --nonce "$NONCE" --ak "$EV/ak.pem"
[ $rc -eq 0 ] || fail "verify with the reload golden: $(cat "$WORK/verify")"
expect_verify "verify: OK (7 events, PCRs 11-14 match the quote)"
stop_bg

# Without --log, bh attest reads the log that the bulkhead -s reaches writes
# (here the default under its --log-dir), and bh info names it.
fresh_tpm
boot_bg --tpm "$TPM" --domain "$(cfg idle idle memory=4)"
wait_for "$(log_of idle)" "idle: waiting" 10
dirlog=$(realpath "$WORK/log")/tcg-eventlog.bin
bhctl info | grep -qx "tpm_eventlog *: $dirlog" || fail "bh info: $(bhctl info)"
rm -rf "$EV"
bhctl attest --tpm "$TPM" --nonce "$NONCE" --out "$EV" >"$WORK/attest" 2>&1 ||
	fail "bh attest without --log: $(cat "$WORK/attest")"
grep -q "events from $dirlog into" "$WORK/attest" || fail "attest read: $(cat "$WORK/attest")"
cmp -s "$EV/eventlog.bin" "$dirlog" || fail "eventlog.bin is not the running bulkhead's log"
checkquote "$EV" || fail "tpm2_checkquote: $(cat "$WORK/checkquote")"
stop_bg

# ---- unmeasured ---------------------------------------------------------

# [hv] --tpm=none writes no log, and bh attest says why there is nothing.
rm -rf "$WORK/log"
boot 30 --domain "$(cfg hello hello memory=4)"
[ $rc -eq 0 ] || fail "unmeasured boot: $rc"
[ -e "$WORK/log/tcg-eventlog.bin" ] && fail "an unmeasured bulkhead wrote an event log"
"$BHCTL" attest --tpm "$TPM" --log "$WORK/log/tcg-eventlog.bin" --out "$WORK/none" 2>"$WORK/attest" &&
	fail "bh attest without a log"
grep -q "measurement is off (bulkhead ran with --tpm=none)" "$WORK/attest" ||
	fail "attest without a log: $(cat "$WORK/attest")"
# A running unmeasured bulkhead says so when asked for its log.
boot_bg --domain "$(cfg idle idle memory=4)"
wait_for "$(log_of idle)" "idle: waiting" 10
bhctl info | grep -qx "tpm_eventlog *: (unmeasured)" || fail "bh info: $(bhctl info)"
bhctl attest --tpm "$TPM" --out "$WORK/none" 2>"$WORK/attest" && fail "bh attest of an unmeasured bulkhead"
grep -q "runs unmeasured (--tpm=none): there is no event log" "$WORK/attest" ||
	fail "attest of an unmeasured bulkhead: $(cat "$WORK/attest")"
stop_bg
echo ok
