/*
 * Domains and vCPUs: the objects that the rest of bulkhead acts on.
 *
 * A domain is a KVM VM whose RAM is a memfd that only bulkhead holds. Each
 * vCPU is a KVM vCPU run by its own host thread (vcpu.c). The main thread
 * (main.c) owns the domain list: it creates domains, reaps them when they
 * shut down, and is the only thread that frees one.
 *
 * Locking:
 *  - domain->lock guards state, shutdown_reason and the vCPU online/up
 *    transitions. It is never held across KVM_RUN.
 *  - vcpu->lock guards the vCPU's wait state (blocked, timer) and is the
 *    mutex for vcpu->wake. Lock order: domain->lock before vcpu->lock.
 *  - Event-channel state has its own lock (evtchn.h).
 */
#ifndef BH_DOMAIN_H
#define BH_DOMAIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/kvm.h>

#include <xen/xen.h>
#include <xen/hvm/hvm_vcpu.h>
#include <xen/hvm/params.h>

#include <bulkhead/control.h>

#include "builder.h"
#include "evtchn.h"
#include "grant_table.h"
#include "guest_mem.h"
#include "xlcfg.h"

#define BH_MAX_VCPUS XLCFG_VCPUS_MAX
#define BH_CONSOLE_LINE_MAX 1024
#define BH_CONSOLE_LOG_MAX (16ull << 20) /* bytes per domain log before it is cut off */

enum domain_state {
	DOMAIN_RUNNING,
	DOMAIN_PAUSED,
	DOMAIN_SHUTDOWN, /* the guest asked; shutdown_reason says why */
	DOMAIN_CRASHED,  /* bulkhead stopped it after a fatal guest fault */
	DOMAIN_DYING,    /* being torn down */
};

struct domain;

struct vcpu {
	struct domain *d;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;

	/*
	 * Guarded by lock; wake is signalled on any event for this vCPU and
	 * on every change of online or of the domain's state.
	 */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool online;     /* up, and not down */
	bool initialised;       /* has a start context (vCPU 0 always) */
	bool ctx_pending;       /* init_ctx must be loaded before the next run */
	struct vcpu_hvm_context init_ctx;
	bool polling;           /* in SCHEDOP_poll: wake on any port */

	/* Where this vCPU's vcpu_info lives: in shared_info, or registered. */
	struct vcpu_info *_Atomic vcpu_info;
	bool vcpu_info_registered;
	_Atomic uint8_t upcall_vector; /* HVMOP_set_evtchn_upcall_vector; 0 = use the domain's */

	/* pvclock: guest TSC = host TSC + tsc_offset; time_lock orders updates. */
	int64_t tsc_offset;
	pthread_mutex_t time_lock;
	uint32_t time_version;
	uint64_t pv_tsc, pv_system_time; /* the last (host TSC, time) pair written */

	/* The single-shot timer (set_timer_op and VCPUOP_set_singleshot_timer). */
	int timer_fd;
	uint64_t timer_deadline; /* system time ns; 0 = stopped */

	/* Paging state of the current hypercall, for guest pointers. */
	struct guest_paging pg;

	/* Statistics. */
	atomic_uint_fast64_t hypercalls;
	atomic_uint_fast64_t exits;
};

struct domain {
	domid_t id;
	/*
	 * Never reused, unlike id (domctl.c wraps ids at 0x7ff0): what is
	 * offered to a domain names it by both, so that a later domain with
	 * the same id inherits nothing (evtchn.c, service.c).
	 */
	uint64_t serial;
	char name[XLCFG_NAME_MAX];
	struct xlcfg cfg;
	char cfg_path[4096];
	/* Its own dups of the image fds it was created with; a restart builds from them again. */
	struct builder_images images;

	int vm_fd;
	int mem_fd;
	struct guest_ram ram;
	uint32_t bh_flags;      /* BH_FEATURE_* from the image */
	uint32_t sid;           /* Flask label, from seclabel= (xsm.h) */
	uint32_t self_sid;      /* the label it has when it acts on itself */
	uint64_t start_info_gpa;
	uint32_t entry;

	unsigned int nr_vcpus;
	struct vcpu vcpu[BH_MAX_VCPUS];

	/*
	 * state changes under lock and is read without it: vCPUs run only
	 * while it is DOMAIN_RUNNING, and leave when it is DOMAIN_DYING.
	 */
	pthread_mutex_t lock;
	_Atomic int state;      /* enum domain_state */
	int shutdown_reason;    /* SHUTDOWN_* when state is SHUTDOWN */
	bool reaped;            /* main thread has acted on the shutdown */
	atomic_bool console_denied_said; /* logged once: the policy denies its console */
	int restarts;

	/*
	 * shared_info: a private page until the guest maps it with
	 * add_to_physmap, then the guest page at shared_info_gpa.
	 */
	struct shared_info *_Atomic shared_info;
	struct shared_info *shared_info_private;
	uint64_t shared_info_gpa; /* ~0 while private */

	struct evtchn_domain evtchn;
	struct grant_table gnttab;
	int nr_memslots;          /* KVM's limit; slot 0 is RAM, the rest grant maps */

	uint64_t hvm_param[HVM_NR_PARAMS]; /* guarded by lock */
	atomic_uint callback_vector;     /* from HVM_PARAM_CALLBACK_IRQ, 0 = none */

	/* Console: partial line, log file, and byte count against the cap. */
	pthread_mutex_t console_lock;
	char console_line[BH_CONSOLE_LINE_MAX];
	size_t console_len;
	uint64_t console_bytes;
	FILE *console_log;
	bool console_stdout;

	uint64_t created_ns;
	uint64_t first_console_ns; /* 0 until the first console line */

	/* Console history for the control socket: the last BH_CONSOLE_HISTORY bytes. */
	char *console_hist;      /* ring, under console_lock */
	uint64_t console_end;    /* bytes ever written */

	/* The xenstore ring: a page of xenstored's arena (service.h). */
	struct arena *store_arena;
	uint64_t store_page;     /* BH_NO_STORE when none */

	/* A toolstack shutdown that the guest has not obeyed yet (main thread). */
	uint64_t force_deadline_ns; /* 0 = none */
	int force_reason;

	atomic_int refcnt;      /* domain_get/domain_put; freed at zero */
	struct domain *next;     /* main.c's list, main thread only */
	struct domain *reg_next; /* the registry, under its lock */
};

/* Settings that apply to every domain, from bulkhead's command line. */
struct bh_settings {
	const char *log_dir;
	bool console_stdout;
};

extern struct bh_settings bh_settings;
extern int kvm_fd;

/* Called by main once, before any domain: opens /dev/kvm and checks capabilities. */
int kvm_init(char *err, size_t errlen);

/*
 * Build a domain from a parsed config and the images it names, open (im:
 * the domain keeps dups; the caller's stay the caller's), and start vCPU 0.
 * Returns the domain, or NULL with a reason in err; nothing is left behind
 * on failure.
 */
struct domain *domain_create(const struct xlcfg *cfg, const char *cfg_path,
			     const struct builder_images *im, domid_t id, bool paused, char *err,
			     size_t errlen);

/* Pause or unpause a live domain; 0, or -EBUSY when it is not running/paused. Any thread. */
int domain_pause(struct domain *d);
int domain_unpause(struct domain *d);

/* Time its vCPU threads have run, in ns. */
uint64_t domain_cpu_ns(struct domain *d);

/* Call fn for every live domain, with the registry locked (fn must not block). */
void domain_for_each(void (*fn)(struct domain *d, void *arg), void *arg);

/*
 * Tear a domain down: take it out of the registry, stop every vCPU thread,
 * close its event channels (peers see them close). Main thread only. The
 * memory goes when the last reference is dropped.
 */
void domain_destroy(struct domain *d);

/*
 * The registry: any thread may look a live domain up by id. domain_get
 * returns it with a reference held (NULL if there is none, or it is
 * dying); domain_put drops one.
 */
struct domain *domain_get(domid_t id);
void domain_hold(struct domain *d);
void domain_put(struct domain *d);

/* The guest asked to shut down (SCHEDOP_shutdown). Any vCPU thread. */
void domain_shutdown(struct domain *d, int reason);

/* Bulkhead stops a guest that broke the ABI. Any thread. */
void domain_crash(struct domain *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *domain_state_name(enum domain_state s);
const char *shutdown_reason_name(int reason);

/* Tell the main thread that a domain changed state (eventfd). */
extern int domain_event_fd;
void domain_notify_main(void);

/* Guest-physical helpers for bulkhead's own structures. */
static inline struct vcpu_info *vcpu_info_of(struct vcpu *v)
{
	return atomic_load(&v->vcpu_info);
}

/* system time: CLOCK_MONOTONIC in ns, the clock that pvclock describes. */
uint64_t bh_now_ns(void);

#endif
