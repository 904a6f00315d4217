/*
 * Shared by the Flask unit tests (test_xsm_ss.c, test_xsm_coverage.c):
 * finding and loading the shipped policy, reading the policy sources, and
 * naming SIDs by context. Header-only, so each test binary stays one
 * source file.
 *
 * The policy is $BH_POLICY if set, else build/policy/bulkhead.pol relative
 * to the current directory (tests run from the repository root, see
 * scripts/run-unit.sh). A test that cannot load it fails: it never skips,
 * because a missing policy would hide every check these tests make.
 */
#ifndef BH_TEST_XSM_FIXTURE_H
#define BH_TEST_XSM_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flask.h"

#define XSM_POLICY_DEFAULT "build/policy/bulkhead.pol"

/* Domains run as system_u:system_r:TYPE (policy/users). */
#define XSM_DOMAIN_CTX(type) "system_u:system_r:" type

static inline const char *xsm_policy_path(void)
{
	const char *p = getenv("BH_POLICY");

	return p && p[0] ? p : XSM_POLICY_DEFAULT;
}

/* A whole file in a malloc'd buffer with a NUL after it; NULL if unreadable. */
static inline char *xsm_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = 0;
			*len = n;
		}
	}
	fclose(f);
	return buf;
}

/*
 * Flask enforcing with a 512-slot AVC and the shipped policy loaded. The
 * policy's bytes are handed back for reloads. 0, or -1 with the reason on
 * stderr (the caller's group setup then fails the binary).
 */
static inline int xsm_start(char **policy, size_t *len)
{
	const char *path = xsm_policy_path();
	char err[256];
	int rc;

	if (flask_init(FLASK_ENFORCING, 512)) {
		fprintf(stderr, "flask_init failed\n");
		return -1;
	}
	*policy = xsm_read_file(path, len);
	if (!*policy) {
		fprintf(stderr, "cannot read the policy %s: %s (run make policy, or set BH_POLICY)\n",
			path, strerror(errno));
		return -1;
	}
	err[0] = 0;
	rc = ss_load(*policy, *len, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: ss_load: %s (%d)\n", path, err, rc);
		free(*policy);
		*policy = NULL;
		return -1;
	}
	return 0;
}

/* The SID of a context, or 0 (never a valid SID) if the policy refuses it. */
static inline uint32_t xsm_sid(const char *ctx)
{
	uint32_t sid;

	return ss_context_to_sid(ctx, strlen(ctx), &sid) ? 0 : sid;
}

#endif
