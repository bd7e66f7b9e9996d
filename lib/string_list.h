/*
 * string_list — a growable array of owned strings (config lists, subscriptions, ids).
 *
 * Zero-initialised ({ NULL, 0, 0 } or STRING_LIST_INIT) is an empty list; string_list_clear
 * frees it and leaves it empty and reusable.
 */
#ifndef STRING_LIST_H
#define STRING_LIST_H

#include <stddef.h>

struct string_list {
	char **items; /* owned, each owned */
	size_t nr;
	size_t alloc;
};

#define STRING_LIST_INIT { NULL, 0, 0 }

/* Appends a copy of item (borrowed). */
void string_list_append(struct string_list *list, const char *item);
/* 1 when list holds a string equal to s (case-sensitive), else 0. */
int string_list_has(const struct string_list *list, const char *s);
/* Frees every item and the array; the list is empty afterwards. */
void string_list_clear(struct string_list *list);

#endif
