/*
 * The PVH domain builder: loads the kernel and ramdisk that a config names
 * into a new domain's RAM, and writes hvm_start_info, the command line and
 * the memory map. Runs on the main thread before any vCPU of the domain.
 *
 * It reads the images only through open fds (struct builder_images), never
 * by path: a domain created over the control socket brings fds that the
 * requester opened with its own rights (docs/control-protocol.md), and a
 * boot domain's are opened here with the operator's. Each fd must be a
 * regular file no larger than the domain's RAM before a byte is read.
 */
#ifndef BH_BUILDER_H
#define BH_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include <xen/arch-x86/hvm/start_info.h>

struct domain;
struct xlcfg;

#define BUILDER_MEMMAP_MAX 4

/* A domain's images, open: the kernel, and the ramdisk (-1 when the config names none). */
enum { BUILDER_KERNEL, BUILDER_RAMDISK, BUILDER_NR_IMAGES };
struct builder_images {
	int fd[BUILDER_NR_IMAGES]; /* -1: none */
};

/*
 * A boot domain's images (--domain, the operator's authority): open the
 * config's paths with O_NONBLOCK | O_NOCTTY, so that a FIFO or a device
 * node named there can neither block the main thread nor become bulkhead's
 * terminal; builder_build then refuses anything but a regular file. 0, or
 * -1 with "PATH: reason" in err (nothing left open).
 */
int builder_open_images(const struct xlcfg *cfg, struct builder_images *im, char *err,
			size_t errlen);
/* dup each of in's fds (close-on-exec) into out; 0, or -1 with errno (nothing left open). */
int builder_images_dup(const struct builder_images *in, struct builder_images *out);
void builder_images_close(struct builder_images *im);

/* The domain's memory map, as given in start_info and XENMEM_memory_map. */
unsigned int builder_memmap(const struct domain *d,
			    struct hvm_memmap_table_entry map[BUILDER_MEMMAP_MAX]);

/* Load d->images and write the start info. 0, or -1 with the reason in err. */
int builder_build(struct domain *d, char *err, size_t errlen);

#endif
