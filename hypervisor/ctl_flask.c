/* The FLASK control ops: Xen's flask_op over the control socket. See ctl_ops.h. */
#include "ctl_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int op_load(const struct flask_subject *s, const uint8_t *in, size_t len, struct reply *r)
{
	char err[256];
	int rc;

	(void)r;
	rc = flask_op_load(s, in, len, err, sizeof(err));
	if (rc && rc != -EACCES)
		log_warn("control: policy load refused: %s", err);
	return rc;
}

int op_getenforce(const struct flask_subject *s, const uint8_t *in, size_t len,
			 struct reply *r)
{
	int e, rc;
	uint32_t v;

	(void)in;
	if (len)
		return -EINVAL;
	rc = flask_op_getenforce(s, &e);
	v = e;
	return rc ? rc : reply_put(r, &v, sizeof(v));
}

int op_setenforce(const struct flask_subject *s, const uint8_t *in, size_t len,
			 struct reply *r)
{
	uint32_t v;

	(void)r;
	if (get_u32(in, len, &v))
		return -EINVAL;
	return flask_op_setenforce(s, v > 1 ? 2 : (int)v);
}

int op_context_to_sid(const struct flask_subject *s, const uint8_t *in, size_t len,
			     struct reply *r)
{
	uint32_t sid;
	int rc;

	if (len == 0 || len > SS_CONTEXT_MAX)
		return -EINVAL;
	rc = flask_op_context_to_sid(s, (const char *)in, len, &sid);
	return rc ? rc : reply_put(r, &sid, sizeof(sid));
}

int op_sid_to_context(const struct flask_subject *s, const uint8_t *in, size_t len,
			     struct reply *r)
{
	uint32_t sid;
	size_t clen;
	char *ctx;
	int rc;

	if (get_u32(in, len, &sid))
		return -EINVAL;
	rc = flask_op_sid_to_context(s, sid, &ctx, &clen);
	if (rc)
		return rc;
	rc = reply_put(r, ctx, clen);
	free(ctx);
	return rc;
}

int op_access(const struct flask_subject *s, const uint8_t *in, size_t len,
		     struct reply *r)
{
	struct bh_ctl_access a;
	struct flask_access_result res;
	struct bh_ctl_access_result out;
	int rc;

	if (len != sizeof(a))
		return -EINVAL;
	memcpy(&a, in, sizeof(a));
	if (a.tclass == 0 || a.tclass > UINT16_MAX)
		return -EINVAL;
	rc = flask_op_access(s, a.ssid, a.tsid, a.tclass, &res);
	if (rc)
		return rc;
	out = (struct bh_ctl_access_result){ res.allowed, res.audit_allow, res.audit_deny,
					     res.seqno };
	return reply_put(r, &out, sizeof(out));
}

/* Parse a bh_ctl_bool and its optional name; name is "" when absent. */
static int parse_bool(const uint8_t *in, size_t len, struct bh_ctl_bool *b, char *name)
{
	if (len < sizeof(*b))
		return -EINVAL;
	memcpy(b, in, sizeof(*b));
	if (b->name_len != len - sizeof(*b) || b->name_len >= SS_BOOL_NAME_MAX)
		return -EINVAL;
	memcpy(name, in + sizeof(*b), b->name_len);
	name[b->name_len] = 0;
	if (strlen(name) != b->name_len)
		return -EINVAL;
	return 0;
}

int op_getbool(const struct flask_subject *s, const uint8_t *in, size_t len,
		      struct reply *r)
{
	char name[SS_BOOL_NAME_MAX];
	struct bh_ctl_bool b;
	int cur, pending, rc;

	if (parse_bool(in, len, &b, name))
		return -EINVAL;
	rc = flask_op_getbool(s, &b.id, name, &cur, &pending);
	if (rc)
		return rc;
	b.cur = cur;
	b.pending = pending;
	b.name_len = strlen(name);
	rc = reply_put(r, &b, sizeof(b));
	return rc ? rc : reply_put(r, name, b.name_len);
}

int op_setbool(const struct flask_subject *s, const uint8_t *in, size_t len,
		      struct reply *r)
{
	char name[SS_BOOL_NAME_MAX];
	struct bh_ctl_bool b;
	int cur, pending, rc;

	if (parse_bool(in, len, &b, name) || b.value > 1 || b.commit > 1)
		return -EINVAL;
	rc = flask_op_setbool(s, &b.id, name, b.value, b.commit);
	if (rc)
		return rc;
	rc = flask_op_getbool(s, &b.id, NULL, &cur, &pending);
	if (rc)
		return rc;
	b.cur = cur;
	b.pending = pending;
	b.name_len = 0;
	return reply_put(r, &b, sizeof(b));
}

int op_commitbools(const struct flask_subject *s, const uint8_t *in, size_t len,
			  struct reply *r)
{
	(void)in;
	(void)r;
	return len ? -EINVAL : flask_op_commitbools(s);
}

int op_avc_stats(const struct flask_subject *s, const uint8_t *in, size_t len,
			struct reply *r)
{
	struct avc_stats st;
	struct bh_ctl_avc_stats out;
	int rc;

	(void)in;
	if (len)
		return -EINVAL;
	rc = flask_op_avc_stats(s, &st);
	if (rc)
		return rc;
	out = (struct bh_ctl_avc_stats){ st.lookups, st.hits, st.misses, st.allocations,
					 st.reclaims, st.denials };
	return reply_put(r, &out, sizeof(out));
}

int op_policyvers(const struct flask_subject *s, const uint8_t *in, size_t len,
			 struct reply *r)
{
	uint32_t v;
	int rc;

	(void)in;
	if (len)
		return -EINVAL;
	rc = flask_op_policyvers(s, &v);
	return rc ? rc : reply_put(r, &v, sizeof(v));
}
