# A domain bound to another's channel is destroyed: the survivor sees its
# end go back to unbound (Xen's semantics) and carries on.
. "$(dirname "$0")/lib.sh"
w=$(cfg watcher evtest memory=4 'seclabel="system_u:system_r:netback_t"' 'cmdline="mode=watch peer=2"')
# The client binds port 2 of domain 1, pings, gets no pong (the watcher
# never answers) and crashes a second later, and is destroyed.
srv_port=2
c=$(cfg victim pingpong memory=4 'seclabel="system_u:system_r:appvm_t"' "cmdline=\"role=client peer=1 port=$srv_port rounds=1 wait=1\"")
boot_bg --domain "$w" --domain "$c"
wait_for "$WORK/out" "(victim) destroyed" 30
wait_for "$(log_of watcher)" "evtest: PASS\|evtest: FAIL" 30
stop_bg
expect_log watcher "^evtest: ok watch-peer-bound$"
expect_log watcher "^evtest: ok watch-peer-gone$"
expect_log watcher "^evtest: PASS$"
