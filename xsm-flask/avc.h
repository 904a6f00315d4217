/*
 * The access vector cache: decisions of the security server (ss.h), cached
 * by (source SID, target SID, class).
 *
 * A hit takes no lock. Each slot is a seqlock: a reader copies the slot and
 * keeps the copy only if the slot's sequence count was even and unchanged
 * around the copy. A slot also records the security server's sequence
 * number from when its decision was computed; a policy reload or a boolean
 * commit bumps that number and so empties the cache at once, without
 * touching a slot.
 *
 * A miss asks the security server (under its lock) and stores the answer
 * in the slot its key hashes to, evicting what was there (a "reclaim").
 *
 * avc_has_perm() is the one path from a hook to a decision. It also owns
 * the mode (enforcing, permissive) and the audit log.
 */
#ifndef BH_FLASK_AVC_H
#define BH_FLASK_AVC_H

#include <stdbool.h>
#include <stdint.h>

#include "classmap.h"

#define AVC_SLOTS_DEFAULT 512u
#define AVC_SLOTS_MAX (1u << 20)

struct avc_stats {
	uint64_t lookups, hits, misses, allocations, reclaims, denials;
};

/* Who asked, for the audit line. domid < 0 leaves domid= out. */
struct avc_audit {
	int domid;
};

/* slots is rounded up to a power of two within 16..AVC_SLOTS_MAX. */
int avc_init(uint32_t slots);
void avc_fini(void);
uint32_t avc_slots(void);

/*
 * 0 if every permission in `requested` is allowed (or the mode is
 * permissive), -EACCES otherwise. Denials are logged in the SELinux AVC
 * format so that audit2allow reads them.
 */
int avc_has_perm(uint32_t ssid, uint32_t tsid, enum flask_class c, uint32_t requested,
		 const struct avc_audit *ad);

void avc_get_stats(struct avc_stats *st);

/* Global mode. Enforcing unless set otherwise. */
void avc_set_enforcing(bool on);
bool avc_enforcing(void);

/* Where audit lines go; NULL restores the default (the bulkhead log). */
void avc_set_audit_sink(void (*sink)(const char *line));

/*
 * Audit lines allowed per second, for each subject domain and for all of
 * them, before the rest are counted, not printed. At the next second's
 * first line, each domain's count is logged ("avc: N audit messages from
 * domid D suppressed").
 */
#define AVC_AUDIT_PER_DOMAIN 25
#define AVC_AUDIT_PER_SEC 200

#endif
