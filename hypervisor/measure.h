/*
 * Measured boot: extend TPM PCRs with what bulkhead runs, and keep the TCG
 * event log that explains them (docs/measured-boot.md has the PCR table).
 *
 * The TPM is reached through tpm2-tss ESYS and the TCTI loader: a TCTI
 * string such as "device:/dev/tpmrm0" or "swtpm:path=/run/swtpm.sock", or
 * "none" to run unmeasured (then measure_* do nothing and return 0).
 *
 * Every active PCR bank that Bulkhead can hash is extended; the log records
 * one digest per bank. An extend that fails returns -1: the caller must
 * not start what it was measuring. The log and the PCRs agree on every
 * event before the failure.
 *
 * Thread-safe (one mutex): the main thread measures domains, control
 * threads measure policy reloads.
 */
#ifndef BH_MEASURE_H
#define BH_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/pcrs.h>

/* Open the TPM and start the log at log_path. 0 or -1 with a message. */
int measure_init(const char *tcti, const char *log_path, char *err, size_t errlen);
bool measure_enabled(void);
/* The event log's absolute path, for clients (BH_CTL_PHYSINFO); "" when unmeasured. */
const char *measure_log_path(void);
/* The fds measurement keeps open (the log, the TPM device): up to max; the count. */
int measure_fds(int *fds, int max);
void measure_fini(void);

/* Hash data and extend pcr with it; log it as EV_IPL named `what`. */
int measure(unsigned int pcr, const char *what, const void *data, size_t len, char *err,
	    size_t errlen);

/* The same, named "domain:DOMAIN:what". */
int measure_domain(const char *domain, unsigned int pcr, const char *what, const void *data,
		   size_t len, char *err, size_t errlen);

/* A file's contents, read once (bulkhead's own binary). */
int measure_file(unsigned int pcr, const char *what, const char *path, char *err,
		 size_t errlen);

#endif
