#include "builder.h"

#include <bulkhead/control.h>

#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bulkhead/abi.h>

#include "domain.h"
#include "measure.h"
#include "pvh_elf.h"

/* Read a whole image file, refusing one larger than `max` bytes. */
static void *read_image(const char *path, uint64_t max, size_t *len, char *err,
			size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s: %lld bytes do not fit in guest RAM", path,
			 (long long)st.st_size);
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n <= 0) {
			snprintf(err, errlen, "%s: read failed: %s", path,
				 n ? strerror(errno) : "file shrank");
			free(buf);
			buf = NULL;
			break;
		}
		got += n;
	}
	if (!buf && !err[0])
		snprintf(err, errlen, "%s: out of memory", path);
	close(fd);
	*len = got;
	return buf;
}

unsigned int builder_memmap(const struct domain *d,
			    struct hvm_memmap_table_entry map[BUILDER_MEMMAP_MAX])
{
	memset(map, 0, sizeof(*map) * BUILDER_MEMMAP_MAX);
	map[0].addr = 0;
	map[0].size = d->ram.size;
	map[0].type = XEN_HVM_MEMMAP_TYPE_RAM;
	if (!d->store_arena)
		return 1;
	/* The xenstore ring, as Xen marks its PVH special pages. */
	map[1].addr = BH_STORE_GPA;
	map[1].size = 4096;
	map[1].type = XEN_HVM_MEMMAP_TYPE_RESERVED;
	return 2;
}

/*
 * Low memory layout (include/bulkhead/abi.h): start info, module list and
 * memory map in the page at BH_START_INFO_GPA, command lines in the next.
 */
struct start_page {
	struct hvm_start_info si;
	struct hvm_modlist_entry mod[1];
	struct hvm_memmap_table_entry map[BUILDER_MEMMAP_MAX];
};

int builder_build(struct domain *d, char *err, size_t errlen)
{
	struct pvh_image img;
	struct start_page *sp;
	char *cmd;
	size_t len;
	void *buf;
	int rc;

	err[0] = 0;
	buf = read_image(d->cfg.kernel, d->ram.size, &len, err, errlen);
	if (!buf)
		return -1;
	/* Measured from the very bytes that are loaded. */
	if (measure_domain(d->name, MEASURE_PCR_IMAGES, "kernel", buf, len, err, errlen)) {
		free(buf);
		return -1;
	}
	rc = pvh_elf_load(d->cfg.kernel, buf, len, d->ram.base, d->ram.size,
			  BH_LOAD_MIN_GPA, &img, err, errlen);
	free(buf);
	if (rc)
		return -1;
	d->entry = img.entry;
	d->bh_flags = img.bh_flags;

	_Static_assert(sizeof(struct start_page) <= GUEST_PAGE_SIZE, "start page");
	sp = gpa_to_host(&d->ram, BH_START_INFO_GPA, GUEST_PAGE_SIZE);
	cmd = gpa_to_host(&d->ram, BH_CMDLINE_GPA, GUEST_PAGE_SIZE);
	memset(sp, 0, GUEST_PAGE_SIZE);
	memset(cmd, 0, GUEST_PAGE_SIZE);
	_Static_assert(XLCFG_CMDLINE_MAX <= GUEST_PAGE_SIZE, "cmdline page");
	memcpy(cmd, d->cfg.cmdline, strnlen(d->cfg.cmdline, XLCFG_CMDLINE_MAX - 1));

	sp->si.magic = XEN_HVM_START_MAGIC_VALUE;
	sp->si.version = 1;
	sp->si.cmdline_paddr = BH_CMDLINE_GPA;
	sp->si.memmap_paddr = BH_START_INFO_GPA + offsetof(struct start_page, map);
	sp->si.memmap_entries = builder_memmap(d, sp->map);

	if (d->cfg.ramdisk[0]) {
		uint64_t at = (img.hi + GUEST_PAGE_SIZE - 1) & ~(GUEST_PAGE_SIZE - 1);

		buf = read_image(d->cfg.ramdisk, d->ram.size, &len, err, errlen);
		if (!buf)
			return -1;
		if (measure_domain(d->name, MEASURE_PCR_IMAGES, "ramdisk", buf, len, err, errlen)) {
			free(buf);
			return -1;
		}
		if (at > d->ram.size || len > d->ram.size - at) {
			snprintf(err, errlen, "%s: %zu bytes do not fit in guest RAM after "
				 "the kernel (%llu MiB)", d->cfg.ramdisk, len,
				 (unsigned long long)(d->ram.size >> 20));
			free(buf);
			return -1;
		}
		memcpy(gpa_to_host(&d->ram, at, len), buf, len);
		free(buf);
		sp->mod[0].paddr = at;
		sp->mod[0].size = len;
		sp->si.nr_modules = 1;
		sp->si.modlist_paddr = BH_START_INFO_GPA + offsetof(struct start_page, mod);
	}
	d->start_info_gpa = BH_START_INFO_GPA;
	return 0;
}
