/*
 * Watches, watch events and each connection's output queue.
 *
 * An event names the changed path and the permissions of the changed node
 * at the time of the change; a watch fires if the path is its own path or
 * below it, and only if the watcher may read the node (Xen's rule). An rm
 * event also fires every watch set on a removed node or below one, with
 * the watch's own path (docs/misc/xenstore.txt), checked against the
 * deepest removed node at or above the watch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xs_internal.h"

struct xs_watch {
	struct xs_watch *next;
	char *abs;   /* canonical path, or "@introduceDomain"/"@releaseDomain" */
	size_t alen;
	char *token;
	size_t tlen;
	bool relative; /* events then name paths relative to the domain's home */
};

/* ---- output ------------------------------------------------------------------ */

int xs_queue_msg(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
		 const void *p1, size_t l1, const void *p2, size_t l2, bool event)
{
	struct xs_store *s = c->s;
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id };
	struct xs_out *o;

	if (l1 + l2 > XENSTORE_PAYLOAD_MAX)
		return E2BIG;
	if (event && c->out_events >= (c->privileged ? XS_PRIV_WATCH_EVENTS
						     : s->lim.watch_events))
		return ENOSPC;
	/* Replies are bounded by flow control (xs_conn_can_accept), not by the cap. */
	o = event ? xs_alloc(s, sizeof(*o) + sizeof(h) + l1 + l2)
		  : xs_alloc_nocap(s, sizeof(*o) + sizeof(h) + l1 + l2);
	if (!o)
		return ENOMEM;
	h.len = l1 + l2;
	o->next = NULL;
	o->len = sizeof(h) + l1 + l2;
	o->off = 0;
	o->event = event;
	memcpy(o->data, &h, sizeof(h));
	if (l1)
		memcpy(o->data + sizeof(h), p1, l1);
	if (l2)
		memcpy(o->data + sizeof(h) + l1, p2, l2);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += o->len;
	if (event)
		c->out_events++;
	else
		c->out_replies++;
	if (c->ops && c->ops->kick)
		c->ops->kick(c, c->opaque);
	return 0;
}

const void *xs_conn_output(struct xs_conn *c, size_t *len)
{
	if (!c->out_head) {
		*len = 0;
		return NULL;
	}
	*len = c->out_head->len - c->out_head->off;
	return c->out_head->data + c->out_head->off;
}

void xs_conn_consume(struct xs_conn *c, size_t n)
{
	while (n && c->out_head) {
		struct xs_out *o = c->out_head;
		size_t k = o->len - o->off < n ? o->len - o->off : n;

		o->off += k;
		n -= k;
		c->out_bytes -= k;
		if (o->off == o->len) {
			c->out_head = o->next;
			if (!c->out_head)
				c->out_tail = NULL;
			if (o->event)
				c->out_events--;
			else
				c->out_replies--;
			xs_free(c->s, o);
		}
	}
}

/* ---- watches -------------------------------------------------------------- */

/* The home-relative form of an absolute path, or NULL if it is not below home. */
static const char *relative_to_home(const struct xs_conn *c, const char *path, size_t *len)
{
	char home[XS_HOME_MAX + 2];
	int n = snprintf(home, sizeof(home), "/local/domain/%u/", c->domid);

	if (n <= 0 || (size_t)n >= sizeof(home) || *len <= (size_t)n ||
	    memcmp(path, home, n))
		return NULL;
	*len -= n;
	return path + n;
}

static void deliver(struct xs_conn *c, const struct xs_watch *w, const char *path, size_t plen)
{
	const char *p = path;
	size_t len = plen;
	char payload[XENSTORE_PAYLOAD_MAX];

	if (w->relative) {
		p = relative_to_home(c, path, &len);
		if (!p) {
			p = path;
			len = plen;
		}
	}
	/* An event that would not fit one message is dropped (documented). */
	if (len + 1 + w->tlen + 1 > sizeof(payload))
		return;
	memcpy(payload, p, len);
	payload[len] = '\0';
	memcpy(payload + len + 1, w->token, w->tlen);
	payload[len + 1 + w->tlen] = '\0';
	xs_queue_msg(c, XS_WATCH_EVENT, 0, 0, payload, len + w->tlen + 2, NULL, 0, true);
}

static void free_watch(struct xs_store *s, struct xs_watch *w)
{
	xs_free(s, w);
}

int xs_watch_add(struct xs_conn *c, const char *abs, size_t alen, const char *token,
		 size_t tlen, bool relative)
{
	struct xs_store *s = c->s;
	struct xs_watch *w;

	for (w = c->watches; w; w = w->next)
		if (w->alen == alen && w->tlen == tlen && !memcmp(w->abs, abs, alen) &&
		    !memcmp(w->token, token, tlen))
			return EEXIST;
	if (!c->privileged && c->nwatches >= s->lim.watches)
		return E2BIG;
	w = xs_alloc(s, sizeof(*w) + alen + 1 + tlen + 1);
	if (!w)
		return ENOMEM;
	w->abs = (char *)(w + 1);
	memcpy(w->abs, abs, alen);
	w->abs[alen] = '\0';
	w->alen = alen;
	w->token = w->abs + alen + 1;
	memcpy(w->token, token, tlen);
	w->token[tlen] = '\0';
	w->tlen = tlen;
	w->relative = relative;
	w->next = c->watches;
	c->watches = w;
	c->nwatches++;
	return 0;
}

void xs_watch_fire_initial(struct xs_conn *c, const char *given, size_t glen,
			   const char *token, size_t tlen)
{
	char payload[XENSTORE_PAYLOAD_MAX];

	if (glen + tlen + 2 > sizeof(payload))
		return;
	memcpy(payload, given, glen);
	payload[glen] = '\0';
	memcpy(payload + glen + 1, token, tlen);
	payload[glen + 1 + tlen] = '\0';
	xs_queue_msg(c, XS_WATCH_EVENT, 0, 0, payload, glen + tlen + 2, NULL, 0, true);
}

int xs_watch_del(struct xs_conn *c, const char *abs, size_t alen, const char *token, size_t tlen)
{
	struct xs_watch **pp, *w;

	for (pp = &c->watches; (w = *pp); pp = &w->next)
		if (w->alen == alen && w->tlen == tlen && !memcmp(w->abs, abs, alen) &&
		    !memcmp(w->token, token, tlen)) {
			*pp = w->next;
			c->nwatches--;
			free_watch(c->s, w);
			return 0;
		}
	return ENOENT;
}

void xs_watch_del_all(struct xs_conn *c)
{
	struct xs_watch *w;

	while ((w = c->watches)) {
		c->watches = w->next;
		free_watch(c->s, w);
	}
	c->nwatches = 0;
}

/* ---- events --------------------------------------------------------------- */

struct xs_event *xs_event_new(struct xs_store *s, const char *path, size_t plen,
			      const struct xs_perm *perms, unsigned nperms)
{
	struct xs_event *e = xs_alloc(s, sizeof(*e) + nperms * sizeof(*perms) + plen + 1);

	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->perms = (struct xs_perm *)(e + 1);
	memcpy(e->perms, perms, nperms * sizeof(*perms));
	e->nperms = nperms;
	e->path = (char *)(e->perms + nperms);
	memcpy(e->path, path, plen);
	e->path[plen] = '\0';
	e->plen = plen;
	return e;
}

int xs_event_add_removed(struct xs_store *s, struct xs_event *e, const struct xs_node *n)
{
	struct xs_removed *r;
	size_t plen = n->h.keylen;

	/* Grow by doubling; nremoved is bounded by the nodes in the store. */
	if (e->nremoved == e->removed_cap) {
		size_t cap = e->removed_cap ? e->removed_cap * 2 : 4;
		struct xs_removed *nr = xs_alloc(s, cap * sizeof(*nr));

		if (!nr)
			return ENOMEM;
		if (e->nremoved)
			memcpy(nr, e->removed, e->nremoved * sizeof(*nr));
		xs_free(s, e->removed);
		e->removed = nr;
		e->removed_cap = cap;
	}
	r = &e->removed[e->nremoved];
	r->path = xs_alloc(s, plen + 1 + n->nperms * sizeof(struct xs_perm));
	if (!r->path)
		return ENOMEM;
	r->perms = (struct xs_perm *)r->path;
	memcpy(r->perms, n->perms, n->nperms * sizeof(struct xs_perm));
	r->nperms = n->nperms;
	r->path = (char *)(r->perms + n->nperms);
	memcpy(r->path, n->path, plen);
	r->path[plen] = '\0';
	r->plen = plen;
	e->nremoved++;
	return 0;
}

void xs_event_free(struct xs_store *s, struct xs_event *e)
{
	for (size_t i = 0; i < e->nremoved; i++)
		xs_free(s, e->removed[i].perms);
	xs_free(s, e->removed);
	xs_free(s, e);
}

/* child is parent, or below it. */
static bool is_child(const char *child, size_t clen, const char *parent, size_t plen)
{
	if (plen == 1 && parent[0] == '/')
		return true;
	return clen >= plen && !memcmp(child, parent, plen) && (clen == plen || child[plen] == '/');
}

static bool may_read(const struct xs_conn *c, const struct xs_perm *perms, unsigned nperms)
{
	return xs_perm_for(c, perms, nperms) & XS_PERM_READ;
}

void xs_event_fire(struct xs_store *s, const struct xs_event *e)
{
	struct xs_conn *c;
	struct xs_watch *w;

	for (c = s->conns; c; c = c->next)
		for (w = c->watches; w; w = w->next) {
			if (w->abs[0] != '/')
				continue;
			if (is_child(e->path, e->plen, w->abs, w->alen)) {
				if (may_read(c, e->perms, e->nperms))
					deliver(c, w, e->path, e->plen);
			} else if (e->rm && is_child(w->abs, w->alen, e->path, e->plen)) {
				/* Below a removed node: judged by the deepest one above it. */
				const struct xs_removed *best = NULL;

				for (size_t i = 0; i < e->nremoved; i++) {
					const struct xs_removed *r = &e->removed[i];

					if (is_child(w->abs, w->alen, r->path, r->plen) &&
					    (!best || r->plen > best->plen))
						best = r;
				}
				if (best ? may_read(c, best->perms, best->nperms)
					 : may_read(c, e->perms, e->nperms))
					deliver(c, w, w->abs, w->alen);
			}
		}
}

void xs_fire_special(struct xs_store *s, const char *name)
{
	size_t len = strlen(name);
	struct xs_conn *c;
	struct xs_watch *w;

	for (c = s->conns; c; c = c->next) {
		if (!c->privileged)
			continue;
		for (w = c->watches; w; w = w->next)
			if (w->alen == len && !memcmp(w->abs, name, len))
				deliver(c, w, name, len);
	}
}
