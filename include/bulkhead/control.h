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
	BH_CTL_OP_MAX
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
