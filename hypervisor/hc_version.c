/* __HYPERVISOR_xen_version: what a guest learns about the hypervisor. */
#include <stdint.h>
#include <string.h>

#include <xen/features.h>
#include <xen/version.h>

#include <bulkhead/abi.h>

#include "hypercall.h"
#include "xsm.h"

/* What a PVH guest on Bulkhead may rely on (xen/features.h). */
static const uint32_t bh_features =
	(1u << XENFEAT_auto_translated_physmap) |
	(1u << XENFEAT_hvm_callback_vector) |
	(1u << XENFEAT_hvm_safe_pvclock);

long do_xen_version(struct vcpu *v, const uint64_t a[5])
{
	uint64_t cmd = a[0], arg = a[1];
	long rc = xsm_xen_version(v, (uint32_t)cmd);

	if (rc)
		return rc;
	switch (cmd) {
	case XENVER_version:
		return (BH_XEN_MAJOR << 16) | BH_XEN_MINOR;

	case XENVER_extraversion: {
		xen_extraversion_t ev;

		memset(ev, 0, sizeof(ev));
		strncpy(ev, BH_XEN_EXTRAVERSION, sizeof(ev) - 1);
		return guest_copy_to(v, arg, ev, sizeof(ev));
	}

	case XENVER_get_features: {
		struct xen_feature_info fi;
		rc = guest_copy_from(v, &fi, arg, sizeof(fi));

		if (rc)
			return rc;
		if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
			return -XEN_EINVAL;
		fi.submap = bh_features;
		return guest_copy_to(v, arg, &fi, sizeof(fi));
	}

	case XENVER_pagesize:
		return GUEST_PAGE_SIZE;

	default:
		return -XEN_ENOSYS;
	}
}
