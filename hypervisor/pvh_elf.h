/*
 * PVH image loader: parses an untrusted ELF file held in memory and copies
 * its PT_LOAD segments into guest RAM.
 *
 * Owns nothing; called by the domain builder (builder.c) before any vCPU
 * exists. Pure function over its buffers, so unit tests call it directly.
 */
#ifndef BH_PVH_ELF_H
#define BH_PVH_ELF_H

#include <stddef.h>
#include <stdint.h>

struct pvh_image {
	uint32_t entry;    /* XEN_ELFNOTE_PHYS32_ENTRY */
	uint64_t lo, hi;   /* guest-physical extent of the loaded segments [lo, hi) */
	uint32_t bh_flags; /* BH_FEATURE_* from the Bulkhead note, 0 when absent */
};

/*
 * Load img[0..len) (read from `path`, used only in messages) into
 * ram[0..ram_size), which maps guest-physical 0. Every PT_LOAD segment must
 * lie inside [min_gpa, ram_size) and not overlap another. Returns 0, or -1
 * with "path: reason" in err; on failure ram may hold partial segments.
 */
int pvh_elf_load(const char *path, const void *img, size_t len, void *ram,
		 uint64_t ram_size, uint64_t min_gpa, struct pvh_image *out,
		 char *err, size_t errlen);

#endif
