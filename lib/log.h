/*
 * Host-side logging for bulkhead and the tools: one line per call, to stderr,
 * with a monotonic timestamp and the program's name. Thread-safe (one
 * write(2) per line).
 */
#ifndef BH_LOG_H
#define BH_LOG_H

#include <stdarg.h>

enum bh_log_level { BH_LOG_ERR, BH_LOG_WARN, BH_LOG_INFO, BH_LOG_DEBUG };

void bh_log_init(const char *prog, enum bh_log_level level);
void bh_log(enum bh_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) bh_log(BH_LOG_ERR, __VA_ARGS__)
#define log_warn(...) bh_log(BH_LOG_WARN, __VA_ARGS__)
#define log_info(...) bh_log(BH_LOG_INFO, __VA_ARGS__)
#define log_debug(...) bh_log(BH_LOG_DEBUG, __VA_ARGS__)

#endif
