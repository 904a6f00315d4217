/*
 * The tree: nodes in a hash table keyed by full path, the memory count,
 * and transactions.
 *
 * A transaction is Xen's generation-count scheme: it keeps its own copies
 * of the nodes it changed (and tombstones for the ones it removed), reads
 * everything else from the live tree, and records the generation of every
 * path it looked at (0 for "absent"). Commit fails with EAGAIN if any of
 * those paths has a different generation in the live tree by then;
 * otherwise it moves its copies into the live tree and fires the events
 * it queued, in order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

/* ---- memory ------------------------------------------------------------ */

/* Each block starts with its size, so that xs_free can count it back. */
struct xs_block {
	size_t size;
	size_t pad; /* keeps the payload 16-byte aligned */
};

static void *alloc_block(struct xs_store *s, size_t n, bool capped)
{
	struct xs_block *b;

	if (n > SIZE_MAX - sizeof(*b))
		return NULL;
	if (capped && !s->mem_exempt && (s->mem > s->lim.mem || n + sizeof(*b) > s->lim.mem - s->mem))
		return NULL;
	b = malloc(sizeof(*b) + n);
	if (!b)
		return NULL;
	b->size = sizeof(*b) + n;
	s->mem += b->size;
	return b + 1;
}

void *xs_alloc(struct xs_store *s, size_t n)
{
	return alloc_block(s, n, true);
}

void *xs_alloc_nocap(struct xs_store *s, size_t n)
{
	return alloc_block(s, n, false);
}

void xs_free(struct xs_store *s, void *p)
{
	struct xs_block *b;

	if (!p)
		return;
	b = (struct xs_block *)p - 1;
	s->mem -= b->size;
	free(b);
}

size_t xs_store_mem_used(const struct xs_store *s)
{
	return s->mem;
}

/* ---- hashing: SipHash-2-4, keyed per store, so that a guest cannot choose
 * paths that all land in one bucket ----------------------------------------- */

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND()                                                                         \
	do {                                                                               \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                 \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                     \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                     \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                 \
	} while (0)

uint64_t xs_hash(const struct xs_store *s, const char *key, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ s->sipkey[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ s->sipkey[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ s->sipkey[0];
	uint64_t v3 = 0x7465646279746573ULL ^ s->sipkey[1];
	const unsigned char *p = (const unsigned char *)key;
	uint64_t m, last = (uint64_t)len << 56;
	size_t i, full = len & ~(size_t)7;

	for (i = 0; i < full; i += 8) {
		memcpy(&m, p + i, 8); /* little-endian hosts only (x86-64) */
		v3 ^= m;
		SIPROUND();
		SIPROUND();
		v0 ^= m;
	}
	for (size_t j = 0; j < (len & 7); j++)
		last |= (uint64_t)p[full + j] << (8 * j);
	v3 ^= last;
	SIPROUND();
	SIPROUND();
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND();
	SIPROUND();
	SIPROUND();
	SIPROUND();
	return v0 ^ v1 ^ v2 ^ v3;
}

void xs_ht_init(struct xs_htab *t)
{
	t->inline_b = NULL;
	t->b = &t->inline_b;
	t->nb = 1;
	t->n = 0;
}

struct xs_hentry *xs_ht_find(const struct xs_htab *t, const char *key, size_t len, uint64_t h)
{
	struct xs_hentry *e;

	for (e = t->b[h & (t->nb - 1)]; e; e = e->next)
		if (e->hash == h && e->keylen == len && !memcmp(e->key, key, len))
			return e;
	return NULL;
}

static void ht_grow(struct xs_store *s, struct xs_htab *t)
{
	size_t nb = t->nb < 16 ? 16 : t->nb * 2;
	struct xs_hentry **b, *e, *next;

	if (nb > SIZE_MAX / sizeof(*b) / 2)
		return;
	b = xs_alloc(s, nb * sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	memset(b, 0, nb * sizeof(*b));
	for (size_t i = 0; i < t->nb; i++)
		for (e = t->b[i]; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	if (t->b != &t->inline_b)
		xs_free(s, t->b);
	t->b = b;
	t->nb = nb;
}

void xs_ht_insert(struct xs_store *s, struct xs_htab *t, struct xs_hentry *e)
{
	if (t->n >= t->nb)
		ht_grow(s, t);
	e->next = t->b[e->hash & (t->nb - 1)];
	t->b[e->hash & (t->nb - 1)] = e;
	t->n++;
}

void xs_ht_remove(struct xs_htab *t, struct xs_hentry *e)
{
	struct xs_hentry **pp;

	for (pp = &t->b[e->hash & (t->nb - 1)]; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			return;
		}
}

/* Frees the bucket array only; the caller frees the entries first. */
void xs_ht_destroy(struct xs_store *s, struct xs_htab *t)
{
	if (t->b != &t->inline_b)
		xs_free(s, t->b);
	xs_ht_init(t);
}

/* Unlinks and returns any one entry, or NULL when empty: for freeing a table. */
static struct xs_hentry *ht_pop(struct xs_htab *t)
{
	for (size_t i = 0; i < t->nb; i++)
		if (t->b[i]) {
			struct xs_hentry *e = t->b[i];

			t->b[i] = e->next;
			t->n--;
			return e;
		}
	return NULL;
}

/* ---- nodes --------------------------------------------------------------- */

struct xs_node *xs_node_build(struct xs_store *s, const char *path, size_t plen,
			      const struct xs_perm *perms, unsigned nperms, const char *value,
			      size_t vlen, const char *children, size_t clen)
{
	size_t size = sizeof(struct xs_node);
	struct xs_node *n;
	char *p;

	/* Each term is bounded (paths by XENSTORE_ABS_PATH_MAX, values and perms
	 * by the payload, children by the store's memory cap), so no overflow. */
	size += (size_t)nperms * sizeof(struct xs_perm) + plen + 1 + vlen + 1 + clen;
	n = xs_alloc(s, size);
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->perms = (struct xs_perm *)(n + 1);
	n->nperms = nperms;
	if (nperms)
		memcpy(n->perms, perms, nperms * sizeof(*perms));
	p = (char *)(n->perms + nperms);
	n->path = p;
	memcpy(p, path, plen);
	p[plen] = '\0';
	p += plen + 1;
	n->value = p;
	if (vlen)
		memcpy(p, value, vlen);
	p[vlen] = '\0';
	n->vlen = vlen;
	p += vlen + 1;
	n->children = p;
	if (clen && children)
		memcpy(p, children, clen);
	n->clen = clen;
	n->h.key = n->path;
	n->h.keylen = plen;
	n->h.hash = xs_hash(s, path, plen);
	return n;
}

/* ---- per-domain node counts ------------------------------------------------ */

struct xs_domain *xs_domain_get(struct xs_store *s, unsigned domid, bool create)
{
	struct xs_domain *d;

	for (d = s->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	if (!create)
		return NULL;
	d = xs_alloc(s, sizeof(*d));
	if (!d)
		return NULL;
	memset(d, 0, sizeof(*d));
	d->domid = domid;
	d->next = s->domains;
	s->domains = d;
	return d;
}

static void count_owner(struct xs_store *s, const struct xs_node *n, int delta)
{
	/* The handlers create the owner's record before they build a node for it. */
	struct xs_domain *d = xs_domain_get(s, n->perms[0].id, false);

	if (d)
		d->nodes += delta;
}

unsigned xs_owned(const struct xs_store *s, unsigned domid)
{
	const struct xs_domain *d;

	for (d = s->domains; d; d = d->next)
		if (d->domid == domid)
			return d->nodes;
	return 0;
}

/* ---- the live tree --------------------------------------------------------- */

static struct xs_node *live_find(const struct xs_store *s, const char *path, size_t plen)
{
	return (struct xs_node *)xs_ht_find(&s->live, path, plen, xs_hash(s, path, plen));
}

static void live_put(struct xs_store *s, struct xs_node *n)
{
	struct xs_node *old = live_find(s, n->path, n->h.keylen);

	if (old) {
		xs_ht_remove(&s->live, &old->h);
		count_owner(s, old, -1);
		xs_free(s, old);
	}
	n->gen = ++s->gen;
	n->deleted = false;
	xs_ht_insert(s, &s->live, &n->h);
	count_owner(s, n, 1);
}

static void live_del(struct xs_store *s, const char *path, size_t plen)
{
	struct xs_node *old = live_find(s, path, plen);

	if (old) {
		xs_ht_remove(&s->live, &old->h);
		count_owner(s, old, -1);
		xs_free(s, old);
	}
}

struct xs_htab *xs_live_table(struct xs_store *s)
{
	return &s->live;
}

void xs_live_replace(struct xs_store *s, struct xs_node *n)
{
	live_put(s, n);
}

/* ---- transactions ---------------------------------------------------------- */

/* That the transaction looked at path, and what generation it saw (0: absent). */
struct xs_access {
	struct xs_hentry h;
	uint64_t gen;
	char path[];
};

struct xs_tx {
	uint32_t id;
	unsigned max_access;
	struct xs_htab nodes;  /* struct xs_node: copies and tombstones */
	struct xs_htab access; /* struct xs_access */
	struct xs_event *ev_head, *ev_tail;
};

struct xs_tx *xs_tx_new(struct xs_store *s, uint32_t id, unsigned max_access)
{
	struct xs_tx *t = xs_alloc(s, sizeof(*t));

	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->max_access = max_access;
	xs_ht_init(&t->nodes);
	xs_ht_init(&t->access);
	return t;
}

uint32_t xs_tx_id(const struct xs_tx *t)
{
	return t->id;
}

void xs_tx_free(struct xs_store *s, struct xs_tx *t)
{
	struct xs_hentry *e;
	struct xs_event *ev;

	while ((e = ht_pop(&t->nodes)))
		xs_free(s, e);
	while ((e = ht_pop(&t->access)))
		xs_free(s, e);
	xs_ht_destroy(s, &t->nodes);
	xs_ht_destroy(s, &t->access);
	while ((ev = t->ev_head)) {
		t->ev_head = ev->next;
		xs_event_free(s, ev);
	}
	xs_free(s, t);
}

int xs_tx_commit(struct xs_store *s, struct xs_tx *t)
{
	struct xs_hentry *e;
	struct xs_event *ev;

	for (size_t i = 0; i < t->access.nb; i++)
		for (e = t->access.b[i]; e; e = e->next) {
			struct xs_access *a = (struct xs_access *)e;
			struct xs_node *n = live_find(s, a->path, e->keylen);

			if ((n ? n->gen : 0) != a->gen) {
				xs_tx_free(s, t);
				return EAGAIN;
			}
		}
	while ((e = ht_pop(&t->nodes))) {
		struct xs_node *n = (struct xs_node *)e;

		if (n->deleted) {
			live_del(s, n->path, e->keylen);
			xs_free(s, n);
		} else {
			live_put(s, n);
		}
	}
	for (ev = t->ev_head; ev; ev = ev->next)
		xs_event_fire(s, ev);
	xs_tx_free(s, t);
	return 0;
}

/* ---- views ----------------------------------------------------------------- */

int xs_view_get(struct xs_view *v, const char *path, size_t plen, const struct xs_node **out)
{
	struct xs_store *s = v->s;
	uint64_t h = xs_hash(s, path, plen);
	struct xs_node *n;
	struct xs_access *a;

	*out = NULL;
	if (v->tx) {
		n = (struct xs_node *)xs_ht_find(&v->tx->nodes, path, plen, h);
		if (n) {
			*out = n->deleted ? NULL : n;
			return n->deleted ? ENOENT : 0;
		}
	}
	n = (struct xs_node *)xs_ht_find(&s->live, path, plen, h);
	if (v->tx && !xs_ht_find(&v->tx->access, path, plen, h)) {
		if (v->tx->max_access && v->tx->access.n >= v->tx->max_access)
			return ENOSPC;
		a = xs_alloc(s, sizeof(*a) + plen + 1);
		if (!a)
			return ENOMEM;
		memcpy(a->path, path, plen);
		a->path[plen] = '\0';
		a->h.key = a->path;
		a->h.keylen = plen;
		a->h.hash = h;
		a->gen = n ? n->gen : 0;
		xs_ht_insert(s, &v->tx->access, &a->h);
	}
	*out = n;
	return n ? 0 : ENOENT;
}

static void tx_replace(struct xs_store *s, struct xs_tx *t, struct xs_node *n)
{
	struct xs_hentry *old = xs_ht_find(&t->nodes, n->path, n->h.keylen, n->h.hash);
	struct xs_access *a = (struct xs_access *)xs_ht_find(&t->access, n->path, n->h.keylen,
							      n->h.hash);

	if (old) {
		xs_ht_remove(&t->nodes, old);
		xs_free(s, old);
	}
	n->gen = a ? a->gen : 0;
	xs_ht_insert(s, &t->nodes, &n->h);
}

void xs_view_put(struct xs_view *v, struct xs_node *n)
{
	n->deleted = false;
	if (v->tx)
		tx_replace(v->s, v->tx, n);
	else
		live_put(v->s, n);
}

void xs_view_del(struct xs_view *v, const char *path, size_t plen, struct xs_node *tomb)
{
	if (v->tx) {
		tomb->deleted = true;
		tx_replace(v->s, v->tx, tomb);
	} else {
		live_del(v->s, path, plen);
	}
}

unsigned xs_view_owned(const struct xs_view *v, unsigned domid)
{
	long n = xs_owned(v->s, domid);
	struct xs_hentry *e;

	if (!v->tx)
		return n;
	for (size_t i = 0; i < v->tx->nodes.nb; i++)
		for (e = v->tx->nodes.b[i]; e; e = e->next) {
			const struct xs_node *tn = (const struct xs_node *)e;
			const struct xs_node *ln = live_find(v->s, tn->path, e->keylen);

			n += (!tn->deleted && tn->perms[0].id == domid);
			n -= (ln && ln->perms[0].id == domid);
		}
	return n < 0 ? 0 : (unsigned)n;
}

void xs_view_event(struct xs_view *v, struct xs_event *e)
{
	if (!v->tx) {
		xs_event_fire(v->s, e);
		xs_event_free(v->s, e);
		return;
	}
	e->next = NULL;
	if (v->tx->ev_tail)
		v->tx->ev_tail->next = e;
	else
		v->tx->ev_head = e;
	v->tx->ev_tail = e;
}

void xs_tree_free(struct xs_store *s)
{
	struct xs_hentry *e;
	struct xs_domain *d;

	while ((e = ht_pop(&s->live)))
		xs_free(s, e);
	xs_ht_destroy(s, &s->live);
	while ((d = s->domains)) {
		s->domains = d->next;
		xs_free(s, d);
	}
}
