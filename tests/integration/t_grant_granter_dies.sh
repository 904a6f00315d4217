# The granter is destroyed while another domain maps its pages: the mapping
# stays valid until it is unmapped, and bulkhead carries on.
. "$(dirname "$0")/lib.sh"
sh=$(cfg sharer grant memory=4 'seclabel="system_u:system_r:appvm_t"' 'cmdline="role=sharer peer=2 die=1"')
mp=$(cfg mapper grant memory=4 'seclabel="system_u:system_r:netback_t"' 'cmdline="role=mapper peer=1 survive=1"')
boot 60 --domain "$sh" --domain "$mp"
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_out "domain 1 (sharer) destroyed"
for c in sharer-gone page-outlives-granter page-still-writable unmap-after-death; do
	expect_log mapper "^grant: ok $c$"
done
expect_log mapper "^grant: PASS$"
