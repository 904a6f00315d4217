/*
 * bench: the null hypercall (xen_version) round trip from CPL3, against
 * the bare port-I/O exit round trip from CPL3 measured in the same run.
 * XENVER_version's hook checks nothing (Xen guarantees it to every guest);
 * XENVER_pagesize's asks the AVC (version:xen_pagesize), so the second
 * figure is the null hypercall with one Flask decision in it.
 * Blocks of each alternate so that both see the same machine; the figure
 * is the median over blocks. Prints one "bench:" line per figure.
 */
#include <xen/version.h>

#include <bulkhead/abi.h>
#include <bk/hypercall.h>
#include <bk/kernel.h>

#define BLOCKS 41
#define PER_BLOCK 100

static void bare_exit(void)
{
	__asm__ volatile("out %%eax, %[port]" ::"a"(0), [port] "i"(BH_BASELINE_PORT) : "memory");
}

int app_main(const char *cmdline)
{
	static uint64_t hc[BLOCKS], base[BLOCKS], checked[BLOCKS];
	unsigned int b, i;
	uint64_t t;

	(void)cmdline;
	/* Warm up both paths. */
	for (i = 0; i < PER_BLOCK; i++) {
		HYPERVISOR_xen_version(XENVER_version, 0);
		HYPERVISOR_xen_version(XENVER_pagesize, 0);
		bare_exit();
	}
	for (b = 0; b < BLOCKS; b++) {
		t = now_ns();
		for (i = 0; i < PER_BLOCK; i++)
			bare_exit();
		base[b] = (now_ns() - t) / PER_BLOCK;
		t = now_ns();
		for (i = 0; i < PER_BLOCK; i++)
			HYPERVISOR_xen_version(XENVER_version, 0);
		hc[b] = (now_ns() - t) / PER_BLOCK;
		t = now_ns();
		for (i = 0; i < PER_BLOCK; i++)
			HYPERVISOR_xen_version(XENVER_pagesize, 0);
		checked[b] = (now_ns() - t) / PER_BLOCK;
	}
	sort_u64(hc, BLOCKS);
	sort_u64(base, BLOCKS);
	sort_u64(checked, BLOCKS);
	printk("bench: null_hypercall_ns %lu baseline_exit_ns %lu\n", hc[BLOCKS / 2],
	       base[BLOCKS / 2]);
	printk("bench: checked_hypercall_ns %lu baseline_exit_ns %lu\n", checked[BLOCKS / 2],
	       base[BLOCKS / 2]);
	return 0;
}
