/*
 * Unit tests for lib/tcg_eventlog.c: the TCG crypto-agile event log that
 * bulkhead writes and bh verify parses.
 *
 * The parser's input is hostile (bh verify reads logs from other
 * machines), so every parse is of a heap copy of exactly the log's length:
 * under ASan, a read past the end fails the test. Replay is checked
 * against PCR values computed here a different way, and the writer against
 * tpm2-tools' own parser, tpm2_eventlog.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fake_domain.h"
#include "tcg_eventlog.h"

/* Offsets fixed by the format (tcg_eventlog.h). */
#define HDR_EVENT 32                /* TCG_PCR_EVENT up to its event data */
#define SPEC_SIZE_OFF 28            /* that event's data size */
#define SPEC_NALG_OFF (HDR_EVENT + 24)
#define SPEC_ALGS_OFF (SPEC_NALG_OFF + 4)
#define FIRST_EVENT(nr) (SPEC_ALGS_OFF + 4 * (nr) + 1)

static const struct tcg_bank all_banks[] = {
	{ TCG_ALG_SHA1, 20 },
	{ TCG_ALG_SHA256, 32 },
	{ TCG_ALG_SHA384, 48 },
	{ TCG_ALG_SHA512, 64 },
};
#define NR_ALL 4

static uint64_t rng_state;

static uint64_t rng(void)
{
	return xorshift64s(&rng_state);
}

static const EVP_MD *md_of(uint16_t alg)
{
	switch (alg) {
	case TCG_ALG_SHA1:
		return EVP_sha1();
	case TCG_ALG_SHA256:
		return EVP_sha256();
	case TCG_ALG_SHA384:
		return EVP_sha384();
	default:
		return EVP_sha512();
	}
}

/* One event to write, and where it ended up. */
struct ev {
	uint32_t pcr, type;
	const char *data; /* written with its NUL, as bulkhead writes names */
	uint8_t digest[TCG_MAX_ALGS][TCG_MAX_DIGEST];
};

/* A log in memory, with the offset at which each record ends. */
struct built {
	uint8_t *buf;
	size_t len;
	size_t end[64]; /* end[0]: the header; end[i]: event i */
	size_t nr;      /* events */
};

/* The digest of each bank is the bank's hash of the event's data. */
static void digest_events(const struct tcg_bank *banks, unsigned int nr, struct ev *evs,
			  size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned int b = 0; b < nr; b++) {
			unsigned int len;

			assert_true(EVP_Digest(evs[i].data, strlen(evs[i].data), evs[i].digest[b],
					       &len, md_of(banks[b].alg), NULL));
			assert_int_equal(len, banks[b].size);
		}
}

static void build(struct built *out, const struct tcg_bank *banks, unsigned int nr,
		  const struct ev *evs, size_t n)
{
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);

	assert_non_null(f);
	assert_true(n < 64);
	assert_int_equal(tcg_write_header(f, banks, nr), 0);
	out->end[0] = ftell(f);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(tcg_write_event(f, banks, nr, evs[i].pcr, evs[i].type,
						 (const uint8_t(*)[TCG_MAX_DIGEST])evs[i].digest,
						 evs[i].data, strlen(evs[i].data) + 1),
				 0);
		out->end[i + 1] = ftell(f);
	}
	assert_int_equal(fclose(f), 0);
	out->buf = (uint8_t *)mem;
	out->len = memlen;
	out->nr = n;
	assert_int_equal(out->end[n], memlen);
}

/* tcg_parse over an exact-size heap copy of buf[0..len). */
static int parse_exact(const uint8_t *buf, size_t len, struct tcg_log *log, char *err,
		       size_t errlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	rc = tcg_parse(copy, len, log, err, errlen);
	free(copy);
	return rc;
}

/* Whatever parse accepted must be within the header's limits. */
static void check_invariants(const struct tcg_log *log)
{
	assert_true(log->nr_banks >= 1 && log->nr_banks <= TCG_MAX_ALGS);
	for (unsigned int b = 0; b < log->nr_banks; b++)
		assert_true(log->bank[b].size >= 1 && log->bank[b].size <= TCG_MAX_DIGEST);
	assert_true(log->nr_events <= TCG_MAX_EVENTS);
	for (size_t i = 0; i < log->nr_events; i++) {
		assert_true(log->events[i].pcr < TCG_PCRS);
		assert_true(log->events[i].data_len <= TCG_MAX_EVENT_DATA);
		assert_int_equal(log->events[i].data[log->events[i].data_len], 0);
	}
}

/* A parse that must fail: -1, a reason, and nothing left allocated. */
static void expect_reject(const uint8_t *buf, size_t len, const char *why)
{
	struct tcg_log log;
	char err[256] = "";

	if (parse_exact(buf, len, &log, err, sizeof(err)) != -1)
		fail_msg("accepted a log with %s", why);
	assert_true(err[0] != 0);
	assert_null(log.events);
	assert_int_equal(log.nr_events, 0);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

/* A small log: two banks, four events. */
static struct ev small_evs[] = {
	{ 11, TCG_EV_IPL, "bulkhead:binary", { { 0 } } },
	{ 12, TCG_EV_IPL, "flask:policy", { { 0 } } },
	{ 13, TCG_EV_IPL, "domain:web:kernel", { { 0 } } },
	{ 14, TCG_EV_IPL, "domain:web:cmdline", { { 0 } } },
};
#define NR_SMALL (sizeof(small_evs) / sizeof(small_evs[0]))
static const struct tcg_bank small_banks[] = { { TCG_ALG_SHA1, 20 }, { TCG_ALG_SHA256, 32 } };

static void build_small(struct built *b)
{
	digest_events(small_banks, 2, small_evs, NR_SMALL);
	build(b, small_banks, 2, small_evs, NR_SMALL);
}

static void test_round_trip(void **state)
{
	struct ev evs[] = {
		{ 11, TCG_EV_IPL, "bulkhead:binary", { { 0 } } },
		{ 0, TCG_EV_NO_ACTION, "not extended", { { 0 } } },
		{ 23, 0x80000001u, "", { { 0 } } },
		{ 14, TCG_EV_IPL, "domain:a b\tc:config", { { 0 } } },
	};
	char big[TCG_MAX_EVENT_DATA]; /* with its NUL: exactly the limit */
	struct tcg_log log;
	struct built b;
	char err[256];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	evs[2].data = big;
	digest_events(all_banks, NR_ALL, evs, 4);
	build(&b, all_banks, NR_ALL, evs, 4);
	if (parse_exact(b.buf, b.len, &log, err, sizeof(err)))
		fail_msg("tcg_parse: %s", err);
	check_invariants(&log);
	assert_int_equal(log.nr_banks, NR_ALL);
	for (unsigned int k = 0; k < NR_ALL; k++) {
		assert_int_equal(log.bank[k].alg, all_banks[k].alg);
		assert_int_equal(log.bank[k].size, all_banks[k].size);
	}
	assert_int_equal(log.nr_events, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct tcg_event *e = &log.events[i];

		assert_int_equal(e->pcr, evs[i].pcr);
		assert_int_equal(e->type, evs[i].type);
		assert_int_equal(e->data_len, strlen(evs[i].data) + 1);
		assert_memory_equal(e->data, evs[i].data, e->data_len);
		for (unsigned int k = 0; k < NR_ALL; k++)
			assert_memory_equal(e->digest[k], evs[i].digest[k], all_banks[k].size);
	}
	tcg_log_free(&log);
	assert_null(log.events);
	free(b.buf);
}

static void test_writer_limits(void **state)
{
	struct tcg_bank nine[9];
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	(void)state;
	for (int i = 0; i < 9; i++)
		nine[i] = all_banks[i % NR_ALL];
	assert_int_equal(tcg_write_header(f, nine, 0), -1);
	assert_int_equal(tcg_write_header(f, nine, 9), -1);
	fclose(f);
	assert_int_equal(len, 0);
	free(mem);
}

/* PCR i after extending with d: H(PCR || d), fed to the hash in two parts. */
static void extend(uint16_t alg, uint8_t *pcr, const uint8_t *d, unsigned int size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n;

	assert_non_null(ctx);
	assert_true(EVP_DigestInit_ex(ctx, md_of(alg), NULL));
	assert_true(EVP_DigestUpdate(ctx, pcr, size));
	assert_true(EVP_DigestUpdate(ctx, d, size));
	assert_true(EVP_DigestFinal_ex(ctx, pcr, &n));
	assert_int_equal(n, size);
	EVP_MD_CTX_free(ctx);
}

static void test_replay(void **state)
{
	static const uint8_t zero[TCG_MAX_DIGEST];
	static char names[40][24];
	struct ev evs[40];
	uint8_t want[NR_ALL][TCG_PCRS][TCG_MAX_DIGEST], got[TCG_PCRS][TCG_MAX_DIGEST];
	struct tcg_log log;
	struct built b;
	char err[256];
	int touched = 0;

	(void)state;
	rng_state = 0x7c9e1;
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "event-%zu-%llx", i,
			 (unsigned long long)(rng() & 0xffff));
		evs[i].pcr = i < 4 ? 11 + i : rng() % TCG_PCRS;
		evs[i].type = i % 7 == 5 ? TCG_EV_NO_ACTION : TCG_EV_IPL; /* must not count */
		evs[i].data = names[i];
	}
	digest_events(all_banks, NR_ALL, evs, 40);
	for (size_t i = 0; i < 40; i++) {
		if (evs[i].type == TCG_EV_NO_ACTION)
			continue;
		for (unsigned int k = 0; k < NR_ALL; k++)
			extend(all_banks[k].alg, want[k][evs[i].pcr], evs[i].digest[k],
			       all_banks[k].size);
	}
	build(&b, all_banks, NR_ALL, evs, 40);
	if (parse_exact(b.buf, b.len, &log, err, sizeof(err)))
		fail_msg("tcg_parse: %s", err);
	for (unsigned int k = 0; k < NR_ALL; k++) {
		assert_int_equal(tcg_replay(&log, k, got), 0);
		for (unsigned int p = 0; p < TCG_PCRS; p++) {
			assert_memory_equal(got[p], want[k][p], all_banks[k].size);
			touched += !!memcmp(got[p], zero, all_banks[k].size);
		}
	}
	assert_true(touched >= 4 * NR_ALL); /* not a log of nothing */
	assert_int_equal(tcg_replay(&log, NR_ALL, got), -1);
	tcg_log_free(&log);
	free(b.buf);
}

/* An algorithm bulkhead cannot hash (SM3_256) parses, but does not replay. */
static void test_replay_unknown_alg(void **state)
{
	static const struct tcg_bank banks[] = { { 0x0012, 32 }, { TCG_ALG_SHA256, 32 } };
	struct ev evs[] = { { 11, TCG_EV_IPL, "x", { { 0 } } } };
	uint8_t got[TCG_PCRS][TCG_MAX_DIGEST];
	struct tcg_log log;
	struct built b;
	char err[256];

	(void)state;
	memset(evs[0].digest, 0xab, sizeof(evs[0].digest));
	build(&b, banks, 2, evs, 1);
	if (parse_exact(b.buf, b.len, &log, err, sizeof(err)))
		fail_msg("tcg_parse: %s", err);
	assert_int_equal(tcg_replay(&log, 0, got), -1);
	assert_int_equal(tcg_replay(&log, 1, got), 0);
	tcg_log_free(&log);
	free(b.buf);
}

/* Every prefix is rejected, except those that end on a record: they hold fewer events. */
static void test_truncated_everywhere(void **state)
{
	struct tcg_log log;
	struct built b;
	char err[256];

	(void)state;
	build_small(&b);
	for (size_t len = 0; len < b.len; len++) {
		size_t whole = SIZE_MAX;

		for (size_t k = 0; k <= b.nr; k++)
			if (b.end[k] == len)
				whole = k;
		if (whole == SIZE_MAX) {
			expect_reject(b.buf, len, "a truncated record");
			continue;
		}
		if (parse_exact(b.buf, len, &log, err, sizeof(err)))
			fail_msg("prefix of %zu bytes (%zu whole events): %s", len, whole, err);
		assert_int_equal(log.nr_events, whole);
		check_invariants(&log);
		tcg_log_free(&log);
	}
	free(b.buf);
}

static void test_bad_spec_id(void **state)
{
	struct built b;
	uint8_t *m;

	(void)state;
	build_small(&b);
	m = malloc(b.len);
	assert_non_null(m);
	/* Each byte of "Spec ID Event03" and its NUL. */
	for (size_t i = 0; i < 16; i++) {
		memcpy(m, b.buf, b.len);
		m[HDR_EVENT + i] ^= 0x20;
		expect_reject(m, b.len, "a wrong Spec ID signature");
	}
	memcpy(m, b.buf, b.len);
	memcpy(m + HDR_EVENT, "Spec ID Event02", 16);
	expect_reject(m, b.len, "a SHA-1-only (Event02) header");
	memcpy(m, b.buf, b.len);
	put32(m, 1); /* the header event on PCR 1 */
	expect_reject(m, b.len, "the Spec ID event on PCR 1");
	memcpy(m, b.buf, b.len);
	put32(m + 4, TCG_EV_IPL);
	expect_reject(m, b.len, "the Spec ID event not EV_NO_ACTION");
	for (uint32_t sz = 0; sz < 29; sz++) {
		memcpy(m, b.buf, b.len);
		put32(m + SPEC_SIZE_OFF, sz);
		expect_reject(m, b.len, "a Spec ID event too short to hold one");
	}
	memcpy(m, b.buf, b.len);
	put32(m + SPEC_SIZE_OFF, 0xffffffffu);
	expect_reject(m, b.len, "a Spec ID event of 4 GiB");
	memcpy(m, b.buf, b.len);
	put32(m + SPEC_SIZE_OFF, b.len);
	expect_reject(m, b.len, "a Spec ID event longer than the file");
	free(m);
	free(b.buf);
}

static void test_bad_algorithms(void **state)
{
	static const uint32_t counts[] = { 0, TCG_MAX_ALGS + 1, 0x10000, 0xffffffffu };
	struct built b;
	uint8_t *m;

	(void)state;
	build_small(&b);
	m = malloc(b.len);
	assert_non_null(m);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		memcpy(m, b.buf, b.len);
		put32(m + SPEC_NALG_OFF, counts[i]);
		expect_reject(m, b.len, "0 or more than 8 algorithms");
	}
	/* Nine well-formed entries, all there: the count alone must refuse them. */
	{
		uint8_t nine[FIRST_EVENT(9)];

		memcpy(nine, b.buf, SPEC_NALG_OFF);
		put32(nine + SPEC_SIZE_OFF, FIRST_EVENT(9) - HDR_EVENT);
		put32(nine + SPEC_NALG_OFF, 9);
		for (int i = 0; i < 9; i++) {
			put16(nine + SPEC_ALGS_OFF + 4 * i, all_banks[i % NR_ALL].alg);
			put16(nine + SPEC_ALGS_OFF + 4 * i + 2, all_banks[i % NR_ALL].size);
		}
		nine[FIRST_EVENT(9) - 1] = 0; /* vendorInfoSize */
		expect_reject(nine, sizeof(nine), "9 algorithms");
		/* The same header with 8 is a valid, empty log. */
		put32(nine + SPEC_SIZE_OFF, FIRST_EVENT(8) - HDR_EVENT);
		put32(nine + SPEC_NALG_OFF, 8);
		nine[FIRST_EVENT(8) - 1] = 0;
		{
			struct tcg_log log;
			char err[256];

			if (parse_exact(nine, FIRST_EVENT(8), &log, err, sizeof(err)))
				fail_msg("8 algorithms refused: %s", err);
			assert_int_equal(log.nr_banks, 8);
			assert_int_equal(log.nr_events, 0);
			tcg_log_free(&log);
		}
	}
	/* Three listed where the Spec ID event has room for two. */
	memcpy(m, b.buf, b.len);
	put32(m + SPEC_NALG_OFF, 3);
	expect_reject(m, b.len, "more algorithms than the Spec ID event holds");
	/* A digest size of 0, or past TCG_MAX_DIGEST. */
	memcpy(m, b.buf, b.len);
	put16(m + SPEC_ALGS_OFF + 2, 0);
	expect_reject(m, b.len, "a 0-byte digest");
	memcpy(m, b.buf, b.len);
	put16(m + SPEC_ALGS_OFF + 2, TCG_MAX_DIGEST + 1);
	expect_reject(m, b.len, "a 65-byte digest");
	free(m);
	free(b.buf);
}

static void test_bad_event_headers(void **state)
{
	static const uint32_t bad_pcrs[] = { TCG_PCRS, 0x100, 0xffffffffu };
	static const uint32_t bad_counts[] = { 0, 1, 3, 0xffffffffu };
	struct tcg_log log;
	struct built b;
	char err[256];
	size_t ev;
	uint8_t *m;

	(void)state;
	build_small(&b);
	m = malloc(b.len);
	assert_non_null(m);
	ev = b.end[2]; /* the third event */
	for (size_t i = 0; i < sizeof(bad_pcrs) / sizeof(bad_pcrs[0]); i++) {
		memcpy(m, b.buf, b.len);
		put32(m + ev, bad_pcrs[i]);
		expect_reject(m, b.len, "a PCR index of 24 or more");
	}
	memcpy(m, b.buf, b.len);
	put32(m + ev, TCG_PCRS - 1);
	if (parse_exact(m, b.len, &log, err, sizeof(err)))
		fail_msg("PCR 23 refused: %s", err);
	assert_int_equal(log.events[2].pcr, TCG_PCRS - 1);
	tcg_log_free(&log);
	for (size_t i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++) {
		memcpy(m, b.buf, b.len);
		put32(m + ev + 8, bad_counts[i]);
		expect_reject(m, b.len, "a digest count unlike the header's");
	}
	/* A well-formed event with one digest (sha1 only), in a log of two banks. */
	{
		char *mem = NULL;
		size_t memlen = 0;
		FILE *f = open_memstream(&mem, &memlen);

		assert_non_null(f);
		fwrite(b.buf, b.end[2], 1, f);
		assert_int_equal(tcg_write_event(f, small_banks, 1, 13, TCG_EV_IPL,
						 (const uint8_t(*)[TCG_MAX_DIGEST])small_evs[2].digest,
						 "x", 2),
				 0);
		fclose(f);
		expect_reject((uint8_t *)mem, memlen, "one digest where the header has two");
		free(mem);
	}
	/* The digests out of order: sha256 first. */
	memcpy(m, b.buf, b.len);
	put16(m + ev + 12, TCG_ALG_SHA256);
	expect_reject(m, b.len, "a digest of the wrong algorithm");
	free(m);
	free(b.buf);
}

static void test_bad_data_length(void **state)
{
	static const uint32_t bad[] = { TCG_MAX_EVENT_DATA + 1, 0x10000, 0x7fffffffu,
					0xffffffffu };
	struct tcg_log log;
	struct built b;
	char err[256];
	size_t dlen_off, last;
	uint8_t *m;

	(void)state;
	build_small(&b);
	last = b.end[b.nr - 1];
	dlen_off = last + 12 + (2 + 20) + (2 + 32);
	assert_int_equal(b.buf[dlen_off], strlen(small_evs[b.nr - 1].data) + 1);
	m = malloc(b.len + TCG_MAX_EVENT_DATA + 2);
	assert_non_null(m);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(m, b.buf, b.len);
		put32(m + dlen_off, bad[i]);
		expect_reject(m, b.len, "a huge data length");
	}
	/* One byte over the limit, with every byte there. */
	memcpy(m, b.buf, b.len);
	put32(m + dlen_off, TCG_MAX_EVENT_DATA + 1);
	memset(m + dlen_off + 4, 'y', TCG_MAX_EVENT_DATA + 1);
	expect_reject(m, dlen_off + 4 + TCG_MAX_EVENT_DATA + 1, "4097 bytes of data");
	/* One byte more than the file holds. */
	memcpy(m, b.buf, b.len);
	put32(m + dlen_off, b.len - dlen_off - 4 + 1);
	expect_reject(m, b.len, "data running past the end");
	/* Exactly the limit is fine. */
	memcpy(m, b.buf, b.len);
	put32(m + dlen_off, TCG_MAX_EVENT_DATA);
	memset(m + dlen_off + 4, 'y', TCG_MAX_EVENT_DATA);
	if (parse_exact(m, dlen_off + 4 + TCG_MAX_EVENT_DATA, &log, err, sizeof(err)))
		fail_msg("%u bytes of data refused: %s", TCG_MAX_EVENT_DATA, err);
	check_invariants(&log);
	assert_int_equal(log.events[b.nr - 1].data_len, TCG_MAX_EVENT_DATA);
	tcg_log_free(&log);
	free(m);
	free(b.buf);
}

/* A parse of fuzzed bytes: no crash, and the error buffer is never overrun. */
static int fuzz_one(const uint8_t *buf, size_t len)
{
	uint8_t got[TCG_PCRS][TCG_MAX_DIGEST];
	char err[64];
	size_t errlen = 1 + rng() % sizeof(err);
	struct tcg_log log;
	int rc;

	memset(err, '#', sizeof(err));
	rc = parse_exact(buf, len, &log, err, errlen);
	if (errlen < sizeof(err))
		assert_int_equal(err[errlen], '#');
	if (rc) {
		assert_null(log.events);
		return rc;
	}
	check_invariants(&log);
	for (unsigned int k = 0; k <= log.nr_banks; k++)
		tcg_replay(&log, k, got);
	tcg_log_free(&log);
	return rc;
}

static void test_fuzz(void **state)
{
	uint8_t buf[2048];
	unsigned int ok = 0, bad = 0;
	struct built b;

	(void)state;
	rng_state = 0x5eed7c6;
	/* Pure noise, sometimes behind a valid first event. */
	for (int iter = 0; iter < 3000; iter++) {
		size_t len = rng() % sizeof(buf), from = 0;

		if (iter % 2) {
			build_small(&b);
			from = b.end[0] < len ? b.end[0] : len;
			memcpy(buf, b.buf, from);
			free(b.buf);
		}
		for (size_t i = from; i < len; i++)
			buf[i] = rng();
		fuzz_one(buf, len) ? bad++ : ok++;
	}
	/* A valid log with a few bytes changed, cut or doubled. */
	build_small(&b);
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = b.len;
		unsigned int edits = 1 + rng() % 4;

		memcpy(buf, b.buf, b.len);
		for (unsigned int m = 0; m < edits; m++) {
			size_t at = rng() % len;

			switch (rng() % 4) {
			case 0:
				buf[at] ^= 1u << (rng() % 8);
				break;
			case 1:
				buf[at] = rng() % 2 ? 0xff : 0;
				break;
			case 2:
				len = at + 1;
				break;
			default:
				if (len + 8 <= sizeof(buf)) {
					memcpy(buf + len, buf + at, len - at < 8 ? len - at : 8);
					len += len - at < 8 ? len - at : 8;
				}
			}
		}
		fuzz_one(buf, len) ? bad++ : ok++;
	}
	free(b.buf);
	if (ok < 100 || bad < 100)
		fail_msg("fuzz verdicts too one-sided: %u ok, %u rejected", ok, bad);
}

/* The bytes as lower-case hex: out holds 2 * n + 1. */
static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* tpm2-tools' parser reads what tcg_write_* writes, and replays it as tcg_replay does. */
static void test_tpm2_eventlog_reads_it(void **state)
{
	char path[] = "/tmp/bh-tcg-XXXXXX", cmd[256], *out = NULL, want[256];
	uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST];
	size_t outlen = 0;
	struct tcg_log log;
	struct built b;
	char err[256];
	FILE *f;
	int fd, st;

	(void)state;
	digest_events(all_banks, NR_ALL, small_evs, NR_SMALL);
	build(&b, all_banks, NR_ALL, small_evs, NR_SMALL);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.buf, b.len), (ssize_t)b.len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "tpm2_eventlog %s 2>/dev/null", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	{
		FILE *mem = open_memstream(&out, &outlen);
		int c;

		while ((c = fgetc(f)) != EOF)
			fputc(c, mem);
		fclose(mem);
	}
	st = pclose(f);
	unlink(path);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("tpm2_eventlog (tpm2-tools, 'make deps') exited %d on our log:\n%s",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
	for (size_t i = 0; i < NR_SMALL; i++) {
		snprintf(want, sizeof(want), "\"%s\\0\"", small_evs[i].data);
		if (!strstr(out, want))
			fail_msg("tpm2_eventlog does not show event %s:\n%s", want, out);
		for (unsigned int k = 0; k < NR_ALL; k++) {
			want[0] = '"';
			hex(small_evs[i].digest[k], all_banks[k].size, want + 1);
			strcpy(want + 1 + 2 * all_banks[k].size, "\"");
			if (!strstr(out, want))
				fail_msg("tpm2_eventlog lacks digest %s of %s", want,
					 small_evs[i].data);
		}
	}
	if (parse_exact(b.buf, b.len, &log, err, sizeof(err)))
		fail_msg("tcg_parse: %s", err);
	for (unsigned int k = 0; k < NR_ALL; k++) {
		assert_int_equal(tcg_replay(&log, k, pcrs), 0);
		for (size_t i = 0; i < NR_SMALL; i++) {
			unsigned int p = small_evs[i].pcr;
			int n = snprintf(want, sizeof(want), "%u : 0x", p);

			hex(pcrs[p], all_banks[k].size, want + n);
			want[n + 2 * all_banks[k].size] = 0;
			if (!strstr(out, want))
				fail_msg("tpm2_eventlog's %s PCR %u is not ours (%s):\n%s",
					 tcg_alg_name(all_banks[k].alg), p, want, out);
		}
	}
	tcg_log_free(&log);
	free(out);
	free(b.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_writer_limits),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_unknown_alg),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_bad_spec_id),
		cmocka_unit_test(test_bad_algorithms),
		cmocka_unit_test(test_bad_event_headers),
		cmocka_unit_test(test_bad_data_length),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_tpm2_eventlog_reads_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
