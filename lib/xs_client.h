/*
 * A XenStore client over xenstored's Unix socket (xen/io/xs_wire.h), for
 * the toolstack. One request at a time. Watch events that arrive while a
 * request waits for its reply are dropped: a caller that watches reads the
 * nodes again after each event it does receive (xs_wait_watch), so a
 * dropped event never hides a change that the following reads would miss.
 */
#ifndef BH_XS_CLIENT_H
#define BH_XS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* The socket: path if given, else $XENSTORED_PATH, else /run/xenstored/socket. */
const char *xs_socket_path(const char *path);
/* Connect; the fd, or -errno. */
int xs_open(const char *path);

/*
 * One request. 0, or -errno: the server's error by name (ENOENT, EACCES,
 * ...), or -EIO/-EPROTO when the exchange failed. *reply (malloc'd,
 * NUL-terminated past *len) when reply is not NULL.
 */
int xs_request(int fd, uint32_t type, uint32_t tx, const void *payload, size_t len,
	       char **reply, size_t *rlen);

int xs_write(int fd, const char *path, const char *value);
int xs_read(int fd, const char *path, char **value);
int xs_rm(int fd, const char *path);
/* perms: NUL-separated, e.g. "n0\0r5" with its total length. */
int xs_set_perms(int fd, const char *path, const char *perms, size_t len);
int xs_introduce(int fd, unsigned int domid, uint64_t mfn, unsigned int port);
int xs_release(int fd, unsigned int domid);

int xs_watch(int fd, const char *path, const char *token);
int xs_unwatch(int fd, const char *path, const char *token);
/*
 * Wait up to timeout_ms (-1: forever) for one watch event and discard it:
 * 0, -ETIMEDOUT, or -EIO/-EPROTO when the connection failed.
 */
int xs_wait_watch(int fd, int timeout_ms);

/* The errno of an xsd_errors name, or EINVAL. */
int xs_errno(const char *name);

#endif
