/*
 * Unit tests for pvh_elf_load(). Images are built in memory from a spec that
 * each test bends one way; every test runs for ELF64 and ELF32. Image
 * buffers and guest RAM are malloc'd at their exact sizes so ASan flags any
 * access outside them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/elfnote.h>

#include <bulkhead/abi.h>
#include "pvh_elf.h"

#define PATH "images/kernel.elf"

#define RAM_SIZE 0x200000ull
#define MIN_GPA BH_LOAD_MIN_GPA

/* Fixed file layout: ehdr | phdrs | notes | text | data. */
#define OFF_PH 64
#define MAX_TSEG 8
#define OFF_NOTE 512
#define NOTE_CAP 256
#define OFF_TEXT 768
#define TEXT_LEN 64
#define OFF_DATA (OFF_TEXT + TEXT_LEN)
#define DATA_LEN 32
#define IMG_LEN (OFF_DATA + DATA_LEN)
#define IMG_CAP 2048

#define TEXT_GPA 0x100000ull
#define TEXT_MEMSZ 0x100ull
#define DATA_GPA 0x101000ull
#define DATA_MEMSZ 0x1000ull
#define ENTRY 0x100010u

enum { SEG_NOTE, SEG_TEXT, SEG_DATA };

struct tseg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

struct tspec {
	bool is64;
	uint8_t ident[EI_NIDENT];
	uint16_t type, machine, phentsize, phnum;
	uint32_t version;
	uint64_t phoff;       /* what e_phoff says; phdrs are written at OFF_PH */
	unsigned int nseg;    /* phdrs written, whatever phnum says */
	struct tseg seg[MAX_TSEG];
	uint8_t notes[NOTE_CAP];
	size_t notes_len;
	size_t len;           /* bytes handed to the loader */
};

static uint8_t *ram;
static bool elf64 = true, elf32 = false;

static uint64_t pad4(uint64_t x)
{
	return (x + 3) & ~3ull;
}

/* Append n bytes to the note blob, padded to 4; the PT_NOTE covers it all. */
static void add_bytes(struct tspec *sp, const void *p, size_t n)
{
	assert_true(sp->notes_len + pad4(n) <= NOTE_CAP);
	memcpy(sp->notes + sp->notes_len, p, n);
	sp->notes_len += pad4(n);
	sp->seg[SEG_NOTE].filesz = sp->seg[SEG_NOTE].memsz = sp->notes_len;
}

static void add_header(struct tspec *sp, uint32_t namesz, uint32_t descsz,
		       uint32_t type)
{
	uint32_t hdr[3] = { namesz, descsz, type };

	add_bytes(sp, hdr, sizeof(hdr));
}

static void add_note(struct tspec *sp, const char *name, uint32_t namesz,
		     uint32_t type, const void *desc, uint32_t descsz)
{
	add_header(sp, namesz, descsz, type);
	add_bytes(sp, name, namesz);
	add_bytes(sp, desc, descsz);
}

static void add_u32_note(struct tspec *sp, const char *name, uint32_t type,
			 uint32_t v)
{
	add_note(sp, name, strlen(name) + 1, type, &v, sizeof(v));
}

static void clear_notes(struct tspec *sp)
{
	memset(sp->notes, 0, sizeof(sp->notes));
	sp->notes_len = 0;
	sp->seg[SEG_NOTE].filesz = sp->seg[SEG_NOTE].memsz = 0;
}

/* Replace all notes with just a PHYS32_ENTRY note. */
static void set_entry(struct tspec *sp, uint32_t entry)
{
	clear_notes(sp);
	add_u32_note(sp, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, entry);
}

static void default_spec(struct tspec *sp, bool is64)
{
	memset(sp, 0, sizeof(*sp));
	sp->is64 = is64;
	memcpy(sp->ident, ELFMAG, SELFMAG);
	sp->ident[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	sp->ident[EI_DATA] = ELFDATA2LSB;
	sp->ident[EI_VERSION] = EV_CURRENT;
	sp->type = ET_EXEC;
	sp->machine = is64 ? EM_X86_64 : EM_386;
	sp->version = EV_CURRENT;
	sp->phoff = OFF_PH;
	sp->phentsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	sp->nseg = sp->phnum = 3;
	sp->seg[SEG_NOTE] = (struct tseg){ PT_NOTE, OFF_NOTE, 0, 0, 0 };
	sp->seg[SEG_TEXT] = (struct tseg){ PT_LOAD, OFF_TEXT, TEXT_GPA, TEXT_LEN, TEXT_MEMSZ };
	sp->seg[SEG_DATA] = (struct tseg){ PT_LOAD, OFF_DATA, DATA_GPA, DATA_LEN, DATA_MEMSZ };
	add_u32_note(sp, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, ENTRY);
	add_u32_note(sp, BH_ELFNOTE_NAME, BH_ELFNOTE_FEATURES, BH_FEATURE_CPL3_HYPERCALLS);
	sp->len = IMG_LEN;
}

static uint8_t text_byte(size_t i)
{
	return (uint8_t)(i * 7 + 1);
}

static uint8_t data_byte(size_t i)
{
	return (uint8_t)(0xa0 + i);
}

/* ELF32 fields silently keep the low 32 bits of the spec's values. */
static void put_headers(const struct tspec *sp, uint8_t *buf)
{
	if (sp->is64) {
		Elf64_Ehdr eh = { .e_type = sp->type, .e_machine = sp->machine,
				  .e_version = sp->version, .e_entry = 0xffffffff81000000ull,
				  .e_phoff = sp->phoff, .e_ehsize = sizeof(eh),
				  .e_phentsize = sp->phentsize, .e_phnum = sp->phnum };

		memcpy(eh.e_ident, sp->ident, EI_NIDENT);
		memcpy(buf, &eh, sizeof(eh));
		for (unsigned int i = 0; i < sp->nseg; i++) {
			const struct tseg *s = &sp->seg[i];
			/* vaddr is bogus on purpose: the loader must use paddr. */
			Elf64_Phdr ph = { s->type, PF_R | PF_X, s->offset,
					  s->paddr + 0xffffffff80000000ull, s->paddr,
					  s->filesz, s->memsz, 4 };

			memcpy(buf + OFF_PH + i * sizeof(ph), &ph, sizeof(ph));
		}
	} else {
		Elf32_Ehdr eh = { .e_type = sp->type, .e_machine = sp->machine,
				  .e_version = sp->version, .e_entry = 0xc1000000u,
				  .e_phoff = sp->phoff, .e_ehsize = sizeof(eh),
				  .e_phentsize = sp->phentsize, .e_phnum = sp->phnum };

		memcpy(eh.e_ident, sp->ident, EI_NIDENT);
		memcpy(buf, &eh, sizeof(eh));
		for (unsigned int i = 0; i < sp->nseg; i++) {
			const struct tseg *s = &sp->seg[i];
			Elf32_Phdr ph = { s->type, s->offset, s->paddr + 0xc0000000u,
					  s->paddr, s->filesz, s->memsz, PF_R | PF_X, 4 };

			memcpy(buf + OFF_PH + i * sizeof(ph), &ph, sizeof(ph));
		}
	}
}

/* Returns a malloc'd buffer of exactly sp->len bytes. */
static uint8_t *build(const struct tspec *sp)
{
	uint8_t full[IMG_CAP] = { 0 };
	uint8_t *img;

	assert_true(sp->len <= IMG_CAP && sp->nseg <= MAX_TSEG);
	put_headers(sp, full);
	memcpy(full + OFF_NOTE, sp->notes, NOTE_CAP);
	for (size_t i = 0; i < TEXT_LEN; i++)
		full[OFF_TEXT + i] = text_byte(i);
	for (size_t i = 0; i < DATA_LEN; i++)
		full[OFF_DATA + i] = data_byte(i);
	img = malloc(sp->len ? sp->len : 1);
	assert_non_null(img);
	memcpy(img, full, sp->len);
	return img;
}

static int load(const struct tspec *sp, struct pvh_image *out, char *err,
		size_t errlen)
{
	uint8_t *img = build(sp);
	int rc = pvh_elf_load(PATH, img, sp->len, ram, RAM_SIZE, MIN_GPA, out,
			      err, errlen);

	free(img);
	return rc;
}

static void expect_ok(const struct tspec *sp, struct pvh_image *out)
{
	char err[256] = "";

	if (load(sp, out, err, sizeof(err)) != 0)
		fail_msg("unexpected failure: %s", err);
}

/* The load must fail with "PATH: ..." containing the formatted reason. */
static void __attribute__((format(printf, 2, 3)))
expect_fail(const struct tspec *sp, const char *fmt, ...)
{
	char err[256], want[256];
	struct pvh_image out;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	memset(err, 'X', sizeof(err));
	assert_int_equal(load(sp, &out, err, sizeof(err)), -1);
	assert_non_null(memchr(err, '\0', sizeof(err)));
	assert_int_equal(strncmp(err, PATH ": ", strlen(PATH ": ")), 0);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static bool is64_of(void **state)
{
	return *(bool *)*state;
}

/* How the loader prints a 64-bit spec value after the ELF class cut it. */
static uint64_t cut(bool is64, uint64_t v)
{
	return is64 ? v : (uint32_t)v;
}

static void test_good(void **state)
{
	struct tspec sp;
	struct pvh_image out;

	default_spec(&sp, is64_of(state));
	memset(ram, 0xcc, RAM_SIZE);
	expect_ok(&sp, &out);
	assert_int_equal(out.entry, ENTRY);
	assert_int_equal(out.bh_flags, BH_FEATURE_CPL3_HYPERCALLS);
	assert_int_equal(out.lo, TEXT_GPA);
	assert_int_equal(out.hi, DATA_GPA + DATA_MEMSZ);
	for (size_t i = 0; i < TEXT_LEN; i++)
		assert_int_equal(ram[TEXT_GPA + i], text_byte(i));
	for (size_t i = TEXT_LEN; i < TEXT_MEMSZ; i++)
		assert_int_equal(ram[TEXT_GPA + i], 0);
	for (size_t i = 0; i < DATA_LEN; i++)
		assert_int_equal(ram[DATA_GPA + i], data_byte(i));
	for (size_t i = DATA_LEN; i < DATA_MEMSZ; i++)
		assert_int_equal(ram[DATA_GPA + i], 0);
	/* Nothing outside the segments is written. */
	assert_int_equal(ram[TEXT_GPA - 1], 0xcc);
	assert_int_equal(ram[TEXT_GPA + TEXT_MEMSZ], 0xcc);
	assert_int_equal(ram[DATA_GPA - 1], 0xcc);
	assert_int_equal(ram[DATA_GPA + DATA_MEMSZ], 0xcc);
}

static void test_no_bulkhead_note(void **state)
{
	struct tspec sp;
	struct pvh_image out;

	default_spec(&sp, is64_of(state));
	set_entry(&sp, ENTRY);
	expect_ok(&sp, &out);
	assert_int_equal(out.entry, ENTRY);
	assert_int_equal(out.bh_flags, 0);
}

static void test_unknown_notes_ignored(void **state)
{
	static const uint8_t build_id[20] = { 1, 2, 3 };
	uint64_t vaddr_entry = 0xffffffff81000000ull;
	struct tspec sp;
	struct pvh_image out;

	default_spec(&sp, is64_of(state));
	clear_notes(&sp);
	add_note(&sp, "GNU", 4, NT_GNU_BUILD_ID, build_id, sizeof(build_id));
	add_note(&sp, "Xen", 4, XEN_ELFNOTE_ENTRY, &vaddr_entry, 8);
	add_note(&sp, "Xen", 3, XEN_ELFNOTE_PHYS32_ENTRY, "\0\0\0\0", 4); /* no NUL */
	add_note(&sp, "Xenx", 5, XEN_ELFNOTE_PHYS32_ENTRY, "\0\0\0\0", 4);
	add_note(&sp, "Bulkhead", 8, BH_ELFNOTE_FEATURES, "\xff\xff\xff\xff", 4);
	add_note(&sp, BH_ELFNOTE_NAME, 9, BH_ELFNOTE_FEATURES + 1, "\xff\xff\xff\xff", 4);
	add_header(&sp, 0, 0, 0); /* an empty note still advances the walk */
	add_u32_note(&sp, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, ENTRY);
	add_note(&sp, "GNU", 4, 7, "ab", 2);
	sp.seg[SEG_NOTE].filesz -= 2; /* last note's padding may be missing */
	expect_ok(&sp, &out);
	assert_int_equal(out.entry, ENTRY);
	assert_int_equal(out.bh_flags, 0);
}

static void test_entry_note_sizes(void **state)
{
	uint64_t e8 = ENTRY;
	struct tspec sp;
	struct pvh_image out;

	default_spec(&sp, is64_of(state));
	clear_notes(&sp);
	add_note(&sp, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &e8, 8);
	expect_ok(&sp, &out);
	assert_int_equal(out.entry, ENTRY);

	e8 |= 1ull << 32;
	clear_notes(&sp);
	add_note(&sp, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &e8, 8);
	expect_fail(&sp, "XEN_ELFNOTE_PHYS32_ENTRY note value 0x1%08x does not fit in 32 bits",
		    ENTRY);

	clear_notes(&sp);
	add_note(&sp, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, &e8, 2);
	expect_fail(&sp, "XEN_ELFNOTE_PHYS32_ENTRY note has size 2 (want 4 or 8)");

	default_spec(&sp, is64_of(state));
	add_note(&sp, BH_ELFNOTE_NAME, 9, BH_ELFNOTE_FEATURES, &e8, 8);
	expect_fail(&sp, "Bulkhead features note has size 8 (want 4)");
}

static void test_duplicate_notes(void **state)
{
	struct tspec sp;
	struct pvh_image out;

	default_spec(&sp, is64_of(state));
	add_u32_note(&sp, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, ENTRY);
	add_u32_note(&sp, BH_ELFNOTE_NAME, BH_ELFNOTE_FEATURES, BH_FEATURE_CPL3_HYPERCALLS);
	expect_ok(&sp, &out);
	assert_int_equal(out.entry, ENTRY);

	add_u32_note(&sp, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, ENTRY + 4);
	expect_fail(&sp, "conflicting XEN_ELFNOTE_PHYS32_ENTRY notes (0x%x and 0x%x)",
		    ENTRY, ENTRY + 4);

	default_spec(&sp, is64_of(state));
	add_u32_note(&sp, BH_ELFNOTE_NAME, BH_ELFNOTE_FEATURES, 0);
	expect_fail(&sp, "conflicting Bulkhead features notes (0x1 and 0x0)");
}

static void test_not_elf(void **state)
{
	static const uint8_t junk[64] = "#!/bin/sh\n";
	struct tspec sp;
	struct pvh_image out;
	char err[128];

	default_spec(&sp, is64_of(state));
	for (sp.len = 0; sp.len < SELFMAG; sp.len++)
		expect_fail(&sp, "not an ELF file");
	default_spec(&sp, is64_of(state));
	sp.ident[1] = 'e';
	expect_fail(&sp, "not an ELF file");

	assert_int_equal(pvh_elf_load(PATH, junk, sizeof(junk), ram, RAM_SIZE, MIN_GPA,
				      &out, err, sizeof(err)), -1);
	assert_string_equal(err, PATH ": not an ELF file");
	assert_int_equal(pvh_elf_load(PATH, NULL, 0, ram, RAM_SIZE, MIN_GPA, &out,
				      err, sizeof(err)), -1);
	assert_string_equal(err, PATH ": not an ELF file");
}

static void test_bad_ident(void **state)
{
	struct tspec sp;

	default_spec(&sp, is64_of(state));
	sp.len = 10;
	expect_fail(&sp, "truncated file (ELF header)");
	sp.len = sp.is64 ? sizeof(Elf64_Ehdr) - 1 : sizeof(Elf32_Ehdr) - 1;
	expect_fail(&sp, "truncated file (ELF header)");

	default_spec(&sp, is64_of(state));
	sp.ident[EI_CLASS] = ELFCLASSNONE;
	expect_fail(&sp, "unsupported ELF class 0");
	sp.ident[EI_CLASS] = 3;
	expect_fail(&sp, "unsupported ELF class 3");

	default_spec(&sp, is64_of(state));
	sp.ident[EI_DATA] = ELFDATA2MSB;
	expect_fail(&sp, "unsupported ELF byte order");

	default_spec(&sp, is64_of(state));
	sp.ident[EI_VERSION] = 2;
	expect_fail(&sp, "unsupported ELF version 2");

	default_spec(&sp, is64_of(state));
	sp.version = EV_NONE;
	expect_fail(&sp, "unsupported ELF version 0");
}

static void test_bad_machine_type(void **state)
{
	bool is64 = is64_of(state);
	struct tspec sp;

	default_spec(&sp, is64);
	sp.machine = EM_AARCH64;
	expect_fail(&sp, "unsupported ELF machine %u for %s", EM_AARCH64,
		    is64 ? "ELF64" : "ELF32");
	/* Class and machine must agree. */
	sp.machine = is64 ? EM_386 : EM_X86_64;
	expect_fail(&sp, "unsupported ELF machine");

	default_spec(&sp, is64);
	sp.type = ET_DYN;
	expect_fail(&sp, "unsupported ELF type 3 (want ET_EXEC)");
	sp.type = ET_REL;
	expect_fail(&sp, "unsupported ELF type 1 (want ET_EXEC)");
}

static void test_bad_phdr_table(void **state)
{
	bool is64 = is64_of(state);
	struct tspec sp;

	default_spec(&sp, is64);
	sp.phentsize = is64 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
	expect_fail(&sp, "bad program header size %u", sp.phentsize);
	sp.phentsize = 0;
	expect_fail(&sp, "bad program header size 0");

	default_spec(&sp, is64);
	sp.phnum = 0;
	expect_fail(&sp, "no program headers");
	sp.phnum = 65;
	expect_fail(&sp, "too many program headers (65, max 64)");
	sp.phnum = 0xffff; /* PN_XNUM */
	expect_fail(&sp, "too many program headers (65535, max 64)");
	/* 64 entries fit the limit but not this file. */
	sp.phnum = 64;
	expect_fail(&sp, "truncated file (program headers past end)");

	default_spec(&sp, is64);
	sp.phoff = UINT64_MAX - 16; /* phoff + table size wraps */
	expect_fail(&sp, "truncated file (program headers past end)");
	sp.phoff = IMG_LEN - 8;
	expect_fail(&sp, "truncated file (program headers past end)");
	sp.phoff = 0x7fffffff;
	expect_fail(&sp, "truncated file (program headers past end)");
}

static void test_bad_load_sizes(void **state)
{
	bool is64 = is64_of(state);
	struct tspec sp;

	default_spec(&sp, is64);
	sp.seg[SEG_TEXT].filesz = TEXT_MEMSZ + 1;
	expect_fail(&sp, "segment 1 file size 0x101 exceeds its memory size 0x100");
	sp.seg[SEG_TEXT].memsz = 0;
	expect_fail(&sp, "segment 1 file size 0x101 exceeds its memory size 0x0");

	default_spec(&sp, is64);
	sp.seg[SEG_TEXT].offset = UINT64_MAX - 7; /* offset + filesz wraps */
	expect_fail(&sp, "truncated file (segment 1 data past end)");

	default_spec(&sp, is64);
	sp.seg[SEG_DATA].filesz = DATA_LEN + 1;
	expect_fail(&sp, "truncated file (segment 2 data past end)");
	sp.seg[SEG_DATA].filesz = 0xffffffff;
	sp.seg[SEG_DATA].memsz = 0xffffffff;
	expect_fail(&sp, "truncated file (segment 2 data past end)");
}

static void test_outside_ram(void **state)
{
	bool is64 = is64_of(state);
	const char *fmt = "segment %u at 0x%" PRIx64 " size 0x%" PRIx64
		" lies outside guest RAM (0x100000-0x200000)";
	struct tspec sp;
	struct pvh_image out;

	default_spec(&sp, is64);
	sp.seg[SEG_DATA].paddr = UINT64_MAX - 0xfff; /* paddr + memsz wraps */
	sp.seg[SEG_DATA].memsz = 0x2000;
	expect_fail(&sp, fmt, 2, cut(is64, UINT64_MAX - 0xfff), (uint64_t)0x2000);

	default_spec(&sp, is64);
	sp.seg[SEG_TEXT].paddr = 0xff000;
	expect_fail(&sp, fmt, 1, (uint64_t)0xff000, (uint64_t)TEXT_MEMSZ);
	sp.seg[SEG_TEXT].paddr = MIN_GPA - 0x80; /* straddles min_gpa */
	expect_fail(&sp, fmt, 1, (uint64_t)(MIN_GPA - 0x80), (uint64_t)TEXT_MEMSZ);
	sp.seg[SEG_TEXT].paddr = 0;
	expect_fail(&sp, fmt, 1, (uint64_t)0, (uint64_t)TEXT_MEMSZ);

	default_spec(&sp, is64);
	sp.seg[SEG_DATA].paddr = RAM_SIZE - DATA_MEMSZ + 1;
	expect_fail(&sp, fmt, 2, (uint64_t)(RAM_SIZE - DATA_MEMSZ + 1), (uint64_t)DATA_MEMSZ);
	sp.seg[SEG_DATA].paddr = RAM_SIZE;
	expect_fail(&sp, fmt, 2, (uint64_t)RAM_SIZE, (uint64_t)DATA_MEMSZ);
	sp.seg[SEG_DATA].paddr = DATA_GPA;
	sp.seg[SEG_DATA].memsz = 0xffffffff;
	expect_fail(&sp, fmt, 2, (uint64_t)DATA_GPA, (uint64_t)0xffffffff);

	/* Exactly filling the top of RAM is fine. */
	default_spec(&sp, is64);
	sp.seg[SEG_DATA].paddr = RAM_SIZE - DATA_MEMSZ;
	expect_ok(&sp, &out);
	assert_int_equal(out.hi, RAM_SIZE);
}

static void test_overlap(void **state)
{
	bool is64 = is64_of(state);
	const uint64_t hi_text = 0x180000; /* room below text for segment 2 */
	struct tspec sp;
	struct pvh_image out;

	default_spec(&sp, is64);
	sp.seg[SEG_DATA].paddr = TEXT_GPA + 0x40;
	expect_fail(&sp, "segments 1 and 2 overlap");
	sp.seg[SEG_DATA].paddr = TEXT_GPA + TEXT_MEMSZ - 1; /* bss of 1 */
	expect_fail(&sp, "segments 1 and 2 overlap");

	/* 2 below 1, running into it. */
	sp.seg[SEG_TEXT].paddr = hi_text;
	sp.seg[SEG_DATA].paddr = hi_text - 0x10;
	expect_fail(&sp, "segments 1 and 2 overlap");
	sp.seg[SEG_DATA].paddr = hi_text - DATA_MEMSZ + 1;
	expect_fail(&sp, "segments 1 and 2 overlap");

	/* 2 wholly inside 1. */
	default_spec(&sp, is64);
	sp.seg[SEG_TEXT].memsz = 0x10000;
	expect_fail(&sp, "segments 1 and 2 overlap");

	/* A later third segment overlapping the first. */
	default_spec(&sp, is64);
	sp.nseg = sp.phnum = 4;
	sp.seg[3] = sp.seg[SEG_TEXT];
	sp.seg[3].paddr += 0xff;
	expect_fail(&sp, "segments 1 and 3 overlap");

	/* Touching is not overlapping, on either side. */
	default_spec(&sp, is64);
	sp.seg[SEG_DATA].paddr = TEXT_GPA + TEXT_MEMSZ;
	expect_ok(&sp, &out);
	sp.seg[SEG_TEXT].paddr = hi_text;
	sp.seg[SEG_DATA].paddr = hi_text - DATA_MEMSZ;
	set_entry(&sp, hi_text);
	expect_ok(&sp, &out);
	assert_int_equal(out.lo, hi_text - DATA_MEMSZ);
	assert_int_equal(out.hi, hi_text + TEXT_MEMSZ);
}

static void test_empty_and_missing_loads(void **state)
{
	bool is64 = is64_of(state);
	struct tspec sp;
	struct pvh_image out;

	/* memsz 0 segments are skipped, whatever their address or offset. */
	default_spec(&sp, is64);
	sp.nseg = sp.phnum = 4;
	sp.seg[3] = (struct tseg){ PT_LOAD, UINT64_MAX, UINT64_MAX, 0, 0 };
	expect_ok(&sp, &out);
	assert_int_equal(out.lo, TEXT_GPA);
	assert_int_equal(out.hi, DATA_GPA + DATA_MEMSZ);

	/* A bss-only segment's offset is not checked against the file. */
	sp.seg[3] = (struct tseg){ PT_LOAD, 1ull << 31, 0x180000, 0, 0x1000 };
	memset(ram + 0x180000, 0xcc, 0x1000);
	expect_ok(&sp, &out);
	assert_int_equal(out.hi, 0x181000);
	assert_int_equal(ram[0x180000], 0);
	assert_int_equal(ram[0x180fff], 0);

	default_spec(&sp, is64);
	sp.seg[SEG_TEXT].type = PT_NULL;
	sp.seg[SEG_DATA].type = PT_DYNAMIC;
	expect_fail(&sp, "no loadable segment (PT_LOAD)");
	sp.seg[SEG_TEXT] = (struct tseg){ PT_LOAD, 0, 0, 0, 0 };
	expect_fail(&sp, "no loadable segment (PT_LOAD)");

	default_spec(&sp, is64);
	sp.nseg = sp.phnum = 1;
	expect_fail(&sp, "no loadable segment (PT_LOAD)");
}

static void test_missing_entry_note(void **state)
{
	bool is64 = is64_of(state);
	struct tspec sp;

	default_spec(&sp, is64);
	sp.seg[SEG_NOTE].type = PT_NULL;
	expect_fail(&sp, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");

	default_spec(&sp, is64);
	clear_notes(&sp);
	add_u32_note(&sp, BH_ELFNOTE_NAME, BH_ELFNOTE_FEATURES, 1);
	expect_fail(&sp, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");

	/* An empty note segment, and one of zeroes (empty notes). */
	clear_notes(&sp);
	expect_fail(&sp, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	sp.seg[SEG_NOTE].filesz = 48;
	expect_fail(&sp, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");

	/* The note in a segment that is not PT_NOTE does not count. */
	default_spec(&sp, is64);
	sp.seg[SEG_NOTE].type = PT_PHDR;
	expect_fail(&sp, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
}

static void test_malformed_notes(void **state)
{
	bool is64 = is64_of(state);
	const char *past = "malformed ELF note at offset 0x%x of segment 0 "
		"(name or descriptor past segment end)";
	struct tspec sp;

	default_spec(&sp, is64);
	clear_notes(&sp);
	add_header(&sp, 0xffffffff, 4, XEN_ELFNOTE_PHYS32_ENTRY);
	add_bytes(&sp, "Xen\0\x10\0\x10\0", 8);
	expect_fail(&sp, past, 0);

	clear_notes(&sp);
	add_header(&sp, 0xfffffffd, 0, 0); /* name padding would wrap 32 bits */
	expect_fail(&sp, past, 0);

	clear_notes(&sp);
	add_header(&sp, 4, 0xfffffffe, XEN_ELFNOTE_PHYS32_ENTRY); /* descsz wraps */
	add_bytes(&sp, "Xen", 4);
	add_bytes(&sp, "\x10\0\x10\0", 4);
	expect_fail(&sp, past, 0);

	clear_notes(&sp);
	add_header(&sp, 4, 0xffffffff, XEN_ELFNOTE_PHYS32_ENTRY);
	add_bytes(&sp, "Xen", 4);
	expect_fail(&sp, past, 0);

	/* Huge sizes after a good note: the walk must not skip to it. */
	default_spec(&sp, is64);
	add_header(&sp, 0, 0xfffffff0, 0);
	expect_fail(&sp, past, 0x30);

	/* Note header straddling the segment end. */
	default_spec(&sp, is64);
	sp.seg[SEG_NOTE].filesz = 8;
	expect_fail(&sp, "malformed ELF note at offset 0x0 of segment 0 "
		    "(header past segment end)");
	sp.seg[SEG_NOTE].filesz = 0x14 + 6;
	expect_fail(&sp, "malformed ELF note at offset 0x14 of segment 0 "
		    "(header past segment end)");

	/* Descriptor cut by the segment end. */
	default_spec(&sp, is64);
	sp.seg[SEG_NOTE].filesz -= 2;
	expect_fail(&sp, past, 0x14);
	sp.seg[SEG_NOTE].filesz = 0x10;
	expect_fail(&sp, past, 0);
}

static void test_note_segment_bounds(void **state)
{
	bool is64 = is64_of(state);
	struct tspec sp;

	default_spec(&sp, is64);
	sp.seg[SEG_NOTE].offset = IMG_LEN - 4;
	expect_fail(&sp, "truncated file (note segment 0 past end)");
	sp.seg[SEG_NOTE].offset = UINT64_MAX - 3; /* offset + filesz wraps */
	expect_fail(&sp, "truncated file (note segment 0 past end)");
	sp.seg[SEG_NOTE].offset = OFF_NOTE;
	sp.seg[SEG_NOTE].filesz = UINT64_MAX;
	expect_fail(&sp, "truncated file (note segment 0 past end)");
}

static void test_entry_outside(void **state)
{
	bool is64 = is64_of(state);
	static const uint32_t bad[] = {
		0, TEXT_GPA - 1, TEXT_GPA + TEXT_LEN,      /* text's bss */
		TEXT_GPA + TEXT_MEMSZ, DATA_GPA + DATA_LEN, /* data's bss */
		DATA_GPA + DATA_MEMSZ, 0x300000, 0xffffffff,
	};
	static const uint32_t good[] = {
		TEXT_GPA, TEXT_GPA + TEXT_LEN - 1, DATA_GPA, DATA_GPA + DATA_LEN - 1,
	};
	struct tspec sp;
	struct pvh_image out;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		default_spec(&sp, is64);
		set_entry(&sp, bad[i]);
		expect_fail(&sp, "entry point 0x%x is not inside a loaded segment", bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		default_spec(&sp, is64);
		set_entry(&sp, good[i]);
		expect_ok(&sp, &out);
		assert_int_equal(out.entry, good[i]);
	}
}

/* Refused images are refused before guest RAM is written. */
static void test_failure_leaves_ram(void **state)
{
	struct tspec sp;
	struct pvh_image out;
	char err[128];

	default_spec(&sp, is64_of(state));
	set_entry(&sp, 0x300000);
	memset(ram, 0xcc, RAM_SIZE);
	assert_int_equal(load(&sp, &out, err, sizeof(err)), -1);
	for (uint64_t a = MIN_GPA; a < DATA_GPA + DATA_MEMSZ; a++)
		if (ram[a] != 0xcc)
			fail_msg("ram[0x%" PRIx64 "] written by a refused image", a);
}

static void test_small_err_buffer(void **state)
{
	struct tspec sp;
	struct pvh_image out;
	char err[16];

	default_spec(&sp, is64_of(state));
	sp.machine = EM_NONE;
	assert_int_equal(load(&sp, &out, NULL, 0), -1);
	memset(err, 'X', sizeof(err));
	assert_int_equal(load(&sp, &out, err, 0), -1);
	assert_int_equal(err[0], 'X');
	assert_int_equal(load(&sp, &out, err, 1), -1);
	assert_string_equal(err, "");
	assert_int_equal(load(&sp, &out, err, 10), -1);
	assert_string_equal(err, "images/ke");
	assert_int_equal(load(&sp, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "images/kernel.e");

	default_spec(&sp, is64_of(state));
	assert_int_equal(load(&sp, &out, NULL, 0), 0);
}

/* Every prefix of a good image is refused, without reading past it. */
static void test_truncated_everywhere(void **state)
{
	struct tspec sp;
	struct pvh_image out;
	char err[256];

	default_spec(&sp, is64_of(state));
	for (sp.len = 0; sp.len < IMG_LEN; sp.len++) {
		err[0] = '\0';
		if (load(&sp, &out, err, sizeof(err)) != -1)
			fail_msg("prefix of %zu bytes accepted", sp.len);
		assert_int_equal(strncmp(err, PATH ": ", strlen(PATH ": ")), 0);
	}
	expect_ok(&sp, &out);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Overwrite a field-sized spot with a value likely to hit an edge. */
static void mutate_field(uint8_t *img, size_t len)
{
	static const uint64_t vals[] = {
		0, 1, 3, 4, 8, 12, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xfffffff0,
		0xffffffff, UINT64_MAX, UINT64_MAX - 3, IMG_LEN, OFF_NOTE, OFF_DATA,
		MIN_GPA, MIN_GPA - 1, RAM_SIZE, RAM_SIZE - 1, DATA_GPA, ENTRY,
	};
	uint64_t v = vals[rng() % (sizeof(vals) / sizeof(vals[0]))];
	size_t width = (size_t)1 << (rng() % 4);
	size_t at = (rng() % (OFF_TEXT / width)) * width;

	if (at + width <= len)
		memcpy(img + at, &v, width);
}

static void test_fuzz(void **state)
{
	struct tspec sp;
	uint8_t *good;
	unsigned int ok = 0, refused = 0;
	char err[256];

	default_spec(&sp, is64_of(state));
	good = build(&sp);
	rng_state = is64_of(state) ? 0x9e3779b97f4a7c15ull : 0xd1b54a32d192ed03ull;
	memset(ram, 0x5a, RAM_SIZE);
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rng() % 8 ? IMG_LEN : rng() % (IMG_LEN + 1);
		uint8_t *img = malloc(len ? len : 1);
		struct pvh_image out;
		int rc;

		assert_non_null(img);
		memcpy(img, good, len);
		for (unsigned int n = 1 + rng() % 4; n && len; n--) {
			size_t at = rng() % 4 ? rng() % (len < OFF_TEXT ? len : OFF_TEXT)
					      : rng() % len;

			if (rng() % 3 == 0)
				mutate_field(img, len);
			else if (rng() % 2)
				img[at] ^= (uint8_t)(1u << (rng() % 8));
			else
				img[at] = (uint8_t)rng();
		}
		rc = pvh_elf_load(PATH, img, len, ram, RAM_SIZE, MIN_GPA, &out, err,
				  sizeof(err));
		free(img);
		if (rc == 0) {
			ok++;
			assert_true(out.lo >= MIN_GPA && out.lo < out.hi && out.hi <= RAM_SIZE);
			assert_true(out.entry >= out.lo && out.entry < out.hi);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(strncmp(err, PATH ": ", strlen(PATH ": ")), 0);
			refused++;
		}
	}
	free(good);
	/* Both outcomes must occur, or the fuzzer is not exercising anything. */
	assert_true(ok > 100 && refused > 100);
	for (uint64_t a = 0; a < MIN_GPA; a++)
		if (ram[a] != 0x5a)
			fail_msg("ram[0x%" PRIx64 "] below min_gpa written", a);
}

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_SIZE);
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

#define BOTH(f) \
	{ #f "/elf64", f, NULL, NULL, &elf64 }, \
	{ #f "/elf32", f, NULL, NULL, &elf32 }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_good),
		BOTH(test_no_bulkhead_note),
		BOTH(test_unknown_notes_ignored),
		BOTH(test_entry_note_sizes),
		BOTH(test_duplicate_notes),
		BOTH(test_not_elf),
		BOTH(test_bad_ident),
		BOTH(test_bad_machine_type),
		BOTH(test_bad_phdr_table),
		BOTH(test_bad_load_sizes),
		BOTH(test_outside_ram),
		BOTH(test_overlap),
		BOTH(test_empty_and_missing_loads),
		BOTH(test_missing_entry_note),
		BOTH(test_malformed_notes),
		BOTH(test_note_segment_bounds),
		BOTH(test_entry_outside),
		BOTH(test_failure_leaves_ram),
		BOTH(test_small_err_buffer),
		BOTH(test_truncated_everywhere),
		BOTH(test_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
