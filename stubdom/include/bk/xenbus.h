/*
 * XenStore client (xenbus), guest side.
 *
 * Owns the domain's xenstore ring page (HVM_PARAM_STORE_PFN) and its event
 * channel (HVM_PARAM_STORE_EVTCHN), which xenstored has bound already. The
 * wire is Xen's (xen/io/xs_wire.h): struct xsd_sockmsg and its payload,
 * through the req and rsp rings. The server replies in order; watch events
 * can arrive between replies at any time and are queued here (a bounded
 * queue: events that do not fit are dropped and counted).
 *
 * Everything the server writes into the page is hostile: an index that
 * claims more than a ring's worth of data, or a message longer than
 * XENSTORE_PAYLOAD_MAX, breaks the connection for good (-XEN_EIO from
 * then on). Nothing is ever read or written outside the rings.
 *
 * Callers: one CPU at a time, and never from an event handler; there is
 * one request in flight. Waiting blocks on the event channel
 * (wait_event), up to the timeout that xenbus_set_timeout sets.
 *
 * Errors are negative Xen errnos (xen/errno.h): the server's XS_ERROR
 * strings map to theirs ("EACCES" is -XEN_EACCES); -XEN_ENODEV means there
 * is no xenstore, -XEN_ETIMEDOUT that the server did not answer in time,
 * -XEN_EIO that the ring is broken, -XEN_ERANGE that a reply did not fit
 * the caller's buffer, -XEN_E2BIG that a request does not fit the wire.
 *
 * Paths without a leading '/' are relative to the domain's own tree,
 * /local/domain/<domid>; the server resolves them, and reports watch
 * events on relative watches with relative paths.
 */
#ifndef BK_XENBUS_H
#define BK_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/errno.h>
#include <xen/xen.h>
#include <xen/io/xs_wire.h>

typedef uint32_t xs_transaction_t;
#define XBT_NULL ((xs_transaction_t)0)

/*
 * Find the ring and its port and start using them. 0, or -XEN_ENODEV if
 * the domain has no xenstore (STORE_PFN 0, no port, or the params are
 * refused). Idempotent.
 */
int xenbus_init(void);
bool xenbus_present(void);
/* The reply timeout in ns for each request; 0 waits forever. Default 10 s. */
void xenbus_set_timeout(uint64_t ns);
/* This domain's id (the Xen CPUID leaf, else the "domid" node). */
domid_t xenbus_domid(void);
/* "EACCES" for -XEN_EACCES (any sign), "E?" for what has no name. */
const char *xenbus_strerror(int err);
/* Watch events dropped because the queue was full, or malformed. */
uint64_t xenbus_watch_dropped(void);

/*
 * One raw request: type, transaction, payload as is (no terminator added).
 * On success, the reply's type goes to *reply_type (if given) and its
 * payload to reply (if given), NUL-terminated; *reply_len is the buffer's
 * size on entry and the payload length on return. An XS_ERROR reply is
 * returned as its errno. 0 or -errno.
 */
int xenbus_request(uint32_t type, xs_transaction_t tx, const void *payload, size_t len,
		   void *reply, size_t *reply_len, uint32_t *reply_type);

/* XS_READ: the value's length (>= 0, NUL-terminated in buf) or -errno. */
int xs_read(xs_transaction_t tx, const char *path, char *buf, size_t size);
/* XS_WRITE of a string value, or of len bytes. */
int xs_write(xs_transaction_t tx, const char *path, const char *value);
int xs_write_bytes(xs_transaction_t tx, const char *path, const void *value, size_t len);
int xs_mkdir(xs_transaction_t tx, const char *path);
/* XS_RM: removes the subtree. */
int xs_rm(xs_transaction_t tx, const char *path);
/*
 * XS_DIRECTORY: the number of children, their names one after another
 * in buf, each NUL-terminated.
 */
int xs_directory(xs_transaction_t tx, const char *path, char *buf, size_t size);

/* One permission entry: 'n' none, 'r' read, 'w' write, 'b' both. */
struct xs_perm {
	domid_t id;
	char perm;
};
/* The first entry names the owner; its perm applies to all other domains. */
int xs_get_perms(xs_transaction_t tx, const char *path, struct xs_perm *perms, unsigned int max);
int xs_set_perms(xs_transaction_t tx, const char *path, const struct xs_perm *perms,
		 unsigned int n);

/* The server fires one event at once on XS_WATCH, then one per change. */
int xs_watch(const char *path, const char *token);
int xs_unwatch(const char *path, const char *token);
/* XS_RESET_WATCHES: drop every watch and transaction; also empties the queue. */
int xs_reset_watches(void);
/*
 * The next watch event: its path and token, NUL-terminated (cut to the
 * buffers). Waits until system time `deadline` (0: forever). 0,
 * -XEN_ETIMEDOUT, or -errno if the connection is gone.
 */
int xs_read_watch(char *path, size_t psize, char *token, size_t tsize, uint64_t deadline);

int xs_transaction_start(xs_transaction_t *tx);
/* Commit (abort false) or abort: -XEN_EAGAIN when a commit lost a race. */
int xs_transaction_end(xs_transaction_t tx, bool abort);

int xs_get_domain_path(domid_t domid, char *buf, size_t size);
/* 1 or 0, or -errno (a guest gets -XEN_EACCES from Xen's xenstored). */
int xs_is_domain_introduced(domid_t domid);

/*
 * Clean shutdown, as Linux does it. xenbus_shutdown_watch_start writes
 * control/feature-poweroff and control/feature-reboot = "1" (a failure is
 * printed, not fatal) and watches control/shutdown. Each event passes to
 * xenbus_shutdown_event: if the event is the shutdown watch's and
 * control/shutdown holds "poweroff", "halt" or "reboot", it writes ""
 * back in a transaction, prints
 *     "shutdown: poweroff requested" (or "halt", "reboot")
 * and shuts the domain down (SHUTDOWN_poweroff; reboot: SHUTDOWN_reboot).
 * Another value is printed ("shutdown: ignoring request VALUE") and left
 * alone. It returns whether the event was the shutdown watch's.
 */
int xenbus_shutdown_watch_start(void);
bool xenbus_shutdown_event(const char *path, const char *token);
/*
 * Block forever on xenstore events, acting on control/shutdown; other
 * watch events are dropped. Without xenstore (or with a broken ring) it
 * blocks forever on nothing.
 */
void xenbus_idle(void) __attribute__((noreturn));

#endif
