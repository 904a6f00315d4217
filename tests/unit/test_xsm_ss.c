/*
 * The security server (xsm-flask/ss.c) and the AVC (xsm-flask/avc.c)
 * against the shipped policy, build/policy/bulkhead.pol (or $BH_POLICY).
 *
 * What is checked here, and against what:
 *  - classmap.h against the policy sources: every class and permission
 *    name, the order of each list, every named constant, the initial SIDs;
 *    and the security server's name map against the policy's own numbering
 *    (checkpolicy numbers classes and permissions in declaration order).
 *  - contexts and SIDs: round trips, the initial SIDs, hostile strings.
 *  - decisions: the role matrix of DESIGN.md 4, with the SIDs computed the
 *    way hypervisor/xsm.c computes them, under each boolean.
 *  - booleans, policy reloads, hostile policy files, AVC statistics, the
 *    audit line and its rate limit, reloads racing lookups, and the FLASK
 *    operations' own checks (flask.c).
 *
 * Second policies (one rule more, an SELinux target, missing initial
 * SIDs, Xen 4.16's initial-SID layout, a loader locked out, domU
 * relabelled) are compiled here with checkpolicy from the policy.conf that
 * was built beside the shipped policy, in a mkdtemp directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "avc.h"
#include "classmap.h"
#include "flask.h"
#include "log.h"
#include "ss.h"
#include "fake_domain.h"
#include "xsm_fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The policy sources, relative to the repository root. */
#define ACCESS_VECTORS "policy/flask/access_vectors"
#define SECURITY_CLASSES "policy/flask/security_classes"
#define INITIAL_SIDS "policy/flask/initial_sids"
#define INITIAL_SID_CONTEXTS "policy/initial_sid_contexts"
#define CLASSMAP_H "xsm-flask/classmap.h"

/* One more rule than the shipped policy, a new type and a new boolean. */
#define EXTRA_RULES                                                   \
	"type extra_t;\n"                                             \
	"role system_r types extra_t;\n"                              \
	"allow appvm_t xen_t:xen readconsole;\n"                      \
	"bool extra_bool true;\n"

/* The smallest policy checkpolicy builds, for SELinux (no -t Xen). */
#define SELINUX_CONF                                                  \
	"class process\n"                                             \
	"sid kernel\n"                                                \
	"class process { transition }\n"                              \
	"type kernel_t;\n"                                            \
	"role system_r;\n"                                            \
	"role system_r types kernel_t;\n"                             \
	"user system_u roles system_r;\n"                             \
	"sid kernel system_u:system_r:kernel_t\n"

/* ---- the guest and service types of policy/modules/ ---------------------- */

enum {
	T_DOM0,
	T_XENSTORE,
	T_NETBACK,
	T_BLKBACK,
	T_DM,
	T_APPVM,
	T_DOMU,
	T_DISPVM,
	T_ISOLATED,
	T_GUI,
	NR_TYPES,
	T_SELF = NR_TYPES, /* matrix column: the source's own X_self label */
	NR_COLS,
};

static const char *const type_name[NR_TYPES] = {
	"dom0_t", "xenstore_t", "netback_t", "blkback_t", "dm_dom_t",
	"appvm_t", "domU_t", "dispvm_t", "isolated_t", "gui_t",
};

static uint32_t type_sid[NR_TYPES];  /* system_u:system_r:TYPE */
static uint32_t type_self[NR_TYPES]; /* as xsm_domain_label computes it */

static char *policy;       /* the shipped policy's bytes */
static size_t policy_len;
static char *extra_pol;    /* policy.conf + EXTRA_RULES */
static size_t extra_len;
static char *selinux_pol;  /* SELINUX_CONF, built for SELinux */
static size_t selinux_len;
static char *no_unlabeled_pol; /* the shipped policy without initial SID unlabeled */
static size_t no_unlabeled_len;
static char *eleven_pol;   /* without domU and domDM: 11 initial SIDs, no Xen layout */
static size_t eleven_len;
static char *xen416_pol;   /* the shipped policy in Xen 4.16's layout: no xenboot */
static size_t xen416_len;
static char *nolock_pol;   /* dom0_t without security:load_policy */
static size_t nolock_len;
static char *relabel_pol;  /* initial SID domU labelled appvm_t */
static size_t relabel_len;
static char tmpdir[] = "/tmp/bh-test-xsm-ss-XXXXXX";

/* ---- audit lines --------------------------------------------------------- */

#define AUDIT_KEEP 16
#define AUDIT_LINE_MAX (2 * SS_CONTEXT_MAX + 512)

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static char audit_line[AUDIT_KEEP][AUDIT_LINE_MAX];
static unsigned int audit_count;

static void audit_capture(const char *line)
{
	pthread_mutex_lock(&audit_lock);
	if (audit_count < AUDIT_KEEP)
		snprintf(audit_line[audit_count], AUDIT_LINE_MAX, "%s", line);
	audit_count++;
	pthread_mutex_unlock(&audit_lock);
}

static void audit_reset(void)
{
	pthread_mutex_lock(&audit_lock);
	audit_count = 0;
	memset(audit_line, 0, sizeof(audit_line));
	pthread_mutex_unlock(&audit_lock);
}

static unsigned int audit_lines(void)
{
	unsigned int n;

	pthread_mutex_lock(&audit_lock);
	n = audit_count;
	pthread_mutex_unlock(&audit_lock);
	return n;
}

static uint64_t mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The audit rate limit counts lines per CLOCK_MONOTONIC second, shared by
 * every test: a test that reads lines starts on a fresh second.
 */
static void wait_next_second(void)
{
	uint64_t s = mono_sec();
	struct timespec ts = { 0, 5000000 };

	while (mono_sec() == s)
		nanosleep(&ts, NULL);
}

/* ---- policy sources as tokens -------------------------------------------- */

/* A source file's tokens, comments dropped; braces, ';' and ',' stand alone. */
struct tokens {
	char *store; /* the tokens, NUL-separated */
	char **tok;
	size_t n;
};

static void tokenize(const char *path, struct tokens *t)
{
	size_t len = 0, cap = 0;
	char *text, *p, *out;

	text = xsm_read_file(path, &len);
	if (!text)
		print_error("cannot read %s (tests run from the repository root)\n", path);
	assert_non_null(text);
	/* Room for a NUL after every character. */
	t->store = out = malloc(2 * len + 2);
	assert_non_null(out);
	t->tok = NULL;
	t->n = 0;
	for (p = text; *p;) {
		char *start = out;

		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (strchr("{};,", *p)) {
			*out++ = *p++;
		} else {
			while (*p && !isspace((unsigned char)*p) && !strchr("{};,#", *p))
				*out++ = *p++;
		}
		*out++ = 0;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 256;
			t->tok = realloc(t->tok, cap * sizeof(*t->tok));
			assert_non_null(t->tok);
		}
		t->tok[t->n++] = start;
	}
	free(text);
}

static void tokens_free(struct tokens *t)
{
	free(t->store);
	free(t->tok);
	memset(t, 0, sizeof(*t));
}

/* A class of access_vectors: its permissions in the policy's order. */
struct av_class {
	const char *name;
	const char *perm[64];
	int nperms;
};

/* Parse access_vectors: "common N { ... }" and "class N [inherits C] [{ ... }]". */
static int parse_access_vectors(struct tokens *t, struct av_class *cls, int max)
{
	struct av_class common[16];
	int nc = 0, ncommon = 0;
	size_t i = 0;

	while (i < t->n) {
		bool is_common = strcmp(t->tok[i], "common") == 0;
		struct av_class *c;

		assert_true(is_common || strcmp(t->tok[i], "class") == 0);
		assert_true(i + 1 < t->n);
		if (is_common) {
			assert_true(ncommon < (int)ARRAY_SIZE(common));
			c = &common[ncommon++];
		} else {
			assert_true(nc < max);
			c = &cls[nc++];
		}
		memset(c, 0, sizeof(*c));
		c->name = t->tok[i + 1];
		i += 2;
		if (i < t->n && strcmp(t->tok[i], "inherits") == 0) {
			int k, j;

			for (k = 0; k < ncommon && strcmp(common[k].name, t->tok[i + 1]); k++)
				;
			assert_true(k < ncommon);
			for (j = 0; j < common[k].nperms; j++)
				c->perm[c->nperms++] = common[k].perm[j];
			i += 2;
		}
		if (i < t->n && strcmp(t->tok[i], "{") == 0) {
			for (i++; i < t->n && strcmp(t->tok[i], "}"); i++) {
				assert_true(c->nperms < (int)ARRAY_SIZE(c->perm));
				c->perm[c->nperms++] = t->tok[i];
			}
			assert_true(i < t->n);
			i++;
		}
	}
	return nc;
}

/* The words after each `keyword` (security_classes: class; initial_sids: sid). */
static int parse_words_after(struct tokens *t, const char *keyword, const char **out, int max)
{
	int n = 0;

	for (size_t i = 0; i + 1 < t->n; i += 2) {
		assert_string_equal(t->tok[i], keyword);
		assert_true(n < max);
		out[n++] = t->tok[i + 1];
	}
	return n;
}

/* Where the policy numbers class `name`: its position in security_classes, from 1. */
static uint16_t policy_class_value(const char *const *classes, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(classes[i], name) == 0)
			return i + 1;
	return 0;
}

static int perm_index(const struct av_class *c, const char *perm)
{
	for (int i = 0; i < c->nperms; i++)
		if (strcmp(c->perm[i], perm) == 0)
			return i;
	return -1;
}

/* ---- compiling second policies -------------------------------------------- */

/* policy.mk writes the m4 output beside the policy: policy.conf, or NAME.conf for NAME.pol. */
static void policy_conf_path(char *buf, size_t len)
{
	const char *pol = xsm_policy_path();
	const char *slash = strrchr(pol, '/');
	const char *base = slash ? slash + 1 : pol;
	int dirlen = slash ? (int)(slash - pol + 1) : 0;

	size_t n = strlen(pol);

	if (strcmp(base, "bulkhead.pol") == 0)
		snprintf(buf, len, "%.*spolicy.conf", dirlen, pol);
	else if (n > 4 && strcmp(pol + n - 4, ".pol") == 0)
		snprintf(buf, len, "%.*s.conf", (int)(n - 4), pol);
	else
		snprintf(buf, len, "%s.conf", pol);
}

/* Write conf to tmpdir/name.conf, compile it with checkpolicy `flags`, read the result. */
static char *compile_policy(const char *name, const char *conf, const char *flags, size_t *len)
{
	char in[256], out[256], log[256], cmd[1024];
	FILE *f;
	char *bin;
	int rc;

	snprintf(in, sizeof(in), "%s/%s.conf", tmpdir, name);
	snprintf(out, sizeof(out), "%s/%s.pol", tmpdir, name);
	snprintf(log, sizeof(log), "%s/%s.log", tmpdir, name);
	f = fopen(in, "w");
	if (!f || fputs(conf, f) < 0 || fclose(f)) {
		fprintf(stderr, "cannot write %s\n", in);
		return NULL;
	}
	snprintf(cmd, sizeof(cmd), "checkpolicy %s -o '%s' '%s' >'%s' 2>&1", flags, out, in, log);
	rc = system(cmd);
	if (rc != 0) {
		size_t n;
		char *msg = xsm_read_file(log, &n);

		fprintf(stderr, "%s failed (%d):\n%s\n", cmd, rc, msg ? msg : "");
		free(msg);
		return NULL;
	}
	bin = xsm_read_file(out, len);
	unlink(in);
	unlink(out);
	unlink(log);
	return bin;
}

/* conf with `text` inserted before the users section (checkpolicy wants TE rules first). */
static char *conf_insert_rules(const char *conf, const char *text)
{
	const char *at = strstr(conf, "\nuser ");
	size_t head, n;
	char *out;

	if (!at)
		return NULL;
	head = at + 1 - conf;
	n = strlen(conf) + strlen(text) + 1;
	out = malloc(n);
	if (!out)
		return NULL;
	memcpy(out, conf, head);
	strcpy(out + head, text);
	strcat(out, conf + head);
	return out;
}

/* conf without any line that starts with `prefix`. */
static char *conf_drop_lines(const char *conf, const char *prefix)
{
	char *out = malloc(strlen(conf) + 1), *o = out;
	const char *p = conf;

	if (!out)
		return NULL;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p + 1) : strlen(p);

		if (strncmp(p, prefix, strlen(prefix)) != 0) {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = 0;
	return out;
}

/* conf with the first `old` replaced by `new`; NULL if conf has no `old`. */
static char *conf_replace(const char *conf, const char *old, const char *new)
{
	const char *at = strstr(conf, old);
	char *out;

	if (!at)
		return NULL;
	out = malloc(strlen(conf) - strlen(old) + strlen(new) + 1);
	if (!out)
		return NULL;
	memcpy(out, conf, at - conf);
	strcpy(out + (at - conf), new);
	strcat(out, at + strlen(old));
	return out;
}

/* ---- setup ---------------------------------------------------------------- */

static int group_setup(void **state)
{
	char conf_path[512];
	char *conf, *c, *c2;
	size_t conf_len;

	(void)state;
	bh_log_init("test_xsm_ss", BH_LOG_ERR);
	if (xsm_start(&policy, &policy_len))
		return -1;
	for (int i = 0; i < NR_TYPES; i++) {
		char ctx[128];

		snprintf(ctx, sizeof(ctx), XSM_DOMAIN_CTX("%s"), type_name[i]);
		type_sid[i] = xsm_sid(ctx);
		if (!type_sid[i] ||
		    ss_transition_sid(type_sid[i], type_sid[i], SECCLASS_DOMAIN, &type_self[i])) {
			fprintf(stderr, "the policy has no usable type %s\n", type_name[i]);
			return -1;
		}
	}
	if (!mkdtemp(tmpdir))
		return -1;
	policy_conf_path(conf_path, sizeof(conf_path));
	conf = xsm_read_file(conf_path, &conf_len);
	if (!conf) {
		fprintf(stderr, "cannot read %s (run make policy)\n", conf_path);
		return -1;
	}
	c = conf_insert_rules(conf, EXTRA_RULES);
	extra_pol = c ? compile_policy("extra", c, "-t Xen -c 30", &extra_len) : NULL;
	free(c);
	/* The context goes, so checkpolicy leaves the SID out (it says so). */
	c = conf_drop_lines(conf, "sid unlabeled\t");
	no_unlabeled_pol = c ? compile_policy("no-unlabeled", c, "-t Xen -c 30",
					      &no_unlabeled_len) : NULL;
	free(c);
	c = conf_drop_lines(conf, "sid domU\t");
	c2 = c ? conf_drop_lines(c, "sid domDM\t") : NULL;
	eleven_pol = c2 ? compile_policy("eleven", c2, "-t Xen -c 30", &eleven_len) : NULL;
	free(c);
	free(c2);
	/* Both the declaration and the context: what a Xen 4.16 policy has. */
	c = conf_drop_lines(conf, "sid xenboot");
	xen416_pol = c ? compile_policy("xen416", c, "-t Xen -c 30", &xen416_len) : NULL;
	free(c);
	c = conf_replace(conf, "allow dom0_t security_t:security { load_policy ",
			 "allow dom0_t security_t:security { ");
	nolock_pol = c ? compile_policy("nolock", c, "-t Xen -c 30", &nolock_len) : NULL;
	free(c);
	c = conf_replace(conf, "sid domU\tsystem_u:system_r:domU_t",
			 "sid domU\tsystem_u:system_r:appvm_t");
	relabel_pol = c ? compile_policy("relabel", c, "-t Xen -c 30", &relabel_len) : NULL;
	free(c);
	selinux_pol = compile_policy("selinux", SELINUX_CONF, "-c 30", &selinux_len);
	free(conf);
	return extra_pol && no_unlabeled_pol && eleven_pol && xen416_pol && nolock_pol &&
			       relabel_pol && selinux_pol ?
		       0 :
		       -1;
}

static int group_teardown(void **state)
{
	(void)state;
	rmdir(tmpdir);
	free(policy);
	free(extra_pol);
	free(no_unlabeled_pol);
	free(eleven_pol);
	free(xen416_pol);
	free(nolock_pol);
	free(relabel_pol);
	free(selinux_pol);
	return 0;
}

static void set_bool(const char *name, int value)
{
	uint32_t id;

	assert_int_equal(ss_bool_lookup(name, &id), 0);
	assert_int_equal(ss_bool_set_pending(id, value), 0);
}

/*
 * Each test starts from the shipped policy, every boolean at its default
 * (all are false), enforcing, a 512-slot AVC and a capturing audit sink.
 */
static int setup(void **state)
{
	char err[256];
	int n;

	(void)state;
	avc_set_enforcing(true);
	if (avc_init(512) || ss_load(policy, policy_len, err, sizeof(err)))
		return -1;
	n = ss_bool_count();
	for (int i = 0; i < n; i++)
		if (ss_bool_set_pending(i, 0))
			return -1;
	if (ss_bool_commit())
		return -1;
	audit_reset();
	avc_set_audit_sink(audit_capture);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	avc_set_audit_sink(NULL);
	avc_set_enforcing(true);
	return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static uint32_t sid_of(const char *ctx)
{
	uint32_t sid = 0;

	if (ss_context_to_sid(ctx, strlen(ctx), &sid))
		print_error("context %s refused\n", ctx);
	assert_true(sid != 0);
	return sid;
}

/* The label of a new channel end of owner towards remote, as xsm.c's channel_sid. */
static uint32_t chan(uint32_t owner, uint32_t remote_as_seen)
{
	uint32_t c = 0;

	assert_int_equal(ss_transition_sid(owner, remote_as_seen, SECCLASS_EVENT, &c), 0);
	return c;
}

static bool allowed(uint32_t s, uint32_t t, enum flask_class c, uint32_t perm)
{
	int rc = avc_has_perm(s, t, c, perm, NULL);

	assert_true(rc == 0 || rc == -EACCES);
	return rc == 0;
}

/* The type field of a SID's context. */
static void type_of(uint32_t sid, char *type, size_t len)
{
	char *ctx, *p;
	size_t n;

	assert_int_equal(ss_sid_to_context(sid, &ctx, &n), 0);
	p = strrchr(ctx, ':');
	assert_non_null(p);
	snprintf(type, len, "%s", p + 1);
	free(ctx);
}

static void assert_context(uint32_t sid, const char *want)
{
	char *ctx = NULL;
	size_t n = 0;

	assert_int_equal(ss_sid_to_context(sid, &ctx, &n), 0);
	assert_string_equal(ctx, want);
	assert_int_equal(n, strlen(want));
	free(ctx);
}

/* Load a policy that must load (no reload checks: as at boot). */
static void load_ok(const void *p, size_t len)
{
	char err[256] = "";
	int rc = ss_load(p, len, err, sizeof(err));

	if (rc)
		print_error("ss_load: %s (%d)\n", err, rc);
	assert_int_equal(rc, 0);
}

/* ---- classmap.h against the policy --------------------------------------- */

static void test_classmap_names(void **state)
{
	struct tokens av, sc;
	struct av_class cls[32];
	const char *classes[64];
	uint32_t sids[128];
	int ncls, nclasses, nsids = 0;

	(void)state;
	tokenize(ACCESS_VECTORS, &av);
	tokenize(SECURITY_CLASSES, &sc);
	ncls = parse_access_vectors(&av, cls, ARRAY_SIZE(cls));
	nclasses = parse_words_after(&sc, "class", classes, ARRAY_SIZE(classes));
	assert_int_equal(ncls, nclasses);

	/*
	 * Every SID the decisions below run between: initial SIDs, domains,
	 * their self labels and channel ends, and a device model's target.
	 */
	for (uint32_t i = 1; i <= SECINITSID_NUM; i++)
		sids[nsids++] = i;
	for (int i = 0; i < NR_TYPES; i++) {
		sids[nsids++] = type_sid[i];
		sids[nsids++] = type_self[i];
		sids[nsids++] = chan(type_sid[i], type_self[i]);
		sids[nsids++] = chan(type_sid[i], type_sid[T_DOM0]);
	}
	assert_int_equal(ss_transition_sid(type_sid[T_DM], type_sid[T_APPVM], SECCLASS_DOMAIN,
					   &sids[nsids]), 0);
	nsids++;

	for (int c = SECCLASS_NONE + 1; c < SECCLASS_NR; c++) {
		const struct flask_class_desc *fc = &flask_classes[c];
		const struct av_class *pc = NULL;
		uint16_t pclass = policy_class_value(classes, nclasses, fc->name);
		unsigned int ours = 0, granted = 0;
		int i, pos[FLASK_MAX_PERMS];

		for (i = 0; i < ncls; i++)
			if (strcmp(cls[i].name, fc->name) == 0)
				pc = &cls[i];
		if (!pc || !pclass)
			print_error("class %s of classmap.h is not in the policy\n", fc->name);
		assert_non_null(pc);
		assert_true(pclass > 0);
		/*
		 * Each list is a prefix of the policy's, in its order (classmap.h:
		 * "A class lists its permissions up to the last one Bulkhead uses").
		 */
		for (i = 0; i < FLASK_MAX_PERMS && fc->perms[i]; i++) {
			pos[i] = perm_index(pc, fc->perms[i]);
			if (pos[i] != i)
				print_error("%s:%s is permission %d of the policy's class, not %d\n",
					    fc->name, fc->perms[i], pos[i], i);
			assert_int_equal(pos[i], i);
		}
		assert_null(fc->perms[i]);
		ours = i;
		assert_true(ours > 0 && ours <= (unsigned int)pc->nperms);

		/* The security server's map, decision by decision, against the policy's numbering. */
		for (int s = 0; s < nsids; s++) {
			for (int t = 0; t < nsids; t++) {
				struct ss_decision d;
				uint32_t pallowed, paudita, pauditd, seq;

				assert_int_equal(ss_compute_av(sids[s], sids[t], c, &d), 0);
				assert_int_equal(ss_compute_av_policy(sids[s], sids[t], pclass, &pallowed,
								      &paudita, &pauditd, &seq), 0);
				assert_int_equal(d.seqno, seq);
				for (i = 0; i < (int)ours; i++) {
					bool mine = d.allowed & (1u << i);
					bool theirs = pallowed & (1u << pos[i]);

					if (mine != theirs)
						print_error("%s:%s sids %u->%u: mapped %d, policy %d\n",
							    fc->name, fc->perms[i], sids[s], sids[t],
							    mine, theirs);
					assert_int_equal(mine, theirs);
					assert_int_equal(!!(d.auditallow & (1u << i)),
							 !!(paudita & (1u << pos[i])));
					assert_int_equal(!!(d.auditdeny & (1u << i)),
							 !!(pauditd & (1u << pos[i])));
					granted += mine;
				}
			}
		}
		/* Not a vacuous comparison: the policy grants something of each class. */
		if (!granted)
			print_error("no decision of class %s grants anything\n", fc->name);
		assert_true(granted > 0);
	}
	/* Out-of-range classes and values. */
	{
		struct ss_decision d;
		uint32_t a, aa, ad, seq;

		assert_int_equal(ss_compute_av(1, 1, SECCLASS_NONE, &d), -EINVAL);
		assert_int_equal(ss_compute_av(1, 1, SECCLASS_NR, &d), -EINVAL);
		assert_int_equal(ss_compute_av_policy(1, 1, 0, &a, &aa, &ad, &seq), -EINVAL);
		assert_int_equal(ss_compute_av_policy(1, 1, nclasses + 1, &a, &aa, &ad, &seq),
				 -EINVAL);
		assert_int_equal(ss_compute_av_policy(1, 1, UINT16_MAX, &a, &aa, &ad, &seq),
				 -EINVAL);
	}
	tokens_free(&av);
	tokens_free(&sc);
}

#define K(cls, perm) { SECCLASS_##cls, #cls "__" #perm, cls##__##perm }

/* Every constant of classmap.h (the test below fails if one is missing here). */
static const struct {
	enum flask_class c;
	const char *name;
	uint32_t value;
} constants[] = {
	K(XEN, READCONSOLE), K(XEN, WRITECONSOLE), K(XEN, CLEARCONSOLE), K(XEN, PHYSINFO),
	K(DOMAIN2, RESOURCE_MAP),
	K(DOMAIN, PAUSE), K(DOMAIN, UNPAUSE), K(DOMAIN, CREATE), K(DOMAIN, TRANSITION),
	K(DOMAIN, DESTROY), K(DOMAIN, GETDOMAININFO), K(DOMAIN, SHUTDOWN),
	K(DOMAIN, SET_VIRQ_HANDLER),
	K(HVM, SETPARAM), K(HVM, GETPARAM),
	K(MMU, PHYSMAP),
	K(EVENT, BIND), K(EVENT, SEND), K(EVENT, STATUS), K(EVENT, CREATE), K(EVENT, RESET),
	K(GRANT, MAP_READ), K(GRANT, MAP_WRITE), K(GRANT, UNMAP), K(GRANT, SETUP),
	K(GRANT, COPY), K(GRANT, QUERY),
	K(SECURITY, COMPUTE_AV), K(SECURITY, COMPUTE_CREATE), K(SECURITY, COMPUTE_MEMBER),
	K(SECURITY, CHECK_CONTEXT), K(SECURITY, LOAD_POLICY), K(SECURITY, COMPUTE_RELABEL),
	K(SECURITY, SETENFORCE), K(SECURITY, SETBOOL), K(SECURITY, SETSECPARAM),
	K(VERSION, XEN_EXTRAVERSION), K(VERSION, XEN_COMPILE_INFO),
	K(VERSION, XEN_CAPABILITIES), K(VERSION, XEN_CHANGESET), K(VERSION, XEN_PAGESIZE),
	K(VERSION, XEN_GUEST_HANDLE), K(VERSION, XEN_COMMANDLINE), K(VERSION, XEN_BUILD_ID),
};
#undef K

static void lower(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = tolower((unsigned char)src[i]);
	dst[i] = 0;
}

/* CLASS__PERM constant name to class and permission name; false if it is none. */
static bool split_constant(const char *name, enum flask_class *c, char *perm, size_t n)
{
	const char *sep = strstr(name, "__");
	char cls[64];

	if (!sep || sep == name || (size_t)(sep - name) >= sizeof(cls))
		return false;
	memcpy(cls, name, sep - name);
	cls[sep - name] = 0;
	lower(cls, cls, sizeof(cls));
	for (int i = SECCLASS_NONE + 1; i < SECCLASS_NR; i++) {
		if (strcmp(flask_classes[i].name, cls) == 0) {
			*c = i;
			lower(perm, sep + 2, n);
			return true;
		}
	}
	return false;
}

static void test_classmap_constants(void **state)
{
	size_t len, parsed = 0;
	char *text = xsm_read_file(CLASSMAP_H, &len), *line, *save = NULL;

	(void)state;
	/* The values the hooks are compiled with. */
	for (size_t i = 0; i < ARRAY_SIZE(constants); i++) {
		enum flask_class c;
		char perm[64];

		assert_true(split_constant(constants[i].name, &c, perm, sizeof(perm)));
		assert_int_equal(c, constants[i].c);
		if (flask_perm_bit(c, perm) != constants[i].value)
			print_error("%s is %#x, flask_perm_bit says %#x\n", constants[i].name,
				    constants[i].value, flask_perm_bit(c, perm));
		assert_int_not_equal(constants[i].value, 0);
		assert_int_equal(flask_perm_bit(c, perm), constants[i].value);
	}
	/* Every constant the header defines, as written, is in the list above and agrees. */
	if (!text)
		print_error("cannot read %s\n", CLASSMAP_H);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[96], perm[64];
		enum flask_class c;
		unsigned int shift;
		size_t i;

		if (sscanf(line, " %95[A-Z0-9_] = 1u << %u ,", name, &shift) != 2 ||
		    !strstr(name, "__"))
			continue;
		parsed++;
		for (i = 0; i < ARRAY_SIZE(constants) && strcmp(constants[i].name, name); i++)
			;
		if (i == ARRAY_SIZE(constants))
			print_error("%s is new in classmap.h: add it to this test\n", name);
		assert_true(i < ARRAY_SIZE(constants));
		assert_true(split_constant(name, &c, perm, sizeof(perm)));
		assert_true(shift < 32);
		assert_int_equal(flask_perm_bit(c, perm), 1u << shift);
		assert_int_equal(constants[i].value, 1u << shift);
	}
	assert_int_equal(parsed, ARRAY_SIZE(constants));
	free(text);

	/* flask_perm_bit outside the table. */
	assert_int_equal(flask_perm_bit(SECCLASS_NONE, "bind"), 0);
	assert_int_equal(flask_perm_bit(SECCLASS_NR, "bind"), 0);
	assert_int_equal(flask_perm_bit(SECCLASS_EVENT, "no_such_perm"), 0);
	assert_int_equal(flask_perm_bit(SECCLASS_EVENT, ""), 0);
	/* A permission of another class is not one of this class. */
	assert_int_equal(flask_perm_bit(SECCLASS_EVENT, "map_read"), 0);
}

static void test_initial_sids(void **state)
{
	static const struct {
		uint32_t sid;
		const char *name;
	} want[] = {
		{ SECINITSID_XENBOOT, "xenboot" }, { SECINITSID_XEN, "xen" }, { SECINITSID_DOM0, "dom0" },
		{ SECINITSID_DOMIO, "domio" }, { SECINITSID_DOMXEN, "domxen" },
		{ SECINITSID_UNLABELED, "unlabeled" }, { SECINITSID_SECURITY, "security" },
		{ SECINITSID_IOPORT, "ioport" }, { SECINITSID_IOMEM, "iomem" },
		{ SECINITSID_IRQ, "irq" }, { SECINITSID_DEVICE, "device" },
		{ SECINITSID_DOMU, "domU" }, { SECINITSID_DOMDM, "domDM" },
	};
	struct tokens is, ctx;
	const char *names[32];
	int n;

	(void)state;
	tokenize(INITIAL_SIDS, &is);
	tokenize(INITIAL_SID_CONTEXTS, &ctx);
	n = parse_words_after(&is, "sid", names, ARRAY_SIZE(names));
	assert_int_equal(n, SECINITSID_NUM);
	assert_int_equal(ARRAY_SIZE(want), SECINITSID_NUM);
	/* initial_sid_contexts: "sid NAME CONTEXT", one per initial SID. */
	assert_int_equal(ctx.n, 3 * SECINITSID_NUM);
	for (int i = 0; i < n; i++) {
		const char *context = NULL;
		uint32_t sid = 0;

		assert_int_equal(want[i].sid, (uint32_t)i + 1);
		assert_string_equal(names[i], want[i].name);
		for (size_t k = 0; k + 2 < ctx.n; k += 3) {
			assert_string_equal(ctx.tok[k], "sid");
			if (strcmp(ctx.tok[k + 1], names[i]) == 0)
				context = ctx.tok[k + 2];
		}
		assert_non_null(context);
		assert_context(i + 1, context);
		/* The context names the initial SID itself, not a new one. */
		assert_int_equal(ss_context_to_sid(context, strlen(context), &sid), 0);
		assert_int_equal(sid, (uint32_t)i + 1);
	}
	tokens_free(&is);
	tokens_free(&ctx);
	assert_int_equal(ss_isid_layout(), SS_ISIDS_XEN417);
}

/*
 * What each initial SID means to the hooks, under the policy loaded now:
 * a guest writes to the console (xen), the control plane loads policies
 * (dom0 on security), an unlabelled domain boots as domU_t does, and
 * xenboot (the hypervisor at boot) may or may not build domains.
 */
static void assert_initial_sids_work(bool boot_builds)
{
	const uint32_t app = type_sid[T_APPVM];
	uint32_t domu_self;

	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));
	assert_true(allowed(SECINITSID_DOMU, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));
	assert_true(allowed(SECINITSID_DOM0, SECINITSID_SECURITY, SECCLASS_SECURITY,
			    SECURITY__LOAD_POLICY));
	assert_true(allowed(SECINITSID_DOM0, app, SECCLASS_DOMAIN, DOMAIN__CREATE));
	assert_true(allowed(SECINITSID_DOM0, SECINITSID_DOMU, SECCLASS_DOMAIN, DOMAIN__CREATE));
	assert_int_equal(ss_transition_sid(SECINITSID_DOMU, SECINITSID_DOMU, SECCLASS_DOMAIN,
					   &domu_self), 0);
	assert_context(domu_self, XSM_DOMAIN_CTX("domU_t_self"));
	assert_true(allowed(SECINITSID_DOMU, domu_self, SECCLASS_MMU, MMU__PHYSMAP));
	assert_false(allowed(SECINITSID_DOMU, SECINITSID_SECURITY, SECCLASS_SECURITY,
			     SECURITY__LOAD_POLICY));
	assert_int_equal(allowed(SECINITSID_XENBOOT, app, SECCLASS_DOMAIN, DOMAIN__CREATE),
			 boot_builds);
	assert_int_equal(allowed(SECINITSID_XENBOOT, SECINITSID_DOMU, SECCLASS_DOMAIN,
				 DOMAIN__CREATE), boot_builds);
	/* Nothing builds another dom0 (xen.te). */
	assert_false(allowed(SECINITSID_XENBOOT, SECINITSID_DOM0, SECCLASS_DOMAIN, DOMAIN__CREATE));
}

/*
 * The shipped policy is in Xen 4.17's layout; the same sources without
 * xenboot are a policy in Xen 4.16's. Both load, and each initial SID
 * gets its own context in each.
 */
static void test_initial_sid_layouts(void **state)
{
	static const struct {
		uint32_t sid;
		const char *type;
	} ctx[] = {
		{ SECINITSID_XEN, "xen_t" }, { SECINITSID_DOM0, "dom0_t" },
		{ SECINITSID_DOMIO, "domio_t" }, { SECINITSID_DOMXEN, "domxen_t" },
		{ SECINITSID_UNLABELED, "unlabeled_t" }, { SECINITSID_SECURITY, "security_t" },
		{ SECINITSID_DOMU, "domU_t" }, { SECINITSID_DOMDM, "dm_dom_t" },
	};
	uint32_t sid;

	(void)state;
	assert_int_equal(ss_isid_layout(), SS_ISIDS_XEN417);
	assert_context(SECINITSID_XENBOOT, XSM_DOMAIN_CTX("xenboot_t"));
	for (size_t i = 0; i < ARRAY_SIZE(ctx); i++) {
		char want[128];

		snprintf(want, sizeof(want), XSM_DOMAIN_CTX("%s"), ctx[i].type);
		assert_context(ctx[i].sid, want);
	}
	assert_initial_sids_work(true);

	load_ok(xen416_pol, xen416_len);
	assert_int_equal(ss_isid_layout(), SS_ISIDS_XEN416);
	for (size_t i = 0; i < ARRAY_SIZE(ctx); i++) {
		char want[128];

		snprintf(want, sizeof(want), XSM_DOMAIN_CTX("%s"), ctx[i].type);
		assert_context(ctx[i].sid, want);
		/* The context names our initial SID, not the one its number has. */
		assert_int_equal(ss_context_to_sid(want, strlen(want), &sid), 0);
		assert_int_equal(sid, ctx[i].sid);
	}
	assert_context(SECINITSID_IOPORT, "system_u:object_r:ioport_t");
	assert_context(SECINITSID_DEVICE, "system_u:object_r:device_t");
	/* No xenboot: the hypervisor builds boot-time domains as xen, as Xen 4.16. */
	assert_context(SECINITSID_XENBOOT, XSM_DOMAIN_CTX("xen_t"));
	assert_int_equal(ss_context_to_sid(XSM_DOMAIN_CTX("xen_t"), strlen(XSM_DOMAIN_CTX("xen_t")),
					   &sid), 0);
	assert_int_equal(sid, SECINITSID_XEN);
	/* The dynamic SIDs are the same across the layouts. */
	assert_int_equal(sid_of(XSM_DOMAIN_CTX("appvm_t")), type_sid[T_APPVM]);
	assert_initial_sids_work(false);

	load_ok(policy, policy_len);
	assert_int_equal(ss_isid_layout(), SS_ISIDS_XEN417);
	assert_context(SECINITSID_XENBOOT, XSM_DOMAIN_CTX("xenboot_t"));
	assert_initial_sids_work(true);
}

/* ---- contexts and SIDs ----------------------------------------------------- */

static void test_context_round_trip(void **state)
{
	static const char *const objects[] = {
		"system_u:object_r:appvm_t_channel", "system_u:object_r:xen_t",
		"system_u:system_r:appvm_t_self", "system_u:system_r:appvm_t_target",
	};
	uint32_t seen[NR_TYPES + ARRAY_SIZE(objects)];
	size_t nseen = 0;

	(void)state;
	for (int i = 0; i < NR_TYPES; i++) {
		char ctx[128];
		uint32_t a = 0, b = 0, c = 0;

		snprintf(ctx, sizeof(ctx), XSM_DOMAIN_CTX("%s"), type_name[i]);
		assert_int_equal(ss_context_to_sid(ctx, strlen(ctx), &a), 0);
		assert_int_equal(ss_context_to_sid(ctx, strlen(ctx), &b), 0);
		/* A counted string may include its NUL. */
		assert_int_equal(ss_context_to_sid(ctx, strlen(ctx) + 1, &c), 0);
		assert_int_equal(a, b);
		assert_int_equal(a, c);
		assert_int_equal(a, type_sid[i]);
		assert_context(a, ctx);
		seen[nseen++] = a;
	}
	/* Not contexts: libsepol 3.4 crashed on "<<none>>" (found by fuzz_control). */
	{
		static const char *const bad[] = { "<<none>>", "", ":", "a:b", "::", "system_u" };
		uint32_t x;

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
			assert_int_equal(ss_context_to_sid(bad[i], strlen(bad[i]), &x), -EINVAL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++) {
		uint32_t s = sid_of(objects[i]);

		assert_true(s > SECINITSID_NUM);
		assert_context(s, objects[i]);
		assert_int_equal(sid_of(objects[i]), s);
		seen[nseen++] = s;
	}
	/* Distinct contexts, distinct SIDs. */
	for (size_t i = 0; i < nseen; i++)
		for (size_t j = i + 1; j < nseen; j++)
			assert_int_not_equal(seen[i], seen[j]);
	/* Types with initial SIDs map to them; the rest get fresh SIDs. */
	assert_int_equal(type_sid[T_DOM0], SECINITSID_DOM0);
	assert_int_equal(type_sid[T_DOMU], SECINITSID_DOMU);
	assert_int_equal(type_sid[T_DM], SECINITSID_DOMDM);
	assert_true(type_sid[T_APPVM] > SECINITSID_NUM);
	/* A self label is the policy's _self type (support/macros.spt: declare_domain). */
	for (int i = 0; i < NR_TYPES; i++) {
		char type[128], want[128];

		type_of(type_self[i], type, sizeof(type));
		snprintf(want, sizeof(want), "%s_self", type_name[i]);
		assert_string_equal(type, want);
	}
}

static void test_context_invalid(void **state)
{
	static const char *const bad[] = {
		"system_u:system_r:no_such_t",
		"garbage",
		"system_u:system_r",
		"system_u:system_r:",
		":::",
		"no_user:system_r:appvm_t",
		"system_u:no_role_r:appvm_t",
		/* A real type, but not in system_r (only domain types are). */
		"system_u:system_r:appvm_t_channel",
		"system_u:system_r:appvm_t:s0",
		"system_u:system_r:appvm_t ",
		" system_u:system_r:appvm_t",
		"system_u:system_r:appvm_t\n",
		"\xff\xfe\xfd",
	};
	static const char embedded[] = "system_u:system_r:appvm_t\0system_u:system_r:dom0_t";
	char *big;
	uint32_t sid;
	char *ctx = NULL;
	size_t len;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		sid = 0xdeadbeef;
		if (ss_context_to_sid(bad[i], strlen(bad[i]), &sid) != -EINVAL)
			print_error("accepted: '%s'\n", bad[i]);
		assert_int_equal(ss_context_to_sid(bad[i], strlen(bad[i]), &sid), -EINVAL);
		assert_int_equal(sid, 0xdeadbeef);
	}
	sid = 0xdeadbeef;
	assert_int_equal(ss_context_to_sid("", 0, &sid), -EINVAL);
	assert_int_equal(ss_context_to_sid("\0\0\0", 3, &sid), -EINVAL);
	/* A NUL inside the counted string: neither half is taken. */
	assert_int_equal(ss_context_to_sid(embedded, sizeof(embedded) - 1, &sid), -EINVAL);
	assert_int_equal(sid, 0xdeadbeef);

	/* 5000 bytes; and the longest accepted length, SS_CONTEXT_MAX, of garbage. */
	big = malloc(5001);
	assert_non_null(big);
	memset(big, 'a', 5000);
	big[5000] = 0;
	assert_int_equal(ss_context_to_sid(big, 5000, &sid), -EINVAL);
	assert_int_equal(ss_context_to_sid(big, SS_CONTEXT_MAX, &sid), -EINVAL);
	assert_int_equal(ss_context_to_sid(big, SS_CONTEXT_MAX + 1, &sid), -EINVAL);
	/* A valid context padded past the limit. */
	strcpy(big, "system_u:system_r:appvm_t");
	big[strlen(big)] = 'x';
	assert_int_equal(ss_context_to_sid(big, 5000, &sid), -EINVAL);
	free(big);
	assert_int_equal(sid, 0xdeadbeef);

	/* SIDs that were never handed out. */
	assert_int_equal(ss_sid_to_context(0, &ctx, &len), -EINVAL);
	assert_int_equal(ss_sid_to_context(SS_SID_MAX, &ctx, &len), -EINVAL);
	assert_int_equal(ss_sid_to_context(UINT32_MAX, &ctx, &len), -EINVAL);
	assert_null(ctx);
}

/* ---- decisions ------------------------------------------------------------- */

static void test_decisions_named(void **state)
{
	const uint32_t dom0 = type_sid[T_DOM0], app = type_sid[T_APPVM];
	const uint32_t netback = type_sid[T_NETBACK], iso = type_sid[T_ISOLATED];
	const uint32_t xs = type_sid[T_XENSTORE], dm = type_sid[T_DM];
	const uint32_t mmu_map_read = flask_perm_bit(SECCLASS_MMU, "map_read");
	const uint32_t mmu_map_write = flask_perm_bit(SECCLASS_MMU, "map_write");
	uint32_t app_target;

	(void)state;
	assert_int_not_equal(mmu_map_read, 0);
	assert_int_not_equal(mmu_map_write, 0);
	/* macros.spt guest_base: every guest writes to the console. */
	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));
	assert_false(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__READCONSOLE));
	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_VERSION, VERSION__XEN_EXTRAVERSION));
	/* guest_base leaves the command line out; dom0.te grants it. */
	assert_false(allowed(app, SECINITSID_XEN, SECCLASS_VERSION, VERSION__XEN_COMMANDLINE));
	assert_true(allowed(dom0, SECINITSID_XEN, SECCLASS_VERSION, VERSION__XEN_COMMANDLINE));
	/* dom0.te owns the policy; guests have no security permission at all. */
	assert_false(allowed(app, SECINITSID_SECURITY, SECCLASS_SECURITY, SECURITY__LOAD_POLICY));
	assert_false(allowed(app, SECINITSID_SECURITY, SECCLASS_SECURITY, SECURITY__SETENFORCE));
	assert_false(allowed(app, SECINITSID_SECURITY, SECCLASS_SECURITY, SECURITY__COMPUTE_AV));
	assert_true(allowed(dom0, SECINITSID_SECURITY, SECCLASS_SECURITY, SECURITY__LOAD_POLICY));
	assert_true(allowed(dom0, SECINITSID_SECURITY, SECCLASS_SECURITY, SECURITY__SETENFORCE));
	assert_true(allowed(dom0, SECINITSID_SECURITY, SECCLASS_SECURITY, SECURITY__SETBOOL));
	/* Several permissions at once: all or nothing. */
	assert_true(allowed(dom0, SECINITSID_SECURITY, SECCLASS_SECURITY,
			    SECURITY__LOAD_POLICY | SECURITY__SETBOOL));
	assert_false(allowed(app, SECINITSID_XEN, SECCLASS_XEN,
			     XEN__WRITECONSOLE | XEN__READCONSOLE));
	/* xen.te neverallow: the control plane never reaches guest memory. */
	assert_false(allowed(dom0, app, SECCLASS_GRANT, GRANT__MAP_READ));
	assert_false(allowed(dom0, app, SECCLASS_GRANT, GRANT__MAP_WRITE));
	assert_false(allowed(dom0, app, SECCLASS_GRANT, GRANT__COPY));
	assert_false(allowed(dom0, app, SECCLASS_MMU, mmu_map_read));
	assert_false(allowed(dom0, app, SECCLASS_MMU, mmu_map_write));
	/* ...but it runs their life cycle (manage_domain). */
	assert_true(allowed(dom0, app, SECCLASS_DOMAIN, DOMAIN__CREATE | DOMAIN__DESTROY));
	assert_false(allowed(app, dom0, SECCLASS_DOMAIN, DOMAIN__PAUSE));
	/* netback.te: grant_map(netback_t, guest_type); isolated_t is no guest_type. */
	assert_true(allowed(netback, app, SECCLASS_GRANT, GRANT__MAP_READ | GRANT__MAP_WRITE));
	assert_false(allowed(netback, iso, SECCLASS_GRANT, GRANT__MAP_READ));
	assert_false(allowed(netback, iso, SECCLASS_GRANT, GRANT__MAP_WRITE));
	/* appvm.te: two app domains share no channel unless appvm_comms. */
	assert_true(allowed(app, chan(app, app), SECCLASS_EVENT, EVENT__CREATE));
	assert_false(allowed(chan(app, app), app, SECCLASS_EVENT, EVENT__BIND));
	/* isolated.te: xenstored yes, a driver domain no, either side first. */
	assert_true(allowed(chan(iso, xs), xs, SECCLASS_EVENT, EVENT__BIND));
	assert_true(allowed(chan(xs, iso), iso, SECCLASS_EVENT, EVENT__BIND));
	assert_false(allowed(chan(iso, netback), netback, SECCLASS_EVENT, EVENT__BIND));
	assert_false(allowed(chan(netback, iso), iso, SECCLASS_EVENT, EVENT__BIND));
	/* dm.te: a device model reaches another domain only through its _target label. */
	assert_false(allowed(dm, chan(dm, app), SECCLASS_EVENT, EVENT__CREATE));
	assert_false(allowed(chan(dm, app), app, SECCLASS_EVENT, EVENT__BIND));
	assert_false(allowed(dm, app, SECCLASS_GRANT, GRANT__MAP_READ));
	assert_false(allowed(dm, app, SECCLASS_HVM, HVM__SETPARAM));
	assert_int_equal(ss_transition_sid(dm, app, SECCLASS_DOMAIN, &app_target), 0);
	assert_true(allowed(dm, app_target, SECCLASS_GRANT, GRANT__MAP_READ | GRANT__MAP_WRITE));
	assert_true(allowed(dm, app_target, SECCLASS_HVM, HVM__SETPARAM));
	assert_true(allowed(chan(dm, app_target), app_target, SECCLASS_EVENT, EVENT__BIND));
	/* A domain on itself (domain_self_ops), not on another of its type. */
	assert_true(allowed(app, type_self[T_APPVM], SECCLASS_MMU, MMU__PHYSMAP));
	assert_false(allowed(app, app, SECCLASS_MMU, MMU__PHYSMAP));
	assert_true(allowed(app, type_self[T_APPVM], SECCLASS_HVM, HVM__SETPARAM | HVM__GETPARAM));
	assert_false(allowed(app, app, SECCLASS_HVM, HVM__GETPARAM));
	/* Nothing at all for unlabeled, either way. */
	assert_false(allowed(SECINITSID_UNLABELED, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));
	assert_false(allowed(SECINITSID_UNLABELED, SECINITSID_UNLABELED, SECCLASS_EVENT,
			     EVENT__BIND));
	/* An empty request or an out-of-range class is refused. */
	assert_int_equal(avc_has_perm(dom0, SECINITSID_SECURITY, SECCLASS_SECURITY, 0, NULL),
			 -EACCES);
	assert_int_equal(avc_has_perm(dom0, SECINITSID_SECURITY, SECCLASS_NONE,
				      SECURITY__LOAD_POLICY, NULL), -EACCES);
	assert_int_equal(avc_has_perm(dom0, SECINITSID_SECURITY, SECCLASS_NR,
				      SECURITY__LOAD_POLICY, NULL), -EACCES);
	/* An unknown SID reads as unlabeled, never as something it is not. */
	assert_false(allowed(SS_SID_MAX + 5, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));
	assert_false(allowed(0, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));
}

/*
 * The expected decisions between every pair of domain types, booleans
 * off. Rows are sources, columns targets in enum order, then '|' and the
 * source's own X_self label. Each cell comes from these rules:
 *
 * EV_CREATE: may the source make a channel end towards the target, i.e.
 *   create on type_transition(src, tgt, event)? label_channels(X) gives
 *   X_channel towards any domain_type and declare_domain towards X_self,
 *   and "allow X X_channel:event create" lets X make it. dm.te has no
 *   label_channels(dm_dom_t): only dom0_t, xenstore_t and itself give it
 *   dm_dom_t_channel; towards any other plain label the end gets that
 *   label's type, which the device model may not create.
 * EV_BIND: may that end be bound to the target? From dom0.te ("allow
 *   dom0_t_channel domain_type" and "allow event_type dom0_t"), xenstore.te
 *   (the same for xenstore_t), domain_self_ops ("allow X_channel X_self"),
 *   netback.te and blkback.te (event_comms with appvm_t, domU_t,
 *   dispvm_t), and dm.te's device_model (channel_to(guest, dm_dom_t)).
 * GRANT: map_read, map_write, unmap and copy of the target's grants:
 *   domain_self_ops on X_self, and grant_map(netback_t/blkback_t,
 *   guest_type) (guest_type: appvm_t, domU_t, dispvm_t). dom0_t and
 *   xenstore_t have none (xen.te neverallow), nor does dm_dom_t on plain
 *   labels (dm.te: only _target labels).
 */
static const char *const ev_create[NR_TYPES] = {
	/*            d x n b d a u d i g | s */
	[T_DOM0] =     "1111111111|1",
	[T_XENSTORE] = "1111111111|1",
	[T_NETBACK] =  "1111111111|1",
	[T_BLKBACK] =  "1111111111|1",
	[T_DM] =       "1100000000|1",
	[T_APPVM] =    "1111111111|1",
	[T_DOMU] =     "1111111111|1",
	[T_DISPVM] =   "1111111111|1",
	[T_ISOLATED] = "1111111111|1",
	[T_GUI] =      "1111111111|1",
};

static const char *const ev_bind[NR_TYPES] = {
	/*            d x n b d a u d i g | s */
	[T_DOM0] =     "1111111111|1",
	[T_XENSTORE] = "1111111111|1",
	[T_NETBACK] =  "1100011100|1",
	[T_BLKBACK] =  "1100011100|1",
	[T_DM] =       "1100000000|1",
	[T_APPVM] =    "1111100000|1",
	[T_DOMU] =     "1111100000|1",
	[T_DISPVM] =   "1111100000|1",
	[T_ISOLATED] = "1100000000|1",
	[T_GUI] =      "1100000000|1",
};

static const char *const grant_matrix[NR_TYPES] = {
	/*            d x n b d a u d i g | s */
	[T_DOM0] =     "0000000000|1",
	[T_XENSTORE] = "0000000000|1",
	[T_NETBACK] =  "0000011100|1",
	[T_BLKBACK] =  "0000011100|1",
	[T_DM] =       "0000000000|1",
	[T_APPVM] =    "0000000000|1",
	[T_DOMU] =     "0000000000|1",
	[T_DISPVM] =   "0000000000|1",
	[T_ISOLATED] = "0000000000|1",
	[T_GUI] =      "0000000000|1",
};

/* What each boolean adds (the if blocks of appvm.te, dispvm.te, gui.te). */
struct bool_grant {
	int src, tgt;
	bool event, grant;
};

static const struct bool_grant appvm_comms_adds[] = {
	/* event_comms(appvm_t, appvm_t), (appvm_t, domU_t), (domU_t, domU_t) */
	{ T_APPVM, T_APPVM, true, true }, { T_APPVM, T_DOMU, true, true },
	{ T_DOMU, T_APPVM, true, true }, { T_DOMU, T_DOMU, true, true },
};

static const struct bool_grant dispvm_comms_adds[] = {
	{ T_DISPVM, T_APPVM, true, true }, { T_APPVM, T_DISPVM, true, true },
	{ T_DISPVM, T_DOMU, true, true }, { T_DOMU, T_DISPVM, true, true },
};

static const struct bool_grant clipboard_adds[] = {
	/* event channels only: the GUI daemon is given no grant access yet */
	{ T_GUI, T_APPVM, true, false }, { T_APPVM, T_GUI, true, false },
	{ T_GUI, T_DOMU, true, false }, { T_DOMU, T_GUI, true, false },
	{ T_GUI, T_DISPVM, true, false }, { T_DISPVM, T_GUI, true, false },
};

static bool cell(const char *const *m, int src, int col)
{
	const char *row = m[src];

	assert_int_equal(strlen(row), NR_TYPES + 2);
	assert_int_equal(row[NR_TYPES], '|');
	return row[col < NR_TYPES ? col : NR_TYPES + 1] == '1';
}

static bool bool_adds(const struct bool_grant *a, size_t n, int src, int col, bool grant)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].src == src && a[i].tgt == col && (grant ? a[i].grant : a[i].event))
			return true;
	return false;
}

/* Compare every cell under one boolean setting; returns the number of wrong cells. */
static int check_matrix(const char *setting, const struct bool_grant *adds, size_t nadds)
{
	int wrong = 0;

	for (int s = 0; s < NR_TYPES; s++) {
		for (int col = 0; col < NR_COLS; col++) {
			uint32_t src = type_sid[s];
			uint32_t tgt = col == T_SELF ? type_self[s] : type_sid[col];
			uint32_t c = chan(src, tgt);
			const char *tname = col == T_SELF ? "self" : type_name[col];
			const bool bind = cell(ev_bind, s, col) || bool_adds(adds, nadds, s, col, false);
			const bool grant = cell(grant_matrix, s, col) ||
					   bool_adds(adds, nadds, s, col, true);
			const struct {
				const char *what;
				bool want, got;
			} r[] = {
				{ "event create", cell(ev_create, s, col),
				  allowed(src, c, SECCLASS_EVENT, EVENT__CREATE) },
				{ "event bind", bind, allowed(c, tgt, SECCLASS_EVENT, EVENT__BIND) },
				{ "grant map_read", grant,
				  allowed(src, tgt, SECCLASS_GRANT, GRANT__MAP_READ) },
				{ "grant map_write", grant,
				  allowed(src, tgt, SECCLASS_GRANT, GRANT__MAP_WRITE) },
				{ "grant unmap", grant, allowed(src, tgt, SECCLASS_GRANT, GRANT__UNMAP) },
				{ "grant copy", grant, allowed(src, tgt, SECCLASS_GRANT, GRANT__COPY) },
			};

			for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
				if (r[i].want == r[i].got)
					continue;
				print_error("[%s] %s -> %s: %s expected %s, got %s\n", setting,
					    type_name[s], tname, r[i].what,
					    r[i].want ? "allow" : "deny", r[i].got ? "allow" : "deny");
				wrong++;
			}
		}
	}
	return wrong;
}

static void commit_bools(const char *on)
{
	set_bool("appvm_comms", on && !strcmp(on, "appvm_comms"));
	set_bool("dispvm_comms", on && !strcmp(on, "dispvm_comms"));
	set_bool("clipboard", on && !strcmp(on, "clipboard"));
	assert_int_equal(ss_bool_commit(), 0);
}

static void test_decisions_matrix(void **state)
{
	int wrong = 0;

	(void)state;
	commit_bools(NULL);
	wrong += check_matrix("defaults", NULL, 0);
	commit_bools("appvm_comms");
	wrong += check_matrix("appvm_comms", appvm_comms_adds, ARRAY_SIZE(appvm_comms_adds));
	commit_bools("dispvm_comms");
	wrong += check_matrix("dispvm_comms", dispvm_comms_adds, ARRAY_SIZE(dispvm_comms_adds));
	commit_bools("clipboard");
	wrong += check_matrix("clipboard", clipboard_adds, ARRAY_SIZE(clipboard_adds));
	commit_bools(NULL);
	wrong += check_matrix("defaults again", NULL, 0);
	assert_int_equal(wrong, 0);

	/* The channel labels the matrix rests on (macros.spt). */
	{
		char type[128];

		type_of(chan(type_sid[T_APPVM], type_sid[T_NETBACK]), type, sizeof(type));
		assert_string_equal(type, "appvm_t_channel");
		type_of(chan(type_sid[T_APPVM], type_self[T_APPVM]), type, sizeof(type));
		assert_string_equal(type, "appvm_t_channel");
		type_of(chan(type_sid[T_DM], type_sid[T_DOM0]), type, sizeof(type));
		assert_string_equal(type, "dm_dom_t_channel");
		type_of(chan(type_sid[T_DM], type_sid[T_APPVM]), type, sizeof(type));
		assert_string_equal(type, "appvm_t");
	}
}

/* ---- booleans -------------------------------------------------------------- */

static void bool_state(uint32_t id, int *cur, int *pending)
{
	char name[SS_BOOL_NAME_MAX];

	assert_int_equal(ss_bool_get(id, name, cur, pending), 0);
}

static void test_booleans(void **state)
{
	const struct flask_subject dom0 = { SECINITSID_DOM0, 0 };
	const uint32_t app = type_sid[T_APPVM];
	const uint32_t app_chan = chan(app, app);
	struct avc_stats before, after;
	char name[SS_BOOL_NAME_MAX];
	uint32_t id, id2, seq;
	int cur, pending, n;
	size_t conf_bools = 0;

	(void)state;
	/* As many as policy.conf declares, each found by its name. */
	{
		char path[512];
		size_t len;
		char *conf, *p;

		policy_conf_path(path, sizeof(path));
		conf = xsm_read_file(path, &len);
		assert_non_null(conf);
		for (p = conf; (p = strstr(p, "\nbool ")); p++)
			conf_bools++;
		free(conf);
	}
	n = ss_bool_count();
	assert_int_equal(n, conf_bools);
	for (int i = 0; i < n; i++) {
		assert_int_equal(ss_bool_get(i, name, &cur, &pending), 0);
		assert_int_equal(ss_bool_lookup(name, &id), 0);
		assert_int_equal(id, (uint32_t)i);
	}
	assert_int_equal(ss_bool_lookup("appvm_comms", &id), 0);
	assert_int_equal(ss_bool_lookup("no_such_bool", &id2), -ENOENT);
	assert_int_equal(ss_bool_lookup("", &id2), -ENOENT);
	assert_int_equal(ss_bool_lookup("appvm_comm", &id2), -ENOENT);
	assert_int_equal(ss_bool_get(n, name, &cur, &pending), -ENOENT);
	assert_int_equal(ss_bool_get(UINT32_MAX, NULL, &cur, &pending), -ENOENT);
	assert_int_equal(ss_bool_set_pending(n, 1), -ENOENT);
	assert_int_equal(ss_bool_get(id, name, &cur, &pending), 0);
	assert_string_equal(name, "appvm_comms");
	assert_int_equal(cur, 0);
	assert_int_equal(pending, 0);

	/* Fill the AVC with the denial first: a commit must beat the cached entry. */
	assert_false(allowed(app_chan, app, SECCLASS_EVENT, EVENT__BIND));
	avc_get_stats(&before);
	assert_false(allowed(app_chan, app, SECCLASS_EVENT, EVENT__BIND));
	avc_get_stats(&after);
	assert_int_equal(after.hits - before.hits, 1);

	/* Set without commit: only the pending value moves; the decision stays. */
	seq = ss_seqno();
	id2 = UINT32_MAX;
	assert_int_equal(flask_op_setbool(&dom0, &id2, "appvm_comms", 1, false), 0);
	assert_int_equal(id2, id);
	bool_state(id, &cur, &pending);
	assert_int_equal(cur, 0);
	assert_int_equal(pending, 1);
	assert_false(allowed(app_chan, app, SECCLASS_EVENT, EVENT__BIND));
	assert_int_equal(flask_op_getbool(&dom0, &id2, NULL, &cur, &pending), 0);
	assert_int_equal(cur, 0);
	assert_int_equal(pending, 1);
	/* Any non-zero value is true. */
	assert_int_equal(flask_op_setbool(&dom0, &id, NULL, 7, false), 0);
	bool_state(id, &cur, &pending);
	assert_int_equal(pending, 1);

	/* Commit: current at once, the cached denial gone (a miss, then allowed). */
	avc_get_stats(&before);
	assert_int_equal(flask_op_commitbools(&dom0), 0);
	assert_true(ss_seqno() > seq);
	bool_state(id, &cur, &pending);
	assert_int_equal(cur, 1);
	assert_int_equal(pending, 1);
	assert_true(allowed(app_chan, app, SECCLASS_EVENT, EVENT__BIND));
	avc_get_stats(&after);
	assert_int_equal(after.misses - before.misses, 1);
	assert_true(allowed(type_sid[T_APPVM], type_sid[T_DOMU], SECCLASS_GRANT, GRANT__COPY));

	/* Set and commit in one call, by id; back to the denial at once. */
	assert_int_equal(flask_op_setbool(&dom0, &id, NULL, 0, true), 0);
	bool_state(id, &cur, &pending);
	assert_int_equal(cur, 0);
	assert_int_equal(pending, 0);
	assert_false(allowed(app_chan, app, SECCLASS_EVENT, EVENT__BIND));

	/* A commit makes every pending value current, and only those. */
	set_bool("clipboard", 1);
	assert_int_equal(ss_bool_lookup("clipboard", &id2), 0);
	bool_state(id2, &cur, &pending);
	assert_int_equal(cur, 0);
	assert_int_equal(pending, 1);
	assert_false(allowed(chan(type_sid[T_GUI], app), app, SECCLASS_EVENT, EVENT__BIND));
	assert_int_equal(ss_bool_commit(), 0);
	bool_state(id2, &cur, &pending);
	assert_int_equal(cur, 1);
	assert_true(allowed(chan(type_sid[T_GUI], app), app, SECCLASS_EVENT, EVENT__BIND));
	bool_state(id, &cur, &pending);
	assert_int_equal(cur, 0);

	/* By a name the policy lacks; by an id past the end. */
	id2 = 12345;
	assert_int_equal(flask_op_setbool(&dom0, &id2, "no_such_bool", 1, true), -ENOENT);
	assert_int_equal(flask_op_getbool(&dom0, &id2, (char[SS_BOOL_NAME_MAX]){ "nope" }, &cur,
					  &pending), -ENOENT);
	id2 = n;
	assert_int_equal(flask_op_setbool(&dom0, &id2, NULL, 1, false), -ENOENT);
	assert_int_equal(flask_op_getbool(&dom0, &id2, NULL, &cur, &pending), -ENOENT);
}

/* ---- policy reloads -------------------------------------------------------- */

static void test_reload_keeps_sids(void **state)
{
	const char *app_ctx = XSM_DOMAIN_CTX("appvm_t");
	const char *extra_ctx = XSM_DOMAIN_CTX("extra_t");
	uint32_t app = sid_of(app_ctx), extra, again, seq, id;
	int cur, pending;

	(void)state;
	assert_int_equal(app, type_sid[T_APPVM]);
	/* The same policy again: a new sequence number, the same SIDs. */
	seq = ss_seqno();
	load_ok(policy, policy_len);
	assert_true(ss_seqno() > seq);
	assert_int_equal(sid_of(app_ctx), app);
	assert_context(app, app_ctx);

	/* extra_t is not in the shipped policy... */
	assert_int_equal(ss_context_to_sid(extra_ctx, strlen(extra_ctx), &extra), -EINVAL);
	/* ...readconsole is denied, and now cached... */
	assert_false(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__READCONSOLE));
	assert_false(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__READCONSOLE));
	/* ...appvm_comms is set, and dispvm_comms pending only. */
	set_bool("appvm_comms", 1);
	assert_int_equal(ss_bool_commit(), 0);
	set_bool("dispvm_comms", 1);

	/* The policy with one more rule. */
	seq = ss_seqno();
	load_ok(extra_pol, extra_len);
	assert_true(ss_seqno() > seq);
	assert_int_equal(sid_of(app_ctx), app);
	assert_context(app, app_ctx);
	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__READCONSOLE));
	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));
	/* Current values carry over by name; a pending one does not (as Xen). */
	assert_int_equal(ss_bool_lookup("appvm_comms", &id), 0);
	bool_state(id, &cur, &pending);
	assert_int_equal(cur, 1);
	assert_int_equal(pending, 1);
	assert_true(allowed(chan(app, app), app, SECCLASS_EVENT, EVENT__BIND));
	assert_int_equal(ss_bool_lookup("dispvm_comms", &id), 0);
	bool_state(id, &cur, &pending);
	assert_int_equal(cur, 0);
	assert_int_equal(pending, 0);
	/* A boolean new in this policy starts at its default. */
	assert_int_equal(ss_bool_lookup("extra_bool", &id), 0);
	bool_state(id, &cur, &pending);
	assert_int_equal(cur, 1);

	/* A context only the new policy defines gets a SID... */
	extra = sid_of(extra_ctx);
	assert_true(extra > SECINITSID_NUM);
	assert_false(allowed(extra, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));

	/* ...which survives a policy without it, reading as unlabeled there. */
	load_ok(policy, policy_len);
	assert_int_equal(ss_bool_lookup("extra_bool", &id), -ENOENT);
	assert_int_equal(sid_of(app_ctx), app);
	assert_context(extra, extra_ctx);
	assert_int_equal(ss_context_to_sid(extra_ctx, strlen(extra_ctx), &again), -EINVAL);
	{
		struct ss_decision as_extra, as_unlabeled;
		uint32_t cls[] = { SECCLASS_XEN, SECCLASS_EVENT, SECCLASS_SECURITY };

		for (size_t i = 0; i < ARRAY_SIZE(cls); i++) {
			assert_int_equal(ss_compute_av(extra, type_sid[T_DOM0], cls[i], &as_extra), 0);
			assert_int_equal(ss_compute_av(SECINITSID_UNLABELED, type_sid[T_DOM0], cls[i],
						       &as_unlabeled), 0);
			assert_int_equal(as_extra.allowed, as_unlabeled.allowed);
			assert_int_equal(ss_compute_av(type_sid[T_DOM0], extra, cls[i], &as_extra), 0);
			assert_int_equal(ss_compute_av(type_sid[T_DOM0], SECINITSID_UNLABELED, cls[i],
						       &as_unlabeled), 0);
			assert_int_equal(as_extra.allowed, as_unlabeled.allowed);
		}
	}
	/* The extra rule is gone with its policy, cached decision or not. */
	assert_false(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__READCONSOLE));
	assert_true(allowed(chan(app, app), app, SECCLASS_EVENT, EVENT__BIND));

	/* Load the new policy again: the same SID for extra_t. */
	load_ok(extra_pol, extra_len);
	assert_int_equal(sid_of(extra_ctx), extra);
	assert_context(extra, extra_ctx);
}

/* ---- hostile policy files --------------------------------------------------- */

/* The running policy decides as the shipped one: one allowed, one denied. */
static void assert_policy_intact(uint32_t seq)
{
	const uint32_t app = type_sid[T_APPVM];
	struct ss_decision d;

	assert_int_equal(ss_seqno(), seq);
	assert_true(ss_loaded());
	assert_int_equal(ss_policyvers(), SS_POLICYVERS_MAX);
	/* Straight from the security server, and through the AVC. */
	assert_int_equal(ss_compute_av(app, SECINITSID_XEN, SECCLASS_XEN, &d), 0);
	assert_true(d.allowed & XEN__WRITECONSOLE);
	assert_int_equal(ss_compute_av(app, SECINITSID_SECURITY, SECCLASS_SECURITY, &d), 0);
	assert_false(d.allowed & SECURITY__LOAD_POLICY);
	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE));
	assert_false(allowed(app, SECINITSID_SECURITY, SECCLASS_SECURITY, SECURITY__LOAD_POLICY));
	assert_int_equal(sid_of(XSM_DOMAIN_CTX("appvm_t")), app);
}

/* A policy that must be refused with a reason, leaving the running one alone. */
static void refused(const void *p, size_t len, const char *reason)
{
	uint32_t seq = ss_seqno();
	char err[256];
	int rc;

	memset(err, 0, sizeof(err));
	rc = ss_load(p, len, err, sizeof(err));
	if (rc == 0)
		print_error("accepted a policy of %zu bytes that should be refused\n", len);
	assert_true(rc < 0);
	assert_int_not_equal(err[0], 0);
	assert_true(strlen(err) < sizeof(err));
	if (reason && !strstr(err, reason))
		print_error("refused for '%s', not for '%s'\n", err, reason);
	if (reason)
		assert_non_null(strstr(err, reason));
	assert_policy_intact(seq);
}

static void test_hostile_sizes(void **state)
{
	size_t big = (size_t)SS_POLICY_MAX + 1;
	uint8_t *p;

	(void)state;
	refused(policy, 0, "size");
	refused("", 0, "size");
	/*
	 * Over the limit: the real policy followed by zeros, in an mmap so the
	 * 64 MiB cost nothing until touched. Refused before it is read.
	 */
	p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	memcpy(p, policy, policy_len);
	refused(p, big, "size");
	refused(p, SIZE_MAX, "size");
	munmap(p, big);
	/* flask_load_file: a directory, a missing file, an empty one. */
	{
		char err[256], path[256];
		FILE *f;

		assert_true(flask_load_file(tmpdir, err, sizeof(err)) < 0);
		assert_int_not_equal(err[0], 0);
		snprintf(path, sizeof(path), "%s/missing.pol", tmpdir);
		assert_int_equal(flask_load_file(path, err, sizeof(err)), -ENOENT);
		snprintf(path, sizeof(path), "%s/empty.pol", tmpdir);
		f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
		assert_int_equal(flask_load_file(path, err, sizeof(err)), -EINVAL);
		unlink(path);
		assert_policy_intact(ss_seqno());
	}
}

static void test_hostile_truncated(void **state)
{
	size_t n = 0;

	(void)state;
	for (size_t len = 1; len < policy_len; len += 97, n++)
		refused(policy, len, NULL);
	refused(policy, policy_len - 1, NULL);
	assert_true(n > 50);
	/* The whole file still loads. */
	load_ok(policy, policy_len);
}

static void test_hostile_random(void **state)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	size_t maxlen = 4 * policy_len;
	uint8_t *buf = malloc(maxlen);

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i < 200; i++) {
		size_t len = 1 + xorshift64s(&rng) % maxlen;

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)xorshift64s(&rng);
		/* Half of them start like the real policy, to get past its header. */
		if (i % 2) {
			size_t keep = 8 + xorshift64s(&rng) % 64;

			memcpy(buf, policy, keep < len ? keep : len);
		}
		refused(buf, len, NULL);
	}
	free(buf);
}

/*
 * One mutated policy: load it and, if libsepol accepts it, ask it every
 * question the hooks ask. 1 if it was refused, 0 if accepted.
 */
static int hostile_flip_one(uint8_t *buf, uint64_t *rng)
{
	uint32_t seq = ss_seqno();
	int flips = 1 + xorshift64s(rng) % 8;
	char err[256] = "";
	int rc;

	memcpy(buf, policy, policy_len);
	for (int k = 0; k < flips; k++)
		buf[xorshift64s(rng) % policy_len] ^= 1 + xorshift64s(rng) % 255;
	rc = ss_load(buf, policy_len, err, sizeof(err));
	if (rc) {
		/* Refused: with a reason, the running policy untouched. */
		assert_true(rc < 0);
		assert_int_not_equal(err[0], 0);
		assert_policy_intact(seq);
		return 1;
	}
	/*
	 * A binary policy has no checksum: a flip in a name or in a rule
	 * can leave a valid policy, which is then the running one. It is
	 * still hostile input: ask it every question the hooks ask.
	 */
	for (int s = 0; s < NR_TYPES; s++) {
		for (int c = SECCLASS_NONE + 1; c < SECCLASS_NR; c++) {
			struct ss_decision d;
			uint32_t out;

			assert_int_equal(ss_compute_av(type_sid[s], type_self[s], c, &d), 0);
			assert_int_equal(ss_compute_av(type_sid[s], SECINITSID_XEN, c, &d), 0);
			(void)ss_transition_sid(type_sid[s], type_sid[T_DOM0], c, &out);
			(void)avc_has_perm(type_sid[s], type_sid[T_DOM0], c, 1, NULL);
		}
	}
	load_ok(policy, policy_len);
	assert_policy_intact(ss_seqno());
	return 0;
}

/*
 * Each mutated policy loads in a child process, so that one libsepol takes
 * minutes over does not stop the suite (5 s each): libsepol 3.4's validate_policydb
 * builds a bitmap bit by bit up to a symbol count the file claims, and a
 * flip there can claim hundreds of millions. That costs time, not safety
 * (only a label with security:load_policy can load a policy), and is
 * counted and reported here; a crash or a failed check in the child fails
 * the test.
 */
static void test_hostile_flips(void **state)
{
	uint64_t rng = 0x2545f4914f6cdd1dull;
	uint8_t *buf = malloc(policy_len);
	int accepted = 0, refused_n = 0, slow = 0;

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i < 300; i++) {
		uint64_t start = mono_ns();
		int status = 0;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(hostile_flip_one(buf, &rng) ? 3 : 4);
		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (mono_ns() - start > 5000000000ull) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				status = -1;
				break;
			}
			usleep(1000);
		}
		/* The parent's generator follows the child's. */
		for (int k = 0, flips = 1 + xorshift64s(&rng) % 8; k < flips; k++) {
			xorshift64s(&rng);
			xorshift64s(&rng);
		}
		if (status == -1) {
			slow++;
			print_message("      mutated policy %d: libsepol still busy after 5 s; stopped\n", i);
			continue;
		}
		assert_true(WIFEXITED(status));
		assert_true(WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 4);
		if (WEXITSTATUS(status) == 3)
			refused_n++;
		else
			accepted++;
	}
	print_message("      %d of 300 mutated policies refused, %d accepted and queried, %d too slow\n",
		      refused_n, accepted, slow);
	/* Most flips land in structure, which libsepol must catch. */
	assert_true(refused_n > 150);
	assert_true(slow <= 3);
	free(buf);
}

static void test_hostile_wrong_kind(void **state)
{
	uint8_t *p = malloc(policy_len);
	uint32_t v;

	(void)state;
	assert_non_null(p);
	/* A sound policy, but for SELinux. */
	refused(selinux_pol, selinux_len, "SELinux");
	/*
	 * Newer than Xen reads. checkpolicy writes no Xen policy past version
	 * 30, so take the real one and change the version word of its header
	 * (after the magic, the length and "XenFlask").
	 */
	memcpy(&v, policy + 16, sizeof(v));
	assert_int_equal(v, SS_POLICYVERS_MAX);
	for (uint32_t vers = SS_POLICYVERS_MAX + 1; vers <= SS_POLICYVERS_MAX + 4; vers++) {
		memcpy(p, policy, policy_len);
		memcpy(p + 16, &vers, sizeof(vers));
		refused(p, policy_len, NULL);
	}
	v = UINT32_MAX;
	memcpy(p + 16, &v, sizeof(v));
	refused(p, policy_len, NULL);
	/* The wrong magic, or "XenFlask" misspelt. */
	memcpy(p, policy, policy_len);
	p[0] ^= 0xff;
	refused(p, policy_len, NULL);
	memcpy(p, policy, policy_len);
	p[8] = 'Y';
	refused(p, policy_len, NULL);
	free(p);
}

/*
 * A sound Xen policy without initial SID 6 (unlabeled). Were it loaded, SID
 * 6 would name whatever context libsepol numbers 6 next: the first domain
 * label looked up after the load. And one whose initial SIDs stop at 11,
 * which is neither Xen layout.
 */
static void test_hostile_missing_initial_sid(void **state)
{
	(void)state;
	refused(no_unlabeled_pol, no_unlabeled_len, "initial SID 6 (unlabeled");
	assert_context(SECINITSID_UNLABELED, XSM_DOMAIN_CTX("unlabeled_t"));
	refused(eleven_pol, eleven_len, "go up to 11");
	assert_context(SECINITSID_DOMDM, XSM_DOMAIN_CTX("dm_dom_t"));
}

/* ---- what a reload must not do ----------------------------------------------- */

static struct ss_label_use test_uses[4];
static size_t nr_test_uses;

/* The labels hook: the domains the test says are running. */
static int test_labels(struct ss_label_use **uses, size_t *n)
{
	*uses = malloc(sizeof(test_uses));
	if (!*uses)
		return -1;
	memcpy(*uses, test_uses, sizeof(test_uses));
	*n = nr_test_uses;
	return 0;
}

/* A reload that flask_op_load refuses for `reason`, the running policy untouched. */
static void reload_refused(const struct flask_subject *s, const void *p, size_t len,
			   const char *reason)
{
	uint32_t seq = ss_seqno();
	char err[256] = "";
	int rc = flask_op_load(s, p, len, err, sizeof(err));

	if (rc != -EINVAL || !strstr(err, reason))
		print_error("reload: %d '%s', not -EINVAL for '%s'\n", rc, err, reason);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, reason));
	assert_int_equal(ss_seqno(), seq);
}

static void reload_ok(const struct flask_subject *s, const void *p, size_t len)
{
	char err[256] = "";
	int rc = flask_op_load(s, p, len, err, sizeof(err));

	if (rc)
		print_error("reload: %d '%s'\n", rc, err);
	assert_int_equal(rc, 0);
}

/*
 * A policy that would leave the loader without security:load_policy is
 * refused: once it ran, nothing could load a fixed one. Permissive mode
 * too: the lock-out would come with the next setenforce 1.
 */
static void test_reload_refuses_lockout(void **state)
{
	const struct flask_subject dom0 = { SECINITSID_DOM0, 0 };

	(void)state;
	reload_refused(&dom0, nolock_pol, nolock_len, "security:load_policy");
	assert_true(allowed(SECINITSID_DOM0, SECINITSID_SECURITY, SECCLASS_SECURITY,
			    SECURITY__LOAD_POLICY));
	avc_set_enforcing(false);
	reload_refused(&dom0, nolock_pol, nolock_len, "security:load_policy");
	avc_set_enforcing(true);
	/* At boot there is no loader to lock out. */
	load_ok(nolock_pol, nolock_len);
	assert_false(allowed(SECINITSID_DOM0, SECINITSID_SECURITY, SECCLASS_SECURITY,
			     SECURITY__LOAD_POLICY));
}

/*
 * A policy that would relabel a running domain is refused: one that gives
 * the initial SID of a running unlabelled domain another context, and one
 * that lacks a running domain's type. The same policies load when no
 * domain uses those labels, and the Xen 4.16 layout of the shipped policy
 * relabels nothing.
 */
static void test_reload_refuses_relabel(void **state)
{
	const struct flask_subject dom0 = { SECINITSID_DOM0, 0 };
	uint32_t extra;

	(void)state;
	flask_set_labels_hook(test_labels);
	test_uses[0] = (struct ss_label_use){ SECINITSID_DOMU, 3 };
	test_uses[1] = (struct ss_label_use){ type_sid[T_APPVM], 4 };
	nr_test_uses = 2;
	reload_refused(&dom0, relabel_pol, relabel_len, "relabels domain 3");
	assert_context(SECINITSID_DOMU, XSM_DOMAIN_CTX("domU_t"));
	reload_ok(&dom0, xen416_pol, xen416_len);
	assert_context(SECINITSID_DOMU, XSM_DOMAIN_CTX("domU_t"));
	reload_ok(&dom0, policy, policy_len);

	reload_ok(&dom0, extra_pol, extra_len);
	extra = sid_of(XSM_DOMAIN_CTX("extra_t"));
	test_uses[2] = (struct ss_label_use){ extra, 5 };
	nr_test_uses = 3;
	reload_refused(&dom0, policy, policy_len, "domain 5's label system_u:system_r:extra_t");
	assert_int_equal(sid_of(XSM_DOMAIN_CTX("extra_t")), extra);

	nr_test_uses = 2; /* extra_t's domain is gone */
	reload_ok(&dom0, policy, policy_len);
	nr_test_uses = 0;
	reload_ok(&dom0, relabel_pol, relabel_len);
	assert_context(SECINITSID_DOMU, XSM_DOMAIN_CTX("appvm_t"));
	flask_set_labels_hook(NULL);
}

/* ---- the AVC ---------------------------------------------------------------- */

static struct avc_stats stats_delta(const struct avc_stats *before)
{
	struct avc_stats now, d;

	avc_get_stats(&now);
	d.lookups = now.lookups - before->lookups;
	d.hits = now.hits - before->hits;
	d.misses = now.misses - before->misses;
	d.allocations = now.allocations - before->allocations;
	d.reclaims = now.reclaims - before->reclaims;
	d.denials = now.denials - before->denials;
	return d;
}

static void test_avc_stats(void **state)
{
	const uint32_t app = type_sid[T_APPVM];
	struct avc_stats st, d;

	(void)state;
	/* A key nobody asked for since setup's reload: a miss, then hits. */
	avc_get_stats(&st);
	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_VERSION, VERSION__XEN_PAGESIZE));
	d = stats_delta(&st);
	assert_int_equal(d.lookups, 1);
	assert_int_equal(d.misses, 1);
	assert_int_equal(d.hits, 0);
	assert_int_equal(d.allocations, 1);
	assert_int_equal(d.denials, 0);

	avc_get_stats(&st);
	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_VERSION, VERSION__XEN_PAGESIZE));
	/* Another permission of the same (ssid, tsid, class) is the same entry. */
	assert_false(allowed(app, SECINITSID_XEN, SECCLASS_VERSION, VERSION__XEN_COMMANDLINE));
	d = stats_delta(&st);
	assert_int_equal(d.lookups, 2);
	assert_int_equal(d.hits, 2);
	assert_int_equal(d.misses, 0);
	assert_int_equal(d.allocations, 0);
	assert_int_equal(d.denials, 1);

	/* A reload empties the cache: the next lookup misses. */
	load_ok(policy, policy_len);
	avc_get_stats(&st);
	assert_true(allowed(app, SECINITSID_XEN, SECCLASS_VERSION, VERSION__XEN_PAGESIZE));
	d = stats_delta(&st);
	assert_int_equal(d.misses, 1);
	assert_int_equal(d.hits, 0);

	/* The FLASK operation reports the same counters. */
	{
		const struct flask_subject dom0 = { SECINITSID_DOM0, 0 };
		struct avc_stats op;

		avc_get_stats(&st);
		assert_int_equal(flask_op_avc_stats(&dom0, &op), 0);
		/* flask_op_avc_stats itself went through the AVC once. */
		assert_int_equal(op.lookups, st.lookups + 1);
		assert_true(op.hits + op.misses == op.lookups);
	}
}

static void test_avc_reclaims(void **state)
{
	struct avc_stats st, d;
	unsigned int keys = 0;

	(void)state;
	/* Sizes round up to a power of two within 16..AVC_SLOTS_MAX. */
	assert_int_equal(avc_init(0), 0);
	assert_int_equal(avc_slots(), 16);
	assert_int_equal(avc_init(17), 0);
	assert_int_equal(avc_slots(), 32);
	assert_int_equal(avc_init(512), 0);
	assert_int_equal(avc_slots(), 512);
	assert_int_equal(avc_init(16), 0);
	assert_int_equal(avc_slots(), 16);

	/* Far more distinct keys than slots: each a miss, most evicting another. */
	avc_get_stats(&st);
	for (int s = 0; s < NR_TYPES; s++)
		for (uint32_t t = 1; t <= SECINITSID_NUM; t++)
			for (int c = SECCLASS_XEN; c <= SECCLASS_DOMAIN2; c++, keys++)
				(void)avc_has_perm(type_sid[s], t, c, 1, NULL);
	d = stats_delta(&st);
	assert_int_equal(d.lookups, keys);
	assert_int_equal(d.misses, keys);
	assert_int_equal(d.hits, 0);
	assert_int_equal(d.allocations, keys);
	assert_true(d.reclaims >= keys - 16);
	assert_true(d.reclaims < keys);

	/* A hit right after its miss, whatever else was evicted. */
	avc_get_stats(&st);
	assert_true(allowed(type_sid[T_DOM0], SECINITSID_SECURITY, SECCLASS_SECURITY,
			    SECURITY__COMPUTE_AV));
	assert_true(allowed(type_sid[T_DOM0], SECINITSID_SECURITY, SECCLASS_SECURITY,
			    SECURITY__COMPUTE_AV));
	d = stats_delta(&st);
	assert_int_equal(d.misses, 1);
	assert_int_equal(d.hits, 1);

	/* Eviction never changes an answer. */
	for (int s = 0; s < NR_TYPES; s++) {
		for (uint32_t t = 1; t <= SECINITSID_NUM; t++) {
			struct ss_decision sd;

			assert_int_equal(ss_compute_av(type_sid[s], t, SECCLASS_XEN, &sd), 0);
			assert_int_equal(avc_has_perm(type_sid[s], t, SECCLASS_XEN,
						      XEN__WRITECONSOLE, NULL) == 0,
					 !!(sd.allowed & XEN__WRITECONSOLE));
		}
	}
	assert_int_equal(avc_init(512), 0);
}

static void test_avc_permissive(void **state)
{
	const uint32_t app = type_sid[T_APPVM];
	const struct avc_audit ad = { .domid = 4 };
	struct avc_stats st, d;

	(void)state;
	wait_next_second();
	audit_reset();
	avc_set_enforcing(false);
	assert_false(avc_enforcing());
	assert_int_equal(flask_mode(), FLASK_PERMISSIVE);
	avc_get_stats(&st);
	assert_int_equal(avc_has_perm(app, SECINITSID_SECURITY, SECCLASS_SECURITY,
				      SECURITY__LOAD_POLICY, &ad), 0);
	d = stats_delta(&st);
	assert_int_equal(d.denials, 1);
	assert_int_equal(audit_lines(), 1);
	assert_non_null(strstr(audit_line[0], "avc:  denied  { load_policy } for domid=4 "));
	assert_non_null(strstr(audit_line[0], " permissive=1"));
	/* Allowed stays allowed, and silent. */
	assert_int_equal(avc_has_perm(app, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE, &ad), 0);
	assert_int_equal(audit_lines(), 1);
	/* Back to enforcing: the same check is denied from the cached entry. */
	avc_set_enforcing(true);
	assert_int_equal(flask_mode(), FLASK_ENFORCING);
	assert_int_equal(avc_has_perm(app, SECINITSID_SECURITY, SECCLASS_SECURITY,
				      SECURITY__LOAD_POLICY, &ad), -EACCES);
	assert_int_equal(audit_lines(), 2);
	assert_non_null(strstr(audit_line[1], " permissive=0"));
}

static void test_audit_format(void **state)
{
	const uint32_t iso = type_sid[T_ISOLATED], app = type_sid[T_APPVM];
	const uint32_t app_chan = chan(app, type_sid[T_NETBACK]);
	const struct avc_audit ad = { .domid = 3 }, no_dom = { .domid = -1 };

	(void)state;
	assert_context(app_chan, "system_u:object_r:appvm_t_channel");
	wait_next_second();
	audit_reset();
	/* policy/modules has no dontaudit rule: every denial is logged. */
	assert_int_equal(avc_has_perm(iso, app_chan, SECCLASS_EVENT, EVENT__SEND, &ad), -EACCES);
	assert_int_equal(audit_lines(), 1);
	assert_string_equal(audit_line[0],
			    "avc:  denied  { send } for domid=3 scontext=system_u:system_r:isolated_t "
			    "tcontext=system_u:object_r:appvm_t_channel tclass=event permissive=0");
	/* Several permissions, in bit order; without a domid; the same key cached. */
	assert_int_equal(avc_has_perm(iso, app_chan, SECCLASS_EVENT, EVENT__STATUS | EVENT__SEND,
				      &no_dom), -EACCES);
	assert_int_equal(audit_lines(), 2);
	assert_string_equal(audit_line[1],
			    "avc:  denied  { send status } for scontext=system_u:system_r:isolated_t "
			    "tcontext=system_u:object_r:appvm_t_channel tclass=event permissive=0");
	/* Only the denied part of a request is named. */
	assert_int_equal(avc_has_perm(app, SECINITSID_XEN, SECCLASS_XEN,
				      XEN__WRITECONSOLE | XEN__READCONSOLE, NULL), -EACCES);
	assert_int_equal(audit_lines(), 3);
	assert_string_equal(audit_line[2],
			    "avc:  denied  { readconsole } for scontext=system_u:system_r:appvm_t "
			    "tcontext=system_u:system_r:xen_t tclass=xen permissive=0");
	/* A grant denial and one between two domains. */
	assert_int_equal(avc_has_perm(type_sid[T_DOM0], app, SECCLASS_GRANT, GRANT__MAP_WRITE, &ad),
			 -EACCES);
	assert_string_equal(audit_line[3],
			    "avc:  denied  { map_write } for domid=3 scontext=system_u:system_r:dom0_t "
			    "tcontext=system_u:system_r:appvm_t tclass=grant permissive=0");
	/* A SID with no context left names itself by number. */
	assert_int_equal(avc_has_perm(SS_SID_MAX + 1, SECINITSID_XEN, SECCLASS_XEN,
				      XEN__WRITECONSOLE, NULL), -EACCES);
	assert_string_equal(audit_line[4], "avc:  denied  { writeconsole } for ssid=65537 "
					   "tcontext=system_u:system_r:xen_t tclass=xen permissive=0");
	/* dom0.te auditallow: policy changes are logged even when granted. */
	assert_int_equal(avc_has_perm(type_sid[T_DOM0], SECINITSID_SECURITY, SECCLASS_SECURITY,
				      SECURITY__SETBOOL, &ad), 0);
	assert_int_equal(audit_lines(), 6);
	assert_string_equal(audit_line[5],
			    "avc:  granted  { setbool } for domid=3 scontext=system_u:system_r:dom0_t "
			    "tcontext=system_u:system_r:security_t tclass=security permissive=0");
	/* An allowed check without auditallow is silent. */
	assert_int_equal(avc_has_perm(app, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE, &ad), 0);
	assert_int_equal(audit_lines(), 6);
}

static void deny_as(int domid, unsigned int n)
{
	const struct avc_audit ad = { .domid = domid };

	for (unsigned int i = 0; i < n; i++)
		(void)avc_has_perm(type_sid[T_APPVM], SECINITSID_SECURITY, SECCLASS_SECURITY,
				   SECURITY__LOAD_POLICY, &ad);
}

/*
 * Each subject domain has its own budget under the global one: a domain
 * that floods denials cannot hide another's, and the suppressed count names
 * the domain it belongs to.
 */
static void test_audit_ratelimit(void **state)
{
	const unsigned int flood = 3 * AVC_AUDIT_PER_SEC, quiet = 11;
	const unsigned int others = AVC_AUDIT_PER_SEC / AVC_AUDIT_PER_DOMAIN;
	char *log = malloc(BH_LOG_RING + 1);
	struct avc_stats st, d;
	unsigned int after_quiet = 0;
	char want[128];
	size_t n;
	int tries;

	(void)state;
	assert_non_null(log);
	/* All of it inside one second; a slow machine that crosses one tries again. */
	for (tries = 0; tries < 5; tries++) {
		uint64_t sec;

		wait_next_second();
		audit_reset();
		avc_get_stats(&st);
		sec = mono_sec();
		deny_as(1, flood);
		deny_as(2, quiet);
		after_quiet = audit_lines();
		/* Enough other domains to spend the global budget, each its own. */
		for (unsigned int i = 0; i < others; i++)
			deny_as(3 + i, AVC_AUDIT_PER_DOMAIN);
		if (mono_sec() == sec)
			break;
	}
	assert_true(tries < 5);
	d = stats_delta(&st);
	assert_int_equal(d.denials, flood + quiet + others * AVC_AUDIT_PER_DOMAIN);
	assert_int_equal(after_quiet, AVC_AUDIT_PER_DOMAIN + quiet);
	assert_int_equal(audit_lines(), AVC_AUDIT_PER_SEC);
	/* The next second's first line reports the last one's losses, by domain. */
	wait_next_second();
	bh_log_init("test_xsm_ss", BH_LOG_WARN);
	bh_log_read(log, BH_LOG_RING, true);
	audit_reset();
	deny_as(2, 1);
	assert_int_equal(audit_lines(), 1);
	n = bh_log_read(log, BH_LOG_RING, true);
	log[n] = 0;
	bh_log_init("test_xsm_ss", BH_LOG_ERR);
	snprintf(want, sizeof(want), "avc: %u audit messages from domid 1 suppressed\n",
		 flood - AVC_AUDIT_PER_DOMAIN);
	assert_non_null(strstr(log, want));
	assert_null(strstr(log, "from domid 2 suppressed"));
	snprintf(want, sizeof(want), "avc: %u audit messages from domid %u suppressed\n",
		 AVC_AUDIT_PER_DOMAIN, 3 + others - 1);
	assert_non_null(strstr(log, want));
	/* Checks made for no domain share one bucket of their own. */
	wait_next_second();
	audit_reset();
	for (unsigned int i = 0; i < 2 * AVC_AUDIT_PER_DOMAIN; i++)
		assert_false(allowed(type_sid[T_APPVM], SECINITSID_SECURITY, SECCLASS_SECURITY,
				     SECURITY__LOAD_POLICY));
	assert_int_equal(audit_lines(), AVC_AUDIT_PER_DOMAIN);
	free(log);
}

/* ---- reloads racing lookups -------------------------------------------------- */

struct hammer {
	pthread_t thread;
	uint64_t iterations, mismatches;
};

static atomic_bool hammer_stop;
static atomic_uint quiet_lines;

static void audit_count_only(const char *line)
{
	(void)line;
	atomic_fetch_add(&quiet_lines, 1);
}

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	const uint32_t app = type_sid[T_APPVM];

	while (!atomic_load(&hammer_stop)) {
		if (avc_has_perm(app, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE, NULL) != 0)
			h->mismatches++;
		if (avc_has_perm(app, SECINITSID_SECURITY, SECCLASS_SECURITY,
				 SECURITY__LOAD_POLICY, NULL) != -EACCES)
			h->mismatches++;
		h->iterations++;
	}
	return NULL;
}

static void test_concurrent_reload(void **state)
{
	struct hammer h[4];
	struct timespec pause = { 0, 200000 };
	uint32_t id;
	uint64_t total = 0;

	(void)state;
	avc_set_audit_sink(audit_count_only);
	atomic_store(&hammer_stop, false);
	memset(h, 0, sizeof(h));
	for (size_t i = 0; i < ARRAY_SIZE(h); i++)
		assert_int_equal(pthread_create(&h[i].thread, NULL, hammer_thread, &h[i]), 0);
	assert_int_equal(ss_bool_lookup("clipboard", &id), 0);
	for (int i = 0; i < 50; i++) {
		/* Alternate the shipped policy and the one with an unrelated extra rule. */
		if (i % 2)
			load_ok(extra_pol, extra_len);
		else
			load_ok(policy, policy_len);
		assert_int_equal(ss_bool_lookup("clipboard", &id), 0);
		assert_int_equal(ss_bool_set_pending(id, i % 2), 0);
		assert_int_equal(ss_bool_commit(), 0);
		nanosleep(&pause, NULL);
	}
	atomic_store(&hammer_stop, true);
	for (size_t i = 0; i < ARRAY_SIZE(h); i++) {
		assert_int_equal(pthread_join(h[i].thread, NULL), 0);
		if (h[i].mismatches)
			print_error("thread %zu: %llu wrong decisions in %llu rounds\n", i,
				    (unsigned long long)h[i].mismatches,
				    (unsigned long long)h[i].iterations);
		assert_int_equal(h[i].mismatches, 0);
		assert_true(h[i].iterations > 0);
		total += h[i].iterations;
	}
	assert_true(total > 100);
	avc_set_audit_sink(audit_capture);
}

/* ---- the FLASK operations' own checks ---------------------------------------- */

static void test_flask_ops_guest_denied(void **state)
{
	const struct flask_subject app = { type_sid[T_APPVM], 5 };
	const uint32_t seq = ss_seqno();
	struct flask_access_result ar;
	struct avc_stats st;
	char err[256], name[SS_BOOL_NAME_MAX] = "appvm_comms";
	char *ctx = NULL;
	size_t len;
	uint32_t sid = 0, id = 0, vers = 0;
	int v = -1, cur = -1, pending = -1;

	(void)state;
	assert_int_equal(flask_op_load(&app, policy, policy_len, err, sizeof(err)), -EACCES);
	assert_int_not_equal(err[0], 0);
	assert_int_equal(ss_seqno(), seq);
	/* getenforce is unchecked, as in Xen. */
	assert_int_equal(flask_op_getenforce(&app, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(flask_op_setenforce(&app, 0), -EACCES);
	assert_true(avc_enforcing());
	assert_int_equal(flask_op_context_to_sid(&app, "system_u:system_r:dom0_t", 24, &sid),
			 -EACCES);
	assert_int_equal(sid, 0);
	assert_int_equal(flask_op_sid_to_context(&app, SECINITSID_DOM0, &ctx, &len), -EACCES);
	assert_null(ctx);
	assert_int_equal(flask_op_access(&app, SECINITSID_DOM0, SECINITSID_SECURITY, 1, &ar),
			 -EACCES);
	assert_int_equal(flask_op_create(&app, SECINITSID_DOM0, SECINITSID_DOM0, 1, false, &sid),
			 -EACCES);
	assert_int_equal(flask_op_create(&app, SECINITSID_DOM0, SECINITSID_DOM0, 1, true, &sid),
			 -EACCES);
	assert_int_equal(flask_op_policyvers(&app, &vers), -EACCES);
	assert_int_equal(vers, 0);
	assert_int_equal(flask_op_getbool(&app, &id, name, &cur, &pending), -EACCES);
	assert_int_equal(cur, -1);
	assert_int_equal(flask_op_setbool(&app, &id, "appvm_comms", 1, true), -EACCES);
	assert_int_equal(flask_op_setbool(&app, &id, NULL, 1, false), -EACCES);
	assert_int_equal(flask_op_commitbools(&app), -EACCES);
	assert_int_equal(flask_op_avc_stats(&app, &st), -EACCES);
	/* Nothing moved. */
	assert_int_equal(ss_seqno(), seq);
	assert_int_equal(ss_bool_lookup("appvm_comms", &id), 0);
	bool_state(id, &cur, &pending);
	assert_int_equal(cur, 0);
	assert_int_equal(pending, 0);
	/* In permissive mode the same calls pass: the check is the AVC's. */
	avc_set_enforcing(false);
	assert_int_equal(flask_op_policyvers(&app, &vers), 0);
	assert_int_equal(vers, SS_POLICYVERS_MAX);
	avc_set_enforcing(true);
}

static void test_flask_ops_dom0(void **state)
{
	const struct flask_subject dom0 = { SECINITSID_DOM0, 0 };
	struct flask_access_result ar;
	struct avc_stats st;
	char err[256] = "", name[SS_BOOL_NAME_MAX] = "clipboard";
	char *ctx = NULL;
	size_t len = 0;
	uint32_t sid = 0, id = UINT32_MAX, vers = 0, seq = ss_seqno();
	int v = -1, cur = -1, pending = -1;

	(void)state;
	assert_int_equal(flask_op_load(&dom0, policy, policy_len, err, sizeof(err)), 0);
	assert_true(ss_seqno() > seq);
	/* A load that fails for dom0 fails for its content, with a reason. */
	assert_true(flask_op_load(&dom0, policy, 100, err, sizeof(err)) < 0);
	assert_int_not_equal(err[0], 0);
	assert_int_equal(flask_op_getenforce(&dom0, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(flask_op_setenforce(&dom0, 1), 0);
	assert_int_equal(flask_op_setenforce(&dom0, 2), -EINVAL);
	assert_int_equal(flask_op_setenforce(&dom0, -1), -EINVAL);
	assert_int_equal(flask_op_setenforce(&dom0, 0), 0);
	assert_false(avc_enforcing());
	assert_int_equal(flask_op_setenforce(&dom0, 1), 0);
	assert_true(avc_enforcing());
	assert_int_equal(flask_op_context_to_sid(&dom0, XSM_DOMAIN_CTX("appvm_t"),
						 strlen(XSM_DOMAIN_CTX("appvm_t")), &sid), 0);
	assert_int_equal(sid, type_sid[T_APPVM]);
	assert_int_equal(flask_op_sid_to_context(&dom0, sid, &ctx, &len), 0);
	assert_string_equal(ctx, XSM_DOMAIN_CTX("appvm_t"));
	free(ctx);
	assert_int_equal(flask_op_access(&dom0, type_sid[T_APPVM], SECINITSID_XEN, 1, &ar), 0);
	assert_int_equal(ar.seqno, ss_seqno());
	assert_int_equal(flask_op_create(&dom0, type_sid[T_APPVM], type_sid[T_APPVM], 3, false,
					 &sid), 0);
	assert_int_equal(sid, type_self[T_APPVM]);
	assert_int_equal(flask_op_policyvers(&dom0, &vers), 0);
	assert_int_equal(vers, SS_POLICYVERS_MAX);
	assert_int_equal(flask_op_getbool(&dom0, &id, name, &cur, &pending), 0);
	assert_int_equal(cur, 0);
	assert_int_equal(flask_op_setbool(&dom0, &id, NULL, 1, true), 0);
	assert_int_equal(flask_op_getbool(&dom0, &id, NULL, &cur, &pending), 0);
	assert_int_equal(cur, 1);
	assert_int_equal(flask_op_commitbools(&dom0), 0);
	assert_int_equal(flask_op_avc_stats(&dom0, &st), 0);
	assert_true(st.lookups > 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_classmap_names),
		T(test_classmap_constants),
		T(test_initial_sids),
		T(test_initial_sid_layouts),
		T(test_context_round_trip),
		T(test_context_invalid),
		T(test_decisions_named),
		T(test_decisions_matrix),
		T(test_booleans),
		T(test_reload_keeps_sids),
		T(test_hostile_sizes),
		T(test_hostile_truncated),
		T(test_hostile_random),
		T(test_hostile_flips),
		T(test_hostile_wrong_kind),
		T(test_hostile_missing_initial_sid),
		T(test_reload_refuses_lockout),
		T(test_reload_refuses_relabel),
		T(test_avc_stats),
		T(test_avc_reclaims),
		T(test_avc_permissive),
		T(test_audit_format),
		T(test_audit_ratelimit),
		T(test_concurrent_reload),
		T(test_flask_ops_guest_denied),
		T(test_flask_ops_dom0),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
