/* The control-socket client. See ctl_client.h. */
#include "ctl_client.h"
#include "ctl_io.h"
#include "xlcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

const char *ctl_socket_path(const char *path)
{
	static char buf[4096];
	const char *env = getenv("BULKHEAD_SOCKET"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (path && path[0])
		return path;
	if (env && env[0])
		return env;
	if (geteuid() != 0 && xdg && xdg[0]) {
		snprintf(buf, sizeof(buf), "%s/bulkhead/control.sock", xdg);
		return buf;
	}
	return "/run/bulkhead/control.sock";
}

int ctl_connect(const char *path)
{
	return unix_connect(path);
}

static ctl_notify_fn notify_fn;
static void *notify_arg;

void ctl_set_notify(ctl_notify_fn fn, void *arg)
{
	notify_fn = fn;
	notify_arg = arg;
}

int ctl_read_notify(int fd, const struct bh_ctl_hdr *h)
{
	uint8_t *buf = NULL;

	if (!(h->op & BH_CTL_NOTIFY) || h->len > BH_CTL_STRING_MAX * 4)
		return -EPROTO;
	if (h->len) {
		buf = malloc(h->len);
		if (!buf || ctl_read_full(fd, buf, h->len)) {
			free(buf);
			return -EIO;
		}
	}
	if (notify_fn)
		notify_fn(notify_arg, h->op & ~BH_CTL_NOTIFY, buf, h->len);
	free(buf);
	return 0;
}

int ctl_open_images(const struct xlcfg *cfg, int fds[CTL_MAX_FDS], char *err, size_t errlen)
{
	const char *path[CTL_MAX_FDS] = { cfg->kernel, cfg->ramdisk };
	int n = 0;

	for (int i = 0; i < CTL_MAX_FDS && path[i][0]; i++) {
		fds[n] = open(path[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fds[n] < 0) {
			snprintf(err, errlen, "%s: %s", path[i], strerror(errno));
			while (n > 0)
				close(fds[--n]);
			return -1;
		}
		n++;
	}
	return n;
}

/* The header and payload in one sendmsg, with nfds fds (SCM_RIGHTS). */
static int send_request(int fd, const struct bh_ctl_hdr *h, const void *in, size_t in_len,
			const int *fds, unsigned int nfds)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(CTL_MAX_FDS * sizeof(int))];
	} cm;
	struct iovec iov[2] = { { (void *)h, sizeof(*h) }, { (void *)in, in_len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = in_len ? 2 : 1 };
	ssize_t n;

	if (!nfds)
		return ctl_write_full(fd, h, sizeof(*h)) || (in_len && ctl_write_full(fd, in, in_len));
	if (nfds > CTL_MAX_FDS)
		return -1;
	memset(&cm, 0, sizeof(cm));
	m.msg_control = cm.buf;
	m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), fds, nfds * sizeof(int));
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	/* The rest, if the socket took only part: the fd went with the first byte. */
	if ((size_t)n < sizeof(*h))
		return ctl_write_full(fd, (const uint8_t *)h + n, sizeof(*h) - n) ||
		       (in_len && ctl_write_full(fd, in, in_len));
	n -= sizeof(*h);
	return (size_t)n < in_len && ctl_write_full(fd, (const uint8_t *)in + n, in_len - n);
}

int ctl_call(int fd, uint16_t op, const void *in, size_t in_len, uint8_t **out,
	     size_t *out_len)
{
	return ctl_call_fd(fd, op, in, in_len, -1, out, out_len);
}

int ctl_call_fd(int fd, uint16_t op, const void *in, size_t in_len, int passfd, uint8_t **out,
		size_t *out_len)
{
	return ctl_call_fds(fd, op, in, in_len, &passfd, passfd >= 0, out, out_len);
}

int ctl_call_fds(int fd, uint16_t op, const void *in, size_t in_len, const int *fds,
		 unsigned int nfds, uint8_t **out, size_t *out_len)
{
	static uint32_t seq;
	struct bh_ctl_hdr h = { BH_CTL_MAGIC, BH_CTL_VERSION, op, (uint32_t)in_len, ++seq };
	int32_t status;
	uint8_t *buf = NULL;
	size_t n;

	if (out)
		*out = NULL;
	if (out_len)
		*out_len = 0;
	if (in_len > BH_CTL_PAYLOAD_MAX)
		return -E2BIG;
	if (send_request(fd, &h, in, in_len, fds, nfds))
		return -EIO;
	for (;;) {
		if (ctl_read_full(fd, &h, sizeof(h)))
			return -EIO;
		if (h.magic != BH_CTL_MAGIC || !(h.op & BH_CTL_NOTIFY))
			break;
		/* An event for a service that arrived before the reply. */
		if (ctl_read_notify(fd, &h))
			return -EPROTO;
	}
	if (h.magic != BH_CTL_MAGIC || h.version != BH_CTL_VERSION ||
	    h.op != (op | BH_CTL_REPLY) || h.seq != seq || h.len < sizeof(status) ||
	    h.len > BH_CTL_PAYLOAD_MAX)
		return -EPROTO;
	if (ctl_read_full(fd, &status, sizeof(status)))
		return -EIO;
	n = h.len - sizeof(status);
	if (n) {
		buf = malloc(n);
		if (!buf || ctl_read_full(fd, buf, n)) {
			free(buf);
			return -EIO;
		}
	}
	if (out) {
		*out = buf;
		*out_len = n;
	} else {
		free(buf);
	}
	return status;
}
