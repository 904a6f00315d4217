/*
 * dom0 grants: pages of a service's grant arena that one domain may map,
 * as the grants of Xen's dom0 (a vchan server in dom0 grants its rings
 * this way). See service.h.
 *
 * The table is bulkhead's, not guest memory: a service names the domain
 * and page, bulkhead keeps the entry. An entry lives while its service has
 * not ended it or while a domain maps it, whichever is longer, and holds
 * its arena meanwhile, so a page a domain maps is never reused under it.
 */
#include "service.h"

#include <errno.h>
#include <stdio.h>

#include <xen/grant_table.h>

#include <bulkhead/control.h>

#include "domain.h"
#include "grant_table.h"
#include "xsm.h"

#define PAGE 4096u

struct dom0_grant {
	struct arena *arena;     /* NULL: the entry is free; else held */
	struct service *owner;   /* NULL once ended (or its service closed) */
	uint32_t page;
	uint32_t sid;            /* the granting service's label */
	uint32_t maps;
	domid_t domid;           /* DOMID_INVALID once that domain is gone */
	uint64_t serial;         /* the domain's (domain.h) */
	bool readonly;
};

static pthread_mutex_t dom0_grants_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dom0_grant dom0_grants[DOM0_GRANT_MAX];

/* Free the entry if nobody needs it any more. Called with the lock; the arena to put, or NULL. */
static struct arena *grant_maybe_free(struct dom0_grant *g)
{
	struct arena *a = g->arena;

	if (g->owner || g->maps)
		return NULL;
	*g = (struct dom0_grant){ 0 };
	return a;
}

int service_grant_access(struct service *s, domid_t domid, uint32_t page, bool readonly,
			 char *err, size_t errlen)
{
	struct domain *d = domain_get(domid);
	struct arena *a;
	uint64_t serial;
	uint32_t ref;
	int rc;

	if (!d)
		return -ESRCH;
	rc = xsm_service_grant_access(s, d);
	serial = d->serial;
	domain_put(d);
	if (rc)
		return rc;
	pthread_mutex_lock(&s->lock);
	a = s->arena;
	if (a && a->role == BH_ARENA_GRANT)
		arena_hold(a);
	else
		a = NULL;
	pthread_mutex_unlock(&s->lock);
	if (!a) {
		snprintf(err, errlen, "this connection has registered no grant arena");
		return -EINVAL;
	}
	if (page >= a->pages) {
		snprintf(err, errlen, "page %u is outside the %u-page arena", page, a->pages);
		arena_put(a);
		return -EINVAL;
	}
	pthread_mutex_lock(&dom0_grants_lock);
	/* One connection must not take the table every service shares. */
	if (s->grants >= DOM0_GRANT_QUOTA) {
		pthread_mutex_unlock(&dom0_grants_lock);
		snprintf(err, errlen, "this connection holds its quota of %u dom0 grants",
			 DOM0_GRANT_QUOTA);
		arena_put(a);
		return -ENOSPC;
	}
	for (ref = DOM0_GRANT_FIRST; ref < DOM0_GRANT_MAX && dom0_grants[ref].arena; ref++)
		;
	if (ref < DOM0_GRANT_MAX) {
		dom0_grants[ref] = (struct dom0_grant){ a, s, page, s->sid, 0, domid, serial,
							readonly };
		s->grants++;
	}
	pthread_mutex_unlock(&dom0_grants_lock);
	if (ref == DOM0_GRANT_MAX) {
		snprintf(err, errlen, "dom0's %u grant entries are all in use", DOM0_GRANT_MAX);
		arena_put(a);
		return -ENOSPC;
	}
	return (int)ref;
}

/* The owner lets go of g (with the lock): it leaves the owner's quota. */
static struct arena *grant_disown(struct dom0_grant *g)
{
	g->owner->grants--;
	g->owner = NULL;
	return grant_maybe_free(g);
}

int service_grant_end(struct service *s, uint32_t ref)
{
	struct arena *a = NULL;
	int rc = -EINVAL;

	if (ref >= DOM0_GRANT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&dom0_grants_lock);
	if (dom0_grants[ref].arena && dom0_grants[ref].owner == s) {
		if (dom0_grants[ref].maps) {
			rc = -EBUSY;
		} else {
			a = grant_disown(&dom0_grants[ref]);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&dom0_grants_lock);
	if (a)
		arena_put(a);
	return rc;
}

void service_grant_close(struct service *s)
{
	for (uint32_t ref = DOM0_GRANT_FIRST; ref < DOM0_GRANT_MAX; ref++) {
		struct arena *a = NULL;

		pthread_mutex_lock(&dom0_grants_lock);
		if (dom0_grants[ref].arena && dom0_grants[ref].owner == s)
			a = grant_disown(&dom0_grants[ref]);
		pthread_mutex_unlock(&dom0_grants_lock);
		if (a)
			arena_put(a);
	}
}

int16_t dom0_grant_sid(uint32_t ref, uint32_t *sid)
{
	if (ref >= DOM0_GRANT_MAX)
		return GNTST_bad_gntref;
	pthread_mutex_lock(&dom0_grants_lock);
	*sid = dom0_grants[ref].arena && dom0_grants[ref].owner ? dom0_grants[ref].sid : 0;
	pthread_mutex_unlock(&dom0_grants_lock);
	/* As grant_acquire for a domain's entry that lets nobody in. */
	return *sid ? GNTST_okay : GNTST_permission_denied;
}

int16_t dom0_grant_map(uint32_t ref, const struct domain *mapper, bool readonly, uint32_t sid,
		       void **host, struct arena **arena)
{
	struct dom0_grant *g;
	int16_t st = GNTST_okay;

	if (ref >= DOM0_GRANT_MAX)
		return GNTST_bad_gntref;
	pthread_mutex_lock(&dom0_grants_lock);
	g = &dom0_grants[ref];
	/* Ended and granted again (by another service) since the check: refused. */
	if (!g->arena || !g->owner || g->sid != sid || g->domid != mapper->id ||
	    g->serial != mapper->serial || (g->readonly && !readonly))
		st = GNTST_permission_denied;
	else if (g->maps == UINT32_MAX)
		st = GNTST_no_space;
	if (st == GNTST_okay) {
		g->maps++;
		arena_hold(g->arena);
		*arena = g->arena;
		*host = g->arena->base + (size_t)g->page * PAGE;
	}
	pthread_mutex_unlock(&dom0_grants_lock);
	return st;
}

void dom0_grants_domain_gone(const struct domain *d)
{
	pthread_mutex_lock(&dom0_grants_lock);
	for (uint32_t ref = DOM0_GRANT_FIRST; ref < DOM0_GRANT_MAX; ref++)
		if (dom0_grants[ref].arena && dom0_grants[ref].domid == d->id &&
		    dom0_grants[ref].serial == d->serial)
			dom0_grants[ref].domid = DOMID_INVALID;
	pthread_mutex_unlock(&dom0_grants_lock);
}

void dom0_grant_unmap(uint32_t ref, struct arena *arena)
{
	struct arena *a = NULL;

	if (ref < DOM0_GRANT_MAX) {
		pthread_mutex_lock(&dom0_grants_lock);
		if (dom0_grants[ref].arena == arena && dom0_grants[ref].maps) {
			dom0_grants[ref].maps--;
			a = grant_maybe_free(&dom0_grants[ref]);
		}
		pthread_mutex_unlock(&dom0_grants_lock);
	}
	if (a)
		arena_put(a);
	arena_put(arena); /* the mapping's own */
}

int16_t service_grant_copy(struct service *s, domid_t domid, uint32_t ref, uint16_t offset,
			   uint16_t len, void *buf, bool to_guest)
{
	struct domain *d;
	int16_t st;

	if (domid >= DOMID_FIRST_RESERVED || !(d = domain_get(domid)))
		return GNTST_bad_domain;
	if (xsm_service_grant_copy(s, d))
		st = GNTST_permission_denied;
	else
		st = grant_copy_for_dom0(d, ref, offset, len, buf, to_guest);
	domain_put(d);
	return st;
}
