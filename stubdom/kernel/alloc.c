/*
 * A small first-fit allocator over the RAM above the kernel image, as the
 * memory map in start_info describes it. Blocks carry a 16-byte header; free
 * blocks are kept in address order and merged with their neighbours.
 */
#include <bk/kernel.h>

struct block {
	size_t size;        /* bytes including this header */
	struct block *next; /* next free block, in address order */
};

extern char _kernel_end[];
static struct block *free_list;
static volatile int alloc_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&alloc_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&alloc_lock, 0, __ATOMIC_RELEASE);
}

void alloc_init(void)
{
	const struct hvm_memmap_table_entry *map =
		(const void *)(uintptr_t)start_info->memmap_paddr;
	uint64_t lo = (uintptr_t)_kernel_end, hi = 0;
	unsigned int i;

	/* The ramdisk, if any, sits right after the kernel. */
	if (start_info->nr_modules) {
		const struct hvm_modlist_entry *m =
			(const void *)(uintptr_t)start_info->modlist_paddr;

		lo = (m->paddr + m->size + 4095) & ~4095ull;
	}
	for (i = 0; i < start_info->memmap_entries; i++)
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM && map[i].addr <= lo &&
		    map[i].addr + map[i].size > lo)
			hi = map[i].addr + map[i].size;
	if (hi > 0xf0000000ull)
		hi = 0xf0000000ull;
	if (hi <= lo + sizeof(struct block))
		return;
	free_list = (struct block *)(uintptr_t)lo;
	free_list->size = hi - lo;
	free_list->next = NULL;
}

void *malloc(size_t n)
{
	struct block **pp, *b;
	size_t need = ((n + 15) & ~(size_t)15) + sizeof(struct block);

	if (!n || n > (1ull << 40))
		return NULL;
	lock();
	for (pp = &free_list; (b = *pp); pp = &b->next) {
		if (b->size < need)
			continue;
		if (b->size - need >= 2 * sizeof(struct block)) {
			struct block *rest = (struct block *)((char *)b + need);

			rest->size = b->size - need;
			rest->next = b->next;
			*pp = rest;
			b->size = need;
		} else {
			*pp = b->next;
		}
		unlock();
		return b + 1;
	}
	unlock();
	return NULL;
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > (size_t)-1 / size)
		return NULL;
	p = malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void free(void *p)
{
	struct block *b, **pp, *prev = NULL;

	if (!p)
		return;
	b = (struct block *)p - 1;
	lock();
	for (pp = &free_list; *pp && *pp < b; pp = &(*pp)->next)
		prev = *pp;
	b->next = *pp;
	*pp = b;
	if (b->next && (char *)b + b->size == (char *)b->next) {
		b->size += b->next->size;
		b->next = b->next->next;
	}
	if (prev && (char *)prev + prev->size == (char *)b) {
		prev->size += b->size;
		prev->next = b->next;
	}
	unlock();
}
