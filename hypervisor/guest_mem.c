#include "guest_mem.h"
#include "x86.h"

#include <string.h>
#include <xen/errno.h>

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

void *gpa_to_host(const struct guest_ram *ram, uint64_t gpa, uint64_t len)
{
	if (gpa > ram->size || len > ram->size - gpa)
		return NULL;
	return ram->base + gpa;
}

/* Read one page-table entry; the guest may change it at any time, so read it once. */
static int read_pte(const struct guest_ram *ram, uint64_t gpa, uint64_t *pte)
{
	const volatile uint64_t *p = gpa_to_host(ram, gpa, sizeof(*pte));

	if (!p)
		return -XEN_EFAULT;
	*pte = *p;
	return 0;
}

int gva_to_gpa(const struct guest_ram *ram, const struct guest_paging *pg,
	       uint64_t gva, bool write, uint64_t *gpa)
{
	uint64_t table = pg->cr3 & PTE_ADDR;
	int level;

	if (!(pg->cr0 & CR0_PG)) {
		*gpa = gva;
		return 0;
	}
	/* Only 4-level long-mode paging is supported. */
	if (!(pg->efer & EFER_LMA) || !(pg->cr4 & CR4_PAE) || (pg->cr4 & CR4_LA57))
		return -XEN_EFAULT;
	/* Non-canonical addresses fault on hardware too. */
	if (!gva_canonical(gva))
		return -XEN_EFAULT;

	for (level = 3; level >= 0; level--) {
		unsigned int shift = 12 + 9 * level;
		uint64_t pte;

		if (read_pte(ram, table + ((gva >> shift) & 511) * 8, &pte))
			return -XEN_EFAULT;
		if (!(pte & PTE_P) || (write && !(pte & PTE_RW)))
			return -XEN_EFAULT;
		/* 1 GiB and 2 MiB leaves; PS is reserved at the top level. */
		if ((pte & PTE_PS) && (level == 1 || level == 2)) {
			uint64_t mask = (1ull << shift) - 1;

			*gpa = ((pte & PTE_ADDR) & ~mask) | (gva & mask);
			return 0;
		}
		if ((pte & PTE_PS) && level == 3)
			return -XEN_EFAULT;
		table = pte & PTE_ADDR;
	}
	*gpa = table | (gva & (GUEST_PAGE_SIZE - 1));
	return 0;
}

/* Resolve the part of [gva, gva+len) that lies in gva's page. */
static void *chunk(const struct guest_ram *ram, const struct guest_paging *pg,
		   uint64_t gva, size_t len, bool write, size_t *n)
{
	uint64_t gpa;

	*n = GUEST_PAGE_SIZE - (gva & (GUEST_PAGE_SIZE - 1));
	if (*n > len)
		*n = len;
	if (gva_to_gpa(ram, pg, gva, write, &gpa))
		return NULL;
	return gpa_to_host(ram, gpa, *n);
}

int copy_from_guest(const struct guest_ram *ram, const struct guest_paging *pg,
		    void *dst, uint64_t gva, size_t len)
{
	uint8_t *d = dst;

	if (gva + len < gva)
		return -XEN_EFAULT;
	while (len) {
		size_t n;
		void *src = chunk(ram, pg, gva, len, false, &n);

		if (!src)
			return -XEN_EFAULT;
		memcpy(d, src, n);
		d += n;
		gva += n;
		len -= n;
	}
	return 0;
}

int copy_to_guest(const struct guest_ram *ram, const struct guest_paging *pg,
		  uint64_t gva, const void *src, size_t len)
{
	const uint8_t *s = src;

	if (gva + len < gva)
		return -XEN_EFAULT;
	while (len) {
		size_t n;
		void *dst = chunk(ram, pg, gva, len, true, &n);

		if (!dst)
			return -XEN_EFAULT;
		memcpy(dst, s, n);
		s += n;
		gva += n;
		len -= n;
	}
	return 0;
}
