/* The host-service control ops: arenas, event channels, dom0 grants. See ctl_ops.h. */
#include "ctl_ops.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/grant_table.h>

#include "service.h"

/* The connection's service, made on first use. */
static struct service *conn_service(struct reply *r)
{
	struct control_conn *c = r->conn;

	if (!c)
		return NULL;
	if (!c->svc)
		c->svc = service_new(c->subj.sid);
	return c->svc;
}

int op_arena_register(const struct flask_subject *s, const uint8_t *in, size_t len,
			     struct reply *r)
{
	struct bh_ctl_arena a;
	struct service *svc;
	int fd;

	(void)s;
	if (len != sizeof(a))
		return -EINVAL;
	memcpy(&a, in, sizeof(a));
	if (!r->conn || r->conn->nr_passed != 1) {
		snprintf(r->msg, sizeof(r->msg), "the arena's memfd, and only it, must come with the request (SCM_RIGHTS)");
		return -EBADF;
	}
	svc = conn_service(r);
	if (!svc)
		return -ENOMEM;
	fd = r->conn->passed_fd[0];
	r->conn->passed_fd[0] = -1;
	return service_arena_register(svc, a.role, a.pages, fd, r->msg, sizeof(r->msg));
}

static int reply_port(struct reply *r, int port)
{
	uint32_t p = port;

	return port < 0 ? port : reply_put(r, &p, sizeof(p));
}

int op_evtchn_bind(const struct flask_subject *s, const uint8_t *in, size_t len,
			  struct reply *r)
{
	struct bh_ctl_evtchn_bind b;
	struct service *svc;

	(void)s;
	if (len != sizeof(b))
		return -EINVAL;
	memcpy(&b, in, sizeof(b));
	if (b.domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	svc = conn_service(r);
	if (!svc)
		return r->conn ? -ENOMEM : -ENOTCONN;
	return reply_port(r, service_evtchn_bind(svc, b.domid, b.remote_port));
}

int op_evtchn_bind_virq(const struct flask_subject *s, const uint8_t *in, size_t len,
			       struct reply *r)
{
	struct service *svc;
	uint32_t virq;

	(void)s;
	if (get_u32(in, len, &virq))
		return -EINVAL;
	svc = conn_service(r);
	if (!svc)
		return r->conn ? -ENOMEM : -ENOTCONN;
	return reply_port(r, service_evtchn_bind_virq(svc, virq));
}

int op_evtchn_send(const struct flask_subject *s, const uint8_t *in, size_t len,
			  struct reply *r)
{
	uint32_t port;

	(void)s;
	if (get_u32(in, len, &port))
		return -EINVAL;
	if (!r->conn || !r->conn->svc)
		return -EINVAL; /* no ports yet */
	return service_evtchn_send(r->conn->svc, port);
}

int op_evtchn_close(const struct flask_subject *s, const uint8_t *in, size_t len,
			   struct reply *r)
{
	uint32_t port;

	(void)s;
	if (get_u32(in, len, &port))
		return -EINVAL;
	if (!r->conn || !r->conn->svc)
		return -EINVAL;
	return service_evtchn_close(r->conn->svc, port);
}

int op_evtchn_alloc_unbound(const struct flask_subject *s, const uint8_t *in, size_t len,
				   struct reply *r)
{
	struct service *svc;
	uint32_t domid;

	(void)s;
	if (get_u32(in, len, &domid) || domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	svc = conn_service(r);
	if (!svc)
		return r->conn ? -ENOMEM : -ENOTCONN;
	return reply_port(r, service_evtchn_alloc_unbound(svc, domid));
}

int op_grant_access(const struct flask_subject *s, const uint8_t *in, size_t len,
			   struct reply *r)
{
	struct bh_ctl_grant_access g;
	struct service *svc;

	(void)s;
	if (len != sizeof(g))
		return -EINVAL;
	memcpy(&g, in, sizeof(g));
	if (g.domid >= DOMID_FIRST_RESERVED || g.readonly > 1)
		return -EINVAL;
	svc = conn_service(r);
	if (!svc)
		return r->conn ? -ENOMEM : -ENOTCONN;
	return reply_port(r, service_grant_access(svc, g.domid, g.page, g.readonly, r->msg,
						  sizeof(r->msg)));
}

int op_grant_end(const struct flask_subject *s, const uint8_t *in, size_t len,
			struct reply *r)
{
	uint32_t ref;

	(void)s;
	if (get_u32(in, len, &ref))
		return -EINVAL;
	if (!r->conn || !r->conn->svc)
		return -EINVAL; /* no grants yet */
	return service_grant_end(r->conn->svc, ref);
}

/*
 * GRANT_COPY: every segment is checked before any is copied (sizes, and
 * that the bytes to write are all there); then each copies on its own and
 * gets its own GNTST_* status, as GNTTABOP_copy.
 */
int op_grant_copy(const struct flask_subject *s, const uint8_t *in, size_t len,
			 struct reply *r)
{
	struct bh_ctl_grant_copy_seg seg[BH_GRANT_COPY_MAX_SEGS];
	int16_t status[BH_GRANT_COPY_MAX_SEGS + 1] = { 0 };
	size_t head, to_guest = 0, total = 0, in_off, out_len = 0;
	struct bh_ctl_grant_copy h;
	struct service *svc;
	uint8_t *out;
	int rc;

	(void)s;
	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, in, sizeof(h));
	if (h.count == 0 || h.count > BH_GRANT_COPY_MAX_SEGS)
		return -EINVAL;
	head = sizeof(h) + h.count * sizeof(seg[0]);
	if (len < head)
		return -EINVAL;
	memcpy(seg, in + sizeof(h), h.count * sizeof(seg[0]));
	for (uint32_t i = 0; i < h.count; i++) {
		if ((uint32_t)seg[i].offset + seg[i].len > 4096 || seg[i].flags & ~BH_GNTCOPY_TO_GUEST)
			return -EINVAL;
		total += seg[i].len;
		if (seg[i].flags & BH_GNTCOPY_TO_GUEST)
			to_guest += seg[i].len;
	}
	if (total > BH_GRANT_COPY_MAX_BYTES || len != head + to_guest)
		return -EINVAL;
	if (!r->conn || !r->conn->svc)
		return -EINVAL; /* a service op: the connection must have become one */
	svc = r->conn->svc;
	out = malloc(total - to_guest + 1);
	if (!out)
		return -ENOMEM;
	in_off = head;
	for (uint32_t i = 0; i < h.count; i++) {
		bool put = seg[i].flags & BH_GNTCOPY_TO_GUEST;
		uint8_t *buf = put ? (uint8_t *)in + in_off : out + out_len;

		status[i] = service_grant_copy(svc, seg[i].domid, seg[i].ref, seg[i].offset,
					       seg[i].len, buf, put);
		if (put)
			in_off += seg[i].len;
		else if (status[i] == GNTST_okay)
			out_len += seg[i].len;
	}
	rc = reply_put(r, status, (h.count + 1) / 2 * 4);
	if (!rc)
		rc = reply_put(r, out, out_len);
	free(out);
	return rc;
}
