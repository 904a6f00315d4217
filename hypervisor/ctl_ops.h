/*
 * The control ops, one file per family: ctl_flask.c (Xen's flask_op),
 * ctl_domain.c (domains, consoles, dmesg, physinfo), ctl_service.c (host
 * services: arenas, event channels, dom0 grants). control.c owns the
 * socket, the framing and the dispatch table that names each op.
 *
 * Each op takes the subject, the payload and a reply to fill; it checks,
 * calls its hook, acts, and returns 0 or -errno (r->msg may say why).
 */
#ifndef BH_CTL_OPS_H
#define BH_CTL_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.h"

struct service;

/*
 * What an op answers with, and what it may need besides its payload: the
 * connection (a service's ports, a passed fd), and a message for a failure.
 */
struct reply {
	uint8_t *buf;
	size_t len;
	struct control_conn *conn; /* NULL when called without one (tests, fuzzing) */
	char msg[1024];
};

struct listener;

struct control_conn {
	int fd;
	const struct listener *l; /* the socket it came in on */
	uid_t uid;                /* the peer's (SO_PEERCRED) */
	struct flask_subject subj;
	struct service *svc;  /* once it uses a service op */
	/* The fds that came with the current request (SCM_RIGHTS), in order; -1 once taken. */
	int passed_fd[CONTROL_MAX_PASSED_FDS];
	unsigned int nr_passed;
};

/* Append n bytes to the reply; 0 or -ENOMEM. */
int reply_put(struct reply *r, const void *p, size_t n);
/* A payload that is exactly one u32; 0 or -EINVAL. */
int get_u32(const uint8_t *in, size_t len, uint32_t *v);

/* An op: the dispatch table in control.c names each. */
typedef int control_op(const struct flask_subject *s, const uint8_t *in, size_t len,
		       struct reply *r);

/* ctl_flask.c */
control_op op_load, op_getenforce, op_setenforce, op_context_to_sid, op_sid_to_context,
	op_access, op_getbool, op_setbool, op_commitbools, op_avc_stats, op_policyvers;

/* ctl_domain.c */
control_op op_domain_create, op_domain_destroy, op_domain_pause, op_domain_unpause,
	op_domain_shutdown, op_domain_list, op_domain_info, op_console_read, op_dmesg, op_physinfo;

/* ctl_service.c */
control_op op_arena_register, op_evtchn_bind, op_evtchn_bind_virq, op_evtchn_send,
	op_evtchn_close, op_evtchn_alloc_unbound, op_grant_access, op_grant_end, op_grant_copy;

#endif
