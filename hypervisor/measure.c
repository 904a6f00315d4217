/* Measured boot through tpm2-tss ESYS. See measure.h. */
#include "measure.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "log.h"
#include "tcg_eventlog.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static TSS2_TCTI_CONTEXT *tcti;
static ESYS_CONTEXT *esys;
static FILE *log_file;
static struct tcg_bank banks[TCG_MAX_ALGS];
static unsigned int nr_banks;
static char log_abs[PATH_MAX]; /* set once at start, read-only after */

const char *measure_log_path(void)
{
	return log_abs;
}

bool measure_enabled(void)
{
	return esys != NULL;
}

int measure_fds(int *fds, int max)
{
	TSS2_TCTI_POLL_HANDLE h[4];
	size_t nh = 4;
	int n = 0;

	if (log_file && n < max)
		fds[n++] = fileno(log_file);
	if (tcti && Tss2_Tcti_GetPollHandles(tcti, h, &nh) == TSS2_RC_SUCCESS) {
		for (size_t i = 0; i < nh && n < max; i++)
			fds[n++] = h[i].fd;
	}
	return n;
}

/* The PCR banks the TPM has active, that we can hash. */
static int read_banks(char *err, size_t errlen)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0,
				1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(err, errlen, "reading the PCR banks: %s", Tss2_RC_Decode(rc));
		return -1;
	}
	nr_banks = 0;
	for (UINT32 i = 0; i < cap->data.assignedPCR.count; i++) {
		const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
		bool active = false;

		for (int b = 0; b < s->sizeofSelect; b++)
			active |= s->pcrSelect[b] != 0;
		if (!active)
			continue;
		if (!tcg_md(s->hash)) {
			snprintf(err, errlen, "the TPM has an active PCR bank (algorithm %#x) that "
				 "Bulkhead cannot hash", s->hash);
			Esys_Free(cap);
			return -1;
		}
		if (nr_banks < TCG_MAX_ALGS) {
			banks[nr_banks].alg = s->hash;
			banks[nr_banks].size = tcg_digest_size(s->hash);
			nr_banks++;
		}
	}
	Esys_Free(cap);
	if (!nr_banks) {
		snprintf(err, errlen, "the TPM has no active PCR bank");
		return -1;
	}
	return 0;
}

int measure_init(const char *conf, const char *log_path, char *err, size_t errlen)
{
	TSS2_RC rc;
	int fd;

	if (!conf || !strcmp(conf, "none"))
		return 0;
	rc = Tss2_TctiLdr_Initialize(conf, &tcti);
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(err, errlen, "cannot open the TPM '%s': %s", conf, Tss2_RC_Decode(rc));
		return -1;
	}
	rc = Esys_Initialize(&esys, tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(err, errlen, "ESYS on '%s': %s", conf, Tss2_RC_Decode(rc));
		Tss2_TctiLdr_Finalize(&tcti);
		return -1;
	}
	if (read_banks(err, errlen))
		goto fail;
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	log_file = fd < 0 ? NULL : fdopen(fd, "w");
	if (!log_file) {
		snprintf(err, errlen, "%s: %s", log_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (tcg_write_header(log_file, banks, nr_banks)) {
		snprintf(err, errlen, "%s: %s", log_path, strerror(errno));
		goto fail;
	}
	/* Absolute, so that a client in another directory finds the same file. */
	if (!realpath(log_path, log_abs)) {
		snprintf(err, errlen, "%s: %s", log_path, strerror(errno));
		goto fail;
	}
	log_info("measure: TPM '%s', %u PCR bank(s), event log %s", conf, nr_banks, log_path);
	return 0;
fail:
	measure_fini();
	return -1;
}

void measure_fini(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	if (esys)
		Esys_Finalize(&esys);
	if (tcti)
		Tss2_TctiLdr_Finalize(&tcti);
	esys = NULL;
	tcti = NULL;
	log_abs[0] = 0;
}

int measure(unsigned int pcr, const char *what, const void *data, size_t len, char *err,
	    size_t errlen)
{
	uint8_t dig[TCG_MAX_ALGS][TCG_MAX_DIGEST];
	TPML_DIGEST_VALUES values = { 0 };
	TSS2_RC rc;
	int ret = -1;

	if (!esys)
		return 0;
	for (unsigned int i = 0; i < nr_banks; i++) {
		unsigned int n;

		if (!EVP_Digest(data, len, dig[i], &n, tcg_md(banks[i].alg), NULL)) {
			snprintf(err, errlen, "hashing %s failed", what);
			return -1;
		}
		values.digests[i].hashAlg = banks[i].alg;
		memcpy(&values.digests[i].digest, dig[i], banks[i].size);
	}
	values.count = nr_banks;
	pthread_mutex_lock(&lock);
	rc = Esys_PCR_Extend(esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			     ESYS_TR_NONE, &values);
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(err, errlen, "extending PCR %u with %s: %s", pcr, what, Tss2_RC_Decode(rc));
		goto out;
	}
	/* The name goes in with its NUL, as firmware logs strings. */
	if (tcg_write_event(log_file, banks, nr_banks, pcr, TCG_EV_IPL,
			    (const uint8_t(*)[TCG_MAX_DIGEST])dig, what, strlen(what) + 1)) {
		snprintf(err, errlen, "writing the event log: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

int measure_domain(const char *domain, unsigned int pcr, const char *what, const void *data,
		   size_t len, char *err, size_t errlen)
{
	char name[128];

	snprintf(name, sizeof(name), "domain:%s:%s", domain, what);
	return measure(pcr, name, data, len, err, errlen);
}

int measure_file(unsigned int pcr, const char *what, const char *path, char *err,
		 size_t errlen)
{
	struct stat st;
	void *buf;
	ssize_t n;
	int fd, rc;

	if (!esys)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0 || st.st_size > (1 << 30)) {
		snprintf(err, errlen, "%s: cannot read it to measure", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	buf = malloc(st.st_size);
	n = buf ? read(fd, buf, st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(buf);
		snprintf(err, errlen, "%s: short read", path);
		return -1;
	}
	rc = measure(pcr, what, buf, n, err, errlen);
	free(buf);
	return rc;
}
