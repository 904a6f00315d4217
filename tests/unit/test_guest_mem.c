/*
 * Unit tests for guest_mem.c, the one checked translation from guest
 * addresses to bulkhead's memory.
 *
 * Guest RAM is malloc'd at exactly its size, and the page tables the walks
 * use are built inside it, so under ASan any read or write outside guest RAM
 * fails the test. The random test at the end checks every result against a
 * simple per-byte reference walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <xen/errno.h>

#include "guest_mem.h"
#include "fake_domain.h"

#define RAM_SIZE 0x400000ull /* 4 MiB: room for one 2 MiB leaf */
#define PAGE GUEST_PAGE_SIZE

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

#define P (1ull << 0)
#define RW (1ull << 1)
#define US (1ull << 2)
#define PS (1ull << 7)
#define ADDR_MASK 0x000ffffffffff000ull

/* Page tables live in the first 64 KiB; data pages above it. */
#define PML4_GPA 0x1000ull
#define TABLES_END 0x10000ull

static struct guest_ram ram;
static struct guest_paging pg;
static uint64_t next_table; /* bump allocator for table pages */

static const struct guest_paging paging_off = { .cr0 = CR0_PE };

static uint64_t *entry_at(uint64_t gpa)
{
	assert_true(gpa + 8 <= RAM_SIZE);
	return (uint64_t *)(ram.base + gpa);
}

static uint64_t table_index(uint64_t gva, int level)
{
	return (gva >> (12 + 9 * level)) & 511;
}

/* Where the entry for gva at level (3 = PML4 ... 0 = PT) lives, allocating tables. */
static uint64_t *walk_alloc(uint64_t gva, int leaf_level)
{
	uint64_t table = PML4_GPA;
	int level;

	for (level = 3; level > leaf_level; level--) {
		uint64_t *e = entry_at(table + table_index(gva, level) * 8);

		if (!(*e & P)) {
			assert_true(next_table < TABLES_END);
			*e = next_table | P | RW | US;
			next_table += PAGE;
		}
		table = *e & ADDR_MASK;
	}
	return entry_at(table + table_index(gva, leaf_level) * 8);
}

static void map_4k(uint64_t gva, uint64_t gpa, uint64_t flags)
{
	*walk_alloc(gva, 0) = gpa | flags;
}

static void map_2m(uint64_t gva, uint64_t gpa, uint64_t flags)
{
	*walk_alloc(gva, 1) = gpa | flags | PS;
}

static void map_1g(uint64_t gva, uint64_t gpa, uint64_t flags)
{
	*walk_alloc(gva, 2) = gpa | flags | PS;
}

static int setup(void **state)
{
	(void)state;
	ram.base = malloc(RAM_SIZE);
	assert_non_null(ram.base);
	ram.size = RAM_SIZE;
	memset(ram.base, 0, RAM_SIZE);
	next_table = PML4_GPA + PAGE;
	pg = (struct guest_paging){
		.cr0 = CR0_PE | CR0_PG,
		.cr3 = PML4_GPA,
		.cr4 = CR4_PAE,
		.efer = EFER_LME | EFER_LMA,
	};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram.base);
	ram.base = NULL;
	return 0;
}

static int xlate(uint64_t gva, bool write, uint64_t *gpa)
{
	*gpa = 0xdeadbeef;
	return gva_to_gpa(&ram, &pg, gva, write, gpa);
}

/* ---- gpa_to_host --------------------------------------------------------- */

static void test_gpa_bounds(void **state)
{
	(void)state;
	assert_ptr_equal(gpa_to_host(&ram, 0, 0), ram.base);
	assert_ptr_equal(gpa_to_host(&ram, 0, RAM_SIZE), ram.base);
	assert_null(gpa_to_host(&ram, 0, RAM_SIZE + 1));
	assert_ptr_equal(gpa_to_host(&ram, RAM_SIZE, 0), ram.base + RAM_SIZE);
	assert_ptr_equal(gpa_to_host(&ram, RAM_SIZE - 1, 1), ram.base + RAM_SIZE - 1);
	assert_null(gpa_to_host(&ram, RAM_SIZE - 1, 2));
	assert_null(gpa_to_host(&ram, RAM_SIZE, 1));
	assert_null(gpa_to_host(&ram, RAM_SIZE + 1, 0));
	assert_null(gpa_to_host(&ram, RAM_SIZE - 1, UINT64_MAX));
	assert_null(gpa_to_host(&ram, 1, UINT64_MAX));
	assert_null(gpa_to_host(&ram, 0, UINT64_MAX));
	assert_null(gpa_to_host(&ram, UINT64_MAX, 1));
	assert_null(gpa_to_host(&ram, UINT64_MAX, 0));
	assert_null(gpa_to_host(&ram, UINT64_MAX - 7, 8));
}

/* ---- gva_to_gpa ---------------------------------------------------------- */

static void test_paging_off_identity(void **state)
{
	uint64_t gpa;
	uint8_t buf[4];

	(void)state;
	pg = paging_off;
	assert_int_equal(xlate(0x12345, true, &gpa), 0);
	assert_int_equal(gpa, 0x12345);
	/* Translation is the identity even outside RAM; the range check refuses it. */
	assert_int_equal(xlate(0xfff0000000000000ull, false, &gpa), 0);
	assert_int_equal(gpa, 0xfff0000000000000ull);
	ram.base[RAM_SIZE - 1] = 0x5a;
	assert_int_equal(copy_from_guest(&ram, &pg, buf, RAM_SIZE - 1, 1), 0);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, RAM_SIZE - 2, 4), -XEN_EFAULT);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, RAM_SIZE, 1), -XEN_EFAULT);
	/*
	 * Copies are page by page and not all-or-nothing (Xen's are not either):
	 * the part inside RAM may be written before the fault. ASan checks that
	 * nothing past RAM is touched.
	 */
	assert_int_equal(copy_to_guest(&ram, &pg, RAM_SIZE - 3, buf, 4), -XEN_EFAULT);
	assert_int_equal(copy_to_guest(&ram, &pg, RAM_SIZE, buf, 1), -XEN_EFAULT);
}

static void test_4k_leaf(void **state)
{
	const uint64_t gva = 0x00007f1234567000ull;
	uint64_t gpa;

	(void)state;
	map_4k(gva, 0x20000, P | RW);
	assert_int_equal(xlate(gva, false, &gpa), 0);
	assert_int_equal(gpa, 0x20000);
	assert_int_equal(xlate(gva + 0xabc, true, &gpa), 0);
	assert_int_equal(gpa, 0x20abc);
	assert_int_equal(xlate(gva + PAGE, false, &gpa), -XEN_EFAULT);
	assert_int_equal(xlate(gva - 1, false, &gpa), -XEN_EFAULT);
}

static void test_high_half(void **state)
{
	const uint64_t gva = 0xffff800000001000ull; /* PML4 index 256 */
	uint64_t gpa;

	(void)state;
	map_4k(gva, 0x21000, P | RW);
	assert_int_equal(xlate(gva + 0x10, false, &gpa), 0);
	assert_int_equal(gpa, 0x21010);
	map_4k(0xfffffffffffff000ull, 0x22000, P);
	assert_int_equal(xlate(UINT64_MAX, false, &gpa), 0);
	assert_int_equal(gpa, 0x22fff);
}

static void test_2m_leaf(void **state)
{
	const uint64_t gva = 0x0000000040200000ull;
	uint64_t gpa;

	(void)state;
	map_2m(gva, 0x200000, P | RW);
	assert_int_equal(xlate(gva + 0x12345, false, &gpa), 0);
	assert_int_equal(gpa, 0x212345);
	assert_int_equal(xlate(gva + 0x1fffff, true, &gpa), 0);
	assert_int_equal(gpa, 0x3fffff);
	/* Address bits below 2 MiB in the entry (PAT, reserved) do not leak into the gpa. */
	*walk_alloc(gva, 1) = 0x200000 | 0x1000 | 0xe000 | P | PS;
	assert_int_equal(xlate(gva + 0x345, false, &gpa), 0);
	assert_int_equal(gpa, 0x200345);
}

static void test_1g_leaf(void **state)
{
	const uint64_t gva = 3ull << 30;
	uint64_t gpa;

	(void)state;
	map_1g(gva, 0, P | RW);
	assert_int_equal(xlate(gva + 0x123456, false, &gpa), 0);
	assert_int_equal(gpa, 0x123456);
	/* The translation is fine but lands outside RAM: a copy must refuse it. */
	assert_int_equal(xlate(gva + 0x3ffffff0, false, &gpa), 0);
	assert_int_equal(gpa, 0x3ffffff0);
	assert_int_equal(copy_from_guest(&ram, &pg, &gpa, gva + RAM_SIZE, 1), -XEN_EFAULT);
	assert_int_equal(copy_from_guest(&ram, &pg, &gpa, gva + RAM_SIZE - 4, 8), -XEN_EFAULT);
}

/* The entry that maps gva at each level of a 4K chain. */
static uint64_t *chain_entry(uint64_t gva, int level)
{
	return walk_alloc(gva, level);
}

static void test_not_present_each_level(void **state)
{
	const uint64_t gva = 0x0000123456789000ull;
	int level;

	(void)state;
	for (level = 3; level >= 0; level--) {
		uint64_t gpa, saved;

		map_4k(gva, 0x30000, P | RW);
		assert_int_equal(xlate(gva, false, &gpa), 0);
		saved = *chain_entry(gva, level);
		*chain_entry(gva, level) = saved & ~P;
		assert_int_equal(xlate(gva, false, &gpa), -XEN_EFAULT);
		assert_int_equal(xlate(gva, true, &gpa), -XEN_EFAULT);
		*chain_entry(gva, level) = saved;
	}
}

static void test_read_only_each_level(void **state)
{
	const uint64_t gva = 0x0000234567890000ull;
	int level;

	(void)state;
	for (level = 3; level >= 0; level--) {
		uint64_t gpa, saved;
		uint32_t word = 0x11223344;

		map_4k(gva, 0x31000, P | RW);
		saved = *chain_entry(gva, level);
		*chain_entry(gva, level) = saved & ~RW;
		assert_int_equal(xlate(gva + 4, false, &gpa), 0);
		assert_int_equal(gpa, 0x31004);
		assert_int_equal(xlate(gva + 4, true, &gpa), -XEN_EFAULT);
		assert_int_equal(copy_to_guest(&ram, &pg, gva, &word, 4), -XEN_EFAULT);
		assert_int_equal(copy_from_guest(&ram, &pg, &word, gva, 4), 0);
		*chain_entry(gva, level) = saved;
		assert_int_equal(xlate(gva, true, &gpa), 0);
	}
}

static void test_entry_outside_ram_each_level(void **state)
{
	static const uint64_t bad[] = { RAM_SIZE, RAM_SIZE + PAGE, 0x000ffffffffff000ull };
	const uint64_t gva = 0x0000345678901000ull;
	unsigned int i;
	int level;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (level = 3; level >= 1; level--) {
			uint64_t gpa, saved;

			map_4k(gva, 0x32000, P | RW);
			saved = *chain_entry(gva, level);
			*chain_entry(gva, level) = bad[i] | P | RW;
			assert_int_equal(xlate(gva, false, &gpa), -XEN_EFAULT);
			*chain_entry(gva, level) = saved;
		}
		/* A leaf outside RAM translates, but no copy may use it. */
		{
			uint64_t gpa, word = 0;

			map_4k(gva, bad[i], P | RW);
			assert_int_equal(xlate(gva, false, &gpa), 0);
			assert_int_equal(gpa, bad[i]);
			assert_int_equal(copy_from_guest(&ram, &pg, &word, gva, 1), -XEN_EFAULT);
			assert_int_equal(copy_to_guest(&ram, &pg, gva, &word, 1), -XEN_EFAULT);
		}
	}
}

static void test_table_straddles_ram_end(void **state)
{
	const uint64_t gva = 0x00000000001ff000ull; /* PT index 511 */
	uint64_t gpa;

	(void)state;
	/* A PT in RAM's last page: entry 511 is its last 8 bytes. */
	map_4k(gva, 0x33000, P | RW);
	*chain_entry(gva, 1) = (RAM_SIZE - PAGE) | P | RW;
	*entry_at(RAM_SIZE - 8) = 0x33000 | P | RW;
	assert_int_equal(xlate(gva + 1, false, &gpa), 0);
	assert_int_equal(gpa, 0x33001);
	/* A RAM size that cuts that last entry in half must fault, not overread. */
	ram.size = RAM_SIZE - 4;
	assert_int_equal(xlate(gva, false, &gpa), -XEN_EFAULT);
	ram.size = RAM_SIZE;
}

static void test_cr3_outside_ram(void **state)
{
	uint64_t gpa;

	(void)state;
	map_4k(0x5000, 0x34000, P | RW);
	assert_int_equal(xlate(0x5000, false, &gpa), 0);
	/* PCID bits in CR3 are not part of the table address. */
	pg.cr3 = PML4_GPA | 0x7;
	assert_int_equal(xlate(0x5000, false, &gpa), 0);
	assert_int_equal(gpa, 0x34000);
	pg.cr3 = RAM_SIZE;
	assert_int_equal(xlate(0x5000, false, &gpa), -XEN_EFAULT);
	pg.cr3 = 0x000ffffffffff000ull;
	assert_int_equal(xlate(0x5000, false, &gpa), -XEN_EFAULT);
	pg.cr3 = UINT64_MAX;
	assert_int_equal(xlate(0x5000, false, &gpa), -XEN_EFAULT);
}

static void test_non_canonical(void **state)
{
	static const uint64_t bad[] = {
		0x0000800000000000ull, 0x8000000000000000ull, 0xffff7fffffffffffull,
		0x00ff000000000000ull, 0xfffe000000000000ull, 0x7fffffffffffffffull,
	};
	unsigned int i;
	uint64_t gpa;
	uint8_t b;

	(void)state;
	/* Map everything the low bits of those addresses select. */
	map_4k(0x0000000000000000ull, 0x35000, P | RW);
	map_4k(0x00007ffffffff000ull, 0x35000, P | RW);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(xlate(bad[i], false, &gpa), -XEN_EFAULT);
		assert_int_equal(copy_from_guest(&ram, &pg, &b, bad[i], 1), -XEN_EFAULT);
	}
	assert_int_equal(xlate(0x00007fffffffffffull, false, &gpa), 0);
	assert_int_equal(gpa, 0x35fff);
	/* A copy that runs off the top of the lower half into non-canonical space. */
	assert_int_equal(copy_from_guest(&ram, &pg, &gpa, 0x00007ffffffffffcull, 8), -XEN_EFAULT);
}

static void test_ps_at_pml4(void **state)
{
	uint64_t gpa;

	(void)state;
	map_4k(0x6000, 0x36000, P | RW);
	*chain_entry(0x6000, 3) |= PS;
	assert_int_equal(xlate(0x6000, false, &gpa), -XEN_EFAULT);
	/* A PML4 entry of PS|P with base 0 must not be taken as a 512 GiB page. */
	*chain_entry(0x6000, 3) = P | RW | PS;
	assert_int_equal(xlate(0x6000, false, &gpa), -XEN_EFAULT);
}

static void test_unsupported_modes(void **state)
{
	uint64_t gpa;

	(void)state;
	map_4k(0x7000, 0x37000, P | RW);
	assert_int_equal(xlate(0x7000, false, &gpa), 0);
	/* 32-bit paging. */
	pg.cr4 = 0;
	pg.efer = 0;
	assert_int_equal(xlate(0x7000, false, &gpa), -XEN_EFAULT);
	/* PAE paging (not long mode). */
	pg.cr4 = CR4_PAE;
	assert_int_equal(xlate(0x7000, false, &gpa), -XEN_EFAULT);
	/* LME without LMA is not long mode yet. */
	pg.efer = EFER_LME;
	assert_int_equal(xlate(0x7000, false, &gpa), -XEN_EFAULT);
	/* 5-level paging. */
	pg.efer = EFER_LME | EFER_LMA;
	pg.cr4 = CR4_PAE | CR4_LA57;
	assert_int_equal(xlate(0x7000, false, &gpa), -XEN_EFAULT);
	/* LMA without CR4.PAE is not a valid state either. */
	pg.cr4 = 0;
	assert_int_equal(xlate(0x7000, false, &gpa), -XEN_EFAULT);
}

/* ---- copies -------------------------------------------------------------- */

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void test_copy_noncontiguous(void **state)
{
	const uint64_t gva = 0x0000000080000000ull;
	uint8_t src[200], back[200];

	(void)state;
	/* Virtual pages in order, physical pages reversed and apart. */
	map_4k(gva, 0x50000, P | RW);
	map_4k(gva + PAGE, 0x40000, P | RW);
	fill_pattern(src, sizeof(src), 3);
	assert_int_equal(copy_to_guest(&ram, &pg, gva + PAGE - 96, src, sizeof(src)), 0);
	assert_memory_equal(ram.base + 0x50000 + PAGE - 96, src, 96);
	assert_memory_equal(ram.base + 0x40000, src + 96, sizeof(src) - 96);
	/* Nothing spilled into the physically adjacent pages. */
	assert_int_equal(ram.base[0x51000], 0);
	assert_int_equal(ram.base[0x40000 - 1], 0);
	assert_int_equal(ram.base[0x40000 + sizeof(src) - 96], 0);
	memset(back, 0, sizeof(back));
	assert_int_equal(copy_from_guest(&ram, &pg, back, gva + PAGE - 96, sizeof(back)), 0);
	assert_memory_equal(back, src, sizeof(src));
}

static void test_copy_many_pages(void **state)
{
	const uint64_t gva = 0x0000000090000000ull;
	static uint8_t src[3 * 4096 + 100], back[sizeof(src)];
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++)
		map_4k(gva + i * PAGE, 0x60000 + (3 - i) * 2 * PAGE, P | RW);
	fill_pattern(src, sizeof(src), 9);
	assert_int_equal(copy_to_guest(&ram, &pg, gva + 50, src, sizeof(src)), 0);
	for (i = 0; i < 4; i++) {
		size_t from = i ? i * PAGE - 50 : 0;
		size_t n = i == 3 ? sizeof(src) - from : (i ? PAGE : PAGE - 50);

		assert_memory_equal(ram.base + 0x60000 + (3 - i) * 2 * PAGE + (i ? 0 : 50),
				    src + from, n);
	}
	assert_int_equal(copy_from_guest(&ram, &pg, back, gva + 50, sizeof(back)), 0);
	assert_memory_equal(back, src, sizeof(src));
}

static void test_copy_within_2m_leaf(void **state)
{
	const uint64_t gva = 0x00000000c0000000ull;
	uint8_t src[3 * 4096], back[sizeof(src)];

	(void)state;
	map_2m(gva, 0x200000, P | RW);
	fill_pattern(src, sizeof(src), 1);
	assert_int_equal(copy_to_guest(&ram, &pg, gva + 0x1ff000 - sizeof(src), src, sizeof(src)), 0);
	assert_memory_equal(ram.base + 0x3ff000 - sizeof(src), src, sizeof(src));
	assert_int_equal(copy_from_guest(&ram, &pg, back, gva + 0x1ff000 - sizeof(src), sizeof(back)), 0);
	assert_memory_equal(back, src, sizeof(src));
	/* The last byte of the leaf is the last byte of RAM; one more is past the leaf. */
	assert_int_equal(copy_from_guest(&ram, &pg, back, gva + 0x1ffff0, 16), 0);
	assert_int_equal(copy_from_guest(&ram, &pg, back, gva + 0x1ffff0, 17), -XEN_EFAULT);
}

static void test_copy_second_page_unmapped(void **state)
{
	const uint64_t gva = 0x00000000a0000000ull;
	uint8_t buf[64];

	(void)state;
	map_4k(gva, 0x70000, P | RW);
	fill_pattern(buf, sizeof(buf), 5);
	assert_int_equal(copy_to_guest(&ram, &pg, gva + PAGE - 32, buf, sizeof(buf)), -XEN_EFAULT);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, gva + PAGE - 32, sizeof(buf)), -XEN_EFAULT);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, gva + PAGE - 32, 32), 0);
	/* Second page present but read-only: reads pass, writes fault. */
	map_4k(gva + PAGE, 0x72000, P);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, gva + PAGE - 32, sizeof(buf)), 0);
	assert_int_equal(copy_to_guest(&ram, &pg, gva + PAGE - 32, buf, sizeof(buf)), -XEN_EFAULT);
	assert_int_equal(ram.base[0x72000], 0);
}

static void test_copy_wraps(void **state)
{
	uint8_t buf[32];

	(void)state;
	map_4k(0xfffffffffffff000ull, 0x38000, P | RW);
	map_4k(0, 0x39000, P | RW);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, UINT64_MAX - 9, 20), -XEN_EFAULT);
	assert_int_equal(copy_to_guest(&ram, &pg, UINT64_MAX - 9, buf, 20), -XEN_EFAULT);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, UINT64_MAX, 2), -XEN_EFAULT);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, 0xfffffffffffff000ull, 16), 0);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, 1, SIZE_MAX), -XEN_EFAULT);
	assert_int_equal(copy_to_guest(&ram, &pg, 1, buf, SIZE_MAX), -XEN_EFAULT);
	pg = paging_off;
	assert_int_equal(copy_from_guest(&ram, &pg, buf, UINT64_MAX - 9, 20), -XEN_EFAULT);
	assert_int_equal(copy_to_guest(&ram, &pg, UINT64_MAX - 9, buf, 20), -XEN_EFAULT);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, 16, SIZE_MAX - 8), -XEN_EFAULT);
	assert_int_equal(ram.base[0x39000], 0);
	assert_int_equal(ram.base[0x38fff], 0);
}

static void test_copy_len_zero(void **state)
{
	uint8_t buf[4] = { 1, 2, 3, 4 };

	(void)state;
	/* Nothing is mapped at all, and nothing needs to be. */
	assert_int_equal(copy_from_guest(&ram, &pg, buf, 0x1234, 0), 0);
	assert_int_equal(copy_to_guest(&ram, &pg, 0x1234, buf, 0), 0);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, UINT64_MAX, 0), 0);
	assert_int_equal(copy_from_guest(&ram, &pg, buf, 0x8000000000000000ull, 0), 0);
	pg = paging_off;
	assert_int_equal(copy_to_guest(&ram, &pg, RAM_SIZE, buf, 0), 0);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[3], 4);
}

/* ---- random page tables against a reference walk -------------------------- */

/*
 * A small RAM that does not end on an 8-byte boundary, filled with random
 * entries: every page is both a table and data, entries point in and out
 * of it, and the last entry is cut in half by the end of RAM.
 */
#define RND_PAGES 16
#define RND_SIZE (RND_PAGES * PAGE + 12)

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

static uint64_t random_entry(void)
{
	uint64_t r = rnd(), e;

	if (r % 16 == 0)
		return rnd(); /* anything at all */
	e = ((r >> 8) % (RND_PAGES + 4)) * PAGE; /* mostly in RAM */
	if ((r >> 16) % 4)
		e |= P;
	if ((r >> 20) % 3)
		e |= RW;
	if ((r >> 24) % 6 == 0)
		e |= PS;
	if ((r >> 28) % 8 == 0)
		e |= ((r >> 32) & 0x7ffull) << 52 | US; /* NX, ignored bits */
	return e;
}

static void random_ram(uint8_t *mem, size_t size)
{
	size_t i;

	for (i = 0; i + 8 <= size; i += 8) {
		uint64_t e = random_entry();

		memcpy(mem + i, &e, 8);
	}
	for (; i < size; i++)
		mem[i] = (uint8_t)rnd();
}

static struct guest_paging random_paging(void)
{
	struct guest_paging p = {
		.cr0 = CR0_PE | CR0_PG,
		.cr3 = (rnd() % (RND_PAGES + 2)) * PAGE | (rnd() % 8 == 0 ? rnd() % 4096 : 0),
		.cr4 = CR4_PAE,
		.efer = EFER_LME | EFER_LMA,
	};

	switch (rnd() % 16) {
	case 0: p.cr0 = CR0_PE; break;
	case 1: p.efer = 0; break;
	case 2: p.cr4 |= CR4_LA57; break;
	case 3: p.cr3 = rnd(); break;
	}
	return p;
}

static uint64_t random_gva(void)
{
	uint64_t gva = 0;
	int level;

	if (rnd() % 32 == 0)
		return rnd();
	for (level = 3; level >= 0; level--) {
		uint64_t r = rnd() % 8;
		uint64_t idx = r < 2 ? r : (r == 2 ? 511 : rnd() % 512);

		gva |= idx << (12 + 9 * level);
	}
	switch (rnd() % 4) {
	case 0: gva |= PAGE - 1 - rnd() % 64; break; /* near the end of a page */
	case 1: gva |= rnd() % 64; break;
	default: gva |= rnd() % PAGE; break;
	}
	if (gva & (1ull << 47))
		gva |= 0xffff000000000000ull;
	if (rnd() % 16 == 0)
		gva ^= 1ull << (48 + rnd() % 16); /* non-canonical */
	return gva;
}

static size_t random_len(void)
{
	switch (rnd() % 16) {
	case 0: return 0;
	case 1: return PAGE + rnd() % (2 * PAGE);
	case 2: return rnd(); /* huge, often wrapping */
	case 3: return 3 * PAGE + rnd() % (1u << 20); /* more than the buffer */
	default: return 1 + rnd() % 64;
	}
}

/* The reference: the x86-64 4-level walk written out plainly, one level at a time. */
static int ref_walk(const uint8_t *mem, uint64_t size, const struct guest_paging *p,
		    uint64_t gva, bool write, uint64_t *gpa)
{
	const uint64_t addr = 0x000ffffffffff000ull;
	uint64_t table, e, ea;
	int shift;

	if (!(p->cr0 & CR0_PG)) {
		*gpa = gva;
		return 0;
	}
	if (!(p->efer & EFER_LMA) || !(p->cr4 & CR4_PAE) || (p->cr4 & CR4_LA57))
		return -1;
	if ((gva >> 47) != 0 && (gva >> 47) != 0x1ffff)
		return -1;
	table = p->cr3 & addr;
	for (shift = 39; shift >= 12; shift -= 9) {
		ea = table + ((gva >> shift) & 511) * 8;
		if (ea >= size || size - ea < 8)
			return -1;
		memcpy(&e, mem + ea, 8);
		if (!(e & P) || (write && !(e & RW)))
			return -1;
		if (shift == 39 && (e & PS))
			return -1;
		if ((shift == 30 || shift == 21) && (e & PS)) {
			uint64_t page_mask = (1ull << shift) - 1;

			*gpa = (e & addr & ~page_mask) + (gva & page_mask);
			return 0;
		}
		table = e & addr;
	}
	*gpa = table + (gva & (PAGE - 1));
	return 0;
}

/*
 * How many bytes from gva a read can reach before its first fault (at most
 * cap), copying them to out. Bytes of one page share one translation.
 */
static size_t ref_readable(const uint8_t *mem, uint64_t size, const struct guest_paging *p,
			   uint64_t gva, size_t cap, uint8_t *out)
{
	uint64_t gpa = 0;
	size_t i;

	for (i = 0; i < cap; i++) {
		if (i == 0 || ((gva + i) & (PAGE - 1)) == 0) {
			if (ref_walk(mem, size, p, gva + i, false, &gpa))
				return i;
		} else {
			gpa++;
		}
		if (gpa >= size)
			return i;
		out[i] = mem[gpa];
	}
	return i;
}

static void test_random_tables(void **state)
{
	static uint8_t got[3 * 4096], want[3 * 4096];
	uint8_t *mem = malloc(RND_SIZE);
	struct guest_ram rram = { mem, RND_SIZE };
	unsigned int iter, ok_walks = 0, ok_copies = 0, huge_faults = 0;

	(void)state;
	assert_non_null(mem);
	rng_state = 0x9e3779b97f4a7c15ull;
	for (iter = 0; iter < 100000; iter++) {
		struct guest_paging p;
		uint64_t gva, gpa, ref_gpa;
		size_t len, good;
		bool write;
		int rc, ref;

		if (iter % 64 == 0)
			random_ram(mem, RND_SIZE);
		p = random_paging();
		gva = random_gva();
		len = random_len();
		write = rnd() & 1;

		rc = gva_to_gpa(&rram, &p, gva, write, &gpa);
		ref = ref_walk(mem, RND_SIZE, &p, gva, write, &ref_gpa);
		assert_int_equal(rc, ref ? -XEN_EFAULT : 0);
		if (!rc) {
			assert_int_equal(gpa, ref_gpa);
			ok_walks++;
		}

		/* A range past 2^64 (or ending exactly there) faults before any access. */
		if (len && gva + len < gva) {
			assert_int_equal(copy_from_guest(&rram, &p, got, gva, len), -XEN_EFAULT);
			assert_int_equal(copy_to_guest(&rram, &p, gva, got, len), -XEN_EFAULT);
			continue;
		}
		good = ref_readable(mem, RND_SIZE, &p, gva, len < sizeof(want) ? len : sizeof(want), want);
		if (len > sizeof(got)) {
			/* Huge: only when the reference faults within the buffer is the copy safe to run. */
			if (good < sizeof(got)) {
				assert_int_equal(copy_from_guest(&rram, &p, got, gva, len), -XEN_EFAULT);
				huge_faults++;
			}
			continue;
		}
		rc = copy_from_guest(&rram, &p, got, gva, len);
		assert_int_equal(rc, good == len ? 0 : -XEN_EFAULT);
		if (!rc) {
			assert_memory_equal(got, want, len);
			ok_copies += len > 0;
		}
		/* Writes may rewrite the tables they walk, so only check that nothing breaks. */
		if (write) {
			fill_pattern(got, len, (uint8_t)iter);
			rc = copy_to_guest(&rram, &p, gva, got, len);
			assert_true(rc == 0 || rc == -XEN_EFAULT);
		}
	}
	/* The generator must reach successful walks and copies, not just faults. */
	assert_true(ok_walks > 10000);
	assert_true(ok_copies > 2500);
	assert_true(huge_faults > 5000);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gpa_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_off_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4k_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_high_half, setup, teardown),
		cmocka_unit_test_setup_teardown(test_2m_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_1g_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_present_each_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_each_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_outside_ram_each_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_straddles_ram_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr3_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_canonical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ps_at_pml4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_noncontiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_many_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_within_2m_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_second_page_unmapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_len_zero, setup, teardown),
		cmocka_unit_test(test_random_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
