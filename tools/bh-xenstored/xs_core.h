/*
 * bh-xenstored's store: Xen's XenStore (docs/misc/xenstore.txt, the wire
 * format of xen/io/xs_wire.h), without any transport. A transport (the Unix
 * socket in main.c, the hypervisor ring in xs_ring.c) creates one xs_conn
 * per peer, feeds it the bytes the peer sent and writes back what
 * xs_conn_output() holds. docs/xenstore.md lists the messages, the
 * permission rules, the quotas and where this differs from Xen's xenstored.
 *
 * Everything a connection sends is hostile: the core bounds every
 * allocation (per-domain quotas, and one memory cap for the whole store)
 * and never recurses on guest-controlled data.
 *
 * Single-threaded: one thread calls everything here. Callbacks (the ops
 * below) are made from inside xs_conn_feed(), xs_domain_gone() and
 * xs_conn_free(); a callback may call xs_conn_output(), xs_conn_consume()
 * and xs_conn_can_accept(), and ops->introduce may also call
 * xs_conn_new() and xs_domain_introduced(), but no callback may free a
 * connection or the store, or feed a connection.
 */
#ifndef BH_XS_CORE_H
#define BH_XS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct xs_store;
struct xs_conn;

/*
 * Per-domain quotas; they bind unprivileged connections only (a quota that
 * is 0 means "none allowed"). mem binds everyone, privileged included.
 */
struct xs_limits {
	unsigned nodes;        /* nodes owned by the domain: ENOSPC past it */
	unsigned watches;      /* watches per connection: E2BIG */
	unsigned transactions; /* open transactions per connection: ENOSPC */
	unsigned node_size;    /* bytes of one node's value: ENOSPC */
	unsigned outstanding;  /* replies queued and unread: xs_conn_can_accept() false */
	unsigned perms;        /* entries in one node's permission list: ENOSPC */
	unsigned watch_events; /* watch events queued and unread; later ones are dropped */
	unsigned tx_nodes;     /* paths one transaction may look at or change: ENOSPC */
	size_t mem;            /* bytes of the whole store (nodes, transactions,
				  watches, queued events): ENOMEM past it */
};

/*
 * Xen-like defaults: nodes 1000, watches 128, transactions 10, node_size
 * 2048, outstanding 20, perms 5, watch_events 256, tx_nodes 1024, mem 64 MiB.
 */
struct xs_limits xs_limits_default(void);

/* Callbacks into the transport layer; the struct and each member may be NULL. */
struct xs_store_ops {
	/*
	 * XS_INTRODUCE from a privileged conn: set up the ring for domid (mfn =
	 * page index in xenstored's arena, port = the guest's event channel).
	 * Return 0 or a positive errno, which is sent back as the error. The
	 * transport may hand its ring connection to the core from inside this
	 * call with xs_domain_introduced(); if it does not, the domain is
	 * marked introduced without one. With no introduce op, XS_INTRODUCE
	 * only marks the domain introduced (the Unix-socket-only daemon).
	 */
	int (*introduce)(void *opaque, unsigned domid, uint64_t mfn, unsigned port);
	/*
	 * XS_RELEASE, or the domain disappeared (xs_domain_gone()): tear down
	 * its ring connection (the core has already freed the xs_conn it owned,
	 * if any). Called only for a domain that was introduced.
	 */
	void (*release)(void *opaque, unsigned domid);
};

/* NULL on allocation failure. lim NULL means xs_limits_default(). */
struct xs_store *xs_store_new(const struct xs_limits *lim, const struct xs_store_ops *ops,
			      void *opaque);
/* Frees the store and every connection still open on it. */
void xs_store_free(struct xs_store *s);

/*
 * Output became available on c: a reply, or a watch event caused by any
 * connection. Called once per queued message.
 */
struct xs_conn_ops {
	void (*kick)(struct xs_conn *c, void *opaque);
};

/*
 * A connection for domid. privileged: dom0's toolstack (every Unix-socket
 * connection); it passes every permission check and no quota but mem
 * binds it. NULL on allocation failure. ops may be NULL.
 */
struct xs_conn *xs_conn_new(struct xs_store *s, unsigned domid, bool privileged,
			    const struct xs_conn_ops *ops, void *opaque);
/*
 * Drops c's watches, transactions and queued output. If c is a domain's
 * ring connection (xs_domain_introduced()), the domain stays introduced
 * without one.
 */
void xs_conn_free(struct xs_conn *c);

/*
 * Feed bytes received from the peer; answers every complete message. The
 * core keeps a partial message (header or payload) internally, so the
 * caller never has to feed the same bytes again. It stops early once
 * xs_conn_can_accept() turns false, after the message that made it so:
 * the return value is the number of bytes consumed, and the caller keeps
 * the rest and feeds it when the connection can accept again. Returns -1
 * if the peer broke the protocol (len > XENSTORE_PAYLOAD_MAX, a type that
 * is not a request, such as XS_ERROR, XS_WATCH_EVENT or anything past
 * XS_TYPE_COUNT) or if memory for a reply could not be had; the transport
 * must then close the connection (every later call returns -1 too).
 */
ssize_t xs_conn_feed(struct xs_conn *c, const void *buf, size_t len);

/*
 * Output: reply and watch-event bytes, in order. Returns the next
 * contiguous chunk (possibly only part of what is queued; *len 0 and NULL
 * when nothing is). The pointer is valid until the next call into the core.
 */
const void *xs_conn_output(struct xs_conn *c, size_t *len);
/* The transport wrote n bytes (n <= *len of the last xs_conn_output()). */
void xs_conn_consume(struct xs_conn *c, size_t n);

/*
 * Flow control: the transport stops feeding when this is false. It turns
 * false when an unprivileged connection has lim.outstanding replies queued
 * and unread (a privileged one: XS_PRIV_OUTPUT_HIGH bytes of output), or
 * after a protocol error, and true again as the peer reads its replies.
 */
bool xs_conn_can_accept(const struct xs_conn *c);

/* Queued output past which a privileged connection stops being fed. */
#define XS_PRIV_OUTPUT_HIGH (1u << 20)
/* Watch events queued for a privileged connection past which new ones are dropped. */
#define XS_PRIV_WATCH_EVENTS 65536

/*
 * The domain has gone (the hypervisor said so): remove
 * /local/domain/<domid>, hand every node it still owns elsewhere to dom0
 * and drop its other permission entries (so that a later domain with the
 * same id inherits nothing), free its ring connection (with its watches
 * and transactions), call ops->release if it was introduced, and fire
 * @releaseDomain.
 */
void xs_domain_gone(struct xs_store *s, unsigned domid);

/*
 * Register a domain as introduced when the transport does the introduction
 * itself (fires @introduceDomain, creates nothing else). ring_conn (may be
 * NULL) is then owned by the core: XS_RELEASE and xs_domain_gone() free it.
 * Called for a domain that is already introduced (from inside
 * ops->introduce), it only attaches ring_conn. Returns 0, or EEXIST if the
 * domain already has a ring connection, or EINVAL for a bad domid.
 */
int xs_domain_introduced(struct xs_store *s, unsigned domid, struct xs_conn *ring_conn);

/* Whether the domain is introduced (what XS_IS_DOMAIN_INTRODUCED answers). */
bool xs_domain_is_introduced(const struct xs_store *s, unsigned domid);

/* The connection's domain id, as given to xs_conn_new(). */
unsigned xs_conn_domid(const struct xs_conn *c);

/* Bytes the store holds now, as counted against lim.mem. */
size_t xs_store_mem_used(const struct xs_store *s);

/* "EINVAL" for EINVAL, from xs_wire.h's table; "EIO" for anything not in it. */
const char *xs_errname(int err);

#endif
