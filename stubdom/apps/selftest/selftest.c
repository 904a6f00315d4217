/*
 * selftest: checks the guest ABI end to end from inside a domain. Each
 * check prints "selftest: ok NAME" or "selftest: FAIL NAME: why"; the last
 * line is "selftest: PASS" or "selftest: FAIL", and a failure crashes the
 * domain so that the host sees it.
 */
#include <xen/arch-x86/cpuid.h>
#include <xen/errno.h>
#include <xen/features.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

#define MS 1000000ull

static unsigned int failures;

static void check(bool ok, const char *name, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	if (ok) {
		printk("selftest: ok %s\n", name);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printk("selftest: FAIL %s: %s\n", name, why);
	failures++;
}

static void test_discovery(void)
{
	uint32_t a, b, c, d;
	xen_extraversion_t ev;
	struct xen_feature_info fi = { .submap_idx = 0 };
	long v;

	cpuid(XEN_CPUID_FIRST_LEAF, &a, &b, &c, &d);
	check(b == XEN_CPUID_SIGNATURE_EBX && c == XEN_CPUID_SIGNATURE_ECX &&
		      d == XEN_CPUID_SIGNATURE_EDX && a >= XEN_CPUID_LEAF(2),
	      "cpuid-signature", "leaf %x: %x %x %x %x", XEN_CPUID_FIRST_LEAF, a, b, c, d);
	v = HYPERVISOR_xen_version(XENVER_version, 0);
	check(v == ((4 << 16) | 17), "xen-version", "got %lx", v);
	v = HYPERVISOR_xen_version(XENVER_extraversion, ev);
	check(v == 0 && ev[0] == '.', "xen-extraversion", "rc %ld", v);
	v = HYPERVISOR_xen_version(XENVER_get_features, &fi);
	check(v == 0 && (fi.submap & (1u << XENFEAT_hvm_callback_vector)) &&
		      (fi.submap & (1u << XENFEAT_hvm_safe_pvclock)),
	      "xen-features", "rc %ld submap %x", v, fi.submap);
	v = hypercall(63, 0, 0, 0, 0, 0);
	check(v == -XEN_ENOSYS, "unknown-hypercall", "rc %ld", v);
}

static void test_memory_map(void)
{
	struct {
		uint64_t addr, size;
		uint32_t type;
	} __attribute__((packed)) e820[4];
	struct xen_memory_map mm = { .nr_entries = 4 };
	long rc;

	set_xen_guest_handle(mm.buffer, e820);
	rc = HYPERVISOR_memory_op(XENMEM_memory_map, &mm);
	check(rc == 0 && mm.nr_entries >= 1 && e820[0].type == XEN_HVM_MEMMAP_TYPE_RAM &&
		      e820[0].size >= (1ull << 20),
	      "memory-map", "rc %ld, %u entries", rc, mm.nr_entries);
}

/* The PVH module list: report the ramdisk so the host can compare it with the file. */
static void test_modules(void)
{
	const struct hvm_modlist_entry *m = (const void *)(uintptr_t)start_info->modlist_paddr;
	char head[17];
	unsigned int i;

	printk("selftest: %u modules\n", start_info->nr_modules);
	for (i = 0; i < start_info->nr_modules; i++) {
		memcpy(head, (const void *)(uintptr_t)m[i].paddr, 16);
		head[m[i].size < 16 ? m[i].size : 16] = 0;
		printk("selftest: module %u at %lx: %lu bytes, starts \"%s\"\n", i, m[i].paddr,
		       m[i].size, head);
	}
}

/*
 * pvclock never runs backwards or leaps, across yields (which may move the
 * vCPU to another host CPU) and across bulkhead's refreshes (block).
 */
static bool time_monotonic(unsigned int samples)
{
	uint64_t prev = now_ns(), t;
	unsigned int i;

	for (i = 0; i < samples; i++) {
		if (i % 16 == 0)
			HYPERVISOR_sched_op(SCHEDOP_yield, 0);
		if (i % 64 == 0)
			sleep_until(now_ns() + 100000);
		t = now_ns();
		if (t < prev || t - prev > 1000 * MS) {
			printk("selftest: time went from %lu to %lu\n", prev, t);
			return false;
		}
		prev = t;
	}
	return true;
}

static void test_time(void)
{
	uint64_t t0 = now_ns(), t1, wall = wallclock_ns();
	volatile unsigned int spin;

	for (spin = 0; spin < 10000000; spin++)
		;
	t1 = now_ns();
	check(t1 > t0, "time-advances", "%lu then %lu", t0, t1);
	check(time_monotonic(1000), "time-monotonic", "see above");
	/* The host compares this with its own clock. */
	printk("selftest: wallclock %lu.%09lu\n", (uint64_t)(wall / 1000000000u), (uint64_t)(wall % 1000000000u));
	check(wall / 1000000000u > 1600000000u, "wallclock-plausible", "%lu s", (uint64_t)(wall / 1000000000u));
}

/*
 * Block until this CPU has handled a timer event beyond `events`, or until
 * `limit` (system time). sleep_until alone may return on time before the
 * event is handled when the vCPU was descheduled past its deadline.
 */
static void wait_timer_event(struct cpu *c, uint64_t events, uint64_t limit)
{
	while (c->timer_events == events && now_ns() < limit) {
		unsigned long f = local_irq_save();

		evtchn_poll();
		if (c->timer_events == events)
			block();
		local_irq_restore(f);
	}
}

static void test_timer_block(void)
{
	struct cpu *c = this_cpu();
	uint64_t events = c->timer_events, start = now_ns(), deadline = start + 20 * MS, t;
	struct vcpu_set_singleshot_timer past = { .timeout_abs_ns = 1, .flags = VCPU_SSHOTTMR_future };
	long rc;

	sleep_until(deadline);
	t = now_ns();
	wait_timer_event(c, events, start + 5000 * MS);
	check(t >= deadline && c->timer_events > events, "timer-fires",
	      "woke at +%lu ns, %lu timer events", t - start, c->timer_events - events);

	/* set_timer_op, then block until VIRQ_TIMER: block must return. */
	events = c->timer_events;
	HYPERVISOR_set_timer_op(now_ns() + 10 * MS);
	wait_timer_event(c, events, start + 5000 * MS);
	check(c->timer_events > events, "block-wakes", "no timer event");

	rc = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, c->id, &past);
	check(rc == -XEN_ETIME, "singleshot-future", "rc %ld", rc);
}

/* The upcall arrives by vector while the kernel is busy, not blocked. */
static void test_upcall(void)
{
	struct cpu *c = this_cpu();
	uint64_t upcalls = c->upcalls, start = now_ns();

	HYPERVISOR_set_timer_op(start + 5 * MS);
	while (c->upcalls == upcalls && now_ns() < start + 5000 * MS)
		cpu_relax();
	check(c->upcalls > upcalls, "upcall-vector", "no upcall in 5 s");
}

static void test_poll(void)
{
	evtchn_port_t port = this_cpu()->timer_port;
	uint64_t start = now_ns();
	struct sched_poll sp = { .nr_ports = 1, .timeout = start + 5 * MS };
	long rc;

	HYPERVISOR_set_timer_op(0);
	set_xen_guest_handle(sp.ports, &port);
	rc = HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
	check(rc == 0 && now_ns() >= start + 5 * MS, "poll-timeout", "rc %ld after %lu ns", rc,
	      now_ns() - start);
}

static volatile int ap_done[BK_MAX_CPUS];

static void ap_test(unsigned int cpu)
{
	struct cpu *c = this_cpu();
	uint64_t t0 = now_ns(), events = c->timer_events;

	sleep_until(t0 + 5 * MS);
	wait_timer_event(c, events, t0 + 5000 * MS);
	ap_done[cpu] = (c->id == cpu && now_ns() >= t0 + 5 * MS && c->timer_events > events &&
			time_monotonic(300)) ? 1 : -1;
}

static void test_smp(void)
{
	unsigned int n = smp_nr_vcpus(), cpu;
	uint64_t start = now_ns();
	long rc;

	printk("selftest: %u vCPUs\n", n);
	for (cpu = 1; cpu < n; cpu++) {
		int r = smp_start_cpu(cpu, ap_test);

		check(r == 0, "vcpu-up", "cpu %u: %d", cpu, r);
	}
	for (cpu = 1; cpu < n; cpu++) {
		while (!ap_done[cpu] && now_ns() < start + 30000 * MS)
			sleep_until(now_ns() + MS);
		check(ap_done[cpu] == 1, "vcpu-runs", "cpu %u: %d", cpu, ap_done[cpu]);
		/* It downs itself when its function returns. */
		while (HYPERVISOR_vcpu_op(VCPUOP_is_up, cpu, 0) == 1 && now_ns() < start + 30000 * MS)
			sleep_until(now_ns() + MS);
		rc = HYPERVISOR_vcpu_op(VCPUOP_is_up, cpu, 0);
		check(rc == 0, "vcpu-down", "cpu %u is_up %ld", cpu, rc);
	}
	rc = HYPERVISOR_vcpu_op(VCPUOP_is_up, n, 0);
	check(rc == -XEN_ENOENT, "vcpu-out-of-range", "rc %ld", rc);
}

int app_main(const char *cmdline)
{
	/* rounds=N repeats the timer checks: a long-lived healthy neighbour. */
	uint64_t rounds = cmdline_get_u64(cmdline, "rounds", 1), r;

	test_discovery();
	test_memory_map();
	test_modules();
	test_time();
	for (r = 0; r < rounds && !failures; r++) {
		test_timer_block();
		test_upcall();
		test_poll();
	}
	test_smp();
	if (failures) {
		printk("selftest: FAIL (%u failures)\n", failures);
		return 1;
	}
	printk("selftest: PASS\n");
	return 0;
}
