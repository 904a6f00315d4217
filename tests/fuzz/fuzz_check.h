/*
 * The invariant check the fuzz targets share: a broken invariant aborts,
 * so libFuzzer keeps the input as a crash. FUZZ_NAME names the target.
 */
#ifndef BH_FUZZ_CHECK_H
#define BH_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void __attribute__((noreturn)) check_failed(int line, const char *what)
{
	fprintf(stderr, "%s: line %d: check failed: %s\n", FUZZ_NAME, line, what);
	abort();
}

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond))                                                       \
			check_failed(__LINE__, #cond);                             \
	} while (0)

#endif
