/*
 * Host-side logging for bulkhead and the tools: one line per call, to stderr,
 * with a monotonic timestamp and the program's name. Thread-safe (one
 * write(2) per line). The recent lines are also kept in memory, for
 * `bh dmesg`.
 */
#ifndef BH_LOG_H
#define BH_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Bytes of recent lines kept for bh_log_read: other lines in one ring, audit
 * lines (bh_log_audit) in another that no other line can push out.
 */
#define BH_LOG_RING_GENERAL (128u << 10)
#define BH_LOG_RING_AUDIT (64u << 10)
#define BH_LOG_RING (BH_LOG_RING_GENERAL + BH_LOG_RING_AUDIT) /* the most bh_log_read returns */

enum bh_log_level { BH_LOG_ERR, BH_LOG_WARN, BH_LOG_INFO, BH_LOG_DEBUG };

void bh_log_init(const char *prog, enum bh_log_level level);
void bh_log(enum bh_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* An audit line (Flask's AVC messages), at BH_LOG_WARN, kept in the audit ring. */
void bh_log_audit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy the recent log lines of both rings (whole lines, oldest first); with clear, forget them. */
size_t bh_log_read(char *buf, size_t max, bool clear);

#define log_err(...) bh_log(BH_LOG_ERR, __VA_ARGS__)
#define log_warn(...) bh_log(BH_LOG_WARN, __VA_ARGS__)
#define log_info(...) bh_log(BH_LOG_INFO, __VA_ARGS__)
#define log_debug(...) bh_log(BH_LOG_DEBUG, __VA_ARGS__)

#endif
