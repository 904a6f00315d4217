/*
 * Whole-buffer reads and writes on a control-socket connection, for both
 * ends (hypervisor/control.c and lib/ctl_client.c), and the XenStore
 * socket's clients. Writes never raise
 * SIGPIPE. Each returns 0, or -1 if the peer went away or an error (or a
 * socket timeout) stopped it part-way.
 */
#ifndef BH_CTL_IO_H
#define BH_CTL_IO_H

#include <stddef.h>

int ctl_read_full(int fd, void *buf, size_t len);
int ctl_write_full(int fd, const void *buf, size_t len);

/* Connect to the Unix stream socket at path (close-on-exec): the fd, or -errno. */
int unix_connect(const char *path);

/*
 * Listen on a Unix stream socket at path, for a daemon: create missing
 * parent directories (0700), refuse when something that is not a socket is
 * there or a live server answers on it, replace a stale socket, and bind
 * with umask 077. sock_flags are added to SOCK_STREAM|SOCK_CLOEXEC (e.g.
 * SOCK_NONBLOCK). The fd, or -1 with the reason in err.
 */
int unix_listen(const char *path, int backlog, int sock_flags, char *err, size_t errlen);

#endif
