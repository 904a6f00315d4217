/*
 * conform: every message type a guest may send, in its own tree under
 * "xsc" (relative) and /local/domain/<self>/xsc (absolute), and the
 * privileged ones it may not (EACCES). The expected answers are those of
 * Xen's C xenstored. One PASS/FAIL line per check, then
 * "xsclient: conform done: N passed, M failed".
 */
#include "xsclient.h"

#define BAD_TX 0x7ffffff0u

static char buf[XENSTORE_PAYLOAD_MAX + 1];
static char path[256];

/* A raw request with a payload of `len` bytes: 0 or -errno. */
static int raw(uint32_t type, const char *payload, size_t len)
{
	size_t rlen = sizeof(buf);

	return xenbus_request(type, XBT_NULL, payload, len, buf, &rlen, NULL);
}

static bool listed(const char *list, int n, const char *name)
{
	for (; n > 0; n--, list += strlen(list) + 1)
		if (!strcmp(list, name))
			return true;
	return false;
}

static void basics(void)
{
	int rc;

	rc = xs_get_domain_path(self, buf, sizeof(buf));
	check_value("get-domain-path", rc, buf, self_path);
	check_rc("write-rel", xs_write(XBT_NULL, "xsc/a", "1"), 0);
	rc = xs_read(XBT_NULL, abs_path(path, sizeof(path), "xsc/a"), buf, sizeof(buf));
	check_value("read-abs", rc, buf, "1");
	check_rc("write-abs", xs_write(XBT_NULL, abs_path(path, sizeof(path), "xsc/b"), "two"), 0);
	rc = xs_read(XBT_NULL, "xsc/b", buf, sizeof(buf));
	check_value("read-rel", rc, buf, "two");
	check_rc("read-missing", xs_read(XBT_NULL, "xsc/none", buf, sizeof(buf)), -XEN_ENOENT);
	check_rc("write-empty", xs_write(XBT_NULL, "xsc/e", ""), 0);
	rc = xs_read(XBT_NULL, "xsc/e", buf, sizeof(buf));
	check_value("read-empty", rc, buf, "");
	check_rc("read-bad-chars", xs_read(XBT_NULL, "xsc/bad*char", buf, sizeof(buf)),
		 -XEN_EINVAL);
	check_rc("read-double-slash", xs_read(XBT_NULL, "xsc//a", buf, sizeof(buf)), -XEN_EINVAL);
	/* A read whose path lacks its terminator. */
	check_rc("read-unterminated", raw(XS_READ, "xsc/a", 5), -XEN_EINVAL);
}

static void dirs(void)
{
	char num[16];
	int n;

	check_rc("mkdir", xs_mkdir(XBT_NULL, "xsc/dir"), 0);
	check_rc("mkdir-exists", xs_mkdir(XBT_NULL, "xsc/dir"), 0);
	check_rc("mkdir-abs", xs_mkdir(XBT_NULL, abs_path(path, sizeof(path), "xsc/dir/sub")), 0);
	n = xs_directory(XBT_NULL, "xsc", buf, sizeof(buf));
	snprintf(num, sizeof(num), "%d", n);
	check("directory", n == 4 && listed(buf, n, "a") && listed(buf, n, "b") &&
				   listed(buf, n, "e") && listed(buf, n, "dir"),
	      n < 0 ? xenbus_strerror(n) : num, "4 (a b e dir)");
	n = xs_directory(XBT_NULL, abs_path(path, sizeof(path), "xsc/dir"), buf, sizeof(buf));
	snprintf(num, sizeof(num), "%d", n);
	check("directory-abs", n == 1 && !strcmp(buf, "sub"), n < 0 ? xenbus_strerror(n) : num,
	      "1 (sub)");
	check_rc("directory-missing", xs_directory(XBT_NULL, "xsc/none", buf, sizeof(buf)),
		 -XEN_ENOENT);
	check_rc("rm", xs_rm(XBT_NULL, "xsc/b"), 0);
	check_rc("rm-gone", xs_read(XBT_NULL, "xsc/b", buf, sizeof(buf)), -XEN_ENOENT);
	check_rc("rm-missing", xs_rm(XBT_NULL, "xsc/b"), 0);
	check_rc("rm-missing-parent", xs_rm(XBT_NULL, "xsc/none/deeper"), -XEN_ENOENT);
	check_rc("rm-subtree", xs_rm(XBT_NULL, "xsc/dir"), 0);
	check_rc("rm-subtree-gone", xs_read(XBT_NULL, "xsc/dir/sub", buf, sizeof(buf)),
		 -XEN_ENOENT);
}

static void perms(void)
{
	struct xs_perm p[4], want[2] = { { self, 'n' }, { 0, 'r' } };
	char got[32];
	int n;

	n = xs_get_perms(XBT_NULL, "xsc/a", p, ARRAY_SIZE(p));
	snprintf(got, sizeof(got), "n=%d owner %u", n, n > 0 ? p[0].id : 0);
	check("get-perms-owner", n >= 1 && p[0].id == self, n < 0 ? xenbus_strerror(n) : got,
	      "owner self");
	check_rc("set-perms", xs_set_perms(XBT_NULL, "xsc/a", want, 2), 0);
	n = xs_get_perms(XBT_NULL, abs_path(path, sizeof(path), "xsc/a"), p, ARRAY_SIZE(p));
	snprintf(got, sizeof(got), "n=%d %c%u", n, n > 0 ? p[0].perm : '-', n > 0 ? p[0].id : 0);
	check("get-perms-set", n == 2 && p[0].id == self && p[0].perm == 'n' && p[1].id == 0 &&
				       p[1].perm == 'r',
	      n < 0 ? xenbus_strerror(n) : got, "n=2 n<self> r0");
	check_rc("set-perms-bad", raw(XS_SET_PERMS, "xsc/a\0x5", 9), -XEN_EINVAL);
	check_rc("get-perms-missing", xs_get_perms(XBT_NULL, "xsc/none", p, ARRAY_SIZE(p)),
		 -XEN_ENOENT);
}

/* The next event must be (evpath, token). */
static void expect_event(const char *name, const char *evpath, const char *token)
{
	char p[128], t[32], got[192];
	int rc = next_event(p, sizeof(p), t, sizeof(t), 2000);

	if (rc) {
		check(name, false, xenbus_strerror(rc), "an event");
		return;
	}
	snprintf(got, sizeof(got), "%s %s", p, t);
	check(name, !strcmp(p, evpath) && !strcmp(t, token), got, token);
}

static void watches(void)
{
	char absw[64], p[128], t[32];
	unsigned int t1 = 0, t2 = 0, other = 0;
	char got[32];

	abs_path(absw, sizeof(absw), "xsc/w");
	drain_events(0);
	check_rc("watch", xs_watch("xsc/w", "t1"), 0);
	expect_event("watch-initial", "xsc/w", "t1");
	check_rc("watch-abs", xs_watch(absw, "t2"), 0);
	expect_event("watch-abs-initial", absw, "t2");
	check_rc("watch-dup", xs_watch("xsc/w", "t1"), -XEN_EEXIST);
	check_rc("watch-write", xs_write(XBT_NULL, "xsc/w", "x"), 0);
	while (!next_event(p, sizeof(p), t, sizeof(t), 500)) {
		if (!strcmp(t, "t1") && !strcmp(p, "xsc/w"))
			t1++;
		else if (!strcmp(t, "t2") && !strcmp(p, absw))
			t2++;
		else
			other++;
	}
	snprintf(got, sizeof(got), "t1=%u t2=%u other=%u", t1, t2, other);
	check("watch-fires", t1 == 1 && t2 == 1 && !other, got, "t1=1 t2=1 other=0");
	check_rc("unwatch", xs_unwatch("xsc/w", "t1"), 0);
	check_rc("unwatch-missing", xs_unwatch("xsc/w", "t1"), -XEN_ENOENT);
	check_rc("unwatch-write", xs_write(XBT_NULL, "xsc/w", "y"), 0);
	t1 = t2 = other = 0;
	while (!next_event(p, sizeof(p), t, sizeof(t), 500)) {
		if (!strcmp(t, "t1"))
			t1++;
		else if (!strcmp(t, "t2"))
			t2++;
		else
			other++;
	}
	snprintf(got, sizeof(got), "t1=%u t2=%u other=%u", t1, t2, other);
	check("unwatch-silences", !t1 && t2 == 1 && !other, got, "t1=0 t2=1 other=0");
	check_rc("reset-watches", xs_reset_watches(), 0);
	check_rc("reset-watches-write", xs_write(XBT_NULL, "xsc/w", "z"), 0);
	snprintf(got, sizeof(got), "%u events", drain_events(500));
	check("reset-watches-silences", !strcmp(got, "0 events"), got, "0 events");
}

static void transactions(void)
{
	xs_transaction_t tx;
	int rc;

	check_rc("tx-start", rc = xs_transaction_start(&tx), 0);
	if (rc)
		return;
	check_rc("tx-write", xs_write(tx, "xsc/t", "in"), 0);
	check_rc("tx-isolated", xs_read(XBT_NULL, "xsc/t", buf, sizeof(buf)), -XEN_ENOENT);
	rc = xs_read(tx, abs_path(path, sizeof(path), "xsc/t"), buf, sizeof(buf));
	check_value("tx-read-own", rc, buf, "in");
	check_rc("tx-commit", xs_transaction_end(tx, false), 0);
	rc = xs_read(XBT_NULL, "xsc/t", buf, sizeof(buf));
	check_value("tx-committed", rc, buf, "in");

	if (!xs_transaction_start(&tx)) {
		xs_write(tx, "xsc/u", "gone");
		check_rc("tx-abort", xs_transaction_end(tx, true), 0);
		check_rc("tx-aborted", xs_read(XBT_NULL, "xsc/u", buf, sizeof(buf)), -XEN_ENOENT);
	}

	xs_write(XBT_NULL, "xsc/c", "0");
	if (!xs_transaction_start(&tx)) {
		xs_read(tx, "xsc/c", buf, sizeof(buf));
		xs_write(XBT_NULL, "xsc/c", "1");
		xs_write(tx, "xsc/c", "2");
		check_rc("tx-conflict", xs_transaction_end(tx, false), -XEN_EAGAIN);
		rc = xs_read(XBT_NULL, "xsc/c", buf, sizeof(buf));
		check_value("tx-conflict-kept", rc, buf, "1");
	}
	check_rc("tx-bad-id-read", xs_read(BAD_TX, "xsc/a", buf, sizeof(buf)), -XEN_ENOENT);
	check_rc("tx-bad-id-end", xs_transaction_end(BAD_TX, false), -XEN_ENOENT);
}

/* What only dom0 may do. */
static void privileged(void)
{
	char msg[64];
	int n;

	/* Anyone may ask (docs/misc/xenstore.txt): it is introduced, so "T". */
	n = xs_is_domain_introduced(self);
	check("is-domain-introduced", n == 1, n == 0 ? "F" : n < 0 ? xenbus_strerror(n) : "T", "T");
	/* "<domid>\0<mfn>\0<port>\0" */
	n = snprintf(msg, sizeof(msg), "%u", self) + 1;
	n += snprintf(msg + n, sizeof(msg) - (size_t)n, "1") + 1;
	n += snprintf(msg + n, sizeof(msg) - (size_t)n, "1") + 1;
	check_rc("introduce", raw(XS_INTRODUCE, msg, (size_t)n), -XEN_EACCES);
	n = snprintf(msg, sizeof(msg), "%u", self) + 1;
	check_rc("release", raw(XS_RELEASE, msg, (size_t)n), -XEN_EACCES);
}

int role_conform(const char *cmdline)
{
	(void)cmdline;
	xs_rm(XBT_NULL, "xsc");
	basics();
	dirs();
	perms();
	watches();
	transactions();
	privileged();
	check_rc("cleanup", xs_rm(XBT_NULL, "xsc"), 0);
	return checks_done("conform");
}
