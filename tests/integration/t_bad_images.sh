# Bad kernel images are refused with the file and the reason, and nothing boots.
. "$(dirname "$0")/lib.sh"
img=$GUEST/hello.elf
echo "not an elf" >"$WORK/text.elf"
head -c 100 "$img" >"$WORK/truncated.elf"
objcopy --remove-section .note "$img" "$WORK/nonote.elf"
objcopy --change-addresses 0x40000000 "$img" "$WORK/high.elf" 2>/dev/null
check() { # FILE REASON-REGEX
	local c
	c=$(cfg "bad" hello "kernel=\"$1\"")
	boot 20 --domain "$c"
	[ $rc -ne 0 ] || fail "$1 was accepted"
	grep -q -- "$1: .*$2" "$WORK/out" || fail "$1: no '$2' in: $(cat "$WORK/out")"
	[ -e "$(log_of bad)" ] && grep -q Hello "$(log_of bad)" && fail "$1 ran"
	rm -rf "$WORK/log"
}
check "$WORK/text.elf" "not an ELF"
check "$WORK/truncated.elf" "truncated"
check "$WORK/nonote.elf" "no PVH entry note"
check "$WORK/high.elf" "outside guest RAM"
check "$WORK/missing.elf" "No such file"
exit 0
