/*
 * create_bench SOCKET CONFIG N: create->destroy cycles per second through
 * a running bulkhead's control socket, against the physical baseline in
 * the same run: the same number of bare KVM VMs created and closed here
 * (VM, irqchip, a memfd of the same size in a memslot, one vCPU).
 *
 * Prints "create_destroy_per_s X baseline_per_s Y".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bulkhead/control.h>

#include "ctl_client.h"
#include "xlcfg.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One bare KVM VM of mib MiB with one vCPU, created and torn down. */
static int bare_cycle(int kvm, uint64_t mib)
{
	struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = mib << 20 };
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), mem, vcpu;
	void *p;

	if (vm < 0)
		return -1;
	mem = memfd_create("bench", MFD_CLOEXEC);
	if (mem < 0 || ftruncate(mem, mib << 20) || ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		return -1;
	p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_SHARED, mem, 0);
	if (p == MAP_FAILED)
		return -1;
	r.userspace_addr = (uintptr_t)p;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
		return -1;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return -1;
	close(vcpu);
	munmap(p, mib << 20);
	close(mem);
	close(vm);
	return 0;
}

int main(int argc, char **argv)
{
	struct bh_ctl_create c = { 0 };
	struct xlcfg cfg;
	char err[512], *req, *text;
	size_t tlen, plen;
	double t0, t_bh, t_bare;
	int fd, kvm, n, nfds, fds[CTL_MAX_FDS];
	FILE *f;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: create_bench SOCKET CONFIG N\n");
		return 2;
	}
	if (xlcfg_parse_file(argv[2], &cfg, err, sizeof(err))) {
		fprintf(stderr, "create_bench: %s\n", err);
		return 1;
	}
	text = malloc(XLCFG_TEXT_MAX);
	f = fopen(argv[2], "r");
	if (!text || !f)
		return 1;
	tlen = fread(text, 1, XLCFG_TEXT_MAX, f);
	fclose(f);
	plen = strlen(argv[2]);
	req = malloc(sizeof(c) + plen + tlen);
	if (!req)
		return 1;
	c.path_len = plen;
	memcpy(req, &c, sizeof(c));
	memcpy(req + sizeof(c), argv[2], plen);
	memcpy(req + sizeof(c) + plen, text, tlen);
	nfds = ctl_open_images(&cfg, fds, err, sizeof(err));
	if (nfds < 0) {
		fprintf(stderr, "create_bench: %s\n", err);
		return 1;
	}
	fd = ctl_connect(ctl_socket_path(argv[1]));
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0 || kvm < 0) {
		fprintf(stderr, "create_bench: cannot reach bulkhead or /dev/kvm\n");
		return 1;
	}

	t0 = now_s();
	for (int i = 0; i < n; i++) {
		struct bh_ctl_dominfo info;
		uint8_t *out;
		size_t len;
		int rc = ctl_call_fds(fd, BH_CTL_DOMAIN_CREATE, req, sizeof(c) + plen + tlen, fds,
				      nfds, &out, &len);

		if (rc || len < sizeof(info)) {
			fprintf(stderr, "create_bench: create: %s %.*s\n", strerror(-rc), (int)len,
				out ? (char *)out : "");
			return 1;
		}
		memcpy(&info, out, sizeof(info));
		free(out);
		rc = ctl_call(fd, BH_CTL_DOMAIN_DESTROY, &info.domid, sizeof(info.domid), NULL, NULL);
		if (rc) {
			fprintf(stderr, "create_bench: destroy: %s\n", strerror(-rc));
			return 1;
		}
	}
	t_bh = now_s() - t0;

	t0 = now_s();
	for (int i = 0; i < n; i++) {
		if (bare_cycle(kvm, cfg.memory_mib)) {
			fprintf(stderr, "create_bench: bare KVM cycle: %s\n", strerror(errno));
			return 1;
		}
	}
	t_bare = now_s() - t0;
	printf("create_destroy_per_s %.1f baseline_per_s %.1f\n", n / t_bh, n / t_bare);
	free(req);
	free(text);
	return 0;
}
