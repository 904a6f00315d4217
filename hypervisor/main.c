/*
 * bulkhead: the hypervisor process. It owns /dev/kvm, builds the boot
 * domains named on its command line, and runs until the last one is gone.
 *
 * The main thread owns the domain list. It waits (epoll) on vCPU timers,
 * on domain state changes signalled by vCPU threads, and on SIGINT/SIGTERM,
 * and it is the only thread that creates or frees a domain.
 */
#include <stdint.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <xen/sched.h>

#include "console.h"
#include "control.h"
#include "domain.h"
#include "domctl.h"
#include "flask.h"
#include "hardening.h"
#include "log.h"
#include "measure.h"
#include "seccomp_bulkhead.h"
#include "pvclock.h"
#include "vcpu.h"
#include "xlcfg.h"
#include "xsm.h"

#define EV_SIGNAL 1
#define EV_DOMAIN 2
#define EV_JOB 3
#define MAX_BOOT_DOMAINS 256

static int epfd = -1;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bulkhead [OPTIONS] [--domain FILE ...]\n"
		"\n"
		"Boot the domains described by xl.cfg-format FILEs on KVM and run\n"
		"until the last of them is gone; without any, or with --daemon, serve\n"
		"the control socket (bh create ...) until SIGTERM.\n"
		"\n"
		"  -d, --domain FILE   boot a domain from FILE (repeatable)\n"
		"  -D, --daemon        keep running when no domain is left\n"
		"  -c, --console       copy each domain's console to stdout, prefixed\n"
		"                      by its name\n"
		"  -l, --log-dir DIR   write guest-NAME.log console logs into DIR\n"
		"                      (default /var/log/bulkhead)\n"
		"  -p, --policy FILE   the binary Flask policy (checkpolicy -t Xen); default\n"
		"                      $BULKHEAD_POLICY, /etc/bulkhead/bulkhead.pol, or\n"
		"                      build/policy/bulkhead.pol next to this binary\n"
		"      --flask MODE    enforcing (default), permissive (log denials,\n"
		"                      deny nothing), or disabled (development only)\n"
		"      --avc-slots N   access vector cache entries (default %u)\n"
		"  -s, --socket PATH   the control socket (default $BULKHEAD_SOCKET, else\n"
		"                      %s)\n"
		"      --tpm TCTI      measure into this TPM (a tpm2-tss TCTI string, e.g.\n"
		"                      swtpm:path=/run/swtpm.sock), or none; default\n"
		"                      device:/dev/tpmrm0, required when it is absent\n"
		"      --tpm-log PATH  the TCG event log (default LOG_DIR/tcg-eventlog.bin)\n"
		"  -u, --user USER     after set-up, run as USER (a name, or UID[:GID]),\n"
		"                      keeping /dev/kvm and the control socket open\n"
		"      --seccomp MODE  on (default): confine bulkhead to its system-call\n"
		"                      allow-list; off: development and benchmarks only\n"
		"      --print-seccomp print the allow-list and the filter, and exit\n"
		"      --service PATH=CONTEXT\n"
		"                      also listen on PATH; its connections get CONTEXT\n"
		"                      (e.g. xenstored's: ...:xenstore_t; repeatable)\n"
		"      --control-label UID=CONTEXT\n"
		"                      the Flask label of control connections from UID\n"
		"                      (repeatable; root is dom0 unless set)\n"
		"  -v, --verbose       log debug messages\n"
		"  -h, --help          show this help\n", AVC_SLOTS_DEFAULT, control_default_path());
}

static int main_loop(int sigfd, bool daemon)
{
	struct epoll_event ev[64];

	while (daemon || domctl_have_domains()) {
		bool domain_event = false, jobs = false;
		int n = epoll_wait(epfd, ev, 64, domctl_next_deadline_ms()), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == EV_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
					log_info("%s: destroying all domains", strsignal(si.ssi_signo));
					domctl_destroy_all();
					return 0;
				}
			} else if (ev[i].data.u64 == EV_DOMAIN) {
				uint64_t cnt;

				if (read(domain_event_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
					log_warn("domain event: %s", strerror(errno));
				domain_event = true;
			} else if (ev[i].data.u64 == EV_JOB) {
				jobs = true;
			} else {
				vcpu_timer_expired(ev[i].data.ptr);
			}
		}
		/* After the timers: reaping frees vCPUs that this batch may name. */
		if (domain_event)
			domctl_reap();
		domctl_check_deadlines();
		if (jobs)
			domctl_run_jobs();
	}
	return 0;
}

/* Measured boot's hook for the Flask policy, at start and on every reload. */
static int measure_policy(const void *data, size_t len, bool reload, char *err, size_t errlen)
{
	return measure(MEASURE_PCR_POLICY, reload ? "flask:policy-reload" : "flask:policy", data,
		       len, err, errlen);
}

/*
 * Open the TPM (or not, with --tpm=none) and measure bulkhead itself before
 * anything else: its binary and its command line.
 */
static int measure_start(const char *tpm, const char *log_path, char *buf, size_t buflen,
			 int argc, char **argv)
{
	char err[512], cmd[8192];
	size_t off = 0;

	if (!tpm) {
		if (access("/dev/tpmrm0", R_OK | W_OK)) {
			log_err("measure: no TPM (/dev/tpmrm0). Give --tpm TCTI (for example "
				"swtpm:path=SOCKET), or --tpm=none to run unmeasured");
			return -1;
		}
		tpm = "device:/dev/tpmrm0";
	}
	if (!strcmp(tpm, "none")) {
		log_warn("measure: off (--tpm=none): nothing is measured, bh attest has nothing to quote");
		return 0;
	}
	if (!log_path) {
		if (make_dirs(bh_settings.log_dir)) {
			log_err("measure: %s: %s", bh_settings.log_dir, strerror(errno));
			return -1;
		}
		snprintf(buf, buflen, "%s/tcg-eventlog.bin", bh_settings.log_dir);
		log_path = buf;
	}
	if (measure_init(tpm, log_path, err, sizeof(err))) {
		log_err("measure: %s", err);
		return -1;
	}
	/* The command line with NUL separators, exactly as exec gave it. */
	for (int i = 0; i < argc && off < sizeof(cmd); i++) {
		size_t n = strlen(argv[i]) + 1;

		if (n > sizeof(cmd) - off)
			n = sizeof(cmd) - off;
		memcpy(cmd + off, argv[i], n);
		off += n;
	}
	if (measure_file(MEASURE_PCR_BULKHEAD, "bulkhead:binary", "/proc/self/exe", err,
			 sizeof(err)) ||
	    measure(MEASURE_PCR_BULKHEAD, "bulkhead:cmdline", cmd, off, err, sizeof(err))) {
		log_err("measure: %s", err);
		return -1;
	}
	flask_set_measure_hook(measure_policy);
	return 0;
}

/* --user: a name, or UID[:GID]. */
static int parse_user(const char *s, struct harden_opts *o)
{
	struct passwd *pw = getpwnam(s);
	char *end;
	unsigned long uid, gid;

	if (pw) {
		o->uid = pw->pw_uid;
		o->gid = pw->pw_gid;
		o->set_ids = true;
		return 0;
	}
	errno = 0;
	uid = strtoul(s, &end, 10);
	if (errno || end == s || uid >= UINT32_MAX)
		return -1;
	gid = uid;
	if (*end == ':') {
		const char *g = end + 1;

		gid = strtoul(g, &end, 10);
		if (errno || end == g || gid >= UINT32_MAX)
			return -1;
	}
	if (*end)
		return -1;
	o->uid = uid;
	o->gid = gid;
	o->set_ids = true;
	return 0;
}

#ifdef BH_TEST_TRIGGERS
/*
 * The test build only (build/bin/bulkhead-test): make one forbidden call
 * after start-up, named by $BULKHEAD_TEST_FORBIDDEN, so that a test can see
 * the filter kill bulkhead and log the call. The release build lacks it.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>

static void test_forbidden_call(void)
{
	const char *what = getenv("BULKHEAD_TEST_FORBIDDEN");
	char *const argv[] = { "true", NULL };
	struct termios t;

	if (!what || !what[0])
		return;
	log_info("test: making the forbidden call '%s'", what);
	if (!strcmp(what, "execve"))
		execve("/bin/true", argv, NULL);
	else if (!strcmp(what, "socket"))
		socket(AF_INET, SOCK_STREAM, 0);
	else if (!strcmp(what, "ptrace"))
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (!strcmp(what, "mmap-exec"))
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else if (!strcmp(what, "ioctl"))
		tcgetattr(0, &t); /* TCGETS: not a KVM request */
	else if (!strcmp(what, "mount"))
		mount("none", "/tmp", "tmpfs", 0, NULL);
	else if (!strcmp(what, "bpf"))
		syscall(SYS_bpf, 0, NULL, 0);
	else if (!strcmp(what, "keyctl"))
		syscall(SYS_keyctl, 0, 0, 0, 0, 0);
	log_err("test: the forbidden call '%s' returned", what);
}
#endif

/* The first policy file that exists, in the order usage() gives. */
static const char *default_policy(void)
{
	static char buf[4096 + 64];
	static const char *const rel[] = { "/../policy/bulkhead.pol", "/../../policy/bulkhead.pol" };
	const char *env = getenv("BULKHEAD_POLICY");
	char exe[4096];
	ssize_t n;

	if (env && env[0])
		return env;
	if (access("/etc/bulkhead/bulkhead.pol", R_OK) == 0)
		return "/etc/bulkhead/bulkhead.pol";
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", exe, rel[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

static int flask_start(enum flask_mode mode, const char *policy, uint32_t slots)
{
	char err[512];

	if (flask_init(mode, slots)) {
		log_err("flask: out of memory for the AVC");
		return -1;
	}
	flask_set_labels_hook(xsm_domain_labels);
	if (mode == FLASK_DISABLED) {
		log_warn("**************************************************************");
		log_warn("* FLASK IS DISABLED: no hypercall or control operation is    *");
		log_warn("* checked. Any domain may do anything. Development only.     *");
		log_warn("**************************************************************");
		if (!policy)
			return 0;
	}
	if (!policy)
		policy = default_policy();
	if (!policy) {
		log_err("flask: no policy. Build one with 'make policy' (it writes "
			"build/policy/bulkhead.pol) and pass --policy FILE; see "
			"docs/policy-guide.md");
		return -1;
	}
	if (flask_load_file(policy, err, sizeof(err))) {
		log_err("flask: %s", err);
		return -1;
	}
	log_info("flask: %s, policy %s (version %u)",
		 mode == FLASK_ENFORCING ? "enforcing" : mode == FLASK_PERMISSIVE ? "permissive" : "disabled",
		 policy, ss_policyvers());
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "console", no_argument, NULL, 'c' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "policy", required_argument, NULL, 'p' },
		{ "flask", required_argument, NULL, 'F' },
		{ "avc-slots", required_argument, NULL, 'A' },
		{ "socket", required_argument, NULL, 's' },
		{ "control-label", required_argument, NULL, 'L' },
		{ "user", required_argument, NULL, 'u' },
		{ "seccomp", required_argument, NULL, 'S' },
		{ "print-seccomp", no_argument, NULL, 'P' },
		{ "tpm", required_argument, NULL, 'T' },
		{ "tpm-log", required_argument, NULL, 'E' },
		{ "daemon", no_argument, NULL, 'D' },
		{ "service", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct xlcfg cfgs[MAX_BOOT_DOMAINS];
	const char *paths[MAX_BOOT_DOMAINS];
	struct epoll_event ev;
	enum bh_log_level level = BH_LOG_INFO;
	unsigned int ncfg = 0, i, j, started = 0;
	char err[1024];
	sigset_t sigs;
	int c, sigfd, rc = 0;
	enum flask_mode fmode = FLASK_ENFORCING;
	const char *policy = NULL;
	uint32_t avc_slots = AVC_SLOTS_DEFAULT;
	const char *sock = getenv("BULKHEAD_SOCKET");
	bool sock_explicit = sock && sock[0], daemon = false;
	char *end;
	struct harden_opts hopts = { .seccomp = true, .max_files = 65536 };
	static char stdout_buf[8192];
	const char *tpm = NULL, *tpm_log = NULL;
	static char tpm_log_buf[4200];

	while ((c = getopt_long(argc, argv, "d:cl:vhp:s:u:D", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (ncfg == MAX_BOOT_DOMAINS) {
				fprintf(stderr, "bulkhead: at most %d --domain options\n",
					MAX_BOOT_DOMAINS);
				return 2;
			}
			paths[ncfg++] = optarg;
			break;
		case 'c':
			bh_settings.console_stdout = true;
			break;
		case 'l':
			bh_settings.log_dir = optarg;
			break;
		case 'v':
			level = BH_LOG_DEBUG;
			break;
		case 'p':
			policy = optarg;
			break;
		case 's':
			sock = optarg;
			sock_explicit = true;
			break;
		case 'u':
			if (parse_user(optarg, &hopts)) {
				fprintf(stderr, "bulkhead: --user: no such user '%s'\n", optarg);
				return 2;
			}
			break;
		case 'S':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr, "bulkhead: --seccomp takes on or off\n");
				return 2;
			}
			hopts.seccomp = !strcmp(optarg, "on");
			break;
		case 'P':
			if (seccomp_print(&seccomp_bulkhead, stdout))
				return 1;
			printf("# added only with a socket TPM (--tpm swtpm:... or mssim:...)\n");
			for (size_t k = 0; k < seccomp_bulkhead_swtpm.nr_calls; k++)
				printf("+%-23s %s\n", seccomp_bulkhead_swtpm.calls[k].name,
				       seccomp_bulkhead_swtpm.calls[k].why);
			return 0;
		case 'T':
			tpm = optarg;
			break;
		case 'E':
			tpm_log = optarg;
			break;
		case 'L':
			if (control_add_label(optarg, err, sizeof(err))) {
				fprintf(stderr, "bulkhead: %s\n", err);
				return 2;
			}
			break;
		case 'F':
			if (!strcmp(optarg, "enforcing")) {
				fmode = FLASK_ENFORCING;
			} else if (!strcmp(optarg, "permissive")) {
				fmode = FLASK_PERMISSIVE;
			} else if (!strcmp(optarg, "disabled")) {
				fmode = FLASK_DISABLED;
			} else {
				fprintf(stderr, "bulkhead: --flask takes enforcing, permissive or disabled\n");
				return 2;
			}
			break;
		case 'A':
			errno = 0;
			avc_slots = strtoul(optarg, &end, 0);
			if (errno || *end || avc_slots == 0 || avc_slots > AVC_SLOTS_MAX) {
				fprintf(stderr, "bulkhead: --avc-slots takes 1..%u\n", AVC_SLOTS_MAX);
				return 2;
			}
			break;
		case 'D':
			daemon = true;
			break;
		case 'V':
			if (control_add_service_socket(optarg, err, sizeof(err))) {
				fprintf(stderr, "bulkhead: %s\n", err);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bulkhead: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Without boot domains, or with --daemon, it serves until SIGTERM. */
	if (!ncfg)
		daemon = true;
	bh_log_init("bulkhead", level);
	/* Our own buffer: stdio must not probe or allocate after the filter is on. */
	setvbuf(stdout, stdout_buf, _IOLBF, sizeof(stdout_buf));

	/* Every config is checked before anything boots. */
	for (i = 0; i < ncfg; i++) {
		if (xlcfg_parse_file(paths[i], &cfgs[i], err, sizeof(err))) {
			log_err("%s", err);
			return 2;
		}
		if (cfgs[i].warning[0])
			log_warn("%s", cfgs[i].warning);
		for (j = 0; j < i; j++) {
			if (!strcmp(cfgs[i].name, cfgs[j].name)) {
				log_err("%s: domain name '%s' is already used by %s", paths[i],
					cfgs[i].name, paths[j]);
				return 2;
			}
		}
	}

	if (measure_start(tpm, tpm_log, tpm_log_buf, sizeof(tpm_log_buf), argc, argv))
		return 2;
	if (flask_start(fmode, policy, avc_slots))
		return 2;

	if (kvm_init(err, sizeof(err))) {
		log_err("%s", err);
		return 1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (vcpu_signals_init()) {
		log_err("sigaction: %s", strerror(errno));
		return 1;
	}
	/* After the mask: its threads must not take SIGINT/SIGTERM. */
	if (!sock_explicit)
		sock = control_default_path();
	if (control_listen(sock, err, sizeof(err))) {
		if (sock_explicit) {
			log_err("control: %s", err);
			return 2;
		}
		log_warn("control: %s; running without a control socket", err);
	}
	if (control_listen_services(err, sizeof(err))) {
		log_err("control: %s", err);
		return 2;
	}
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sigfd < 0 || epfd < 0) {
		log_err("signalfd/epoll: %s", strerror(errno));
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.u64 = EV_SIGNAL;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev);
	ev.data.u64 = EV_DOMAIN;
	epoll_ctl(epfd, EPOLL_CTL_ADD, domain_event_fd, &ev);
	if (domctl_init(epfd, EV_JOB, err, sizeof(err))) {
		log_err("%s", err);
		return 1;
	}

	/* Set-up is done: from here on, only what the allow-list names. */
	{
		int keep[32] = { kvm_fd, domain_event_fd, sigfd, epfd, domctl_job_fd() }, n = 5;

		n += control_fds(keep + n, 32 - n);
		hopts.keep_fds = keep;
		hopts.nr_keep_fds = n + measure_fds(keep + n, 32 - n);
		if (tpm && (!strncmp(tpm, "swtpm", 5) || !strncmp(tpm, "mssim", 5)))
			hopts.extra = &seccomp_bulkhead_swtpm;
		if (!hopts.seccomp)
			log_warn("seccomp is OFF (--seccomp=off): development and benchmarks only");
		if (harden(&seccomp_bulkhead, &hopts, err, sizeof(err))) {
			log_err("hardening: %s", err);
			return 1;
		}
	}
	if (control_serve(err, sizeof(err))) {
		log_err("control: %s", err);
		return 1;
	}
	if (control_fd() >= 0)
		log_info("control: listening on %s", sock);

	for (i = 0; i < ncfg; i++) {
		if (domctl_boot(&cfgs[i], paths[i]))
			rc = 1;
		else
			started++;
	}
	if (ncfg && !started && !daemon) {
		log_err("no domain could be started");
		return 1;
	}
#ifdef BH_TEST_TRIGGERS
	test_forbidden_call();
#endif
	if (main_loop(sigfd, daemon))
		rc = 1;
	control_stop();
	log_info("all domains gone, exiting");
	return rc;
}
