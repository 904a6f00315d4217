/*
 * vchan for dom0 services: the host end of libxenvchan streams with a
 * guest (stubdom/include/bk/vchan.h is the guest end; both speak
 * xen/io/libxenvchan.h through bulkhead/vchan_ring.h).
 *
 * A host process never maps guest memory (DESIGN.md section 3), so:
 * - as server, the rings live in the service's own arena. Bulkhead grants
 *   its pages to the guest as dom0's grants (BH_CTL_GRANT_ACCESS) and the
 *   guest maps them; both sides then touch the same memory directly.
 * - as client of a guest's server, every access to the guest's pages is a
 *   grant copy by bulkhead (BH_CTL_GRANT_COPY): slower, the same protocol.
 *
 * A context is one control connection (a vchan_t service), its arena, and
 * a XenStore connection; it carries any number of channels. Events come
 * as notifications on the control socket: a program with its own event
 * loop polls vchan_host_fd() and calls vchan_host_dispatch() when it is
 * readable. Blocking calls do that themselves.
 *
 * The guest is hostile: everything in the shared pages is checked as in
 * vchan_ring.h, and a guest that writes nonsense, or whose domain dies,
 * leaves its channel closed. Calls return -1 then; they never read or
 * write outside the arena or the copied bytes, and never wait past the
 * timeout. One thread per context.
 */
#ifndef BH_VCHAN_HOST_H
#define BH_VCHAN_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/vchan_ring.h>

struct vchan_host_ctx;
struct vchan_host;

/*
 * Connect to bulkhead's control socket ctl_path (a socket labelled
 * vchan_t) and to xenstored (xs_path, NULL: XENSTORED_PATH), and register
 * an arena of arena_pages pages for the rings this process serves.
 */
struct vchan_host_ctx *vchan_host_open(const char *ctl_path, const char *xs_path,
				       uint32_t arena_pages, char *err, size_t errlen);
void vchan_host_ctx_close(struct vchan_host_ctx *ctx);
/* The control socket, to poll for POLLIN. */
int vchan_host_fd(const struct vchan_host_ctx *ctx);
/* Read and deliver what arrived on it: 0, or -1 when the connection is gone. */
int vchan_host_dispatch(struct vchan_host_ctx *ctx);

/* As bk/vchan.h: offer a channel to domain peer at XenStore path xs_path. */
struct vchan_host *vchan_host_server_init(struct vchan_host_ctx *ctx, uint16_t peer,
					  const char *xs_path, size_t read_min,
					  size_t write_min, char *err, size_t errlen);
/*
 * Connect to the server in domain peer (by grant copy). A server that has
 * not yet published its ring-ref and event-channel is waited for, with a
 * XenStore watch on its path, for up to timeout_ms (-1: forever, 0: not at
 * all), as qrexec waits for a domain that is still starting.
 */
struct vchan_host *vchan_host_client_init(struct vchan_host_ctx *ctx, uint16_t peer,
					  const char *xs_path, int timeout_ms, char *err,
					  size_t errlen);

int vchan_host_read(struct vchan_host *v, void *data, size_t size);
int vchan_host_write(struct vchan_host *v, const void *data, size_t size);
int vchan_host_recv(struct vchan_host *v, void *data, size_t size);
int vchan_host_send(struct vchan_host *v, const void *data, size_t size);
int vchan_host_data_ready(struct vchan_host *v);
int vchan_host_buffer_space(struct vchan_host *v);
/* An event on this channel: 0, or -1 after the timeout or if the connection broke. */
int vchan_host_wait(struct vchan_host *v);
int vchan_host_is_open(struct vchan_host *v);
void vchan_host_close(struct vchan_host *v);

void vchan_host_set_blocking(struct vchan_host *v, bool blocking);
void vchan_host_set_timeout(struct vchan_host *v, int timeout_ms); /* -1: forever */
void vchan_host_set_spin(struct vchan_host *v, uint64_t ns);
uint32_t vchan_host_read_size(const struct vchan_host *v);
uint32_t vchan_host_write_size(const struct vchan_host *v);
uint64_t vchan_host_events(const struct vchan_host *v);
uint64_t vchan_host_notifies(const struct vchan_host *v);

#endif
