# 1,000 channels opened and closed, three times over; and the port limit
# that max_event_channels sets, with -ENOSPC past it.
. "$(dirname "$0")/lib.sh"
churn=$(cfg churn evtest memory=4 vcpus=2 max_event_channels=1100 'cmdline="mode=churn n=1000 rounds=3"')
lim=$(cfg lim evtest memory=4 max_event_channels=16 vcpus=2 'cmdline="mode=limit max=16"')
boot 60 --domain "$churn" --domain "$lim"
[ $rc -eq 0 ] || fail "bulkhead exited $rc"
expect_log churn "^evtest: 3 rounds of 1000 channels opened and closed, 0 errors$"
expect_log churn "^evtest: ok reset-closed-timer$"
expect_log churn "^evtest: ok pair-other-end-unbound$"
expect_log churn "^evtest: ok vcpu-event-on-cpu1$"
expect_log churn "^evtest: PASS$"
expect_log lim "^evtest: 15 ports allocated before -28$"
expect_log lim "^evtest: PASS$"
