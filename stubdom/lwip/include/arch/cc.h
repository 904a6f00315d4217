/*
 * lwIP's compiler and platform header for Bulkhead's guest kernel: a
 * freestanding x86-64 build with no libc. The types come from GCC's
 * stdint.h; printf formats, limits and ctype are given here; diagnostics
 * go to the console and a failed assertion crashes the domain (panic).
 */
#ifndef BK_LWIP_ARCH_CC_H
#define BK_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#define BYTE_ORDER LITTLE_ENDIAN

/* No inttypes.h, limits.h, unistd.h or ctype.h in a -nostdinc build. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_LIMITS_H 1
#define LWIP_NO_UNISTD_H 1
#define LWIP_NO_CTYPE_H 1
#define INT_MAX __INT_MAX__
#define SSIZE_MAX __LONG_MAX__

/* The kernel's vsnprintf: u8/u16 are promoted to int. */
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

/* The wire headers in lwip/prot/ are packed structs. */
#define PACK_STRUCT_STRUCT __attribute__((packed))

#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define LWIP_PLATFORM_DIAG(x) \
	do { \
		printk x; \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) panic("lwIP: assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)

/*
 * DHCP transaction ids, TCP's first ephemeral port, IGMP and DNS delays.
 * Not a cryptographic source (stubdom/lwip/sys_arch.c).
 */
uint32_t bk_lwip_rand(void);
#define LWIP_RAND() bk_lwip_rand()

#endif
