#include "domain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xen/sched.h>

#include <bulkhead/abi.h>

#include "builder.h"
#include "console.h"
#include "log.h"
#include "measure.h"
#include "pvclock.h"
#include "service.h"
#include "vcpu.h"
#include "xsm.h"

/* KVM places its real-mode TSS here on Intel; below the LAPIC, above RAM. */
#define KVM_TSS_GPA 0xfffbd000ull

struct bh_settings bh_settings = { .log_dir = "/var/log/bulkhead" };

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct domain *registry;
static atomic_uint_fast64_t last_serial;
int kvm_fd = -1;
int domain_event_fd = -1;

static const int required_caps[] = {
	KVM_CAP_IRQCHIP, KVM_CAP_USER_MEMORY, KVM_CAP_X86_USER_SPACE_MSR, KVM_CAP_SIGNAL_MSI, KVM_CAP_IMMEDIATE_EXIT,
	KVM_CAP_SYNC_REGS, KVM_CAP_GET_TSC_KHZ,
};

int kvm_init(char *err, size_t errlen)
{
	unsigned int i;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		snprintf(err, errlen, "cannot open /dev/kvm: %s", strerror(errno));
		return -1;
	}
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm speaks an unexpected API version");
		return -1;
	}
	for (i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, required_caps[i]) <= 0) {
			snprintf(err, errlen, "KVM lacks capability %d that bulkhead needs",
				 required_caps[i]);
			return -1;
		}
	}
	domain_event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (domain_event_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void domain_notify_main(void)
{
	uint64_t one = 1;

	if (write(domain_event_fd, &one, sizeof(one)) < 0)
		log_warn("cannot notify the main loop: %s", strerror(errno));
}

const char *domain_state_name(enum domain_state s)
{
	switch (s) {
	case DOMAIN_RUNNING: return "running";
	case DOMAIN_PAUSED: return "paused";
	case DOMAIN_SHUTDOWN: return "shutdown";
	case DOMAIN_CRASHED: return "crashed";
	case DOMAIN_DYING: return "dying";
	}
	return "?";
}

const char *shutdown_reason_name(int reason)
{
	switch (reason) {
	case SHUTDOWN_poweroff: return "poweroff";
	case SHUTDOWN_reboot: return "reboot";
	case SHUTDOWN_suspend: return "suspend";
	case SHUTDOWN_crash: return "crash";
	case SHUTDOWN_watchdog: return "watchdog";
	case SHUTDOWN_soft_reset: return "soft_reset";
	}
	return "?";
}

struct domain *domain_get(domid_t id)
{
	struct domain *d;

	pthread_mutex_lock(&registry_lock);
	for (d = registry; d; d = d->reg_next)
		if (d->id == id && atomic_load(&d->state) != DOMAIN_DYING)
			break;
	if (d)
		atomic_fetch_add(&d->refcnt, 1);
	pthread_mutex_unlock(&registry_lock);
	return d;
}

void domain_hold(struct domain *d)
{
	atomic_fetch_add(&d->refcnt, 1);
}

static void domain_free(struct domain *d);

void domain_put(struct domain *d)
{
	if (atomic_fetch_sub(&d->refcnt, 1) == 1)
		domain_free(d);
}

static void registry_add(struct domain *d)
{
	pthread_mutex_lock(&registry_lock);
	d->reg_next = registry;
	registry = d;
	pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(struct domain *d)
{
	struct domain **pp;

	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp; pp = &(*pp)->reg_next) {
		if (*pp == d) {
			*pp = d->reg_next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
}

static void domain_kick_all(struct domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++)
		vcpu_kick(&d->vcpu[i]);
}

/* Move a live domain to SHUTDOWN or CRASHED; the first transition wins. */
static bool domain_stop(struct domain *d, int state, int reason)
{
	bool changed = false;
	int st;

	pthread_mutex_lock(&d->lock);
	st = atomic_load(&d->state);
	if (st == DOMAIN_RUNNING || st == DOMAIN_PAUSED) {
		d->shutdown_reason = reason;
		atomic_store(&d->state, state);
		changed = true;
	}
	pthread_mutex_unlock(&d->lock);
	if (changed)
		domain_kick_all(d);
	return changed;
}

void domain_shutdown(struct domain *d, int reason)
{
	if (domain_stop(d, DOMAIN_SHUTDOWN, reason)) {
		char msg[64];

		snprintf(msg, sizeof(msg), "shutdown: %s", shutdown_reason_name(reason));
		console_note(d, msg);
		log_info("domain %u (%s) shut down: %s", d->id, d->name,
			 shutdown_reason_name(reason));
		domain_notify_main();
	}
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
	char why[256], msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (domain_stop(d, DOMAIN_CRASHED, SHUTDOWN_crash)) {
		snprintf(msg, sizeof(msg), "crashed: %s", why);
		console_note(d, msg);
		log_warn("domain %u (%s) crashed: %s", d->id, d->name, why);
		domain_notify_main();
	}
}

static int domain_set_paused(struct domain *d, int from, int to)
{
	int rc = -EBUSY;

	pthread_mutex_lock(&d->lock);
	if (atomic_load(&d->state) == from) {
		atomic_store(&d->state, to);
		rc = 0;
	}
	pthread_mutex_unlock(&d->lock);
	if (!rc)
		domain_kick_all(d);
	return rc;
}

int domain_pause(struct domain *d)
{
	return domain_set_paused(d, DOMAIN_RUNNING, DOMAIN_PAUSED);
}

int domain_unpause(struct domain *d)
{
	return domain_set_paused(d, DOMAIN_PAUSED, DOMAIN_RUNNING);
}

uint64_t domain_cpu_ns(struct domain *d)
{
	uint64_t ns = 0;

	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];
		struct timespec ts;
		clockid_t cid;

		pthread_mutex_lock(&v->lock);
		if (v->thread_started && !pthread_getcpuclockid(v->thread, &cid) &&
		    !clock_gettime(cid, &ts))
			ns += (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
		pthread_mutex_unlock(&v->lock);
	}
	return ns;
}

void domain_for_each(void (*fn)(struct domain *d, void *arg), void *arg)
{
	pthread_mutex_lock(&registry_lock);
	for (struct domain *d = registry; d; d = d->reg_next)
		if (atomic_load(&d->state) != DOMAIN_DYING)
			fn(d, arg);
	pthread_mutex_unlock(&registry_lock);
}

static int vm_setup(struct domain *d, char *err, size_t errlen)
{
	/*
	 * MSRs that KVM does not know, or would refuse with a #GP, exit to us.
	 * The hypercall MSR 0x40000000 is also Hyper-V's GUEST_OS_ID: a KVM
	 * built with Hyper-V support (stock kernels; not PVM) knows it and
	 * refuses the write as invalid, since no Hyper-V CPUID is offered, so
	 * UNKNOWN alone never sees it there. (An MSR filter would do the same,
	 * but setting one waits for an SRCU grace period: 14 ms here.)
	 */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
				      .args[0] = KVM_MSR_EXIT_REASON_UNKNOWN |
						 KVM_MSR_EXIT_REASON_INVAL };
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = d->ram.size,
	};
	const char *what;

	d->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (d->vm_fd < 0) {
		what = "KVM_CREATE_VM";
		goto fail;
	}
	d->nr_memslots = ioctl(d->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	what = "KVM_SET_TSS_ADDR";
	if (ioctl(d->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_GPA) < 0)
		goto fail;
	what = "KVM_CREATE_IRQCHIP";
	if (ioctl(d->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		goto fail;
	what = "KVM_ENABLE_CAP(X86_USER_SPACE_MSR)";
	if (ioctl(d->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		goto fail;

	what = "memfd_create";
	d->mem_fd = memfd_create(d->name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d->mem_fd < 0)
		goto fail;
	what = "sizing guest RAM";
	if (ftruncate(d->mem_fd, d->ram.size) < 0 ||
	    fcntl(d->mem_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	what = "mapping guest RAM";
	d->ram.base = mmap(NULL, d->ram.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   d->mem_fd, 0);
	if (d->ram.base == MAP_FAILED) {
		d->ram.base = NULL;
		goto fail;
	}
	madvise(d->ram.base, d->ram.size, MADV_DONTDUMP);
	slot.userspace_addr = (uintptr_t)d->ram.base;
	what = "KVM_SET_USER_MEMORY_REGION";
	if (ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return -1;
}

static int measure_domain_config(struct domain *d, char *why, size_t whylen)
{
	char canon[XLCFG_CANONICAL_MAX];
	int n;

	if (!measure_enabled())
		return 0;
	n = xlcfg_canonical(&d->cfg, canon, sizeof(canon));
	if (n < 0) {
		snprintf(why, whylen, "the config is too long to measure");
		return -1;
	}
	if (measure_domain(d->name, MEASURE_PCR_DOMCFG, "cmdline", d->cfg.cmdline,
			   strlen(d->cfg.cmdline), why, whylen))
		return -1;
	return measure_domain(d->name, MEASURE_PCR_DOMCFG, "config", canon, n, why, whylen);
}

struct domain *domain_create(const struct xlcfg *cfg, const char *cfg_path,
			     const struct builder_images *im, domid_t id, bool paused, char *err,
			     size_t errlen)
{
	struct domain *d = calloc(1, sizeof(*d));
	unsigned int i;
	char why[512];

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->id = id;
	d->serial = atomic_fetch_add(&last_serial, 1) + 1;
	d->cfg = *cfg;
	snprintf(d->name, sizeof(d->name), "%s", cfg->name);
	snprintf(d->cfg_path, sizeof(d->cfg_path), "%s", cfg_path);
	d->vm_fd = d->mem_fd = -1;
	for (i = 0; i < BUILDER_NR_IMAGES; i++)
		d->images.fd[i] = -1;
	atomic_store(&d->refcnt, 1);
	for (i = 0; i < BH_MAX_VCPUS; i++)
		d->vcpu[i].fd = d->vcpu[i].timer_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->console_lock, NULL);
	atomic_store(&d->state, DOMAIN_PAUSED);
	d->ram.size = cfg->memory_mib << 20;
	d->shared_info_gpa = ~0ull;
	d->created_ns = bh_now_ns();
	d->store_page = BH_NO_STORE;

	if (xsm_domain_label(d, cfg->seclabel, why, sizeof(why)))
		goto fail;
	if (builder_images_dup(im, &d->images)) {
		snprintf(why, sizeof(why), "its image fds: %s", strerror(errno));
		goto fail;
	}

	d->shared_info_private = aligned_alloc(GUEST_PAGE_SIZE, GUEST_PAGE_SIZE);
	if (!d->shared_info_private) {
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	memset(d->shared_info_private, 0, GUEST_PAGE_SIZE);
	atomic_store(&d->shared_info, d->shared_info_private);

	if (vm_setup(d, why, sizeof(why)))
		goto fail;
	if (evtchn_domain_init(d, cfg->max_event_channels)) {
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	if (grant_table_init(d)) {
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	if (console_open(d, why, sizeof(why)))
		goto fail;
	/* Before the build: the memory map marks the ring's page. */
	if (service_store_setup(d, why, sizeof(why)))
		goto fail;
	if (builder_build(d, why, sizeof(why)))
		goto fail;
	/* Before its first instruction: what it runs with, besides its images. */
	if (measure_domain_config(d, why, sizeof(why)))
		goto fail;
	d->nr_vcpus = cfg->vcpus;
	for (i = 0; i < d->nr_vcpus; i++)
		if (vcpu_create(d, i, why, sizeof(why)))
			goto fail;
	if (vcpu_set_pvh_entry(&d->vcpu[0], d->entry, d->start_info_gpa)) {
		snprintf(why, sizeof(why), "setting the PVH entry state: %s", strerror(errno));
		goto fail;
	}
	domain_wallclock_update(d);
	for (i = 0; i < d->nr_vcpus; i++)
		vcpu_time_update(&d->vcpu[i]);
	atomic_store(&d->vcpu[0].online, true);
	atomic_store(&d->state, paused ? DOMAIN_PAUSED : DOMAIN_RUNNING);
	registry_add(d);
	if (vcpu_start_thread(&d->vcpu[0])) {
		snprintf(why, sizeof(why), "starting vcpu0: %s", strerror(errno));
		goto fail;
	}
	return d;
fail:
	snprintf(err, errlen, "domain '%s': %s", cfg->name, why);
	domain_destroy(d);
	return NULL;
}

void domain_destroy(struct domain *d)
{
	unsigned int i;

	registry_remove(d);
	pthread_mutex_lock(&d->lock);
	atomic_store(&d->state, DOMAIN_DYING);
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < BH_MAX_VCPUS; i++)
		vcpu_destroy(&d->vcpu[i]);
	grant_table_release_maps(d);
	evtchn_close_all(d);
	/* What others offered to it dies with it: a domain given its id later gets none of it. */
	evtchn_forget_domain(d);
	service_domain_gone(d);
	console_close(d);
	domain_put(d);
}

/* The last reference is gone: nobody can reach the domain any more. */
static void domain_free(struct domain *d)
{
	unsigned int i;

	for (i = 0; i < BH_MAX_VCPUS; i++)
		vcpu_fini_locks(&d->vcpu[i]);
	evtchn_domain_fini(d);
	grant_table_fini(d);
	if (d->ram.base)
		munmap(d->ram.base, d->ram.size);
	if (d->mem_fd >= 0)
		close(d->mem_fd);
	if (d->vm_fd >= 0)
		close(d->vm_fd);
	service_store_release(d);
	builder_images_close(&d->images);
	free(d->console_hist);
	free(d->shared_info_private);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->console_lock);
	free(d);
}
