/* The domain control ops: create, destroy, list, console, dmesg... See ctl_ops.h. */
#include "ctl_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "console.h"
#include "domain.h"
#include "domctl.h"
#include "log.h"
#include "measure.h"
#include "xsm.h"

int op_domain_create(const struct flask_subject *s, const uint8_t *in, size_t len,
			    struct reply *r)
{
	struct bh_ctl_create c;
	struct bh_ctl_dominfo info;
	struct builder_images im;
	char path[4096];
	int rc;

	if (len < sizeof(c))
		return -EINVAL;
	memcpy(&c, in, sizeof(c));
	if (c.flags & ~BH_CREATE_PAUSED || c.path_len == 0 || c.path_len >= sizeof(path) ||
	    c.path_len > len - sizeof(c) || c.extra_len > len - sizeof(c) - c.path_len ||
	    len - sizeof(c) - c.path_len - c.extra_len > XLCFG_TEXT_MAX ||
	    c.extra_len > XLCFG_TEXT_MAX) {
		snprintf(r->msg, sizeof(r->msg), "malformed create request");
		return -EINVAL;
	}
	memcpy(path, in + sizeof(c), c.path_len);
	path[c.path_len] = 0;
	if (strlen(path) != c.path_len || path[0] != '/') {
		snprintf(r->msg, sizeof(r->msg), "the config's path must be absolute, without NUL");
		return -EINVAL;
	}
	/*
	 * The images come open from the requester, kernel first: bulkhead reads
	 * them with its authority and never opens a path a client names. The
	 * domain keeps dups; these close after the reply.
	 */
	_Static_assert(BUILDER_NR_IMAGES <= CONTROL_MAX_PASSED_FDS, "a create's fds");
	for (unsigned int i = 0; i < BUILDER_NR_IMAGES; i++)
		im.fd[i] = r->conn && i < r->conn->nr_passed ? r->conn->passed_fd[i] : -1;
	rc = domctl_create(s, c.flags, path, (const char *)in + sizeof(c) + c.path_len,
			   len - sizeof(c) - c.path_len - c.extra_len,
			   (const char *)in + len - c.extra_len, c.extra_len, &im, &info, r->msg,
			   sizeof(r->msg));
	if (rc)
		return rc;
	/* A warning (an unknown key, ignored as xl does) follows the info. */
	rc = reply_put(r, &info, sizeof(info));
	if (!rc && r->msg[0])
		rc = reply_put(r, r->msg, strlen(r->msg));
	return rc;
}

int op_domain_destroy(const struct flask_subject *s, const uint8_t *in, size_t len,
			     struct reply *r)
{
	uint32_t id;

	(void)r;
	return get_u32(in, len, &id) ? -EINVAL : domctl_destroy(s, id);
}

int op_domain_pause(const struct flask_subject *s, const uint8_t *in, size_t len,
			   struct reply *r)
{
	uint32_t id;

	(void)r;
	return get_u32(in, len, &id) ? -EINVAL : domctl_pause(s, id, true);
}

int op_domain_unpause(const struct flask_subject *s, const uint8_t *in, size_t len,
			     struct reply *r)
{
	uint32_t id;

	(void)r;
	return get_u32(in, len, &id) ? -EINVAL : domctl_pause(s, id, false);
}

int op_domain_shutdown(const struct flask_subject *s, const uint8_t *in, size_t len,
			      struct reply *r)
{
	struct bh_ctl_shutdown req;

	(void)r;
	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, in, sizeof(req));
	return domctl_shutdown(s, &req);
}

int op_domain_list(const struct flask_subject *s, const uint8_t *in, size_t len,
			  struct reply *r)
{
	struct bh_ctl_dominfo *v;
	size_t n;
	int rc;

	(void)in;
	if (len)
		return -EINVAL;
	rc = domctl_list(s, &v, &n);
	if (rc)
		return rc;
	rc = n ? reply_put(r, v, n * sizeof(*v)) : 0;
	free(v);
	return rc;
}

int op_domain_info(const struct flask_subject *s, const uint8_t *in, size_t len,
			  struct reply *r)
{
	struct bh_ctl_dominfo info;
	uint32_t id;
	int rc;

	if (get_u32(in, len, &id))
		return -EINVAL;
	rc = domctl_info(s, id, &info);
	return rc ? rc : reply_put(r, &info, sizeof(info));
}

int op_console_read(const struct flask_subject *s, const uint8_t *in, size_t len,
			   struct reply *r)
{
	struct bh_ctl_console_read req;
	struct bh_ctl_console_data out = { 0 };
	struct domain *d;
	char *buf;
	size_t n;
	int rc;

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, in, sizeof(req));
	if (req.max == 0 || req.max > BH_CONSOLE_HISTORY)
		return -EINVAL;
	d = domain_get(req.domid);
	if (!d)
		return -ESRCH;
	rc = xsm_domain_console(s, d);
	buf = rc ? NULL : malloc(req.max);
	if (!rc && !buf)
		rc = -ENOMEM;
	if (!rc) {
		out.offset = req.offset;
		n = console_read(d, &out.offset, buf, req.max, &out.end);
		out.state = atomic_load(&d->state);
		rc = reply_put(r, &out, sizeof(out));
		if (!rc && n)
			rc = reply_put(r, buf, n);
	}
	free(buf);
	domain_put(d);
	return rc;
}

int op_dmesg(const struct flask_subject *s, const uint8_t *in, size_t len,
		    struct reply *r)
{
	uint32_t clear;
	char *buf;
	size_t n;
	int rc;

	if (get_u32(in, len, &clear) || clear > 1)
		return -EINVAL;
	rc = xsm_readconsole(s, clear);
	if (rc)
		return rc;
	buf = malloc(BH_LOG_RING);
	if (!buf)
		return -ENOMEM;
	n = bh_log_read(buf, BH_LOG_RING, clear);
	rc = n ? reply_put(r, buf, n) : 0;
	free(buf);
	return rc;
}

int op_physinfo(const struct flask_subject *s, const uint8_t *in, size_t len,
		       struct reply *r)
{
	struct bh_ctl_physinfo pi;
	int rc;

	(void)in;
	if (len)
		return -EINVAL;
	rc = domctl_physinfo(s, &pi);
	if (!rc)
		rc = reply_put(r, &pi, sizeof(pi));
	/* Then the event log's path: bh attest reads the log this bulkhead writes. */
	return rc ? rc : reply_put(r, measure_log_path(), strlen(measure_log_path()));
}
