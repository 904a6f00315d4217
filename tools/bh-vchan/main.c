/*
 * bh-vchan: the dom0 end of a vchan stream with a guest, for services to
 * copy and for the tests and benchmarks (lib/vchan_host.h).
 *
 *   bh-vchan [options] server DOMID PATH MODE    offer PATH to DOMID, wait for it
 *   bh-vchan [options] client DOMID PATH MODE    connect to DOMID's PATH (grant copy)
 *
 * MODE is echo, send, recv, rtt or victim, as the guest app's modes
 * (stubdom/apps/vchan/vchan.c), and prints the same lines, so that a test
 * can compare the two ends.
 *
 * Options:
 *   -c, --control PATH   bulkhead's control socket for vchan_t services
 *                        (default: BULKHEAD_SOCKET, then the usual place)
 *   -x, --xenstore PATH  xenstored's socket (default: XENSTORED_PATH)
 *   --bytes N  --seed S  --wsize N  --maxw N  --ring N  --n N  --spin NS
 *   --packet             vchan_host_send/recv instead of streams
 *   --nonblock           non-blocking calls and vchan_host_wait
 *   --no-hash            no data or hash: the benchmark's raw stream
 *   --timeout S          give up each wait after S seconds (default 30); a client
 *                        waits as long for its server to publish its offer
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_client.h"
#include "vchan_host.h"

static struct {
	uint64_t bytes, seed, wsize, maxw, ring, n, spin;
	bool packet, block, hash;
	int timeout_ms;
} o = { 0, 1, 0, 0, 1024, 1000, ~0ull, false, true, true, 30000 };

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int fail(const char *why)
{
	printf("vchan: FAIL %s\n", why);
	return 1;
}

static int do_read(struct vchan_host *v, uint8_t *buf, size_t n)
{
	for (;;) {
		int r = o.packet ? vchan_host_recv(v, buf, n) : vchan_host_read(v, buf, n);

		if (r != 0 || o.block)
			return r;
		if ((size_t)vchan_host_data_ready(v) >= (o.packet ? n : 1))
			continue;
		if (vchan_host_is_open(v) == VCHAN_DISCONNECTED || vchan_host_wait(v))
			return -1;
	}
}

static int do_write(struct vchan_host *v, const uint8_t *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int r = o.packet ? vchan_host_send(v, buf + done, n - done)
				 : vchan_host_write(v, buf + done, n - done);

		if (r < 0)
			return -1;
		done += (size_t)r;
		if (done < n && !o.block && r == 0) {
			if ((size_t)vchan_host_buffer_space(v) >= (o.packet ? n - done : 1))
				continue;
			if (vchan_host_is_open(v) == VCHAN_DISCONNECTED || vchan_host_wait(v))
				return -1;
		}
	}
	return (int)n;
}

static size_t next_size(struct vchan_host *v, uint64_t *rng)
{
	size_t max = o.maxw ? o.maxw : o.packet ? 1024 : 2 * (size_t)vchan_host_write_size(v);

	return o.wsize ? o.wsize : 1 + xorshift(rng) % max;
}

static int mode_send(struct vchan_host *v)
{
	uint64_t rng = o.seed | 1, data = o.seed * 7 + 3, hash = 0xcbf29ce484222325ull, sent = 0;
	static uint8_t buf[1 << 17];

	while (sent < o.bytes) {
		size_t n = next_size(v, &rng);

		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > o.bytes - sent)
			n = o.bytes - sent;
		for (size_t i = 0; o.hash && i < n; i += 8) {
			uint64_t w = xorshift(&data);

			memcpy(buf + i, &w, n - i < 8 ? n - i : 8);
		}
		if (o.hash)
			hash = fnv1a(hash, buf, n);
		if (do_write(v, buf, n) != (int)n) {
			printf("vchan: closed after %llu bytes\n", (unsigned long long)sent);
			return fail("write");
		}
		sent += n;
	}
	printf("vchan: sent %llu bytes hash %016llx (events %llu, notifies %llu)\n",
	       (unsigned long long)sent, (unsigned long long)hash,
	       (unsigned long long)vchan_host_events(v), (unsigned long long)vchan_host_notifies(v));
	/* Wait until the guest has read it all: closing must lose nothing. */
	while (vchan_host_is_open(v) == VCHAN_CONNECTED &&
	       (uint32_t)vchan_host_buffer_space(v) < vchan_host_write_size(v) && !vchan_host_wait(v))
		;
	return 0;
}

static int mode_recv(struct vchan_host *v, bool echo, bool victim)
{
	static uint8_t buf[1 << 17];
	uint64_t got = 0, hash = 0xcbf29ce484222325ull, t0 = 0, t1 = 0, rng = o.seed | 1;

	while (!o.bytes || got < o.bytes) {
		size_t want = o.packet ? next_size(v, &rng) : sizeof(buf);
		int n;

		if (o.bytes && want > o.bytes - got)
			want = o.bytes - got;
		n = echo ? vchan_host_read(v, buf, sizeof(buf)) : do_read(v, buf, want);
		if (n <= 0)
			break;
		if (!t0)
			t0 = now_ns();
		t1 = now_ns();
		if (o.hash)
			hash = fnv1a(hash, buf, (size_t)n);
		got += (uint64_t)n;
		if (echo && vchan_host_write(v, buf, (size_t)n) != n)
			break;
	}
	if (!echo) {
		printf("vchan: received %llu bytes hash %016llx\n", (unsigned long long)got,
		       (unsigned long long)hash);
		if (got > 1)
			printf("vchan: throughput %llu bytes in %llu ns (events %llu, notifies %llu)\n",
			       (unsigned long long)got, (unsigned long long)(t1 - t0),
			       (unsigned long long)vchan_host_events(v),
			       (unsigned long long)vchan_host_notifies(v));
	}
	if (victim) {
		uint64_t deadline = now_ns() + 10000000000ull;

		vchan_host_set_timeout(v, 1000);
		while (vchan_host_is_open(v) != VCHAN_DISCONNECTED && now_ns() < deadline)
			vchan_host_wait(v);
		printf("vchan: closed after %llu bytes\n", (unsigned long long)got);
		return vchan_host_is_open(v) == VCHAN_DISCONNECTED ? 0 : fail("still open");
	}
	if (echo)
		printf("vchan: closed after %llu bytes\n", (unsigned long long)got);
	if (o.bytes && got != o.bytes)
		return fail("short");
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int mode_rtt(struct vchan_host *v)
{
	uint8_t msg[64], back[64];
	uint64_t *t = calloc(o.n ? o.n : 1, sizeof(*t));

	if (!t)
		return fail("memory");
	memset(msg, 0x5a, sizeof(msg));
	for (uint64_t i = 0; i < o.n; i++) {
		uint64_t t0 = now_ns();

		msg[0] = (uint8_t)i;
		if (vchan_host_send(v, msg, sizeof(msg)) != sizeof(msg) ||
		    vchan_host_recv(v, back, sizeof(back)) != sizeof(back) ||
		    memcmp(msg, back, sizeof(msg))) {
			free(t);
			return fail("round trip");
		}
		t[i] = now_ns() - t0;
	}
	qsort(t, o.n, sizeof(*t), cmp_u64);
	printf("vchan: rtt median %llu ns over %llu\n", (unsigned long long)t[o.n / 2],
	       (unsigned long long)o.n);
	free(t);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bh-vchan [-c CONTROL] [-x XENSTORE] [options] server|client DOMID PATH "
		   "echo|send|recv|rtt|victim\n"
		   "options: --bytes N --seed S --wsize N --maxw N --ring N --n N --spin NS\n"
		   "         --packet --nonblock --no-hash --timeout S\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' }, { "xenstore", required_argument, NULL, 'x' },
		{ "bytes", required_argument, NULL, 'b' },   { "seed", required_argument, NULL, 's' },
		{ "wsize", required_argument, NULL, 'w' },   { "maxw", required_argument, NULL, 'm' },
		{ "ring", required_argument, NULL, 'r' },    { "n", required_argument, NULL, 'n' },
		{ "spin", required_argument, NULL, 'S' },    { "timeout", required_argument, NULL, 't' },
		{ "packet", no_argument, NULL, 'P' },        { "nonblock", no_argument, NULL, 'N' },
		{ "no-hash", no_argument, NULL, 'H' },       { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *ctl = NULL, *xs = NULL, *mode;
	struct vchan_host_ctx *ctx;
	struct vchan_host *v;
	char err[512], *end;
	unsigned long domid;
	bool server;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:x:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ctl = optarg; break;
		case 'x': xs = optarg; break;
		case 'b': o.bytes = strtoull(optarg, NULL, 0); break;
		case 's': o.seed = strtoull(optarg, NULL, 0); break;
		case 'w': o.wsize = strtoull(optarg, NULL, 0); break;
		case 'm': o.maxw = strtoull(optarg, NULL, 0); break;
		case 'r': o.ring = strtoull(optarg, NULL, 0); break;
		case 'n': o.n = strtoull(optarg, NULL, 0); break;
		case 'S': o.spin = strtoull(optarg, NULL, 0); break;
		case 't': o.timeout_ms = atoi(optarg) * 1000; break;
		case 'P': o.packet = true; break;
		case 'N': o.block = false; break;
		case 'H': o.hash = false; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 4 || (strcmp(argv[optind], "server") && strcmp(argv[optind], "client"))) {
		usage(stderr);
		return 2;
	}
	server = !strcmp(argv[optind], "server");
	domid = strtoul(argv[optind + 1], &end, 10);
	mode = argv[optind + 3];
	if (*end || !argv[optind + 1][0] || domid == 0 || domid >= 0x7ff0) {
		fprintf(stderr, "bh-vchan: '%s' is not a domain id\n", argv[optind + 1]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctx = vchan_host_open(ctl_socket_path(ctl), xs, 1024, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "bh-vchan: %s\n", err);
		return 1;
	}
	if (server)
		v = vchan_host_server_init(ctx, (uint16_t)domid, argv[optind + 2], o.ring, o.ring, err,
					   sizeof(err));
	else
		v = vchan_host_client_init(ctx, (uint16_t)domid, argv[optind + 2], o.timeout_ms,
					   err, sizeof(err));
	if (!v) {
		printf("vchan: refused %s: %s\n", argv[optind + 2], err);
		vchan_host_ctx_close(ctx);
		return 1;
	}
	vchan_host_set_timeout(v, o.timeout_ms);
	if (o.spin != ~0ull)
		vchan_host_set_spin(v, o.spin);
	if (server) {
		printf("vchan: offered %s to domain %lu\n", argv[optind + 2], domid);
		while (vchan_host_is_open(v) == VCHAN_WAITING)
			if (vchan_host_wait(v)) {
				vchan_host_ctx_close(ctx);
				return fail("no client came");
			}
	}
	vchan_host_set_blocking(v, o.block);
	printf("vchan: connected read=%u write=%u\n", vchan_host_read_size(v),
	       vchan_host_write_size(v));
	if (!strcmp(mode, "send"))
		rc = mode_send(v);
	else if (!strcmp(mode, "recv"))
		rc = mode_recv(v, false, false);
	else if (!strcmp(mode, "echo"))
		rc = mode_recv(v, true, false);
	else if (!strcmp(mode, "victim"))
		rc = mode_recv(v, true, true);
	else if (!strcmp(mode, "rtt"))
		rc = mode_rtt(v);
	else
		rc = fail("unknown mode");
	vchan_host_ctx_close(ctx);
	if (!rc)
		printf("vchan: PASS\n");
	return rc;
}
