/* Architectural x86 bits that bulkhead checks in guest state. */
#ifndef BH_X86_H
#define BH_X86_H

#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

#endif
