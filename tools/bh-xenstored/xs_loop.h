/*
 * bh-xenstored's event loop (main.c): one epoll set, one thread. Each
 * registered fd has a handler, fn(arg, events), called with the epoll
 * events that are ready. A transport (the Unix socket in main.c, the ring
 * transport) registers its fds here.
 *
 * Handlers may call xs_loop_add/mod/del for any fd, including their own,
 * at any time: a deleted fd's handler is never called again, even for
 * events already fetched in the same epoll_wait batch (the loop frees its
 * record only after the batch). xs_loop_del does not close the fd.
 */
#ifndef BH_XS_LOOP_H
#define BH_XS_LOOP_H

#include <stdint.h>

/* 0, or -1 with errno set. fd must not be registered already. */
int xs_loop_add(int fd, uint32_t events, void (*fn)(void *arg, uint32_t events), void *arg);
/* Change the epoll events of a registered fd: 0, or -1 with errno set. */
int xs_loop_mod(int fd, uint32_t events);
/* Forget fd (before closing it). Unknown fds are ignored. */
void xs_loop_del(int fd);

#endif
