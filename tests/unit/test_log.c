/*
 * Unit tests for lib/log.c's rings, what `bh dmesg` returns: a flood of
 * ordinary lines never pushes an audit line out, lines come back whole and
 * in the order they were logged across both rings, and clear forgets both.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char *read_all(size_t *n)
{
	char *buf = malloc(BH_LOG_RING + 1);

	assert_non_null(buf);
	*n = bh_log_read(buf, BH_LOG_RING, false);
	buf[*n] = 0;
	return buf;
}

/* stderr to /dev/null: the test logs megabytes. */
static int quiet(void **state)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)state;
	assert_true(fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	bh_log_init("test", BH_LOG_INFO);
	return 0;
}

static void test_audit_survives_a_flood(void **state)
{
	size_t n, lines = 0;
	char *buf, *p;

	(void)state;
	bh_log_read(NULL, 0, true);
	log_info("before");
	bh_log_audit("avc:  denied  { setenforce } marker-1");
	for (int i = 0; i < 20000; i++)
		log_warn("control: malformed header %d, a line long enough to fill the ring", i);
	buf = read_all(&n);
	assert_non_null(strstr(buf, "marker-1\n"));
	assert_null(strstr(buf, "before\n")); /* the ordinary ring did wrap */
	assert_non_null(strstr(buf, "malformed header 19999,"));
	/* Whole lines only, each with its prefix. */
	for (p = buf; *p; p = strchr(p, '\n') + 1, lines++)
		assert_memory_equal(p, "[", 1);
	assert_true(lines > 1000);
	assert_int_equal(buf[n - 1], '\n');
	free(buf);
}

static void test_order_across_rings(void **state)
{
	const char *want[] = { "one\n", "two\n", "three\n", "four\n" };
	size_t n;
	char *buf, *at = NULL;

	(void)state;
	bh_log_read(NULL, 0, true);
	log_info("one");
	bh_log_audit("two");
	log_warn("three");
	bh_log_audit("four");
	buf = read_all(&n);
	for (size_t i = 0; i < 4; i++) {
		char *p = strstr(buf, want[i]);

		assert_non_null(p);
		assert_true(!at || p > at);
		at = p;
	}
	free(buf);
}

static void test_audit_ring_wraps_alone(void **state)
{
	size_t n;
	char *buf;

	(void)state;
	bh_log_read(NULL, 0, true);
	log_info("ordinary");
	for (int i = 0; i < 5000; i++)
		bh_log_audit("avc:  denied  number %d", i);
	buf = read_all(&n);
	assert_non_null(strstr(buf, "ordinary\n"));
	assert_non_null(strstr(buf, "number 4999\n"));
	assert_null(strstr(buf, "number 0\n"));
	assert_true(n <= BH_LOG_RING);
	free(buf);
}

static void test_clear_and_short_buffer(void **state)
{
	char small[64];
	size_t n;
	char *buf;

	(void)state;
	bh_log_read(NULL, 0, true);
	log_info("first line");
	bh_log_audit("second line");
	n = bh_log_read(small, 10, false);
	assert_int_equal(n, 0); /* no room for a whole line: nothing, not half of one */
	n = bh_log_read(small, sizeof(small), true);
	assert_true(n > 0 && small[n - 1] == '\n');
	buf = read_all(&n);
	assert_int_equal(n, 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_survives_a_flood),
		cmocka_unit_test(test_order_across_rings),
		cmocka_unit_test(test_audit_ring_wraps_alone),
		cmocka_unit_test(test_clear_and_short_buffer),
	};

	return cmocka_run_group_tests(tests, quiet, NULL);
}
