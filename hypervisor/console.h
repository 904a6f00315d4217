/*
 * Domain console output: what a guest writes with console_io goes, line by
 * line, to its own log file and, with --console, to stdout prefixed by the
 * domain's name. Control characters are replaced, so a guest cannot drive
 * the operator's terminal, and each log is capped at BH_CONSOLE_LOG_MAX.
 */
#ifndef BH_CONSOLE_H
#define BH_CONSOLE_H

#include <stddef.h>

struct domain;

int console_open(struct domain *d, char *err, size_t errlen);
void console_close(struct domain *d);
/* Append bytes the guest wrote; any vCPU thread. */
void console_put(struct domain *d, const char *buf, size_t len);
/* Write one line from bulkhead itself into the domain's log. */
void console_note(struct domain *d, const char *line);

/* mkdir -p with mode 0755; 0 or -1 (errno). */
int make_dirs(const char *dir);

#endif
