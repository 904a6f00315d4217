/*
 * __HYPERVISOR_xsm_op: Xen's FLASK operations (xsm/flask_op.h) for domains.
 * This file only moves arguments between guest memory and flask.c, which
 * checks each operation against the security class.
 *
 * An operation that copies in a buffer the guest sized (a policy, a
 * context, a boolean's name) asks Flask first, then checks the size, then
 * allocates, as Xen's flask_op.c does: a domain that may not load a policy
 * must not make bulkhead allocate and copy 64 MiB per vCPU to learn so.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xsm/flask_op.h>

#include "hypercall.h"
#include "xsm.h"

static long copy_string_in(struct vcpu *v, uint64_t gva, uint32_t size, char **out)
{
	char *s;
	long rc;

	if (size == 0 || size > SS_CONTEXT_MAX)
		return -XEN_EINVAL;
	s = malloc(size + 1);
	if (!s)
		return -XEN_ENOMEM;
	rc = guest_copy_from(v, s, gva, size);
	if (rc) {
		free(s);
		return rc;
	}
	s[size] = 0;
	*out = s;
	return 0;
}

/* Copy a string out if it fits; *size becomes its length (with the NUL). */
static long copy_string_out(struct vcpu *v, uint64_t gva, uint32_t *size, const char *s)
{
	size_t len = strlen(s) + 1;
	uint32_t room = *size;

	*size = len;
	if (len > room)
		return -XEN_ERANGE;
	return guest_copy_to(v, gva, s, len);
}

static long flask_load(struct vcpu *v, const struct flask_subject *subj, xen_flask_load_t *l)
{
	char err[256];
	void *buf;
	long rc = flask_op_may_load(subj);

	if (rc)
		return rc;
	if (l->size == 0 || l->size > SS_POLICY_MAX)
		return -XEN_EINVAL;
	buf = malloc(l->size);
	if (!buf)
		return -XEN_ENOMEM;
	rc = guest_copy_from(v, buf, (uintptr_t)l->buffer.p, l->size);
	if (!rc)
		rc = flask_op_load(subj, buf, l->size, err, sizeof(err));
	free(buf);
	return rc;
}

static long flask_sid_to_context(struct vcpu *v, const struct flask_subject *subj,
				 xen_flask_sid_context_t *sc)
{
	char *ctx;
	size_t len;
	long rc = flask_op_sid_to_context(subj, sc->sid, &ctx, &len);

	if (rc)
		return rc;
	rc = copy_string_out(v, (uintptr_t)sc->context.p, &sc->size, ctx);
	free(ctx);
	return rc;
}

static long flask_context_to_sid(struct vcpu *v, const struct flask_subject *subj,
				 xen_flask_sid_context_t *sc)
{
	char *ctx;
	long rc = flask_op_may_check_context(subj);

	if (rc)
		return rc;
	rc = copy_string_in(v, (uintptr_t)sc->context.p, sc->size, &ctx);
	if (rc)
		return rc;
	rc = flask_op_context_to_sid(subj, ctx, strlen(ctx), &sc->sid);
	free(ctx);
	return rc;
}

static long flask_bool(struct vcpu *v, const struct flask_subject *subj, xen_flask_boolean_t *b,
		       bool set)
{
	char name[SS_BOOL_NAME_MAX] = "";
	int cur, pending;
	long rc = flask_op_may_bool(subj, set);

	if (rc)
		return rc;
	if (b->bool_id == ~0u) {
		char *in;

		if (b->size >= SS_BOOL_NAME_MAX)
			return -XEN_EINVAL;
		rc = copy_string_in(v, (uintptr_t)b->name.p, b->size, &in);
		if (rc)
			return rc;
		snprintf(name, sizeof(name), "%s", in);
		free(in);
		if (!name[0])
			return -XEN_EINVAL;
	}
	if (set) {
		rc = flask_op_setbool(subj, &b->bool_id, name, b->new_value, b->commit);
		if (rc)
			return rc;
	}
	rc = flask_op_getbool(subj, &b->bool_id, name, &cur, &pending);
	if (rc)
		return rc;
	b->enforcing = cur;
	b->pending = pending;
	if (!set && b->name.p)
		return copy_string_out(v, (uintptr_t)b->name.p, &b->size, name);
	return 0;
}

static long flask_dispatch(struct vcpu *v, xen_flask_op_t *op)
{
	struct flask_subject subj = xsm_subject(v->d);
	long rc;

	switch (op->cmd) {
	case FLASK_LOAD:
		return flask_load(v, &subj, &op->u.load);
	case FLASK_GETENFORCE: {
		int e;

		rc = flask_op_getenforce(&subj, &e);
		return rc ? rc : e;
	}
	case FLASK_SETENFORCE:
		return flask_op_setenforce(&subj, op->u.enforce.enforcing);
	case FLASK_CONTEXT_TO_SID:
		return flask_context_to_sid(v, &subj, &op->u.sid_context);
	case FLASK_SID_TO_CONTEXT:
		return flask_sid_to_context(v, &subj, &op->u.sid_context);
	case FLASK_ACCESS: {
		xen_flask_access_t *a = &op->u.access;
		struct flask_access_result r;

		if (a->tclass == 0 || a->tclass > UINT16_MAX)
			return -XEN_EINVAL;
		rc = flask_op_access(&subj, a->ssid, a->tsid, a->tclass, &r);
		if (rc)
			return rc;
		a->allowed = r.allowed;
		a->audit_allow = r.audit_allow;
		a->audit_deny = r.audit_deny;
		a->seqno = r.seqno;
		return 0;
	}
	case FLASK_CREATE:
	case FLASK_MEMBER: {
		xen_flask_transition_t *t = &op->u.transition;

		if (t->tclass == 0 || t->tclass > UINT16_MAX)
			return -XEN_EINVAL;
		return flask_op_create(&subj, t->ssid, t->tsid, t->tclass,
				       op->cmd == FLASK_MEMBER, &t->newsid);
	}
	case FLASK_POLICYVERS: {
		uint32_t vers;

		rc = flask_op_policyvers(&subj, &vers);
		return rc ? rc : (long)vers;
	}
	case FLASK_GETBOOL:
		return flask_bool(v, &subj, &op->u.boolean, false);
	case FLASK_SETBOOL:
		return flask_bool(v, &subj, &op->u.boolean, true);
	case FLASK_COMMITBOOLS:
		return flask_op_commitbools(&subj);
	case FLASK_MLS: {
		uint32_t vers;

		/* Bulkhead's policies carry no MLS; the check is the same as a query's. */
		rc = flask_op_policyvers(&subj, &vers);
		return rc ? rc : 0;
	}
	case FLASK_AVC_CACHESTATS: {
		xen_flask_cache_stats_t *cs = &op->u.cache_stats;
		struct avc_stats st;

		/* One AVC for all CPUs: cpu 0 reports it, others are out of range. */
		if (cs->cpu != 0)
			return -XEN_ENOENT;
		rc = flask_op_avc_stats(&subj, &st);
		if (rc)
			return rc;
		cs->lookups = st.lookups;
		cs->hits = st.hits;
		cs->misses = st.misses;
		cs->allocations = st.allocations;
		cs->reclaims = st.reclaims;
		cs->frees = 0;
		return 0;
	}
	default:
		return -XEN_ENOSYS;
	}
}

long do_xsm_op(struct vcpu *v, const uint64_t a[5])
{
	xen_flask_op_t op;
	long rc, wrc;

	rc = guest_copy_from(v, &op, a[0], sizeof(op));
	if (rc)
		return rc;
	if (op.interface_version != XEN_FLASK_INTERFACE_VERSION)
		return -XEN_ENOSYS;
	rc = xsm_flask_op(v);
	if (rc)
		return rc;
	rc = flask_dispatch(v, &op);
	/* Results travel in the op, on success and on ERANGE (the size). */
	if (rc >= 0 || rc == -XEN_ERANGE) {
		wrc = guest_copy_to(v, a[0], &op, sizeof(op));
		if (wrc)
			return wrc;
	}
	return rc;
}
