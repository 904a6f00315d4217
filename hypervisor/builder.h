/*
 * The PVH domain builder: loads the kernel and ramdisk that a config names
 * into a new domain's RAM, and writes hvm_start_info, the command line and
 * the memory map. Runs on the main thread before any vCPU of the domain.
 */
#ifndef BH_BUILDER_H
#define BH_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include <xen/arch-x86/hvm/start_info.h>

struct domain;

#define BUILDER_MEMMAP_MAX 4

/* The domain's memory map, as given in start_info and XENMEM_memory_map. */
unsigned int builder_memmap(const struct domain *d,
			    struct hvm_memmap_table_entry map[BUILDER_MEMMAP_MAX]);

/* Load images and write the start info. 0, or -1 with the reason in err. */
int builder_build(struct domain *d, char *err, size_t errlen);

#endif
