/*
 * libxenvchan's four data calls (read, write, recv, send) over any side's
 * way of reaching the rings: the guest library and the host library each
 * fill a struct vchan_stream_ops (the host has two: the arena and grant
 * copy). The semantics are libxenvchan's:
 *   read   stream: up to size bytes; blocking waits for at least one
 *   write  stream: blocking writes all; non-blocking what fits
 *   recv   packet: exactly size bytes or none; never more than the ring
 *   send   packet: the same for writing
 * Each returns bytes, 0 (non-blocking, nothing possible) or -1 (closed,
 * broken, too big, or the wait gave up). What a peer wrote before it
 * closed can still be read.
 */
#ifndef BULKHEAD_VCHAN_STREAM_H
#define BULKHEAD_VCHAN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/vchan_ring.h>

struct vchan_stream_ops {
	/* Bytes ready / free, looking again unless want are known there; -1 if broken. */
	int64_t (*ready)(void *v, uint32_t want);
	int64_t (*space)(void *v, uint32_t want);
	/* Move n bytes that ready/space promised, and notify the peer if it asked. */
	void (*get)(void *v, void *buf, uint32_t n);
	void (*put)(void *v, const void *buf, uint32_t n);
	int (*is_open)(void *v);
	/* Wait until want bytes may be ready (free): 0 to look again, -1 to give up. */
	int (*wait_ready)(void *v, uint32_t want);
	int (*wait_space)(void *v, uint32_t want);
	uint32_t (*read_size)(void *v);
	uint32_t (*write_size)(void *v);
};

static inline uint32_t vchan_clamp32(size_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static inline int vchan_stream_read(const struct vchan_stream_ops *ops, void *v, bool blocking,
				    void *data, size_t size)
{
	if (size > INT32_MAX)
		size = INT32_MAX;
	for (;;) {
		int64_t n = ops->ready(v, vchan_clamp32(size));

		if (n < 0 || (n == 0 && ops->is_open(v) == VCHAN_DISCONNECTED))
			return -1;
		if (n > 0) {
			if ((size_t)n > size)
				n = (int64_t)size;
			ops->get(v, data, (uint32_t)n);
			return (int)n;
		}
		if (!size || !blocking)
			return 0;
		if (ops->wait_ready(v, 1))
			return -1;
	}
}

static inline int vchan_stream_recv(const struct vchan_stream_ops *ops, void *v, bool blocking,
				    void *data, size_t size)
{
	if (size > ops->read_size(v))
		return -1;
	for (;;) {
		int64_t n = ops->ready(v, (uint32_t)size);

		if (n < 0)
			return -1;
		if ((size_t)n >= size) {
			ops->get(v, data, (uint32_t)size);
			return (int)size;
		}
		if (ops->is_open(v) == VCHAN_DISCONNECTED)
			return -1;
		if (!blocking)
			return 0;
		if (ops->wait_ready(v, (uint32_t)size))
			return -1;
	}
}

static inline int vchan_stream_write(const struct vchan_stream_ops *ops, void *v, bool blocking,
				     const void *data, size_t size)
{
	size_t done = 0;

	if (size > INT32_MAX)
		return -1;
	for (;;) {
		int64_t n;

		if (ops->is_open(v) == VCHAN_DISCONNECTED)
			return -1;
		n = ops->space(v, (uint32_t)(size - done));
		if (n < 0)
			return -1;
		if ((size_t)n > size - done)
			n = (int64_t)(size - done);
		if (n > 0) {
			ops->put(v, (const uint8_t *)data + done, (uint32_t)n);
			done += (size_t)n;
		}
		if (done == size || !blocking)
			return (int)done;
		if (ops->wait_space(v, 1))
			return -1;
	}
}

static inline int vchan_stream_send(const struct vchan_stream_ops *ops, void *v, bool blocking,
				    const void *data, size_t size)
{
	if (size > ops->write_size(v))
		return -1;
	for (;;) {
		int64_t n;

		if (ops->is_open(v) == VCHAN_DISCONNECTED)
			return -1;
		n = ops->space(v, (uint32_t)size);
		if (n < 0)
			return -1;
		if ((size_t)n >= size) {
			ops->put(v, data, (uint32_t)size);
			return (int)size;
		}
		if (!blocking)
			return 0;
		if (ops->wait_space(v, (uint32_t)size))
			return -1;
	}
}

#endif
