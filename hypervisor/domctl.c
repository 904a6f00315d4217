/* Domain control: the domain list and the control operations. See domctl.h. */
#include "domctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <xen/sched.h>

#include <bulkhead/abi.h>

#include "console.h"
#include "domain.h"
#include "log.h"
#include "service.h"
#include "vcpu.h"
#include "xsm.h"

/* ---- the list (main thread only) ----------------------------------------------- */

static struct domain *domains;
static domid_t next_domid = 1;
static int epfd = -1;
static uint64_t started_ns;
static unsigned int nr_cpus;

static void watch_timers(struct domain *d, int op)
{
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->vcpu[i] };

		epoll_ctl(epfd, op, d->vcpu[i].timer_fd, &ev);
	}
}

static struct domain *find_domain(uint32_t domid)
{
	for (struct domain *d = domains; d; d = d->next)
		if (d->id == domid)
			return d;
	return NULL;
}

static struct domain *find_name(const char *name)
{
	for (struct domain *d = domains; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

#ifdef BH_TEST_TRIGGERS
/*
 * The test build only (build/bin/bulkhead-test): $BULKHEAD_TEST_DOMID_WRAP
 * = N hands out ids 1 to N-1 only, so that a test reaches the wrap after a
 * few domains, not 32,751.
 */
static unsigned int domid_wrap(void)
{
	const char *n = getenv("BULKHEAD_TEST_DOMID_WRAP");
	unsigned long v = n ? strtoul(n, NULL, 0) : 0;

	return v >= 2 && v < DOMID_FIRST_RESERVED ? v : DOMID_FIRST_RESERVED;
}
#else
static unsigned int domid_wrap(void)
{
	return DOMID_FIRST_RESERVED;
}
#endif

/* The next free id below Xen's reserved ones, as Xen hands them out. */
static domid_t alloc_domid(void)
{
	for (unsigned int tries = 0; tries < DOMID_FIRST_RESERVED; tries++) {
		domid_t id = next_domid;

		next_domid = (unsigned int)next_domid + 1 >= domid_wrap() ? 1 : next_domid + 1;
		if (!find_domain(id))
			return id;
	}
	return DOMID_INVALID;
}

static struct domain *start_domain(const struct xlcfg *cfg, const char *path,
				   const struct builder_images *im, bool paused, char *err,
				   size_t errlen)
{
	domid_t id = alloc_domid();
	struct domain *d;

	if (id == DOMID_INVALID) {
		snprintf(err, errlen, "no free domain id");
		return NULL;
	}
	d = domain_create(cfg, path, im, id, paused, err, errlen);
	if (!d)
		return NULL;
	watch_timers(d, EPOLL_CTL_ADD);
	d->next = domains;
	domains = d;
	log_info("domain %u (%s) %s: %llu MiB, %u vCPU%s, kernel %s", d->id, d->name,
		 paused ? "created paused" : "started", (unsigned long long)cfg->memory_mib,
		 d->nr_vcpus, d->nr_vcpus > 1 ? "s" : "", cfg->kernel);
	service_dom_exc();
	return d;
}

static void destroy_domain(struct domain *d)
{
	unsigned long long ms = (bh_now_ns() - d->created_ns) / 1000000;
	struct domain **pp;

	for (pp = &domains; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	watch_timers(d, EPOLL_CTL_DEL);
	log_info("domain %u (%s) destroyed after %llu ms", d->id, d->name, ms);
	domain_destroy(d);
	service_dom_exc();
}

/* The SID cfg's domain will have: seclabel=, or the domU initial SID. */
static int label_sid(const struct xlcfg *cfg, uint32_t *sid, char *msg, size_t msglen)
{
	*sid = SECINITSID_DOMU;
	if (cfg->seclabel[0] && (flask_enabled() || ss_loaded()) &&
	    ss_context_to_sid(cfg->seclabel, strlen(cfg->seclabel), sid)) {
		snprintf(msg, msglen, "seclabel '%s' is not a valid context in the loaded policy",
			 cfg->seclabel);
		return -EINVAL;
	}
	return 0;
}

/* domain:create from s (named `who` in msg) on the label cfg's domain will have. */
static int check_create(const struct flask_subject *s, const char *who,
			const struct xlcfg *cfg, char *msg, size_t msglen)
{
	uint32_t sid;
	int rc = label_sid(cfg, &sid, msg, msglen);

	if (rc)
		return rc;
	rc = xsm_domain_create(s, sid);
	if (rc)
		snprintf(msg, msglen, "the policy does not let %s create a domain labelled %s", who,
			 cfg->seclabel[0] ? cfg->seclabel : "domU");
	return rc;
}

/*
 * A boot-time domain is checked as bh create is, with the hypervisor's
 * boot label as the subject: Xen 4.17 checks domain:create from xenboot_t
 * for the domains it builds at boot.
 */
int domctl_boot(const struct xlcfg *cfg, const char *path)
{
	const struct flask_subject boot = xsm_boot_subject();
	struct builder_images im;
	struct domain *d = NULL;
	char err[1024];

	if (check_create(&boot, "the hypervisor (initial SID xenboot) at boot", cfg, err,
			 sizeof(err))) {
		log_err("%s: %s", path, err);
		return -1;
	}
	if (!builder_open_images(cfg, &im, err, sizeof(err))) {
		d = start_domain(cfg, path, &im, false, err, sizeof(err));
		builder_images_close(&im);
	}
	if (!d) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

bool domctl_have_domains(void)
{
	return domains != NULL;
}

void domctl_destroy_all(void)
{
	while (domains)
		destroy_domain(domains);
}

/* What the config says to do when the domain stopped this way. */
static enum xlcfg_action domain_action(const struct domain *d, int state)
{
	if (state == DOMAIN_CRASHED)
		return d->cfg.on_crash;
	switch (d->shutdown_reason) {
	case SHUTDOWN_poweroff: return d->cfg.on_poweroff;
	case SHUTDOWN_reboot: return d->cfg.on_reboot;
	case SHUTDOWN_watchdog: return d->cfg.on_watchdog;
	default: return d->cfg.on_crash;
	}
}

void domctl_reap(void)
{
	struct domain *d, *next;
	bool changed = false;

	for (d = domains; d; d = next) {
		int state = atomic_load(&d->state);
		enum xlcfg_action act;
		struct xlcfg cfg;
		struct builder_images im;
		char path[sizeof(d->cfg_path)], err[1024];
		struct domain *nd;
		int restarts;

		next = d->next;
		if ((state != DOMAIN_SHUTDOWN && state != DOMAIN_CRASHED) || d->reaped)
			continue;
		changed = true;
		act = domain_action(d, state);
		log_info("domain %u (%s) %s: %s", d->id, d->name, domain_state_name(state),
			 xlcfg_action_name(act));
		switch (act) {
		case XLCFG_ACTION_PRESERVE:
			d->reaped = true;
			d->force_deadline_ns = 0;
			break;
		case XLCFG_ACTION_DESTROY:
			destroy_domain(d);
			break;
		case XLCFG_ACTION_RESTART:
			cfg = d->cfg;
			memcpy(path, d->cfg_path, sizeof(path));
			restarts = d->restarts + 1;
			/* The same files again, read with the authority they were opened with. */
			nd = NULL;
			if (builder_images_dup(&d->images, &im))
				snprintf(err, sizeof(err), "domain '%s': its image fds: %s", d->name,
					 strerror(errno));
			destroy_domain(d);
			if (im.fd[BUILDER_KERNEL] >= 0) {
				nd = start_domain(&cfg, path, &im, false, err, sizeof(err));
				builder_images_close(&im);
			}
			if (nd)
				nd->restarts = restarts;
			else
				log_err("%s", err);
			next = domains; /* the list changed under us: look again */
			break;
		}
	}
	if (changed)
		service_dom_exc();
}

void domctl_check_deadlines(void)
{
	uint64_t now = bh_now_ns();

	for (struct domain *d = domains; d; d = d->next) {
		if (!d->force_deadline_ns || d->force_deadline_ns > now)
			continue;
		d->force_deadline_ns = 0;
		log_warn("domain %u (%s) did not shut down in time: forcing %s", d->id, d->name,
			 shutdown_reason_name(d->force_reason));
		console_note(d, "the toolstack's shutdown timed out: forced");
		domain_shutdown(d, d->force_reason);
	}
}

int domctl_next_deadline_ms(void)
{
	uint64_t now = bh_now_ns(), best = 0;

	for (struct domain *d = domains; d; d = d->next)
		if (d->force_deadline_ns && (!best || d->force_deadline_ns < best))
			best = d->force_deadline_ns;
	if (!best)
		return -1;
	return best <= now ? 0 : (int)((best - now + 999999) / 1000000);
}

/* ---- jobs: control threads hand list work to the main thread ------------------- */

struct job {
	int (*fn)(void *arg);
	void *arg;
	int rc;
	bool done;
	struct job *next;
};

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_cond = PTHREAD_COND_INITIALIZER;
static struct job *jobs_head, **jobs_tail = &jobs_head;
static int job_fd = -1;

int domctl_init(int ep, uint64_t ev_job, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ev_job };

	epfd = ep;
	started_ns = bh_now_ns();
	nr_cpus = get_nprocs();
	job_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (job_fd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, job_fd, &ev)) {
		snprintf(err, errlen, "job eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int domctl_job_fd(void)
{
	return job_fd;
}

static int run_on_main(int (*fn)(void *), void *arg)
{
	struct job j = { .fn = fn, .arg = arg };
	uint64_t one = 1;

	if (job_fd < 0)
		return fn(arg); /* no main loop (the unit tests): one thread, run it here */
	pthread_mutex_lock(&jobs_lock);
	*jobs_tail = &j;
	jobs_tail = &j.next;
	pthread_mutex_unlock(&jobs_lock);
	if (write(job_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("domctl: cannot wake the main loop: %s", strerror(errno));
	pthread_mutex_lock(&jobs_lock);
	while (!j.done)
		pthread_cond_wait(&jobs_cond, &jobs_lock);
	pthread_mutex_unlock(&jobs_lock);
	return j.rc;
}

void domctl_run_jobs(void)
{
	uint64_t cnt;

	if (read(job_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_warn("domctl: job eventfd: %s", strerror(errno));
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&jobs_lock);
		j = jobs_head;
		if (j) {
			jobs_head = j->next;
			if (!jobs_head)
				jobs_tail = &jobs_head;
		}
		pthread_mutex_unlock(&jobs_lock);
		if (!j)
			return;
		j->rc = j->fn(j->arg);
		pthread_mutex_lock(&jobs_lock);
		j->done = true;
		pthread_cond_broadcast(&jobs_cond);
		pthread_mutex_unlock(&jobs_lock);
	}
}

/* ---- operations ---------------------------------------------------------------- */

static void fill_info(struct domain *d, struct bh_ctl_dominfo *o)
{
	char *ctx = NULL;
	size_t len = 0;

	memset(o, 0, sizeof(*o));
	o->domid = d->id;
	o->state = atomic_load(&d->state);
	o->shutdown_reason = d->shutdown_reason;
	o->vcpus = d->nr_vcpus;
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		o->vcpus_online += atomic_load(&d->vcpu[i].online);
		o->hypercalls += atomic_load(&d->vcpu[i].hypercalls);
	}
	o->ssid = d->sid;
	o->memory_kib = d->ram.size >> 10;
	o->uptime_ns = bh_now_ns() - d->created_ns;
	o->cpu_ns = domain_cpu_ns(d);
	o->store_mfn = d->store_page;
	o->store_evtchn = d->store_page == BH_NO_STORE ? 0 : d->hvm_param[HVM_PARAM_STORE_EVTCHN];
	o->restarts = d->restarts;
	snprintf(o->name, sizeof(o->name), "%s", d->name);
	if (!ss_sid_to_context(d->sid, &ctx, &len)) {
		snprintf(o->label, sizeof(o->label), "%.*s", (int)len, ctx);
		free(ctx);
	}
}

struct create_job {
	const struct flask_subject *s;
	const struct xlcfg *cfg;
	const char *path;
	const struct builder_images *im;
	bool paused;
	struct bh_ctl_dominfo *out;
	char *msg;
	size_t msglen;
};

static int create_job(void *arg)
{
	struct create_job *j = arg;
	struct domain *d;
	int rc;

	if (find_name(j->cfg->name)) {
		snprintf(j->msg, j->msglen, "a domain named '%s' already exists", j->cfg->name);
		return -EEXIST;
	}
	rc = check_create(j->s, "you", j->cfg, j->msg, j->msglen);
	if (rc)
		return rc;
	d = start_domain(j->cfg, j->path, j->im, j->paused, j->msg, j->msglen);
	if (!d)
		return -EINVAL;
	fill_info(d, j->out);
	return 0;
}

int domctl_create(const struct flask_subject *s, uint32_t flags, const char *path,
		  const char *text, size_t len, const char *extra, size_t elen,
		  const struct builder_images *im, struct bh_ctl_dominfo *out, char *msg,
		  size_t msglen)
{
	struct xlcfg *cfg = malloc(sizeof(*cfg));
	struct create_job j = { s, cfg, path, im, flags & BH_CREATE_PAUSED, out, msg, msglen };
	int rc;

	if (!cfg)
		return -ENOMEM;
	/* Parsed here, in the connection's thread: the main loop only builds. */
	if (xlcfg_parse_extra(path, text, len, extra, elen, cfg, msg, msglen)) {
		free(cfg);
		return -EINVAL;
	}
	rc = run_on_main(create_job, &j);
	if (!rc && cfg->warning[0])
		log_warn("%s", cfg->warning);
	if (!rc)
		snprintf(msg, msglen, "%s", cfg->warning); /* the caller passes it on */
	free(cfg);
	return rc;
}

struct domid_job {
	const struct flask_subject *s;
	uint32_t domid;
	int op;
	struct bh_ctl_dominfo *out;
	const struct bh_ctl_shutdown *shut;
};

static int domid_job(void *arg)
{
	struct domid_job *j = arg;
	struct domain *d = find_domain(j->domid);
	int rc;

	if (!d)
		return -ESRCH;
	switch (j->op) {
	case BH_CTL_DOMAIN_DESTROY:
		rc = xsm_domctl(j->s, d, DOMAIN__DESTROY);
		if (!rc)
			destroy_domain(d);
		return rc;
	case BH_CTL_DOMAIN_INFO:
		rc = xsm_domctl(j->s, d, DOMAIN__GETDOMAININFO);
		if (!rc)
			fill_info(d, j->out);
		return rc;
	case BH_CTL_DOMAIN_SHUTDOWN:
		rc = xsm_domctl(j->s, d, DOMAIN__SHUTDOWN);
		if (rc)
			return rc;
		if (atomic_load(&d->state) != DOMAIN_RUNNING && atomic_load(&d->state) != DOMAIN_PAUSED)
			return -EALREADY;
		if (!j->shut->timeout_ms) {
			console_note(d, "shutdown forced by the toolstack");
			domain_shutdown(d, j->shut->reason);
			return 0;
		}
		d->force_reason = j->shut->reason;
		d->force_deadline_ns = bh_now_ns() + (uint64_t)j->shut->timeout_ms * 1000000ull;
		return 0;
	}
	return -ENOSYS;
}

int domctl_destroy(const struct flask_subject *s, uint32_t domid)
{
	struct domid_job j = { .s = s, .domid = domid, .op = BH_CTL_DOMAIN_DESTROY };

	return run_on_main(domid_job, &j);
}

int domctl_info(const struct flask_subject *s, uint32_t domid, struct bh_ctl_dominfo *out)
{
	struct domid_job j = { .s = s, .domid = domid, .op = BH_CTL_DOMAIN_INFO, .out = out };

	return run_on_main(domid_job, &j);
}

int domctl_shutdown(const struct flask_subject *s, const struct bh_ctl_shutdown *req)
{
	struct domid_job j = { .s = s, .domid = req->domid, .op = BH_CTL_DOMAIN_SHUTDOWN,
			       .shut = req };

	if (req->reason != SHUTDOWN_poweroff && req->reason != SHUTDOWN_reboot)
		return -EINVAL;
	if (req->timeout_ms > 3600 * 1000)
		return -EINVAL;
	return run_on_main(domid_job, &j);
}

int domctl_pause(const struct flask_subject *s, uint32_t domid, bool pause)
{
	struct domain *d = domain_get(domid);
	int rc;

	if (!d)
		return -ESRCH;
	rc = xsm_domctl(s, d, pause ? DOMAIN__PAUSE : DOMAIN__UNPAUSE);
	if (!rc)
		rc = pause ? domain_pause(d) : domain_unpause(d);
	if (!rc)
		log_info("domain %u (%s) %s", d->id, d->name, pause ? "paused" : "unpaused");
	domain_put(d);
	return rc;
}

struct list_job {
	const struct flask_subject *s;
	struct bh_ctl_dominfo *out;
	size_t n;
};

static int list_job(void *arg)
{
	struct list_job *j = arg;
	size_t cap = 0;

	for (struct domain *d = domains; d; d = d->next)
		cap++;
	j->out = calloc(cap ? cap : 1, sizeof(*j->out));
	if (!j->out)
		return -ENOMEM;
	/* Oldest first, as xl lists by id. */
	for (domid_t id = 0; cap; id++) {
		struct domain *d = find_domain(id);

		if (!d)
			continue;
		cap--;
		if (xsm_domctl(j->s, d, DOMAIN__GETDOMAININFO))
			continue;
		fill_info(d, &j->out[j->n++]);
	}
	return 0;
}

int domctl_list(const struct flask_subject *s, struct bh_ctl_dominfo **out, size_t *n)
{
	struct list_job j = { .s = s };
	int rc = run_on_main(list_job, &j);

	*out = j.out;
	*n = j.n;
	if (rc) {
		free(j.out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

struct physinfo_job {
	struct bh_ctl_physinfo *out;
};

static int physinfo_job(void *arg)
{
	struct physinfo_job *j = arg;

	for (struct domain *d = domains; d; d = d->next) {
		j->out->nr_domains++;
		j->out->domain_kib += d->ram.size >> 10;
	}
	return 0;
}

int domctl_physinfo(const struct flask_subject *s, struct bh_ctl_physinfo *out)
{
	struct physinfo_job j = { out };
	struct sysinfo si;
	int rc = xsm_physinfo(s);

	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->nr_cpus = nr_cpus;
	if (!sysinfo(&si)) {
		out->total_kib = (uint64_t)si.totalram * si.mem_unit >> 10;
		out->free_kib = (uint64_t)si.freeram * si.mem_unit >> 10;
	}
	out->uptime_ns = bh_now_ns() - started_ns;
	out->xen_major = BH_XEN_MAJOR;
	out->xen_minor = BH_XEN_MINOR;
	out->flask_enforcing = flask_mode() == FLASK_ENFORCING;
	return run_on_main(physinfo_job, &j);
}
