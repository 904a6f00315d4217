/*
 * What tpm.c (attest, seal, unseal) and tpm_verify.c (verify) share: the
 * limits, the PCRs a quote covers, and the file, hex and quote helpers.
 * Internal to bh.
 */
#ifndef BH_TOOLS_TPM_INTERNAL_H
#define BH_TOOLS_TPM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tss2/tss2_esys.h>

#include <bulkhead/pcrs.h>
#include "tcg_eventlog.h"

#define TPM_DEVICE "/dev/tpmrm0"
/* bulkhead's --tpm-log default: LOG_DIR (--log-dir) / tcg-eventlog.bin */
#define DEFAULT_LOG "/var/log/bulkhead/tcg-eventlog.bin"

#define SHA256_LEN 32
#define NONCE_LEN 32      /* what attest makes up when not given one */
#define LOG_MAX (64u << 20)
#define EVIDENCE_MAX 65536 /* quote.attest, quote.sig, ak.pem, a nonce: all far smaller */
#define GOLDEN_MAX (16u << 20)
#define SECRET_MAX 128 /* MAX_SYM_DATA of a PC Client TPM */
#define ATTEST_TRIES 5 /* bulkhead may extend while we read: see attest_snapshot() */

/* The sealed blob: magic, a big-endian version, then TPM2B_PUBLIC and TPM2B_PRIVATE. */
#define SEAL_MAGIC "BHSEAL"
#define SEAL_VERSION 1
#define SEAL_HDR 8
#define SEAL_MAX (SEAL_HDR + sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE))

/* In ascending order: a quote hashes the PCRs in that order. */
static const unsigned int quoted_pcrs[] = { MEASURE_PCR_BULKHEAD, MEASURE_PCR_POLICY,
					    MEASURE_PCR_IMAGES, MEASURE_PCR_DOMCFG };
_Static_assert(MEASURE_PCR_BULKHEAD < MEASURE_PCR_POLICY &&
		       MEASURE_PCR_POLICY < MEASURE_PCR_IMAGES &&
		       MEASURE_PCR_IMAGES < MEASURE_PCR_DOMCFG && MEASURE_PCR_DOMCFG < 24,
	       "quoted_pcrs must ascend");
#define NR_QUOTED (sizeof(quoted_pcrs) / sizeof(quoted_pcrs[0]))


/* "--name VALUE" at argv[*i]: 1 (and *i moves past it), 0 if not this option, -1 if VALUE is missing. */
int opt_value(int argc, char **argv, int *i, const char *name, const char **val);
int hex_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *len);
void hex_encode(const uint8_t *p, size_t n, char *out);
int parse_nonce(const char *cmd, const char *hex, TPM2B_DATA *nonce);
/* A whole file of at most max bytes; 0, or -1 with a message. */
int read_all(const char *path, size_t max, uint8_t **buf, size_t *len);
int write_all(const char *path, const void *buf, size_t len, mode_t mode);
const char *path_in(char *buf, size_t size, const char *dir, const char *name);
bool pcr_is_quoted(uint32_t pcr);
int log_replay(const uint8_t *buf, size_t len, struct tcg_log *log,
	       uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST], char *err, size_t errlen);
unsigned int sha256_bank(const struct tcg_log *log);
void quote_digest(const uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST], uint8_t out[SHA256_LEN]);
bool quote_selects_ours(const TPML_PCR_SELECTION *got);
bool quote_matches(const TPMS_ATTEST *a, const uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST]);
/* An event's component name as golden files spell it (see verify_help). malloc'd. */
char *event_name(const struct tcg_event *e);
/* Keep tpm2-tss from logging to stderr: bh says what went wrong itself. */
void tss_quiet(void);

#endif
