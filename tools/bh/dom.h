/* bh's domain subcommands (dom.c). Each takes the control socket and its arguments. */
#ifndef BH_DOM_H
#define BH_DOM_H
#include <stddef.h>

int cmd_create(int fd, int argc, char **argv);
int cmd_list(int fd, int argc, char **argv);
int cmd_destroy(int fd, int argc, char **argv);
int cmd_shutdown(int fd, int argc, char **argv);
int cmd_reboot(int fd, int argc, char **argv);
int cmd_pause(int fd, int argc, char **argv);
int cmd_unpause(int fd, int argc, char **argv);
int cmd_console(int fd, int argc, char **argv);
int cmd_info(int fd, int argc, char **argv);
int cmd_dmesg(int fd, int argc, char **argv);
int cmd_top(int fd, int argc, char **argv);

struct bh_ctl_physinfo;
/*
 * BH_CTL_PHYSINFO: the host's figures and the path of the TCG event log the
 * running bulkhead writes (log, "" when it runs unmeasured). 0 or -errno.
 */
int host_info(int fd, struct bh_ctl_physinfo *pi, char *log, size_t loglen);
/* The control socket bh was told to use (-s), or the usual place. */
const char *bh_socket_path(void);

#endif
