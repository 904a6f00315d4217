/*
 * Event channels, guest side (2-level ABI): the upcall walks the selector
 * in vcpu_info and the pending and mask words in shared_info, and calls the
 * handler bound to each port.
 */
#include <xen/errno.h>
#include <xen/event_channel.h>

#include <bk/hypercall.h>
#include <bk/kernel.h>

#define NR_PORTS 1024
#define BITS (sizeof(xen_ulong_t) * 8)

static struct {
	evtchn_handler_t fn;
	void *arg;
} handlers[NR_PORTS];

/*
 * Ports bound to each CPU. Pending bits for every port share shared_info,
 * so each CPU handles only its own, as Linux's cpu_evtchn_mask does.
 */
static xen_ulong_t cpu_ports[BK_MAX_CPUS][NR_PORTS / BITS];

static void timer_handler(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	this_cpu()->timer_events++;
}

/* Bind this CPU's VIRQ_TIMER; the upcall vector is set per CPU. */
void evtchn_init(void)
{
	struct cpu *c = this_cpu();
	struct xen_hvm_evtchn_upcall_vector uv = { .vcpu = c->id, .vector = BK_UPCALL_VECTOR };
	long rc;

	rc = HYPERVISOR_hvm_op(HVMOP_set_evtchn_upcall_vector, &uv);
	if (rc)
		panic("cannot set the upcall vector: %ld", rc);
	rc = evtchn_bind_virq(VIRQ_TIMER, c->id, &c->timer_port);
	if (rc)
		panic("cannot bind VIRQ_TIMER: %ld", rc);
	evtchn_set_handler(c->timer_port, timer_handler, NULL);
	evtchn_unmask(c->timer_port);
}

static void port_forget(evtchn_port_t port)
{
	unsigned int c;

	for (c = 0; c < BK_MAX_CPUS; c++)
		__atomic_fetch_and(&cpu_ports[c][port / BITS], ~(1ull << (port % BITS)),
				   __ATOMIC_SEQ_CST);
}

/* Record that `port` notifies `cpu`, so only that CPU handles it. */
static int port_to_cpu(evtchn_port_t port, unsigned int cpu)
{
	if (port >= NR_PORTS || cpu >= BK_MAX_CPUS)
		return -XEN_ENOSPC;
	port_forget(port);
	__atomic_fetch_or(&cpu_ports[cpu][port / BITS], 1ull << (port % BITS), __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * Bind with upcalls masked until the new port is recorded for its CPU: an
 * upcall in between would consume the selector bit of an event (a new
 * interdomain port starts pending) that no CPU yet claims, and lose it.
 */
static int bind_op(int cmd, void *op, const evtchn_port_t *port, unsigned int cpu)
{
	unsigned long flags = local_irq_save();
	int rc = (int)HYPERVISOR_event_channel_op(cmd, op);

	if (!rc)
		rc = port_to_cpu(*port, cpu);
	local_irq_restore(flags);
	return rc;
}

int evtchn_bind_virq(unsigned int virq, unsigned int cpu, evtchn_port_t *port)
{
	struct evtchn_bind_virq op = { .virq = virq, .vcpu = cpu };
	int rc = bind_op(EVTCHNOP_bind_virq, &op, &op.port, cpu);

	if (!rc)
		*port = op.port;
	return rc;
}

int evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
	struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
	int rc = bind_op(EVTCHNOP_alloc_unbound, &op, &op.port, 0);

	if (!rc)
		*port = op.port;
	return rc;
}

int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_port_t *port)
{
	struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
	int rc = bind_op(EVTCHNOP_bind_interdomain, &op, &op.local_port, 0);

	if (!rc)
		*port = op.local_port;
	return rc;
}

int evtchn_bind_vcpu(evtchn_port_t port, unsigned int cpu)
{
	struct evtchn_bind_vcpu op = { .port = port, .vcpu = cpu };

	return bind_op(EVTCHNOP_bind_vcpu, &op, &op.port, cpu);
}

int evtchn_send(evtchn_port_t port)
{
	struct evtchn_send op = { .port = port };

	return (int)HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

int evtchn_close(evtchn_port_t port)
{
	struct evtchn_close op = { .port = port };
	int rc = (int)HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);

	if (!rc && port < NR_PORTS) {
		evtchn_set_handler(port, NULL, NULL);
		port_forget(port);
	}
	return rc;
}

int evtchn_status(evtchn_port_t port, struct evtchn_status *st)
{
	st->dom = DOMID_SELF;
	st->port = port;
	return (int)HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}

void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *arg)
{
	if (port >= NR_PORTS)
		panic("port %u out of range", port);
	handlers[port].arg = arg;
	__atomic_store_n(&handlers[port].fn, fn, __ATOMIC_RELEASE);
}

void evtchn_unmask(evtchn_port_t port)
{
	struct evtchn_unmask op = { .port = port };

	HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

void evtchn_poll(void)
{
	struct cpu *c = this_cpu();
	struct vcpu_info *vi = c->vcpu_info;
	unsigned long flags = local_irq_save();
	xen_ulong_t sel;

	__atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
	sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (sel) {
		unsigned int w = __builtin_ctzll(sel);
		xen_ulong_t pend;

		sel &= sel - 1;
		if (w >= NR_PORTS / BITS)
			continue;
		pend = __atomic_load_n(&shared_info->evtchn_pending[w], __ATOMIC_SEQ_CST) &
		       ~__atomic_load_n(&shared_info->evtchn_mask[w], __ATOMIC_SEQ_CST) &
		       __atomic_load_n(&cpu_ports[c->id][w], __ATOMIC_SEQ_CST);
		while (pend) {
			unsigned int b = __builtin_ctzll(pend);
			evtchn_port_t port = w * BITS + b;
			evtchn_handler_t fn;

			pend &= pend - 1;
			__atomic_fetch_and(&shared_info->evtchn_pending[w], ~(1ull << b),
					   __ATOMIC_SEQ_CST);
			if (port < NR_PORTS && (fn = __atomic_load_n(&handlers[port].fn,
								    __ATOMIC_ACQUIRE)))
				fn(port, handlers[port].arg);
		}
	}
	local_irq_restore(flags);
}

/*
 * Clear the mask, then deliver what arrived while it was set: a vector
 * that came in masked was dropped by the stub, but its event is pending.
 */
void evtchn_unmask_upcall(void)
{
	struct vcpu_info *vi = this_cpu()->vcpu_info;

	if (!vi)
		return;
	for (;;) {
		__atomic_store_n(&vi->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
			return;
		if (__atomic_exchange_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST))
			return; /* an upcall on this CPU took it meanwhile */
		evtchn_poll();
	}
}

/* Called from the upcall trampoline (entry.S); the stub has set the mask. */
void evtchn_do_upcall(void)
{
	this_cpu()->upcalls++;
	evtchn_poll();
	evtchn_unmask_upcall();
}
