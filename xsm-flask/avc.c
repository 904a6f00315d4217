/*
 * Access vector cache. See avc.h for the lock-free read path.
 *
 * Every field of a slot is read and written with atomic builtins, so a
 * reader racing a writer sees torn data only inside a copy that the
 * sequence check then throws away.
 */
#include "avc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "ss.h"

struct avc_slot {
	uint32_t seq; /* odd while a writer fills the slot */
	uint32_t ssid, tsid, tclass;
	uint32_t allowed, auditallow, auditdeny;
	uint32_t ss_seqno; /* 0: empty */
};

static struct avc_slot *slots;
static uint32_t nr_slots = 0;
static bool enforcing = true;

/* Counters are per-thread and summed on read, so hits share no cache line. */
struct avc_counters {
	uint64_t lookups, hits, misses, allocations, reclaims, denials;
	struct avc_counters *next;
};

static pthread_mutex_t counters_lock = PTHREAD_MUTEX_INITIALIZER;
static struct avc_counters *all_counters;
static struct avc_counters retired; /* sums of threads that have exited */
static pthread_key_t counters_key;
static pthread_once_t counters_once = PTHREAD_ONCE_INIT;

static void counters_retire(void *p)
{
	struct avc_counters *c = p, **pp;

	pthread_mutex_lock(&counters_lock);
	for (pp = &all_counters; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	retired.lookups += c->lookups;
	retired.hits += c->hits;
	retired.misses += c->misses;
	retired.allocations += c->allocations;
	retired.reclaims += c->reclaims;
	retired.denials += c->denials;
	pthread_mutex_unlock(&counters_lock);
	free(c);
}

static void counters_key_init(void)
{
	pthread_key_create(&counters_key, counters_retire);
}

static struct avc_counters *my_counters(void)
{
	static __thread struct avc_counters *mine;
	static struct avc_counters fallback;

	if (mine)
		return mine;
	pthread_once(&counters_once, counters_key_init);
	mine = calloc(1, sizeof(*mine));
	if (!mine) {
		mine = &fallback; /* shared and racy, but only counts */
		return mine;
	}
	pthread_setspecific(counters_key, mine);
	pthread_mutex_lock(&counters_lock);
	mine->next = all_counters;
	all_counters = mine;
	pthread_mutex_unlock(&counters_lock);
	return mine;
}

/*
 * Only the owning thread writes its counters, so a relaxed load and store
 * (no locked instruction) is enough; readers may see a count a few behind.
 */
#define BUMP(field)                                                                 \
	do {                                                                        \
		struct avc_counters *c_ = my_counters();                            \
		__atomic_store_n(&c_->field, __atomic_load_n(&c_->field, __ATOMIC_RELAXED) + 1, \
				 __ATOMIC_RELAXED);                                  \
	} while (0)

void avc_get_stats(struct avc_stats *st)
{
	pthread_mutex_lock(&counters_lock);
	st->lookups = retired.lookups;
	st->hits = retired.hits;
	st->misses = retired.misses;
	st->allocations = retired.allocations;
	st->reclaims = retired.reclaims;
	st->denials = retired.denials;
	for (struct avc_counters *c = all_counters; c; c = c->next) {
		st->lookups += __atomic_load_n(&c->lookups, __ATOMIC_RELAXED);
		st->hits += __atomic_load_n(&c->hits, __ATOMIC_RELAXED);
		st->misses += __atomic_load_n(&c->misses, __ATOMIC_RELAXED);
		st->allocations += __atomic_load_n(&c->allocations, __ATOMIC_RELAXED);
		st->reclaims += __atomic_load_n(&c->reclaims, __ATOMIC_RELAXED);
		st->denials += __atomic_load_n(&c->denials, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&counters_lock);
}

int avc_init(uint32_t n)
{
	uint32_t size = 16;

	while (size < n && size < AVC_SLOTS_MAX)
		size <<= 1;
	free(slots);
	slots = calloc(size, sizeof(*slots));
	if (!slots) {
		nr_slots = 0;
		return -ENOMEM;
	}
	__atomic_store_n(&nr_slots, size, __ATOMIC_RELEASE);
	return 0;
}

void avc_fini(void)
{
	free(slots);
	slots = NULL;
	nr_slots = 0;
}

uint32_t avc_slots(void)
{
	return nr_slots;
}

void avc_set_enforcing(bool on)
{
	__atomic_store_n(&enforcing, on, __ATOMIC_RELEASE);
}

bool avc_enforcing(void)
{
	return __atomic_load_n(&enforcing, __ATOMIC_ACQUIRE);
}

static uint32_t avc_hash(uint32_t ssid, uint32_t tsid, uint32_t tclass)
{
	uint64_t h = ssid * 0x9e3779b97f4a7c15ull ^ tsid * 0xc2b2ae3d27d4eb4full ^ tclass;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ (h >> 32));
}

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* Lock-free read of the slot for the key; true on a current hit. */
static bool avc_lookup(struct avc_slot *s, uint32_t ssid, uint32_t tsid, uint32_t tclass,
		       uint32_t cur_seqno, struct ss_decision *d)
{
	uint32_t seq1, seq2;
	bool match;

	seq1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	if (seq1 & 1)
		return false;
	match = LD(s->ssid) == ssid && LD(s->tsid) == tsid && LD(s->tclass) == tclass &&
		LD(s->ss_seqno) == cur_seqno;
	d->allowed = LD(s->allowed);
	d->auditallow = LD(s->auditallow);
	d->auditdeny = LD(s->auditdeny);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	seq2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	return match && seq1 == seq2;
}

/* Store a fresh decision; if another writer holds the slot, skip it. */
static void avc_insert(struct avc_slot *s, uint32_t ssid, uint32_t tsid, uint32_t tclass,
		       const struct ss_decision *d)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	if ((seq & 1) || !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, false,
						      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (LD(s->ss_seqno) != 0)
		BUMP(reclaims);
	BUMP(allocations);
	ST(s->ssid, ssid);
	ST(s->tsid, tsid);
	ST(s->tclass, tclass);
	ST(s->allowed, d->allowed);
	ST(s->auditallow, d->auditallow);
	ST(s->auditdeny, d->auditdeny);
	ST(s->ss_seqno, d->seqno);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

/* ---- audit ---------------------------------------------------------------- */

static void (*audit_sink)(const char *line);

void avc_set_audit_sink(void (*sink)(const char *line))
{
	audit_sink = sink;
}

/*
 * The audit budget, per CLOCK_MONOTONIC second: each subject domain has its
 * own bucket of AVC_AUDIT_PER_DOMAIN lines, and all of them together may
 * log AVC_AUDIT_PER_SEC. A guest that repeats a cheap denied call spends its
 * own bucket and cannot hide another domain's denials.
 *
 * Buckets are found by open addressing on the domid and all emptied when a
 * new second starts, so a table never holds more than that second's
 * subjects; when it is full, the rest share the overflow bucket.
 */
#define AUDIT_BUCKETS 256u
#define AUDIT_OVERFLOW (-2) /* the bucket of subjects the table had no room for */

struct audit_bucket {
	int domid; /* -1: checks made for no domain */
	bool used;
	unsigned int lines;
	uint64_t dropped;
};

/* What a new second reports: the lines each subject lost in the last. */
struct audit_dropped {
	int domid;
	uint64_t n;
};

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t audit_sec;
static unsigned int audit_in_sec;
static struct audit_bucket audit_buckets[AUDIT_BUCKETS], audit_overflow = { .domid = AUDIT_OVERFLOW };

static struct audit_bucket *audit_bucket_of(int domid)
{
	uint32_t h = (uint32_t)domid * 0x9e3779b1u;

	for (unsigned int i = 0; i < AUDIT_BUCKETS; i++) {
		struct audit_bucket *b = &audit_buckets[(h + i) % AUDIT_BUCKETS];

		if (!b->used) {
			*b = (struct audit_bucket){ .domid = domid, .used = true };
			return b;
		}
		if (b->domid == domid)
			return b;
	}
	return &audit_overflow;
}

/*
 * Start a new second: collect what was dropped into out (room for every
 * bucket and the overflow) and empty the table. Called with audit_lock.
 */
static unsigned int audit_new_second(struct audit_dropped *out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < AUDIT_BUCKETS; i++) {
		struct audit_bucket *b = &audit_buckets[i];

		if (b->used && b->dropped)
			out[n++] = (struct audit_dropped){ b->domid, b->dropped };
		b->used = false;
	}
	if (audit_overflow.dropped)
		out[n++] = (struct audit_dropped){ AUDIT_OVERFLOW, audit_overflow.dropped };
	audit_overflow.lines = 0;
	audit_overflow.dropped = 0;
	audit_in_sec = 0;
	return n;
}

static void audit_report_dropped(const struct audit_dropped *d, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned long long c = d[i].n;

		if (d[i].domid >= 0)
			bh_log_audit("avc: %llu audit messages from domid %d suppressed", c, d[i].domid);
		else if (d[i].domid == AUDIT_OVERFLOW)
			bh_log_audit("avc: %llu audit messages from other domains suppressed", c);
		else
			bh_log_audit("avc: %llu audit messages (no domain) suppressed", c);
	}
}

/* May a line for subject domid (-1: none) be logged now? */
static bool audit_ratelimit(int domid)
{
	struct audit_dropped dropped[AUDIT_BUCKETS + 1];
	struct audit_bucket *b;
	unsigned int nd = 0;
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&audit_lock);
	if (ts.tv_sec != audit_sec) {
		audit_sec = ts.tv_sec;
		nd = audit_new_second(dropped);
	}
	b = audit_bucket_of(domid);
	ok = b->lines < AVC_AUDIT_PER_DOMAIN && audit_in_sec < AVC_AUDIT_PER_SEC;
	if (ok) {
		b->lines++;
		audit_in_sec++;
	} else {
		b->dropped++;
	}
	pthread_mutex_unlock(&audit_lock);
	audit_report_dropped(dropped, nd);
	return ok;
}

static void avc_audit(uint32_t ssid, uint32_t tsid, enum flask_class c, uint32_t perms,
		      bool granted, bool permissive, const struct avc_audit *ad)
{
	char line[2 * SS_CONTEXT_MAX + 512], *sctx = NULL, *tctx = NULL;
	size_t len, off;

	if (!audit_ratelimit(ad && ad->domid >= 0 ? ad->domid : -1))
		return;
	off = snprintf(line, sizeof(line), "avc:  %s  {", granted ? "granted" : "denied");
	for (int i = 0; i < FLASK_MAX_PERMS && off < sizeof(line); i++) {
		if (!(perms & (1u << i)))
			continue;
		if (flask_classes[c].perms[i])
			off += snprintf(line + off, sizeof(line) - off, " %s",
					flask_classes[c].perms[i]);
		else
			off += snprintf(line + off, sizeof(line) - off, " 0x%x", 1u << i);
	}
	if (ss_sid_to_context(ssid, &sctx, &len))
		sctx = NULL;
	if (ss_sid_to_context(tsid, &tctx, &len))
		tctx = NULL;
	if (off < sizeof(line))
		off += snprintf(line + off, sizeof(line) - off, " } for ");
	if (ad && ad->domid >= 0 && off < sizeof(line))
		off += snprintf(line + off, sizeof(line) - off, "domid=%d ", ad->domid);
	if (off < sizeof(line)) {
		if (sctx)
			off += snprintf(line + off, sizeof(line) - off, "scontext=%s ", sctx);
		else
			off += snprintf(line + off, sizeof(line) - off, "ssid=%u ", ssid);
	}
	if (off < sizeof(line)) {
		if (tctx)
			off += snprintf(line + off, sizeof(line) - off, "tcontext=%s ", tctx);
		else
			off += snprintf(line + off, sizeof(line) - off, "tsid=%u ", tsid);
	}
	if (off < sizeof(line))
		snprintf(line + off, sizeof(line) - off, "tclass=%s permissive=%d",
			 flask_classes[c].name, permissive);
	free(sctx);
	free(tctx);
	if (audit_sink)
		audit_sink(line);
	else
		bh_log_audit("%s", line);
}

int avc_has_perm(uint32_t ssid, uint32_t tsid, enum flask_class c, uint32_t requested,
		 const struct avc_audit *ad)
{
	uint32_t n = __atomic_load_n(&nr_slots, __ATOMIC_ACQUIRE);
	uint32_t cur_seqno = ss_seqno();
	struct ss_decision d;
	struct avc_slot *s = NULL;
	uint32_t denied, audited;
	bool perm;

	if (c <= SECCLASS_NONE || c >= SECCLASS_NR || requested == 0)
		return -EACCES;
	BUMP(lookups);
	if (n) {
		s = &slots[avc_hash(ssid, tsid, c) & (n - 1)];
		if (avc_lookup(s, ssid, tsid, c, cur_seqno, &d)) {
			BUMP(hits);
			goto decide;
		}
	}
	BUMP(misses);
	ss_compute_av(ssid, tsid, c, &d);
	if (s)
		avc_insert(s, ssid, tsid, c, &d);
decide:
	denied = requested & ~d.allowed;
	if (!denied) {
		audited = requested & d.auditallow;
		if (audited)
			avc_audit(ssid, tsid, c, audited, true, false, ad);
		return 0;
	}
	BUMP(denials);
	perm = !avc_enforcing();
	audited = denied & d.auditdeny;
	if (audited)
		avc_audit(ssid, tsid, c, audited, false, perm, ad);
	return perm ? 0 : -EACCES;
}
