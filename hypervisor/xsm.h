/*
 * XSM hooks: the one place where a hypercall handler asks Flask.
 *
 * Every guarded operation calls its hook, named after it, after decoding
 * its arguments and before it changes anything. A hook returns 0 or
 * -XEN_EACCES (or another Xen errno when a label cannot be computed).
 * Each checked hook maps to one class and permission of
 * policy/flask/access_vectors, as Xen's xsm/flask/hooks.c does; the
 * "self" hooks cover what Xen also leaves unchecked (a domain's own vCPUs,
 * timers, scheduling and event masks) and check nothing.
 *
 * Every hook, checked or not, counts itself in xsm_hook_calls (this
 * thread's), which the coverage test reads: it drives each hypercall and
 * sub-op and fails if one returns without having passed a hook.
 *
 * Subjects and targets are domain SIDs (domain.sid). A domain acting on
 * itself is checked against its self SID, the policy's type_transition of
 * (sid, sid, domain), so policy can tell "itself" from "another domain of
 * my type", as Xen's _self types do.
 *
 * Locking: hooks may be called with event-channel or grant-table locks
 * held; they take only the AVC's and the security server's locks.
 */
#ifndef BH_XSM_H
#define BH_XSM_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>

#include "flask.h"

struct domain;
struct vcpu;
struct evtchn;
struct xlcfg;

extern __thread uint64_t xsm_hook_calls;

/* Label a new domain from seclabel= (or the policy's domU SID). */
int xsm_domain_label(struct domain *d, const char *seclabel, char *err, size_t errlen);
/* The subject for flask operations issued by a domain. */
struct flask_subject xsm_subject(const struct domain *d);
/*
 * The hypervisor itself while it builds the boot-time domains (bulkhead
 * --domain): initial SID xenboot, as Xen 4.17's idle domain before
 * xsm_set_system_active (xen in a Xen 4.16 policy, see ss.c).
 */
struct flask_subject xsm_boot_subject(void);
/* Every running domain's label, for the reload checks (flask_labels_fn). */
int xsm_domain_labels(struct ss_label_use **uses, size_t *n);

/* xen_version */
int xsm_xen_version(struct vcpu *v, uint32_t op);
/* console_io */
int xsm_console_io(struct vcpu *v, int cmd);
/* memory_op */
int xsm_add_to_physmap(struct vcpu *v, struct domain *t);
int xsm_memory_map(struct vcpu *v);
/* vcpu_op, sched_op, set_timer_op, HVMOP_set_evtchn_upcall_vector: self only */
int xsm_vcpu_op(struct vcpu *v, int cmd);
int xsm_schedop(struct vcpu *v, int cmd);
int xsm_set_timer_op(struct vcpu *v);
int xsm_hvm_upcall_vector(struct vcpu *v);
/* hvm_op params */
int xsm_hvm_param(struct vcpu *v, struct domain *t, bool set);
/* event_channel_op */
int xsm_evtchn_unbound(struct vcpu *v, domid_t remote, uint32_t *sid);
int xsm_evtchn_interdomain(struct vcpu *v, struct evtchn *lchn, struct domain *rd,
			   struct evtchn *rchn);
int xsm_evtchn_send(struct vcpu *v, const struct evtchn *chn);
int xsm_evtchn_status(struct vcpu *v, const struct evtchn *chn);
int xsm_evtchn_close(struct vcpu *v, const struct evtchn *chn);
int xsm_evtchn_reset(struct vcpu *v, struct domain *t);
int xsm_evtchn_self(struct vcpu *v, int cmd); /* bind_virq, bind_ipi, bind_vcpu, unmask */
/* grant_table_op */
int xsm_grant_setup(struct vcpu *v, struct domain *t);
int xsm_grant_query_size(struct vcpu *v, struct domain *t);
int xsm_grant_mapref(struct vcpu *v, struct domain *granter, bool writable);
/* The mapping's reference keeps a dead granter's struct (and label). */
int xsm_grant_unmapref(struct vcpu *v, struct domain *granter);
int xsm_grant_copy(struct vcpu *v, struct domain *other);
/* The same for a page a host service granted as dom0: against its label. */
int xsm_grant_mapref_service(struct vcpu *v, uint32_t service_sid, bool writable);
int xsm_grant_unmapref_service(struct vcpu *v, uint32_t service_sid);
/* xsm_op: each FLASK operation checks itself in flask.c; this only counts. */
int xsm_flask_op(struct vcpu *v);

/*
 * The control plane (control.c): a connection's subject acting on a
 * domain. perm is a DOMAIN__* of the domain class.
 */
int xsm_domctl(const struct flask_subject *s, const struct domain *d, uint32_t perm);
/* Creating a domain with label sid: domain:create, as Xen's domain_create. */
int xsm_domain_create(const struct flask_subject *s, uint32_t sid);
/* The hypervisor log (dmesg): xen:readconsole, and clearconsole to clear it. */
int xsm_readconsole(const struct flask_subject *s, bool clear);
/* A domain's console history: xen:readconsole and domain:getdomaininfo on it. */
int xsm_domain_console(const struct flask_subject *s, const struct domain *d);
int xsm_physinfo(const struct flask_subject *s);

/*
 * Host services (service.h). Registering the xenstore arena and placing a
 * domain's ring in it are domain2:resource_map, against xen_t and against
 * the domain: Xen's xenstored maps the ring as a domain resource.
 * Registering a grant arena is grant:setup on the service itself: it sets
 * up the pages it will grant, as a domain sets up its grant table.
 */
struct service;
struct arena;
int xsm_arena_register(const struct service *s, uint32_t role);
int xsm_store_page(const struct arena *a, const struct domain *d);
/* Binding a guest's dom0 port: both ends labelled and checked, as interdomain. */
int xsm_service_evtchn_bind(const struct service *s, const struct domain *d, struct evtchn *chn,
			    uint32_t *service_end);
/* The service sends on its end (labelled service_end at bind), as a domain on its own. */
int xsm_service_evtchn_send(const struct service *s, uint32_t service_end);
/* Offering a port to d: the service creates its end, labelled as for a bind. */
int xsm_service_evtchn_unbound(const struct service *s, const struct domain *d, uint32_t *sid);
/* Granting a page to d: unchecked, as writing a grant entry in Xen; counted. */
int xsm_service_grant_access(const struct service *s, const struct domain *d);
/* A service copies to or from d's grant: grant:copy, as xsm_grant_copy. */
int xsm_service_grant_copy(const struct service *s, const struct domain *d);
/*
 * The service binds a global VIRQ (VIRQ_DOM_EXC): it makes itself that
 * VIRQ's handler, which Xen's toolstack does with XEN_DOMCTL_set_virq_handler
 * (domain:set_virq_handler on the handler). The service names itself: S -> S.
 */
int xsm_service_virq(const struct service *s, uint32_t virq);

#endif
