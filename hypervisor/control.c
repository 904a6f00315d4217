/* The control socket. See control.h. */
#include "control.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_io.h"
#include "log.h"

struct control_label {
	uid_t uid;
	char ctx[BH_CTL_STRING_MAX];
};

static struct control_label labels[CONTROL_MAX_LABELS];
static unsigned int nr_labels;
static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pthread_t accept_thread;
static bool serving;
static int active_conns; /* atomic */

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

struct reply {
	uint8_t *buf;
	size_t len;
};

static int reply_put(struct reply *r, const void *p, size_t n)
{
	uint8_t *nb = realloc(r->buf, r->len + n);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + r->len, p, n);
	r->buf = nb;
	r->len += n;
	return 0;
}

static int get_u32(const uint8_t *in, size_t len, uint32_t *v)
{
	if (len != sizeof(*v))
		return -EINVAL;
	memcpy(v, in, sizeof(*v));
	return 0;
}

static int op_load(const struct flask_subject *s, const uint8_t *in, size_t len, struct reply *r)
{
	char err[256];
	int rc;

	(void)r;
	rc = flask_op_load(s, in, len, err, sizeof(err));
	if (rc && rc != -EACCES)
		log_warn("control: policy load refused: %s", err);
	return rc;
}

static int op_getenforce(const struct flask_subject *s, const uint8_t *in, size_t len,
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

static int op_setenforce(const struct flask_subject *s, const uint8_t *in, size_t len,
			 struct reply *r)
{
	uint32_t v;

	(void)r;
	if (get_u32(in, len, &v))
		return -EINVAL;
	return flask_op_setenforce(s, v > 1 ? 2 : (int)v);
}

static int op_context_to_sid(const struct flask_subject *s, const uint8_t *in, size_t len,
			     struct reply *r)
{
	uint32_t sid;
	int rc;

	if (len == 0 || len > SS_CONTEXT_MAX)
		return -EINVAL;
	rc = flask_op_context_to_sid(s, (const char *)in, len, &sid);
	return rc ? rc : reply_put(r, &sid, sizeof(sid));
}

static int op_sid_to_context(const struct flask_subject *s, const uint8_t *in, size_t len,
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

static int op_access(const struct flask_subject *s, const uint8_t *in, size_t len,
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

static int op_getbool(const struct flask_subject *s, const uint8_t *in, size_t len,
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

static int op_setbool(const struct flask_subject *s, const uint8_t *in, size_t len,
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

static int op_commitbools(const struct flask_subject *s, const uint8_t *in, size_t len,
			  struct reply *r)
{
	(void)in;
	(void)r;
	return len ? -EINVAL : flask_op_commitbools(s);
}

static int op_avc_stats(const struct flask_subject *s, const uint8_t *in, size_t len,
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

static int op_policyvers(const struct flask_subject *s, const uint8_t *in, size_t len,
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

typedef int (*control_fn)(const struct flask_subject *s, const uint8_t *in, size_t len,
			  struct reply *r);

static const struct {
	control_fn fn;
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
};

const char *control_op_name(uint16_t op)
{
	return op < BH_CTL_OP_MAX ? control_ops[op].name : NULL;
}

int32_t control_dispatch(const struct flask_subject *s, uint16_t op, const uint8_t *in,
			 size_t in_len, uint8_t **out, size_t *out_len)
{
	struct reply r = { NULL, 0 };
	int rc;

	*out = NULL;
	*out_len = 0;
	if (op >= BH_CTL_OP_MAX || !control_ops[op].fn)
		return -ENOSYS;
	rc = control_ops[op].fn(s, in, in_len, &r);
	if (rc) {
		free(r.buf);
		return rc;
	}
	*out = r.buf;
	*out_len = r.len;
	return 0;
}

/* ---- connections ------------------------------------------------------------- */

static void *conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct flask_subject subj;
	struct bh_ctl_hdr h;
	int rc = peer_subject(fd, &subj);

	if (rc) {
		log_warn("control: connection refused: no label for its uid (%s)", strerror(-rc));
		goto out;
	}
	while (ctl_read_full(fd, &h, sizeof(h)) == 0) {
		uint8_t *in = NULL, *out = NULL;
		size_t out_len = 0;
		struct bh_ctl_hdr rh;
		int32_t status;

		if (h.magic != BH_CTL_MAGIC || h.version != BH_CTL_VERSION ||
		    h.len > BH_CTL_PAYLOAD_MAX || (h.op & BH_CTL_REPLY)) {
			log_warn("control: malformed header (magic %#x version %u op %u len %u); closing",
				 h.magic, h.version, h.op, h.len);
			break;
		}
		/* Not 64 MiB of policy from a peer that may not load one. */
		if (h.op == BH_CTL_FLASK_LOAD && h.len > SS_POLICY_MAX) {
			log_warn("control: a %u-byte policy is over the limit; closing", h.len);
			break;
		}
		if (h.op == BH_CTL_FLASK_LOAD && flask_op_may_load(&subj)) {
			log_warn("control: policy load refused before reading it; closing");
			break;
		}
		if (h.len) {
			in = malloc(h.len);
			if (!in || ctl_read_full(fd, in, h.len)) {
				free(in);
				break;
			}
		}
		status = control_dispatch(&subj, h.op, in, h.len, &out, &out_len);
		free(in);
		rh = (struct bh_ctl_hdr){ BH_CTL_MAGIC, BH_CTL_VERSION, h.op | BH_CTL_REPLY,
					  (uint32_t)(sizeof(status) + out_len), h.seq };
		rc = ctl_write_full(fd, &rh, sizeof(rh));
		if (!rc)
			rc = ctl_write_full(fd, &status, sizeof(status));
		if (!rc && out_len)
			rc = ctl_write_full(fd, out, out_len);
		free(out);
		if (rc)
			break;
	}
out:
	close(fd);
	__atomic_sub_fetch(&active_conns, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *accept_loop(void *arg)
{
	(void)arg;
	for (;;) {
		struct timeval tv = { CONTROL_IO_TIMEOUT_S, 0 };
		pthread_attr_t attr;
		pthread_t t;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				continue;
			return NULL; /* the socket was shut down */
		}
		if (__atomic_add_fetch(&active_conns, 1, __ATOMIC_RELAXED) > CONTROL_MAX_CONNS) {
			__atomic_sub_fetch(&active_conns, 1, __ATOMIC_RELAXED);
			close(fd);
			continue;
		}
		/* A client that stops mid-message loses its connection, not a thread forever. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, conn_thread, (void *)(intptr_t)fd)) {
			__atomic_sub_fetch(&active_conns, 1, __ATOMIC_RELAXED);
			close(fd);
		}
		pthread_attr_destroy(&attr);
	}
}

/* mkdir -p for the socket's directory, 0700 for what we create. */
static int make_parent(const char *path)
{
	char dir[sizeof(sock_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0700) && errno != EEXIST ? -1 : 0;
}

int control_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (make_parent(path)) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", path, strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A live bulkhead answers on it; a stale socket file does not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		snprintf(err, errlen, "%s: another bulkhead is serving it", path);
		close(fd);
		return -1;
	}
	unlink(path);
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		umask(old);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	listen_fd = fd;
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	return 0;
}

int control_fd(void)
{
	return listen_fd;
}

int control_serve(char *err, size_t errlen)
{
	if (listen_fd < 0)
		return 0;
	if (pthread_create(&accept_thread, NULL, accept_loop, NULL)) {
		snprintf(err, errlen, "pthread_create: %s", strerror(errno));
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
		return -1;
	}
	serving = true;
	return 0;
}

void control_stop(void)
{
	if (listen_fd < 0)
		return;
	shutdown(listen_fd, SHUT_RDWR);
	if (serving)
		pthread_join(accept_thread, NULL);
	close(listen_fd);
	unlink(sock_path);
	listen_fd = -1;
}
