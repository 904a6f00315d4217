/* hello: the smallest Bulkhead domain. Prints one line and powers off. */
#include <bk/kernel.h>

int app_main(const char *cmdline)
{
	char name[64];

	if (!cmdline_get(cmdline, "name", name, sizeof(name)))
		snprintf(name, sizeof(name), "an unnamed domain");
	printk("Hello from %s\n", name);
	return 0;
}
