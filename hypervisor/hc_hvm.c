/* __HYPERVISOR_hvm_op: HVM params and the event-channel upcall vector. */
#include <stdint.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#include "hypercall.h"
#include "xsm.h"

/* Vectors below 0x10 are exceptions' and can't be an upcall (Xen checks the same). */
#define UPCALL_VECTOR_MIN 0x10

static long set_callback_irq(struct domain *d, uint64_t value)
{
	unsigned int type = value >> 56;

	if (value == 0) {
		atomic_store(&d->callback_vector, 0);
		return 0;
	}
	if (type != HVM_PARAM_CALLBACK_TYPE_VECTOR)
		return -XEN_EOPNOTSUPP; /* no emulated interrupt controllers to route to */
	if ((value & 0xff) < UPCALL_VECTOR_MIN || (value & ~(0xffull << 56)) > 0xff)
		return -XEN_EINVAL;
	atomic_store(&d->callback_vector, value & 0xff);
	return 0;
}

static long hvm_param(struct vcpu *v, uint64_t arg, bool set)
{
	struct domain *d = v->d;
	struct xen_hvm_param p;
	long rc = guest_copy_from(v, &p, arg, sizeof(p));

	if (rc)
		return rc;
	if (p.domid != DOMID_SELF && p.domid != d->id)
		return -XEN_ESRCH;
	if (p.index >= HVM_NR_PARAMS)
		return -XEN_EINVAL;
	if ((rc = xsm_hvm_param(v, d, set)))
		return rc;
	if (set) {
		/* A guest sets only its callback; the rest belongs to the toolstack. */
		if (p.index != HVM_PARAM_CALLBACK_IRQ)
			return -XEN_EPERM;
		if ((rc = set_callback_irq(d, p.value)))
			return rc;
		pthread_mutex_lock(&d->lock);
		d->hvm_param[p.index] = p.value;
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	pthread_mutex_lock(&d->lock);
	p.value = d->hvm_param[p.index];
	pthread_mutex_unlock(&d->lock);
	return guest_copy_to(v, arg, &p, sizeof(p));
}

static long set_upcall_vector(struct vcpu *v, uint64_t arg)
{
	struct xen_hvm_evtchn_upcall_vector uv;
	long rc = guest_copy_from(v, &uv, arg, sizeof(uv));

	if (rc)
		return rc;
	if (uv.vector < UPCALL_VECTOR_MIN)
		return -XEN_EINVAL;
	if (uv.vcpu >= v->d->nr_vcpus)
		return -XEN_ENOENT;
	if ((rc = xsm_hvm_upcall_vector(v)))
		return rc;
	v->d->vcpu[uv.vcpu].upcall_vector = uv.vector;
	return 0;
}

long do_hvm_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case HVMOP_set_param:
		return hvm_param(v, a[1], true);
	case HVMOP_get_param:
		return hvm_param(v, a[1], false);
	case HVMOP_set_evtchn_upcall_vector:
		return set_upcall_vector(v, a[1]);
	default:
		return -XEN_ENOSYS;
	}
}
