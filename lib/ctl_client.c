/* The control-socket client. See ctl_client.h. */
#include "ctl_client.h"
#include "ctl_io.h"

#include <errno.h>
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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int ctl_call(int fd, uint16_t op, const void *in, size_t in_len, uint8_t **out,
	     size_t *out_len)
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
	if (ctl_write_full(fd, &h, sizeof(h)) || (in_len && ctl_write_full(fd, in, in_len)))
		return -EIO;
	if (ctl_read_full(fd, &h, sizeof(h)))
		return -EIO;
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
