/*
 * bh's TPM subcommands, for measured boot (hypervisor/measure.h has the
 * PCRs and what bulkhead extends them with):
 *
 *   attest  quote PCRs sha256:11,12,13,14 with an attestation key and
 *           gather the evidence (quote, signature, key, event log) in a
 *           directory;
 *   verify  check that evidence, on any machine, against golden
 *           measurements; it reads only files, never a TPM;
 *   seal    bind a small secret to the current values of those PCRs;
 *   unseal  get it back while they still have those values.
 *
 * bh.c's table calls them with fd -1: none needs bulkhead. attest asks the
 * running one (if any) where its event log is, when --log is not given.
 * argv holds the subcommand's arguments only (no program name). Each
 * returns 0, 1 on a failure it has explained on stdout or stderr, or 2 for
 * a usage error (bh.c then prints the usage line).
 *
 * The *_help strings are the long help for 'bh SUBCOMMAND --help'.
 */
#ifndef BH_TOOLS_TPM_H
#define BH_TOOLS_TPM_H

int cmd_attest(int fd, int argc, char **argv);
int cmd_verify(int fd, int argc, char **argv);
int cmd_seal(int fd, int argc, char **argv);
int cmd_unseal(int fd, int argc, char **argv);

extern const char attest_help[];
extern const char verify_help[];
extern const char seal_help[];
extern const char unseal_help[];

#endif
