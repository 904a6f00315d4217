/*
 * vchan for guests: libxenvchan's streams between two domains, or between
 * a domain and a dom0 service, over the shared layout of
 * xen/io/libxenvchan.h (bulkhead/vchan_ring.h).
 *
 * The server grants the shared page and ring pages to its peer, offers an
 * event channel, and writes both under its XenStore path, as libxenvchan:
 *     PATH/ring-ref       the shared page's grant ref
 *     PATH/event-channel  the port
 * readable by the peer only. The client reads them, maps the pages, binds
 * the port and connects. Domain 0 is a host service (tools/bh-vchan): its
 * grants and ports are bulkhead's dom0 ones, and nothing here differs.
 *
 * Everything the peer shares is hostile (see vchan_ring.h). A peer that
 * writes nonsense, or whose domain dies, leaves the channel closed:
 * vchan_is_open says VCHAN_DISCONNECTED and data calls return -1. Nothing
 * it does makes a call copy outside a ring or wait past the timeout.
 *
 * Blocking calls (the default) wait for the peer, spinning briefly before
 * they block on the event channel; vchan_set_timeout bounds each wait.
 * Non-blocking calls return at once. One CPU uses a channel at a time, and
 * never from an event handler. Errors: NULL or -1, with a Xen errno in *err.
 */
#ifndef BK_VCHAN_H
#define BK_VCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/event_channel.h>

#include <bulkhead/vchan_ring.h>

struct vchan;

/*
 * Offer a channel to domain peer at XenStore path xs_path, with rings of
 * at least read_min bytes (the left ring, which the client writes) and
 * write_min. It does not wait: vchan_is_open says VCHAN_WAITING until the
 * client connects.
 */
struct vchan *vchan_server_init(domid_t peer, const char *xs_path, size_t read_min,
				size_t write_min, int *err);
/* Connect to the server in domain peer that offered xs_path. */
struct vchan *vchan_client_init(domid_t peer, const char *xs_path, int *err);

/* Stream: up to size bytes; blocking waits for at least one. Bytes, 0 or -1. */
int vchan_read(struct vchan *v, void *data, size_t size);
/* Stream: blocking writes everything; non-blocking what fits. Bytes, 0 or -1. */
int vchan_write(struct vchan *v, const void *data, size_t size);
/* Packet: exactly size bytes or none (0 when non-blocking); -1 if closed or too big. */
int vchan_recv(struct vchan *v, void *data, size_t size);
int vchan_send(struct vchan *v, const void *data, size_t size);
/* Bytes ready to read / free to write, asking the peer to notify a change. */
int vchan_data_ready(struct vchan *v);
int vchan_buffer_space(struct vchan *v);
/* Wait for an event on the channel: 0, or -1 after the timeout. */
int vchan_wait(struct vchan *v);
/* VCHAN_CONNECTED, VCHAN_WAITING (server, no client yet) or VCHAN_DISCONNECTED. */
int vchan_is_open(struct vchan *v);
/* Tell the peer, and give everything back. */
void vchan_close(struct vchan *v);

void vchan_set_blocking(struct vchan *v, bool blocking);
/* Give up a blocking call after ns without an event (0: never; the default). */
void vchan_set_timeout(struct vchan *v, uint64_t ns);
/* Spin this long for the peer before blocking (default 50 us). */
void vchan_set_spin(struct vchan *v, uint64_t ns);
/* The ring sizes in use: the one this side reads, and the one it writes. */
uint32_t vchan_read_size(const struct vchan *v);
uint32_t vchan_write_size(const struct vchan *v);
/* The shared page, for tests and the hostile-peer app: the peer sees every write. */
struct vchan_interface *vchan_shared(struct vchan *v);
evtchn_port_t vchan_port(const struct vchan *v);
/* Events sent and received (statistics). */
uint64_t vchan_notifies(const struct vchan *v);
uint64_t vchan_events(const struct vchan *v);

#endif
