/* bh's domain subcommands (dom.c). Each takes the control socket and its arguments. */
#ifndef BH_DOM_H
#define BH_DOM_H

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

#endif
