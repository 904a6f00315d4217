/*
 * bulkhead's seccomp allow-list: every system call it makes after
 * harden(), and why (docs/hardening.md explains how to extend it).
 *
 * After set-up bulkhead still creates and destroys domains (restart on
 * reboot, and later from the control socket), so building a domain is on
 * the list: opening its kernel and log files, a memfd for its RAM, KVM
 * VM and vCPU creation. Creating sockets, executing programs, tracing,
 * mounting, BPF and keys are not.
 */
#include <linux/kvm.h>
#include <stddef.h>

#include "seccomp_bulkhead.h"

static const struct seccomp_entry calls[] = {
	/* KVM and the vCPU loop */
	{ "ioctl", SC_IOCTL_LISTED, "KVM: the requests below, nothing else" },
	/* memory: guest RAM, grant maps, thread stacks, malloc */
	{ "mmap", SC_NO_EXEC, "guest RAM, grant maps, vCPU run areas, stacks, malloc" },
	{ "mprotect", SC_NO_EXEC, "thread stack guards, malloc" },
	{ "munmap", SC_ANY, "grant unmap, domain teardown, malloc" },
	{ "madvise", SC_ANY, "malloc and thread exit give memory back" },
	{ "brk", SC_ANY, "malloc" },
	{ "memfd_create", SC_ANY, "a new domain's RAM" },
	{ "ftruncate", SC_ANY, "sizing a new domain's RAM" },
	/* files: a new domain's kernel, ramdisk and console log */
	{ "openat", SC_ANY, "a domain's kernel and ramdisk (read), its console log (append)" },
	{ "mkdir", SC_ANY, "the console log directory" },
	{ "newfstatat", SC_ANY, "image sizes, stdio" },
	{ "fstat", SC_ANY, "image sizes, stdio" },
	{ "lseek", SC_ANY, "stdio" },
	{ "read", SC_ANY, "images, timerfds, eventfd, signalfd, the control socket" },
	{ "pread64", SC_ANY, "images" },
	{ "write", SC_ANY, "logs, console logs, eventfd, the control socket" },
	{ "writev", SC_ANY, "stdio" },
	{ "close", SC_ANY, "everything above" },
	{ "fcntl", SC_ANY, "file flags" },
	{ "unlink", SC_ANY, "the control socket at exit" },
	/* the control socket: serve connections already listened for */
	{ "accept4", SC_ANY, "new control connections" },
	{ "sendto", SC_ANY, "control replies" },
	{ "recvfrom", SC_ANY, "control requests" },
	{ "recvmsg", SC_ANY, "control requests that carry an arena's memfd (SCM_RIGHTS)" },
	{ "poll", SC_ANY, "a control connection waits for requests and service events" },
	{ "eventfd2", SC_ANY, "a host service's event notifier" },
	{ "sysinfo", SC_ANY, "bh info: host memory" },
	{ "getsockopt", SC_ANY, "SO_PEERCRED: a connection's uid, for its Flask label" },
	{ "setsockopt", SC_ANY, "per-connection timeouts" },
	{ "shutdown", SC_ANY, "stopping the listener at exit" },
	/* threads, timers and waiting */
	{ "clone", SC_ANY, "vCPU and control threads (glibc)" },
	{ "clone3", SC_ANY, "vCPU and control threads (glibc)" },
	{ "set_robust_list", SC_ANY, "new threads" },
	{ "rseq", SC_ANY, "new threads" },
	{ "futex", SC_ANY, "locks, condition variables" },
	{ "exit", SC_ANY, "a thread ends" },
	{ "exit_group", SC_ANY, "bulkhead ends" },
	{ "sched_yield", SC_ANY, "SCHEDOP_yield" },
	{ "epoll_wait", SC_ANY, "the main loop" },
	{ "epoll_ctl", SC_ANY, "watching vCPU timers" },
	{ "timerfd_create", SC_ANY, "a new vCPU's timer" },
	{ "timerfd_settime", SC_ANY, "set_timer_op, single-shot timers" },
	{ "timerfd_gettime", SC_ANY, "timers" },
	{ "clock_gettime", SC_ANY, "time (when the vDSO cannot answer)" },
	{ "clock_nanosleep", SC_ANY, "short waits" },
	{ "nanosleep", SC_ANY, "short waits" },
	{ "restart_syscall", SC_ANY, "a wait above, interrupted by a signal, resumes" },
	/* signals: vCPU kicks and the SIGSYS report */
	{ "rt_sigprocmask", SC_ANY, "vCPU kicks, thread creation" },
	{ "rt_sigaction", SC_ANY, "the SIGSYS report" },
	{ "rt_sigreturn", SC_ANY, "the vCPU kick handler returns" },
	{ "tgkill", SC_ANY, "kicking a vCPU thread (pthread_kill)" },
	{ "getpid", SC_ANY, "pthread_kill, logs" },
	{ "gettid", SC_ANY, "the SIGSYS report" },
	{ "getrandom", SC_ANY, "malloc's per-thread state" },
	{ "sched_getaffinity", SC_ANY, "glibc, new threads" },
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * The ASan+UBSan test build only: LeakSanitizer stops the world with
	 * a traced helper thread at exit, and the runtime reads its maps.
	 */
	{ "ptrace", SC_ANY, "sanitizer build: LeakSanitizer at exit" },
	{ "wait4", SC_ANY, "sanitizer build: LeakSanitizer at exit" },
	{ "prctl", SC_ANY, "sanitizer build: LeakSanitizer at exit" },
	{ "sigaltstack", SC_ANY, "sanitizer build: its signal stacks" },
	{ "getdents64", SC_ANY, "sanitizer build: LeakSanitizer lists threads" },
	{ "getdents", SC_ANY, "sanitizer build: LeakSanitizer lists threads" },
	{ "open", SC_ANY, "sanitizer build: the runtime reads /proc/self" },
	{ "readlink", SC_ANY, "sanitizer build: symbolizing reports" },
	{ "getppid", SC_ANY, "sanitizer build: LeakSanitizer" },
	{ "sched_getparam", SC_ANY, "sanitizer build" },
	{ "kill", SC_ANY, "sanitizer build: LeakSanitizer" },
	{ "pipe2", SC_ANY, "sanitizer build: LeakSanitizer" },
#endif
};

#define IOCTL(x) x
#define NAMED(x) #x
#define KVM_IOCTLS(X)                                                               \
	X(KVM_GET_API_VERSION), X(KVM_CHECK_EXTENSION), X(KVM_GET_VCPU_MMAP_SIZE),   \
	X(KVM_GET_SUPPORTED_CPUID), X(KVM_CREATE_VM), X(KVM_CREATE_IRQCHIP),         \
	X(KVM_SET_TSS_ADDR), X(KVM_ENABLE_CAP), X(KVM_SET_USER_MEMORY_REGION),       \
	X(KVM_SIGNAL_MSI), X(KVM_CREATE_VCPU), X(KVM_RUN), X(KVM_GET_REGS),          \
	X(KVM_SET_REGS), X(KVM_GET_SREGS), X(KVM_SET_SREGS), X(KVM_GET_MSRS),        \
	X(KVM_SET_CPUID2), X(KVM_SET_MP_STATE), X(KVM_GET_TSC_KHZ)

static const unsigned long ioctls[] = { KVM_IOCTLS(IOCTL) };
static const char *const ioctl_names[] = { KVM_IOCTLS(NAMED) };

/*
 * Only with a software TPM (--tpm swtpm:... or mssim:...): tpm2-tss's
 * socket TCTIs connect anew for every TPM command. Unix sockets only; a
 * real TPM (/dev/tpmrm0) needs none of this.
 */
static const struct seccomp_entry swtpm_calls[] = {
	{ "socket", SC_UNIX_ONLY, "software TPM: a connection per TPM command" },
	{ "connect", SC_ANY, "software TPM: a connection per TPM command" },
};

const struct seccomp_table seccomp_bulkhead_swtpm = {
	.process = "bulkhead",
	.calls = swtpm_calls,
	.nr_calls = sizeof(swtpm_calls) / sizeof(swtpm_calls[0]),
};

const struct seccomp_table seccomp_bulkhead = {
	.process = "bulkhead",
	.calls = calls,
	.nr_calls = sizeof(calls) / sizeof(calls[0]),
	.ioctls = ioctls,
	.ioctl_names = ioctl_names,
	.nr_ioctls = sizeof(ioctls) / sizeof(ioctls[0]),
};
