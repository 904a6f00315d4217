/*
 * memcpy_bench CHUNK SPAN BYTES: the physical baseline for vchan streaming
 * (scripts/bench.sh, section 8). One thread copies BYTES in CHUNK-byte
 * memcpy calls, from a SPAN-byte source into a SPAN-byte destination,
 * moving along both and wrapping. With a SPAN larger than the caches this
 * is the single-thread memcpy bandwidth; with a SPAN of the ring's size it
 * is a copy that stays in cache. Prints "memcpy MB/s".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int main(int argc, char **argv)
{
	size_t chunk, ring, bytes, pos = 0, done = 0;
	uint8_t *src, *dst;
	uint64_t t0, best = UINT64_MAX;

	if (argc != 4) {
		fprintf(stderr, "usage: memcpy_bench CHUNK SPAN BYTES\n");
		return 2;
	}
	chunk = strtoull(argv[1], NULL, 0);
	ring = strtoull(argv[2], NULL, 0);
	bytes = strtoull(argv[3], NULL, 0);
	if (!chunk || ring < chunk || ring % chunk || !bytes) {
		fprintf(stderr, "memcpy_bench: CHUNK must divide SPAN\n");
		return 2;
	}
	src = malloc(ring);
	dst = malloc(ring);
	if (!src || !dst)
		return 1;
	memset(src, 0x5a, ring);
	memset(dst, 0, ring);
	/* The best of five runs: the machine's bandwidth, not its noise. */
	for (int run = 0; run < 5; run++) {
		t0 = now_ns();
		for (done = 0; done < bytes; done += chunk) {
			memcpy(dst + pos, src + pos, chunk);
			__asm__ volatile("" : : "r"(dst) : "memory");
			pos = (pos + chunk) % ring;
		}
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
	}
	printf("memcpy %.1f MB/s\n", (double)bytes / (double)best * 1000.0);
	free(src);
	free(dst);
	return 0;
}
