/*
 * What the core's files share (xs_core.c: connections, parsing and the
 * message handlers; xs_tree.c: nodes, the hash tables, transactions;
 * xs_watch.c: watches, events and output). Nothing outside
 * tools/bh-xenstored/xs_*.c includes this.
 */
#ifndef BH_XS_INTERNAL_H
#define BH_XS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include "xs_core.h"

#define XS_PERM_NONE 0u
#define XS_PERM_READ 1u
#define XS_PERM_WRITE 2u
#define XS_PERM_OWNER 4u

#define XS_DOMID_MAX 65535u
/* Longest "/local/domain/65535". */
#define XS_HOME_MAX 20

/* ---- memory: everything the store allocates is counted against lim.mem */

/* NULL past the cap or when malloc fails. */
void *xs_alloc(struct xs_store *s, size_t n);
/* The same, but past the cap too (replies, which are bounded by flow control). */
void *xs_alloc_nocap(struct xs_store *s, size_t n);
void xs_free(struct xs_store *s, void *p);

/* ---- hash tables keyed by path (SipHash with a per-store key) */

struct xs_hentry {
	struct xs_hentry *next;
	uint64_t hash;
	const char *key; /* NUL-terminated */
	size_t keylen;
};

/* nb is a power of two; a table starts with the one inline bucket. */
struct xs_htab {
	struct xs_hentry **b;
	size_t nb, n;
	struct xs_hentry *inline_b;
};

void xs_ht_init(struct xs_htab *t);

uint64_t xs_hash(const struct xs_store *s, const char *key, size_t len);
struct xs_hentry *xs_ht_find(const struct xs_htab *t, const char *key, size_t len, uint64_t h);
/* Never fails: the table only grows when memory allows. */
void xs_ht_insert(struct xs_store *s, struct xs_htab *t, struct xs_hentry *e);
void xs_ht_remove(struct xs_htab *t, struct xs_hentry *e);
void xs_ht_destroy(struct xs_store *s, struct xs_htab *t);

/* ---- nodes */

struct xs_perm {
	uint16_t id;
	uint8_t perm; /* XS_PERM_READ | XS_PERM_WRITE */
};

/*
 * One node, in one allocation, never changed in place: a change builds a
 * new node (xs_node_build) and puts it in place of the old one. perms[0]
 * is the owner and the default for every domain not listed; children is
 * the leaf names, each NUL-terminated, in creation order.
 */
struct xs_node {
	struct xs_hentry h; /* key is path */
	uint64_t gen;       /* the store's generation when last changed; never 0 */
	bool deleted;       /* a transaction's tombstone */
	unsigned nperms;
	size_t vlen, clen;
	struct xs_perm *perms;
	char *value;
	char *children;
	char *path;
};

/* children NULL with clen > 0: room for clen bytes, left for the caller to fill. */
struct xs_node *xs_node_build(struct xs_store *s, const char *path, size_t plen,
			      const struct xs_perm *perms, unsigned nperms, const char *value,
			      size_t vlen, const char *children, size_t clen);

/* ---- views: the live tree, or a transaction's view of it */

struct xs_tx;
struct xs_event;

struct xs_view {
	struct xs_store *s;
	struct xs_tx *tx; /* NULL: the live tree */
};

/*
 * Look up path. 0 and *out set, ENOENT (*out NULL), or ENOMEM or ENOSPC
 * (a transaction could not record that it read the path). In a transaction
 * every lookup is recorded, for the conflict check at commit.
 */
int xs_view_get(struct xs_view *v, const char *path, size_t plen, const struct xs_node **out);
/*
 * Put n in place of the node at its path (the view owns it then). The
 * path must have been looked up in this view first; then it never fails.
 */
void xs_view_put(struct xs_view *v, struct xs_node *n);
/*
 * Remove the node at path (looked up first). In a transaction this needs a
 * tombstone, which the caller allocates (xs_node_build with no data) and
 * passes in; for the live tree tomb is NULL.
 */
void xs_view_del(struct xs_view *v, const char *path, size_t plen, struct xs_node *tomb);

/* Nodes owned by domid (live, plus a transaction's own changes if v is one). */
unsigned xs_view_owned(const struct xs_view *v, unsigned domid);

/* Queue an event in the view: fired now for the live tree, at commit for a transaction. */
void xs_view_event(struct xs_view *v, struct xs_event *e);

/* max_access: paths it may look at (0: no limit), ENOSPC past it. */
struct xs_tx *xs_tx_new(struct xs_store *s, uint32_t id, unsigned max_access);
uint32_t xs_tx_id(const struct xs_tx *t);
/* Commit: 0, or EAGAIN on a conflict (nothing applied). Frees t either way. */
int xs_tx_commit(struct xs_store *s, struct xs_tx *t);
void xs_tx_free(struct xs_store *s, struct xs_tx *t);

/* Nodes owned by domid in the live tree. */
unsigned xs_owned(const struct xs_store *s, unsigned domid);

/* The live tree's node table (for the walk in xs_domain_gone). */
struct xs_htab *xs_live_table(struct xs_store *s);
/* Put a rebuilt live node in place of the old one with the same path. */
void xs_live_replace(struct xs_store *s, struct xs_node *n);

void xs_tree_free(struct xs_store *s);

/* ---- watches and events */

/*
 * A change to one node (or, rm, to a subtree): which paths fire, and the
 * permissions a watcher needs to read to be told.
 */
struct xs_removed {
	char *path;
	size_t plen;
	struct xs_perm *perms;
	unsigned nperms;
};

struct xs_event {
	struct xs_event *next;
	char *path;
	size_t plen;
	struct xs_perm *perms;
	unsigned nperms;
	bool rm;                    /* path and everything below it was removed */
	struct xs_removed *removed; /* rm: every removed node below path */
	size_t nremoved, removed_cap;
};

/* NULL on ENOMEM. Copies path and perms. */
struct xs_event *xs_event_new(struct xs_store *s, const char *path, size_t plen,
			      const struct xs_perm *perms, unsigned nperms);
/* Append one removed node to an rm event: 0 or ENOMEM. */
int xs_event_add_removed(struct xs_store *s, struct xs_event *e, const struct xs_node *n);
void xs_event_free(struct xs_store *s, struct xs_event *e);
/* Deliver to every matching watch that may read the node. */
void xs_event_fire(struct xs_store *s, const struct xs_event *e);
/* @introduceDomain or @releaseDomain: to privileged watchers only. */
void xs_fire_special(struct xs_store *s, const char *name);

struct xs_watch;

/* WATCH: 0, EEXIST, E2BIG, ENOMEM. */
int xs_watch_add(struct xs_conn *c, const char *abs, size_t alen, const char *token,
		 size_t tlen, bool relative);
/* The event a new watch fires at once, with the path as the client gave it. */
void xs_watch_fire_initial(struct xs_conn *c, const char *given, size_t glen,
			   const char *token, size_t tlen);
/* UNWATCH: 0 or ENOENT. */
int xs_watch_del(struct xs_conn *c, const char *abs, size_t alen, const char *token, size_t tlen);
void xs_watch_del_all(struct xs_conn *c);

/* ---- connections and output */

struct xs_out {
	struct xs_out *next;
	size_t len, off;
	bool event;
	uint8_t data[];
};

struct xs_conn {
	struct xs_conn *next, *prev;
	struct xs_store *s;
	unsigned domid;
	bool privileged;
	bool broken; /* protocol error: only -1 from now on */
	const struct xs_conn_ops *ops;
	void *opaque;

	/* input: the partial message */
	struct xsd_sockmsg hdr;
	size_t hdr_got, body_got;
	char body[XENSTORE_PAYLOAD_MAX + 1]; /* +1: always NUL-terminated */

	/* output */
	struct xs_out *out_head, *out_tail;
	size_t out_bytes;
	unsigned out_replies, out_events;

	struct xs_watch *watches;
	unsigned nwatches;
	struct xs_tx_link *txs; /* open transactions */
	unsigned ntxs;
};

/* Queue one message (header + payload) on c; events may be dropped (quota). */
int xs_queue_msg(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
		 const void *p1, size_t l1, const void *p2, size_t l2, bool event);

/* What a connection may do to a node with these permissions. */
unsigned xs_perm_for(const struct xs_conn *c, const struct xs_perm *perms, unsigned nperms);

struct xs_domain {
	struct xs_domain *next;
	unsigned domid;
	unsigned nodes;      /* live nodes owned */
	bool introduced;
	struct xs_conn *ring_conn;
};

struct xs_store {
	struct xs_limits lim;
	const struct xs_store_ops *ops;
	void *opaque;
	size_t mem;
	bool mem_exempt; /* during a live rm: removing must work at the cap */
	uint64_t sipkey[2];
	uint64_t gen;
	uint32_t next_tx;
	struct xs_htab live;
	struct xs_domain *domains;
	struct xs_conn *conns;
	uint64_t next_watch_seq;
};

/* The domain's record, created on first use: NULL on ENOMEM. */
struct xs_domain *xs_domain_get(struct xs_store *s, unsigned domid, bool create);

#endif
