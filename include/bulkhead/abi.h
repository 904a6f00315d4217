/*
 * Bulkhead's own guest ABI constants: the few things a guest sees that are
 * not in Xen's public headers. Shared by bulkhead (hypervisor/) and the guest
 * kernel (stubdom/). Freestanding: no host headers.
 */
#ifndef BULKHEAD_ABI_H
#define BULKHEAD_ABI_H

/*
 * Each hypercall-page entry is "mov $nr, %eax; out %eax, $BH_HYPERCALL_PORT;
 * ret": KVM keeps VMCALL/VMMCALL for itself, so the trap is a port write.
 */
#define BH_HYPERCALL_PORT 0xb5

/*
 * A port that bulkhead answers with no work at all: the physical baseline
 * for the null-hypercall benchmark. Writes are ignored.
 */
#define BH_BASELINE_PORT 0xb6

/* The hypercall MSR that CPUID leaf 0x40000002 names (Xen's base). */
#define BH_HYPERCALL_MSR 0x40000000u

/* The Xen version bulkhead reports: the interface its headers describe. */
#define BH_XEN_MAJOR 4
#define BH_XEN_MINOR 17
#define BH_XEN_EXTRAVERSION ".0-bulkhead"

/*
 * ELF note owned by Bulkhead: name "Bulkhead", type BH_ELFNOTE_FEATURES,
 * a 32-bit descriptor of BH_FEATURE_* bits.
 */
#define BH_ELFNOTE_NAME "Bulkhead"
#define BH_ELFNOTE_FEATURES 1
/*
 * The image runs its kernel at CPL3 (Xen's x86-64 PV model) and issues
 * hypercalls from there. Without this bit bulkhead refuses hypercalls from
 * CPL>0 with -EPERM, as Xen does for HVM user mode.
 */
#define BH_FEATURE_CPL3_HYPERCALLS (1u << 0)

/* Guest-physical layout chosen by the PVH builder. */
#define BH_START_INFO_GPA 0x1000ull     /* hvm_start_info, modlist, memmap */
#define BH_CMDLINE_GPA 0x2000ull        /* command lines, one page */
#define BH_LOAD_MIN_GPA 0x100000ull     /* images load at or above 1 MiB */

#endif
