/*
 * The roles that push on xenstored: quota, txrace, bench.
 *
 *   quota    "xsclient: quota nodes hit after K (ENAME)", then the same
 *            for "watches" and "transactions" (K made before the error),
 *            "xsclient: quota value hit at B bytes (ENAME)"; a PASS/FAIL
 *            line for each (FAIL: no error before the cap), PASS/FAIL
 *            quota-alive (xenstore still answers), then
 *            "xsclient: quota done: N passed, M failed"
 *   txrace   "xsclient: txrace done n=N retries=R final=V" (V: the node
 *            after this domain's last commit), or
 *            "xsclient: FAIL txrace (got E want OK)"
 *   bench    "xsclient: bench reads=N ns_per_read=X baseline_ns=Y ratio=Z"
 *            X: the median read round trip, Y: the median bare exit
 *            (out to BH_BASELINE_PORT), Z = X / Y with three decimals
 */
#include <bulkhead/abi.h>

#include "xsclient.h"

#define NODE_CAP 20000
#define WATCH_CAP 5000
#define TX_CAP 1000

static char buf[XENSTORE_PAYLOAD_MAX + 1];

static void quota_line(const char *what, unsigned int made, int rc, unsigned int cap)
{
	char name[32], got[48];

	snprintf(name, sizeof(name), "quota-%s", what);
	if (rc) {
		printk("xsclient: quota %s hit after %u (%s)\n", what, made, xenbus_strerror(rc));
		check(name, true, "", "");
	} else {
		snprintf(got, sizeof(got), "no error after %u", cap);
		check(name, false, got, "an error");
	}
}

static void quota_nodes(void)
{
	char path[32];
	unsigned int i;
	int rc = 0;

	xs_rm(XBT_NULL, "xsq");
	for (i = 0; i < NODE_CAP; i++) {
		snprintf(path, sizeof(path), "xsq/n%u", i);
		if ((rc = xs_write(XBT_NULL, path, "x")))
			break;
	}
	quota_line("nodes", i, rc, NODE_CAP);
	check_rc("quota-nodes-cleanup", xs_rm(XBT_NULL, "xsq"), 0);
}

static void quota_watches(void)
{
	char path[32];
	unsigned int i;
	int rc = 0;

	for (i = 0; i < WATCH_CAP; i++) {
		snprintf(path, sizeof(path), "xsq/w%u", i);
		if ((rc = xs_watch(path, "q")))
			break;
	}
	quota_line("watches", i, rc, WATCH_CAP);
	check_rc("quota-watches-cleanup", xs_reset_watches(), 0);
}

static void quota_transactions(void)
{
	static xs_transaction_t tx[TX_CAP];
	unsigned int i, n;
	int rc = 0;

	for (n = 0; n < TX_CAP; n++)
		if ((rc = xs_transaction_start(&tx[n])))
			break;
	quota_line("transactions", n, rc, TX_CAP);
	for (i = 0, rc = 0; i < n && !rc; i++)
		rc = xs_transaction_end(tx[i], true);
	check_rc("quota-transactions-cleanup", rc, 0);
}

/* Values of growing size, up to what the wire carries with the path. */
static void quota_value(void)
{
	static const char path[] = "xsq-value";
	size_t max = XENSTORE_PAYLOAD_MAX - sizeof(path), len;
	char *v = malloc(max);
	char got[48];
	int rc = 0;

	if (!v) {
		check("quota-value", false, "no memory", "an error");
		return;
	}
	memset(v, 'v', max);
	for (len = 512;; len = len + 512 < max ? len + 512 : max) {
		if ((rc = xs_write_bytes(XBT_NULL, path, v, len)) || len == max)
			break;
	}
	free(v);
	if (rc) {
		printk("xsclient: quota value hit at %zu bytes (%s)\n", len, xenbus_strerror(rc));
		check("quota-value", true, "", "");
	} else {
		snprintf(got, sizeof(got), "%zu bytes stored", max);
		check("quota-value", false, got, "an error");
	}
	xs_rm(XBT_NULL, path);
}

int role_quota(const char *cmdline)
{
	int rc;

	(void)cmdline;
	quota_nodes();
	quota_watches();
	quota_transactions();
	quota_value();
	rc = xs_write(XBT_NULL, "xsq-alive", "yes");
	if (!rc)
		rc = xs_read(XBT_NULL, "xsq-alive", buf, sizeof(buf));
	check_value("quota-alive", rc, buf, "yes");
	xs_rm(XBT_NULL, "xsq-alive");
	return checks_done("quota");
}

/* Read, add one, write, commit: 0, -XEN_EAGAIN (lost a race) or -errno. */
static int increment(const char *path, uint64_t hold_ns)
{
	xs_transaction_t tx;
	uint64_t v = 0;
	char value[24];
	int rc, i;

	if ((rc = xs_transaction_start(&tx)))
		return rc;
	rc = xs_read(tx, path, value, sizeof(value));
	if (rc == -XEN_ENOENT) {
		rc = 0;
		value[0] = 0;
	}
	for (i = 0; rc >= 0 && value[i]; i++) {
		if (value[i] < '0' || value[i] > '9')
			rc = -XEN_EINVAL;
		v = v * 10 + (uint64_t)(value[i] - '0');
	}
	if (rc >= 0) {
		snprintf(value, sizeof(value), "%lu", v + 1);
		rc = xs_write(tx, path, value);
	}
	if (rc < 0) {
		xs_transaction_end(tx, true);
		return rc;
	}
	if (hold_ns)
		sleep_until(now_ns() + hold_ns);
	return xs_transaction_end(tx, false);
}

int role_txrace(const char *cmdline)
{
	uint64_t n = cmdline_get_u64(cmdline, "n", 100), i, retries = 0;
	uint64_t hold_ns = cmdline_get_u64(cmdline, "hold_us", 0) * 1000;
	char path[256];
	int rc = 0;

	if (!cmdline_get(cmdline, "path", path, sizeof(path)) || !path[0]) {
		printk("xsclient: FAIL txrace needs path=PATH\n");
		return 1;
	}
	for (i = 0; i < n && !rc; i++)
		while ((rc = increment(path, hold_ns)) == -XEN_EAGAIN)
			retries++;
	if (!rc)
		rc = xs_read(XBT_NULL, path, buf, sizeof(buf));
	if (rc < 0) {
		printk("xsclient: FAIL txrace (got %s want OK)\n", xenbus_strerror(rc));
		return 1;
	}
	printk("xsclient: txrace done n=%lu retries=%lu final=%s\n", n, retries, buf);
	return 0;
}

/* The bare exit round trip from this vCPU: the benchmark's baseline. */
static uint64_t bare_exit_ns(void)
{
	static uint64_t v[101];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		uint64_t t = now_ns();

		__asm__ volatile("out %%eax, %[port]" ::"a"(0), [port] "i"(BH_BASELINE_PORT)
				 : "memory");
		v[i] = now_ns() - t;
	}
	sort_u64(v, ARRAY_SIZE(v));
	return v[ARRAY_SIZE(v) / 2];
}

int role_bench(const char *cmdline)
{
	uint64_t n = cmdline_get_u64(cmdline, "n", 1000), i, t, med, base, ratio;
	uint64_t *ns;
	int rc;

	if (!n)
		n = 1;
	if (n > 1000000 || !(ns = calloc(n, sizeof(*ns)))) {
		printk("xsclient: FAIL bench n=%lu too large\n", n);
		return 1;
	}
	if ((rc = xs_write(XBT_NULL, "xsbench", "bench-value"))) {
		printk("xsclient: FAIL bench write (got %s want OK)\n", xenbus_strerror(rc));
		return 1;
	}
	for (i = 0; i < 50; i++)
		xs_read(XBT_NULL, "xsbench", buf, sizeof(buf));
	for (i = 0; i < n; i++) {
		t = now_ns();
		rc = xs_read(XBT_NULL, "xsbench", buf, sizeof(buf));
		ns[i] = now_ns() - t;
		if (rc < 0) {
			printk("xsclient: FAIL bench read %lu (got %s want OK)\n", i,
			       xenbus_strerror(rc));
			return 1;
		}
	}
	sort_u64(ns, n);
	med = ns[n / 2];
	base = bare_exit_ns();
	if (!base)
		base = 1;
	ratio = med * 1000 / base;
	printk("xsclient: bench reads=%lu ns_per_read=%lu baseline_ns=%lu ratio=%lu.%03lu\n", n,
	       med, base, ratio / 1000, ratio % 1000);
	xs_rm(XBT_NULL, "xsbench");
	free(ns);
	return 0;
}
