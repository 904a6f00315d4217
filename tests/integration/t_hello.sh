# examples/hello.cfg boots, prints its greeting and powers off; bulkhead exits 0.
. "$(dirname "$0")/lib.sh"
boot 30 --console --domain "$TOP/examples/hello.cfg"
[ $rc -eq 0 ] || fail "bulkhead exited $rc: $(cat "$WORK/out")"
expect_log hello "^Hello from hello$"
expect_log hello "shutdown: poweroff"
expect_out "(hello) Hello from hello"
expect_out "all domains gone"
