/*
 * xl.cfg parser: the domain config format that Xen's xl reads.
 *
 * Shared by bulkhead's boot path (--domain FILE) and, later, the bh toolstack.
 * The input is untrusted text. The parser never reads past len, never
 * allocates without a bound, and reports the first error as
 * "FILE:LINE: reason" in err.
 *
 * Syntax (the subset of xl.cfg(5) that Bulkhead accepts):
 *   key = value            one setting per line, or several separated by ';'
 *   # comment              to the end of the line
 *   value: "string" | 'string' | integer | [ value, value, ... ]
 * Keys that Xen knows but Bulkhead does not support are refused, so that a
 * config never silently means less than it says. Keys that nobody knows are
 * ignored, as xl ignores them, and the first is named in cfg->warning.
 *
 * Thread-safety: pure functions, no global state.
 */
#ifndef BH_XLCFG_H
#define BH_XLCFG_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#define XLCFG_NAME_MAX 64        /* domain name, including the NUL */
#define XLCFG_CMDLINE_MAX 1024   /* guest command line, including the NUL */
#define XLCFG_LABEL_MAX 256      /* seclabel, including the NUL */
#define XLCFG_TEXT_MAX (64 * 1024)
#define XLCFG_MEMORY_MIN_MIB 2
#define XLCFG_MEMORY_MAX_MIB 3072 /* RAM sits below the 4 GiB MMIO hole */
#define XLCFG_VCPUS_MAX 8
/* Ports a domain may use (xl's max_event_channels); the ceiling is the 2-level ABI's. */
#define XLCFG_EVTCHNS_DEFAULT 1023
#define XLCFG_EVTCHNS_MAX 4095

enum xlcfg_action {
	XLCFG_ACTION_DESTROY = 0,
	XLCFG_ACTION_RESTART,
	XLCFG_ACTION_PRESERVE,
};

struct xlcfg {
	char name[XLCFG_NAME_MAX];
	char kernel[PATH_MAX];   /* absolute after parsing */
	char ramdisk[PATH_MAX];  /* "" when absent; absolute after parsing */
	char cmdline[XLCFG_CMDLINE_MAX];
	char seclabel[XLCFG_LABEL_MAX]; /* "" when absent */
	uint64_t memory_mib;     /* default 32 */
	unsigned int vcpus;      /* default 1 */
	unsigned int max_event_channels; /* default 1023, at most 4095 */
	enum xlcfg_action on_poweroff; /* default destroy */
	enum xlcfg_action on_reboot;   /* default restart */
	enum xlcfg_action on_crash;    /* default destroy */
	enum xlcfg_action on_watchdog; /* default destroy */
	char warning[160];       /* "" or the first unknown key, ignored as xl does */
};

/*
 * Parse text[0..len) as read from `path`. Relative kernel and ramdisk paths
 * are resolved against the directory of `path`. Returns 0 on success; on
 * failure returns -1 and writes "path:line: reason" into err.
 */
int xlcfg_parse(const char *path, const char *text, size_t len,
		struct xlcfg *cfg, char *err, size_t errlen);

/*
 * The same, then extra[0..elen): xl's "KEY=VALUE" arguments to create, one
 * per line, applied after the file; each may replace a value the file set
 * (within extra, a key may still be set only once). Errors in extra name
 * "<key=value>" as their file.
 */
int xlcfg_parse_extra(const char *path, const char *text, size_t len, const char *extra,
		      size_t elen, struct xlcfg *cfg, char *err, size_t errlen);

/* Read the file (at most XLCFG_TEXT_MAX bytes) and parse it. */
int xlcfg_parse_file(const char *path, struct xlcfg *cfg, char *err,
		     size_t errlen);

const char *xlcfg_action_name(enum xlcfg_action a);

/*
 * The parsed config as text, one "key=value" line per key in alphabetical
 * order, with every default filled in and paths absolute: what measured
 * boot hashes. Its length, or -1 if it does not fit in len.
 */
#define XLCFG_CANONICAL_MAX (3 * PATH_MAX + 2048)
int xlcfg_canonical(const struct xlcfg *c, char *buf, size_t len);

#endif
