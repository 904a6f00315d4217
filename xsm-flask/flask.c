/* The FLASK operations and Flask's mode. See flask.h. */
#include "flask.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

bool flask_hooks_on = true;
static flask_measure_fn measure_hook;
static flask_labels_fn labels_hook;

void flask_set_labels_hook(flask_labels_fn fn)
{
	labels_hook = fn;
}

/*
 * Which initial-SID layout the policy just loaded uses, and what three of
 * them mean in it: a policy whose contexts follow the other layout shows
 * here (dom0 as xen_t, say).
 */
static void log_layout(void)
{
	static const struct {
		uint32_t sid;
		const char *name;
	} show[] = { { SECINITSID_XENBOOT, "xenboot" },
		     { SECINITSID_DOM0, "dom0" },
		     { SECINITSID_DOMU, "domU" } };
	char what[3][160];

	for (size_t i = 0; i < 3; i++) {
		char *ctx = NULL;
		size_t len;

		if (ss_sid_to_context(show[i].sid, &ctx, &len))
			snprintf(what[i], sizeof(what[i]), "%s has no context", show[i].name);
		else
			snprintf(what[i], sizeof(what[i]), "%s %s", show[i].name, ctx);
		free(ctx);
	}
	if (ss_isid_layout() == SS_ISIDS_XEN417)
		log_info("flask: initial SIDs in Xen 4.17's layout (13, xenboot first): %s, %s, %s",
			 what[0], what[1], what[2]);
	else
		log_info("flask: initial SIDs in Xen 4.16's layout (12, no xenboot; boot-time "
			 "domains are built as xen): %s, %s, %s",
			 what[0], what[1], what[2]);
}

void flask_set_measure_hook(flask_measure_fn fn)
{
	measure_hook = fn;
}

static int accept_boot(const void *data, size_t len, char *err, size_t errlen)
{
	return measure_hook ? measure_hook(data, len, false, err, errlen) : 0;
}

static int accept_reload(const void *data, size_t len, char *err, size_t errlen)
{
	return measure_hook ? measure_hook(data, len, true, err, errlen) : 0;
}
static enum flask_mode mode = FLASK_ENFORCING;

int flask_init(enum flask_mode m, uint32_t slots)
{
	mode = m;
	__atomic_store_n(&flask_hooks_on, m != FLASK_DISABLED, __ATOMIC_RELAXED);
	avc_set_enforcing(m == FLASK_ENFORCING);
	return avc_init(slots);
}

enum flask_mode flask_mode(void)
{
	if (!flask_enabled())
		return FLASK_DISABLED;
	return avc_enforcing() ? FLASK_ENFORCING : FLASK_PERMISSIVE;
}

int flask_load_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	void *buf;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SS_POLICY_MAX) {
		snprintf(err, errlen, "%s: not a regular file of 1..%u bytes", path, SS_POLICY_MAX);
		close(fd);
		return -EINVAL;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n = read(fd, buf, st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		snprintf(err, errlen, "%s: short read", path);
		return -EIO;
	}
	rc = ss_load_with(buf, n, NULL, accept_boot, err, errlen);
	free(buf);
	if (rc == 0)
		log_layout();
	return rc;
}

/* Every operation below is checked against the security server's own label. */
static int has_security(const struct flask_subject *s, uint32_t perm)
{
	struct avc_audit ad = { .domid = s->domid };

	if (!flask_enabled())
		return 0;
	return avc_has_perm(s->sid, SECINITSID_SECURITY, SECCLASS_SECURITY, perm, &ad);
}

int flask_op_load(const struct flask_subject *s, const void *data, size_t len, char *err,
		  size_t errlen)
{
	int rc = has_security(s, SECURITY__LOAD_POLICY);
	/* Without Flask's checks nobody needs load_policy: only labels matter. */
	struct ss_reload_check chk = { .loader = flask_enabled() ? s->sid : 0 };
	struct ss_label_use *uses = NULL;

	if (rc) {
		snprintf(err, errlen, "permission denied");
		return rc;
	}
	if (labels_hook && labels_hook(&uses, &chk.nr_uses)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	chk.uses = uses;
	rc = ss_load_with(data, len, &chk, accept_reload, err, errlen);
	free(uses);
	if (rc == 0) {
		log_info("flask: policy loaded by domid %d (%zu bytes, version %u)", s->domid, len,
			 ss_policyvers());
		log_layout();
	}
	return rc;
}

int flask_op_may_load(const struct flask_subject *s)
{
	return has_security(s, SECURITY__LOAD_POLICY);
}

int flask_op_may_check_context(const struct flask_subject *s)
{
	return has_security(s, SECURITY__CHECK_CONTEXT);
}

/* The permission flask_op_getbool (compute_av) or flask_op_setbool (setbool) needs. */
int flask_op_may_bool(const struct flask_subject *s, bool set)
{
	return has_security(s, set ? SECURITY__SETBOOL : SECURITY__COMPUTE_AV);
}

/* Unchecked, as in Xen: the mode is no secret, and a denied caller needs it. */
int flask_op_getenforce(const struct flask_subject *s, int *enforcing)
{
	(void)s;
	*enforcing = avc_enforcing();
	return 0;
}

int flask_op_setenforce(const struct flask_subject *s, int enforcing)
{
	int rc = has_security(s, SECURITY__SETENFORCE);

	if (rc)
		return rc;
	if (!flask_enabled())
		return -EINVAL;
	if (enforcing != 0 && enforcing != 1)
		return -EINVAL;
	if (avc_enforcing() != (bool)enforcing)
		log_warn("flask: %s mode, set by domid %d",
			 enforcing ? "enforcing" : "permissive", s->domid);
	avc_set_enforcing(enforcing);
	return 0;
}

int flask_op_context_to_sid(const struct flask_subject *s, const char *ctx, size_t len,
			    uint32_t *sid)
{
	int rc = has_security(s, SECURITY__CHECK_CONTEXT);

	return rc ? rc : ss_context_to_sid(ctx, len, sid);
}

int flask_op_sid_to_context(const struct flask_subject *s, uint32_t sid, char **ctx,
			    size_t *len)
{
	int rc = has_security(s, SECURITY__CHECK_CONTEXT);

	return rc ? rc : ss_sid_to_context(sid, ctx, len);
}

int flask_op_access(const struct flask_subject *s, uint32_t ssid, uint32_t tsid,
		    uint16_t pclass, struct flask_access_result *r)
{
	int rc = has_security(s, SECURITY__COMPUTE_AV);

	if (rc)
		return rc;
	return ss_compute_av_policy(ssid, tsid, pclass, &r->allowed, &r->audit_allow,
				    &r->audit_deny, &r->seqno);
}

int flask_op_create(const struct flask_subject *s, uint32_t ssid, uint32_t tsid,
		    uint16_t pclass, bool member, uint32_t *newsid)
{
	int rc = has_security(s, member ? SECURITY__COMPUTE_MEMBER : SECURITY__COMPUTE_CREATE);

	return rc ? rc : ss_transition_sid_policy(ssid, tsid, pclass, member, newsid);
}

int flask_op_policyvers(const struct flask_subject *s, uint32_t *vers)
{
	int rc = has_security(s, SECURITY__COMPUTE_AV);

	if (rc == 0)
		*vers = ss_policyvers();
	return rc;
}

static int bool_id(uint32_t *id, const char *name)
{
	if (name && name[0])
		return ss_bool_lookup(name, id);
	return 0;
}

int flask_op_getbool(const struct flask_subject *s, uint32_t *id, char *name, int *cur,
		     int *pending)
{
	int rc = has_security(s, SECURITY__COMPUTE_AV);

	if (rc == 0)
		rc = bool_id(id, name);
	if (rc == 0)
		rc = ss_bool_get(*id, name, cur, pending);
	return rc;
}

int flask_op_setbool(const struct flask_subject *s, uint32_t *id, const char *name,
		     int value, bool commit)
{
	int rc = has_security(s, SECURITY__SETBOOL);

	if (rc == 0)
		rc = bool_id(id, name);
	if (rc == 0)
		rc = ss_bool_set_pending(*id, value);
	if (rc == 0 && commit)
		rc = ss_bool_commit();
	if (rc == 0)
		log_info("flask: boolean %u set to %d%s by domid %d", *id, !!value,
			 commit ? " and committed" : " (pending)", s->domid);
	return rc;
}

int flask_op_commitbools(const struct flask_subject *s)
{
	int rc = has_security(s, SECURITY__SETBOOL);

	return rc ? rc : ss_bool_commit();
}

int flask_op_avc_stats(const struct flask_subject *s, struct avc_stats *st)
{
	int rc = has_security(s, SECURITY__COMPUTE_AV);

	if (rc == 0)
		avc_get_stats(st);
	return rc;
}
