/* The table behind classmap.h. */
#include "classmap.h"

#include <string.h>

const struct flask_class_desc flask_classes[SECCLASS_NR] = {
#define FLASK_CLASS_DESC(e, cname, ...) [SECCLASS_##e] = { cname, { __VA_ARGS__, NULL } },
	FLASK_CLASSES(FLASK_CLASS_DESC)
#undef FLASK_CLASS_DESC
};

uint32_t flask_perm_bit(enum flask_class c, const char *name)
{
	if (c <= SECCLASS_NONE || c >= SECCLASS_NR)
		return 0;
	for (int i = 0; i < FLASK_MAX_PERMS && flask_classes[c].perms[i]; i++) {
		if (strcmp(flask_classes[c].perms[i], name) == 0)
			return 1u << i;
	}
	return 0;
}
