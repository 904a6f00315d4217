/*
 * fuzz: issues random hypercalls with random arguments for a few seconds
 * (cmdline "seconds=N", "seed=N"). bulkhead must answer each with a Xen
 * errno or crash this domain, and nothing else may notice.
 *
 * The only calls it leaves out are the ones that end or park the fuzzer by
 * design: SCHEDOP_shutdown and SCHEDOP_block, VCPUOP_down of itself, and
 * VCPUOP_register_vcpu_info (which would move the clock it reads under it;
 * the unit tests fuzz that one). SCHEDOP_poll is sent with a timeout in the
 * near future. Commands and vCPU ids are compared as bulkhead (and Xen)
 * read them: as 32-bit ints.
 */
#include <xen/sched.h>
#include <xen/vcpu.h>

#include <bulkhead/abi.h>
#include <bk/hypercall.h>
#include <bk/kernel.h>

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint8_t scratch[3 * 4096] __attribute__((aligned(4096)));
extern char _kernel_end[];

/* An argument: a number, or a pointer into, near or past guest memory. */
static uint64_t arg(void)
{
	uint64_t ram_end = 0;
	const struct hvm_memmap_table_entry *map =
		(const void *)(uintptr_t)start_info->memmap_paddr;

	if (start_info->memmap_entries)
		ram_end = map[0].addr + map[0].size;
	switch (rnd() % 10) {
	case 0: return 0;
	case 1: return rnd() % 16;
	case 2: return rnd();
	case 3: return (uint64_t)-(int64_t)(rnd() % 64);
	case 4: return (uintptr_t)scratch + rnd() % sizeof(scratch);
	case 5: return (uintptr_t)scratch + 4096 - rnd() % 16;
	case 6: return ram_end - rnd() % 64;
	case 7: return ram_end + rnd() % 8192;
	case 8: return 0x100000000ull + (rnd() % 0x10000) * 4096; /* not mapped */
	default: return (1ull << 47) + rnd() % 4096;                /* non-canonical */
	}
}

/*
 * The hypercall trap without the page: any 64-bit number in rax, so that
 * numbers past the page's 128 entries reach bulkhead too.
 */
static long hypercall_raw(uint64_t nr, const uint64_t *a)
{
	register uint64_t r_a1 __asm__("rdi") = a[0];
	register uint64_t r_a2 __asm__("rsi") = a[1];
	register uint64_t r_a3 __asm__("rdx") = a[2];
	register uint64_t r_a4 __asm__("r10") = a[3];
	register uint64_t r_a5 __asm__("r8") = a[4];
	uint64_t rax = nr;

	__asm__ volatile("out %%eax, %[port]"
			 : "+a"(rax), "+r"(r_a1), "+r"(r_a2), "+r"(r_a3), "+r"(r_a4), "+r"(r_a5)
			 : [port] "i"(BH_HYPERCALL_PORT)
			 : "memory");
	return (long)rax;
}

static bool excluded(uint64_t nr, uint64_t *a)
{
	int cmd = (int)a[0];

	if (nr == __HYPERVISOR_sched_op) {
		if (cmd == SCHEDOP_shutdown || cmd == SCHEDOP_block)
			return true;
		if (cmd == SCHEDOP_poll) {
			struct sched_poll *sp = (struct sched_poll *)scratch;

			sp->timeout = now_ns() + 1000000;
			sp->nr_ports = rnd() % 200;
			set_xen_guest_handle(sp->ports, (evtchn_port_t *)(scratch + 4096));
			a[1] = (uintptr_t)sp;
		}
	}
	if (nr == __HYPERVISOR_vcpu_op &&
	    ((cmd == VCPUOP_down && (uint32_t)a[1] == 0) || cmd == VCPUOP_register_vcpu_info))
		return true;
	return false;
}

int app_main(const char *cmdline)
{
	uint64_t seconds = cmdline_get_u64(cmdline, "seconds", 3);
	/* focus=1: nearly every call goes to event channels or grant tables. */
	bool focus = cmdline_get_u64(cmdline, "focus", 0);
	uint64_t start = now_ns(), calls = 0, errors = 0, i;

	rng = cmdline_get_u64(cmdline, "seed", 0) ^ rdtsc() ^ 0x9e3779b97f4a7c15ull;
	if (!rng)
		rng = 1;
	printk("fuzz: %lu s of random hypercalls, rng state %lx\n", seconds, rng);
	/* The iteration cap ends the run even if a call moved our vcpu_info. */
	for (i = 0; i < 200000 && now_ns() - start < seconds * 1000000000ull; i++) {
		uint64_t nr = rnd() % 8 ? rnd() % 48 : rnd();
		if (focus && rnd() % 16)
			nr = rnd() % 2 ? __HYPERVISOR_event_channel_op : __HYPERVISOR_grant_table_op;
		uint64_t a[5];
		unsigned int k;
		long rc;

		for (k = 0; k < sizeof(scratch); k++)
			if (!(rnd() % 64))
				scratch[k] = (uint8_t)rnd();
		a[0] = rnd() % 4 ? rnd() % 16 : arg();
		if (nr == __HYPERVISOR_grant_table_op)
			a[2] = rnd() % 4 ? rnd() % 8 : arg(); /* a count */
		for (k = 1; k < 5; k++)
			a[k] = arg();
		if (excluded(nr, a))
			continue;
		/* The page traps __HYPERVISOR_iret (ud2), as Xen's HVM page does. */
		rc = nr < 64 && nr != __HYPERVISOR_iret ? hypercall(nr, a[0], a[1], a[2], a[3], a[4])
						       : hypercall_raw(nr, a);
		calls++;
		if (rc < 0)
			errors++;
	}
	printk("fuzz: survived %lu hypercalls (%lu errors) in %lu ms\n", calls, errors,
	       (now_ns() - start) / 1000000);
	return 0;
}
