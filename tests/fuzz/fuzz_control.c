/*
 * libFuzzer target: the control socket's request path, control_dispatch()
 * (hypervisor/control.h), with Flask enforcing the shipped policy.
 *
 * control.c keeps its framing inside the connection thread and exposes no
 * framing function, so this target starts after the header checks: it
 * hands every op and payload to control_dispatch() as a connection would,
 * including ops and lengths that conn_thread would refuse before dispatch.
 *
 * Input layout:
 *   byte 0      the subject (who is asking), byte 0 % 8:
 *                 0-3 dom0 (SECINITSID_DOM0, what root gets),
 *                 4   appvm_t, an unprivileged domain label,
 *                 5   unlabeled (SECINITSID_UNLABELED),
 *                 6   xenstore_t, a host service's label,
 *                 7   the SID in the next 4 bytes (any number at all);
 *   then frames: a struct bh_ctl_hdr and hdr.len bytes of payload (fewer
 *   if the input ends first). magic, version and seq are not looked at.
 *
 * Skipped ops: BH_CTL_DOMAIN_CREATE (32) and BH_CTL_ARENA_REGISTER (48):
 * building a domain needs KVM and a memfd, which a fuzzer must not touch.
 *
 * State: FLASK_LOAD and SETENFORCE are fuzzed, not skipped. After each
 * input the shipped policy is loaded again if a load succeeded, enforcing
 * mode is restored, and every boolean is set back to its value at start,
 * so that each input runs against the same Flask state and a crash
 * reproduces from its input alone. SIDs that CONTEXT_TO_SID handed out
 * stay, as they do in bulkhead.
 *
 * Checked, besides crashes, leaks and undefined behaviour: the reply
 * contract (status 0 or a negative errno; a failure's output is nothing or
 * a short message; the output sizes of the FLASK ops), and that no FLASK
 * op ever succeeds for appvm_t or unlabeled.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "flask.h"
#include "log.h"

#define POLICY_DEFAULT "build/policy/bulkhead.pol"
#define CTX_APPVM "system_u:system_r:appvm_t"
#define CTX_XENSTORE "system_u:system_r:xenstore_t"

#define CHECK(cond, op, rc)                                                        \
	do {                                                                       \
		if (!(cond))                                                       \
			check_failed(__LINE__, #cond, (op), (rc));                 \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *policy;
static size_t policy_len;
static uint32_t sid_appvm, sid_xenstore;
static int nr_bools;
static int *bool_start; /* each boolean's value when the policy was loaded */

static void quiet_audit(const char *line)
{
	(void)line;
}

static void __attribute__((noreturn)) die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_control: %s: %s\n", what, why);
	exit(1);
}

static void __attribute__((noreturn)) check_failed(int line, const char *what, uint16_t op,
							int32_t rc)
{
	const char *name = control_op_name(op);

	fprintf(stderr, "fuzz_control: line %d: op %u (%s) status %d: check failed: %s\n", line,
		op, name ? name : "-", rc, what);
	abort();
}

static uint32_t sid_of(const char *ctx)
{
	uint32_t sid;

	if (ss_context_to_sid(ctx, strlen(ctx), &sid))
		die(ctx, "the policy does not define this context");
	return sid;
}

static void read_policy(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		die(path, "cannot open the policy (run make policy, or set BH_POLICY)");
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		die(path, "cannot size the policy");
	policy = malloc((size_t)n);
	if (!policy || fread(policy, 1, (size_t)n, f) != (size_t)n)
		die(path, "cannot read the policy");
	policy_len = (size_t)n;
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("BH_POLICY");
	char err[256] = "";
	int pending;

	(void)argc;
	(void)argv;
	if (!path || !path[0])
		path = POLICY_DEFAULT;
	/* Denials are the common case here; formatting each one is wasted time. */
	bh_log_init("fuzz_control", BH_LOG_ERR);
	avc_set_audit_sink(quiet_audit);
	if (flask_init(FLASK_ENFORCING, AVC_SLOTS_DEFAULT))
		die("flask_init", "failed");
	read_policy(path);
	if (ss_load(policy, policy_len, err, sizeof(err)))
		die(path, err);
	sid_appvm = sid_of(CTX_APPVM);
	sid_xenstore = sid_of(CTX_XENSTORE);
	nr_bools = ss_bool_count();
	bool_start = calloc(nr_bools > 0 ? (size_t)nr_bools : 1, sizeof(*bool_start));
	if (!bool_start)
		die("calloc", "out of memory");
	for (int i = 0; i < nr_bools; i++)
		if (ss_bool_get((uint32_t)i, NULL, &bool_start[i], &pending))
			die("ss_bool_get", "failed");
	return 0;
}

/* Back to the state LLVMFuzzerInitialize left, after an input changed it. */
static void restore(bool reload)
{
	char err[256] = "";
	bool commit = false;
	int cur, pending;

	if (reload && ss_load(policy, policy_len, err, sizeof(err)))
		die("reloading the shipped policy", err);
	if (!avc_enforcing())
		avc_set_enforcing(true);
	if (ss_bool_count() != nr_bools)
		die("restore", "the policy has a different number of booleans");
	for (int i = 0; i < nr_bools; i++) {
		if (ss_bool_get((uint32_t)i, NULL, &cur, &pending))
			die("ss_bool_get", "failed");
		if (cur != bool_start[i] || pending != bool_start[i]) {
			ss_bool_set_pending((uint32_t)i, bool_start[i]);
			commit = true;
		}
	}
	if (commit && ss_bool_commit())
		die("ss_bool_commit", "failed");
}

/* The reply contract, and the output sizes of the ops whose replies are fixed. */
static void check_reply(uint16_t op, int32_t rc, const uint8_t *out, size_t out_len)
{
	uint32_t v;

	CHECK(rc <= 0 && rc > -4096, op, rc);
	if (rc) {
		/* A failure carries nothing, or a message: text without a NUL. */
		CHECK(out_len == 0 ? !out : out && out_len < 1024, op, rc);
		CHECK(!out_len || !memchr(out, 0, out_len), op, rc);
		return;
	}
	CHECK(out_len == 0 || out, op, rc);
	switch (op) {
	case BH_CTL_FLASK_LOAD:
	case BH_CTL_FLASK_SETENFORCE:
	case BH_CTL_FLASK_COMMITBOOLS:
		CHECK(out_len == 0, op, rc);
		break;
	case BH_CTL_FLASK_GETENFORCE:
		CHECK(out_len == sizeof(v), op, rc);
		memcpy(&v, out, sizeof(v));
		CHECK(v <= 1, op, rc);
		break;
	case BH_CTL_FLASK_CONTEXT_TO_SID:
		CHECK(out_len == sizeof(v), op, rc);
		memcpy(&v, out, sizeof(v));
		CHECK(v != 0, op, rc);
		break;
	case BH_CTL_FLASK_SID_TO_CONTEXT:
		CHECK(out_len > 0 && out_len <= SS_CONTEXT_MAX, op, rc);
		CHECK(!memchr(out, 0, out_len), op, rc);
		break;
	case BH_CTL_FLASK_ACCESS:
		CHECK(out_len == sizeof(struct bh_ctl_access_result), op, rc);
		break;
	case BH_CTL_FLASK_GETBOOL: {
		struct bh_ctl_bool b;

		CHECK(out_len >= sizeof(b), op, rc);
		memcpy(&b, out, sizeof(b));
		CHECK(b.name_len == out_len - sizeof(b) && b.name_len < SS_BOOL_NAME_MAX, op, rc);
		CHECK((b.cur == 0 || b.cur == 1) && (b.pending == 0 || b.pending == 1), op, rc);
		break;
	}
	case BH_CTL_FLASK_SETBOOL:
		CHECK(out_len == sizeof(struct bh_ctl_bool), op, rc);
		break;
	case BH_CTL_FLASK_AVC_STATS:
		CHECK(out_len == sizeof(struct bh_ctl_avc_stats), op, rc);
		break;
	case BH_CTL_FLASK_POLICYVERS:
		CHECK(out_len == sizeof(v), op, rc);
		memcpy(&v, out, sizeof(v));
		CHECK(v >= 1 && v <= SS_POLICYVERS_MAX, op, rc);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flask_subject s = { SECINITSID_DOM0, 0 };
	bool unprivileged = false, reload = false;
	size_t off = 1;

	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 4:
		s.sid = sid_appvm;
		unprivileged = true;
		break;
	case 5:
		s.sid = SECINITSID_UNLABELED;
		unprivileged = true;
		break;
	case 6:
		s.sid = sid_xenstore;
		break;
	case 7:
		if (size < off + sizeof(s.sid))
			return 0;
		memcpy(&s.sid, data + off, sizeof(s.sid));
		off += sizeof(s.sid);
		break;
	default:
		break;
	}

	while (size - off >= sizeof(struct bh_ctl_hdr)) {
		static uint8_t untouched; /* control_dispatch must set *out and *out_len */
		struct bh_ctl_hdr h;
		uint8_t *out = &untouched;
		size_t len, out_len = 1;
		int32_t rc;

		memcpy(&h, data + off, sizeof(h));
		off += sizeof(h);
		len = h.len < size - off ? h.len : size - off;
		if (h.op != BH_CTL_DOMAIN_CREATE && h.op != BH_CTL_ARENA_REGISTER) {
			rc = control_dispatch(&s, h.op, data + off, len, &out, &out_len);
			check_reply(h.op, rc, out, out_len);
			/* getenforce is unchecked, as in Xen; every other FLASK op is guarded. */
			if (unprivileged && h.op >= BH_CTL_FLASK_LOAD &&
			    h.op <= BH_CTL_FLASK_POLICYVERS && h.op != BH_CTL_FLASK_GETENFORCE)
				CHECK(rc != 0, h.op, rc);
			if (h.op == BH_CTL_FLASK_LOAD && rc == 0)
				reload = true;
			free(out);
		}
		off += len;
	}
	restore(reload);
	return 0;
}
