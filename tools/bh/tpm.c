/*
 * bh attest, seal and unseal, and the helpers they share with verify
 * (tpm_verify.c, through tpm_internal.h). See tpm.h.
 *
 * The PCRs are bulkhead's, sha256:11,12,13,14 (measure.h). Both keys are
 * primaries made from fixed templates, so one TPM always gives the same
 * key and nothing is stored in it: the attestation key (AK) in the
 * endorsement hierarchy, the storage key that secrets are sealed under in
 * the owner hierarchy. Both hierarchies must have an empty password.
 * Every object and session is flushed before returning: swtpm has no
 * resource manager, and what a command leaves loaded stays loaded.
 */
#include "tpm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <bulkhead/control.h>

#include "ctl_client.h"
#include "dom.h"

#include "tpm_internal.h"

/* A restricted ECDSA P-256 / SHA-256 signing key: it signs only what the TPM made. */
static const TPM2B_PUBLIC ak_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
				    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT,
		.parameters.eccDetail = {
			.symmetric.algorithm = TPM2_ALG_NULL,
			.scheme = { .scheme = TPM2_ALG_ECDSA,
				    .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

/* An ECC P-256 storage key (restricted decrypt, AES-128-CFB), exempt from lockout. */
static const TPM2B_PUBLIC srk_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
				    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA,
		.parameters.eccDetail = {
			.symmetric = { .algorithm = TPM2_ALG_AES,
				       .keyBits.aes = 128,
				       .mode.aes = TPM2_ALG_CFB },
			.scheme.scheme = TPM2_ALG_NULL,
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

/* Salted sessions encrypt the secret between bh and the TPM. */
static const TPMT_SYM_DEF session_aes = { .algorithm = TPM2_ALG_AES,
					  .keyBits.aes = 128,
					  .mode.aes = TPM2_ALG_CFB };
static const TPMT_SYM_DEF session_none = { .algorithm = TPM2_ALG_NULL };

const char attest_help[] =
	"Quote PCRs sha256:11,12,13,14 with the TPM's attestation key and write the\n"
	"evidence into DIR: nonce (hex), quote.attest (the TPMS_ATTEST the TPM signed),\n"
	"quote.sig (TPMT_SIGNATURE), ak.pem (the key's public half), eventlog.bin\n"
	"(a copy of bulkhead's event log) and pcrs.bin (the quoted values, for\n"
	"tpm2_checkquote -f). The log is --log, else the one the bulkhead that -s\n"
	"reaches writes (bh info shows it), else " DEFAULT_LOG ".\n"
	"--nonce is the verifier's challenge (at most 64 bytes); without it, 32 random\n"
	"bytes. --tpm is a tpm2-tss TCTI, default device:" TPM_DEVICE ".\n"
	"The key is a primary from a fixed template in the endorsement hierarchy:\n"
	"the same TPM always gives the same ak.pem, so a verifier can pin it.";

const char seal_help[] =
	"Seal SECRETFILE (1 to 128 bytes) under the owner hierarchy's storage key to a\n"
	"PCR policy over the current values of sha256:11,12,13,14. BLOB can be stored\n"
	"anywhere: only this TPM can load it, and only while those PCRs hold those\n"
	"values. Refuses while one of them is still zero (nothing measured yet).";

const char unseal_help[] =
	"Unseal BLOB from bh seal and write the secret to FILE (mode 0600) or stdout.\n"
	"Fails, saying so, once any of PCRs sha256:11,12,13,14 has changed.";

/* ---- arguments, hex, files ---------------------------------------------- */

/* "--name VALUE" or "--name=VALUE" at argv[*i]: 1 (and *val), 0 if not it, -1 if no value. */
int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*i += 1;
	*val = argv[*i];
	return 1;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly n hex digits, no more: 2..2*max of them. 0 or -1. */
int hex_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *len)
{
	if (n == 0 || n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = hi << 4 | lo;
	}
	*len = n / 2;
	return 0;
}

/* out holds 2 * n + 1. */
void hex_encode(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

int parse_nonce(const char *cmd, const char *hex, TPM2B_DATA *nonce)
{
	size_t len;

	if (hex_decode(hex, strlen(hex), nonce->buffer, sizeof(nonce->buffer), &len)) {
		fprintf(stderr, "bh %s: the nonce must be 1 to %zu bytes in hex\n", cmd,
			sizeof(nonce->buffer));
		return -1;
	}
	nonce->size = len;
	return 0;
}

/*
 * The whole of a file that may still be growing, at most max bytes, with a
 * NUL after them. 0, or -1 with errno (EFBIG when longer than max).
 */
int read_all(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	size_t cap = 0, n = 0;
	uint8_t *b = NULL;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			uint8_t *nb;

			if (cap > max + 1) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? 2 * cap : 4096;
			nb = realloc(b, cap);
			if (!nb)
				goto fail;
			b = nb;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += r;
		if (n > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
fail:
	e = errno;
	close(fd);
	free(b);
	errno = e;
	return -1;
}

/* Create or replace path with buf; a regular file also gets mode. 0 or -1 (errno). */
int write_all(const char *path, const void *buf, size_t len, mode_t mode)
{
	const uint8_t *p = buf;
	struct stat st;
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (S_ISREG(st.st_mode) && fchmod(fd, mode)))
		goto fail;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		len -= w;
	}
	return close(fd);
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

const char *path_in(char *buf, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

/* ---- the TPM ----------------------------------------------------------- */

struct tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

static const char *tpm_conf(const char *cmd, const char *opt)
{
	if (opt)
		return opt;
	if (!access(TPM_DEVICE, F_OK))
		return "device:" TPM_DEVICE;
	fprintf(stderr, "bh %s: there is no %s; name the TPM with --tpm TCTI (for example "
			"swtpm:path=SOCKET)\n", cmd, TPM_DEVICE);
	return NULL;
}

/* Our messages say what failed; tpm2-tss would repeat it. A TSS2_LOG of the user's wins. */
void tss_quiet(void)
{
	setenv("TSS2_LOG", "all+none", 0);
}

static int tpm_open(struct tpm *t, const char *cmd, const char *conf)
{
	TSS2_RC rc;

	memset(t, 0, sizeof(*t));
	rc = Tss2_TctiLdr_Initialize(conf, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		fprintf(stderr, "bh %s: cannot open the TPM '%s': %s\n", cmd, conf,
			Tss2_RC_Decode(rc));
		return -1;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		fprintf(stderr, "bh %s: the TPM '%s': %s\n", cmd, conf, Tss2_RC_Decode(rc));
		Tss2_TctiLdr_Finalize(&t->tcti);
		return -1;
	}
	return 0;
}

static void tpm_close(struct tpm *t)
{
	Esys_Finalize(&t->esys);
	Tss2_TctiLdr_Finalize(&t->tcti);
}

static void tpm_flush(struct tpm *t, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, *h);
	*h = ESYS_TR_NONE;
}

static int tpm_fail(const char *cmd, const char *what, TSS2_RC rc)
{
	fprintf(stderr, "bh %s: %s: %s\n", cmd, what, Tss2_RC_Decode(rc));
	return 1;
}

/* Is rc the TPM's response code `code`, whichever handle, session or parameter it names? */
static bool tpm_rc_is(TSS2_RC rc, TPM2_RC code)
{
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return false;
	if (rc & TPM2_RC_FMT1)
		return ((rc & 0x3f) | TPM2_RC_FMT1) == code;
	return (rc & 0xfff) == code;
}

static TSS2_RC create_primary(struct tpm *t, ESYS_TR hierarchy, const TPM2B_PUBLIC *tmpl,
			      ESYS_TR *key, TPM2B_PUBLIC **pub)
{
	static const TPM2B_SENSITIVE_CREATE no_auth;
	static const TPM2B_DATA no_outside_info;
	static const TPML_PCR_SELECTION no_creation_pcrs;

	return Esys_CreatePrimary(t->esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				  &no_auth, tmpl, &no_outside_info, &no_creation_pcrs, key, pub,
				  NULL, NULL, NULL);
}

static void pcr_selection(TPML_PCR_SELECTION *s)
{
	memset(s, 0, sizeof(*s));
	s->count = 1;
	s->pcrSelections[0].hash = TPM2_ALG_SHA256;
	s->pcrSelections[0].sizeofSelect = 3;
	for (size_t i = 0; i < NR_QUOTED; i++)
		s->pcrSelections[0].pcrSelect[quoted_pcrs[i] / 8] |= 1u << quoted_pcrs[i] % 8;
}

/* ---- the event log and the quote ---------------------------------------- */

bool pcr_is_quoted(uint32_t pcr)
{
	for (size_t i = 0; i < NR_QUOTED; i++)
		if (quoted_pcrs[i] == pcr)
			return true;
	return false;
}

/* Parse a log and replay its sha256 bank. 0, or -1 with err (log freed). */
int log_replay(const uint8_t *buf, size_t len, struct tcg_log *log,
		      uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST], char *err, size_t errlen)
{
	unsigned int b;

	if (tcg_parse(buf, len, log, err, errlen))
		return -1;
	for (b = 0; b < log->nr_banks; b++)
		if (log->bank[b].alg == TCG_ALG_SHA256)
			break;
	if (b == log->nr_banks || log->bank[b].size != SHA256_LEN) {
		snprintf(err, errlen, "the log has no sha256 bank of 32-byte digests");
		tcg_log_free(log);
		return -1;
	}
	if (tcg_replay(log, b, pcrs)) {
		snprintf(err, errlen, "replaying the sha256 bank failed");
		tcg_log_free(log);
		return -1;
	}
	return 0;
}

unsigned int sha256_bank(const struct tcg_log *log)
{
	unsigned int b = 0;

	while (log->bank[b].alg != TCG_ALG_SHA256)
		b++;
	return b;
}

/* What a quote of the replayed PCRs must carry as pcrDigest. */
void quote_digest(const uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST], uint8_t out[SHA256_LEN])
{
	uint8_t cat[NR_QUOTED * SHA256_LEN];
	unsigned int n;

	for (size_t i = 0; i < NR_QUOTED; i++)
		memcpy(cat + i * SHA256_LEN, pcrs[quoted_pcrs[i]], SHA256_LEN);
	EVP_Digest(cat, sizeof(cat), out, &n, EVP_sha256(), NULL);
}

bool quote_selects_ours(const TPML_PCR_SELECTION *got)
{
	TPML_PCR_SELECTION want;
	const TPMS_PCR_SELECTION *g = &got->pcrSelections[0];

	pcr_selection(&want);
	if (got->count != 1 || g->hash != TPM2_ALG_SHA256 || g->sizeofSelect < 3 ||
	    g->sizeofSelect > sizeof(g->pcrSelect))
		return false;
	for (unsigned int i = 0; i < g->sizeofSelect; i++)
		if (g->pcrSelect[i] != (i < 3 ? want.pcrSelections[0].pcrSelect[i] : 0))
			return false;
	return true;
}

bool quote_matches(const TPMS_ATTEST *a, const uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST])
{
	uint8_t want[SHA256_LEN];

	quote_digest(pcrs, want);
	return a->attested.quote.pcrDigest.size == SHA256_LEN &&
	       !memcmp(a->attested.quote.pcrDigest.buffer, want, SHA256_LEN);
}

/* An event's component name as golden files spell it (see verify_help). malloc'd. */
char *event_name(const struct tcg_event *e)
{
	uint32_t n = e->data_len;
	char *s, *p;

	if (n && e->data[n - 1] == 0)
		n--; /* bulkhead logs names with their NUL */
	s = p = malloc(4 * (size_t)n + 3);
	if (!s)
		return NULL;
	if (n == 0)
		return strcpy(s, "\"\"");
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = e->data[i];

		if (c < '!' || c > '~' || c == '\\' || c == '"')
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = c;
	}
	*p = 0;
	return s;
}

/* ---- bh attest ---------------------------------------------------------- */

/* An AK's public key in PEM (malloc'd, NUL-terminated), or NULL. */
static char *ak_pem(const TPM2B_PUBLIC *pub)
{
	const TPMS_ECC_POINT *q = &pub->publicArea.unique.ecc;
	uint8_t point[1 + 2 * SHA256_LEN] = { 4 }; /* uncompressed */
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	char *pem = NULL, *data;
	long n;

	if (pub->publicArea.type != TPM2_ALG_ECC || q->x.size > SHA256_LEN ||
	    q->y.size > SHA256_LEN)
		return NULL;
	memcpy(point + 1 + SHA256_LEN - q->x.size, q->x.buffer, q->x.size);
	memcpy(point + 1 + 2 * SHA256_LEN - q->y.size, q->y.buffer, q->y.size);
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						     "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
					      sizeof(point)) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_PUBKEY(bio, pk))
		goto out;
	n = BIO_get_mem_data(bio, &data);
	pem = malloc(n + 1);
	if (pem) {
		memcpy(pem, data, n);
		pem[n] = 0;
	}
out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pem;
}

struct snapshot {
	uint8_t *log;
	size_t log_len;
	TPM2B_ATTEST *quoted;
	TPMT_SIGNATURE *sig;
	size_t nr_events;
	/* The quoted PCRs as the log replays them, in tpm2-tools' "values" layout. */
	uint8_t pcr_values[NR_QUOTED * SHA256_LEN];
	bool consistent; /* the log replays to the quoted PCRs */
	char why[256];   /* if not */
};

static void snapshot_free(struct snapshot *s)
{
	free(s->log);
	Esys_Free(s->quoted);
	Esys_Free(s->sig);
	memset(s, 0, sizeof(*s));
}

/*
 * Read the log, quote, and read the log again. bulkhead extends a PCR and
 * then appends to the log, so a quote taken while it measures may be one
 * event ahead of the log (or a read may end half-way through an event):
 * keep the first try whose log is unchanged and replays to the quote.
 * 0 with *s filled (consistent or not), or -1 after a message.
 */
static int attest_snapshot(struct tpm *t, ESYS_TR ak, const char *log_path,
			   const TPM2B_DATA *nonce, struct snapshot *s)
{
	static const TPMT_SIG_SCHEME key_scheme = { .scheme = TPM2_ALG_NULL };
	uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST];
	TPML_PCR_SELECTION sel;
	struct tcg_log log;
	TPMS_ATTEST a;

	pcr_selection(&sel);
	memset(s, 0, sizeof(*s));
	for (int try = 0; try < ATTEST_TRIES; try++) {
		uint8_t *again;
		size_t again_len, off = 0;
		TSS2_RC rc;

		if (try)
			usleep(100 * 1000);
		snapshot_free(s);
		if (read_all(log_path, LOG_MAX, &s->log, &s->log_len)) {
			fprintf(stderr, "bh attest: %s: %s\n", log_path, strerror(errno));
			return -1;
		}
		rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, nonce,
				&key_scheme, &sel, &s->quoted, &s->sig);
		if (rc != TSS2_RC_SUCCESS) {
			snapshot_free(s);
			return -tpm_fail("attest", "quoting PCRs sha256:11,12,13,14", rc);
		}
		if (read_all(log_path, LOG_MAX, &again, &again_len)) {
			fprintf(stderr, "bh attest: %s: %s\n", log_path, strerror(errno));
			snapshot_free(s);
			return -1;
		}
		if (again_len != s->log_len || memcmp(again, s->log, again_len)) {
			snprintf(s->why, sizeof(s->why), "the log kept changing while quoting");
			free(again);
			continue;
		}
		free(again);
		if (log_replay(s->log, s->log_len, &log, pcrs, s->why, sizeof(s->why)))
			continue;
		s->nr_events = log.nr_events;
		tcg_log_free(&log);
		memset(&a, 0, sizeof(a));
		if (Tss2_MU_TPMS_ATTEST_Unmarshal(s->quoted->attestationData, s->quoted->size,
						  &off, &a) != TSS2_RC_SUCCESS) {
			snprintf(s->why, sizeof(s->why), "the TPM's quote does not unmarshal");
			continue;
		}
		if (!quote_matches(&a, pcrs)) {
			snprintf(s->why, sizeof(s->why),
				 "the log does not replay to the quoted PCRs (were PCRs 11-14 "
				 "extended before bulkhead started, or by something else?)");
			continue;
		}
		for (size_t i = 0; i < NR_QUOTED; i++)
			memcpy(s->pcr_values + i * SHA256_LEN, pcrs[quoted_pcrs[i]], SHA256_LEN);
		s->consistent = true;
		return 0;
	}
	return 0;
}

static int write_evidence(const char *dir, const TPM2B_DATA *nonce, const struct snapshot *s,
			  const char *pem)
{
	char hex[2 * sizeof(nonce->buffer) + 2], path[4096];
	uint8_t sig[sizeof(TPMT_SIGNATURE)];
	size_t sig_len = 0;
	struct {
		const char *name;
		const void *buf;
		size_t len;
	} files[] = {
		{ "nonce", hex, 0 },
		{ "quote.attest", s->quoted->attestationData, s->quoted->size },
		{ "quote.sig", sig, 0 },
		{ "ak.pem", pem, strlen(pem) },
		{ "eventlog.bin", s->log, s->log_len },
		/*
		 * For tpm2_checkquote -f pcrs.bin -l sha256:11,12,13,14 (docs/measured-boot.md).
		 * Last: there are no values to write when the log and quote disagree.
		 */
		{ "pcrs.bin", s->pcr_values, sizeof(s->pcr_values) },
	};
	size_t nr_files = sizeof(files) / sizeof(files[0]) - !s->consistent;
	TSS2_RC rc;

	hex_encode(nonce->buffer, nonce->size, hex);
	strcat(hex, "\n");
	files[0].len = strlen(hex);
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(s->sig, sig, sizeof(sig), &sig_len);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail("attest", "marshalling the signature", rc);
	files[2].len = sig_len;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "bh attest: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (!s->consistent && path_in(path, sizeof(path), dir, "pcrs.bin"))
		unlink(path); /* never leave an earlier run's values beside this quote */
	for (size_t i = 0; i < nr_files; i++) {
		if (!path_in(path, sizeof(path), dir, files[i].name) ||
		    write_all(path, files[i].buf, files[i].len, 0644)) {
			fprintf(stderr, "bh attest: %s/%s: %s\n", dir, files[i].name,
				strerror(errno));
			return 1;
		}
	}
	return 0;
}

/*
 * The event log of the bulkhead that bh's control socket reaches, so that
 * bulkhead's --log-dir or --tpm-log needs no --log here. With no bulkhead
 * there, the log it would write by default (PCRs outlive it).
 */
static int running_bulkhead_log(char *buf, size_t len, const char **path)
{
	struct bh_ctl_physinfo pi;
	int fd = ctl_connect(bh_socket_path()), rc;

	*path = DEFAULT_LOG;
	if (fd < 0) {
		fprintf(stderr, "bh attest: no bulkhead at %s (%s); reading %s\n", bh_socket_path(),
			strerror(-fd), DEFAULT_LOG);
		return 0;
	}
	rc = host_info(fd, &pi, buf, len);
	close(fd);
	if (rc) {
		fprintf(stderr, "bh attest: asking bulkhead at %s for its event log: %s (--log "
				"names it)\n", bh_socket_path(), strerror(-rc));
		return -1;
	}
	if (!buf[0]) {
		fprintf(stderr, "bh attest: bulkhead at %s runs unmeasured (--tpm=none): there "
				"is no event log to quote\n", bh_socket_path());
		return -1;
	}
	*path = buf;
	return 0;
}

int cmd_attest(int fd, int argc, char **argv)
{
	const char *tpm_opt = NULL, *log_path = NULL, *nonce_hex = NULL, *dir = NULL;
	char running_log[4096];
	const char *conf;
	TPM2B_PUBLIC *ak_pub = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	struct snapshot snap = { 0 };
	TPM2B_DATA nonce = { 0 };
	char *pem = NULL;
	struct tpm t;
	TSS2_RC rc;
	int ret = 1;

	(void)fd;
	tss_quiet();
	for (int i = 0; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--tpm", &tpm_opt) == 1 ||
		    opt_value(argc, argv, &i, "--log", &log_path) == 1 ||
		    opt_value(argc, argv, &i, "--nonce", &nonce_hex) == 1 ||
		    opt_value(argc, argv, &i, "--out", &dir) == 1)
			continue;
		return 2;
	}
	if (!dir)
		return 2;
	if (nonce_hex && parse_nonce("attest", nonce_hex, &nonce))
		return 2;
	if (!nonce_hex) {
		nonce.size = NONCE_LEN;
		if (RAND_bytes(nonce.buffer, NONCE_LEN) != 1) {
			fprintf(stderr, "bh attest: no random nonce from OpenSSL\n");
			return 1;
		}
	}
	if (!log_path && running_bulkhead_log(running_log, sizeof(running_log), &log_path))
		return 1;
	if (access(log_path, R_OK)) {
		if (errno == ENOENT)
			fprintf(stderr, "bh attest: there is no event log at %s: measurement is off "
					"(bulkhead ran with --tpm=none), or bulkhead wrote it elsewhere "
					"(--tpm-log there, --log here)\n", log_path);
		else
			fprintf(stderr, "bh attest: %s: %s\n", log_path, strerror(errno));
		return 1;
	}
	conf = tpm_conf("attest", tpm_opt);
	if (!conf || tpm_open(&t, "attest", conf))
		return 1;
	rc = create_primary(&t, ESYS_TR_RH_ENDORSEMENT, &ak_template, &ak, &ak_pub);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_fail("attest", "creating the attestation key (endorsement hierarchy)", rc);
		goto out;
	}
	pem = ak_pem(ak_pub);
	if (!pem) {
		fprintf(stderr, "bh attest: the TPM's attestation key is not a P-256 point\n");
		goto out;
	}
	if (attest_snapshot(&t, ak, log_path, &nonce, &snap))
		goto out;
	if (write_evidence(dir, &nonce, &snap, pem))
		goto out;
	if (!snap.consistent) {
		fprintf(stderr, "bh attest: %s; wrote the evidence to %s anyway, but bh verify "
				"will fail\n", snap.why, dir);
		goto out;
	}
	printf("attest: quoted sha256:11,12,13,14 with %zu events from %s into %s\n",
	       snap.nr_events, log_path, dir);
	ret = 0;
out:
	snapshot_free(&snap);
	free(pem);
	Esys_Free(ak_pub);
	tpm_flush(&t, &ak);
	tpm_close(&t);
	return ret;
}

/* ---- bh seal, bh unseal -------------------------------------------------- */

/* Refuse to seal to a PCR that nothing has extended: every boot has that value. */
static int pcrs_measured(struct tpm *t)
{
	TPML_PCR_SELECTION sel, *out_sel = NULL;
	TPML_DIGEST *vals = NULL;
	static const uint8_t zero[SHA256_LEN];
	UINT32 counter;
	TSS2_RC rc;
	int ret = 0;

	pcr_selection(&sel);
	rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
			   &out_sel, &vals);
	if (rc != TSS2_RC_SUCCESS)
		return -tpm_fail("seal", "reading PCRs sha256:11,12,13,14", rc);
	if (vals->count != NR_QUOTED) {
		fprintf(stderr, "bh seal: the TPM has no sha256 PCR bank with PCRs 11-14\n");
		ret = -1;
	}
	for (UINT32 i = 0; !ret && i < vals->count; i++) {
		if (vals->digests[i].size == SHA256_LEN &&
		    memcmp(vals->digests[i].buffer, zero, SHA256_LEN))
			continue;
		fprintf(stderr, "bh seal: PCR %u is still zero: nothing is measured yet (bulkhead "
				"not started, or with --tpm=none), and sealing to it would let any "
				"boot unseal\n", quoted_pcrs[i]);
		ret = -1;
	}
	Esys_Free(out_sel);
	Esys_Free(vals);
	return ret;
}

/* The policy digest of PolicyPCR over the current values, from a trial session. */
static TSS2_RC pcr_policy_digest(struct tpm *t, TPM2B_DIGEST **digest)
{
	static const TPM2B_DIGEST current_values;
	TPML_PCR_SELECTION sel;
	ESYS_TR trial = ESYS_TR_NONE;
	TSS2_RC rc;

	pcr_selection(&sel);
	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_TRIAL, &session_none,
				   TPM2_ALG_SHA256, &trial);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyPCR(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    &current_values, &sel);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyGetDigest(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					  digest);
	tpm_flush(t, &trial);
	return rc;
}

/* A salted session with the storage key; flags say which way it encrypts. */
static TSS2_RC start_session(struct tpm *t, ESYS_TR srk, TPM2_SE type, TPMA_SESSION flags,
			     ESYS_TR *s)
{
	TSS2_RC rc;

	rc = Esys_StartAuthSession(t->esys, srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, type, &session_aes, TPM2_ALG_SHA256, s);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TRSess_SetAttributes(t->esys, *s, flags | TPMA_SESSION_CONTINUESESSION,
					       0xff);
	return rc;
}

static int read_secret(const char *path, TPM2B_SENSITIVE_CREATE *in)
{
	uint8_t *buf;
	size_t len;

	if (read_all(path, SECRET_MAX, &buf, &len)) {
		if (errno == EFBIG)
			fprintf(stderr, "bh seal: %s: a TPM seals at most %d bytes; seal a key and "
					"encrypt the file with it\n", path, SECRET_MAX);
		else
			fprintf(stderr, "bh seal: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!len)
		fprintf(stderr, "bh seal: %s is empty\n", path);
	else
		memcpy(in->sensitive.data.buffer, buf, len);
	in->sensitive.data.size = len;
	OPENSSL_cleanse(buf, len);
	free(buf);
	return len ? 0 : -1;
}

int cmd_seal(int fd, int argc, char **argv)
{
	const char *tpm_opt = NULL, *in_path = NULL, *out_path = NULL, *conf;
	static const TPM2B_DATA no_outside_info;
	static const TPML_PCR_SELECTION no_creation_pcrs;
	TPM2B_SENSITIVE_CREATE in = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPM2B_DIGEST *policy = NULL;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR srk = ESYS_TR_NONE, hmac = ESYS_TR_NONE;
	uint8_t blob[SEAL_MAX];
	size_t off = SEAL_HDR;
	struct tpm t;
	TSS2_RC rc;
	int ret = 1;

	(void)fd;
	tss_quiet();
	for (int i = 0; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--tpm", &tpm_opt) == 1 ||
		    opt_value(argc, argv, &i, "--in", &in_path) == 1 ||
		    opt_value(argc, argv, &i, "--out", &out_path) == 1)
			continue;
		return 2;
	}
	if (!in_path || !out_path)
		return 2;
	conf = tpm_conf("seal", tpm_opt);
	if (!conf || read_secret(in_path, &in))
		return 1;
	if (tpm_open(&t, "seal", conf))
		goto wipe;
	if (pcrs_measured(&t))
		goto out;
	rc = create_primary(&t, ESYS_TR_RH_OWNER, &srk_template, &srk, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_fail("seal", "creating the storage key (owner hierarchy)", rc);
		goto out;
	}
	rc = pcr_policy_digest(&t, &policy);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_fail("seal", "computing the PCR policy", rc);
		goto out;
	}
	/* Only the policy unseals it: no userWithAuth. */
	tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.authPolicy = *policy;
	rc = start_session(&t, srk, TPM2_SE_HMAC, TPMA_SESSION_DECRYPT, &hmac);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Create(t.esys, srk, hmac, ESYS_TR_NONE, ESYS_TR_NONE, &in, &tmpl,
				 &no_outside_info, &no_creation_pcrs, &priv, &pub, NULL, NULL,
				 NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_fail("seal", "sealing", rc);
		goto out;
	}
	memcpy(blob, SEAL_MAGIC, 6);
	blob[6] = SEAL_VERSION >> 8;
	blob[7] = SEAL_VERSION & 0xff;
	rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, blob, sizeof(blob), &off);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_MU_TPM2B_PRIVATE_Marshal(priv, blob, sizeof(blob), &off);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_fail("seal", "marshalling the sealed object", rc);
		goto out;
	}
	if (write_all(out_path, blob, off, 0600)) {
		fprintf(stderr, "bh seal: %s: %s\n", out_path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	Esys_Free(policy);
	Esys_Free(priv);
	Esys_Free(pub);
	tpm_flush(&t, &hmac);
	tpm_flush(&t, &srk);
	tpm_close(&t);
wipe:
	OPENSSL_cleanse(&in, sizeof(in));
	return ret;
}

/* A blob from bh seal, checked to the last byte. 0 or -1 after a message. */
static int read_blob(const char *path, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	uint8_t *buf;
	size_t len, off = SEAL_HDR;
	int ret = -1;

	memset(pub, 0, sizeof(*pub));
	memset(priv, 0, sizeof(*priv));
	if (read_all(path, SEAL_MAX, &buf, &len)) {
		fprintf(stderr, "bh unseal: %s: %s\n", path,
			errno == EFBIG ? "too long for a sealed blob" : strerror(errno));
		return -1;
	}
	if (len < SEAL_HDR || memcmp(buf, SEAL_MAGIC, 6))
		fprintf(stderr, "bh unseal: %s was not written by bh seal\n", path);
	else if ((buf[6] << 8 | buf[7]) != SEAL_VERSION)
		fprintf(stderr, "bh unseal: %s is a version %u blob; this bh reads version %u\n",
			path, buf[6] << 8 | buf[7], SEAL_VERSION);
	else if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, pub) != TSS2_RC_SUCCESS ||
		 Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, len, &off, priv) != TSS2_RC_SUCCESS ||
		 off != len)
		fprintf(stderr, "bh unseal: %s is damaged\n", path);
	else
		ret = 0;
	free(buf);
	return ret;
}

static int write_secret(const char *out_path, const TPM2B_SENSITIVE_DATA *d)
{
	if (out_path) {
		if (!write_all(out_path, d->buffer, d->size, 0600))
			return 0;
		fprintf(stderr, "bh unseal: %s: %s\n", out_path, strerror(errno));
		return -1;
	}
	if (fwrite(d->buffer, 1, d->size, stdout) != d->size || fflush(stdout)) {
		fprintf(stderr, "bh unseal: writing the secret: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_unseal(int fd, int argc, char **argv)
{
	const char *tpm_opt = NULL, *in_path = NULL, *out_path = NULL, *conf;
	static const TPM2B_DIGEST current_values;
	TPM2B_SENSITIVE_DATA *secret = NULL;
	TPML_PCR_SELECTION sel;
	TPM2B_PRIVATE priv;
	TPM2B_PUBLIC pub;
	ESYS_TR srk = ESYS_TR_NONE, obj = ESYS_TR_NONE, policy = ESYS_TR_NONE;
	struct tpm t;
	TSS2_RC rc;
	int ret = 1;

	(void)fd;
	tss_quiet();
	for (int i = 0; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--tpm", &tpm_opt) == 1 ||
		    opt_value(argc, argv, &i, "--in", &in_path) == 1 ||
		    opt_value(argc, argv, &i, "--out", &out_path) == 1)
			continue;
		return 2;
	}
	if (!in_path)
		return 2;
	conf = tpm_conf("unseal", tpm_opt);
	if (!conf || read_blob(in_path, &pub, &priv) || tpm_open(&t, "unseal", conf))
		return 1;
	rc = create_primary(&t, ESYS_TR_RH_OWNER, &srk_template, &srk, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_fail("unseal", "creating the storage key (owner hierarchy)", rc);
		goto out;
	}
	rc = Esys_Load(t.esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub,
		       &obj);
	if (rc != TSS2_RC_SUCCESS) {
		fprintf(stderr, "bh unseal: this TPM cannot load %s: it was sealed on another TPM, "
				"or the owner hierarchy was cleared since (%s)\n", in_path,
			Tss2_RC_Decode(rc));
		goto out;
	}
	pcr_selection(&sel);
	rc = start_session(&t, srk, TPM2_SE_POLICY, TPMA_SESSION_ENCRYPT, &policy);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyPCR(t.esys, policy, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    &current_values, &sel);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_fail("unseal", "starting the PCR policy session", rc);
		goto out;
	}
	rc = Esys_Unseal(t.esys, obj, policy, ESYS_TR_NONE, ESYS_TR_NONE, &secret);
	if (tpm_rc_is(rc, TPM2_RC_POLICY_FAIL)) {
		fprintf(stderr, "bh unseal: the PCRs no longer match the sealed policy (one of "
				"sha256:11,12,13,14 changed since bh seal)\n");
		goto out;
	}
	if (tpm_rc_is(rc, TPM2_RC_PCR_CHANGED)) {
		fprintf(stderr, "bh unseal: a PCR changed during the unseal; run it again\n");
		goto out;
	}
	if (rc != TSS2_RC_SUCCESS) {
		tpm_fail("unseal", "unsealing", rc);
		goto out;
	}
	ret = write_secret(out_path, secret) ? 1 : 0;
	OPENSSL_cleanse(secret, sizeof(*secret));
out:
	Esys_Free(secret);
	tpm_flush(&t, &policy);
	tpm_flush(&t, &obj);
	tpm_flush(&t, &srk);
	tpm_close(&t);
	OPENSSL_cleanse(&priv, sizeof(priv));
	return ret;
}
