/*
 * The Flask classes and permissions that Bulkhead's hooks check, by Xen's
 * names (policy/flask/access_vectors, which follows Xen 4.21's). A class
 * lists its permissions up to the last one Bulkhead uses; test_xsm checks
 * every name and every constant below against the shipped policy.
 *
 * Bulkhead does not trust a policy to number its classes the way Xen does.
 * The security server looks each name up in the loaded policy and keeps a
 * map (ss.c), so the values here are Bulkhead's own: a class is an index
 * into flask_classes[], and a permission is bit i for the i-th name listed
 * for its class.
 */
#ifndef BH_FLASK_CLASSMAP_H
#define BH_FLASK_CLASSMAP_H

#include <stdint.h>

/* X(enum, "policy name", permission names...) */
#define FLASK_CLASSES(X)                                                                  \
	X(XEN, "xen", "settime", "tbufcontrol", "readconsole", "clearconsole",            \
	  "perfcontrol", "mtrr_add", "mtrr_del", "mtrr_read", "microcode", "physinfo",   \
	  "quirk", "writeconsole", "readapic", "writeapic", "privprofile",                \
	  "nonprivprofile", "kexec", "firmware", "sleep", "frequency", "getidle",         \
	  "debug", "getcpuinfo", "heap", "pm_op", "mca_op", "lockprof", "cpupool_op",     \
	  "hypfs_op", "getscheduler", "setscheduler")                      \
	X(DOMAIN, "domain", "setvcpucontext", "pause", "unpause", "resume", "create",     \
	  "transition", "max_vcpus", "destroy", "setaffinity", "getaffinity",             \
	  "getscheduler", "getdomaininfo", "getvcpuinfo", "getvcpucontext",               \
	  "setdomainmaxmem", "setdomainhandle", "setdebugging", "hypercall", "settime",   \
	  "set_target", "shutdown", "setaddrsize", "getaddrsize", "trigger",              \
	  "getpodtarget", "setpodtarget", "set_misc_info", "set_virq_handler",             \
	  "getpagingmempool", "setpagingmempool")                                         \
	X(DOMAIN2, "domain2", "relabelfrom", "relabelto", "relabelself", "make_priv_for", \
	  "set_as_target", "set_cpu_policy", "gettsc", "settsc", "setscheduler",          \
	  "setclaim", "cacheflush", "create_hardware_domain", "set_vnumainfo",            \
	  "get_vnumainfo", "psr_cmt_op", "vm_event", "soft_reset", "mem_access",          \
	  "mem_paging", "mem_sharing", "psr_alloc", "resource_map")                      \
	X(HVM, "hvm", "sethvmc", "gethvmc", "setparam", "getparam")                       \
	X(MMU, "mmu", "map_read", "map_write", "pageinfo", "adjust", "stat", "updatemp",  \
	  "physmap", "pinpage", "memorymap")                                              \
	X(EVENT, "event", "bind", "send", "status", "create", "reset")                    \
	X(GRANT, "grant", "map_read", "map_write", "unmap", "transfer", "setup", "copy",  \
	  "query")                                                                        \
	X(SECURITY, "security", "compute_av", "compute_create", "compute_member",         \
	  "check_context", "load_policy", "compute_relabel", "setenforce", "setbool",      \
	  "setsecparam", "add_ocontext", "del_ocontext")                                  \
	X(VERSION, "version", "xen_extraversion", "xen_compile_info", "xen_capabilities", \
	  "xen_changeset", "xen_pagesize", "xen_guest_handle", "xen_commandline",         \
	  "xen_build_id")

enum flask_class {
	SECCLASS_NONE,
#define FLASK_CLASS_ENUM(e, name, ...) SECCLASS_##e,
	FLASK_CLASSES(FLASK_CLASS_ENUM)
#undef FLASK_CLASS_ENUM
	SECCLASS_NR
};

#define FLASK_MAX_PERMS 32

struct flask_class_desc {
	const char *name;
	const char *perms[FLASK_MAX_PERMS + 1]; /* NULL-terminated */
};

/* Indexed by enum flask_class; entry 0 is empty. */
extern const struct flask_class_desc flask_classes[SECCLASS_NR];

/* Bit for permission NAME of class C, or 0 if the class has no such name. */
uint32_t flask_perm_bit(enum flask_class c, const char *name);

/*
 * Permission bits by name, for the hooks. The order of each list above is
 * the bit order; these names are checked against it by a unit test.
 */
enum {
	XEN__READCONSOLE = 1u << 2,
	XEN__CLEARCONSOLE = 1u << 3,
	XEN__PHYSINFO = 1u << 9,
	XEN__WRITECONSOLE = 1u << 11,

	DOMAIN__PAUSE = 1u << 1,
	DOMAIN__UNPAUSE = 1u << 2,
	DOMAIN__CREATE = 1u << 4,
	DOMAIN__TRANSITION = 1u << 5,
	DOMAIN__DESTROY = 1u << 7,
	DOMAIN__GETDOMAININFO = 1u << 11,
	DOMAIN__SHUTDOWN = 1u << 20,
	DOMAIN__SET_VIRQ_HANDLER = 1u << 27,

	DOMAIN2__RESOURCE_MAP = 1u << 21,

	HVM__SETPARAM = 1u << 2,
	HVM__GETPARAM = 1u << 3,

	MMU__PHYSMAP = 1u << 6,

	EVENT__BIND = 1u << 0,
	EVENT__SEND = 1u << 1,
	EVENT__STATUS = 1u << 2,
	EVENT__CREATE = 1u << 3,
	EVENT__RESET = 1u << 4,

	GRANT__MAP_READ = 1u << 0,
	GRANT__MAP_WRITE = 1u << 1,
	GRANT__UNMAP = 1u << 2,
	GRANT__SETUP = 1u << 4,
	GRANT__COPY = 1u << 5,
	GRANT__QUERY = 1u << 6,

	SECURITY__COMPUTE_AV = 1u << 0,
	SECURITY__COMPUTE_CREATE = 1u << 1,
	SECURITY__COMPUTE_MEMBER = 1u << 2,
	SECURITY__CHECK_CONTEXT = 1u << 3,
	SECURITY__LOAD_POLICY = 1u << 4,
	SECURITY__COMPUTE_RELABEL = 1u << 5,
	SECURITY__SETENFORCE = 1u << 6,
	SECURITY__SETBOOL = 1u << 7,
	SECURITY__SETSECPARAM = 1u << 8,

	VERSION__XEN_EXTRAVERSION = 1u << 0,
	VERSION__XEN_COMPILE_INFO = 1u << 1,
	VERSION__XEN_CAPABILITIES = 1u << 2,
	VERSION__XEN_CHANGESET = 1u << 3,
	VERSION__XEN_PAGESIZE = 1u << 4,
	VERSION__XEN_GUEST_HANDLE = 1u << 5,
	VERSION__XEN_COMMANDLINE = 1u << 6,
	VERSION__XEN_BUILD_ID = 1u << 7,
};

/*
 * Bulkhead's initial SIDs, in the order of policy/flask/initial_sids (Xen
 * 4.17 and later: xenboot first). A policy for Xen 4.16 or earlier has no
 * xenboot and numbers the rest from 1; the security server finds which
 * layout a policy uses and maps these onto it (ss.c), so the numbers here
 * never reach libsepol.
 */
enum {
	SECINITSID_XENBOOT = 1, /* the hypervisor while it builds the boot-time domains */
	SECINITSID_XEN,
	SECINITSID_DOM0,
	SECINITSID_DOMIO,
	SECINITSID_DOMXEN,
	SECINITSID_UNLABELED,
	SECINITSID_SECURITY,
	SECINITSID_IOPORT,
	SECINITSID_IOMEM,
	SECINITSID_IRQ,
	SECINITSID_DEVICE,
	SECINITSID_DOMU,
	SECINITSID_DOMDM,
	SECINITSID_NUM = SECINITSID_DOMDM,
};

#endif
