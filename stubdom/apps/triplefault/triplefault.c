/* triplefault: breaks the machine on purpose. bulkhead must crash this domain alone. */
#include <bk/kernel.h>

int app_main(const char *cmdline)
{
	(void)cmdline;
	printk("triplefault: loading an empty IDT and trapping\n");
	triple_fault();
}
