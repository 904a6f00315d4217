/* bulkhead's seccomp allow-list (seccomp_bulkhead.c); applied by main.c. */
#ifndef BH_SECCOMP_BULKHEAD_H
#define BH_SECCOMP_BULKHEAD_H

#include "hardening.h"

extern const struct seccomp_table seccomp_bulkhead;
extern const struct seccomp_table seccomp_bulkhead_swtpm; /* added for a socket TCTI */

#endif
