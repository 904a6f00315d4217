/* __HYPERVISOR_console_io: the guest's emergency console, to its log. */
#include <stdint.h>
#include "console.h"
#include "hypercall.h"

long do_console_io(struct vcpu *v, const uint64_t a[5])
{
	uint64_t cmd = a[0], count = a[1], buf = a[2];
	char chunk[512];

	if (cmd != CONSOLEIO_write)
		return -XEN_ENOSYS;
	/* Copy in chunks; a fault part-way keeps what came before, as in Xen. */
	while (count) {
		size_t n = count < sizeof(chunk) ? count : sizeof(chunk);
		int rc = guest_copy_from(v, chunk, buf, n);

		if (rc)
			return rc;
		console_put(v->d, chunk, n);
		buf += n;
		count -= n;
	}
	return 0;
}
