# A ramdisk reaches the guest as the PVH module, whole and intact.
. "$(dirname "$0")/lib.sh"
{ printf 'BULKHEAD-RAMDISK'; head -c 300000 /dev/urandom; } >"$WORK/initrd"
size=$(stat -c %s "$WORK/initrd")
c=$(cfg rd selftest "ramdisk=\"$WORK/initrd\"" memory=16)
boot 60 --domain "$c"
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_log rd "^selftest: 1 modules$"
expect_log rd "^selftest: module 0 at [0-9a-f]*: $size bytes, starts \"BULKHEAD-RAMDISK\"$"
expect_log rd "^selftest: PASS$"
# Too big for the domain's RAM: refused with the file and the reason.
head -c $((3 << 20)) /dev/zero >"$WORK/big"
c=$(cfg small hello "ramdisk=\"$WORK/big\"" memory=2)
boot 20 --domain "$c"
[ $rc -ne 0 ] || fail "an oversized ramdisk was accepted"
expect_out "$WORK/big: .*do not fit"
