/*
 * bh-xenstored: Bulkhead's XenStore daemon (docs/xenstore.md).
 *
 *   bh-xenstored [--socket PATH] [--control PATH] [-v]
 *
 * It serves the store (xs_core.h) to dom0 clients on a Unix socket, each
 * connection privileged as dom0, from one epoll loop (xs_loop.h). Guests
 * reach it through the ring transport, which registers its own fds with
 * the loop; --control names bulkhead's control socket for that transport.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_io.h"
#include "log.h"
#include "xs_core.h"
#include "xs_loop.h"
#include "xs_ring.h"

#define DEFAULT_SOCKET "/run/xenstored/socket"
/* Bytes read from a client at a time, and kept while it cannot be fed. */
#define CLIENT_INBUF 65536
#define MAX_CLIENTS 256

/* ---- the loop ------------------------------------------------------------------ */

struct handler {
	struct handler *next;
	int fd;
	void (*fn)(void *arg, uint32_t events); /* NULL once deleted */
	void *arg;
};

static int epfd = -1;
static struct handler *handlers;  /* live */
static struct handler *graveyard; /* deleted during this batch */

static struct handler *find_handler(int fd)
{
	struct handler *h;

	for (h = handlers; h; h = h->next)
		if (h->fd == fd)
			return h;
	return NULL;
}

int xs_loop_add(int fd, uint32_t events, void (*fn)(void *arg, uint32_t events), void *arg)
{
	struct handler *h;
	struct epoll_event ev = { .events = events };

	if (find_handler(fd)) {
		errno = EEXIST;
		return -1;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	h->fd = fd;
	h->fn = fn;
	h->arg = arg;
	ev.data.ptr = h;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
		free(h);
		return -1;
	}
	h->next = handlers;
	handlers = h;
	return 0;
}

int xs_loop_mod(int fd, uint32_t events)
{
	struct handler *h = find_handler(fd);
	struct epoll_event ev = { .events = events };

	if (!h) {
		errno = ENOENT;
		return -1;
	}
	ev.data.ptr = h;
	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

void xs_loop_del(int fd)
{
	struct handler **pp, *h;

	for (pp = &handlers; (h = *pp); pp = &h->next)
		if (h->fd == fd) {
			*pp = h->next;
			epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
			h->fn = NULL;
			h->next = graveyard;
			graveyard = h;
			return;
		}
}

static volatile sig_atomic_t quit;

static void loop_run(void)
{
	struct epoll_event evs[64];

	while (!quit) {
		int n = epoll_wait(epfd, evs, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n && !quit; i++) {
			struct handler *h = evs[i].data.ptr;

			if (h->fn)
				h->fn(h->arg, evs[i].events);
		}
		while (graveyard) {
			struct handler *h = graveyard;

			graveyard = h->next;
			free(h);
		}
	}
}

/* ---- Unix-socket clients ---------------------------------------------------------- */

struct client {
	int fd;
	struct xs_conn *conn;
	uint32_t events; /* what the loop watches for now */
	size_t inlen;    /* bytes read, not yet consumed by the store */
	uint8_t in[CLIENT_INBUF];
};

static struct xs_store *store;
static unsigned nclients;

static void client_close(struct client *cl, const char *why)
{
	if (why)
		log_debug("client fd %d: %s", cl->fd, why);
	xs_loop_del(cl->fd);
	close(cl->fd);
	xs_conn_free(cl->conn);
	free(cl);
	nclients--;
}

/* Watch for input while the store accepts it, for output while some is queued. */
static void client_update(struct client *cl)
{
	size_t len;
	uint32_t want = EPOLLRDHUP;

	xs_conn_output(cl->conn, &len);
	if (len)
		want |= EPOLLOUT;
	if (xs_conn_can_accept(cl->conn) && cl->inlen < sizeof(cl->in))
		want |= EPOLLIN;
	if (want != cl->events && !xs_loop_mod(cl->fd, want))
		cl->events = want;
}

static void client_kick(struct xs_conn *c, void *opaque)
{
	struct client *cl = opaque;

	(void)c;
	if (!(cl->events & EPOLLOUT))
		client_update(cl);
}

static const struct xs_conn_ops client_ops = { .kick = client_kick };

/* Write what we can: 0, or -1 if the client is gone. */
static int client_flush(struct client *cl)
{
	for (;;) {
		size_t len;
		const void *p = xs_conn_output(cl->conn, &len);
		ssize_t n;

		if (!len)
			return 0;
		n = send(cl->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		xs_conn_consume(cl->conn, n);
	}
}

/* Feed what is buffered: 0, or -1 on a protocol error. */
static int client_feed(struct client *cl)
{
	while (cl->inlen && xs_conn_can_accept(cl->conn)) {
		ssize_t used = xs_conn_feed(cl->conn, cl->in, cl->inlen);

		if (used < 0)
			return -1;
		if (used == 0)
			break;
		memmove(cl->in, cl->in + used, cl->inlen - used);
		cl->inlen -= used;
		if (client_flush(cl))
			return -1;
	}
	return 0;
}

static void client_event(void *arg, uint32_t events)
{
	struct client *cl = arg;
	bool eof = false;

	if (events & EPOLLERR)
		return client_close(cl, "socket error");
	if (client_flush(cl))
		return client_close(cl, "write failed");
	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) {
		while (cl->inlen < sizeof(cl->in) && xs_conn_can_accept(cl->conn)) {
			ssize_t n = read(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen);

			if (n == 0) {
				eof = true;
				break;
			}
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					eof = true;
				break;
			}
			cl->inlen += n;
			if (client_feed(cl))
				return client_close(cl, "protocol error");
		}
	}
	if (client_feed(cl))
		return client_close(cl, "protocol error");
	if (client_flush(cl))
		return client_close(cl, "write failed");
	/* A client that is gone gets no more answers (a partial message is dropped). */
	if (eof)
		return client_close(cl, "disconnected");
	client_update(cl);
}

static void listener_event(void *arg, uint32_t events)
{
	int lfd = *(int *)arg;

	(void)events;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *cl;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (nclients >= MAX_CLIENTS) {
			log_warn("too many clients (%u): refusing one", nclients);
			close(fd);
			continue;
		}
		cl = calloc(1, sizeof(*cl));
		if (cl)
			cl->conn = xs_conn_new(store, 0, true, &client_ops, cl);
		if (!cl || !cl->conn) {
			log_warn("out of memory for a client");
			free(cl);
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->events = EPOLLIN | EPOLLRDHUP;
		if (xs_loop_add(fd, cl->events, client_event, cl)) {
			log_warn("epoll: %s", strerror(errno));
			xs_conn_free(cl->conn);
			free(cl);
			close(fd);
			continue;
		}
		nclients++;
	}
}

/* ---- the socket ------------------------------------------------------------------- */

static int listen_unix(const char *path)
{
	char err[256];
	/*
	 * A backlog as deep as the clients it serves: a burst of connects that
	 * the loop has not accepted yet is queued, not refused (a non-blocking
	 * connect gets EAGAIN from a full queue; a blocking one stalls).
	 */
	int fd = unix_listen(path, MAX_CLIENTS, SOCK_NONBLOCK, err, sizeof(err));

	if (fd < 0)
		log_err("%s", err);
	return fd;
}

/* ---- signals, transports, main ------------------------------------------------- */

static void signal_event(void *arg, uint32_t events)
{
	int sfd = *(int *)arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(sfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			quit = 1;
}

/*
 * Where the hypervisor ring transport (xs_ring.c) attaches: it gets the
 * store and bulkhead's control socket, and registers its fds with
 * xs_loop_add(). Without it, --control is only recorded.
 */
static const char *control_path;

static void usage(FILE *f)
{
	fprintf(f, "usage: bh-xenstored [--socket PATH] [--control PATH] [-v]\n"
		   "  --socket PATH   the dom0 Unix socket (default $XENSTORED_PATH, else %s)\n"
		   "  --control PATH  bulkhead's control socket, for the guests' rings\n"
		   "  -v              log debug messages\n",
		DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "control", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock_path = NULL;
	enum bh_log_level level = BH_LOG_INFO;
	static int lfd, sfd;
	sigset_t mask;
	int opt;

	while ((opt = getopt_long(argc, argv, "s:c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock_path = optarg; break;
		case 'c': control_path = optarg; break;
		case 'v': level = BH_LOG_DEBUG; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	bh_log_init("bh-xenstored", level);
	if (!sock_path)
		sock_path = getenv("XENSTORED_PATH");
	if (!sock_path || !*sock_path)
		sock_path = DEFAULT_SOCKET;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	store = xs_store_new(NULL, control_path ? &xs_ring_store_ops : NULL, NULL);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (!store || epfd < 0 || sfd < 0) {
		log_err("startup: %s", strerror(errno ? errno : ENOMEM));
		return 1;
	}
	lfd = listen_unix(sock_path);
	if (lfd < 0)
		return 1;
	if (xs_loop_add(sfd, EPOLLIN, signal_event, &sfd) ||
	    xs_loop_add(lfd, EPOLLIN, listener_event, &lfd)) {
		log_err("epoll: %s", strerror(errno));
		unlink(sock_path);
		return 1;
	}
	if (control_path && xs_ring_init(store, control_path)) {
		unlink(sock_path);
		return 1;
	}
	fprintf(stderr, "bh-xenstored: ready on %s\n", sock_path);

	loop_run();

	log_info("exiting");
	unlink(sock_path);
	while (handlers) {
		struct handler *h = handlers;

		if (h->fn == client_event)
			client_close(h->arg, NULL);
		else
			xs_loop_del(h->fd);
	}
	while (graveyard) {
		struct handler *h = graveyard;

		graveyard = h->next;
		free(h);
	}
	xs_store_free(store);
	close(lfd);
	close(sfd);
	close(epfd);
	return 0;
}
