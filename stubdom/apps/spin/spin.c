/* spin: never yields, never blocks. Its neighbours must still make progress. */
#include <bk/kernel.h>

int app_main(const char *cmdline)
{
	volatile uint64_t n = 0;

	(void)cmdline;
	printk("spin: spinning forever\n");
	for (;;)
		n++;
}
