/*
 * bh-xenstored's hypervisor transport: every domain's ring page, its event
 * channel, and the domains coming and going, through bulkhead's control
 * socket for services (DESIGN.md section 3).
 *
 * At start it creates the arena (a sealed memfd, one page per domain),
 * registers it with bulkhead, and binds VIRQ_DOM_EXC. bulkhead then maps a
 * page of it at each new domain's HVM_PARAM_STORE_PFN. A domain is
 * introduced by XS_INTRODUCE (the toolstack, after `bh create`), or by
 * this transport itself when VIRQ_DOM_EXC shows a domain with a ring that
 * nobody introduced (a restart by on_reboot="restart"). A domain that has
 * gone is removed from the store (@releaseDomain): when VIRQ_DOM_EXC's
 * scan no longer lists it, or at once when bulkhead says the guest's end
 * of its ring port closed. Its ring is then never touched again and its
 * port is closed, which lets bulkhead give the page to a new domain.
 *
 * Every index the guest writes is hostile: a ring whose indexes are out of
 * range, or whose bytes break the protocol, is marked broken and no longer
 * served; nothing else is affected.
 */
#ifndef BH_XS_RING_H
#define BH_XS_RING_H

#include "xs_core.h"

#define XS_RING_ARENA_PAGES 1024 /* domains served at once */

/* The ops to create the store with; opaque for them is NULL. */
extern const struct xs_store_ops xs_ring_store_ops;

/* Connect to bulkhead at control_path and serve rings in the loop; 0 or -1 (logged). */
int xs_ring_init(struct xs_store *s, const char *control_path);
void xs_ring_fini(void);

#endif
