/*
 * The roles between domains (perm, grant, readother) and the watch role.
 *
 *   perm other=N     each operation on /local/domain/N (its "name", a new
 *                    node) must be EACCES; PASS/FAIL lines, then
 *                    "xsclient: perm done: N passed, M failed"
 *   grant to=N       /local/domain/<self>/shared = "hello-from-<self>",
 *                    perms n<self> r<N>, in one transaction; prints
 *                    "xsclient: granted" (or "xsclient: FAIL grant (got
 *                    E want OK)") and idles, acting on control/shutdown
 *   readother from=N [seconds=5]
 *                    reads /local/domain/N/shared, retrying while ENOENT;
 *                    "xsclient: read VALUE" or "xsclient: FAIL readother
 *                    (got E want a value)"
 *   watch            watches "watched", writes it 5 times: the initial
 *                    event and 5 more; then none after the unwatch.
 *                    PASS/FAIL lines, then "xsclient: watch done: ..."
 */
#include "xsclient.h"

static char buf[XENSTORE_PAYLOAD_MAX + 1];

static domid_t arg_domid(const char *cmdline, const char *key)
{
	uint64_t v = cmdline_get_u64(cmdline, key, DOMID_INVALID);

	return v < DOMID_FIRST_RESERVED ? (domid_t)v : DOMID_INVALID;
}

int role_perm(const char *cmdline)
{
	domid_t other = arg_domid(cmdline, "other");
	struct xs_perm p[4], mine = { self, 'b' };
	char name[64], node[64], dir[32];
	xs_transaction_t tx;

	if (other == DOMID_INVALID) {
		printk("xsclient: FAIL perm needs other=DOMID\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "/local/domain/%u", other);
	snprintf(name, sizeof(name), "%s/name", dir);
	snprintf(node, sizeof(node), "%s/xsclient-%u", dir, self);
	check_rc("perm-read", xs_read(XBT_NULL, name, buf, sizeof(buf)), -XEN_EACCES);
	check_rc("perm-write", xs_write(XBT_NULL, name, "stolen"), -XEN_EACCES);
	check_rc("perm-create", xs_write(XBT_NULL, node, "planted"), -XEN_EACCES);
	check_rc("perm-mkdir", xs_mkdir(XBT_NULL, node), -XEN_EACCES);
	check_rc("perm-rm", xs_rm(XBT_NULL, name), -XEN_EACCES);
	check_rc("perm-directory", xs_directory(XBT_NULL, dir, buf, sizeof(buf)), -XEN_EACCES);
	check_rc("perm-get-perms", xs_get_perms(XBT_NULL, name, p, ARRAY_SIZE(p)), -XEN_EACCES);
	check_rc("perm-set-perms", xs_set_perms(XBT_NULL, name, &mine, 1), -XEN_EACCES);
	if (!xs_transaction_start(&tx)) {
		check_rc("perm-tx-write", xs_write(tx, name, "stolen"), -XEN_EACCES);
		xs_transaction_end(tx, true);
	} else {
		check("perm-tx-write", false, "no transaction", "EACCES");
	}
	return checks_done("perm");
}

int role_grant(const char *cmdline)
{
	domid_t to = arg_domid(cmdline, "to");
	struct xs_perm p[2] = { { self, 'n' }, { to, 'r' } };
	char path[64], value[32];
	xs_transaction_t tx;
	int rc;

	if (to == DOMID_INVALID) {
		printk("xsclient: FAIL grant needs to=DOMID\n");
		return 1;
	}
	abs_path(path, sizeof(path), "shared");
	snprintf(value, sizeof(value), "hello-from-%u", self);
	/* One transaction: the reader never sees the value before its permission. */
	do {
		if ((rc = xs_transaction_start(&tx)))
			break;
		if ((rc = xs_write(tx, path, value)) || (rc = xs_set_perms(tx, path, p, 2))) {
			xs_transaction_end(tx, true);
			break;
		}
		rc = xs_transaction_end(tx, false);
	} while (rc == -XEN_EAGAIN);
	if (rc) {
		printk("xsclient: FAIL grant (got %s want OK)\n", xenbus_strerror(rc));
		return 1;
	}
	printk("xsclient: granted\n");
	if ((rc = xenbus_shutdown_watch_start()))
		printk("xsclient: no shutdown watch (%s)\n", xenbus_strerror(rc));
	xenbus_idle();
}

int role_readother(const char *cmdline)
{
	domid_t from = arg_domid(cmdline, "from");
	uint64_t deadline = now_ns() + cmdline_get_u64(cmdline, "seconds", 5) * SEC;
	char path[64];
	int rc;

	if (from == DOMID_INVALID) {
		printk("xsclient: FAIL readother needs from=DOMID\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/local/domain/%u/shared", from);
	while ((rc = xs_read(XBT_NULL, path, buf, sizeof(buf))) == -XEN_ENOENT &&
	       now_ns() < deadline)
		sleep_until(now_ns() + 100 * MS);
	if (rc < 0) {
		printk("xsclient: FAIL readother (got %s want a value)\n", xenbus_strerror(rc));
		return 1;
	}
	printk("xsclient: read %s\n", buf);
	return 0;
}

int role_watch(const char *cmdline)
{
	char p[64], t[32], value[4], got[48];
	unsigned int i, n = 0, strays = 0;
	int rc;

	(void)cmdline;
	check_rc("watch-register", xs_watch("watched", "w"), 0);
	rc = next_event(p, sizeof(p), t, sizeof(t), 2000);
	check("watch-initial", !rc && !strcmp(p, "watched") && !strcmp(t, "w"),
	      rc ? xenbus_strerror(rc) : p, "watched w");
	for (i = 1; i <= 5; i++) {
		snprintf(value, sizeof(value), "%u", i);
		if ((rc = xs_write(XBT_NULL, "watched", value)))
			break;
	}
	check_rc("watch-writes", rc, 0);
	/* Every event comes within a second of its write; allow five after the last. */
	while (n < 5 && !next_event(p, sizeof(p), t, sizeof(t), 5000)) {
		if (!strcmp(p, "watched") && !strcmp(t, "w"))
			n++;
		else
			strays++;
	}
	strays += drain_events(300);
	snprintf(got, sizeof(got), "%u events, %u strays", n, strays);
	check("watch-events", n == 5 && !strays, got, "5 events, 0 strays");
	check_rc("watch-unwatch", xs_unwatch("watched", "w"), 0);
	xs_write(XBT_NULL, "watched", "6");
	snprintf(got, sizeof(got), "%u events", drain_events(500));
	check("watch-silent", !strcmp(got, "0 events"), got, "0 events");
	return checks_done("watch");
}
