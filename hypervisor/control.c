/* The control socket. See control.h. */
#include "control.h"
#include "ctl_ops.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_io.h"
#include "domain.h"
#include "service.h"
#include "log.h"

struct control_label {
	uid_t uid;
	char ctx[BH_CTL_STRING_MAX];
};

static struct control_label labels[CONTROL_MAX_LABELS];
static unsigned int nr_labels;
static uid_t owner_uid; /* the uid bulkhead started as (set when it listens) */

int control_add_label(const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	char *end;
	unsigned long uid;

	if (!eq || eq == spec || !eq[1]) {
		snprintf(err, errlen, "--control-label takes UID=CONTEXT, not '%s'", spec);
		return -1;
	}
	errno = 0;
	uid = strtoul(spec, &end, 10);
	if (errno || end != eq || uid > UINT32_MAX - 1) {
		snprintf(err, errlen, "--control-label: '%.*s' is not a uid", (int)(eq - spec), spec);
		return -1;
	}
	if (strlen(eq + 1) >= BH_CTL_STRING_MAX) {
		snprintf(err, errlen, "--control-label: context too long");
		return -1;
	}
	if (nr_labels == CONTROL_MAX_LABELS) {
		snprintf(err, errlen, "at most %d --control-label options", CONTROL_MAX_LABELS);
		return -1;
	}
	labels[nr_labels].uid = uid;
	snprintf(labels[nr_labels].ctx, sizeof(labels[nr_labels].ctx), "%s", eq + 1);
	nr_labels++;
	return 0;
}

const char *control_default_path(void)
{
	static char buf[4096];
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() != 0 && xdg && xdg[0]) {
		snprintf(buf, sizeof(buf), "%s/bulkhead/control.sock", xdg);
		return buf;
	}
	return "/run/bulkhead/control.sock";
}

/* The label for a peer: a configured one, else dom0 for root, else none. */
static int peer_subject(int fd, struct flask_subject *s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	s->domid = 0; /* the control plane is dom0, whichever service it is */
	for (unsigned int i = 0; i < nr_labels; i++) {
		if (labels[i].uid == cred.uid)
			return ss_context_to_sid(labels[i].ctx, strlen(labels[i].ctx), &s->sid);
	}
	if (cred.uid == 0) {
		s->sid = SECINITSID_DOM0;
		return 0;
	}
	return -EACCES;
}

/* ---- requests ---------------------------------------------------------------- */

/*
 * What a peer can make bulkhead log (a malformed header, too many fds, no
 * label) is rate-limited per peer, by the socket and uid rather than the
 * connection, so that reconnecting does not renew the budget: at most
 * CONTROL_WARN_BURST lines per peer and CONTROL_WARN_TOTAL for every peer
 * together per minute. A peer is one uid on one socket, so one uid reaches
 * at most 9 sockets x 5 = 45 lines and cannot use up the total alone. The
 * first line dropped says so; the next line let through counts what was
 * dropped. Audit lines have a ring of their own besides (log.h), so a
 * flood here cannot push them out of `bh dmesg` anyway.
 */
#define CONTROL_WARN_BURST 5
#define CONTROL_WARN_TOTAL 50
#define CONTROL_WARN_WINDOW_NS (60ull * 1000000000ull)
#define CONTROL_WARN_PEERS 32 /* tracked; a new peer takes the stalest entry */
_Static_assert((1 + CONTROL_MAX_SERVICE_SOCKETS) * CONTROL_WARN_BURST < CONTROL_WARN_TOTAL,
	       "one uid cannot use up every peer's budget");

struct warn_peer {
	const struct listener *l;
	uid_t uid;
	uint64_t window_ns; /* when its window began; 0: unused */
	unsigned int n;
	unsigned long long dropped;
};

static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct warn_peer warn_peers[CONTROL_WARN_PEERS];
static uint64_t warn_window_ns;
static unsigned int warn_total;

static const char *listener_path(const struct listener *l);

static void conn_warn(const struct control_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conn_warn(const struct control_conn *c, const char *fmt, ...)
{
	uint64_t now = bh_now_ns();
	struct warn_peer *p = NULL, *stalest = &warn_peers[0];
	unsigned long long dropped = 0;
	bool say, first_drop = false;
	char msg[512];
	va_list ap;

	pthread_mutex_lock(&warn_lock);
	if (now - warn_window_ns >= CONTROL_WARN_WINDOW_NS) {
		warn_window_ns = now;
		warn_total = 0;
	}
	for (unsigned int i = 0; i < CONTROL_WARN_PEERS && !p; i++) {
		struct warn_peer *w = &warn_peers[i];

		if (w->window_ns && w->l == c->l && w->uid == c->uid)
			p = w;
		else if (w->window_ns < stalest->window_ns)
			stalest = w;
	}
	if (!p) {
		p = stalest;
		*p = (struct warn_peer){ c->l, c->uid, now, 0, 0 };
	}
	if (now - p->window_ns >= CONTROL_WARN_WINDOW_NS) {
		p->window_ns = now;
		p->n = 0;
	}
	say = p->n < CONTROL_WARN_BURST && warn_total < CONTROL_WARN_TOTAL;
	if (say) {
		p->n++;
		warn_total++;
		dropped = p->dropped;
		p->dropped = 0;
	} else {
		first_drop = !p->dropped++;
	}
	pthread_mutex_unlock(&warn_lock);
	if (first_drop)
		log_warn("control: uid %u on %s: more warnings suppressed for up to a minute",
			 (unsigned int)c->uid, listener_path(c->l));
	if (!say)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (dropped)
		log_warn("%s (uid %u: %llu warnings suppressed before it)", msg, (unsigned int)c->uid,
			 dropped);
	else
		log_warn("%s", msg);
}

/* Close every fd of the request that no op took. */
static void conn_drop_fds(struct control_conn *c)
{
	for (unsigned int i = 0; i < c->nr_passed; i++)
		if (c->passed_fd[i] >= 0)
			close(c->passed_fd[i]);
	c->nr_passed = 0;
}

int reply_put(struct reply *r, const void *p, size_t n)
{
	uint8_t *nb = realloc(r->buf, r->len + n);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + r->len, p, n);
	r->buf = nb;
	r->len += n;
	return 0;
}

int get_u32(const uint8_t *in, size_t len, uint32_t *v)
{
	if (len != sizeof(*v))
		return -EINVAL;
	memcpy(v, in, sizeof(*v));
	return 0;
}

static const struct {
	control_op *fn;
	const char *name;
} control_ops[BH_CTL_OP_MAX] = {
	[BH_CTL_FLASK_LOAD] = { op_load, "flask_load" },
	[BH_CTL_FLASK_GETENFORCE] = { op_getenforce, "flask_getenforce" },
	[BH_CTL_FLASK_SETENFORCE] = { op_setenforce, "flask_setenforce" },
	[BH_CTL_FLASK_CONTEXT_TO_SID] = { op_context_to_sid, "flask_context_to_sid" },
	[BH_CTL_FLASK_SID_TO_CONTEXT] = { op_sid_to_context, "flask_sid_to_context" },
	[BH_CTL_FLASK_ACCESS] = { op_access, "flask_access" },
	[BH_CTL_FLASK_GETBOOL] = { op_getbool, "flask_getbool" },
	[BH_CTL_FLASK_SETBOOL] = { op_setbool, "flask_setbool" },
	[BH_CTL_FLASK_COMMITBOOLS] = { op_commitbools, "flask_commitbools" },
	[BH_CTL_FLASK_AVC_STATS] = { op_avc_stats, "flask_avc_stats" },
	[BH_CTL_FLASK_POLICYVERS] = { op_policyvers, "flask_policyvers" },
	[BH_CTL_DOMAIN_CREATE] = { op_domain_create, "domain_create" },
	[BH_CTL_DOMAIN_DESTROY] = { op_domain_destroy, "domain_destroy" },
	[BH_CTL_DOMAIN_PAUSE] = { op_domain_pause, "domain_pause" },
	[BH_CTL_DOMAIN_UNPAUSE] = { op_domain_unpause, "domain_unpause" },
	[BH_CTL_DOMAIN_SHUTDOWN] = { op_domain_shutdown, "domain_shutdown" },
	[BH_CTL_DOMAIN_LIST] = { op_domain_list, "domain_list" },
	[BH_CTL_DOMAIN_INFO] = { op_domain_info, "domain_info" },
	[BH_CTL_CONSOLE_READ] = { op_console_read, "console_read" },
	[BH_CTL_DMESG] = { op_dmesg, "dmesg" },
	[BH_CTL_PHYSINFO] = { op_physinfo, "physinfo" },
	[BH_CTL_ARENA_REGISTER] = { op_arena_register, "arena_register" },
	[BH_CTL_EVTCHN_BIND] = { op_evtchn_bind, "evtchn_bind" },
	[BH_CTL_EVTCHN_BIND_VIRQ] = { op_evtchn_bind_virq, "evtchn_bind_virq" },
	[BH_CTL_EVTCHN_SEND] = { op_evtchn_send, "evtchn_send" },
	[BH_CTL_EVTCHN_CLOSE] = { op_evtchn_close, "evtchn_close" },
	[BH_CTL_EVTCHN_ALLOC_UNBOUND] = { op_evtchn_alloc_unbound, "evtchn_alloc_unbound" },
	[BH_CTL_GRANT_ACCESS] = { op_grant_access, "grant_access" },
	[BH_CTL_GRANT_END] = { op_grant_end, "grant_end" },
	[BH_CTL_GRANT_COPY] = { op_grant_copy, "grant_copy" },
};

const char *control_op_name(uint16_t op)
{
	return op < BH_CTL_OP_MAX ? control_ops[op].name : NULL;
}

static int32_t dispatch(const struct flask_subject *s, struct control_conn *c, uint16_t op,
			const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	struct reply *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!r)
		return -ENOMEM;
	r->conn = c;
	if (op >= BH_CTL_OP_MAX || !control_ops[op].fn) {
		free(r);
		return -ENOSYS;
	}
	rc = control_ops[op].fn(s, in, in_len, r);
	if (rc) {
		/* A failure carries only its message, if it has one. */
		free(r->buf);
		r->buf = NULL;
		r->len = 0;
		if (r->msg[0] && !reply_put(r, r->msg, strlen(r->msg))) {
			*out = r->buf;
			*out_len = r->len;
		}
		free(r);
		return rc;
	}
	*out = r->buf;
	*out_len = r->len;
	free(r);
	return 0;
}

int32_t control_dispatch(const struct flask_subject *s, uint16_t op, const uint8_t *in,
			 size_t in_len, uint8_t **out, size_t *out_len)
{
	return dispatch(s, NULL, op, in, in_len, out, out_len);
}

/* ---- connections ------------------------------------------------------------- */

/*
 * Listeners: [0] is the control socket (labels by uid), the rest are
 * --service sockets (one label each).
 */
struct listener {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char ctx[BH_CTL_STRING_MAX]; /* "" for [0] */
	pthread_t thread;
	bool serving;
	/* Its connections, and each uid's share of them (conn_admit); under slots_lock. */
	int active;
	struct peer_slots {
		uid_t uid;
		int n; /* 0: a free entry */
	} peers[CONTROL_MAX_CONNS];
};

static struct listener listeners[1 + CONTROL_MAX_SERVICE_SOCKETS] = { [0].fd = -1 };
static unsigned int nr_listeners = 1;

int control_add_service_socket(const char *spec, char *err, size_t errlen)
{
	const char *eq = strrchr(spec, '=');
	struct listener *l;

	if (!eq || eq == spec || !eq[1] || spec[0] != '/') {
		snprintf(err, errlen, "--service takes PATH=CONTEXT with an absolute PATH, not '%s'", spec);
		return -1;
	}
	if (nr_listeners == 1 + CONTROL_MAX_SERVICE_SOCKETS) {
		snprintf(err, errlen, "at most %d --service options", CONTROL_MAX_SERVICE_SOCKETS);
		return -1;
	}
	if ((size_t)(eq - spec) >= sizeof(l->path) || strlen(eq + 1) >= sizeof(l->ctx)) {
		snprintf(err, errlen, "--service: path or context too long");
		return -1;
	}
	l = &listeners[nr_listeners++];
	l->fd = -1;
	memcpy(l->path, spec, eq - spec);
	l->path[eq - spec] = 0;
	snprintf(l->ctx, sizeof(l->ctx), "%s", eq + 1);
	return 0;
}

/*
 * Read a header and the fds that came with it (SCM_RIGHTS). 0, or -1 at
 * EOF, on error, or when more fds came than any op takes. Every fd the
 * kernel installed is then either in c->passed_fd or closed, whatever the
 * peer put in its cmsgs: the kernel gives us at most what the buffer holds
 * (MSG_CTRUNC for the rest, which it drops), in as many cmsgs as it likes.
 */
static int read_header(struct control_conn *c, struct bh_ctl_hdr *h)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(CONTROL_MAX_PASSED_FDS * sizeof(int))];
	} cm;
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf) };
	bool too_many = false;
	struct cmsghdr *cmsg;
	ssize_t n;

	conn_drop_fds(c);
	do
		n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&m); cmsg; cmsg = CMSG_NXTHDR(&m, cmsg)) {
		size_t nfd;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(fd));
			if (c->nr_passed < CONTROL_MAX_PASSED_FDS) {
				c->passed_fd[c->nr_passed++] = fd;
			} else {
				close(fd);
				too_many = true;
			}
		}
	}
	if (too_many || (m.msg_flags & MSG_CTRUNC)) {
		conn_warn(c, "control: more than %d fds came with a request; closing",
			  CONTROL_MAX_PASSED_FDS);
		conn_drop_fds(c);
		return -1;
	}
	if (n == 0)
		return -1;
	if ((size_t)n < sizeof(*h))
		return ctl_read_full(c->fd, (uint8_t *)h + n, sizeof(*h) - n);
	return 0;
}

/* Send the service's pending ports as notifications. 0, or -1 if the peer is gone. */
static int send_events(struct control_conn *c)
{
	uint32_t ports[1024];
	uint64_t cnt;
	unsigned int n;

	if (read(c->svc->notify_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -1;
	/* Closed first: a service that reads the ring on the event then sees it gone. */
	while ((n = service_take_closed(c->svc, ports, 1024)) > 0) {
		struct bh_ctl_hdr h = { BH_CTL_MAGIC, BH_CTL_VERSION,
					BH_CTL_NOTIFY | BH_CTL_EV_EVTCHN_CLOSED,
					n * (uint32_t)sizeof(uint32_t), 0 };

		if (ctl_write_full(c->fd, &h, sizeof(h)) || ctl_write_full(c->fd, ports, h.len))
			return -1;
	}
	while ((n = service_take_pending(c->svc, ports, 1024)) > 0) {
		struct bh_ctl_hdr h = { BH_CTL_MAGIC, BH_CTL_VERSION, BH_CTL_NOTIFY | BH_CTL_EV_EVTCHN,
					n * (uint32_t)sizeof(uint32_t), 0 };

		if (ctl_write_full(c->fd, &h, sizeof(h)) || ctl_write_full(c->fd, ports, h.len))
			return -1;
	}
	return 0;
}

/* One request: 0 to go on, -1 to close the connection. */
static int serve_request(struct control_conn *c)
{
	uint8_t *in = NULL, *out = NULL;
	size_t out_len = 0;
	struct bh_ctl_hdr h, rh;
	int32_t status;
	int rc;

	if (read_header(c, &h))
		return -1;
	if (h.magic != BH_CTL_MAGIC || h.version != BH_CTL_VERSION ||
	    h.len > BH_CTL_PAYLOAD_MAX || (h.op & (BH_CTL_REPLY | BH_CTL_NOTIFY))) {
		conn_warn(c, "control: malformed header (magic %#x version %u op %u len %u); closing",
			  h.magic, h.version, h.op, h.len);
		return -1;
	}
	/* Not 64 MiB of policy from a peer that may not load one. */
	if (h.op == BH_CTL_FLASK_LOAD && h.len > SS_POLICY_MAX) {
		conn_warn(c, "control: a %u-byte policy is over the limit; closing", h.len);
		return -1;
	}
	if (h.op == BH_CTL_FLASK_LOAD && flask_op_may_load(&c->subj)) {
		conn_warn(c, "control: policy load refused before reading it; closing");
		return -1;
	}
	if (h.op != BH_CTL_FLASK_LOAD && h.len > CONTROL_SMALL_PAYLOAD_MAX) {
		conn_warn(c, "control: a %u-byte request for op %u is over the limit; closing", h.len, h.op);
		return -1;
	}
	if (h.len) {
		in = malloc(h.len);
		if (!in || ctl_read_full(c->fd, in, h.len)) {
			free(in);
			return -1;
		}
	}
	status = dispatch(&c->subj, c, h.op, in, h.len, &out, &out_len);
	free(in);
	conn_drop_fds(c);
	rh = (struct bh_ctl_hdr){ BH_CTL_MAGIC, BH_CTL_VERSION, h.op | BH_CTL_REPLY,
				  (uint32_t)(sizeof(status) + out_len), h.seq };
	rc = ctl_write_full(c->fd, &rh, sizeof(rh));
	if (!rc)
		rc = ctl_write_full(c->fd, &status, sizeof(status));
	if (!rc && out_len)
		rc = ctl_write_full(c->fd, out, out_len);
	free(out);
	return rc ? -1 : 0;
}

/*
 * Each listener has its own CONTROL_MAX_CONNS, so a full service socket
 * never shuts out the control socket or another service's. On each, root
 * and the uid bulkhead started as (the owner) may take every slot; other
 * uids together leave CONTROL_OWNER_RESERVED free for the owner, and each
 * holds at most CONTROL_MAX_CONNS_PER_PEER, so that no one peer can fill
 * what the others share. 0 and the slot taken, or -1.
 */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static bool uid_is_owner(uid_t uid)
{
	return uid == 0 || uid == owner_uid;
}

static int conn_admit(struct listener *l, uid_t uid)
{
	struct peer_slots *p = NULL, *free_entry = NULL;
	int rc = -1;

	pthread_mutex_lock(&slots_lock);
	for (unsigned int i = 0; i < CONTROL_MAX_CONNS; i++) {
		if (l->peers[i].n && l->peers[i].uid == uid)
			p = &l->peers[i];
		else if (!l->peers[i].n && !free_entry)
			free_entry = &l->peers[i];
	}
	if (uid_is_owner(uid)) {
		if (l->active < CONTROL_MAX_CONNS)
			rc = 0;
	} else if (l->active < CONTROL_MAX_CONNS - CONTROL_OWNER_RESERVED &&
		   (p ? p->n : 0) < CONTROL_MAX_CONNS_PER_PEER) {
		rc = 0;
	}
	if (!rc) {
		/* A peer per connection at most: an entry is always free for a new one. */
		if (!p) {
			p = free_entry;
			p->uid = uid;
		}
		p->n++;
		l->active++;
	}
	pthread_mutex_unlock(&slots_lock);
	return rc;
}

static void conn_release(struct listener *l, uid_t uid)
{
	pthread_mutex_lock(&slots_lock);
	for (unsigned int i = 0; i < CONTROL_MAX_CONNS; i++) {
		if (l->peers[i].n && l->peers[i].uid == uid) {
			l->peers[i].n--;
			break;
		}
	}
	l->active--;
	pthread_mutex_unlock(&slots_lock);
}

static uid_t peer_uid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ? (uid_t)-1 : cred.uid;
}

struct conn_start {
	int fd;
	uid_t uid;
	struct listener *l;
};

static const char *listener_path(const struct listener *l)
{
	return l->path;
}

static void *conn_thread(void *arg)
{
	struct conn_start *cs = arg;
	struct control_conn c = { .fd = cs->fd, .l = cs->l, .uid = cs->uid };
	struct listener *l = cs->l;
	bool spoke = false;
	int rc;

	if (l == &listeners[0])
		rc = peer_subject(c.fd, &c.subj);
	else
		rc = ss_context_to_sid(l->ctx, strlen(l->ctx), &c.subj.sid);
	free(cs);
	if (rc) {
		conn_warn(&c, "control: connection refused: no label for it (%s)", strerror(-rc));
		goto out;
	}
	for (;;) {
		struct pollfd p[2] = { { c.fd, POLLIN, 0 }, { c.svc ? c.svc->notify_fd : -1, POLLIN, 0 } };
		/* A connection that never sends a request gives its slot back. */
		int n = poll(p, 2, spoke ? -1 : CONTROL_IO_TIMEOUT_S * 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		if ((p[1].revents & POLLIN) && send_events(&c))
			break;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (serve_request(&c))
				break;
			spoke = true;
		}
	}
out:
	if (c.svc) {
		service_close(c.svc);
		service_put(c.svc);
	}
	conn_drop_fds(&c);
	close(c.fd);
	conn_release(l, c.uid);
	return NULL;
}

/*
 * Out of fds (or memory), accept4 fails at once for as long as a
 * connection waits in the backlog: back off, doubling up to a quarter of a
 * second, rather than spin, until something frees one.
 */
static void accept_backoff(struct listener *l, unsigned int *ms)
{
	struct timespec ts;

	if (!*ms)
		log_warn("control: %s: cannot accept: %s; backing off", l->path, strerror(errno));
	*ms = *ms ? (*ms * 2 > 250 ? 250 : *ms * 2) : 10;
	ts = (struct timespec){ 0, (long)*ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void *accept_loop(void *arg)
{
	struct listener *l = arg;
	unsigned int backoff_ms = 0;

	for (;;) {
		struct timeval tv = { CONTROL_IO_TIMEOUT_S, 0 };
		struct conn_start *cs;
		pthread_attr_t attr;
		pthread_t t;
		uid_t uid;
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				accept_backoff(l, &backoff_ms);
				continue;
			}
			return NULL; /* the socket was shut down */
		}
		backoff_ms = 0;
		uid = peer_uid(fd);
		if (conn_admit(l, uid)) {
			close(fd);
			continue;
		}
		/* A client that stops mid-message loses its connection, not a thread forever. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		cs = malloc(sizeof(*cs));
		if (!cs) {
			conn_release(l, uid);
			close(fd);
			continue;
		}
		cs->fd = fd;
		cs->uid = uid;
		cs->l = l;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, conn_thread, cs)) {
			conn_release(l, uid);
			close(fd);
			free(cs);
		}
		pthread_attr_destroy(&attr);
	}
}

static int listen_one(struct listener *l, const char *path, char *err, size_t errlen)
{
	/* A queue as deep as the connections served, as bh-xenstored's: a burst waits there. */
	int fd = unix_listen(path, CONTROL_MAX_CONNS, 0, err, errlen);

	if (fd < 0)
		return -1;
	l->fd = fd;
	snprintf(l->path, sizeof(l->path), "%s", path);
	return 0;
}

int control_listen(const char *path, char *err, size_t errlen)
{
	owner_uid = getuid();
	return listen_one(&listeners[0], path, err, errlen);
}

int control_listen_services(char *err, size_t errlen)
{
	for (unsigned int i = 1; i < nr_listeners; i++) {
		char path[sizeof(listeners[i].path)];
		uint32_t sid;

		if (ss_context_to_sid(listeners[i].ctx, strlen(listeners[i].ctx), &sid)) {
			snprintf(err, errlen, "--service %s: '%s' is not a context in the policy",
				 listeners[i].path, listeners[i].ctx);
			return -1;
		}
		memcpy(path, listeners[i].path, sizeof(path));
		if (listen_one(&listeners[i], path, err, errlen))
			return -1;
	}
	return 0;
}

int control_fds(int *fds, int max)
{
	int n = 0;

	for (unsigned int i = 0; i < nr_listeners && n < max; i++)
		if (listeners[i].fd >= 0)
			fds[n++] = listeners[i].fd;
	return n;
}

int control_fd(void)
{
	return listeners[0].fd;
}

int control_serve(char *err, size_t errlen)
{
	for (unsigned int i = 0; i < nr_listeners; i++) {
		struct listener *l = &listeners[i];

		if (l->fd < 0)
			continue;
		if (pthread_create(&l->thread, NULL, accept_loop, l)) {
			snprintf(err, errlen, "pthread_create: %s", strerror(errno));
			return -1;
		}
		l->serving = true;
	}
	return 0;
}

void control_stop(void)
{
	for (unsigned int i = 0; i < nr_listeners; i++) {
		struct listener *l = &listeners[i];

		if (l->fd < 0)
			continue;
		shutdown(l->fd, SHUT_RDWR);
		if (l->serving)
			pthread_join(l->thread, NULL);
		close(l->fd);
		unlink(l->path);
		l->fd = -1;
	}
}
