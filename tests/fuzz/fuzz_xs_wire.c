/*
 * libFuzzer target: bh-xenstored's store (tools/bh-xenstored/xs_core.h),
 * through the bytes its connections are fed.
 *
 * The input is a stream of wire messages (struct xsd_sockmsg + payload),
 * as in tests/fuzz/corpus/xs_wire/. Each one goes to a fresh store's
 * connection chosen by req_id % 3: dom0 (privileged), domain 1 or domain 2
 * (each owning its /local/domain/<id>). Bits 8..11 of req_id split the
 * message into chunks of that many bytes (0: whole), so partial headers
 * and payloads are fuzzed too. A header with type 0xfffe is not fed: its
 * req_id % 4 picks a lifecycle call instead (domain 1 or 2 gone, domain 3
 * introduced by the transport, domain 1's connection closed and reopened).
 * A connection that breaks the protocol is closed and reopened, as a
 * transport would.
 *
 * Beyond "no crash, no leak, no undefined behaviour", every output stream
 * must be well-formed: whole messages, len <= XENSTORE_PAYLOAD_MAX, each
 * an error (a NUL-terminated E-name), a watch event (two NUL-terminated
 * strings) or a reply of a request type.
 */
#define FUZZ_NAME "fuzz_xs_wire"
#include "fuzz_check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "../../tools/bh-xenstored/xs_core.h"

#define LIFECYCLE_TYPE 0xfffeu
#define NCONN 3


static const unsigned conn_domid[NCONN] = { 0, 1, 2 };

/* Read and check everything queued on c. */
static void drain(struct xs_conn *c)
{
	uint8_t msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	size_t have = 0, need = sizeof(struct xsd_sockmsg);
	struct xsd_sockmsg h;

	for (;;) {
		size_t len;
		const uint8_t *p = xs_conn_output(c, &len);

		if (!len)
			break;
		if (len > need - have)
			len = need - have;
		memcpy(msg + have, p, len);
		xs_conn_consume(c, len);
		have += len;
		if (have == sizeof(h) && need == sizeof(h)) {
			memcpy(&h, msg, sizeof(h));
			CHECK(h.len <= XENSTORE_PAYLOAD_MAX);
			need += h.len;
		}
		if (have == need) {
			const char *body = (const char *)msg + sizeof(h);

			if (h.type == XS_ERROR) {
				CHECK(h.len >= 2 && body[0] == 'E' && body[h.len - 1] == '\0' &&
				      strlen(body) == h.len - 1);
			} else if (h.type == XS_WATCH_EVENT) {
				size_t pl = strnlen(body, h.len);

				CHECK(pl < h.len && h.req_id == 0 && h.tx_id == 0);
				CHECK(strnlen(body + pl + 1, h.len - pl - 1) == h.len - pl - 2);
			} else {
				CHECK(h.type < XS_TYPE_COUNT);
			}
			have = 0;
			need = sizeof(h);
		}
	}
	CHECK(have == 0); /* output is whole messages */
}

/* Feed everything, draining when the connection stops accepting: false if it broke. */
static int feed(struct xs_conn *c, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = xs_conn_feed(c, p, len);

		if (n < 0)
			return -1;
		CHECK((size_t)n <= len);
		if (n == 0) {
			CHECK(!xs_conn_can_accept(c));
			drain(c);
			CHECK(xs_conn_can_accept(c));
		}
		p += n;
		len -= n;
	}
	return 0;
}

static struct xs_conn *reopen(struct xs_store *s, struct xs_conn *c, unsigned i)
{
	xs_conn_free(c);
	c = xs_conn_new(s, conn_domid[i], conn_domid[i] == 0, NULL, NULL);
	CHECK(c);
	return c;
}

static void setup_home(struct xs_conn *dom0, unsigned domid)
{
	char buf[128];
	struct xsd_sockmsg h = { .type = XS_MKDIR };
	int n = snprintf(buf + sizeof(h), sizeof(buf) - sizeof(h), "/local/domain/%u", domid);

	h.len = n + 1;
	memcpy(buf, &h, sizeof(h));
	CHECK(feed(dom0, (uint8_t *)buf, sizeof(h) + h.len) == 0);
	h.type = XS_SET_PERMS;
	n += 1 + snprintf(buf + sizeof(h) + n + 1, sizeof(buf) - sizeof(h) - n - 1, "n%u", domid);
	h.len = n + 1;
	memcpy(buf, &h, sizeof(h));
	CHECK(feed(dom0, (uint8_t *)buf, sizeof(h) + h.len) == 0);
	drain(dom0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_limits lim = xs_limits_default();
	struct xs_conn *c[NCONN];
	struct xs_store *s;
	size_t off = 0;

	/* Small enough that inputs reach each quota. */
	lim.nodes = 40;
	lim.watches = 8;
	lim.transactions = 3;
	lim.outstanding = 4;
	lim.watch_events = 8;
	lim.mem = 1 << 20;
	s = xs_store_new(&lim, NULL, NULL);
	CHECK(s);
	for (unsigned i = 0; i < NCONN; i++) {
		c[i] = xs_conn_new(s, conn_domid[i], conn_domid[i] == 0, NULL, NULL);
		CHECK(c[i]);
	}
	setup_home(c[0], 1);
	setup_home(c[0], 2);

	while (off < size) {
		struct xsd_sockmsg h = { 0 };
		size_t avail = size - off, len, chunk;
		unsigned i;

		memcpy(&h, data + off, avail < sizeof(h) ? avail : sizeof(h));
		i = h.req_id % NCONN;
		if (avail >= sizeof(h) && h.type == LIFECYCLE_TYPE) {
			switch (h.req_id % 4) {
			case 0: xs_domain_gone(s, 1); break;
			case 1: xs_domain_gone(s, 2); break;
			case 2: xs_domain_introduced(s, 3, NULL); break;
			default: c[1] = reopen(s, c[1], 1); break;
			}
			off += sizeof(h);
			continue;
		}
		/* The whole message, or what is left of the input. */
		len = sizeof(h) + (h.len <= XENSTORE_PAYLOAD_MAX ? h.len : 0);
		if (len > avail)
			len = avail;
		chunk = (h.req_id >> 8) & 0xf;
		if (!chunk)
			chunk = len;
		for (size_t done = 0; done < len; done += chunk) {
			size_t k = len - done < chunk ? len - done : chunk;

			if (feed(c[i], data + off + done, k)) {
				c[i] = reopen(s, c[i], i);
				break;
			}
		}
		off += len;
		for (unsigned j = 0; j < NCONN; j++)
			drain(c[j]);
	}
	for (unsigned i = 0; i < NCONN; i++)
		xs_conn_free(c[i]);
	CHECK(xs_store_mem_used(s) > 0);
	xs_store_free(s);
	return 0;
}
