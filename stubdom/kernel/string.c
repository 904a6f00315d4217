/* The string functions the kernel and apps use, and command-line parsing. */
#include <bk/kernel.h>

/* rep stosb/movsb: fast on every CPU with ERMS, and runs natively at CPL3. */
void *memset(void *d, int c, size_t n)
{
	void *p = d;

	__asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *dp = d;

	__asm__ volatile("rep movsb" : "+D"(dp), "+S"(s), "+c"(n) : : "memory");
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp < sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return c ? NULL : (char *)s;
}

/* Decimal, with an optional sign; stops at the first non-digit (lwIP's netif_find). */
int atoi(const char *s)
{
	unsigned int v = 0;
	int neg = 0;

	while (*s == ' ')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? (int)-v : (int)v;
}

/* Insertion sort: the apps sort a few hundred samples to take medians. */
void sort_u64(uint64_t *v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = 0;

			p += klen + 1;
			while (p[n] && p[n] != ' ')
				n++;
			if (n >= size)
				n = size - 1;
			memcpy(buf, p, n);
			buf[n] = 0;
			return true;
		}
		p = strchr(p, ' ');
	}
	return false;
}

uint64_t cmdline_get_u64(const char *cmdline, const char *key, uint64_t dflt)
{
	char buf[24], *p;
	uint64_t v = 0;

	if (!cmdline_get(cmdline, key, buf, sizeof(buf)) || !buf[0])
		return dflt;
	for (p = buf; *p; p++) {
		if (*p < '0' || *p > '9')
			return dflt;
		v = v * 10 + (*p - '0');
	}
	return v;
}
