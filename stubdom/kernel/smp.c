/*
 * Secondary vCPUs: each gets a TSS, a CPL0 stack for trap stubs and a CPL3
 * stack, and starts in 64-bit mode at ap_entry64 (boot.S) through
 * VCPUOP_initialise and VCPUOP_up.
 */
#include <xen/hvm/hvm_vcpu.h>
#include <xen/vcpu.h>
#include <xen/errno.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

struct tss {
	uint32_t rsvd0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap;
	uint8_t iomap_bits[BK_TSS_IOMAP_BYTES]; /* 0: port open to CPL3 */
	uint8_t iomap_end;                      /* 0xff, as the CPU requires */
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == BK_TSS_LIMIT + 1, "TSS layout");

extern uint64_t gdt[];
extern char ap_entry64[], pml4[];

uint8_t kstack[BK_MAX_CPUS][BK_KSTACK_SIZE] __attribute__((aligned(16)));
static uint8_t ap_stack[BK_MAX_CPUS][BK_STACK_SIZE] __attribute__((aligned(BK_STACK_SIZE)));
static void (*ap_fn[BK_MAX_CPUS])(unsigned int cpu);

struct tss tss[BK_MAX_CPUS] = {
	[0] = { .rsp0 = (uint64_t)(uintptr_t)&kstack[0][BK_KSTACK_SIZE], .iomap = 104,
		.iomap_end = 0xff },
};

unsigned int nr_cpus_online = 1;

static void set_tss_desc(unsigned int cpu)
{
	uint64_t base = (uintptr_t)&tss[cpu];
	unsigned int slot = (BK_TSS_SEL(cpu)) / 8;

	gdt[slot] = BK_TSS_LIMIT | ((base & 0xffffff) << 16) |
		    (0x89ull << 40) | (((base >> 24) & 0xff) << 56);
	gdt[slot + 1] = base >> 32;
}

unsigned int smp_nr_vcpus(void)
{
	unsigned int n = 0;

	while (n < BK_MAX_CPUS && HYPERVISOR_vcpu_op(VCPUOP_is_up, n, 0) >= 0)
		n++;
	return n;
}

int smp_start_cpu(unsigned int cpu, void (*fn)(unsigned int cpu))
{
	struct vcpu_hvm_context ctx = { .mode = VCPU_HVM_MODE_64B };
	struct vcpu_hvm_x86_64 *r = &ctx.cpu_regs.x86_64;
	struct cpu *c;
	long rc;

	if (cpu == 0 || cpu >= BK_MAX_CPUS)
		return -XEN_EINVAL;
	c = (struct cpu *)ap_stack[cpu];
	memset(c, 0, sizeof(*c));
	c->id = cpu;
	ap_fn[cpu] = fn;
	tss[cpu].rsp0 = (uintptr_t)&kstack[cpu][BK_KSTACK_SIZE];
	tss[cpu].iomap = 104;
	tss[cpu].iomap_end = 0xff;
	set_tss_desc(cpu);

	r->cr0 = 0x80000031;
	r->cr3 = (uintptr_t)pml4;
	r->cr4 = 0x20;
	r->efer = 0x500; /* LME | LMA */
	r->rip = (uintptr_t)ap_entry64;
	r->rsp = (uintptr_t)&kstack[cpu][BK_KSTACK_SIZE];
	r->rdi = cpu;
	r->rsi = (uintptr_t)&ap_stack[cpu][BK_STACK_SIZE];
	r->rflags = 0x2;
	rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, cpu, &ctx);
	if (rc)
		return (int)rc;
	return (int)HYPERVISOR_vcpu_op(VCPUOP_up, cpu, 0);
}

void smp_ap_main(unsigned int cpu) __attribute__((noreturn));
void smp_ap_main(unsigned int cpu)
{
	struct cpu *c = this_cpu();

	c->vcpu_info = &shared_info->vcpu_info[cpu];
	evtchn_init();
	__atomic_fetch_add(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
	local_irq_enable();
	ap_fn[cpu](cpu);
	__atomic_fetch_sub(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
	for (;;)
		HYPERVISOR_vcpu_op(VCPUOP_down, cpu, 0);
}
