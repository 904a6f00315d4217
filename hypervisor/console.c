#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "log.h"

/* mkdir -p: the log directory may be new, and so may its parents. */
int make_dirs(const char *dir)
{
	char path[4096];
	size_t i, n = strlen(dir);

	if (n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		path[i] = 0;
		if (mkdir(path, 0750) && errno != EEXIST)
			return -1;
		path[i] = dir[i];
	}
	return 0;
}

int console_open(struct domain *d, char *err, size_t errlen)
{
	struct stat st = { 0 };
	char path[4096];
	int fd;

	if (make_dirs(bh_settings.log_dir)) {
		snprintf(err, errlen, "cannot create log directory %s: %s",
			 bh_settings.log_dir, strerror(errno));
		return -1;
	}
	/*
	 * Xen's xenconsoled names them guest-NAME.log, and a client names the
	 * domain: on the main thread, a FIFO or a device planted under that
	 * name must neither block the open nor be written to, so open without
	 * blocking or following a link, and keep only a regular file.
	 */
	snprintf(path, sizeof(path), "%s/guest-%s.log", bh_settings.log_dir, d->name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY,
		  0666);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) ||
	    !(d->console_log = fdopen(fd, "w"))) {
		snprintf(err, errlen, "cannot open console log %s: %s", path,
			 fd >= 0 && !S_ISREG(st.st_mode) ? "not a regular file" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setvbuf(d->console_log, NULL, _IOLBF, 0);
	d->console_hist = malloc(BH_CONSOLE_HISTORY);
	if (!d->console_hist) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->console_stdout = bh_settings.console_stdout;
	return 0;
}

/* Append to the history ring that `bh console` reads. Called with console_lock held. */
static void console_hist_put(struct domain *d, const char *p, size_t n)
{
	if (!d->console_hist)
		return;
	for (size_t i = 0; i < n; i++)
		d->console_hist[(d->console_end + i) % BH_CONSOLE_HISTORY] = p[i];
	d->console_end += n;
}

size_t console_read(struct domain *d, uint64_t *offset, char *buf, size_t max, uint64_t *end)
{
	uint64_t from;
	size_t n = 0;

	pthread_mutex_lock(&d->console_lock);
	from = *offset;
	if (from > d->console_end)
		from = d->console_end;
	if (d->console_end - from > BH_CONSOLE_HISTORY)
		from = d->console_end - BH_CONSOLE_HISTORY; /* overwritten: start at the oldest */
	if (d->console_hist) {
		while (n < max && from + n < d->console_end) {
			buf[n] = d->console_hist[(from + n) % BH_CONSOLE_HISTORY];
			n++;
		}
	}
	*offset = from;
	*end = d->console_end;
	pthread_mutex_unlock(&d->console_lock);
	return n;
}

/* Emit the buffered line. Called with console_lock held. */
static void console_flush_line(struct domain *d)
{
	/* The cap holds for the terminal too: a guest cannot flood either. */
	if (d->console_bytes < BH_CONSOLE_LOG_MAX) {
		d->console_bytes += d->console_len + 1;
		fprintf(d->console_log, "%.*s\n", (int)d->console_len, d->console_line);
		if (d->console_stdout)
			printf("(%s) %.*s\n", d->name, (int)d->console_len, d->console_line);
		if (d->console_bytes >= BH_CONSOLE_LOG_MAX)
			fprintf(d->console_log, "[bulkhead: console log limit reached, "
				"further output dropped]\n");
	}
	console_hist_put(d, d->console_line, d->console_len);
	console_hist_put(d, "\n", 1);
	if (!d->first_console_ns) {
		d->first_console_ns = bh_now_ns();
		log_info("domain %u (%s): first console line %llu us after create", d->id,
			 d->name, (unsigned long long)(d->first_console_ns - d->created_ns) / 1000);
	}
	d->console_len = 0;
}

void console_put(struct domain *d, const char *buf, size_t len)
{
	size_t i;

	pthread_mutex_lock(&d->console_lock);
	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (c == '\n') {
			console_flush_line(d);
			continue;
		}
		if (c == '\r')
			continue;
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			c = '?';
		d->console_line[d->console_len++] = c;
		if (d->console_len == sizeof(d->console_line))
			console_flush_line(d);
	}
	pthread_mutex_unlock(&d->console_lock);
}

void console_note(struct domain *d, const char *line)
{
	pthread_mutex_lock(&d->console_lock);
	if (d->console_len)
		console_flush_line(d);
	if (d->console_log)
		fprintf(d->console_log, "[bulkhead: %s]\n", line);
	console_hist_put(d, "[bulkhead: ", 11);
	console_hist_put(d, line, strlen(line));
	console_hist_put(d, "]\n", 2);
	pthread_mutex_unlock(&d->console_lock);
}

void console_close(struct domain *d)
{
	pthread_mutex_lock(&d->console_lock);
	if (d->console_len)
		console_flush_line(d);
	if (d->console_log)
		fclose(d->console_log);
	d->console_log = NULL;
	free(d->console_hist); /* a reader that still holds the domain gets nothing more */
	d->console_hist = NULL;
	pthread_mutex_unlock(&d->console_lock);
	fflush(stdout);
}
