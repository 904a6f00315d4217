/*
 * Domain console output: what a guest writes with console_io goes, line by
 * line, to its own log file and, with --console, to stdout prefixed by the
 * domain's name. Control characters are replaced, so a guest cannot drive
 * the operator's terminal, and each log is capped at BH_CONSOLE_LOG_MAX.
 */
#ifndef BH_CONSOLE_H
#define BH_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct domain;

int console_open(struct domain *d, char *err, size_t errlen);
void console_close(struct domain *d);
/* Append bytes the guest wrote; any vCPU thread. */
void console_put(struct domain *d, const char *buf, size_t len);
/* Write one line from bulkhead itself into the domain's log. */
void console_note(struct domain *d, const char *line);

/*
 * Copy console history from *offset (moved up to the oldest byte kept when
 * it was overwritten) into buf; the byte count, and the stream's end.
 */
size_t console_read(struct domain *d, uint64_t *offset, char *buf, size_t max, uint64_t *end);

/* mkdir -p with mode 0755; 0 or -1 (errno). */
int make_dirs(const char *dir);

#endif
