/* idle: boots, says so, and blocks forever. For memory and density measurements. */
#include <bk/kernel.h>

int app_main(const char *cmdline)
{
	(void)cmdline;
	printk("idle: waiting\n");
	for (;;)
		sleep_until(~0ull >> 1);
}
