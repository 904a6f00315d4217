/* Confinement of host processes. See hardening.h and docs/hardening.md. */
#include "hardening.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SYS_NAMES 512

/* Filled before the filter is installed: the SIGSYS handler may not allocate. */
static const char *sys_names[SYS_NAMES];
static const char *proc_name = "host process";

static size_t put(char *buf, size_t off, size_t size, const char *s)
{
	while (*s && off + 1 < size)
		buf[off++] = *s++;
	return off;
}

static size_t put_int(char *buf, size_t off, size_t size, long v)
{
	char tmp[24];
	int n = 0;

	if (v < 0) {
		off = put(buf, off, size, "-");
		v = -v;
	}
	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v && n < (int)sizeof(tmp));
	while (n && off + 1 < size)
		buf[off++] = tmp[--n];
	return off;
}

/*
 * A call outside the list: say which, then die of SIGSYS for real (the
 * default action), so that a parent sees the signal. Only async-signal-safe
 * calls, all of them on the list.
 */
static void sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[256];
	size_t off = 0;
	int nr = si->si_syscall;
	struct sigaction sa;
	sigset_t set;

	(void)uc;
	off = put(line, off, sizeof(line), proc_name);
	off = put(line, off, sizeof(line), ": seccomp: forbidden system call ");
	off = put(line, off, sizeof(line),
		  nr >= 0 && nr < SYS_NAMES && sys_names[nr] ? sys_names[nr] : "?");
	off = put(line, off, sizeof(line), " (");
	off = put_int(line, off, sizeof(line), nr);
	off = put(line, off, sizeof(line), "); killing the process\n");
	if (write(2, line, off) < 0) {
		/* nothing more to do about it */
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
	_exit(128 + sig);
}

static int close_stray_fds(const struct harden_opts *o, char *err, size_t errlen)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int *stray = NULL;
	size_t n = 0, cap = 0;

	if (!d) {
		snprintf(err, errlen, "/proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		bool keep = *end || fd <= 2 || fd == dirfd(d);

		for (size_t i = 0; !keep && i < o->nr_keep_fds; i++)
			keep = o->keep_fds[i] == fd;
		if (keep)
			continue;
		if (n == cap) {
			int *ns = realloc(stray, (cap = cap ? cap * 2 : 16) * sizeof(*stray));

			if (!ns) {
				free(stray);
				closedir(d);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			stray = ns;
		}
		stray[n++] = (int)fd;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		close(stray[i]);
	free(stray);
	return 0;
}

static int set_limits(const struct harden_opts *o, char *err, size_t errlen)
{
	struct rlimit none = { 0, 0 }, files;

	/* A core dump would hold guest memory. */
	if (setrlimit(RLIMIT_CORE, &none)) {
		snprintf(err, errlen, "setrlimit(RLIMIT_CORE): %s", strerror(errno));
		return -1;
	}
	if (o->max_files && getrlimit(RLIMIT_NOFILE, &files) == 0) {
		if (files.rlim_max > o->max_files)
			files.rlim_max = o->max_files;
		if (files.rlim_cur > files.rlim_max)
			files.rlim_cur = files.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &files)) {
			snprintf(err, errlen, "setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int drop_privileges(const struct harden_opts *o, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	bool can_setpcap;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &h, data)) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	can_setpcap = data[0].effective & (1u << CAP_SETPCAP);
	/* The bounding set first: it needs CAP_SETPCAP, which goes below. */
	for (int cap = 0; can_setpcap && cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			snprintf(err, errlen, "dropping capability %d: %s", cap, strerror(errno));
			return -1;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (o->set_ids) {
		if (setgroups(0, NULL) || setresgid(o->gid, o->gid, o->gid) ||
		    setresuid(o->uid, o->uid, o->uid)) {
			snprintf(err, errlen, "switching to uid %u gid %u: %s", (unsigned)o->uid,
				 (unsigned)o->gid, strerror(errno));
			return -1;
		}
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &h, data)) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int add_table(scmp_filter_ctx ctx, const struct seccomp_table *t, char *err,
		     size_t errlen);

/* Build the filter for table t (and extra); NULL with a message on failure. */
static scmp_filter_ctx build_filter(const struct seccomp_table *t,
				    const struct seccomp_table *extra, char *err, size_t errlen)
{
	/*
	 * BULKHEAD_SECCOMP_LOG=1 (for whoever extends a list): let every call
	 * through and have the kernel log those outside the list (dmesg,
	 * "audit: type=1326 ... syscall=N").
	 */
	const char *log_only = getenv("BULKHEAD_SECCOMP_LOG");
	scmp_filter_ctx ctx = seccomp_init(log_only && !strcmp(log_only, "1") ? SCMP_ACT_LOG
									   : SCMP_ACT_TRAP);

	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return NULL;
	}
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (add_table(ctx, t, err, errlen) || (extra && add_table(ctx, extra, err, errlen))) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int add_table(scmp_filter_ctx ctx, const struct seccomp_table *t, char *err,
		     size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < t->nr_calls && rc == 0; i++) {
		const struct seccomp_entry *e = &t->calls[i];
		int nr = seccomp_syscall_resolve_name(e->name);

		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "seccomp: unknown system call '%s' in %s's list",
				 e->name, t->process);
			rc = -1;
			break;
		}
		if (nr < 0)
			continue; /* not on this architecture */
		switch (e->rule) {
		case SC_ANY:
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
			break;
		case SC_IOCTL_LISTED:
			for (size_t k = 0; k < t->nr_ioctls && rc == 0; k++)
				rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
						      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
							      t->ioctls[k]));
			break;
		case SC_NO_EXEC:
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
			break;
		case SC_UNIX_ONLY:
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					      SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
			break;
		}
		if (rc)
			snprintf(err, errlen, "seccomp: rule for %s: %s", e->name, strerror(-rc));
	}
	return rc ? -1 : 0;
}

int harden(const struct seccomp_table *t, const struct harden_opts *o, char *err,
	   size_t errlen)
{
	scmp_filter_ctx ctx = NULL;
	struct sigaction sa;
	int rc;

	proc_name = t->process;
	if (close_stray_fds(o, err, errlen) || set_limits(o, err, errlen) ||
	    drop_privileges(o, err, errlen))
		return -1;
	if (!o->seccomp)
		return 0;
	for (int nr = 0; nr < SYS_NAMES; nr++)
		sys_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL)) {
		snprintf(err, errlen, "sigaction(SIGSYS): %s", strerror(errno));
		return -1;
	}
	ctx = build_filter(t, o->extra, err, errlen);
	if (!ctx)
		return -1;
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc) {
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

int seccomp_print(const struct seccomp_table *t, FILE *f)
{
	static const char *const rules[] = { [SC_ANY] = "any arguments",
					     [SC_IOCTL_LISTED] = "listed requests only",
					     [SC_NO_EXEC] = "without PROT_EXEC",
					     [SC_UNIX_ONLY] = "AF_UNIX only" };
	char err[256];
	scmp_filter_ctx ctx;

	fprintf(f, "# %s: seccomp allow-list (anything else kills the process)\n", t->process);
	for (size_t i = 0; i < t->nr_calls; i++)
		fprintf(f, "%-24s %-22s %s\n", t->calls[i].name, rules[t->calls[i].rule],
			t->calls[i].why);
	fprintf(f, "# ioctl requests allowed\n");
	for (size_t k = 0; k < t->nr_ioctls; k++)
		fprintf(f, "ioctl %-32s %#lx\n", t->ioctl_names[k], t->ioctls[k]);
	fprintf(f, "# the filter, as libseccomp builds it (PFC)\n");
	fflush(f);
	ctx = build_filter(t, NULL, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	seccomp_export_pfc(ctx, fileno(f));
	seccomp_release(ctx);
	return 0;
}
