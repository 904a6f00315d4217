/*
 * PVH image loader, after Xen's PVH domain builder: PT_LOAD segments go to
 * their p_paddr, and the entry point comes from XEN_ELFNOTE_PHYS32_ENTRY
 * rather than e_entry (which is a virtual address in a Linux vmlinux).
 *
 * The image is untrusted: every offset, size and count in it is checked with
 * overflow-safe arithmetic before it is used. The whole image is validated
 * before the first byte is written to guest RAM, so a refused image leaves
 * RAM untouched (stronger than pvh_elf.h promises).
 */
#include "pvh_elf.h"

#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <xen/elfnote.h>

#include <bulkhead/abi.h>

/* Fields are copied out in host order; ELFDATA2LSB is all we accept. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "pvh_elf.c reads little-endian ELF in host byte order");

#define PVH_MAX_PHDRS 64 /* kernels have a handful; bounds work and stack */
#define XEN_NOTE_NAME "Xen"
#define NOTE_ALIGN(x) (((x) + 3) & ~(uint64_t)3) /* name, desc padding */

/* One program header, widened to 64 bits whatever the ELF class. */
struct seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

struct loader {
	const char *path;
	char *err;
	size_t errlen;
	const uint8_t *img;
	size_t len;
	uint64_t ram_size, min_gpa;
	bool is64;
	unsigned int nseg;
	struct seg seg[PVH_MAX_PHDRS];
	bool have_entry, have_flags;
	uint32_t entry, bh_flags;
};

static int __attribute__((format(printf, 2, 3)))
fail(const struct loader *ld, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ld->err || !ld->errlen)
		return -1;
	n = snprintf(ld->err, ld->errlen, "%s: ", ld->path ? ld->path : "(image)");
	if (n < 0 || (size_t)n >= ld->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Is [off, off + size) inside the file? Both come from the image. An empty
 * range always is: linkers may give a bss-only segment any p_offset.
 */
static bool in_file(const struct loader *ld, uint64_t off, uint64_t size)
{
	uint64_t end;

	return !size || (!__builtin_add_overflow(off, size, &end) && end <= ld->len);
}

/*
 * Check the ELF header and return where the program headers are. The
 * e_ident checks come first because they decide which header layout applies.
 */
static int parse_ehdr(struct loader *ld, uint64_t *phoff)
{
	const uint8_t *id = ld->img;
	uint16_t type, machine, phentsize, phnum;
	uint32_t version;

	if (ld->len < SELFMAG || memcmp(id, ELFMAG, SELFMAG))
		return fail(ld, "not an ELF file");
	if (ld->len < EI_NIDENT)
		return fail(ld, "truncated file (ELF header)");
	if (id[EI_CLASS] != ELFCLASS64 && id[EI_CLASS] != ELFCLASS32)
		return fail(ld, "unsupported ELF class %u", id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return fail(ld, "unsupported ELF byte order (want little-endian)");
	if (id[EI_VERSION] != EV_CURRENT)
		return fail(ld, "unsupported ELF version %u", id[EI_VERSION]);

	ld->is64 = id[EI_CLASS] == ELFCLASS64;
	if (ld->len < (ld->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return fail(ld, "truncated file (ELF header)");
	if (ld->is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, ld->img, sizeof(eh));
		type = eh.e_type, machine = eh.e_machine, version = eh.e_version;
		*phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, ld->img, sizeof(eh));
		type = eh.e_type, machine = eh.e_machine, version = eh.e_version;
		*phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
	}

	if (version != EV_CURRENT)
		return fail(ld, "unsupported ELF version %" PRIu32, version);
	if (machine != (ld->is64 ? EM_X86_64 : EM_386))
		return fail(ld, "unsupported ELF machine %u for %s (want %s)", machine,
			    ld->is64 ? "ELF64" : "ELF32", ld->is64 ? "x86-64" : "i386");
	if (type != ET_EXEC)
		return fail(ld, "unsupported ELF type %u (want ET_EXEC)", type);
	if (phentsize != (ld->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return fail(ld, "bad program header size %u", phentsize);
	/* PN_XNUM (0xffff) is refused here too: no section-0 indirection. */
	if (phnum == 0)
		return fail(ld, "no program headers");
	if (phnum > PVH_MAX_PHDRS)
		return fail(ld, "too many program headers (%u, max %d)", phnum,
			    PVH_MAX_PHDRS);
	if (!in_file(ld, *phoff, (uint64_t)phnum * phentsize))
		return fail(ld, "truncated file (program headers past end)");
	ld->nseg = phnum;
	return 0;
}

static void read_phdrs(struct loader *ld, uint64_t phoff)
{
	for (unsigned int i = 0; i < ld->nseg; i++) {
		struct seg *s = &ld->seg[i];

		if (ld->is64) {
			Elf64_Phdr ph;

			memcpy(&ph, ld->img + phoff + i * sizeof(ph), sizeof(ph));
			*s = (struct seg){ ph.p_type, ph.p_offset, ph.p_paddr,
					   ph.p_filesz, ph.p_memsz };
		} else {
			Elf32_Phdr ph;

			memcpy(&ph, ld->img + phoff + i * sizeof(ph), sizeof(ph));
			*s = (struct seg){ ph.p_type, ph.p_offset, ph.p_paddr,
					   ph.p_filesz, ph.p_memsz };
		}
	}
}

static bool is_load(const struct seg *s)
{
	return s->type == PT_LOAD && s->memsz != 0;
}

/*
 * Check each PT_LOAD against the file, guest RAM and the earlier ones (whose
 * ends are already known not to wrap), and compute the extent [lo, hi).
 */
static int check_loads(struct loader *ld, uint64_t *lo, uint64_t *hi)
{
	bool any = false;

	for (unsigned int i = 0; i < ld->nseg; i++) {
		const struct seg *s = &ld->seg[i];
		uint64_t end;

		if (s->type != PT_LOAD)
			continue;
		if (s->filesz > s->memsz)
			return fail(ld, "segment %u file size 0x%" PRIx64
				    " exceeds its memory size 0x%" PRIx64,
				    i, s->filesz, s->memsz);
		if (!s->memsz)
			continue;
		if (!in_file(ld, s->offset, s->filesz))
			return fail(ld, "truncated file (segment %u data past end)", i);
		if (__builtin_add_overflow(s->paddr, s->memsz, &end) ||
		    s->paddr < ld->min_gpa || end > ld->ram_size)
			return fail(ld, "segment %u at 0x%" PRIx64 " size 0x%" PRIx64
				    " lies outside guest RAM (0x%" PRIx64 "-0x%" PRIx64 ")",
				    i, s->paddr, s->memsz, ld->min_gpa, ld->ram_size);
		for (unsigned int j = 0; j < i; j++) {
			const struct seg *t = &ld->seg[j];

			if (is_load(t) && s->paddr < t->paddr + t->memsz &&
			    t->paddr < end)
				return fail(ld, "segments %u and %u overlap", j, i);
		}
		if (!any || s->paddr < *lo)
			*lo = s->paddr;
		if (!any || end > *hi)
			*hi = end;
		any = true;
	}
	if (!any)
		return fail(ld, "no loadable segment (PT_LOAD)");
	return 0;
}

static bool name_is(const uint8_t *name, uint32_t namesz, const char *want)
{
	return namesz == strlen(want) + 1 && !memcmp(name, want, namesz);
}

/*
 * Record a 32-bit note value. A repeat that agrees is harmless; two that
 * differ would make the image mean different things to different loaders.
 */
static int take_u32(const struct loader *ld, const char *what, uint64_t v,
		    bool *have, uint32_t *dst)
{
	if (v > UINT32_MAX)
		return fail(ld, "%s note value 0x%" PRIx64 " does not fit in 32 bits",
			    what, v);
	if (*have && *dst != v)
		return fail(ld, "conflicting %s notes (0x%" PRIx32 " and 0x%" PRIx64 ")",
			    what, *dst, v);
	*have = true;
	*dst = (uint32_t)v;
	return 0;
}

static int handle_note(struct loader *ld, const uint32_t hdr[3],
		       const uint8_t *name, const uint8_t *desc)
{
	uint32_t namesz = hdr[0], descsz = hdr[1], type = hdr[2];
	uint64_t v = 0;

	if (name_is(name, namesz, XEN_NOTE_NAME) && type == XEN_ELFNOTE_PHYS32_ENTRY) {
		/* Some toolchains emit it as a 64-bit quantity (.quad). */
		if (descsz != 4 && descsz != 8)
			return fail(ld, "XEN_ELFNOTE_PHYS32_ENTRY note has size %" PRIu32
				    " (want 4 or 8)", descsz);
		memcpy(&v, desc, descsz);
		return take_u32(ld, "XEN_ELFNOTE_PHYS32_ENTRY", v, &ld->have_entry,
				&ld->entry);
	}
	if (name_is(name, namesz, BH_ELFNOTE_NAME) && type == BH_ELFNOTE_FEATURES) {
		if (descsz != 4)
			return fail(ld, "Bulkhead features note has size %" PRIu32
				    " (want 4)", descsz);
		memcpy(&v, desc, descsz);
		return take_u32(ld, "Bulkhead features", v, &ld->have_flags,
				&ld->bh_flags);
	}
	return 0; /* someone else's note */
}

/*
 * Walk the notes of PT_NOTE segment idx. Sizes are 32-bit and sums are 64-bit,
 * so they cannot wrap; each step advances at least 12 bytes, so the walk
 * ends. The last note's trailing padding may be missing, as libelf allows.
 */
static int scan_notes(struct loader *ld, unsigned int idx)
{
	const struct seg *s = &ld->seg[idx];
	uint64_t off = 0;

	if (!in_file(ld, s->offset, s->filesz))
		return fail(ld, "truncated file (note segment %u past end)", idx);
	while (off < s->filesz) {
		const uint8_t *note = ld->img + s->offset + off;
		uint64_t left = s->filesz - off, desc_off, desc_end;
		uint32_t hdr[3]; /* namesz, descsz, type */

		if (left < sizeof(hdr))
			return fail(ld, "malformed ELF note at offset 0x%" PRIx64
				    " of segment %u (header past segment end)", off, idx);
		memcpy(hdr, note, sizeof(hdr));
		desc_off = sizeof(hdr) + NOTE_ALIGN((uint64_t)hdr[0]);
		desc_end = desc_off + hdr[1];
		if (desc_end > left)
			return fail(ld, "malformed ELF note at offset 0x%" PRIx64
				    " of segment %u (name or descriptor past segment end)",
				    off, idx);
		if (handle_note(ld, hdr, note + sizeof(hdr), note + desc_off))
			return -1;
		off += NOTE_ALIGN(desc_end);
	}
	return 0;
}

/* The entry must be in bytes the image supplies, not in zeroed bss. */
static bool entry_is_loaded(const struct loader *ld)
{
	for (unsigned int i = 0; i < ld->nseg; i++) {
		const struct seg *s = &ld->seg[i];

		if (is_load(s) && ld->entry >= s->paddr &&
		    ld->entry - s->paddr < s->filesz)
			return true;
	}
	return false;
}

static void copy_loads(const struct loader *ld, uint8_t *ram)
{
	for (unsigned int i = 0; i < ld->nseg; i++) {
		const struct seg *s = &ld->seg[i];

		if (!is_load(s))
			continue;
		/* p_offset of a bss-only segment need not point into the file. */
		if (s->filesz)
			memcpy(ram + s->paddr, ld->img + s->offset, s->filesz);
		memset(ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}
}

int pvh_elf_load(const char *path, const void *img, size_t len, void *ram,
		 uint64_t ram_size, uint64_t min_gpa, struct pvh_image *out,
		 char *err, size_t errlen)
{
	struct loader ld = {
		.path = path, .err = err, .errlen = errlen,
		.img = img, .len = img ? len : 0,
		.ram_size = ram_size, .min_gpa = min_gpa,
	};
	uint64_t phoff = 0, lo = 0, hi = 0;

	if (err && errlen)
		err[0] = '\0';
	if (parse_ehdr(&ld, &phoff))
		return -1;
	read_phdrs(&ld, phoff);
	if (check_loads(&ld, &lo, &hi))
		return -1;
	for (unsigned int i = 0; i < ld.nseg; i++)
		if (ld.seg[i].type == PT_NOTE && scan_notes(&ld, i))
			return -1;
	if (!ld.have_entry)
		return fail(&ld, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	if (!entry_is_loaded(&ld))
		return fail(&ld, "entry point 0x%" PRIx32 " is not inside a loaded segment",
			    ld.entry);
	copy_loads(&ld, ram);
	*out = (struct pvh_image){ .entry = ld.entry, .lo = lo, .hi = hi,
				   .bh_flags = ld.bh_flags };
	return 0;
}
