/* The guest kernel is freestanding; Xen's public headers (libxenvchan.h) want this one. */
#ifndef BK_SYS_TYPES_H
#define BK_SYS_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;

#endif
