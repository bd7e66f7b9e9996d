/*
 * string_list — growable array of owned strings (see string_list.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/string_list.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void string_list_append(struct string_list *list, const char *item)
{
	ALLOC_GROW(list->items, list->nr + 1, list->alloc);
	list->items[list->nr++] = xstrdup(item);
}

int string_list_has(const struct string_list *list, const char *s)
{
	size_t i;
	for (i = 0; i < list->nr; i++)
		if (!strcmp(list->items[i], s))
			return 1;
	return 0;
}

void string_list_clear(struct string_list *list)
{
	size_t i;
	for (i = 0; i < list->nr; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->nr = list->alloc = 0;
}
