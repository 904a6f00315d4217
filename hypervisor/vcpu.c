#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <xen/arch-x86/cpuid.h>

#include <bulkhead/abi.h>

#include "hypercall.h"
#include "log.h"
#include "pvclock.h"
#include "x86.h"

#define KICK_SIGNAL SIGUSR1
#define CPUID_MAX_ENTRIES 256

static __thread struct kvm_run *volatile tls_run;
static struct kvm_cpuid2 *supported_cpuid;
static int run_mmap_size;
static bool tsc_scale_ready; /* main thread only */

static void kick_handler(int sig)
{
	(void)sig;
	if (tls_run)
		tls_run->immediate_exit = 1;
}

int vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	return sigaction(KICK_SIGNAL, &sa, NULL);
}

static int load_supported_cpuid(char *err, size_t errlen)
{
	if (supported_cpuid)
		return 0;
	supported_cpuid = calloc(1, sizeof(*supported_cpuid) +
				 CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!supported_cpuid) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	supported_cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, supported_cpuid) < 0) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(supported_cpuid);
		supported_cpuid = NULL;
		return -1;
	}
	run_mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_mmap_size <= 0) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void cpuid_add(struct kvm_cpuid2 *c, uint32_t fn, uint32_t a, uint32_t b,
		      uint32_t cx, uint32_t d)
{
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->eax = a;
	e->ebx = b;
	e->ecx = cx;
	e->edx = d;
}

/*
 * The host's CPUID as KVM offers it, with KVM's own paravirt leaves replaced
 * by Xen's (xen/arch-x86/cpuid.h), and this vCPU's APIC ID.
 */
static int vcpu_set_cpuid(struct vcpu *v)
{
	struct kvm_cpuid2 *c;
	uint32_t i;
	int rc;

	c = calloc(1, sizeof(*c) + (CPUID_MAX_ENTRIES + 8) * sizeof(c->entries[0]));
	if (!c)
		return -1;
	for (i = 0; i < supported_cpuid->nent; i++) {
		struct kvm_cpuid_entry2 e = supported_cpuid->entries[i];

		if (e.function >= 0x40000000 && e.function < 0x40010000)
			continue;
		if (e.function == 1) {
			e.ebx = (e.ebx & 0x00ffffff) | (v->id << 24);
			e.ecx |= 1u << 31; /* running under a hypervisor */
		}
		if (e.function == 0xb || e.function == 0x1f)
			e.edx = v->id;
		c->entries[c->nent++] = e;
	}
	cpuid_add(c, XEN_CPUID_LEAF(0), XEN_CPUID_LEAF(XEN_CPUID_MAX_NUM_LEAVES),
		  XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX);
	cpuid_add(c, XEN_CPUID_LEAF(1), (BH_XEN_MAJOR << 16) | BH_XEN_MINOR, 0, 0, 0);
	/* One hypercall page, at the MSR that Xen uses. */
	cpuid_add(c, XEN_CPUID_LEAF(2), 1, BH_HYPERCALL_MSR, 0, 0);
	cpuid_add(c, XEN_CPUID_LEAF(3), 0, 0, 0, 0);
	cpuid_add(c, XEN_CPUID_LEAF(4),
		  XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT |
			  XEN_HVM_CPUID_UPCALL_VECTOR,
		  v->id, v->d->id, 0);
	cpuid_add(c, XEN_CPUID_LEAF(5), 0, 0, 0, 0);
	rc = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	return rc;
}

void vcpu_init_locks(struct vcpu *v)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->time_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&v->wake, &ca);
	pthread_condattr_destroy(&ca);
}

int vcpu_create(struct domain *d, unsigned int id, char *err, size_t errlen)
{
	struct vcpu *v = &d->vcpu[id];

	if (load_supported_cpuid(err, errlen))
		return -1;
	v->d = d;
	v->id = id;
	vcpu_init_locks(v);
	v->fd = ioctl(d->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, run_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		snprintf(err, errlen, "mmap kvm_run: %s", strerror(errno));
		return -1;
	}
	if (vcpu_set_cpuid(v)) {
		snprintf(err, errlen, "KVM_SET_CPUID2: %s", strerror(errno));
		return -1;
	}
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (v->timer_fd < 0) {
		snprintf(err, errlen, "timerfd_create: %s", strerror(errno));
		return -1;
	}
	if (!tsc_scale_ready) {
		if (time_init(v->fd)) {
			snprintf(err, errlen, "cannot read the TSC frequency: %s", strerror(errno));
			return -1;
		}
		tsc_scale_ready = true;
	}
	if (vcpu_time_init(v)) {
		snprintf(err, errlen, "reading the guest TSC: %s", strerror(errno));
		return -1;
	}
	atomic_store(&v->vcpu_info, &d->shared_info_private->vcpu_info[id]);
	/* Hypercall exits read registers and paging state from kvm_run. */
	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	return 0;
}

static void seg_flat(struct kvm_segment *s, uint8_t type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->db = !code64;
	s->l = code64;
}

static void seg_system(struct kvm_segment *s, uint8_t type, uint32_t limit)
{
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->limit = limit;
	s->present = 1;
}

/* The PVH entry state (docs/misc/pvh.pandoc in Xen). */
int vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	seg_flat(&sregs.cs, 0xb, false);
	seg_flat(&sregs.ds, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	seg_system(&sregs.tr, 0xb, 0x67);
	seg_system(&sregs.ldt, 0x2, 0xffff);
	sregs.cr0 = CR0_PE | CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -1;
	regs.rip = entry;
	regs.rbx = start_info;
	regs.rflags = 0x2;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	v->initialised = true;
	return 0;
}

/* Load a VCPUOP_initialise context (validated there) on the vCPU's own thread. */
static int vcpu_load_ctx(struct vcpu *v)
{
	const struct vcpu_hvm_x86_64 *c = &v->init_ctx.cpu_regs.x86_64;
	/* With the in-kernel LAPIC, secondary vCPUs wait for INIT/SIPI: no longer. */
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	seg_flat(&sregs.cs, 0xb, true);
	seg_flat(&sregs.ds, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	seg_system(&sregs.tr, 0xb, 0x67);
	seg_system(&sregs.ldt, 0x2, 0xffff);
	sregs.cr0 = c->cr0;
	sregs.cr3 = c->cr3;
	sregs.cr4 = c->cr4;
	sregs.efer = c->efer;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -1;
	regs.rax = c->rax;
	regs.rcx = c->rcx;
	regs.rdx = c->rdx;
	regs.rbx = c->rbx;
	regs.rsp = c->rsp;
	regs.rbp = c->rbp;
	regs.rsi = c->rsi;
	regs.rdi = c->rdi;
	regs.rip = c->rip;
	regs.rflags = c->rflags | 0x2;
	return ioctl(v->fd, KVM_SET_REGS, &regs);
}

/* The hypercall MSR: fill the page the guest names (Xen: guest_wrmsr_xen). */
static bool wrmsr_hypercall_page(struct vcpu *v, uint64_t val)
{
	uint64_t gpa = val & ~(GUEST_PAGE_SIZE - 1);
	uint8_t *page;

	if (val & (GUEST_PAGE_SIZE - 1))
		return false; /* only page 0 exists */
	page = gpa_to_host(&v->d->ram, gpa, GUEST_PAGE_SIZE);
	if (!page)
		return false;
	hypercall_page_fill(page);
	return true;
}

static void handle_hypercall(struct vcpu *v)
{
	struct kvm_regs *r = &v->run->s.regs.regs;
	const struct kvm_sregs *s = &v->run->s.regs.sregs;
	int cpl = (s->cr0 & CR0_PE) ? (s->cs.selector & 3) : 0;
	uint64_t a[5] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8 };
	long rc;

	v->pg.cr0 = s->cr0;
	v->pg.cr3 = s->cr3;
	v->pg.cr4 = s->cr4;
	v->pg.efer = s->efer;
	/* Only the 64-bit convention is implemented (docs/abi.md). */
	if (!(s->efer & EFER_LMA) || !s->cs.l)
		rc = -XEN_ENOSYS;
	else
		rc = hypercall_dispatch(v, r->rax, a, cpl);
	r->rax = (uint64_t)rc;
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == BH_HYPERCALL_PORT &&
	    run->io.size == 4 && run->io.count == 1) {
		handle_hypercall(v);
		return;
	}
	if (run->io.port == BH_BASELINE_PORT)
		return;
	/* No devices: reads float high, writes are dropped, as on an empty bus. */
	if (run->io.direction == KVM_EXIT_IO_IN)
		memset(data, 0xff, (size_t)run->io.size * run->io.count);
}

/*
 * The architectural INIT state: real mode at f000:fff0. No domain starts
 * there (the PVH entry is 32-bit protected mode, and there is no BIOS); a
 * guest that puts itself there is reported as reset, which tells it nothing.
 */
static bool vcpu_in_reset_state(const struct kvm_sync_regs *s)
{
	return s->regs.rip == 0xfff0 && s->sregs.cs.selector == 0xf000 &&
	       !(s->sregs.cr0 & CR0_PE);
}

static void handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct domain *d = v->d;

	atomic_fetch_add_explicit(&v->exits, 1, memory_order_relaxed);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		break;
	case KVM_EXIT_X86_WRMSR:
		run->msr.error = !(run->msr.index == BH_HYPERCALL_MSR &&
				   wrmsr_hypercall_page(v, run->msr.data));
		break;
	case KVM_EXIT_X86_RDMSR:
		run->msr.error = 1;
		break;
	case KVM_EXIT_MMIO:
		/* Nothing is mapped there: reads float high, as on a bare bus. */
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		break;
	case KVM_EXIT_HLT:
		/* HLT with interrupts off and no irqchip wake-up: it never resumes. */
		domain_crash(d, "vcpu%u halted with nothing to wake it", v->id);
		break;
	case KVM_EXIT_SHUTDOWN:
		/*
		 * SVM's shutdown interception INIT-resets the vCPU before this
		 * exit, and KVM keeps no copy of the state it had: what we read
		 * then is the reset state, not where the guest faulted.
		 */
		if (vcpu_in_reset_state(&run->s.regs))
			domain_crash(d, "vcpu%u triple fault (rip unknown: the vCPU reads as reset, as SVM leaves it)",
				     v->id);
		else
			domain_crash(d, "vcpu%u triple fault (rip %#llx)", v->id,
				     (unsigned long long)run->s.regs.regs.rip);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		domain_crash(d, "vcpu%u entry failed (reason %#llx)", v->id,
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		domain_crash(d, "vcpu%u KVM internal error %u", v->id, run->internal.suberror);
		break;
	case KVM_EXIT_INTR:
		break;
	default:
		domain_crash(d, "vcpu%u unexpected exit %u", v->id, run->exit_reason);
		break;
	}
}

/* Wait until v may run; false when the domain is dying. */
static bool vcpu_wait_runnable(struct vcpu *v)
{
	bool ok = true, refused = false;
	int err = 0;

	pthread_mutex_lock(&v->lock);
	for (;;) {
		int st = atomic_load(&v->d->state);

		if (st == DOMAIN_DYING) {
			ok = false;
			break;
		}
		if (st == DOMAIN_RUNNING && atomic_load(&v->online))
			break;
		pthread_cond_wait(&v->wake, &v->lock);
	}
	if (ok && v->ctx_pending) {
		v->ctx_pending = false;
		refused = vcpu_load_ctx(v) != 0;
		err = errno;
	}
	pthread_mutex_unlock(&v->lock);
	/* Not under v->lock: crashing the domain kicks every vCPU, this one too. */
	if (refused)
		domain_crash(v->d, "vcpu%u: KVM refused its initial context: %s", v->id,
			     strerror(err));
	return ok;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	tls_run = v->run;
	for (;;) {
		/* Clear before checking state: a kick after the check re-sets it. */
		v->run->immediate_exit = 0;
		if (!vcpu_wait_runnable(v))
			break;
		if (vcpu_should_stop(v))
			continue;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			domain_crash(v->d, "vcpu%u: KVM_RUN: %s", v->id, strerror(errno));
			continue;
		}
		handle_exit(v);
	}
	tls_run = NULL;
	return NULL;
}

int vcpu_start_thread(struct vcpu *v)
{
	sigset_t all, old;
	int rc = 0;

	pthread_mutex_lock(&v->lock);
	if (v->thread_started)
		goto out;
	if (atomic_load(&v->d->state) == DOMAIN_DYING) {
		rc = EBUSY;
		goto out;
	}
	/* The thread starts with every signal blocked but the kick. */
	sigfillset(&all);
	sigdelset(&all, KICK_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		v->thread_started = true;
out:
	pthread_mutex_unlock(&v->lock);
	if (rc) {
		errno = rc;
		return -1;
	}
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	pthread_cond_broadcast(&v->wake);
	if (v->thread_started)
		pthread_kill(v->thread, KICK_SIGNAL);
	pthread_mutex_unlock(&v->lock);
}

/* For the debug log: where a vCPU was when its domain went away. */
static void vcpu_log_state(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs sr;

	if (ioctl(v->fd, KVM_GET_REGS, &r) || ioctl(v->fd, KVM_GET_SREGS, &sr))
		return;
	log_debug("domain %u vcpu%u: %llu exits, %llu hypercalls, rip %#llx rsp %#llx cs %#x "
		  "rflags %#llx", v->d->id, v->id, (unsigned long long)v->exits,
		  (unsigned long long)v->hypercalls, r.rip, r.rsp, sr.cs.selector, r.rflags);
}

void vcpu_destroy(struct vcpu *v)
{
	bool started = false;

	/*
	 * The last kick, and the end of kicks, in one critical section: once
	 * thread_started is false no vcpu_kick signals the thread, whose id
	 * names no thread (or another one) once it is joined. The domain is
	 * DYING, so this one kick is enough to make the thread leave.
	 */
	if (v->d) {
		pthread_mutex_lock(&v->lock);
		started = v->thread_started;
		if (started) {
			pthread_cond_broadcast(&v->wake);
			pthread_kill(v->thread, KICK_SIGNAL);
			v->thread_started = false;
		}
		pthread_mutex_unlock(&v->lock);
	}
	if (started) {
		pthread_join(v->thread, NULL);
		vcpu_log_state(v);
	}
	if (v->run)
		munmap(v->run, run_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	v->run = NULL;
	v->fd = v->timer_fd = -1;
}

void vcpu_fini_locks(struct vcpu *v)
{
	if (!v->d)
		return;
	pthread_mutex_destroy(&v->lock);
	pthread_mutex_destroy(&v->time_lock);
	pthread_cond_destroy(&v->wake);
}
