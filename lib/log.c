#include "log.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "bulkhead";

/*
 * The recent log lines, for `bh dmesg`, in two rings: audit lines (Flask's
 * AVC messages) in their own, so that no flood of other lines can push
 * them out. Each ring holds whole records (a header, then the line), and
 * drops its oldest whole records to make room; the sequence number merges
 * the two back into one order when they are read.
 */
struct log_rec {
	uint64_t seq;
	uint32_t len;
};

struct log_ring {
	char *buf;
	size_t cap;
	uint64_t start, end; /* byte offsets; records lie between */
};

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static char general_buf[BH_LOG_RING_GENERAL], audit_buf[BH_LOG_RING_AUDIT];
static struct log_ring rings[2] = { { general_buf, sizeof(general_buf), 0, 0 },
				    { audit_buf, sizeof(audit_buf), 0, 0 } };
static uint64_t next_seq;

static void ring_copy_in(struct log_ring *r, uint64_t at, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r->buf[(at + i) % r->cap] = ((const char *)p)[i];
}

static void ring_copy_out(const struct log_ring *r, uint64_t at, void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((char *)p)[i] = r->buf[(at + i) % r->cap];
}

static void ring_put(struct log_ring *r, const char *p, size_t n)
{
	struct log_rec h = { 0, (uint32_t)n };

	if (sizeof(h) + n > r->cap)
		return;
	pthread_mutex_lock(&ring_lock);
	h.seq = next_seq++;
	while (r->end - r->start + sizeof(h) + n > r->cap) {
		struct log_rec old;

		ring_copy_out(r, r->start, &old, sizeof(old));
		r->start += sizeof(old) + old.len;
	}
	ring_copy_in(r, r->end, &h, sizeof(h));
	ring_copy_in(r, r->end + sizeof(h), p, n);
	r->end += sizeof(h) + n;
	pthread_mutex_unlock(&ring_lock);
}

size_t bh_log_read(char *buf, size_t max, bool clear)
{
	uint64_t at[2];
	size_t n = 0;

	pthread_mutex_lock(&ring_lock);
	for (int i = 0; i < 2; i++)
		at[i] = rings[i].start;
	for (;;) {
		struct log_rec h[2];
		int pick = -1;

		for (int i = 0; i < 2; i++) {
			if (at[i] == rings[i].end)
				continue;
			ring_copy_out(&rings[i], at[i], &h[i], sizeof(h[i]));
			if (pick < 0 || h[i].seq < h[pick].seq)
				pick = i;
		}
		if (pick < 0 || n + h[pick].len > max)
			break;
		ring_copy_out(&rings[pick], at[pick] + sizeof(h[pick]), buf + n, h[pick].len);
		n += h[pick].len;
		at[pick] += sizeof(h[pick]) + h[pick].len;
	}
	if (clear)
		for (int i = 0; i < 2; i++)
			rings[i].start = rings[i].end;
	pthread_mutex_unlock(&ring_lock);
	return n;
}

static enum bh_log_level log_level = BH_LOG_INFO;

void bh_log_init(const char *prog, enum bh_log_level level)
{
	log_prog = prog;
	log_level = level;
}

static void vlog(enum bh_log_level level, struct log_ring *r, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char line[1024];
	struct timespec ts;
	int n, m;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "[%5ld.%06ld] %s: %s", (long)ts.tv_sec,
		     ts.tv_nsec / 1000, log_prog, tag[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	ring_put(r, line, n);
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void bh_log(enum bh_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, &rings[0], fmt, ap);
	va_end(ap);
}

void bh_log_audit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(BH_LOG_WARN, &rings[1], fmt, ap);
	va_end(ap);
}
