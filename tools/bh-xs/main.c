/*
 * bh-xs: a small dom0 XenStore client for bh-xenstored's Unix socket,
 * like xenstore-read/-write/-ls/-chmod/-watch in one program.
 *
 *   bh-xs [--socket PATH] COMMAND ARGS...
 *
 * It speaks the wire protocol of xen/io/xs_wire.h directly. An error
 * reply is printed as "bh-xs: COMMAND PATH: ENAME" and exits 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#include "ctl_io.h"

#define DEFAULT_SOCKET "/run/xenstored/socket"

static int sock = -1;
static uint32_t next_req = 1;

struct msg {
	struct xsd_sockmsg h;
	char body[XENSTORE_PAYLOAD_MAX + 1]; /* NUL-terminated at h.len */
};

static int connect_to(const char *path)
{
	int fd = unix_connect(path);

	if (fd < 0) {
		fprintf(stderr, "bh-xs: %s: %s\n", path, strerror(-fd));
		return -1;
	}
	return fd;
}

static int read_msg(struct msg *m)
{
	if (ctl_read_full(sock, &m->h, sizeof(m->h)) || m->h.len > XENSTORE_PAYLOAD_MAX ||
	    ctl_read_full(sock, m->body, m->h.len)) {
		fprintf(stderr, "bh-xs: connection to xenstored lost\n");
		return -1;
	}
	m->body[m->h.len] = '\0';
	return 0;
}

/*
 * Send type with the n strings (each sent with its NUL, except that the
 * last one is sent as raw bytes when raw_last) and wait for the answer to
 * it, skipping watch events. 0 with the reply in *m, 1 after printing an
 * error reply, -1 on a broken connection.
 */
static int call(uint32_t type, const char *what, struct msg *m, int n, const char **args,
		bool raw_last)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t len = 0;
	struct xsd_sockmsg h = { .type = type, .req_id = next_req++ };

	for (int i = 0; i < n; i++) {
		size_t l = strlen(args[i]) + !(raw_last && i == n - 1);

		if (l > sizeof(buf) - len) {
			fprintf(stderr, "bh-xs: %s: request too long\n", what);
			return 1;
		}
		memcpy(buf + len, args[i], l);
		len += l;
	}
	h.len = len;
	if (ctl_write_full(sock, &h, sizeof(h)) || ctl_write_full(sock, buf, len)) {
		fprintf(stderr, "bh-xs: %s: cannot send to xenstored\n", what);
		return -1;
	}
	do {
		if (read_msg(m))
			return -1;
	} while (m->h.type == XS_WATCH_EVENT || m->h.req_id != h.req_id);
	if (m->h.type == XS_ERROR) {
		fprintf(stderr, "bh-xs: %s: %s\n", what, m->body);
		return 1;
	}
	if (m->h.type != type) {
		fprintf(stderr, "bh-xs: %s: unexpected reply type %u\n", what, m->h.type);
		return -1;
	}
	return 0;
}

/* Print a reply's NUL-separated strings, one per line (or sep-joined). */
static void print_strings(const struct msg *m, char sep)
{
	size_t off = 0;
	bool first = true;

	while (off < m->h.len) {
		size_t l = strnlen(m->body + off, m->h.len - off);

		if (sep != '\n' && !first)
			putchar(sep);
		fwrite(m->body + off, 1, l, stdout);
		if (sep == '\n')
			putchar('\n');
		first = false;
		off += l + 1;
	}
	if (sep != '\n')
		putchar('\n');
}

static int watch(const char *path, long count)
{
	const char *args[2] = { path, "bh-xs" };
	struct msg m;
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "watch %.50s", path);
	rc = call(XS_WATCH, what, &m, 2, args, false);
	if (rc)
		return rc < 0 ? 1 : rc;
	for (long seen = 0; count <= 0 || seen < count;) {
		if (read_msg(&m))
			return 1;
		if (m.h.type != XS_WATCH_EVENT)
			continue;
		printf("%s\n", m.body);
		fflush(stdout);
		seen++;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bh-xs [--socket PATH] COMMAND ARGS...\n"
		"  read PATH                 print the value\n"
		"  write PATH VALUE          set the value (creates missing parents)\n"
		"  mkdir PATH                create PATH if missing\n"
		"  rm PATH                   remove PATH and everything below it\n"
		"  ls PATH                   list the children, one per line\n"
		"  getperms PATH             print the permissions (e.g. \"n0 r5\")\n"
		"  setperms PATH PERM...     set them (PERM: n|r|w|b followed by a domid)\n"
		"  watch PATH [N]            print each event's path; exit after N events\n"
		"                            (the first one fires at once)\n"
		"  introduce DOMID MFN PORT  release DOMID  isintroduced DOMID\n"
		"  getdomainpath DOMID\n"
		"The socket is --socket, else $XENSTORED_PATH, else " DEFAULT_SOCKET ".\n");
}

static const struct {
	const char *name;
	uint32_t type;
	int min, max; /* arguments */
	bool raw_last;
} cmds[] = {
	{ "read", XS_READ, 1, 1, false },
	{ "write", XS_WRITE, 2, 2, true },
	{ "mkdir", XS_MKDIR, 1, 1, false },
	{ "rm", XS_RM, 1, 1, false },
	{ "ls", XS_DIRECTORY, 1, 1, false },
	{ "getperms", XS_GET_PERMS, 1, 1, false },
	{ "setperms", XS_SET_PERMS, 2, 64, false },
	{ "watch", XS_WATCH, 1, 2, false },
	{ "introduce", XS_INTRODUCE, 3, 3, false },
	{ "release", XS_RELEASE, 1, 1, false },
	{ "isintroduced", XS_IS_DOMAIN_INTRODUCED, 1, 1, false },
	{ "getdomainpath", XS_GET_DOMAIN_PATH, 1, 1, false },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct msg m;
	char what[128];
	size_t i;
	int opt, n, rc;

	while ((opt = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, argv[optind]))
			break;
	n = argc - optind - 1;
	if (i == sizeof(cmds) / sizeof(cmds[0]) || n < cmds[i].min || n > cmds[i].max) {
		usage(stderr);
		return 2;
	}
	if (!path)
		path = getenv("XENSTORED_PATH");
	if (!path || !*path)
		path = DEFAULT_SOCKET;
	sock = connect_to(path);
	if (sock < 0)
		return 1;
	if (cmds[i].type == XS_WATCH) {
		char *end = NULL;
		long count = n == 2 ? strtol(argv[optind + 2], &end, 10) : 0;

		if (n == 2 && (*end || count <= 0)) {
			usage(stderr);
			return 2;
		}
		return watch(argv[optind + 1], count);
	}
	snprintf(what, sizeof(what), "%s %.100s", cmds[i].name, argv[optind + 1]);
	rc = call(cmds[i].type, what, &m, n, (const char **)argv + optind + 1, cmds[i].raw_last);
	if (rc)
		return 1;
	switch (cmds[i].type) {
	case XS_READ:
		fwrite(m.body, 1, m.h.len, stdout);
		putchar('\n');
		break;
	case XS_DIRECTORY:
		print_strings(&m, '\n');
		break;
	case XS_GET_PERMS:
		print_strings(&m, ' ');
		break;
	case XS_IS_DOMAIN_INTRODUCED:
	case XS_GET_DOMAIN_PATH:
		printf("%s\n", m.body);
		break;
	default:
		break;
	}
	return 0;
}
