/*
 * hello: the smallest Bulkhead domain. Prints one line and powers off, or
 * with "shutdown=reboot" (or crash, watchdog) shuts down for that reason.
 */
#include <xen/sched.h>

#include <bk/kernel.h>

int app_main(const char *cmdline)
{
	char name[64], reason[16];

	if (!cmdline_get(cmdline, "name", name, sizeof(name)))
		snprintf(name, sizeof(name), "an unnamed domain");
	printk("Hello from %s\n", name);
	if (cmdline_get(cmdline, "shutdown", reason, sizeof(reason))) {
		if (!strcmp(reason, "reboot"))
			shutdown(SHUTDOWN_reboot);
		if (!strcmp(reason, "crash"))
			shutdown(SHUTDOWN_crash);
		if (!strcmp(reason, "watchdog"))
			shutdown(SHUTDOWN_watchdog);
	}
	return 0;
}
