/* __HYPERVISOR_vcpu_op: secondary vCPUs, vcpu_info placement, timers. */
#include <stdint.h>
#include <string.h>

#include <xen/vcpu.h>

#include "xsm.h"
#include "hypercall.h"
#include "pvclock.h"
#include "vcpu.h"
#include "x86.h"

/*
 * VCPUOP_initialise with a vcpu_hvm_context. Only 64-bit mode is offered;
 * the context is checked here and loaded by the vCPU's own thread.
 */
static long vcpu_initialise(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct vcpu_hvm_context ctx;
	const struct vcpu_hvm_x86_64 *c = &ctx.cpu_regs.x86_64;
	long rc;

	if ((rc = guest_copy_from(v, &ctx, arg, sizeof(ctx))))
		return rc;
	if (ctx.mode != VCPU_HVM_MODE_64B)
		return -XEN_EOPNOTSUPP;
	if ((c->cr0 & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG) || !(c->cr4 & CR4_PAE) ||
	    (c->efer & (EFER_LME | EFER_LMA)) != (EFER_LME | EFER_LMA) ||
	    !gva_canonical(c->rip) || !gva_canonical(c->rsp) ||
	    !gpa_to_host(&v->d->ram, c->cr3 & ~0xfffull, GUEST_PAGE_SIZE))
		return -XEN_EINVAL;

	pthread_mutex_lock(&t->lock);
	if (t->initialised) {
		rc = -XEN_EEXIST;
	} else {
		t->init_ctx = ctx;
		t->ctx_pending = true;
		t->initialised = true;
		rc = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

static long vcpu_up(struct vcpu *t)
{
	long rc = 0;

	pthread_mutex_lock(&t->lock);
	if (!t->initialised)
		rc = -XEN_EINVAL;
	else
		atomic_store(&t->online, true);
	pthread_mutex_unlock(&t->lock);
	if (rc)
		return rc;
	if (vcpu_start_thread(t))
		return -XEN_ENOMEM;
	vcpu_kick(t);
	return 0;
}

static long vcpu_down(struct vcpu *t)
{
	atomic_store(&t->online, false);
	vcpu_kick(t);
	return 0;
}

/* VCPUOP_register_vcpu_info: move vcpu_info into a guest page, once. */
static long register_vcpu_info(struct vcpu *t, uint64_t arg, struct vcpu *v)
{
	struct domain *d = v->d;
	struct vcpu_register_vcpu_info r;
	struct vcpu_info *to, *from;
	long rc = guest_copy_from(v, &r, arg, sizeof(r));

	if (rc)
		return rc;
	/* Aligned, as Xen requires since XSA-327: bulkhead does atomics on it. */
	if (r.rsvd || r.offset > GUEST_PAGE_SIZE - sizeof(struct vcpu_info) ||
	    (r.offset & (_Alignof(struct vcpu_info) - 1)) || r.mfn > UINT64_MAX / GUEST_PAGE_SIZE)
		return -XEN_EINVAL;
	/* Only for itself, or for a vCPU that is not running (as Xen). */
	if (t != v && atomic_load(&t->online))
		return -XEN_EINVAL;
	to = gpa_to_host(&d->ram, r.mfn * GUEST_PAGE_SIZE + r.offset, sizeof(*to));
	if (!to)
		return -XEN_EINVAL;
	pthread_mutex_lock(&d->evtchn.lock);
	if (t->vcpu_info_registered) {
		rc = -XEN_EINVAL;
	} else {
		from = vcpu_info_of(t);
		memmove(to, from, sizeof(*to));
		atomic_store(&t->vcpu_info, to);
		t->vcpu_info_registered = true;
	}
	pthread_mutex_unlock(&d->evtchn.lock);
	if (!rc)
		vcpu_time_update(t);
	return rc;
}

static long set_singleshot_timer(struct vcpu *v, uint64_t arg)
{
	struct vcpu_set_singleshot_timer st;
	long rc = guest_copy_from(v, &st, arg, sizeof(st));

	if (rc)
		return rc;
	if ((st.flags & VCPU_SSHOTTMR_future) && st.timeout_abs_ns < bh_now_ns())
		return -XEN_ETIME;
	vcpu_timer_set(v, st.timeout_abs_ns ? st.timeout_abs_ns : 1);
	return 0;
}

long do_vcpu_op(struct vcpu *v, const uint64_t a[5])
{
	int cmd = (int)a[0];
	unsigned int id = (unsigned int)a[1];
	uint64_t arg = a[2];
	struct vcpu *t;

	long rc;

	if (id >= v->d->nr_vcpus)
		return -XEN_ENOENT;
	t = &v->d->vcpu[id];
	rc = xsm_vcpu_op(v, cmd);
	if (rc)
		return rc;

	switch (cmd) {
	case VCPUOP_initialise:
		return vcpu_initialise(v, t, arg);
	case VCPUOP_up:
		return vcpu_up(t);
	case VCPUOP_down:
		return vcpu_down(t);
	case VCPUOP_is_up:
		return atomic_load(&t->online);
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(t, arg, v);
	case VCPUOP_set_singleshot_timer:
		/* Xen lets a vCPU arm only its own timer. */
		if (t != v)
			return -XEN_EINVAL;
		return set_singleshot_timer(v, arg);
	case VCPUOP_stop_singleshot_timer:
		if (t != v)
			return -XEN_EINVAL;
		vcpu_timer_set(v, 0);
		return 0;
	case VCPUOP_stop_periodic_timer:
		/* There is no periodic timer, so it is always stopped. */
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}
