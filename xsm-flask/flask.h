/*
 * The FLASK operations (Xen's flask_op.h), each guarded by the security
 * class, and Flask's mode.
 *
 * Two transports call these: the __HYPERVISOR_xsm_op hypercall
 * (hypervisor/hc_xsm.c) for domains and the control socket
 * (hypervisor/control.c) for host services. Both pass the caller as a
 * flask_subject, and neither checks anything itself: the check for each
 * operation is here, against target security_t (the initial SID
 * "security"), as Xen's flask_op.c does.
 *
 * getenforce is unguarded, as in Xen. Other queries that Xen leaves
 * unguarded (getbool, policyvers, the AVC statistics) need
 * security:compute_av here: they read the security server itself.
 */
#ifndef BH_FLASK_H
#define BH_FLASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avc.h"
#include "ss.h"

enum flask_mode {
	FLASK_ENFORCING,
	FLASK_PERMISSIVE,
	FLASK_DISABLED, /* development only: no hook checks anything */
};

struct flask_subject {
	uint32_t sid;
	int domid; /* for the audit line; -1 for none */
};

/* Start Flask in a mode. A policy is required unless disabled. */
int flask_init(enum flask_mode mode, uint32_t avc_slots);
enum flask_mode flask_mode(void);
/* True if hooks must consult the AVC (every mode but disabled). */
static inline bool flask_enabled(void)
{
	extern bool flask_hooks_on;

	return __atomic_load_n(&flask_hooks_on, __ATOMIC_RELAXED);
}

/*
 * Measured boot's hook: called with each policy that has parsed, before it
 * is installed (reload false at start, true after). Set once, at start.
 */
typedef int (*flask_measure_fn)(const void *data, size_t len, bool reload, char *err,
				size_t errlen);
void flask_set_measure_hook(flask_measure_fn fn);

/*
 * The labels a reload must keep (ss_reload_check): the hypervisor's hook
 * hands back a malloc'd array of every running domain's SID, or -1 when
 * out of memory. Set once, at start; without it only the loader is checked.
 */
typedef int (*flask_labels_fn)(struct ss_label_use **uses, size_t *n);
void flask_set_labels_hook(flask_labels_fn fn);

/* Read a policy file and load it (no permission check: boot time). */
int flask_load_file(const char *path, char *err, size_t errlen);

/* Guarded operations: 0 or a negative errno (-EACCES when denied). */
int flask_op_load(const struct flask_subject *s, const void *data, size_t len, char *err,
		  size_t errlen);
/*
 * The checks alone, for a transport that must refuse before it allocates or
 * copies what the caller sized (a policy, a context, a boolean's name). The
 * operation checks again; an AVC hit makes that cheap.
 */
int flask_op_may_load(const struct flask_subject *s);
int flask_op_may_check_context(const struct flask_subject *s);
int flask_op_may_bool(const struct flask_subject *s, bool set);
int flask_op_getenforce(const struct flask_subject *s, int *enforcing);
int flask_op_setenforce(const struct flask_subject *s, int enforcing);
int flask_op_context_to_sid(const struct flask_subject *s, const char *ctx, size_t len,
			    uint32_t *sid);
int flask_op_sid_to_context(const struct flask_subject *s, uint32_t sid, char **ctx,
			    size_t *len);
struct flask_access_result {
	uint32_t allowed, audit_allow, audit_deny, seqno;
};
int flask_op_access(const struct flask_subject *s, uint32_t ssid, uint32_t tsid,
		    uint16_t pclass, struct flask_access_result *r);
int flask_op_create(const struct flask_subject *s, uint32_t ssid, uint32_t tsid,
		    uint16_t pclass, bool member, uint32_t *newsid);
int flask_op_policyvers(const struct flask_subject *s, uint32_t *vers);
/* By id, or by name when name is non-NULL and non-empty (id is then set). */
int flask_op_getbool(const struct flask_subject *s, uint32_t *id, char *name, int *cur,
		     int *pending);
int flask_op_setbool(const struct flask_subject *s, uint32_t *id, const char *name,
		     int value, bool commit);
int flask_op_commitbools(const struct flask_subject *s);
int flask_op_avc_stats(const struct flask_subject *s, struct avc_stats *st);

#endif
