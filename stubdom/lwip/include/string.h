/*
 * The part of <string.h> that lwIP calls, for a -nostdinc guest build:
 * stubdom/kernel/string.c implements it. On the include path of lwIP's
 * objects and of the code that includes lwIP's headers only.
 */
#ifndef BK_LWIP_STRING_H
#define BK_LWIP_STRING_H

#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
