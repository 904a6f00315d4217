/*
 * bh verify: check bh attest's evidence on any machine, reading only files
 * (tpm.h). The signature over the quote, the nonce, the event log's replay
 * against the quoted PCR digest, and every event against golden
 * measurements.
 *
 * Everything in the directory is hostile: the event log goes through
 * tcg_parse, the quote and signature through tpm2-tss's unmarshalling, and
 * sizes are checked before use.
 */
#include "tpm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "tpm_internal.h"

const char verify_help[] =
	"Check the evidence in DIR that bh attest wrote: the signature over the quote\n"
	"(with DIR/ak.pem, or the key pinned by --ak), the nonce (--nonce, else\n"
	"DIR/nonce), and that the event log replays to the quoted PCRs. Then compare\n"
	"every measured event with FILE, lines of 'COMPONENT SHA256HEX' ('#' starts a\n"
	"comment; a component listed twice accepts either digest). Prints a line per\n"
	"problem (MISMATCH, MISSING, UNEXPECTED, verify: ...); exits 0 only if none.\n"
	"--print-golden prints the log's events as such a FILE instead, to record\n"
	"after a boot you trust. Names are printed with bytes outside '!'..'~', '\\'\n"
	"and '\"' as \\xNN; the empty name is \"\".";

/* ---- bh verify ---------------------------------------------------------- */

struct golden {
	char *name;
	uint8_t digest[SHA256_LEN];
	bool seen;
};

struct golden_set {
	struct golden *g;
	size_t n;
};

static void golden_free(struct golden_set *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		free(gs->g[i].name);
	free(gs->g);
	memset(gs, 0, sizeof(*gs));
}

/* Lines of "COMPONENT SHA256HEX"; blank lines and '#' comments skipped. 0 or -1. */
static int golden_load(const char *path, struct golden_set *gs)
{
	unsigned int lineno = 0;
	uint8_t *buf;
	char *line, *next;
	size_t len, cap = 0;

	memset(gs, 0, sizeof(*gs));
	if (read_all(path, GOLDEN_MAX, &buf, &len)) {
		fprintf(stderr, "bh verify: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (memchr(buf, 0, len)) {
		fprintf(stderr, "bh verify: %s: not a text file\n", path);
		goto fail;
	}
	for (line = (char *)buf; line; line = next) {
		char *name, *hex, *rest;
		size_t n;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		name = line + strspn(line, " \t\r");
		if (!*name || *name == '#')
			continue;
		n = strcspn(name, " \t\r");
		hex = name + n + strspn(name + n, " \t\r");
		rest = hex + strcspn(hex, " \t\r");
		if (hex == name + n || rest[strspn(rest, " \t\r")]) {
			fprintf(stderr, "bh verify: %s:%u: expected 'COMPONENT SHA256HEX'\n", path,
				lineno);
			goto fail;
		}
		if (gs->n == cap) {
			struct golden *ng;

			cap = cap ? 2 * cap : 32;
			ng = realloc(gs->g, cap * sizeof(*ng));
			if (!ng)
				goto oom;
			gs->g = ng;
		}
		name[n] = 0;
		if (hex_decode(hex, rest - hex, gs->g[gs->n].digest, SHA256_LEN, &len) ||
		    len != SHA256_LEN) {
			fprintf(stderr, "bh verify: %s:%u: the digest is not 64 hex digits\n", path,
				lineno);
			goto fail;
		}
		gs->g[gs->n].seen = false;
		gs->g[gs->n].name = strdup(name);
		if (!gs->g[gs->n].name)
			goto oom;
		gs->n++;
	}
	free(buf);
	return 0;
oom:
	fprintf(stderr, "bh verify: out of memory\n");
fail:
	free(buf);
	golden_free(gs);
	return -1;
}

/* Compare every measured event with the golden set. The number of failures. */
static unsigned int verify_events(const struct tcg_log *log, char **names, struct golden_set *gs)
{
	unsigned int b = sha256_bank(log), failures = 0;
	char got[2 * SHA256_LEN + 1], want[2 * SHA256_LEN + 1];

	for (size_t i = 0; i < log->nr_events; i++) {
		const struct tcg_event *e = &log->events[i];
		const struct golden *first = NULL;
		bool match = false;

		if (e->type == TCG_EV_NO_ACTION)
			continue; /* not extended: nothing to vouch for */
		if (!pcr_is_quoted(e->pcr)) {
			printf("verify: event %zu (%s) extends PCR %u, which the quote does not "
			       "cover\n", i + 1, names[i], e->pcr);
			failures++;
		}
		for (size_t k = 0; k < gs->n; k++) {
			if (strcmp(gs->g[k].name, names[i]))
				continue;
			gs->g[k].seen = true;
			first = first ? first : &gs->g[k];
			match |= !memcmp(gs->g[k].digest, e->digest[b], SHA256_LEN);
		}
		if (!first) {
			printf("UNEXPECTED %s\n", names[i]);
			failures++;
		} else if (!match) {
			hex_encode(first->digest, SHA256_LEN, want);
			hex_encode(e->digest[b], SHA256_LEN, got);
			printf("MISMATCH %s expected %s got %s\n", names[i], want, got);
			failures++;
		}
	}
	for (size_t k = 0; k < gs->n; k++) {
		bool dup = false;

		for (size_t j = 0; j < k && !dup; j++)
			dup = !strcmp(gs->g[j].name, gs->g[k].name);
		if (!gs->g[k].seen && !dup) {
			printf("MISSING %s\n", gs->g[k].name);
			failures++;
		}
	}
	return failures;
}

/* The ECDSA signature over msg, checked with pk. */
static bool signature_ok(EVP_PKEY *pk, const uint8_t *msg, size_t len, const TPMT_SIGNATURE *sig)
{
	const TPMS_SIGNATURE_ECC *ecc = &sig->signature.ecdsa;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL;
	bool ok = false;
	int der_len;

	if (sig->sigAlg != TPM2_ALG_ECDSA || ecc->hash != TPM2_ALG_SHA256)
		return false;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(ecc->signatureR.buffer, ecc->signatureR.size, NULL);
	s = BN_bin2bn(ecc->signatureS.buffer, ecc->signatureS.size, NULL);
	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	der_len = i2d_ECDSA_SIG(es, &der);
	ctx = EVP_MD_CTX_new();
	if (der_len <= 0 || !ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pk) != 1)
		goto out;
	ok = EVP_DigestVerify(ctx, der, der_len, msg, len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	return ok;
}

static EVP_PKEY *load_pubkey(const char *path)
{
	EVP_PKEY *pk = NULL;
	uint8_t *buf;
	size_t len;
	BIO *bio;

	if (read_all(path, EVIDENCE_MAX, &buf, &len)) {
		printf("verify: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	bio = BIO_new_mem_buf(buf, len);
	if (bio)
		pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(buf);
	if (pk && (!EVP_PKEY_is_a(pk, "EC") || EVP_PKEY_get_bits(pk) != 256)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	if (!pk)
		printf("verify: %s is not a PEM P-256 public key\n", path);
	return pk;
}

/* DIR/quote.sig, with nothing after the TPMT_SIGNATURE. 0 or -1. */
static int read_signature(const char *path, TPMT_SIGNATURE *sig)
{
	uint8_t *buf;
	size_t len, off = 0;
	int ret;

	memset(sig, 0, sizeof(*sig));
	if (read_all(path, EVIDENCE_MAX, &buf, &len))
		return -1;
	ret = Tss2_MU_TPMT_SIGNATURE_Unmarshal(buf, len, &off, sig) == TSS2_RC_SUCCESS &&
			      off == len
		      ? 0
		      : -1;
	free(buf);
	return ret;
}

/* The quote's checks: signature, key, nonce, selection, digest. The number of failures. */
static unsigned int verify_quote(const char *dir, const TPM2B_DATA *nonce, const char *ak_path,
				 const uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST])
{
	char path[4096];
	EVP_PKEY *pk = NULL, *pinned = NULL;
	uint8_t *attest = NULL;
	size_t attest_len, off = 0;
	TPMT_SIGNATURE sig;
	TPMS_ATTEST a = { 0 };
	unsigned int failures = 0;

	if (!path_in(path, sizeof(path), dir, "quote.attest") ||
	    read_all(path, EVIDENCE_MAX, &attest, &attest_len)) {
		printf("verify: %s/quote.attest: %s\n", dir, strerror(errno));
		return 1;
	}
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest, attest_len, &off, &a) != TSS2_RC_SUCCESS ||
	    off != attest_len) {
		printf("verify: quote.attest is not a TPMS_ATTEST\n");
		failures++;
		goto out;
	}
	path_in(path, sizeof(path), dir, "quote.sig");
	if (read_signature(path, &sig)) {
		printf("verify: quote.sig is not a TPMT_SIGNATURE\n");
		failures++;
		goto out;
	}
	path_in(path, sizeof(path), dir, "ak.pem");
	pk = load_pubkey(path);
	if (!pk) {
		failures++;
		goto out;
	}
	if (!signature_ok(pk, attest, attest_len, &sig)) {
		printf("verify: bad signature (quote.sig does not verify over quote.attest with "
		       "ak.pem)\n");
		failures++;
	}
	if (ak_path) {
		pinned = load_pubkey(ak_path);
		if (!pinned || EVP_PKEY_eq(pk, pinned) != 1) {
			printf("verify: ak.pem is not the attestation key in %s\n", ak_path);
			failures++;
		}
	}
	if (a.magic != TPM2_GENERATED_VALUE) {
		printf("verify: quote.attest was not made by a TPM (magic %#x)\n", a.magic);
		failures++;
	}
	if (a.type != TPM2_ST_ATTEST_QUOTE) {
		printf("verify: quote.attest is not a quote (type %#x)\n", a.type);
		failures++;
		goto out;
	}
	if (a.extraData.size != nonce->size ||
	    CRYPTO_memcmp(a.extraData.buffer, nonce->buffer, nonce->size)) {
		printf("verify: nonce mismatch (the quote does not answer this nonce)\n");
		failures++;
	}
	if (!quote_selects_ours(&a.attested.quote.pcrSelect)) {
		printf("verify: the quote is not of PCRs sha256:11,12,13,14\n");
		failures++;
	} else if (!quote_matches(&a, pcrs)) {
		printf("verify: the log does not replay to the quoted PCRs\n");
		failures++;
	}
out:
	EVP_PKEY_free(pinned);
	EVP_PKEY_free(pk);
	free(attest);
	return failures;
}

struct event_key {
	const char *name;
	const uint8_t *digest;
	size_t index;
};

static int event_key_cmp(const void *pa, const void *pb)
{
	const struct event_key *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (!c)
		c = memcmp(a->digest, b->digest, SHA256_LEN);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* The log as a golden file: each (name, digest) once, in log order. */
static int print_golden(const char *path, const struct tcg_log *log, char **names)
{
	unsigned int b = sha256_bank(log);
	char hex[2 * SHA256_LEN + 1];
	struct event_key *keys;
	bool *first;
	size_t n = 0;

	keys = malloc((log->nr_events + 1) * sizeof(*keys));
	first = calloc(log->nr_events + 1, sizeof(*first));
	if (!keys || !first) {
		free(keys);
		free(first);
		fprintf(stderr, "bh verify: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < log->nr_events; i++)
		if (log->events[i].type != TCG_EV_NO_ACTION)
			keys[n++] = (struct event_key){ names[i], log->events[i].digest[b], i };
	qsort(keys, n, sizeof(*keys), event_key_cmp);
	for (size_t k = 0; k < n; k++)
		first[keys[k].index] = k == 0 || strcmp(keys[k - 1].name, keys[k].name) ||
				       memcmp(keys[k - 1].digest, keys[k].digest, SHA256_LEN);
	printf("# golden measurements from %s (%zu events, sha256)\n", path, log->nr_events);
	for (size_t i = 0; i < log->nr_events; i++) {
		if (!first[i])
			continue;
		hex_encode(log->events[i].digest[b], SHA256_LEN, hex);
		printf("%s %s\n", names[i], hex);
	}
	free(keys);
	free(first);
	return 0;
}

/* DIR/nonce: hex digits and a newline. 0 or -1. */
static int read_nonce_file(const char *dir, TPM2B_DATA *nonce)
{
	char path[4096];
	uint8_t *buf;
	size_t len, n;

	if (!path_in(path, sizeof(path), dir, "nonce") || read_all(path, EVIDENCE_MAX, &buf, &len))
		return -1;
	n = strcspn((char *)buf, "\r\n");
	if (buf[n + strspn((char *)buf + n, "\r\n")] ||
	    hex_decode((char *)buf, n, nonce->buffer, sizeof(nonce->buffer), &len)) {
		free(buf);
		return -1;
	}
	nonce->size = len;
	free(buf);
	return 0;
}

int cmd_verify(int fd, int argc, char **argv)
{
	const char *dir = NULL, *expect = NULL, *nonce_hex = NULL, *ak_path = NULL;
	uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST];
	struct golden_set gs = { 0 };
	TPM2B_DATA nonce = { 0 };
	bool golden_only = false;
	struct tcg_log log;
	char path[4096], err[256], **names = NULL;
	unsigned int failures;
	uint8_t *buf;
	size_t len;
	int ret = 1;

	(void)fd;
	tss_quiet();
	for (int i = 0; i < argc; i++) {
		if (opt_value(argc, argv, &i, "--expect", &expect) == 1 ||
		    opt_value(argc, argv, &i, "--nonce", &nonce_hex) == 1 ||
		    opt_value(argc, argv, &i, "--ak", &ak_path) == 1)
			continue;
		if (!strcmp(argv[i], "--print-golden"))
			golden_only = true;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return 2;
	}
	if (!dir || golden_only == !!expect)
		return 2;
	if (nonce_hex && parse_nonce("verify", nonce_hex, &nonce))
		return 2;
	if (!path_in(path, sizeof(path), dir, "eventlog.bin") ||
	    read_all(path, LOG_MAX, &buf, &len)) {
		printf("verify: %s/eventlog.bin: %s\n", dir, strerror(errno));
		return 1;
	}
	if (log_replay(buf, len, &log, pcrs, err, sizeof(err))) {
		printf("verify: %s is not an event log bh can check: %s\n", path, err);
		free(buf);
		return 1;
	}
	free(buf);
	names = calloc(log.nr_events ? log.nr_events : 1, sizeof(*names));
	for (size_t i = 0; names && i < log.nr_events; i++)
		if (!(names[i] = event_name(&log.events[i])))
			goto oom;
	if (!names)
		goto oom;
	if (golden_only) {
		ret = print_golden(path, &log, names);
		goto out;
	}
	if (golden_load(expect, &gs))
		goto out;
	if (!nonce_hex) {
		if (read_nonce_file(dir, &nonce)) {
			printf("verify: no nonce: give --nonce (%s/nonce is missing or not hex)\n",
			       dir);
			goto out;
		}
		fprintf(stderr, "bh verify: note: the nonce is the one in %s/nonce; give the "
				"verifier's own with --nonce to know the quote is fresh\n", dir);
	}
	if (!ak_path)
		fprintf(stderr, "bh verify: note: no --ak: the quote is checked with %s/ak.pem, "
				"whichever key that is\n", dir);
	failures = verify_quote(dir, &nonce, ak_path, pcrs);
	failures += verify_events(&log, names, &gs);
	if (failures) {
		printf("verify: FAILED (%u problem%s)\n", failures, failures == 1 ? "" : "s");
		goto out;
	}
	printf("verify: OK (%zu events, PCRs 11-14 match the quote)\n", log.nr_events);
	ret = 0;
	goto out;
oom:
	fprintf(stderr, "bh verify: out of memory\n");
out:
	for (size_t i = 0; names && i < log.nr_events; i++)
		free(names[i]);
	free(names);
	golden_free(&gs);
	tcg_log_free(&log);
	return ret;
}

