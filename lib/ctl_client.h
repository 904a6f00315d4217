/*
 * A client of bulkhead's control socket (include/bulkhead/control.h), for
 * bh and the host services. One request at a time per connection.
 */
#ifndef BH_CTL_CLIENT_H
#define BH_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <bulkhead/control.h>

/* The socket path: path if given, else $BULKHEAD_SOCKET, else the default. */
const char *ctl_socket_path(const char *path);

/* Connect; the fd, or -errno. */
int ctl_connect(const char *path);

/*
 * Send one request and read its reply. Returns the reply's status (0 or
 * -errno from bulkhead), or -EPROTO/-EIO when the exchange itself failed.
 * *out (malloc'd, may be NULL) and *out_len receive the reply payload.
 */
int ctl_call(int fd, uint16_t op, const void *in, size_t in_len, uint8_t **out,
	     size_t *out_len);

/* The same, passing passfd along with the request (SCM_RIGHTS): an arena's memfd. */
int ctl_call_fd(int fd, uint16_t op, const void *in, size_t in_len, int passfd, uint8_t **out,
		size_t *out_len);
/* The same with nfds fds (at most CTL_MAX_FDS), in order: a create's images. */
#define CTL_MAX_FDS 2
int ctl_call_fds(int fd, uint16_t op, const void *in, size_t in_len, const int *fds,
		 unsigned int nfds, uint8_t **out, size_t *out_len);

/*
 * DOMAIN_CREATE's images: open the kernel and, if cfg names one, the
 * ramdisk, with the caller's own rights, for ctl_call_fds. bulkhead reads
 * them through these fds and never opens a path a client names
 * (docs/control-protocol.md). O_NONBLOCK | O_NOCTTY, so that opening a
 * FIFO does not block the caller; bulkhead refuses anything but a regular
 * file. Returns how many (1 or 2), or -1 with "PATH: reason" in err.
 */
struct xlcfg;
int ctl_open_images(const struct xlcfg *cfg, int fds[CTL_MAX_FDS], char *err, size_t errlen);

/*
 * Services get notifications (BH_CTL_NOTIFY) between replies. ctl_call
 * hands any it meets to fn; a service's own loop reads a header and calls
 * ctl_read_notify for one that has BH_CTL_NOTIFY set. That loop must not
 * trust a readiness it saw before a ctl_call: the call may have taken the
 * notification, and the socket blocks (check without blocking first).
 */
typedef void (*ctl_notify_fn)(void *arg, uint16_t event, const uint8_t *payload, size_t len);
void ctl_set_notify(ctl_notify_fn fn, void *arg);
int ctl_read_notify(int fd, const struct bh_ctl_hdr *h);

#endif
