/*
 * xsclient: what the roles share. Each check prints one line,
 *     "xsclient: PASS NAME" or "xsclient: FAIL NAME (got X want Y)",
 * and each checking role ends with
 *     "xsclient: ROLE done: N passed, M failed".
 */
#ifndef XSCLIENT_H
#define XSCLIENT_H

#include <bk/kernel.h>
#include <bk/xenbus.h>

#define MS 1000000ull
#define SEC 1000000000ull

extern domid_t self;
extern char self_path[32]; /* "/local/domain/<self>" */

/* got and want are 0 or -errno; a non-negative got counts as 0. */
void check_rc(const char *name, int got, int want);
/* got is xs_read's result, buf its value. */
void check_value(const char *name, int got, const char *buf, const char *want);
void check(const char *name, bool ok, const char *got, const char *want);
/* The done line; 0 if nothing failed, else 1 (the domain then crashes). */
int checks_done(const char *role);

/* "/local/domain/<self>/REL" into buf. */
const char *abs_path(char *buf, size_t size, const char *rel);
/* The next watch event within `ms`: 0 or -XEN_ETIMEDOUT. */
int next_event(char *path, size_t psize, char *token, size_t tsize, uint64_t ms);
/* Drop every event that arrives within `ms`; how many there were. */
unsigned int drain_events(uint64_t ms);

int role_conform(const char *cmdline);
int role_perm(const char *cmdline);
int role_grant(const char *cmdline);
int role_readother(const char *cmdline);
int role_watch(const char *cmdline);
int role_quota(const char *cmdline);
int role_txrace(const char *cmdline);
int role_bench(const char *cmdline);

#endif
