/*
 * xsclient: a XenStore client that exercises xenstored from a guest. The
 * role is the first word of the command line (or role=ROLE):
 *
 *   conform            every message type, in the domain's own tree
 *   perm other=N       N's nodes must be out of reach (EACCES)
 *   grant to=N         share "shared" with N read-only, then idle
 *   readother from=N [seconds=5]
 *                      read N's "shared", waiting while it is missing
 *   watch              the events of a watch on "watched"
 *   quota              each quota until it bites; xenstored must survive
 *   txrace path=P [n=100] [hold_us=0]
 *                      n transactional increments of P, retried on EAGAIN
 *   bench [n=1000]     the cost of a read, against the bare exit
 *
 * Output: see xsclient.h, and each role's comment for its own lines.
 * Every role prints "xsclient: FAIL no xenstore (ENODEV)" without one.
 */
#include "xsclient.h"

domid_t self;
char self_path[32];
static unsigned int passed, failed;

void check(const char *name, bool ok, const char *got, const char *want)
{
	if (ok) {
		printk("xsclient: PASS %s\n", name);
		passed++;
	} else {
		printk("xsclient: FAIL %s (got %s want %s)\n", name, got, want);
		failed++;
	}
}

void check_rc(const char *name, int got, int want)
{
	if (got > 0)
		got = 0;
	check(name, got == want, xenbus_strerror(got), xenbus_strerror(want));
}

void check_value(const char *name, int got, const char *buf, const char *want)
{
	if (got < 0)
		check(name, false, xenbus_strerror(got), want);
	else
		check(name, !strcmp(buf, want), buf, want);
}

int checks_done(const char *role)
{
	printk("xsclient: %s done: %u passed, %u failed\n", role, passed, failed);
	return failed ? 1 : 0;
}

const char *abs_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", self_path, rel);
	return buf;
}

int next_event(char *path, size_t psize, char *token, size_t tsize, uint64_t ms)
{
	return xs_read_watch(path, psize, token, tsize, now_ns() + ms * MS);
}

unsigned int drain_events(uint64_t ms)
{
	char path[128], token[32];
	uint64_t deadline = now_ns() + ms * MS;
	unsigned int n = 0;

	while (!xs_read_watch(path, sizeof(path), token, sizeof(token), deadline))
		n++;
	return n;
}

static const struct {
	const char *name;
	int (*fn)(const char *cmdline);
} roles[] = {
	{ "conform", role_conform }, { "perm", role_perm },   { "grant", role_grant },
	{ "readother", role_readother }, { "watch", role_watch }, { "quota", role_quota },
	{ "txrace", role_txrace },   { "bench", role_bench },
};

/* role=ROLE, else the first word that is not key=value. */
static void role_of(const char *cmdline, char *buf, size_t size)
{
	const char *p = cmdline;

	buf[0] = 0;
	if (cmdline_get(cmdline, "role", buf, size))
		return;
	while (*p) {
		size_t n = 0;
		bool kv = false;

		while (*p == ' ')
			p++;
		for (; p[n] && p[n] != ' '; n++)
			kv |= p[n] == '=';
		if (n && n < size && !kv) {
			memcpy(buf, p, n);
			buf[n] = 0;
			return;
		}
		p += n;
	}
}

int app_main(const char *cmdline)
{
	char role[16];
	unsigned int i;
	int rc;

	role_of(cmdline, role, sizeof(role));
	if ((rc = xenbus_init())) {
		printk("xsclient: FAIL no xenstore (%s)\n", xenbus_strerror(rc));
		return 1;
	}
	self = xenbus_domid();
	snprintf(self_path, sizeof(self_path), "/local/domain/%u", self);
	for (i = 0; i < ARRAY_SIZE(roles); i++)
		if (!strcmp(role, roles[i].name))
			return roles[i].fn(cmdline);
	printk("xsclient: FAIL unknown role '%s'\n", role);
	return 1;
}
