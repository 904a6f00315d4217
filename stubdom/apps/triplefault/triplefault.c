/*
 * triplefault: breaks the machine on purpose. bulkhead must crash this
 * domain alone.
 *
 *   (default)      load an empty IDT and trap: a triple fault on vCPU 0
 *   how=badctx     give vCPU 1 a start context that passes bulkhead's
 *                  checks but that KVM refuses (a reserved CR4 bit), and
 *                  bring it up: its thread crashes the domain
 */
#include <xen/hvm/hvm_vcpu.h>
#include <xen/vcpu.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

extern char pml4[];

static int bad_context(void)
{
	static struct vcpu_hvm_context ctx = { .mode = VCPU_HVM_MODE_64B };
	struct vcpu_hvm_x86_64 *r = &ctx.cpu_regs.x86_64;
	long rc;

	r->cr0 = 0x80000031;
	r->cr3 = (uintptr_t)pml4;
	r->cr4 = 0x20 | (1ull << 40); /* PAE, and a bit no CPU has */
	r->efer = 0x500;               /* LME | LMA */
	r->rip = (uintptr_t)bad_context;
	r->rsp = 0x8000;
	r->rflags = 0x2;
	rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx);
	printk("triplefault: initialise vcpu1 %ld\n", rc);
	if (rc)
		return 1;
	rc = HYPERVISOR_vcpu_op(VCPUOP_up, 1, 0);
	printk("triplefault: up vcpu1 %ld\n", rc);
	for (;;)
		block();
}

int app_main(const char *cmdline)
{
	char how[16] = "";

	if (cmdline_get(cmdline, "how", how, sizeof(how)) && !strcmp(how, "badctx"))
		return bad_context();
	printk("triplefault: loading an empty IDT and trapping\n");
	triple_fault();
}
