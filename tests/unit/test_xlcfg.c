/*
 * Unit tests for lib/xlcfg.c, the xl.cfg parser.
 *
 * Every config is copied into a heap buffer of exactly its length with no
 * terminating NUL, so that under ASan a parser that reads past len fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xlcfg.h"

#define CFG_PATH "/etc/bulkhead/web.cfg"
#define CFG_DIR "/etc/bulkhead/"
#define MIN_CFG "name = 'web'\nkernel = 'vmlinuz'\n"

static struct xlcfg cfg;
static char err[512];
/* A long run of 'a', for strings at and over each limit. */
static char as[XLCFG_TEXT_MAX + 2];

/* Parse text[0..len) from an exact-size heap copy. */
static int parse_n(const char *path, const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(err, 'X', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	rc = xlcfg_parse(path, len ? copy : NULL, len, &cfg, err, sizeof(err));
	free(copy);
	return rc;
}

static int __attribute__((format(printf, 1, 2))) parsef(const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	rc = parse_n(CFG_PATH, text, (size_t)n);
	free(text);
	return rc;
}

/* Whatever happened, every string in cfg must be terminated in its field. */
static void check_terminated(const struct xlcfg *c)
{
	assert_true(strnlen(c->name, sizeof(c->name)) < sizeof(c->name));
	assert_true(strnlen(c->kernel, sizeof(c->kernel)) < sizeof(c->kernel));
	assert_true(strnlen(c->ramdisk, sizeof(c->ramdisk)) < sizeof(c->ramdisk));
	assert_true(strnlen(c->cmdline, sizeof(c->cmdline)) < sizeof(c->cmdline));
	assert_true(strnlen(c->seclabel, sizeof(c->seclabel)) < sizeof(c->seclabel));
}

static void check_ok(int at, int rc)
{
	if (rc != 0)
		fail_msg("line %d: expected success, got %d: %s", at, rc, err);
	check_terminated(&cfg);
}

/* The error must start with "path:line: " (or "path: ") and name the reason. */
static void check_err(int at, int rc, unsigned int line, const char *reason)
{
	char prefix[256];

	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", CFG_PATH, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", CFG_PATH);
	if (rc != -1)
		fail_msg("line %d: expected failure (%s), got %d", at, reason, rc);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, reason))
		fail_msg("line %d: error \"%s\" should start with \"%s\" and contain \"%s\"",
			 at, err, prefix, reason);
	check_terminated(&cfg);
}

/* An expected reason built from the header's limits, which may change. */
static const char *__attribute__((format(printf, 1, 2))) reason(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

#define EXPECT_OK(...) check_ok(__LINE__, parsef(__VA_ARGS__))
#define EXPECT_ERR(line, reason, ...) \
	check_err(__LINE__, parsef(__VA_ARGS__), line, reason)

static int setup(void **state)
{
	(void)state;
	memset(as, 'a', sizeof(as) - 1);
	return 0;
}

static void test_full_config(void **state)
{
	(void)state;
	EXPECT_OK("# A web server domain\n"
		  "name = \"web-01.example_a\"\n"
		  "type = \"pvh\"\n"
		  "kernel = \"/boot/web.elf\"\n"
		  "ramdisk = \"initrd.img\"\n"
		  "cmdline = \"console=hvc0 root=/dev/xvda1 quiet\"\n"
		  "memory = 512\n"
		  "vcpus = 4\n"
		  "on_poweroff = \"preserve\"\n"
		  "on_reboot = \"destroy\"\n"
		  "on_crash = \"restart\"\n"
		  "on_watchdog = \"restart\"\n"
		  "seclabel = \"system_u:system_r:domU_t\"\n");
	assert_string_equal(cfg.name, "web-01.example_a");
	assert_string_equal(cfg.kernel, "/boot/web.elf");
	assert_string_equal(cfg.ramdisk, CFG_DIR "initrd.img");
	assert_string_equal(cfg.cmdline, "console=hvc0 root=/dev/xvda1 quiet");
	assert_string_equal(cfg.seclabel, "system_u:system_r:domU_t");
	assert_int_equal(cfg.memory_mib, 512);
	assert_int_equal(cfg.vcpus, 4);
	assert_int_equal(cfg.on_poweroff, XLCFG_ACTION_PRESERVE);
	assert_int_equal(cfg.on_reboot, XLCFG_ACTION_DESTROY);
	assert_int_equal(cfg.on_crash, XLCFG_ACTION_RESTART);
	assert_int_equal(cfg.on_watchdog, XLCFG_ACTION_RESTART);
}

static void test_defaults(void **state)
{
	(void)state;
	/* Dirty cfg first: a parse must not inherit anything from the last. */
	EXPECT_OK(MIN_CFG "memory = 99\nvcpus = 3\nramdisk = 'r'\ncmdline = 'c'\n"
		  "seclabel = 's'\non_reboot = 'preserve'\n");
	EXPECT_OK(MIN_CFG);
	assert_string_equal(cfg.name, "web");
	assert_string_equal(cfg.kernel, CFG_DIR "vmlinuz");
	assert_string_equal(cfg.ramdisk, "");
	assert_string_equal(cfg.cmdline, "");
	assert_string_equal(cfg.seclabel, "");
	assert_int_equal(cfg.memory_mib, 32);
	assert_int_equal(cfg.vcpus, 1);
	assert_int_equal(cfg.on_poweroff, XLCFG_ACTION_DESTROY);
	assert_int_equal(cfg.on_reboot, XLCFG_ACTION_RESTART);
	assert_int_equal(cfg.on_crash, XLCFG_ACTION_DESTROY);
	assert_int_equal(cfg.on_watchdog, XLCFG_ACTION_DESTROY);
}

static void test_syntax_variants(void **state)
{
	(void)state;
	EXPECT_OK("\n\n   # leading comment\n\t\n"
		  "name='a';kernel='/k' ; memory=64;# comment after ';'\n"
		  ";;\n"
		  "vcpus\t=\t2   # trailing comment\n"
		  "cmdline = 'say \"hi\" # not a comment'\n"
		  "seclabel = \"it's\"");	/* no final newline */
	assert_string_equal(cfg.name, "a");
	assert_string_equal(cfg.kernel, "/k");
	assert_int_equal(cfg.memory_mib, 64);
	assert_int_equal(cfg.vcpus, 2);
	assert_string_equal(cfg.cmdline, "say \"hi\" # not a comment");
	assert_string_equal(cfg.seclabel, "it's");

	/* CRLF line endings. */
	EXPECT_OK("name = 'a'\r\nkernel = '/k'\r\nmemory = 8\r\n");
	assert_int_equal(cfg.memory_mib, 8);
	/* Backslashes are literal in single quotes, and empty cmdline is fine. */
	EXPECT_OK(MIN_CFG "cmdline = 'a\\b'\n");
	assert_string_equal(cfg.cmdline, "a\\b");
	EXPECT_OK(MIN_CFG "cmdline = \"\"\n");
	assert_string_equal(cfg.cmdline, "");
	/* Zero is a valid number token even if out of range. */
	EXPECT_ERR(3, reason("between 1 and %d, not 0", XLCFG_VCPUS_MAX), MIN_CFG "vcpus = 0\n");
}

static void test_lists_are_parsed(void **state)
{
	(void)state;
	/* A list that spans lines, with comments and a trailing comma. */
	EXPECT_ERR(3, "key 'vif' is not supported by Bulkhead yet",
		   MIN_CFG "vif = [ 'bridge=xenbr0', # first\n"
		   "  'mac=00:16:3e:00:00:01',\n\n  42, -1,\n]\n");
	EXPECT_ERR(3, "key 'disk' is not supported", MIN_CFG "disk = []\n");
	EXPECT_OK(MIN_CFG "nosuch = [ 1 ]\n"); /* unknown: ignored, as xl does */
	assert_non_null(strstr(cfg.warning, ":3: unknown key 'nosuch' ignored"));
	/* A supported key given a list is a type error, not a syntax error. */
	EXPECT_ERR(3, "'memory' takes a number, not a list", MIN_CFG "memory = [ 64 ]\n");
	EXPECT_ERR(3, "'cmdline' takes a string, not a list",
		   MIN_CFG "cmdline = [ 'a',\n'b' ]\n");
	EXPECT_ERR(3, "'name' takes a string, not a list", "\n\nname = [\n'x'\n]\n");

	EXPECT_ERR(3, "unterminated list", MIN_CFG "vif = [ 'a',\n 'b'\n");
	EXPECT_ERR(3, "unterminated list", MIN_CFG "vif = [");
	EXPECT_ERR(3, "lists cannot be nested", MIN_CFG "vif = [ [ 'a' ] ]\n");
	EXPECT_ERR(4, "expected ',' or ']'", MIN_CFG "vif = [ 'a'\n 'b' ]\n");
	EXPECT_ERR(3, "expected a value", MIN_CFG "vif = [ , ]\n");
	EXPECT_ERR(3, "expected a value", MIN_CFG "vif = [ 'a',, ]\n");
	EXPECT_ERR(3, "expected a value", MIN_CFG "vif = [ bare ]\n");
	EXPECT_ERR(5, "unexpected 'x' after the value of 'vif'",
		   MIN_CFG "vif = [\n'a'\n] x\n");
}

static void test_extra_alias(void **state)
{
	(void)state;
	EXPECT_OK(MIN_CFG "extra = 'console=hvc0'\n");
	assert_string_equal(cfg.cmdline, "console=hvc0");
	EXPECT_ERR(4, "both 'cmdline' and 'extra'",
		   MIN_CFG "cmdline = 'a'\nextra = 'b'\n");
	EXPECT_ERR(4, "both 'cmdline' and 'extra'",
		   MIN_CFG "extra = 'a'\ncmdline = 'b'\n");
	EXPECT_ERR(4, "key 'extra' set twice", MIN_CFG "extra = 'a'\nextra = 'b'\n");
}

static void test_name(void **state)
{
	(void)state;
	EXPECT_OK("name = '%.*s'\nkernel = '/k'\n", XLCFG_NAME_MAX - 1, as);
	assert_int_equal(strlen(cfg.name), XLCFG_NAME_MAX - 1);
	EXPECT_ERR(1, reason("limit is %d", XLCFG_NAME_MAX - 1),
		   "name = '%.*s'\nkernel = '/k'\n", XLCFG_NAME_MAX, as);
	EXPECT_ERR(1, reason("limit is %d", XLCFG_NAME_MAX - 1), "name = '%.*s'\nkernel = '/k'\n", 5000, as);
	EXPECT_OK("name = 'a-b_c.D9'\nkernel = '/k'\n");
	EXPECT_OK("name = '.'\nkernel = '/k'\n");
	EXPECT_ERR(1, "'name' must not be empty", "name = ''\nkernel = '/k'\n");
	EXPECT_ERR(1, "must not start with '-'", "name = '-x'\nkernel = '/k'\n");
	EXPECT_ERR(1, "may only contain", "name = 'a b'\nkernel = '/k'\n");
	EXPECT_ERR(1, "may only contain", "name = 'a/b'\nkernel = '/k'\n");
	EXPECT_ERR(1, "may only contain", "name = 'caf\xc3\xa9'\nkernel = '/k'\n");
	EXPECT_ERR(1, "'name' takes a string, not a number", "name = 5\nkernel = '/k'\n");
}

static void test_paths(void **state)
{
	char cwd[PATH_MAX], want[PATH_MAX + 64];
	size_t dirlen = strlen(CFG_DIR);

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));

	EXPECT_OK("name='a'\nkernel='/abs/k'\nramdisk='/abs/r'\n");
	assert_string_equal(cfg.kernel, "/abs/k");
	assert_string_equal(cfg.ramdisk, "/abs/r");
	EXPECT_OK("name='a'\nkernel='sub/../k'\nramdisk='./r'\n");
	assert_string_equal(cfg.kernel, CFG_DIR "sub/../k");
	assert_string_equal(cfg.ramdisk, CFG_DIR "./r");

	/* Config in the root directory: no doubled slash. */
	assert_int_equal(parse_n("/web.cfg", MIN_CFG, strlen(MIN_CFG)), 0);
	assert_string_equal(cfg.kernel, "/vmlinuz");

	/* Relative config paths still give absolute results. */
	assert_int_equal(parse_n("web.cfg", MIN_CFG, strlen(MIN_CFG)), 0);
	snprintf(want, sizeof(want), "%s%svmlinuz", cwd,
		 strcmp(cwd, "/") ? "/" : "");
	assert_string_equal(cfg.kernel, want);
	assert_int_equal(parse_n("cfgs/web.cfg", MIN_CFG, strlen(MIN_CFG)), 0);
	snprintf(want, sizeof(want), "%s%scfgs/vmlinuz", cwd,
		 strcmp(cwd, "/") ? "/" : "");
	assert_string_equal(cfg.kernel, want);
	assert_int_equal(cfg.kernel[0], '/');

	EXPECT_ERR(2, "'kernel' must not be empty", "name='a'\nkernel=''\n");
	EXPECT_ERR(3, "'ramdisk' must not be empty", MIN_CFG "ramdisk=''\n");
	EXPECT_ERR(2, "'kernel' takes a string, not a number", "name='a'\nkernel=1\n");

	/* Absolute: PATH_MAX - 1 bytes fit, PATH_MAX do not. */
	EXPECT_OK("name='a'\nkernel='/%.*s'\n", PATH_MAX - 2, as);
	assert_int_equal(strlen(cfg.kernel), PATH_MAX - 1);
	EXPECT_ERR(2, "too long", "name='a'\nkernel='/%.*s'\n", PATH_MAX - 1, as);
	EXPECT_ERR(3, "too long", MIN_CFG "ramdisk='/%.*s'\n", 60000, as);
	/* Relative: the limit applies to the resolved path. */
	EXPECT_OK("name='a'\nkernel='%.*s'\n", (int)(PATH_MAX - 1 - dirlen), as);
	assert_int_equal(strlen(cfg.kernel), PATH_MAX - 1);
	EXPECT_ERR(2, "too long once resolved", "name='a'\nkernel='%.*s'\n",
		   (int)(PATH_MAX - dirlen), as);
}

static void test_numbers(void **state)
{
	(void)state;
	EXPECT_OK(MIN_CFG "memory = %d\n", XLCFG_MEMORY_MIN_MIB);
	assert_int_equal(cfg.memory_mib, XLCFG_MEMORY_MIN_MIB);
	EXPECT_OK(MIN_CFG "memory = %d\n", XLCFG_MEMORY_MAX_MIB);
	assert_int_equal(cfg.memory_mib, XLCFG_MEMORY_MAX_MIB);
	EXPECT_ERR(3, reason("'memory' must be between %d and %d, not %d",
			     XLCFG_MEMORY_MIN_MIB, XLCFG_MEMORY_MAX_MIB,
			     XLCFG_MEMORY_MIN_MIB - 1),
		   MIN_CFG "memory = %d\n", XLCFG_MEMORY_MIN_MIB - 1);
	EXPECT_ERR(3, "'memory' must be between", MIN_CFG "memory = %d\n",
		   XLCFG_MEMORY_MAX_MIB + 1);
	EXPECT_ERR(3, "not -64", MIN_CFG "memory = -64\n");
	EXPECT_ERR(3, "not -0", MIN_CFG "memory = -0\n");
	EXPECT_ERR(3, "'memory' takes a number, not a string", MIN_CFG "memory = '64'\n");
	EXPECT_ERR(3, "'memory' takes a number, not a string", MIN_CFG "memory = \"64\"\n");

	EXPECT_OK(MIN_CFG "vcpus = %d\n", XLCFG_VCPUS_MAX);
	assert_int_equal(cfg.vcpus, XLCFG_VCPUS_MAX);
	EXPECT_ERR(3, reason("'vcpus' must be between 1 and %d", XLCFG_VCPUS_MAX), MIN_CFG "vcpus = %d\n",
		   XLCFG_VCPUS_MAX + 1);
	EXPECT_ERR(3, "'vcpus' must be between", MIN_CFG "vcpus = -1\n");
	/* A value that would truncate to a valid unsigned int. */
	EXPECT_ERR(3, "'vcpus' must be between", MIN_CFG "vcpus = 4294967297\n");

	/* uint64 limits: the largest value parses, one more overflows. */
	EXPECT_ERR(3, "not 18446744073709551615",
		   MIN_CFG "memory = 18446744073709551615\n");
	EXPECT_ERR(3, "number is too large", MIN_CFG "memory = 18446744073709551616\n");
	EXPECT_ERR(3, "number is too large", MIN_CFG "memory = 99999999999999999999\n");
	EXPECT_ERR(3, "number is too large", MIN_CFG "memory = -18446744073709551616\n");
	EXPECT_ERR(3, "number is too large", MIN_CFG "memory = %.*s\n", 3000,
		   "9999999999999999999999999999999999999999999999999999999999999"
		   "9999999999999999999999999999999999999999999999999999999999999");
	EXPECT_ERR(3, "number is too large", MIN_CFG "vif = [ 1, 18446744073709551616 ]\n");

	EXPECT_ERR(3, "leading zeros", MIN_CFG "memory = 064\n");
	EXPECT_ERR(3, "only decimal", MIN_CFG "memory = 0x40\n");
	EXPECT_ERR(3, "only decimal", MIN_CFG "memory = 64M\n");
	EXPECT_ERR(3, "only decimal", MIN_CFG "memory = 1.5\n");
	EXPECT_ERR(3, "expected digits after '-'", MIN_CFG "memory = -\n");
	EXPECT_ERR(3, "expected digits after '-'", MIN_CFG "memory = -");
	EXPECT_ERR(3, "expected a value", MIN_CFG "memory = +5\n");
}

static void test_actions(void **state)
{
	static const char *const keys[] = {
		"on_poweroff", "on_reboot", "on_crash", "on_watchdog",
	};
	static const char *const later[] = {
		"rename-restart", "coredump-destroy", "coredump-restart",
		"soft-reset",
	};
	enum xlcfg_action a;
	size_t k, i;

	(void)state;
	for (k = 0; k < 4; k++) {
		for (a = XLCFG_ACTION_DESTROY; a <= XLCFG_ACTION_PRESERVE; a++) {
			enum xlcfg_action *field[] = {
				&cfg.on_poweroff, &cfg.on_reboot, &cfg.on_crash,
				&cfg.on_watchdog,
			};

			EXPECT_OK(MIN_CFG "%s = '%s'\n", keys[k], xlcfg_action_name(a));
			assert_int_equal(*field[k], a);
		}
		for (i = 0; i < 4; i++)
			EXPECT_ERR(3, "is not supported by Bulkhead yet",
				   MIN_CFG "%s = '%s'\n", keys[k], later[i]);
		EXPECT_ERR(3, "unknown action 'explode'", MIN_CFG "%s = 'explode'\n", keys[k]);
		EXPECT_ERR(3, "unknown action ''", MIN_CFG "%s = ''\n", keys[k]);
		EXPECT_ERR(3, "unknown action", MIN_CFG "%s = 'Destroy'\n", keys[k]);
		EXPECT_ERR(3, "takes a string, not a number", MIN_CFG "%s = 1\n", keys[k]);
	}
	/* Untrusted bytes are not echoed raw into the error. */
	EXPECT_ERR(3, "unknown action '?[2Jx'", MIN_CFG "on_crash = '\033[2Jx'\n");
	EXPECT_ERR(3, "unknown action 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'",
		   MIN_CFG "on_crash = '%.*s'\n", 1000, as);
}

static void test_action_name(void **state)
{
	(void)state;
	assert_string_equal(xlcfg_action_name(XLCFG_ACTION_DESTROY), "destroy");
	assert_string_equal(xlcfg_action_name(XLCFG_ACTION_RESTART), "restart");
	assert_string_equal(xlcfg_action_name(XLCFG_ACTION_PRESERVE), "preserve");
	assert_string_equal(xlcfg_action_name((enum xlcfg_action)77), "invalid");
}

static void test_seclabel(void **state)
{
	(void)state;
	EXPECT_OK(MIN_CFG "seclabel = '%.*s'\n", XLCFG_LABEL_MAX - 1, as);
	assert_int_equal(strlen(cfg.seclabel), XLCFG_LABEL_MAX - 1);
	EXPECT_ERR(3, reason("limit is %d", XLCFG_LABEL_MAX - 1), MIN_CFG "seclabel = '%.*s'\n", XLCFG_LABEL_MAX, as);
	EXPECT_ERR(3, "'seclabel' must not be empty", MIN_CFG "seclabel = ''\n");
	EXPECT_ERR(3, "printable", MIN_CFG "seclabel = 'a\tb'\n");
	EXPECT_ERR(3, "printable", MIN_CFG "seclabel = 'a\x7f'\n");
	EXPECT_ERR(3, "printable", MIN_CFG "seclabel = '\xff'\n");
}

static void test_cmdline_limit(void **state)
{
	(void)state;
	EXPECT_OK(MIN_CFG "cmdline = '%.*s'\n", XLCFG_CMDLINE_MAX - 1, as);
	assert_int_equal(strlen(cfg.cmdline), XLCFG_CMDLINE_MAX - 1);
	EXPECT_ERR(3, reason("limit is %d", XLCFG_CMDLINE_MAX - 1),
		   MIN_CFG "cmdline = '%.*s'\n", XLCFG_CMDLINE_MAX, as);
	EXPECT_ERR(3, reason("limit is %d", XLCFG_CMDLINE_MAX - 1), MIN_CFG "extra = '%.*s'\n", XLCFG_CMDLINE_MAX, as);
}

static void test_type(void **state)
{
	(void)state;
	EXPECT_OK(MIN_CFG "type = 'pvh'\n");
	EXPECT_ERR(3, "Bulkhead boots PVH guests only", MIN_CFG "type = 'pv'\n");
	EXPECT_ERR(3, "Bulkhead boots PVH guests only", MIN_CFG "type = \"hvm\"\n");
	EXPECT_ERR(3, "unknown type 'PVH'", MIN_CFG "type = 'PVH'\n");
	EXPECT_ERR(3, "'type' takes a string", MIN_CFG "type = 3\n");
	EXPECT_ERR(4, "key 'type' set twice", MIN_CFG "type = 'pvh'\ntype = 'pvh'\n");
}

static void test_unsupported_keys(void **state)
{
	static const char *const keys[] = {
		"vif", "disk", "pci", "maxmem", "uuid", "builder", "bootloader",
		"device_model_version", "vnc", "sdl", "serial", "usb", "cpus",
		"cpu_weight", "shadow_memory", "maxvcpus", "pool", "on_soft_reset",
		"vtpm", "channel", "viridian", "cpuid",
	};
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(want, sizeof(want), "key '%s' is not supported by Bulkhead yet",
			 keys[i]);
		EXPECT_ERR(2, want, "name = 'a'\n%s = 1\nkernel = '/k'\n", keys[i]);
		EXPECT_ERR(2, want, "name = 'a'\n%s = 'x'\nkernel = '/k'\n", keys[i]);
	}
}

static void test_unknown_keys(void **state)
{
	(void)state;
	/* xl ignores keys it does not know; so do we, and the first is named. */
	EXPECT_OK(MIN_CFG "frobnicate = 1\n");
	assert_string_equal(cfg.warning, CFG_PATH ":3: unknown key 'frobnicate' ignored, as xl does");
	EXPECT_OK(MIN_CFG "Name = 'b'\n_x9 = 'a'\n");
	assert_non_null(strstr(cfg.warning, "'Name'"));
	assert_string_equal(cfg.name, "web"); /* keys are case-sensitive: Name is not name */
	/* Without one, no warning. */
	EXPECT_OK(MIN_CFG);
	assert_string_equal(cfg.warning, "");
	/* An absurdly long key is cut short in the warning. */
	EXPECT_OK(MIN_CFG "%.*s = 1\n", 60000, as);
	assert_true(strlen(cfg.warning) < sizeof(cfg.warning));
	/* Its value is still parsed: a malformed one is an error. */
	EXPECT_ERR(3, "", MIN_CFG "frobnicate = \"open\n");
	/* Keys that Xen knows and Bulkhead does not support are still refused. */
	EXPECT_ERR(3, "key 'uuid' is not supported", MIN_CFG "uuid = 'x'\n");
}

static void test_duplicates(void **state)
{
	(void)state;
	EXPECT_ERR(5, "key 'memory' set twice", MIN_CFG "memory = 64\n\nmemory = 64\n");
	EXPECT_ERR(3, "key 'name' set twice", MIN_CFG "name = 'b'\n");
	EXPECT_ERR(1, "key 'kernel' set twice", "name='a'; kernel='/k'; kernel='/k'\n");
}

static void test_missing_keys(void **state)
{
	(void)state;
	EXPECT_ERR(0, "missing required key 'kernel'", "name = 'a'\n");
	assert_string_equal(err, CFG_PATH ": missing required key 'kernel'");
	EXPECT_ERR(0, "missing required key 'name'", "kernel = '/k'\n");
	EXPECT_ERR(0, "missing required key", "%s", "");
	EXPECT_ERR(0, "missing required key", "# only a comment");
	EXPECT_ERR(0, "missing required key", "\n\n;;\n");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	EXPECT_ERR(3, "expected '=' after 'memory'", MIN_CFG "memory 64\n");
	EXPECT_ERR(3, "expected '=' after 'memory', found end of file", MIN_CFG "memory");
	EXPECT_ERR(3, "expected '=' after 'memory', found end of line", MIN_CFG "memory\n= 1\n");
	EXPECT_ERR(3, "expected a value", MIN_CFG "memory =\n");
	EXPECT_ERR(3, "expected a value", MIN_CFG "memory = ");
	EXPECT_ERR(3, "expected a value", MIN_CFG "memory = ;\n");
	EXPECT_ERR(1, "expected a value", "name = web\nkernel = '/k'\n");
	EXPECT_ERR(3, "unexpected ''' after the value of 'cmdline'",
		   MIN_CFG "cmdline = 'a' 'b'\n");
	EXPECT_ERR(3, "after the value of 'memory'", MIN_CFG "memory = 64 vcpus = 2\n");
	EXPECT_ERR(3, "expected a key, found '='", MIN_CFG "= 5\n");
	EXPECT_ERR(3, "expected a key, found '9'", MIN_CFG "9lives = 5\n");
	EXPECT_ERR(3, "expected a key, found byte 0xff", MIN_CFG "\xff = 5\n");
	EXPECT_ERR(3, "expected a key, found '''", MIN_CFG "'name' = 'a'\n");
	EXPECT_ERR(3, "expected '=' after 'na', found '-'", MIN_CFG "na-me = 'a'\n");

	EXPECT_ERR(3, "unterminated string", MIN_CFG "cmdline = 'abc\n");
	EXPECT_ERR(3, "unterminated string", MIN_CFG "cmdline = \"abc\ndef\"\n");
	EXPECT_ERR(3, "unterminated string", MIN_CFG "cmdline = \"abc");
	EXPECT_ERR(3, "unterminated string", MIN_CFG "cmdline = '");
	EXPECT_ERR(3, "unterminated string", MIN_CFG "cmdline = \"abc'\n");
	EXPECT_ERR(3, "backslash escapes are not supported",
		   MIN_CFG "cmdline = \"a\\\"b\"\n");
}

static void test_nul_bytes(void **state)
{
	static const char text[] = "name = 'a'\nkernel = '/k'\ncmdline = 'x\0y'\n";
	static const char lead[] = "\0name = 'a'\n";

	(void)state;
	check_err(__LINE__, parse_n(CFG_PATH, text, sizeof(text) - 1), 3, "NUL byte");
	check_err(__LINE__, parse_n(CFG_PATH, lead, sizeof(lead) - 1), 1, "NUL byte");
	/* A NUL in a comment, and a trailing NUL, are refused as well. */
	check_err(__LINE__, parse_n(CFG_PATH, MIN_CFG "#\0\n", sizeof(MIN_CFG) + 2),
		  3, "NUL byte");
	check_err(__LINE__, parse_n(CFG_PATH, MIN_CFG, sizeof(MIN_CFG)), 3, "NUL byte");
}

static void test_text_size(void **state)
{
	size_t len = XLCFG_TEXT_MAX;
	char *text = malloc(len + 1);

	(void)state;
	assert_non_null(text);
	/* Exactly at the limit: a valid config padded with a long comment. */
	memset(text, ' ', len + 1);
	memcpy(text, MIN_CFG "#", strlen(MIN_CFG) + 1);
	check_ok(__LINE__, parse_n(CFG_PATH, text, len));
	check_err(__LINE__, parse_n(CFG_PATH, text, len + 1), 0,
		  reason("limit is %d", XLCFG_TEXT_MAX));
	free(text);

	/* Absurd sizes are refused before text is touched at all. */
	assert_int_equal(xlcfg_parse(CFG_PATH, "", SIZE_MAX, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "limit"));
	assert_int_equal(xlcfg_parse(CFG_PATH, NULL, 0, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing required key"));
	assert_int_equal(xlcfg_parse(NULL, NULL, 0, &cfg, err, sizeof(err)), -1);
	assert_int_equal(xlcfg_parse(CFG_PATH, NULL, 5, &cfg, err, sizeof(err)), -1);
}

static uint64_t rng_state;

/* xorshift64*: deterministic everywhere, unlike rand(). */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void test_garbage(void **state)
{
	size_t len = 100 * 1024, i;
	char *text = malloc(len);

	(void)state;
	assert_non_null(text);
	rng_state = 42;
	for (i = 0; i < len; i++)
		text[i] = (char)rng();
	check_err(__LINE__, parse_n(CFG_PATH, text, len), 0, "limit");

	/* Random bytes, printable noise and long lines, all under the limit. */
	assert_int_equal(parse_n(CFG_PATH, text, XLCFG_TEXT_MAX), -1);
	for (i = 0; i < XLCFG_TEXT_MAX; i++)
		text[i] = (char)(0x20 + rng() % 95);
	assert_int_equal(parse_n(CFG_PATH, text, XLCFG_TEXT_MAX), -1);
	for (i = 0; i < XLCFG_TEXT_MAX; i++)
		text[i] = "ab =;#'\"[],\n-1"[rng() % 14];
	assert_int_equal(parse_n(CFG_PATH, text, XLCFG_TEXT_MAX), -1);
	memset(text, '[', XLCFG_TEXT_MAX);
	assert_int_equal(parse_n(CFG_PATH, text, XLCFG_TEXT_MAX), -1);
	memcpy(text, "vif = ", 6);
	assert_int_equal(parse_n(CFG_PATH, text, XLCFG_TEXT_MAX), -1);
	memset(text, '\n', XLCFG_TEXT_MAX);
	check_err(__LINE__, parse_n(CFG_PATH, text, XLCFG_TEXT_MAX), 0, "missing");
	free(text);

	EXPECT_ERR(3, reason("limit is %d", XLCFG_CMDLINE_MAX - 1), MIN_CFG "cmdline = '%.*s'\n",
		   XLCFG_TEXT_MAX - 64, as);
	EXPECT_ERR(3, "unterminated string", MIN_CFG "cmdline = '%.*s",
		   XLCFG_TEXT_MAX - 64, as);
}

/* Every prefix of a config: each ends mid-token somewhere. */
static void test_not_nul_terminated(void **state)
{
	static const char full[] =
		"name = 'web' ; kernel = \"/k\" # c\n"
		"memory = 128\nvcpus = 2\n"
		"on_crash = 'preserve'\nseclabel = 'x'";
	static const char list[] = "name='a'\nkernel='/k'\nvif = [ 'a', 1,\n -2, ]\n";
	/* The bytes after len must never be looked at. */
	static const char trailing[] = "name='a'\nkernel='/k'\nmemory=6" "4'\n";
	size_t len;
	int rc = 0;

	(void)state;
	for (len = 0; len <= sizeof(full) - 1; len++) {
		rc = parse_n(CFG_PATH, full, len);
		assert_true(rc == 0 || rc == -1);
		check_terminated(&cfg);
	}
	check_ok(__LINE__, rc);
	assert_int_equal(cfg.on_crash, XLCFG_ACTION_PRESERVE);
	for (len = 0; len <= sizeof(list) - 1; len++) {
		rc = parse_n(CFG_PATH, list, len);
		assert_true(rc == 0 || rc == -1);
		check_terminated(&cfg);
	}
	check_err(__LINE__, rc, 3, "key 'vif' is not supported");
	check_ok(__LINE__, parse_n(CFG_PATH, trailing, sizeof(trailing) - 4));
	assert_int_equal(cfg.memory_mib, 6);
	check_err(__LINE__, parse_n(CFG_PATH, full, 10), 1, "unterminated string");
}

static void test_tiny_errlen(void **state)
{
	static const char bad[] = "name = 'a'\nvif = 1\n";
	char full[512], small[600];
	size_t n;

	(void)state;
	assert_int_equal(xlcfg_parse(CFG_PATH, bad, sizeof(bad) - 1, &cfg, full,
				     sizeof(full)), -1);
	assert_string_equal(full, CFG_PATH ":2: key 'vif' is not supported by Bulkhead yet");
	/* NULL with 0 is allowed: the caller only wants the verdict. */
	assert_int_equal(xlcfg_parse(CFG_PATH, bad, sizeof(bad) - 1, &cfg, NULL, 0), -1);
	for (n = 1; n < 100; n++) {
		memset(small, '#', sizeof(small));
		assert_int_equal(xlcfg_parse(CFG_PATH, bad, sizeof(bad) - 1, &cfg,
					     small, n), -1);
		assert_int_equal(strlen(small), strlen(full) < n ? strlen(full) : n - 1);
		assert_memory_equal(small, full, strlen(small));
		assert_int_equal(small[n], '#');
	}
	/* Same for errors without a line, and from xlcfg_parse_file. */
	memset(small, '#', sizeof(small));
	assert_int_equal(xlcfg_parse(CFG_PATH, "", 0, &cfg, small, 1), -1);
	assert_int_equal(small[0], '\0');
	assert_int_equal(small[1], '#');
	assert_int_equal(xlcfg_parse_file("/nonexistent/x.cfg", &cfg, small, 4), -1);
	assert_string_equal(small, "/no");
	assert_int_equal(small[4], '#');
}

static void check_invariants(int rc, const char *e, size_t elen)
{
	assert_true(rc == 0 || rc == -1);
	check_terminated(&cfg);
	assert_true(strnlen(e, elen) < elen);
	if (rc == -1) {
		assert_true(elen <= sizeof(CFG_PATH) ||
			    strncmp(e, CFG_PATH ":", sizeof(CFG_PATH)) == 0);
		return;
	}
	assert_true(cfg.name[0] != '\0' && cfg.name[0] != '-');
	assert_int_equal(cfg.kernel[0], '/');
	assert_true(cfg.ramdisk[0] == '\0' || cfg.ramdisk[0] == '/');
	assert_true(cfg.memory_mib >= XLCFG_MEMORY_MIN_MIB &&
		    cfg.memory_mib <= XLCFG_MEMORY_MAX_MIB);
	assert_true(cfg.vcpus >= 1 && cfg.vcpus <= XLCFG_VCPUS_MAX);
	assert_true(cfg.on_poweroff <= XLCFG_ACTION_PRESERVE &&
		    cfg.on_reboot <= XLCFG_ACTION_PRESERVE &&
		    cfg.on_crash <= XLCFG_ACTION_PRESERVE &&
		    cfg.on_watchdog <= XLCFG_ACTION_PRESERVE);
}

/* One random edit: bytes that matter to the lexer are over-represented. */
static size_t mutate(char *buf, size_t len, size_t cap)
{
	static const char special[] = "\"'[],;#=\n\r\t -0123456789\\a_\0\xff";
	static const char *const snippets[] = {
		"vif = [", "memory = 18446744073709551616", "]", "name = 'b'",
		"extra = 'x'", "kernel = ''", "\n;", "-", "'", "\"", "#",
	};
	size_t pos = len ? rng() % (len + 1) : 0, n;
	const char *s;

	switch (rng() % 7) {
	case 0:	/* flip a bit */
		if (len)
			buf[rng() % len] ^= (char)(1u << (rng() % 8));
		return len;
	case 1:	/* overwrite with a special byte */
		if (len)
			buf[rng() % len] = special[rng() % (sizeof(special) - 1)];
		return len;
	case 2:	/* insert a special byte */
		if (len + 1 > cap)
			return len;
		memmove(buf + pos + 1, buf + pos, len - pos);
		buf[pos] = special[rng() % (sizeof(special) - 1)];
		return len + 1;
	case 3:	/* delete a run */
		n = len - pos ? rng() % (len - pos) % 16 : 0;
		memmove(buf + pos, buf + pos + n, len - pos - n);
		return len - n;
	case 4:	/* duplicate a run */
		n = len - pos ? rng() % (len - pos) % 32 : 0;
		if (len + n > cap)
			return len;
		memmove(buf + pos + n, buf + pos, len - pos);
		return len + n;
	case 5:	/* insert a snippet */
		s = snippets[rng() % (sizeof(snippets) / sizeof(snippets[0]))];
		n = strlen(s);
		if (len + n > cap)
			return len;
		memmove(buf + pos + n, buf + pos, len - pos);
		memcpy(buf + pos, s, n);
		return len + n;
	default: /* truncate */
		return pos;
	}
}

static void test_fuzz(void **state)
{
	static const char base[] =
		"# fuzz seed\nname = 'web'\ntype = \"pvh\"\nkernel = 'vmlinuz'\n"
		"ramdisk = \"/boot/initrd\"\ncmdline = 'console=hvc0'\n"
		"memory = 256; vcpus = 2\non_poweroff = 'destroy'\n"
		"on_reboot = 'restart'\non_crash = 'preserve'\n"
		"seclabel = 'l'\n";
	char buf[4096], e[128];
	unsigned int ok = 0, bad = 0, iter, m, edits;
	size_t len, elen;
	char *copy;
	int rc;

	(void)state;
	rng_state = 0x5eed;
	for (iter = 0; iter < 20000; iter++) {
		len = sizeof(base) - 1;
		memcpy(buf, base, len);
		edits = 1 + (unsigned int)(rng() % 6);
		for (m = 0; m < edits; m++)
			len = mutate(buf, len, sizeof(buf));
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, buf, len);
		elen = 1 + rng() % sizeof(e);
		memset(e, '#', sizeof(e));
		rc = xlcfg_parse(CFG_PATH, copy, len, &cfg, e, elen);
		free(copy);
		check_invariants(rc, e, elen);
		if (elen < sizeof(e))
			assert_int_equal(e[elen], '#');
		if (rc)
			bad++;
		else
			ok++;
	}
	/* The loop must have explored both sides of the verdict. */
	if (ok < 100 || bad < 100)
		fail_msg("fuzz verdicts too one-sided: %u ok, %u errors", ok, bad);
}

static char tmpdir[] = "/tmp/test_xlcfg.XXXXXX";

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_str(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

static void test_parse_file(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 64], e[PATH_MAX + 128];
	char *big = malloc(XLCFG_TEXT_MAX + 1);

	(void)state;
	assert_non_null(big);
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/dom.cfg", tmpdir);

	write_str(path, MIN_CFG "ramdisk = '/abs/initrd'\n");
	assert_int_equal(xlcfg_parse_file(path, &cfg, e, sizeof(e)), 0);
	snprintf(want, sizeof(want), "%s/vmlinuz", tmpdir);
	assert_string_equal(cfg.kernel, want);
	assert_string_equal(cfg.ramdisk, "/abs/initrd");

	/* Errors from the parser carry the file's own path. */
	write_str(path, "name = 'a'\nvif = []\n");
	assert_int_equal(xlcfg_parse_file(path, &cfg, e, sizeof(e)), -1);
	snprintf(want, sizeof(want), "%s:2: key 'vif' is not supported", path);
	assert_non_null(strstr(e, want));

	/* At the size limit, and one byte over. */
	memset(big, '\n', XLCFG_TEXT_MAX + 1);
	memcpy(big, MIN_CFG, strlen(MIN_CFG));
	write_file(path, big, XLCFG_TEXT_MAX);
	assert_int_equal(xlcfg_parse_file(path, &cfg, e, sizeof(e)), 0);
	write_file(path, big, XLCFG_TEXT_MAX + 1);
	assert_int_equal(xlcfg_parse_file(path, &cfg, e, sizeof(e)), -1);
	assert_non_null(strstr(e, reason("larger than the %d-byte limit", XLCFG_TEXT_MAX)));
	assert_true(strncmp(e, path, strlen(path)) == 0);
	check_terminated(&cfg);
	free(big);

	assert_int_equal(xlcfg_parse_file("/nonexistent/dom.cfg", &cfg, e, sizeof(e)), -1);
	assert_string_equal(e, "/nonexistent/dom.cfg: cannot open: No such file or directory");
	/* Reading a directory fails at read time, not open time, on Linux. */
	assert_int_equal(xlcfg_parse_file(tmpdir, &cfg, e, sizeof(e)), -1);
	assert_non_null(strstr(e, strerror(EISDIR)));

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmpdir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax_variants),
		cmocka_unit_test(test_lists_are_parsed),
		cmocka_unit_test(test_extra_alias),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_action_name),
		cmocka_unit_test(test_seclabel),
		cmocka_unit_test(test_cmdline_limit),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_unsupported_keys),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_text_size),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_tiny_errlen),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_parse_file),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
