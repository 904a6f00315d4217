/*
 * Domain control: the list of domains and every operation on it, for the
 * boot path (main.c) and the control socket (control.c).
 *
 * The main thread owns the list. A control thread that creates, destroys,
 * lists or shuts a domain down hands the work to the main thread as a job
 * (an eventfd wakes it) and waits for the answer, so a domain is only ever
 * freed on the main thread, between epoll batches that may name its vCPUs.
 */
#ifndef BH_DOMCTL_H
#define BH_DOMCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/control.h>

#include "builder.h"
#include "flask.h"
#include "xlcfg.h"

struct vcpu;

/* Main thread, once: the epoll set for vCPU timers and the job eventfd (tag ev_job). */
int domctl_init(int epfd, uint64_t ev_job, char *err, size_t errlen);
int domctl_job_fd(void);
/* A boot domain (--domain): bulkhead opens its images (builder_open_images); 0 or -1 (logged). */
int domctl_boot(const struct xlcfg *cfg, const char *path);
/* Main loop: run queued jobs; act on stopped domains; force overdue shutdowns. */
void domctl_run_jobs(void);
void domctl_reap(void);
void domctl_check_deadlines(void);
/* ms until the next forced shutdown is due, or -1. */
int domctl_next_deadline_ms(void);
bool domctl_have_domains(void);
void domctl_destroy_all(void);

/*
 * Control operations, from any control thread. Each returns 0 or -errno;
 * msg (may be "") says why in words when it failed.
 */
int domctl_create(const struct flask_subject *s, uint32_t flags, const char *path,
		  const char *text, size_t len, const char *extra, size_t elen,
		  const struct builder_images *im, struct bh_ctl_dominfo *out, char *msg,
		  size_t msglen);
int domctl_destroy(const struct flask_subject *s, uint32_t domid);
int domctl_pause(const struct flask_subject *s, uint32_t domid, bool pause);
int domctl_shutdown(const struct flask_subject *s, const struct bh_ctl_shutdown *req);
/* *out is malloc'd: *n entries, those the subject may getdomaininfo. */
int domctl_list(const struct flask_subject *s, struct bh_ctl_dominfo **out, size_t *n);
int domctl_info(const struct flask_subject *s, uint32_t domid, struct bh_ctl_dominfo *out);
int domctl_physinfo(const struct flask_subject *s, struct bh_ctl_physinfo *out);

#endif
