/*
 * Confinement for Bulkhead's long-running host processes: a seccomp
 * allow-list, no_new_privs, no capabilities, an optional unprivileged uid,
 * no stray fds, and rlimits (docs/hardening.md).
 *
 * Each process keeps its allow-list as one table in its own source file
 * (hypervisor/seccomp_bulkhead.c for bulkhead) and calls harden() once,
 * after it has opened everything it keeps for life and before it starts
 * any thread of its own. A call outside the list kills the whole process
 * (every thread), after one log line that names the call.
 */
#ifndef BH_HARDENING_H
#define BH_HARDENING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum seccomp_arg_rule {
	SC_ANY,          /* any arguments */
	SC_IOCTL_LISTED, /* ioctl: only the request numbers in the table's ioctl list */
	SC_NO_EXEC,      /* mmap/mprotect: PROT_EXEC (argument 2) clear */
	SC_UNIX_ONLY,    /* socket: AF_UNIX (argument 0) only */
};

struct seccomp_entry {
	const char *name; /* the system call, as libseccomp names it */
	enum seccomp_arg_rule rule;
	const char *why;  /* what needs it: printed by --print-seccomp */
};

struct seccomp_table {
	const char *process;
	const struct seccomp_entry *calls;
	size_t nr_calls;
	const unsigned long *ioctls; /* for SC_IOCTL_LISTED */
	const char *const *ioctl_names;
	size_t nr_ioctls;
};

struct harden_opts {
	bool seccomp;            /* install the filter (off only for benchmarks and debugging) */
	uid_t uid;               /* switch to this uid/gid when set_ids */
	gid_t gid;
	bool set_ids;
	const int *keep_fds;     /* fds above 2 to keep open; every other one is closed */
	size_t nr_keep_fds;
	unsigned long max_files; /* RLIMIT_NOFILE cap */
	const struct seccomp_table *extra; /* more calls for this run's configuration, or NULL */
};

/*
 * Apply everything in order: close fds, rlimits, drop to uid/gid, drop
 * every capability (bounding set too), no_new_privs, then the filter on
 * every thread. 0, or -1 with a message in err (the process should exit).
 */
int harden(const struct seccomp_table *t, const struct harden_opts *o, char *err,
	   size_t errlen);

/* Print the table and the filter libseccomp builds from it (PFC). */
int seccomp_print(const struct seccomp_table *t, FILE *f);

#endif
