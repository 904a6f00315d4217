/* Bulkhead guest kernel: fixed numbers shared by assembly and C. */
#ifndef BK_LAYOUT_H
#define BK_LAYOUT_H

#define BK_MAX_CPUS 8
#define BK_GNTTAB_FRAMES 2 /* 1024 grant entries */

/* GDT selectors. User selectors carry RPL 3. */
#define BK_KERNEL_CS 0x08
#define BK_KERNEL_DS 0x10
#define BK_USER_DS 0x1b
#define BK_USER_CS 0x23
#define BK_TSS_SEL(cpu) (0x28 + 16 * (cpu))
#define BK_GDT_ENTRIES (5 + 2 * BK_MAX_CPUS)

/* Each CPU's CPL3 stack is this size and aligned to it; struct cpu sits at its base. */
#define BK_STACK_SIZE 16384
/* The CPL0 stack that the TSS names, used only by trap stubs. */
#define BK_KSTACK_SIZE 4096

/*
 * RFLAGS at CPL3: IF set, IOPL 0. PVM hosts do not give CPL3 an IOPL, so
 * the kernel never toggles IF there: it masks upcalls in software with
 * vcpu_info.evtchn_upcall_mask, as Xen's PV kernels do, and the TSS I/O
 * bitmap opens the hypercall ports to CPL3.
 */
#define BK_RFLAGS_USER 0x202

/* TSS: 104 bytes, then an I/O bitmap for ports 0-255 (all open) and its 0xff end byte. */
#define BK_TSS_IOMAP_BYTES 32
#define BK_TSS_LIMIT (104 + BK_TSS_IOMAP_BYTES)

/* Offset of vcpu_info in struct cpu, and of the mask in vcpu_info (for entry.S). */
#define BK_CPU_VCPU_INFO 8
#define BK_VCPU_INFO_MASK 1

/* The event-channel upcall vector (Linux on Xen uses the same). */
#define BK_UPCALL_VECTOR 0xf3

#define BK_LAPIC_BASE 0xfee00000
#define BK_LAPIC_SVR 0xf0
#define BK_LAPIC_EOI 0xb0

#endif
