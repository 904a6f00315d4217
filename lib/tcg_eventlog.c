/* The TCG crypto-agile event log: writer, parser, replay. See tcg_eventlog.h. */
#include "tcg_eventlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

uint16_t tcg_digest_size(uint16_t alg)
{
	switch (alg) {
	case TCG_ALG_SHA1:
		return 20;
	case TCG_ALG_SHA256:
		return 32;
	case TCG_ALG_SHA384:
		return 48;
	case TCG_ALG_SHA512:
		return 64;
	default:
		return 0;
	}
}

const char *tcg_alg_name(uint16_t alg)
{
	switch (alg) {
	case TCG_ALG_SHA1:
		return "sha1";
	case TCG_ALG_SHA256:
		return "sha256";
	case TCG_ALG_SHA384:
		return "sha384";
	case TCG_ALG_SHA512:
		return "sha512";
	default:
		return NULL;
	}
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

int tcg_write_header(FILE *f, const struct tcg_bank *banks, unsigned int nr)
{
	uint8_t hdr[32 + 4 * TCG_MAX_ALGS], ev[8 + 20 + 4];
	size_t n = 0;

	if (nr == 0 || nr > TCG_MAX_ALGS) {
		errno = EINVAL;
		return -1;
	}
	/* TCG_EfiSpecIDEventStruct */
	memcpy(hdr, "Spec ID Event03", 16); /* with its NUL */
	n = 16;
	le32(hdr + n, 0); /* platformClass: client */
	n += 4;
	hdr[n++] = 0; /* specVersionMinor */
	hdr[n++] = 2; /* specVersionMajor */
	hdr[n++] = 0; /* specErrata */
	hdr[n++] = 2; /* uintnSize: UINT64 */
	le32(hdr + n, nr);
	n += 4;
	for (unsigned int i = 0; i < nr; i++) {
		le16(hdr + n, banks[i].alg);
		le16(hdr + n + 2, banks[i].size);
		n += 4;
	}
	hdr[n++] = 0; /* vendorInfoSize */
	/* TCG_PCR_EVENT: pcr 0, EV_NO_ACTION, a zero SHA-1 digest */
	memset(ev, 0, sizeof(ev));
	le32(ev + 4, TCG_EV_NO_ACTION);
	le32(ev + 28, n);
	if (fwrite(ev, sizeof(ev), 1, f) != 1 || fwrite(hdr, n, 1, f) != 1)
		return -1;
	return fflush(f) ? -1 : 0;
}

int tcg_write_event(FILE *f, const struct tcg_bank *banks, unsigned int nr, uint32_t pcr,
		    uint32_t type, const uint8_t digests[][TCG_MAX_DIGEST], const void *data,
		    uint32_t data_len)
{
	uint8_t buf[12 + TCG_MAX_ALGS * (2 + TCG_MAX_DIGEST) + 4];
	size_t n = 0;

	le32(buf, pcr);
	le32(buf + 4, type);
	le32(buf + 8, nr);
	n = 12;
	for (unsigned int i = 0; i < nr; i++) {
		le16(buf + n, banks[i].alg);
		memcpy(buf + n + 2, digests[i], banks[i].size);
		n += 2 + banks[i].size;
	}
	le32(buf + n, data_len);
	n += 4;
	if (fwrite(buf, n, 1, f) != 1 || (data_len && fwrite(data, data_len, 1, f) != 1))
		return -1;
	return fflush(f) ? -1 : 0;
}

/* A bounds-checked reader over untrusted bytes. */
struct rd {
	const uint8_t *p;
	size_t left;
	int bad;
};

static uint32_t rd32(struct rd *r)
{
	uint32_t v;

	if (r->left < 4) {
		r->bad = 1;
		return 0;
	}
	v = r->p[0] | r->p[1] << 8 | r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return v;
}

static uint16_t rd16(struct rd *r)
{
	uint16_t v;

	if (r->left < 2) {
		r->bad = 1;
		return 0;
	}
	v = r->p[0] | r->p[1] << 8;
	r->p += 2;
	r->left -= 2;
	return v;
}

static const uint8_t *rdn(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->left < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

int tcg_parse(const uint8_t *buf, size_t len, struct tcg_log *log, char *err, size_t errlen)
{
	struct rd r = { buf, len, 0 };
	const uint8_t *spec;
	uint32_t sz, nalg;
	size_t cap = 0;

	memset(log, 0, sizeof(*log));
	/* The TCG_PCR_EVENT with the Spec ID event. */
	if (rd32(&r) != 0 || rd32(&r) != TCG_EV_NO_ACTION || !rdn(&r, 20) || r.bad) {
		snprintf(err, errlen, "no Spec ID event at the start");
		return -1;
	}
	sz = rd32(&r);
	spec = rdn(&r, sz);
	if (r.bad || sz < 29 || memcmp(spec, "Spec ID Event03", 16) != 0) {
		snprintf(err, errlen, "not a crypto-agile log (no \"Spec ID Event03\")");
		return -1;
	}
	{
		struct rd s = { spec + 24, sz - 24, 0 };

		nalg = rd32(&s);
		if (nalg == 0 || nalg > TCG_MAX_ALGS) {
			snprintf(err, errlen, "%u digest algorithms in the Spec ID event", nalg);
			return -1;
		}
		for (uint32_t i = 0; i < nalg; i++) {
			log->bank[i].alg = rd16(&s);
			log->bank[i].size = rd16(&s);
			if (s.bad || log->bank[i].size == 0 || log->bank[i].size > TCG_MAX_DIGEST ||
			    (tcg_digest_size(log->bank[i].alg) &&
			     tcg_digest_size(log->bank[i].alg) != log->bank[i].size)) {
				snprintf(err, errlen, "a bad algorithm entry in the Spec ID event");
				return -1;
			}
		}
		log->nr_banks = nalg;
	}
	while (r.left) {
		struct tcg_event *e;
		uint32_t count, dlen;
		const uint8_t *d;

		if (log->nr_events == TCG_MAX_EVENTS) {
			snprintf(err, errlen, "more than %u events", TCG_MAX_EVENTS);
			goto fail;
		}
		if (log->nr_events == cap) {
			struct tcg_event *ne;

			cap = cap ? cap * 2 : 64;
			ne = realloc(log->events, cap * sizeof(*ne));
			if (!ne) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			log->events = ne;
		}
		e = &log->events[log->nr_events];
		memset(e, 0, sizeof(*e));
		e->pcr = rd32(&r);
		e->type = rd32(&r);
		count = rd32(&r);
		if (r.bad || e->pcr >= TCG_PCRS || count != log->nr_banks) {
			snprintf(err, errlen, "event %zu: bad header (pcr %u, %u digests)",
				 log->nr_events, e->pcr, count);
			goto fail;
		}
		for (uint32_t i = 0; i < count; i++) {
			uint16_t alg = rd16(&r);

			if (r.bad || alg != log->bank[i].alg) {
				snprintf(err, errlen, "event %zu: digest %u is not %#x", log->nr_events,
					 i, log->bank[i].alg);
				goto fail;
			}
			d = rdn(&r, log->bank[i].size);
			if (!d) {
				snprintf(err, errlen, "event %zu: truncated digest", log->nr_events);
				goto fail;
			}
			memcpy(e->digest[i], d, log->bank[i].size);
		}
		dlen = rd32(&r);
		if (r.bad || dlen > TCG_MAX_EVENT_DATA || !(d = rdn(&r, dlen))) {
			snprintf(err, errlen, "event %zu: bad or truncated data", log->nr_events);
			goto fail;
		}
		memcpy(e->data, d, dlen);
		e->data[dlen] = 0;
		e->data_len = dlen;
		log->nr_events++;
	}
	return 0;
fail:
	tcg_log_free(log);
	return -1;
}

void tcg_log_free(struct tcg_log *log)
{
	free(log->events);
	memset(log, 0, sizeof(*log));
}

const EVP_MD *tcg_md(uint16_t alg)
{
	switch (alg) {
	case TCG_ALG_SHA1:
		return EVP_sha1();
	case TCG_ALG_SHA256:
		return EVP_sha256();
	case TCG_ALG_SHA384:
		return EVP_sha384();
	case TCG_ALG_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

int tcg_replay(const struct tcg_log *log, unsigned int b, uint8_t pcrs[TCG_PCRS][TCG_MAX_DIGEST])
{
	const EVP_MD *md;
	uint16_t size;

	if (b >= log->nr_banks || !(md = tcg_md(log->bank[b].alg)))
		return -1;
	size = log->bank[b].size;
	memset(pcrs, 0, TCG_PCRS * TCG_MAX_DIGEST);
	for (size_t i = 0; i < log->nr_events; i++) {
		const struct tcg_event *e = &log->events[i];
		uint8_t in[2 * TCG_MAX_DIGEST];
		unsigned int outlen;

		if (e->type == TCG_EV_NO_ACTION)
			continue;
		memcpy(in, pcrs[e->pcr], size);
		memcpy(in + size, e->digest[b], size);
		if (!EVP_Digest(in, 2 * size, pcrs[e->pcr], &outlen, md, NULL))
			return -1;
	}
	return 0;
}
