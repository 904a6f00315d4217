/*
 * The one checked path from a guest address to bulkhead's memory.
 *
 * Every guest pointer a hypercall receives is a guest-virtual address; it is
 * translated by walking the guest's own page tables (which live in guest RAM
 * and are read once per entry), and every resulting guest-physical range is
 * checked against the domain's RAM before bulkhead touches it. Nothing else
 * in bulkhead computes ram + offset.
 *
 * Pure functions over the structures below, so unit tests drive them with
 * hostile page tables in an ordinary buffer.
 */
#ifndef BH_GUEST_MEM_H
#define BH_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_PAGE_SIZE 4096ull

struct guest_ram {
	uint8_t *base;   /* bulkhead's mapping of guest-physical 0 */
	uint64_t size;   /* bytes of RAM from guest-physical 0 */
};

/* The paging state of the vCPU that made the call (from KVM's sregs). */
struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
};

/* True when va is canonical for 48-bit virtual addresses. */
static inline bool gva_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* A host pointer for guest-physical [gpa, gpa+len), or NULL if any byte is outside RAM. */
void *gpa_to_host(const struct guest_ram *ram, uint64_t gpa, uint64_t len);

/*
 * Translate one guest-virtual address. Returns 0, or -XEN_EFAULT if the walk
 * leaves RAM, meets a non-present entry, or (for write) a read-only one.
 * Supports paging off and 4-level long-mode paging; other modes fault.
 */
int gva_to_gpa(const struct guest_ram *ram, const struct guest_paging *pg,
	       uint64_t gva, bool write, uint64_t *gpa);

/* Copy between bulkhead and guest-virtual memory, page by page. 0 or -XEN_EFAULT. */
int copy_from_guest(const struct guest_ram *ram, const struct guest_paging *pg,
		    void *dst, uint64_t gva, size_t len);
int copy_to_guest(const struct guest_ram *ram, const struct guest_paging *pg,
		  uint64_t gva, const void *src, size_t len);

#endif
