/*
 * xl.cfg parser. See xlcfg.h for the accepted syntax and the contract.
 *
 * The text is untrusted and not NUL-terminated, so the scanner only ever
 * compares a cursor against `end`, and values stay slices of the input until
 * their length has been checked against the fixed-size field they go into.
 * Nothing is allocated while parsing.
 */
#include "xlcfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Keys are echoed in errors; cap them so that one long key cannot fill err. */
#define KEY_SHOWN(len) ((int)((len) > 64 ? 64 : (len)))

enum val_kind { VAL_STRING, VAL_NUMBER, VAL_LIST };

/* One parsed value. Lists are checked for syntax and then dropped. */
struct value {
	enum val_kind kind;
	const char *str;	/* VAL_STRING: slice of the input, no NUL */
	size_t len;
	uint64_t num;		/* VAL_NUMBER: magnitude */
	bool neg;
};

enum key_id {
	K_NAME, K_KERNEL, K_RAMDISK, K_CMDLINE, K_EXTRA, K_MEMORY, K_VCPUS,
	K_ON_POWEROFF, K_ON_REBOOT, K_ON_CRASH, K_ON_WATCHDOG, K_SECLABEL,
	K_TYPE, K_MAX_EVTCHNS, K_COUNT
};

static const char *const key_names[K_COUNT] = {
	[K_NAME] = "name", [K_KERNEL] = "kernel", [K_RAMDISK] = "ramdisk",
	[K_CMDLINE] = "cmdline", [K_EXTRA] = "extra", [K_MEMORY] = "memory",
	[K_VCPUS] = "vcpus", [K_ON_POWEROFF] = "on_poweroff",
	[K_ON_REBOOT] = "on_reboot", [K_ON_CRASH] = "on_crash",
	[K_ON_WATCHDOG] = "on_watchdog", [K_SECLABEL] = "seclabel",
	[K_TYPE] = "type", [K_MAX_EVTCHNS] = "max_event_channels",
};

struct parser {
	const char *path;
	const char *p;
	const char *end;
	unsigned int line;	/* of *p */
	unsigned int kline;	/* of the key being applied */
	enum key_id key;	/* the key being applied */
	uint32_t seen;		/* one bit per key_id, to catch duplicates */
	char *err;
	size_t errlen;
};

/*
 * Keys that xl.cfg(5) defines but Bulkhead does not implement. They get their
 * own message so that a config written for Xen fails with a clear reason
 * rather than looking like a typo.
 */
static const char *const unsupported_keys[] = {
	"builder", "pool", "uuid", "maxvcpus", "cpus", "cpus_soft",
	"cpu_weight", "cap", "maxmem", "vnuma", "on_soft_reset", "bootloader",
	"bootloader_args", "root", "device_tree", "init_seclabel",
	"max_grant_frames", "max_maptrack_frames", "max_grant_version",
	"nomigrate", "driver_domain", "e820_host",
	"claim_mode", "disk", "vif", "vtpm", "vfb", "vkb", "vdispl", "vsnd",
	"channel", "p9", "pvcalls", "virtio", "usbctrl", "usbdev", "pci",
	"pci_permissive", "pci_msitranslate", "pci_seize", "pci_power_mgmt",
	"rdm", "rdm_mem_boundary", "gfx_passthru", "ioports", "iomem", "irqs",
	"dtdev", "passthrough", "tee", "shadow_memory", "hap", "oos",
	"nestedhvm", "altp2m", "altp2mhvm", "vpmu", "vmtrace_buf_kb", "acpi",
	"acpi_s3", "acpi_s4", "acpi_laptop_slate", "acpi_firmware",
	"smbios_firmware", "apic", "pae", "hpet", "viridian", "timer_mode",
	"tsc_mode", "localtime", "rtc_timeoffset", "vpt_align", "mmio_hole",
	"mca_caps", "cpuid", "msr_relaxed", "firmware", "bios",
	"bios_path_override", "boot", "vga", "videoram", "stdvga", "vnc",
	"vnclisten", "vncdisplay", "vncunused", "vncpasswd", "keymap", "sdl",
	"opengl", "nographic", "spice", "spicehost", "spiceport",
	"spicetls_port", "spicedisable_ticketing", "spicepasswd",
	"spiceagent_mouse", "spicevdagent", "spice_clipboard_sharing",
	"spiceusbredirection", "spice_image_compression",
	"spice_streaming_video", "serial", "soundhw", "usb", "usbdevice",
	"usbversion", "vkb_device", "xen_platform_pci", "vendor_device",
	"device_model_version", "device_model_override",
	"device_model_stubdomain_override", "device_model_stubdomain_seclabel",
	"device_model_args", "device_model_args_pv", "device_model_args_hvm",
	"device_model_user", "dm_restrict", "stubdomain_kernel",
	"stubdomain_ramdisk", "stubdomain_memory", "pvshim", "pvshim_path",
	"pvshim_cmdline", "pvshim_extra", "gic_version", "vuart", "nr_spis",
	"sve", "llc_colors",
};

static int __attribute__((format(printf, 3, 4)))
fail(const struct parser *ps, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err || ps->errlen == 0)
		return -1;
	if (line)
		n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->path, line);
	else
		n = snprintf(ps->err, ps->errlen, "%s: ", ps->path);
	/* A prefix that filled err has already been terminated by snprintf. */
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define KEY(ps) key_names[(ps)->key]

/*
 * Quote untrusted bytes in an error: at most 32 of them, anything that is not
 * printable ASCII as '?', so that an error cannot carry terminal escapes.
 */
static const char *excerpt(const char *s, size_t len, char buf[40])
{
	size_t i, n = len > 32 ? 32 : len;

	for (i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	strcpy(buf + n, len > n ? "..." : "");
	return buf;
}

/* What the cursor is looking at, for "expected X, found Y". */
static const char *describe(const struct parser *ps, char buf[40])
{
	if (ps->p == ps->end)
		return "end of file";
	if (*ps->p == '\n')
		return "end of line";
	if (*ps->p >= 0x20 && *ps->p < 0x7f)
		snprintf(buf, 40, "'%c'", *ps->p);
	else
		snprintf(buf, 40, "byte 0x%02x", (unsigned char)*ps->p);
	return buf;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_key_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_key_char(char c)
{
	return is_key_start(c) || is_digit(c);
}

/*
 * Skip blanks and a comment; with `newlines`, as inside a list, newlines too.
 * '\r' counts as a blank so that configs saved with CRLF still parse.
 */
static void skip_space(struct parser *ps, bool newlines)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == '\n' && newlines) {
			ps->line++;
			ps->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else {
			return;
		}
	}
}

static int parse_string(struct parser *ps, struct value *v)
{
	char quote = *ps->p++;
	const char *start = ps->p;

	for (; ps->p < ps->end && *ps->p != quote && *ps->p != '\n'; ps->p++) {
		/*
		 * xl decodes escapes in "..." strings and Bulkhead does not, so
		 * a backslash is refused rather than silently meaning less.
		 */
		if (quote == '"' && *ps->p == '\\')
			return fail(ps, ps->line, "backslash escapes are not supported in \"...\" strings; use '...' for a literal backslash");
	}
	if (ps->p == ps->end || *ps->p == '\n')
		return fail(ps, ps->line, "unterminated string (a string must end on the line it starts)");
	v->kind = VAL_STRING;
	v->str = start;
	v->len = (size_t)(ps->p++ - start);
	return 0;
}

static int parse_number(struct parser *ps, struct value *v)
{
	uint64_t n = 0;

	v->neg = *ps->p == '-';
	if (v->neg)
		ps->p++;
	if (ps->p == ps->end || !is_digit(*ps->p))
		return fail(ps, ps->line, "expected digits after '-'");
	/* xl reads "010" as octal; refuse it rather than disagree with xl. */
	if (*ps->p == '0' && ps->p + 1 < ps->end && is_digit(ps->p[1]))
		return fail(ps, ps->line, "numbers must not have leading zeros");
	for (; ps->p < ps->end && is_digit(*ps->p); ps->p++) {
		unsigned int d = (unsigned int)(*ps->p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return fail(ps, ps->line, "number is too large");
		n = n * 10 + d;
	}
	if (ps->p < ps->end && (is_key_char(*ps->p) || *ps->p == '.'))
		return fail(ps, ps->line, "malformed number (only decimal integers are accepted)");
	v->kind = VAL_NUMBER;
	v->num = n;
	return 0;
}

static int parse_list(struct parser *ps, struct value *v);

static int parse_value(struct parser *ps, struct value *v, bool in_list)
{
	char buf[40];
	char c = ps->p < ps->end ? *ps->p : '\0';

	if (c == '"' || c == '\'')
		return parse_string(ps, v);
	if (c == '-' || is_digit(c))
		return parse_number(ps, v);
	if (c == '[' && in_list)
		return fail(ps, ps->line, "lists cannot be nested");
	if (c == '[')
		return parse_list(ps, v);
	return fail(ps, ps->line, "expected a value (string, number or list), found %s",
		    describe(ps, buf));
}

/* Lists may span lines and end with a trailing comma, as in xl. */
static int parse_list(struct parser *ps, struct value *v)
{
	unsigned int first = ps->line;
	struct value elem;
	char buf[40];

	ps->p++;
	for (;;) {
		skip_space(ps, true);
		if (ps->p == ps->end)
			return fail(ps, first, "unterminated list");
		if (*ps->p != ']') {
			if (parse_value(ps, &elem, true))
				return -1;
			skip_space(ps, true);
			if (ps->p == ps->end)
				return fail(ps, first, "unterminated list");
			if (*ps->p == ',') {
				ps->p++;
				continue;
			}
			if (*ps->p != ']')
				return fail(ps, ps->line, "expected ',' or ']' in list, found %s",
					    describe(ps, buf));
		}
		ps->p++;
		v->kind = VAL_LIST;
		return 0;
	}
}

static bool slice_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Checks a string against a field of `size` bytes and copies it there. */
static int copy_string(const struct parser *ps, const struct value *v,
		       char *dst, size_t size, bool may_be_empty)
{
	if (!may_be_empty && v->len == 0)
		return fail(ps, ps->kline, "'%s' must not be empty", KEY(ps));
	if (v->len >= size)
		return fail(ps, ps->kline, "'%s' is %zu characters long; the limit is %zu",
			    KEY(ps), v->len, size - 1);
	memcpy(dst, v->str, v->len);
	dst[v->len] = '\0';
	return 0;
}

static int set_name(const struct parser *ps, const struct value *v,
		    struct xlcfg *cfg)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		if (!is_key_char(v->str[i]) && v->str[i] != '.' && v->str[i] != '-')
			return fail(ps, ps->kline, "'name' may only contain letters, digits, '_', '.' and '-'");
	if (v->len && v->str[0] == '-')
		return fail(ps, ps->kline, "'name' must not start with '-'");
	return copy_string(ps, v, cfg->name, sizeof(cfg->name), false);
}

static int set_seclabel(const struct parser *ps, const struct value *v,
			struct xlcfg *cfg)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		if (v->str[i] < 0x20 || v->str[i] >= 0x7f)
			return fail(ps, ps->kline, "'seclabel' may only contain printable ASCII characters");
	return copy_string(ps, v, cfg->seclabel, sizeof(cfg->seclabel), false);
}

/*
 * Relative paths name files next to the config, as with xl. The header
 * promises an absolute path, so a relative config path is anchored at the
 * current directory; the file system itself is not consulted.
 */
static int set_path(const struct parser *ps, const struct value *v,
		    char dst[PATH_MAX])
{
	const char *cwd = "", *sep = "", *slash;
	char cwdbuf[PATH_MAX];
	int dirlen = 0, n;

	if (v->len == 0)
		return fail(ps, ps->kline, "'%s' must not be empty", KEY(ps));
	if (v->len >= PATH_MAX)
		return fail(ps, ps->kline, "'%s' path is too long (limit %d bytes)",
			    KEY(ps), PATH_MAX - 1);
	if (v->str[0] != '/') {
		if (ps->path[0] != '/') {
			if (!getcwd(cwdbuf, sizeof(cwdbuf)))
				return fail(ps, ps->kline, "cannot resolve relative '%s' path: getcwd: %s",
					    KEY(ps), strerror(errno));
			cwd = cwdbuf;
			sep = cwd[strlen(cwd) - 1] == '/' ? "" : "/";
		}
		slash = strrchr(ps->path, '/');
		dirlen = slash ? (int)(slash - ps->path) + 1 : 0;
	}
	n = snprintf(dst, PATH_MAX, "%s%s%.*s%.*s", cwd, sep, dirlen, ps->path,
		     (int)v->len, v->str);
	if (n < 0 || n >= PATH_MAX)
		return fail(ps, ps->kline, "'%s' path is too long once resolved against the config's directory (limit %d bytes)",
			    KEY(ps), PATH_MAX - 1);
	return 0;
}

static int set_range(const struct parser *ps, const struct value *v,
		     uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (v->neg || v->num < lo || v->num > hi)
		return fail(ps, ps->kline, "'%s' must be between %llu and %llu, not %s%llu",
			    KEY(ps), (unsigned long long)lo, (unsigned long long)hi,
			    v->neg ? "-" : "", (unsigned long long)v->num);
	*out = v->num;
	return 0;
}

static int set_action(const struct parser *ps, const struct value *v,
		      enum xlcfg_action *out)
{
	static const char *const later[] = {
		"rename-restart", "coredump-destroy", "coredump-restart",
		"soft-reset",
	};
	enum xlcfg_action a;
	char buf[40];
	size_t i;

	for (a = XLCFG_ACTION_DESTROY; a <= XLCFG_ACTION_PRESERVE; a++) {
		if (slice_is(v->str, v->len, xlcfg_action_name(a))) {
			*out = a;
			return 0;
		}
	}
	for (i = 0; i < ARRAY_SIZE(later); i++)
		if (slice_is(v->str, v->len, later[i]))
			return fail(ps, ps->kline, "'%s' action '%s' is not supported by Bulkhead yet (use destroy, restart or preserve)",
				    KEY(ps), later[i]);
	return fail(ps, ps->kline, "'%s' has unknown action '%s' (expected destroy, restart or preserve)",
		    KEY(ps), excerpt(v->str, v->len, buf));
}

static int set_type(const struct parser *ps, const struct value *v)
{
	char buf[40];

	if (slice_is(v->str, v->len, "pvh"))
		return 0;
	if (slice_is(v->str, v->len, "pv") || slice_is(v->str, v->len, "hvm"))
		return fail(ps, ps->kline, "type '%.*s' is not supported: Bulkhead boots PVH guests only (type = \"pvh\")",
			    (int)v->len, v->str);
	return fail(ps, ps->kline, "unknown type '%s' (Bulkhead boots PVH guests only: type = \"pvh\")",
		    excerpt(v->str, v->len, buf));
}

static const char *kind_name(enum val_kind k)
{
	return k == VAL_STRING ? "a string" : k == VAL_NUMBER ? "a number" : "a list";
}

static int apply(const struct parser *ps, const struct value *v,
		 struct xlcfg *cfg)
{
	enum val_kind kind = ps->key == K_MEMORY || ps->key == K_VCPUS ||
			     ps->key == K_MAX_EVTCHNS ?
			     VAL_NUMBER : VAL_STRING;
	enum xlcfg_action *actions[] = {
		&cfg->on_poweroff, &cfg->on_reboot, &cfg->on_crash,
		&cfg->on_watchdog,
	};
	uint64_t n = 0;

	if (v->kind != kind)
		return fail(ps, ps->kline, "'%s' takes %s, not %s", KEY(ps),
			    kind_name(kind), kind_name(v->kind));
	switch (ps->key) {
	case K_NAME:
		return set_name(ps, v, cfg);
	case K_KERNEL:
		return set_path(ps, v, cfg->kernel);
	case K_RAMDISK:
		return set_path(ps, v, cfg->ramdisk);
	case K_CMDLINE:
	case K_EXTRA:
		return copy_string(ps, v, cfg->cmdline, sizeof(cfg->cmdline), true);
	case K_MEMORY:
		return set_range(ps, v, XLCFG_MEMORY_MIN_MIB, XLCFG_MEMORY_MAX_MIB,
				 &cfg->memory_mib);
	case K_VCPUS:
		if (set_range(ps, v, 1, XLCFG_VCPUS_MAX, &n))
			return -1;
		cfg->vcpus = (unsigned int)n;
		return 0;
	case K_ON_POWEROFF:
	case K_ON_REBOOT:
	case K_ON_CRASH:
	case K_ON_WATCHDOG:
		return set_action(ps, v, actions[ps->key - K_ON_POWEROFF]);
	case K_SECLABEL:
		return set_seclabel(ps, v, cfg);
	case K_TYPE:
		return set_type(ps, v);
	case K_MAX_EVTCHNS:
		if (set_range(ps, v, 1, XLCFG_EVTCHNS_MAX, &n))
			return -1;
		cfg->max_event_channels = (unsigned int)n;
		return 0;
	case K_COUNT:
		break;
	}
	return fail(ps, ps->kline, "internal error: key %d has no handler",
		    (int)ps->key);
}

static int lookup_key(struct parser *ps, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < K_COUNT; i++) {
		if (slice_is(key, klen, key_names[i])) {
			ps->key = (enum key_id)i;
			return 0;
		}
	}
	for (i = 0; i < ARRAY_SIZE(unsupported_keys); i++)
		if (slice_is(key, klen, unsupported_keys[i]))
			return fail(ps, ps->kline, "key '%s' is not supported by Bulkhead yet",
				    unsupported_keys[i]);
	/*
	 * A key nobody knows: xl ignores it, and so do we, but we say so
	 * (cfg->warning) rather than silently.
	 */
	return 1;
}

/*
 * key = value, then the end of the statement. The whole value is parsed
 * before the key is judged, so "vif = [ ... ]" is refused for being
 * unsupported rather than for its syntax.
 */
static int parse_statement(struct parser *ps, struct xlcfg *cfg)
{
	const char *key = ps->p;
	struct value v = { 0 };
	size_t klen;
	char buf[40];
	int rc;

	ps->kline = ps->line;
	while (ps->p < ps->end && is_key_char(*ps->p))
		ps->p++;
	klen = (size_t)(ps->p - key);
	skip_space(ps, false);
	if (ps->p == ps->end || *ps->p != '=')
		return fail(ps, ps->line, "expected '=' after '%.*s', found %s",
			    KEY_SHOWN(klen), key, describe(ps, buf));
	ps->p++;
	skip_space(ps, false);
	if (parse_value(ps, &v, false))
		return -1;
	skip_space(ps, false);
	if (ps->p < ps->end && *ps->p != '\n' && *ps->p != ';')
		return fail(ps, ps->line, "unexpected %s after the value of '%.*s' (put one setting per line or separate them with ';')",
			    describe(ps, buf), KEY_SHOWN(klen), key);

	rc = lookup_key(ps, key, klen);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		if (!cfg->warning[0])
			snprintf(cfg->warning, sizeof(cfg->warning),
				 "%s:%u: unknown key '%.*s' ignored, as xl does", ps->path,
				 ps->kline, KEY_SHOWN(klen), key);
		return 0;
	}
	if (ps->seen & (1u << ps->key))
		return fail(ps, ps->kline, "key '%s' set twice", KEY(ps));
	if ((ps->key == K_CMDLINE && (ps->seen & (1u << K_EXTRA))) ||
	    (ps->key == K_EXTRA && (ps->seen & (1u << K_CMDLINE))))
		return fail(ps, ps->kline, "both 'cmdline' and 'extra' are set; 'extra' is the old name of 'cmdline', use only one");
	if (apply(ps, &v, cfg))
		return -1;
	ps->seen |= 1u << ps->key;
	return 0;
}

static void set_defaults(struct xlcfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_mib = 32;
	cfg->vcpus = 1;
	cfg->max_event_channels = XLCFG_EVTCHNS_DEFAULT;
	cfg->on_poweroff = XLCFG_ACTION_DESTROY;
	cfg->on_reboot = XLCFG_ACTION_RESTART;
	cfg->on_crash = XLCFG_ACTION_DESTROY;
	cfg->on_watchdog = XLCFG_ACTION_DESTROY;
}

/* NULs are refused up front so that no later step has to think about them. */
static int check_nul(const struct parser *ps)
{
	const char *nul, *q;
	unsigned int line = 1;

	if (ps->p == ps->end)
		return 0;
	nul = memchr(ps->p, '\0', (size_t)(ps->end - ps->p));
	if (!nul)
		return 0;
	for (q = ps->p; q < nul; q++)
		line += *q == '\n';
	return fail(ps, line, "NUL byte in config");
}

/* Every statement of ps's text into cfg. */
static int parse_text(struct parser *ps, struct xlcfg *cfg)
{
	char buf[40];

	if (ps->p && check_nul(ps))
		return -1;
	while (ps->p < ps->end) {
		skip_space(ps, false);
		if (ps->p == ps->end)
			break;
		if (*ps->p == '\n' || *ps->p == ';') {
			ps->line += *ps->p++ == '\n';
		} else if (!is_key_start(*ps->p)) {
			return fail(ps, ps->line, "expected a key, found %s", describe(ps, buf));
		} else if (parse_statement(ps, cfg)) {
			return -1;
		}
	}
	return 0;
}

int xlcfg_parse_extra(const char *path, const char *text, size_t len, const char *extra,
		      size_t elen, struct xlcfg *cfg, char *err, size_t errlen)
{
	struct parser ps = {
		.path = path ? path : "<config>", .line = 1, .err = err,
		.errlen = errlen,
	};
	struct parser px = { .path = "<key=value>", .line = 1, .err = err, .errlen = errlen };

	if (err && errlen)
		err[0] = '\0';
	set_defaults(cfg);
	if (len > XLCFG_TEXT_MAX || elen > XLCFG_TEXT_MAX)
		return fail(&ps, 0, "config is %zu bytes; the limit is %d",
			    len > elen ? len : elen, XLCFG_TEXT_MAX);
	if ((!text && len) || (!extra && elen))
		return fail(&ps, 0, "no text to parse");
	/* Only now is text + len known to be a valid pointer. */
	ps.p = text;
	ps.end = len ? text + len : text;
	if (parse_text(&ps, cfg))
		return -1;
	/* xl's KEY=VALUE arguments: applied after the file, each may replace its value. */
	px.p = extra;
	px.end = elen ? extra + elen : extra;
	if (parse_text(&px, cfg))
		return -1;
	ps.seen |= px.seen;
	if (!(ps.seen & (1u << K_NAME)))
		return fail(&ps, 0, "missing required key 'name'");
	if (!(ps.seen & (1u << K_KERNEL)))
		return fail(&ps, 0, "missing required key 'kernel'");
	return 0;
}

int xlcfg_parse(const char *path, const char *text, size_t len,
		struct xlcfg *cfg, char *err, size_t errlen)
{
	return xlcfg_parse_extra(path, text, len, NULL, 0, cfg, err, errlen);
}

int xlcfg_parse_file(const char *path, struct xlcfg *cfg, char *err,
		     size_t errlen)
{
	struct parser ps = { .path = path, .err = err, .errlen = errlen };
	char *buf;
	size_t len;
	FILE *f;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	set_defaults(cfg);
	f = fopen(path, "re");
	if (!f)
		return fail(&ps, 0, "cannot open: %s", strerror(errno));
	/* One byte more than allowed tells "exactly at the limit" from "over". */
	buf = malloc(XLCFG_TEXT_MAX + 1);
	if (!buf) {
		fclose(f);
		return fail(&ps, 0, "out of memory");
	}
	len = fread(buf, 1, XLCFG_TEXT_MAX + 1, f);
	if (ferror(f))
		rc = fail(&ps, 0, "cannot read: %s", strerror(errno));
	else if (len > XLCFG_TEXT_MAX)
		rc = fail(&ps, 0, "file is larger than the %d-byte limit",
			  XLCFG_TEXT_MAX);
	else
		rc = xlcfg_parse(path, buf, len, cfg, err, errlen);
	fclose(f);
	free(buf);
	return rc;
}

const char *xlcfg_action_name(enum xlcfg_action a)
{
	static const char *const names[] = {
		[XLCFG_ACTION_DESTROY] = "destroy",
		[XLCFG_ACTION_RESTART] = "restart",
		[XLCFG_ACTION_PRESERVE] = "preserve",
	};

	return (unsigned int)a < ARRAY_SIZE(names) ? names[a] : "invalid";
}

int xlcfg_canonical(const struct xlcfg *c, char *buf, size_t len)
{
	/* Keys in alphabetical order, one per line, values as parsed. */
	int n = snprintf(buf, len,
			 "cmdline=%s\nkernel=%s\nmax_event_channels=%u\nmemory=%llu\nname=%s\n"
			 "on_crash=%s\non_poweroff=%s\non_reboot=%s\non_watchdog=%s\n"
			 "ramdisk=%s\nseclabel=%s\ntype=pvh\nvcpus=%u\n",
			 c->cmdline, c->kernel, c->max_event_channels,
			 (unsigned long long)c->memory_mib, c->name, xlcfg_action_name(c->on_crash),
			 xlcfg_action_name(c->on_poweroff), xlcfg_action_name(c->on_reboot),
			 xlcfg_action_name(c->on_watchdog), c->ramdisk, c->seclabel, c->vcpus);

	return n < 0 || (size_t)n >= len ? -1 : n;
}
