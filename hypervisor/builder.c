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
#include "xlcfg.h"
#include "measure.h"
#include "pvh_elf.h"

int builder_open_images(const struct xlcfg *cfg, struct builder_images *im, char *err,
			size_t errlen)
{
	const char *path[BUILDER_NR_IMAGES] = { cfg->kernel, cfg->ramdisk };

	for (int i = 0; i < BUILDER_NR_IMAGES; i++)
		im->fd[i] = -1;
	for (int i = 0; i < BUILDER_NR_IMAGES; i++) {
		if (!path[i][0])
			continue;
		im->fd[i] = open(path[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (im->fd[i] < 0) {
			snprintf(err, errlen, "domain '%s': %s: %s", cfg->name, path[i], strerror(errno));
			builder_images_close(im);
			return -1;
		}
	}
	return 0;
}

int builder_images_dup(const struct builder_images *in, struct builder_images *out)
{
	for (int i = 0; i < BUILDER_NR_IMAGES; i++)
		out->fd[i] = -1;
	for (int i = 0; i < BUILDER_NR_IMAGES; i++) {
		if (in->fd[i] < 0)
			continue;
		out->fd[i] = fcntl(in->fd[i], F_DUPFD_CLOEXEC, 0);
		if (out->fd[i] < 0) {
			int e = errno;

			builder_images_close(out);
			errno = e;
			return -1;
		}
	}
	return 0;
}

void builder_images_close(struct builder_images *im)
{
	for (int i = 0; i < BUILDER_NR_IMAGES; i++) {
		if (im->fd[i] >= 0)
			close(im->fd[i]);
		im->fd[i] = -1;
	}
}

static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" :
	       S_ISDIR(m) ? "a directory" : "not a regular file";
}

/*
 * Read a whole image from its fd (named `path` in messages), refusing
 * anything but a regular file and one larger than `max` bytes before it
 * allocates or reads. pread: a restart's dups share the file offset.
 */
static void *read_image(int fd, const char *path, uint64_t max, size_t *len, char *err,
			size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;

	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s: %lld bytes do not fit in guest RAM", path,
			 (long long)st.st_size);
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, st.st_size - got, got);

		if (n < 0 && errno == EINTR)
			continue;
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
	/* Each image the config names came open, and only those (docs/control-protocol.md). */
	if (d->images.fd[BUILDER_KERNEL] < 0 ||
	    (d->images.fd[BUILDER_RAMDISK] < 0) != !d->cfg.ramdisk[0]) {
		snprintf(err, errlen, "the open kernel%s must come with the request (SCM_RIGHTS), "
			 "and nothing else", d->cfg.ramdisk[0] ? " and ramdisk" : "");
		return -1;
	}
	buf = read_image(d->images.fd[BUILDER_KERNEL], d->cfg.kernel, d->ram.size, &len, err,
			 errlen);
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

		buf = read_image(d->images.fd[BUILDER_RAMDISK], d->cfg.ramdisk, d->ram.size, &len,
				 err, errlen);
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
