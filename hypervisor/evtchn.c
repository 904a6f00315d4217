/*
 * Event channels, 2-level ABI. One static function per operation; the
 * dispatcher only decodes and routes (cf. Xen's common/event_channel.c).
 */
#include "evtchn.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hypercall.h"
#include "vcpu.h"

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)

static bool test_and_set(xen_ulong_t *w, unsigned int bit)
{
	xen_ulong_t m = 1ull << bit;

	return __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST) & m;
}

static bool test_bit_word(const xen_ulong_t *w, unsigned int bit)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST) & (1ull << bit);
}

int evtchn_domain_init(struct domain *d, unsigned int max_ports)
{
	struct evtchn_domain *e = &d->evtchn;

	if (max_ports > EVTCHN_2L_NR_PORTS)
		max_ports = EVTCHN_2L_NR_PORTS;
	pthread_mutex_init(&e->lock, NULL);
	e->max_ports = max_ports;
	e->port = calloc(max_ports, sizeof(*e->port));
	return e->port ? 0 : -1;
}

void evtchn_domain_fini(struct domain *d)
{
	free(d->evtchn.port);
	d->evtchn.port = NULL;
	pthread_mutex_destroy(&d->evtchn.lock);
}

void vcpu_mark_events_pending(struct vcpu *v)
{
	struct vcpu_info *vi = vcpu_info_of(v);
	unsigned int vector;

	if (!__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST)) {
		vector = v->upcall_vector ? v->upcall_vector
					  : atomic_load(&v->d->callback_vector);
		if (vector) {
			/* A fixed, edge MSI to this vCPU's local APIC (APIC ID = vCPU id). */
			struct kvm_msi msi = {
				.address_lo = 0xfee00000u | (v->id << 12),
				.data = vector,
			};

			ioctl(v->d->vm_fd, KVM_SIGNAL_MSI, &msi);
		}
	}
	pthread_mutex_lock(&v->lock);
	pthread_cond_broadcast(&v->wake);
	pthread_mutex_unlock(&v->lock);
}

/* Wake vCPUs in SCHEDOP_poll: they wait on ports whatever their mask. */
static void wake_pollers(struct domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];

		pthread_mutex_lock(&v->lock);
		if (v->polling)
			pthread_cond_broadcast(&v->wake);
		pthread_mutex_unlock(&v->lock);
	}
}

/* Xen's evtchn_2l_set_pending. Called with the port's state stable. */
static void set_pending_locked(struct domain *d, unsigned int port, struct vcpu *v)
{
	struct shared_info *s = atomic_load(&d->shared_info);
	struct vcpu_info *vi = vcpu_info_of(v);

	if (test_and_set(&s->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD))
		return;
	if (!test_bit_word(&s->evtchn_mask[port / BITS_PER_WORD], port % BITS_PER_WORD) &&
	    !test_and_set(&vi->evtchn_pending_sel, port / BITS_PER_WORD))
		vcpu_mark_events_pending(v);
	wake_pollers(d);
}

void evtchn_set_pending(struct domain *d, unsigned int port)
{
	struct evtchn_domain *e = &d->evtchn;

	pthread_mutex_lock(&e->lock);
	if (port < e->max_ports && e->port[port].state != ECS_FREE)
		set_pending_locked(d, port, &d->vcpu[e->port[port].vcpu]);
	pthread_mutex_unlock(&e->lock);
}

void evtchn_send_virq(struct vcpu *v, unsigned int virq)
{
	struct evtchn_domain *e = &v->d->evtchn;
	uint32_t port;

	pthread_mutex_lock(&e->lock);
	port = e->virq_port[v->id][virq];
	if (port)
		set_pending_locked(v->d, port, v);
	pthread_mutex_unlock(&e->lock);
}

static int get_free_port(struct evtchn_domain *e)
{
	unsigned int p;

	for (p = 1; p < e->max_ports; p++)
		if (e->port[p].state == ECS_FREE)
			return p;
	return -XEN_ENOSPC;
}

static long evtchn_bind_virq(struct vcpu *v, struct evtchn_bind_virq *bind)
{
	struct evtchn_domain *e = &v->d->evtchn;
	long rc;

	/* Only per-vCPU VIRQs exist for guests at this stage (VIRQ_TIMER). */
	if (bind->virq >= NR_VIRQS)
		return -XEN_EINVAL;
	if (bind->virq != VIRQ_TIMER)
		return -XEN_EINVAL;
	if (bind->vcpu >= v->d->nr_vcpus)
		return -XEN_ENOENT;
	pthread_mutex_lock(&e->lock);
	if (e->virq_port[bind->vcpu][bind->virq]) {
		rc = -XEN_EEXIST;
		goto out;
	}
	rc = get_free_port(e);
	if (rc < 0)
		goto out;
	e->port[rc].state = ECS_VIRQ;
	e->port[rc].vcpu = bind->vcpu;
	e->port[rc].virq = bind->virq;
	e->virq_port[bind->vcpu][bind->virq] = rc;
	bind->port = rc;
	rc = 0;
out:
	pthread_mutex_unlock(&e->lock);
	return rc;
}

static long evtchn_close(struct vcpu *v, evtchn_port_t port)
{
	struct evtchn_domain *e = &v->d->evtchn;
	struct evtchn *ch;
	long rc = 0;

	pthread_mutex_lock(&e->lock);
	if (port >= e->max_ports) {
		rc = -XEN_EINVAL;
		goto out;
	}
	ch = &e->port[port];
	switch (ch->state) {
	case ECS_FREE:
		rc = -XEN_EINVAL;
		goto out;
	case ECS_VIRQ:
		e->virq_port[ch->vcpu][ch->virq] = 0;
		break;
	}
	/* A closed port must not come back pending when it is bound again. */
	__atomic_fetch_and(&atomic_load(&v->d->shared_info)->evtchn_pending[port / BITS_PER_WORD],
			   ~(1ull << (port % BITS_PER_WORD)), __ATOMIC_SEQ_CST);
	memset(ch, 0, sizeof(*ch));
out:
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* Xen's evtchn_2l_unmask: a pending port notifies once its mask clears. */
static long evtchn_unmask(struct vcpu *v, evtchn_port_t port)
{
	struct domain *d = v->d;
	struct evtchn_domain *e = &d->evtchn;
	struct shared_info *s = atomic_load(&d->shared_info);
	unsigned int w = port / BITS_PER_WORD, b = port % BITS_PER_WORD;
	struct vcpu *target;

	pthread_mutex_lock(&e->lock);
	if (port >= e->max_ports) {
		pthread_mutex_unlock(&e->lock);
		return -XEN_EINVAL;
	}
	target = &d->vcpu[e->port[port].vcpu];
	__atomic_fetch_and(&s->evtchn_mask[w], ~(1ull << b), __ATOMIC_SEQ_CST);
	if (test_bit_word(&s->evtchn_pending[w], b) &&
	    !test_and_set(&vcpu_info_of(target)->evtchn_pending_sel, w))
		vcpu_mark_events_pending(target);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

static long evtchn_status(struct vcpu *v, struct evtchn_status *st)
{
	struct evtchn_domain *e = &v->d->evtchn;
	struct evtchn *ch;

	if (st->dom != DOMID_SELF && st->dom != v->d->id)
		return -XEN_ESRCH;
	if (st->port >= e->max_ports)
		return -XEN_EINVAL;
	pthread_mutex_lock(&e->lock);
	ch = &e->port[st->port];
	st->status = ch->state;
	st->vcpu = ch->vcpu;
	if (ch->state == ECS_VIRQ)
		st->u.virq = ch->virq;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

/* Copy the argument in, run the operation, copy the result out. */
#define EVTCHN_OP(type, call, writeback)                               \
	do {                                                           \
		type op;                                               \
		long rc_ = guest_copy_from(v, &op, arg, sizeof(op));   \
		if (rc_)                                               \
			return rc_;                                    \
		rc_ = call;                                            \
		if (!rc_ && (writeback))                               \
			rc_ = guest_copy_to(v, arg, &op, sizeof(op));  \
		return rc_;                                            \
	} while (0)

long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	switch (cmd) {
	case EVTCHNOP_bind_virq:
		EVTCHN_OP(struct evtchn_bind_virq, evtchn_bind_virq(v, &op), true);
	case EVTCHNOP_close:
		EVTCHN_OP(struct evtchn_close, evtchn_close(v, op.port), false);
	case EVTCHNOP_unmask:
		EVTCHN_OP(struct evtchn_unmask, evtchn_unmask(v, op.port), false);
	case EVTCHNOP_status:
		EVTCHN_OP(struct evtchn_status, evtchn_status(v, &op), true);
	default:
		return -XEN_ENOSYS;
	}
}

long do_event_channel_op_hc(struct vcpu *v, const uint64_t a[5])
{
	return do_event_channel_op(v, a[0], a[1]);
}
