/*
 * The security server on libsepol. See ss.h for the locking and the SID
 * rules. Only this file includes libsepol's headers.
 */
/* libsepol's headers name a field "bool": they come before <stdbool.h>. */
#include <sepol/debug.h>
#include <sepol/handle.h>
#include <sepol/policydb/conditional.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/services.h>
#include <sepol/policydb/sidtab.h>

#include "ss.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bulkhead's SIDs: entry i is SID i. Entries are never freed or reused. */
struct ss_sid {
	char *ctx;          /* NULL for initial SIDs: the policy names them */
	uint32_t sepol_sid; /* in the current policy; 0 if it has no such context */
};

/* What one class of classmap.h is in the loaded policy. */
struct ss_class_map {
	uint16_t pclass;                 /* 0: the policy lacks the class */
	uint32_t pbit[FLASK_MAX_PERMS];  /* policy bit for our bit i; 0: missing */
};

struct ss_policy {
	policydb_t *p;
	sidtab_t *sidtab;
	uint32_t nr_isids; /* its initial SIDs: SS_ISIDS_XEN416 or SS_ISIDS_XEN417 */
	struct ss_class_map map[SECCLASS_NR];
};

_Static_assert(SS_ISIDS_XEN417 == SECINITSID_NUM && SS_ISIDS_XEN416 == SECINITSID_NUM - 1,
	       "classmap.h's initial SIDs are Xen 4.17's, which adds xenboot to 4.16's");

/* Bulkhead's initial SIDs by name (classmap.h, policy/flask/initial_sids). */
static const char *const isid_name[SECINITSID_NUM + 1] = {
	[SECINITSID_XENBOOT] = "xenboot", [SECINITSID_XEN] = "xen", [SECINITSID_DOM0] = "dom0",
	[SECINITSID_DOMIO] = "domio", [SECINITSID_DOMXEN] = "domxen",
	[SECINITSID_UNLABELED] = "unlabeled", [SECINITSID_SECURITY] = "security",
	[SECINITSID_IOPORT] = "ioport", [SECINITSID_IOMEM] = "iomem", [SECINITSID_IRQ] = "irq",
	[SECINITSID_DEVICE] = "device", [SECINITSID_DOMU] = "domU", [SECINITSID_DOMDM] = "domDM",
};

/*
 * The policy's number for Bulkhead's initial SID i. A policy in Xen 4.16's
 * layout has no xenboot and numbers the rest one lower; there the
 * hypervisor builds its boot-time domains as xen, as Xen 4.16 labelled its
 * idle domain xen from the start.
 */
static uint32_t isid_policy(const struct ss_policy *sp, uint32_t i)
{
	if (sp->nr_isids == SS_ISIDS_XEN417)
		return i;
	return i == SECINITSID_XENBOOT ? 1 : i - 1;
}

/* Bulkhead's initial SID for the policy's number s (1..sp->nr_isids). */
static uint32_t isid_ours(const struct ss_policy *sp, uint32_t s)
{
	return sp->nr_isids == SS_ISIDS_XEN417 ? s : s + 1;
}

static pthread_mutex_t ss_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ss_policy cur;        /* guarded by ss_lock */
static struct ss_sid *sids;         /* guarded by ss_lock */
static uint32_t nr_sids;            /* guarded by ss_lock */
static int *pending_bools;          /* guarded by ss_lock; one per policy boolean */
static uint32_t seqno = 1;          /* written under ss_lock, read atomically */
static char load_msg[256];          /* libsepol's last complaint, under ss_lock */

uint32_t ss_seqno(void)
{
	return __atomic_load_n(&seqno, __ATOMIC_ACQUIRE);
}

static void bump_seqno(void)
{
	__atomic_add_fetch(&seqno, 1, __ATOMIC_RELEASE);
}

bool ss_loaded(void)
{
	bool r;

	pthread_mutex_lock(&ss_lock);
	r = cur.p != NULL;
	pthread_mutex_unlock(&ss_lock);
	return r;
}

static void sepol_msg(void *arg, sepol_handle_t *h, const char *fmt, ...)
{
	va_list ap;

	(void)arg;
	(void)h;
	va_start(ap, fmt);
	vsnprintf(load_msg, sizeof(load_msg), fmt, ap);
	va_end(ap);
}

static void policy_free(struct ss_policy *sp)
{
	if (sp->sidtab) {
		if (sp->sidtab->htable) /* only once policydb_load_isids made it */
			sepol_sidtab_destroy(sp->sidtab);
		free(sp->sidtab);
	}
	if (sp->p) {
		policydb_destroy(sp->p);
		free(sp->p);
	}
	memset(sp, 0, sizeof(*sp));
}

/* Point libsepol's services at sp. Caller holds ss_lock. */
static void policy_select(struct ss_policy *sp)
{
	sepol_set_policydb(sp->p);
	sepol_set_sidtab(sp->sidtab);
}

/* Map classmap.h's names onto the selected policy's values. */
static void build_class_map(struct ss_policy *sp)
{
	for (int c = 1; c < SECCLASS_NR; c++) {
		struct ss_class_map *m = &sp->map[c];
		sepol_security_class_t pc;

		memset(m, 0, sizeof(*m));
		if (sepol_string_to_security_class(flask_classes[c].name, &pc) != 0)
			continue;
		m->pclass = pc;
		for (int i = 0; flask_classes[c].perms[i]; i++) {
			sepol_access_vector_t av;

			if (sepol_string_to_av_perm(pc, flask_classes[c].perms[i], &av) == 0)
				m->pbit[i] = av;
		}
	}
}

/* Our permission bits for the policy's bits pv of one class. */
static uint32_t map_back(const struct ss_class_map *m, uint32_t pv, bool unknown_allow)
{
	uint32_t r = 0;

	for (int i = 0; i < FLASK_MAX_PERMS; i++) {
		if (m->pbit[i] ? (pv & m->pbit[i]) : unknown_allow)
			r |= 1u << i;
	}
	return r;
}

/*
 * What each of our SIDs is in the selected policy sp: map[i] for SID i, 0
 * where sp has no such context. Caller holds ss_lock.
 */
static void map_sids(const struct ss_policy *sp, uint32_t *map)
{
	for (uint32_t i = 1; i <= SECINITSID_NUM; i++)
		map[i] = isid_policy(sp, i);
	for (uint32_t i = SECINITSID_NUM + 1; i < nr_sids; i++) {
		sepol_security_id_t s;

		map[i] = sepol_context_to_sid(sids[i].ctx, strlen(sids[i].ctx), &s) == 0 ? s : 0;
	}
}

static int read_policy(const void *data, size_t len, struct ss_policy *sp, char *err,
		       size_t errlen)
{
	sepol_handle_t *h;
	struct policy_file pf;
	int rc = -EINVAL;

	memset(sp, 0, sizeof(*sp));
	sp->p = calloc(1, sizeof(*sp->p));
	sp->sidtab = calloc(1, sizeof(*sp->sidtab));
	h = sepol_handle_create();
	if (!sp->p || !sp->sidtab || !h) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	sepol_msg_set_callback(h, sepol_msg, NULL);
	load_msg[0] = 0;
	if (policydb_init(sp->p)) {
		free(sp->p);
		sp->p = NULL;
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	/* The target string follows the magic and its length: name the usual mistake. */
	if (len >= 16 && memcmp((const char *)data + 8, "SE Linux", 8) == 0) {
		snprintf(err, errlen, "a policy for SELinux, not Xen: build it with checkpolicy -t Xen");
		goto out;
	}
	policy_file_init(&pf);
	pf.type = PF_USE_MEMORY;
	pf.data = (char *)data;
	pf.len = len;
	pf.handle = h;
	if (policydb_read(sp->p, &pf, 0)) {
		snprintf(err, errlen, "not a valid binary policy%s%s", load_msg[0] ? ": " : "",
			 load_msg);
		goto out;
	}
	if (sp->p->policy_type != POLICY_KERN) {
		snprintf(err, errlen, "a policy module, not a kernel policy");
		goto out;
	}
	if (sp->p->target_platform != SEPOL_TARGET_XEN) {
		snprintf(err, errlen, "a policy for SELinux, not Xen: build it with checkpolicy -t Xen");
		goto out;
	}
	if (sp->p->policyvers > SS_POLICYVERS_MAX) {
		snprintf(err, errlen, "policy version %u is newer than %u: build it with checkpolicy -c %u",
			 sp->p->policyvers, SS_POLICYVERS_MAX, SS_POLICYVERS_MAX);
		goto out;
	}
	/* policydb_load_isids initialises the table itself. */
	if (policydb_load_isids(sp->p, sp->sidtab)) {
		snprintf(err, errlen, "the policy's initial SID contexts are not valid");
		goto out;
	}
	/*
	 * The binary policy keeps each initial SID's number and context, not
	 * its name; checkpolicy leaves out one that has no context. So the
	 * layout is told by the highest number: 12 in Xen 4.16 and older, 13
	 * since Xen 4.17 added xenboot in front. Every number up to it must be
	 * there. Look in the policy's own list, not with sepol_sidtab_search:
	 * that answers for a missing SID with the unlabeled SID's context, and
	 * libsepol would then give the missing number to the first new
	 * context, which from_sepol() would take for the initial SID.
	 */
	for (ocontext_t *c = sp->p->ocontexts[OCON_ISID]; c; c = c->next) {
		if (c->sid[0] > sp->nr_isids)
			sp->nr_isids = c->sid[0];
	}
	if (sp->nr_isids != SS_ISIDS_XEN416 && sp->nr_isids != SS_ISIDS_XEN417) {
		snprintf(err, errlen,
			 "the policy's initial SIDs go up to %u: a policy for Xen 4.16 or older has %u, "
			 "one for Xen 4.17 or later %u (xenboot first)",
			 sp->nr_isids, SS_ISIDS_XEN416, SS_ISIDS_XEN417);
		goto out;
	}
	for (uint32_t i = 1; i <= sp->nr_isids; i++) {
		ocontext_t *c;

		for (c = sp->p->ocontexts[OCON_ISID]; c && c->sid[0] != i; c = c->next)
			;
		if (!c) {
			snprintf(err, errlen,
				 "the policy does not define initial SID %u (%s, in Xen %s's layout)", i,
				 isid_name[isid_ours(sp, i)],
				 sp->nr_isids == SS_ISIDS_XEN417 ? "4.17" : "4.16");
			goto out;
		}
	}
	rc = 0;
out:
	if (h)
		sepol_handle_destroy(h);
	if (rc)
		policy_free(sp);
	return rc;
}

/* Keep the running booleans' values where the new policy has the same name. */
static int carry_bools(struct ss_policy *old, struct ss_policy *new, int **pending)
{
	uint32_t n = new->p->p_bools.nprim;
	int *pend = calloc(n ? n : 1, sizeof(int));

	if (!pend)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		cond_bool_datum_t *b = new->p->bool_val_to_struct[i];

		if (old->p) {
			cond_bool_datum_t *ob =
				hashtab_search(old->p->p_bools.table, new->p->p_bool_val_to_name[i]);
			if (ob)
				b->state = ob->state;
		}
		pend[i] = b->state;
	}
	if (evaluate_conds(new->p)) {
		free(pend);
		return -EINVAL;
	}
	*pending = pend;
	return 0;
}

int ss_load(const void *data, size_t len, char *err, size_t errlen)
{
	return ss_load_with(data, len, NULL, NULL, err, errlen);
}

/* The context of libsepol SID s in the policy sp, malloc'd; NULL if none. */
static char *context_in(struct ss_policy *sp, uint32_t s)
{
	sepol_security_context_t c = NULL;
	size_t len;

	policy_select(sp);
	if (sepol_sid_to_context(s, &c, &len))
		return NULL;
	return c;
}

/*
 * The reload checks (ss.h), with np selected and map from map_sids(np).
 * Leaves np selected. Caller holds ss_lock; cur is the running policy.
 */
static int check_reload(struct ss_policy *np, const uint32_t *map,
			const struct ss_reload_check *chk, char *err, size_t errlen)
{
	const struct ss_class_map *m = &np->map[SECCLASS_SECURITY];
	bool unknown_allow = np->p->handle_unknown & ALLOW_UNKNOWN;
	uint32_t allowed = unknown_allow ? ~0u : 0;
	int rc = 0;

	for (size_t i = 0; i < chk->nr_uses && !rc; i++) {
		const struct ss_label_use *u = &chk->uses[i];
		char *was, *now;

		if (u->sid == 0 || u->sid >= nr_sids || sids[u->sid].sepol_sid == 0)
			continue; /* unlabeled already: the reload changes nothing */
		if (u->sid > SECINITSID_NUM && map[u->sid] == 0) {
			snprintf(err, errlen,
				 "domain %d's label %s is not valid in the new policy: the domain "
				 "would become unlabeled",
				 u->domid, sids[u->sid].ctx);
			rc = -EINVAL;
			continue;
		}
		if (u->sid > SECINITSID_NUM)
			continue; /* the same context, so the same label */
		was = context_in(&cur, sids[u->sid].sepol_sid);
		now = context_in(np, map[u->sid]);
		if (!was || !now) {
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
		} else if (strcmp(was, now)) {
			snprintf(err, errlen,
				 "the new policy relabels domain %d (initial SID %s) from %s to %s",
				 u->domid, isid_name[u->sid], was, now);
			rc = -EINVAL;
		}
		free(was);
		free(now);
	}
	policy_select(np);
	if (rc || !chk->loader)
		return rc;
	if (m->pclass) {
		uint32_t loader = chk->loader < nr_sids && map[chk->loader] ?
					  map[chk->loader] :
					  isid_policy(np, SECINITSID_UNLABELED);
		struct sepol_av_decision avd;

		allowed = 0;
		if (sepol_compute_av(loader, isid_policy(np, SECINITSID_SECURITY), m->pclass, ~0u,
				     &avd) == 0)
			allowed = map_back(m, avd.allowed, unknown_allow);
	}
	if (!(allowed & SECURITY__LOAD_POLICY)) {
		char *who = chk->loader < nr_sids && sids[chk->loader].sepol_sid ?
				    context_in(&cur, sids[chk->loader].sepol_sid) :
				    NULL;

		policy_select(np);
		snprintf(err, errlen,
			 "the new policy does not give the loader (%s) security:load_policy on the "
			 "security initial SID: no policy could be loaded after it",
			 who ? who : "unlabeled");
		free(who);
		return -EINVAL;
	}
	return 0;
}

int ss_load_with(const void *data, size_t len, const struct ss_reload_check *chk,
		 ss_accept_fn accept, char *err, size_t errlen)
{
	struct ss_policy np, old;
	uint32_t *map = NULL;
	int *pend = NULL;
	int rc;

	if (len == 0 || len > SS_POLICY_MAX) {
		snprintf(err, errlen, "policy size %zu is outside 1..%u", len, SS_POLICY_MAX);
		return -EINVAL;
	}
	sepol_debug(0);
	pthread_mutex_lock(&ss_lock);
	if (!sids) {
		sids = calloc(SECINITSID_NUM + 1, sizeof(*sids));
		if (!sids) {
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
		nr_sids = SECINITSID_NUM + 1;
	}
	rc = read_policy(data, len, &np, err, errlen);
	if (rc)
		goto out;
	rc = carry_bools(&cur, &np, &pend);
	if (rc) {
		snprintf(err, errlen, "the policy's conditional rules do not evaluate");
		policy_free(&np);
		goto out;
	}
	map = calloc(nr_sids, sizeof(*map));
	if (!map) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto refuse;
	}
	policy_select(&np);
	build_class_map(&np);
	map_sids(&np, map);
	if (chk && cur.p)
		rc = check_reload(&np, map, chk, err, errlen);
	if (!rc && accept && accept(data, len, err, errlen))
		rc = -EIO;
	if (rc)
		goto refuse;
	old = cur;
	cur = np;
	for (uint32_t i = 1; i < nr_sids; i++)
		sids[i].sepol_sid = map[i];
	free(map);
	free(pending_bools);
	pending_bools = pend;
	policy_free(&old);
	bump_seqno();
	goto out;
refuse:
	policy_select(&cur);
	free(map);
	free(pend);
	policy_free(&np);
out:
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

uint32_t ss_isid_layout(void)
{
	uint32_t n;

	pthread_mutex_lock(&ss_lock);
	n = cur.p ? cur.nr_isids : 0;
	pthread_mutex_unlock(&ss_lock);
	return n;
}

void ss_fini(void)
{
	pthread_mutex_lock(&ss_lock);
	policy_free(&cur);
	for (uint32_t i = 0; i < nr_sids; i++)
		free(sids[i].ctx);
	free(sids);
	sids = NULL;
	nr_sids = 0;
	free(pending_bools);
	pending_bools = NULL;
	bump_seqno();
	pthread_mutex_unlock(&ss_lock);
}

uint32_t ss_policyvers(void)
{
	uint32_t v;

	pthread_mutex_lock(&ss_lock);
	v = cur.p ? cur.p->policyvers : 0;
	pthread_mutex_unlock(&ss_lock);
	return v;
}

bool ss_handle_unknown_allow(void)
{
	bool r;

	pthread_mutex_lock(&ss_lock);
	r = cur.p && (cur.p->handle_unknown & ALLOW_UNKNOWN);
	pthread_mutex_unlock(&ss_lock);
	return r;
}

/* The libsepol SID for one of ours, or the unlabeled SID. Caller holds ss_lock. */
static uint32_t to_sepol(uint32_t sid)
{
	if (sid == 0 || sid >= nr_sids || sids[sid].sepol_sid == 0)
		return isid_policy(&cur, SECINITSID_UNLABELED);
	return sids[sid].sepol_sid;
}

/* Find or add our SID for a canonical context. Caller holds ss_lock. */
static int sid_for_context(const char *canon, uint32_t sepol_sid, uint32_t *out)
{
	struct ss_sid *n;

	for (uint32_t i = SECINITSID_NUM + 1; i < nr_sids; i++) {
		if (strcmp(sids[i].ctx, canon) == 0) {
			sids[i].sepol_sid = sepol_sid;
			*out = i;
			return 0;
		}
	}
	if (nr_sids >= SS_SID_MAX)
		return -ENOMEM;
	n = realloc(sids, (nr_sids + 1) * sizeof(*sids));
	if (!n)
		return -ENOMEM;
	sids = n;
	sids[nr_sids].ctx = strdup(canon);
	if (!sids[nr_sids].ctx)
		return -ENOMEM;
	sids[nr_sids].sepol_sid = sepol_sid;
	*out = nr_sids++;
	return 0;
}

/* Our SID for a libsepol SID of the current policy. Caller holds ss_lock. */
static int from_sepol(uint32_t sepol_sid, uint32_t *out)
{
	sepol_security_context_t ctx;
	size_t len;
	int rc;

	if (sepol_sid <= cur.nr_isids) {
		*out = isid_ours(&cur, sepol_sid);
		return 0;
	}
	if (sepol_sid_to_context(sepol_sid, &ctx, &len))
		return -EINVAL;
	rc = sid_for_context(ctx, sepol_sid, out);
	free(ctx);
	return rc;
}

int ss_context_to_sid(const char *ctx, size_t len, uint32_t *sid)
{
	sepol_security_id_t s;
	char buf[SS_CONTEXT_MAX + 1];
	const char *colon;
	int rc = -EINVAL;

	/* Callers may pass a counted string with or without its NUL. */
	while (len && ctx[len - 1] == 0)
		len--;
	if (len == 0 || len > SS_CONTEXT_MAX || memchr(ctx, 0, len))
		return -EINVAL;
	/*
	 * libsepol 3.4 reads "<<none>>" as "no context", says it succeeded,
	 * and dereferences the NULL record it made (found by fuzz_control).
	 * A context is user:role:type[:range]; anything without two colons
	 * never reaches it.
	 */
	colon = memchr(ctx, ':', len);
	if (!colon || !memchr(colon + 1, ':', len - (size_t)(colon + 1 - ctx)))
		return -EINVAL;
	memcpy(buf, ctx, len);
	buf[len] = 0;
	pthread_mutex_lock(&ss_lock);
	if (cur.p && sepol_context_to_sid(buf, len, &s) == 0)
		rc = from_sepol(s, sid);
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

int ss_sid_to_context(uint32_t sid, char **ctx, size_t *len)
{
	sepol_security_context_t c = NULL;
	int rc = -EINVAL;

	pthread_mutex_lock(&ss_lock);
	if (sid == 0 || sid >= nr_sids) {
		rc = -EINVAL;
	} else if (sid > SECINITSID_NUM) {
		/* Report what the SID was made for, even if it is unmapped now. */
		*ctx = strdup(sids[sid].ctx);
		*len = *ctx ? strlen(*ctx) : 0;
		rc = *ctx ? 0 : -ENOMEM;
	} else if (cur.p && sepol_sid_to_context(sids[sid].sepol_sid, &c, len) == 0) {
		*ctx = c;
		*len = strlen(c);
		rc = 0;
	}
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

int ss_compute_av(uint32_t ssid, uint32_t tsid, enum flask_class c, struct ss_decision *d)
{
	struct sepol_av_decision avd;
	const struct ss_class_map *m;
	bool unknown_allow;
	int rc = 0;

	if (c <= SECCLASS_NONE || c >= SECCLASS_NR)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	pthread_mutex_lock(&ss_lock);
	d->seqno = ss_seqno();
	if (!cur.p) {
		d->auditdeny = ~0u;
		goto out;
	}
	unknown_allow = cur.p->handle_unknown & ALLOW_UNKNOWN;
	m = &cur.map[c];
	if (!m->pclass) {
		d->allowed = unknown_allow ? ~0u : 0;
		d->auditdeny = ~0u;
		goto out;
	}
	if (sepol_compute_av(to_sepol(ssid), to_sepol(tsid), m->pclass, ~0u, &avd)) {
		d->auditdeny = ~0u;
		goto out;
	}
	d->allowed = map_back(m, avd.allowed, unknown_allow);
	d->auditallow = map_back(m, avd.auditallow, false);
	d->auditdeny = map_back(m, avd.auditdeny, true);
out:
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

int ss_compute_av_policy(uint32_t ssid, uint32_t tsid, uint16_t pclass, uint32_t *allowed,
			 uint32_t *auditallow, uint32_t *auditdeny, uint32_t *seq)
{
	struct sepol_av_decision avd;
	int rc = -EINVAL;

	pthread_mutex_lock(&ss_lock);
	*seq = ss_seqno();
	if (cur.p && pclass >= 1 && pclass <= cur.p->p_classes.nprim &&
	    sepol_compute_av(to_sepol(ssid), to_sepol(tsid), pclass, ~0u, &avd) == 0) {
		*allowed = avd.allowed;
		*auditallow = avd.auditallow;
		*auditdeny = avd.auditdeny;
		rc = 0;
	}
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

static int transition_locked(uint32_t ssid, uint32_t tsid, uint16_t pclass, bool member,
			     uint32_t *out)
{
	sepol_security_id_t s;

	if (!cur.p || pclass < 1 || pclass > cur.p->p_classes.nprim)
		return -EINVAL;
	if ((member ? sepol_member_sid : sepol_transition_sid)(to_sepol(ssid), to_sepol(tsid),
								pclass, &s))
		return -EINVAL;
	return from_sepol(s, out);
}

int ss_transition_sid(uint32_t ssid, uint32_t tsid, enum flask_class c, uint32_t *out)
{
	int rc = -EINVAL;

	if (c <= SECCLASS_NONE || c >= SECCLASS_NR)
		return -EINVAL;
	pthread_mutex_lock(&ss_lock);
	if (cur.p && cur.map[c].pclass)
		rc = transition_locked(ssid, tsid, cur.map[c].pclass, false, out);
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

int ss_transition_sid_policy(uint32_t ssid, uint32_t tsid, uint16_t pclass, bool member,
			     uint32_t *out)
{
	int rc;

	pthread_mutex_lock(&ss_lock);
	rc = transition_locked(ssid, tsid, pclass, member, out);
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

int ss_bool_count(void)
{
	int n;

	pthread_mutex_lock(&ss_lock);
	n = cur.p ? (int)cur.p->p_bools.nprim : 0;
	pthread_mutex_unlock(&ss_lock);
	return n;
}

int ss_bool_lookup(const char *name, uint32_t *id)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&ss_lock);
	for (uint32_t i = 0; cur.p && i < cur.p->p_bools.nprim; i++) {
		if (strcmp(cur.p->p_bool_val_to_name[i], name) == 0) {
			*id = i;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

int ss_bool_get(uint32_t id, char *name, int *curv, int *pending)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&ss_lock);
	if (cur.p && id < cur.p->p_bools.nprim) {
		if (name)
			snprintf(name, SS_BOOL_NAME_MAX, "%s", cur.p->p_bool_val_to_name[id]);
		*curv = cur.p->bool_val_to_struct[id]->state;
		*pending = pending_bools[id];
		rc = 0;
	}
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

int ss_bool_set_pending(uint32_t id, int value)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&ss_lock);
	if (cur.p && id < cur.p->p_bools.nprim) {
		pending_bools[id] = !!value;
		rc = 0;
	}
	pthread_mutex_unlock(&ss_lock);
	return rc;
}

int ss_bool_commit(void)
{
	int rc = -EINVAL;

	pthread_mutex_lock(&ss_lock);
	if (cur.p) {
		for (uint32_t i = 0; i < cur.p->p_bools.nprim; i++)
			cur.p->bool_val_to_struct[i]->state = pending_bools[i];
		rc = evaluate_conds(cur.p) ? -EINVAL : 0;
		bump_seqno();
	}
	pthread_mutex_unlock(&ss_lock);
	return rc;
}
