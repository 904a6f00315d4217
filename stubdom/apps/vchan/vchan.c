/*
 * vchan: streams between two domains (or a domain and bh-vchan in dom0).
 *
 *   role=server|client peer=D [path=P]   P defaults to data/vchan/test, in
 *                                        the server's tree
 *   mode=echo                            write back whatever arrives, until closed
 *   mode=send bytes=N [seed=S]           N pseudo-random bytes, in writes of
 *        [wsize=W | maxw=M]              W bytes, or of 1..M (default: ring size * 2)
 *   mode=recv [bytes=N]                  read until N bytes or closed
 *   mode=rtt [n=N]                       N 64-byte round trips against an echo
 *   mode=victim                          recv, expecting a hostile peer: passes
 *                                        if the channel ends closed, not hung
 *   mode=attack attack=A                 a hostile peer (attack.c)
 *   ring=N                               minimum ring size, both rings (server)
 *   packet=1                             vchan_send/vchan_recv instead of streams
 *   block=0                              non-blocking calls with vchan_wait
 *   timeout=S                            give up waiting after S seconds (default 30)
 *   hash=0                               no data or hash: the benchmark's raw stream
 *   spin=NS                              spin this long before blocking (vchan_set_spin)
 *
 * Output: "vchan: connected read=R write=W", then
 *   "vchan: sent N bytes hash H" / "vchan: received N bytes hash H"
 *   "vchan: throughput N bytes in T ns" (the receiver, from first to last byte)
 *   "vchan: rtt median T ns"
 *   "vchan: closed after N bytes" and "vchan: PASS" or "vchan: FAIL why".
 * H is FNV-1a 64 over the stream, so the test compares both ends.
 */
#include "vchan_app.h"

#define SEC 1000000000ull

struct opts o;

uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int fail(const char *why)
{
	printk("vchan: FAIL %s\n", why);
	return 1;
}

/* Each call of the chosen flavour: stream or packet, blocking or not. */
static int do_read(struct vchan *v, uint8_t *buf, size_t n)
{
	for (;;) {
		int r = o.packet ? vchan_recv(v, buf, n) : vchan_read(v, buf, n);

		if (r != 0 || o.block)
			return r;
		/* Non-blocking: nothing yet. data_ready asks for an event first. */
		if ((size_t)vchan_data_ready(v) >= (o.packet ? n : 1))
			continue;
		if (vchan_is_open(v) == VCHAN_DISCONNECTED || vchan_wait(v))
			return -1;
	}
}

static int do_write(struct vchan *v, const uint8_t *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int r = o.packet ? vchan_send(v, buf + done, n - done)
				 : vchan_write(v, buf + done, n - done);

		if (r < 0)
			return -1;
		done += (size_t)r;
		if (done < n && !o.block && r == 0) {
			if ((size_t)vchan_buffer_space(v) >= (o.packet ? n - done : 1))
				continue;
			if (vchan_is_open(v) == VCHAN_DISCONNECTED || vchan_wait(v))
				return -1;
		}
	}
	return (int)n;
}

/* How much the next write carries. */
static size_t next_size(struct vchan *v, uint64_t *rng)
{
	/* Packets: the same sizes at both ends, whatever their rings. */
	size_t max = o.maxw ? o.maxw : o.packet ? 1024 : 2 * (size_t)vchan_write_size(v);

	if (o.wsize)
		return o.wsize;
	return 1 + xorshift(rng) % max;
}

static int mode_send(struct vchan *v)
{
	uint64_t rng = o.seed | 1, data = o.seed * 7 + 3, hash = 0xcbf29ce484222325ull;
	uint64_t sent = 0;
	static uint8_t buf[1 << 17];

	while (sent < o.bytes) {
		size_t n = next_size(v, &rng), i;

		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > o.bytes - sent)
			n = o.bytes - sent;
		/* Fill only what the seed says, so both ends agree on the stream. */
		for (i = 0; o.hash && i < n; i += 8) {
			uint64_t w = xorshift(&data);

			memcpy(buf + i, &w, n - i < 8 ? n - i : 8);
		}
		if (o.hash)
			hash = fnv1a(hash, buf, n);
		if (do_write(v, buf, n) != (int)n) {
			printk("vchan: closed after %llu bytes\n", (unsigned long long)sent);
			return fail("write");
		}
		sent += n;
	}
	printk("vchan: sent %llu bytes hash %016llx (events %llu, notifies %llu)\n",
	       (unsigned long long)sent, (unsigned long long)hash,
	       (unsigned long long)vchan_events(v), (unsigned long long)vchan_notifies(v));
	return 0;
}

static int mode_recv(struct vchan *v)
{
	static uint8_t buf[1 << 17];
	uint64_t got = 0, hash = 0xcbf29ce484222325ull, t0 = 0, t1 = 0;
	uint64_t rng = o.seed | 1;

	while (!o.bytes || got < o.bytes) {
		size_t want = o.packet ? next_size(v, &rng) : sizeof(buf);
		int n;

		if (o.bytes && want > o.bytes - got)
			want = o.bytes - got;
		n = do_read(v, buf, want);
		if (n <= 0)
			break;
		if (!t0)
			t0 = now_ns();
		t1 = now_ns();
		if (o.hash)
			hash = fnv1a(hash, buf, (size_t)n);
		got += (uint64_t)n;
	}
	printk("vchan: received %llu bytes hash %016llx\n", (unsigned long long)got,
	       (unsigned long long)hash);
	if (got > 1)
		printk("vchan: throughput %llu bytes in %llu ns (events %llu, notifies %llu)\n",
		       (unsigned long long)got, (unsigned long long)(t1 - t0),
		       (unsigned long long)vchan_events(v), (unsigned long long)vchan_notifies(v));
	if (o.bytes && got != o.bytes) {
		printk("vchan: closed after %llu bytes\n", (unsigned long long)got);
		return fail("short");
	}
	return 0;
}

static int mode_echo(struct vchan *v)
{
	static uint8_t buf[1 << 16];
	uint64_t got = 0;
	int n;

	/* Streams only: packet boundaries are the sender's business. */
	while ((n = vchan_read(v, buf, sizeof(buf))) > 0) {
		if (vchan_write(v, buf, (size_t)n) != n)
			break;
		got += (uint64_t)n;
	}
	printk("vchan: closed after %llu bytes\n", (unsigned long long)got);
	return 0;
}

static int mode_rtt(struct vchan *v)
{
	uint8_t msg[64], back[64];
	uint64_t *t = calloc(o.n, sizeof(*t));
	uint64_t i;

	if (!t)
		return fail("memory");
	memset(msg, 0x5a, sizeof(msg));
	for (i = 0; i < o.n; i++) {
		uint64_t t0 = now_ns();

		msg[0] = (uint8_t)i;
		if (vchan_send(v, msg, sizeof(msg)) != sizeof(msg) ||
		    vchan_recv(v, back, sizeof(back)) != sizeof(back))
			return fail("round trip");
		if (memcmp(msg, back, sizeof(msg)))
			return fail("echo differs");
		t[i] = now_ns() - t0;
	}
	sort_u64(t, o.n);
	printk("vchan: rtt median %llu ns over %llu\n", (unsigned long long)t[o.n / 2],
	       (unsigned long long)o.n);
	free(t);
	return 0;
}

static void parse(const char *cmdline)
{
	char buf[16];

	o.server = cmdline_get(cmdline, "role", buf, sizeof(buf)) && !strcmp(buf, "server");
	o.peer = (domid_t)cmdline_get_u64(cmdline, "peer", 0);
	if (!cmdline_get(cmdline, "path", o.path, sizeof(o.path)))
		memcpy(o.path, "data/vchan/test", sizeof("data/vchan/test"));
	if (!cmdline_get(cmdline, "mode", o.mode, sizeof(o.mode)))
		memcpy(o.mode, "echo", sizeof("echo"));
	cmdline_get(cmdline, "attack", o.attack, sizeof(o.attack));
	o.bytes = cmdline_get_u64(cmdline, "bytes", 0);
	o.seed = cmdline_get_u64(cmdline, "seed", 1);
	o.wsize = cmdline_get_u64(cmdline, "wsize", 0);
	o.maxw = cmdline_get_u64(cmdline, "maxw", 0);
	o.ring = cmdline_get_u64(cmdline, "ring", 1024);
	o.packet = cmdline_get_u64(cmdline, "packet", 0);
	o.block = cmdline_get_u64(cmdline, "block", 1);
	o.n = cmdline_get_u64(cmdline, "n", 1000);
	o.hash = cmdline_get_u64(cmdline, "hash", 1);
	o.spin = cmdline_get_u64(cmdline, "spin", ~0ull);
	o.timeout = cmdline_get_u64(cmdline, "timeout", 30) * SEC;
}

/* Connect, as server (waiting for the client) or client (retrying until the server is there). */
struct vchan *connect(void)
{
	uint64_t deadline = now_ns() + o.timeout;
	struct vchan *v;
	int err;

	if (o.server) {
		v = vchan_server_init(o.peer, o.path, o.ring, o.ring, &err);
		if (!v) {
			printk("vchan: server_init: %s\n", xenbus_strerror(err));
			return NULL;
		}
		printk("vchan: offered %s to domain %u\n", o.path, o.peer);
		vchan_set_timeout(v, o.timeout);
		while (vchan_is_open(v) == VCHAN_WAITING)
			if (vchan_wait(v)) {
				printk("vchan: no client came\n");
				vchan_close(v);
				return NULL;
			}
	} else {
		while (!(v = vchan_client_init(o.peer, o.path, &err))) {
			/* Not there yet, or there but not yet ours to read (perms come after the write). */
			if ((err != -XEN_ENOENT && err != -XEN_EACCES) || now_ns() > deadline) {
				printk("vchan: client_init: %s\n", xenbus_strerror(err));
				return NULL;
			}
			sleep_until(now_ns() + 20 * 1000000ull);
		}
		vchan_set_timeout(v, o.timeout);
	}
	vchan_set_blocking(v, o.block);
	if (o.spin != ~0ull)
		vchan_set_spin(v, o.spin);
	printk("vchan: connected read=%u write=%u\n", vchan_read_size(v), vchan_write_size(v));
	return v;
}

int app_main(const char *cmdline)
{
	struct vchan *v;
	int rc;

	parse(cmdline);
	if ((rc = xenbus_init()))
		return fail("no xenstore");
	if (!strcmp(o.mode, "attack"))
		return attack_main();
	if (!strcmp(o.mode, "refuse"))
		return refuse_main() ? 1 : (printk("vchan: PASS\n"), 0);
	v = connect();
	if (!v)
		return fail("connect");
	if (!strcmp(o.mode, "send"))
		rc = mode_send(v);
	else if (!strcmp(o.mode, "recv"))
		rc = mode_recv(v);
	else if (!strcmp(o.mode, "victim"))
		rc = victim_main(v);
	else if (!strcmp(o.mode, "rtt"))
		rc = mode_rtt(v);
	else if (!strcmp(o.mode, "echo"))
		rc = mode_echo(v);
	else
		rc = fail("unknown mode");
	/* A sender waits until its bytes are read, so that closing loses nothing. */
	if (!rc && !strcmp(o.mode, "send"))
		while (vchan_is_open(v) == VCHAN_CONNECTED &&
		       (uint32_t)vchan_buffer_space(v) < vchan_write_size(v) && !vchan_wait(v))
			;
	vchan_close(v);
	if (!rc)
		printk("vchan: PASS\n");
	return rc;
}
