# A third domain misuses event channels against a live pair: every case gets
# Xen's errno and the pair goes on undisturbed.
. "$(dirname "$0")/lib.sh"
srv=$(cfg srv pingpong memory=4 'seclabel="system_u:system_r:netback_t"' 'cmdline="role=server peer=2 rounds=2000"')
cli=$(cfg cli pingpong memory=4 'seclabel="system_u:system_r:appvm_t"' 'cmdline="role=client peer=1 port=2 rounds=2000"')
bad=$(cfg bad evtest memory=4 vcpus=2 'cmdline="mode=misuse victim=1 port=2"')
boot 90 --domain "$srv" --domain "$cli" --domain "$bad"
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_log bad "^evtest: PASS$"
expect_log cli "^pingpong: 2000 round trips"
expect_log srv "^pingpong: server answered 2000 pings$"
