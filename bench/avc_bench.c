/*
 * avc_bench: the cost of one Flask decision on the host, in ns.
 *
 *   hit   avc_has_perm on one cached (source, target, class): the path
 *         every checked hypercall takes once the cache is warm
 *   miss  avc_has_perm over more distinct keys than the cache holds, so
 *         each one asks the security server (libsepol, under its lock)
 *
 * Baseline, measured in the same run: an uncontended pthread mutex
 * lock+unlock, the least a cache with a lock on its read path would pay.
 * Usage: avc_bench POLICY
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avc.h"
#include "flask.h"
#include "ss.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define BLOCKS 31
#define PER_BLOCK 20000

static const char *const types[] = {
	"dom0_t", "xenstore_t", "netback_t", "blkback_t", "dm_dom_t", "appvm_t",
	"domU_t", "dispvm_t", "isolated_t", "gui_t", "xen_t", "security_t",
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* Misses here are mostly denials: their audit lines are not the figure. */
static void discard(const char *line)
{
	(void)line;
}

int main(int argc, char **argv)
{
	static uint64_t hit[BLOCKS], miss[BLOCKS], base[BLOCKS];
	struct avc_audit ad = { .domid = -1 };
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	uint32_t sid[NTYPES], app, xen = SECINITSID_XEN;
	char err[256];
	volatile int sink = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: avc_bench POLICY\n");
		return 2;
	}
	if (flask_init(FLASK_ENFORCING, 16) || flask_load_file(argv[1], err, sizeof(err))) {
		fprintf(stderr, "avc_bench: %s\n", err);
		return 1;
	}
	avc_set_audit_sink(discard);
	for (size_t i = 0; i < NTYPES; i++) {
		char ctx[128];

		snprintf(ctx, sizeof(ctx), "system_u:system_r:%s", types[i]);
		if (ss_context_to_sid(ctx, strlen(ctx), &sid[i])) {
			fprintf(stderr, "avc_bench: %s is not in the policy\n", ctx);
			return 1;
		}
	}
	app = sid[5];
	if (avc_has_perm(app, xen, SECCLASS_XEN, XEN__WRITECONSOLE, &ad)) {
		fprintf(stderr, "avc_bench: appvm_t may not writeconsole?\n");
		return 1;
	}
	for (int b = 0; b < BLOCKS; b++) {
		uint64_t t = now_ns();

		for (int i = 0; i < PER_BLOCK; i++) {
			pthread_mutex_lock(&m);
			sink += i;
			pthread_mutex_unlock(&m);
		}
		base[b] = (now_ns() - t) * 1000 / PER_BLOCK;
		t = now_ns();
		for (int i = 0; i < PER_BLOCK; i++)
			sink += avc_has_perm(app, xen, SECCLASS_XEN, XEN__WRITECONSOLE, &ad);
		hit[b] = (now_ns() - t) * 1000 / PER_BLOCK;
		/* 12 x 12 x 8 keys through 16 slots: (almost) every lookup misses. */
		t = now_ns();
		for (int i = 0; i < PER_BLOCK / 10; i++) {
			unsigned int k = i * 7919u;
			enum flask_class c = SECCLASS_XEN + (k / (NTYPES * NTYPES)) % (SECCLASS_NR - 1);

			sink += avc_has_perm(sid[k % NTYPES], sid[(k / NTYPES) % NTYPES], c, 1, NULL) == 0;
		}
		miss[b] = (now_ns() - t) * 1000 / (PER_BLOCK / 10);
	}
	qsort(hit, BLOCKS, sizeof(hit[0]), cmp_u64);
	qsort(miss, BLOCKS, sizeof(miss[0]), cmp_u64);
	qsort(base, BLOCKS, sizeof(base[0]), cmp_u64);
	/* Figures are in ps per operation here, printed as ns with 3 decimals. */
	printf("avc_hit_ns %.3f baseline_mutex_ns %.3f\n", hit[BLOCKS / 2] / 1000.0,
	       base[BLOCKS / 2] / 1000.0);
	printf("avc_miss_ns %.3f baseline_mutex_ns %.3f\n", miss[BLOCKS / 2] / 1000.0,
	       base[BLOCKS / 2] / 1000.0);
	return sink == -1;
}
