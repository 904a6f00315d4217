/* __HYPERVISOR_console_io: the guest's emergency console, to its log. */
#include <stdatomic.h>
#include <stdint.h>
#include "console.h"
#include "hypercall.h"
#include "log.h"
#include "vcpu.h"
#include "xsm.h"

long do_console_io(struct vcpu *v, const uint64_t a[5])
{
	/* Xen's prototype takes int cmd and unsigned int count. */
	uint32_t cmd = (uint32_t)a[0], count = (uint32_t)a[1];
	uint64_t buf = a[2];
	char chunk[512];

	long rc;

	if (cmd != CONSOLEIO_write)
		return -XEN_ENOSYS;
	rc = xsm_console_io(v, cmd);
	if (rc) {
		/* Else its console stays empty and nobody is told why (the AVC line is rate-limited). */
		if (!atomic_exchange(&v->d->console_denied_said, true))
			log_warn("domain %u (%s): its console writes are denied (xen:writeconsole); "
				 "bh console and --console show nothing of it",
				 v->d->id, v->d->name);
		return rc;
	}
	/*
	 * Copy in chunks; a fault part-way keeps what came before, as in Xen.
	 * A long write stops when the domain is being stopped, so that a
	 * guest cannot hold its vCPU thread (and a destroy) for seconds.
	 */
	while (count) {
		size_t n = count < sizeof(chunk) ? count : sizeof(chunk);
		if (vcpu_should_stop(v))
			return -XEN_EAGAIN;
		rc = guest_copy_from(v, chunk, buf, n);
		if (rc)
			return rc;
		console_put(v->d, chunk, n);
		buf += n;
		count -= n;
	}
	return 0;
}
