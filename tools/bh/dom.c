/*
 * bh's domain subcommands, with xl's names, options and output: create,
 * list, destroy, shutdown, reboot, pause, unpause, console, info, dmesg
 * and top. bulkhead does the work; bh sends the config text, and writes a
 * new domain's XenStore entries as xl does.
 */
#include "dom.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>

#include "ctl_client.h"
#include "xlcfg.h"
#include "xs_client.h"

/* Print bulkhead's refusal: its message when it sent one, else the errno. */
static int refused(const char *what, int rc, uint8_t *msg, size_t len)
{
	if (len)
		fprintf(stderr, "bh: %s: %.*s\n", what, (int)len, (const char *)msg);
	else if (rc == -EACCES)
		fprintf(stderr, "bh: %s: permission denied by the Flask policy "
				"(bulkhead's log has the avc: line)\n", what);
	else if (rc == -ESRCH)
		fprintf(stderr, "bh: %s: no such domain\n", what);
	else
		fprintf(stderr, "bh: %s: %s\n", what, strerror(-rc));
	free(msg);
	return 1;
}

static int get_list(int fd, struct bh_ctl_dominfo **v, size_t *n)
{
	uint8_t *out;
	size_t len;
	int rc = ctl_call(fd, BH_CTL_DOMAIN_LIST, NULL, 0, &out, &len);

	*v = NULL;
	*n = 0;
	if (rc) {
		free(out);
		return rc;
	}
	if (len % sizeof(**v)) {
		free(out);
		return -EPROTO;
	}
	*v = (struct bh_ctl_dominfo *)out;
	*n = len / sizeof(**v);
	return 0;
}

/* A domain by id or name, as xl takes them; -1 with a message if there is none. */
static int64_t resolve(int fd, const char *spec)
{
	struct bh_ctl_dominfo *v;
	char *end;
	size_t n;
	unsigned long id;
	int64_t found = -1;
	int rc;

	errno = 0;
	id = strtoul(spec, &end, 10);
	if (!errno && *spec && !*end && id < DOMID_FIRST_RESERVED)
		return id;
	rc = get_list(fd, &v, &n);
	if (rc) {
		fprintf(stderr, "bh: listing domains: %s\n", strerror(-rc));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!strncmp(v[i].name, spec, sizeof(v[i].name)))
			found = v[i].domid;
	free(v);
	if (found < 0)
		fprintf(stderr, "bh: no domain named '%s'\n", spec);
	return found;
}

static int get_info(int fd, uint32_t domid, struct bh_ctl_dominfo *info)
{
	uint8_t *out;
	size_t len;
	int rc = ctl_call(fd, BH_CTL_DOMAIN_INFO, &domid, sizeof(domid), &out, &len);

	if (!rc && len != sizeof(*info))
		rc = -EPROTO;
	if (!rc)
		memcpy(info, out, sizeof(*info));
	free(out);
	return rc;
}

static const char *state_flags(const struct bh_ctl_dominfo *d)
{
	/* xl's six columns: running, blocked, paused, shutdown, crashed, dying. */
	switch (d->state) {
	case BH_DOMSTATE_RUNNING: return "r-----";
	case BH_DOMSTATE_PAUSED: return "--p---";
	case BH_DOMSTATE_SHUTDOWN: return "---s--";
	case BH_DOMSTATE_CRASHED: return "----c-";
	case BH_DOMSTATE_DYING: return "-----d";
	}
	return "------";
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- create ---------------------------------------------------------------------- */

/* xl writes these for every domain; xenstored gives the domain its own subtree. */
static int write_store_entries(const struct bh_ctl_dominfo *d)
{
	char path[128], val[64], perms[32];
	int xs = xs_open(NULL), rc, n;

	if (xs < 0) {
		fprintf(stderr, "bh: create: cannot reach xenstored at %s: %s\n",
			xs_socket_path(NULL), strerror(-xs));
		return -1;
	}
	rc = xs_introduce(xs, d->domid, d->store_mfn, d->store_evtchn);
	if (rc == -EEXIST)
		rc = 0; /* xenstored saw it first */
#define W(fmt, value)                                                                  \
	do {                                                                           \
		snprintf(path, sizeof(path), "/local/domain/%u" fmt, d->domid);        \
		if (!rc)                                                               \
			rc = xs_write(xs, path, value);                                \
	} while (0)
	snprintf(val, sizeof(val), "%u", d->domid);
	W("/domid", val);
	W("/name", d->name);
	snprintf(val, sizeof(val), "/vm/%u", d->domid);
	W("/vm", val);
	W("/control/shutdown", "");
	/* The domain owns its subtree: it may read and write it, others may not. */
	n = snprintf(perms, sizeof(perms), "n%u", d->domid);
	snprintf(path, sizeof(path), "/local/domain/%u", d->domid);
	if (!rc)
		rc = xs_set_perms(xs, path, perms, n + 1);
	snprintf(path, sizeof(path), "/local/domain/%u/control", d->domid);
	if (!rc)
		rc = xs_set_perms(xs, path, perms, n + 1);
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", d->domid);
	if (!rc)
		rc = xs_set_perms(xs, path, perms, n + 1);
	snprintf(path, sizeof(path), "/vm/%u/name", d->domid);
	if (!rc)
		rc = xs_write(xs, path, d->name);
#undef W
	close(xs);
	if (rc) {
		fprintf(stderr, "bh: create: writing the domain's XenStore entries: %s\n",
			strerror(-rc));
		return -1;
	}
	return 0;
}

static int console_follow(int fd, uint32_t domid, bool history_only);

int cmd_create(int fd, int argc, char **argv)
{
	struct bh_ctl_create c = { .flags = BH_CREATE_PAUSED };
	bool attach = false, paused = false, quiet = false;
	char path[PATH_MAX], *req, err[PATH_MAX + 256];
	struct bh_ctl_dominfo info;
	size_t tlen = 0, plen;
	int opt, cf, rc, nfds, fds[CTL_MAX_FDS];
	struct xlcfg *cfg;
	uint8_t *out;
	size_t olen;
	ssize_t n;

	optind = 1;
	while ((opt = getopt(argc + 1, argv - 1, "cpq")) != -1) {
		if (opt == 'c')
			attach = true;
		else if (opt == 'p')
			paused = true;
		else if (opt == 'q')
			quiet = true;
		else
			return 2;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 1)
		return 2;
	if (!realpath(argv[0], path)) {
		fprintf(stderr, "bh: create: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	plen = strlen(path);
	req = malloc(sizeof(c) + plen + 2 * XLCFG_TEXT_MAX + 1);
	if (!req)
		return 1;
	cf = open(path, O_RDONLY | O_CLOEXEC);
	if (cf < 0) {
		fprintf(stderr, "bh: create: %s: %s\n", path, strerror(errno));
		free(req);
		return 1;
	}
	if (!quiet)
		fprintf(stderr, "Parsing config from %s\n", argv[0]);
	/* One byte more than the limit: bulkhead refuses an over-long config by name. */
	while ((n = read(cf, req + sizeof(c) + plen + tlen, XLCFG_TEXT_MAX + 1 - tlen)) > 0)
		tlen += n;
	close(cf);
	/* xl's extra "key=value" arguments: one per line, after the file. */
	for (int i = 1; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (!strchr(argv[i], '=') || c.extra_len + l + 1 > XLCFG_TEXT_MAX) {
			fprintf(stderr, "bh: create: '%s' is not key=value, or they are too long\n",
				argv[i]);
			free(req);
			return 2;
		}
		memcpy(req + sizeof(c) + plen + tlen + c.extra_len, argv[i], l);
		c.extra_len += l;
		req[sizeof(c) + plen + tlen + c.extra_len++] = '\n';
	}
	/*
	 * bulkhead reads the kernel and ramdisk only through fds we open, with
	 * our rights (docs/control-protocol.md), so bh parses the config too to
	 * find them. A config that does not parse goes without: bulkhead's
	 * parser then says why, as for any create.
	 */
	nfds = 0;
	cfg = malloc(sizeof(*cfg));
	if (cfg && !xlcfg_parse_extra(path, req + sizeof(c) + plen, tlen,
				      req + sizeof(c) + plen + tlen, c.extra_len, cfg, err,
				      sizeof(err))) {
		nfds = ctl_open_images(cfg, fds, err, sizeof(err));
		if (nfds < 0) {
			fprintf(stderr, "bh: create: %s\n", err);
			free(cfg);
			free(req);
			return 1;
		}
	}
	free(cfg);
	tlen += c.extra_len;
	c.path_len = plen;
	memcpy(req, &c, sizeof(c));
	memcpy(req + sizeof(c), path, plen);
	rc = ctl_call_fds(fd, BH_CTL_DOMAIN_CREATE, req, sizeof(c) + plen + tlen, fds, nfds, &out,
			  &olen);
	while (nfds > 0)
		close(fds[--nfds]);
	free(req);
	if (rc)
		return refused("create", rc, out, olen);
	if (olen < sizeof(info)) {
		free(out);
		return refused("create", -EPROTO, NULL, 0);
	}
	memcpy(&info, out, sizeof(info));
	if (olen > sizeof(info))
		fprintf(stderr, "bh: create: warning: %.*s\n", (int)(olen - sizeof(info)),
			(const char *)out + sizeof(info));
	free(out);
	if (info.store_mfn != BH_NO_STORE && write_store_entries(&info)) {
		ctl_call(fd, BH_CTL_DOMAIN_DESTROY, &info.domid, sizeof(info.domid), NULL, NULL);
		return 1;
	}
	if (!paused) {
		rc = ctl_call(fd, BH_CTL_DOMAIN_UNPAUSE, &info.domid, sizeof(info.domid), &out, &olen);
		if (rc)
			return refused("create: unpause", rc, out, olen);
	}
	if (!quiet)
		fprintf(stderr, "Started domain %s (id=%u)\n", info.name, info.domid);
	return attach ? console_follow(fd, info.domid, false) : 0;
}

/* ---- list, info, dmesg, top ------------------------------------------------------ */

static void print_long(const struct bh_ctl_dominfo *d, bool last)
{
	printf("    {\n"
	       "        \"domid\": %u,\n"
	       "        \"name\": \"%s\",\n"
	       "        \"state\": \"%s\",\n"
	       "        \"shutdown_reason\": %u,\n"
	       "        \"memory_kib\": %llu,\n"
	       "        \"vcpus\": %u,\n"
	       "        \"vcpus_online\": %u,\n"
	       "        \"cpu_time_ns\": %llu,\n"
	       "        \"uptime_ns\": %llu,\n"
	       "        \"hypercalls\": %llu,\n"
	       "        \"restarts\": %u,\n"
	       "        \"store_mfn\": %lld,\n"
	       "        \"store_evtchn\": %u,\n"
	       "        \"ssidref\": %u,\n"
	       "        \"seclabel\": \"%s\"\n"
	       "    }%s\n",
	       d->domid, d->name, state_flags(d), d->shutdown_reason,
	       (unsigned long long)d->memory_kib, d->vcpus, d->vcpus_online,
	       (unsigned long long)d->cpu_ns, (unsigned long long)d->uptime_ns,
	       (unsigned long long)d->hypercalls, d->restarts,
	       d->store_mfn == BH_NO_STORE ? -1LL : (long long)d->store_mfn, d->store_evtchn,
	       d->ssid, d->label, last ? "" : ",");
}

int cmd_list(int fd, int argc, char **argv)
{
	bool lng = false, label = false;
	struct bh_ctl_dominfo *v;
	size_t n, shown = 0;
	int opt, rc;

	optind = 1;
	while ((opt = getopt(argc + 1, argv - 1, "lZ")) != -1) {
		if (opt == 'l')
			lng = true;
		else if (opt == 'Z')
			label = true;
		else
			return 2;
	}
	argc -= optind - 1;
	argv += optind - 1;
	rc = get_list(fd, &v, &n);
	if (rc)
		return refused("list", rc, NULL, 0);
	if (lng)
		printf("[\n");
	else
		printf("%-40s %5s %5s %5s %10s %9s%s\n", "Name", "ID", "Mem", "VCPUs", "State",
		       "Time(s)", label ? "   Security Label" : "");
	for (size_t i = 0; i < n; i++) {
		bool want = argc == 0;

		for (int k = 0; k < argc && !want; k++) {
			char id[16];

			snprintf(id, sizeof(id), "%u", v[i].domid);
			want = !strcmp(argv[k], v[i].name) || !strcmp(argv[k], id);
		}
		if (!want)
			continue;
		shown++;
		if (lng) {
			print_long(&v[i], shown == n);
			continue;
		}
		printf("%-40s %5u %5llu %5u %10s %9.1f%s%s\n", v[i].name, v[i].domid,
		       (unsigned long long)(v[i].memory_kib >> 10), v[i].vcpus, state_flags(&v[i]),
		       v[i].cpu_ns / 1e9, label ? "   " : "", label ? v[i].label : "");
	}
	if (lng)
		printf("]\n");
	free(v);
	if (argc && !shown) {
		fprintf(stderr, "bh: list: no such domain\n");
		return 1;
	}
	return 0;
}

int host_info(int fd, struct bh_ctl_physinfo *pi, char *log, size_t loglen)
{
	uint8_t *out;
	size_t len;
	int rc;

	rc = ctl_call(fd, BH_CTL_PHYSINFO, NULL, 0, &out, &len);
	if (!rc && (len < sizeof(*pi) || len - sizeof(*pi) >= loglen ||
		    memchr(out + sizeof(*pi), 0, len - sizeof(*pi))))
		rc = -EPROTO;
	if (!rc) {
		memcpy(pi, out, sizeof(*pi));
		memcpy(log, out + sizeof(*pi), len - sizeof(*pi));
		log[len - sizeof(*pi)] = 0;
	}
	free(out);
	return rc;
}

int cmd_info(int fd, int argc, char **argv)
{
	struct bh_ctl_physinfo pi;
	char log[4096];
	int rc;

	(void)argv;
	if (argc)
		return 2;
	rc = host_info(fd, &pi, log, sizeof(log));
	if (rc)
		return refused("info", rc, NULL, 0);
	printf("host                   : bulkhead on KVM\n"
	       "nr_cpus                : %u\n"
	       "total_memory           : %llu\n"
	       "free_memory            : %llu\n"
	       "domain_memory          : %llu\n"
	       "nr_domains             : %u\n"
	       "xen_major              : %u\n"
	       "xen_minor              : %u\n"
	       "xsm                    : flask (%s)\n"
	       "uptime                 : %.1f\n"
	       "tpm_eventlog           : %s\n",
	       pi.nr_cpus, (unsigned long long)(pi.total_kib >> 10),
	       (unsigned long long)(pi.free_kib >> 10), (unsigned long long)(pi.domain_kib >> 10),
	       pi.nr_domains, pi.xen_major, pi.xen_minor,
	       pi.flask_enforcing ? "enforcing" : "permissive", pi.uptime_ns / 1e9,
	       log[0] ? log : "(unmeasured)");
	return 0;
}

int cmd_dmesg(int fd, int argc, char **argv)
{
	uint32_t clear = 0;
	uint8_t *out;
	size_t len;
	int rc;

	if (argc == 1 && !strcmp(argv[0], "-c"))
		clear = 1;
	else if (argc)
		return 2;
	rc = ctl_call(fd, BH_CTL_DMESG, &clear, sizeof(clear), &out, &len);
	if (rc)
		return refused("dmesg", rc, out, len);
	if (len)
		fwrite(out, 1, len, stdout);
	free(out);
	return 0;
}

int cmd_top(int fd, int argc, char **argv)
{
	unsigned int delay_ms = 1000, iterations = 0;
	struct bh_ctl_dominfo *prev = NULL;
	size_t nprev = 0;
	bool batch = false;
	int opt;

	optind = 1;
	while ((opt = getopt(argc + 1, argv - 1, "bd:i:")) != -1) {
		if (opt == 'b') {
			batch = true;
		} else if (opt == 'd') {
			double s = atof(optarg);

			if (s < 0.05 || s > 3600)
				return 2;
			delay_ms = s * 1000;
		} else if (opt == 'i') {
			iterations = atoi(optarg);
		} else {
			return 2;
		}
	}
	for (unsigned int it = 0; !iterations || it < iterations; it++) {
		struct bh_ctl_dominfo *v;
		size_t n;
		int rc = get_list(fd, &v, &n);

		if (rc) {
			free(prev);
			return refused("top", rc, NULL, 0);
		}
		if (!batch)
			printf("\033[H\033[2J");
		printf("%18s %8s %10s %6s %10s %5s %12s %s\n", "NAME", "STATE", "CPU(sec)", "CPU(%)",
		       "MEM(k)", "VCPUS", "HYPERCALLS", "ID");
		for (size_t i = 0; i < n; i++) {
			double pct = 0;

			for (size_t k = 0; k < nprev; k++) {
				if (prev[k].domid == v[i].domid && v[i].uptime_ns > prev[k].uptime_ns)
					pct = 100.0 * (double)(v[i].cpu_ns - prev[k].cpu_ns) /
					      (double)(v[i].uptime_ns - prev[k].uptime_ns);
			}
			printf("%18.18s %8s %10.1f %6.1f %10llu %5u %12llu %u\n", v[i].name,
			       state_flags(&v[i]), v[i].cpu_ns / 1e9, pct,
			       (unsigned long long)v[i].memory_kib, v[i].vcpus,
			       (unsigned long long)v[i].hypercalls, v[i].domid);
		}
		fflush(stdout);
		free(prev);
		prev = v;
		nprev = n;
		if (!iterations || it + 1 < iterations)
			sleep_ms(delay_ms);
	}
	free(prev);
	return 0;
}

/* ---- destroy, pause, unpause ----------------------------------------------------- */

static int simple_op(int fd, int argc, char **argv, uint16_t op, const char *what)
{
	uint8_t *out;
	size_t len;
	int64_t id;
	uint32_t domid;
	int rc;

	if (argc != 1)
		return 2;
	id = resolve(fd, argv[0]);
	if (id < 0)
		return 1;
	domid = id;
	rc = ctl_call(fd, op, &domid, sizeof(domid), &out, &len);
	if (rc == -EBUSY) {
		fprintf(stderr, "bh: %s: domain %u is not %s\n", what, domid,
			op == BH_CTL_DOMAIN_PAUSE ? "running" : "paused");
		free(out);
		return 1;
	}
	return rc ? refused(what, rc, out, len) : 0;
}

int cmd_destroy(int fd, int argc, char **argv)
{
	return simple_op(fd, argc, argv, BH_CTL_DOMAIN_DESTROY, "destroy");
}

int cmd_pause(int fd, int argc, char **argv)
{
	return simple_op(fd, argc, argv, BH_CTL_DOMAIN_PAUSE, "pause");
}

int cmd_unpause(int fd, int argc, char **argv)
{
	return simple_op(fd, argc, argv, BH_CTL_DOMAIN_UNPAUSE, "unpause");
}

/* ---- shutdown, reboot ------------------------------------------------------------ */

static int shutdown_common(int fd, int argc, char **argv, bool reboot)
{
	struct bh_ctl_shutdown req = { .reason = reboot ? SHUTDOWN_reboot : SHUTDOWN_poweroff,
				       .timeout_ms = 10000 };
	const char *what = reboot ? "reboot" : "shutdown";
	bool wait = false, force = false;
	struct bh_ctl_dominfo info;
	uint8_t *out;
	size_t len;
	int64_t id;
	int opt, rc;

	optind = 1;
	while ((opt = getopt(argc + 1, argv - 1, "wFt:")) != -1) {
		if (opt == 'w' && !reboot) {
			wait = true;
		} else if (opt == 'F') {
			force = true;
		} else if (opt == 't') {
			double s = atof(optarg);

			if (s < 0 || s > 3600)
				return 2;
			req.timeout_ms = s * 1000;
		} else {
			return 2;
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 1)
		return 2;
	id = resolve(fd, argv[0]);
	if (id < 0)
		return 1;
	req.domid = id;
	rc = get_info(fd, req.domid, &info);
	if (rc)
		return refused(what, rc, NULL, 0);
	if (info.state != BH_DOMSTATE_RUNNING && info.state != BH_DOMSTATE_PAUSED) {
		fprintf(stderr, "bh: %s: domain %u is already shut down\n", what, req.domid);
		return 1;
	}
	if (info.store_mfn == BH_NO_STORE && !force) {
		fprintf(stderr, "bh: %s: domain %u has no PV control interface (no xenstore); "
				"use -F to force it\n", what, req.domid);
		return 1;
	}
	if (force) {
		req.timeout_ms = 0;
	} else {
		char path[96];
		int xs = xs_open(NULL);

		if (xs < 0) {
			fprintf(stderr, "bh: %s: cannot reach xenstored at %s: %s\n", what,
				xs_socket_path(NULL), strerror(-xs));
			return 1;
		}
		snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", req.domid);
		rc = xs_write(xs, path, reboot ? "reboot" : "poweroff");
		close(xs);
		if (rc) {
			fprintf(stderr, "bh: %s: writing %s: %s\n", what, path, strerror(-rc));
			return 1;
		}
	}
	/* bulkhead forces it if the guest has not obeyed by then. */
	rc = ctl_call(fd, BH_CTL_DOMAIN_SHUTDOWN, &req, sizeof(req), &out, &len);
	/* A guest watching control/shutdown may have obeyed the write already. */
	if (!force && (rc == -ESRCH || rc == -EALREADY)) {
		free(out);
		rc = 0;
	}
	if (rc == -EALREADY) {
		fprintf(stderr, "bh: %s: domain %u is already shut down\n", what, req.domid);
		free(out);
		return 1;
	}
	if (rc)
		return refused(what, rc, out, len);
	if (!wait)
		return 0;
	fprintf(stderr, "Waiting for domain %s (%u) to die\n", info.name, req.domid);
	for (;;) {
		rc = get_info(fd, req.domid, &info);
		if (rc == -ESRCH)
			break;
		if (rc)
			return refused(what, rc, NULL, 0);
		if (info.state == BH_DOMSTATE_SHUTDOWN || info.state == BH_DOMSTATE_CRASHED)
			break; /* on_poweroff="preserve": it stays, shut down */
		sleep_ms(20);
	}
	fprintf(stderr, "Domain %u has been shut down\n", req.domid);
	return 0;
}

int cmd_shutdown(int fd, int argc, char **argv)
{
	return shutdown_common(fd, argc, argv, false);
}

int cmd_reboot(int fd, int argc, char **argv)
{
	return shutdown_common(fd, argc, argv, true);
}

/* ---- console --------------------------------------------------------------------- */

/* Print the console from the oldest byte kept; follow it until the domain is gone. */
static int console_follow(int fd, uint32_t domid, bool history_only)
{
	struct bh_ctl_console_read req = { .domid = domid, .max = BH_CONSOLE_HISTORY };
	struct bh_ctl_console_data hdr;

	for (;;) {
		uint8_t *out;
		size_t len;
		int rc = ctl_call(fd, BH_CTL_CONSOLE_READ, &req, sizeof(req), &out, &len);

		if (rc == -ESRCH)
			return 0; /* gone: the stream is over */
		if (rc)
			return refused("console", rc, out, len);
		if (len < sizeof(hdr)) {
			free(out);
			return refused("console", -EPROTO, NULL, 0);
		}
		memcpy(&hdr, out, sizeof(hdr));
		if (hdr.offset > req.offset && req.offset)
			fprintf(stdout, "\n[bh: %llu bytes of console lost]\n",
				(unsigned long long)(hdr.offset - req.offset));
		fwrite(out + sizeof(hdr), 1, len - sizeof(hdr), stdout);
		fflush(stdout);
		req.offset = hdr.offset + (len - sizeof(hdr));
		free(out);
		if (history_only && req.offset >= hdr.end)
			return 0;
		if (req.offset >= hdr.end) {
			if (hdr.state == BH_DOMSTATE_SHUTDOWN || hdr.state == BH_DOMSTATE_CRASHED)
				return 0;
			sleep_ms(50);
		}
	}
}

int cmd_console(int fd, int argc, char **argv)
{
	bool once = false;
	int64_t id;

	if (argc == 2 && !strcmp(argv[0], "-n")) {
		once = true;
		argc--;
		argv++;
	}
	if (argc != 1)
		return 2;
	id = resolve(fd, argv[0]);
	if (id < 0)
		return 1;
	return console_follow(fd, id, once);
}
