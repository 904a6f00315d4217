#include "log.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "bulkhead";

/* The last BH_LOG_RING bytes of log lines, for `bh dmesg`. */
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static char ring[BH_LOG_RING];
static uint64_t ring_end, ring_start;

static void ring_put(const char *p, size_t n)
{
	pthread_mutex_lock(&ring_lock);
	for (size_t i = 0; i < n; i++)
		ring[(ring_end + i) % BH_LOG_RING] = p[i];
	ring_end += n;
	if (ring_end - ring_start > BH_LOG_RING)
		ring_start = ring_end - BH_LOG_RING;
	pthread_mutex_unlock(&ring_lock);
}

size_t bh_log_read(char *buf, size_t max, bool clear)
{
	size_t n = 0;
	uint64_t from;

	pthread_mutex_lock(&ring_lock);
	from = ring_start;
	/* Whole lines only: skip a line cut by the ring's wrap. */
	if (ring_end - from == BH_LOG_RING) {
		while (from < ring_end && ring[from % BH_LOG_RING] != '\n')
			from++;
		from++;
	}
	while (from + n < ring_end && n < max) {
		buf[n] = ring[(from + n) % BH_LOG_RING];
		n++;
	}
	if (clear)
		ring_start = ring_end;
	pthread_mutex_unlock(&ring_lock);
	return n;
}
static enum bh_log_level log_level = BH_LOG_INFO;

void bh_log_init(const char *prog, enum bh_log_level level)
{
	log_prog = prog;
	log_level = level;
}

void bh_log(enum bh_log_level level, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char line[1024];
	struct timespec ts;
	va_list ap;
	int n, m;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "[%5ld.%06ld] %s: %s", (long)ts.tv_sec,
		     ts.tv_nsec / 1000, log_prog, tag[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	ring_put(line, n);
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
