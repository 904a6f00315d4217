/*
 * bh: Bulkhead's toolstack, with xl's subcommand names. It talks to
 * bulkhead over the control socket and holds no privilege of its own:
 * bulkhead checks every request against the connection's Flask label.
 *
 * It has xl's domain subcommands (dom.c), the Flask ones, and the
 * measured-boot ones (tpm.h) that use the TPM and files instead of
 * bulkhead.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_client.h"
#include "dom.h"
#include "tpm.h"

static const char *sock_opt;

const char *bh_socket_path(void)
{
	return ctl_socket_path(sock_opt);
}

struct cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(int fd, int argc, char **argv);
	const char *more;  /* longer help for 'bh SUBCOMMAND --help', or NULL */
	bool no_bulkhead;  /* fn gets fd -1: it never uses the control socket */
};

static int fail(const char *what, int rc)
{
	if (rc == -EACCES)
		fprintf(stderr, "bh: %s: permission denied by the Flask policy "
				"(bulkhead's log has the avc: line)\n", what);
	else
		fprintf(stderr, "bh: %s: %s\n", what, strerror(-rc));
	return 1;
}

static int cmd_loadpolicy(int fd, int argc, char **argv)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int pf, rc;

	if (argc != 1)
		return 2;
	pf = open(argv[0], O_RDONLY | O_CLOEXEC);
	if (pf < 0 || fstat(pf, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "bh: %s: %s\n", argv[0], strerror(errno ? errno : EINVAL));
		return 1;
	}
	if ((uint64_t)st.st_size > BH_CTL_PAYLOAD_MAX || st.st_size == 0) {
		fprintf(stderr, "bh: %s: not a policy (size %lld)\n", argv[0], (long long)st.st_size);
		return 1;
	}
	buf = malloc(st.st_size);
	n = buf ? read(pf, buf, st.st_size) : -1;
	close(pf);
	if (n != st.st_size) {
		fprintf(stderr, "bh: %s: short read\n", argv[0]);
		free(buf);
		return 1;
	}
	rc = ctl_call(fd, BH_CTL_FLASK_LOAD, buf, n, NULL, NULL);
	free(buf);
	if (rc == -EINVAL) {
		fprintf(stderr, "bh: loadpolicy: bulkhead refused %s as a policy "
				"(its log says why; build with checkpolicy -t Xen -c 30)\n", argv[0]);
		return 1;
	}
	return rc ? fail("loadpolicy", rc) : 0;
}

static int cmd_getenforce(int fd, int argc, char **argv)
{
	uint8_t *out;
	size_t len;
	uint32_t v;
	int rc;

	(void)argv;
	if (argc != 0)
		return 2;
	rc = ctl_call(fd, BH_CTL_FLASK_GETENFORCE, NULL, 0, &out, &len);
	if (rc)
		return fail("getenforce", rc);
	if (len != sizeof(v)) {
		free(out);
		return fail("getenforce", -EPROTO);
	}
	memcpy(&v, out, sizeof(v));
	free(out);
	printf("%s\n", v ? "Enforcing" : "Permissive");
	return 0;
}

static int cmd_setenforce(int fd, int argc, char **argv)
{
	uint32_t v;
	int rc;

	if (argc != 1)
		return 2;
	if (!strcmp(argv[0], "1") || !strcasecmp(argv[0], "enforcing"))
		v = 1;
	else if (!strcmp(argv[0], "0") || !strcasecmp(argv[0], "permissive"))
		v = 0;
	else
		return 2;
	rc = ctl_call(fd, BH_CTL_FLASK_SETENFORCE, &v, sizeof(v), NULL, NULL);
	return rc ? fail("setenforce", rc) : 0;
}

/* One boolean by id or name; prints "name --> cur" (and pending if it differs). */
static int get_one_bool(int fd, uint32_t id, const char *name, int quiet_enoent)
{
	size_t nlen = name ? strlen(name) : 0;
	struct bh_ctl_bool b = { .id = id, .name_len = nlen };
	uint8_t req[sizeof(b) + 256], *out;
	size_t len;
	int rc;

	if (nlen >= 256)
		return fail("getbool", -ENAMETOOLONG);
	memcpy(req, &b, sizeof(b));
	memcpy(req + sizeof(b), name ? name : "", nlen);
	rc = ctl_call(fd, BH_CTL_FLASK_GETBOOL, req, sizeof(b) + nlen, &out, &len);
	if (rc == -ENOENT && quiet_enoent)
		return -ENOENT;
	if (rc == -ENOENT) {
		fprintf(stderr, "bh: getbool: no boolean '%s' in the policy\n", name);
		return 1;
	}
	if (rc)
		return fail("getbool", rc);
	if (len < sizeof(b)) {
		free(out);
		return fail("getbool", -EPROTO);
	}
	memcpy(&b, out, sizeof(b));
	if (b.name_len != len - sizeof(b)) {
		free(out);
		return fail("getbool", -EPROTO);
	}
	printf("%.*s --> %s", (int)b.name_len, out + sizeof(b), b.cur ? "on" : "off");
	if (b.pending != b.cur)
		printf(" (pending: %s)", b.pending ? "on" : "off");
	printf("\n");
	free(out);
	return 0;
}

static int cmd_getbool(int fd, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "-a"))
		return get_one_bool(fd, 0, argv[0], 0);
	if (argc > 1)
		return 2;
	for (uint32_t id = 0;; id++) {
		int rc = get_one_bool(fd, id, NULL, 1);

		if (rc == -ENOENT)
			return 0;
		if (rc)
			return rc;
	}
}

static int parse_bool_value(const char *s, uint32_t *v)
{
	if (!strcmp(s, "1") || !strcasecmp(s, "on") || !strcasecmp(s, "true"))
		*v = 1;
	else if (!strcmp(s, "0") || !strcasecmp(s, "off") || !strcasecmp(s, "false"))
		*v = 0;
	else
		return -1;
	return 0;
}

static int cmd_setbool(int fd, int argc, char **argv)
{
	struct bh_ctl_bool b = { 0 };
	uint8_t req[sizeof(b) + 256];
	int pending = 0, rc;
	size_t nlen;

	if (argc == 3 && !strcmp(argv[0], "-P")) {
		pending = 1; /* set the pending value only; commit later */
		argc--;
		argv++;
	}
	if (argc != 2 || parse_bool_value(argv[1], &b.value))
		return 2;
	nlen = strlen(argv[0]);
	if (nlen == 0 || nlen >= 256)
		return 2;
	b.name_len = nlen;
	b.commit = !pending;
	memcpy(req, &b, sizeof(b));
	memcpy(req + sizeof(b), argv[0], nlen);
	rc = ctl_call(fd, BH_CTL_FLASK_SETBOOL, req, sizeof(b) + nlen, NULL, NULL);
	if (rc == -ENOENT) {
		fprintf(stderr, "bh: setbool: no boolean '%s' in the policy\n", argv[0]);
		return 1;
	}
	return rc ? fail("setbool", rc) : 0;
}

static int cmd_commitbools(int fd, int argc, char **argv)
{
	int rc;

	(void)argv;
	if (argc != 0)
		return 2;
	rc = ctl_call(fd, BH_CTL_FLASK_COMMITBOOLS, NULL, 0, NULL, NULL);
	return rc ? fail("commitbools", rc) : 0;
}

static int cmd_avcstats(int fd, int argc, char **argv)
{
	struct bh_ctl_avc_stats st;
	uint8_t *out;
	size_t len;
	int rc;

	(void)argv;
	if (argc != 0)
		return 2;
	rc = ctl_call(fd, BH_CTL_FLASK_AVC_STATS, NULL, 0, &out, &len);
	if (rc)
		return fail("avcstats", rc);
	if (len != sizeof(st)) {
		free(out);
		return fail("avcstats", -EPROTO);
	}
	memcpy(&st, out, sizeof(st));
	free(out);
	printf("lookups %llu\nhits %llu\nmisses %llu\nallocations %llu\nreclaims %llu\n"
	       "denials %llu\n",
	       (unsigned long long)st.lookups, (unsigned long long)st.hits,
	       (unsigned long long)st.misses, (unsigned long long)st.allocations,
	       (unsigned long long)st.reclaims, (unsigned long long)st.denials);
	return 0;
}

static const struct cmd cmds[] = {
	{ "create", "[-c] [-p] [-q] FILE [KEY=VALUE...]",
	  "create a domain from an xl.cfg file (KEY=VALUE lines are added to it)", cmd_create,
	  "  -c  attach to its console afterwards\n"
	  "  -p  leave it paused (bh unpause starts it)\n"
	  "  -q  quiet\n"
	  "The config is sent to bulkhead, which parses, builds and measures it.\n"
	  "Relative kernel paths are relative to FILE's directory.", false },
	{ "list", "[-l] [-Z] [DOMAIN...]", "list domains (-l: in detail, -Z: with labels)", cmd_list,
	  "Columns as xl's: Name ID Mem VCPUs State Time(s). State is xl's\n"
	  "r(unning) b(locked) p(aused) s(hutdown) c(rashed) d(ying).", false },
	{ "destroy", "DOMAIN", "stop a domain at once and free it", cmd_destroy, NULL, false },
	{ "shutdown", "[-w] [-F] [-t SECS] DOMAIN",
	  "ask a domain to power off (control/shutdown), force it after SECS", cmd_shutdown,
	  "  -w       wait until it is gone\n"
	  "  -F       force it now (no xenstore needed)\n"
	  "  -t SECS  bulkhead forces it if the guest has not obeyed after SECS (10)", false },
	{ "reboot", "[-F] [-t SECS] DOMAIN", "ask a domain to reboot; force it after SECS",
	  cmd_reboot, NULL, false },
	{ "pause", "DOMAIN", "stop a domain's vCPUs", cmd_pause, NULL, false },
	{ "unpause", "DOMAIN", "let a paused domain run", cmd_unpause, NULL, false },
	{ "console", "[-n] DOMAIN", "print a domain's console and follow it (-n: print and exit)",
	  cmd_console, "Output only: bulkhead keeps the last 64 KiB of each console.", false },
	{ "info", "", "print information about the host and bulkhead", cmd_info, NULL, false },
	{ "dmesg", "[-c]", "print bulkhead's log (-c: and clear it)", cmd_dmesg, NULL, false },
	{ "top", "[-b] [-d SECS] [-i N]", "a live table of domains, as xentop",
	  cmd_top, "  -b  batch mode: no screen clearing\n"
	  "  -d  delay between updates (1 s)\n"
	  "  -i  stop after N updates", false },
	{ "loadpolicy", "FILE", "load a binary Flask policy (checkpolicy -t Xen -c 30)",
	  cmd_loadpolicy, NULL, false },
	{ "getenforce", "", "print Enforcing or Permissive", cmd_getenforce, NULL, false },
	{ "setenforce", "1|0", "switch between enforcing (1) and permissive (0)",
	  cmd_setenforce, NULL, false },
	{ "getbool", "[NAME|-a]", "print one policy boolean, or all of them", cmd_getbool, NULL,
	  false },
	{ "setbool", "[-P] NAME 1|0", "set a boolean and commit it (-P: pending only)",
	  cmd_setbool, NULL, false },
	{ "commitbools", "", "make every pending boolean value current", cmd_commitbools, NULL,
	  false },
	{ "avcstats", "", "print the access vector cache's counters", cmd_avcstats, NULL,
	  false },
	{ "attest", "[--tpm TCTI] [--log PATH] [--nonce HEX] --out DIR",
	  "quote PCRs 11-14 and gather the evidence in DIR", cmd_attest, attest_help, true },
	{ "verify", "DIR --expect FILE [--nonce HEX] [--ak PEM] | DIR --print-golden",
	  "check bh attest's evidence against golden measurements", cmd_verify, verify_help,
	  true },
	{ "seal", "[--tpm TCTI] --in SECRETFILE --out BLOB",
	  "seal a secret to the current PCRs 11-14", cmd_seal, seal_help, true },
	{ "unseal", "[--tpm TCTI] --in BLOB [--out FILE]",
	  "unseal it while PCRs 11-14 are unchanged", cmd_unseal, unseal_help, true },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: bh [-s SOCKET] SUBCOMMAND [ARGS]\n\n"
		   "Control a running bulkhead over its control socket (-s, $BULKHEAD_SOCKET,\n"
		   "or %s). attest, verify, seal and unseal use the TPM\n"
		   "and files instead.\n\nSubcommands:\n",
		ctl_socket_path(NULL));
	for (size_t i = 0; i < NCMDS; i++) {
		if (strlen(cmds[i].args) > 16 || strlen(cmds[i].name) > 12)
			fprintf(f, "  %-12s %s\n  %-12s %-16s %s\n", cmds[i].name, cmds[i].args,
				"", "", cmds[i].help);
		else
			fprintf(f, "  %-12s %-16s %s\n", cmds[i].name, cmds[i].args,
				cmds[i].help);
	}
	fprintf(f, "  %-12s %-16s %s\n", "help", "", "this text; 'bh SUBCOMMAND --help' for one");
}

int main(int argc, char **argv)
{
	const struct cmd *c = NULL;
	const char *path;
	int i = 1, fd, rc;

	while (i < argc && argv[i][0] == '-') {
		if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) && i + 1 < argc) {
			sock_opt = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "bh: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t k = 0; k < NCMDS; k++)
		if (!strcmp(cmds[k].name, argv[i]))
			c = &cmds[k];
	if (!c) {
		fprintf(stderr, "bh: unknown subcommand '%s' (see 'bh help')\n", argv[i]);
		return 2;
	}
	if (i + 1 < argc && (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h"))) {
		printf("Usage: bh %s %s\n\n%s\n", c->name, c->args, c->help);
		if (c->more)
			printf("\n%s\n", c->more);
		return 0;
	}
	if (c->no_bulkhead) {
		rc = c->fn(-1, argc - i - 1, argv + i + 1);
		goto out;
	}
	path = bh_socket_path();
	fd = ctl_connect(path);
	if (fd < 0) {
		fprintf(stderr, "bh: cannot reach bulkhead at %s: %s\n", path, strerror(-fd));
		return 1;
	}
	rc = c->fn(fd, argc - i - 1, argv + i + 1);
	close(fd);
out:
	if (rc == 2)
		fprintf(stderr, "Usage: bh %s %s\n", c->name, c->args);
	return rc;
}
