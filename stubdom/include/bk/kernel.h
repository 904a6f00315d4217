/*
 * Bulkhead guest kernel: the API that apps link against.
 *
 * The kernel boots through PVH, drops to CPL3 with IOPL 3 and runs
 * everything there: hypercalls, the console, time, events and the
 * allocator. An app provides app_main(); its return value decides how the
 * domain shuts down (0: poweroff, otherwise crash).
 */
#ifndef BK_KERNEL_H
#define BK_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/arch-x86/hvm/start_info.h>

#include <bk/layout.h>

/* ---- the app */
int app_main(const char *cmdline);

/* ---- CPUs */
struct cpu {
	unsigned int id;
	struct vcpu_info *vcpu_info; /* at BK_CPU_VCPU_INFO */
	evtchn_port_t timer_port;
	volatile uint64_t upcalls;      /* upcalls taken on this CPU */
	volatile uint64_t timer_events; /* VIRQ_TIMER events handled */
};

/* This CPU: its struct sits at the base of its CPL3 stack. */
static inline struct cpu *this_cpu(void)
{
	uintptr_t sp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	return (struct cpu *)(sp & ~(uintptr_t)(BK_STACK_SIZE - 1));
}

/*
 * Upcall masking, Xen PV style: vcpu_info.evtchn_upcall_mask. The upcall
 * stub drops a vector that arrives while the mask is set; the event stays
 * pending in vcpu_info, and unmasking delivers it (evtchn_unmask_upcall).
 */
void evtchn_unmask_upcall(void);

static inline void local_irq_disable(void)
{
	struct vcpu_info *vi = this_cpu()->vcpu_info;

	if (vi)
		__atomic_store_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
}
static inline void local_irq_enable(void)
{
	evtchn_unmask_upcall();
}
static inline unsigned long local_irq_save(void)
{
	struct vcpu_info *vi = this_cpu()->vcpu_info;

	if (!vi)
		return 1;
	return __atomic_exchange_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
}
static inline void local_irq_restore(unsigned long masked)
{
	if (!masked)
		evtchn_unmask_upcall();
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

extern struct shared_info *shared_info;
extern const struct hvm_start_info *start_info;
extern unsigned int nr_cpus_online;

/* Bring up secondary vCPU `cpu` running fn(cpu) at CPL3. 0 or -errno. */
int smp_start_cpu(unsigned int cpu, void (*fn)(unsigned int cpu));
/* Number of vCPUs the domain has (VCPUOP_is_up probing). */
unsigned int smp_nr_vcpus(void);

/* ---- console */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void console_write(const char *s, size_t n);

/* ---- shutdown */
void shutdown(unsigned int reason) __attribute__((noreturn));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* ---- time (pvclock): system time in ns, and wallclock */
uint64_t now_ns(void);
uint64_t wallclock_ns(void); /* ns since the Unix epoch */
/* Block this CPU until system time `deadline` (its VIRQ_TIMER wakes it). */
void sleep_until(uint64_t deadline);
/* Block once: returns on any event. */
void block(void);
void time_init_cpu(struct cpu *c);

/* ---- events */
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *arg);
void evtchn_init(void);
int evtchn_bind_virq(unsigned int virq, unsigned int cpu, evtchn_port_t *port);
void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *arg);
void evtchn_unmask(evtchn_port_t port);
/* Interdomain channels; new ports notify CPU 0. Each returns 0 or -errno. */
int evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);
int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_port_t *port);
int evtchn_send(evtchn_port_t port);
/* Deliver `port` to `cpu` from now on (EVTCHNOP_bind_vcpu). */
int evtchn_bind_vcpu(evtchn_port_t port, unsigned int cpu);
int evtchn_close(evtchn_port_t port);
int evtchn_status(evtchn_port_t port, struct evtchn_status *st);
/*
 * Wait until *counter differs from `seen` (an event handler moved it) or
 * system time `deadline` passes (0: no limit), handling events and
 * blocking in between. True if the counter moved.
 */
bool wait_event(volatile uint64_t *counter, uint64_t seen, uint64_t deadline);
/* Handle every pending event now, as the upcall would. */
void evtchn_poll(void);
void evtchn_do_upcall(void);

/* ---- grant tables (v1): BK_GNTTAB_FRAMES frames of 512 entries */
int gnttab_init(void);
void gnttab_grant(grant_ref_t ref, domid_t dom, uint64_t gfn, bool readonly);
/* Take a grant back: -XEN_EBUSY while it is mapped or in a copy. */
int gnttab_end(grant_ref_t ref);
uint16_t gnttab_flags(grant_ref_t ref);
/* Map another domain's grant at guest-physical gpa (outside RAM): a GNTST_* value. */
int gnttab_map(domid_t dom, grant_ref_t ref, uint64_t gpa, bool readonly, grant_handle_t *handle);
int gnttab_unmap(uint64_t gpa, grant_handle_t handle);
/* GNTTABOP_copy: the hypercall's result; each op carries its own status. */
long gnttab_copy(struct gnttab_copy *ops, unsigned int n);
/* The first guest-physical address above RAM: where mappings can go. */
uint64_t ram_end(void);
/*
 * Allocators for libraries (vchan): grant refs from BK_GNTTAB_REF_FIRST up
 * (the refs below are the app's to pick by hand), and runs of guest-physical
 * pages for mappings, from BK_MAP_AREA_OFFSET above ram_end() (the space
 * below is the app's). 0 when none is left.
 */
#define BK_GNTTAB_REF_FIRST 64
#define BK_MAP_AREA_OFFSET (1ull << 20)
#define BK_MAP_AREA_PAGES 4096
grant_ref_t gnttab_alloc_ref(void);
void gnttab_free_ref(grant_ref_t ref);
uint64_t map_area_alloc(unsigned int pages);
void map_area_free(uint64_t gpa, unsigned int pages);

/* ---- memory */
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void free(void *p);
void alloc_init(void);

/* ---- strings */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
int atoi(const char *s);
void sort_u64(uint64_t *v, size_t n);
/* Value of "key=value" in a space-separated command line, copied into buf. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t size);
uint64_t cmdline_get_u64(const char *cmdline, const char *key, uint64_t dflt);

/* ---- misc */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* Empty the IDT and trap: #BP, #NP and #DF find no gate, and the CPU shuts down. */
void triple_fault(void) __attribute__((noreturn));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
