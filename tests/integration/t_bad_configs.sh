# Bad configs are refused with file:line and the reason, before anything boots.
. "$(dirname "$0")/lib.sh"
good=$(cfg good hello)
check() { # NAME CONTENT REGEX
	printf '%b' "$2" >"$WORK/$1.cfg"
	boot 20 --domain "$good" --domain "$WORK/$1.cfg"
	[ $rc -eq 2 ] || fail "$1: exit $rc, expected 2"
	grep -q -- "$3" "$WORK/out" || fail "$1: no '$3' in: $(cat "$WORK/out")"
	[ -e "$(log_of good)" ] && fail "$1: a domain booted despite a bad config"
	return 0
}
k="kernel = \"$GUEST/hello.elf\"\n"
check unsupported "name = \"x\"\n${k}vif = [ 'bridge=xenbr0' ]\n" "unsupported.cfg:3: .*not supported"
check malformed "name = \"x\"\n${k}memory = \"lots\n" "malformed.cfg:3:"
check nokernel "name = \"x\"\n" "nokernel.cfg: .*kernel"
check dupname "name = \"good\"\n${k}" "already used"
check badmem "name = \"x\"\n${k}memory = 0\n" "badmem.cfg:3:"
# A key nobody knows is ignored, as xl ignores it, with a warning.
printf 'name = "x"\n%bcolour = "red"\n' "$k" >"$WORK/unknown.cfg"
boot 20 --domain "$WORK/unknown.cfg"
[ $rc -eq 0 ] || fail "unknown key: exit $rc: $(cat "$WORK/out")"
grep -q "unknown.cfg:3: unknown key 'colour' ignored, as xl does" "$WORK/out" ||
	fail "no warning for the unknown key: $(cat "$WORK/out")"
exit 0
