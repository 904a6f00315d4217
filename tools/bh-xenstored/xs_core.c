/*
 * Connections, message parsing and one handler per message type.
 *
 * The dispatcher only decodes the header and routes; each handler checks
 * its arguments, then permissions and quotas, then acts, and returns 0
 * after queueing its reply, or a positive errno that goes back as XS_ERROR.
 * Handlers that change nodes work on a view (xs_tree.c): the live tree, or
 * the transaction named by the header's tx_id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "xs_internal.h"

struct xs_tx_link {
	struct xs_tx_link *next;
	struct xs_tx *tx;
};

#define DOMID_FIRST_RESERVED_ 0x7ff0u /* xen.h's DOMID_FIRST_RESERVED */

static const char *const special_intro = "@introduceDomain";
static const char *const special_release = "@releaseDomain";

struct xs_limits xs_limits_default(void)
{
	return (struct xs_limits){
		.nodes = 1000,
		.watches = 128,
		.transactions = 10,
		.node_size = 2048,
		.outstanding = 20,
		.perms = 5,
		.watch_events = 256,
		.tx_nodes = 1024,
		.mem = 64u << 20,
	};
}

const char *xs_errname(int err)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EIO";
}

unsigned xs_perm_for(const struct xs_conn *c, const struct xs_perm *perms, unsigned nperms)
{
	const unsigned all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;

	if (c->privileged || (nperms && perms[0].id == c->domid))
		return all;
	for (unsigned i = 1; i < nperms; i++)
		if (perms[i].id == c->domid)
			return perms[i].perm;
	return nperms ? perms[0].perm : XS_PERM_NONE;
}

static unsigned perm_node(const struct xs_conn *c, const struct xs_node *n)
{
	return xs_perm_for(c, n->perms, n->nperms);
}

/* ---- arguments --------------------------------------------------------------- */

/*
 * The payload as exactly n NUL-terminated strings (nothing after the last
 * NUL). 0 or EINVAL.
 */
static int get_strings(const char *body, size_t len, unsigned n, const char **argv, size_t *argl)
{
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		const char *nul = off < len ? memchr(body + off, '\0', len - off) : NULL;

		if (!nul)
			return EINVAL;
		argv[i] = body + off;
		argl[i] = nul - (body + off);
		off += argl[i] + 1;
	}
	return off == len ? 0 : EINVAL;
}

/* Decimal, 1 to 20 digits, at most max. 0 or EINVAL. */
static int parse_u64(const char *str, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)str[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return EINVAL;
		v = v * 10 + d;
	}
	if (v > max)
		return EINVAL;
	*out = v;
	return 0;
}

static int parse_domid(const char *str, size_t len, unsigned *domid)
{
	uint64_t v;
	int rc = len <= 5 ? parse_u64(str, len, XS_DOMID_MAX, &v) : EINVAL;

	if (!rc)
		*domid = v;
	return rc;
}

static int home_path(unsigned domid, char *buf, size_t size)
{
	return snprintf(buf, size, "/local/domain/%u", domid);
}

/*
 * Xen's path rules: absolute, or relative to /local/domain/<domid>;
 * [A-Za-z0-9/_@-] only, no "//", no trailing '/' except "/" itself, at
 * most XENSTORE_ABS_PATH_MAX bytes absolute and XENSTORE_REL_PATH_MAX
 * relative. out holds XENSTORE_ABS_PATH_MAX + 1 bytes. 0 or EINVAL.
 */
static int canon_path(const struct xs_conn *c, const char *in, size_t inlen, char *out,
		      size_t *outlen, bool *relative)
{
	size_t off = 0;

	if (inlen == 0 || in[0] == '@')
		return EINVAL;
	*relative = in[0] != '/';
	if (*relative) {
		if (inlen > XENSTORE_REL_PATH_MAX)
			return EINVAL;
		off = home_path(c->domid, out, XS_HOME_MAX + 1);
		out[off++] = '/';
	} else if (inlen > XENSTORE_ABS_PATH_MAX) {
		return EINVAL;
	}
	if (off + inlen > XENSTORE_ABS_PATH_MAX)
		return EINVAL;
	for (size_t i = 0; i < inlen; i++) {
		char ch = in[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' || ch == '@' || ch == '-'))
			return EINVAL;
		if (ch == '/' && i + 1 < inlen && in[i + 1] == '/')
			return EINVAL;
	}
	memcpy(out + off, in, inlen);
	*outlen = off + inlen;
	out[*outlen] = '\0';
	if (*outlen > 1 && out[*outlen - 1] == '/')
		return EINVAL;
	return 0;
}

/* The parent of an absolute path other than "/": its length. */
static size_t parent_len(const char *path, size_t plen)
{
	while (plen > 1 && path[plen - 1] != '/')
		plen--;
	return plen > 1 ? plen - 1 : 1;
}

/*
 * The node at path if c may access it with perm. ENOENT for a missing node,
 * unless its closest existing ancestor is unreadable to c, which makes it
 * EACCES (so that a domain cannot probe below nodes it cannot read).
 */
static int get_node_perm(const struct xs_conn *c, struct xs_view *v, const char *path,
			 size_t plen, unsigned perm, const struct xs_node **out)
{
	const struct xs_node *n;
	int rc = xs_view_get(v, path, plen, &n);

	*out = NULL;
	if (rc && rc != ENOENT)
		return rc;
	if (n) {
		if ((perm_node(c, n) & perm) != perm)
			return EACCES;
		*out = n;
		return 0;
	}
	while (plen > 1) {
		plen = parent_len(path, plen);
		rc = xs_view_get(v, path, plen, &n);
		if (rc && rc != ENOENT)
			return rc;
		if (n)
			return perm_node(c, n) & XS_PERM_READ ? ENOENT : EACCES;
	}
	return ENOENT;
}

/* ---- replies ------------------------------------------------------------------ */

static int reply(struct xs_conn *c, const struct xsd_sockmsg *h, const void *p, size_t len)
{
	return xs_queue_msg(c, h->type, h->req_id, h->tx_id, p, len, NULL, 0, false);
}

static int reply_ok(struct xs_conn *c, const struct xsd_sockmsg *h)
{
	return reply(c, h, "OK", 3);
}

static int reply_error(struct xs_conn *c, const struct xsd_sockmsg *h, int err)
{
	const char *name = xs_errname(err);

	return xs_queue_msg(c, XS_ERROR, h->req_id, h->tx_id, name, strlen(name) + 1, NULL, 0,
			    false);
}

/* ---- node changes ------------------------------------------------------------- */

static int event_for(struct xs_view *v, const struct xs_node *n)
{
	struct xs_event *e = xs_event_new(v->s, n->path, n->h.keylen, n->perms, n->nperms);

	if (!e)
		return ENOMEM;
	xs_view_event(v, e);
	return 0;
}

/* A copy of n with the child name appended to its children. */
static struct xs_node *with_child(struct xs_store *s, const struct xs_node *n, const char *name,
				  size_t nlen)
{
	struct xs_node *m = xs_node_build(s, n->path, n->h.keylen, n->perms, n->nperms, n->value,
					  n->vlen, NULL, n->clen + nlen + 1);

	if (m) {
		memcpy(m->children, n->children, n->clen);
		memcpy(m->children + n->clen, name, nlen);
		m->children[n->clen + nlen] = '\0';
		m->clen = n->clen + nlen + 1;
	}
	return m;
}

/* A copy of n without the child name. */
static struct xs_node *without_child(struct xs_store *s, const struct xs_node *n,
				     const char *name, size_t nlen)
{
	struct xs_node *m = xs_node_build(s, n->path, n->h.keylen, n->perms, n->nperms, n->value,
					  n->vlen, n->children, n->clen);
	size_t off = 0;

	if (!m)
		return NULL;
	while (off < m->clen) {
		size_t l = strlen(m->children + off);

		if (l == nlen && !memcmp(m->children + off, name, nlen)) {
			memmove(m->children + off, m->children + off + l + 1, m->clen - off - l - 1);
			m->clen -= l + 1;
			break;
		}
		off += l + 1;
	}
	return m;
}

/*
 * Create path and its missing ancestors below anc (its closest existing
 * ancestor, at path[0..alen)). Each new node takes its parent's
 * permissions, owned by the writer if it is unprivileged. Everything is
 * built before anything is put, so a failure changes nothing.
 */
static int create_path(struct xs_conn *c, struct xs_view *v, const char *path, size_t plen,
		       const struct xs_node *anc, size_t alen, const char *value, size_t vlen)
{
	struct xs_store *s = v->s;
	size_t start = alen == 1 ? 1 : alen + 1; /* first new component */
	unsigned k = 0, i;
	struct xs_node **nodes, *top;
	const struct xs_node *parent, *dummy;
	size_t pos;
	int rc;

	for (pos = start; pos <= plen; pos++)
		if (pos == plen || path[pos] == '/')
			k++;
	if (!c->privileged && xs_view_owned(v, c->domid) + (uint64_t)k > s->lim.nodes)
		return ENOSPC;
	if (!xs_domain_get(s, c->privileged ? anc->perms[0].id : c->domid, true))
		return ENOMEM;
	/* Record (in a transaction) that each new path was absent. */
	for (pos = start; pos <= plen; pos++)
		if (pos == plen || path[pos] == '/')
			if ((rc = xs_view_get(v, path, pos, &dummy)) && rc != ENOENT)
				return rc;
	nodes = xs_alloc(s, (k + 1) * sizeof(*nodes));
	if (!nodes)
		return ENOMEM;
	rc = ENOMEM;
	memset(nodes, 0, (k + 1) * sizeof(*nodes));

	parent = anc;
	pos = start;
	for (i = 0; i < k; i++) {
		size_t end = pos;
		const char *next_name = NULL;
		size_t next_len = 0;

		while (end < plen && path[end] != '/')
			end++;
		if (i + 1 < k) {
			size_t e2 = end + 1;

			while (e2 < plen && path[e2] != '/')
				e2++;
			next_name = path + end + 1;
			next_len = e2 - (end + 1);
		}
		nodes[i + 1] = xs_node_build(s, path, end, parent->perms, parent->nperms,
					     i + 1 == k ? value : NULL, i + 1 == k ? vlen : 0,
					     next_name, next_name ? next_len + 1 : 0);
		if (!nodes[i + 1])
			goto out;
		if (!c->privileged)
			nodes[i + 1]->perms[0].id = c->domid;
		if (next_name)
			nodes[i + 1]->children[next_len] = '\0';
		parent = nodes[i + 1];
		pos = end + 1;
	}
	{
		size_t e1 = start;

		while (e1 < plen && path[e1] != '/')
			e1++;
		top = with_child(s, anc, path + start, e1 - start);
	}
	if (!top)
		goto out;
	nodes[0] = top;
	rc = event_for(v, nodes[k]);
	if (rc) {
		/* Nothing was put yet. */
		goto out;
	}
	for (i = 0; i <= k; i++)
		xs_view_put(v, nodes[i]);
	xs_free(s, nodes);
	return 0;
out:
	for (i = 0; i <= k; i++)
		xs_free(s, nodes[i]);
	xs_free(s, nodes);
	return rc;
}

/* WRITE and MKDIR. */
static int write_path(struct xs_conn *c, struct xs_view *v, const char *path, size_t plen,
		      const char *value, size_t vlen, bool mkdir)
{
	const struct xs_node *n, *anc;
	struct xs_node *m;
	size_t alen = plen;
	int rc = xs_view_get(v, path, plen, &n);

	if (rc && rc != ENOENT)
		return rc;
	if (n) {
		if (!(perm_node(c, n) & XS_PERM_WRITE))
			return EACCES;
		if (mkdir)
			return 0;
		m = xs_node_build(v->s, path, plen, n->perms, n->nperms, value, vlen, n->children,
				  n->clen);
		if (!m)
			return ENOMEM;
		rc = event_for(v, m);
		if (rc) {
			xs_free(v->s, m);
			return rc;
		}
		xs_view_put(v, m);
		return 0;
	}
	do {
		alen = parent_len(path, alen);
		rc = xs_view_get(v, path, alen, &anc);
		if (rc && rc != ENOENT)
			return rc;
	} while (!anc && alen > 1);
	if (!anc)
		return ENOENT; /* no root: cannot happen, "/" is never removed */
	if (!(perm_node(c, anc) & XS_PERM_WRITE))
		return EACCES;
	return create_path(c, v, path, plen, anc, alen, value, vlen);
}

/*
 * Remove top (at path) and everything below it: collect the subtree
 * breadth-first into the event's removed list (no recursion), build
 * everything that needs memory, then remove.
 */
static int rm_subtree_do(struct xs_view *v, const char *path, size_t plen,
			 const struct xs_node *top)
{
	struct xs_store *s = v->s;
	struct xs_event *e = xs_event_new(s, path, plen, top->perms, top->nperms);
	const struct xs_node *parent, *n;
	struct xs_node *newparent = NULL, **tombs = NULL;
	size_t ppl = parent_len(path, plen), i, ntombs = 0;
	int rc = ENOMEM;

	if (!e)
		return ENOMEM;
	e->rm = true;
	for (i = 0; i <= e->nremoved; i++) {
		const char *cpath = i ? e->removed[i - 1].path : path;
		size_t cplen = i ? e->removed[i - 1].plen : plen;
		size_t off = 0;

		rc = xs_view_get(v, cpath, cplen, &n);
		if (rc && rc != ENOENT)
			goto out;
		if (!n)
			continue;
		while (off < n->clen) {
			size_t l = strnlen(n->children + off, n->clen - off);
			char child[XENSTORE_ABS_PATH_MAX + 1];
			const struct xs_node *cn;

			if (cplen + 1 + l <= XENSTORE_ABS_PATH_MAX) {
				size_t b = cplen > 1 ? cplen : 0;

				memcpy(child, cpath, b);
				child[b] = '/';
				memcpy(child + b + 1, n->children + off, l);
				rc = xs_view_get(v, child, b + 1 + l, &cn);
				if (rc && rc != ENOENT)
					goto out;
				rc = ENOMEM;
				if (cn && xs_event_add_removed(s, e, cn))
					goto out;
			}
			off += l + 1;
		}
	}
	rc = xs_view_get(v, path, ppl, &parent);
	if (rc && rc != ENOENT)
		goto out;
	rc = ENOMEM;
	if (!parent) {
		rc = EINVAL; /* a node without its parent: cannot happen */
		goto out;
	}
	newparent = without_child(s, parent, path + (ppl > 1 ? ppl + 1 : 1),
				  plen - (ppl > 1 ? ppl + 1 : 1));
	if (!newparent)
		goto out;
	if (v->tx) {
		tombs = xs_alloc(s, (e->nremoved + 1) * sizeof(*tombs));
		if (!tombs)
			goto out;
		for (ntombs = 0; ntombs <= e->nremoved; ntombs++) {
			const char *tp = ntombs ? e->removed[ntombs - 1].path : path;
			size_t tl = ntombs ? e->removed[ntombs - 1].plen : plen;

			tombs[ntombs] = xs_node_build(s, tp, tl, NULL, 0, NULL, 0, NULL, 0);
			if (!tombs[ntombs])
				goto out;
		}
	}
	for (i = 0; i <= e->nremoved; i++) {
		const char *tp = i ? e->removed[i - 1].path : path;
		size_t tl = i ? e->removed[i - 1].plen : plen;

		xs_view_del(v, tp, tl, tombs ? tombs[i] : NULL);
	}
	xs_free(s, tombs);
	xs_view_put(v, newparent);
	xs_view_event(v, e);
	return 0;
out:
	if (tombs) {
		for (i = 0; i < ntombs; i++)
			xs_free(s, tombs[i]);
		xs_free(s, tombs);
	}
	xs_free(s, newparent);
	xs_event_free(s, e);
	return rc;
}

/*
 * In the live tree, rm's bookkeeping is not held against the memory cap:
 * it is freed before this returns, with the nodes, and a full store must
 * still be emptied.
 */
static int rm_subtree(struct xs_view *v, const char *path, size_t plen, const struct xs_node *top)
{
	bool exempt = v->s->mem_exempt;
	int rc;

	v->s->mem_exempt = !v->tx;
	rc = rm_subtree_do(v, path, plen, top);
	v->s->mem_exempt = exempt;
	return rc;
}

/* ---- handlers ----------------------------------------------------------------- */

struct req {
	struct xs_conn *c;
	struct xs_view *v; /* the live tree or the header's transaction */
	const struct xsd_sockmsg *h;
	const char *body; /* NUL-terminated at len */
	size_t len;
};

/* The single argument of most requests, as a canonical path. */
static int one_path(const struct req *r, char *path, size_t *plen)
{
	const char *a;
	size_t al;
	bool rel;
	int rc = get_strings(r->body, r->len, 1, &a, &al);

	return rc ? rc : canon_path(r->c, a, al, path, plen, &rel);
}

static int do_read(const struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	const struct xs_node *n;
	size_t plen;
	int rc = one_path(r, path, &plen);

	if (!rc)
		rc = get_node_perm(r->c, r->v, path, plen, XS_PERM_READ, &n);
	return rc ? rc : reply(r->c, r->h, n->value, n->vlen);
}

static int do_write(const struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	const char *nul = memchr(r->body, '\0', r->len);
	size_t plen, vlen;
	bool rel;
	int rc;

	if (!nul)
		return EINVAL;
	vlen = r->len - (nul - r->body) - 1;
	rc = canon_path(r->c, r->body, nul - r->body, path, &plen, &rel);
	if (rc)
		return rc;
	if (!r->c->privileged && vlen > r->c->s->lim.node_size)
		return ENOSPC;
	rc = write_path(r->c, r->v, path, plen, nul + 1, vlen, false);
	return rc ? rc : reply_ok(r->c, r->h);
}

static int do_mkdir(const struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	size_t plen;
	int rc = one_path(r, path, &plen);

	if (!rc)
		rc = write_path(r->c, r->v, path, plen, NULL, 0, true);
	return rc ? rc : reply_ok(r->c, r->h);
}

static int do_rm(const struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	const struct xs_node *n, *parent;
	size_t plen;
	int rc = one_path(r, path, &plen);

	if (rc)
		return rc;
	if (plen == 1)
		return EINVAL;
	rc = get_node_perm(r->c, r->v, path, plen, XS_PERM_WRITE, &n);
	if (rc == ENOENT) {
		/* Not there is fine, if the parent is (Xen). */
		rc = xs_view_get(r->v, path, parent_len(path, plen), &parent);
		if (rc && rc != ENOENT)
			return rc;
		return parent ? reply_ok(r->c, r->h) : ENOENT;
	}
	if (!rc)
		rc = rm_subtree(r->v, path, plen, n);
	return rc ? rc : reply_ok(r->c, r->h);
}

static int do_directory(const struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	const struct xs_node *n;
	size_t plen;
	int rc = one_path(r, path, &plen);

	if (!rc)
		rc = get_node_perm(r->c, r->v, path, plen, XS_PERM_READ, &n);
	if (rc)
		return rc;
	if (n->clen > XENSTORE_PAYLOAD_MAX)
		return E2BIG;
	return reply(r->c, r->h, n->children, n->clen);
}

/*
 * DIRECTORY_PART path|offset|: "<generation>|" then the whole children
 * names from byte offset on that fit, then one more NUL if that was the
 * last of them.
 */
static int do_directory_part(const struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 1], out[XENSTORE_PAYLOAD_MAX];
	const char *argv[2];
	size_t argl[2], plen, used, off;
	const struct xs_node *n;
	uint64_t off64;
	bool rel;
	int rc = get_strings(r->body, r->len, 2, argv, argl);

	if (!rc)
		rc = canon_path(r->c, argv[0], argl[0], path, &plen, &rel);
	if (!rc)
		rc = parse_u64(argv[1], argl[1], UINT32_MAX, &off64);
	if (!rc)
		rc = get_node_perm(r->c, r->v, path, plen, XS_PERM_READ, &n);
	if (rc)
		return rc;
	off = off64;
	if (off > n->clen || (off && n->children[off - 1] != '\0'))
		return EINVAL;
	used = snprintf(out, sizeof(out), "%llu", (unsigned long long)n->gen) + 1;
	while (off < n->clen) {
		size_t l = strlen(n->children + off) + 1;

		if (used + l + 1 > sizeof(out))
			break;
		memcpy(out + used, n->children + off, l);
		used += l;
		off += l;
	}
	if (off == n->clen)
		out[used++] = '\0';
	return reply(r->c, r->h, out, used);
}

static int do_get_perms(const struct req *r)
{
	static const char letter[4] = { 'n', 'r', 'w', 'b' };
	char path[XENSTORE_ABS_PATH_MAX + 1], out[XENSTORE_PAYLOAD_MAX];
	const struct xs_node *n;
	size_t plen, used = 0;
	int rc = one_path(r, path, &plen);

	if (!rc)
		rc = get_node_perm(r->c, r->v, path, plen, XS_PERM_READ, &n);
	if (rc)
		return rc;
	for (unsigned i = 0; i < n->nperms; i++) {
		int k = snprintf(out + used, sizeof(out) - used, "%c%u", letter[n->perms[i].perm & 3],
				 n->perms[i].id);

		if (k < 0 || (size_t)k + 1 > sizeof(out) - used)
			return E2BIG;
		used += k + 1;
	}
	return reply(r->c, r->h, out, used);
}

static int do_set_perms(const struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	const char *nul = memchr(r->body, '\0', r->len);
	struct xs_perm *perms;
	const struct xs_node *n;
	struct xs_node *m;
	unsigned nperms = 0;
	size_t plen, off;
	bool rel;
	int rc;

	if (!nul || r->body[r->len - 1] != '\0')
		return EINVAL;
	rc = canon_path(r->c, r->body, nul - r->body, path, &plen, &rel);
	if (rc)
		return rc;
	off = nul - r->body + 1;
	for (size_t i = off; i < r->len; i++)
		nperms += r->body[i] == '\0';
	if (nperms == 0)
		return EINVAL;
	if (!r->c->privileged && nperms > r->c->s->lim.perms)
		return ENOSPC;
	perms = xs_alloc(r->c->s, nperms * sizeof(*perms));
	if (!perms)
		return ENOMEM;
	for (unsigned i = 0; i < nperms; i++) {
		size_t l = strlen(r->body + off);
		unsigned id;
		uint8_t p;

		switch (l ? r->body[off] : 0) {
		case 'n': p = XS_PERM_NONE; break;
		case 'r': p = XS_PERM_READ; break;
		case 'w': p = XS_PERM_WRITE; break;
		case 'b': p = XS_PERM_READ | XS_PERM_WRITE; break;
		default: rc = EINVAL; goto out;
		}
		rc = parse_domid(r->body + off + 1, l - 1, &id);
		if (rc)
			goto out;
		perms[i].id = id;
		perms[i].perm = p;
		off += l + 1;
	}
	rc = get_node_perm(r->c, r->v, path, plen, XS_PERM_WRITE | XS_PERM_OWNER, &n);
	if (rc)
		goto out;
	/* Unprivileged domains may not give their nodes away (Xen). */
	rc = EPERM;
	if (!r->c->privileged && perms[0].id != n->perms[0].id)
		goto out;
	rc = ENOMEM;
	if (!xs_domain_get(r->c->s, perms[0].id, true))
		goto out;
	m = xs_node_build(r->c->s, path, plen, perms, nperms, n->value, n->vlen, n->children,
			  n->clen);
	if (!m)
		goto out;
	rc = event_for(r->v, m);
	if (rc) {
		xs_free(r->c->s, m);
		goto out;
	}
	xs_view_put(r->v, m);
	rc = reply_ok(r->c, r->h);
out:
	xs_free(r->c->s, perms);
	return rc;
}

/* The watch path: a special name, or a path canonicalized like any other. */
static int watch_path(const struct req *r, const char *given, size_t glen, char *abs,
		      size_t *alen, bool *rel)
{
	if (glen && given[0] == '@') {
		if (strcmp(given, special_intro) && strcmp(given, special_release))
			return EINVAL;
		memcpy(abs, given, glen + 1);
		*alen = glen;
		*rel = false;
		return 0;
	}
	return canon_path(r->c, given, glen, abs, alen, rel);
}

static int do_watch(const struct req *r)
{
	char abs[XENSTORE_ABS_PATH_MAX + 1];
	const char *argv[2];
	size_t argl[2], alen;
	bool rel;
	int rc = get_strings(r->body, r->len, 2, argv, argl);

	if (!rc)
		rc = watch_path(r, argv[0], argl[0], abs, &alen, &rel);
	if (!rc)
		rc = xs_watch_add(r->c, abs, alen, argv[1], argl[1], rel);
	if (!rc)
		rc = reply_ok(r->c, r->h);
	if (!rc)
		xs_watch_fire_initial(r->c, argv[0], argl[0], argv[1], argl[1]);
	return rc;
}

static int do_unwatch(const struct req *r)
{
	char abs[XENSTORE_ABS_PATH_MAX + 1];
	const char *argv[2];
	size_t argl[2], alen;
	bool rel;
	int rc = get_strings(r->body, r->len, 2, argv, argl);

	if (!rc)
		rc = watch_path(r, argv[0], argl[0], abs, &alen, &rel);
	if (!rc)
		rc = xs_watch_del(r->c, abs, alen, argv[1], argl[1]);
	return rc ? rc : reply_ok(r->c, r->h);
}

static struct xs_tx_link **find_tx(struct xs_conn *c, uint32_t id)
{
	struct xs_tx_link **pp;

	for (pp = &c->txs; *pp; pp = &(*pp)->next)
		if (xs_tx_id((*pp)->tx) == id)
			return pp;
	return NULL;
}

static int do_transaction_start(const struct req *r)
{
	struct xs_conn *c = r->c;
	struct xs_store *s = c->s;
	struct xs_tx_link *l;
	char out[16];
	uint32_t id;
	int rc;

	if (r->h->tx_id)
		return EBUSY;
	if (!c->privileged && c->ntxs >= s->lim.transactions)
		return ENOSPC;
	do {
		id = s->next_tx++;
	} while (id == 0 || find_tx(c, id));
	l = xs_alloc(s, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->tx = xs_tx_new(s, id, c->privileged ? 0 : s->lim.tx_nodes);
	if (!l->tx) {
		xs_free(s, l);
		return ENOMEM;
	}
	rc = reply(c, r->h, out, snprintf(out, sizeof(out), "%u", id) + 1);
	if (rc) {
		xs_tx_free(s, l->tx);
		xs_free(s, l);
		return rc;
	}
	l->next = c->txs;
	c->txs = l;
	c->ntxs++;
	return 0;
}

static int do_transaction_end(const struct req *r)
{
	struct xs_conn *c = r->c;
	struct xs_tx_link **pp = r->h->tx_id ? find_tx(c, r->h->tx_id) : NULL, *l;
	const char *a;
	size_t al;
	int rc;

	if (!pp)
		return ENOENT;
	rc = get_strings(r->body, r->len, 1, &a, &al);
	if (rc || al != 1 || (a[0] != 'T' && a[0] != 'F'))
		return EINVAL;
	l = *pp;
	*pp = l->next;
	c->ntxs--;
	if (a[0] == 'T') {
		rc = xs_tx_commit(c->s, l->tx);
	} else {
		xs_tx_free(c->s, l->tx);
		rc = 0;
	}
	xs_free(c->s, l);
	return rc ? rc : reply_ok(c, r->h);
}

static void drop_transactions(struct xs_conn *c)
{
	struct xs_tx_link *l;

	while ((l = c->txs)) {
		c->txs = l->next;
		xs_tx_free(c->s, l->tx);
		xs_free(c->s, l);
	}
	c->ntxs = 0;
}

static int do_introduce(const struct req *r)
{
	struct xs_store *s = r->c->s;
	const char *argv[3];
	size_t argl[3];
	uint64_t mfn, port;
	unsigned domid;
	struct xs_domain *d;
	int rc;

	if (!r->c->privileged)
		return EACCES;
	rc = get_strings(r->body, r->len, 3, argv, argl);
	if (!rc)
		rc = parse_domid(argv[0], argl[0], &domid);
	if (!rc)
		rc = parse_u64(argv[1], argl[1], UINT64_MAX, &mfn);
	if (!rc)
		rc = parse_u64(argv[2], argl[2], UINT32_MAX, &port);
	if (rc || domid == 0 || domid >= DOMID_FIRST_RESERVED_)
		return EINVAL;
	d = xs_domain_get(s, domid, true);
	if (!d)
		return ENOMEM;
	if (d->introduced)
		return EEXIST;
	if (s->ops && s->ops->introduce) {
		rc = s->ops->introduce(s->opaque, domid, mfn, port);
		if (rc)
			return rc < 0 ? -rc : rc;
	}
	/* The transport may have called xs_domain_introduced() already. */
	if (!d->introduced) {
		d->introduced = true;
		xs_fire_special(s, special_intro);
	}
	return reply_ok(r->c, r->h);
}

/* The domain's ring connection goes, and it is no longer introduced. */
static void release_domain(struct xs_store *s, struct xs_domain *d)
{
	if (d->ring_conn)
		xs_conn_free(d->ring_conn); /* clears d->ring_conn */
	d->introduced = false;
	if (s->ops && s->ops->release)
		s->ops->release(s->opaque, d->domid);
}

static int one_domid(const struct req *r, unsigned *domid)
{
	const char *a;
	size_t al;
	int rc = get_strings(r->body, r->len, 1, &a, &al);

	return rc ? rc : parse_domid(a, al, domid);
}

static int do_release(const struct req *r)
{
	struct xs_domain *d;
	unsigned domid;
	int rc;

	if (!r->c->privileged)
		return EACCES;
	rc = one_domid(r, &domid);
	if (rc)
		return rc;
	d = xs_domain_get(r->c->s, domid, false);
	if (!d || !d->introduced)
		return ENOENT;
	if (d->ring_conn == r->c)
		return EINVAL; /* a connection cannot release itself mid-message */
	release_domain(r->c->s, d);
	xs_fire_special(r->c->s, special_release);
	return reply_ok(r->c, r->h);
}

static int do_resume(const struct req *r)
{
	unsigned domid;
	int rc;

	if (!r->c->privileged)
		return EACCES;
	rc = one_domid(r, &domid);
	if (rc)
		return rc;
	return xs_domain_is_introduced(r->c->s, domid) ? reply_ok(r->c, r->h) : ENOENT;
}

static int do_is_domain_introduced(const struct req *r)
{
	unsigned domid;
	int rc = one_domid(r, &domid);

	if (rc)
		return rc;
	return reply(r->c, r->h, xs_domain_is_introduced(r->c->s, domid) ? "T" : "F", 2);
}

static int do_get_domain_path(const struct req *r)
{
	char out[XS_HOME_MAX + 1];
	unsigned domid;
	int rc = one_domid(r, &domid);

	return rc ? rc : reply(r->c, r->h, out, home_path(domid, out, sizeof(out)) + 1);
}

static int do_reset_watches(const struct req *r)
{
	xs_watch_del_all(r->c);
	drop_transactions(r->c);
	return reply_ok(r->c, r->h);
}

static int do_enosys(const struct req *r)
{
	(void)r;
	return ENOSYS;
}

struct handler {
	int (*fn)(const struct req *r);
	bool in_tx; /* works on the transaction the header names */
};

static const struct handler handlers[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { do_enosys, false },
	[XS_DIRECTORY] = { do_directory, true },
	[XS_READ] = { do_read, true },
	[XS_GET_PERMS] = { do_get_perms, true },
	[XS_WATCH] = { do_watch, false },
	[XS_UNWATCH] = { do_unwatch, false },
	[XS_TRANSACTION_START] = { do_transaction_start, false },
	[XS_TRANSACTION_END] = { do_transaction_end, false },
	[XS_INTRODUCE] = { do_introduce, false },
	[XS_RELEASE] = { do_release, false },
	[XS_GET_DOMAIN_PATH] = { do_get_domain_path, false },
	[XS_WRITE] = { do_write, true },
	[XS_MKDIR] = { do_mkdir, true },
	[XS_RM] = { do_rm, true },
	[XS_SET_PERMS] = { do_set_perms, true },
	[XS_IS_DOMAIN_INTRODUCED] = { do_is_domain_introduced, false },
	[XS_RESUME] = { do_resume, false },
	[XS_SET_TARGET] = { do_enosys, false },
	[XS_RESET_WATCHES] = { do_reset_watches, false },
	[XS_DIRECTORY_PART] = { do_directory_part, true },
};

/* Answer one complete message: 0, or -1 if not even an error reply could be queued. */
static int process(struct xs_conn *c)
{
	const struct handler *hd = &handlers[c->hdr.type];
	struct xs_view v = { .s = c->s, .tx = NULL };
	struct req r = { .c = c, .v = &v, .h = &c->hdr, .body = c->body, .len = c->hdr.len };
	int rc = 0;

	c->body[c->hdr.len] = '\0';
	if (hd->in_tx && c->hdr.tx_id) {
		struct xs_tx_link **pp = find_tx(c, c->hdr.tx_id);

		if (pp)
			v.tx = (*pp)->tx;
		else
			rc = ENOENT;
	}
	if (!rc)
		rc = hd->fn(&r);
	if (rc && reply_error(c, &c->hdr, rc))
		return -1;
	return 0;
}

static bool is_request(uint32_t type)
{
	return type < XS_TYPE_COUNT && handlers[type].fn;
}

ssize_t xs_conn_feed(struct xs_conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t used = 0;

	if (c->broken)
		return -1;
	while (used < len) {
		size_t k;

		if (c->hdr_got == 0 && !xs_conn_can_accept(c))
			break;
		if (c->hdr_got < sizeof(c->hdr)) {
			k = sizeof(c->hdr) - c->hdr_got;
			if (k > len - used)
				k = len - used;
			memcpy((uint8_t *)&c->hdr + c->hdr_got, p + used, k);
			c->hdr_got += k;
			used += k;
			if (c->hdr_got < sizeof(c->hdr))
				break;
			if (c->hdr.len > XENSTORE_PAYLOAD_MAX || !is_request(c->hdr.type)) {
				c->broken = true;
				return -1;
			}
		} else {
			k = c->hdr.len - c->body_got;
			if (k > len - used)
				k = len - used;
			memcpy(c->body + c->body_got, p + used, k);
			c->body_got += k;
			used += k;
		}
		if (c->body_got == c->hdr.len) {
			c->hdr_got = 0;
			c->body_got = 0;
			if (process(c)) {
				c->broken = true;
				return -1;
			}
		}
	}
	return used;
}

bool xs_conn_can_accept(const struct xs_conn *c)
{
	if (c->broken)
		return false;
	if (c->privileged)
		return c->out_bytes < XS_PRIV_OUTPUT_HIGH;
	return c->out_replies < c->s->lim.outstanding;
}

/* ---- connections and domains ---------------------------------------------------- */

struct xs_conn *xs_conn_new(struct xs_store *s, unsigned domid, bool privileged,
			    const struct xs_conn_ops *ops, void *opaque)
{
	struct xs_conn *c;

	if (domid > XS_DOMID_MAX)
		return NULL;
	/* Not against the cap: connections are bounded by the transports. */
	c = xs_alloc_nocap(s, sizeof(*c));
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->domid = domid;
	c->privileged = privileged;
	c->ops = ops;
	c->opaque = opaque;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	return c;
}

void xs_conn_free(struct xs_conn *c)
{
	struct xs_store *s;
	struct xs_domain *d;

	if (!c)
		return;
	s = c->s;
	xs_watch_del_all(c);
	drop_transactions(c);
	xs_conn_consume(c, c->out_bytes);
	for (d = s->domains; d; d = d->next)
		if (d->ring_conn == c)
			d->ring_conn = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	xs_free(s, c);
}

unsigned xs_conn_domid(const struct xs_conn *c)
{
	return c->domid;
}

bool xs_domain_is_introduced(const struct xs_store *s, unsigned domid)
{
	const struct xs_domain *d;

	if (domid == DOMID_FIRST_RESERVED_) /* DOMID_SELF */
		return true;
	for (d = s->domains; d; d = d->next)
		if (d->domid == domid)
			return d->introduced;
	return false;
}

int xs_domain_introduced(struct xs_store *s, unsigned domid, struct xs_conn *ring_conn)
{
	struct xs_domain *d;

	if (domid == 0 || domid >= DOMID_FIRST_RESERVED_)
		return EINVAL;
	d = xs_domain_get(s, domid, true);
	if (!d)
		return ENOMEM;
	if (ring_conn && d->ring_conn && d->ring_conn != ring_conn)
		return EEXIST;
	if (ring_conn)
		d->ring_conn = ring_conn;
	if (!d->introduced) {
		d->introduced = true;
		xs_fire_special(s, special_intro);
	}
	return 0;
}

void xs_domain_gone(struct xs_store *s, unsigned domid)
{
	char home[XS_HOME_MAX + 1];
	size_t hlen = home_path(domid, home, sizeof(home));
	struct xs_view v = { .s = s, .tx = NULL };
	const struct xs_node *n;
	struct xs_htab *t = xs_live_table(s);
	struct xs_hentry *e;
	struct xs_domain *d, *d0;

	if (domid > XS_DOMID_MAX)
		return;
	if (domid && xs_view_get(&v, home, hlen, &n) == 0)
		rm_subtree(&v, home, hlen, n); /* ENOMEM leaves it: its nodes go to dom0 below */

	/* Nodes it still owns go to dom0 (Xen's XSA-322), in place. */
	d = xs_domain_get(s, domid, false);
	d0 = xs_domain_get(s, 0, false);
	if (domid) {
		for (size_t i = 0; i < t->nb; i++)
			for (e = t->b[i]; e; e = e->next) {
				struct xs_node *m = (struct xs_node *)e;
				unsigned k = 1;
				bool changed = false;

				if (m->perms[0].id == domid) {
					m->perms[0].id = 0;
					if (d)
						d->nodes--;
					if (d0)
						d0->nodes++;
					changed = true;
				}
				for (unsigned j = 1; j < m->nperms; j++) {
					if (m->perms[j].id == domid) {
						changed = true;
						continue;
					}
					m->perms[k++] = m->perms[j];
				}
				if (m->nperms > 1)
					m->nperms = k;
				if (changed)
					m->gen = ++s->gen;
			}
	}
	if (d && d->introduced)
		release_domain(s, d);
	else if (d && d->ring_conn)
		xs_conn_free(d->ring_conn);
	xs_fire_special(s, special_release);
}

/* ---- the store ------------------------------------------------------------------ */

static int add_standard_node(struct xs_store *s, const char *path, const char *children,
			     size_t clen)
{
	static const struct xs_perm dom0_none = { .id = 0, .perm = XS_PERM_NONE };
	struct xs_view v = { .s = s, .tx = NULL };
	struct xs_node *n = xs_node_build(s, path, strlen(path), &dom0_none, 1, NULL, 0,
					  children, clen);

	if (!n)
		return ENOMEM;
	xs_view_put(&v, n);
	return 0;
}

struct xs_store *xs_store_new(const struct xs_limits *lim, const struct xs_store_ops *ops,
			      void *opaque)
{
	struct xs_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->lim = lim ? *lim : xs_limits_default();
	s->ops = ops;
	s->opaque = opaque;
	s->next_tx = 1;
	xs_ht_init(&s->live);
	if (getrandom(s->sipkey, sizeof(s->sipkey), GRND_NONBLOCK) != sizeof(s->sipkey)) {
		s->sipkey[0] = (uint64_t)time(NULL) ^ (uintptr_t)s;
		s->sipkey[1] = (uint64_t)clock() ^ ((uintptr_t)&s << 17);
	}
	if (!xs_domain_get(s, 0, true) ||
	    add_standard_node(s, "/", "local\0vm\0tool", 14) ||
	    add_standard_node(s, "/local", "domain", 7) ||
	    add_standard_node(s, "/local/domain", NULL, 0) ||
	    add_standard_node(s, "/vm", NULL, 0) ||
	    add_standard_node(s, "/tool", NULL, 0)) {
		xs_store_free(s);
		return NULL;
	}
	return s;
}

void xs_store_free(struct xs_store *s)
{
	if (!s)
		return;
	while (s->conns)
		xs_conn_free(s->conns);
	xs_tree_free(s);
	free(s);
}
