/* A XenStore client for the toolstack. See xs_client.h. */
#include "xs_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#include "ctl_io.h"

const char *xs_socket_path(const char *path)
{
	const char *env = getenv("XENSTORED_PATH");

	if (path && path[0])
		return path;
	if (env && env[0])
		return env;
	return "/run/xenstored/socket";
}

int xs_open(const char *path)
{
	return unix_connect(xs_socket_path(path));
}

int xs_errno(const char *name)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (!strcmp(xsd_errors[i].errstring, name))
			return xsd_errors[i].errnum;
	return EINVAL;
}

int xs_request(int fd, uint32_t type, uint32_t tx, const void *payload, size_t len,
	       char **reply, size_t *rlen)
{
	static uint32_t req_id;
	struct xsd_sockmsg m = { type, ++req_id, tx, (uint32_t)len };
	char *buf;

	if (reply)
		*reply = NULL;
	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	if (ctl_write_full(fd, &m, sizeof(m)) || (len && ctl_write_full(fd, payload, len)))
		return -EIO;
	for (;;) {
		if (ctl_read_full(fd, &m, sizeof(m)))
			return -EIO;
		if (m.len > XENSTORE_PAYLOAD_MAX)
			return -EPROTO;
		buf = malloc(m.len + 1);
		if (!buf || (m.len && ctl_read_full(fd, buf, m.len))) {
			free(buf);
			return -EIO;
		}
		buf[m.len] = 0;
		if (m.type != XS_WATCH_EVENT)
			break;
		free(buf);
	}
	if (m.req_id != req_id) {
		free(buf);
		return -EPROTO;
	}
	if (m.type == XS_ERROR) {
		int e = xs_errno(buf);

		free(buf);
		return -e;
	}
	if (m.type != type) {
		free(buf);
		return -EPROTO;
	}
	if (reply) {
		*reply = buf;
		if (rlen)
			*rlen = m.len;
	} else {
		free(buf);
	}
	return 0;
}

int xs_write(int fd, const char *path, const char *value)
{
	size_t pl = strlen(path) + 1, vl = strlen(value);
	char buf[XENSTORE_PAYLOAD_MAX];

	if (pl + vl > sizeof(buf))
		return -E2BIG;
	memcpy(buf, path, pl);
	memcpy(buf + pl, value, vl);
	return xs_request(fd, XS_WRITE, 0, buf, pl + vl, NULL, NULL);
}

int xs_read(int fd, const char *path, char **value)
{
	return xs_request(fd, XS_READ, 0, path, strlen(path) + 1, value, NULL);
}

int xs_rm(int fd, const char *path)
{
	return xs_request(fd, XS_RM, 0, path, strlen(path) + 1, NULL, NULL);
}

int xs_set_perms(int fd, const char *path, const char *perms, size_t len)
{
	size_t pl = strlen(path) + 1;
	char buf[XENSTORE_PAYLOAD_MAX];

	if (pl + len > sizeof(buf))
		return -E2BIG;
	memcpy(buf, path, pl);
	memcpy(buf + pl, perms, len);
	return xs_request(fd, XS_SET_PERMS, 0, buf, pl + len, NULL, NULL);
}

int xs_introduce(int fd, unsigned int domid, uint64_t mfn, unsigned int port)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "%u%c%llu%c%u", domid, 0, (unsigned long long)mfn, 0,
			 port);

	return xs_request(fd, XS_INTRODUCE, 0, buf, n + 1, NULL, NULL);
}

int xs_release(int fd, unsigned int domid)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u", domid);

	return xs_request(fd, XS_RELEASE, 0, buf, n + 1, NULL, NULL);
}

static int watch_op(int fd, uint32_t type, const char *path, const char *token)
{
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	char buf[XENSTORE_PAYLOAD_MAX];

	if (pl + tl > sizeof(buf))
		return -E2BIG;
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	return xs_request(fd, type, 0, buf, pl + tl, NULL, NULL);
}

int xs_watch(int fd, const char *path, const char *token)
{
	return watch_op(fd, XS_WATCH, path, token);
}

int xs_unwatch(int fd, const char *path, const char *token)
{
	return watch_op(fd, XS_UNWATCH, path, token);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int xs_wait_watch(int fd, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct xsd_sockmsg m;
	char buf[XENSTORE_PAYLOAD_MAX];
	int left, n;

	for (;;) {
		left = timeout_ms < 0 ? -1 : (int)(deadline - now_ms());
		if (timeout_ms >= 0 && left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		if (n == 0)
			continue;
		if (ctl_read_full(fd, &m, sizeof(m)))
			return -EIO;
		if (m.len > XENSTORE_PAYLOAD_MAX || (m.len && ctl_read_full(fd, buf, m.len)))
			return -EPROTO;
		/* No request is outstanding, so nothing but an event may arrive. */
		return m.type == XS_WATCH_EVENT ? 0 : -EPROTO;
	}
}
