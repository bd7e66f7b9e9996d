/*
 * strcase — case-insensitive substring search (see strcase.h).
 */
#include <string.h>
#include <strings.h>

#include "lib/strcase.h"
#include "lib/banned.h"

const char *strcase_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return hay;
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return hay;
	return NULL;
}

int strcase_contains(const char *hay, const char *needle)
{
	return strcase_find(hay, needle) != NULL;
}
