/*
 * The control protocol between bulkhead and host services (bh, and later
 * xenstored and the GUI daemon). docs/control-protocol.md is the
 * reference; this header is its layout.
 *
 * A Unix stream socket. Every message, either way, is a header and
 * `len` bytes of payload. Integers are little-endian (the host's order:
 * the socket is local). A reply carries the request's op with
 * BH_CTL_REPLY set, the request's seq, and starts with an int32 status (0
 * or a negative errno) before its payload.
 *
 * bulkhead checks magic, version and len before it reads a payload, and
 * closes a connection that sends a malformed header.
 */
#ifndef BULKHEAD_CONTROL_H
#define BULKHEAD_CONTROL_H

#include <stdint.h>

#define BH_CTL_MAGIC 0x31434842u /* "BHC1" */
#define BH_CTL_VERSION 1u
#define BH_CTL_REPLY 0x8000u
#define BH_CTL_NOTIFY 0x4000u /* unsolicited, bulkhead to client; seq 0 */
#define BH_CTL_PAYLOAD_MAX ((64u << 20) + 4096u) /* a policy, with room */
#define BH_CTL_STRING_MAX 4096u

struct bh_ctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t len; /* payload bytes after this header */
	uint32_t seq; /* echoed in the reply */
};

/* Operations. Payloads are described next to each. */
enum bh_ctl_op {
	/* FLASK (Xen's flask_op.h), each checked against the security class. */
	BH_CTL_FLASK_LOAD = 1,        /* in: policy bytes */
	BH_CTL_FLASK_GETENFORCE = 2,  /* out: u32 enforcing */
	BH_CTL_FLASK_SETENFORCE = 3,  /* in: u32 enforcing */
	BH_CTL_FLASK_CONTEXT_TO_SID = 4, /* in: context (no NUL); out: u32 sid */
	BH_CTL_FLASK_SID_TO_CONTEXT = 5, /* in: u32 sid; out: context (no NUL) */
	BH_CTL_FLASK_ACCESS = 6,      /* in: bh_ctl_access; out: bh_ctl_access_result */
	BH_CTL_FLASK_GETBOOL = 7,     /* in: bh_ctl_bool (+name); out: bh_ctl_bool + name */
	BH_CTL_FLASK_SETBOOL = 8,     /* in: bh_ctl_bool (+name); out: bh_ctl_bool */
	BH_CTL_FLASK_COMMITBOOLS = 9, /* no payload */
	BH_CTL_FLASK_AVC_STATS = 10,  /* out: bh_ctl_avc_stats */
	BH_CTL_FLASK_POLICYVERS = 11, /* out: u32 */

	/*
	 * Domains, each checked against the domain class (docs/control-protocol.md).
	 * A failed request's reply may carry a message after its status.
	 */
	/* in: bh_ctl_create, path, config text, and the kernel's and ramdisk's fds; out: bh_ctl_dominfo */
	BH_CTL_DOMAIN_CREATE = 32,
	BH_CTL_DOMAIN_DESTROY = 33,  /* in: u32 domid */
	BH_CTL_DOMAIN_PAUSE = 34,    /* in: u32 domid */
	BH_CTL_DOMAIN_UNPAUSE = 35,  /* in: u32 domid */
	BH_CTL_DOMAIN_SHUTDOWN = 36, /* in: bh_ctl_shutdown */
	BH_CTL_DOMAIN_LIST = 37,     /* out: bh_ctl_dominfo x n, those the caller may see */
	BH_CTL_DOMAIN_INFO = 38,     /* in: u32 domid; out: bh_ctl_dominfo */
	BH_CTL_CONSOLE_READ = 39,    /* in: bh_ctl_console_read; out: bh_ctl_console_data, bytes */
	BH_CTL_DMESG = 40,           /* in: u32 clear; out: the hypervisor log, text */
	BH_CTL_PHYSINFO = 41,        /* out: bh_ctl_physinfo, then the TCG event log's path (text) */

	/*
	 * Host services (DESIGN.md section 3): arenas and event channels. A
	 * service's ports are its own numbers; their events arrive as
	 * BH_CTL_EV_EVTCHN notifications on the same connection.
	 */
	BH_CTL_ARENA_REGISTER = 48,  /* in: bh_ctl_arena, and the memfd (SCM_RIGHTS) */
	BH_CTL_EVTCHN_BIND = 49,     /* in: bh_ctl_evtchn_bind; out: u32 local port */
	BH_CTL_EVTCHN_BIND_VIRQ = 50, /* in: u32 virq (VIRQ_DOM_EXC); out: u32 local port */
	BH_CTL_EVTCHN_SEND = 51,     /* in: u32 local port */
	BH_CTL_EVTCHN_CLOSE = 52,    /* in: u32 local port */
	/* A port that domid binds with EVTCHNOP_bind_interdomain(remote_dom 0, port). */
	BH_CTL_EVTCHN_ALLOC_UNBOUND = 53, /* in: u32 domid; out: u32 local port */
	/*
	 * dom0 grants: pages of the service's BH_ARENA_GRANT arena that domid
	 * maps with GNTTABOP_map_grant_ref(dom 0, ref). The refs are dom0's,
	 * shared by every service, as Xen's dom0 has one grant table.
	 */
	BH_CTL_GRANT_ACCESS = 54,    /* in: bh_ctl_grant_access; out: u32 ref */
	BH_CTL_GRANT_END = 55,       /* in: u32 ref; -EBUSY while a domain maps it */
	/* GNTTABOP_copy for a service: a domain's pages that it granted to dom0. */
	BH_CTL_GRANT_COPY = 56,      /* in/out: see bh_ctl_grant_copy */
	BH_CTL_OP_MAX
};

/* Notifications: op = BH_CTL_NOTIFY | event, seq 0, no status word. */
enum bh_ctl_event {
	BH_CTL_EV_EVTCHN = 1, /* u32 local ports that fired, 1..1024 of them */
	/* u32 local ports whose guest end closed (the guest closed it, or died); close them. */
	BH_CTL_EV_EVTCHN_CLOSED = 2,
};

/* Domain states, as `bh list` shows them. */
enum bh_ctl_domstate {
	BH_DOMSTATE_RUNNING = 0,
	BH_DOMSTATE_PAUSED = 1,
	BH_DOMSTATE_SHUTDOWN = 2, /* shutdown_reason: SHUTDOWN_* of xen/sched.h */
	BH_DOMSTATE_CRASHED = 3,
	BH_DOMSTATE_DYING = 4,
};

#define BH_CREATE_PAUSED 1u /* build it, but do not start vCPU 0 */

/*
 * Followed by path_len bytes of path (no NUL), the config text, then
 * extra_len bytes of xl's KEY=VALUE lines, which replace the file's values.
 * The request carries the kernel, open, then the ramdisk if the config
 * names one (SCM_RIGHTS): bulkhead reads images with the requester's
 * authority and never opens the config's paths.
 */
struct bh_ctl_create {
	uint32_t flags;
	uint32_t path_len; /* relative kernel paths resolve against its directory */
	uint32_t extra_len;
};

#define BH_NAME_MAX 64
#define BH_LABEL_MAX 256
#define BH_NO_STORE (~0ull)

struct bh_ctl_dominfo {
	uint32_t domid;
	uint32_t state;           /* bh_ctl_domstate */
	uint32_t shutdown_reason;
	uint32_t vcpus;
	uint32_t vcpus_online;
	uint32_t ssid;
	uint64_t memory_kib;
	uint64_t uptime_ns;
	uint64_t cpu_ns;          /* time its vCPU threads ran */
	uint64_t hypercalls;
	uint64_t store_mfn;       /* page of xenstored's arena, or BH_NO_STORE */
	uint32_t store_evtchn;    /* the guest's port for xenstore, 0 = none */
	uint32_t restarts;
	char name[BH_NAME_MAX];   /* NUL-terminated */
	char label[BH_LABEL_MAX]; /* the security context, NUL-terminated */
};

/* Force the shutdown if the guest has not shut down after timeout_ms. */
struct bh_ctl_shutdown {
	uint32_t domid;
	uint32_t reason;          /* SHUTDOWN_poweroff or SHUTDOWN_reboot */
	uint32_t timeout_ms;      /* 0: now */
};

/* Console history: each domain keeps the last BH_CONSOLE_HISTORY bytes. */
#define BH_CONSOLE_HISTORY (64u << 10)
struct bh_ctl_console_read {
	uint32_t domid;
	uint32_t max;             /* at most this many bytes (<= BH_CONSOLE_HISTORY) */
	uint64_t offset;          /* stream offset to read from */
};
struct bh_ctl_console_data {
	uint64_t offset;          /* where the bytes start: > request's if it was overwritten */
	uint64_t end;             /* the stream's end now */
	uint32_t state;           /* bh_ctl_domstate */
	uint32_t pad;
};

struct bh_ctl_physinfo {
	uint32_t nr_cpus;
	uint32_t nr_domains;
	uint64_t total_kib;
	uint64_t free_kib;
	uint64_t domain_kib;      /* RAM given to domains */
	uint64_t uptime_ns;       /* since bulkhead started */
	uint32_t xen_major, xen_minor;
	uint32_t flask_enforcing;
	uint32_t pad;
};

enum bh_arena_role {
	BH_ARENA_XENSTORE = 1, /* one page per domain: its xenstore ring at STORE_PFN */
	BH_ARENA_GRANT = 2,    /* pages the service grants to domains (BH_CTL_GRANT_ACCESS) */
};

struct bh_ctl_grant_access {
	uint32_t domid;           /* the one domain that may map it */
	uint32_t page;            /* in the connection's BH_ARENA_GRANT arena */
	uint32_t readonly;
};

/*
 * GRANT_COPY in: bh_ctl_grant_copy, count segments, then the bytes of each
 * BH_GNTCOPY_TO_GUEST segment in order. Out: count int16 GNTST_* statuses
 * (padded to 4 bytes), then the bytes of each segment read from a guest
 * whose status is GNTST_okay, in order. Each segment stays inside its page;
 * the grant must name dom0 (domid 0) and allow writing for TO_GUEST.
 */
#define BH_GNTCOPY_TO_GUEST 1u
#define BH_GRANT_COPY_MAX_SEGS 64u
#define BH_GRANT_COPY_MAX_BYTES (64u << 10)
struct bh_ctl_grant_copy {
	uint32_t count;
};
struct bh_ctl_grant_copy_seg {
	uint32_t domid;
	uint32_t ref;
	uint16_t offset;
	uint16_t len;
	uint32_t flags;           /* BH_GNTCOPY_TO_GUEST, or 0 to read */
};

/* The memfd must be sealed against shrinking and growing, pages*4096 long. */
struct bh_ctl_arena {
	uint32_t role;
	uint32_t pages;
};

struct bh_ctl_evtchn_bind {
	uint32_t domid;
	uint32_t remote_port;     /* an unbound port of domid's that names dom0 */
};

struct bh_ctl_access {
	uint32_t ssid, tsid, tclass; /* tclass: the policy's class value */
};

struct bh_ctl_access_result {
	uint32_t allowed, audit_allow, audit_deny, seqno;
};

/* By id, or by name (name_len > 0: the name follows, no NUL; id is filled). */
struct bh_ctl_bool {
	uint32_t id;
	int32_t cur;      /* out */
	int32_t pending;  /* out */
	uint32_t value;   /* SETBOOL in */
	uint32_t commit;  /* SETBOOL in: also commit every pending value */
	uint32_t name_len;
};

struct bh_ctl_avc_stats {
	uint64_t lookups, hits, misses, allocations, reclaims, denials;
};

#endif
