/*
 * Hypercall argument validation with hostile input, without KVM.
 *
 * Each test gets a fresh domain built by hand: guest RAM is a malloc'd
 * buffer of exactly its size (so ASan sees any access past it), vCPUs have
 * no KVM fd, and their timers are real timerfds. Handlers are reached
 * through hypercall_dispatch() as a guest would reach them. vCPU 0 is
 * online, as in a real domain, so SCHEDOP_block/poll really wait: tests
 * only use them when an event is pending or with a short timeout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/features.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#include <bulkhead/abi.h>

#include "flask.h"
#include "console.h"
#include "domain.h"
#include "evtchn.h"
#include "hypercall.h"
#include "log.h"
#include "pvclock.h"
#include "vcpu.h"
#include "fake_domain.h"

#define RAM_SIZE (4ull << 20)
#define PAGE GUEST_PAGE_SIZE
#define DOM_ID 7
#define MAX_PORTS 64

/* Guest-physical layout used by the tests. */
#define PML4_GPA 0x1000ull   /* page tables for the paging tests: 0x1000-0x6fff */
#define ARG 0x10000ull       /* hypercall argument structures */
#define ARG2 0x11000ull
#define BUF 0x20000ull       /* buffers that arguments point to */
#define HIGH 0xffff800000000000ull /* high-half alias in the paging tests */

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_PS 0x80ull

#define BITS (sizeof(xen_ulong_t) * 8)

/* Xen's memory_op keeps continuation state above this bit (not in the public headers). */
#define MEMOP_EXTENT_SHIFT 6

static struct domain *d;
static char log_dir[] = "/tmp/bh-test-hc-XXXXXX";
static char log_path[sizeof(log_dir) + 32];

/* ---- the fake domain ----------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	bh_log_init("test_hypercall_args", BH_LOG_ERR);
	if (!mkdtemp(log_dir))
		return -1;
	bh_settings.log_dir = log_dir;
	snprintf(log_path, sizeof(log_path), "%s/guest-unit.log", log_dir);
	domain_event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return domain_event_fd < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(log_path);
	rmdir(log_dir);
	close(domain_event_fd);
	domain_event_fd = -1;
	return 0;
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->id = DOM_ID;
	d->mem_fd = -1;
	d->ram.base = malloc(RAM_SIZE);
	assert_non_null(d->ram.base);
	memset(d->ram.base, 0, RAM_SIZE);
	d->ram.size = RAM_SIZE;
	assert_int_equal(fake_domain_init(d, 2, true), 0);
	assert_int_equal(evtchn_domain_init(d, MAX_PORTS - 1), 0); /* ports 1..MAX_PORTS-1 */
	assert_int_equal(console_open(d, err, sizeof(err)), 0);
	d->bh_flags = BH_FEATURE_CPL3_HYPERCALLS;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	console_close(d);
	evtchn_domain_fini(d);
	fake_domain_fini(d);
	free(d->ram.base);
	free(d);
	d = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static long hc_cpl(struct vcpu *v, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, int cpl)
{
	const uint64_t a[5] = { a0, a1, a2, 0xbad0bad0bad0bad0ull, 0xbad1bad1bad1bad1ull };

	return hypercall_dispatch(v, nr, a, cpl);
}

/* A hypercall from vCPU 0 at CPL0. */
static long hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return hc_cpl(&d->vcpu[0], nr, a0, a1, a2, 0);
}

static void *gp(uint64_t gpa)
{
	assert_true(gpa < RAM_SIZE);
	return d->ram.base + gpa;
}

static void put(uint64_t gpa, const void *p, size_t n)
{
	assert_true(gpa + n <= RAM_SIZE);
	memcpy(gp(gpa), p, n);
}

static bool all_bytes(uint64_t gpa, size_t n, uint8_t b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d->ram.base[gpa + i] != b)
			return false;
	return true;
}

static struct shared_info *sinfo(void)
{
	return atomic_load(&d->shared_info);
}

static bool port_bit(const xen_ulong_t *words, unsigned int port)
{
	return words[port / BITS] & (1ull << (port % BITS));
}

static uint64_t drain_domain_events(void)
{
	uint64_t n = 0;

	if (read(domain_event_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static size_t read_log(char *buf, size_t cap)
{
	FILE *f = fopen(log_path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

/*
 * Long-mode paging for vCPU 0: RAM identity-mapped with 2 MiB pages, and a
 * high-half alias at HIGH whose 4 KiB pages are mapped one by one.
 */
static void paging_on(void)
{
	uint64_t *pml4 = gp(PML4_GPA), *pdpt = gp(0x2000), *pd = gp(0x3000);
	uint64_t *hpdpt = gp(0x5000), *hpd = gp(0x6000);

	memset(gp(PML4_GPA), 0, 6 * PAGE);
	pml4[0] = 0x2000 | PTE_P | PTE_RW;
	pdpt[0] = 0x3000 | PTE_P | PTE_RW;
	pd[0] = 0x000000 | PTE_P | PTE_RW | PTE_PS;
	pd[1] = 0x200000 | PTE_P | PTE_RW | PTE_PS;
	pml4[256] = 0x5000 | PTE_P | PTE_RW;
	hpdpt[0] = 0x6000 | PTE_P | PTE_RW;
	hpd[0] = 0x4000 | PTE_P | PTE_RW;
	d->vcpu[0].pg = (struct guest_paging){
		.cr0 = CR0_PE | CR0_PG, .cr3 = PML4_GPA, .cr4 = CR4_PAE,
		.efer = EFER_LME | EFER_LMA,
	};
}

/* Map HIGH + page * 4096 to gpa. */
static void map_high(unsigned int page, uint64_t gpa, uint64_t flags)
{
	uint64_t *pt = gp(0x4000);

	pt[page] = gpa | flags;
}

/* ---- dispatch ------------------------------------------------------------ */

static void test_dispatch_numbers(void **state)
{
	static const uint64_t unimplemented[] = {
		__HYPERVISOR_set_trap_table, __HYPERVISOR_mmu_update, __HYPERVISOR_multicall,
		__HYPERVISOR_update_va_mapping, __HYPERVISOR_iret, __HYPERVISOR_physdev_op,
		__HYPERVISOR_domctl, __HYPERVISOR_arch_0, 63,
	};
	static const uint64_t out_of_range[] = {
		NR_HYPERCALLS, 1000, 0x100000000ull | __HYPERVISOR_xen_version, UINT64_MAX,
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(unimplemented) / sizeof(unimplemented[0]); i++)
		assert_int_equal(hc(unimplemented[i], 0, ARG, 0), -XEN_ENOSYS);
	for (i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++)
		assert_int_equal(hc(out_of_range[i], XENVER_version, 0, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
			 (BH_XEN_MAJOR << 16) | BH_XEN_MINOR);
	assert_int_equal(atomic_load(&d->vcpu[0].hypercalls),
			 1 + sizeof(unimplemented) / sizeof(unimplemented[0]) +
				 sizeof(out_of_range) / sizeof(out_of_range[0]));
}

static void test_dispatch_cpl(void **state)
{
	struct vcpu *v = &d->vcpu[0];
	const long version = (BH_XEN_MAJOR << 16) | BH_XEN_MINOR;
	int cpl;

	(void)state;
	for (cpl = 1; cpl <= 3; cpl++)
		assert_int_equal(hc_cpl(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0, cpl), version);
	d->bh_flags = 0;
	assert_int_equal(hc_cpl(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0), version);
	for (cpl = 1; cpl <= 3; cpl++) {
		assert_int_equal(hc_cpl(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0, cpl),
				 -XEN_EPERM);
		/* Refused before the number is even looked at. */
		assert_int_equal(hc_cpl(v, UINT64_MAX, 0, 0, 0, cpl), -XEN_EPERM);
	}
	/* A CPL3 shutdown without the flag must not shut the domain down. */
	*(uint32_t *)gp(ARG) = SHUTDOWN_poweroff;
	assert_int_equal(hc_cpl(v, __HYPERVISOR_sched_op, SCHEDOP_shutdown, ARG, 0, 3), -XEN_EPERM);
	assert_int_equal(atomic_load(&d->state), DOMAIN_RUNNING);
	d->bh_flags = ~BH_FEATURE_CPL3_HYPERCALLS;
	assert_int_equal(hc_cpl(v, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 3), -XEN_EPERM);
}

/* ---- xen_version --------------------------------------------------------- */

static void test_xen_version(void **state)
{
	struct xen_feature_info fi = { .submap_idx = 0, .submap = 0xdeadbeef };
	char ev[sizeof(xen_extraversion_t)];

	(void)state;
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
			 (BH_XEN_MAJOR << 16) | BH_XEN_MINOR);
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_pagesize, 0, 0), PAGE);

	memset(gp(BUF), 0xaa, 64);
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, BUF, 0), 0);
	memset(ev, 0, sizeof(ev));
	strcpy(ev, BH_XEN_EXTRAVERSION);
	assert_memory_equal(gp(BUF), ev, sizeof(ev));
	assert_true(all_bytes(BUF + sizeof(ev), 64 - sizeof(ev), 0xaa));

	put(ARG, &fi, sizeof(fi));
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_get_features, ARG, 0), 0);
	memcpy(&fi, gp(ARG), sizeof(fi));
	assert_int_equal(fi.submap_idx, 0);
	assert_true(fi.submap & (1u << XENFEAT_hvm_callback_vector));
	assert_true(fi.submap & (1u << XENFEAT_auto_translated_physmap));
	assert_false(fi.submap & (1u << XENFEAT_writable_page_tables));

	fi.submap_idx = XENFEAT_NR_SUBMAPS;
	fi.submap = 0x12345678;
	put(ARG, &fi, sizeof(fi));
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_get_features, ARG, 0), -XEN_EINVAL);
	fi.submap_idx = UINT32_MAX;
	put(ARG, &fi, sizeof(fi));
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_get_features, ARG, 0), -XEN_EINVAL);
	assert_int_equal(((struct xen_feature_info *)gp(ARG))->submap, 0x12345678);

	assert_int_equal(hc(__HYPERVISOR_xen_version, 99, BUF, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_xen_version, UINT64_MAX, BUF, 0), -XEN_ENOSYS);
}

static void test_xen_version_bad_pointers(void **state)
{
	static const uint64_t outside[] = {
		RAM_SIZE, RAM_SIZE + PAGE, 0x8000000000000000ull, UINT64_MAX - 3, UINT64_MAX,
	};
	unsigned int i;

	(void)state;
	memset(gp(RAM_SIZE - PAGE), 0xaa, PAGE);
	for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, outside[i], 0),
				 -XEN_EFAULT);
		assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_get_features, outside[i], 0),
				 -XEN_EFAULT);
	}
	/* get_features spanning the end of RAM: read in first, so nothing is written. */
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_get_features, RAM_SIZE - 4, 0),
			 -XEN_EFAULT);
	assert_true(all_bytes(RAM_SIZE - PAGE, PAGE, 0xaa));
	/*
	 * extraversion spanning the end faults; as in Xen, the part of the
	 * string that fits in RAM may have been written first.
	 */
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, RAM_SIZE - 8, 0),
			 -XEN_EFAULT);
	assert_true(all_bytes(RAM_SIZE - PAGE, PAGE - 8, 0xaa));
	/* The last 16 bytes of RAM are fine. */
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, RAM_SIZE - 16, 0), 0);
	assert_string_equal((char *)gp(RAM_SIZE - 16), BH_XEN_EXTRAVERSION);
}

/* ---- console_io ---------------------------------------------------------- */

static void test_console_write_sanitized(void **state)
{
	static const char text[] = "hello\x1b[2J\abell\x7f\xff\tTab\r\nline2\n";
	static const char want[] = "hello?[2J?bell??\tTab\nline2\n";
	static char log[4096];
	char *line;

	(void)state;
	put(BUF, text, sizeof(text) - 1);
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(text) - 1, BUF), 0);
	read_log(log, sizeof(log));
	assert_string_equal(log, want);
	/* count 0 never touches the pointer. */
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 0, UINT64_MAX), 0);
	/* A line longer than the line buffer is cut into lines, not overflowed. */
	memset(gp(BUF), 'x', 3000);
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 3000, BUF), 0);
	*(char *)gp(BUF) = '\n';
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 1, BUF), 0);
	assert_int_equal(read_log(log, sizeof(log)), strlen(want) + 3000 + 3);
	for (line = log + strlen(want); *line; line = strchr(line, '\n') + 1)
		assert_true(strcspn(line, "\n") <= BH_CONSOLE_LINE_MAX);
}

static void test_console_bad_pointers(void **state)
{
	char before[256], after[256];

	(void)state;
	memset(gp(RAM_SIZE - PAGE), 'z', PAGE);
	read_log(before, sizeof(before));
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 1, RAM_SIZE), -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 16, UINT64_MAX - 7),
			 -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, 20, RAM_SIZE - 10),
			 -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, UINT32_MAX, RAM_SIZE - 100),
			 -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, UINT64_MAX, RAM_SIZE - 100),
			 -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_read, 16, BUF), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_console_io, 2, 16, BUF), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_console_io, UINT64_MAX, 16, BUF), -XEN_ENOSYS);
	/* Nothing reached the log, and no partial line is pending. */
	read_log(after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(d->console_len, 0);
	/*
	 * A huge count from a valid pointer is copied out chunk by chunk until
	 * the end of RAM, then faults: bounded by RAM with paging off.
	 */
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, UINT64_MAX, RAM_SIZE - 4096),
			 -XEN_EFAULT);
	assert_true(d->console_bytes <= BH_CONSOLE_LOG_MAX);
}

/* ---- sched_op ------------------------------------------------------------ */

static long shutdown_hc(uint32_t reason)
{
	struct sched_shutdown ss = { .reason = reason };

	put(ARG, &ss, sizeof(ss));
	return hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, ARG, 0);
}

static void test_sched_shutdown_reasons(void **state)
{
	static const uint32_t reasons[] = {
		SHUTDOWN_poweroff, SHUTDOWN_reboot, SHUTDOWN_crash, SHUTDOWN_watchdog,
	};
	char log[512];
	unsigned int i;

	(void)state;
	drain_domain_events();
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		atomic_store(&d->state, DOMAIN_RUNNING);
		d->shutdown_reason = -1;
		assert_int_equal(shutdown_hc(reasons[i]), 0);
		assert_int_equal(atomic_load(&d->state), DOMAIN_SHUTDOWN);
		assert_int_equal(d->shutdown_reason, reasons[i]);
		assert_int_equal(drain_domain_events(), 1);
	}
	/* The first shutdown wins: a second one changes nothing and tells no one. */
	assert_int_equal(shutdown_hc(SHUTDOWN_reboot), 0);
	assert_int_equal(d->shutdown_reason, SHUTDOWN_watchdog);
	assert_int_equal(drain_domain_events(), 0);
	read_log(log, sizeof(log));
	assert_non_null(strstr(log, "[bulkhead: shutdown: poweroff]\n"));
	assert_non_null(strstr(log, "[bulkhead: shutdown: watchdog]\n"));
}

static void test_sched_shutdown_errors(void **state)
{
	(void)state;
	assert_int_equal(shutdown_hc(SHUTDOWN_suspend), -XEN_ENOSYS);
	assert_int_equal(shutdown_hc(SHUTDOWN_soft_reset), -XEN_ENOSYS);
	assert_int_equal(shutdown_hc(99), -XEN_EINVAL);
	assert_int_equal(shutdown_hc(UINT32_MAX), -XEN_EINVAL);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, RAM_SIZE, 0), -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, RAM_SIZE - 2, 0), -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, UINT64_MAX, 0), -XEN_EFAULT);
	assert_int_equal(atomic_load(&d->state), DOMAIN_RUNNING);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0), 0);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_watchdog, ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_sched_op, 99, ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_sched_op, -1, ARG, 0), -XEN_ENOSYS);
	assert_int_equal(drain_domain_events(), 0);
}

static long poll_hc(uint64_t ports, unsigned int nr, uint64_t timeout)
{
	struct sched_poll sp;

	memset(&sp, 0, sizeof(sp));
	sp.ports.p = (evtchn_port_t *)(uintptr_t)ports;
	sp.nr_ports = nr;
	sp.timeout = timeout;
	put(ARG, &sp, sizeof(sp));
	return hc(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0);
}

static void test_sched_poll_args(void **state)
{
	evtchn_port_t ports[129];
	const uint64_t past = 1; /* system time 1 ns: long gone, so no waiting */
	unsigned int i;

	(void)state;
	for (i = 0; i < 129; i++)
		ports[i] = i % MAX_PORTS;
	put(BUF, ports, sizeof(ports));
	assert_int_equal(poll_hc(BUF, 129, past), -XEN_EINVAL);
	assert_int_equal(poll_hc(BUF, UINT32_MAX, past), -XEN_EINVAL);
	assert_int_equal(poll_hc(BUF, 128, past), 0);
	assert_int_equal(poll_hc(BUF, 0, past), 0);
	ports[0] = MAX_PORTS;
	put(BUF, ports, sizeof(ports));
	assert_int_equal(poll_hc(BUF, 1, past), -XEN_EINVAL);
	ports[0] = UINT32_MAX;
	put(BUF, ports, sizeof(ports));
	assert_int_equal(poll_hc(BUF, 1, past), -XEN_EINVAL);
	assert_int_equal(poll_hc(BUF + 4, 128, past), 0);
	/* Port lists outside RAM, spanning its end, or wrapping. */
	assert_int_equal(poll_hc(RAM_SIZE, 1, past), -XEN_EFAULT);
	assert_int_equal(poll_hc(RAM_SIZE - 4, 2, past), -XEN_EFAULT);
	assert_int_equal(poll_hc(UINT64_MAX - 3, 2, past), -XEN_EFAULT);
	/* The poll structure itself out of reach. */
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, RAM_SIZE - 8, 0), -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_poll, UINT64_MAX, 0), -XEN_EFAULT);
	assert_false(d->vcpu[0].polling);
}

static uint64_t elapsed_ns(uint64_t since)
{
	return bh_now_ns() - since;
}

static void test_sched_poll_block_return(void **state)
{
	const evtchn_port_t port = 5;
	uint64_t t0;

	(void)state;
	put(BUF, &port, sizeof(port));
	/* Timeout a few ms ahead with nothing pending: waits, then returns 0. */
	t0 = bh_now_ns();
	assert_int_equal(poll_hc(BUF, 1, t0 + 5000000), 0);
	assert_true(elapsed_ns(t0) >= 5000000);
	assert_true(elapsed_ns(t0) < 2000000000ull);
	/* A port already pending: returns at once, even with no timeout. */
	sinfo()->evtchn_pending[0] |= 1ull << port;
	t0 = bh_now_ns();
	assert_int_equal(poll_hc(BUF, 1, 0), 0);
	assert_true(elapsed_ns(t0) < 1000000000ull);
	/* SCHEDOP_block with an upcall pending returns at once. */
	vcpu_info_of(&d->vcpu[0])->evtchn_upcall_pending = 1;
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0), 0);
	/* ...and so does a block in a domain that is shutting down. */
	vcpu_info_of(&d->vcpu[0])->evtchn_upcall_pending = 0;
	atomic_store(&d->state, DOMAIN_SHUTDOWN);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0), 0);
	assert_int_equal(poll_hc(BUF + 4, 1, 0), 0);
}

static long bind_virq_hc(uint32_t virq, uint32_t vcpu, evtchn_port_t *port)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu, .port = 0xdead };
	long rc;

	put(ARG2, &b, sizeof(b));
	rc = hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, ARG2, 0);
	memcpy(&b, gp(ARG2), sizeof(b));
	if (port)
		*port = b.port;
	return rc;
}

/*
 * Another thread raises VIRQ_TIMER 20 ms in; if the waiting vCPU has not
 * returned 5 s later, it is set free and the test fails, rather than
 * hanging, when a wake-up is missing.
 */
struct raiser {
	pthread_t thread;
	atomic_bool returned, rescued;
};

static void *raise_timer_virq(void *arg)
{
	struct raiser *r = arg;
	struct timespec ts = { 0, 20000000 };
	unsigned int i;

	nanosleep(&ts, NULL);
	evtchn_send_virq(&d->vcpu[0], VIRQ_TIMER);
	for (i = 0; i < 250 && !atomic_load(&r->returned); i++)
		nanosleep(&ts, NULL);
	if (!atomic_load(&r->returned)) {
		/* Pausing the domain makes every wait give up. */
		atomic_store(&r->rescued, true);
		atomic_store(&d->state, DOMAIN_PAUSED);
		vcpu_kick(&d->vcpu[0]);
	}
	return NULL;
}

static void raiser_start(struct raiser *r)
{
	atomic_store(&r->returned, false);
	atomic_store(&r->rescued, false);
	assert_int_equal(pthread_create(&r->thread, NULL, raise_timer_virq, r), 0);
}

static bool raiser_stop(struct raiser *r)
{
	atomic_store(&r->returned, true);
	pthread_join(r->thread, NULL);
	return !atomic_load(&r->rescued);
}

static void test_sched_poll_woken_by_event(void **state)
{
	struct raiser r;
	evtchn_port_t port;

	(void)state;
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 0, &port), 0);
	/* Masked: the upcall stays off, but a poller still wakes. No timeout. */
	sinfo()->evtchn_mask[port / BITS] |= 1ull << (port % BITS);
	put(BUF, &port, sizeof(port));
	raiser_start(&r);
	assert_int_equal(poll_hc(BUF, 1, 0), 0);
	assert_true(raiser_stop(&r));
	assert_true(port_bit(sinfo()->evtchn_pending, port));
	assert_int_equal(vcpu_info_of(&d->vcpu[0])->evtchn_upcall_pending, 0);
	assert_false(d->vcpu[0].polling);
}

static void test_sched_block_woken_by_event(void **state)
{
	struct raiser r;

	(void)state;
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 0, NULL), 0);
	raiser_start(&r);
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0), 0);
	assert_true(raiser_stop(&r));
	assert_int_equal(vcpu_info_of(&d->vcpu[0])->evtchn_upcall_pending, 1);
}

/* ---- set_timer_op and singleshot timers ----------------------------------- */

static bool timer_armed(struct vcpu *v)
{
	struct itimerspec its;

	assert_int_equal(timerfd_gettime(v->timer_fd, &its), 0);
	return its.it_value.tv_sec || its.it_value.tv_nsec;
}

static void test_set_timer_op(void **state)
{
	struct vcpu *v = &d->vcpu[0];
	uint64_t deadline = bh_now_ns() + 10000000000ull;

	(void)state;
	assert_int_equal(hc(__HYPERVISOR_set_timer_op, deadline, 0, 0), 0);
	assert_int_equal(v->timer_deadline, deadline);
	assert_true(timer_armed(v));
	assert_int_equal(hc(__HYPERVISOR_set_timer_op, 0, 0, 0), 0);
	assert_int_equal(v->timer_deadline, 0);
	assert_false(timer_armed(v));
	/* Absurd deadlines are accepted and do not break anything. */
	assert_int_equal(hc(__HYPERVISOR_set_timer_op, UINT64_MAX, 0, 0), 0);
	assert_int_equal(hc(__HYPERVISOR_set_timer_op, 1, 0, 0), 0);
	assert_int_equal(hc(__HYPERVISOR_set_timer_op, 0, 0, 0), 0);
	assert_false(timer_armed(&d->vcpu[1]));
}

static long singleshot_hc(unsigned int vcpu, uint64_t timeout, uint32_t flags)
{
	struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = timeout, .flags = flags };

	put(ARG, &st, sizeof(st));
	return hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu, ARG);
}

static void test_vcpu_singleshot_timer(void **state)
{
	struct vcpu *v = &d->vcpu[0];
	uint64_t future = bh_now_ns() + 10000000000ull;

	(void)state;
	assert_int_equal(singleshot_hc(1, future, 0), -XEN_EINVAL);
	assert_false(timer_armed(&d->vcpu[1]));
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 1, 0), -XEN_EINVAL);
	assert_int_equal(singleshot_hc(0, 1, VCPU_SSHOTTMR_future), -XEN_ETIME);
	assert_int_equal(singleshot_hc(0, 0, VCPU_SSHOTTMR_future), -XEN_ETIME);
	assert_false(timer_armed(v));
	assert_int_equal(singleshot_hc(0, future, VCPU_SSHOTTMR_future), 0);
	assert_int_equal(v->timer_deadline, future);
	assert_true(timer_armed(v));
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0), 0);
	assert_int_equal(v->timer_deadline, 0);
	assert_false(timer_armed(v));
	/* Without the flag a past (or zero) time still arms the timer, to fire at once. */
	assert_int_equal(singleshot_hc(0, 0, 0), 0);
	assert_int_equal(v->timer_deadline, 1);
	assert_int_equal(singleshot_hc(0, UINT64_MAX, ~0u), 0);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, RAM_SIZE - 8),
			 -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0), 0);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 1, 0), 0);
}

/* The main thread's path: the timerfd fires, VIRQ_TIMER becomes pending. */
static void test_timer_fires_virq(void **state)
{
	struct vcpu *v = &d->vcpu[0];
	struct pollfd pfd = { .fd = v->timer_fd, .events = POLLIN };
	evtchn_port_t port;

	(void)state;
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 0, &port), 0);
	assert_int_equal(singleshot_hc(0, bh_now_ns() + 2000000, 0), 0);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	vcpu_timer_expired(v);
	assert_int_equal(v->timer_deadline, 0);
	assert_true(port_bit(sinfo()->evtchn_pending, port));
	assert_int_equal(vcpu_info_of(v)->evtchn_upcall_pending, 1);
	/* Reading it again (nothing expired) changes nothing. */
	vcpu_timer_expired(v);
}

/* ---- vcpu_op ------------------------------------------------------------- */

static void test_vcpu_op_ids_and_unknown(void **state)
{
	static const uint64_t bad_ids[] = { 2, BH_MAX_VCPUS, 1000, UINT32_MAX };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, bad_ids[i], 0), -XEN_ENOENT);
		assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_initialise, bad_ids[i], ARG),
				 -XEN_ENOENT);
		assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_up, bad_ids[i], 0), -XEN_ENOENT);
		assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, bad_ids[i], ARG),
				 -XEN_ENOENT);
	}
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
	/* VCPUOP_up on a vCPU with no context is refused before any thread starts. */
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0), -XEN_EINVAL);
	assert_false(d->vcpu[1].thread_started);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_down, 1, 0), 0);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, ARG), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_send_nmi, 0, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, 99, 0, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, -1, 0, 0), -XEN_ENOSYS);
}

static struct vcpu_hvm_context good_ctx(void)
{
	struct vcpu_hvm_context ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.mode = VCPU_HVM_MODE_64B;
	ctx.cpu_regs.x86_64.cr0 = CR0_PE | CR0_PG;
	ctx.cpu_regs.x86_64.cr3 = PML4_GPA;
	ctx.cpu_regs.x86_64.cr4 = CR4_PAE;
	ctx.cpu_regs.x86_64.efer = EFER_LME | EFER_LMA;
	ctx.cpu_regs.x86_64.rip = 0xffffffff80001000ull;
	ctx.cpu_regs.x86_64.rsp = 0x0000000000200000ull;
	return ctx;
}

static long init_hc(const struct vcpu_hvm_context *ctx)
{
	put(ARG, ctx, sizeof(*ctx));
	return hc(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, ARG);
}

static void test_vcpu_initialise(void **state)
{
	struct vcpu *t = &d->vcpu[1];
	struct vcpu_hvm_context ctx;

	(void)state;
	ctx = good_ctx();
	ctx.mode = VCPU_HVM_MODE_32B;
	assert_int_equal(init_hc(&ctx), -XEN_EOPNOTSUPP);
	ctx.mode = 2;
	assert_int_equal(init_hc(&ctx), -XEN_EOPNOTSUPP);

#define BAD_CTX(field, value)                                   \
	do {                                                    \
		ctx = good_ctx();                               \
		ctx.cpu_regs.x86_64.field = (value);            \
		assert_int_equal(init_hc(&ctx), -XEN_EINVAL);   \
	} while (0)
	BAD_CTX(cr0, CR0_PG);
	BAD_CTX(cr0, CR0_PE);
	BAD_CTX(cr0, 0);
	BAD_CTX(cr4, 0);
	BAD_CTX(efer, EFER_LME);
	BAD_CTX(efer, EFER_LMA);
	BAD_CTX(efer, 0);
	BAD_CTX(rip, 0x0000800000000000ull);
	BAD_CTX(rip, 0x8000000000000000ull);
	BAD_CTX(rsp, 0xfffe000000000000ull);
	BAD_CTX(cr3, RAM_SIZE);
	BAD_CTX(cr3, 0x000ffffffffff000ull);
	BAD_CTX(cr3, UINT64_MAX);
#undef BAD_CTX
	assert_false(t->initialised);
	assert_false(t->ctx_pending);

	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, RAM_SIZE - 8), -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, UINT64_MAX), -XEN_EFAULT);

	/* The last page of RAM is a valid CR3. */
	ctx = good_ctx();
	ctx.cpu_regs.x86_64.cr3 = RAM_SIZE - PAGE;
	assert_int_equal(init_hc(&ctx), 0);
	assert_true(t->initialised);
	assert_true(t->ctx_pending);
	assert_memory_equal(&t->init_ctx, &ctx, sizeof(ctx));
	assert_int_equal(init_hc(&ctx), -XEN_EEXIST);
	/* vCPU 0 already runs. */
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 0, ARG), -XEN_EEXIST);
	assert_false(atomic_load(&t->online));
	assert_false(t->thread_started);
}

static long register_hc(unsigned int vcpu, uint64_t mfn, uint32_t offset, uint32_t rsvd)
{
	struct vcpu_register_vcpu_info r = { .mfn = mfn, .offset = offset, .rsvd = rsvd };

	put(ARG, &r, sizeof(r));
	return hc(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, vcpu, ARG);
}

static void test_vcpu_register_vcpu_info(void **state)
{
	struct vcpu *t = &d->vcpu[1];
	struct vcpu_info *before = vcpu_info_of(t);
	const uint64_t max_mfn = UINT64_MAX / PAGE;

	(void)state;
	before->evtchn_upcall_mask = 1;
	before->evtchn_pending_sel = 0x5;
	assert_int_equal(register_hc(1, 0x30, PAGE - sizeof(struct vcpu_info) + 8, 0), -XEN_EINVAL);
	assert_int_equal(register_hc(1, 0x30, PAGE - 1, 0), -XEN_EINVAL);
	assert_int_equal(register_hc(1, 0x30, UINT32_MAX, 0), -XEN_EINVAL);
	assert_int_equal(register_hc(1, RAM_SIZE / PAGE, 0, 0), -XEN_EINVAL);
	assert_int_equal(register_hc(1, max_mfn, PAGE - sizeof(struct vcpu_info), 0), -XEN_EINVAL);
	assert_int_equal(register_hc(1, max_mfn + 1, 0, 0), -XEN_EINVAL);
	assert_int_equal(register_hc(1, UINT64_MAX, 0, 0), -XEN_EINVAL);
	/* mfn * 4096 wrapping to a small gpa must not be accepted. */
	assert_int_equal(register_hc(1, (1ull << 52) | 0x30, 0, 0), -XEN_EINVAL);
	assert_int_equal(register_hc(1, 0x30, 0, 1), -XEN_EINVAL);
	assert_int_equal(register_hc(1, 0x30, 0, UINT32_MAX), -XEN_EINVAL);
	assert_int_equal(hc(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 1, RAM_SIZE - 4),
			 -XEN_EFAULT);
	assert_ptr_equal(vcpu_info_of(t), before);
	assert_false(t->vcpu_info_registered);

	assert_int_equal(register_hc(1, 0x30, 64, 0), 0);
	assert_ptr_equal(vcpu_info_of(t), gp(0x30040));
	assert_true(t->vcpu_info_registered);
	assert_int_equal(vcpu_info_of(t)->evtchn_upcall_mask, 1);
	assert_int_equal(vcpu_info_of(t)->evtchn_pending_sel, 0x5);
	/* Moving it published a fresh pvclock: version even and non-zero. */
	assert_int_equal(vcpu_info_of(t)->time.version % 2, 0);
	assert_true(vcpu_info_of(t)->time.version > 0);
	/* Once only, wherever the second one points. */
	assert_int_equal(register_hc(1, 0x31, 0, 0), -XEN_EINVAL);
	assert_int_equal(register_hc(1, 0x30, 64, 0), -XEN_EINVAL);
	assert_ptr_equal(vcpu_info_of(t), gp(0x30040));
	/* The last vcpu_info-sized slot of RAM is fine for the other vCPU. */
	assert_int_equal(register_hc(0, RAM_SIZE / PAGE - 1, PAGE - sizeof(struct vcpu_info), 0), 0);
	assert_ptr_equal(vcpu_info_of(&d->vcpu[0]), gp(RAM_SIZE - sizeof(struct vcpu_info)));
}

/* ---- memory_op ----------------------------------------------------------- */

static long physmap_hc(domid_t domid, unsigned int space, xen_ulong_t idx, xen_pfn_t gpfn)
{
	struct xen_add_to_physmap x;

	memset(&x, 0, sizeof(x));
	x.domid = domid;
	x.space = space;
	x.idx = idx;
	x.gpfn = gpfn;
	put(ARG, &x, sizeof(x));
	return hc(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, ARG, 0);
}

static void test_memory_add_to_physmap(void **state)
{
	const uint64_t max_gpfn = UINT64_MAX / PAGE;
	struct shared_info *priv = d->shared_info_private;

	(void)state;
	priv->evtchn_pending[1] = 0x1234;
	priv->vcpu_info[1].evtchn_upcall_mask = 1;
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, RAM_SIZE / PAGE),
			 -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, max_gpfn), -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, max_gpfn + 1),
			 -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, UINT64_MAX), -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, (1ull << 52) | 0x40),
			 -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 1, 0x40), -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, UINT64_MAX, 0x40),
			 -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOM_ID + 1, XENMAPSPACE_shared_info, 0, 0x40), -XEN_ESRCH);
	assert_int_equal(physmap_hc(0, XENMAPSPACE_shared_info, 0, 0x40), -XEN_ESRCH);
	/* Grant frames: v1 only (no status frames), within the table's limit. */
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_grant_table, 0x80000000u, 0x41), -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_grant_table, GNTTAB_MAX_FRAMES, 0x41),
			 -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_grant_table, 0, UINT64_MAX), -XEN_EINVAL);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_grant_table, 0, 0x41), 0);
	assert_int_equal(d->gnttab.nr_frames, 1);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_gmfn, 0, 0x40), -XEN_ENOSYS);
	assert_int_equal(physmap_hc(DOMID_SELF, UINT32_MAX, 0, 0x40), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, RAM_SIZE - 8, 0),
			 -XEN_EFAULT);
	assert_ptr_equal(sinfo(), priv);
	assert_int_equal(d->shared_info_gpa, ~0ull);

	/* Our own domid works as well as DOMID_SELF. */
	assert_int_equal(physmap_hc(DOM_ID, XENMAPSPACE_shared_info, 0, 0x40), 0);
	assert_ptr_equal(sinfo(), gp(0x40000));
	assert_int_equal(d->shared_info_gpa, 0x40000);
	assert_int_equal(sinfo()->evtchn_pending[1], 0x1234);
	assert_ptr_equal(vcpu_info_of(&d->vcpu[0]), &sinfo()->vcpu_info[0]);
	assert_ptr_equal(vcpu_info_of(&d->vcpu[1]), &sinfo()->vcpu_info[1]);
	assert_int_equal(vcpu_info_of(&d->vcpu[1])->evtchn_upcall_mask, 1);
	assert_int_equal(sinfo()->wc_version % 2, 0);
	assert_true(sinfo()->wc_version > 0);

	/* Moving it again carries the state along; the last page of RAM is fine. */
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, RAM_SIZE / PAGE - 1), 0);
	assert_ptr_equal(sinfo(), gp(RAM_SIZE - PAGE));
	assert_int_equal(sinfo()->evtchn_pending[1], 0x1234);
	assert_ptr_equal(vcpu_info_of(&d->vcpu[1]), &sinfo()->vcpu_info[1]);
	/* Mapping it where it already is changes nothing. */
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, RAM_SIZE / PAGE - 1), 0);
	assert_int_equal(sinfo()->evtchn_pending[1], 0x1234);
}

static void test_physmap_keeps_registered_vcpu_info(void **state)
{
	(void)state;
	assert_int_equal(register_hc(1, 0x30, 0, 0), 0);
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, 0x40), 0);
	assert_ptr_equal(vcpu_info_of(&d->vcpu[1]), gp(0x30000));
	assert_ptr_equal(vcpu_info_of(&d->vcpu[0]), &sinfo()->vcpu_info[0]);
}

struct e820 {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

static long memmap_hc(unsigned int nr, uint64_t buffer)
{
	struct xen_memory_map mm;

	memset(&mm, 0, sizeof(mm));
	mm.nr_entries = nr;
	mm.buffer.p = (void *)(uintptr_t)buffer;
	put(ARG, &mm, sizeof(mm));
	return hc(__HYPERVISOR_memory_op, XENMEM_memory_map, ARG, 0);
}

static unsigned int memmap_nr(void)
{
	return ((struct xen_memory_map *)gp(ARG))->nr_entries;
}

static void test_memory_map(void **state)
{
	struct e820 e;

	(void)state;
	memset(gp(BUF), 0xaa, 64);
	assert_int_equal(memmap_hc(0, BUF), 0);
	assert_int_equal(memmap_nr(), 0);
	assert_true(all_bytes(BUF, 64, 0xaa));
	/* Zero entries never touch the buffer, wherever it points. */
	assert_int_equal(memmap_hc(0, UINT64_MAX), 0);

	assert_int_equal(memmap_hc(1, BUF), 0);
	assert_int_equal(memmap_nr(), 1);
	memcpy(&e, gp(BUF), sizeof(e));
	assert_int_equal(e.addr, 0);
	assert_int_equal(e.size, RAM_SIZE);
	assert_int_equal(e.type, 1); /* E820 RAM */
	assert_true(all_bytes(BUF + sizeof(e), 64 - sizeof(e), 0xaa));

	/* More room than entries: only what exists is written and reported. */
	memset(gp(BUF), 0xaa, 64);
	assert_int_equal(memmap_hc(UINT32_MAX, BUF), 0);
	assert_int_equal(memmap_nr(), 1);
	assert_true(all_bytes(BUF + sizeof(e), 64 - sizeof(e), 0xaa));

	assert_int_equal(memmap_hc(1, RAM_SIZE), -XEN_EFAULT);
	assert_int_equal(memmap_hc(1, RAM_SIZE - 10), -XEN_EFAULT);
	assert_int_equal(memmap_hc(1, UINT64_MAX - 9), -XEN_EFAULT);
	assert_int_equal(memmap_nr(), 1); /* not written back after a fault */
	assert_int_equal(memmap_hc(1, RAM_SIZE - sizeof(e)), 0);
	assert_int_equal(hc(__HYPERVISOR_memory_op, XENMEM_memory_map, RAM_SIZE - 8, 0), -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_memory_op, XENMEM_memory_map, UINT64_MAX, 0), -XEN_EFAULT);
}

static void test_memory_op_unknown(void **state)
{
	(void)state;
	assert_int_equal(physmap_hc(DOMID_SELF, XENMAPSPACE_shared_info, 0, 0x40), 0);
	assert_ptr_equal(sinfo(), gp(0x40000));
	/* Continuation bits above the command: not supported, and not ignored. */
	assert_int_equal(hc(__HYPERVISOR_memory_op, XENMEM_add_to_physmap | (1ull << MEMOP_EXTENT_SHIFT),
			    ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_memory_op, XENMEM_memory_map | (5ull << MEMOP_EXTENT_SHIFT),
			    ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_memory_op, XENMEM_add_to_physmap | (1ull << 32), ARG, 0),
			 -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_memory_op, XENMEM_increase_reservation, ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_memory_op, XENMEM_add_to_physmap_batch, ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_memory_op, UINT64_MAX, ARG, 0), -XEN_ENOSYS);
}

/* ---- hvm_op -------------------------------------------------------------- */

static long hvm_param_hc(uint64_t op, domid_t domid, uint32_t index, uint64_t value)
{
	struct xen_hvm_param p = { .domid = domid, .index = index, .value = value };

	put(ARG, &p, sizeof(p));
	return hc(__HYPERVISOR_hvm_op, op, ARG, 0);
}

static uint64_t hvm_param_value(void)
{
	return ((struct xen_hvm_param *)gp(ARG))->value;
}

#define CB_VECTOR(v) (((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | (v))

static void test_hvm_params(void **state)
{
	(void)state;
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_NR_PARAMS, 0), -XEN_EINVAL);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, UINT32_MAX, 0), -XEN_EINVAL);
	assert_int_equal(hvm_param_hc(HVMOP_get_param, DOMID_SELF, HVM_NR_PARAMS, 0), -XEN_EINVAL);
	assert_int_equal(hvm_param_hc(HVMOP_get_param, DOMID_SELF, UINT32_MAX, 0), -XEN_EINVAL);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_STORE_PFN, 5), -XEN_EPERM);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_NR_PARAMS - 1, 5), -XEN_EPERM);
	/* GSI (type 0) and PCI INTx callbacks: nothing to route them to. */
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, 5),
			 -XEN_EOPNOTSUPP);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ,
				      (1ull << 56) | 0x20), -XEN_EOPNOTSUPP);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ,
				      (0xffull << 56) | 0x20), -XEN_EOPNOTSUPP);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ,
				      CB_VECTOR(0x0f)), -XEN_EINVAL);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ,
				      CB_VECTOR(0)), -XEN_EINVAL);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ,
				      CB_VECTOR(0x1f3)), -XEN_EINVAL);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ,
				      CB_VECTOR(0x10000f3)), -XEN_EINVAL);
	assert_int_equal(atomic_load(&d->callback_vector), 0);
	assert_int_equal(d->hvm_param[HVM_PARAM_CALLBACK_IRQ], 0);

	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ,
				      CB_VECTOR(0xf3)), 0);
	assert_int_equal(atomic_load(&d->callback_vector), 0xf3);
	assert_int_equal(hvm_param_hc(HVMOP_get_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, 0), 0);
	assert_int_equal(hvm_param_value(), CB_VECTOR(0xf3));
	assert_int_equal(hvm_param_hc(HVMOP_get_param, DOM_ID, HVM_PARAM_CALLBACK_IRQ, 0), 0);
	assert_int_equal(hvm_param_value(), CB_VECTOR(0xf3));
	assert_int_equal(hvm_param_hc(HVMOP_get_param, DOMID_SELF, HVM_PARAM_STORE_PFN, 99), 0);
	assert_int_equal(hvm_param_value(), 0);
	/* The lowest allowed vector, then 0 to turn the callback off. */
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOM_ID, HVM_PARAM_CALLBACK_IRQ,
				      CB_VECTOR(0x10)), 0);
	assert_int_equal(atomic_load(&d->callback_vector), 0x10);
	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, 0), 0);
	assert_int_equal(atomic_load(&d->callback_vector), 0);

	assert_int_equal(hvm_param_hc(HVMOP_set_param, DOM_ID + 1, HVM_PARAM_CALLBACK_IRQ,
				      CB_VECTOR(0xf3)), -XEN_ESRCH);
	assert_int_equal(hvm_param_hc(HVMOP_get_param, 0, HVM_PARAM_CALLBACK_IRQ, 0), -XEN_ESRCH);
	assert_int_equal(hc(__HYPERVISOR_hvm_op, HVMOP_get_param, RAM_SIZE - 8, 0), -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_hvm_op, HVMOP_set_param, UINT64_MAX, 0), -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_hvm_op, HVMOP_flush_tlbs, 0, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_hvm_op, HVMOP_altp2m, ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_hvm_op, UINT64_MAX, ARG, 0), -XEN_ENOSYS);
}

static long upcall_vector_hc(uint32_t vcpu, uint8_t vector)
{
	struct xen_hvm_evtchn_upcall_vector uv = { .vcpu = vcpu, .vector = vector };

	put(ARG, &uv, sizeof(uv));
	return hc(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, ARG, 0);
}

static void test_hvm_upcall_vector(void **state)
{
	(void)state;
	assert_int_equal(upcall_vector_hc(2, 0xf0), -XEN_ENOENT);
	assert_int_equal(upcall_vector_hc(BH_MAX_VCPUS, 0xf0), -XEN_ENOENT);
	assert_int_equal(upcall_vector_hc(UINT32_MAX, 0xf0), -XEN_ENOENT);
	assert_int_equal(upcall_vector_hc(0, 0x0f), -XEN_EINVAL);
	assert_int_equal(upcall_vector_hc(1, 0), -XEN_EINVAL);
	assert_int_equal(d->vcpu[0].upcall_vector, 0);
	assert_int_equal(d->vcpu[1].upcall_vector, 0);
	assert_int_equal(upcall_vector_hc(1, 0xf0), 0);
	assert_int_equal(d->vcpu[1].upcall_vector, 0xf0);
	assert_int_equal(d->vcpu[0].upcall_vector, 0);
	assert_int_equal(upcall_vector_hc(0, 0xff), 0);
	assert_int_equal(d->vcpu[0].upcall_vector, 0xff);
	assert_int_equal(hc(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, RAM_SIZE - 4, 0),
			 -XEN_EFAULT);
}

/* ---- event_channel_op ---------------------------------------------------- */

static long port_op_hc(uint64_t cmd, evtchn_port_t port)
{
	put(ARG, &port, sizeof(port));
	return hc(__HYPERVISOR_event_channel_op, cmd, ARG, 0);
}

static long status_hc(domid_t dom, evtchn_port_t port, struct evtchn_status *out)
{
	struct evtchn_status st;
	long rc;

	memset(&st, 0xee, sizeof(st));
	st.dom = dom;
	st.port = port;
	put(ARG, &st, sizeof(st));
	rc = hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, ARG, 0);
	memcpy(out, gp(ARG), sizeof(*out));
	return rc;
}

static void test_evtchn_bind_virq(void **state)
{
	evtchn_port_t p0, p1;

	(void)state;
	assert_int_equal(bind_virq_hc(NR_VIRQS, 0, NULL), -XEN_EINVAL);
	assert_int_equal(bind_virq_hc(UINT32_MAX, 0, NULL), -XEN_EINVAL);
	assert_int_equal(bind_virq_hc(VIRQ_DEBUG, 0, NULL), -XEN_EINVAL);
	assert_int_equal(bind_virq_hc(VIRQ_CONSOLE, 1, NULL), -XEN_EINVAL); /* global: vCPU 0 */
	assert_int_equal(bind_virq_hc(VIRQ_DOM_EXC, 0, NULL), -XEN_EPERM);  /* control side only */
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 2, NULL), -XEN_ENOENT);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, BH_MAX_VCPUS, NULL), -XEN_ENOENT);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, UINT32_MAX, NULL), -XEN_ENOENT);
	/* A failed bind writes nothing back. */
	assert_int_equal(((struct evtchn_bind_virq *)gp(ARG2))->port, 0xdead);

	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 0, &p0), 0);
	assert_int_equal(p0, 1); /* port 0 is never handed out */
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 0, NULL), -XEN_EEXIST);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 1, &p1), 0);
	assert_int_equal(p1, 2);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 1, NULL), -XEN_EEXIST);
	/* Closing frees the VIRQ for a new bind, which may reuse the port. */
	assert_int_equal(port_op_hc(EVTCHNOP_close, p0), 0);
	assert_int_equal(port_op_hc(EVTCHNOP_close, p0), -XEN_EINVAL);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 0, &p0), 0);
	assert_int_equal(p0, 1);
	assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, RAM_SIZE - 8, 0),
			 -XEN_EFAULT);
}

static void test_evtchn_port_ranges(void **state)
{
	static const evtchn_port_t bad[] = { MAX_PORTS, MAX_PORTS + 1, EVTCHN_2L_NR_PORTS,
					     UINT32_MAX };
	struct evtchn_status st;
	evtchn_port_t port;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(port_op_hc(EVTCHNOP_close, bad[i]), -XEN_EINVAL);
		assert_int_equal(port_op_hc(EVTCHNOP_unmask, bad[i]), -XEN_EINVAL);
		assert_int_equal(status_hc(DOMID_SELF, bad[i], &st), -XEN_EINVAL);
	}
	assert_int_equal(port_op_hc(EVTCHNOP_close, 0), -XEN_EINVAL);
	assert_int_equal(port_op_hc(EVTCHNOP_close, 5), -XEN_EINVAL);
	assert_int_equal(port_op_hc(EVTCHNOP_close, MAX_PORTS - 1), -XEN_EINVAL);
	assert_int_equal(port_op_hc(EVTCHNOP_unmask, MAX_PORTS - 1), 0);
	assert_int_equal(port_op_hc(EVTCHNOP_unmask, 0), 0);

	assert_int_equal(status_hc(DOMID_SELF, 5, &st), 0);
	assert_int_equal(st.status, EVTCHNSTAT_closed);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 1, &port), 0);
	assert_int_equal(status_hc(DOM_ID, port, &st), 0);
	assert_int_equal(st.status, EVTCHNSTAT_virq);
	assert_int_equal(st.vcpu, 1);
	assert_int_equal(st.u.virq, VIRQ_TIMER);
	assert_int_equal(status_hc(DOM_ID + 1, port, &st), -XEN_ESRCH);
	assert_int_equal(status_hc(0, port, &st), -XEN_ESRCH);

	assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_close, RAM_SIZE - 2, 0),
			 -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_status, UINT64_MAX, 0),
			 -XEN_EFAULT);
	/* No physical IRQs, and only the 2-level ABI. */
	assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_pirq, ARG, 0), -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, ARG, 0),
			 -XEN_ENOSYS);
	assert_int_equal(hc(__HYPERVISOR_event_channel_op, UINT64_MAX, ARG, 0), -XEN_ENOSYS);
}

static void test_evtchn_send_virq(void **state)
{
	struct vcpu *v = &d->vcpu[0];
	struct vcpu_info *vi = vcpu_info_of(v);
	evtchn_port_t port;

	(void)state;
	/* Unbound: nothing happens. */
	evtchn_send_virq(v, VIRQ_TIMER);
	assert_int_equal(sinfo()->evtchn_pending[0], 0);
	assert_int_equal(vi->evtchn_upcall_pending, 0);

	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 0, &port), 0);
	assert_int_equal(port_op_hc(EVTCHNOP_unmask, port), 0);
	evtchn_send_virq(v, VIRQ_TIMER);
	assert_true(port_bit(sinfo()->evtchn_pending, port));
	assert_true(vi->evtchn_pending_sel & (1ull << (port / BITS)));
	assert_int_equal(vi->evtchn_upcall_pending, 1);
	/* The other vCPU is not disturbed. */
	assert_int_equal(vcpu_info_of(&d->vcpu[1])->evtchn_upcall_pending, 0);

	/* Masked: pending, but no selector bit and no upcall... */
	sinfo()->evtchn_pending[0] = 0;
	vi->evtchn_pending_sel = 0;
	vi->evtchn_upcall_pending = 0;
	sinfo()->evtchn_mask[port / BITS] |= 1ull << (port % BITS);
	evtchn_send_virq(v, VIRQ_TIMER);
	assert_true(port_bit(sinfo()->evtchn_pending, port));
	assert_int_equal(vi->evtchn_pending_sel, 0);
	assert_int_equal(vi->evtchn_upcall_pending, 0);
	/* ...until it is unmasked. */
	assert_int_equal(port_op_hc(EVTCHNOP_unmask, port), 0);
	assert_false(port_bit(sinfo()->evtchn_mask, port));
	assert_true(vi->evtchn_pending_sel & (1ull << (port / BITS)));
	assert_int_equal(vi->evtchn_upcall_pending, 1);

	/* With a callback vector set, the upcall's MSI goes to a VM fd of -1: harmless. */
	atomic_store(&d->callback_vector, 0xf3);
	sinfo()->evtchn_pending[0] = 0;
	vi->evtchn_pending_sel = 0;
	vi->evtchn_upcall_pending = 0;
	evtchn_send_virq(v, VIRQ_TIMER);
	assert_int_equal(vi->evtchn_upcall_pending, 1);

	/* A closed port is not raised again. */
	sinfo()->evtchn_pending[0] = 0;
	assert_int_equal(port_op_hc(EVTCHNOP_close, port), 0);
	evtchn_send_virq(v, VIRQ_TIMER);
	assert_false(port_bit(sinfo()->evtchn_pending, port));
	/* evtchn_set_pending on free and out-of-range ports does nothing. */
	evtchn_set_pending(d, port);
	evtchn_set_pending(d, MAX_PORTS);
	evtchn_set_pending(d, UINT32_MAX);
	assert_int_equal(sinfo()->evtchn_pending[0], 0);
}

static void test_evtchn_exhaust_ports(void **state)
{
	evtchn_port_t port;

	(void)state;
	/* One usable port (port 0 is reserved), so only one VIRQ fits. */
	evtchn_domain_fini(d);
	assert_int_equal(evtchn_domain_init(d, 1), 0);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 0, &port), 0);
	assert_int_equal(port, 1);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 1, NULL), -XEN_ENOSPC);
	assert_int_equal(port_op_hc(EVTCHNOP_close, 2), -XEN_EINVAL);
	assert_int_equal(port_op_hc(EVTCHNOP_close, 1), 0);
	assert_int_equal(bind_virq_hc(VIRQ_TIMER, 1, &port), 0);
	assert_int_equal(port, 1);
	/* More ports than the 2-level ABI has are clamped to it. */
	evtchn_domain_fini(d);
	assert_int_equal(evtchn_domain_init(d, UINT32_MAX), 0);
	assert_int_equal(d->evtchn.max_ports, EVTCHN_2L_NR_PORTS);
	assert_int_equal(port_op_hc(EVTCHNOP_unmask, EVTCHN_2L_NR_PORTS - 1), 0);
	assert_int_equal(port_op_hc(EVTCHNOP_unmask, EVTCHN_2L_NR_PORTS), -XEN_EINVAL);
}

/* ---- guest pointers through 4-level paging -------------------------------- */

static void test_paging_pointers(void **state)
{
	struct xen_feature_info fi = { 0, 0x1111 };
	static const char text[] = "split across two pages\n";
	char log[256];

	(void)state;
	paging_on();
	/* Identity part: as with paging off. */
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, BUF, 0), 0);
	assert_string_equal((char *)gp(BUF), BH_XEN_EXTRAVERSION);
	/* High-half alias: HIGH page 0 -> 0x50000, page 1 -> 0x48000 (RW), page 2 -> 0x52000 (RO). */
	map_high(0, 0x50000, PTE_P | PTE_RW);
	map_high(1, 0x48000, PTE_P | PTE_RW);
	map_high(2, 0x52000, PTE_P);
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, HIGH + 0x20, 0), 0);
	assert_string_equal((char *)gp(0x50020), BH_XEN_EXTRAVERSION);
	/* A console write whose buffer straddles two non-contiguous pages. */
	put(0x50000 + PAGE - 10, text, 10);
	put(0x48000, text + 10, sizeof(text) - 1 - 10);
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(text) - 1,
			    HIGH + PAGE - 10), 0);
	read_log(log, sizeof(log));
	assert_string_equal(log, text);
	/* get_features into a read-only page: read in works, write-back faults. */
	put(0x52000, &fi, sizeof(fi));
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_get_features, HIGH + 2 * PAGE, 0),
			 -XEN_EFAULT);
	assert_int_equal(((struct xen_feature_info *)gp(0x52000))->submap, 0x1111);
	/* shutdown only reads its argument, so a read-only page is fine. */
	*(uint32_t *)gp(0x52100) = SHUTDOWN_reboot;
	assert_int_equal(hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, HIGH + 2 * PAGE + 0x100, 0), 0);
	assert_int_equal(d->shutdown_reason, SHUTDOWN_reboot);
	/* Running again: a stopped domain's console write ends early by design. */
	atomic_store(&d->state, DOMAIN_RUNNING);
	/* Unmapped, non-canonical, and past RAM (identity map covers only RAM). */
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, HIGH + 3 * PAGE, 0),
			 -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, 0x0000800000000000ull, 0),
			 -XEN_EFAULT);
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, RAM_SIZE, 0), -XEN_EFAULT);
	/* A console write that runs from a mapped page into an unmapped one. */
	assert_int_equal(hc(__HYPERVISOR_console_io, CONSOLEIO_write, PAGE + 1, HIGH + 2 * PAGE),
			 -XEN_EFAULT);
	/* Page tables pointing outside RAM. */
	((uint64_t *)gp(0x6000))[0] = RAM_SIZE | PTE_P | PTE_RW;
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, HIGH, 0), -XEN_EFAULT);
	d->vcpu[0].pg.cr3 = RAM_SIZE;
	assert_int_equal(hc(__HYPERVISOR_xen_version, XENVER_extraversion, BUF, 0), -XEN_EFAULT);
}

/* ---- random arguments ----------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

/* Where random structures live: guest-chosen bytes the fuzzer keeps rewriting. */
#define FUZZ_AREA 0x100000ull
#define FUZZ_AREA_SIZE 0x10000ull
/* Then nearly-valid structures, one per 256 bytes, to get past the first checks. */
#define TEMPLATES (FUZZ_AREA + FUZZ_AREA_SIZE)
#define NR_TEMPLATES 10

static uint64_t fuzz_arg(void)
{
	switch (rnd() % 13) {
	case 0: return 0;
	case 1: return rnd() % 16;
	case 2: return rnd() % 256;
	case 3: return rnd() % RAM_SIZE;
	case 4: return FUZZ_AREA + (rnd() % FUZZ_AREA_SIZE & ~7ull);
	case 5: return FUZZ_AREA + rnd() % FUZZ_AREA_SIZE;
	case 6: return RAM_SIZE - 1 - rnd() % 64;
	case 7: return RAM_SIZE + rnd() % 0x2000;
	case 8: return UINT64_MAX - rnd() % 64;
	case 9: return (1ull << 63) + rnd() % 64;
	case 10: return HIGH + rnd() % (4 * PAGE);
	case 11: return TEMPLATES + 256 * (rnd() % NR_TEMPLATES);
	default: return rnd();
	}
}

/* One valid argument structure per template slot, with one byte flipped now and then. */
static void fuzz_templates(void)
{
	struct vcpu_hvm_context ctx = good_ctx();
	struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
					.gpfn = rnd() % (RAM_SIZE / PAGE + 2) };
	struct xen_hvm_param hp = { .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ,
				    .value = CB_VECTOR(rnd() % 256) };
	struct evtchn_bind_virq b = { .virq = VIRQ_TIMER, .vcpu = rnd() % 3 };
	struct vcpu_register_vcpu_info r = { .mfn = rnd() % (RAM_SIZE / PAGE + 2),
					     .offset = 64 * (rnd() % 64) };
	struct sched_shutdown ss = { .reason = rnd() % 7 };
	struct xen_memory_map mm = { .nr_entries = rnd() % 3 };
	struct xen_hvm_evtchn_upcall_vector uv = { .vcpu = rnd() % 3, .vector = rnd() % 256 };
	evtchn_port_t port = rnd() % (MAX_PORTS + 2);
	struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = bh_now_ns() + rnd() % 1000000000,
						.flags = rnd() % 2 };
	const struct { const void *p; size_t n; } t[NR_TEMPLATES] = {
		{ &ctx, sizeof(ctx) }, { &x, sizeof(x) }, { &hp, sizeof(hp) }, { &b, sizeof(b) },
		{ &r, sizeof(r) }, { &ss, sizeof(ss) }, { &mm, sizeof(mm) }, { &uv, sizeof(uv) },
		{ &port, sizeof(port) }, { &st, sizeof(st) },
	};
	unsigned int i;

	mm.buffer.p = (void *)(uintptr_t)fuzz_arg();
	for (i = 0; i < NR_TEMPLATES; i++) {
		uint8_t *slot = gp(TEMPLATES + 256 * i);

		memcpy(slot, t[i].p, t[i].n);
		if (rnd() % 2)
			slot[rnd() % t[i].n] ^= 1u << (rnd() % 8);
	}
}

/* Bytes that decode to small counts, ports, reasons and in-RAM pointers. */
static void fuzz_fill(void)
{
	uint64_t off;

	for (off = 0; off < FUZZ_AREA_SIZE; off += 8) {
		uint64_t w;

		switch (rnd() % 7) {
		case 0: w = rnd() % 8; break;
		case 1: w = fuzz_arg(); break;
		case 2: w = rnd(); break;
		case 3: w = (rnd() % 4) | (rnd() % 4) << 32; break; /* virq, vcpu */
		case 4: w = DOMID_SELF | (rnd() % 4) << 32; break; /* domid, index/space */
		case 5: w = CB_VECTOR(rnd() % 256); break;
		default: w = (rnd() % 64) | (rnd() % 64) << 32; break;
		}
		memcpy(gp(FUZZ_AREA + off), &w, 8);
	}
}

static uint64_t fuzz_nr(void)
{
	static const uint64_t implemented[] = {
		__HYPERVISOR_set_timer_op, __HYPERVISOR_xen_version, __HYPERVISOR_console_io,
		__HYPERVISOR_memory_op, __HYPERVISOR_vcpu_op, __HYPERVISOR_sched_op,
		__HYPERVISOR_event_channel_op, __HYPERVISOR_hvm_op,
	};

	if (rnd() % 4)
		return implemented[rnd() % (sizeof(implemented) / sizeof(implemented[0]))];
	return rnd() % NR_HYPERCALLS;
}

/* Calls that would wait for ever in a test with no other thread to wake them. */
static bool fuzz_would_block(uint64_t nr, const uint64_t a[5])
{
	if (nr == __HYPERVISOR_sched_op)
		return (int)a[0] == SCHEDOP_block || (int)a[0] == SCHEDOP_poll;
	if (nr == __HYPERVISOR_vcpu_op)
		return (int)a[0] == VCPUOP_up; /* would start a KVM vCPU thread */
	return false;
}

static void test_fuzz_dispatch(void **state)
{
	unsigned int iter, calls = 0, ok = 0;

	(void)state;
	rng_state = 0x2545f4914f6cdd1dull;
	for (iter = 0; iter < 200000; iter++) {
		struct vcpu *v = &d->vcpu[rnd() % d->nr_vcpus];
		uint64_t nr, a[5];
		int cpl = rnd() % 8 ? 0 : 3;
		unsigned int i;
		long rc;

		if (iter % 64 == 0)
			fuzz_templates();
		if (iter % 4096 == 0) {
			fuzz_fill();
			if ((iter / 4096) % 2) {
				paging_on();
				for (i = 0; i < 4; i++)
					map_high(i, FUZZ_AREA + rnd() % 16 * PAGE,
						 PTE_P | (rnd() % 2 ? PTE_RW : 0));
			} else {
				d->vcpu[0].pg = (struct guest_paging){ .cr0 = CR0_PE };
			}
			d->bh_flags = rnd() % 2 ? BH_FEATURE_CPL3_HYPERCALLS : 0;
		}
		nr = fuzz_nr();
		for (i = 0; i < 5; i++)
			a[i] = fuzz_arg();
		if (rnd() % 2)
			a[0] = rnd() % 32; /* a plausible command */
		if (fuzz_would_block(nr, a))
			continue;
		rc = hypercall_dispatch(v, nr, a, cpl);
		calls++;
		ok += rc == 0;
		assert_true(rc <= (long)((BH_XEN_MAJOR << 16) | BH_XEN_MINOR));
		assert_true(rc > -4096);
		if (atomic_load(&d->state) != DOMAIN_RUNNING)
			atomic_store(&d->state, DOMAIN_RUNNING);
	}
	/* The domain's own invariants survived. */
	assert_true(calls > 150000);
	assert_true(ok > 1000);
	assert_true(sinfo() == d->shared_info_private ||
		    ((uint8_t *)sinfo() >= d->ram.base &&
		     (uint8_t *)sinfo() + PAGE <= d->ram.base + RAM_SIZE));
	for (iter = 0; iter < d->nr_vcpus; iter++) {
		uint8_t *vi = (uint8_t *)vcpu_info_of(&d->vcpu[iter]);

		assert_true((vi >= d->ram.base && vi + sizeof(struct vcpu_info) <= d->ram.base + RAM_SIZE) ||
			    (vi >= (uint8_t *)d->shared_info_private &&
			     vi < (uint8_t *)d->shared_info_private + PAGE));
	}
	drain_domain_events();
}

int main(void)
{
	/*
	 * These tests drive the handlers' own logic; Flask's decisions are
	 * test_xsm_*'s business, so no hook checks anything here.
	 */
	flask_init(FLASK_DISABLED, 16);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_dispatch_numbers),
		T(test_dispatch_cpl),
		T(test_xen_version),
		T(test_xen_version_bad_pointers),
		T(test_console_write_sanitized),
		T(test_console_bad_pointers),
		T(test_sched_shutdown_reasons),
		T(test_sched_shutdown_errors),
		T(test_sched_poll_args),
		T(test_sched_poll_block_return),
		T(test_sched_poll_woken_by_event),
		T(test_sched_block_woken_by_event),
		T(test_set_timer_op),
		T(test_vcpu_singleshot_timer),
		T(test_timer_fires_virq),
		T(test_vcpu_op_ids_and_unknown),
		T(test_vcpu_initialise),
		T(test_vcpu_register_vcpu_info),
		T(test_memory_add_to_physmap),
		T(test_physmap_keeps_registered_vcpu_info),
		T(test_memory_map),
		T(test_memory_op_unknown),
		T(test_hvm_params),
		T(test_hvm_upcall_vector),
		T(test_evtchn_bind_virq),
		T(test_evtchn_port_ranges),
		T(test_evtchn_send_virq),
		T(test_evtchn_exhaust_ports),
		T(test_paging_pointers),
		T(test_fuzz_dispatch),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
