/* Kernel start-up at CPL3, for the boot CPU and secondary CPUs. */
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

extern uint64_t boot_start_info;
void trap_init(void);
void smp_ap_main(unsigned int cpu) __attribute__((noreturn));

struct shared_info *shared_info;
const struct hvm_start_info *start_info;

static uint8_t shared_info_page[4096] __attribute__((aligned(4096), section(".bss.page_aligned")));
uint8_t cpu0_stack[BK_STACK_SIZE] __attribute__((aligned(BK_STACK_SIZE)));

static void map_shared_info(void)
{
	struct xen_add_to_physmap xatp = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_shared_info,
		.idx = 0,
		.gpfn = (uintptr_t)shared_info_page >> 12,
	};
	long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);

	if (rc)
		panic("cannot map shared_info: %ld", rc);
	shared_info = (struct shared_info *)shared_info_page;
}

void kernel_main(unsigned int cpu) __attribute__((noreturn));
void kernel_main(unsigned int cpu)
{
	struct cpu *c = this_cpu();
	const char *cmdline;
	int rc;

	if (cpu)
		smp_ap_main(cpu);
	c->id = 0;
	trap_init();
	start_info = (const struct hvm_start_info *)(uintptr_t)boot_start_info;
	if (start_info->magic != XEN_HVM_START_MAGIC_VALUE)
		panic("bad hvm_start_info magic %x", start_info->magic);
	map_shared_info();
	c->vcpu_info = &shared_info->vcpu_info[0];
	alloc_init();
	evtchn_init();
	local_irq_enable();

	cmdline = start_info->cmdline_paddr ? (const char *)(uintptr_t)start_info->cmdline_paddr : "";
	rc = app_main(cmdline);
	shutdown(rc ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}
