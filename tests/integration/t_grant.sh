# Grant sharer and mapper: read-write and read-only maps, a write through a
# read-only map that has no effect, the granter unable to take back a mapped
# page, unmap, batched copies both ways, and every misuse with its GNTST_*.
. "$(dirname "$0")/lib.sh"
sh=$(cfg sharer grant memory=4 'seclabel="system_u:system_r:appvm_t"' 'cmdline="role=sharer peer=2"')
mp=$(cfg mapper grant memory=4 'seclabel="system_u:system_r:netback_t"' 'cmdline="role=mapper peer=1"')
boot 60 --domain "$sh" --domain "$mp"
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
for c in write-visible readonly-untouched flags-writing end-while-mapped-rw end-while-mapped-ro \
	copied-in flags-clear end-after-unmap-rw end-after-unmap-ro; do
	expect_log sharer "^grant: ok $c$"
done
for c in map-rw map-ro read-rw-mapping read-ro-mapping write-through-readonly \
	map-ref-out-of-range map-ref-for-another map-ref-not-granted map-rw-of-readonly \
	map-over-own-ram map-over-mapping map-unaligned map-no-domain unmap-never-mapped \
	copy-crosses-page copy-bad-length copy-into-readonly copy-ref-for-another \
	unmap-rw unmap-ro unmap-twice unmapped-page-gone copy-batch copy-read-data; do
	expect_log mapper "^grant: ok $c$"
done
expect_log sharer "^grant: PASS$"
expect_log mapper "^grant: PASS$"
