/*
 * The TCG crypto-agile event log (TCG PC Client Platform Firmware Profile,
 * "Crypto Agile Log Format"), as bulkhead writes it and bh verify reads it.
 *
 * The file starts with one TCG_PCR_EVENT (SHA-1 format) of type
 * EV_NO_ACTION whose data is the "Spec ID Event03" structure listing the
 * digest algorithms; every later record is a TCG_PCR_EVENT2 with one
 * digest per listed algorithm. All integers are little-endian.
 *
 * Bulkhead's events are EV_IPL with, as data, a NUL-terminated component
 * name such as "domain:work:kernel" (docs/measured-boot.md lists them).
 *
 * The parser takes untrusted bytes: every length is checked against what
 * is left, and counts are bounded.
 */
#ifndef BH_TCG_EVENTLOG_H
#define BH_TCG_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#define TCG_EV_NO_ACTION 0x00000003u
#define TCG_EV_IPL 0x0000000du

#define TCG_ALG_SHA1 0x0004u
#define TCG_ALG_SHA256 0x000bu
#define TCG_ALG_SHA384 0x000cu
#define TCG_ALG_SHA512 0x000du

#define TCG_MAX_ALGS 8
#define TCG_MAX_DIGEST 64
/* Bounds on untrusted logs: at most about 30 MB of parsed events. */
#define TCG_MAX_EVENT_DATA 1024 /* bulkhead's names are short */
#define TCG_MAX_EVENTS 20000
#define TCG_PCRS 24

struct tcg_bank {
	uint16_t alg;
	uint16_t size;
};

struct tcg_event {
	uint32_t pcr;
	uint32_t type;
	uint8_t digest[TCG_MAX_ALGS][TCG_MAX_DIGEST]; /* in the order of the log's banks */
	uint32_t data_len;
	uint8_t data[TCG_MAX_EVENT_DATA + 1]; /* NUL added after data_len bytes */
};

struct tcg_log {
	unsigned int nr_banks;
	struct tcg_bank bank[TCG_MAX_ALGS];
	size_t nr_events;
	struct tcg_event *events; /* malloc'd */
};

/* Digest size of a TPM algorithm id, 0 if Bulkhead does not know it. */
uint16_t tcg_digest_size(uint16_t alg);
const char *tcg_alg_name(uint16_t alg);
/* OpenSSL's digest for a TPM algorithm id, NULL if Bulkhead does not know it. */
const EVP_MD *tcg_md(uint16_t alg);

/* Write the Spec ID header for these banks. 0 or -1 (errno set). */
int tcg_write_header(FILE *f, const struct tcg_bank *banks, unsigned int nr);
/* Append one TCG_PCR_EVENT2; digests in bank order. 0 or -1. */
int tcg_write_event(FILE *f, const struct tcg_bank *banks, unsigned int nr, uint32_t pcr,
		    uint32_t type, const uint8_t digests[][TCG_MAX_DIGEST], const void *data,
		    uint32_t data_len);

/* Parse a whole log. 0, or -1 with a reason in err; log is freed on failure. */
int tcg_parse(const uint8_t *buf, size_t len, struct tcg_log *log, char *err, size_t errlen);
void tcg_log_free(struct tcg_log *log);

/*
 * Replay the log into PCR values for bank index b (all PCRs start at
 * zero, as 0-15 do after a reset). pcrs[i] receives the value of PCR i.
 */
int tcg_replay(const struct tcg_log *log, unsigned int b, uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST]);

#endif
