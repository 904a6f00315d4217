/*
 * idle: boots, says so, and blocks forever. For memory and density
 * measurements. With xenstore it also acts on control/shutdown (poweroff,
 * halt, reboot), still blocked between events; without, it only blocks.
 */
#include <bk/kernel.h>
#include <bk/xenbus.h>

int app_main(const char *cmdline)
{
	int rc;

	(void)cmdline;
	printk("idle: waiting\n");
	if (xenbus_init() == 0) {
		if ((rc = xenbus_shutdown_watch_start()) == 0)
			xenbus_idle();
		printk("idle: no shutdown watch: %s\n", xenbus_strerror(rc));
	}
	for (;;)
		sleep_until(~0ull >> 1);
}
