/*
 * What lwIP needs from the system under NO_SYS: a millisecond clock
 * (sys_now) and LWIP_RAND. Both come from the kernel: pvclock system time,
 * and the TSC and wallclock as entropy.
 */
#include <bk/kernel.h>

#include "lwip/sys.h"

u32_t sys_now(void)
{
	return (u32_t)(now_ns() / 1000000);
}

/*
 * xorshift64*, seeded from the wallclock and the TSC at first use and
 * stirred with the TSC at each call. It spreads DHCP transaction ids and
 * ephemeral ports; it is not a secret and nothing may rely on it being one.
 */
uint32_t bk_lwip_rand(void)
{
	static uint64_t s;

	if (!s)
		s = wallclock_ns() ^ (rdtsc() << 17) ^ 0x9e3779b97f4a7c15ull;
	s ^= rdtsc();
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	if (!s)
		s = 1;
	return (uint32_t)((s * 0x2545f4914f6cdd1dull) >> 32);
}
