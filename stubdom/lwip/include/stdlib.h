/*
 * The part of <stdlib.h> that lwIP calls (netif_find's atoi), for a
 * -nostdinc guest build: stubdom/kernel/string.c implements it.
 */
#ifndef BK_LWIP_STDLIB_H
#define BK_LWIP_STDLIB_H

int atoi(const char *s);

#endif
