/*
 * libFuzzer target: the xl.cfg parser (lib/xlcfg.h).
 *
 * The input is the config text, exactly as xlcfg_parse_file would pass it
 * (not NUL-terminated), read as if from FUZZ_PATH. Beyond "no crash, no
 * leak, no undefined behaviour", each input checks what the header
 * promises:
 *   - a failure returns -1 with "FUZZ_PATH...: reason" in err, and a small
 *     err buffer is filled without overflowing;
 *   - a success leaves every string field NUL-terminated within its array,
 *     every number within its documented limits, paths absolute;
 *   - the canonical text (what measured boot hashes) is one line per key,
 *     so no value can forge another key's line, and fits in
 *     XLCFG_CANONICAL_MAX;
 *   - the parsed config written back as xl.cfg text parses to the same
 *     canonical text.
 */
#define FUZZ_NAME "fuzz_xlcfg"
#include "fuzz_check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlcfg.h"

#define FUZZ_PATH "/fuzz/x.cfg"
#define CANONICAL_LINES 13 /* keys in xlcfg_canonical's output */


static int terminated(const char *field, size_t size)
{
	return memchr(field, 0, size) != NULL;
}

static void check_error(const char *err, size_t errlen)
{
	size_t shown = errlen - 1 < strlen(FUZZ_PATH) ? errlen - 1 : strlen(FUZZ_PATH);

	/* Whatever fits of "FUZZ_PATH:LINE: reason", and always a NUL. */
	CHECK(terminated(err, errlen));
	CHECK(errlen < 2 || err[0] != 0);
	CHECK(strncmp(err, FUZZ_PATH, shown) == 0);
}

static void check_fields(const struct xlcfg *c)
{
	CHECK(terminated(c->name, sizeof(c->name)));
	CHECK(terminated(c->kernel, sizeof(c->kernel)));
	CHECK(terminated(c->ramdisk, sizeof(c->ramdisk)));
	CHECK(terminated(c->cmdline, sizeof(c->cmdline)));
	CHECK(terminated(c->seclabel, sizeof(c->seclabel)));

	CHECK(c->name[0] != 0 && c->name[0] != '-');
	for (const char *p = c->name; *p; p++)
		CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-');
	CHECK(c->kernel[0] == '/');
	CHECK(c->ramdisk[0] == 0 || c->ramdisk[0] == '/');
	for (const char *p = c->seclabel; *p; p++)
		CHECK(*p >= 0x20 && *p < 0x7f);
	/* Strings end on the line they start: no field can hold a newline. */
	CHECK(!strchr(c->kernel, '\n') && !strchr(c->ramdisk, '\n') &&
	      !strchr(c->cmdline, '\n'));

	CHECK(c->memory_mib >= XLCFG_MEMORY_MIN_MIB && c->memory_mib <= XLCFG_MEMORY_MAX_MIB);
	CHECK(c->vcpus >= 1 && c->vcpus <= XLCFG_VCPUS_MAX);
	CHECK(c->max_event_channels >= 1 && c->max_event_channels <= XLCFG_EVTCHNS_MAX);
	CHECK(c->on_poweroff <= XLCFG_ACTION_PRESERVE && c->on_reboot <= XLCFG_ACTION_PRESERVE &&
	      c->on_crash <= XLCFG_ACTION_PRESERVE && c->on_watchdog <= XLCFG_ACTION_PRESERVE);
}

/*
 * A value as an xl.cfg string. '...' holds anything but a quote; a value
 * with a quote in it can only have come from "...", which holds neither a
 * double quote nor a backslash, so one of the two always fits.
 */
static size_t put_string(char *buf, size_t cap, size_t n, const char *key, const char *val)
{
	char q = strchr(val, '\'') ? '"' : '\'';
	int k;

	if (q == '"')
		CHECK(!strchr(val, '"') && !strchr(val, '\\'));
	k = snprintf(buf + n, cap - n, "%s = %c%s%c\n", key, q, val, q);
	CHECK(k > 0 && (size_t)k < cap - n);
	return n + (size_t)k;
}

static size_t put_number(char *buf, size_t cap, size_t n, const char *key,
			 unsigned long long val)
{
	int k = snprintf(buf + n, cap - n, "%s = %llu\n", key, val);

	CHECK(k > 0 && (size_t)k < cap - n);
	return n + (size_t)k;
}

/* The config as xl.cfg text, every key written out. Its length. */
static size_t write_config(const struct xlcfg *c, char *buf, size_t cap)
{
	size_t n = 0;

	n = put_string(buf, cap, n, "name", c->name);
	n = put_string(buf, cap, n, "kernel", c->kernel);
	if (c->ramdisk[0])
		n = put_string(buf, cap, n, "ramdisk", c->ramdisk);
	n = put_string(buf, cap, n, "cmdline", c->cmdline);
	if (c->seclabel[0])
		n = put_string(buf, cap, n, "seclabel", c->seclabel);
	n = put_number(buf, cap, n, "memory", c->memory_mib);
	n = put_number(buf, cap, n, "vcpus", c->vcpus);
	n = put_number(buf, cap, n, "max_event_channels", c->max_event_channels);
	n = put_string(buf, cap, n, "on_poweroff", xlcfg_action_name(c->on_poweroff));
	n = put_string(buf, cap, n, "on_reboot", xlcfg_action_name(c->on_reboot));
	n = put_string(buf, cap, n, "on_crash", xlcfg_action_name(c->on_crash));
	n = put_string(buf, cap, n, "on_watchdog", xlcfg_action_name(c->on_watchdog));
	return put_string(buf, cap, n, "type", "pvh");
}

static int canonical(const struct xlcfg *c, char *buf)
{
	int n = xlcfg_canonical(c, buf, XLCFG_CANONICAL_MAX);
	int lines = 0;

	CHECK(n > 0 && (size_t)n == strlen(buf) && buf[n - 1] == '\n');
	for (int i = 0; i < n; i++)
		lines += buf[i] == '\n';
	CHECK(lines == CANONICAL_LINES);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xlcfg cfg, again;
	static char canon[XLCFG_CANONICAL_MAX], canon2[XLCFG_CANONICAL_MAX];
	static char text[XLCFG_CANONICAL_MAX + 1024];
	char err[512], *small;
	size_t small_len, tlen;
	int rc, rc2, n;

	rc = xlcfg_parse(FUZZ_PATH, (const char *)data, size, &cfg, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);

	/* The same input into an error buffer just big enough to be cut short. */
	small_len = 1 + size % 24;
	small = malloc(small_len);
	CHECK(small);
	rc2 = xlcfg_parse(FUZZ_PATH, (const char *)data, size, &again, small, small_len);
	CHECK(rc2 == rc);
	if (rc) {
		check_error(err, sizeof(err));
		check_error(small, small_len);
		free(small);
		return 0;
	}
	free(small);

	check_fields(&cfg);
	n = canonical(&cfg, canon);
	/* Exactly as long as the text and its NUL, and no shorter. */
	CHECK(xlcfg_canonical(&cfg, canon2, (size_t)n + 1) == n);
	CHECK(xlcfg_canonical(&cfg, canon2, (size_t)n) == -1);

	tlen = write_config(&cfg, text, sizeof(text));
	rc = xlcfg_parse(FUZZ_PATH, text, tlen, &again, err, sizeof(err));
	if (rc)
		fprintf(stderr, "fuzz_xlcfg: the config written back does not parse: %s\n%s", err,
			text);
	CHECK(rc == 0);
	canonical(&again, canon2);
	if (strcmp(canon, canon2))
		fprintf(stderr, "fuzz_xlcfg: canonical text changed on re-parse:\n%s---\n%s", canon,
			canon2);
	CHECK(strcmp(canon, canon2) == 0);
	return 0;
}
