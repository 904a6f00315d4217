/* The IDT, and the CPL3 half of fatal traps. */
#include <xen/sched.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; /* P | DPL | type 0xe (interrupt gate) */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t rsvd;
} __attribute__((packed));

struct idt_gate idt[256] __attribute__((aligned(4096)));

extern char trap_0[], trap_1[], trap_2[], trap_3[], trap_4[], trap_5[], trap_6[],
	trap_7[], trap_8[], trap_9[], trap_10[], trap_11[], trap_12[], trap_13[],
	trap_14[], trap_15[], trap_16[], trap_17[], trap_18[], trap_19[], trap_20[],
	trap_21[], upcall_entry[], spurious_entry[];

static void set_gate(unsigned int vec, void *fn, unsigned int dpl)
{
	uintptr_t a = (uintptr_t)fn;

	idt[vec] = (struct idt_gate){
		.off_lo = a & 0xffff,
		.sel = BK_KERNEL_CS,
		.type = 0x8e | (dpl << 5),
		.off_mid = (a >> 16) & 0xffff,
		.off_hi = a >> 32,
	};
}

void trap_init(void)
{
	static char *const traps[] = {
		trap_0, trap_1, trap_2, trap_3, trap_4, trap_5, trap_6, trap_7,
		trap_8, trap_9, trap_10, trap_11, trap_12, trap_13, trap_14, trap_15,
		trap_16, trap_17, trap_18, trap_19, trap_20, trap_21,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(idt); i++)
		set_gate(i, i < ARRAY_SIZE(traps) ? traps[i] : spurious_entry, 0);
	set_gate(BK_UPCALL_VECTOR, upcall_entry, 0);
}

static const char *const trap_names[] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound",
	"invalid opcode", "no FPU", "double fault", "coprocessor", "invalid TSS",
	"segment not present", "stack fault", "general protection", "page fault",
	"reserved", "x87 error", "alignment check", "machine check", "SIMD error",
	"virtualisation", "control protection",
};

void trap_fatal(uint64_t vec, uint64_t err, uint64_t rip, uint64_t rsp, uint64_t cr2)
	__attribute__((noreturn));
void trap_fatal(uint64_t vec, uint64_t err, uint64_t rip, uint64_t rsp, uint64_t cr2)
{
	printk("FATAL: %s (vector %lu, error %lx) at rip %lx rsp %lx cr2 %lx\n",
	       vec < ARRAY_SIZE(trap_names) ? trap_names[vec] : "?", vec, err, rip, rsp, cr2);
	shutdown(SHUTDOWN_crash);
}

void triple_fault(void)
{
	memset(idt, 0, sizeof(idt));
	__asm__ volatile("int3" ::: "memory");
	for (;;)
		;
}

void shutdown(unsigned int reason)
{
	struct sched_shutdown s = { .reason = reason };

	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("PANIC: %s\n", buf);
	shutdown(SHUTDOWN_crash);
}
