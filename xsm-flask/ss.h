/*
 * The security server: a binary Flask policy (checkpolicy -t Xen), read and
 * evaluated by libsepol.
 *
 * libsepol keeps its policy and SID table in globals and is not
 * thread-safe, so every function here takes one mutex, ss_lock. Only the
 * AVC (avc.c) and the flask operations (flask.c) call in; the hooks go
 * through the AVC.
 *
 * SIDs are Bulkhead's, not libsepol's. 1..SECINITSID_NUM are the initial
 * SIDs, in Xen 4.17's layout (classmap.h); the rest name a context string.
 * A policy may use Xen 4.17's layout (13 initial SIDs, xenboot first) or
 * Xen 4.16's (12, no xenboot): the security server tells them apart by
 * the highest initial SID the policy defines and maps ours onto it. A policy reload keeps every SID and
 * maps it again onto the new policy: a context that the new policy no
 * longer defines reads as "unlabeled" until a later policy defines it again.
 *
 * Booleans follow Xen's pending/commit semantics: setting one changes its
 * pending value; a commit makes every pending value current. A reload keeps
 * current values by name.
 *
 * Every change that can alter a decision bumps ss_seqno(); the AVC drops
 * entries from older sequence numbers.
 */
#ifndef BH_FLASK_SS_H
#define BH_FLASK_SS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classmap.h"

#define SS_POLICY_MAX (64u << 20)  /* largest binary policy accepted */
#define SS_POLICYVERS_MAX 30u       /* newest policy format Xen reads */
#define SS_CONTEXT_MAX 4096u        /* longest context string */
#define SS_SID_MAX 65536u           /* SIDs ever handed out */
#define SS_BOOL_NAME_MAX 256u

/* The initial-SID layouts a policy may use: how many initial SIDs it has. */
#define SS_ISIDS_XEN416 12u /* Xen 4.16 and older: xen first */
#define SS_ISIDS_XEN417 13u /* Xen 4.17 and later: xenboot first */

struct ss_decision {
	uint32_t allowed;
	uint32_t auditallow;
	uint32_t auditdeny;
	uint32_t seqno;
};

/*
 * Parse and install a policy. On any error the running policy (if any) is
 * untouched and err says why. Returns 0 or a negative errno.
 */
int ss_load(const void *data, size_t len, char *err, size_t errlen);
/*
 * What a reload must not do, checked against the new policy before it is
 * installed: leave the loader without security:load_policy on the
 * security initial SID (nobody could load a fixed policy until bulkhead
 * restarts), or relabel a label in use, that is make a running domain's
 * context invalid (it would read as unlabeled) or give an initial SID a
 * running domain has another context. Either refuses the policy with the
 * reason in err.
 */
struct ss_label_use {
	uint32_t sid;
	int domid; /* named in the reason */
};
struct ss_reload_check {
	uint32_t loader; /* SID of whoever loads it; 0: not checked */
	const struct ss_label_use *uses;
	size_t nr_uses;
};
/*
 * The same, with the reload checks (chk may be NULL; they apply only when
 * a policy is loaded already), then calling `accept` once the policy has
 * parsed and passed them and before it is installed; if accept fails
 * (measured boot could not record it), the running policy stays. accept
 * fills err itself.
 */
typedef int (*ss_accept_fn)(const void *data, size_t len, char *err, size_t errlen);
int ss_load_with(const void *data, size_t len, const struct ss_reload_check *chk,
		 ss_accept_fn accept, char *err, size_t errlen);
/* The loaded policy's layout: SS_ISIDS_XEN416 or SS_ISIDS_XEN417; 0 if none. */
uint32_t ss_isid_layout(void);
bool ss_loaded(void);
uint32_t ss_seqno(void);
uint32_t ss_policyvers(void);
bool ss_handle_unknown_allow(void);
void ss_fini(void);

int ss_context_to_sid(const char *ctx, size_t len, uint32_t *sid);
/* *ctx is malloc'd and NUL-terminated; *len excludes the NUL. */
int ss_sid_to_context(uint32_t sid, char **ctx, size_t *len);

/* A decision for Bulkhead's class numbering (classmap.h). */
int ss_compute_av(uint32_t ssid, uint32_t tsid, enum flask_class c, struct ss_decision *d);
/* The same, with the policy's own class and permission values (FLASK_ACCESS). */
int ss_compute_av_policy(uint32_t ssid, uint32_t tsid, uint16_t pclass, uint32_t *allowed,
			 uint32_t *auditallow, uint32_t *auditdeny, uint32_t *seqno);
/* type_transition / type_member result for (ssid, tsid, class). */
int ss_transition_sid(uint32_t ssid, uint32_t tsid, enum flask_class c, uint32_t *out);
int ss_transition_sid_policy(uint32_t ssid, uint32_t tsid, uint16_t pclass, bool member,
			     uint32_t *out);

int ss_bool_count(void);
int ss_bool_lookup(const char *name, uint32_t *id);
/* name may be NULL; otherwise a buffer of SS_BOOL_NAME_MAX. */
int ss_bool_get(uint32_t id, char *name, int *cur, int *pending);
int ss_bool_set_pending(uint32_t id, int value);
int ss_bool_commit(void);

#endif
