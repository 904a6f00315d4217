/* The vchan test app: its options and the helpers its two files share. */
#ifndef VCHAN_APP_H
#define VCHAN_APP_H

#include <xen/errno.h>
#include <xen/sched.h>

#include <bk/kernel.h>
#include <bk/vchan.h>
#include <bk/xenbus.h>

struct opts {
	bool server, packet, block, hash;
	domid_t peer;
	char path[96], mode[16], attack[24];
	uint64_t bytes, seed, wsize, maxw, ring, n, timeout, spin;
};
extern struct opts o;

uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n);
uint64_t xorshift(uint64_t *s);
int fail(const char *why);
struct vchan *connect(void);
int attack_main(void);
int victim_main(struct vchan *v);
int refuse_main(void);

#endif
