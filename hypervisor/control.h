/*
 * The control socket (include/bulkhead/control.h, docs/control-protocol.md).
 *
 * bulkhead listens on a Unix stream socket. Each connection is served by
 * its own thread, with a Flask label chosen by the peer's uid
 * (SO_PEERCRED) from --control-label, root being dom0 by default. Every
 * request is checked by a hook before it acts: today the FLASK operations,
 * each checked in flask.c.
 *
 * control_dispatch() is the whole request path after framing; tests call
 * it directly. The ops themselves are in ctl_flask.c, ctl_domain.c and
 * ctl_service.c (ctl_ops.h); control.c keeps the socket, the
 * framing and the dispatch table.
 */
#ifndef BH_CONTROL_H
#define BH_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <bulkhead/control.h>

#include "flask.h"
#include "xlcfg.h"

#define CONTROL_MAX_CONNS 32 /* per listening socket */
#define CONTROL_OWNER_RESERVED 4 /* of those, only root's and bulkhead's own uid's */
#define CONTROL_MAX_CONNS_PER_PEER 16 /* per socket, for a uid that is not the owner */
#define CONTROL_MAX_LABELS 16
#define CONTROL_IO_TIMEOUT_S 10
#define CONTROL_MAX_SERVICE_SOCKETS 8
/* The most fds one request carries: a create's kernel and ramdisk. */
#define CONTROL_MAX_PASSED_FDS 2
/* Every request but a policy load is small: a config and its KEY=VALUE lines are at most 64 KiB each. */
#define CONTROL_SMALL_PAYLOAD_MAX (2 * XLCFG_TEXT_MAX + 8192)

/* --control-label UID=CONTEXT; 0 or -1 with a message. */
int control_add_label(const char *spec, char *err, size_t errlen);

/* The default path: /run/bulkhead/control.sock, or $XDG_RUNTIME_DIR/bulkhead/ when not root. */
const char *control_default_path(void);

/*
 * Listen on path (set-up: creates the socket), then, once the process is
 * confined, serve connections from a thread. Each: 0 or -1 with a message.
 */
int control_listen(const char *path, char *err, size_t errlen);
int control_serve(char *err, size_t errlen);
int control_fd(void); /* the listening socket, or -1 */
/* --service PATH=CONTEXT: one more socket whose connections all get CONTEXT. */
int control_add_service_socket(const char *spec, char *err, size_t errlen);
/* After the policy is loaded (the contexts must exist): listen on each. */
int control_listen_services(char *err, size_t errlen);
/* Every listening socket, for the fds hardening keeps; their count. */
int control_fds(int *fds, int max);
void control_stop(void);

/*
 * One request: op and payload in, status and reply payload out (*out is
 * malloc'd, *out_len bytes; may be NULL/0). Returns the status.
 */
int32_t control_dispatch(const struct flask_subject *s, uint16_t op, const uint8_t *in,
			 size_t in_len, uint8_t **out, size_t *out_len);

/* Number of ops in the table and the name of each, for the coverage test. */
const char *control_op_name(uint16_t op);

#endif
