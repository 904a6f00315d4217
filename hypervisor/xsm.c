/*
 * XSM hooks onto Flask. One function per guarded operation; each checked
 * one is one avc_has_perm() call (or two or three for event channels,
 * whose endpoints carry their own labels, as in Xen). See xsm.h.
 */
#include "xsm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/version.h>

#include <bulkhead/control.h>

#include "domain.h"
#include "evtchn.h"
#include "hypercall.h"
#include "service.h"

__thread uint64_t xsm_hook_calls;

#define HOOK() (xsm_hook_calls++)

/* Xen's errno values match Linux's for EACCES, EPERM and EINVAL. */
_Static_assert(XEN_EACCES == EACCES && XEN_EPERM == EPERM && XEN_EINVAL == EINVAL,
	       "Xen and host errno values differ");

int xsm_domain_label(struct domain *d, const char *seclabel, char *err, size_t errlen)
{
	uint32_t sid = SECINITSID_DOMU, self;
	int rc;

	if (!flask_enabled() && !ss_loaded()) {
		d->sid = d->self_sid = sid;
		return 0;
	}
	if (seclabel && seclabel[0]) {
		rc = ss_context_to_sid(seclabel, strlen(seclabel), &sid);
		if (rc) {
			snprintf(err, errlen,
				 "seclabel '%s' is not a valid context in the loaded policy",
				 seclabel);
			return rc;
		}
	}
	/* The domain's view of itself: policy may give it a _self type. */
	if (ss_transition_sid(sid, sid, SECCLASS_DOMAIN, &self))
		self = sid;
	d->sid = sid;
	d->self_sid = self;
	return 0;
}

struct flask_subject xsm_subject(const struct domain *d)
{
	return (struct flask_subject){ .sid = d->sid, .domid = d->id };
}

static uint32_t target_sid(const struct domain *src, const struct domain *dst)
{
	return src == dst ? src->self_sid : dst->sid;
}

static int check(const struct domain *src, uint32_t tsid, enum flask_class c, uint32_t perm)
{
	struct avc_audit ad = { .domid = src->id };

	if (!flask_enabled())
		return 0;
	return avc_has_perm(src->sid, tsid, c, perm, &ad);
}

static int domain_has_perm(const struct domain *src, const struct domain *dst,
			   enum flask_class c, uint32_t perm)
{
	return check(src, target_sid(src, dst), c, perm);
}

/* ---- xen_version, console_io ------------------------------------------------ */

int xsm_xen_version(struct vcpu *v, uint32_t op)
{
	uint32_t perm;

	HOOK();
	switch (op) {
	case XENVER_version:
	case XENVER_platform_parameters:
	case XENVER_get_features:
		return 0; /* a guest must always have these, as in Xen */
	case XENVER_extraversion:
		perm = VERSION__XEN_EXTRAVERSION;
		break;
	case XENVER_compile_info:
		perm = VERSION__XEN_COMPILE_INFO;
		break;
	case XENVER_capabilities:
		perm = VERSION__XEN_CAPABILITIES;
		break;
	case XENVER_changeset:
		perm = VERSION__XEN_CHANGESET;
		break;
	case XENVER_pagesize:
		perm = VERSION__XEN_PAGESIZE;
		break;
	case XENVER_guest_handle:
		perm = VERSION__XEN_GUEST_HANDLE;
		break;
	case XENVER_commandline:
		perm = VERSION__XEN_COMMANDLINE;
		break;
	case XENVER_build_id:
		perm = VERSION__XEN_BUILD_ID;
		break;
	default:
		return 0; /* not an operation: the handler says ENOSYS */
	}
	return check(v->d, SECINITSID_XEN, SECCLASS_VERSION, perm);
}

int xsm_console_io(struct vcpu *v, int cmd)
{
	HOOK();
	if (cmd == CONSOLEIO_read)
		return check(v->d, SECINITSID_XEN, SECCLASS_XEN, XEN__READCONSOLE);
	if (cmd == CONSOLEIO_write)
		return check(v->d, SECINITSID_XEN, SECCLASS_XEN, XEN__WRITECONSOLE);
	return 0; /* not an operation: the handler says ENOSYS */
}

/* ---- memory_op, hvm_op ------------------------------------------------------ */

int xsm_add_to_physmap(struct vcpu *v, struct domain *t)
{
	HOOK();
	return domain_has_perm(v->d, t, SECCLASS_MMU, MMU__PHYSMAP);
}

int xsm_memory_map(struct vcpu *v)
{
	(void)v;
	HOOK();
	return 0; /* the caller's own map, unchecked as in Xen */
}

int xsm_hvm_param(struct vcpu *v, struct domain *t, bool set)
{
	HOOK();
	return domain_has_perm(v->d, t, SECCLASS_HVM, set ? HVM__SETPARAM : HVM__GETPARAM);
}

/* ---- operations on the caller's own vCPUs ----------------------------------- */

int xsm_vcpu_op(struct vcpu *v, int cmd)
{
	(void)v;
	(void)cmd;
	HOOK();
	return 0;
}

int xsm_schedop(struct vcpu *v, int cmd)
{
	(void)v;
	(void)cmd;
	HOOK();
	return 0;
}

int xsm_set_timer_op(struct vcpu *v)
{
	(void)v;
	HOOK();
	return 0;
}

int xsm_hvm_upcall_vector(struct vcpu *v)
{
	(void)v;
	HOOK();
	return 0;
}

/* ---- event channels ---------------------------------------------------------- */

/*
 * The label of a new endpoint of (owner, remote): the policy's
 * type_transition, with the remote's self SID when it is the owner.
 */
static int channel_sid(const struct domain *owner, const struct domain *remote, uint32_t *sid)
{
	int rc = ss_transition_sid(owner->sid, target_sid(owner, remote), SECCLASS_EVENT, sid);

	return rc ? -XEN_EPERM : 0;
}

/*
 * Xen's flask_evtchn_unbound: the caller creates an endpoint labelled for
 * the remote, and that label must be allowed to bind to the remote. For a
 * remote that does not exist yet, the caller needs event:create on its own
 * loopback label now, and the end is labelled and checked when the remote
 * binds (*sid = 0).
 * Called without event-channel locks: it looks the remote up.
 */
int xsm_evtchn_unbound(struct vcpu *v, domid_t remote, uint32_t *sid)
{
	struct domain *d = v->d, *rd;
	uint32_t newsid;
	int rc;

	HOOK();
	*sid = 0;
	if (!flask_enabled())
		return 0;
	rd = remote == d->id ? d : domain_get(remote);
	if (!rd) {
		/*
		 * No remote to label the end for yet: the caller must at least
		 * be allowed to make channel ends (its loopback label); the rest
		 * is checked when the remote binds. Xen refuses outright here.
		 */
		rc = channel_sid(d, d, &newsid);
		return rc ? rc : check(d, newsid, SECCLASS_EVENT, EVENT__CREATE);
	}
	rc = channel_sid(d, rd, &newsid);
	if (!rc)
		rc = check(d, newsid, SECCLASS_EVENT, EVENT__CREATE);
	if (!rc) {
		struct avc_audit ad = { .domid = d->id };

		rc = avc_has_perm(newsid, target_sid(d, rd), SECCLASS_EVENT, EVENT__BIND, &ad);
	}
	if (!rc)
		*sid = newsid;
	if (rd != d)
		domain_put(rd);
	return rc;
}

/*
 * Xen's flask_evtchn_interdomain, with both endpoints checked: the caller
 * creates its end, its end may bind to the remote, and the remote's end
 * may bind to the caller. rd's unbound end was labelled when it was
 * allocated, or (if the caller did not exist then) is labelled now, on
 * rd's behalf, with the checks rd would have passed.
 */
int xsm_evtchn_interdomain(struct vcpu *v, struct evtchn *lchn, struct domain *rd,
			   struct evtchn *rchn)
{
	struct domain *ld = v->d;
	struct avc_audit ad = { .domid = ld->id };
	uint32_t lsid, rsid = rchn->sid;
	int rc;

	HOOK();
	if (!flask_enabled())
		return 0;
	rc = channel_sid(ld, rd, &lsid);
	if (!rc)
		rc = check(ld, lsid, SECCLASS_EVENT, EVENT__CREATE);
	if (!rc)
		rc = avc_has_perm(lsid, target_sid(ld, rd), SECCLASS_EVENT, EVENT__BIND, &ad);
	if (!rc && !rsid) {
		rc = channel_sid(rd, ld, &rsid);
		if (!rc)
			rc = check(rd, rsid, SECCLASS_EVENT, EVENT__CREATE);
	}
	if (!rc)
		rc = avc_has_perm(rsid, target_sid(rd, ld), SECCLASS_EVENT, EVENT__BIND, &ad);
	if (!rc) {
		lchn->sid = lsid;
		rchn->sid = rsid;
	}
	return rc;
}

/* Only interdomain ends have labels; a VIRQ or IPI is the caller's own. */
int xsm_evtchn_send(struct vcpu *v, const struct evtchn *chn)
{
	HOOK();
	if (chn->state != ECS_INTERDOMAIN && chn->state != ECS_SERVICE)
		return 0;
	return check(v->d, chn->sid ? chn->sid : SECINITSID_UNLABELED, SECCLASS_EVENT,
		     EVENT__SEND);
}

int xsm_evtchn_status(struct vcpu *v, const struct evtchn *chn)
{
	HOOK();
	if (chn->state != ECS_INTERDOMAIN && chn->state != ECS_SERVICE &&
	    chn->state != ECS_UNBOUND)
		return 0;
	if (chn->state == ECS_UNBOUND && !chn->sid)
		return 0;
	return check(v->d, chn->sid ? chn->sid : SECINITSID_UNLABELED, SECCLASS_EVENT,
		     EVENT__STATUS);
}

int xsm_evtchn_close(struct vcpu *v, const struct evtchn *chn)
{
	(void)v;
	(void)chn;
	HOOK();
	return 0; /* closing one's own port is always allowed, as in Xen */
}

int xsm_evtchn_reset(struct vcpu *v, struct domain *t)
{
	HOOK();
	return domain_has_perm(v->d, t, SECCLASS_EVENT, EVENT__RESET);
}

int xsm_evtchn_self(struct vcpu *v, int cmd)
{
	(void)v;
	(void)cmd;
	HOOK();
	return 0;
}

/* ---- grant tables ------------------------------------------------------------ */

int xsm_grant_setup(struct vcpu *v, struct domain *t)
{
	HOOK();
	return domain_has_perm(v->d, t, SECCLASS_GRANT, GRANT__SETUP);
}

int xsm_grant_query_size(struct vcpu *v, struct domain *t)
{
	HOOK();
	return domain_has_perm(v->d, t, SECCLASS_GRANT, GRANT__QUERY);
}

int xsm_grant_mapref(struct vcpu *v, struct domain *granter, bool writable)
{
	HOOK();
	return domain_has_perm(v->d, granter, SECCLASS_GRANT,
			       GRANT__MAP_READ | (writable ? GRANT__MAP_WRITE : 0));
}

int xsm_grant_unmapref(struct vcpu *v, struct domain *granter)
{
	HOOK();
	return domain_has_perm(v->d, granter, SECCLASS_GRANT, GRANT__UNMAP);
}

int xsm_grant_copy(struct vcpu *v, struct domain *other)
{
	HOOK();
	return domain_has_perm(v->d, other, SECCLASS_GRANT, GRANT__COPY);
}

int xsm_grant_mapref_service(struct vcpu *v, uint32_t service_sid, bool writable)
{
	HOOK();
	return check(v->d, service_sid, SECCLASS_GRANT,
		     GRANT__MAP_READ | (writable ? GRANT__MAP_WRITE : 0));
}

int xsm_grant_unmapref_service(struct vcpu *v, uint32_t service_sid)
{
	HOOK();
	return check(v->d, service_sid, SECCLASS_GRANT, GRANT__UNMAP);
}

/* ---- the control plane and host services -------------------------------------- */

static int subject_check(const struct flask_subject *s, uint32_t tsid, enum flask_class c,
			 uint32_t perm)
{
	struct avc_audit ad = { .domid = s->domid };

	if (!flask_enabled())
		return 0;
	return avc_has_perm(s->sid, tsid, c, perm, &ad);
}

int xsm_domctl(const struct flask_subject *s, const struct domain *d, uint32_t perm)
{
	HOOK();
	return subject_check(s, d->sid, SECCLASS_DOMAIN, perm);
}

int xsm_domain_create(const struct flask_subject *s, uint32_t sid)
{
	HOOK();
	return subject_check(s, sid, SECCLASS_DOMAIN, DOMAIN__CREATE);
}

int xsm_readconsole(const struct flask_subject *s, bool clear)
{
	HOOK();
	return subject_check(s, SECINITSID_XEN, SECCLASS_XEN,
			     XEN__READCONSOLE | (clear ? XEN__CLEARCONSOLE : 0));
}

int xsm_domain_console(const struct flask_subject *s, const struct domain *d)
{
	int rc;

	HOOK();
	rc = subject_check(s, SECINITSID_XEN, SECCLASS_XEN, XEN__READCONSOLE);
	return rc ? rc : subject_check(s, d->sid, SECCLASS_DOMAIN, DOMAIN__GETDOMAININFO);
}

int xsm_physinfo(const struct flask_subject *s)
{
	HOOK();
	return subject_check(s, SECINITSID_XEN, SECCLASS_XEN, XEN__PHYSINFO);
}

int xsm_arena_register(const struct service *s, uint32_t role)
{
	struct flask_subject subj = { .sid = s->sid };

	HOOK();
	if (role == BH_ARENA_GRANT)
		return subject_check(&subj, s->sid, SECCLASS_GRANT, GRANT__SETUP);
	return subject_check(&subj, SECINITSID_XEN, SECCLASS_DOMAIN2, DOMAIN2__RESOURCE_MAP);
}

int xsm_service_evtchn_unbound(const struct service *s, const struct domain *d, uint32_t *sid)
{
	struct flask_subject subj = { .sid = s->sid };

	HOOK();
	*sid = 0;
	if (!flask_enabled())
		return 0;
	if (ss_transition_sid(s->sid, d->sid, SECCLASS_EVENT, sid))
		return -EPERM;
	return subject_check(&subj, *sid, SECCLASS_EVENT, EVENT__CREATE);
}

int xsm_service_grant_access(const struct service *s, const struct domain *d)
{
	(void)s;
	(void)d;
	HOOK();
	return 0;
}

int xsm_service_grant_copy(const struct service *s, const struct domain *d)
{
	struct flask_subject subj = { .sid = s->sid };

	HOOK();
	return subject_check(&subj, d->sid, SECCLASS_GRANT, GRANT__COPY);
}

int xsm_store_page(const struct arena *a, const struct domain *d)
{
	struct flask_subject subj = { .sid = a->owner_sid };

	HOOK();
	return subject_check(&subj, d->sid, SECCLASS_DOMAIN2, DOMAIN2__RESOURCE_MAP);
}

/*
 * As xsm_evtchn_interdomain with the service as the binding side: the
 * service's end is labelled by type_transition(service, domain), the
 * guest's by type_transition(domain, service); each is created by its
 * owner and may bind to the other side.
 */
int xsm_service_evtchn_bind(const struct service *s, const struct domain *d, struct evtchn *chn,
			    uint32_t *service_end)
{
	struct avc_audit ad = { .domid = 0 };
	uint32_t ssid, gsid = chn->sid;
	int rc;

	HOOK();
	*service_end = 0;
	if (!flask_enabled())
		return 0;
	rc = ss_transition_sid(s->sid, d->sid, SECCLASS_EVENT, &ssid) ? -EPERM : 0;
	if (!rc)
		rc = avc_has_perm(s->sid, ssid, SECCLASS_EVENT, EVENT__CREATE, &ad);
	if (!rc)
		rc = avc_has_perm(ssid, d->sid, SECCLASS_EVENT, EVENT__BIND, &ad);
	if (!rc && !gsid) {
		rc = ss_transition_sid(d->sid, s->sid, SECCLASS_EVENT, &gsid) ? -EPERM : 0;
		if (!rc)
			rc = check(d, gsid, SECCLASS_EVENT, EVENT__CREATE);
	}
	if (!rc)
		rc = avc_has_perm(gsid, s->sid, SECCLASS_EVENT, EVENT__BIND, &ad);
	if (!rc) {
		chn->sid = gsid;
		*service_end = ssid;
	}
	return rc;
}

/* Xen's evtchn_send check: the sender against its own end's label. */
int xsm_service_evtchn_send(const struct service *s, uint32_t service_end)
{
	struct flask_subject subj = { .sid = s->sid };

	HOOK();
	return subject_check(&subj, service_end ? service_end : SECINITSID_UNLABELED,
			     SECCLASS_EVENT, EVENT__SEND);
}

int xsm_service_virq(const struct service *s, uint32_t virq)
{
	struct flask_subject subj = { .sid = s->sid };

	(void)virq; /* VIRQ_DOM_EXC is the only global VIRQ a service may bind */
	HOOK();
	return subject_check(&subj, s->sid, SECCLASS_DOMAIN, DOMAIN__SET_VIRQ_HANDLER);
}

int xsm_flask_op(struct vcpu *v)
{
	(void)v;
	HOOK();
	return 0;
}

struct flask_subject xsm_boot_subject(void)
{
	return (struct flask_subject){ .sid = SECINITSID_XENBOOT, .domid = -1 };
}

struct label_list {
	struct ss_label_use *v;
	size_t n, cap;
	bool oom;
};

static void add_label(struct domain *d, void *arg)
{
	struct label_list *l = arg;

	if (l->n == l->cap && !l->oom) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ss_label_use *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	if (!l->oom)
		l->v[l->n++] = (struct ss_label_use){ .sid = d->sid, .domid = d->id };
}

int xsm_domain_labels(struct ss_label_use **uses, size_t *n)
{
	struct label_list l = { 0 };

	domain_for_each(add_label, &l);
	if (l.oom) {
		free(l.v);
		return -1;
	}
	*uses = l.v;
	*n = l.n;
	return 0;
}
